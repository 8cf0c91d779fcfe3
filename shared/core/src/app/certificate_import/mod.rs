//! API A's certificate import: the upload, its processing (in one run, or planned into
//! shards), and its status. The engine reads and writes; the rest decide what to run.

pub(crate) mod engine;
pub(crate) mod process;
pub(crate) mod shards;
pub(crate) mod status;
pub(crate) mod upload;
