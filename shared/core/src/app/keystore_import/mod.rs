//! API B's keystore import: the batch, its processing item by item, and its status.

pub(crate) mod batch;
pub(crate) mod process;
pub(crate) mod status;
pub(crate) mod upload;
