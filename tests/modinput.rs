//! The modular input driven exactly as splunkd drives it: the built binary
//! started with `--scheme`, `--validate-arguments` or no argument, XML on
//! stdin, its stdout read with a real XML parser, its events passed through
//! our index-time transforms, against loopback targets serving the
//! Mattermost fixture and every way a target can fail.

use test_support::splunk;
use test_support::splunkd;
use test_support::test_servers;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;
use mattermost_metrics::settings::{ARGS, MASK};
use splunkd::{input_xml, input_xml_in_app, items_xml, parse_stream, run_binary, FakeSplunkd, Run};
use test_servers::{Reply, Response, TestPki, TestServer, TlsSettings};
use test_support::fixture;

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");

fn app() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/splunk_app"))
}

/// One run of the input against `url` with extra params; no splunkd REST.
fn run_input(url: &str, extra: &[(&str, &str)]) -> Run {
    let params = splunkd::input_params(url, extra);
    run_binary(
        BIN,
        &[],
        &input_xml("https://127.0.0.1:1", "node1", &params),
    )
}

type Point = (String, u64, Vec<(String, String)>);

/// The events' data passed through the transforms, as sorted points.
fn indexed(events: &[splunkd::Event]) -> Vec<Point> {
    let transforms = splunk::transforms_for(app(), "mattermost:metrics");
    let mut points: Vec<Point> = events
        .iter()
        .map(|e| {
            let p = splunk::index_event(&transforms, &e.data);
            (p.metric_name, p.value.to_bits(), p.dimensions)
        })
        .collect();
    points.sort();
    points
}

fn health(events: &[splunkd::Event]) -> HashMap<String, f64> {
    let transforms = splunk::transforms_for(app(), "mattermost:metrics");
    events
        .iter()
        .filter(|e| e.data.starts_with("mattermost_metrics."))
        .map(|e| {
            let p = splunk::index_event(&transforms, &e.data);
            (
                p.metric_name
                    .trim_start_matches("mattermost_metrics.")
                    .to_string(),
                p.value,
            )
        })
        .collect()
}

fn assert_log_lines(stderr: &str) {
    for line in stderr.lines() {
        assert!(
            ["DEBUG ", "INFO ", "WARN ", "ERROR "]
                .iter()
                .any(|l| line.starts_with(l)),
            "every stderr line starts with a level: {line:?}"
        );
        assert!(
            line.contains("stanza=\"mattermost_metrics://node1\"") || !line.contains("stanza"),
            "{line}"
        );
    }
}

// ---- --scheme ----------------------------------------------------------

#[test]
fn scheme_declares_every_argument() {
    let r = run_binary(BIN, &["--scheme"], "");
    assert_eq!(r.code, Some(0));
    let doc = roxmltree::Document::parse(&r.stdout).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "scheme");
    let child = |n: &str| {
        root.children()
            .find(|c| c.tag_name().name() == n)
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    assert_eq!(child("title").as_deref(), Some("Mattermost Metrics"));
    assert!(child("description").unwrap().contains("Mattermost"));
    assert_eq!(child("use_external_validation").as_deref(), Some("true"));
    assert_eq!(child("use_single_instance").as_deref(), Some("false"));
    assert_eq!(child("streaming_mode").as_deref(), Some("xml"));
    // The same elements, in the same order, as the SDK's scheme fixture.
    let sdk = sdk_fixture("scheme_without_defaults.xml");
    let sdk_doc = roxmltree::Document::parse(&sdk).unwrap();
    let top = |d: &roxmltree::Document| {
        d.root_element()
            .children()
            .filter(|c| c.is_element())
            .map(|c| c.tag_name().name().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(top(&doc), top(&sdk_doc));
    let args: Vec<roxmltree::Node> = root
        .descendants()
        .filter(|n| n.tag_name().name() == "arg")
        .collect();
    let names: Vec<&str> = args.iter().map(|a| a.attribute("name").unwrap()).collect();
    assert_eq!(names, ARGS.iter().map(|a| a.name).collect::<Vec<_>>());
    for (a, spec) in args.iter().zip(ARGS) {
        let get = |n: &str| {
            a.children()
                .find(|c| c.tag_name().name() == n)
                .and_then(|c| c.text())
                .unwrap_or("")
        };
        assert_eq!(get("title"), spec.title);
        assert_eq!(get("description"), spec.description);
        assert_eq!(get("data_type"), spec.data_type.name());
        assert_eq!(
            get("required_on_create"),
            if spec.required_on_create {
                "true"
            } else {
                "false"
            }
        );
    }
    for reserved in [
        "source",
        "sourcetype",
        "host",
        "index",
        "disabled",
        "interval",
    ] {
        assert!(!names.contains(&reserved), "{reserved} is splunkd's");
    }
}

// ---- run mode: the data ------------------------------------------------

fn expected_points(body: &[u8], format: Format) -> Vec<Point> {
    let mut points = Vec::new();
    let transforms = splunk::transforms_for(app(), "mattermost:metrics");
    let mut raw = Vec::new();
    convert_scrape(body, format, false, &ConvertOptions::default(), 0, |dp| {
        raw.clear();
        mattermost_metrics::emit::event_text::write(dp, &mut raw);
        let p = splunk::index_event(&transforms, std::str::from_utf8(&raw).unwrap());
        points.push((p.metric_name, p.value.to_bits(), p.dimensions));
    })
    .unwrap();
    points.sort();
    points
}

fn check_full_scrape(response: Response, fixture_name: &str, format: Format) {
    let body = fixture(fixture_name);
    let server = TestServer::serve(response);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let r = run_input(&server.url(), &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_log_lines(&r.stderr);
    assert!(
        r.stderr.lines().filter(|l| !l.starts_with("DEBUG")).count() <= 1,
        "a healthy run is quiet: {}",
        r.stderr
    );
    let events = parse_stream(&r.stdout);
    let (data, health_events): (Vec<_>, Vec<_>) = events
        .iter()
        .cloned()
        .partition(|e| !e.data.starts_with("mattermost_metrics."));
    // Every sample of the fixture arrives exactly once, as the converter made it.
    assert_eq!(indexed(&data), expected_points(&body, format));
    let expected_samples = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .count();
    for e in &events {
        assert_eq!(e.stanza, "mattermost_metrics://node1");
        assert_eq!(
            e.host.as_deref(),
            Some("127.0.0.1"),
            "the node's host, not the forwarder's"
        );
        assert_eq!(e.index.as_deref(), Some("wss_metrics"));
        assert_eq!(e.sourcetype.as_deref(), Some("mattermost:metrics"));
        assert_eq!(e.source.as_deref(), Some(server.url().as_str()));
        assert_eq!(e.time, events[0].time, "one time per scrape");
    }
    let t: f64 = events[0].time.parse().unwrap();
    assert!(
        (t - before).abs() < 30.0,
        "time is the scrape's: {t} vs {before}"
    );
    assert_eq!(
        events[0].time.split('.').nth(1).map(str::len),
        Some(3),
        "millisecond precision"
    );
    let h = health(&health_events);
    assert_eq!(h["up"], 1.0);
    assert_eq!(h["samples_scraped"], expected_samples as f64);
    assert_eq!(h["samples_emitted"] as usize, data.len());
    assert_eq!(h["scrape_bytes"] as usize, body.len());
    assert_eq!(h["parse_errors"], 0.0);
    assert!(h["scrape_duration_seconds"] > 0.0);
    let req = server.only_request();
    assert!(req
        .header("accept")
        .unwrap()
        .starts_with("text/plain;version=0.0.4"));
    assert_eq!(req.header("accept-encoding"), Some("gzip"));
}

#[test]
fn full_mattermost_scrape_plain() {
    check_full_scrape(
        Response::prometheus(fixture("mattermost.prom")),
        "mattermost.prom",
        Format::Prometheus,
    );
}

#[test]
fn full_mattermost_scrape_gzip() {
    check_full_scrape(
        Response::prometheus(fixture("mattermost.prom")).gzip(),
        "mattermost.prom",
        Format::Prometheus,
    );
}

#[test]
fn full_mattermost_scrape_openmetrics_gzip() {
    check_full_scrape(
        Response::openmetrics(fixture("mattermost.openmetrics.txt")).gzip(),
        "mattermost.openmetrics.txt",
        Format::OpenMetrics,
    );
}

#[test]
fn the_host_of_more_settings_is_the_events_host() {
    let server = TestServer::serve(Response::prometheus(fixture("mattermost.prom")));
    // splunkd passes the forwarder's own name (hf1) when Host is not set.
    let r = run_input(&server.url(), &[("host", "mm1-from-more-settings")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = parse_stream(&r.stdout);
    assert!(!events.is_empty());
    assert!(events
        .iter()
        .all(|e| e.host.as_deref() == Some("mm1-from-more-settings")));
}

#[test]
fn filters_extra_dimensions_and_node_name() {
    let server = TestServer::serve(Response::prometheus(fixture("mattermost.prom")));
    let r = run_input(
        &server.url(),
        &[
            ("include", "mattermost_.*"),
            ("exclude", "mattermost_webapp_.*|mattermost_api_time_bucket"),
            ("dimensions", "cluster=prod,region=eu west"),
            ("node_name", "mm-node-1"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = parse_stream(&r.stdout);
    assert!(events
        .iter()
        .all(|e| e.host.as_deref() == Some("mm-node-1")));
    let points = indexed(&events);
    assert!(!points.is_empty());
    for (name, _, dims) in &points {
        if !name.starts_with("mattermost_metrics.") {
            assert!(
                name.starts_with("mattermost_")
                    && !name.starts_with("mattermost_webapp_")
                    && name != "mattermost_api_time_bucket",
                "{name}"
            );
        }
        assert!(
            dims.contains(&("cluster".into(), "prod".into()))
                && dims.contains(&("region".into(), "eu west".into())),
            "{name}: {dims:?}"
        );
    }
    let h = health(&events);
    assert!(h["samples_filtered"] > 1000.0);
    assert_eq!(
        h["samples_emitted"] + h["samples_filtered"],
        h["samples_scraped"]
    );
}

// ---- run mode: failures --------------------------------------------------

/// A failed run: exit 0, a valid stream holding only the health points
/// with up=0, and one ERROR line containing `want`.
fn check_failure(r: &Run, want: &str) -> HashMap<String, f64> {
    assert_eq!(
        r.code,
        Some(0),
        "a failed scrape still ends cleanly: {}",
        r.stderr
    );
    assert_log_lines(&r.stderr);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("ERROR"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].contains(want), "{want:?} not in {}", errors[0]);
    let events = parse_stream(&r.stdout);
    let h = health(&events);
    assert_eq!(
        h.len(),
        mattermost_metrics::health::METRICS.len(),
        "all health points"
    );
    assert_eq!(
        events.len(),
        h.len(),
        "nothing but the health points is written"
    );
    assert_eq!(h["up"], 0.0);
    h
}

#[test]
fn refused_connection() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = run_input(&format!("http://127.0.0.1:{port}/metrics"), &[]);
    check_failure(&r, "refused");
}

#[test]
fn target_that_never_answers_ends_within_the_timeout() {
    let server = TestServer::never_answer();
    let r = run_input(&server.url(), &[("timeout", "1")]);
    check_failure(&r, "timeout");
    assert!(r.elapsed < Duration::from_secs(3), "took {:?}", r.elapsed);
}

#[test]
fn http_500_and_404() {
    let server = TestServer::status(500);
    check_failure(&run_input(&server.url(), &[]), "500");
    let server = TestServer::status(404);
    check_failure(&run_input(&server.url(), &[]), "MetricsSettings.Enable");
}

#[test]
fn html_error_page() {
    let server = TestServer::serve(Response::new(
        200,
        "text/html; charset=utf-8",
        "<html><body>Mattermost</body></html>",
    ));
    check_failure(&run_input(&server.url(), &[]), "text/html");
}

#[test]
fn html_served_as_text_plain() {
    let server = TestServer::serve(Response::prometheus(
        "<html><body>502 Bad Gateway</body></html>\n",
    ));
    let r = run_input(&server.url(), &[]);
    let h = check_failure(&r, "did not answer with Prometheus metrics");
    assert_eq!(h["parse_errors"], 1.0);
}

#[test]
fn truncated_body() {
    let body = fixture("mattermost.prom");
    let server = TestServer::close_mid_body(Response::prometheus(body.clone()), body.len() / 2);
    check_failure(&run_input(&server.url(), &[]), "truncated");
}

#[test]
fn corrupt_gzip() {
    let server = TestServer::corrupt_gzip();
    check_failure(&run_input(&server.url(), &[]), "gzip");
}

#[test]
fn body_over_the_cap() {
    let server = TestServer::gzip_bomb(3 << 20);
    let r = run_input(&server.url(), &[("max_body_mb", "1")]);
    // The message names the setting that holds the cap, as the form does.
    check_failure(&r, "1048576 bytes (Largest scrape, max_body_mb,");
    assert!(!r.stderr.contains("max_body_bytes"), "{}", r.stderr);
}

#[test]
fn invalid_settings_still_give_health_points() {
    let r = run_input("ftp://mm1/metrics", &[]);
    check_failure(&r, "must start with http:// or https://");
}

#[test]
fn hostile_label_values_never_break_the_stream() {
    let mut body = b"# TYPE x gauge\n".to_vec();
    body.extend_from_slice(b"x{v=\"ctl\\x01\x02\x1b\x7f end\"} 1\n");
    body.extend_from_slice(b"x{v=\"bad utf8 \xff\xfe\xc0\"} 2\n");
    body.extend_from_slice(b"x{v=\"</data></event><event>\"} 3\n");
    body.extend_from_slice(b"x{v=\"amp & lt < gt > quote \\\" \\\\\"} 4\n");
    body.extend_from_slice("x{v=\"nonchars \u{FFFE}\u{FFFF}\"} 5\n".as_bytes());
    body.extend_from_slice(b"x{v=\"line\\nbreak\\r\"} 6\n");
    body.extend_from_slice(b"not a metric line\n");
    body.extend_from_slice(b"y 7\n");
    let server = TestServer::serve(Response::prometheus(body));
    let r = run_input(&server.url(), &[]);
    assert_eq!(r.code, Some(0));
    let events = parse_stream(&r.stdout);
    let points = indexed(&events);
    let xs: Vec<&Point> = points.iter().filter(|p| p.0 == "x").collect();
    assert_eq!(xs.len(), 6);
    let values: Vec<&str> = xs.iter().map(|p| p.2[0].1.as_str()).collect();
    assert!(values.contains(&"</data></event><event>"));
    // A backslash becomes / (the event text never carries one).
    assert!(values.contains(&"amp & lt < gt > quote ' /"));
    assert!(values.contains(&"bad utf8 \u{FFFD}\u{FFFD}\u{FFFD}"));
    assert!(
        values.iter().all(|v| !v.chars().any(|c| c.is_control())),
        "{values:?}"
    );
    assert!(
        points.iter().any(|p| p.0 == "y"),
        "the lines after a bad one are kept"
    );
    let h = health(&events);
    assert_eq!(h["up"], 1.0);
    assert_eq!(h["parse_errors"], 1.0);
    assert!(r.stderr.starts_with("WARN"), "{}", r.stderr);
    assert!(
        r.stderr.contains("(first: line 8: invalid value"),
        "{}",
        r.stderr
    );
}

// ---- TLS ----------------------------------------------------------------

#[test]
fn https_with_a_private_ca() {
    let pki = TestPki::new();
    let server = TestServer::https(
        TlsSettings::new(pki.server()),
        Response::prometheus("up 1\n"),
    );
    let url = server.url().replace("127.0.0.1", "localhost");
    let ca = pki.ca_file().to_string_lossy().to_string();

    let r = run_input(&url, &[("ca_bundle", &ca)]);
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);

    let r = run_input(&url, &[]);
    check_failure(&r, "tls");

    let r = run_input(&url, &[("ca_bundle", &ca)]);
    assert!(!r.stderr.contains("WARN"), "{}", r.stderr);
    let r = run_input(&url, &[("verify_tls", "false")]);
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    // Turning verification off is never silent: one WARN per run, saying
    // what it exposes.
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    for want in [
        &url,
        "verify_tls = false",
        "pose as the node",
        "credentials",
    ] {
        assert!(warnings[0].contains(want), "{want} in {}", warnings[0]);
    }
}

// ---- secrets --------------------------------------------------------------

#[test]
fn a_typed_secret_moves_to_the_credential_store_and_is_used() {
    let splunkd = FakeSplunkd::start();
    let server = TestServer::require_bearer("tok-ABC-123", Response::prometheus("up 1\n"));
    let params = [
        ("url", server.url()),
        ("auth_type", "bearer".into()),
        ("secret", "tok-ABC-123".into()),
        ("interval", "60".into()),
    ];
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = run_binary(BIN, &[], &input_xml(&splunkd.uri, "node1", &params));
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    assert!(
        !r.stderr.contains("tok-ABC-123") && !r.stdout.contains("tok-ABC-123"),
        "the secret is never written out"
    );
    assert_eq!(
        splunkd
            .secret("mattermost_metrics", "mattermost_metrics:node1:")
            .as_deref(),
        Some("tok-ABC-123")
    );
    let masked = splunkd
        .calls()
        .into_iter()
        .find(|c| c.path.contains("/data/inputs/mattermost_metrics/node1"))
        .expect("inputs.conf updated");
    assert_eq!(masked.body, "secret=********");

    // The next run reads it back from the store.
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|&(k, v)| (k, if k == "secret" { MASK } else { v }))
        .collect();
    let r = run_binary(BIN, &[], &input_xml(&splunkd.uri, "node1", &params));
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    assert_eq!(
        server.requests().last().unwrap().header("authorization"),
        Some("Bearer tok-ABC-123")
    );
    assert!(!r.stderr.contains("tok-ABC-123"));
}

#[test]
fn a_masked_secret_with_nothing_stored_is_a_clear_error() {
    let splunkd = FakeSplunkd::start();
    let server = TestServer::serve(Response::prometheus("up 1\n"));
    let url = server.url();
    let params = [
        ("url", url.as_str()),
        ("auth_type", "basic"),
        ("username", "u"),
        ("secret", MASK),
        ("interval", "60"),
    ];
    let r = run_binary(BIN, &[], &input_xml(&splunkd.uri, "node1", &params));
    check_failure(&r, "type it again");
}

// ---- --validate-arguments -------------------------------------------------

fn validate(params: &[(&str, &str)]) -> Run {
    run_binary(
        BIN,
        &["--validate-arguments"],
        &items_xml("https://127.0.0.1:1", "node1", params),
    )
}

fn validation_message(r: &Run) -> String {
    assert_ne!(r.code, Some(0));
    let doc =
        roxmltree::Document::parse(&r.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", r.stdout));
    assert_eq!(doc.root_element().tag_name().name(), "error");
    let msg = doc
        .root_element()
        .children()
        .find(|c| c.tag_name().name() == "message")
        .unwrap();
    msg.text().unwrap().to_string()
}

#[test]
fn validation_says_what_the_dashboards_preset_keeps() {
    let server = TestServer::serve(Response::prometheus(fixture("mattermost.prom")));
    let url = server.url();
    let r = validate(&[("url", url.as_str()), ("include", "dashboards")]);
    assert_eq!(r.code, Some(0), "{} {}", r.stdout, r.stderr);
    let line = r.stderr.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(
            "INFO stanza=\"mattermost_metrics://node1\" validation: Include metrics dashboards ("
        ),
        "{}",
        r.stderr
    );
    assert!(
        line.contains("keeps 3941 data points of the 5203 samples"),
        "{line}"
    );
}

#[test]
fn validation_accepts_a_working_endpoint() {
    let server = TestServer::serve(Response::prometheus(fixture("mattermost.prom")).gzip());
    let r = validate(&[("url", &server.url()), ("interval", "60"), ("timeout", "5")]);
    assert_eq!(r.code, Some(0), "{} {}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn validation_explains_what_is_wrong() {
    let m = validation_message(&validate(&[
        ("url", "mm1.example.com:8067/metrics"),
        ("interval", "10"),
        ("timeout", "30"),
    ]));
    assert!(
        m.contains("Metrics URL")
            && m.contains("Timeout (30 s) must be shorter than the interval (10 s)"),
        "{m}"
    );
    // A URL without a scheme is told what it lacks, not that
    // "mm1.example.com" is a scheme.
    assert!(
        m.contains("has no scheme: add http:// or https://")
            && m.contains("http://mm1.example.com:8067/metrics")
            && !m.contains("mm1.example.com://"),
        "{m}"
    );

    let server = TestServer::status(404);
    let r = validate(&[("url", &server.url())]);
    assert!(
        r.stderr
            .starts_with("ERROR stanza=\"mattermost_metrics://node1\" validation failed: HTTP 404"),
        "splunkd.log names the input: {}",
        r.stderr
    );
    let m = validation_message(&r);
    assert!(
        m.contains("404") && m.contains("MetricsSettings.Enable"),
        "{m}"
    );

    let server = TestServer::status(401);
    let m = validation_message(&validate(&[("url", &server.url())]));
    assert!(m.contains("401"), "{m}");

    let server = TestServer::serve(Response::prometheus("<html>login</html>\n"));
    let m = validation_message(&validate(&[("url", &server.url())]));
    assert!(m.contains("not with Prometheus metrics"), "{m}");

    let m = validation_message(&validate(&[("url", "http://127.0.0.1:1/metrics")]));
    assert!(m.contains("refused"), "{m}");
}

/// A Splunk SDK test vector, copied into `tests/fixtures/splunk-sdk/`.
fn sdk_fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/splunk-sdk")
            .join(name),
    )
    .unwrap()
}

#[test]
fn sdk_fixtures_are_read() {
    use mattermost_metrics::splunk::definition::{Definition, ParamValue};
    let d = Definition::parse_input(&sdk_fixture("conf_with_2_inputs.xml")).unwrap();
    assert_eq!(d.server_uri, "https://127.0.0.1:8089");
    assert_eq!(d.session_key, "123102983109283019283");
    assert_eq!(d.checkpoint_dir, "/some/dir");
    assert_eq!(d.stanzas.len(), 2);
    assert_eq!(d.stanzas[1].name, "foobar://bbb");
    assert_eq!(d.stanzas[1].app.as_deref(), Some("my_app"));
    assert_eq!(d.stanzas[1].input_name(), "bbb");
    assert!(d.stanzas[1].params.contains(&(
        "multiValue".into(),
        ParamValue::List(vec!["value1".into(), "value2".into()])
    )));
    assert!(d.stanzas[0]
        .params
        .contains(&("param1".into(), ParamValue::Single("value1".into()))));
    assert_eq!(
        Definition::parse_input(&sdk_fixture("conf_with_0_inputs.xml"))
            .unwrap()
            .stanzas
            .len(),
        0
    );
    let e = Definition::parse_input(&sdk_fixture("conf_with_invalid_inputs.xml")).unwrap_err();
    assert!(
        format!("{e:#}").contains("unexpected element <editor>"),
        "{e:#}"
    );
    let v = Definition::parse_items(&sdk_fixture("validation.xml")).unwrap();
    assert_eq!(v.stanzas[0].name, "aaa");
    assert_eq!(v.stanzas[0].param_map()["multiValue2"], "value3,value4");
    // A run with no stanza writes nothing and succeeds.
    let r = run_binary(BIN, &[], &sdk_fixture("conf_with_0_inputs.xml"));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), ""));
    // An unreadable definition is an error in splunkd.log.
    let r = run_binary(BIN, &[], &sdk_fixture("conf_with_invalid_inputs.xml"));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .starts_with("ERROR cannot read the input definition"),
        "{}",
        r.stderr
    );
}

#[test]
fn event_stream_has_the_sdk_shape() {
    // Our stream parses the same way as the SDK's event fixtures do.
    let events = parse_stream(&sdk_fixture("stream_with_two_events.xml"));
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].host.as_deref(), Some("localhost"));
    let mut out = Vec::new();
    let meta = mattermost_metrics::splunk::stream::EventMeta {
        stanza: "fubar",
        source: "hilda",
        sourcetype: "misc",
        index: "main",
        host: "localhost",
    };
    let mut w = mattermost_metrics::splunk::stream::EventWriter::new(&mut out, &meta).unwrap();
    w.event(
        1372275124466,
        "This is a test of the emergency broadcast system.",
    )
    .unwrap();
    w.event(
        1372275124466,
        "This is a test of the emergency broadcast system.",
    )
    .unwrap();
    w.finish().unwrap();
    let ours = parse_stream(std::str::from_utf8(&out).unwrap());
    assert_eq!(ours, events);
}

#[test]
fn a_reply_helper_is_used() {
    // Keeps the Reply import honest: a server closing without an answer.
    let server = TestServer::handle(|_| Reply::Close);
    check_failure(&run_input(&server.url(), &[]), "scrape failed");
}

// ---- production hardening ---------------------------------------------------

#[test]
fn a_password_in_the_url_never_reaches_events_logs_or_the_form() {
    let server = TestServer::serve(Response::prometheus("up 1\n"));
    let port = server.addr().port();
    for url in [
        format!("http://alice:s3cret-pw@127.0.0.1:{port}/metrics"),
        // Malformed (the port), and without a scheme: quoted in errors.
        "http://alice:s3cret-pw@127.0.0.1:99999999/metrics".to_string(),
        format!("alice:s3cret-pw@127.0.0.1:{port}/metrics"),
        // Forms the URL standard forgives (extra or missing slashes, a
        // backslash) while a scan that stops at the first `/` sees no
        // userinfo; and a password holding a `/`.
        format!("http:///alice:s3cret-pw@127.0.0.1:{port}/metrics"),
        format!("http:/alice:s3cret-pw@127.0.0.1:{port}/metrics"),
        format!("//alice:s3cret-pw@127.0.0.1:{port}/metrics"),
        format!("http:/\\alice:s3cret-pw@127.0.0.1:{port}/metrics"),
        format!("http://alice:s3cret/pw@127.0.0.1:{port}/metrics"),
    ] {
        let r = run_input(&url, &[]);
        check_failure(&r, "invalid settings");
        let v = validate(&[("url", &url)]);
        let m = validation_message(&v);
        for text in [&r.stdout, &r.stderr, &v.stderr, &m] {
            assert!(
                !text.contains("s3cret") && !text.contains("alice"),
                "{url}: {text}"
            );
        }
        for e in parse_stream(&r.stdout) {
            let source = e.source.unwrap_or_default();
            assert!(
                source.contains("127.0.0.1") && !source.contains('@'),
                "the health events' source: {source}"
            );
        }
    }
    let url = format!("http://alice:s3cret-pw@127.0.0.1:{port}/metrics");
    let m = validation_message(&validate(&[("url", &url)]));
    assert!(m.contains("User name and Token or password"), "{m}");
    assert!(server.requests().is_empty(), "never scraped with it");
    // The form and docs/inputs.md say where credentials go instead.
    let url_help = ARGS.iter().find(|a| a.name == "url").unwrap().description;
    assert!(url_help.contains("use Authentication"), "{url_help}");
}

#[test]
fn run_and_validation_read_secrets_from_one_namespace() {
    let splunkd = FakeSplunkd::start();
    let server = TestServer::require_bearer("tok-NS-42", Response::prometheus("up 1\n"));
    let url = server.url();
    let typed = [
        ("url", url.as_str()),
        ("auth_type", "bearer"),
        ("secret", "tok-NS-42"),
        ("interval", "60"),
    ];
    // An input created from another app's context: its stanza is in the
    // Search app's inputs.conf.
    let r = run_binary(
        BIN,
        &[],
        &input_xml_in_app(&splunkd.uri, "search", "node1", &typed),
    );
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    assert_eq!(
        splunkd
            .secret("mattermost_metrics", "mattermost_metrics:node1:")
            .as_deref(),
        Some("tok-NS-42"),
        "stored in the app's own namespace"
    );
    assert_eq!(splunkd.secret("search", "mattermost_metrics:node1:"), None);
    assert!(
        splunkd.calls().iter().any(|c| c
            .path
            .starts_with("/servicesNS/nobody/search/data/inputs/mattermost_metrics/node1")),
        "the stanza is masked where it lives: {:?}",
        splunkd.calls()
    );
    // Validation is not told the stanza's app, and reads the same secret.
    let masked = [
        ("url", url.as_str()),
        ("auth_type", "bearer"),
        ("secret", MASK),
    ];
    let v = run_binary(
        BIN,
        &["--validate-arguments"],
        &items_xml(&splunkd.uri, "node1", &masked),
    );
    assert_eq!(v.code, Some(0), "{} {}", v.stdout, v.stderr);
    // So does the next run.
    let mut next = masked.to_vec();
    next.push(("interval", "60"));
    let r = run_binary(
        BIN,
        &[],
        &input_xml_in_app(&splunkd.uri, "search", "node1", &next),
    );
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    assert!(server
        .requests()
        .iter()
        .all(|q| q.header("authorization") == Some("Bearer tok-NS-42")));
}

#[test]
fn a_scrape_over_the_sample_limit_is_refused_whole() {
    let server = TestServer::serve(Response::prometheus(fixture("mattermost.prom")));
    let r = run_input(&server.url(), &[("sample_limit", "1000")]);
    let h = check_failure(&r, "scrape failed (sample_limit)");
    assert!(
        r.stderr.contains("more than the sample limit of 1000"),
        "{}",
        r.stderr
    );
    assert!(h["samples_scraped"] > 5000.0, "{h:?}");
    assert_eq!(h["samples_emitted"], 0.0);
    // The limit counts what the filters keep.
    let r = run_input(
        &server.url(),
        &[("sample_limit", "1000"), ("include", "go_.*")],
    );
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    // 0: no limit; the default lets a busy node through (the other tests).
    let r = run_input(&server.url(), &[("sample_limit", "0")]);
    assert_eq!(health(&parse_stream(&r.stdout))["up"], 1.0, "{}", r.stderr);
    let m = validation_message(&validate(&[
        ("url", &server.url()),
        ("sample_limit", "1000"),
    ]));
    assert!(m.contains("more than the Sample limit of 1000"), "{m}");
}

#[test]
fn an_event_props_conf_would_truncate_is_dropped_counted_and_logged_once() {
    use mattermost_metrics::emit::event_text::MAX_EVENT_BYTES;
    let wide = |name: &str| {
        let labels: Vec<String> = (0..10_000).map(|i| format!("l{i}=\"v{i}\"")).collect();
        format!("{name}{{{}}} 1\n", labels.join(","))
    };
    let body = format!("{}{}narrow 2\n", wide("wide_a"), wide("wide_b"));
    let server = TestServer::serve(Response::prometheus(body));
    let r = run_input(&server.url(), &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = parse_stream(&r.stdout);
    assert!(events.iter().all(|e| e.data.len() <= MAX_EVENT_BYTES));
    let points = indexed(&events);
    assert!(points.iter().any(|p| p.0 == "narrow"));
    assert!(!points.iter().any(|p| p.0.starts_with("wide_")));
    let h = health(&events);
    assert_eq!(h["up"], 1.0);
    assert_eq!(h["samples_oversized"], 2.0);
    assert_eq!(h["samples_emitted"], 1.0);
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("WARN")).collect();
    assert_eq!(warnings.len(), 1, "logged once: {}", r.stderr);
    for want in ["2 data point(s)", "65536", "TRUNCATE", "wide_a"] {
        assert!(warnings[0].contains(want), "{want} in {}", warnings[0]);
    }
}

#[test]
fn an_include_that_matches_nothing_is_refused_and_warned() {
    let body = fixture("mattermost.prom");
    let samples = convert_scrape(
        &body,
        Format::Prometheus,
        false,
        &ConvertOptions::default(),
        0,
        |_| {},
    )
    .unwrap()
    .0
    .samples;
    let server = TestServer::serve(Response::prometheus(body));
    // The glob an admin types for "every Mattermost metric".
    let m = validation_message(&validate(&[
        ("url", &server.url()),
        ("include", "mattermost_*"),
    ]));
    for want in [
        &format!("keep 0 of the {samples} samples"),
        "mattermost_.*",
        "glob",
    ] {
        assert!(m.contains(want as &str), "{want} in {m}");
    }
    let r = run_input(&server.url(), &[("include", "mattermost_*")]);
    let h = health(&parse_stream(&r.stdout));
    assert_eq!(h["samples_emitted"], 0.0);
    assert_eq!(h["samples_filtered"], samples as f64);
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(
        warnings[0].contains(&format!("dropped all {samples} samples"))
            && warnings[0].contains("mattermost_.*"),
        "{}",
        warnings[0]
    );
}

#[test]
fn run_mode_with_nothing_on_stdin_says_so() {
    for stdin in ["", "  \n", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"] {
        let r = run_binary(BIN, &[], stdin);
        assert_eq!(r.code, Some(1), "{stdin:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {}", r.stderr);
        assert!(
            lines[0].starts_with("ERROR cannot read the input definition"),
            "{}",
            lines[0]
        );
    }
}

/// A hostile target's names are quoted in warnings; a line of megabytes
/// would flood splunkd.log (and be cut by Splunk's line breaking).
#[test]
fn log_lines_are_bounded_whatever_the_target_sends() {
    let long_name = "n".repeat(8 * 1024 * 1024);
    let long_label = "l".repeat(5 * 1024 * 1024);
    let body =
        format!("{long_name} 1\nok{{{long_label}=\"x\",a=\"b\"}} 2\n{long_name}{{ 3\nfine 4\n");
    let server = TestServer::serve(Response::prometheus(body));
    let r = run_input(&server.url(), &[]);
    assert_eq!(r.code, Some(0), "{}", &r.stderr[..r.stderr.len().min(2000)]);
    assert_log_lines(&r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{}…[8388609 bytes, crc32 ", "n".repeat(64))),
        "the long value quoted by length and hash: {}",
        &r.stderr[..r.stderr.len().min(4000)]
    );
    for line in r.stderr.lines() {
        assert!(
            line.len() <= 4200,
            "a line of {} bytes: {}",
            line.len(),
            &line[..300]
        );
    }
}

/// A body whose samples carry timestamps: some near the scrape, some far
/// from it (the year 3.2 million, before 1970, two hours old, an hour ahead).
fn timestamped_body() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    format!(
        "big 1 99999999999999999\nneg 1 -5\nold 1 {}\nahead 1 {}\nrecent 2 {}\nsoon 3 {}\nplain 4\n",
        now - 2 * 3_600_000,
        now + 3_600_000,
        now - 30_000,
        now + 60_000,
    )
}

/// Prometheus' storage refuses samples out of its bounds (more than 10
/// minutes ahead, older than its head's window of an hour): so does the
/// input, counting them, rather than indexing a point in the year 3.2
/// million.
#[test]
fn samples_far_from_the_scrape_time_are_dropped_and_counted() {
    let server = TestServer::handle(|_| Reply::Respond(Response::prometheus(timestamped_body())));
    let r = run_input(&server.url(), &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = parse_stream(&r.stdout);
    let names: Vec<String> = indexed(&events)
        .into_iter()
        .map(|p| p.0)
        .filter(|n| !n.starts_with("mattermost_metrics."))
        .collect();
    assert_eq!(names, ["plain", "recent", "soon"]);
    let h = health(&events);
    assert_eq!(h["samples_out_of_bounds"], 4.0);
    assert_eq!(h["samples_emitted"], 3.0);
    assert_eq!(h["up"], 1.0);
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(
        warnings[0].contains("samples_out_of_bounds"),
        "{}",
        warnings[0]
    );
}
