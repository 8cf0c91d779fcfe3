//! Scheduled: fails the jobs still unfinished past their deadline, so none waits forever.

pub mod event_handler;
