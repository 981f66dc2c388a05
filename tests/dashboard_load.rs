//! What one load of each dashboard costs a search head, and how it behaves
//! (issue 17), read from the committed XML:
//!
//! - the searches a load dispatches (a `<search>` with a query and no
//!   `base`: a post-process search dispatches no job), with no search text
//!   dispatched twice, at most 32 for Performance Monitoring, and the table
//!   in README.md the same as the count;
//! - one refresh per dashboard, on the span search, no more often than the
//!   input's interval, and every other search over the time picker's range
//!   following it through `$chart_earliest$` (which moves once per span);
//! - each generated panel shown only when its kind of endpoint has data, and
//!   an empty-state line for each kind;
//! - a menu without one-item dropdowns.

use std::collections::BTreeMap;
use std::path::Path;
use test_support::root;

/// Every dashboard: (view name, XML).
fn dashboards() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(root().join("dashboards"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("xml"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_str().unwrap().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

struct Count {
    dispatched: usize,
    /// `append` subsearches in the dispatched searches: each is a job too
    /// (Search Manual, About subsearches).
    subsearches: usize,
    post_process: usize,
    duplicates: Vec<String>,
}

fn count(xml: &str) -> Count {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let mut texts: BTreeMap<String, usize> = BTreeMap::new();
    let mut post_process = 0;
    for s in doc.descendants().filter(|n| n.has_tag_name("search")) {
        let Some(q) = s.children().find(|c| c.has_tag_name("query")) else {
            continue;
        };
        if s.attribute("base").is_some() {
            post_process += 1;
            continue;
        }
        *texts
            .entry(q.text().unwrap_or("").trim().to_string())
            .or_default() += 1;
    }
    Count {
        dispatched: texts.values().sum(),
        subsearches: texts
            .iter()
            .map(|(t, n)| n * t.matches("| append [").count())
            .sum(),
        post_process,
        duplicates: texts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t)
            .collect(),
    }
}

/// The README's table of what a load costs: view name -> its cells.
fn readme_table() -> BTreeMap<String, Vec<String>> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    readme
        .lines()
        .filter(|l| l.starts_with("| `mattermost_"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

#[test]
fn searches_per_load() {
    let table = readme_table();
    let mut problems = Vec::new();
    println!(
        "{:<36} {:>10} {:>12} {:>13}",
        "dashboard", "dispatched", "subsearches", "post-process"
    );
    for (name, xml) in dashboards() {
        let c = count(&xml);
        println!(
            "{name:<36} {:>10} {:>12} {:>13}",
            c.dispatched, c.subsearches, c.post_process
        );
        for d in &c.duplicates {
            problems.push(format!("{name}: dispatched twice on one load:\n{d}"));
        }
        let first = |k: usize| -> Option<usize> {
            table.get(&name)?.get(k)?.split(' ').next()?.parse().ok()
        };
        if (first(0), first(1)) != (Some(c.dispatched), Some(c.subsearches)) {
            problems.push(format!(
                "README.md's load table says {name} dispatches {:?} searches and {:?} subsearches per load; its XML: {} and {}",
                first(0),
                first(1),
                c.dispatched,
                c.subsearches
            ));
        }
        if name == "mattermost_performance_monitoring" && c.dispatched > 32 {
            problems.push(format!(
                "{name} dispatches {} searches per load (at most 32)",
                c.dispatched
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn one_refresh_per_dashboard_following_the_span() {
    let mut problems = Vec::new();
    for (name, xml) in dashboards() {
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let form = doc.root_element();
        if form.attribute("refresh").is_some() {
            problems.push(format!(
                "{name}: <form refresh=...> reruns every search, whatever its span"
            ));
        }
        let refreshes: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("refresh"))
            .collect();
        // Dashboards without a span (the alerts' tables) need no refresh.
        let spans = doc
            .descendants()
            .any(|n| n.has_tag_name("set") && n.attribute("token") == Some("chart_earliest"));
        if !spans {
            if !refreshes.is_empty() {
                problems.push(format!("{name}: refreshes without a span search"));
            }
            continue;
        }
        if refreshes.len() != 1 {
            problems.push(format!(
                "{name}: {} <refresh> elements, not 1",
                refreshes.len()
            ));
            continue;
        }
        let r = refreshes[0];
        let secs: Option<u64> = r
            .text()
            .and_then(|t| t.strip_suffix('s'))
            .and_then(|t| t.parse().ok());
        if secs.is_none_or(|s| s < mattermost_metrics::dashboard::REFRESH_S) {
            problems.push(format!(
                "{name}: refresh {:?} is shorter than the input's interval",
                r.text()
            ));
        }
        let holder = r.parent().unwrap();
        if holder.attribute("id") != Some("span_search") {
            problems.push(format!("{name}: the refresh is not on the span search"));
        }
        // Every other search over the picker's range follows it.
        for s in doc.descendants().filter(|n| n.has_tag_name("search")) {
            if s.attribute("base").is_some() || s.attribute("id") == Some("span_search") {
                continue;
            }
            // Input choices and probes list what exists; they need not move.
            if s.ancestors().any(|a| a.has_tag_name("input"))
                || s.attribute("id").is_some_and(|i| i.starts_with("probe_"))
            {
                continue;
            }
            let text = |tag: &str| {
                s.children()
                    .find(|c| c.has_tag_name(tag))
                    .and_then(|c| c.text())
                    .unwrap_or("")
            };
            if !text("earliest").contains("$chart_earliest$")
                && !text("query").contains("$chart_earliest$")
            {
                problems.push(format!(
                    "{name}: a search that never runs again: {}",
                    text("query").lines().next().unwrap_or("")
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn empty_states_lead_somewhere() {
    let specs =
        mattermost_metrics::dashboard::load_all(Path::new(&root().join("dashboards/specs")))
            .unwrap();
    let mut problems = Vec::new();
    for spec in &specs {
        let xml =
            std::fs::read_to_string(root().join(format!("dashboards/{}.xml", spec.id))).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        for p in doc.descendants().filter(|n| n.has_tag_name("panel")) {
            if p.descendants().any(|n| n.has_tag_name("html")) {
                continue;
            }
            let Some(kind) = p
                .attribute("depends")
                .and_then(|d| d.strip_prefix("$has_"))
                .and_then(|d| d.strip_suffix('$'))
            else {
                problems.push(format!(
                    "{}: a panel shown whether or not its data exists",
                    spec.id
                ));
                continue;
            };
            let probe = doc.descendants().find(|n| {
                n.has_tag_name("search") && n.attribute("id") == Some(&format!("probe_{kind}"))
            });
            let empty = doc.descendants().find(|n| {
                n.has_tag_name("row") && n.attribute("depends") == Some(&format!("$no_{kind}$"))
            });
            match (probe, empty) {
                (Some(_), Some(row)) => {
                    let line: String = row.descendants().filter_map(|n| n.text()).collect();
                    if !line.contains("input") && !line.contains("System Console") {
                        problems.push(format!(
                            "{}: the empty state of {kind} says nothing to do",
                            spec.id
                        ));
                    }
                }
                _ => problems.push(format!("{}: no probe or empty state for {kind}", spec.id)),
            }
        }
        if !xml.contains("Needs a role that can search the metrics index") {
            problems.push(format!("{}: does not say which index it needs", spec.id));
        }
    }
    for name in [
        "mattermost_metrics_input_health",
        "mattermost_metrics_alerts",
    ] {
        let xml = std::fs::read_to_string(root().join(format!("dashboards/{name}.xml"))).unwrap();
        if !xml.contains("_internal") {
            problems.push(format!("{name}: does not say it needs the internal index"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn menu_has_no_dropdown_of_one() {
    let nav =
        std::fs::read_to_string(root().join("splunk_app/default/data/ui/nav/default.xml")).unwrap();
    let doc = roxmltree::Document::parse(&nav).unwrap();
    for c in doc.descendants().filter(|n| n.has_tag_name("collection")) {
        let n = c.children().filter(|v| v.has_tag_name("view")).count();
        assert!(n > 1, "menu {:?} holds {n} dashboard", c.attribute("label"));
    }
    // Every dashboard's label reads as one family.
    for (name, xml) in dashboards() {
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let label = doc
            .root_element()
            .children()
            .find(|c| c.has_tag_name("label"))
            .and_then(|l| l.text())
            .unwrap_or("");
        assert!(label.starts_with("Mattermost "), "{name}: label {label:?}");
    }
}
