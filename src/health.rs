//! The data points every scrape writes about itself, whichever front end
//! runs it (the modular input, the HEC sender): whether it worked, how long
//! it took, and what became of the samples. One list, so the dashboards
//! read both modes alike.

use crate::convert::{ConvertStats, DataPoint, Dimension, Text};
use crate::exposition::Report;

/// The prefix of the health metrics every run emits about itself.
pub const PREFIX: &str = "mattermost_metrics.";

/// The health metrics, with what each means (documented in docs/inputs.md).
pub const METRICS: &[(&str, &str)] = &[
    (
        "up",
        "1 if the scrape succeeded (an HTTP 200 with Prometheus or OpenMetrics text), else 0",
    ),
    (
        "scrape_duration_seconds",
        "time from the start of the request to the end of the body",
    ),
    ("scrape_bytes", "bytes of the body, after decompression"),
    ("samples_scraped", "samples parsed from the body"),
    ("samples_emitted", "data points written to Splunk"),
    (
        "samples_nonfinite",
        "samples skipped because their value was NaN or infinite",
    ),
    (
        "samples_filtered",
        "samples dropped by the Include / Exclude patterns",
    ),
    (
        "samples_created",
        "_created samples dropped (metadata, not measurements)",
    ),
    (
        "samples_oversized",
        "data points dropped because their event would be longer than props.conf's TRUNCATE (65,536 bytes), which would cut it (modular input only: HEC's JSON is not cut)",
    ),
    (
        "samples_out_of_bounds",
        "samples dropped because their own timestamp is more than 10 minutes after or 1 hour before the scrape (Prometheus' storage refuses them as out of bounds)",
    ),
    (
        "parse_errors",
        "lines of the body that could not be parsed (skipped)",
    ),
    (
        "truncated",
        "1 if an OpenMetrics body ended without # EOF, else 0",
    ),
];

/// What one scrape measured.
#[derive(Clone, Debug, Default)]
pub struct ScrapeHealth {
    pub up: bool,
    pub duration_s: f64,
    /// Bytes of the body after decompression.
    pub bytes: u64,
    pub report: Report,
    pub stats: ConvertStats,
    /// Data points not written because their event was too long.
    pub oversized: u64,
}

impl ScrapeHealth {
    /// The value of each of [`METRICS`], in its order.
    pub fn values(&self) -> [f64; 12] {
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        [
            b(self.up),
            self.duration_s,
            self.bytes as f64,
            self.report.samples as f64,
            self.stats.emitted.saturating_sub(self.oversized) as f64,
            self.stats.skipped_nonfinite as f64,
            self.stats.dropped_filtered as f64,
            self.stats.dropped_created as f64,
            self.oversized as f64,
            self.stats.dropped_out_of_bounds as f64,
            self.report.errors as f64,
            b(self.report.truncated),
        ]
    }
}

/// Hands `emit` one data point per `(metric, value)`, named under
/// [`PREFIX`], at `time_ms`, with the input's extra dimensions.
pub fn data_points<'m>(
    values: impl IntoIterator<Item = (&'m str, f64)>,
    time_ms: i64,
    extra_dimensions: &[(String, String)],
    mut emit: impl FnMut(&DataPoint<'_>),
) {
    let dims: Vec<Dimension<'_>> = extra_dimensions
        .iter()
        .map(|(n, v)| Dimension {
            name: Text::Borrowed(n),
            value: Text::Borrowed(v),
        })
        .collect();
    let mut name = String::with_capacity(64);
    for (metric, value) in values {
        name.clear();
        name.push_str(PREFIX);
        name.push_str(metric);
        emit(&DataPoint {
            metric_name: &name,
            value,
            time_ms,
            dimensions: &dims,
        });
    }
}

/// What a parse of a scrape says an operator should hear, and whether the
/// scrape counts as up: a body with lines but not one sample was not
/// metrics at all (an error page served as text/plain).
pub struct Verdict {
    pub up: bool,
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

pub fn judge(report: &Report, stats: &ConvertStats, url: &str) -> Verdict {
    let mut warnings = Vec::new();
    if stats.dropped_filtered > 0 && stats.emitted == 0 {
        warnings.push(format!(
            "the Include / Exclude patterns dropped all {} samples of {url}: nothing but the \
             health data points is sent. A pattern is a regular expression matched against the \
             whole Prometheus name: mattermost_.* keeps every Mattermost metric, the glob \
             mattermost_* keeps none",
            stats.dropped_filtered
        ));
    }
    if report.errors > 0 {
        let first = report
            .first_errors
            .first()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let lines = if report.errors == 1 { "line" } else { "lines" };
        warnings.push(format!(
            "{} {lines} of {url} could not be parsed and were skipped (first: {first})",
            report.errors
        ));
    }
    if stats.dropped_out_of_bounds > 0 {
        // No count in the text: the HEC sender says a lasting warning once
        // (by its text); the count is in samples_out_of_bounds.
        warnings.push(format!(
            "samples of {url} carry their own timestamps {}, as Prometheus' storage refuses \
             them: they are dropped and counted in mattermost_metrics.samples_out_of_bounds (is \
             the node's clock right?)",
            out_of_bounds()
        ));
    }
    if report.truncated {
        warnings.push(format!(
            "the OpenMetrics body from {url} ended without # EOF: it was cut short"
        ));
    }
    let not_metrics = report.samples == 0 && report.errors > 0;
    Verdict {
        up: !not_metrics,
        warnings,
        error: not_metrics.then(|| format!("{url} did not answer with Prometheus metrics")),
    }
}

/// The bounds of a sample's own timestamp, in words.
fn out_of_bounds() -> String {
    use crate::convert::{MAX_AHEAD_MS, MAX_BEHIND_MS};
    format!(
        "more than {} minutes after or {} hour before the scrape",
        MAX_AHEAD_MS / 60_000,
        MAX_BEHIND_MS / 3_600_000
    )
}

/// [`METRICS`] with the values of `h`.
pub fn scrape_values(h: &ScrapeHealth) -> impl Iterator<Item = (&'static str, f64)> {
    METRICS.iter().map(|(m, _)| *m).zip(h.values())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_metric() {
        assert_eq!(METRICS.len(), ScrapeHealth::default().values().len());
        let mut names = Vec::new();
        data_points(scrape_values(&ScrapeHealth::default()), 0, &[], |dp| {
            names.push(dp.metric_name.to_string())
        });
        assert_eq!(names.len(), METRICS.len());
        assert!(names.iter().all(|n| n.starts_with(PREFIX)));
    }

    #[test]
    fn the_bounds_are_said_as_the_converter_applies_them() {
        let (_, meaning) = METRICS
            .iter()
            .find(|(m, _)| *m == "samples_out_of_bounds")
            .unwrap();
        assert!(meaning.contains(&out_of_bounds()), "{meaning}");
    }
}
