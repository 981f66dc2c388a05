//! What Grafana would ask Prometheus for each panel of a spec, and what it
//! would draw: variables resolved as Grafana resolves them, the step and
//! range of the comparison, the expected series named as the dashboard
//! names its own (`mattermost_metrics::dashboard`), reduced where the panel
//! shows one number per series, bucketed where it shows histogram buckets.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, bail, Context, Result};
use regex::Regex;

use mattermost_metrics::dashboard::{Panel, PanelKind, Reduce, Spec, VariableKind};

use super::compare::NamedSeries;
use super::prometheus::{PromClient, PromSeries};
use super::timeline::{Timeline, END_S, START_S};

/// One variable's value on both sides.
#[derive(Clone, Debug)]
pub struct VarValue {
    /// What Grafana substitutes into the PromQL.
    pub prom: String,
    /// What the dashboard's token holds (None: no token, e.g. a constant
    /// compiled in, or a query variable whose hidden search ours runs).
    pub token: Option<(String, String)>,
    /// The values, for reports.
    pub values: Vec<String>,
}

/// The whole data range, for query variables (`${__range_s}`).
pub const VARIABLE_RANGE_S: i64 = END_S - START_S;

/// Grafana's regex escaping of one value, then `(a|b)`.
fn alternation(values: &[String]) -> String {
    format_multi(values)
}

fn host_filter(hosts: &[String]) -> String {
    let terms: Vec<String> = hosts.iter().map(|h| format!("host=\"{h}\"")).collect();
    format!("({})", terms.join(" OR "))
}

/// Resolves every variable of `spec`, in order (a query variable may use
/// earlier ones).
pub fn resolve(
    spec: &Spec,
    tl: &Timeline,
    prom: &PromClient,
) -> Result<BTreeMap<String, VarValue>> {
    let mut out: BTreeMap<String, VarValue> = BTreeMap::new();
    for v in &spec.variables {
        let token = spec.token_of(v);
        let value = match v.kind {
            VariableKind::Nodes => {
                // Grafana: label_values(instance), kept by the variable's
                // regex: the server's instances for $server, the hosts of an
                // endpoint's port (captured without the port) otherwise.
                let (port, pattern): (u16, Option<&str>) = match v.job.as_deref() {
                    None => (8067, None),
                    Some("calls") => (8067, None),
                    Some("rtcd") => (8045, None),
                    Some("node") => (9100, v.host_pattern.as_deref()),
                    Some(other) => bail!("variable {}: no port known for job {other}", v.name),
                };
                let mut instances: BTreeSet<String> = BTreeSet::new();
                for s in &tl.scrapes {
                    if s.port == port {
                        instances.insert(format!("{}:{}", s.node, s.port));
                    }
                }
                let hosts: Vec<String> = instances
                    .iter()
                    .map(|i| instance_host(i).to_string())
                    .filter(|h| pattern.is_none_or(|p| h.contains(p.trim_matches('*'))))
                    .collect();
                if hosts.is_empty() {
                    bail!("variable {}: no host", v.name);
                }
                let prom_values: Vec<String> = if v.job.is_none() {
                    instances.iter().cloned().collect()
                } else {
                    hosts.clone()
                };
                VarValue {
                    prom: alternation(&prom_values),
                    token: Some((token, host_filter(&hosts))),
                    values: prom_values,
                }
            }
            VariableKind::Query => {
                let query = v.query.as_deref().unwrap_or_default();
                let field = v.field.as_deref().unwrap_or_default();
                let expr = substitute(query, &out, 60, VARIABLE_RANGE_S)?;
                let mut values: Vec<String> = prom
                    .query(&expr, END_S)
                    .with_context(|| format!("variable {}", v.name))?
                    .iter()
                    .filter_map(|s| s.labels.get(field).cloned())
                    .collect();
                values.sort();
                values.dedup();
                if values.is_empty() {
                    bail!("variable {}: {expr:?} gave no value of {field}", v.name);
                }
                VarValue {
                    prom: alternation(&values),
                    token: None,
                    values,
                }
            }
            VariableKind::Values => {
                // label_values(metric, label) with All selected: every value.
                let metric = v.metric.as_deref().unwrap_or_default();
                let field = v.field.as_deref().unwrap_or_default();
                let expr =
                    format!("count by ({field}) (count_over_time({metric}[{VARIABLE_RANGE_S}s]))");
                let mut values: Vec<String> = prom
                    .query(&expr, END_S)?
                    .iter()
                    .filter_map(|s| s.labels.get(field).cloned())
                    .collect();
                values.sort();
                if values.is_empty() {
                    bail!("variable {}: no value of {field} on {metric}", v.name);
                }
                let f = mattermost_metrics::spl::label_field(field);
                VarValue {
                    prom: alternation(&values),
                    token: Some((token, format!("({f}=\"*\")"))),
                    values,
                }
            }
            VariableKind::Custom if v.multi => {
                // All: every option, as the dashboard's All choice.
                VarValue {
                    prom: alternation(&v.options),
                    token: Some((token, format!("({})", v.options.join("|")))),
                    values: v.options.clone(),
                }
            }
            VariableKind::Custom => {
                let d = v.default.clone().unwrap_or_else(|| v.options[0].clone());
                VarValue {
                    prom: d.clone(),
                    token: Some((token, d.clone())),
                    values: vec![d],
                }
            }
            VariableKind::Interval => {
                let d = v.default.clone().unwrap_or_else(|| v.options[0].clone());
                let secs = duration_s(&d).ok_or_else(|| anyhow!("variable {}: {d}", v.name))?;
                VarValue {
                    prom: d.clone(),
                    token: Some((token, secs.to_string())),
                    values: vec![d],
                }
            }
            VariableKind::Constant => {
                let d = v.value.clone().unwrap_or_default();
                VarValue {
                    prom: d.clone(),
                    token: None,
                    values: vec![d],
                }
            }
        };
        out.insert(v.name.clone(), value);
    }
    Ok(out)
}

fn var_re() -> Regex {
    Regex::new(r"\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]")
        .expect("variable regex")
}

/// Grafana's textual substitution, with the step and range of the panel.
pub fn substitute(
    expr: &str,
    vars: &BTreeMap<String, VarValue>,
    step_s: i64,
    range_s: i64,
) -> Result<String> {
    let mut err = None;
    let out = var_re().replace_all(expr, |c: &regex::Captures| {
        let name = c
            .get(1)
            .or_else(|| c.get(2))
            .or_else(|| c.get(3))
            .map_or("", |m| m.as_str());
        match name {
            "__rate_interval" | "__interval" => format!("{step_s}s"),
            "__range_s" => format!("{range_s}"),
            "__range" => format!("{range_s}s"),
            _ => match vars.get(name) {
                Some(v) => v.prom.clone(),
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

/// One shown target of a panel.
pub struct PlannedTarget {
    /// For Prometheus, variables substituted.
    pub prom_expr: String,
    /// Labels of the compiled query (for naming as the dashboard does).
    pub labels: Vec<String>,
    pub instant: bool,
    pub target: mattermost_metrics::dashboard::Target,
}

pub struct PanelPlan {
    pub step_s: i64,
    pub start_s: i64,
    pub end_s: i64,
    pub targets: Vec<PlannedTarget>,
}

impl PanelPlan {
    pub fn steps(&self) -> usize {
        ((self.end_s - self.start_s) / self.step_s + 1) as usize
    }
    /// What `$__range` spans: the Splunk search's range, [start - step, end).
    pub fn range_s(&self) -> i64 {
        self.end_s - self.start_s + self.step_s
    }
}

/// The step of a panel: the largest fixed range among its targets once
/// the variables are substituted (both engines then see the same windows),
/// 120 s when there is none.
fn step_for(exprs: &[String]) -> i64 {
    let re = Regex::new(r"\[((?:[0-9]+(?:ms|[smhdwy]))+)\]").expect("range regex");
    exprs
        .iter()
        .flat_map(|e| {
            re.captures_iter(e)
                .filter_map(|c| duration_s(&c[1]))
                .collect::<Vec<_>>()
        })
        .max()
        .unwrap_or(120)
}

pub fn plan(spec: &Spec, panel: &Panel, vars: &BTreeMap<String, VarValue>) -> Result<PanelPlan> {
    let opts = spec.options();
    let shown: Vec<&mattermost_metrics::dashboard::Target> = panel
        .targets
        .iter()
        .filter(|t| !t.hidden && t.omit.is_none())
        .collect();
    // Ranges fixed once user variables are in (`[$decay]` -> `[30m]`).
    let keep: BTreeMap<String, VarValue> = vars.clone();
    let mut with_vars = Vec::new();
    for t in &shown {
        let e = spec.target_expr(panel, t)?;
        // Leave Grafana's own interval variables for later.
        let e = e
            .replace("$__rate_interval", "\u{1}")
            .replace("$__interval", "\u{2}")
            .replace("${__range_s}", "\u{3}")
            .replace("$__range", "\u{4}");
        with_vars.push(substitute(&e, &keep, 0, 0)?);
    }
    let step_s = step_for(&with_vars);
    let (start_s, end_s) = range_for(step_s);
    let range_s = end_s - start_s + step_s;
    let mut targets = Vec::new();
    for (t, e) in shown.iter().zip(&with_vars) {
        let prom_expr = e
            .replace('\u{1}', &format!("{step_s}s"))
            .replace('\u{2}', &format!("{step_s}s"))
            .replace('\u{3}', &format!("{range_s}"))
            .replace('\u{4}', &format!("{range_s}s"));
        let q = mattermost_metrics::spl::compile_str(&spec.target_expr(panel, t)?, &opts)
            .with_context(|| format!("compiling {}", t.expr.as_deref().unwrap_or_default()))?;
        targets.push(PlannedTarget {
            prom_expr,
            labels: q.labels,
            instant: q.instant,
            target: (*t).clone(),
        });
    }
    Ok(PanelPlan {
        step_s,
        start_s,
        end_s,
        targets,
    })
}

/// The `le` bound as a number (`+Inf` last).
fn le_value(s: &PromSeries) -> f64 {
    match s.labels.get("le").map(String::as_str) {
        Some("+Inf") => f64::INFINITY,
        Some(v) => v.parse().unwrap_or(f64::NAN),
        None => f64::NAN,
    }
}

/// Grafana's `format: heatmap`: cumulative buckets shown per bucket.
fn per_bucket(mut series: Vec<PromSeries>) -> Vec<PromSeries> {
    series.sort_by(|a, b| le_value(a).total_cmp(&le_value(b)));
    let key = |s: &PromSeries| -> Vec<(String, String)> {
        s.labels
            .iter()
            .filter(|(k, _)| k.as_str() != "le")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let mut out: Vec<PromSeries> = Vec::new();
    let mut below: BTreeMap<Vec<(String, String)>, BTreeMap<i64, f64>> = BTreeMap::new();
    for s in series {
        let prev = below.entry(key(&s)).or_default();
        let points: Vec<(i64, f64)> = s
            .points
            .iter()
            .map(|(t, v)| (*t, v - prev.get(t).copied().unwrap_or(0.0)))
            .collect();
        for (t, v) in &s.points {
            prev.insert(*t, *v);
        }
        out.push(PromSeries {
            labels: s.labels.clone(),
            points,
        });
    }
    out
}

/// Grafana's reduction of a series to one value, at `end_s`.
fn reduce(r: Reduce, points: &[(i64, f64)], end_s: i64) -> Vec<(i64, f64)> {
    let finite: Vec<f64> = points
        .iter()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .collect();
    let v = match (r, finite.first(), finite.last()) {
        (_, None, _) | (_, _, None) => return Vec::new(),
        (Reduce::Last, _, Some(l)) => *l,
        (Reduce::Diff, Some(f), Some(l)) => l - f,
        (Reduce::Mean, _, _) => finite.iter().sum::<f64>() / finite.len() as f64,
        (Reduce::Max, _, _) => finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        (Reduce::Sum, _, _) => finite.iter().sum(),
    };
    vec![(end_s, v)]
}

/// What Grafana draws for the panel from Prometheus' answers.
pub fn expected(
    prom: &PromClient,
    spec: &Spec,
    panel: &Panel,
    plan: &PanelPlan,
    vars: &BTreeMap<String, VarValue>,
) -> Result<Vec<NamedSeries>> {
    let values: BTreeMap<String, String> =
        vars.iter().filter_map(|(_, v)| v.token.clone()).collect();
    let mut out = Vec::new();
    for t in &plan.targets {
        let mut series = prom.query_range(&t.prom_expr, plan.start_s, plan.end_s, plan.step_s)?;
        if panel.kind == PanelKind::Heatmap || panel.buckets {
            series = per_bucket(series);
        }
        for mut s in series {
            if let Some(i) = s.labels.get_mut("instance") {
                *i = instance_host(i).to_string();
            }
            // `le` and `quantile` as the converter writes them (Prometheus
            // 3's canonical form: "0" is "0.0"): how Splunk shows them.
            for l in ["le", "quantile"] {
                if let Some(v) = s.labels.get_mut(l) {
                    if let Some(c) = mattermost_metrics::convert::float::canonical_bound_text(v) {
                        *v = c.as_str().to_string();
                    }
                }
            }
            let name = spec.target_name(&t.target, &t.labels, &s.labels, &values);
            let points = match panel.reduce {
                Some(r) => reduce(r, &s.points, plan.end_s),
                None => s.points,
            };
            out.push(NamedSeries { name, points });
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ helpers

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
        (vec!["rate(x[1h30m])"], 5400),
    ] {
        let e: Vec<String> = e.iter().map(|s| s.to_string()).collect();
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
    let value = |prom: &str| VarValue {
        prom: prom.to_string(),
        token: None,
        values: Vec::new(),
    };
    let mut vars = BTreeMap::new();
    vars.insert(
        "server".to_string(),
        value(&format_multi(&[
            "mm-node-1:8067".into(),
            "mm-node-2:8067".into(),
        ])),
    );
    vars.insert(
        "top".to_string(),
        value(&format_multi(&["PostStore.Save".into()])),
    );
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
        let got = substitute(e, &vars, 300, VARIABLE_RANGE_S).map_err(|e| e.to_string())?;
        if got != want {
            return Err(format!("substitute({e:?}) = {got:?}, want {want:?}"));
        }
    }
    if substitute("x{a=~\"$nope\"}", &vars, 60, 60).is_ok() {
        return Err("substitute accepted an unknown variable".into());
    }
    Ok(())
}
