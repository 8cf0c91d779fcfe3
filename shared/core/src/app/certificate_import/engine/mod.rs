//! The import engine: reads an upload (or some of its files) in order, maps each
//! certificate, and writes devices and failures in batches, recording progress between
//! them. A whole run, a plan and a shard's run are its modes.

pub(crate) mod ranged_upload;
pub(crate) mod reader;
pub(crate) mod run;
mod seek_buffer;
pub(crate) mod skip_set;
