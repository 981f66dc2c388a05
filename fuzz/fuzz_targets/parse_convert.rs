//! Parse -> convert -> emit on arbitrary bytes. Nothing may panic, and every
//! data point must come out as a well-formed event text line and JSON object.
//!
//! Input layout: the first byte chooses the mode, the rest is the scrape body.
//! - bit 0: format (0 = Prometheus 0.0.4, 1 = OpenMetrics 1.0)
//! - bit 1: strict
//! - bit 2: keep `_created` samples
//! - bit 3: add the static dimension `env="fuzz"` to every data point
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::emit::{event_text, json};
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;
use regex::Regex;

const SCRAPE_TIME_MS: i64 = 1_700_000_060_123;

fn event_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"^[A-Za-z][A-Za-z0-9_.]* -?[0-9]+(\.[0-9]+)?( [A-Za-z][A-Za-z0-9_.]*="[^"]*")*$"#,
        )
        .unwrap()
    })
}

/// The `time` field of a JSON line, read exactly (seconds with three
/// decimals) as milliseconds.
fn json_time_ms(js: &str) -> Option<i128> {
    let rest = &js[js.find(",\"time\":")? + 8..];
    let t = &rest[..rest.find(',')?];
    let (neg, t) = match t.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.')?;
    if frac.len() != 3 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms = int.parse::<i128>().ok()? * 1000 + frac.parse::<i128>().ok()?;
    Some(if neg { -ms } else { ms })
}

/// Runs the pipeline and checks every data point; returns the event text
/// lines (for comparing strict and lenient runs) and the result.
fn run(
    body: &[u8],
    format: Format,
    strict: bool,
    keep_created: bool,
    extra_dimension: bool,
) -> (Vec<String>, bool) {
    let opts = ConvertOptions {
        keep_created,
        extra_dimensions: if extra_dimension {
            vec![("env".to_owned(), "fuzz".to_owned())]
        } else {
            Vec::new()
        },
        ..ConvertOptions::default()
    };
    let mut lines = Vec::new();
    let mut points = 0u64;
    let mut text = Vec::with_capacity(256);
    let mut js = Vec::with_capacity(256);
    let result = convert_scrape(body, format, strict, &opts, SCRAPE_TIME_MS, |dp| {
        points += 1;
        assert!(
            dp.value.is_finite(),
            "data point value {} is not finite",
            dp.value
        );

        text.clear();
        event_text::write(dp, &mut text);
        assert!(
            !text.contains(&b'\n') && !text.contains(&b'\r'),
            "event text is not one line: {:?}",
            String::from_utf8_lossy(&text)
        );
        let line = std::str::from_utf8(&text)
            .unwrap_or_else(|e| panic!("event text is not UTF-8 ({e}): {text:?}"));
        assert!(
            event_re().is_match(line),
            "event text does not match the contract regex: {line:?}"
        );
        let value_str = line
            .split(' ')
            .nth(1)
            .expect("the regex guarantees a value field");
        let v: f64 = value_str
            .parse()
            .unwrap_or_else(|e| panic!("value {value_str:?} does not parse ({e}) in {line:?}"));
        assert!(
            v.is_finite(),
            "value {value_str:?} is not finite in {line:?}"
        );
        assert_eq!(
            v.to_bits(),
            dp.value.to_bits(),
            "value {value_str:?} does not round-trip to {:?} in {line:?}",
            dp.value
        );
        lines.push(line.to_owned());

        js.clear();
        json::write(dp, &mut js);
        assert!(
            !js.contains(&b'\n') && !js.contains(&b'\r'),
            "JSON is not one line: {:?}",
            String::from_utf8_lossy(&js)
        );
        let parsed: serde_json::Value = serde_json::from_slice(&js).unwrap_or_else(|e| {
            panic!(
                "JSON does not parse ({e}): {:?}",
                String::from_utf8_lossy(&js)
            )
        });
        let obj = parsed.as_object().expect("JSON line is not an object");
        assert_eq!(
            obj.get("metric_name").and_then(|m| m.as_str()),
            Some(dp.metric_name),
            "JSON metric_name differs: {parsed}"
        );
        assert!(
            obj.get("value")
                .and_then(|v| v.as_f64())
                .is_some_and(f64::is_finite),
            "JSON value is not a finite number: {parsed}"
        );
        assert!(
            obj.get("time").is_some_and(|t| t.is_number()),
            "JSON time is not a number: {parsed}"
        );
        let json_text = std::str::from_utf8(&js).expect("serde_json accepted it");
        assert_eq!(
            json_time_ms(json_text),
            Some(dp.time_ms as i128),
            "JSON time does not say time_ms {}: {json_text}",
            dp.time_ms
        );
        assert!(
            obj.get("dimensions").is_some_and(|d| d.is_object()),
            "JSON dimensions is not an object: {parsed}"
        );
    });
    match result {
        Ok((report, stats)) => {
            assert!(
                !strict || report.errors == 0,
                "strict parse reported errors: {report:?}"
            );
            assert_eq!(points, stats.emitted, "data points handed out vs stats");
            assert_eq!(
                report.samples as u64,
                stats.emitted + stats.skipped_nonfinite + stats.dropped_created,
                "samples vs converter stats: {report:?} {stats:?}"
            );
            (lines, true)
        }
        Err(e) => {
            // Lenient parsing never fails as a whole.
            assert!(strict, "lenient parse failed: {e}");
            (lines, false)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let format = if mode & 1 == 0 {
        Format::Prometheus
    } else {
        Format::OpenMetrics
    };
    let strict = mode & 2 != 0;
    let keep_created = mode & 4 != 0;
    let extra_dimension = mode & 8 != 0;

    let (lines, ok) = run(body, format, strict, keep_created, extra_dimension);

    // A scrape that strict mode accepts must give the same data points when
    // read leniently (strict only rejects more, it never reads differently).
    if strict && ok {
        let (lenient, lenient_ok) = run(body, format, false, keep_created, extra_dimension);
        assert!(lenient_ok);
        assert_eq!(lines, lenient, "strict and lenient runs differ");
    }

    // Format detection must not panic either.
    let _ = Format::detect(body);
});
