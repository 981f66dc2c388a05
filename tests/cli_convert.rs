//! `mattermost_metrics convert`, run as a person would run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn convert(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mattermost_metrics"))
        .arg("convert")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

const SCRAPE: &[u8] = b"# TYPE mattermost_http_requests_total counter\nmattermost_http_requests_total 1027\n# TYPE mattermost_api_time histogram\nmattermost_api_time_bucket{handler=\"getPosts\",le=\"1\"} 3\nmattermost_api_time_bucket{handler=\"getPosts\",le=\"+Inf\"} 4\nmattermost_api_time_sum{handler=\"getPosts\"} 1.5e-07\nmattermost_api_time_count{handler=\"getPosts\"} 4 1700000060123\nbroken line here\ngo_goroutines NaN\n";

#[test]
fn raw_output_is_the_event_text() {
    let out = convert(&["-"], SCRAPE);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "mattermost_http_requests_total 1027\n\
         mattermost_api_time_bucket 3 handler=\"getPosts\" le=\"1.0\"\n\
         mattermost_api_time_bucket 4 handler=\"getPosts\" le=\"+Inf\"\n\
         mattermost_api_time_sum 0.00000015 handler=\"getPosts\"\n\
         mattermost_api_time_count 4 handler=\"getPosts\"\n"
    );
    let err = text(&out.stderr);
    assert!(err.contains("WARN skipped line 8: invalid value"), "{err}");
    assert!(
        err.contains("samples=6 emitted=5 skipped_nonfinite=1"),
        "{err}"
    );
    for line in err.lines() {
        assert!(
            ["DEBUG ", "INFO ", "WARN ", "ERROR "]
                .iter()
                .any(|l| line.starts_with(l)),
            "level first: {line}"
        );
    }
}

#[test]
fn json_output_has_name_value_time_and_dimensions() {
    let out = convert(&["--output", "json"], SCRAPE);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[1]["metric_name"], "mattermost_api_time_bucket");
    assert_eq!(lines[1]["value"], 3);
    assert_eq!(lines[1]["dimensions"]["le"], "1.0");
    assert_eq!(lines[3]["value"].as_f64(), Some(1.5e-7));
    assert_eq!(lines[4]["time"].as_f64(), Some(1700000060.123));
}

#[test]
fn strict_fails_on_the_first_error_with_its_line() {
    let out = convert(&["--strict"], SCRAPE);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("ERROR prometheus scrape rejected: line 8:"),
        "{err}"
    );
}

#[test]
fn input_format_is_detected_or_forced() {
    let om = b"# TYPE a counter\na_total 1\na_created 1.7e9\n# EOF\n";
    let out = convert(&[], om);
    assert_eq!(text(&out.stdout), "a_total 1\n");
    assert!(text(&out.stderr).contains("format=openmetrics"));
    let out = convert(
        &["--input-format", "prometheus", "--keep-created"],
        b"a 1 5\n",
    );
    assert_eq!(text(&out.stdout), "a 1\n");
    let out = convert(&["--input-format", "yaml"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--input-format: expected auto, prometheus or openmetrics"));
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = convert(&["/nonexistent/scrape.prom"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("ERROR reading /nonexistent/scrape.prom"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn json_keeps_every_label_value_exactly_and_the_event_text_maps_it() {
    // A quote, a tab, an escaped line break, control characters.
    let body = b"x{v=\"say \\\"hi\\\"\ttab\\nline \x01\x1b\"} 1\n";
    let exact = "say \"hi\"\ttab\nline \u{1}\u{1b}";
    let out = convert(&["--output", "json", "-"], body);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["dimensions"]["v"], exact);
    // The event text for _meta, where a quote cannot be carried.
    let out = convert(&["-"], body);
    assert_eq!(text(&out.stdout), "x 1 v=\"say 'hi' tab line   \"\n");
}

#[test]
fn sizing_counts_points_per_metric_and_prices_a_day() {
    // 1,440 scrapes a day at 60 s: 2 points x 1,440 x 150 B = 0.000432 GB.
    let out = convert(&["--sizing", "-"], SCRAPE);
    assert!(out.status.success());
    let t = text(&out.stdout);
    let rows: Vec<Vec<&str>> = t
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["mattermost_api_time_bucket", "2", "40.0%", "0.000"],
            vec!["mattermost_api_time_count", "1", "20.0%", "0.000"],
            vec!["mattermost_api_time_sum", "1", "20.0%", "0.000"],
            vec!["mattermost_http_requests_total", "1", "20.0%", "0.000"],
            vec!["total", "5", "100.0%", "0.001"],
        ],
        "{t}"
    );
    assert!(t.starts_with("# data points per scrape and licence a day at one scrape every 60 s"));
    // Every second: 60 times as much.
    let t = text(&convert(&["--sizing", "--interval", "1", "-"], SCRAPE).stdout);
    assert!(t.lines().last().unwrap().ends_with(" 0.065"), "{t}");
    let bad = convert(&["--sizing", "--interval", "0", "-"], SCRAPE);
    assert!(!bad.status.success());
}
