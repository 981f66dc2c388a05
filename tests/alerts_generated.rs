//! The committed alerts are what the compiler writes from the rule file: a
//! change to alerts/mattermost.rules.yml, the compiler or the generator that
//! is not followed by `scripts/alerts` fails here. Also checks what every
//! compiled alert must be, whatever the rules say.

use differential_harness::alerts as alerts_support;

use alerts_support::conf;

use mattermost_metrics::alerts::{self, RuleFile};
use test_support::root;

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn compiled() -> Vec<alerts::Alert> {
    let file = RuleFile::load(&root().join(alerts::RULES_PATH)).unwrap();
    alerts::compile_file(&file).unwrap()
}

fn first_difference(have: &str, want: &str) -> usize {
    have.lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| have.lines().count().min(want.lines().count()))
        + 1
}

#[test]
fn committed_savedsearches_and_macros_are_what_the_compiler_writes() {
    let alerts = compiled();
    for (path, want) in [
        (
            "splunk_app/default/savedsearches.conf",
            alerts::savedsearches_conf(&alerts),
        ),
        (
            "splunk_app/default/macros.conf",
            alerts::update_macros_conf(&read("splunk_app/default/macros.conf"), &alerts).unwrap(),
        ),
    ] {
        let have = read(path);
        assert!(
            have == want,
            "{path} is stale (first difference at line {}): run scripts/alerts",
            first_difference(&have, &want)
        );
    }
}

#[test]
fn every_alert_is_scheduled_disabled_throttled_and_reads_the_index_macro() {
    let alerts = compiled();
    assert!(alerts.len() >= 10, "{} alerts", alerts.len());
    let stanzas = conf::stanzas(&read("splunk_app/default/savedsearches.conf")).unwrap();
    assert_eq!(stanzas.len(), alerts.len());
    let macros = read("splunk_app/default/macros.conf");
    let token = regex::Regex::new(r"\$[A-Za-z_.]+\$").unwrap();
    for (a, stanza) in alerts.iter().zip(&stanzas) {
        let name = &stanza.name;
        assert_eq!(&a.name, name);
        let get = |k: &str| stanza.get(k).unwrap();
        assert_eq!(get("disabled"), "1", "[{name}]");
        assert_eq!(get("enableSched"), "1", "[{name}]");
        assert_eq!(get("alert.suppress"), "1", "[{name}]");
        assert_eq!(
            get("alert.suppress.fields"),
            a.series_labels.join(","),
            "[{name}]"
        );
        assert_eq!(
            get("alert.digest_mode"),
            "0",
            "[{name}]: one alert per series"
        );
        assert!(get("dispatch.earliest_time").ends_with("m@m"), "[{name}]");
        let search = get("search");
        assert!(search.starts_with("| mstats "), "[{name}]");
        assert!(search.contains("`mattermost_metrics_index`"), "[{name}]");
        assert!(!search.contains("index="), "[{name}]: a literal index");
        assert!(
            !token.is_match(search),
            "[{name}]: a token in a saved search"
        );
        assert!(
            search.contains(&format!("| where held_buckets >= {}\n", a.buckets())),
            "[{name}]: `for` not honoured"
        );
        // One row per firing series, with its labels and annotations.
        let table = search.lines().last().unwrap();
        for f in a.series_labels.iter().map(String::as_str).chain([
            "value",
            "summary",
            "description",
            "severity",
            "alertname",
        ]) {
            assert!(
                table.split(' ').any(|w| w == f),
                "[{name}]: {table} lacks {f}"
            );
        }
        // The threshold is a macro that macros.conf defines with the rule's number.
        if let Some(t) = &a.threshold {
            assert!(search.contains(&format!("`{}`", t.macro_name)), "[{name}]");
            assert!(
                macros.contains(&format!("[{}]\n", t.macro_name))
                    && macros.contains(&format!("definition = {}\n", t.value)),
                "[{name}]: macro {}",
                t.macro_name
            );
        }
        // Every five minutes: the cost docs/alerts.md states.
        assert_eq!(get("cron_schedule"), alerts::CRON, "[{name}]");
    }
}

#[test]
fn the_alerts_dashboard_lists_what_the_generator_writes() {
    let xml = read("dashboards/mattermost_metrics_alerts.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let form = doc.root_element();
    assert_eq!(form.tag_name().name(), "form");
    assert_eq!(form.attribute("version"), Some("1.1"));
    assert!(
        doc.descendants()
            .all(|n| n.attribute("script").is_none() && n.tag_name().name() != "html"),
        "no JavaScript, no HTML panels"
    );
    let queries: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "query")
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect();
    assert_eq!(queries.len(), 3, "rules, fired, scheduler runs");
    let macros = read("splunk_app/default/macros.conf");
    let call = regex::Regex::new(r"`([a-z_]+)`").unwrap();
    for q in &queries {
        assert!(!q.contains("index="), "a literal index: {q}");
        assert_eq!(q.matches('[').count(), q.matches(']').count(), "{q}");
        for c in call.captures_iter(q) {
            if c[1].ends_with("_threshold") {
                continue; // matched by rex, not called
            }
            assert!(
                macros.contains(&format!("[{}]", &c[1])),
                "{q}: no macro {}",
                &c[1]
            );
        }
        assert!(
            q.contains("mattermost_metrics"),
            "not limited to the app: {q}"
        );
    }
    // The rules panel finds every threshold macro the generator writes.
    let rules = &queries[0];
    assert!(rules.contains("/servicesNS/-/mattermost_metrics/saved/searches"));
    assert!(rules.contains("search title=mattermost_metrics_alert_*"));
    let rex = regex::Regex::new(r"`(?<m>mattermost_metrics_alert_\w+_threshold)`").unwrap();
    assert!(rules.contains(r"`(?<threshold_macro>mattermost_metrics_alert_\w+_threshold)`"));
    let conf = read("splunk_app/default/savedsearches.conf");
    for a in compiled() {
        if let Some(t) = &a.threshold {
            let found: Vec<String> = rex
                .captures_iter(&a.search)
                .map(|c| c["m"].to_string())
                .collect();
            assert_eq!(found, vec![t.macro_name.clone()], "{}", a.name);
        }
        assert!(conf.contains(&format!("[{}]\n", a.name)));
    }
    let nav = read("splunk_app/default/data/ui/nav/default.xml");
    assert!(nav.contains("<view name=\"mattermost_metrics_alerts\" />"));
}

#[test]
fn the_docs_show_the_rules_thresholds_and_cost() {
    let readme = read("docs/alerts.md");
    let table = alerts::readme_table(&compiled());
    assert!(
        readme.contains(&table),
        "docs/alerts.md's table of alerts is stale: paste what `mattermost_metrics alerts {} --readme` prints",
        alerts::RULES_PATH
    );
    // The cost: every alert on the same five-minute schedule.
    let n = compiled().len() as f64;
    assert!(table.contains(&format!(
        "**{} searches a minute**",
        n * 60.0 / alerts::SCHEDULE_S as f64
    )));
    // The example stanza shown is the committed one.
    let conf = read("splunk_app/default/savedsearches.conf");
    let start = readme
        .find("```ini\n[MattermostApiLatencyHigh]")
        .expect("example stanza")
        + 7;
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    assert!(
        conf.contains(shown),
        "docs/alerts.md shows another stanza:\n{shown}"
    );
}
