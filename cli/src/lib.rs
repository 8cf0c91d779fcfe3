//! The `certport` binary's library: the local server on embedded storage.

pub mod logging;
pub mod serve;
mod upload_dispatcher;
