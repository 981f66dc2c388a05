//! Panel specs (`dashboards/specs/*.json`), Grafana's variable substitution, and what
//! Prometheus draws for a panel.
//!
//! Spec schema (read with `serde_json::Value`, only these members are used):
//! `{ "rows": [ { "title": S, "panels": [ { "title": S, "targets": [ { "expr": S, "legend": S } ] } ] } ],
//!    "variables": [ { "name": "server", "kind": "nodes" }
//!                 | { "name": N, "kind": "query", "query": PROMQL, "field": LABEL } ] }`

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};
use regex::Regex;
use serde_json::Value;

use super::compare::NamedSeries;
use super::prometheus::PromClient;
use super::timeline::{END_S, START_S};

/// One panel of the spec, with where it sits.
pub struct PanelRef<'a> {
    pub row: String,
    pub title: String,
    pub json: &'a Value,
}

/// All panels of a spec, in order.
pub fn panels(spec: &Value) -> Result<Vec<PanelRef<'_>>> {
    let rows = spec["rows"]
        .as_array()
        .ok_or_else(|| anyhow!("spec has no `rows` array"))?;
    let mut out = Vec::new();
    for row in rows {
        let row_title = row["title"].as_str().unwrap_or("").to_string();
        for p in row["panels"]
            .as_array()
            .ok_or_else(|| anyhow!("row {row_title:?} has no `panels`"))?
        {
            out.push(PanelRef {
                row: row_title.clone(),
                title: p["title"]
                    .as_str()
                    .ok_or_else(|| anyhow!("a panel of row {row_title:?} has no title"))?
                    .to_string(),
                json: p,
            });
        }
    }
    Ok(out)
}

/// A panel's targets: (expr, legend) as written in the spec.
pub fn targets(panel: &Value) -> Result<Vec<(String, String)>> {
    panel["targets"]
        .as_array()
        .ok_or_else(|| anyhow!("panel without `targets`"))?
        .iter()
        .map(|t| {
            let expr = t["expr"]
                .as_str()
                .ok_or_else(|| anyhow!("target without `expr`"))?;
            Ok((
                expr.to_string(),
                t["legend"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

fn range_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[((?:[0-9]+(?:ms|[smhdwy]))+)\]").expect("range regex"))
}

/// `5m` -> 300, `1h30m` -> 5400 (PromQL durations; `ms` rounds down to whole seconds).
pub fn duration_s(d: &str) -> Option<i64> {
    let re = Regex::new(r"([0-9]+)(ms|[smhdwy])").ok()?;
    let mut total_ms: i64 = 0;
    let mut consumed = 0;
    for c in re.captures_iter(d) {
        consumed += c[0].len();
        let n: i64 = c[1].parse().ok()?;
        total_ms += n * match &c[2] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
    }
    (consumed == d.len() && consumed > 0).then_some(total_ms / 1000)
}

/// The step of a panel: the largest fixed range `[..]` among its targets (so that every step's
/// window is a whole number of steps and both engines see the same windows), 120 s when none.
pub fn step_for(exprs: &[&str]) -> i64 {
    exprs
        .iter()
        .flat_map(|e| {
            range_re()
                .captures_iter(e)
                .filter_map(|c| duration_s(&c[1]))
                .collect::<Vec<_>>()
        })
        .max()
        .unwrap_or(120)
}

/// Evaluation range of a panel with step `step_s`: every step has a full window of data.
/// start = (data start + step) rounded up to a multiple of the step, plus one step;
/// end = data end rounded down to a multiple of the step.
pub fn range_for(step_s: i64) -> (i64, i64) {
    let first = START_S + step_s;
    let start = (first + step_s - 1).div_euclid(step_s) * step_s + step_s;
    let end = END_S.div_euclid(step_s) * step_s;
    (start, end)
}

/// Grafana's multi-value formatting for the Prometheus data source
/// (`prometheusSpecialRegexEscape` then `(a|b|c)`; a single value alone): regex characters
/// escaped as `\\.` (a backslash doubled inside the PromQL string literal).
pub fn format_multi(values: &[String]) -> String {
    let esc: Vec<String> = values
        .iter()
        .map(|v| {
            let mut o = String::with_capacity(v.len());
            for ch in v.chars() {
                match ch {
                    '\\' => o.push_str("\\\\\\\\"),
                    '$' | '^' | '*' | '{' | '}' | '[' | ']' | '\'' | '+' | '?' | '.' | '('
                    | ')' | '|' => {
                        o.push_str("\\\\");
                        o.push(ch);
                    }
                    _ => o.push(ch),
                }
            }
            o
        })
        .collect();
    if esc.len() == 1 {
        esc[0].clone()
    } else {
        format!("({})", esc.join("|"))
    }
}

fn var_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]")
            .expect("variable regex")
    })
}

/// Substitutes Grafana variables in `expr` textually, as Grafana does before sending a query
/// to Prometheus: `$__rate_interval`/`$__interval` -> `{step}s`, `$__interval_ms`,
/// `${__range_s}` -> `range_s`, `$__range` -> `{range_s}s`, a dashboard variable -> its values
/// ([`format_multi`]). An unknown variable is an error (a query with a `$` left in it would
/// fail in Prometheus anyway, less clearly).
pub fn substitute(
    expr: &str,
    vars: &BTreeMap<String, Vec<String>>,
    step_s: i64,
    range_s: i64,
) -> Result<String> {
    let mut err = None;
    let out = var_re().replace_all(expr, |c: &regex::Captures| {
        let name = c
            .get(1)
            .or_else(|| c.get(2))
            .or_else(|| c.get(3))
            .map(|m| m.as_str())
            .unwrap_or("");
        match name {
            "__rate_interval" | "__interval" => format!("{step_s}s"),
            "__interval_ms" => format!("{}", step_s * 1000),
            "__range_s" => format!("{range_s}"),
            "__range" => format!("{range_s}s"),
            "__range_ms" => format!("{}", range_s * 1000),
            _ => match vars.get(name) {
                Some(values) => format_multi(values),
                None => {
                    err = Some(anyhow!("unknown variable ${name} in {expr:?}"));
                    String::new()
                }
            },
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(out.into_owned()),
    }
}

/// The dashboard's time range for variable queries (`${__range_s}`): all the data.
pub const RANGE_S: i64 = END_S - START_S;

/// Resolves the spec's variables, in order (a query variable may use earlier ones):
/// `kind: nodes` -> `servers`, the Prometheus instances of the Mattermost servers
/// (`mm-node-1:8067`, ...: Grafana's `label_values(instance)` restricted to the server's
/// port; unrestricted it would also list rtcd and node_exporter); `kind: query` -> its query
/// as an instant query at the end of the data with `${__range_s}` = the whole range, the
/// values of label `field`, sorted. A `query_result(...)` wrapper (Grafana's variable syntax)
/// is removed first.
pub fn resolve_variables(
    spec: &Value,
    servers: &[String],
    prom: &PromClient,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut vars = BTreeMap::new();
    let empty = Vec::new();
    for v in spec["variables"].as_array().unwrap_or(&empty) {
        let name = v["name"]
            .as_str()
            .ok_or_else(|| anyhow!("variable without a name"))?;
        match v["kind"].as_str() {
            Some("nodes") => {
                vars.insert(name.to_string(), servers.to_vec());
            }
            Some("query") => {
                let query = v["query"]
                    .as_str()
                    .ok_or_else(|| anyhow!("variable {name}: no query"))?;
                let field = v["field"]
                    .as_str()
                    .ok_or_else(|| anyhow!("variable {name}: no field"))?;
                let query = query.trim();
                let query = query
                    .strip_prefix("query_result(")
                    .and_then(|q| q.strip_suffix(')'))
                    .unwrap_or(query);
                let expr = substitute(query, &vars, 60, RANGE_S)
                    .with_context(|| format!("variable {name}"))?;
                let result = prom
                    .query(&expr, END_S)
                    .with_context(|| format!("variable {name}"))?;
                let mut values: Vec<String> = result
                    .iter()
                    .filter_map(|s| s.labels.get(field).cloned())
                    .collect();
                values.sort();
                values.dedup();
                if values.is_empty() {
                    bail!("variable {name}: {expr:?} gave no value of label {field:?}");
                }
                vars.insert(name.to_string(), values);
            }
            other => bail!("variable {name}: unknown kind {other:?}"),
        }
    }
    Ok(vars)
}

/// What is evaluated for one panel.
#[derive(Clone, Debug)]
pub struct PanelPlan {
    pub step_s: i64,
    pub start_s: i64,
    pub end_s: i64,
    /// (expression with variables substituted, legend template).
    pub targets: Vec<(String, String)>,
}

impl PanelPlan {
    /// Number of evaluation steps.
    pub fn steps(&self) -> usize {
        ((self.end_s - self.start_s) / self.step_s + 1) as usize
    }
}

pub fn plan(panel: &Value, vars: &BTreeMap<String, Vec<String>>) -> Result<PanelPlan> {
    let raw = targets(panel)?;
    if raw.is_empty() {
        bail!("panel without targets");
    }
    let exprs: Vec<&str> = raw.iter().map(|(e, _)| e.as_str()).collect();
    let step_s = step_for(&exprs);
    let (start_s, end_s) = range_for(step_s);
    let targets = raw
        .iter()
        .map(|(e, l)| Ok((substitute(e, vars, step_s, RANGE_S)?, l.clone())))
        .collect::<Result<Vec<_>>>()?;
    Ok(PanelPlan {
        step_s,
        start_s,
        end_s,
        targets,
    })
}

/// What Prometheus draws for the panel: each series of each target, named by its legend.
pub fn expected_series(prom: &PromClient, plan: &PanelPlan) -> Result<Vec<NamedSeries>> {
    let mut out = Vec::new();
    for (expr, leg) in &plan.targets {
        // Named as the dashboard names its series (dashboard::legend_text:
        // Grafana's legend, plus the labels it does not name, which would
        // otherwise give two series one name).
        let labels = mattermost_metrics::spl::compile_str(expr, &Default::default())
            .with_context(|| format!("compiling {expr}"))?
            .labels;
        for mut s in prom.query_range(expr, plan.start_s, plan.end_s, plan.step_s)? {
            // Splunk's host is the instance without its port.
            if let Some(i) = s.labels.get_mut("instance") {
                *i = instance_host(i).to_string();
            }
            out.push(NamedSeries {
                name: mattermost_metrics::dashboard::legend_text(leg, &labels, &s.labels),
                points: s.points,
            });
        }
    }
    Ok(out)
}

/// The host of a Prometheus instance: `mm-node-1:8067` -> `mm-node-1`, `[::1]:9100` -> `[::1]`
/// (an instance without a port is returned as it is).
pub fn instance_host(instance: &str) -> &str {
    match instance.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => instance,
    }
}

/// Checks of the pure helpers, run by the harness before any panel.
pub fn self_check() -> Result<(), String> {
    for (e, want) in [
        (vec!["rate(x[1m])"], 60),
        (vec!["rate(x[5m])", "increase(y[10m])"], 600),
        (vec!["sum(x)"], 120),
        (vec!["rate(x[$__rate_interval])"], 120),
        (vec!["rate(x[1h30m])"], 5400),
        (vec!["increase(x[${__range_s}s])"], 120),
    ] {
        let got = step_for(&e);
        if got != want {
            return Err(format!("step_for({e:?}) = {got}, want {want}"));
        }
    }
    for step in [60, 120, 300, 600] {
        let (s, e) = range_for(step);
        if s % step != 0 || e % step != 0 || s - step < START_S + step || e > END_S {
            return Err(format!("range_for({step}) = ({s}, {e})"));
        }
    }
    for (instance, host) in [
        ("mm-node-1:8067", "mm-node-1"),
        ("calls-offloader-1:9100", "calls-offloader-1"),
        ("[::1]:9100", "[::1]"),
        ("mm-node-1", "mm-node-1"),
        ("::1", "::1"),
    ] {
        if instance_host(instance) != host {
            return Err(format!(
                "instance_host({instance:?}) = {:?}",
                instance_host(instance)
            ));
        }
    }
    let mut vars = BTreeMap::new();
    vars.insert(
        "server".to_string(),
        vec!["mm-node-1:8067".to_string(), "mm-node-2:8067".to_string()],
    );
    vars.insert("top".to_string(), vec!["PostStore.Save".to_string()]);
    let cases = [
        (
            r#"x{instance=~"$server"}"#,
            r#"x{instance=~"(mm-node-1:8067|mm-node-2:8067)"}"#,
        ),
        (r#"x{method=~"${top}"}"#, r#"x{method=~"PostStore\\.Save"}"#),
        ("rate(x[$__rate_interval])", "rate(x[300s])"),
        ("increase(x[${__range_s}s])", "increase(x[10800s])"),
        (
            "x{a=~\"[[server]]\"}",
            "x{a=~\"(mm-node-1:8067|mm-node-2:8067)\"}",
        ),
    ];
    for (e, want) in cases {
        let got = substitute(e, &vars, 300, RANGE_S).map_err(|e| e.to_string())?;
        if got != want {
            return Err(format!("substitute({e:?}) = {got:?}, want {want:?}"));
        }
    }
    if substitute("x{a=~\"$nope\"}", &vars, 60, 60).is_ok() {
        return Err("substitute accepted an unknown variable".into());
    }
    Ok(())
}
