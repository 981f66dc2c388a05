//! Each fact about the input's settings is declared once, in
//! `src/settings.rs`; every other place that states it is generated from
//! that declaration or checked against it here.

use std::path::Path;

use mattermost_metrics::settings::{inputs_conf_spec, markdown_table, ARGS};

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn inputs_conf_spec_is_generated() {
    assert_eq!(
        read("splunk_app/README/inputs.conf.spec"),
        inputs_conf_spec(),
        "regenerate it: cargo run -- spec > splunk_app/README/inputs.conf.spec"
    );
}

#[test]
fn docs_list_every_setting() {
    let readme = read("docs/inputs.md");
    assert!(
        readme.contains(&markdown_table()),
        "docs/inputs.md's settings table differs from src/settings.rs; print the table with \
         `cargo test --test one_source -- --nocapture print_table` and paste it"
    );
}

#[test]
fn default_inputs_conf_holds_the_declared_defaults() {
    let conf = read("splunk_app/default/inputs.conf");
    let stanza: Vec<(String, String)> = conf
        .lines()
        .skip_while(|l| l.trim() != "[mattermost_metrics]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    for a in ARGS {
        let set = stanza
            .iter()
            .find(|(k, _)| k == a.name)
            .map(|(_, v)| v.as_str());
        assert_eq!(
            set, a.default,
            "default of {} in default/inputs.conf",
            a.name
        );
    }
    for (k, v) in &stanza {
        let declared = ARGS.iter().any(|a| a.name == k);
        let splunkd = ["interval", "index", "sourcetype"].contains(&k.as_str());
        assert!(
            declared || splunkd,
            "{k} in default/inputs.conf is not a declared setting"
        );
        if k == "index" {
            assert_eq!(v, mattermost_metrics::settings::DEFAULT_INDEX);
        }
        if k == "sourcetype" {
            assert_eq!(v, mattermost_metrics::settings::DEFAULT_SOURCETYPE);
        }
    }
}

#[test]
fn print_table() {
    println!("{}", markdown_table());
}

#[test]
fn docs_list_every_health_metric() {
    let readme = read("docs/inputs.md");
    for (name, meaning) in mattermost_metrics::health::METRICS {
        let row = format!("| `{}{name}` |", mattermost_metrics::health::PREFIX);
        assert!(readme.contains(&row), "docs/inputs.md lacks {row}");
        let _ = meaning;
    }
    let rows = readme
        .lines()
        .filter(|l| l.starts_with("| `mattermost_metrics."))
        .count();
    assert_eq!(rows, mattermost_metrics::health::METRICS.len());
}
