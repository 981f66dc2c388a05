//! The edges of the time range and gaps in the data (issue 16): what the
//! dashboards draw in the first and last buckets of a time range that is not
//! aligned to the span, and where a host's scrape is missing, against what
//! Prometheus answers Grafana from the same samples.
//!
//! The data: 3 hosts scraped every 60 s, each at its own second of the
//! minute, every scrape jittered by up to +/-5 s (at millisecond
//! resolution, as a busy forwarder's are). The dashboards' searches are the
//! generated ones, run in the SPL evaluator as a dashboard runs them: the
//! span search first over the time picker's range (it sets `span`,
//! `span_s` and `chart_earliest`), then the panel's search over its own
//! range. Prometheus' answers are computed here by hand from the same
//! samples: at each step T (multiples of the step from floor(earliest / S) *
//! S to floor(latest / S) * S, as Grafana asks), each series' last sample in
//! (T - 5m, T].

#[path = "support/spl/mod.rs"]
mod spl;

use std::collections::BTreeMap;
use std::path::Path;

use mattermost_metrics::dashboard::{self, Panel, PanelKind, Spec};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Midnight, 1 January 2026 (UTC): aligned to every span.
const START_S: i64 = 1_767_225_600;
const HOSTS: [&str; 3] = ["mm-a", "mm-b", "mm-c"];
/// Each host's second of the minute.
const PHASE_S: [i64; 3] = [13, 31, 47];
const SCRAPES: i64 = 4 * 60;
const LOOKBACK_MS: i64 = 300_000;

/// A deterministic jitter in [-5000, 5000) ms for scrape `k` of `host`
/// (splitmix64 of both).
fn jitter_ms(host: usize, k: i64) -> i64 {
    let mut z = (host as u64) << 32 ^ (k as u64) ^ 0x9e37_79b9_7f4a_7c15;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z % 10_000) as i64 - 5_000
}

/// One series' samples: (time ms, value), sorted.
#[derive(Clone)]
struct Samples {
    metric: &'static str,
    host: usize,
    labels: Vec<(&'static str, &'static str)>,
    points: Vec<(i64, f64)>,
}

/// What is missing: scrapes of a host dropped in [from_s, to_s).
#[derive(Clone, Copy)]
struct Gap {
    host: usize,
    from_s: i64,
    to_s: i64,
}

/// The samples of the 3 hosts: a gauge (WebSocket connections, a value
/// that changes every scrape) and a counter (WebSocket notification errors
/// by reason, large cumulative values since the process started), without
/// the scrapes `gaps` drop.
fn samples(gaps: &[Gap]) -> Vec<Samples> {
    let mut out = Vec::new();
    for (h, _) in HOSTS.iter().enumerate() {
        let mut gauge = Vec::new();
        let mut err_a = Vec::new();
        let mut err_b = Vec::new();
        for k in 0..SCRAPES {
            let t_ms = (START_S + PHASE_S[h] + 60 * k) * 1000 + jitter_ms(h, k);
            if gaps
                .iter()
                .any(|g| g.host == h && t_ms >= g.from_s * 1000 && t_ms < g.to_s * 1000)
            {
                continue;
            }
            let hf = h as f64;
            gauge.push((
                t_ms,
                100.0 * (hf + 1.0) + ((k * 7 + h as i64 * 3) % 11) as f64,
            ));
            err_a.push((t_ms, 50_000.0 * (hf + 1.0) + (3 * k) as f64 * (hf + 1.0)));
            err_b.push((t_ms, 7_000.0 * (hf + 2.0) + (k / 2) as f64));
        }
        out.push(Samples {
            metric: "mattermost_http_websockets_total",
            host: h,
            labels: vec![("origin_client", "web")],
            points: gauge,
        });
        for (reason, points) in [("no_session", err_a), ("write_failed", err_b)] {
            out.push(Samples {
                metric: "mattermost_notifications_error",
                host: h,
                labels: vec![("type", "websocket"), ("reason", reason)],
                points,
            });
        }
    }
    out
}

/// The samples as the metrics index holds them.
fn store(series: &[Samples]) -> spl::Store {
    let mut store = spl::Store::new();
    for s in series {
        let mut dims: BTreeMap<String, String> = BTreeMap::new();
        dims.insert("host".into(), HOSTS[s.host].into());
        dims.insert("index".into(), "wss_metrics".into());
        dims.insert(
            "source".into(),
            format!("http://{}:8067/metrics", HOSTS[s.host]),
        );
        for (k, v) in &s.labels {
            dims.insert((*k).into(), (*v).into());
        }
        for &(t, v) in &s.points {
            store.push(spl::Point {
                time_ms: t,
                metric_name: s.metric.into(),
                value: v,
                dims: dims.clone(),
            });
        }
    }
    store
}

/// Prometheus' value of one series at step `t_s`: its last sample in
/// (T - 5m, T].
fn prom_at(s: &Samples, t_s: i64) -> Option<f64> {
    let t = t_s * 1000;
    s.points
        .iter()
        .rev()
        .find(|(pt, _)| *pt <= t)
        .filter(|(pt, _)| *pt > t - LOOKBACK_MS)
        .map(|p| p.1)
}

/// `sum by (<label>) (metric)` at step `t_s` as Prometheus computes it (one
/// group without a label): `None` when no series has a sample.
fn prom_sum(series: &[Samples], metric: &str, by: Option<&str>, t_s: i64) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for s in series.iter().filter(|s| s.metric == metric) {
        if let Some(v) = prom_at(s, t_s) {
            let key = by
                .and_then(|b| s.labels.iter().find(|(k, _)| *k == b))
                .map_or(String::new(), |(_, v)| (*v).to_string());
            *out.entry(key).or_default() += v;
        }
    }
    out
}

/// Grafana's steps for a time range at step `s`.
fn grafana_steps(earliest_s: i64, latest_s: i64, s: i64) -> Vec<i64> {
    let first = earliest_s.div_euclid(s) * s;
    let last = latest_s.div_euclid(s) * s;
    (0..)
        .map(|i| first + i * s)
        .take_while(|t| *t <= last)
        .collect()
}

fn macros() -> spl::Macros {
    spl::Macros::from_conf(
        &std::fs::read_to_string(root().join("splunk_app/default/macros.conf")).unwrap(),
    )
}

fn spec(id: &str) -> Spec {
    Spec::load(&root().join(format!("dashboards/specs/{id}.json"))).unwrap()
}

fn panel<'a>(spec: &'a Spec, title: &str) -> &'a Panel {
    spec.panels()
        .find(|p| p.title == title)
        .unwrap_or_else(|| panic!("no panel {title:?}"))
}

/// The tokens the dashboard's span search sets for the time picker's
/// range [earliest, latest): its search as `write_xml` writes it.
fn span_tokens(store: &spl::Store, earliest_s: i64, latest_s: i64) -> BTreeMap<String, String> {
    let xml = dashboard::write_xml(&spec("mattermost_performance_kpi")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let search = doc
        .descendants()
        .find(|n| n.has_tag_name("search") && n.attribute("id") == Some("span_search"))
        .unwrap();
    let query = search
        .children()
        .find(|c| c.has_tag_name("query"))
        .and_then(|q| q.text())
        .unwrap();
    let ctx = spl::Context {
        store,
        macros: &macros(),
        earliest_s: earliest_s as f64,
        latest_s: latest_s as f64,
        tokens: BTreeMap::new(),
    };
    let rows = spl::run(query, &ctx).unwrap();
    let mut tokens = BTreeMap::new();
    for set in search.descendants().filter(|n| n.has_tag_name("set")) {
        let field = set
            .text()
            .unwrap()
            .trim_matches('$')
            .strip_prefix("result.")
            .unwrap();
        let value = rows[0].get(field).unwrap_or_else(|| panic!("{field}"));
        tokens.insert(set.attribute("token").unwrap().to_string(), value.text());
    }
    // Every node: the multiselect's "All".
    tokens.insert(dashboard::NODE_TOKEN.into(), "(host=\"*\")".into());
    tokens
}

/// What a panel's search returns, run as the dashboard runs it over the
/// time picker's range [earliest, latest): from `$chart_earliest$` when
/// the panel's XML says so. `old`: the search as the dashboards had it
/// before, without the whole-bucket stage and over the picker's range.
fn run_panel(
    store: &spl::Store,
    spec: &Spec,
    panel: &Panel,
    earliest_s: i64,
    latest_s: i64,
    old: bool,
) -> (Vec<spl::Row>, i64) {
    let tokens = span_tokens(store, earliest_s, latest_s);
    let q = spec.panel_query(panel).unwrap();
    let from = if q.from_chart_earliest && !old {
        tokens[dashboard::CHART_EARLIEST_TOKEN]
            .parse::<f64>()
            .unwrap()
    } else {
        earliest_s as f64
    };
    let search = if old {
        // Every target's stage (an appended one's lines indented).
        let stage = dashboard::whole_buckets_stage(&spec.options().span);
        let old = q
            .spl
            .replace(&stage.replace('\n', "\n  "), "")
            .replace(&stage, "");
        assert!(!old.contains("addinfo") && old != q.spl, "{}", q.spl);
        old
    } else {
        q.spl
    };
    let ctx = spl::Context {
        store,
        macros: &macros(),
        earliest_s: from,
        latest_s: latest_s as f64,
        tokens: tokens.clone(),
    };
    let rows = spl::run(&search, &ctx).unwrap_or_else(|e| panic!("{e:#}\n{search}"));
    (rows, tokens[dashboard::SPAN_SECONDS_TOKEN].parse().unwrap())
}

/// A reducing panel's rows as series -> value.
fn reduced(rows: &[spl::Row]) -> BTreeMap<String, f64> {
    rows.iter()
        .filter_map(|r| Some((r.text("series")?, r.num("value")?)))
        .collect()
}

/// A chart's column `series` as bucket start -> value.
fn column(rows: &[spl::Row], series: &str) -> BTreeMap<i64, f64> {
    rows.iter()
        .filter_map(|r| Some((r.num("_time")? as i64, r.num(series)?)))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A time picker range an hour long, aligned to no span: it starts 97 s
/// into a 2-minute bucket (whose rest holds only host c's scrape) and ends
/// 25 s into one (which holds only host a's).
const E: i64 = START_S + 3600 + 97;
const L: i64 = START_S + 2 * 3600 + 25;

#[test]
fn span_search_sets_where_charts_start() {
    let store = store(&samples(&[]));
    for (range_s, span_s) in [
        (3600, 120),
        (6 * 3600, 120),
        (86_400, 600),
        (7 * 86_400, 3600),
    ] {
        for offset in [0, 97, 3599] {
            let latest = START_S + 8 * 86_400 + offset;
            let earliest = latest - range_s;
            let t = span_tokens(&store, earliest, latest);
            assert_eq!(t["span_s"], span_s.to_string(), "range {range_s}");
            let ce: f64 = t[dashboard::CHART_EARLIEST_TOKEN].parse().unwrap();
            assert_eq!(ce, dashboard::chart_earliest(earliest as f64, span_s));
            // W before the bucket of Grafana's first step.
            let first_step = earliest.div_euclid(span_s as i64) * span_s as i64;
            let w = (span_s as i64).max(300 - span_s as i64);
            assert_eq!(ce as i64, first_step - span_s as i64 - w);
        }
    }
}

/// Prometheus' `sum(mattermost_http_websockets_total)` at step `t_s`
/// (connected devices), or `None` when no host has a sample.
fn devices(series: &[Samples], t_s: i64) -> Option<f64> {
    prom_sum(series, "mattermost_http_websockets_total", None, t_s)
        .get("")
        .copied()
}

/// Grafana's "diff" of `sum by (reason) (mattermost_notifications_error)`
/// over `steps`: its value at the last step less its value at the first.
fn errors_diff(series: &[Samples], steps: &[i64]) -> BTreeMap<String, f64> {
    let at = |t| prom_sum(series, "mattermost_notifications_error", Some("reason"), t);
    let (first, last) = (at(steps[0]), at(steps[steps.len() - 1]));
    last.iter()
        .map(|(r, v)| (r.clone(), v - first[r]))
        .collect()
}

/// The chart of connected devices over [earliest, latest): its "Total"
/// column (bucket start -> value) and its span.
fn devices_chart(
    store: &spl::Store,
    earliest_s: i64,
    latest_s: i64,
    old: bool,
) -> (BTreeMap<i64, f64>, i64) {
    let perf = spec("mattermost_performance_monitoring");
    let p = panel(&perf, "Number of connected devices (WebSocket Connections)");
    assert_eq!(p.kind, PanelKind::Timeseries);
    let (rows, s) = run_panel(store, &perf, p, earliest_s, latest_s, old);
    (column(&rows, "Total"), s)
}

/// The change over range of WebSocket notification errors by reason.
fn errors_stat(
    store: &spl::Store,
    earliest_s: i64,
    latest_s: i64,
    old: bool,
) -> BTreeMap<String, f64> {
    let health = spec("mattermost_notification_health");
    let p = panel(&health, "Websocket Notification Errors by Reason");
    reduced(&run_panel(store, &health, p, earliest_s, latest_s, old).0)
}

/// The KPI single of connected devices (last value of the sum over hosts).
fn devices_stat(store: &spl::Store, earliest_s: i64, latest_s: i64, old: bool) -> f64 {
    let kpi = spec("mattermost_performance_kpi");
    let p = panel(&kpi, "Number of connected devices");
    let got = reduced(&run_panel(store, &kpi, p, earliest_s, latest_s, old).0);
    assert_eq!(got.len(), 1, "{got:?}");
    got.into_values().next().unwrap()
}

/// Asserts that a chart shows Grafana's steps over [earliest, latest) as
/// buckets T - S, each with Prometheus' value.
fn assert_devices_chart(series: &[Samples], store: &spl::Store, earliest_s: i64, latest_s: i64) {
    let (total, s) = devices_chart(store, earliest_s, latest_s, false);
    let steps = grafana_steps(earliest_s, latest_s, s);
    let buckets: Vec<i64> = total.keys().copied().collect();
    assert_eq!(
        buckets,
        steps.iter().map(|t| t - s).collect::<Vec<_>>(),
        "the chart shows Grafana's steps T as buckets T - S"
    );
    for t in &steps {
        let want = devices(series, *t).unwrap();
        let got = total[&(t - s)];
        assert!(close(got, want), "step {t}: {got} != Prometheus' {want}");
    }
}

/// (a) A range not aligned to the span: the chart's points are Grafana's
/// steps, the first and last included, each equal to Prometheus' value.
#[test]
fn chart_edges_match_prometheus() {
    let series = samples(&[]);
    let store = store(&series);
    assert_devices_chart(&series, &store, E, L);
    assert_eq!(span_tokens(&store, E, L)["span_s"], "120");
}

/// (a) The "change over range" (Grafana's diff: last step minus first) and
/// the KPI single of a sum over hosts (last step) over a range not aligned
/// to the span.
#[test]
fn diff_and_last_match_prometheus() {
    let series = samples(&[]);
    let store = store(&series);
    let steps = grafana_steps(E, L, 120);
    let got = errors_stat(&store, E, L, false);
    let want = errors_diff(&series, &steps);
    assert_eq!(got.len(), 2, "{got:?}");
    for (reason, w) in &want {
        assert!(close(got[reason], *w), "{reason}: {} != {w}", got[reason]);
    }
    let v = devices_stat(&store, E, L, false);
    let w = devices(&series, steps[steps.len() - 1]).unwrap();
    assert!(close(v, w), "last: {v} != {w}");
}

/// (c) Negative control: the old searches, which kept the partial first
/// and last buckets of the picker's range, count whole counters as change
/// over the range (only host c in the first bucket, only host a in the
/// last) and dip in the last value and the first point, so the tests above
/// can fail.
#[test]
fn partial_buckets_jump_and_dip() {
    let series = samples(&[]);
    let store = store(&series);
    let s = 120;
    let steps = grafana_steps(E, L, s);
    let got = errors_stat(&store, E, L, true);
    let want = errors_diff(&series, &steps)["no_session"];
    // Whole counters counted as change: hosts a and b's (50,000 and
    // 100,000 and up) missing from the first bucket, b and c's from the last.
    assert!(
        (got["no_session"] - want).abs() > 100_000.0,
        "old diff {} against Prometheus' {want}",
        got["no_session"]
    );

    let v = devices_stat(&store, E, L, true);
    let w = devices(&series, steps[steps.len() - 1]).unwrap();
    assert!(
        v < w - 150.0,
        "old last {v} against Prometheus' {w}: no dip"
    );

    let (total, _) = devices_chart(&store, E, L, true);
    let (b0, v0) = total.iter().next().map(|(b, v)| (*b, *v)).unwrap();
    assert_eq!(
        b0,
        E.div_euclid(s) * s,
        "the old chart starts in the partial bucket"
    );
    let w = devices(&series, b0 + s).unwrap();
    assert!(v0 < w - 150.0, "old first point {v0} against {w}: no dip");
}
