//! The SPL evaluator of `crates/spl-eval/src/` (Splunk's stand-in for the
//! differential harness), checked on small hand-made stores whose answers
//! are worked out by hand in the comments, plus: every hand-written search
//! of the performance dashboard parses and runs, the app's macros work, and
//! an mstats over 500 series runs well under a second.

use spl_eval as spl;
use test_support::simplexml;

use std::collections::BTreeMap;
use std::time::Instant;

use regex::Regex;
use spl::{Context, Field, Macros, Point, RateBasis, Row, Store};
use test_support::root;

fn app_macros() -> Macros {
    let text = std::fs::read_to_string(root().join("splunk_app/default/macros.conf")).unwrap();
    Macros::from_conf(&text)
}

/// A point at `t_s` seconds; index=wss_metrics and source="test" unless
/// `dims` gives them.
fn pt(t_s: f64, metric: &str, value: f64, dims: &[(&str, &str)]) -> Point {
    let mut d: BTreeMap<String, String> = BTreeMap::new();
    d.insert("index".into(), "wss_metrics".into());
    d.insert("source".into(), "test".into());
    for (k, v) in dims {
        d.insert(k.to_string(), v.to_string());
    }
    Point {
        time_ms: (t_s * 1000.0).round() as i64,
        metric_name: metric.into(),
        value,
        dims: d,
    }
}

fn store_of(points: Vec<Point>) -> Store {
    let mut s = Store::new();
    for p in points {
        s.push(p);
    }
    s
}

fn run_with(
    store: &Store,
    macros: &Macros,
    tokens: &[(&str, &str)],
    q: &str,
    e: f64,
    l: f64,
) -> anyhow::Result<Vec<Row>> {
    run_basis(store, macros, tokens, q, e, l, RateBasis::default())
}

fn run_basis(
    store: &Store,
    macros: &Macros,
    tokens: &[(&str, &str)],
    q: &str,
    e: f64,
    l: f64,
    rate_basis: RateBasis,
) -> anyhow::Result<Vec<Row>> {
    let ctx = Context {
        store,
        macros,
        earliest_s: e,
        latest_s: l,
        tokens: tokens
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        rate_basis,
    };
    spl::run(q, &ctx)
}

fn run(store: &Store, q: &str, e: f64, l: f64) -> Vec<Row> {
    run_with(store, &app_macros(), &[], q, e, l).unwrap_or_else(|err| panic!("{q}\n{err:#}"))
}

fn run_err(store: &Store, q: &str) -> String {
    match run_with(store, &app_macros(), &[], q, 0.0, 3600.0) {
        Ok(rows) => panic!("expected an error from {q}, got {rows:?}"),
        Err(e) => format!("{e:#}"),
    }
}

fn num(r: &Row, f: &str) -> Option<f64> {
    match r.get(f) {
        Some(Field::Num(x)) => Some(*x),
        Some(other) => panic!("{f} is not a number: {other:?} in {r:?}"),
        None => None,
    }
}

fn text(r: &Row, f: &str) -> Option<String> {
    r.get(f).map(|v| match v {
        Field::Str(s) => s.clone(),
        other => panic!("{f} is not a string: {other:?}"),
    })
}

#[track_caller]
fn close(got: Option<f64>, want: f64) {
    let g = got.unwrap_or_else(|| panic!("expected {want}, got null"));
    assert!(
        (g - want).abs() <= 1e-9 * want.abs().max(1.0),
        "expected {want}, got {g}"
    );
}

const M: &str = "m_total";

/// Two counters, 60 s buckets over [0, 120):
/// host a: t = 0, 15, ..., 105, value = t (1/s);
/// host b: t = 5, 20, ..., 110, values 100 110 5 15 | 25 35 45 55 (a reset
/// from 110 to 5 in the first bucket).
fn two_counters() -> Store {
    let mut pts = Vec::new();
    for i in 0..8 {
        let t = 15.0 * i as f64;
        pts.push(pt(t, M, t, &[("host", "a")]));
    }
    let b = [100.0, 110.0, 5.0, 15.0, 25.0, 35.0, 45.0, 55.0];
    for (i, v) in b.iter().enumerate() {
        pts.push(pt(5.0 + 15.0 * i as f64, M, *v, &[("host", "b")]));
    }
    store_of(pts)
}

#[test]
fn mstats_avg_latest_rate_sum_per_bucket_with_a_counter_reset() {
    let s = two_counters();
    let rows = run(
        &s,
        "| mstats avg(m_total) AS a latest(m_total) AS l earliest(m_total) AS e rate_sum(m_total) AS r \
         rate_avg(m_total) AS ra count(m_total) AS n max(m_total) AS mx WHERE index=wss_metrics span=60s",
        0.0,
        120.0,
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    // Bucket 0: a = 0 15 30 45, b = 100 110 5 15.
    let r0 = &rows[0];
    close(num(r0, "_time"), 0.0);
    close(num(r0, "a"), 320.0 / 8.0);
    close(num(r0, "l"), 15.0); // b at t=50 is the latest point
    close(num(r0, "e"), 0.0); // a at t=0
    close(num(r0, "n"), 8.0);
    close(num(r0, "mx"), 110.0);
    // a: 45 over 45 s = 1/s; b: 10 + 5 (reset: 5 counts from zero) + 10 = 25
    // over 45 s.
    close(num(r0, "r"), 1.0 + 25.0 / 45.0);
    close(num(r0, "ra"), (1.0 + 25.0 / 45.0) / 2.0);
    // Bucket 60: a = 60 75 90 105, b = 25 35 45 55.
    let r1 = &rows[1];
    close(num(r1, "_time"), 60.0);
    close(num(r1, "a"), (330.0 + 160.0) / 8.0);
    close(num(r1, "l"), 55.0);
    close(num(r1, "r"), 1.0 + 30.0 / 45.0);

    // Per host.
    let rows = run(&s, "| mstats rate(m_total) AS r rate_sum(m_total) AS rs WHERE index=wss_metrics BY host span=60s", 0.0, 120.0);
    let got: Vec<(f64, String, f64, f64)> = rows
        .iter()
        .map(|r| {
            (
                num(r, "_time").unwrap(),
                text(r, "host").unwrap(),
                num(r, "r").unwrap(),
                num(r, "rs").unwrap(),
            )
        })
        .collect();
    let want = [
        (0.0, "a", 1.0),
        (0.0, "b", 25.0 / 45.0),
        (60.0, "a", 1.0),
        (60.0, "b", 30.0 / 45.0),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0, g.1.as_str()), (w.0, w.1));
        close(Some(g.2), w.2);
        close(Some(g.3), w.2);
    }
}

#[test]
fn a_series_with_one_point_in_a_bucket_gets_a_rate_from_the_previous_timespan() {
    // host a: points at 0, 30 (bucket 0) and 70 (bucket 60, alone); host b:
    // 10 (bucket 0), nothing in bucket 60, 130 (bucket 120, alone).
    let s = counters(&[
        ("a", &[(0.0, 0.0), (30.0, 30.0), (70.0, 70.0)]),
        ("b", &[(10.0, 10.0), (130.0, 250.0)]),
    ]);
    let rows = run(
        &s,
        "| mstats rate_sum(m_total) AS r rate_avg(m_total) AS ra count(m_total) AS n WHERE index=wss_metrics BY host span=60s",
        0.0,
        180.0,
    );
    let got: Vec<(f64, String, Option<f64>)> = rows
        .iter()
        .map(|r| {
            (
                num(r, "_time").unwrap(),
                text(r, "host").unwrap(),
                num(r, "r"),
            )
        })
        .collect();
    // a, bucket 0: its own two points, 30 over 30 s. b, bucket 0: one point
    // and nothing read before it: null.
    // a, bucket 60: basis 30 at t=30 (the previous timespan), 40 over 40 s.
    // b, bucket 120: no point in the previous timespan (60): the basis is
    // pulled across timespans, 10 at t=10: 240 over 120 s.
    assert_eq!(
        got,
        vec![
            (0.0, "a".into(), Some(1.0)),
            (0.0, "b".into(), None),
            (60.0, "a".into(), Some(1.0)),
            (120.0, "b".into(), Some(2.0)),
        ]
    );
    close(num(&rows[3], "ra"), 2.0);
    close(num(&rows[2], "n"), 1.0);
}

/// Counters `m_total`, one per host: (t, value) points.
fn counters(hosts: &[(&str, &[(f64, f64)])]) -> Store {
    let mut pts = Vec::new();
    for (host, points) in hosts {
        for &(t, v) in *points {
            pts.push(pt(t, M, v, &[("host", host)]));
        }
    }
    store_of(pts)
}

/// One counter `m_total` of `host`: (t, value) points.
fn counter(host: &str, points: &[(f64, f64)]) -> Store {
    counters(&[(host, points)])
}

#[test]
fn rate_sum_counts_the_increase_and_a_reset_across_a_bucket_boundary() {
    // Buckets of 60 s over [0, 120); bucket 60's rate starts from bucket
    // 0's latest value, at t=50.
    // - The counter jumps from 50 to 100 between t=50 and t=70: (110 - 50) /
    //   (110 - 50) = 1, not (110 - 100) / 40; rate(X) has no
    //   previous-timespan basis and keeps the bucket's own 10 / 40.
    // - 150 at t=50, then the process restarts: 5 at t=70, 45 at t=110. The
    //   counter lost 150 at the reset, added back: 45 - 150 + 150 = 45 over
    //   60 s; rate(X) in the bucket alone: 40 / 40.
    for (points, want, want_plain) in [
        (
            [(0.0, 0.0), (50.0, 50.0), (70.0, 100.0), (110.0, 110.0)],
            [1.0, 1.0],
            10.0 / 40.0,
        ),
        (
            [(0.0, 100.0), (50.0, 150.0), (70.0, 5.0), (110.0, 45.0)],
            [1.0, 0.75],
            1.0,
        ),
    ] {
        let s = counter("a", &points);
        let rows = run(
            &s,
            "| mstats rate_sum(m_total) AS r rate(m_total) AS plain WHERE index=wss_metrics span=60s",
            0.0,
            120.0,
        );
        assert_eq!(rows.len(), 2);
        close(num(&rows[0], "r"), want[0]);
        close(num(&rows[1], "r"), want[1]);
        close(num(&rows[1], "plain"), want_plain);
    }
}

#[test]
fn with_two_resets_only_the_largest_value_lost_is_added_back() {
    // Time functions, rate: "handles the largest value reset if there is at
    // least one reset". 10 30 | 5 25 | 3 8 loses 30 and 25: 8 - 10 + 30 =
    // 28 over 50 s (Prometheus would add back both: 53). Then with the
    // larger loss second: 10 20 | 5 40 | 3 8: 8 - 10 + 40 = 38.
    for (host, values, want) in [
        ("a", [10.0, 30.0, 5.0, 25.0, 3.0, 8.0], 28.0 / 50.0),
        ("b", [10.0, 20.0, 5.0, 40.0, 3.0, 8.0], 38.0 / 50.0),
    ] {
        let pts: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (10.0 * i as f64, v))
            .collect();
        let s = counter(host, &pts);
        let rows = run(
            &s,
            "| mstats rate(m_total) AS r rate_sum(m_total) AS rs rate_avg(m_total) AS ra WHERE index=wss_metrics span=60s",
            0.0,
            60.0,
        );
        assert_eq!(rows.len(), 1);
        for f in ["r", "rs", "ra"] {
            close(num(&rows[0], f), want);
        }
    }
}

#[test]
fn each_rate_basis_reading_decides_the_first_bucket() {
    // Range [65, 180), span 60: buckets 60 (first, starts before earliest)
    // and 120. host a: 50 at t=50 (before earliest, in the timespan before
    // the first), 100 at 70, 130 at 100 | 160 at 130, 200 at 170. host b:
    // 0 at t=-10 (two timespans before the first: never read), 80 at 70 |
    // 140 at 130.
    let s = counters(&[
        (
            "a",
            &[
                (50.0, 50.0),
                (70.0, 100.0),
                (100.0, 130.0),
                (130.0, 160.0),
                (170.0, 200.0),
            ],
        ),
        ("b", &[(-10.0, 0.0), (70.0, 80.0), (130.0, 140.0)]),
    ]);
    let q = "| mstats rate_sum(m_total) AS r WHERE index=wss_metrics BY host span=60s";
    let q_all = "| mstats rate_sum(m_total) AS r WHERE index=wss_metrics BY host";
    let per = |basis: RateBasis, q: &str| -> Vec<Option<f64>> {
        run_basis(&s, &app_macros(), &[], q, 65.0, 180.0, basis)
            .unwrap()
            .iter()
            .map(|r| num(r, "r"))
            .collect()
    };
    // Rows: (60, a), (60, b), (120, a), (120, b).
    // ReadsBeforeEarliest: a's first bucket from 50 at t=50: 80 over 50 s.
    // b has no point read before its first: one point there, null.
    assert_eq!(
        per(RateBasis::ReadsBeforeEarliest, q),
        vec![Some(1.6), None, Some(1.0), Some(1.0)]
    );
    // OwnPointsOnly: a's first bucket from its own first point, 30 over 30 s.
    assert_eq!(
        per(RateBasis::OwnPointsOnly, q),
        vec![Some(1.0), None, Some(1.0), Some(1.0)]
    );
    // FirstBucketDropped: no rate in the first bucket at all.
    assert_eq!(
        per(RateBasis::FirstBucketDropped, q),
        vec![None, None, Some(1.0), Some(1.0)]
    );
    // No span: the whole range is one timespan. Reading before earliest
    // goes back one range length (to -50): a from 50 at t=50, 150 over
    // 120 s; b from 0 at t=-10, 140 over 140 s. Otherwise from the own first
    // points: a 100 over 100 s, b 60 over 60 s.
    assert_eq!(
        per(RateBasis::ReadsBeforeEarliest, q_all),
        vec![Some(1.25), Some(1.0)]
    );
    for basis in [RateBasis::OwnPointsOnly, RateBasis::FirstBucketDropped] {
        assert_eq!(per(basis, q_all), vec![Some(1.0), Some(1.0)]);
    }
    // The default is the reading that applies the documented rule to every
    // timespan.
    assert_eq!(RateBasis::default(), RateBasis::ReadsBeforeEarliest);
}

#[test]
fn take_scanned_counts_the_data_points_mstats_reads() {
    // two_counters: host a at t = 0, 15, ..., 105; host b at 5, 20, ...,
    // 110. Range [60, 120), span 60: 4 points of each host inside, 4 of
    // each in the timespan before ([0, 60)). One other metric, 2 points in
    // range, that no search below names.
    let mut s = two_counters();
    s.push(pt(60.0, "other", 1.0, &[("host", "a")]));
    s.push(pt(90.0, "other", 1.0, &[("host", "a")]));
    let scanned = |q: &str, basis: RateBasis| -> u64 {
        spl::take_scanned();
        run_basis(&s, &app_macros(), &[], q, 60.0, 120.0, basis)
            .unwrap_or_else(|e| panic!("{q}\n{e:#}"));
        spl::take_scanned()
    };
    let d = RateBasis::default();
    // Two aggregations of one metric read each series once: 4 + 4.
    let q = "| mstats avg(m_total) AS a max(m_total) AS b WHERE index=wss_metrics span=60s";
    assert_eq!(scanned(q, d), 8);
    // The WHERE clause picks the series: host a only.
    let q = "| mstats avg(m_total) AS a WHERE index=wss_metrics host=a span=60s";
    assert_eq!(scanned(q, d), 4);
    // rate_sum reads the timespan before the first under the default reading
    // (8 more), and nothing before the range under the others; an avg of the
    // same metric adds nothing.
    let q = "| mstats avg(m_total) AS a rate_sum(m_total) AS r WHERE index=wss_metrics span=60s";
    assert_eq!(scanned(q, RateBasis::ReadsBeforeEarliest), 16);
    assert_eq!(scanned(q, RateBasis::OwnPointsOnly), 8);
    assert_eq!(scanned(q, RateBasis::FirstBucketDropped), 8);
    // Two metrics: each one's series.
    let q = "| mstats avg(m_total) AS a avg(other) AS o WHERE index=wss_metrics span=60s";
    assert_eq!(scanned(q, d), 10);
    // Every mstats of a search adds, an append subsearch's too.
    let q = "| mstats avg(m_total) AS a WHERE index=wss_metrics span=60s \
             | append [| mstats max(m_total) AS a WHERE index=wss_metrics host=b span=60s]";
    assert_eq!(scanned(q, d), 12);
    // mcatalog reads metadata only; makeresults reads nothing.
    assert_eq!(
        scanned(
            "| mcatalog values(host) AS h WHERE index=wss_metrics BY metric_name",
            d
        ),
        0
    );
    assert_eq!(scanned("| makeresults | eval x=1", d), 0);
    // take_scanned resets the count.
    run_basis(
        &s,
        &app_macros(),
        &[],
        "| mstats avg(m_total) AS a WHERE index=wss_metrics",
        60.0,
        120.0,
        d,
    )
    .unwrap();
    assert_eq!(spl::take_scanned(), 8);
    assert_eq!(spl::take_scanned(), 0);
}

#[test]
fn span_buckets_align_on_the_epoch_and_the_range_is_half_open() {
    // Points every 100 s from 1000 to 1900, value = t, plus one just before
    // the range. Range [1000, 1900): 1900 is out, 999.999 is out.
    let mut pts: Vec<Point> = (0..10)
        .map(|i| pt(1000.0 + 100.0 * i as f64, M, 1.0, &[("host", "a")]))
        .collect();
    pts.push(pt(999.999, M, 1.0, &[("host", "a")]));
    let s = store_of(pts);
    let rows = run(
        &s,
        "| mstats count(m_total) AS n WHERE index=wss_metrics span=300s",
        1000.0,
        1900.0,
    );
    let got: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (num(r, "_time").unwrap(), num(r, "n").unwrap()))
        .collect();
    // 1000, 1100 -> bucket 900 (it starts before earliest); 1200..1400 ->
    // 1200; 1500..1700 -> 1500; 1800 -> 1800.
    assert_eq!(
        got,
        vec![(900.0, 2.0), (1200.0, 3.0), (1500.0, 3.0), (1800.0, 1.0)]
    );
    // span=5m is the same span.
    let rows = run(
        &s,
        "| mstats count(m_total) AS n WHERE index=wss_metrics span=5m",
        1000.0,
        1900.0,
    );
    assert_eq!(rows.len(), 4);
}

/// host a handler=x (value 1), host b handler=y (value 2), host c without
/// handler (value 4), one point each at t=10.
fn handlers() -> Store {
    store_of(vec![
        pt(10.0, M, 1.0, &[("host", "a"), ("handler", "x")]),
        pt(10.0, M, 2.0, &[("host", "b"), ("handler", "y")]),
        pt(10.0, M, 4.0, &[("host", "c")]),
    ])
}

#[test]
fn by_a_missing_dimension_drops_the_series_unless_fillnull_value() {
    let s = handlers();
    let rows = run(
        &s,
        "| mstats sum(m_total) AS v WHERE index=wss_metrics BY handler",
        0.0,
        60.0,
    );
    let got: Vec<(String, f64)> = rows
        .iter()
        .map(|r| (text(r, "handler").unwrap(), num(r, "v").unwrap()))
        .collect();
    assert_eq!(got, vec![("x".into(), 1.0), ("y".into(), 2.0)]);
    // No span: no _time.
    assert!(rows.iter().all(|r| r.get("_time").is_none()));
    let rows = run(
        &s,
        "| mstats fillnull_value=\"unknown\" sum(m_total) AS v WHERE index=wss_metrics BY handler",
        0.0,
        60.0,
    );
    let got: Vec<(String, f64)> = rows
        .iter()
        .map(|r| (text(r, "handler").unwrap(), num(r, "v").unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("unknown".into(), 4.0),
            ("x".into(), 1.0),
            ("y".into(), 2.0)
        ]
    );
}

#[test]
fn no_span_gives_one_row_per_group_over_the_whole_range() {
    let s = two_counters();
    let rows = run(
        &s,
        "| mstats sum(m_total) AS s rate(m_total) AS r WHERE index=wss_metrics BY host",
        0.0,
        120.0,
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(text(&rows[0], "host").as_deref(), Some("a"));
    close(num(&rows[0], "s"), (0..8).map(|i| 15.0 * i as f64).sum());
    close(num(&rows[0], "r"), 1.0);
    // b over 5..110: 10 + 5 + 10 + 10*4 = 65 over 105 s.
    close(num(&rows[1], "r"), 65.0 / 105.0);
    // No BY either: a single row.
    let rows = run(
        &s,
        "| mstats count(m_total) AS n WHERE index=wss_metrics",
        0.0,
        120.0,
    );
    assert_eq!(rows.len(), 1);
    close(num(&rows[0], "n"), 16.0);
}

#[test]
fn where_clause_ne_not_wildcards_and_case() {
    let s = handlers();
    let hosts = |q: &str| -> Vec<String> {
        run(&s, q, 0.0, 60.0)
            .iter()
            .map(|r| text(r, "host").unwrap())
            .collect()
    };
    // != needs the field; NOT also matches series without it.
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics handler!=\"x\" BY host"),
        ["b"]
    );
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics AND NOT handler=\"x\" BY host"),
        ["b", "c"]
    );
    // Wildcards, case-sensitive values (mstats: "The WHERE clause is
    // case-sensitive when it filters mstats results by field values."), OR,
    // parentheses.
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE `mattermost_metrics_index` AND handler=x* BY host"),
        ["a"]
    );
    assert!(hosts(
        "| mstats sum(m_total) AS v WHERE `mattermost_metrics_index` AND handler=X* BY host"
    )
    .is_empty());
    assert!(hosts("| mstats sum(m_total) AS v WHERE index=WSS_METRICS BY host").is_empty());
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics handler!=\"X\" BY host"),
        ["a", "b"]
    );
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics AND NOT handler=\"X\" BY host"),
        ["a", "b", "c"]
    );
    // mcatalog is a metrics search command too ("All metrics search
    // commands are case sensitive.").
    assert!(run(
        &s,
        "| mcatalog values(host) AS h WHERE index=wss_metrics AND host=A",
        0.0,
        60.0
    )
    .is_empty());
    assert_eq!(
        run(
            &s,
            "| mcatalog values(host) AS h WHERE index=wss_metrics AND host=a",
            0.0,
            60.0
        )
        .len(),
        1
    );
    // The search command keeps its own rule: "By default, searches are
    // case-insensitive".
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics BY host | search host=A"),
        ["a"]
    );
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics AND (host=\"a\" OR host=\"c\") BY host"),
        ["a", "c"]
    );
    assert_eq!(
        hosts("| mstats sum(m_total) AS v WHERE index=wss_metrics AND (host=\"*\") BY host"),
        ["a", "b", "c"]
    );
    assert!(hosts("| mstats sum(m_total) AS v WHERE index=other BY host").is_empty());
}

fn eval_row(expr: &str) -> Row {
    let s = Store::new();
    let rows = run(&s, &format!("| makeresults | eval {expr}"), 0.0, 60.0);
    assert_eq!(rows.len(), 1);
    rows.into_iter().next().unwrap()
}

#[test]
fn eval_null_propagation_and_division_by_zero() {
    let r = eval_row(
        "a=1/0, b=missing+1, c=\"v\" . missing, d=if(isnull(missing), \"n\", \"nn\"), e=coalesce(missing, 5), \
         f=10 % 0, g=\"abc\" . 1, h=round(2.5), i=round(1.23456, 2), j=case(1>2, \"x\", true(), \"y\"), \
         k=tonumber(\"0.25\"), l=tonumber(\"+Inf\"), m=max(3, 120), n=len(\"hé\"), o=if(missing > 1, 1, 0), \
         p=case(missing > 1, 1), q=e * 2, r=-missing, s=\"1\" + \"2\", t=\"a\" + \"b\", u=tostring(300) . \"s\", \
         v=if(\"+Inf\"==\"+Inf\", 1, 0), w=if(match(\"createPost\", \"^create\"), 1, 0), x=replace(\"a.b\", \"\\.\", \"-\"), \
         y=if(like(\"abc\", \"a%\"), 1, 0), z=floor(2.7) + ceil(2.1) + abs(-1) + pow(2, 3)",
    );
    for f in ["a", "b", "c", "f", "l", "p", "r"] {
        assert_eq!(r.get(f), None, "{f} should be null in {r:?}");
    }
    assert_eq!(text(&r, "d").as_deref(), Some("n"));
    close(num(&r, "e"), 5.0);
    assert_eq!(text(&r, "g").as_deref(), Some("abc1"));
    close(num(&r, "h"), 3.0);
    close(num(&r, "i"), 1.23);
    assert_eq!(text(&r, "j").as_deref(), Some("y"));
    close(num(&r, "k"), 0.25);
    close(num(&r, "m"), 120.0);
    close(num(&r, "n"), 2.0);
    close(num(&r, "o"), 0.0);
    close(num(&r, "q"), 10.0); // a later assignment sees an earlier one
    close(num(&r, "s"), 3.0); // numeric strings add
    assert_eq!(text(&r, "t").as_deref(), Some("ab"));
    assert_eq!(text(&r, "u").as_deref(), Some("300s"));
    close(num(&r, "v"), 1.0);
    close(num(&r, "w"), 1.0);
    assert_eq!(text(&r, "x").as_deref(), Some("a-b"));
    close(num(&r, "y"), 1.0);
    close(num(&r, "z"), 2.0 + 3.0 + 1.0 + 8.0);

    // where: null conditions drop the result; AND/OR with null.
    let s = Store::new();
    assert!(run(&s, "| makeresults | where missing > 1", 0.0, 60.0).is_empty());
    assert_eq!(
        run(&s, "| makeresults | where isnull(missing)", 0.0, 60.0).len(),
        1
    );
    assert_eq!(
        run(&s, "| makeresults | where missing > 1 OR 1 < 2", 0.0, 60.0).len(),
        1
    );
    assert!(run(&s, "| makeresults | where NOT missing > 1", 0.0, 60.0).is_empty());
    // A boolean cannot be assigned.
    assert!(run_err(&s, "| makeresults | eval x=1<2").contains("boolean"));
}

/// Six results: i = 1..6, g = odd/even, v = 10 i.
const SIX: &str = "| makeresults count=6 | streamstats count AS i | eval g=if(i % 2 == 0, \"even\", \"odd\"), v=i * 10";

fn col(rows: &[Row], f: &str) -> Vec<Option<f64>> {
    rows.iter().map(|r| num(r, f)).collect()
}

#[test]
fn stats_eventstats_streamstats() {
    let s = Store::new();
    let rows = run(
        &s,
        &format!("{SIX} | stats sum(v) AS s count AS n avg(v) AS a dc(v) AS d BY g"),
        0.0,
        60.0,
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(text(&rows[0], "g").as_deref(), Some("even"));
    assert_eq!(
        (num(&rows[0], "s"), num(&rows[0], "n"), num(&rows[0], "a")),
        (Some(120.0), Some(3.0), Some(40.0))
    );
    assert_eq!(
        (num(&rows[1], "s"), num(&rows[1], "a"), num(&rows[1], "d")),
        (Some(90.0), Some(30.0), Some(3.0))
    );
    // Null BY values are dropped; without BY: one row, even from nothing.
    let rows = run(
        &s,
        &format!("{SIX} | eval g=if(i == 1, null(), g) | stats count BY g"),
        0.0,
        60.0,
    );
    assert_eq!(col(&rows, "count"), [Some(3.0), Some(2.0)]);
    let rows = run(
        &s,
        &format!("{SIX} | where i > 10 | stats count sum(v) AS s"),
        0.0,
        60.0,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (num(&rows[0], "count"), num(&rows[0], "s")),
        (Some(0.0), None)
    );
    // first/last/values/min/max on strings.
    let rows = run(
        &s,
        &format!(
            "{SIX} | stats first(i) AS f last(i) AS l values(g) AS vs min(g) AS mn max(v) AS mx"
        ),
        0.0,
        60.0,
    );
    assert_eq!(
        (num(&rows[0], "f"), num(&rows[0], "l"), num(&rows[0], "mx")),
        (Some(1.0), Some(6.0), Some(60.0))
    );
    assert_eq!(
        rows[0].get("vs"),
        Some(&Field::Multi(vec!["even".into(), "odd".into()]))
    );
    assert_eq!(text(&rows[0], "mn").as_deref(), Some("even"));

    // eventstats adds the group's total to each result.
    let rows = run(
        &s,
        &format!("{SIX} | eventstats sum(v) AS total BY g"),
        0.0,
        60.0,
    );
    assert_eq!(
        col(&rows, "total"),
        [90.0, 120.0, 90.0, 120.0, 90.0, 120.0].map(Some)
    );

    // streamstats, separate windows per group: the sum of the two previous
    // values of the same group.
    let rows = run(
        &s,
        &format!("{SIX} | streamstats window=2 current=f global=f sum(v) AS prev2 BY g"),
        0.0,
        60.0,
    );
    assert_eq!(
        col(&rows, "prev2"),
        [None, None, Some(10.0), Some(20.0), Some(40.0), Some(60.0)]
    );
    // The same with current=t.
    let rows = run(
        &s,
        &format!("{SIX} | streamstats window=2 global=f sum(v) AS s2 BY g"),
        0.0,
        60.0,
    );
    assert_eq!(
        col(&rows, "s2"),
        [10.0, 20.0, 40.0, 60.0, 80.0, 100.0].map(Some)
    );
    // The previous result (no BY).
    let rows = run(
        &s,
        &format!("{SIX} | streamstats current=f window=1 last(v) AS prev"),
        0.0,
        60.0,
    );
    assert_eq!(
        col(&rows, "prev"),
        [
            None,
            Some(10.0),
            Some(20.0),
            Some(30.0),
            Some(40.0),
            Some(50.0)
        ]
    );
    // global=t (the default): one window of one result, shared by the
    // groups -- the previous result always belongs to the other group.
    let rows = run(
        &s,
        &format!("{SIX} | streamstats current=f window=1 last(v) AS p BY g"),
        0.0,
        60.0,
    );
    assert_eq!(col(&rows, "p"), [None; 6]);
    // Unlimited window per group, running max and distinct count.
    let rows = run(
        &s,
        &format!("{SIX} | streamstats max(v) AS m dc(g) AS d BY g"),
        0.0,
        60.0,
    );
    assert_eq!(
        col(&rows, "m"),
        [10.0, 20.0, 30.0, 40.0, 50.0, 60.0].map(Some)
    );
    assert_eq!(col(&rows, "d"), [Some(1.0); 6]);
    let rows = run(&s, &format!("{SIX} | streamstats dc(g) AS d"), 0.0, 60.0);
    assert_eq!(col(&rows, "d"), [1.0, 2.0, 2.0, 2.0, 2.0, 2.0].map(Some));
    // reset_on_change: g = a a b a -> counts 1 2 1 1.
    let rows = run(
        &s,
        "| makeresults count=4 | streamstats count AS i | eval g=if(i == 3, \"b\", \"a\") \
         | streamstats reset_on_change=t count AS c BY g",
        0.0,
        60.0,
    );
    assert_eq!(col(&rows, "c"), [1.0, 2.0, 1.0, 1.0].map(Some));
}

#[test]
fn sort_orders() {
    let s = Store::new();
    // x = "10", "9", "100", null.
    let base = "| makeresults count=4 | streamstats count AS i | eval x=case(i == 1, \"10\", i == 2, \"9\", i == 3, \"100\")";
    let order = |q: &str| -> Vec<f64> {
        run(&s, &format!("{base} | {q}"), 0.0, 60.0)
            .iter()
            .map(|r| num(r, "i").unwrap())
            .collect()
    };
    assert_eq!(order("sort 0 num(x)"), [2.0, 1.0, 3.0, 4.0]);
    assert_eq!(order("sort 0 x"), [2.0, 1.0, 3.0, 4.0]); // auto: all numbers
    assert_eq!(order("sort 0 str(x)"), [1.0, 3.0, 2.0, 4.0]);
    // Descending: nulls still last.
    assert_eq!(order("sort 0 -num(x)"), [3.0, 1.0, 2.0, 4.0]);
    assert_eq!(order("sort - x"), [3.0, 1.0, 2.0, 4.0]);
    // A count keeps the first N; ties keep their order (stable).
    assert_eq!(order("sort 2 -i"), [4.0, 3.0]);
    assert_eq!(order("eval k=1 | sort 0 k -i"), [4.0, 3.0, 2.0, 1.0]);
}

#[test]
fn append_and_appendpipe() {
    let s = Store::new();
    let rows = run(
        &s,
        "| makeresults | eval a=1 | append [| makeresults | eval a=2] \
         | appendpipe [stats sum(a) AS a | eval total=\"yes\"]",
        0.0,
        60.0,
    );
    assert_eq!(col(&rows, "a"), [1.0, 2.0, 3.0].map(Some));
    assert_eq!(text(&rows[2], "total").as_deref(), Some("yes"));
    assert_eq!(rows[0].get("total"), None);
    // append's subsearch must start with a generating command.
    assert!(run_err(&s, "| makeresults | append [makeresults]").contains("must start"));
}

#[test]
fn xyseries_pivots() {
    // host a: 1 at t=10 (bucket 0), 3 at t=70 (bucket 60); host b: 2 at t=10.
    let s = store_of(vec![
        pt(10.0, M, 1.0, &[("host", "a")]),
        pt(70.0, M, 3.0, &[("host", "a")]),
        pt(10.0, M, 2.0, &[("host", "b")]),
    ]);
    let rows = run(&s, "| mstats avg(m_total) AS v WHERE index=wss_metrics BY host span=60s | xyseries _time host v", 0.0, 120.0);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            num(&rows[0], "_time"),
            num(&rows[0], "a"),
            num(&rows[0], "b")
        ),
        (Some(0.0), Some(1.0), Some(2.0))
    );
    assert_eq!(
        (
            num(&rows[1], "_time"),
            num(&rows[1], "a"),
            num(&rows[1], "b")
        ),
        (Some(60.0), Some(3.0), None)
    );
    // Two data fields: "<field>: <name>".
    let rows = run(
        &s,
        "| mstats avg(m_total) AS v max(m_total) AS w WHERE index=wss_metrics BY host span=60s | xyseries grouped=f _time host v w",
        0.0,
        120.0,
    );
    close(num(&rows[0], "v: a"), 1.0);
    close(num(&rows[0], "w: b"), 2.0);
}

#[test]
fn makecontinuous_and_fillnull() {
    let s = store_of(vec![
        pt(10.0, M, 1.0, &[("host", "a")]),
        pt(190.0, M, 3.0, &[("host", "a")]),
    ]);
    let rows = run(
        &s,
        "| mstats avg(m_total) AS v WHERE index=wss_metrics span=60s | makecontinuous _time span=60s | fillnull value=0 v",
        0.0,
        240.0,
    );
    assert_eq!(col(&rows, "_time"), [0.0, 60.0, 120.0, 180.0].map(Some));
    assert_eq!(col(&rows, "v"), [1.0, 0.0, 0.0, 3.0].map(Some));
    // fillnull without fields fills every field seen in any result.
    let rows = run(
        &s,
        "| makeresults count=2 | streamstats count AS i | eval a=if(i == 1, 5, null()) | fillnull",
        0.0,
        60.0,
    );
    assert_eq!(col(&rows, "a"), [Some(5.0), Some(0.0)]);
}

#[test]
fn timechart_fills_the_range_and_names_series() {
    let s = store_of(vec![
        pt(10.0, M, 1.0, &[("host", "a")]),
        pt(130.0, M, 3.0, &[("host", "a")]),
        pt(10.0, M, 2.0, &[("host", "b")]),
    ]);
    // Range [0, 240): buckets 0, 60, 120, 180, all present (cont=t).
    let rows = run(&s, "| mstats avg(m_total) AS v WHERE index=wss_metrics BY host span=60s | timechart span=60s sum(v) BY host", 0.0, 240.0);
    assert_eq!(col(&rows, "_time"), [0.0, 60.0, 120.0, 180.0].map(Some));
    assert_eq!(col(&rows, "a"), [Some(1.0), None, Some(3.0), None]);
    assert_eq!(col(&rows, "b"), [Some(2.0), None, None, None]);
    // Without BY, named by AS; cont=f keeps only buckets with data.
    let rows = run(
        &s,
        "| mstats avg(m_total) AS v WHERE index=wss_metrics BY host span=60s | timechart span=60s cont=f sum(v) AS \"Total v\" count",
        0.0,
        240.0,
    );
    assert_eq!(col(&rows, "Total v"), [Some(3.0), Some(3.0)]);
    assert_eq!(col(&rows, "count"), [Some(2.0), Some(1.0)]);
    // Several functions with BY: "<name>: <value>", renamed with wildcards.
    let rows = run(
        &s,
        "| mstats avg(m_total) AS v WHERE index=wss_metrics BY host span=60s \
         | timechart span=60s limit=0 useother=f max(v) AS p99 min(v) AS p50 BY host | rename \"p99: *\" AS \"p99-*\"",
        0.0,
        240.0,
    );
    close(num(&rows[0], "p99-a"), 1.0);
    close(num(&rows[0], "p50: b"), 2.0);
    assert!(rows[0].get("p99: a").is_none());
    // limit=1: the series with the largest total stays, the rest is OTHER.
    let rows = run(&s, "| mstats avg(m_total) AS v WHERE index=wss_metrics BY host span=60s | timechart span=60s limit=1 sum(v) BY host", 0.0, 240.0);
    assert_eq!(col(&rows, "a"), [Some(1.0), None, Some(3.0), None]);
    assert_eq!(col(&rows, "OTHER"), [Some(2.0), None, None, None]);
    // usenull: results without the split-by field form the NULL series.
    let rows = run(
        &s,
        "| makeresults | eval _time=30, v=1 | timechart span=60s sum(v) BY host",
        0.0,
        60.0,
    );
    close(num(&rows[0], "NULL"), 1.0);
}

#[test]
fn mcatalog_values_and_search_command() {
    let s = handlers();
    let rows = run(
        &s,
        "| mcatalog values(host) AS host WHERE `mattermost_metrics_index` AND metric_name=m_* | mvexpand host | sort 0 host",
        0.0,
        60.0,
    );
    let hosts: Vec<String> = rows.iter().map(|r| text(r, "host").unwrap()).collect();
    assert_eq!(hosts, ["a", "b", "c"]);
    // search: case-insensitive wildcards, != needs the field.
    let rows = run(
        &s,
        "| mstats sum(m_total) AS v WHERE index=wss_metrics BY host | search host=A OR host=\"C*\"",
        0.0,
        60.0,
    );
    assert_eq!(
        rows.iter()
            .map(|r| text(r, "host").unwrap())
            .collect::<Vec<_>>(),
        ["a", "c"]
    );
    let rows = run(&s, "| mstats fillnull_value=\"\" sum(m_total) AS v WHERE index=wss_metrics BY host | eval h=if(host==\"c\", null(), host) | search h!=a", 0.0, 60.0);
    assert_eq!(
        rows.iter()
            .map(|r| text(r, "host").unwrap())
            .collect::<Vec<_>>(),
        ["b"]
    );
}

#[test]
fn fields_table_rename_head_dedup() {
    let s = Store::new();
    let rows = run(&s, &format!("{SIX} | fields i g"), 0.0, 60.0);
    assert!(rows[0].get("_time").is_some() && rows[0].get("v").is_none());
    let rows = run(&s, &format!("{SIX} | fields - _time v"), 0.0, 60.0);
    assert_eq!(rows[0].0.keys().collect::<Vec<_>>(), ["g", "i"]);
    let rows = run(
        &s,
        &format!("{SIX} | table i | rename i AS n | head 2"),
        0.0,
        60.0,
    );
    assert_eq!(
        rows,
        vec![
            Row([("n".to_string(), Field::Num(1.0))].into()),
            Row([("n".to_string(), Field::Num(2.0))].into())
        ]
    );
    let rows = run(&s, &format!("{SIX} | dedup g"), 0.0, 60.0);
    assert_eq!(col(&rows, "i"), [Some(1.0), Some(2.0)]);
}

// ------------------------------------------------------------ histograms

/// Prometheus 2.42's bucketQuantile (promql/quantile.go): the reference the
/// histogram macro must match. `buckets`: (upper bound, cumulative rate).
fn prom_bucket_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let mut b: Vec<(f64, f64)> = buckets.to_vec();
    b.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap());
    if !b.last()?.0.is_infinite() {
        return None;
    }
    // ensureMonotonic
    let mut max = f64::NEG_INFINITY;
    for x in &mut b {
        if x.1 > max {
            max = x.1;
        } else {
            x.1 = max;
        }
    }
    if b.len() < 2 {
        return None;
    }
    let observations = b.last().unwrap().1;
    if observations == 0.0 {
        return None;
    }
    let mut rank = q * observations;
    let idx = b[..b.len() - 1]
        .iter()
        .position(|x| x.1 >= rank)
        .unwrap_or(b.len() - 1);
    if idx == b.len() - 1 {
        return Some(b[b.len() - 2].0);
    }
    if idx == 0 && b[0].0 <= 0.0 {
        return Some(b[0].0);
    }
    let mut start = 0.0;
    let end = b[idx].0;
    let mut count = b[idx].1;
    if idx > 0 {
        start = b[idx - 1].0;
        count -= b[idx - 1].1;
        rank -= b[idx - 1].1;
    }
    Some(start + (end - start) * (rank / count))
}

fn le_text(le: f64) -> String {
    if le.is_infinite() {
        "+Inf".into()
    } else if le.fract() == 0.0 {
        format!("{le:.1}")
    } else {
        format!("{le}")
    }
}

/// Counter points giving each (host, le) the per-second rate asked for over
/// [0, 60]: value 1000 at t=0, 1000 + 60 rate at t=60, split over `sources`
/// series.
fn bucket_points(host: &str, buckets: &[(f64, f64)], sources: usize) -> Vec<Point> {
    let mut pts = Vec::new();
    for &(le, rate) in buckets {
        let le = le_text(le);
        for s in 0..sources {
            let src = format!("src{s}");
            let dims = [
                ("host", host),
                ("le", le.as_str()),
                ("source", src.as_str()),
            ];
            pts.push(pt(0.0, "h_bucket", 1000.0, &dims));
            pts.push(pt(
                60.0,
                "h_bucket",
                1000.0 + 60.0 * rate / sources as f64,
                &dims,
            ));
        }
    }
    pts
}

/// p99 and p50 per host, through the app's quantile macro (two searches,
/// as the compiler writes one per quantile), as rows of host, p99, p50.
fn quantiles(s: &Store) -> Vec<Row> {
    let q = |q: f64| {
        format!(
            "| mstats rate_sum(h_bucket) AS value WHERE `mattermost_metrics_index` BY host le span=120s | `mattermost_metrics_histogram_quantile({q}, _time host)`"
        )
    };
    let p99 = run(s, &q(0.99), 0.0, 120.0);
    let p50 = run(s, &q(0.5), 0.0, 120.0);
    let mut rows = Vec::new();
    for r in &p99 {
        let host = text(r, "host").unwrap();
        let mut row = r.clone();
        row.set("p99", r.get("value").cloned());
        let other = p50
            .iter()
            .find(|o| text(o, "host").as_deref() == Some(host.as_str()));
        row.set("p50", other.and_then(|o| o.get("value").cloned()));
        rows.push(row);
    }
    assert_eq!(p99.len(), p50.len(), "the same hosts have both quantiles");
    rows
}

#[test]
fn histogram_quantile_macro_matches_prometheus_by_hand() {
    let inf = f64::INFINITY;
    let mut pts = Vec::new();
    // h1: 10/s <= 0.1, 30/s <= 0.5, 40/s <= 1, 40/s total.
    // p99: rank 39.6 in (0.5, 1]: 0.5 + 0.5 * 9.6/10 = 0.98;
    // p50: rank 20 in (0.1, 0.5]: 0.1 + 0.4 * 10/20 = 0.3.
    pts.extend(bucket_points(
        "h1",
        &[(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (inf, 40.0)],
        1,
    ));
    // h2: 10/s <= 0.1, 20/s total: p99 (rank 19.8) is in +Inf -> 0.1, the
    // highest finite bound; p50 (rank 10) = 0 + 0.1 * 10/10 = 0.1.
    pts.extend(bucket_points("h2", &[(0.1, 10.0), (inf, 20.0)], 1));
    // h3: no +Inf bucket -> no value. h4: zero rates -> no value.
    pts.extend(bucket_points("h3", &[(0.1, 10.0), (1.0, 20.0)], 1));
    pts.extend(bucket_points("h4", &[(0.1, 0.0), (inf, 0.0)], 1));
    // h5: h1's distribution spread over two series per bucket (rate_sum adds
    // them up).
    pts.extend(bucket_points(
        "h5",
        &[(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (inf, 40.0)],
        2,
    ));
    let s = store_of(pts);
    let rows = quantiles(&s);
    let got: Vec<(String, Option<f64>, Option<f64>)> = rows
        .iter()
        .map(|r| (text(r, "host").unwrap(), num(r, "p99"), num(r, "p50")))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for (host, p99, p50) in [("h1", 0.98, 0.3), ("h2", 0.1, 0.1), ("h5", 0.98, 0.3)] {
        let row = got
            .iter()
            .find(|g| g.0 == host)
            .unwrap_or_else(|| panic!("no {host} in {got:?}"));
        close(row.1, p99);
        close(row.2, p50);
    }
    for r in &rows {
        close(num(r, "_time"), 0.0);
    }
}

#[test]
fn histogram_quantile_macro_matches_prometheus_on_random_distributions() {
    // A small deterministic generator (xorshift).
    let mut state = 0x2545F4914F6CDD1Du64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let bounds = [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
        5.0,
        10.0,
        f64::INFINITY,
    ];
    let mut pts = Vec::new();
    let mut want = Vec::new();
    for h in 0..40 {
        let host = format!("host{h:02}");
        let mut cum = 0.0;
        let mut buckets = Vec::new();
        for (i, &b) in bounds.iter().enumerate() {
            // Mostly increasing; sometimes empty buckets, sometimes a dip
            // (non-monotonic rates, which Prometheus' ensureMonotonic fixes).
            let x = rnd();
            if x < 0.2 {
            } else if x < 0.25 && i > 0 {
                cum -= 0.5 * rnd();
            } else {
                cum += (10.0 * rnd() * 4.0).round() / 4.0;
            }
            buckets.push((b, cum.max(0.0)));
        }
        pts.extend(bucket_points(&host, &buckets, 1 + h % 2));
        want.push((
            host,
            prom_bucket_quantile(0.99, &buckets),
            prom_bucket_quantile(0.5, &buckets),
        ));
    }
    let s = store_of(pts);
    let rows = quantiles(&s);
    for (host, p99, p50) in want {
        let row = rows
            .iter()
            .find(|r| text(r, "host").as_deref() == Some(host.as_str()));
        match (row, p99, p50) {
            (None, None, None) => {}
            (Some(r), Some(p99), Some(p50)) => {
                let (g99, g50) = (num(r, "p99").unwrap(), num(r, "p50").unwrap());
                assert!(
                    (g99 - p99).abs() < 1e-9 && (g50 - p50).abs() < 1e-9,
                    "{host}: got {g99} {g50}, Prometheus {p99} {p50}"
                );
            }
            (r, p99, p50) => panic!("{host}: got {r:?}, Prometheus {p99:?} {p50:?}"),
        }
    }
}

// ------------------------------------------------------------ app macros and dashboard

#[test]
fn span_macro_picks_the_step_from_the_time_range() {
    let s = Store::new();
    let m = app_macros();
    for (range, want) in [
        (3600.0, "120s"),
        (6.0 * 3600.0, "120s"),
        (24.0 * 3600.0, "600s"),
        (7.0 * 86400.0, "3600s"),
        (400.0 * 86400.0, "86400s"),
    ] {
        let rows = run_with(
            &s,
            &m,
            &[],
            "| makeresults | addinfo | `mattermost_metrics_span`",
            1_700_000_000.0 - range,
            1_700_000_000.0,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            text(&rows[0], "span").as_deref(),
            Some(want),
            "range {range}"
        );
        assert_eq!(
            rows[0].get("span_s").and_then(Field::as_num),
            want.trim_end_matches('s').parse().ok()
        );
        assert!(
            rows[0].get("info_min_time").is_none(),
            "fields keeps only span, span_s and _time"
        );
    }
}

#[test]
fn macros_expand_nested_with_arguments() {
    let m = Macros::from_conf(
        "[inner(1)]\nargs = x\ndefinition = a=$x$\n\n[outer(2)]\nargs = x, y\ndefinition = `inner($y$)` \\\n  AND b=$x$\n[plain]\ndefinition = c=1\n",
    );
    let out = m.expand("| search `outer(1, \"q, r\")` `plain`").unwrap();
    assert_eq!(out, "| search a=\"q, r\" \n  AND b=1 c=1");
    assert!(m.expand("`nope`").unwrap_err().to_string().contains("nope"));
    assert!(m.expand("`inner`").is_err(), "wrong argument count");
}

#[test]
fn inline_comments_become_a_space_before_macros_expand() {
    let m = Macros::from_conf(
        "[plain]\ndefinition = eval c=1\n[noted]\ndefinition = eval d=2 ```d: `plain` twice``` | `plain`\n",
    );
    // Search Manual > Add comments to searches: the page's own example.
    let doc = "...| stats```Let's use 'stats' to count this```count";
    assert_eq!(m.expand(doc).unwrap(), "...| stats count");
    // A comment's backticks, quotes and numbers are not macro calls; the
    // macros around it still expand, and a definition's comments go too.
    assert_eq!(
        m.expand("| makeresults ```uses `nope`, \"half a quote``` | `plain` | `noted`")
            .unwrap(),
        "| makeresults   | eval c=1 | eval d=2   | eval c=1"
    );
    // Three backticks inside a double-quoted string are no comment.
    for q in [
        "eval s=\"a```b```c\"",
        "eval s=\"say \\\"```hi```\\\"\" ```gone```",
        "eval s=\"\\\\\"```gone```",
    ] {
        let want = q.replace("```gone```", " ");
        assert_eq!(spl::strip_comments(q).unwrap(), want, "{q}");
    }
    // An unterminated comment is an error naming it.
    for q in ["| makeresults ```oops", "| makeresults ```a``` ```b` `"] {
        let err = format!("{:#}", m.expand(q).unwrap_err());
        assert!(err.contains("unterminated comment"), "{q}: {err}");
        assert!(err.contains(&q[q.rfind("```").unwrap()..]), "{q}: {err}");
    }
    // The dashboards' comment: tokens are substituted first, in the comment
    // too, and the search runs as if the comment were a space.
    let s = Store::new();
    let q = "| makeresults count=3 | stats```Let's use 'stats' to count this```count \
             | eval x=1\n```runs again when: $chart_earliest$```";
    let tokens = [("chart_earliest", "1700000000")];
    assert_eq!(
        spl::expand(
            q,
            &m,
            &tokens
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        )
        .unwrap(),
        "| makeresults count=3 | stats count | eval x=1\n "
    );
    let rows = run_with(&s, &m, &tokens, q, 0.0, 60.0).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(num(&rows[0], "count"), Some(3.0));
    assert_eq!(num(&rows[0], "x"), Some(1.0));
}

#[test]
fn post_process_merges_as_the_dashboard_framework_does() {
    use spl::merge_post_process as merge;
    // One `|` or white-space character goes from each side, then " | ".
    assert_eq!(merge("| mstats x", "| stats y"), "| mstats x |  stats y");
    assert_eq!(merge("| mstats x |", "stats y"), "| mstats x  | stats y");
    assert_eq!(merge("| mstats x ", " stats y"), "| mstats x | stats y");
    assert_eq!(
        merge("| mstats x\n", "\n| stats y"),
        "| mstats x | | stats y"
    );
    // At most one: `$` and `^` anchor at the whole string's ends (no `m`
    // flag), so a second `|` or space stays.
    assert_eq!(
        merge("| mstats x | ", "| stats y"),
        "| mstats x | |  stats y"
    );
    assert_eq!(merge("| mstats x", "  stats y"), "| mstats x |  stats y");
    assert_eq!(merge("| mstats x", "||stats y"), "| mstats x | |stats y");
    // JavaScript's \s: U+FEFF and U+00A0 are white space, U+0085 is not.
    assert_eq!(merge("a\u{feff}", "\u{a0}b"), "a | b");
    assert_eq!(merge("a\u{85}", "\u{85}b"), "a\u{85} | \u{85}b");
    // An empty post-process leaves the base search as it is; an empty base
    // or a post-process of one `|` keeps the join.
    assert_eq!(merge("| mstats x |", ""), "| mstats x |");
    assert_eq!(merge("", "| stats y"), " |  stats y");
    assert_eq!(merge("| mstats x", "|"), "| mstats x | ");
    // The merged search runs.
    let s = Store::new();
    let q = merge(
        "| makeresults count=2 | eval x=1\n",
        "| stats sum(x) AS total",
    );
    let rows = run(&s, &q, 0.0, 60.0);
    assert_eq!(rows.len(), 1);
    assert_eq!(num(&rows[0], "total"), Some(2.0));
}

#[test]
fn unsupported_constructs_fail_loudly() {
    let s = two_counters();
    for (q, needle) in [
        ("| makeresults | foo x=1", "foo"),
        ("| makeresults | eval x=lower(\"A\")", "lower"),
        ("| makeresults | stats median(x)", "median"),
        (
            "| mstats perc99(m_total) AS p WHERE index=wss_metrics",
            "perc99",
        ),
        ("| mstats avg(m_total) AS p WHERE host=a", "index"),
        (
            "| makeresults | streamstats time_window=5m count",
            "time_window",
        ),
        ("| makeresults | timechart count", "span"),
        ("| makeresults | search foo", "free-text"),
        ("| makeresults | eval x=$undefined$", "undefined"),
        ("| makeresults | `no_such_macro`", "no_such_macro"),
        ("mstats avg(m_total) WHERE index=wss_metrics", "must start"),
        ("| makeresults | makeresults", "first command"),
        ("| makeresults | sort 0 ip(x)", "ip"),
    ] {
        let err = run_err(&s, q);
        assert!(err.contains(needle), "{q}: {err}");
    }
}

/// The `<query>` CDATA contents of the performance dashboard.
/// Every search of the performance dashboard as it runs: a post-process
/// search merged with its base.
fn dashboard_queries() -> Vec<String> {
    let xml =
        std::fs::read_to_string(root().join("dashboards/mattermost_performance_monitoring.xml"))
            .unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("search"))
        .filter_map(|s| simplexml::search_text(&doc, s))
        .collect()
}

/// A small store for the dashboard's searches: every metric they name, on
/// two hosts, every 120 s over the range, with every label they group or
/// filter by; counters increase, host1's restart (a new start time, a
/// counter reset) happens mid-range.
fn dashboard_store(metrics: &[String], earliest: f64, latest: f64) -> Store {
    let mut pts = Vec::new();
    let mid = (earliest + latest) / 2.0;
    for metric in metrics {
        for host in ["host1", "host2"] {
            let les: &[&str] = if metric.ends_with("_bucket") {
                &["0.1", "1.0", "+Inf"]
            } else {
                &["-"]
            };
            for (li, le) in les.iter().enumerate() {
                let db = if metric.starts_with("go_sql") {
                    ["master", "replica1"].as_slice()
                } else {
                    ["replica1"].as_slice()
                };
                let handlers = ["createPost", "getPostsForChannelAroundLastUnread"];
                for (db_name, handler) in db.iter().flat_map(|d| handlers.map(move |h| (d, h))) {
                    let mut dims = vec![
                        ("host", host),
                        ("source", "http://node:8067/metrics"),
                        ("name", "posted"),
                        ("type", "typing"),
                        ("handler", handler),
                        ("method", "Store.Get"),
                        ("origin_client", "web"),
                        ("node", "n1"),
                        ("hub", "0"),
                        ("db_name", db_name),
                    ];
                    if *le != "-" {
                        dims.push(("le", le));
                    }
                    let mut t = earliest;
                    while t < latest {
                        let restarted = host == "host1" && t >= mid;
                        let v = if metric.contains("start_time") {
                            if restarted {
                                mid
                            } else {
                                earliest - 1000.0
                            }
                        } else {
                            let since = if restarted { t - mid } else { t - earliest };
                            (li as f64 + 1.0) * since / 10.0
                        };
                        pts.push(pt(t, metric, v, &dims));
                        t += 120.0;
                    }
                }
            }
        }
    }
    store_of(pts)
}

#[test]
fn every_dashboard_search_parses_and_runs() {
    let queries = dashboard_queries();
    assert!(queries.len() > 20, "found {} queries", queries.len());
    let macros = app_macros();
    let tokens: BTreeMap<String, String> = [
        ("host", "(host=\"*\")"),
        ("span", "300s"),
        ("span_s", "300"),
        ("span_lookback", "300s"),
        ("chart_earliest", "1699978450"),
        ("top_db_count", "(method=\"*\")"),
        ("top_db_latency", "(method=\"*\")"),
        ("top_api_count", "(handler=\"*\")"),
        ("top_api_latency", "(handler=\"*\")"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let metric_re = Regex::new(r"\b(?:avg|sum|min|max|count|latest|earliest|rate|rate_sum|rate_avg)\(((?:mattermost|go)_[a-z0-9_]+)\)").unwrap();
    let mut metrics: Vec<String> = Vec::new();
    for q in &queries {
        let text = spl::expand(q, &macros, &tokens).unwrap();
        for c in metric_re.captures_iter(&text) {
            if !metrics.contains(&c[1].to_string()) {
                metrics.push(c[1].to_string());
            }
        }
    }
    assert!(metrics.len() > 20, "{metrics:?}");
    let latest = 1_700_000_050.0;
    let earliest = latest - 6.0 * 3600.0;
    let store = dashboard_store(&metrics, earliest, latest);
    let mut restarts_seen = 0;
    for q in &queries {
        let rows = run_with(
            &store,
            &macros,
            &tokens
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            q,
            earliest,
            latest,
        )
        .unwrap_or_else(|e| panic!("{q}\n{e:#}"));
        assert!(!rows.is_empty(), "no results from {q}");
        if q.contains("mattermost_metrics_restarts") {
            // One restart, of host1, mid-range (the first start time is
            // before the range).
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(
                text(&rows[0], "annotation_label").as_deref(),
                Some("Mattermost restarted on host1")
            );
            close(num(&rows[0], "_time"), ((earliest + latest) / 2.0).round());
            restarts_seen += 1;
        }
        if q.contains("`mattermost_metrics_span`") {
            assert_eq!(text(&rows[0], "span").as_deref(), Some("120s"));
        }
        if q.contains("mcatalog") {
            assert_eq!(
                rows.iter()
                    .map(|r| text(r, "host").unwrap())
                    .collect::<Vec<_>>(),
                ["host1", "host2"]
            );
        }
        if q.contains("timechart") {
            // 6 h of 300 s buckets, the first one starting before earliest.
            assert_eq!(rows.len(), 73, "{q}");
        }
    }
    assert!(restarts_seen > 20);
}

// ------------------------------------------------------------ performance

#[test]
fn rate_sum_over_500_series_then_stats_is_fast() {
    // 500 series (10 hosts x 50 ids), a point every 10 s for 2 h (720
    // points each); each counter grows by 1 per second.
    let load = Instant::now();
    let mut store = Store::new();
    let hosts: Vec<String> = (0..10).map(|h| format!("host{h}")).collect();
    let ids: Vec<String> = (0..50).map(|i| format!("id{i}")).collect();
    for i in 0..720 {
        let t = 10.0 * i as f64;
        for h in &hosts {
            for id in &ids {
                store.push(pt(t, "big_total", t, &[("host", h), ("id", id)]));
            }
        }
    }
    eprintln!("loading {} points: {:?}", store.len(), load.elapsed());
    let macros = app_macros();
    let ctx = Context {
        store: &store,
        macros: &macros,
        earliest_s: 0.0,
        latest_s: 7200.0,
        tokens: BTreeMap::new(),
        rate_basis: spl::RateBasis::default(),
    };
    let start = Instant::now();
    let rows = spl::run(
        "| mstats rate_sum(big_total) AS r WHERE `mattermost_metrics_index` AND host=\"*\" BY host span=60s | stats sum(r) AS total BY host",
        &ctx,
    )
    .unwrap();
    let took = start.elapsed();
    eprintln!("mstats rate_sum over 500 x 720 points + stats: {took:?}");
    assert_eq!(rows.len(), 10);
    // Every bucket: 50 series at 1/s per host; 120 buckets.
    for r in &rows {
        close(num(r, "total"), 50.0 * 120.0);
    }
    assert!(took.as_secs_f64() < 1.0, "took {took:?}");
}

/// The search after token substitution (no macros).
fn subst(search: &str, tokens: &[(&str, &str)]) -> anyhow::Result<String> {
    let t: BTreeMap<String, String> = tokens
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    spl::expand(search, &Macros::default(), &t)
}

#[test]
fn tokens_substitute_as_simple_xml_does() {
    let t = [("a", "x"), ("env:user", "admin"), ("h", "$b$")];
    // $name$, $$ -> $, namespaces, values not scanned again, and a `$` that
    // starts no token stays.
    assert_eq!(subst("a=$a$ cost=$$5 $$a$", &t).unwrap(), "a=x cost=$5 $a$");
    assert_eq!(subst("u=$env:user$", &t).unwrap(), "u=admin");
    assert_eq!(subst("h=$h$", &t).unwrap(), "h=$b$");
    assert_eq!(subst("price 5$", &t).unwrap(), "price 5$");
    assert_eq!(subst("x=$a|$ y", &t).unwrap(), "x=$a|$ y");
    assert_eq!(subst("$a b:c$", &t).unwrap(), "$a b:c$");
    // No default filter in a search: the value lands as it is.
    let hostile = "x\" OR host=\"*";
    assert_eq!(
        subst("host=\"$v$\"", &[("v", hostile)]).unwrap(),
        "host=\"x\" OR host=\"*\""
    );
    // A token without a value (any run of characters but $ | : between two
    // dollars is a token name) keeps the search from running.
    let e = subst("a=$nope$", &t).unwrap_err().to_string();
    assert!(e.contains("`$nope$`") && e.contains("no value"), "{e}");
    let e = subst("| eval x=\"$\" . \"$\"", &t).unwrap_err().to_string();
    assert!(e.contains("`$\" . \"$`"), "{e}");
}

#[test]
fn token_filters_escape_as_splunk_does() {
    // (A backquote left in the search would start a macro call after
    // substitution, as in Splunk: `v` has one only for filters that
    // escape it.)
    let v = "a \"b\" \\c\n\t\u{1}<&>'`/ü?=";
    let f = |filter: &str| subst(&format!("$v{filter}$"), &[("v", v)]).unwrap();
    let v_nb = "a \"b\" \\c\n\t\u{1}<&>'/ü?=";
    let f_nb = |filter: &str| subst(&format!("$v{filter}$"), &[("v", v_nb)]).unwrap();
    // |s: JSON.stringify.
    assert_eq!(f_nb("|s"), "\"a \\\"b\\\" \\\\c\\n\\t\\u0001<&>'/ü?=\"");
    assert_eq!(f_nb("|search"), f_nb("|s"));
    // |h: underscore's _.escape.
    assert_eq!(
        f("|h"),
        "a &quot;b&quot; \\c\n\t\u{1}&lt;&amp;&gt;&#x27;&#x60;/ü?="
    );
    // |u: encodeURIComponent.
    assert_eq!(
        f("|u"),
        "a%20%22b%22%20%5Cc%0A%09%01%3C%26%3E'%60%2F%C3%BC%3F%3D"
    );
    assert_eq!(
        subst("$v|u$", &[("v", "-_.!~*'()AZaz09")]).unwrap(),
        "-_.!~*'()AZaz09"
    );
    // |n: no escaping.
    assert_eq!(f_nb("|n"), v_nb);
    assert!(subst("$v$", &[("v", v)])
        .unwrap_err()
        .to_string()
        .contains("backquote"));
    // Old-style chains apply each letter in order; new-style chains name
    // filters.
    let w = [("v", "a b")];
    assert_eq!(subst("$v|su$", &w).unwrap(), "%22a%20b%22");
    assert_eq!(subst("$v|us$", &w).unwrap(), "\"a%20b\"");
    assert_eq!(subst("$v|h|s$", &[("v", "<\"")]).unwrap(), "\"&lt;&quot;\"");
    // An unknown filter (four letters are not an old-style chain) keeps
    // the search from running.
    for bad in ["$v|x$", "$v|suhs$", "$v|s||u$"] {
        let e = subst(bad, &w).unwrap_err().to_string();
        assert!(e.contains("no filter"), "{bad}: {e}");
    }
}

#[test]
fn series_ids_push_like_points() {
    let mut by_point = Store::new();
    let mut by_id = Store::new();
    let p = pt(10.0, M, 3.0, &[("host", "a")]);
    let id = by_id.series_id(M, &p.dims);
    assert_eq!(by_id.series_id(M, &p.dims), id);
    by_id.push_value(id, 20_000, 4.0);
    by_id.push_value(id, 10_000, 3.0);
    by_point.push(pt(20.0, M, 4.0, &[("host", "a")]));
    by_point.push(p);
    for s in [&by_point, &by_id] {
        let series = s.series(M);
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].times, vec![10_000, 20_000]);
        assert_eq!(series[0].values, vec![3.0, 4.0]);
        assert_eq!(s.len(), 2);
    }
    // A series created without points is not a metric with points.
    let mut empty = Store::new();
    empty.series_id("x", &BTreeMap::new());
    assert!(empty.metric_names().is_empty());
}
