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

mod load;
mod share;
mod sources;
mod xml;

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::spl::{self, Binding, Options, SpanSpec};

pub use load::{merge_post_process, Dispatch, Load, Range, Role, Run, REFRESH_S};
pub use sources::{Source, SOURCES};
pub use xml::{write_nav, write_xml, DEFAULT_VIEW};

/// One dashboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The view's file name, without `.xml`.
    pub id: String,
    pub label: String,
    /// The app menu's group: Server, Clients or Calls.
    pub group: String,
    pub description: String,
    pub grafana: GrafanaRef,
    /// What the port of an `instance` matcher selects (see
    /// [`crate::spl::Options::instance_ports`]); empty for dashboards of the
    /// Mattermost server's own endpoint.
    #[serde(default)]
    pub instance_ports: BTreeMap<String, String>,
    #[serde(default)]
    pub variables: Vec<Variable>,
    pub rows: Vec<Row>,
}

/// Which Grafana dashboard this one reproduces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaRef {
    pub title: String,
    pub uid: String,
    pub gnet_id: Option<u64>,
}

/// A Grafana template variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    pub kind: VariableKind,
    #[serde(default)]
    pub label: Option<String>,
    /// `query`: the PromQL whose results give the values.
    #[serde(default)]
    pub query: Option<String>,
    /// `query`, `values`: the label whose values the variable takes.
    #[serde(default)]
    pub field: Option<String>,
    /// `values`: the metric whose label values are offered.
    #[serde(default)]
    pub metric: Option<String>,
    /// `nodes`: only hosts with data of this endpoint (`job` dimension).
    #[serde(default)]
    pub job: Option<String>,
    /// `nodes`: only hosts matching this wildcard (Grafana's regex on
    /// `label_values(instance)`, e.g. `*offloader*`).
    #[serde(default)]
    pub host_pattern: Option<String>,
    /// `custom`, `interval`: the choices (`interval`: as Grafana writes
    /// them, `30m`), the first one the default unless `default` says.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub default: Option<String>,
    /// `custom`: several values at once (a regex alternation).
    #[serde(default)]
    pub multi: bool,
    /// `constant`: its value.
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    /// `label_values(instance)`: Mattermost nodes, Splunk's `host`; a
    /// multiselect. Without `job`: the dashboard's node filter, applied to
    /// every search.
    Nodes,
    /// `query_result(...)` filtered by a label: a hidden search sets the
    /// token to a filter on that label's values.
    Query,
    /// `label_values(metric, label)`: a multiselect of the label's values.
    Values,
    /// A fixed list of values: a dropdown (a multiselect when `multi`).
    Custom,
    /// A fixed list of durations (used as a range): a dropdown whose token
    /// holds seconds.
    Interval,
    /// A fixed value (Grafana fills it at import): compiled in.
    Constant,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// Empty for the panels of a dashboard without rows.
    pub title: String,
    pub panels: Vec<Panel>,
}

/// How a panel is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    /// A line chart over time.
    #[default]
    Timeseries,
    /// Columns over time (Grafana's barchart of a time series).
    Columns,
    /// Histogram buckets over time, per bucket (Grafana's heatmap of
    /// `format: heatmap` data: cumulative `le` buckets shown per bucket).
    Heatmap,
    /// One number per series over the range (Grafana's stat).
    Stat,
    /// One bar per series over the range (Grafana's bar gauge).
    Bar,
    /// One slice per series over the range.
    Pie,
}

impl PanelKind {
    /// Whether the panel shows one value per series (reduced over the range).
    pub fn reduces(self) -> bool {
        matches!(self, PanelKind::Stat | PanelKind::Bar | PanelKind::Pie)
    }
}

/// How a stat, bar or pie panel reduces a series to one number (Grafana's
/// reduceOptions.calcs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduce {
    /// The last value (lastNotNull).
    Last,
    /// The last value minus the first.
    Diff,
    Mean,
    Max,
    Sum,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub title: String,
    #[serde(default)]
    pub kind: PanelKind,
    /// Grafana's unit (`short`, `s`, `decbytes`, ...).
    pub unit: String,
    /// The y-axis title.
    pub y_axis: String,
    /// `linear` or `log` (Grafana's log2 is drawn as Splunk's log10).
    pub scale: String,
    /// `connect` (Grafana's spanNulls) or `gaps`.
    pub nulls: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Stat, bar and pie panels: how a series becomes one number.
    #[serde(default)]
    pub reduce: Option<Reduce>,
    /// Grafana's `format: heatmap`: cumulative `le` buckets shown per
    /// bucket (each bucket's count less the one below it).
    #[serde(default)]
    pub buckets: bool,
    /// What this app says of the panel beyond Grafana's description (where
    /// it differs from Grafana, or Grafana's panel misleads).
    #[serde(default)]
    pub note: Option<String>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Grafana's refId: the series name of a labelless target without a
    /// legend, and what a `math` target refers to (`$Sent`).
    #[serde(default, rename = "ref")]
    pub refid: Option<String>,
    /// The PromQL.
    #[serde(default)]
    pub expr: Option<String>,
    /// A Grafana math expression over other targets (`$Acked/$Sent`): the
    /// same arithmetic in PromQL over their expressions.
    #[serde(default)]
    pub math: Option<String>,
    /// Grafana's legend format: text with `{{label}}` references.
    pub legend: String,
    #[serde(default)]
    pub hidden: bool,
    /// Why this Grafana target is not drawn (an upstream mistake: a metric
    /// no source defines). Kept in the spec so the panel stays Grafana's.
    #[serde(default)]
    pub omit: Option<String>,
}

impl Spec {
    pub fn from_json(text: &str) -> Result<Spec> {
        let spec: Spec = serde_json::from_str(text)?;
        spec.check()?;
        Ok(spec)
    }

    pub fn load(path: &std::path::Path) -> Result<Spec> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Spec::from_json(&text).with_context(|| format!("in {}", path.display()))
    }

    fn check(&self) -> Result<()> {
        if !matches!(self.group.as_str(), "Server" | "Clients" | "Calls") {
            bail!(
                "group must be Server, Clients or Calls, not {:?}",
                self.group
            );
        }
        for v in &self.variables {
            let ok = match v.kind {
                VariableKind::Query => v.query.is_some() && v.field.is_some(),
                VariableKind::Values => v.metric.is_some() && v.field.is_some(),
                VariableKind::Custom | VariableKind::Interval => !v.options.is_empty(),
                VariableKind::Constant => v.value.is_some(),
                VariableKind::Nodes => true,
            };
            if !ok {
                bail!("variable {}: incomplete for its kind {:?}", v.name, v.kind);
            }
            if v.kind == VariableKind::Interval {
                for o in &v.options {
                    if crate::spl::parse_duration_s(o).is_none() {
                        bail!("variable {}: {o:?} is not a duration", v.name);
                    }
                }
            }
        }
        for p in self.panels() {
            if !matches!(p.scale.as_str(), "linear" | "log") {
                bail!("panel {:?}: scale must be linear or log", p.title);
            }
            if !matches!(p.nulls.as_str(), "connect" | "gaps") {
                bail!("panel {:?}: nulls must be connect or gaps", p.title);
            }
            if p.targets.is_empty() {
                bail!("panel {:?} has no target", p.title);
            }
            if p.kind.reduces() != p.reduce.is_some() {
                bail!(
                    "panel {:?}: `reduce` goes with stat, bar and pie panels",
                    p.title
                );
            }
            for t in &p.targets {
                if t.expr.is_some() == t.math.is_some() {
                    bail!("panel {:?}: a target has either `expr` or `math`", p.title);
                }
            }
        }
        Ok(())
    }

    pub fn panels(&self) -> impl Iterator<Item = &Panel> {
        self.rows.iter().flat_map(|r| r.panels.iter())
    }

    /// The variable that is the dashboard's node filter, if any.
    pub fn node_variable(&self) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.kind == VariableKind::Nodes && v.job.is_none())
    }

    /// The token a variable's input sets.
    pub fn token_of(&self, v: &Variable) -> String {
        if v.kind == VariableKind::Nodes && v.job.is_none() {
            NODE_TOKEN.to_string()
        } else {
            v.name.clone()
        }
    }

    /// The filter every search of this dashboard carries: the node
    /// selection, and for dashboards of the Mattermost server's endpoint
    /// the macro that leaves out the other endpoints' data (the Calls
    /// plugin's own Go runtime series share the server's host).
    pub fn node_filter(&self) -> Option<String> {
        let server = self
            .instance_ports
            .is_empty()
            .then(|| format!("`{SERVER_FILTER_MACRO}`"));
        let node = self
            .node_variable()
            .map(|v| format!("${}$", self.token_of(v)));
        match (node, server) {
            (Some(n), Some(s)) => Some(format!("{n} AND {s}")),
            (n, s) => n.or(s),
        }
    }

    /// How the panels' PromQL is compiled in this dashboard.
    pub fn options(&self) -> Options {
        let mut vars = BTreeMap::new();
        for v in &self.variables {
            let token = format!("${}$", self.token_of(v));
            let binding = match v.kind {
                // The node filter is in every search already.
                VariableKind::Nodes if v.job.is_none() => Binding::Predicate(String::new()),
                VariableKind::Nodes | VariableKind::Query | VariableKind::Values => {
                    Binding::Predicate(token)
                }
                // A custom value is text in the PromQL (a number, or a regex
                // alternation for a multi-value one): an unbound variable,
                // which the compiler writes as the token.
                VariableKind::Custom => continue,
                VariableKind::Interval => Binding::Token(self.token_of(v)),
                VariableKind::Constant => Binding::Value(v.value.clone().unwrap_or_default()),
            };
            vars.insert(v.name.clone(), binding);
        }
        Options {
            span: SpanSpec::Token {
                span: SPAN_TOKEN.into(),
                seconds: SPAN_SECONDS_TOKEN.into(),
                lookback: SPAN_LOOKBACK_TOKEN.into(),
            },
            node_filter: self.node_filter(),
            vars,
            instance_ports: self.instance_ports.clone(),
            ..Options::default()
        }
    }

    /// The search that sets a query variable's token to
    /// `(field="a" OR field="b" ...)`.
    pub fn variable_search(&self, v: &Variable) -> Result<String> {
        let (Some(query), Some(field)) = (&v.query, &v.field) else {
            bail!("variable {} is not a query variable", v.name);
        };
        let q = spl::compile_str(query, &self.options())
            .with_context(|| format!("variable {}", v.name))?;
        let f = spl::label_field(field);
        if !q.labels.contains(&f) {
            bail!(
                "variable {}: its query's results have no label {field}",
                v.name
            );
        }
        Ok(format!(
            "{}\n| eval filter_term=\"{f}=\\\"\" . {} . \"\\\"\"\n| stats values(filter_term) AS filter_terms\n| eval filter=\"(\" . coalesce(mvjoin(filter_terms, \" OR \"), \"{f}=\\\"\\\"\") . \")\"",
            q.spl,
            quoted_value_expr(&f)
        ))
    }

    /// The search that fills a `nodes` or `values` variable's choices.
    pub fn choices_search(&self, v: &Variable) -> Option<String> {
        let index = "`mattermost_metrics_index`";
        match v.kind {
            VariableKind::Nodes => {
                let mut filter = String::new();
                match &v.job {
                    Some(job) => filter.push_str(&format!(" AND job={}", spl::quote(job))),
                    None => filter.push_str(&format!(
                        " AND metric_name=mattermost_* AND `{SERVER_FILTER_MACRO}`"
                    )),
                }
                if let Some(p) = &v.host_pattern {
                    filter.push_str(&format!(" AND host={}", spl::quote(p)));
                }
                Some(format!(
                    "| mcatalog values(host) AS host WHERE {index}{filter}\n| mvexpand host\n| sort 0 host\n| eval {CHOICE_VALUE}={}",
                    quoted_value_expr("host")
                ))
            }
            VariableKind::Values => {
                let metric = v.metric.as_deref().unwrap_or_default();
                let f = spl::label_field(v.field.as_deref().unwrap_or_default());
                let filter = self
                    .node_filter()
                    .map(|n| format!(" AND {n}"))
                    .unwrap_or_default();
                Some(format!(
                    "| mcatalog values({f}) AS {f} WHERE {index} AND metric_name={}{filter}\n| mvexpand {f}\n| sort 0 {f}\n| eval {CHOICE_VALUE}={}",
                    spl::quote(metric),
                    quoted_value_expr(&f)
                ))
            }
            _ => None,
        }
    }

    /// A target's PromQL: its expression, or its math over the other
    /// targets' expressions (`$Acked/$Sent` -> `(acked) / (sent)`).
    pub fn target_expr(&self, panel: &Panel, t: &Target) -> Result<String> {
        if let Some(e) = &t.expr {
            return Ok(e.clone());
        }
        let math = t.math.as_deref().unwrap_or_default();
        let mut out = String::new();
        let mut rest = math;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, tail) = match after.strip_prefix('{') {
                Some(b) => {
                    let j = b.find('}').with_context(|| {
                        format!("panel {:?}: unclosed ${{ in {math}", panel.title)
                    })?;
                    (&b[..j], &b[j + 1..])
                }
                None => {
                    let j = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    (&after[..j], &after[j..])
                }
            };
            let target = panel
                .targets
                .iter()
                .find(|x| x.refid.as_deref() == Some(name) && x.expr.is_some())
                .with_context(|| {
                    format!(
                        "panel {:?}: math {math:?} names no query target {name:?}",
                        panel.title
                    )
                })?;
            out.push('(');
            out.push_str(target.expr.as_deref().unwrap_or_default());
            out.push(')');
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The legend as an eval expression: Grafana's `{{label}}`s, the
    /// dashboard's variables (`[[percentile]]`) as tokens, and the target's
    /// refId as the name of a labelless series without a legend.
    fn target_legend(&self, t: &Target, labels: &[String]) -> String {
        let legend = variables_as_tokens(&t.legend, self);
        if legend.is_empty() && labels.is_empty() {
            if let Some(r) = &t.refid {
                return spl::quote(r);
            }
        }
        legend_eval(&legend, labels)
    }

    /// The name [`Spec::panel_search`] gives a series of `t` with these
    /// label values (Prometheus' names: `instance` is read as `host`), the
    /// dashboard's tokens set to `tokens`: for the harness that names
    /// Prometheus' answers as the dashboard names its own.
    pub fn target_name(
        &self,
        t: &Target,
        labels: &[String],
        values: &BTreeMap<String, String>,
        tokens: &BTreeMap<String, String>,
    ) -> String {
        let mut legend = variables_as_tokens(&t.legend, self);
        for (k, v) in tokens {
            legend = legend.replace(&format!("${k}$"), v);
        }
        if legend.is_empty() && labels.is_empty() {
            if let Some(r) = &t.refid {
                return r.clone();
            }
        }
        legend_text(&legend, labels, values)
    }

    /// A target compiled, with its series named: rows of `_time` (unless
    /// instant), `series`, `value`; on a reducing panel, one row per series.
    /// A range query keeps only whole buckets ([`whole_buckets_stage`]);
    /// the flag says whether the target is one.
    fn target_search(&self, panel: &Panel, t: &Target, opts: &Options) -> Result<(String, bool)> {
        let expr = self.target_expr(panel, t)?;
        let q = spl::compile_str(&expr, opts)
            .with_context(|| format!("panel {:?}, target {expr}", panel.title))?;
        if q.instant && !panel.kind.reduces() {
            bail!(
                "panel {:?}: a time chart needs a range query, not `[$__range]`",
                panel.title
            );
        }
        let mut s = q.spl.clone();
        if !q.instant {
            s.push_str(&whole_buckets_stage(&opts.span));
        }
        if panel.kind == PanelKind::Heatmap || panel.buckets {
            if !q.labels.iter().any(|l| l == "le") {
                bail!(
                    "panel {:?}: a heatmap needs bucket series (`le`)",
                    panel.title
                );
            }
            // Grafana's `format: heatmap`: the cumulative `le` buckets drawn
            // per bucket, each bucket's count less the one below it.
            let group = by_time(
                &q.labels
                    .iter()
                    .filter(|l| *l != "le")
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            s.push_str(&format!(
                "\n| eval bucket_upper=if(le==\"+Inf\", 1e308, tonumber(le))\n| sort 0 {group} num(bucket_upper)\n| streamstats current=f window=1 global=f last(value) AS bucket_below BY {group}\n| eval value=value - coalesce(bucket_below, 0)\n| fields - bucket_upper bucket_below"
            ));
        }
        s.push_str(&format!(
            "\n| eval series={}",
            self.target_legend(t, &q.labels)
        ));
        match (panel.reduce, q.instant) {
            (Some(_), true) => s.push_str("\n| fields series value"),
            (Some(r), false) => s.push_str(&format!("\n{}", reduce_stage(r))),
            (None, _) => s.push_str("\n| fields _time series value"),
        }
        Ok((s, !q.instant))
    }

    /// A panel's search: each shown target compiled and named by its
    /// legend (`series`); a time chart gets one column per series
    /// (`xyseries`: binned once, by `mstats`), a stat, bar or pie panel one
    /// row per series.
    pub fn panel_search(&self, panel: &Panel) -> Result<String> {
        self.panel_query(panel).map(|q| q.spl)
    }

    /// A panel's search ([`Spec::panel_search`]) and the time range it
    /// runs over.
    pub fn panel_query(&self, panel: &Panel) -> Result<PanelQuery> {
        let opts = self.options();
        let mut parts = Vec::new();
        let mut charted = true;
        for t in panel
            .targets
            .iter()
            .filter(|t| !t.hidden && t.omit.is_none())
        {
            let (s, range) = self.target_search(panel, t, &opts)?;
            charted &= range;
            parts.push(s);
        }
        if parts.is_empty() {
            bail!("panel {:?}: every target is hidden", panel.title);
        }
        // Targets that one scan can read run as one search on it
        // ([`share::fork_targets`]); the others are appended.
        let searches = share::fork_targets(&parts);
        let mut out = searches[0].clone();
        for p in &searches[1..] {
            out.push_str("\n| append [");
            out.push_str(&p.replace('\n', "\n  "));
            out.push(']');
        }
        if panel.kind.reduces() {
            out.push_str("\n| table series value");
        } else {
            out.push_str("\n| xyseries _time series value");
        }
        Ok(PanelQuery {
            spl: out,
            from_chart_earliest: charted,
        })
    }
}

/// A panel's search and where its time range starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelQuery {
    pub spl: String,
    /// Whether the search runs from `$chart_earliest$` ([`chart_earliest`]:
    /// every target is a range query, which keeps whole buckets) rather
    /// than from the time picker's earliest (a query over the whole range,
    /// `[$__range]`, must see exactly the picker's range).
    pub from_chart_earliest: bool,
}

/// The edges of the time range (issue 16): which buckets a chart shows.
///
/// Grafana asks Prometheus for steps T aligned to the step: from
/// floor(earliest / S) * S to floor(latest / S) * S, and every step sees a
/// whole window of data, `(T - range, T]` for a rate and the 5-minute
/// lookback for a gauge, even before the range's start. A Splunk bucket
/// starting at B is Prometheus' step T = B + S. The time picker's `-6h` to
/// `now` is not aligned to S, so mstats' first and last buckets would hold
/// only some scrapes of some hosts: a sum over hosts dips there, and a
/// "change over range" (earliest of a per-bucket sum) would count a host's
/// whole cumulative counter as change.
///
/// So a chart's search (every range query of a panel):
///
/// - keeps only buckets B with `B - W >= info_min_time` and
///   `B + S <= info_max_time` (this stage): the bucket is whole, and so is
///   the data before it that its value needs, W = [`warmup_s`] (the previous
///   bucket, whose latest sample `rate_sum` takes as its basis, and the
///   5-minute lookback of an instant selector). A partial bucket is never
///   drawn, whatever range the search is run over;
/// - runs from `$chart_earliest$` ([`chart_earliest`], set by the span
///   search from the picker's earliest): W before the bucket of Grafana's
///   first step, so that the chart's first bucket is Grafana's first step.
///
/// For a time picker range [earliest, latest) at span S a chart therefore
/// shows the buckets B from `floor(earliest / S) * S - S` to
/// `floor(latest / S) * S - S`, i.e. Grafana's steps T = B + S from
/// `floor(earliest / S) * S` to `floor(latest / S) * S`, each computed from
/// whole data. The cost is W + S more data read (at most 10 minutes, or two
/// buckets, of a range of 250).
pub fn whole_buckets_stage(span: &SpanSpec) -> String {
    let s = span.seconds();
    format!(
        "\n| addinfo\n| where _time >= info_min_time + max({s}, {lb} - {s}) AND _time + {s} <= if(isnum(info_max_time), info_max_time, now())\n| fields - info_*",
        lb = spl::LOOKBACK_S
    )
}

/// How far before its first bucket a chart's search must read, for a span
/// of `span_s` seconds: the previous bucket (the basis of `rate_sum`, Search
/// Reference, Time functions: "uses the latest value of a metric
/// measurement from the previous timespan as the starting basis") and the
/// lookback of an instant selector ([`spl::LOOKBACK_S`] before the bucket's
/// end), whichever reaches further back. The SPL of
/// [`whole_buckets_stage`] and of the macro `mattermost_metrics_span` write
/// the same `max(S, 300 - S)`.
pub fn warmup_s(span_s: u64) -> u64 {
    span_s.max(spl::LOOKBACK_S.saturating_sub(span_s))
}

/// The earliest time a chart's search runs from when the time picker's
/// earliest is `earliest_s` and the span `span_s`: [`warmup_s`] before the
/// bucket of Grafana's first step (never before the epoch). The macro
/// `mattermost_metrics_span` computes it as `chart_earliest` for the
/// dashboard's token of the same name.
pub fn chart_earliest(earliest_s: f64, span_s: u64) -> f64 {
    let s = span_s as f64;
    ((earliest_s / s).floor() * s - s - warmup_s(span_s) as f64).max(0.0)
}

/// `_time` and the fields, for a BY clause.
fn by_time(labels: &[String]) -> String {
    let mut v = vec!["_time".to_string()];
    v.extend(labels.iter().cloned());
    v.join(" ")
}

/// Grafana's reduction of a series over the range, as `stats` by series.
fn reduce_stage(r: Reduce) -> String {
    match r {
        Reduce::Last => "| stats latest(value) AS value BY series".to_string(),
        Reduce::Diff => "| stats earliest(value) AS first_value latest(value) AS value BY series\n| eval value=value - first_value\n| fields series value".to_string(),
        Reduce::Mean => "| stats avg(value) AS value BY series".to_string(),
        Reduce::Max => "| stats max(value) AS value BY series".to_string(),
        Reduce::Sum => "| stats sum(value) AS value BY series".to_string(),
    }
}

/// Grafana's variables in a legend (`[[percentile]]`, `$percentile`,
/// `${percentile}`) as dashboard tokens; a constant as its value.
pub fn variables_as_tokens(legend: &str, spec: &Spec) -> String {
    let re = regex::Regex::new(r"\[\[([A-Za-z0-9_]+)\]\]|\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)")
        .expect("variable regex");
    re.replace_all(legend, |c: &regex::Captures| {
        let name = c
            .get(1)
            .or_else(|| c.get(2))
            .or_else(|| c.get(3))
            .map_or("", |m| m.as_str());
        match spec.variables.iter().find(|v| v.name == name) {
            Some(v) if v.kind == VariableKind::Constant => v.value.clone().unwrap_or_default(),
            Some(v) => format!("${}$", spec.token_of(v)),
            None => c[0].to_string(),
        }
    })
    .into_owned()
}

/// Every spec in `dir` (`*.json`), sorted by file name.
pub fn load_all(dir: &std::path::Path) -> Result<Vec<Spec>> {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Spec::load(p)).collect()
}

/// The dashboards in `dir` (`*.xml`) that no spec generates: written by
/// hand (the input health dashboard), listed under "Input health".
pub fn hand_written(dir: &std::path::Path, specs: &[Spec]) -> Result<Vec<String>> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            (p.extension().and_then(|e| e.to_str()) == Some("xml"))
                .then(|| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
                .flatten()
        })
        .filter(|n| !specs.iter().any(|s| &s.id == n))
        .collect();
    out.sort();
    Ok(out)
}

/// A label value as an eval expression whose result may stand between
/// double quotes in a search (`host="<it>"`) without changing the search
/// (issue 17: a label value is whatever a scrape target wrote).
///
/// `\` and `"` are escaped with a backslash (Search Manual, "Quotes and
/// escaping characters": a backslash escapes a quotation mark or a
/// backslash inside a quoted string), backslashes first so that the ones
/// added for quotes stay single. The replacement goes through `split` and
/// `mvjoin` (string delimiters, no regex) rather than `replace`, whose
/// replacement-string escaping the docs do not spell out.
///
/// Nothing else needs escaping inside quotes: a newline, `|`, `[`, `]` and
/// `$` are text there, a token's value is not scanned for tokens again, and
/// "Macros inside of quoted values are not expanded" (Knowledge Manual, Use
/// search macros in searches), so a backquote is text too. A `*` stays a
/// wildcard ("The backslash cannot be used to escape the asterisk in search
/// strings", Search Manual, SPL and regular expressions): such a value
/// selects itself and the values that differ only there.
pub fn quoted_value_expr(field: &str) -> String {
    format!("mvjoin(split(mvjoin(split({field}, \"\\\\\"), \"\\\\\\\\\"), \"\\\"\"), \"\\\\\\\"\")")
}

/// The field of a choices search that holds a choice's value as it goes
/// into the token (escaped by [`quoted_value_expr`]); its label is the
/// value itself.
pub const CHOICE_VALUE: &str = "token_value";

/// The macro that keeps a search to the Mattermost server's own endpoint.
pub const SERVER_FILTER_MACRO: &str = "mattermost_metrics_server_endpoint";

/// Token names the generated dashboards use.
pub const NODE_TOKEN: &str = "host";
pub const SPAN_TOKEN: &str = "span";
pub const SPAN_SECONDS_TOKEN: &str = "span_s";
/// The span instant selectors read their samples at ([`spl::lookback_grain`]).
pub const SPAN_LOOKBACK_TOKEN: &str = "span_lookback";
/// Where a chart's search starts ([`chart_earliest`]).
pub const CHART_EARLIEST_TOKEN: &str = "chart_earliest";

/// A piece of a series name: literal text, or the value of a label field.
enum Piece {
    Text(String),
    Field(String),
}

/// The naming rule of every series, as pieces (one rule for the dashboard's
/// eval expression and the harness's names of Prometheus' series).
///
/// `{{label}}` is the label's field (empty when absent, as Grafana shows
/// it). Labels the legend does not name would make two series share one
/// name (Grafana then draws two lines of the same name; a Splunk chart
/// would merge them), so they are appended as ` (label=value, ...)`. An
/// empty legend names the series by all its labels, or the expression has
/// one series and is called `value`.
fn legend_pieces(legend: &str, labels: &[String]) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut named: Vec<String> = Vec::new();
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        if i > 0 {
            pieces.push(Piece::Text(rest[..i].to_string()));
        }
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            pieces.push(Piece::Text(rest[i..].to_string()));
            rest = "";
            break;
        };
        let field = spl::label_field(after[..j].trim());
        named.push(field.clone());
        pieces.push(Piece::Field(field));
        rest = &after[j + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    let missing: Vec<&String> = labels.iter().filter(|l| !named.contains(l)).collect();
    if !missing.is_empty() {
        let wrap = !pieces.is_empty();
        if wrap {
            pieces.push(Piece::Text(" (".into()));
        }
        for (k, l) in missing.iter().enumerate() {
            if k > 0 {
                pieces.push(Piece::Text(", ".into()));
            }
            pieces.push(Piece::Text(format!("{l}=")));
            pieces.push(Piece::Field((*l).clone()));
        }
        if wrap {
            pieces.push(Piece::Text(")".into()));
        }
    }
    if pieces.is_empty() {
        pieces.push(Piece::Text("value".into()));
    }
    pieces
}

/// A Grafana legend as an eval expression over the result's label fields
/// (the rule of [`legend_pieces`]).
pub fn legend_eval(legend: &str, labels: &[String]) -> String {
    legend_pieces(legend, labels)
        .iter()
        .map(|p| match p {
            Piece::Text(t) => spl::quote(t),
            Piece::Field(f) => field_text(f),
        })
        .collect::<Vec<_>>()
        .join(" . ")
}

/// A label's value in a legend, as an eval expression: empty when the
/// series lacks the label (null, or `mstats`'s placeholder
/// [`spl::ABSENT`]), as Grafana shows it; `job`, which a server input does
/// not add, reads `mattermost` there (the job Mattermost's Prometheus
/// configuration gives the server).
fn field_text(field: &str) -> String {
    let default = if field == "job" { SERVER_JOB } else { "" };
    format!(
        "coalesce(nullif({field}, {}), {})",
        spl::quote(spl::ABSENT),
        spl::quote(default)
    )
}

/// The job of the Mattermost server's endpoint, whose input adds none.
pub const SERVER_JOB: &str = "mattermost";

/// The Grafana name of the legend as the harness's reference side renders
/// it for a Prometheus series: the same rule as [`legend_eval`]
/// ([`legend_pieces`]), applied to PromQL labels (`instance` read as `host`).
pub fn legend_text(
    legend: &str,
    result_labels: &[String],
    values: &BTreeMap<String, String>,
) -> String {
    let get = |field: &str| -> String {
        let prom = if field == "host" { "instance" } else { field };
        match values.get(prom) {
            Some(v) => v.clone(),
            None if field == "job" => SERVER_JOB.to_string(),
            None => String::new(),
        }
    };
    legend_pieces(legend, result_labels)
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Field(f) => get(f),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends() {
        let l = vec!["host".to_string()];
        let host = "coalesce(nullif(host, \"-\"), \"\")";
        assert_eq!(
            legend_eval("p99-{{instance}}", &l),
            format!("\"p99-\" . {host}")
        );
        assert_eq!(legend_eval("Total", &[]), "\"Total\"");
        assert_eq!(
            legend_eval("{{instance}}", &["host".into(), "node".into()]),
            format!("{host} . \" (\" . \"node=\" . coalesce(nullif(node, \"-\"), \"\") . \")\"")
        );
        assert_eq!(legend_eval("{{job}}", &l), "coalesce(nullif(job, \"-\"), \"mattermost\") . \" (\" . \"host=\" . coalesce(nullif(host, \"-\"), \"\") . \")\"");
        let mut v = BTreeMap::new();
        v.insert("instance".to_string(), "mm1".to_string());
        v.insert("node".to_string(), "r1".to_string());
        assert_eq!(
            legend_text("{{instance}}", &["host".into(), "node".into()], &v),
            "mm1 (node=r1)"
        );
        assert_eq!(legend_text("{{ instance }} - x", &l, &v), "mm1 - x");
        // A legend naming a label the series lost stays empty, as Grafana shows it.
        assert_eq!(legend_text("{{instance}}", &[], &BTreeMap::new()), "");
        assert_eq!(legend_text("", &[], &BTreeMap::new()), "value");
    }
}
