//! A parsed sample into a Splunk metric data point.
//!
//! Everything Splunk requires of a data point that Prometheus does not
//! guarantee is decided here, and only here:
//! - the metric name and dimension names are mapped onto Splunk's naming
//!   rules ([`names`]);
//! - label values are kept exactly (what the event text cannot carry is
//!   the emitter's business, [`crate::emit::event_text::write_value`]);
//!   empty values are dropped, as Prometheus treats an empty label as an
//!   absent one;
//! - `le` and `quantile` values are written in one canonical form
//!   ([`float::canonical_bound`]) so one bucket has one dimension value
//!   whichever format the target spoke;
//! - NaN and infinite values are skipped (Splunk's indexer rejects them)
//!   and counted; `_created` samples are metadata and dropped by default;
//! - the time is the sample's own, else the scrape's; a sample whose own
//!   time is far from the scrape's is dropped and counted, as Prometheus'
//!   storage refuses it ([`MAX_AHEAD_MS`], [`MAX_BEHIND_MS`]).
//!
//! The converter reuses one dimension vector for every sample; names and
//! values are borrowed from the sample unless they had to change.

pub mod float;
pub mod names;

use std::borrow::Cow;

use regex::Regex;

use crate::exposition::{Sample, Suffix};
pub use float::InlineStr;

/// A piece of text in a data point: borrowed from the scrape, kept inline
/// (canonical bucket bounds), or owned (a name or value that had to change).
#[derive(Clone, Debug)]
pub enum Text<'a> {
    Borrowed(&'a str),
    Inline(InlineStr),
    Owned(String),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Inline(s) => s.as_str(),
            Text::Owned(s) => s,
        }
    }
}

impl<'a> From<Cow<'a, str>> for Text<'a> {
    fn from(c: Cow<'a, str>) -> Self {
        match c {
            Cow::Borrowed(s) => Text::Borrowed(s),
            Cow::Owned(s) => Text::Owned(s),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Dimension<'a> {
    pub name: Text<'a>,
    pub value: Text<'a>,
}

/// One Splunk metric data point.
#[derive(Debug)]
pub struct DataPoint<'a> {
    pub metric_name: &'a str,
    /// Always finite.
    pub value: f64,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
    pub dimensions: &'a [Dimension<'a>],
}

/// How far ahead of the scrape a sample's own timestamp may be: Prometheus'
/// scrape loop refuses samples more than 10 minutes in the future
/// (`maxAheadTime`, storage.ErrOutOfBounds).
pub const MAX_AHEAD_MS: i64 = 10 * 60 * 1000;
/// How far behind the scrape a sample's own timestamp may be: Prometheus'
/// head block refuses samples older than half its 2-hour block range
/// before its newest (storage.ErrOutOfBounds), which a live server puts
/// at about an hour before the scrape.
pub const MAX_BEHIND_MS: i64 = 60 * 60 * 1000;

/// What the converter did with the samples it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConvertStats {
    pub emitted: u64,
    /// NaN and ±Inf values, which Splunk cannot store.
    pub skipped_nonfinite: u64,
    /// `_created` samples (metadata, not measurements).
    pub dropped_created: u64,
    /// Samples whose name the include / exclude patterns ruled out.
    pub dropped_filtered: u64,
    /// Labels dropped because an earlier label of the same sample maps to
    /// the same dimension name.
    pub dropped_dimensions: u64,
    /// Samples whose own timestamp is more than [`MAX_AHEAD_MS`] after or
    /// [`MAX_BEHIND_MS`] before the scrape (with
    /// [`ConvertOptions::drop_out_of_bounds`]).
    pub dropped_out_of_bounds: u64,
}

#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// Keep `_created` samples as data points.
    pub keep_created: bool,
    /// Keep only samples whose (Prometheus) name matches.
    pub include: Option<Regex>,
    /// Then drop samples whose name matches.
    pub exclude: Option<Regex>,
    /// Static dimensions added to every data point (names already valid).
    /// A label of the same name is renamed with the `exported_` prefix.
    pub extra_dimensions: Vec<(String, String)>,
    /// Drop samples whose own timestamp is out of Prometheus' bounds around
    /// the scrape time (the front ends that scrape; not the `convert`
    /// command, which reads saved bodies of any age).
    pub drop_out_of_bounds: bool,
}

pub struct Converter {
    opts: ConvertOptions,
    stats: ConvertStats,
    /// Reused for every sample; empty between calls.
    dims: Vec<Dimension<'static>>,
    /// The filters' verdict on the last name seen: the samples of a
    /// family come together, so this saves most regex runs.
    last_name: String,
    last_keep: bool,
    memo: NameMemo,
}

/// The names of the previous sample that already obeyed Splunk's rules.
/// Consecutive samples (a histogram's buckets, a family's series) repeat
/// their metric and label names, so one comparison replaces most checks.
#[derive(Default)]
struct NameMemo {
    metric: String,
    /// By label position; empty where the label's name had to change.
    labels: Vec<String>,
}

impl NameMemo {
    fn metric_name<'a>(&mut self, name: &'a str) -> Cow<'a, str> {
        if name == self.metric {
            return Cow::Borrowed(name);
        }
        let mapped = names::metric_name(name);
        self.metric.clear();
        if matches!(mapped, Cow::Borrowed(_)) {
            self.metric.push_str(name);
        }
        mapped
    }

    fn dimension_name<'a>(&mut self, i: usize, name: &'a str) -> Text<'a> {
        if self.labels.get(i).is_some_and(|known| known == name) {
            return Text::Borrowed(name);
        }
        if self.labels.len() <= i {
            self.labels.resize_with(i + 1, String::new);
        }
        let mapped = names::dimension_name(name);
        let slot = &mut self.labels[i];
        slot.clear();
        if matches!(mapped, Text::Borrowed(_)) {
            slot.push_str(name);
        }
        mapped
    }
}

impl Converter {
    pub fn new(opts: ConvertOptions) -> Self {
        Converter {
            opts,
            stats: ConvertStats::default(),
            dims: Vec::with_capacity(16),
            last_name: String::new(),
            last_keep: true,
            memo: NameMemo::default(),
        }
    }

    fn keep(&mut self, name: &str) -> bool {
        if self.opts.include.is_none() && self.opts.exclude.is_none() {
            return true;
        }
        if name != self.last_name {
            self.last_name.clear();
            self.last_name.push_str(name);
            self.last_keep = self.opts.include.as_ref().is_none_or(|r| r.is_match(name))
                && !self.opts.exclude.as_ref().is_some_and(|r| r.is_match(name));
        }
        self.last_keep
    }

    pub fn stats(&self) -> ConvertStats {
        self.stats
    }

    /// Converts one sample and hands the data point to `emit`, unless the
    /// sample is not to be sent (non-finite, `_created`). `scrape_time_ms`
    /// is the time of samples that carry no timestamp of their own.
    pub fn convert<F>(&mut self, s: &Sample<'_>, scrape_time_ms: i64, emit: F)
    where
        F: FnOnce(&DataPoint<'_>),
    {
        if !self.keep(s.name) {
            self.stats.dropped_filtered += 1;
            return;
        }
        if s.suffix == Suffix::Created && !self.opts.keep_created {
            self.stats.dropped_created += 1;
            return;
        }
        if !s.value.is_finite() {
            self.stats.skipped_nonfinite += 1;
            return;
        }
        if self.opts.drop_out_of_bounds
            && s.timestamp_ms.is_some_and(|t| {
                t > scrape_time_ms.saturating_add(MAX_AHEAD_MS)
                    || t < scrape_time_ms.saturating_sub(MAX_BEHIND_MS)
            })
        {
            self.stats.dropped_out_of_bounds += 1;
            return;
        }
        let metric_name = self.memo.metric_name(s.name);
        let mut dims = reuse(std::mem::take(&mut self.dims));
        let mut any_changed = false;
        for (i, l) in s.label_list().iter().enumerate() {
            if l.value.is_empty() {
                continue;
            }
            let value = match &*l.name {
                "le" | "quantile" => match float::canonical_bound_text(&l.value) {
                    Some(b) => Text::Inline(b),
                    None => Text::Borrowed(&l.value),
                },
                _ => Text::Borrowed(&l.value),
            };
            let mut name = self.memo.dimension_name(i, &l.name);
            if self.opts.extra_dimensions.iter().any(|(n, _)| *n == *name) {
                name = Text::Owned(format!("{}{}", names::DIMENSION_PREFIX, &*name));
            }
            // Two labels whose names map to one dimension name (`a-b` and
            // `a_b`, `host` and `exported_host`): the first one is kept.
            // Label names are unique (the parser checks), so only a name
            // that was changed, or that meets a changed one, can collide.
            let changed = !matches!(name, Text::Borrowed(_));
            if (changed || any_changed) && dims.iter().any(|d| *d.name == *name) {
                self.stats.dropped_dimensions += 1;
                continue;
            }
            any_changed |= changed;
            dims.push(Dimension { name, value });
        }
        for (n, v) in &self.opts.extra_dimensions {
            dims.push(Dimension {
                name: Text::Borrowed(n),
                value: Text::Borrowed(v),
            });
        }
        emit(&DataPoint {
            metric_name: &metric_name,
            value: s.value,
            time_ms: s.timestamp_ms.unwrap_or(scrape_time_ms),
            dimensions: &dims,
        });
        self.stats.emitted += 1;
        self.dims = reuse(dims);
    }
}

/// Empties a vector and gives back its allocation for elements of another
/// lifetime. The standard library collects `into_iter().map().collect()`
/// in place when the element layouts match, so no memory is allocated: this
/// lets one scratch vector serve samples borrowed from different buffers.
fn reuse<'b>(mut v: Vec<Dimension<'_>>) -> Vec<Dimension<'b>> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}
