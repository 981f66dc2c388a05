//! The event text the converter writes and the index-time transforms in
//! `splunk_app/default/transforms.conf` are one contract: every data point,
//! passed through the transforms as splunkd would, must come out with the
//! same metric name, value and dimensions.

use test_support::splunk;

use std::path::Path;

use mattermost_metrics::convert::{ConvertOptions, DataPoint};
use mattermost_metrics::emit;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;

fn app() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/splunk_app"))
}

/// What the converter meant to send, with each value as the event text
/// can carry it (`emit::event_text::write_value`).
fn expected(dp: &DataPoint<'_>) -> splunk::IndexedPoint {
    let text = |v: &str| {
        let mut out = Vec::new();
        emit::event_text::write_value(v, &mut out);
        String::from_utf8(out).unwrap()
    };
    splunk::IndexedPoint {
        metric_name: dp.metric_name.to_string(),
        value: dp.value,
        dimensions: dp
            .dimensions
            .iter()
            .map(|d| (d.name.to_string(), text(&d.value)))
            .collect(),
    }
}

#[test]
fn no_event_is_longer_than_props_conf_lets_through() {
    // The input drops (and counts) an event longer than this; props.conf
    // would cut it at its TRUNCATE. The two must be one number.
    let props = splunk::read_conf(&app().join("default/props.conf"));
    let truncate: usize = props["mattermost:metrics"]["TRUNCATE"].parse().unwrap();
    assert_eq!(truncate, emit::event_text::MAX_EVENT_BYTES);
}

/// Converts `body` and checks every data point survives the transforms;
/// returns the indexed points.
fn round_trip(body: &[u8], format: Format) -> Vec<splunk::IndexedPoint> {
    let transforms = splunk::transforms_for(app(), "mattermost:metrics");
    assert_eq!(transforms.len(), 2);
    let mut points = Vec::new();
    let mut raw = Vec::new();
    convert_scrape(
        body,
        format,
        false,
        &ConvertOptions::default(),
        1_700_000_000_000,
        |dp| {
            raw.clear();
            emit::event_text::write(dp, &mut raw);
            let raw = std::str::from_utf8(&raw).expect("event text is UTF-8");
            assert!(
                !raw.contains(['\n', '\r']),
                "event text is one line: {raw:?}"
            );
            let indexed = splunk::index_event(&transforms, raw);
            // Splunk may read a backslash in `_meta` as an escape: the
            // same fields either way.
            assert_eq!(
                splunk::index_event_as(&transforms, raw, splunk::Reading::Escape),
                indexed,
                "{raw}"
            );
            let want = expected(dp);
            assert_eq!(indexed.metric_name, want.metric_name, "{raw}");
            assert_eq!(indexed.value.to_bits(), want.value.to_bits(), "{raw}");
            assert_eq!(indexed.dimensions, want.dimensions, "{raw}");
            points.push(indexed);
        },
    )
    .unwrap();
    points
}

fn dims(p: &splunk::IndexedPoint) -> Vec<(&str, &str)> {
    p.dimensions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn tricky_label_values_arrive_exactly() {
    let values: &[(&str, &str)] = &[
        // (as written in the exposition, as Splunk must index it)
        ("plain", "plain"),
        ("with space", "with space"),
        ("  leading and trailing  ", "  leading and trailing  "),
        ("a=b", "a=b"),
        ("a,b,c", "a,b,c"),
        ("k=\\\"v\\\"", "k='v'"), // a double quote cannot be carried: it becomes '
        // A backslash cannot be carried either (`_meta` may read it as an
        // escape): it becomes /.
        (r"C:\\Program Files\\", "C:/Program Files/"),
        (r"back\\slash", "back/slash"),
        (r"end\\", "end/"),
        (r"\\\\\\", "///"),
        ("line\\nbreak", "line break"), // control characters become spaces
        ("tab\there", "tab here"),
        ("日本語のラベル", "日本語のラベル"),
        ("emoji 🎉", "emoji 🎉"),
        ("<placeholder>", "<placeholder>"),
        ("&amp; <xml>", "&amp; <xml>"),
        ("$1 $2 $0", "$1 $2 $0"),
        ("x::y", "x::y"),
        ("{}[]()", "{}[]()"),
        ("it's", "it's"),
        ("= \\\" x=\\\"", "= ' x='"),
        ("ends with =", "ends with ="),
        ("#1 SMP PREEMPT_DYNAMIC", "#1 SMP PREEMPT_DYNAMIC"),
        ("%20%3D", "%20%3D"),
    ];
    let mut body = String::from("# TYPE t gauge\n");
    for (i, (written, _)) in values.iter().enumerate() {
        body.push_str(&format!(
            "t{{i=\"{i}\",v=\"{written}\",after=\"ok\"}} {i}\n"
        ));
    }
    let points = round_trip(body.as_bytes(), Format::Prometheus);
    assert_eq!(points.len(), values.len());
    for (p, (_, want)) in points.iter().zip(values) {
        assert_eq!(dims(p)[1], ("v", *want));
        assert_eq!(
            dims(p)[2],
            ("after", "ok"),
            "the next dimension is intact after {want:?}"
        );
    }
}

/// A value ending in a backslash, then a value made to look like fields:
/// under the escape reading of `\"` the first ran into the second, and the
/// scrape set `host`, `index` and the metric name.
#[test]
fn a_trailing_backslash_never_lets_a_value_set_fields() {
    let body = concat!(
        r#"m{f="end\\",g=" host::evil index::main metric_name::pwn _value::999 x"} 1"#,
        "\n",
        r#"m{f="\\",g="\\\\",h="a\\\"b"} 2"#,
        "\n",
    );
    let p = round_trip(body.as_bytes(), Format::Prometheus);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].metric_name, "m");
    assert_eq!(p[0].value, 1.0);
    assert_eq!(
        dims(&p[0]),
        [
            ("f", "end/"),
            (
                "g",
                " host::evil index::main metric_name::pwn _value::999 x"
            )
        ]
    );
    assert_eq!(dims(&p[1]), [("f", "/"), ("g", "//"), ("h", "a/'b")]);
}

#[test]
fn names_are_mapped_onto_splunk_rules() {
    let body = concat!(
        "job:requests:rate5m{host=\"mm1\",_hidden=\"x\",index=\"i\",le=\"\",empty=\"\"} 1\n",
        "{\"my.metric\", \"some.label\"=\"a\", \"odd name\"=\"b\"} 2\n",
        "_private_metric 3\n",
        "dup{a_b=\"1\",\"a-b\"=\"2\",host=\"h\",exported_host=\"e\"} 4\n",
    );
    let p = round_trip(body.as_bytes(), Format::Prometheus);
    assert_eq!(p[0].metric_name, "job.requests.rate5m");
    assert_eq!(
        dims(&p[0]),
        [
            ("exported_host", "mm1"),
            ("exported__hidden", "x"),
            ("exported_index", "i")
        ]
    );
    assert_eq!(p[1].metric_name, "my.metric");
    assert_eq!(dims(&p[1]), [("some.label", "a"), ("odd_name", "b")]);
    assert_eq!(p[2].metric_name, "prom__private_metric");
    assert_eq!(
        dims(&p[3]),
        [("a_b", "1"), ("exported_host", "h")],
        "one value per dimension: the first wins"
    );
}

#[test]
fn values_are_plain_decimals_that_round_trip() {
    let body = "a 1.5e-7\nb 9.3e+08\nc -0.25\nd 1e21\ne 123456789012345678\nf 5e-324\ng NaN\nh +Inf\ni -Inf\nj 0\n";
    let p = round_trip(body.as_bytes(), Format::Prometheus);
    let got: Vec<(&str, f64)> = p
        .iter()
        .map(|p| (p.metric_name.as_str(), p.value))
        .collect();
    assert_eq!(
        got,
        [
            ("a", 1.5e-7),
            ("b", 9.3e8),
            ("c", -0.25),
            ("d", 1e21),
            ("e", 123456789012345678.0),
            ("f", 5e-324),
            ("j", 0.0)
        ]
    );
}

#[test]
fn bucket_bounds_are_canonical_in_both_formats() {
    let text = "# TYPE h histogram\nh_bucket{le=\"0.005\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"1e+06\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_count 4\nh_sum 9\n";
    let om = "# TYPE h histogram\nh_bucket{le=\"0.005\"} 1\nh_bucket{le=\"1.0\"} 2\nh_bucket{le=\"1000000.0\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_count 4\nh_sum 9\nh_created 1.7e9\n# EOF\n";
    let a = round_trip(text.as_bytes(), Format::Prometheus);
    let b = round_trip(om.as_bytes(), Format::OpenMetrics);
    assert_eq!(
        a, b,
        "the same histogram in both formats gives the same data points"
    );
    let les: Vec<&str> = a
        .iter()
        .filter(|p| p.metric_name == "h_bucket")
        .map(|p| dims(p)[0].1)
        .collect();
    assert_eq!(les, ["0.005", "1.0", "1e+06", "+Inf"]);
}

#[test]
fn every_fixture_survives_the_transforms() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let mut files = 0;
    for sub in [dir.to_path_buf(), dir.join("exporters")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !(name.ends_with(".prom") || name.ends_with(".openmetrics.txt")) {
                continue;
            }
            let body = std::fs::read(&path).unwrap();
            let points = round_trip(&body, Format::detect(&body));
            assert!(!points.is_empty(), "{name}");
            files += 1;
        }
    }
    assert!(files >= 6, "fixtures found: {files}");
}
