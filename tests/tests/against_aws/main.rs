//! The Lambda handlers and the AWS adapters against moto server (S3, DynamoDB, KMS and SQS
//! over the wire, held to AWS's limits), the same use cases on embedded storage, faults,
//! tenant isolation, third-party keystores, and what the template must keep. One test
//! binary, a module per area, so they build and link once.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod aws_contracts;
mod aws_functions;
mod aws_keystores;
mod aws_limits;
mod export_formats;
mod faults;
mod large_uploads;
mod records_table;
mod route_table;
mod sharded_imports;
mod template_policies;
mod template_safety;
mod tenant_isolation;
mod third_party_keystores;
