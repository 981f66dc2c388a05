//! Named series, Grafana legends, and the per-step comparison of Prometheus' answer with ours.
//!
//! A panel is compared the way a person compares two charts: by the name of each line (its
//! legend) and, at each step, by its value. Prometheus is the reference ("expected").

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

/// One line of a chart: its legend and its points.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedSeries {
    pub name: String,
    /// (evaluation time in s, as Prometheus' `query_range` steps them; value). A non-finite value
    /// counts as "no value".
    pub points: Vec<(i64, f64)>,
}

/// Steps not compared, because the two engines are known to differ there by construction.
/// Listed with the reason, counted separately, never a wider tolerance. (None today: the
/// rate definitions' difference is a computed bound, [`Bounds`], not a skip.)
#[derive(Clone, Debug)]
pub struct Known {
    /// The series (legend) concerned; `None`: every series of the panel.
    pub series: Option<String>,
    /// First and last evaluation time skipped (s, both inclusive).
    pub from_s: i64,
    pub to_s: i64,
    pub reason: String,
}

impl Known {
    /// The steps whose window sees `event_s`: evaluation times `T` (multiples of `step_s`)
    /// with `T - range_s < event_s <= T`.
    pub fn around(
        series: Option<&str>,
        event_s: i64,
        range_s: i64,
        step_s: i64,
        reason: &str,
    ) -> Known {
        let from_s =
            event_s.div_euclid(step_s) * step_s + if event_s % step_s == 0 { 0 } else { step_s };
        let to_s = (event_s + range_s - 1).div_euclid(step_s) * step_s;
        Known {
            series: series.map(str::to_string),
            from_s,
            to_s,
            reason: reason.to_string(),
        }
    }
}

/// What a step may differ by, besides arithmetic.
pub struct Bounds<'a> {
    /// The panel drawn by Prometheus a second time with Splunk's rate definition in place of
    /// its own (`splunk_def.rs`), for the rate-derived series (by name); a series not here is
    /// not rate-derived and is held to [`REL_TOL`].
    pub splunk_def: &'a [NamedSeries],
    /// The names of the rate-derived series (those of a target with `rate`, `irate` or
    /// `increase`), whether or not Splunk's definition has a value for them.
    pub rate_derived: &'a BTreeSet<String>,
    /// Whether the bucket of evaluation time `t` is not wholly inside the time range: the
    /// dashboard may draw no point there (it has only part of the bucket's data).
    pub edge: &'a dyn Fn(i64) -> bool,
}

impl Bounds<'_> {
    /// Every series held to [`REL_TOL`], no edge.
    pub const NONE: Bounds<'static> = Bounds {
        splunk_def: &[],
        rate_derived: &BTreeSet::new(),
        edge: &|_| false,
    };
}

/// The largest difference a comparison saw, and what it was held to there.
#[derive(Clone, Debug, Default)]
pub struct Largest {
    /// |ours - Prometheus| / |Prometheus| (absolute where Prometheus is 0).
    pub diff: f64,
    /// The allowance at that step, relative likewise.
    pub bound: f64,
    pub series: String,
    pub t_s: i64,
}

/// Outcome of [`compare`].
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    pub agree: bool,
    /// Steps where both sides had a value and those were compared.
    pub compared: usize,
    /// Steps skipped because of a [`Known`] difference.
    pub skipped: usize,
    /// Steps at the range's edges where the dashboard draws no point (a bucket not wholly in
    /// the range).
    pub edges: usize,
    /// Steps of a rate-derived series where Splunk's definition has no value (no sample in the
    /// bucket) and ours has none either, while Prometheus' window still has two samples.
    pub no_splunk_rate: usize,
    /// Steps where Prometheus' own rate has no value (fewer than two samples in its window)
    /// and ours was held to Splunk's definition instead.
    pub no_prometheus_rate: usize,
    /// Steps of a rate-derived series where Prometheus cannot compute Splunk's definition: no
    /// sample in the 5 minutes before the bucket (the series' first bucket); not compared.
    pub no_basis: usize,
    /// Steps (or whole series) that disagree.
    pub disagreements: usize,
    /// The first disagreement in series-name then time order, described for a person.
    pub first_disagreement: Option<String>,
    /// The reasons of the [`Known`] entries that skipped at least one step.
    pub known_used: Vec<String>,
    /// The largest difference seen among the compared steps.
    pub largest: Largest,
    /// The largest relative difference among the disagreeing steps where both sides have a
    /// value (0 when none): how far off a disagreement is.
    pub largest_bad: f64,
}

/// Relative tolerance: both engines compute with IEEE-754 doubles from the same samples, in
/// different orders; sums of a few thousand terms agree to far better than this.
pub const REL_TOL: f64 = 1e-9;
/// Absolute tolerance, for values at or near 0.
pub const ABS_TOL: f64 = 1e-9;
/// What Splunk's definition computed by Prometheus loses to its clock: `timestamp()` gives a
/// sample's time as f64 seconds since the epoch (about 1.77e9 here, so 2^-52 * 1.77e9 = 4e-7 s
/// of rounding at each end), and the rate divides by the difference of two of them, at least
/// 10 s apart (two jittered 15 s scrapes): 2 * 4e-7 / 10 = 8e-8 relative, rounded up.
pub const TIMESTAMP_REL_TOL: f64 = 1e-7;

/// `2026-01-01T01:30:00Z (1767231000)`.
pub fn describe_time(t_s: i64) -> String {
    let iso = if t_s >= 0 {
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t_s as u64)).to_string()
    } else {
        "before 1970".to_string()
    };
    format!("{iso} ({t_s})")
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// What arithmetic alone may change in `x`.
fn slack(x: f64) -> f64 {
    ABS_TOL.max(REL_TOL * x.abs())
}

fn fmt_opt(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v}"),
        None => "no value".to_string(),
    }
}

/// Result of comparing one expected series with one actual series.
#[derive(Default)]
struct PairResult {
    compared: usize,
    skipped: usize,
    edges: usize,
    no_splunk_rate: usize,
    no_prometheus_rate: usize,
    no_basis: usize,
    bad: Vec<(i64, Option<f64>, Option<f64>, String)>,
    known: Vec<String>,
    largest: Largest,
    largest_bad: f64,
}

/// One step of a rate-derived or plain series: `e` Prometheus, `a` ours, `s` Splunk's
/// definition through Prometheus (`None` for a series that is not rate-derived).
enum Step {
    Compared { diff: f64, bound: f64 },
    Edge,
    NoSplunkRate,
    NoPrometheusRate,
    NoBasis,
    Bad(String),
}

fn judge(e: Option<f64>, a: Option<f64>, s: Option<Option<f64>>, edge: bool) -> Step {
    if a.is_none() && edge {
        return Step::Edge;
    }
    match (s, e, a) {
        // Not rate-derived: the same samples, the same arithmetic.
        (None, Some(e), Some(a)) => {
            if (a - e).abs() <= slack(e) {
                Step::Compared {
                    diff: (a - e).abs(),
                    bound: slack(e),
                }
            } else {
                Step::Bad("beyond 1e-9 of the same arithmetic".into())
            }
        }
        // Rate-derived: between what the two definitions make of the same samples.
        // No basis for Splunk's definition through Prometheus (`x offset B` finds no sample in
        // the 5 minutes before the bucket: the series' first bucket, where Splunk's rate takes
        // its own first point as the basis and PromQL has no way to say so).
        (Some(None), Some(_), Some(_)) => Step::NoBasis,
        (Some(Some(s)), Some(e), Some(a)) => {
            let slack_s = slack(s) + TIMESTAMP_REL_TOL * s.abs();
            let (lo, hi) = (
                e.min(s) - slack(e).max(slack_s),
                e.max(s) + slack(e).max(slack_s),
            );
            if lo <= a && a <= hi {
                Step::Compared {
                    diff: (a - e).abs(),
                    bound: (s - e).abs() + slack(e).max(slack_s),
                }
            } else {
                Step::Bad(format!(
                    "not between Prometheus' rate and Splunk's definition ({s}) of it"
                ))
            }
        }
        (Some(None), Some(_), None) => Step::NoSplunkRate,
        (Some(Some(s)), None, Some(a))
            if (a - s).abs() <= slack(s) + TIMESTAMP_REL_TOL * s.abs() =>
        {
            Step::NoPrometheusRate
        }
        (Some(Some(s)), None, Some(_)) => Step::Bad(format!(
            "Prometheus has no rate here; Splunk's definition gives {s}"
        )),
        _ => Step::Bad(String::new()),
    }
}

fn compare_pair(
    name: &str,
    e: &[(i64, f64)],
    a: &[(i64, f64)],
    s: Option<&[&NamedSeries]>,
    bounds: &Bounds,
    known: &[Known],
) -> PairResult {
    let mut steps: BTreeMap<i64, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for &(t, v) in e {
        steps.entry(t).or_default().0 = finite(v);
    }
    for &(t, v) in a {
        steps.entry(t).or_default().1 = finite(v);
    }
    // Splunk's definition at `t`: with several same-named series, the one closest to ours.
    let s_at = |t: i64, a: Option<f64>| -> Option<Option<f64>> {
        let list = s?;
        let mut best: Option<f64> = None;
        for ser in list {
            if let Some(v) = ser
                .points
                .iter()
                .find(|p| p.0 == t)
                .and_then(|p| finite(p.1))
            {
                let closer = match (best, a) {
                    (Some(b), Some(a)) => (v - a).abs() < (b - a).abs(),
                    (None, _) => true,
                    _ => false,
                };
                if closer {
                    best = Some(v);
                }
            }
        }
        Some(best)
    };
    let mut r = PairResult::default();
    for (t, (ev, av)) in steps {
        if ev.is_none() && av.is_none() {
            continue;
        }
        if let Some(k) = known
            .iter()
            .find(|k| k.from_s <= t && t <= k.to_s && k.series.as_deref().is_none_or(|s| s == name))
        {
            r.skipped += 1;
            if !r.known.contains(&k.reason) {
                r.known.push(k.reason.clone());
            }
            continue;
        }
        match judge(ev, av, s_at(t, av), (bounds.edge)(t)) {
            Step::Compared { diff, bound } => {
                r.compared += 1;
                // (Relative to Prometheus' value; absolute where that is 0.)
                let scale = ev.map(f64::abs).filter(|e| *e > 0.0).unwrap_or(1.0);
                if diff / scale >= r.largest.diff {
                    r.largest = Largest {
                        diff: diff / scale,
                        bound: bound / scale,
                        series: name.to_string(),
                        t_s: t,
                    };
                }
            }
            Step::Edge => r.edges += 1,
            Step::NoSplunkRate => r.no_splunk_rate += 1,
            Step::NoPrometheusRate => r.no_prometheus_rate += 1,
            Step::NoBasis => r.no_basis += 1,
            Step::Bad(why) => {
                if let (Some(e), Some(a)) = (ev, av) {
                    r.compared += 1;
                    let scale = if e == 0.0 { 1.0 } else { e.abs() };
                    r.largest_bad = r.largest_bad.max((a - e).abs() / scale);
                }
                r.bad.push((t, ev, av, why));
            }
        }
    }
    r
}

fn has_value(s: &NamedSeries) -> bool {
    s.points.iter().any(|(_, v)| v.is_finite())
}

/// Compares `actual` (ours) with `expected` (Prometheus), series by series (matched by name)
/// and step by step:
///
/// - values agree within [`REL_TOL`] relative (to the expected value) or [`ABS_TOL`] absolute,
///   and a rate-derived series (one in `bounds.splunk_def`) between Prometheus' answer and
///   Splunk's definition at that step (widened by as much);
/// - where the dashboard draws no point in a bucket not wholly inside the range, the step is
///   counted in `edges`;
/// - a non-finite value (NaN, ±Inf) counts as no value, on either side;
/// - a value on one side only is a disagreement;
/// - a series on one side only is a disagreement, unless it has no finite value at all (Grafana
///   draws nothing for it);
/// - steps covered by a [`Known`] entry are skipped and counted in `skipped`.
///
/// Several series may share one name (Grafana legends can collide: `{{instance}}` over a
/// metric with another label). Such series are paired greedily, best match first (fewest
/// disagreeing steps), so the harness asks that ours draws the same set of lines under that
/// name, whatever their order.
pub fn compare(
    expected: &[NamedSeries],
    actual: &[NamedSeries],
    bounds: &Bounds,
    known: &[Known],
) -> Verdict {
    let mut splunk_def: BTreeMap<&str, Vec<&NamedSeries>> = BTreeMap::new();
    for s in bounds.splunk_def {
        splunk_def.entry(&s.name).or_default().push(s);
    }
    let mut by_name: BTreeMap<&str, (Vec<&NamedSeries>, Vec<&NamedSeries>)> = BTreeMap::new();
    for s in expected {
        by_name.entry(&s.name).or_default().0.push(s);
    }
    for s in actual {
        by_name.entry(&s.name).or_default().1.push(s);
    }
    let mut v = Verdict::default();
    // (name, time, description) of every disagreement, to report the first one.
    let mut problems: Vec<(String, i64, String)> = Vec::new();
    for (name, (exp, act)) in by_name {
        // Every candidate pairing, scored; then greedy, best first.
        let mut candidates: Vec<(usize, usize, usize, PairResult)> = Vec::new();
        for (i, e) in exp.iter().enumerate() {
            for (j, a) in act.iter().enumerate() {
                let s = if bounds.rate_derived.contains(name) {
                    Some(splunk_def.get(name).map(Vec::as_slice).unwrap_or(&[]))
                } else {
                    None
                };
                let r = compare_pair(name, &e.points, &a.points, s, bounds, known);
                candidates.push((r.bad.len(), i, j, r));
            }
        }
        candidates.sort_by_key(|c| (c.0, c.1, c.2));
        let mut used_e = vec![false; exp.len()];
        let mut used_a = vec![false; act.len()];
        for (_, i, j, r) in candidates {
            if used_e[i] || used_a[j] {
                continue;
            }
            used_e[i] = true;
            used_a[j] = true;
            v.compared += r.compared;
            v.skipped += r.skipped;
            v.edges += r.edges;
            v.no_splunk_rate += r.no_splunk_rate;
            v.no_prometheus_rate += r.no_prometheus_rate;
            v.no_basis += r.no_basis;
            v.largest_bad = v.largest_bad.max(r.largest_bad);
            if r.largest.diff >= v.largest.diff && !r.largest.series.is_empty() {
                v.largest = r.largest.clone();
            }
            v.disagreements += r.bad.len();
            for reason in r.known {
                if !v.known_used.contains(&reason) {
                    v.known_used.push(reason);
                }
            }
            let dup = if exp.len() > 1 || act.len() > 1 {
                format!(
                    " (one of {} expected / {} actual series with this name)",
                    exp.len(),
                    act.len()
                )
            } else {
                String::new()
            };
            for (t, e, a, why) in r.bad {
                let why = if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                };
                problems.push((
                    name.to_string(),
                    t,
                    format!(
                        "series {name:?}{dup} at {}: expected {}, actual {}{why}",
                        describe_time(t),
                        fmt_opt(e),
                        fmt_opt(a)
                    ),
                ));
            }
        }
        for (side, list, used) in [
            ("expected (Prometheus)", &exp, &used_e),
            ("actual (ours)", &act, &used_a),
        ] {
            for (s, _) in list
                .iter()
                .zip(used.iter())
                .filter(|(s, u)| !**u && has_value(s))
            {
                v.disagreements += 1;
                let first = s
                    .points
                    .iter()
                    .find(|(_, v)| v.is_finite())
                    .map(|p| p.0)
                    .unwrap_or(0);
                let mut d = format!("series {name:?} only in {side}");
                if list.len() > 1 {
                    let _ = write!(d, " ({} series with this name on that side)", list.len());
                }
                let _ = write!(d, "; its first value: {}", describe_time(first));
                problems.push((name.to_string(), i64::MIN, d));
            }
        }
    }
    problems.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    v.first_disagreement = problems.into_iter().next().map(|p| p.2);
    v.agree = v.disagreements == 0;
    v
}

/// Checks of `legend` and [`compare`] themselves, run by the harness before any panel (the
/// harness has no test runner): a comparison that cannot fail would make every panel pass.
pub fn self_check() -> Result<(), String> {
    let labels: BTreeMap<String, String> = [("instance", "mm-node-1"), ("origin_client", "web")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let cases = [
        ("{{instance}}", "mm-node-1"),
        ("Total - {{ origin_client }}", "Total - web"),
        ("{{instance}} - {{ origin_client}}", "mm-node-1 - web"),
        ("p99-{{instance}}", "p99-mm-node-1"),
        ("Total", "Total"),
        ("{{method}}", ""),
        ("a {{ missing }} b", "a  b"),
        ("{{instance", "{{instance"),
    ];
    for (t, want) in cases {
        // The naming both sides share (Grafana's renderLegendFormat, plus
        // the labels a legend leaves out, none here).
        let got = mattermost_metrics::dashboard::legend_text(t, &[], &labels);
        if got != want {
            return Err(format!("legend_text({t:?}) = {got:?}, want {want:?}"));
        }
    }
    let s = |name: &str, pts: &[(i64, f64)]| NamedSeries {
        name: name.into(),
        points: pts.to_vec(),
    };
    let base = [
        s("a", &[(60, 1.0), (120, 2.0)]),
        s("b", &[(60, 0.0), (120, f64::NAN)]),
    ];
    /// (what, actual, known, should agree, points compared).
    type Case<'a> = (&'a str, Vec<NamedSeries>, Vec<Known>, bool, usize);
    let checks: Vec<Case> = vec![
        ("identical", base.to_vec(), vec![], true, 3),
        (
            "within 1e-9",
            vec![s("a", &[(60, 1.0 + 1e-12), (120, 2.0)]), base[1].clone()],
            vec![],
            true,
            3,
        ),
        (
            "off by 1e-6",
            vec![s("a", &[(60, 1.000_001), (120, 2.0)]), base[1].clone()],
            vec![],
            false,
            3,
        ),
        (
            "missing point",
            vec![s("a", &[(60, 1.0)]), base[1].clone()],
            vec![],
            false,
            2,
        ),
        (
            "extra point",
            vec![base[0].clone(), s("b", &[(60, 0.0), (120, 5.0)])],
            vec![],
            false,
            3,
        ),
        ("missing series", vec![base[0].clone()], vec![], false, 2),
        (
            "extra series",
            vec![base[0].clone(), base[1].clone(), s("c", &[(60, 1.0)])],
            vec![],
            false,
            3,
        ),
        (
            "extra empty series",
            vec![base[0].clone(), base[1].clone(), s("c", &[(60, f64::NAN)])],
            vec![],
            true,
            3,
        ),
        (
            "known skip",
            vec![s("a", &[(60, 9.0), (120, 2.0)]), base[1].clone()],
            vec![Known {
                series: Some("a".into()),
                from_s: 60,
                to_s: 60,
                reason: "test".into(),
            }],
            true,
            2,
        ),
        (
            "known other series",
            vec![s("a", &[(60, 9.0), (120, 2.0)]), base[1].clone()],
            vec![Known {
                series: Some("b".into()),
                from_s: 0,
                to_s: 999,
                reason: "test".into(),
            }],
            false,
            2,
        ),
    ];
    for (what, actual, known, want_agree, want_compared) in checks {
        let v = compare(&base, &actual, &Bounds::NONE, &known);
        if v.agree != want_agree || v.compared != want_compared {
            return Err(format!(
                "compare self-check {what:?}: agree={} compared={} (want {want_agree}, {want_compared}); {:?}",
                v.agree, v.compared, v.first_disagreement
            ));
        }
        if !v.agree && v.first_disagreement.is_none() {
            return Err(format!(
                "compare self-check {what:?}: disagreement without a description"
            ));
        }
    }
    let k = Known::around(None, 1_000, 300, 60, "r");
    if (k.from_s, k.to_s) != (1_020, 1_260) {
        return Err(format!(
            "Known::around(1000, 300, 60) = {}..={}, want 1020..=1260",
            k.from_s, k.to_s
        ));
    }
    // Same-named series pair up whatever their order.
    let e = [s("x", &[(60, 1.0)]), s("x", &[(60, 2.0)])];
    let a = [s("x", &[(60, 2.0)]), s("x", &[(60, 1.0)])];
    if !compare(&e, &a, &Bounds::NONE, &[]).agree {
        return Err("compare self-check: same-named series in another order".into());
    }
    if compare(&e, &a[..1], &Bounds::NONE, &[]).agree {
        return Err("compare self-check: one of two same-named series missing".into());
    }
    // A rate-derived series: held to Splunk's definition's distance from Prometheus'.
    let e = [s(
        "r",
        &[(60, 1.0), (120, 2.0), (180, 3.0), (240, f64::NAN)],
    )];
    let def = [s(
        "r",
        &[(60, 1.2), (120, f64::NAN), (180, 3.0), (240, 4.0)],
    )];
    let edge = |t: i64| t == 180;
    let rate: BTreeSet<String> = ["r".to_string()].into_iter().collect();
    let b = Bounds {
        splunk_def: &def,
        rate_derived: &rate,
        edge: &edge,
    };
    for (what, ours, want) in [
        (
            "inside the bound",
            vec![(60, 1.15), (180, 3.0), (240, 4.0)],
            true,
        ),
        (
            "beyond the bound",
            vec![(60, 1.3), (180, 3.0), (240, 4.0)],
            false,
        ),
        (
            "on Prometheus' side of it",
            vec![(60, 0.9), (180, 3.0), (240, 4.0)],
            false,
        ),
        (
            "no rate where the definition has none",
            vec![(60, 1.2), (240, 4.0)],
            true,
        ),
        (
            "a point at the edge, if drawn, compared",
            vec![(60, 1.2), (180, 9.0), (240, 4.0)],
            false,
        ),
        (
            "where Prometheus has no rate: the definition's",
            vec![(60, 1.2), (240, 4.5)],
            false,
        ),
        // (Neither chart draws a point there.)
        (
            "where Prometheus has no rate: nothing",
            vec![(60, 1.2)],
            true,
        ),
    ] {
        let v = compare(&e, &[s("r", &ours)], &b, &[]);
        if v.agree != want {
            return Err(format!(
                "compare self-check {what:?}: agree={} (want {want}); {:?}",
                v.agree, v.first_disagreement
            ));
        }
    }
    Ok(())
}
