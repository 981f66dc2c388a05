//! The Prometheus exposition formats: text 0.0.4 and OpenMetrics 1.0 text.
//!
//! This module knows nothing of Splunk. It turns a scrape body into a
//! sequence of [`Sample`]s, handed one at a time to a callback, and a
//! [`Report`] of what it saw. Names and label values are borrowed from the
//! scrape buffer; only a value that contains an escape (or invalid UTF-8) is
//! copied. The label list is a scratch vector reused for every line, so a
//! scrape is parsed without an allocation per sample.
//!
//! Two modes:
//! - lenient (the default): a line that cannot be parsed is skipped, counted
//!   and, for the first few, reported with its line number and reason; the
//!   other samples are kept. A scrape never fails as a whole.
//! - strict: the first violation of the format's specification fails the
//!   whole scrape. Strict mode also checks the rules that span lines
//!   (metadata order, family grouping, histogram buckets, ...), see
//!   [`validate`].

mod number;
mod parser;
mod validate;

use std::borrow::Cow;
use std::fmt;

pub use number::{parse_timestamp, parse_value};

/// Which text format a scrape is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
    Prometheus,
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
}

impl Format {
    /// The format named by an HTTP `Content-Type`, or `None` for a media
    /// type that is neither (an HTML error page, JSON, protobuf).
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("application/openmetrics-text") {
            Some(Format::OpenMetrics)
        } else if mime.eq_ignore_ascii_case("text/plain") || mime.is_empty() {
            Some(Format::Prometheus)
        } else {
            None
        }
    }

    /// Guesses the format of a file: OpenMetrics ends with `# EOF`
    /// (optionally followed by a newline); anything else is read as 0.0.4.
    pub fn detect(input: &[u8]) -> Format {
        let mut end = input.len();
        while end > 0 && matches!(input[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        if input[..end].ends_with(b"# EOF") {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Prometheus => "prometheus",
            Format::OpenMetrics => "openmetrics",
        }
    }
}

/// The type a metric family declares with `# TYPE` (or `Unknown` when it
/// declares none; 0.0.4's `untyped` is the same thing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Unknown,
}

impl MetricType {
    fn from_token(tok: &[u8], format: Format) -> Option<MetricType> {
        Some(match (tok, format) {
            (b"counter", _) => MetricType::Counter,
            (b"gauge", _) => MetricType::Gauge,
            (b"histogram", _) => MetricType::Histogram,
            (b"summary", _) => MetricType::Summary,
            (b"untyped", Format::Prometheus) => MetricType::Unknown,
            (b"unknown", Format::OpenMetrics) => MetricType::Unknown,
            (b"gaugehistogram", Format::OpenMetrics) => MetricType::GaugeHistogram,
            (b"info", Format::OpenMetrics) => MetricType::Info,
            (b"stateset", Format::OpenMetrics) => MetricType::StateSet,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }
}

/// What a sample is within its family, from the suffix of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Suffix {
    /// The sample's name is the family's name (gauges, unknown, summary
    /// quantiles, statesets, and every 0.0.4 counter).
    None,
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    GCount,
    GSum,
    Info,
}

impl Suffix {
    fn text(self) -> &'static str {
        match self {
            Suffix::None => "",
            Suffix::Total => "_total",
            Suffix::Created => "_created",
            Suffix::Bucket => "_bucket",
            Suffix::Count => "_count",
            Suffix::Sum => "_sum",
            Suffix::GCount => "_gcount",
            Suffix::GSum => "_gsum",
            Suffix::Info => "_info",
        }
    }
}

/// One label, unescaped. Borrowed from the scrape unless it had to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// One sample line, as handed to the callback of [`parse`].
#[derive(Debug)]
pub struct Sample<'a> {
    /// The sample's full name (with its suffix: `_bucket`, `_total`, ...).
    pub name: &'a str,
    /// The name of the family it belongs to.
    pub family: &'a str,
    pub metric_type: MetricType,
    pub suffix: Suffix,
    pub value: f64,
    /// The sample's own timestamp in milliseconds since the epoch, if the
    /// line had one.
    pub timestamp_ms: Option<i64>,
    /// The line number (1-based) in the scrape.
    pub line: usize,
    label_list: &'a [Label<'a>],
}

impl<'a> Sample<'a> {
    /// The sample's labels in the order the line wrote them.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.label_list
            .iter()
            .map(|l| (l.name.as_ref(), l.value.as_ref()))
    }

    pub fn label_list(&self) -> &[Label<'a>] {
        self.label_list
    }

    /// The value of the label `name`, if the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.label_list
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_ref())
    }
}

/// Parser settings.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    pub format: Format,
    /// Reject the whole scrape at the first error instead of skipping the line.
    pub strict: bool,
    /// How many errors a lenient parse keeps in [`Report::first_errors`].
    pub max_reported_errors: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            format: Format::Prometheus,
            strict: false,
            max_reported_errors: 5,
        }
    }
}

/// Why a line (or, strict, the scrape) was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based number of the offending line. A missing `# EOF` is
    /// reported on the line after the last one.
    pub line: usize,
    pub reason: Cow<'static, str>,
}

impl ParseError {
    pub(crate) fn new(line: usize, reason: impl Into<Cow<'static, str>>) -> Self {
        ParseError {
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for ParseError {}

/// What a parse saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Samples handed to the callback.
    pub samples: usize,
    /// Lines read.
    pub lines: usize,
    /// Lines skipped because they could not be parsed (lenient mode).
    pub errors: usize,
    /// The first few of those errors, in order.
    pub first_errors: Vec<ParseError>,
    /// An OpenMetrics scrape that ended without `# EOF`: the body was cut
    /// short, and what it held may be incomplete.
    pub truncated: bool,
}

/// Parses a whole scrape, calling `on_sample` once per sample in order.
///
/// Lenient mode returns `Ok` whatever the input (bad lines are in the
/// report); strict mode returns the first error.
pub fn parse<F>(input: &[u8], opts: &ParseOptions, on_sample: F) -> Result<Report, ParseError>
where
    F: FnMut(&Sample<'_>),
{
    parser::Parser::new(input, opts).run(on_sample)
}
