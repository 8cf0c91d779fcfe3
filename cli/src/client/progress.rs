//! Progress on standard error while a command waits: bytes uploaded, then certificates
//! (or keystore items) processed and the rate. A bar redrawn in place on a terminal;
//! elsewhere (a log, a CI job) a plain line now and then.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Certificates,
    Items,
}

/// A plain line at most this often when standard error is not a terminal (none for
/// what ends sooner).
const PLAIN_EVERY: Duration = Duration::from_secs(10);
const BAR_WIDTH: usize = 24;

pub struct Progress {
    terminal: bool,
    /// When the current phase began, and the last plain line.
    started: Instant,
    printed: Option<Instant>,
    drawn: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            printed: None,
            drawn: false,
        }
    }

    /// Shows how far `phase` has come: `done` of `total` (when known).
    pub fn show(&mut self, phase: &str, done: u64, total: Option<u64>, unit: Unit) {
        let line = describe(phase, done, total, unit, self.started.elapsed());
        if self.terminal {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
            self.drawn = true;
        } else if self.printed.unwrap_or(self.started).elapsed() >= PLAIN_EVERY {
            eprintln!("{line}");
            self.printed = Some(Instant::now());
        }
    }

    /// Ends a phase: the bar is cleared (the result is printed after it).
    pub fn finish(&mut self) {
        if self.terminal && self.drawn {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
        self.drawn = false;
        self.printed = None;
        self.started = Instant::now();
    }
}

/// `phase [#####-----] 45% 12,345/27,000 certificates, 8,123/s, 3.2 s`.
fn describe(phase: &str, done: u64, total: Option<u64>, unit: Unit, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { done as f64 / seconds } else { 0.0 };
    let amount = |n: u64| match unit {
        Unit::Bytes => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
        Unit::Certificates | Unit::Items => n.to_string(),
    };
    let noun = match unit {
        Unit::Bytes => "",
        Unit::Certificates => " certificates",
        Unit::Items => " items",
    };
    let rate = match unit {
        Unit::Bytes => format!("{:.1} MiB/s", rate / (1024.0 * 1024.0)),
        Unit::Certificates | Unit::Items => format!("{rate:.0}/s"),
    };
    match total.filter(|&t| t > 0) {
        Some(total) => {
            let share = (done.min(total) as f64 / total as f64).clamp(0.0, 1.0);
            let filled = (share * BAR_WIDTH as f64).round() as usize;
            format!(
                "{phase} [{}{}] {:>3.0}% {}/{}{noun}, {rate}, {seconds:.1} s",
                "#".repeat(filled),
                "-".repeat(BAR_WIDTH - filled),
                share * 100.0,
                amount(done),
                amount(total),
            )
        }
        None => format!("{phase} {}{noun}, {rate}, {seconds:.1} s", amount(done)),
    }
}

/// Runs `upload`, showing the bytes `sent` counts of `total` as they go.
pub async fn while_uploading<F: Future>(sent: Arc<AtomicU64>, total: u64, upload: F) -> F::Output {
    let mut progress = Progress::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tokio::pin!(upload);
    loop {
        tokio::select! {
            done = &mut upload => {
                progress.finish();
                return done;
            }
            _ = tick.tick() => progress.show("uploading", sent.load(Ordering::Relaxed), Some(total), Unit::Bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_how_far_how_fast_and_how_long() {
        let line = describe(
            "processing",
            500,
            Some(1000),
            Unit::Certificates,
            Duration::from_secs(2),
        );
        assert_eq!(
            line,
            "processing [############------------]  50% 500/1000 certificates, 250/s, 2.0 s"
        );
        let bytes = describe("uploading", 3 << 20, None, Unit::Bytes, Duration::from_secs(1));
        assert_eq!(bytes, "uploading 3.0 MiB, 3.0 MiB/s, 1.0 s");
    }
}
