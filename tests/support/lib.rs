//! Support for certport's end-to-end tests: moto server stacks, `events/` fixtures,
//! and the fixture tenant those fixtures name.

pub mod fixtures;
pub mod moto;
