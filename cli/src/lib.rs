//! The `certport` binary's library: the local server on embedded storage, and
//! provisioning on AWS.

pub mod admin;
pub mod logging;
pub mod serve;
mod upload_dispatcher;
