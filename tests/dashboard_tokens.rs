//! No value from the data can change the shape of a dashboard's search
//! (issue 17).
//!
//! Label values are whatever a Mattermost plugin or a scrape target wrote,
//! and they reach searches through tokens: a multiselect's choices (from an
//! `mcatalog` of the data) and the hidden "top 10" searches' result tokens.
//! For every generated dashboard, and for each such token, this test puts
//! hostile values in the index (a quote and a pipe with `outputlookup`, a
//! trailing backslash, a newline, backquotes and a macro call, `$`,
//! brackets, a 10,000-character value), lets the dashboard's own searches
//! turn them into token values (the choices search's escaped value, the
//! hidden search's filter), assembles a multiselect's token from the
//! committed XML's `prefix`/`valuePrefix`/`delimiter`/... and substitutes
//! tokens as Splunk does (`spl::expand`). Then:
//!
//! - every search of one load (dispatched, and post-process searches merged
//!   with their base) parses into the same commands as with a benign value
//!   (the shape), and parses at all (quoting balanced);
//! - the panels that use the token run, and draw the hostile series by its
//!   own name, and not the other value the multiselect did not select.

use spl_eval as spl;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{anyhow, Context as _, Result};
use regex::Regex;

use mattermost_metrics::dashboard::{self, Load, Range, Run, Spec, VariableKind, CHOICE_VALUE};
use spl::{Context, Macros, Row, Store};
use test_support::root;

fn hostile() -> Vec<String> {
    vec![
        "x\") | outputlookup mm_pwn.csv | search (method=\"x".to_string(),
        "ends in a backslash\\".to_string(),
        "two\nlines".to_string(),
        "back`tick` `mattermost_metrics_index` ```".to_string(),
        "$host$ $$ $".to_string(),
        "[brackets] ] [| makeresults]".to_string(),
        "\\\" both \\\\\"".to_string(),
        "L".repeat(10_000),
    ]
}

/// The other value of the label, which a multiselect did not select.
const OTHER: &str = "other-value";

const T0: i64 = 1_700_000_000 / 3600 * 3600;
const LEN_S: i64 = 2 * 3600;
/// One scrape a minute: the input's default interval.
const STEP_S: i64 = 60;

/// For each metric the load's `mstats` read, the selections they make of
/// it: the endpoint job (none: the server's own) and the literal label
/// values (`method="X"`) of each `mstats` that names it, so that the index
/// has series each panel selects and no more.
/// One selection of a metric: the endpoint job and the literal label values.
type Selection = (Option<String>, Vec<(String, String)>);

fn selections(load: &Load) -> BTreeMap<String, BTreeSet<Selection>> {
    let agg = Regex::new(r"\b[a-z_]+\(([A-Za-z_:][A-Za-z0-9_:]*)\) AS ").unwrap();
    let lit = Regex::new(r#"\b([A-Za-z_][A-Za-z0-9_]*)="([^"*$\\]+)""#).unwrap();
    let mut texts: Vec<String> = load.dispatches.iter().map(|d| d.query.clone()).collect();
    for (_, r) in load.variables.iter().chain(&load.choices) {
        texts.push(load.search_of(r).0);
    }
    let mut out: BTreeMap<String, BTreeSet<Selection>> = BTreeMap::new();
    for line in texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| l.contains("mstats "))
    {
        let mut job = None;
        let mut literals = Vec::new();
        for c in lit.captures_iter(line) {
            match &c[1] {
                "job" => job = Some(c[2].to_string()),
                "host" | "le" | "metric_name" | "index" | "fillnull_value" => {}
                l => literals.push((l.to_string(), c[2].to_string())),
            }
        }
        for c in agg.captures_iter(line) {
            out.entry(c[1].to_string())
                .or_default()
                .insert((job.clone(), literals.clone()));
        }
    }
    out
}

/// An index with every metric the dashboard reads, as each `mstats`
/// selects it ([`selections`]), for each value of `label` in `values` (the
/// other labels benign): counters rising every minute over two hours;
/// buckets with three `le`.
fn store_for(load: &Load, label: &str, values: &[&str]) -> Store {
    let mut store = Store::new();
    let mut seen: BTreeSet<(String, BTreeMap<String, String>)> = BTreeSet::new();
    for (metric, picks) in selections(load) {
        let les: &[&str] = if metric.ends_with("_bucket") {
            &["0.1", "1", "+Inf"]
        } else {
            &[""]
        };
        for (job, literals) in &picks {
            for (vi, v) in values.iter().enumerate() {
                for (li, le) in les.iter().enumerate() {
                    let mut dims = BTreeMap::new();
                    dims.insert("index".to_string(), "wss_metrics".to_string());
                    dims.insert("host".to_string(), "mm1".to_string());
                    for l in [
                        "method",
                        "handler",
                        "platform",
                        "agent",
                        "version",
                        "processName",
                        "name",
                        "route",
                        "type",
                        "mode",
                    ] {
                        dims.insert(l.to_string(), "v1".to_string());
                    }
                    for (l, lv) in literals {
                        dims.insert(l.clone(), lv.clone());
                    }
                    dims.insert(label.to_string(), v.to_string());
                    if let Some(j) = job {
                        dims.insert("job".to_string(), j.clone());
                        if label != "host" {
                            dims.insert("host".to_string(), format!("{j}-host"));
                        }
                    }
                    if !le.is_empty() {
                        dims.insert("le".to_string(), le.to_string());
                    }
                    if !seen.insert((metric.clone(), dims.clone())) {
                        continue;
                    }
                    let id = store.series_id(&metric, &dims);
                    for k in 0..=(LEN_S / STEP_S) {
                        let t = T0 + k * STEP_S;
                        let value = (k as f64 + 1.0) * (li as f64 + 1.0) * (vi as f64 + 1.0);
                        store.push_value(id, t * 1000, value);
                    }
                }
            }
        }
    }
    store
}

/// A multiselect's token assembly, read from the committed XML.
#[derive(Debug, Clone, Default)]
struct Multi {
    prefix: String,
    suffix: String,
    value_prefix: String,
    value_suffix: String,
    delimiter: String,
    value_field: String,
}

fn multiselects(xml: &str) -> BTreeMap<String, Multi> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let mut out = BTreeMap::new();
    for n in doc
        .descendants()
        .filter(|n| n.has_tag_name("input") && n.attribute("type") == Some("multiselect"))
    {
        let get = |tag: &str| {
            n.children()
                .find(|c| c.has_tag_name(tag))
                .and_then(|c| c.text())
                .unwrap_or("")
                .to_string()
        };
        if get("fieldForValue").is_empty() {
            continue;
        }
        out.insert(
            n.attribute("token").unwrap().to_string(),
            Multi {
                prefix: get("prefix"),
                suffix: get("suffix"),
                value_prefix: get("valuePrefix"),
                value_suffix: get("valueSuffix"),
                delimiter: get("delimiter"),
                value_field: get("fieldForValue"),
            },
        );
    }
    out
}

struct Run1<'a> {
    store: &'a Store,
    macros: &'a Macros,
}

impl Run1<'_> {
    fn ctx(&self, tokens: &BTreeMap<String, String>, range: Range) -> Context<'_> {
        let earliest_s = match range {
            Range::Picker => T0 as f64,
            Range::Chart => tokens["chart_earliest"].parse().unwrap(),
        };
        Context {
            store: self.store,
            macros: self.macros,
            earliest_s,
            latest_s: (T0 + LEN_S) as f64,
            tokens: tokens.clone(),
            rate_basis: spl::RateBasis::default(),
        }
    }

    fn run(&self, q: &str, range: Range, tokens: &BTreeMap<String, String>) -> Result<Vec<Row>> {
        spl::run(q, &self.ctx(tokens, range))
    }
}

/// Every token of one load, as the dashboard sets them over `store`: the
/// multiselect under test (`under`) selects the rows whose `label` value is
/// `pick`; the others select everything their choices offer.
fn tokens(
    spec: &Spec,
    load: &Load,
    multis: &BTreeMap<String, Multi>,
    r: &Run1,
    under: Option<(&str, &str)>,
) -> Result<BTreeMap<String, String>> {
    let mut t = BTreeMap::new();
    let span = r.run(&load.dispatches[0].query, Range::Picker, &BTreeMap::new())?;
    for k in ["span", "span_s", "span_lookback", "chart_earliest"] {
        t.insert(
            k.to_string(),
            span[0]
                .text(k)
                .ok_or_else(|| anyhow!("span search: no {k}"))?,
        );
    }
    // Inputs first (choices), in the dashboard's order, then hidden searches.
    for v in &spec.variables {
        let token = spec.token_of(v);
        match v.kind {
            VariableKind::Nodes | VariableKind::Values => {
                let m = multis
                    .get(&token)
                    .ok_or_else(|| anyhow!("no multiselect for token {token}"))?;
                let run = &load
                    .choices
                    .iter()
                    .find(|(n, _)| *n == v.name)
                    .ok_or_else(|| anyhow!("no choices search for {}", v.name))?
                    .1;
                let (q, range) = load.search_of(run);
                let rows = r
                    .run(&q, range, &t)
                    .with_context(|| format!("choices of {}\n{q}", v.name))?;
                let label = match v.kind {
                    VariableKind::Nodes => "host".to_string(),
                    _ => mattermost_metrics::spl::label_field(v.field.as_deref().unwrap_or("")),
                };
                let picked: Vec<String> = rows
                    .iter()
                    .filter(|row| match under {
                        Some((l, pick)) if l == label => row.text(&label).as_deref() == Some(pick),
                        _ => true,
                    })
                    .filter_map(|row| row.text(&m.value_field))
                    .collect();
                // No choice: the input's default, All (`*`).
                let picked = if picked.is_empty() {
                    vec!["*".to_string()]
                } else {
                    picked
                };
                let parts: Vec<String> = picked
                    .iter()
                    .map(|p| format!("{}{p}{}", m.value_prefix, m.value_suffix))
                    .collect();
                t.insert(
                    token,
                    format!("{}{}{}", m.prefix, parts.join(&m.delimiter), m.suffix),
                );
            }
            VariableKind::Custom if v.multi => {
                t.insert(token, format!("({})", v.options.join("|")));
            }
            VariableKind::Custom => {
                t.insert(
                    token,
                    v.default.clone().unwrap_or_else(|| v.options[0].clone()),
                );
            }
            VariableKind::Interval => {
                let d = v.default.clone().unwrap_or_else(|| v.options[0].clone());
                t.insert(
                    token,
                    mattermost_metrics::spl::parse_duration_s(&d)
                        .unwrap()
                        .to_string(),
                );
            }
            VariableKind::Query | VariableKind::Constant => {}
        }
    }
    for v in spec
        .variables
        .iter()
        .filter(|v| v.kind == VariableKind::Query)
    {
        let (q, range) = load.variable_search(&v.name).unwrap();
        let rows = r
            .run(&q, range, &t)
            .with_context(|| format!("hidden search {}", v.name))?;
        let filter = rows
            .first()
            .and_then(|row| row.text("filter"))
            .ok_or_else(|| anyhow!("hidden search {}: no filter", v.name))?;
        t.insert(spec.token_of(v), filter);
    }
    Ok(t)
}

/// Every search of one load as it runs: the dispatched ones, and the
/// post-process searches merged with their base.
fn all_searches(load: &Load) -> Vec<(String, Range)> {
    let mut out: Vec<(String, Range)> = load
        .dispatches
        .iter()
        .map(|d| (d.query.clone(), d.range))
        .collect();
    for r in load
        .panels
        .iter()
        .chain(load.variables.iter().map(|(_, r)| r))
        .chain(load.choices.iter().map(|(_, r)| r))
    {
        if let Run::Post { .. } = r {
            out.push(load.search_of(r));
        }
    }
    out
}

/// The tokens fed from the data, per dashboard: (token, label).
fn data_tokens(spec: &Spec) -> Vec<(String, String)> {
    spec.variables
        .iter()
        .filter_map(|v| {
            let label = match v.kind {
                VariableKind::Nodes => "host".to_string(),
                VariableKind::Values | VariableKind::Query => {
                    mattermost_metrics::spl::label_field(v.field.as_deref()?)
                }
                _ => return None,
            };
            Some((spec.token_of(v), label))
        })
        .collect()
}

/// What a panel draws, each cell as `field=value` with the label value
/// `v` written as `<value>`, sorted: comparable across values.
fn canonical(rows: &[Row], v: &str) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            row.0.iter().map(|(k, f)| {
                format!(
                    "{}={}",
                    k.replace(v, "<value>"),
                    f.text().replace(v, "<value>")
                )
            })
        })
        .collect();
    out.sort();
    out
}

fn check_dashboard(spec: &Spec, macros: &Macros, problems: &mut Vec<String>) -> Result<usize> {
    let load = spec.load_plan()?;
    let xml = std::fs::read_to_string(root().join(format!("dashboards/{}.xml", spec.id)))?;
    let multis = multiselects(&xml);
    let mut checked = 0;
    for (token, label) in data_tokens(spec) {
        let benign_store = store_for(&load, &label, &["benign", OTHER]);
        let rb = Run1 {
            store: &benign_store,
            macros,
        };
        let benign = tokens(spec, &load, &multis, &rb, Some((&label, "benign")))?;
        // Each search's shape with the benign value.
        let searches = all_searches(&load);
        let shapes: Vec<Result<Vec<&'static str>, String>> = searches
            .iter()
            .map(|(q, _)| spl::command_names(q, macros, &benign).map_err(|e| format!("{e:#}")))
            .collect();
        // What each panel that uses the token draws for the benign value.
        let mut want: BTreeMap<usize, Result<Vec<String>, String>> = BTreeMap::new();
        for (k, _) in spec.panels().enumerate() {
            let (q, range) = load.panel_search(k);
            let uses = q.contains(&format!("${token}$"))
                || spec.variables.iter().any(|v| {
                    v.kind == VariableKind::Query
                        && spec.token_of(v) == token
                        && q.contains(&format!("${}$", v.name))
                });
            if uses {
                want.insert(
                    k,
                    rb.run(&q, range, &benign)
                        .map(|rows| canonical(&rows, "benign"))
                        .map_err(|e| format!("{e:#}")),
                );
            }
        }
        for h in hostile() {
            let store = store_for(&load, &label, &[&h, OTHER]);
            let r = Run1 {
                store: &store,
                macros,
            };
            let short: String = h.chars().take(40).collect();
            let t = match tokens(spec, &load, &multis, &r, Some((&label, &h))) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("{} ${token}$ = {short:?}: {e:#}", spec.id));
                    continue;
                }
            };
            for ((q, _), want) in searches.iter().zip(&shapes) {
                let want = want.clone();
                let got = spl::command_names(q, macros, &t);
                match (want, got) {
                    (Ok(w), Ok(g)) if w == g => checked += 1,
                    (Ok(w), Ok(g)) => problems.push(format!(
                        "{} ${token}$ = {short:?}: the search changed shape: {w:?} became {g:?}",
                        spec.id
                    )),
                    (w, g) => problems.push(format!(
                        "{} ${token}$ = {short:?}: {:?} / {:?}\n{q}",
                        spec.id,
                        w.err(),
                        g.err().map(|e| e.to_string())
                    )),
                }
            }
            // The panels that use the token draw the hostile series' own
            // data: exactly what they draw for a benign value in its place
            // (same numbers, names with the value swapped), and nothing of
            // the value the token did not select.
            let mut drew = 0;
            let titles: Vec<&str> = spec.panels().map(|p| p.title.as_str()).collect();
            for (k, w) in &want {
                let (q, range) = load.panel_search(*k);
                match (r.run(&q, range, &t), w) {
                    (Ok(g), Ok(w)) => {
                        let g = canonical(&g, &h);
                        if &g != w {
                            problems.push(format!(
                                "{} ${token}$ = {short:?}: panel {:?} draws other data than for a benign value",
                                spec.id, titles[*k]
                            ));
                        } else if !g.is_empty() {
                            drew += 1;
                        }
                    }
                    (g, w) => problems.push(format!(
                        "{} ${token}$ = {short:?}: panel {:?}: {:?} / benign {:?}",
                        spec.id,
                        titles[*k],
                        g.err().map(|e| format!("{e:#}")),
                        w.as_ref().err()
                    )),
                }
            }
            if drew == 0 && !t[&token].contains("\"*\"") {
                problems.push(format!(
                    "{} ${token}$ = {short:?}: no panel using it draws anything",
                    spec.id
                ));
            }
        }
    }
    Ok(checked)
}

#[test]
fn no_label_value_changes_a_search() {
    let macros = Macros::from_conf(
        &std::fs::read_to_string(root().join("splunk_app/default/macros.conf")).unwrap(),
    );
    let specs = dashboard::load_all(Path::new(&root().join("dashboards/specs"))).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for spec in &specs {
        match check_dashboard(spec, &macros, &mut problems) {
            Ok(n) => checked += n,
            Err(e) => problems.push(format!("{}: {e:#}", spec.id)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 1000, "only {checked} searches checked");
    let _ = CHOICE_VALUE;
}
