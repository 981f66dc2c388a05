//! Differential test: every panel of the performance dashboard, drawn by Prometheus 2.42 from
//! synthetic scrapes, and drawn by us (PromQL compiled to SPL, evaluated over the same scrapes
//! converted for Splunk), compared series by series and step by step.
//!
//! A program (`harness = false`), not a set of `#[test]`s: it needs one Prometheus for all
//! panels, reports per panel, and prints how long each phase takes. Run it with
//! `scripts/differential` (which installs Prometheus when missing) or
//! `cargo test --test differential`.
//!
//! Phases:
//! 1. generate the timeline (3 nodes x 3 h of 15 s scrapes, `support/differential/timeline.rs`);
//! 2. write it as OpenMetrics, build TSDB blocks with promtool, start a private prometheus;
//! 3. self-checks: the harness' own pieces (legend, comparison, variable substitution), the
//!    generated data (invariants, top-10 unambiguous), and Prometheus' answers against the rates
//!    the data was generated with: if these fail, panel verdicts would mean nothing;
//! 4. resolve the dashboard variables (`$server`, the top-10 query variables) with Prometheus;
//! 5. per panel: Prometheus' series (`query_range`, named by legend) vs `ours::panel_series`.
//!
//! Environment: `DIFFERENTIAL_SPEC` = another spec file; `DIFFERENTIAL_PANEL` = only panels
//! whose "row / title" contains this text; `DIFFERENTIAL_KEEP` = keep the Prometheus directory
//! under `target/differential/`; `DIFFERENTIAL_DUMP` = a directory to write a few scrape bodies
//! to (each node's first, node 2's first after the restart), to look at the data.

#[path = "support/differential/mod.rs"]
mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use harness::compare::{compare, describe_time, Known};
use harness::ours::{self, OursContext};
use harness::panels::{self, PanelPlan};
use harness::prometheus::{PromClient, Prometheus};
use harness::timeline::{self, Timeline};

/// Panels whose series are empty on both sides by construction, with the reason. A panel not
/// listed here whose expected and actual series are both empty fails: an empty comparison
/// proves nothing. (None today: the timeline feeds every metric of the 26 panels.)
const EMPTY_BY_CONSTRUCTION: &[(&str, &str)] = &[];

fn main() {
    let t0 = Instant::now();
    let code = match run() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("differential: error: {e:#}");
            2
        }
    };
    println!("total wall time: {:.2} s", t0.elapsed().as_secs_f64());
    std::process::exit(code);
}

/// Prints how long a phase took.
fn phase(name: &str, since: Instant) {
    println!("[{:>7.2} s] {name}", since.elapsed().as_secs_f64());
}

fn run() -> Result<bool> {
    // 1. Data.
    let t = Instant::now();
    let tl = Timeline::generate();
    phase("timeline generated", t);
    let body_bytes: usize = tl.scrapes.iter().map(|s| s.body.len()).sum();
    println!(
        "    {} nodes, {} scrapes ({} per node), {} series, {} samples, {:.1} MB of scrape bodies",
        tl.nodes.len(),
        tl.scrapes.len(),
        timeline::SCRAPES_PER_NODE,
        tl.series_count(),
        tl.sample_count(),
        body_bytes as f64 / 1e6
    );

    if let Some(dir) = std::env::var_os("DIFFERENTIAL_DUMP") {
        dump(&tl, Path::new(&dir))?;
    }

    let t = Instant::now();
    check_pure().context("self-check of the harness")?;
    check_timeline(&tl).context("self-check of the timeline")?;
    phase("self-checks without Prometheus passed", t);

    // 2. Reference engine.
    let t = Instant::now();
    let om = timeline::openmetrics(&tl);
    phase(
        &format!("OpenMetrics written ({:.1} MB)", om.len() as f64 / 1e6),
        t,
    );
    let t = Instant::now();
    let prom = Prometheus::start(&om)?;
    drop(om);
    println!(
        "[{:>7.2} s] Prometheus ready at {} (promtool {:.2} s, startup {:.2} s)",
        t.elapsed().as_secs_f64(),
        prom.base_url(),
        prom.promtool_time.as_secs_f64(),
        prom.startup_time.as_secs_f64()
    );

    // 3. Prometheus against the generated truth.
    let t = Instant::now();
    check_prometheus(&tl, &prom).context("self-check of Prometheus against the generated data")?;
    phase("self-checks against Prometheus passed", t);

    // 4. Spec and variables.
    let (spec_path, spec) = read_spec()?;
    println!("spec: {}", spec_path.display());
    let t = Instant::now();
    let variables = panels::resolve_variables(&spec, &tl.nodes, &prom)?;
    phase("variables resolved", t);
    for (k, v) in &variables {
        println!("    ${k} = {}", v.join(", "));
    }

    // 5. Panels.
    let filter = std::env::var("DIFFERENTIAL_PANEL").ok();
    let all = panels::panels(&spec)?;
    let mut total = 0;
    let mut agreeing = 0;
    let t_panels = Instant::now();
    for p in &all {
        let label = format!("{} / {}", p.row, p.title);
        if filter.as_deref().is_some_and(|f| !label.contains(f)) {
            continue;
        }
        total += 1;
        let t = Instant::now();
        match run_panel(p.json, &label, &tl, &prom, &variables) {
            Ok(PanelOutcome { ok, line, detail }) => {
                if ok {
                    agreeing += 1;
                }
                println!(
                    "{}  {label}  {line}  [{:.2} s]",
                    if ok { "ok  " } else { "FAIL" },
                    t.elapsed().as_secs_f64()
                );
                for d in detail {
                    println!("      {d}");
                }
            }
            Err(e) => println!("FAIL  {label}  error: {e:#}"),
        }
    }
    phase(&format!("{total} panels compared"), t_panels);
    println!("panels agreeing: {agreeing}/{total}");
    if total == 0 {
        bail!("no panel compared (spec empty, or DIFFERENTIAL_PANEL matched nothing)");
    }

    // 6. Negative controls: the same comparison must catch a search that
    // computes something else, or agreement above would prove nothing.
    let mut caught = 0;
    let mut tried = 0;
    if filter.is_none() {
        let t = Instant::now();
        for (title, what, from, to) in CONTROLS {
            let Some(p) = all.iter().find(|p| p.title == *title) else {
                continue;
            };
            tried += 1;
            let mutate = |s: String| {
                assert!(
                    s.contains(from),
                    "control {what:?}: the search of {title:?} has no {from:?}"
                );
                s.replacen(from, to, 1)
            };
            let plan: PanelPlan = panels::plan(p.json, &variables)?;
            let expected = panels::expected_series(&prom, &plan)?;
            let ctx = OursContext {
                scrapes: &tl.scrapes,
                step_s: plan.step_s,
                start_s: plan.start_s,
                end_s: plan.end_s,
                nodes: tl.nodes.clone(),
                variables: variables.clone(),
            };
            let verdict = ours::panel_series_mutated(p.json, &ctx, &mutate)
                .map(|actual| compare(&expected, &actual, &ours::known_differences(p.json, &ctx)));
            let noticed = !matches!(&verdict, Ok(v) if v.agree);
            if noticed {
                caught += 1;
            }
            println!(
                "{}  control: {what} ({title})",
                if noticed { "caught" } else { "MISSED" }
            );
        }
        phase(&format!("{tried} negative controls"), t);
        println!("controls caught: {caught}/{tried}");
    }
    Ok(agreeing == total && caught == tried)
}

/// Mistakes a compiler could make, planted in one panel's search each:
/// (panel, what, text replaced, replacement). Each must make its panel
/// disagree with Prometheus.
const CONTROLS: &[(&str, &str, &str, &str)] = &[
    (
        "Websocket Buffer Size",
        "a gauge averaged over the bucket instead of its last sample",
        "latest(",
        "avg(",
    ),
    (
        "Websocket Broadcasts",
        "the rate of all nodes' samples together instead of the sum of per-series rates",
        "rate_sum(",
        "rate(",
    ),
    (
        "Websocket Reconnects",
        "increase over 1 minute where PromQL asks for 10",
        "value * 600",
        "value * 60",
    ),
    (
        "API Latency",
        "the median where Grafana asks for p99",
        "quantile(0.99,",
        "quantile(0.5,",
    ),
    (
        "Top 10 DB Calls by Count",
        "every method instead of the top 10",
        " AND $top_db_count$",
        "",
    ),
    (
        "Goroutines",
        "the Total as the average instead of the sum",
        "stats sum(value)",
        "stats avg(value)",
    ),
];

struct PanelOutcome {
    ok: bool,
    /// `(n points, k known)`.
    line: String,
    /// Lines explaining a failure (and which known differences were used).
    detail: Vec<String>,
}

fn run_panel(
    panel: &Value,
    label: &str,
    tl: &Timeline,
    prom: &Prometheus,
    variables: &BTreeMap<String, Vec<String>>,
) -> Result<PanelOutcome> {
    let plan: PanelPlan = panels::plan(panel, variables)?;
    let expected = panels::expected_series(prom, &plan)?;
    let ctx = OursContext {
        scrapes: &tl.scrapes,
        step_s: plan.step_s,
        start_s: plan.start_s,
        end_s: plan.end_s,
        nodes: tl.nodes.clone(),
        variables: variables.clone(),
    };
    let actual = ours::panel_series(panel, &ctx).context("ours::panel_series")?;
    let known: Vec<Known> = ours::known_differences(panel, &ctx);
    let v = compare(&expected, &actual, &known);
    let line = format!(
        "({} points, {} known)  step {} s",
        v.compared, v.skipped, plan.step_s
    );
    let mut detail = Vec::new();
    let empty_reason = EMPTY_BY_CONSTRUCTION
        .iter()
        .find(|(title, _)| label.ends_with(title))
        .map(|(_, r)| *r);
    let finite = |s: &[harness::compare::NamedSeries]| {
        s.iter().any(|s| s.points.iter().any(|p| p.1.is_finite()))
    };
    let mut ok = v.agree;
    if let Some(d) = &v.first_disagreement {
        detail.push(format!(
            "first disagreement: {d} ({} disagreeing steps or series)",
            v.disagreements
        ));
    }
    if !finite(&expected) && !finite(&actual) {
        match empty_reason {
            Some(r) => detail.push(format!("empty on both sides by construction: {r}")),
            None => {
                ok = false;
                detail.push("no value on either side: an empty comparison proves nothing".into());
            }
        }
    } else if v.compared < plan.steps() {
        // At least one full series' worth of compared points: skipping (known) or losing most
        // of a panel must not turn into a pass.
        ok = false;
        detail.push(format!(
            "only {} points compared; at least {} (one per step) required",
            v.compared,
            plan.steps()
        ));
    }
    for r in &v.known_used {
        detail.push(format!("known difference: {r}"));
    }
    Ok(PanelOutcome { ok, line, detail })
}

/// Writes a few scrape bodies to `dir` (see `DIFFERENTIAL_DUMP`).
fn dump(tl: &Timeline, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let after_restart = tl.scrapes.iter().find(|s| {
        s.node == timeline::NODES[timeline::RESTART_NODE]
            && s.time_ms / 1000 > timeline::RESTART_AT_S
    });
    for s in tl.scrapes.iter().take(tl.nodes.len()).chain(after_restart) {
        let path = dir.join(format!("{}-{}.prom", s.node, s.time_ms / 1000));
        std::fs::write(&path, &s.body).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("    scrape bodies written to {}", dir.display());
    Ok(())
}

fn read_spec() -> Result<(PathBuf, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = match std::env::var_os("DIFFERENTIAL_SPEC") {
        Some(p) => PathBuf::from(p),
        None => root.join("dashboards/specs/mattermost_performance_monitoring.json"),
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let spec =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok((path, spec))
}

// ---------------------------------------------------------------------------------------------
// Self-checks
// ---------------------------------------------------------------------------------------------

fn check_pure() -> Result<()> {
    harness::compare::self_check().map_err(|e| anyhow!(e))?;
    harness::panels::self_check().map_err(|e| anyhow!(e))?;
    Ok(())
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(anyhow!(msg()))
    }
}

/// Invariants of the generated data, independent of any engine.
fn check_timeline(tl: &Timeline) -> Result<()> {
    use timeline::*;
    ensure(tl.scrapes.len() == SCRAPES_PER_NODE * NODES.len(), || {
        "scrape count".into()
    })?;
    for w in tl.scrapes.windows(2) {
        ensure(w[0].time_ms <= w[1].time_ms, || {
            "scrapes not in time order".into()
        })?;
    }
    for s in &tl.scrapes {
        let t = s.time_ms / 1000;
        ensure(
            t % 60 != 0 && (t - START_S - SCRAPE_OFFSET_S) % SCRAPE_INTERVAL_S == 0,
            || format!("scrape time {t} on a minute boundary or off the 15 s grid"),
        )?;
    }
    // Counters never go down, except at node 2's restart, where they all restart low.
    let restart_k = (0..SCRAPES_PER_NODE)
        .find(|&k| scrape_time_s(k) >= RESTART_AT_S)
        .ok_or_else(|| anyhow!("restart after the data"))?;
    for f in &tl.families {
        for s in &f.series {
            if f.kind == Kind::Gauge {
                continue;
            }
            for k in 1..s.values.len() {
                let (a, b) = (s.values[k - 1], s.values[k]);
                let reset = s.node == RESTART_NODE && k == restart_k;
                ensure(if reset { b < a || a == 0.0 } else { b >= a }, || {
                    format!("{} on {}: {a} -> {b} at scrape {k}", s.name, NODES[s.node])
                })?;
            }
        }
        // Histograms: cumulative buckets, +Inf == count, one child = 12 buckets + sum + count.
        if f.kind == Kind::Histogram {
            for child in f.series.chunks(14) {
                ensure(
                    child[11].le.as_deref() == Some("+Inf") && child[13].name.ends_with("_count"),
                    || format!("{}: histogram child layout", f.name),
                )?;
                for k in 0..SCRAPES_PER_NODE {
                    for i in 1..12 {
                        ensure(child[i].values[k] >= child[i - 1].values[k], || {
                            format!("{}: buckets not cumulative", f.name)
                        })?;
                    }
                    ensure(child[11].values[k] == child[13].values[k], || {
                        format!("{}: +Inf != count", f.name)
                    })?;
                }
            }
        }
    }
    // The bodies are valid text format (checked with the prometheus-parse crate on a few).
    for s in [
        &tl.scrapes[0],
        &tl.scrapes[restart_k * NODES.len() + RESTART_NODE],
        tl.scrapes.last().expect("scrapes"),
    ] {
        let lines = s.body.lines().map(|l| Ok(l.to_string()));
        let parsed = prometheus_parse::Scrape::parse(lines)
            .with_context(|| format!("parsing the body of {} at {}", s.node, s.time_ms))?;
        let expected = tl
            .families
            .iter()
            .flat_map(|f| &f.series)
            .filter(|x| NODES[x.node] == s.node)
            .count();
        ensure(!parsed.samples.is_empty(), || "no sample parsed".into())?;
        // prometheus-parse folds a histogram child's buckets into one sample, and keeps its
        // `_sum` and `_count` as two more.
        let folded: usize = tl
            .families
            .iter()
            .map(|f| {
                let n = f.series.iter().filter(|x| NODES[x.node] == s.node).count();
                if f.kind == Kind::Histogram {
                    n / 14 * 3
                } else {
                    n
                }
            })
            .sum();
        ensure(parsed.samples.len() == folded, || {
            format!(
                "{} at {}: parsed {} samples, generated {expected} series ({folded} folded)",
                s.node,
                s.time_ms,
                parsed.samples.len()
            )
        })?;
    }
    // The top-10 variables are unambiguous: distinct totals, a clear gap after the 10th.
    for (family, label) in [
        ("mattermost_db_store_time", "method"),
        ("mattermost_api_time", "handler"),
    ] {
        let totals = true_totals(tl, family, label);
        for (what, values) in [("count", &totals.0), ("mean duration", &totals.1)] {
            let mut v: Vec<(&String, &f64)> = values.iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(a.1));
            ensure(v.len() >= 12, || {
                format!("{family}: only {} {label}s", v.len())
            })?;
            for w in v.windows(2) {
                ensure(*w[0].1 > *w[1].1 * 1.03, || {
                    format!(
                        "{family} by {what}: {} ({}) and {} ({}) within 3%",
                        w[0].0, w[0].1, w[1].0, w[1].1
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// Per `label` value of histogram `family`, over the whole data: (total observations, mean
/// duration), from the generated rates (restart ignored: it changes all totals alike).
fn true_totals(
    tl: &Timeline,
    family: &str,
    label: &str,
) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut count: BTreeMap<String, f64> = BTreeMap::new();
    let mut sum: BTreeMap<String, f64> = BTreeMap::new();
    let value = |s: &timeline::Series| {
        s.labels
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    for (name, acc) in [
        (format!("{family}_count"), &mut count),
        (format!("{family}_sum"), &mut sum),
    ] {
        for s in tl.series_named(&name) {
            let total: f64 = s
                .rates
                .expect("histogram rates")
                .iter()
                .map(|r| r * timeline::SEGMENT_S as f64)
                .sum();
            *acc.entry(value(s)).or_default() += total;
        }
    }
    let mean = count.iter().map(|(k, c)| (k.clone(), sum[k] / c)).collect();
    (count, mean)
}

fn instant(prom: &PromClient, expr: &str, t: i64) -> Result<f64> {
    let r = prom.query(expr, t)?;
    ensure(r.len() == 1 && r[0].points.len() == 1, || {
        format!("{expr} at {t}: expected one value, got {r:?}")
    })?;
    Ok(r[0].points[0].1)
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-12)
}

/// Prometheus' answers against the rates the data was generated with.
fn check_prometheus(tl: &Timeline, prom: &Prometheus) -> Result<()> {
    use timeline::*;
    // Every series loaded (nothing dropped by retention or by the parser).
    let n = instant(prom, "count({job=\"mattermost\"})", END_S - 1)?;
    ensure(n as usize == tl.series_count(), || {
        format!(
            "Prometheus has {n} series, the timeline {}",
            tl.series_count()
        )
    })?;

    // A rate inside a segment is exact: window (2400, 2700] lies in segment 1.
    let t = START_S + 2700;
    let got = instant(prom, "sum(rate(mattermost_http_requests_total[5m]))", t)?;
    let want = tl.true_rate("mattermost_http_requests_total", 1, |_| true);
    ensure(rel_close(got, want, 1e-9), || {
        format!(
            "sum(rate(http_requests[5m])) at {}: {got}, generated {want}",
            describe_time(t)
        )
    })?;
    let got = instant(prom, "sum(rate(mattermost_api_time_sum[5m]))", t)?;
    let want = tl.true_rate("mattermost_api_time_sum", 1, |_| true);
    ensure(rel_close(got, want, 1e-6), || {
        format!("sum(rate(api_time_sum[5m])): {got}, generated {want}")
    })?;

    // Across node 2's restart the rate stays sane: Prometheus counts the first value after the
    // reset as the increase, losing the 8 s between the last scrape and the restart (8/285 of
    // the window's increase), so within 5% of the generated rate, and never negative.
    let t = START_S + 5700;
    let expr = format!(
        "rate(mattermost_http_requests_total{{instance=\"{}\"}}[5m])",
        NODES[RESTART_NODE]
    );
    let got = instant(prom, &expr, t)?;
    let want = tl.true_rate("mattermost_http_requests_total", 3, |s| {
        s.node == RESTART_NODE
    });
    ensure(got > 0.0 && rel_close(got, want, 0.05), || {
        format!("{expr} across the restart: {got}, generated {want}")
    })?;
    // ... and the start time gauge moved.
    let before = instant(
        prom,
        &format!(
            "mattermost_process_start_time_seconds{{instance=\"{}\"}}",
            NODES[RESTART_NODE]
        ),
        RESTART_AT_S - 30,
    )?;
    let after = instant(
        prom,
        &format!(
            "mattermost_process_start_time_seconds{{instance=\"{}\"}}",
            NODES[RESTART_NODE]
        ),
        RESTART_AT_S + 30,
    )?;
    ensure(
        after > before && (after - RESTART_AT_S as f64).abs() < 1.0,
        || format!("start time {before} -> {after}"),
    )?;

    // Latency climbs in the slow segment: API p99 about 0.19 s before, about 2.4 s during.
    let q = "histogram_quantile(0.99, sum by (le) (rate(mattermost_api_time_bucket[5m])))";
    let normal = instant(prom, q, START_S + 900)?;
    let slow = instant(prom, q, START_S + SLOW_SEGMENT as i64 * SEGMENT_S + 900)?;
    ensure(normal < 0.3 && slow > 1.0, || {
        format!("API p99: {normal} s normally, {slow} s in the slow segment")
    })?;

    // The top-10 variables pick the ten the data was built to have on top.
    for (family, label) in [
        ("mattermost_db_store_time", "method"),
        ("mattermost_api_time", "handler"),
    ] {
        let (count, mean) = true_totals(tl, family, label);
        let top = |m: &BTreeMap<String, f64>| -> BTreeSet<String> {
            let mut v: Vec<(&String, &f64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(a.1));
            v.into_iter().take(10).map(|(k, _)| k.clone()).collect()
        };
        let range = format!("{}s", END_S - START_S);
        let by_count = format!("topk(10, sum(increase({family}_count[{range}])) by ({label}))");
        let by_mean = format!(
            "topk(10, sum(increase({family}_sum[{range}])) by ({label}) / sum(increase({family}_count[{range}])) by ({label}))"
        );
        for (expr, want) in [(by_count, top(&count)), (by_mean, top(&mean))] {
            let got: BTreeSet<String> = prom
                .query(&expr, END_S)?
                .iter()
                .filter_map(|s| s.labels.get(label).cloned())
                .collect();
            ensure(got == want, || {
                format!("{expr}: Prometheus chose {got:?}, the data was built for {want:?}")
            })?;
        }
    }
    Ok(())
}
