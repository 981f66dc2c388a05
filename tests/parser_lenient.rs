//! The parser's default (lenient) mode: a bad line never takes the rest of
//! the scrape with it, and what was skipped is counted and reported.

use std::borrow::Cow;

use mattermost_metrics::exposition::{parse, Format, MetricType, ParseOptions, Report, Suffix};

#[derive(Debug, PartialEq)]
struct Got {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
    ts: Option<i64>,
    typ: MetricType,
    suffix: Suffix,
}

fn run(input: &[u8], format: Format) -> (Vec<Got>, Report) {
    let opts = ParseOptions {
        format,
        ..Default::default()
    };
    let mut got = Vec::new();
    let report = parse(input, &opts, |s| {
        got.push(Got {
            name: s.name.to_string(),
            labels: s
                .labels()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value: s.value,
            ts: s.timestamp_ms,
            typ: s.metric_type,
            suffix: s.suffix,
        })
    })
    .expect("lenient parsing never fails");
    (got, report)
}

fn names(g: &[Got]) -> Vec<&str> {
    g.iter().map(|g| g.name.as_str()).collect()
}

#[test]
fn malformed_lines_are_skipped_counted_and_reported() {
    let input = b"a 1\nb{x=\"1\" 2\nc 3\nd{x=\"1\",x=\"2\"} 4\ne not_a_number\nf 6\ng 7 8 9\nh 8\n{} 9\ni 10\n";
    let (got, report) = run(input, Format::Prometheus);
    assert_eq!(names(&got), ["a", "c", "f", "h", "i"]);
    assert_eq!(report.errors, 5);
    let lines: Vec<usize> = report.first_errors.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        [2, 4, 5, 7, 9],
        "the first five errors, with their lines"
    );
    assert!(
        report.first_errors[1].reason.contains("duplicate label x"),
        "{}",
        report.first_errors[1]
    );
    assert!(report.first_errors[2]
        .to_string()
        .starts_with("line 5: invalid value"));
    assert!(!report.truncated);
}

#[test]
fn only_the_first_few_errors_are_kept() {
    let input = "bad line\n".repeat(100) + "ok 1\n";
    let (got, report) = run(input.as_bytes(), Format::Prometheus);
    assert_eq!(names(&got), ["ok"]);
    assert_eq!(report.errors, 100);
    assert_eq!(report.first_errors.len(), 5);
}

#[test]
fn truncated_openmetrics_keeps_its_samples_and_says_so() {
    let (got, report) = run(
        b"# TYPE a counter\na_total 1\na_total{x=\"y\"} 2\n",
        Format::OpenMetrics,
    );
    assert_eq!(got.len(), 2);
    assert!(report.truncated);
    let (_, report) = run(b"a 1\n# EOF\n", Format::OpenMetrics);
    assert!(!report.truncated);
    let (_, report) = run(b"a 1\n# EOF", Format::OpenMetrics);
    assert!(!report.truncated, "no newline after # EOF is fine");
}

#[test]
fn text_after_eof_is_reported() {
    let (got, report) = run(b"a 1\n# EOF\nb 2\n", Format::OpenMetrics);
    assert_eq!(names(&got), ["a"]);
    assert_eq!(report.errors, 1);
    assert_eq!(report.first_errors[0].line, 3);
}

#[test]
fn crlf_blank_lines_and_missing_final_newline() {
    let (got, report) = run(
        b"# HELP a x\r\n# TYPE a gauge\r\n\r\na 1\r\n\n   \nb 2",
        Format::Prometheus,
    );
    assert_eq!(names(&got), ["a", "b"]);
    assert_eq!(got[0].typ, MetricType::Gauge);
    assert_eq!(report.errors, 0);
    assert_eq!(report.lines, 7);
}

#[test]
fn escapes_are_unescaped_and_plain_values_borrowed() {
    let input = br#"a{p="C:\\dir\\",q="say \"hi\"",n="two\nlines",plain="as is"} 1"#;
    let opts = ParseOptions::default();
    let mut seen = 0;
    parse(input, &opts, |s| {
        let l = s.label_list();
        assert_eq!(l[0].value, r"C:\dir\");
        assert_eq!(l[1].value, r#"say "hi""#);
        assert_eq!(l[2].value, "two\nlines");
        assert!(
            matches!(l[3].value, Cow::Borrowed("as is")),
            "no copy without escapes"
        );
        assert!(matches!(l[3].name, Cow::Borrowed("plain")));
        seen += 1;
    })
    .unwrap();
    assert_eq!(seen, 1);
}

#[test]
fn unknown_escapes_are_kept_as_written_when_lenient() {
    let (got, report) = run(br#"a{p="\d\w"} 1"#, Format::Prometheus);
    assert_eq!(got[0].labels[0].1, r"\d\w");
    assert_eq!(report.errors, 0);
}

#[test]
fn invalid_utf8_in_a_label_value_is_replaced_not_fatal() {
    let (got, report) = run(b"a{p=\"ok\xff\xfe\"} 1\nb 2\n", Format::Prometheus);
    assert_eq!(names(&got), ["a", "b"]);
    assert_eq!(got[0].labels[0].1, "ok\u{FFFD}\u{FFFD}");
    assert_eq!(report.errors, 0);
}

#[test]
fn timestamps_in_both_formats() {
    let (got, _) = run(b"a 1 1700000060123\nb 2 -1\n", Format::Prometheus);
    assert_eq!(got[0].ts, Some(1_700_000_060_123));
    assert_eq!(got[1].ts, Some(-1));
    let (got, _) = run(
        b"a 1 1700000060.123\nb 2 1.7e9\n# EOF\n",
        Format::OpenMetrics,
    );
    assert_eq!(got[0].ts, Some(1_700_000_060_123));
    assert_eq!(got[1].ts, Some(1_700_000_000_000));
}

#[test]
fn special_values() {
    let (got, _) = run(
        b"a NaN\nb +Inf\nc -Inf\nd 1.5e-07\ne 9.3e+08\n",
        Format::Prometheus,
    );
    assert!(got[0].value.is_nan());
    assert_eq!(got[1].value, f64::INFINITY);
    assert_eq!(got[2].value, f64::NEG_INFINITY);
    assert_eq!(got[3].value, 1.5e-7);
    assert_eq!(got[4].value, 9.3e8);
}

#[test]
fn exemplars_are_parsed_and_dropped() {
    let input = b"# TYPE h histogram\nh_bucket{le=\"1.0\"} 2 # {trace_id=\"abc\"} 0.5 1700000000.1\nh_bucket{le=\"+Inf\"} 3 # {trace_id=\"def\"} 7\nh_count 3\nh_sum 8.5\n# EOF\n";
    let (got, report) = run(input, Format::OpenMetrics);
    assert_eq!(report.errors, 0);
    assert_eq!(names(&got), ["h_bucket", "h_bucket", "h_count", "h_sum"]);
    assert_eq!(got[0].labels, [("le".to_string(), "1.0".to_string())]);
    assert_eq!(
        got[0].ts, None,
        "the exemplar's timestamp is not the sample's"
    );
}

#[test]
fn families_types_and_suffixes() {
    let input = b"# TYPE c counter\nc_total 1\nc_created 1.7e9\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 2\nh_created 1.7e9\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n# TYPE i info\ni_info{v=\"1\"} 1\nloose 5\n# EOF\n";
    let (got, _) = run(input, Format::OpenMetrics);
    let kinds: Vec<(&str, MetricType, Suffix)> = got
        .iter()
        .map(|g| (g.name.as_str(), g.typ, g.suffix))
        .collect();
    use MetricType::*;
    assert_eq!(
        kinds,
        [
            ("c_total", Counter, Suffix::Total),
            ("c_created", Counter, Suffix::Created),
            ("h_bucket", Histogram, Suffix::Bucket),
            ("h_count", Histogram, Suffix::Count),
            ("h_sum", Histogram, Suffix::Sum),
            ("h_created", Histogram, Suffix::Created),
            ("s", Summary, Suffix::None),
            ("s_sum", Summary, Suffix::Sum),
            ("s_count", Summary, Suffix::Count),
            ("i_info", Info, Suffix::Info),
            ("loose", Unknown, Suffix::None),
        ]
    );
    // In 0.0.4 a counter is named with its _total and a gauge named *_created is a gauge.
    let (got, _) = run(
        b"# TYPE x_total counter\nx_total 1\nx_created 2\n# TYPE g_created gauge\ng_created 3\n",
        Format::Prometheus,
    );
    let kinds: Vec<(&str, Suffix)> = got.iter().map(|g| (g.name.as_str(), g.suffix)).collect();
    assert_eq!(
        kinds,
        [
            ("x_total", Suffix::None),
            ("x_created", Suffix::Created),
            ("g_created", Suffix::None)
        ]
    );
}

#[test]
fn prometheus3_quoted_names() {
    let input = b"# HELP \"my.metric\" help\n# TYPE \"my.metric\" gauge\n{\"my.metric\", \"some.label\"=\"x\", plain=\"y\"} 1\n{\"my.metric\"} 2\n";
    let (got, report) = run(input, Format::Prometheus);
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert_eq!(names(&got), ["my.metric", "my.metric"]);
    assert_eq!(got[0].typ, MetricType::Gauge);
    assert_eq!(
        got[0].labels,
        [
            ("some.label".into(), "x".into()),
            ("plain".into(), "y".into())
        ]
    );
}

#[test]
fn zero_bytes_of_input_and_binary_garbage() {
    let (got, report) = run(b"", Format::Prometheus);
    assert!(got.is_empty());
    assert_eq!(report.errors, 0);
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let (_, report) = run(&garbage, Format::Prometheus);
    assert!(report.errors > 0);
    let (_, report) = run(
        b"<html><body>502 Bad Gateway</body></html>\n",
        Format::Prometheus,
    );
    assert_eq!(report.errors, 1);
}

#[test]
fn format_detection() {
    assert_eq!(Format::detect(b"a 1\n# EOF\n"), Format::OpenMetrics);
    assert_eq!(Format::detect(b"a 1\n# EOF"), Format::OpenMetrics);
    assert_eq!(Format::detect(b"a 1\n"), Format::Prometheus);
    assert_eq!(
        Format::from_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        Some(Format::OpenMetrics)
    );
    assert_eq!(
        Format::from_content_type("text/plain; version=0.0.4; charset=utf-8"),
        Some(Format::Prometheus)
    );
    assert_eq!(Format::from_content_type("text/html; charset=utf-8"), None);
}
