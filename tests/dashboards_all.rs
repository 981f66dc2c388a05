//! Every official Mattermost Grafana dashboard has its Splunk dashboard,
//! checked against the Grafana original (tests/fixtures/grafana/):
//! the same panels in the same order with the same titles and queries;
//! every metric a search reads exists (the metric catalogue, or the input's
//! own health metrics); every token a search uses is defined by the
//! dashboard; no search names an index; every search parses in the SPL
//! evaluator. (What the searches compute: scripts/differential.)

use spl_eval as spl;
use test_support::simplexml;

use std::collections::{BTreeMap, BTreeSet};

use mattermost_metrics::dashboard::{load_all, Spec};
use regex::Regex;
use serde_json::Value;
use test_support::root;

/// The Grafana file each spec reproduces.
const SOURCES: &[(&str, &str)] = &[
    (
        "mattermost_performance_monitoring",
        "mattermost-performance-monitoring-v2.json",
    ),
    (
        "mattermost_performance_kpi",
        "mattermost-performance-kpi-metrics_rev2.json",
    ),
    (
        "mattermost_performance_bonus",
        "mattermost-performance-monitoring-bonus-metrics_rev2.json",
    ),
    (
        "mattermost_collapsed_reply_threads",
        "mattermost-collapsed_reply_threads_performance.json",
    ),
    (
        "mattermost_notification_health",
        "mattermost-notification-metrics.json",
    ),
    ("mattermost_web_app", "mattermost-web-app-metrics.json"),
    (
        "mattermost_mobile_performance",
        "mattermost-mobile-performance.json",
    ),
    (
        "mattermost_desktop_app",
        "mattermost-desktop-app-metrics.json",
    ),
    (
        "mattermost_calls_performance",
        "mattermost-calls-performance-monitoring.json",
    ),
];

/// Grafana's panels in dashboard order: (row title, panel).
fn grafana_panels(d: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut row = String::new();
    for p in d["panels"].as_array().unwrap() {
        if p["type"] == "row" {
            row = p["title"].as_str().unwrap_or("").to_string();
            for q in p["panels"].as_array().into_iter().flatten() {
                out.push((row.clone(), q.clone()));
            }
        } else {
            out.push((row.clone(), p.clone()));
        }
    }
    out
}

fn canonical(promql: &str) -> String {
    mattermost_metrics::promql::parse(promql)
        .unwrap_or_else(|e| panic!("{promql}: {e}"))
        .to_string()
}

fn specs() -> Vec<Spec> {
    load_all(&root().join("dashboards/specs")).unwrap()
}

#[test]
fn nine_dashboards_every_grafana_panel_in_order() {
    let specs = specs();
    assert_eq!(specs.len(), SOURCES.len(), "one spec per Grafana dashboard");
    let mut total = 0;
    for (id, file) in SOURCES {
        let spec = specs
            .iter()
            .find(|s| s.id == *id)
            .unwrap_or_else(|| panic!("no spec {id}"));
        let text =
            std::fs::read_to_string(root().join("tests/fixtures/grafana").join(file)).unwrap();
        let g: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(spec.grafana.title, g["title"].as_str().unwrap(), "{id}");
        let gp = grafana_panels(&g);
        let ours: Vec<(String, &mattermost_metrics::dashboard::Panel)> = spec
            .rows
            .iter()
            .flat_map(|r| r.panels.iter().map(move |p| (r.title.clone(), p)))
            .collect();
        assert_eq!(ours.len(), gp.len(), "{id}: panel count");
        for ((row, p), (grow, q)) in ours.iter().zip(&gp) {
            assert_eq!(
                &p.title,
                q["title"].as_str().unwrap_or(""),
                "{id}: panel order"
            );
            assert_eq!(row, grow, "{id} / {}: row", p.title);
            // The same queries, target for target.
            let targets = q["targets"].as_array().cloned().unwrap_or_default();
            assert_eq!(p.targets.len(), targets.len(), "{id} / {}", p.title);
            for (t, gt) in p.targets.iter().zip(&targets) {
                match (&t.expr, &t.math) {
                    // The same PromQL (as parsed: the v2 spec joins Grafana's
                    // multi-line expressions into one line).
                    (Some(e), _) => assert_eq!(
                        canonical(e),
                        canonical(gt["expr"].as_str().unwrap_or("")),
                        "{id} / {}",
                        p.title
                    ),
                    (_, Some(m)) => assert_eq!(
                        Some(m.as_str()),
                        gt["expression"].as_str(),
                        "{id} / {}",
                        p.title
                    ),
                    _ => unreachable!(),
                }
            }
        }
        // Every title as often as Grafana has it (the mobile dashboard
        // has two panels called "# Events Channel Switch", a time chart
        // and a stat).
        let xml =
            std::fs::read_to_string(root().join("dashboards").join(format!("{id}.xml"))).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let mut have: BTreeMap<String, usize> = BTreeMap::new();
        for n in doc.descendants().filter(|n| n.has_tag_name("panel")) {
            if let Some(t) = n
                .children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
            {
                *have.entry(t.to_string()).or_default() += 1;
            }
        }
        let mut want: BTreeMap<String, usize> = BTreeMap::new();
        for (_, q) in &gp {
            *want
                .entry(q["title"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
        }
        assert_eq!(have, want, "{id}: panel titles");
        total += gp.len();
    }
    assert_eq!(total, 153, "Grafana's nine dashboards have 153 panels");
}

/// The metric names the catalogue knows (src/spl/catalog.tsv).
fn known_metrics() -> BTreeSet<String> {
    mattermost_metrics::spl::catalog::names()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_search_reads_known_metrics_defines_its_tokens_and_parses() {
    let known = known_metrics();
    let metric_re =
        Regex::new(r"\b(?:avg|sum|min|max|count|latest|earliest|rate|rate_sum|rate_avg)\(([A-Za-z_][A-Za-z0-9_.]*)\)").unwrap();
    let token_re = Regex::new(r"\$([A-Za-z_][A-Za-z0-9_.]*)\$").unwrap();
    let index_re = Regex::new(r"(?i)\bindex\s*=").unwrap();
    let macros = spl::Macros::from_conf(
        &std::fs::read_to_string(root().join("splunk_app/default/macros.conf")).unwrap(),
    );
    for (id, _) in SOURCES {
        let xml =
            std::fs::read_to_string(root().join("dashboards").join(format!("{id}.xml"))).unwrap();
        assert!(
            !xml.contains("<script") && !xml.contains("script="),
            "{id}: no custom JavaScript"
        );
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(doc.root_element().attribute("version"), Some("1.1"), "{id}");
        let mut defined: BTreeSet<String> = ["time.earliest", "time.latest"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for n in doc.descendants().filter(|n| n.is_element()) {
            if let Some(t) = n.attribute("token") {
                defined.insert(t.to_string());
            }
        }
        let mut used: BTreeSet<String> = BTreeSet::new();
        for q in doc.descendants().filter(|n| n.has_tag_name("query")) {
            let text = q.text().unwrap_or("");
            assert!(
                !index_re.is_match(text),
                "{id}: a search names an index: {text}"
            );
            for c in text
                .lines()
                .filter(|l| l.contains("mstats "))
                .flat_map(|l| metric_re.captures_iter(l))
            {
                let m = &c[1];
                assert!(
                    known.contains(m) || m.starts_with("mattermost_metrics."),
                    "{id}: unknown metric {m}"
                );
            }
            for c in token_re.captures_iter(text) {
                let t = c[1].to_string();
                if !t.starts_with("result.") {
                    assert!(defined.contains(&t), "{id}: token ${t}$ is not defined");
                    used.insert(t);
                }
            }
            // Parses in the SPL evaluator with every token set; a
            // post-process search as it runs, merged with its base.
            let search = q
                .parent()
                .filter(|s| s.attribute("base").is_some())
                .map(|s| simplexml::search_text(&doc, s).expect("a post-process search's base"));
            let text = search.as_deref().unwrap_or(text);
            let tokens: BTreeMap<String, String> = used
                .iter()
                .chain(defined.iter())
                .map(|t| {
                    (
                        t.clone(),
                        if t.starts_with("span") {
                            "300".into()
                        } else {
                            "(host=\"*\")".into()
                        },
                    )
                })
                .collect();
            let mut tokens = tokens;
            tokens.insert("span".into(), "300s".into());
            spl::check(text, &macros, &tokens).unwrap_or_else(|e| panic!("{id}: {e:#}\n{text}"));
        }
        // A search's time range may use a token too (a chart's
        // `$chart_earliest$`, set by the span search).
        for n in doc
            .descendants()
            .filter(|n| n.has_tag_name("earliest") || n.has_tag_name("latest"))
        {
            for c in token_re.captures_iter(n.text().unwrap_or("")) {
                assert!(
                    defined.contains(&c[1]),
                    "{id}: token ${}$ is not defined",
                    &c[1]
                );
                used.insert(c[1].to_string());
            }
        }
        // A panel or row shown only while a token is set (`depends`: the
        // empty states) uses it too.
        for n in doc.descendants().filter(|n| n.is_element()) {
            for a in ["depends", "rejects"] {
                for c in token_re.captures_iter(n.attribute(a).unwrap_or("")) {
                    assert!(
                        defined.contains(&c[1]),
                        "{id}: token ${}$ is not defined",
                        &c[1]
                    );
                    used.insert(c[1].to_string());
                }
            }
        }
        for t in &defined {
            if !t.starts_with("time") {
                assert!(
                    used.contains(t),
                    "{id}: token {t} is defined but never used"
                );
            }
        }
    }
}
