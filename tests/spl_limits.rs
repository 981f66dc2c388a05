//! Splunk's default limits in the SPL evaluator (`crates/spl-eval/src/`,
//! `Limits` in commands.rs quotes the documentation of each): a search that
//! reaches one is an error naming the limit, the command and the count,
//! never a silently shorter result; one just inside it runs.

use spl_eval as spl;

use std::collections::BTreeMap;

use spl::{Context, LimitHit, Limits, Macros, Point, Row, Store};

/// `n` series of metric `m` (dimension `s` = 0..n), one point each at t=0.
fn store(n: usize) -> Store {
    let mut s = Store::new();
    for i in 0..n {
        let mut dims = BTreeMap::new();
        dims.insert("index".to_string(), "wss_metrics".to_string());
        dims.insert("s".to_string(), format!("s{i:06}"));
        s.push(Point {
            time_ms: 0,
            metric_name: "m".into(),
            value: i as f64,
            dims,
        });
    }
    s
}

fn run(store: &Store, q: &str, latest_s: f64) -> anyhow::Result<Vec<Row>> {
    let macros = Macros::from_conf("");
    let ctx = Context {
        store,
        macros: &macros,
        earliest_s: 0.0,
        latest_s,
        tokens: BTreeMap::new(),
        rate_basis: spl::RateBasis::default(),
    };
    spl::run(q, &ctx)
}

/// The limit an error reports, or a panic naming what came instead.
fn limit_hit(r: anyhow::Result<Vec<Row>>) -> LimitHit {
    match r {
        Ok(rows) => panic!("expected a limit error, got {} rows", rows.len()),
        Err(e) => match e.downcast_ref::<LimitHit>() {
            Some(h) => h.clone(),
            None => panic!("expected a limit error, got: {e:#}"),
        },
    }
}

const PER_SERIES: &str = "| mstats latest(m) AS v WHERE index=wss_metrics BY s span=60s";

#[test]
fn append_over_50000_results_is_an_error_not_a_truncation() {
    let s = store(50_001);
    let q = format!("| makeresults | append [{PER_SERIES}]");
    let h = limit_hit(run(&s, &q, 60.0));
    assert_eq!(
        (h.command, h.count, h.allowed),
        ("append", 50_001.0, 50_000.0)
    );
    assert!(h.limit.starts_with("maxout"), "{h:?}");
    let msg = h.to_string();
    assert!(msg.contains("append") && msg.contains("50001") && msg.contains("maxout"));
}

#[test]
fn append_of_exactly_50000_results_runs_whole() {
    let s = store(50_000);
    let q = format!("| makeresults | append [{PER_SERIES}]");
    let rows = run(&s, &q, 60.0).unwrap();
    assert_eq!(rows.len(), 50_001);
    // The peak records the subsearch's size for the scale report.
    let peak = spl::take_peak();
    assert_eq!(peak.append_rows, 50_000);
    assert!(peak.rows >= 50_001);
}

#[test]
fn append_over_its_maxtime_is_an_error() {
    // 60 s of evaluator time cannot be waited for in a test: lower the limit
    // to no time at all, which any subsearch exceeds.
    let s = store(10);
    let q = format!("| makeresults | append [{PER_SERIES}]");
    let lowered = Limits {
        append_maxtime_s: 0.0,
        ..Limits::default()
    };
    let h = limit_hit(spl::with_limits(lowered, || run(&s, &q, 60.0)));
    assert_eq!(h.command, "append");
    assert!(h.limit.starts_with("maxtime"), "{h:?}");
    // The default is back afterwards.
    assert_eq!(run(&s, &q, 60.0).unwrap().len(), 11);
}

#[test]
fn mstats_over_a_million_time_bins_is_an_error() {
    let s = store(1);
    // range/span = 1,000,001 s / 1 s.
    let q = "| mstats latest(m) AS v WHERE index=wss_metrics span=1s";
    let h = limit_hit(run(&s, q, 1_000_001.0));
    assert_eq!(
        (h.command, h.count, h.allowed),
        ("mstats", 1_000_001.0, 1e6)
    );
    assert!(h.limit.starts_with("time_bin_limit"));
    // Exactly the limit is allowed ("If range/span > 'time_bin_limit'").
    assert_eq!(run(&s, q, 1_000_000.0).unwrap().len(), 1);
    // Without a span there are no time bins to count.
    let whole = "| mstats latest(m) AS v WHERE index=wss_metrics";
    assert_eq!(run(&s, whole, 1e9).unwrap().len(), 1);
}

#[test]
fn streamstats_without_a_window_over_a_group_of_10000_results_is_an_error() {
    let s = store(10_001);
    let q = format!("{PER_SERIES} | sort 0 -num(v) | streamstats count AS rank");
    let h = limit_hit(run(&s, &q, 60.0));
    assert_eq!(
        (h.command, h.count, h.allowed),
        ("streamstats", 10_001.0, 10_000.0)
    );
    assert!(h.limit.starts_with("max_stream_window"));
    // 10,000 results run; so does a window, which bounds what is kept.
    let s = store(10_000);
    assert_eq!(run(&s, &q, 60.0).unwrap().len(), 10_000);
    let s = store(10_001);
    let windowed = format!("{PER_SERIES} | streamstats window=1 count AS rank");
    assert_eq!(run(&s, &windowed, 60.0).unwrap().len(), 10_001);
    // Groups that each span few results (sorted by group, as the quantile
    // macro's running maximum) are whole however many results there are.
    let grouped =
        format!("{PER_SERIES} | eval g=floor(v / 100) | sort 0 g | streamstats max(v) AS m BY g");
    assert_eq!(run(&s, &grouped, 60.0).unwrap().len(), 10_001);
    // Groups interleaved over the whole input (a rank per g over results
    // sorted by value) span it all.
    let interleaved =
        format!("{PER_SERIES} | eval g=v % 2 | sort 0 -num(v) | streamstats count AS rank BY g");
    let h = limit_hit(run(&s, &interleaved, 60.0));
    assert_eq!((h.command, h.count), ("streamstats", 10_000.0 + 1.0));
    // A window above the maximum is itself a hit.
    let wide = format!("{PER_SERIES} | streamstats window=10001 count AS rank");
    let h = limit_hit(run(&store(1), &wide, 60.0));
    assert_eq!((h.command, h.count), ("streamstats", 10_001.0));
}

#[test]
fn sort_without_a_count_over_10000_results_is_an_error() {
    let s = store(10_001);
    let h = limit_hit(run(&s, &format!("{PER_SERIES} | sort -num(v)"), 60.0));
    assert_eq!(
        (h.command, h.count, h.allowed),
        ("sort", 10_001.0, 10_000.0)
    );
    // `sort 0` returns every result; an explicit count is the author's cut.
    assert_eq!(
        run(&s, &format!("{PER_SERIES} | sort 0 -num(v)"), 60.0)
            .unwrap()
            .len(),
        10_001
    );
    assert_eq!(
        run(&s, &format!("{PER_SERIES} | sort 5 -num(v)"), 60.0)
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn timechart_by_over_10_series_without_limit_is_an_error() {
    let s = store(11);
    let q = format!("{PER_SERIES} | timechart span=60s max(v) BY s");
    let h = limit_hit(run(&s, &q, 60.0));
    assert_eq!((h.command, h.count, h.allowed), ("timechart", 11.0, 10.0));
    // Ten series fit the default; limit=0 (or any written limit) is chosen.
    assert!(run(&store(10), &q, 60.0).is_ok());
    let all = format!("{PER_SERIES} | timechart span=60s limit=0 max(v) BY s");
    let rows = run(&s, &all, 60.0).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0.len(), 12, "_time and 11 series: {:?}", rows[0]);
}

#[test]
fn commands_whose_subsearch_limits_are_not_modelled_are_rejected() {
    // join, appendcols, union and a subsearch inside search each have a
    // documented cap the evaluator does not model: it refuses them rather
    // than run them uncapped.
    let s = store(1);
    for q in [
        format!("{PER_SERIES} | join s [{PER_SERIES}]"),
        format!("{PER_SERIES} | appendcols [{PER_SERIES}]"),
        format!("{PER_SERIES} | union [{PER_SERIES}]"),
        format!("{PER_SERIES} | search [{PER_SERIES} | fields s]"),
    ] {
        let e = run(&s, &q, 60.0).expect_err(&q);
        assert!(
            e.downcast_ref::<LimitHit>().is_none(),
            "{q}: a parse error, not a limit: {e:#}"
        );
    }
}
