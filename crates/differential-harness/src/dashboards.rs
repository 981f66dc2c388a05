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
use super::splunk_def;
use super::timeline::{Timeline, NOW_S};

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

/// A dashboard's time range as its time picker sets it (`-6h` to `now`): earliest <= t < latest,
/// neither snapped to anything.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeRange {
    pub earliest_s: i64,
    pub latest_s: i64,
}

impl TimeRange {
    /// The last `len_s` seconds before the harness' "now" ([`NOW_S`]).
    pub fn last(len_s: i64) -> TimeRange {
        TimeRange {
            earliest_s: NOW_S - len_s,
            latest_s: NOW_S,
        }
    }

    /// Grafana's `${__range_s}`.
    pub fn len_s(&self) -> i64 {
        self.latest_s - self.earliest_s
    }

    /// `1h`, `6h`, `24h`, `7d`.
    pub fn label(&self) -> String {
        let n = self.len_s();
        if n % 86_400 == 0 && n > 86_400 {
            format!("{}d", n / 86_400)
        } else if n % 3600 == 0 {
            format!("{}h", n / 3600)
        } else {
            format!("{n}s")
        }
    }
}

/// Grafana's regex escaping of one value, then `(a|b)`.
fn alternation(values: &[String]) -> String {
    format_multi(values)
}

fn host_filter(hosts: &[String]) -> String {
    let terms: Vec<String> = hosts.iter().map(|h| format!("host=\"{h}\"")).collect();
    format!("({})", terms.join(" OR "))
}

/// Resolves every variable of `spec`, in order (a query variable may use
/// earlier ones), as Grafana does for the time range `range` (query variables at its end).
pub fn resolve(
    spec: &Spec,
    tl: &Timeline,
    prom: &PromClient,
    range: TimeRange,
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
                let expr = substitute(query, &out, 60, range.len_s())?;
                let mut values: Vec<String> = prom
                    .query(&expr, range.latest_s)
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
                let expr = format!(
                    "count by ({field}) (count_over_time({metric}[{}s]))",
                    range.len_s()
                );
                let mut values: Vec<String> = prom
                    .query(&expr, range.latest_s)?
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
    /// The same with Splunk's rate definition in place of `rate`/`irate`/`increase`, over the
    /// dashboard's bucket (the whole range for an instant target); `None` when the target is
    /// not rate-derived (`splunk_def.rs`).
    pub splunk_expr: Option<String>,
    /// Labels of the compiled query (for naming as the dashboard does).
    pub labels: Vec<String>,
    pub instant: bool,
    pub target: mattermost_metrics::dashboard::Target,
}

pub struct PanelPlan {
    /// The dashboard's span (Grafana's step here).
    pub step_s: i64,
    /// First and last evaluation time: the range's ends rounded down to the step, as Grafana
    /// aligns a Prometheus range query.
    pub start_s: i64,
    pub end_s: i64,
    pub range: TimeRange,
    pub targets: Vec<PlannedTarget>,
}

impl PanelPlan {
    pub fn steps(&self) -> usize {
        ((self.end_s - self.start_s) / self.step_s + 1) as usize
    }

    /// Whether the Splunk bucket of evaluation time `t`, [t - step, t), is not wholly inside
    /// the range: the dashboard has only part of its data and may draw no point there.
    pub fn is_edge(&self, t: i64) -> bool {
        t - self.step_s < self.range.earliest_s || t > self.range.latest_s
    }
}

/// What Grafana asks Prometheus for a panel over `range`, at the dashboard's span `step_s`
/// (Grafana's `$__interval` and `$__rate_interval` are the step; `${__range_s}` the range).
pub fn plan(
    spec: &Spec,
    panel: &Panel,
    vars: &BTreeMap<String, VarValue>,
    range: TimeRange,
    step_s: i64,
) -> Result<PanelPlan> {
    let opts = spec.options();
    let start_s = range.earliest_s.div_euclid(step_s) * step_s;
    let end_s = range.latest_s.div_euclid(step_s) * step_s;
    let mut targets = Vec::new();
    for t in panel
        .targets
        .iter()
        .filter(|t| !t.hidden && t.omit.is_none())
    {
        let e = spec.target_expr(panel, t)?;
        let prom_expr = substitute(&e, vars, step_s, range.len_s())?;
        let q = mattermost_metrics::spl::compile_str(&e, &opts)
            .with_context(|| format!("compiling {}", t.expr.as_deref().unwrap_or_default()))?;
        let bucket_s = if q.instant { range.len_s() } else { step_s };
        let splunk_expr = splunk_def::splunk_expr(&prom_expr, bucket_s)
            .with_context(|| format!("Splunk's definition of {prom_expr}"))?;
        targets.push(PlannedTarget {
            prom_expr,
            splunk_expr,
            labels: q.labels,
            instant: q.instant,
            target: t.clone(),
        });
    }
    Ok(PanelPlan {
        step_s,
        start_s,
        end_s,
        range,
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

/// Which rate definition Prometheus evaluates a panel with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Side {
    /// The panel's PromQL as Grafana sends it: what Grafana draws.
    Prometheus,
    /// The rate-derived targets with Splunk's rate definition (`splunk_def.rs`), the others
    /// left out: the bound of each rate-derived series.
    SplunkDefinition,
}

/// What Grafana draws for the panel from Prometheus' answers (or, for
/// [`Side::SplunkDefinition`], what it would draw with Splunk's rate), and the names of the
/// series drawn from a rate-derived target.
pub fn drawn(
    prom: &PromClient,
    spec: &Spec,
    panel: &Panel,
    plan: &PanelPlan,
    vars: &BTreeMap<String, VarValue>,
    side: Side,
) -> Result<(Vec<NamedSeries>, BTreeSet<String>)> {
    let values: BTreeMap<String, String> = vars.values().filter_map(|v| v.token.clone()).collect();
    let mut out = Vec::new();
    let mut rate_derived = BTreeSet::new();
    for t in &plan.targets {
        // (`Side::SplunkDefinition` of a rate-derived target: one entry per name Grafana draws,
        // even where Splunk's definition has no value at all.)
        let (mut series, reduce_it) = match (side, &t.splunk_expr) {
            (Side::Prometheus, _) => (
                prom.query_range(&t.prom_expr, plan.start_s, plan.end_s, plan.step_s)?,
                true,
            ),
            (Side::SplunkDefinition, None) => continue,
            // One answer over the whole range, at its end, as ours computes it.
            (Side::SplunkDefinition, Some(e)) if t.instant => {
                let mut s = prom.query(e, plan.range.latest_s)?;
                for x in &mut s {
                    for p in &mut x.points {
                        p.0 = plan.end_s;
                    }
                }
                (s, false)
            }
            (Side::SplunkDefinition, Some(e)) => (
                prom.query_range(e, plan.start_s, plan.end_s, plan.step_s)?,
                true,
            ),
        };
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
            let points = match (panel.reduce, reduce_it) {
                (Some(r), true) => reduce(r, &s.points, plan.end_s),
                _ => s.points,
            };
            if t.splunk_expr.is_some() {
                rate_derived.insert(name.clone());
            }
            out.push(NamedSeries { name, points });
        }
    }
    Ok((out, rate_derived))
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
    for (len, want) in [
        (3600, "1h"),
        (6 * 3600, "6h"),
        (86_400, "24h"),
        (7 * 86_400, "7d"),
    ] {
        let r = TimeRange::last(len);
        if r.label() != want || r.len_s() != len || r.latest_s % 60 == 0 {
            return Err(format!("TimeRange::last({len}) = {r:?} ({})", r.label()));
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
        let got = substitute(e, &vars, 300, 10_800).map_err(|e| e.to_string())?;
        if got != want {
            return Err(format!("substitute({e:?}) = {got:?}, want {want:?}"));
        }
    }
    if substitute("x{a=~\"$nope\"}", &vars, 60, 60).is_ok() {
        return Err("substitute accepted an unknown variable".into());
    }
    Ok(())
}
