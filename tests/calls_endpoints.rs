//! The Calls dashboard's endpoints scraped with the existing input, one
//! input per endpoint, as docs/dashboards.md ("Calls, rtcd and node_exporter") says:
//! the Mattermost server, the Calls plugin on the same host and port, rtcd
//! and node_exporter. The built binary runs as splunkd runs it, its events
//! go through our transforms into the SPL evaluator's index, and the
//! dashboards' compiled searches must pick each endpoint's series and only
//! those: the Calls plugin's goroutines in the Calls dashboard, the
//! server's own in the performance dashboard.

use spl_eval as spl;
use test_support::splunk;
use test_support::splunkd;
use test_support::test_servers;

use std::collections::BTreeMap;

use mattermost_metrics::dashboard::Spec;
use splunkd::{input_xml, parse_stream, run_binary};
use test_servers::{Reply, Response, TestServer};
use test_support::{fixture, root};

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");

/// A target that serves `body` at `path` only (404 elsewhere).
fn serve_at(path: &'static str, body: Vec<u8>) -> TestServer {
    TestServer::handle(move |r| {
        if r.path == path {
            Reply::Respond(Response::prometheus(body.clone()))
        } else {
            Reply::Respond(Response::new(404, "text/plain", "404 page not found\n"))
        }
    })
}

/// One run of the input for one stanza; the indexed points with their host.
fn scrape(url: &str, stanza: &str, extra: &[(&str, &str)]) -> Vec<spl::Point> {
    let params = splunkd::input_params(url, extra);
    let run = run_binary(BIN, &[], &input_xml("https://127.0.0.1:1", stanza, &params));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let events = parse_stream(&run.stdout);
    let transforms = splunk::transforms_for(&root().join("splunk_app"), "mattermost:metrics");
    events
        .iter()
        .map(|e| {
            let p = splunk::index_event(&transforms, &e.data);
            let mut dims: BTreeMap<String, String> = p.dimensions.into_iter().collect();
            dims.insert("host".into(), e.host.clone().unwrap_or_default());
            dims.insert("source".into(), e.source.clone().unwrap_or_default());
            dims.insert("index".into(), "wss_metrics".into());
            spl::Point {
                // All runs land in one bucket of the searches below.
                time_ms: 1_767_225_600_000,
                metric_name: p.metric_name,
                value: p.value,
                dims,
            }
        })
        .collect()
}

#[test]
fn each_endpoint_is_one_input_and_the_dashboards_tell_them_apart() {
    let server = serve_at("/metrics", fixture("mattermost.prom"));
    let calls = serve_at(
        "/plugins/com.mattermost.calls/metrics",
        fixture("calls/calls_plugin.prom"),
    );
    let rtcd = serve_at("/metrics", fixture("calls/rtcd.prom"));
    let node = serve_at("/metrics", fixture("exporters/node_exporter.prom"));

    let mut points = Vec::new();
    points.extend(scrape(&server.url(), "mm1", &[("node_name", "mm1")]));
    let calls_url = format!("{}/plugins/com.mattermost.calls/metrics", calls.base_url());
    let from_calls = scrape(
        &calls_url,
        "mm1-calls",
        &[("node_name", "mm1"), ("dimensions", "job=calls")],
    );
    assert!(from_calls
        .iter()
        .any(|p| p.metric_name == "mattermost_plugin_calls_websocket_events_total"));
    // The counters without `_total` and the upper-case name arrive as named.
    assert!(from_calls
        .iter()
        .any(|p| p.metric_name == "mattermost_plugin_calls_jobs_live_captions_window_dropped"));
    for p in from_calls
        .iter()
        .filter(|p| !p.metric_name.starts_with("mattermost_metrics."))
    {
        assert_eq!(
            p.dims.get("job").map(String::as_str),
            Some("calls"),
            "{}",
            p.metric_name
        );
        assert_eq!(p.dims.get("host").map(String::as_str), Some("mm1"));
    }
    points.extend(from_calls);
    points.extend(scrape(
        &format!("{}/metrics", rtcd.base_url()),
        "rtcd1",
        &[("node_name", "rtcd1"), ("dimensions", "job=rtcd")],
    ));
    points.extend(scrape(
        &format!("{}/metrics", node.base_url()),
        "rtcd1-node",
        &[("node_name", "rtcd1"), ("dimensions", "job=node")],
    ));

    let mut store = spl::Store::new();
    for p in points {
        store.push(p);
    }
    let macros = spl::Macros::from_conf(
        &std::fs::read_to_string(root().join("splunk_app/default/macros.conf")).unwrap(),
    );
    let run = |spec: &Spec, promql: &str, tokens: &[(&str, &str)]| -> Vec<(String, f64)> {
        let q = mattermost_metrics::spl::compile_str(promql, &spec.options()).unwrap();
        let mut t: BTreeMap<String, String> = tokens
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.insert("span".into(), "300s".into());
        t.insert("span_s".into(), "300".into());
        t.insert("span_lookback".into(), "300s".into());
        let ctx = spl::Context {
            store: &store,
            macros: &macros,
            earliest_s: 1_767_225_600.0,
            latest_s: 1_767_225_900.0,
            tokens: t,
            rate_basis: spl::RateBasis::default(),
        };
        let rows = spl::run(&q.spl, &ctx).unwrap_or_else(|e| panic!("{promql}\n{}\n{e:#}", q.spl));
        let mut out: Vec<(String, f64)> = rows
            .iter()
            .map(|r| {
                let labels: Vec<String> = q
                    .labels
                    .iter()
                    .map(|l| r.text(l).unwrap_or_default())
                    .collect();
                (labels.join(","), r.num("value").unwrap())
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let calls_spec =
        Spec::load(&root().join("dashboards/specs/mattermost_calls_performance.json")).unwrap();
    let perf_spec =
        Spec::load(&root().join("dashboards/specs/mattermost_performance_monitoring.json"))
            .unwrap();
    let hosts = |h: &str| format!("(host=\"{h}\")");

    // The Calls dashboard: `$calls:$calls_metrics_port` is the plugin on mm1
    // (61 goroutines), `$rtcd:$rtcd_metrics_port` rtcd (212), `$rtcd:9100`
    // node_exporter on the rtcd host (8): never the server's.
    let tokens = [
        ("calls", hosts("mm1")),
        ("rtcd", hosts("rtcd1")),
        ("offloader", hosts("none")),
    ];
    let tokens: Vec<(&str, &str)> = tokens.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        run(
            &calls_spec,
            r#"sum(go_goroutines{instance=~"$calls:$calls_metrics_port"}) by (instance)"#,
            &tokens
        ),
        [("mm1".to_string(), 61.0)]
    );
    assert_eq!(
        run(
            &calls_spec,
            r#"sum(go_goroutines{instance=~"$rtcd:$rtcd_metrics_port"}) by (instance)"#,
            &tokens
        ),
        [("rtcd1".to_string(), 212.0)]
    );
    assert_eq!(
        run(
            &calls_spec,
            r#"node_sockstat_TCP_inuse{instance=~"$rtcd:9100"}"#,
            &tokens
        ),
        [("rtcd1".to_string(), 9.0)]
    );
    assert_eq!(
        run(
            &calls_spec,
            r#"go_memstats_heap_inuse_bytes{instance=~"$calls:$calls_metrics_port", job="calls"}"#,
            &tokens
        ),
        [("mm1".to_string(), 11_427_840.0)]
    );

    // The performance dashboard: the server's own goroutines only.
    let server_goroutines = {
        let text = String::from_utf8(fixture("mattermost.prom")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("go_goroutines "))
            .unwrap()
            .trim()
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(
        run(
            &perf_spec,
            r#"go_goroutines{instance=~"$server"}"#,
            &[("host", "(host=\"*\")")]
        ),
        [("mm1".to_string(), server_goroutines)]
    );
}
