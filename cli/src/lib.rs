//! The `certport` binary's library: the local server on embedded storage, provisioning
//! (on AWS, or on a local data directory), and the client commands.

pub mod admin;
pub mod client;
pub mod logging;
pub mod serve;
