//! The `certport` binary's library: the local server on embedded storage, provisioning
//! on AWS, and the client commands.

pub mod admin;
pub mod client;
mod local_uploads;
pub mod logging;
pub mod serve;
mod upload_dispatcher;
