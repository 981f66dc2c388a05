//! Dashboards as data: a panel spec per Grafana panel (title, PromQL,
//! legend, unit, layout) and one generator that compiles each PromQL
//! through [`crate::spl`] and writes SimpleXML.
//!
//! The specs live in `dashboards/specs/*.json`; the generated XML beside
//! them (`dashboards/*.xml`) is committed so a reviewer reads what Splunk
//! runs, and `tests/dashboards_generated.rs` fails when it differs from
//! what this module writes (`scripts/dashboards` rewrites it).
//!
//! Grafana's notions end here: its variables become [`crate::spl::Binding`]s
//! and Splunk tokens, its legends the `series` field of each chart, its
//! aligned steps the whole buckets a chart keeps ([`whole_buckets_stage`]).
//!
//! The rooms: `spec` (the spec types, read and checked), `search` (a
//! panel's targets compiled and joined into its search), `legend` (how a
//! series is named), `load` and `share` (what one dashboard load
//! dispatches, and the scans panels share), `sources` (the probes of the
//! endpoints a dashboard reads), `xml` (the SimpleXML and the nav).

mod legend;
mod load;
mod search;
mod share;
mod sources;
mod spec;
mod xml;

pub use legend::{legend_eval, legend_text, variables_as_tokens, SERVER_JOB};
pub use load::{merge_post_process, Dispatch, Load, Range, Role, Run, REFRESH_S};
pub use search::{
    chart_earliest, quoted_value_expr, warmup_s, whole_buckets_stage, PanelQuery, CHOICE_VALUE,
    SERVER_FILTER_MACRO,
};
pub use sources::{Source, SOURCES};
pub use spec::{
    hand_written, load_all, GrafanaRef, Panel, PanelKind, Reduce, Row, Spec, Target, Variable,
    VariableKind,
};
pub use xml::{write_nav, write_xml, DEFAULT_VIEW};

/// Token names the generated dashboards use.
pub const NODE_TOKEN: &str = "host";
pub const SPAN_TOKEN: &str = "span";
pub const SPAN_SECONDS_TOKEN: &str = "span_s";
/// The span instant selectors read their samples at ([`crate::spl::lookback_grain`]).
pub const SPAN_LOOKBACK_TOKEN: &str = "span_lookback";
/// Where a chart's search starts ([`chart_earliest`]).
pub const CHART_EARLIEST_TOKEN: &str = "chart_earliest";
