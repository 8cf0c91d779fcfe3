//! The certificate processor's memory on the largest upload, on S3, DynamoDB and SQS over
//! the wire (moto): `cargo bench -p certport-tests --bench moto_large_upload`. Writes a
//! 1 GiB zip (about two million certificates), stores it as an upload-URL job, runs the
//! processor on its S3 event (the plan: spool, count, parse, queue the shards) and then on
//! the first shard from the queue, and prints this process's peak RSS (`VmHWM`, reset
//! before each) for each. Shards are 2,000 certificates here: moto copies a table for every
//! transaction, so a shard of 20,000 ran past half an hour; a shard's memory is its
//! batches and a bit per certificate of the upload, whatever its own size.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use certport_core::app::{
    process_certificate_import, process_certificate_shard, request_certificate_upload_url, ProcessOutcome,
};
use certport_core::domain::ShardTask;
use certport_core::testing::scenarios::{new_caller, pem_profile, write_large_zip};
use certport_tests::moto::{bench_endpoint, Stack};

/// The process's peak resident memory since the last reset, in MiB.
fn peak_rss_mib() -> f64 {
    certport_tests::peak_rss_kib("self").expect("VmHWM") as f64 / 1024.0
}

/// Starts a new peak from the current RSS (Linux: `5` in `clear_refs`).
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
}

fn main() {
    let (_own, endpoint) = bench_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.zip");
    eprintln!("writing a 1 GiB zip of RSA-2048 certificates...");
    // Just under the upload-URL limit (1 GiB): the zip ends up to one file past this.
    let count = write_large_zip(&path, (1 << 30) - (4 << 20));
    let size = std::fs::metadata(&path).unwrap().len();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let stack = Stack::create_at(&endpoint).await;
        let mut config = stack.function_config();
        config.limits.shard_certificates = 2_000;
        let deps = config.deps_with_shard_queue(&stack.sdk);
        let caller = new_caller(&deps, "large").await;
        let profile = pem_profile(&deps, &caller).await;
        let (job, _) = request_certificate_upload_url(&deps, &caller, &profile, "devices.zip", size, None)
            .await
            .unwrap();
        eprintln!("storing it in S3 (moto)...");
        stack
            .s3()
            .put_object()
            .bucket(&stack.bucket)
            .key(&job.object_key)
            .body(ByteStream::from_path(&path).await.unwrap())
            .send()
            .await
            .unwrap();

        reset_peak_rss();
        let started = Instant::now();
        let planned = process_certificate_import(&deps, &job.object_key).await.unwrap();
        let ProcessOutcome::Sharded { shards, .. } = planned else {
            panic!("expected a sharded job: {planned:?}");
        };
        println!(
            "plan of a {size}-byte zip ({count} certificates) into {shards} shards: {:.0} s, peak RSS {:.0} MiB",
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );

        let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
        let received = sqs
            .receive_message()
            .queue_url(&stack.shard_queue_url)
            .send()
            .await
            .unwrap();
        let message = received.messages.unwrap_or_default().into_iter().next().expect("a shard");
        let task: ShardTask = serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
        reset_peak_rss();
        let started = Instant::now();
        let outcome = process_certificate_shard(&deps, &task).await.unwrap();
        assert!(matches!(outcome, ProcessOutcome::ShardProcessed { .. }), "{outcome:?}");
        let certificates = task.end_file.saturating_sub(task.first_file) * 1_000;
        println!(
            "shard {} ({certificates} certificates, ranged reads): {:.0} s, peak RSS {:.0} MiB",
            task.shard,
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
    });
}
