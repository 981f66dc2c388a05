//! Named values of a metric filter: `dashboards`, the metrics that the
//! app's own dashboards and alerts read.
//!
//! A filter pasted as a regular expression goes stale at the first upgrade
//! that adds a panel. This one is resolved by the binary, from the
//! dashboards, macros and alerts compiled into it (the package's own files,
//! [`crate::package::APP_FILES`]), so an upgrade of the app updates it. The
//! same preset serves a Mattermost server's input, a Calls, rtcd or
//! node_exporter input (the Calls dashboard reads a quarter of
//! node_exporter's points) and the HEC sender's `-include_metrics`.

use std::collections::BTreeSet;

use once_cell::sync::Lazy;
use regex::Regex;

/// The preset's name, as an admin types it for Include.
pub const DASHBOARDS: &str = "dashboards";

static CHARTED: Lazy<BTreeSet<String>> = Lazy::new(|| names_read_by(crate::package::APP_FILES));

/// Every metric name the shipped dashboards and alerts read.
pub fn charted() -> &'static BTreeSet<String> {
    &CHARTED
}

/// A filter value as the input's Include / Exclude and the HEC sender's
/// `-include_metrics` / `-exclude_metrics` take it, matched against the
/// whole metric name: the preset [`DASHBOARDS`], or a regular expression.
/// The error is the regex crate's last line, for a message of one line.
pub fn full_match(v: &str) -> Result<Regex, String> {
    let pattern = if v.trim().eq_ignore_ascii_case(DASHBOARDS) {
        CHARTED
            .iter()
            .map(|n| regex::escape(n))
            .collect::<Vec<_>>()
            .join("|")
    } else {
        v.to_string()
    };
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        e.to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

/// What a filter value keeps, for a log line: the preset's size, or the
/// pattern itself.
pub fn describe(v: &str) -> String {
    if v.trim().eq_ignore_ascii_case(DASHBOARDS) {
        format!(
            "{DASHBOARDS} ({} metric names the dashboards and alerts of version {} read)",
            CHARTED.len(),
            env!("CARGO_PKG_VERSION")
        )
    } else {
        v.to_string()
    }
}

/// The metric names read by the searches of the dashboards
/// (`default/data/ui/views/*.xml`) and alerts (`default/savedsearches.conf`)
/// among `files`, with the macros they call (`default/macros.conf`)
/// expanded as splunkd expands them. A metric name is a word with an
/// underscore: words of SPL (`mstats`, `host`, `span`) have none, and the
/// few other words that do (`rate_sum`, macro names) name no metric.
pub fn names_read_by(files: &[(&str, &[u8])]) -> BTreeSet<String> {
    let file = |path: &str| {
        files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .unwrap_or_default()
    };
    let mut text = file("default/savedsearches.conf");
    for (path, data) in files {
        if path.starts_with("default/data/ui/views/") && path.ends_with(".xml") {
            text.push_str(&queries(data));
        }
    }
    let macros = file("default/macros.conf");
    let call = Regex::new(r"`([A-Za-z_][A-Za-z0-9_]*)").expect("valid regex");
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = call
        .captures_iter(&text)
        .map(|c| c[1].to_string())
        .collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for def in macro_stanzas(&macros, &name) {
            todo.extend(call.captures_iter(&def).map(|c| c[1].to_string()));
            text.push_str(&def);
        }
    }
    let word = Regex::new(r"[A-Za-z_][A-Za-z0-9_:]*").expect("valid regex");
    word.find_iter(&text)
        .map(|m| m.as_str())
        .filter(|w| w.contains('_') && !w.ends_with('_'))
        .map(str::to_string)
        .collect()
}

/// The text of every `<query>` of a SimpleXML dashboard, unescaped.
fn queries(xml: &[u8]) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = String::new();
    let mut depth = 0usize;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == b"query" => depth += 1,
            Ok(Event::End(e)) if e.name().as_ref() == b"query" => {
                depth = depth.saturating_sub(1);
                out.push('\n');
            }
            Ok(Event::Text(t)) if depth > 0 => {
                out.push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            Ok(Event::CData(t)) if depth > 0 => {
                out.push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    // Entities (&lt; ...) hold no metric name: left as they are.
    out
}

/// The stanzas of macros.conf for macro `name`, any arity.
fn macro_stanzas(macros: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in macros.lines() {
        let t = line.trim();
        if let Some(stanza) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            out.extend(current.take());
            if stanza.split('(').next() == Some(name) {
                current = Some(String::new());
            }
        } else if let Some(def) = current.as_mut() {
            def.push_str(line);
            def.push('\n');
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preset_is_what_the_shipped_searches_read() {
        let names = charted();
        for n in [
            "mattermost_api_time_bucket",
            "mattermost_db_store_time_bucket",
            "go_goroutines",
        ] {
            assert!(names.contains(n), "{n}");
        }
        let re = full_match("Dashboards").unwrap();
        assert!(re.is_match("mattermost_api_time_bucket"));
        assert!(!re.is_match("mattermost_api_time_bucket_x"), "in full");
        assert!(!re.is_match("mattermost_webapp_nothing_charted"));
        assert!(full_match("mattermost_(")
            .unwrap_err()
            .contains("unclosed group"));
        assert!(describe("dashboards").starts_with("dashboards ("));
    }

    #[test]
    fn macros_are_expanded_and_words_without_underscore_skipped() {
        let files: &[(&str, &[u8])] = &[
            (
                "default/data/ui/views/x.xml",
                b"<form><row><panel><chart><search><query>| mstats rate_sum(a_total) WHERE `m1` BY host</query></search></chart></panel></row></form>",
            ),
            ("default/macros.conf", b"[m1]\ndefinition = metric_name=b_bucket `m2(1)`\n[m2(1)]\ndefinition = c_count\n[m3]\ndefinition = d_never\n"),
            ("default/savedsearches.conf", b"[A]\nsearch = | mstats max(e_gauge) WHERE up\n"),
        ];
        let names = names_read_by(files);
        for n in ["a_total", "b_bucket", "c_count", "e_gauge"] {
            assert!(names.contains(n), "{n} in {names:?}");
        }
        assert!(!names.contains("d_never") && !names.contains("up") && !names.contains("host"));
    }
}
