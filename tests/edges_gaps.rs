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
//! `span_s`, `span_lookback` and `chart_earliest`), then the panel's search
//! over its own range. Prometheus' answers are computed here by hand from the same
//! samples: at each step T (multiples of the step from floor(earliest / S) *
//! S to floor(latest / S) * S, as Grafana asks), each series' last sample in
//! (T - 5m, T].

use spl_eval as spl;

use std::collections::BTreeMap;

use mattermost_metrics::dashboard::{self, Panel, PanelKind, Spec};
use test_support::root;

/// Midnight, 1 January 2026 (UTC): aligned to every span.
const START_S: i64 = 1_767_225_600;
const HOSTS: [&str; 3] = ["mm-a", "mm-b", "mm-c"];
/// Each host's second of the minute.
const PHASE_S: [i64; 3] = [13, 31, 47];
const SCRAPES: i64 = 27 * 60;
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

/// `sum by (<label>) (metric)` at step `t_s` as Prometheus computes it, by
/// the label's value (`""` for the one group without a label); no group
/// where no series has a sample.
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
        rate_basis: spl::RateBasis::default(),
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

/// Which search a panel runs: the dashboard's, or a negative control's
/// older form.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Form {
    /// Whole buckets only, from `$chart_earliest$` (else: every bucket of
    /// the picker's range, run over the picker's range, as before).
    edges: bool,
    /// Instant selectors with Prometheus' lookback (else: each series'
    /// `latest` in the bucket, at the chart's span, as before).
    lookback: bool,
}

const NEW: Form = Form {
    edges: true,
    lookback: true,
};
/// The searches as the dashboards had them before issue 16.
const OLD: Form = Form {
    edges: false,
    lookback: false,
};

/// `search` without the whole-bucket stage of every target (an appended
/// target's lines are indented).
fn without_edges(spec: &Spec, search: &str) -> String {
    let stage = dashboard::whole_buckets_stage(&spec.options().span);
    let out = search
        .replace(&stage.replace('\n', "\n  "), "")
        .replace(&stage, "");
    assert!(out != search, "the panel keeps whole buckets: {search}");
    out
}

/// `search` with its instant selectors as they were: `latest` at the
/// chart's span, no carrying into later buckets.
fn without_lookback(search: &str) -> String {
    let carry = regex::Regex::new(
        r"(?s)\n *\| where _time \+ 300 >= floor\(_time / .*?\n *\| rename lookback_bucket AS _time",
    )
    .unwrap();
    let out = carry
        .replace_all(search, "")
        .replace("span=$span_lookback$", "span=$span$");
    assert!(out != search && !out.contains("lookback"), "{search}");
    out
}

/// What a panel's search returns, run as the dashboard runs it over the
/// time picker's range [earliest, latest): from `$chart_earliest$` when
/// the panel's XML says so; in an older `form` for a negative control.
fn run_panel(
    store: &spl::Store,
    spec: &Spec,
    panel: &Panel,
    earliest_s: i64,
    latest_s: i64,
    form: Form,
) -> (Vec<spl::Row>, i64) {
    let tokens = span_tokens(store, earliest_s, latest_s);
    let q = spec.panel_query(panel).unwrap();
    let from = if q.from_chart_earliest && form.edges {
        tokens[dashboard::CHART_EARLIEST_TOKEN]
            .parse::<f64>()
            .unwrap()
    } else {
        earliest_s as f64
    };
    let mut search = q.spl;
    if !form.edges {
        search = without_edges(spec, &search);
    }
    if !form.lookback {
        search = without_lookback(&search);
    }
    let ctx = spl::Context {
        store,
        macros: &macros(),
        earliest_s: from,
        latest_s: latest_s as f64,
        tokens: tokens.clone(),
        rate_basis: spl::RateBasis::default(),
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
    form: Form,
) -> (BTreeMap<i64, f64>, i64) {
    let perf = spec("mattermost_performance_monitoring");
    let p = panel(&perf, "Number of connected devices (WebSocket Connections)");
    assert_eq!(p.kind, PanelKind::Timeseries);
    let (rows, s) = run_panel(store, &perf, p, earliest_s, latest_s, form);
    (column(&rows, "Total"), s)
}

/// The change over range of WebSocket notification errors by reason.
fn errors_stat(
    store: &spl::Store,
    earliest_s: i64,
    latest_s: i64,
    form: Form,
) -> BTreeMap<String, f64> {
    let health = spec("mattermost_notification_health");
    let p = panel(&health, "Websocket Notification Errors by Reason");
    reduced(&run_panel(store, &health, p, earliest_s, latest_s, form).0)
}

/// The KPI single of connected devices (last value of the sum over hosts).
fn devices_stat(store: &spl::Store, earliest_s: i64, latest_s: i64, form: Form) -> f64 {
    let kpi = spec("mattermost_performance_kpi");
    let p = panel(&kpi, "Number of connected devices");
    let got = reduced(&run_panel(store, &kpi, p, earliest_s, latest_s, form).0);
    assert_eq!(got.len(), 1, "{got:?}");
    got.into_values().next().unwrap()
}

/// Asserts that a chart shows Grafana's steps over [earliest, latest) as
/// buckets T - S, each with Prometheus' value (a step where no host has a
/// sample is not drawn); returns the chart.
fn assert_devices_chart(
    series: &[Samples],
    store: &spl::Store,
    earliest_s: i64,
    latest_s: i64,
) -> BTreeMap<i64, f64> {
    let (total, s) = devices_chart(store, earliest_s, latest_s, NEW);
    let steps = grafana_steps(earliest_s, latest_s, s);
    let want: BTreeMap<i64, f64> = steps
        .iter()
        .filter_map(|t| Some((t - s, devices(series, *t)?)))
        .collect();
    assert_eq!(
        total.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the chart shows Grafana's steps T as buckets T - S"
    );
    for (b, w) in &want {
        let got = total[b];
        assert!(close(got, *w), "step {}: {got} != Prometheus' {w}", b + s);
    }
    total
}

/// Asserts that the chart, the change over range and the last value over
/// [earliest, latest) are Prometheus'.
fn assert_all_match(series: &[Samples], store: &spl::Store, earliest_s: i64, latest_s: i64) {
    assert_devices_chart(series, store, earliest_s, latest_s);
    let s: i64 = span_tokens(store, earliest_s, latest_s)["span_s"]
        .parse()
        .unwrap();
    let steps = grafana_steps(earliest_s, latest_s, s);
    let got = errors_stat(store, earliest_s, latest_s, NEW);
    let want = errors_diff(series, &steps);
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (reason, w) in &want {
        assert!(close(got[reason], *w), "{reason}: {} != {w}", got[reason]);
    }
    let v = devices_stat(store, earliest_s, latest_s, NEW);
    let w = devices(series, steps[steps.len() - 1]).unwrap();
    assert!(close(v, w), "last: {v} != {w}");
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
            assert_eq!(
                t[dashboard::SPAN_LOOKBACK_TOKEN],
                format!("{}s", mattermost_metrics::spl::lookback_grain(span_s))
            );
        }
    }
    assert_eq!(mattermost_metrics::spl::lookback_grain(120), 60);
    assert_eq!(mattermost_metrics::spl::lookback_grain(600), 300);
    assert_eq!(mattermost_metrics::spl::lookback_grain(90), 30);
}

/// (a) A range not aligned to the span: the chart's points are Grafana's
/// steps, the first and last included, each equal to Prometheus' value;
/// the "change over range" (Grafana's diff: last step minus first) and the
/// KPI single of a sum over hosts (last step) too.
#[test]
fn edges_match_prometheus() {
    let series = samples(&[]);
    let store = store(&series);
    assert_eq!(span_tokens(&store, E, L)["span_s"], "120");
    assert_all_match(&series, &store, E, L);
}

/// (c) Negative control: the old searches, which kept the partial first
/// and last buckets of the picker's range, count whole counters as change
/// over the range (only host c in the first bucket, only host a in the
/// last) and dip in the last value and the first point, so the tests above
/// can fail. Keeping the partial first bucket alone (lookback or not) is
/// enough for the jump.
#[test]
fn partial_buckets_jump_and_dip() {
    let series = samples(&[]);
    let store = store(&series);
    let s = 120;
    let steps = grafana_steps(E, L, s);
    let want = errors_diff(&series, &steps)["no_session"];
    for form in [
        OLD,
        Form {
            edges: false,
            lookback: true,
        },
    ] {
        let got = errors_stat(&store, E, L, form)["no_session"];
        // Whole counters counted as change: hosts a and b's (50,000 and
        // 100,000 and up) missing from the first bucket.
        assert!(
            (got - want).abs() > 100_000.0,
            "{form:?}: diff {got} against Prometheus' {want}"
        );
        let (total, _) = devices_chart(&store, E, L, form);
        let (b0, v0) = total.iter().next().map(|(b, v)| (*b, *v)).unwrap();
        assert_eq!(
            b0,
            E.div_euclid(s) * s,
            "{form:?} starts in the partial bucket"
        );
        let w = devices(&series, b0 + s).unwrap();
        assert!(
            v0 < w - 150.0,
            "{form:?}: first point {v0} against {w}: no dip"
        );
    }

    let v = devices_stat(&store, E, L, OLD);
    let w = devices(&series, steps[steps.len() - 1]).unwrap();
    assert!(
        v < w - 150.0,
        "old last {v} against Prometheus' {w}: no dip"
    );
}

/// Host b's scrapes dropped in [from, from + len).
fn gap(from_s: i64, len_s: i64) -> Gap {
    Gap {
        host: 1,
        from_s,
        to_s: from_s + len_s,
    }
}

/// (b) Missing scrapes: host b missing a whole 2-minute bucket, gone for 4
/// minutes, gone for the range's last 4 minutes and missing across its
/// start: Prometheus' lookback fills each hole from host b's last sample,
/// and so do the dashboards: no dip in the chart, the change over range or
/// the last value.
#[test]
fn missing_scrapes_leave_no_dip() {
    let b1 = START_S + 3600 + 1200;
    let gaps = [
        gap(b1, 120),
        gap(b1 + 1200, 240),
        gap(L - 240, 240),
        gap(E - 100, 180),
    ];
    let series = samples(&gaps);
    let store = store(&series);
    assert_all_match(&series, &store, E, L);
    // Host b has no sample in the buckets of the gaps, and is still drawn.
    let (total, s) = devices_chart(&store, E, L, NEW);
    for b in [b1, b1 + 1200, b1 + 1320] {
        let all = devices(&series, b + s).unwrap();
        assert!(all > 600.0, "step {}: all three hosts counted", b + s);
        assert!(close(total[&b], all));
    }
}

/// (b) Negative control: each series' `latest` in the bucket, as the
/// dashboards read gauges before, dips where host b has no sample.
#[test]
fn latest_in_the_bucket_dips() {
    let b1 = START_S + 3600 + 1200;
    let series = samples(&[gap(b1, 120), gap(L - 240, 240)]);
    let store = store(&series);
    let old = Form {
        edges: true,
        lookback: false,
    };
    let (total, s) = devices_chart(&store, E, L, old);
    let want = devices(&series, b1 + s).unwrap();
    assert!(
        total[&b1] < want - 150.0,
        "bucket {b1}: {} against Prometheus' {want}: no dip",
        total[&b1]
    );
    let steps = grafana_steps(E, L, s);
    let v = devices_stat(&store, E, L, old);
    let w = devices(&series, steps[steps.len() - 1]).unwrap();
    assert!(v < w - 150.0, "last {v} against Prometheus' {w}: no dip");
}

/// (b) Host b gone for 7 minutes: Prometheus draws its last sample for 5
/// minutes, then the host vanishes until it is back; so do the dashboards.
#[test]
fn a_host_gone_for_7_minutes_vanishes_after_5() {
    let from = START_S + 3600 + 1800;
    let series = samples(&[gap(from, 420)]);
    let store = store(&series);
    assert_all_match(&series, &store, E, L);
    let perf = spec("mattermost_performance_monitoring");
    let p = panel(&perf, "Number of connected devices (WebSocket Connections)");
    let (rows, s) = run_panel(&store, &perf, p, E, L, NEW);
    let b_series = column(&rows, "mm-b - web");
    let last_b = series
        .iter()
        .find(|x| x.host == 1 && x.metric == "mattermost_http_websockets_total")
        .unwrap()
        .points
        .iter()
        .rev()
        .find(|p| p.0 < from * 1000)
        .unwrap()
        .0;
    let mut vanished = 0;
    for t in grafana_steps(E, L, s) {
        let in_lookback = last_b <= t * 1000 && t * 1000 - last_b < LOOKBACK_MS;
        let resumed = t >= from + 420;
        let drawn = b_series.contains_key(&(t - s));
        if t * 1000 > last_b && !resumed {
            assert_eq!(drawn, in_lookback, "step {t}: host b drawn {drawn}");
            vanished += usize::from(!in_lookback);
        }
    }
    assert!(vanished >= 1, "host b never vanished");
}

/// (b) A day at 10-minute buckets, where a gauge is read at 300 s: host b
/// gone for the last 4 minutes of one bucket is still drawn there, gone for
/// the last 7 minutes of another it is not (its last sample is older than 5
/// minutes at the bucket's end), as in Prometheus; the old latest-in-bucket
/// kept it.
#[test]
fn a_day_at_ten_minute_buckets() {
    let e = START_S + 3600 + 97;
    let l = e + 86_400 - 50;
    let (t4, t7) = (START_S + 6 * 3600, START_S + 12 * 3600);
    let series = samples(&[gap(t4 - 240, 240), gap(t7 - 420, 420)]);
    let store = store(&series);
    assert_eq!(span_tokens(&store, e, l)["span_s"], "600");
    assert_eq!(span_tokens(&store, e, l)["span_lookback"], "300s");
    assert_all_match(&series, &store, e, l);
    let perf = spec("mattermost_performance_monitoring");
    let p = panel(&perf, "Number of connected devices (WebSocket Connections)");
    let host_b = |form| column(&run_panel(&store, &perf, p, e, l, form).0, "mm-b - web");
    let (new, old) = (
        host_b(NEW),
        host_b(Form {
            edges: true,
            lookback: false,
        }),
    );
    assert!(new.contains_key(&(t4 - 600)), "4 minutes gone: still drawn");
    assert!(!new.contains_key(&(t7 - 600)), "7 minutes gone: vanished");
    assert!(old.contains_key(&(t7 - 600)), "the old form kept host b");
}
