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
//! and Splunk tokens, its legends the `series` field of each chart.

mod xml;

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::spl::{self, Binding, Options, SpanSpec};

pub use xml::write_xml;

/// One dashboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The view's file name, without `.xml`.
    pub id: String,
    pub label: String,
    pub description: String,
    pub grafana: GrafanaRef,
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
    /// For `query`: the PromQL whose results give the values.
    #[serde(default)]
    pub query: Option<String>,
    /// For `query`: the label whose values the variable takes.
    #[serde(default)]
    pub field: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    /// `label_values(instance)`: the Mattermost nodes, Splunk's `host`; the
    /// dashboard's node multiselect, applied to every search.
    Nodes,
    /// `query_result(...)` filtered by a label: a hidden search sets the
    /// token to a filter on that label's values.
    Query,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub title: String,
    pub panels: Vec<Panel>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub title: String,
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
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub expr: String,
    /// Grafana's legend format: text with `{{label}}` references.
    pub legend: String,
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
        for v in &self.variables {
            if v.kind == VariableKind::Query && (v.query.is_none() || v.field.is_none()) {
                bail!(
                    "variable {}: a query variable needs `query` and `field`",
                    v.name
                );
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
        }
        Ok(())
    }

    pub fn panels(&self) -> impl Iterator<Item = &Panel> {
        self.rows.iter().flat_map(|r| r.panels.iter())
    }

    /// The token of the node multiselect, when the dashboard has one.
    fn node_token(&self) -> Option<&str> {
        self.variables
            .iter()
            .find(|v| v.kind == VariableKind::Nodes)
            .map(|_| NODE_TOKEN)
    }

    /// How the panels' PromQL is compiled in this dashboard.
    pub fn options(&self) -> Options {
        let node = self.node_token().map(|t| format!("${t}$"));
        let mut vars = BTreeMap::new();
        for v in &self.variables {
            let binding = match v.kind {
                // Every search already carries the node filter.
                VariableKind::Nodes => Binding::Predicate(node.clone().unwrap_or_default()),
                VariableKind::Query => Binding::Predicate(format!("${}$", v.name)),
            };
            vars.insert(v.name.clone(), binding);
        }
        Options {
            span: SpanSpec::Token {
                span: SPAN_TOKEN.into(),
                seconds: SPAN_SECONDS_TOKEN.into(),
            },
            node_filter: node,
            vars,
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
            "{}\n| eval filter_term=\"{f}=\\\"\" . {f} . \"\\\"\"\n| stats values(filter_term) AS filter_terms\n| eval filter=\"(\" . coalesce(mvjoin(filter_terms, \" OR \"), \"{f}=\\\"\\\"\") . \")\"",
            q.spl
        ))
    }

    /// A panel's search: each target compiled, named by its legend
    /// (`series`), and one column per series (`xyseries`), binned once, by
    /// `mstats`.
    pub fn panel_search(&self, panel: &Panel) -> Result<String> {
        let opts = self.options();
        let mut parts = Vec::new();
        for t in &panel.targets {
            let q = spl::compile_str(&t.expr, &opts)
                .with_context(|| format!("panel {:?}, target {}", panel.title, t.expr))?;
            if q.instant {
                bail!(
                    "panel {:?}: a time chart needs a range query, not `[$__range]`",
                    panel.title
                );
            }
            parts.push(format!(
                "{}\n| eval series={}\n| fields _time series value",
                q.spl,
                legend_eval(&t.legend, &q.labels)
            ));
        }
        let mut out = parts[0].clone();
        for p in &parts[1..] {
            out.push_str("\n| append [");
            out.push_str(&p.replace('\n', "\n  "));
            out.push(']');
        }
        out.push_str("\n| xyseries _time series value");
        Ok(out)
    }
}

/// Token names the generated dashboards use.
pub const NODE_TOKEN: &str = "host";
pub const SPAN_TOKEN: &str = "span";
pub const SPAN_SECONDS_TOKEN: &str = "span_s";

/// A Grafana legend as an eval expression over the result's label fields.
///
/// `{{label}}` becomes the label's field (empty when absent, as Grafana
/// shows it). Labels the legend does not name would make two series share
/// one name (Grafana then draws two lines of the same name; a Splunk chart
/// would merge them), so they are appended as ` (label=value, ...)`. An
/// empty legend names the series by all its labels, or the expression has
/// one series and is called `value`.
pub fn legend_eval(legend: &str, labels: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut named: Vec<String> = Vec::new();
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        if i > 0 {
            parts.push(spl::quote(&rest[..i]));
        }
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            parts.push(spl::quote(&rest[i..]));
            rest = "";
            break;
        };
        let label = after[..j].trim();
        let field = spl::label_field(label);
        parts.push(format!("coalesce({field}, \"\")"));
        named.push(field);
        rest = &after[j + 2..];
    }
    if !rest.is_empty() {
        parts.push(spl::quote(rest));
    }
    let missing: Vec<&String> = labels.iter().filter(|l| !named.contains(l)).collect();
    if !missing.is_empty() {
        let inner: Vec<String> = missing
            .iter()
            .map(|l| format!("\"{l}=\" . coalesce({l}, \"\")"))
            .collect();
        if parts.is_empty() {
            parts.push(inner.join(" . \", \" . "));
        } else {
            parts.push(format!("\" (\" . {} . \")\"", inner.join(" . \", \" . ")));
        }
    }
    if parts.is_empty() {
        return "\"value\"".to_string();
    }
    parts.join(" . ")
}

/// The Grafana name of the legend as the harness's reference side renders
/// it for a Prometheus series: the same rule as [`legend_eval`], applied to
/// PromQL labels (`instance` read as `host`).
pub fn legend_text(
    legend: &str,
    result_labels: &[String],
    values: &BTreeMap<String, String>,
) -> String {
    let get = |field: &str| -> String {
        let prom = if field == "host" { "instance" } else { field };
        values.get(prom).cloned().unwrap_or_default()
    };
    let mut out = String::new();
    let mut named: Vec<String> = Vec::new();
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let field = spl::label_field(after[..j].trim());
        out.push_str(&get(&field));
        named.push(field);
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    let missing: Vec<String> = result_labels
        .iter()
        .filter(|l| !named.contains(l))
        .map(|l| format!("{l}={}", get(l)))
        .collect();
    if !missing.is_empty() {
        if out.is_empty() {
            out = missing.join(", ");
        } else {
            out.push_str(&format!(" ({})", missing.join(", ")));
        }
    }
    if out.is_empty() {
        "value".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends() {
        let l = vec!["host".to_string()];
        assert_eq!(
            legend_eval("p99-{{instance}}", &l),
            "\"p99-\" . coalesce(host, \"\")"
        );
        assert_eq!(legend_eval("Total", &[]), "\"Total\"");
        assert_eq!(
            legend_eval("{{instance}}", &["host".into(), "node".into()]),
            "coalesce(host, \"\") . \" (\" . \"node=\" . coalesce(node, \"\") . \")\""
        );
        let mut v = BTreeMap::new();
        v.insert("instance".to_string(), "mm1".to_string());
        v.insert("node".to_string(), "r1".to_string());
        assert_eq!(
            legend_text("{{instance}}", &["host".into(), "node".into()], &v),
            "mm1 (node=r1)"
        );
        assert_eq!(legend_text("{{ instance }} - x", &l, &v), "mm1 - x");
    }
}
