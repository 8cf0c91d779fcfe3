//! The processors' on-failure destination (SQS): ends the jobs of invocations that failed every retry.

pub mod event_handler;
