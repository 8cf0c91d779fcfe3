//! Import jobs of both kinds: every move of their lifecycle, what processing came to,
//! and the sweeper that ends those that stopped moving.

pub(crate) mod lifecycle;
pub(crate) mod outcome;
pub(crate) mod sweeper;
