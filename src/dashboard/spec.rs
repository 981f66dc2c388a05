//! The panel specs: one dashboard's title, variables, rows and panels as
//! `dashboards/specs/*.json` writes them, checked when read.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::NODE_TOKEN;

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
