//! Prometheus' lookback, in an alert's search: which sample of a series an
//! instant selector uses at an evaluation time, when scrapes are late or
//! missing.
//!
//! Prometheus evaluates `go_goroutines > 50000` at time T with each series'
//! last sample at or before T, if that sample is at most 5 minutes old (the
//! lookback delta, `--query.lookback-delta`, default 5m) and is not a
//! staleness marker: "If no sample is found (by default) 5 minutes before a
//! sampling timestamp, no value is returned for that time series at this
//! point in time" (Querying basics, "Staleness",
//! <https://prometheus.io/docs/prometheus/latest/querying/basics/#staleness>).
//! So one lost or late scrape, or a forwarder gone for 4 minutes, changes
//! nothing in Prometheus; the compiled search's `mstats latest(x) ...
//! span=60s` has an empty bucket there, and a `for` that needs the condition
//! in every bucket would not fire.
//!
//! The alerts evaluate at bucket ends (the end of each 60 s bucket), which
//! are whole minutes, so "the last sample at most 300 s old at the end of
//! bucket `i`" is the last sample of the newest non-empty bucket among `i`
//! and the 4 before it. The compiler's instant selectors carry each
//! series' last sample into the buckets whose last 5 minutes hold it
//! (`src/spl/plan.rs`, decision 3, the same for dashboards and alerts: one
//! `mstats` per metric, `mvrange` + `mvexpand`, the newest row per bucket
//! and series); what is left to the alert is to read the 4 minutes before
//! its first evaluated bucket, the samples that bucket's lookback may use
//! ([`lead_s`]), and to keep the evaluated buckets only
//! ([`super::alert_search`]). A bucket of 300 s needs nothing before it:
//! its last sample is always the one Prometheus uses at its end.
//!
//! Not emulated: staleness. When a scrape fails Prometheus marks the
//! target's series stale and stops using their last samples at once; the
//! search carries them into the next 4 buckets, as for a lost scrape.
//! Telling the two apart needs `mattermost_metrics.up`, by host and `job`
//! (one host may run several inputs), joined into every search: an
//! `mstats` more per selector, and a wrong `job` would make a healthy
//! input's series stale. A gauge alert over its threshold on a node that
//! goes down may so fire at a run within 4 minutes of the failure where
//! Prometheus has resolved it; `MattermostNodeDown` fires for that node.

/// Prometheus' default lookback delta, seconds.
pub const LOOKBACK_S: u64 = 300;

/// How many seconds before its first evaluated bucket of `bucket_s` an
/// alert's search must read for the lookback of its instant selectors in
/// `spl` (0 when it has none, or when the bucket is the lookback itself).
pub fn lead_s(spl: &str, bucket_s: u64) -> u64 {
    if spl.contains("mvexpand lookback_bucket") {
        LOOKBACK_S.saturating_sub(bucket_s)
    } else {
        0
    }
}
