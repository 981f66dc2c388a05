//! The data points the sender writes about itself, with each scrape.
//!
//! The same health metrics as the modular input
//! ([`crate::health::METRICS`], under [`crate::health::PREFIX`]), so the
//! *Input Health* dashboard
//! reads both modes, plus [`HEC_HEALTH_METRICS`]: what happened to the data
//! on its way to HEC. Those are counters since the process started (a
//! report that is itself dropped loses nothing: the next one carries the
//! total), per scrape target, so a dashboard shows the gaps (`up`, missing
//! points) and the drops of each node.
//!
//! Every count of data points here counts the health data points too:
//! they travel in the same batches.

use std::sync::atomic::{AtomicU64, Ordering};

use super::batch::Grouper;
use crate::health::{self, ScrapeHealth, METRICS as HEALTH_METRICS};

/// The sender's own health metrics, after the modular input's, under the
/// same prefix (documented in docs/hec.md).
pub const HEC_HEALTH_METRICS: &[(&str, &str)] = &[
    (
        "hec_points_sent_total",
        "data points of this target that HEC accepted (HTTP 200), since the sender started",
    ),
    (
        "hec_points_dropped_total",
        "data points of this target dropped, oldest first, because the queue was full while HEC was unreachable",
    ),
    (
        "hec_points_rejected_total",
        "data points of this target in batches HEC refused (HTTP 400 or another 4xx), which are not sent again",
    ),
    (
        "hec_points_maybe_duplicated_total",
        "extra copies of this target's data points HEC may hold: one per data point for each request of it that got no answer (timeout, connection lost) before it was accepted, or beyond the first when it was given up on at the stop",
    ),
    (
        "hec_points_replayed_total",
        "data points of this target found queued in -queue_dir when the sender started (left by a stop, a kill or a crash), and queued again to be sent",
    ),
    (
        "hec_retries_total",
        "requests carrying this target's data that failed (network error, timeout, 429, 5xx) and were sent again",
    ),
    (
        "hec_queue_bytes",
        "compressed bytes waiting for HEC, all targets together, when the scrape was queued",
    ),
    (
        "scrapes_missed_total",
        "scheduled scrapes of this target skipped because the one before was still running",
    ),
];

/// How many health data points each scrape adds.
pub fn points_per_scrape() -> usize {
    HEALTH_METRICS.len() + HEC_HEALTH_METRICS.len()
}

/// What happened to one target's data, since start. Shared by its scrape
/// thread, the queue's pusher and the sender.
#[derive(Debug, Default)]
pub struct Counters {
    /// Data points made (scraped and health), queued or not.
    pub produced: AtomicU64,
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub rejected: AtomicU64,
    /// Still unsent when the process stopped.
    pub lost: AtomicU64,
    /// Given up on at the stop after a request that got no answer: HEC may
    /// have indexed them.
    pub unconfirmed: AtomicU64,
    /// Extra copies HEC may hold (per data point, per unanswered request).
    pub maybe_duplicated: AtomicU64,
    /// Left in `-queue_dir` at the stop, for the next start.
    pub kept: AtomicU64,
    /// Found in `-queue_dir` at the start.
    pub replayed: AtomicU64,
    pub retries: AtomicU64,
    pub missed: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

fn sender_value(name: &str, c: &Counters, queue_bytes: usize) -> Option<f64> {
    let g = |a: &AtomicU64| Counters::get(a) as f64;
    Some(match name {
        "hec_points_sent_total" => g(&c.sent),
        "hec_points_dropped_total" => g(&c.dropped),
        "hec_points_rejected_total" => g(&c.rejected),
        "hec_points_maybe_duplicated_total" => g(&c.maybe_duplicated),
        "hec_points_replayed_total" => g(&c.replayed),
        "hec_retries_total" => g(&c.retries),
        "hec_queue_bytes" => queue_bytes as f64,
        "scrapes_missed_total" => g(&c.missed),
        _ => return None,
    })
}

/// Adds the health data points of one scrape to `g`.
pub fn add(
    g: &mut Grouper,
    time_ms: i64,
    extra_dimensions: &[(String, String)],
    scrape: &ScrapeHealth,
    counters: &Counters,
    queue_bytes: usize,
) {
    let sender = HEC_HEALTH_METRICS
        .iter()
        .map(|(m, _)| (*m, sender_value(m, counters, queue_bytes).unwrap_or(0.0)));
    health::data_points(
        health::scrape_values(scrape).chain(sender),
        time_ms,
        extra_dimensions,
        |dp| g.add(dp),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_health_metric_has_a_value() {
        for (m, _) in HEC_HEALTH_METRICS {
            assert!(sender_value(m, &Counters::default(), 0).is_some(), "{m}");
            assert!(!HEALTH_METRICS.iter().any(|(n, _)| n == m), "{m} twice");
        }
        let mut g = Grouper::new();
        add(
            &mut g,
            1,
            &[],
            &ScrapeHealth::default(),
            &Counters::default(),
            0,
        );
        assert_eq!(g.points(), points_per_scrape());
        assert_eq!(g.objects(), 1, "one multiple-measurement object");
    }
}
