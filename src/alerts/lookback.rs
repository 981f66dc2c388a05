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
//! and the 4 before it: a sample in bucket `[b, b + 60)` is at or after
//! `E - 300` exactly when `E <= b + 300`, whatever its second within the
//! bucket. The search carries each series' bucket forward over the next 4
//! buckets and keeps, per bucket and series, the newest carried bucket:
//!
//! ```text
//! | mstats latest(x) AS value ... BY host span=60s
//! | eval lookback_from=_time, _time=mvrange(_time, _time + 300, 60)
//! | mvexpand _time
//! | eventstats max(lookback_from) AS lookback_newest BY _time host
//! | where lookback_from == lookback_newest
//! | fields - lookback_from lookback_newest
//! ```
//!
//! One `mstats` per metric still, and five rows per series and bucket at
//! most. The search reads 4 buckets more before its first evaluated bucket
//! (the samples the first evaluation may use), and the alert keeps the
//! evaluated buckets only ([`super::alert_search`]). A bucket of 300 s
//! carries nothing: its last sample is always the one Prometheus uses at
//! its end.
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

use anyhow::{ensure, Result};
use once_cell::sync::Lazy;
use regex::Regex;

/// Prometheus' default lookback delta, seconds.
pub const LOOKBACK_S: u64 = 300;

/// An instant selector as the compiler renders it: `mstats latest(..)`,
/// its BY list and span.
static LATEST: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"^mstats (?:fillnull_value="[^"]*" )?latest\([^)]*\) AS value WHERE .*?(?: BY (?P<by>[^=]+?))? span=(?P<span>\d+)s$"#,
    )
    .expect("a valid regex")
});

/// `spl` with the lookback stages after every `mstats latest(...)` of
/// `bucket_s` buckets, and the seconds the search must read before its
/// first evaluated bucket for them (0 when nothing is carried).
///
/// The compiler writes one command a line, `| ` first, indented by two
/// spaces per subsearch level; a subsearch starts `append [| mstats ...`
/// on its parent's line and ends with `]` on its last command's line.
pub fn carry_last_samples(spl: &str, bucket_s: u64) -> Result<(String, u64)> {
    ensure!(
        bucket_s > 0 && LOOKBACK_S.is_multiple_of(bucket_s),
        "a bucket of {bucket_s} s does not divide the lookback of {LOOKBACK_S} s"
    );
    let carried = LOOKBACK_S / bucket_s - 1;
    if carried == 0 {
        return Ok((spl.to_string(), 0));
    }
    let mut out: Vec<String> = Vec::new();
    let mut found = false;
    for line in spl.lines() {
        let Some(at) = line.find("| mstats ") else {
            out.push(line.to_string());
            continue;
        };
        let closing = line.len() - line.trim_end_matches(']').len();
        let command = &line[at + 2..line.len() - closing];
        let Some(m) = LATEST.captures(command) else {
            out.push(line.to_string());
            continue;
        };
        ensure!(
            m["span"].parse::<u64>().ok() == Some(bucket_s),
            "`{command}`: not the alert's bucket of {bucket_s} s"
        );
        found = true;
        let indent = line.len() - line.trim_start().len();
        let depth = indent / 2 + usize::from(line[..at].contains("append ["));
        let sep = format!("{}| ", "  ".repeat(depth));
        let by: Vec<&str> = std::iter::once("_time")
            .chain(m.name("by").map_or("", |b| b.as_str()).split_whitespace())
            .collect();
        out.push(line[..line.len() - closing].to_string());
        for stage in [
            format!(
                "eval lookback_from=_time, _time=mvrange(_time, _time + {LOOKBACK_S}, {bucket_s})"
            ),
            "mvexpand _time".to_string(),
            format!(
                "eventstats max(lookback_from) AS lookback_newest BY {}",
                by.join(" ")
            ),
            "where lookback_from == lookback_newest".to_string(),
            "fields - lookback_from lookback_newest".to_string(),
        ] {
            out.push(format!("{sep}{stage}"));
        }
        if closing > 0 {
            let last = out.last_mut().expect("a stage was written");
            last.push_str(&"]".repeat(closing));
        }
    }
    let lead = if found { carried * bucket_s } else { 0 };
    Ok((out.join("\n"), lead))
}
