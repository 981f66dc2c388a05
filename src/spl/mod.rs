//! PromQL into SPL: a planner and renderer over the app's metrics index.
//!
//! Input is the syntax tree of [`crate::promql`] (which knows nothing of
//! Splunk); output is one SPL search whose results are PromQL's answer, one
//! row per series and time bucket: `_time` (the bucket's start; absent for
//! an instant query over the whole range), one field per label, and `value`.
//! Nothing here knows of Grafana or of dashboards: variables arrive as
//! [`Binding`]s and the dashboard generator ([`crate::dashboard`]) decides
//! what they are bound to.
//!
//! How a PromQL idea becomes SPL (the README's "PromQL" section has the
//! table and the harness that checks each rule against Prometheus):
//!
//! - An instant selector is each series' last sample in the 5 minutes
//!   before the bucket's end (`mstats latest(...)` by the series' labels
//!   at a finer span, each row carried into the buckets it may serve), as
//!   Prometheus takes the last sample in (T - 5m, T] at evaluation time T.
//! - `rate`, `irate` and `increase` are per-series rates computed by `mstats
//!   rate_sum` (or `rate_avg`) *before* any aggregation, never a rate of a
//!   sum. The rate window is the chart's bucket, not the PromQL range: see
//!   [`plan`] for why and what that changes.
//! - `instance` is Splunk's `host` (the Mattermost node); `job` is the `job`
//!   dimension that an input adds through its Dimensions setting.
//! - Binary operators between vectors match series on their labels: in one
//!   `mstats` with an aggregation per operand when both are scans of the
//!   same series (each row a matched pair), else with `append` + `stats ...
//!   BY _time <labels>`; with a scalar they are `eval`.
//! - `histogram_quantile` is the app's macro `mattermost_metrics_histogram_quantile`,
//!   which computes what Prometheus' bucketQuantile computes.
//!
//! Anything outside that subset is a [`CompileError`] naming the construct
//! and its position: never a search that silently computes something else.

pub mod catalog;
mod ir;
mod matcher;
mod plan;
mod render;

use std::collections::BTreeMap;
use std::fmt;

use crate::promql;

/// The time bucket of a range query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanSpec {
    /// A fixed span in seconds, for a search run as it is.
    Seconds(u64),
    /// Dashboard tokens set by the dashboard's span search: `span` holds
    /// e.g. `300s` (for `span=`), `seconds` the same number alone (for
    /// arithmetic), `lookback` the span instant selectors are read at
    /// ([`lookback_grain`], e.g. `60s`), all names without the `$`.
    Token {
        span: String,
        seconds: String,
        lookback: String,
    },
}

/// The span an instant selector's `mstats` reads its samples at, for a
/// chart span of `span_s` seconds: the longest span that divides both the
/// chart's span and [`LOOKBACK_S`] (their greatest common divisor: 60 s for
/// 2-minute buckets, 300 s for every span of 5 minutes or more), so that
/// the 5 minutes before each bucket's end are whole buckets of it
/// ([`plan`], decision 3). The macro `mattermost_metrics_span` computes the
/// same for the dashboards' `span_lookback` token.
pub fn lookback_grain(span_s: u64) -> u64 {
    let (mut a, mut b) = (span_s, LOOKBACK_S);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// What a PromQL variable (`$name`) stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A value substituted into the PromQL text where the variable stands,
    /// as Grafana substitutes before sending the query (in a regex matcher
    /// several values are written `a|b`).
    Value(String),
    /// A complete SPL predicate that replaces any label matcher whose whole
    /// value is this variable (e.g. a dashboard token that renders
    /// `(host="a" OR host="b")`). An empty string means "no filter".
    Predicate(String),
    /// A dashboard token (name without `$`) holding a number: where the
    /// variable stands for a range (`[$decay]`), the token holds seconds.
    Token(String),
    /// An SPL eval expression written where the variable stands as a
    /// number (e.g. a search macro that holds an alert's threshold,
    /// `` `mattermost_metrics_alert_x_threshold` ``), left for Splunk to
    /// expand. Not valid in a label matcher or a range.
    Spl(String),
}

/// How to compile.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bucket of a range query.
    pub span: SpanSpec,
    /// An SPL predicate added to every `mstats` (a dashboard's node filter).
    pub node_filter: Option<String>,
    /// Variables. One not bound here becomes the dashboard token `$name$`.
    pub vars: BTreeMap<String, Binding>,
    /// The macro that names the metrics index (without backquotes).
    pub index_macro: String,
    /// What a port in an `instance` matcher means. Prometheus' `instance`
    /// is `host:port`, and the port tells the endpoints of one host apart
    /// (the Mattermost server, the Calls plugin, rtcd, node_exporter); in
    /// Splunk the host is `host` and the endpoint the input's `job`
    /// dimension. Keys are the port as written after the `:` (`9100`,
    /// `$calls_metrics_port`), values the `job` it selects. Empty: a port
    /// is dropped and selects nothing more.
    pub instance_ports: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            span: SpanSpec::Seconds(120),
            node_filter: None,
            vars: BTreeMap::new(),
            index_macro: "mattermost_metrics_index".to_string(),
            instance_ports: BTreeMap::new(),
        }
    }
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The search: rows of `_time` (unless [`Query::instant`]), the fields
    /// in [`Query::labels`] and `value`.
    pub spl: String,
    /// The label fields of each result row (Splunk names: `host` for
    /// PromQL's `instance`).
    pub labels: Vec<String>,
    /// Whether the query has one answer over the whole time range (its
    /// PromQL asked for `[$__range]`) rather than one per bucket.
    pub instant: bool,
    /// What the user should know: approximations taken, metrics whose
    /// labels had to be guessed.
    pub notes: Vec<String>,
}

/// Why an expression cannot be compiled, with where in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub span: promql::ast::Span,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// Compiles a parsed expression.
pub fn compile(expr: &promql::ast::Expr, opts: &Options) -> Result<Query, CompileError> {
    let planned = plan::plan(expr, opts)?;
    Ok(Query {
        spl: render::render(&planned.rel, opts, planned.instant),
        labels: planned.rel.labels.clone(),
        instant: planned.instant,
        notes: planned.notes,
    })
}

/// Parses and compiles PromQL text; an error names the construct and its
/// line and column.
pub fn compile_str(src: &str, opts: &Options) -> anyhow::Result<Query> {
    let expr = promql::parse(src).map_err(|e| anyhow::anyhow!("{e}"))?;
    compile(&expr, opts).map_err(|e| {
        // The parser's error type places a span as line and column.
        anyhow::anyhow!("{}", promql::ParseError::at(src, e.span, e.message))
    })
}

pub use matcher::field_of as label_field;
pub use render::quote;

/// Prometheus' lookback delta, seconds: an instant selector evaluated at T
/// takes each series' last sample in (T - 5m, T], and a series without one
/// is absent at T (promql/engine.go: `defaultLookbackDelta = 5 *
/// time.Minute`; Prometheus' docs, "Staleness"). The planner emulates it
/// for instant selectors ([`plan`], decision 3) and the dashboards read this
/// much data before a chart's first bucket.
pub const LOOKBACK_S: u64 = 300;

/// What `mstats` writes in a BY field a series lacks (its `fillnull_value`).
/// PromQL reads a missing label as empty and keeps the series; `BY` would
/// drop it (Search Reference, mstats: fillnull_value), so every `mstats`
/// with a BY clause names this placeholder, which legends show as empty.
pub const ABSENT: &str = "-";
pub use plan::parse_duration_s;
