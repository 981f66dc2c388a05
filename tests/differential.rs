//! Differential test: every panel of the nine dashboards, drawn by Prometheus 2.42 from
//! synthetic scrapes, and drawn by us (PromQL compiled to SPL, evaluated over the same scrapes
//! converted for Splunk), compared series by series and step by step.
//!
//! A program (`harness = false`), not a set of `#[test]`s: it needs Prometheus for all
//! panels, reports per panel, and prints how long each phase takes. Run it with
//! `scripts/differential` (which installs Prometheus when missing) or
//! `cargo test --test differential`.
//!
//! Phases:
//! 1. generate the timeline (14 endpoints on 6 hosts x 3 h of 15 s scrapes,
//!    `crates/differential-harness/src/timeline.rs`);
//! 2. write it as OpenMetrics, build TSDB blocks with promtool, start one private prometheus
//!    for the servers and one for the Calls endpoints;
//! 3. self-checks: the harness' own pieces (naming, comparison, variable substitution), the
//!    generated data (invariants, every charted family served, top-10 unambiguous), and
//!    Prometheus' answers against the rates and quantiles the data was generated with: if these
//!    fail, panel verdicts would mean nothing;
//! 4. per dashboard spec: resolve its variables with Prometheus, then per panel Prometheus'
//!    series (`crates/differential-harness/src/dashboards.rs`) vs `ours::panel_series`;
//! 5. negative controls: mistakes planted in a panel's search must be caught.
//!
//! Environment: `DIFFERENTIAL_SPEC` = one spec file; `DIFFERENTIAL_PANEL` = only panels
//! whose "dashboard / row / title" contains this text; `DIFFERENTIAL_KEEP` = keep the Prometheus directory
//! under `target/differential/`; `DIFFERENTIAL_DUMP` = a directory to write a few scrape bodies
//! to (each endpoint's first, and those of mm-node-2's endpoints first after its restart), to
//! look at the data; `DIFFERENTIAL_PANELS_OUT` = a directory to write each compared panel's
//! series to, both sides, as JSON named after its "dashboard / row / title" (the negative
//! controls' planted mistakes after the bare title); `scripts/readme-charts` draws the
//! README's charts from them.

use differential_harness as harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};

use harness::compare::{compare, describe_time, Bounds, Known};
use harness::dashboards::{self, Side, TimeRange, VarValue};
use harness::ours::{self, OursContext};
use harness::prometheus::Prometheus;
use harness::spl;
use harness::timeline::{self, Timeline};
use mattermost_metrics::dashboard::{Panel, Spec};

/// Panels whose series are empty on both sides by construction, with the reason. A panel not
/// listed here whose expected and actual series are both empty fails: an empty comparison
/// proves nothing. (None today: the timeline feeds every metric of the 153 panels.)
const EMPTY_BY_CONSTRUCTION: &[(&str, &str)] = &[];

fn main() {
    harness::program("differential", run)
}

use harness::phase;

fn run() -> Result<bool> {
    // 1. Data.
    let t = Instant::now();
    let tl = Timeline::generate();
    phase("timeline generated", t);
    let body_bytes: usize = tl.scrapes.iter().map(|s| s.body.len()).sum();
    println!(
        "    {} endpoints on {} hosts, {} scrapes ({} per endpoint), {} series, {} samples, {:.1} MB of scrape bodies",
        timeline::ENDPOINTS.len(),
        timeline::HOSTS.len(),
        tl.scrapes.len(),
        timeline::SCRAPES_PER_ENDPOINT,
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

    // 2. Reference engine: all the data for the self-checks, then one
    // Prometheus per kind of dashboard (see timeline::openmetrics_of).
    let t = Instant::now();
    // The two promtool runs (most of this phase) side by side, one per core.
    let (server_prom, calls_prom) = std::thread::scope(|scope| {
        let server = scope.spawn(|| {
            Prometheus::start(&timeline::openmetrics_of(&tl, &|job| {
                job == timeline::JOB_MATTERMOST
            }))
        });
        let calls = Prometheus::start(&timeline::openmetrics_of(&tl, &|job| {
            job != timeline::JOB_MATTERMOST
        }));
        (server.join().expect("the server Prometheus' thread"), calls)
    });
    let (server_prom, calls_prom) = (server_prom?, calls_prom?);
    phase(
        &format!(
            "Prometheus for the server endpoints and for the Calls endpoints ready (promtool {:.2} s)",
            (server_prom.promtool_time + calls_prom.promtool_time).as_secs_f64()
        ),
        t,
    );
    // 3. Prometheus against the generated truth (every endpoint is in one of the two).
    let t = Instant::now();
    check_prometheus(&tl, &[&server_prom, &calls_prom])
        .context("self-check of Prometheus against the generated data")?;
    phase("self-checks against Prometheus passed", t);

    // 4. Specs, and per spec and time range its variables and panels.
    let specs = read_specs()?;
    let filter = std::env::var("DIFFERENTIAL_PANEL").ok();
    let ranges: Vec<TimeRange> = timeline::RANGES_S
        .iter()
        .map(|&r| TimeRange::last(r))
        .collect();
    let mut spans = Vec::new();
    for r in &ranges {
        let tokens = ours::span_tokens(&tl.scrapes, *r)?;
        println!(
            "range {} ({} .. {}): the dashboards' span search sets {tokens:?}",
            r.label(),
            describe_time(r.earliest_s),
            describe_time(r.latest_s)
        );
        spans.push(tokens);
    }
    let mut total = 0;
    let mut agreeing = 0;
    let t_panels = Instant::now();
    type Resolved<'a> = (&'a Spec, &'a Prometheus, Vec<BTreeMap<String, VarValue>>);
    let mut resolved: Vec<Resolved> = Vec::new();
    for spec in &specs {
        let prom: &Prometheus = if spec.instance_ports.is_empty() {
            &server_prom
        } else {
            &calls_prom
        };
        let mut per_range = Vec::new();
        for r in &ranges {
            per_range.push(
                dashboards::resolve(spec, &tl, prom, *r)
                    .with_context(|| format!("variables of {} over {}", spec.id, r.label()))?,
            );
        }
        println!("{} ({} panels)", spec.label, spec.panels().count());
        for (k, v) in &per_range[1] {
            println!("    ${k} = {} (6h)", v.values.join(", "));
        }
        let mut work: Vec<(String, &Panel)> = Vec::new();
        for row in &spec.rows {
            for p in &row.panels {
                let label = if row.title.is_empty() {
                    format!("{} / {}", spec.label, p.title)
                } else {
                    format!("{} / {} / {}", spec.label, row.title, p.title)
                };
                if filter.as_deref().is_none_or(|f| label.contains(f)) {
                    work.push((label, p));
                }
            }
        }
        // Each panel over every range, on as many threads as the machine has cores (the
        // evaluator and the two Prometheus answer in parallel), printed in the spec's order.
        let judge = |label: &str, p: &Panel| -> (bool, Vec<String>, f64) {
            let t = Instant::now();
            let mut ok_all = true;
            let mut lines = Vec::new();
            for ((r, span), vars) in ranges.iter().zip(&spans).zip(&per_range) {
                let basis = spl::RateBasis::default();
                match run_panel(
                    spec,
                    p,
                    label,
                    &tl,
                    prom,
                    vars,
                    *r,
                    span,
                    basis,
                    false,
                    &|s| s,
                ) {
                    Ok(PanelOutcome {
                        ok, line, detail, ..
                    }) => {
                        ok_all &= ok;
                        lines.push(format!("{:>3} {line}", r.label()));
                        if !ok {
                            lines.extend(detail.into_iter().map(|d| format!("    {d}")));
                        }
                    }
                    Err(e) => {
                        ok_all = false;
                        lines.push(format!("{:>3} error: {e:#}", r.label()));
                    }
                }
            }
            (ok_all, lines, t.elapsed().as_secs_f64())
        };
        let outcomes = in_parallel(&work, |(label, p)| judge(label, p));
        for ((label, _), (ok_all, lines, secs)) in work.iter().zip(outcomes) {
            total += 1;
            if ok_all {
                agreeing += 1;
            }
            println!(
                "{}  {label}  [{secs:.2} s]",
                if ok_all { "ok  " } else { "FAIL" }
            );
            for l in lines {
                println!("      {l}");
            }
        }
        resolved.push((spec, prom, per_range));
    }
    phase(
        &format!("{total} panels compared over {} ranges", ranges.len()),
        t_panels,
    );
    println!("panels agreeing: {agreeing}/{total}");
    if total == 0 {
        bail!("no panel compared (spec empty, or DIFFERENTIAL_PANEL matched nothing)");
    }

    // 4b. Splunk's docs leave open what the first bucket of a search takes as its rate basis
    // (spl::RateBasis); the verdict above is under the evaluator's default reading. Under the
    // others, over the shortest range (where one bucket weighs most), which panels differ and
    // by how much: docs/promql.md, "Known semantic differences".
    if filter.is_none() {
        let t = Instant::now();
        let (range, span) = (ranges[0], &spans[0]);
        for basis in spl::RateBasis::ALL
            .into_iter()
            .filter(|b| *b != spl::RateBasis::default())
        {
            let work: Vec<(&Resolved, &Panel)> = resolved
                .iter()
                .flat_map(|r| r.0.panels().map(move |p| (r, p)))
                .collect();
            let outcomes = in_parallel(&work, |((spec, prom, vars), p)| {
                run_panel(
                    spec,
                    p,
                    &p.title,
                    &tl,
                    prom,
                    &vars[0],
                    range,
                    span,
                    basis,
                    false,
                    &|s| s,
                )
            });
            let mut agree = 0;
            let mut differ = Vec::new();
            for (((spec, _, _), p), o) in work.iter().zip(outcomes) {
                let o = o?;
                if o.ok {
                    agree += 1;
                } else {
                    differ.push(format!(
                        "{} / {}: largest difference {:.2e}",
                        spec.label, p.title, o.largest_bad
                    ));
                }
            }
            println!(
                "reading {basis:?} ({}): {agree}/{total} panels agree",
                range.label()
            );
            for d in differ {
                println!("    differs: {d}");
            }
        }
        phase("the other readings of the rate basis", t);
    }

    // 5. Negative controls: the same comparison must catch a search that
    // computes something else, or agreement above would prove nothing.
    let mut caught = 0;
    let mut tried = 0;
    if filter.is_none() {
        let t = Instant::now();
        // Over 6 hours, at the dashboards' span for it.
        let (range, span) = (ranges[1], &spans[1]);
        for (spec_id, title, what, from, to) in CONTROLS.iter().chain(PICKER_CONTROLS) {
            let picker = PICKER_CONTROLS.iter().any(|c| c.2 == *what);
            let Some((spec, prom, vars, p)) = resolved.iter().find_map(|(s, prom, vars)| {
                let vars = &vars[1];
                (s.id == *spec_id)
                    .then(|| {
                        s.panels()
                            .find(|p| p.title == *title)
                            .map(|p| (*s, *prom, vars, p))
                    })
                    .flatten()
            }) else {
                bail!("control {what:?}: no panel {title:?} in {spec_id}");
            };
            tried += 1;
            let mutate = |s: String| {
                assert!(
                    s.contains(from),
                    "control {what:?}: the search of {title:?} has no {from:?}"
                );
                s.replace(from, to)
            };
            let noticed = !matches!(
                run_panel(
                    spec,
                    p,
                    title,
                    &tl,
                    prom,
                    vars,
                    range,
                    span,
                    spl::RateBasis::default(),
                    picker,
                    &mutate
                ),
                Ok(PanelOutcome { ok: true, .. })
            );
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

/// A mistake a compiler could make, planted in one panel's search: (dashboard, panel, what,
/// text replaced everywhere in the search, replacement). Each must make its panel disagree
/// with Prometheus.
type Control = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Mistakes a compiler could make, planted in one panel's search each (see [`Control`]).
const CONTROLS: &[Control] = &[
    (
        "mattermost_performance_monitoring",
        "CPU Utilization Percentage",
        "each bucket's rate from its own samples, ignoring the previous timespan's basis",
        "rate_sum(mattermost_process_cpu_seconds_total)",
        "rate(mattermost_process_cpu_seconds_total)",
    ),
    (
        "mattermost_performance_monitoring",
        "Websocket Buffer Size",
        "a gauge averaged over the bucket instead of its last sample",
        "latest(",
        "avg(",
    ),
    (
        "mattermost_performance_monitoring",
        "Websocket Broadcasts",
        "the rate of all nodes' samples together instead of the sum of per-series rates",
        "rate_sum(",
        "rate(",
    ),
    (
        "mattermost_performance_monitoring",
        "Websocket Reconnects",
        "increase over 1 minute where PromQL asks for 10",
        "value * 600",
        "value * 60",
    ),
    (
        "mattermost_performance_monitoring",
        "API Latency",
        "the median where Grafana asks for p99",
        "quantile(0.99,",
        "quantile(0.5,",
    ),
    (
        "mattermost_performance_monitoring",
        "Top 10 DB Calls by Count",
        "every method instead of the top 10",
        " AND $top_db_count$",
        "",
    ),
    (
        "mattermost_performance_monitoring",
        "Goroutines",
        "the Total as the average instead of the sum",
        "stats sum(value)",
        "stats avg(value)",
    ),
    (
        "mattermost_notification_health",
        "Websocket Sent vs. Not Sent",
        "a stat's last value where Grafana shows the change over the range",
        "eval value=value - first_value",
        "eval value=value",
    ),
    (
        "mattermost_calls_performance",
        "Memory Usage",
        "node_exporter's series of every host where the panel asks for rtcd's",
        "$rtcd$ AND job=\"node\"",
        "job=\"node\"",
    ),
];

/// Mistakes planted in a chart's search that also run it over the time picker's range as it
/// is, not from `$chart_earliest$`: the search as it was before whole buckets.
const PICKER_CONTROLS: &[Control] = &[(
    "mattermost_notification_health",
    "Websocket Sent vs. Not Sent",
    "a change over the range that keeps the partial first (and last) bucket",
    "_time >= info_min_time + max($span_s$, 300 - $span_s$) AND _time + $span_s$ <= if(isnum(info_max_time), info_max_time, now())",
    "_time >= info_min_time",
)];

/// `f` of every item, on one thread per core, in the items' order.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                *results[i].lock().expect("a result slot") = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("a result slot")
                .expect("every item done")
        })
        .collect()
}

struct PanelOutcome {
    ok: bool,
    /// The largest relative difference of a disagreeing step (0 when none).
    largest_bad: f64,
    /// `(n points, k known)`.
    line: String,
    /// Lines explaining a failure (and which known differences were used).
    detail: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn run_panel(
    spec: &Spec,
    panel: &Panel,
    label: &str,
    tl: &Timeline,
    prom: &Prometheus,
    vars: &BTreeMap<String, VarValue>,
    range: TimeRange,
    span_tokens: &BTreeMap<String, String>,
    rate_basis: spl::RateBasis,
    picker_earliest: bool,
    mutate: &dyn Fn(String) -> String,
) -> Result<PanelOutcome> {
    let span: i64 = span_tokens["span_s"].parse()?;
    let plan = dashboards::plan(spec, panel, vars, range, span)?;
    // (With the names of the series drawn from a rate-derived target: held to the rate
    // definitions' band.)
    let (expected, rate_derived) =
        dashboards::drawn(prom, spec, panel, &plan, vars, Side::Prometheus)?;
    let (splunk_def, _) =
        dashboards::drawn(prom, spec, panel, &plan, vars, Side::SplunkDefinition)?;
    let ctx = OursContext {
        scrapes: &tl.scrapes,
        step_s: plan.step_s,
        span_tokens,
        start_s: plan.start_s,
        end_s: plan.end_s,
        range,
        rate_basis,
        picker_earliest,
        tokens: vars.values().filter_map(|v| v.token.clone()).collect(),
    };
    let actual = ours::panel_series(spec, panel, &ctx, mutate).context("ours::panel_series")?;
    // No step is skipped as a known difference: where the engines' definitions differ, the
    // difference is bounded (`Bounds`), not skipped.
    let known: &[Known] = &[];
    // (Over the dashboards' default range, `-6h`, under the default reading.)
    let default_view = range.len_s() == 6 * 3600 && rate_basis == spl::RateBasis::default();
    if let Some(dir) = std::env::var_os("DIFFERENTIAL_PANELS_OUT").filter(|_| default_view) {
        write_panel(Path::new(&dir), label, &plan, &expected, &actual)?;
    }
    // A one-number panel is compared at the range's end only: no edge there.
    let edge = |t: i64| !panel.kind.reduces() && plan.is_edge(t);
    let bounds = Bounds {
        splunk_def: &splunk_def,
        rate_derived: &rate_derived,
        edge: &edge,
    };
    let v = compare(&expected, &actual, &bounds, known);
    let mut line = format!(
        "step {} s: {} points, {} edge, {} without a Splunk rate, {} without a Prometheus rate, {} without a basis",
        plan.step_s, v.compared, v.edges, v.no_splunk_rate, v.no_prometheus_rate, v.no_basis
    );
    if !v.largest.series.is_empty() {
        line.push_str(&format!(
            "; largest difference {:.2e} (held to {:.2e}) in {:?} at {}",
            v.largest.diff,
            v.largest.bound,
            v.largest.series,
            describe_time(v.largest.t_s)
        ));
    }
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
    // A panel of one number per series compares one point per series; a time chart at least
    // one point at every step where Grafana draws one inside the range (a step where it draws
    // one and ours does not is a disagreement already; this catches a chart compared on
    // nothing).
    let needed = if panel.kind.reduces() {
        // (A whole-range rate over a range whose data starts inside it has no basis: counted
        // apart, as a chart's steps are.)
        1usize.saturating_sub(v.no_basis + v.no_splunk_rate)
    } else {
        let drawn: BTreeSet<i64> = expected
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.1.is_finite() && !plan.is_edge(p.0))
            .map(|p| p.0)
            .collect();
        drawn
            .len()
            .saturating_sub(v.skipped + v.no_splunk_rate + v.no_basis)
    };
    if !finite(&expected) && !finite(&actual) {
        match empty_reason {
            Some(r) => detail.push(format!("empty on both sides by construction: {r}")),
            None => {
                ok = false;
                detail.push("no value on either side: an empty comparison proves nothing".into());
            }
        }
    } else if v.compared + v.no_prometheus_rate < needed {
        ok = false;
        detail.push(format!(
            "only {} points compared; at least {needed} required",
            v.compared + v.no_prometheus_rate
        ));
    }
    for r in &v.known_used {
        detail.push(format!("known difference: {r}"));
    }
    Ok(PanelOutcome {
        ok,
        largest_bad: v.largest_bad,
        line,
        detail,
    })
}

/// Writes one panel's series, Prometheus' and ours, to `dir/<label>.json` (see
/// `DIFFERENTIAL_PANELS_OUT`): what the harness compared, for drawing.
fn write_panel(
    dir: &Path,
    label: &str,
    plan: &dashboards::PanelPlan,
    expected: &[harness::compare::NamedSeries],
    actual: &[harness::compare::NamedSeries],
) -> Result<()> {
    let series = |all: &[harness::compare::NamedSeries]| {
        all.iter()
            .map(|s| {
                let points: Vec<serde_json::Value> = s
                    .points
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .map(|p| serde_json::json!([p.0, p.1]))
                    .collect();
                serde_json::json!({ "name": s.name, "points": points })
            })
            .collect::<Vec<_>>()
    };
    let doc = serde_json::json!({
        "label": label,
        "step_s": plan.step_s,
        "start_s": plan.start_s,
        "end_s": plan.end_s,
        "prometheus": series(expected),
        "splunk": series(actual),
    });
    let file: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{file}.json"));
    std::fs::write(&path, doc.to_string()).with_context(|| format!("writing {}", path.display()))
}

/// Writes a few scrape bodies to `dir` (see `DIFFERENTIAL_DUMP`): each endpoint's first, and
/// the first of each of `mm-node-2`'s endpoints after its restart.
fn dump(tl: &Timeline, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let restart_node = timeline::NODES[timeline::RESTART_NODE];
    let mut after_restart: Vec<&timeline::Scrape> = Vec::new();
    for s in &tl.scrapes {
        if s.node == restart_node
            && s.time_ms / 1000 > timeline::RESTART_AT_S
            && !after_restart.iter().any(|a| a.job == s.job)
        {
            after_restart.push(s);
        }
    }
    let firsts = tl.scrapes.iter().take(timeline::ENDPOINTS.len());
    for s in firsts.chain(after_restart) {
        let path = dir.join(format!("{}-{}-{}.prom", s.node, s.job, s.time_ms / 1000));
        std::fs::write(&path, &s.body).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("    scrape bodies written to {}", dir.display());
    Ok(())
}

/// The specs compared: every `dashboards/specs/*.json`, or the one
/// `DIFFERENTIAL_SPEC` names.
fn read_specs() -> Result<Vec<Spec>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("DIFFERENTIAL_SPEC") {
        Some(p) => Ok(vec![Spec::load(Path::new(&p))?]),
        None => mattermost_metrics::dashboard::load_all(&root.join("dashboards/specs")),
    }
}

// ---------------------------------------------------------------------------------------------
// Self-checks
// ---------------------------------------------------------------------------------------------

fn check_pure() -> Result<()> {
    harness::compare::self_check().map_err(|e| anyhow!(e))?;
    harness::splunk_def::self_check().map_err(|e| anyhow!(e))?;
    harness::dashboards::self_check().map_err(|e| anyhow!(e))?;
    Ok(())
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(anyhow!(msg()))
    }
}

/// The sample names the nine dashboards chart, by the job whose endpoints must serve them
/// (histograms by their `_bucket`, summaries by their quantiles): a family dropped from the
/// timeline fails here, before it empties a panel.
const CHARTED: &[(&str, &[&str])] = &[
    (
        timeline::JOB_MATTERMOST,
        &[
            "mattermost_api_time_bucket",
            "mattermost_db_store_time_bucket",
            "mattermost_cluster_cluster_request_duration_seconds_bucket",
            "mattermost_cluster_cluster_requests_total",
            "mattermost_cluster_cluster_event_type_totals",
            "mattermost_cluster_cluster_health_score",
            "mattermost_websocket_broadcasts_total",
            "mattermost_websocket_event_total",
            "mattermost_websocket_reconnects_total",
            "mattermost_websocket_broadcast_buffer_size",
            "mattermost_http_requests_total",
            "mattermost_http_errors_total",
            "mattermost_http_websockets_total",
            "mattermost_db_master_connections_total",
            "mattermost_db_read_replica_connections_total",
            "mattermost_db_replica_lag_time",
            "go_sql_open_connections",
            "go_sql_in_use_connections",
            "go_sql_wait_count_total",
            "go_sql_max_idle_closed_total",
            "go_sql_max_idle_time_closed_total",
            "mattermost_jobs_active",
            "mattermost_process_cpu_seconds_total",
            "mattermost_process_resident_memory_bytes",
            "mattermost_process_virtual_memory_bytes",
            "mattermost_process_open_fds",
            "go_memstats_heap_inuse_bytes",
            "go_memstats_alloc_bytes",
            "go_memstats_heap_objects",
            "go_goroutines",
            "go_gc_duration_seconds",
            "mattermost_post_total",
            "mattermost_post_emails_sent_total",
            "mattermost_post_pushes_sent_total",
            "mattermost_post_file_attachments_total",
            "mattermost_login_logins_total",
            "mattermost_login_logins_fail_total",
            "mattermost_search_posts_searches_total",
            "mattermost_search_posts_searches_duration_seconds_bucket",
            "mattermost_cache_etag_hit_total",
            "mattermost_cache_etag_miss_total",
            "mattermost_cache_mem_hit_total",
            "mattermost_cache_mem_miss_total",
            "mattermost_notifications_total",
            "mattermost_notifications_total_ack",
            "mattermost_notifications_success",
            "mattermost_notifications_error",
            "mattermost_notifications_not_sent",
            "mattermost_notifications_unsupported",
            "mattermost_webapp_channel_switch_bucket",
            "mattermost_webapp_team_switch_bucket",
            "mattermost_webapp_rhs_load_bucket",
            "mattermost_webapp_global_threads_load_bucket",
            "mattermost_webapp_interaction_to_next_paint_bucket",
            "mattermost_webapp_time_to_first_byte_bucket",
            "mattermost_webapp_page_load_bucket",
            "mattermost_webapp_first_contentful_paint_bucket",
            "mattermost_webapp_largest_contentful_paint_bucket",
            "mattermost_webapp_cumulative_layout_shift_bucket",
            "mattermost_webapp_long_tasks",
            "mattermost_mobileapp_mobile_load_bucket",
            "mattermost_mobileapp_mobile_channel_switch_bucket",
            "mattermost_mobileapp_mobile_team_switch_bucket",
            "mattermost_desktopapp_cpu_usage_bucket",
            "mattermost_desktopapp_memory_usage_bucket",
        ],
    ),
    (
        timeline::JOB_CALLS,
        &[
            "mattermost_plugin_calls_process_cpu_seconds_total",
            "go_memstats_heap_inuse_bytes",
            "go_memstats_stack_inuse_bytes",
            "go_goroutines",
            "mattermost_plugin_calls_websocket_events_total",
            "mattermost_plugin_calls_app_handlers_time_bucket",
            "mattermost_plugin_calls_store_methods_time_bucket",
            "go_sql_in_use_connections",
            "go_sql_idle_connections",
            "go_sql_open_connections",
            "go_sql_wait_duration_seconds_total",
            "go_sql_wait_count_total",
            "mattermost_plugin_calls_cluster_mutex_grab_time_bucket",
            "mattermost_plugin_calls_cluster_mutex_locked_time_bucket",
            "mattermost_plugin_calls_cluster_mutex_lock_retries_total",
            "mattermost_plugin_calls_rtc_sessions_total",
            "mattermost_plugin_calls_rtc_errors_total",
            "mattermost_plugin_calls_rtc_rtp_tracks_total",
            "mattermost_plugin_calls_rtc_conn_states_total",
            "mattermost_plugin_calls_client_ice_candidate_pairs_total",
            "mattermost_plugin_calls_jobs_live_captions_new_audio_len_ms_bucket",
            "mattermost_plugin_calls_jobs_live_captions_window_dropped",
            "mattermost_plugin_calls_jobs_live_captions_transcriber_buf_full",
            "mattermost_plugin_calls_jobs_live_captions_pktPayloadCh_buf_full",
            // Where the KPI and Bonus dashboards' `$server` (the plugin's instance too) picks
            // the plugin's Go collector.
            "go_memstats_alloc_bytes",
            "go_memstats_heap_objects",
            "go_gc_duration_seconds",
        ],
    ),
    (
        timeline::JOB_RTCD,
        &[
            "rtcd_process_cpu_seconds_total",
            "go_memstats_heap_inuse_bytes",
            "go_memstats_stack_inuse_bytes",
            "go_goroutines",
            "rtcd_ws_connections_total",
            "rtcd_ws_messages_total",
            "rtcd_rtc_sessions_total",
            "rtcd_rtc_errors_total",
            "rtcd_rtc_rtp_tracks_total",
            "rtcd_rtc_rtp_tracks_writes_time_bucket",
            "rtcd_rtc_conn_states_total",
            "rtcd_rtc_connection_time_bucket",
            "rtcd_rtc_signaling_lock_grab_time_bucket",
            "rtcd_rtc_signaling_lock_locked_time_bucket",
            "rtcd_rtc_client_rtt_bucket",
            "rtcd_rtc_client_jitter_bucket",
            "rtcd_rtc_client_loss_rate_bucket",
        ],
    ),
    (
        timeline::JOB_NODE,
        &[
            "node_netstat_Udp_InDatagrams",
            "node_netstat_Udp_OutDatagrams",
            "node_netstat_Udp_InErrors",
            "node_netstat_Udp6_InDatagrams",
            "node_netstat_Udp6_OutDatagrams",
            "node_netstat_Udp6_InErrors",
            "node_sockstat_TCP_inuse",
            "node_sockstat_TCP6_inuse",
            "node_netstat_Tcp_InErrs",
            "node_netstat_TcpExt_TCPTimeouts",
            "node_netstat_Tcp_RetransSegs",
            "node_network_transmit_bytes_total",
            "node_network_receive_bytes_total",
            "node_cpu_seconds_total",
            "node_memory_MemTotal_bytes",
            "node_memory_MemAvailable_bytes",
        ],
    ),
];

/// Sample-name prefixes of the client-side families (their histograms have observations at
/// every scrape).
const CLIENT_FAMILIES: [&str; 3] = [
    "mattermost_webapp_",
    "mattermost_mobileapp_",
    "mattermost_desktopapp_",
];

/// Invariants of the generated data, independent of any engine.
fn check_timeline(tl: &Timeline) -> Result<()> {
    use timeline::*;
    let scheduled = SCRAPES_PER_ENDPOINT * ENDPOINTS.len();
    let present_n = (0..ENDPOINTS.len())
        .map(|ep| {
            (0..SCRAPES_PER_ENDPOINT)
                .filter(|&k| present(ep, k))
                .count()
        })
        .sum::<usize>();
    // As rough as production: some scrapes missing (about 1 %, and the forwarder gap), but
    // not so many that a panel has nothing to compare.
    ensure(
        tl.scrapes.len() == present_n && present_n < scheduled && present_n * 100 > scheduled * 97,
        || format!("{} scrapes of {scheduled} scheduled", tl.scrapes.len()),
    )?;
    for w in tl.scrapes.windows(2) {
        ensure(w[0].time_ms <= w[1].time_ms, || {
            "scrapes not in time order".into()
        })?;
    }
    let mut jitters = BTreeSet::new();
    for s in &tl.scrapes {
        let ep = ENDPOINTS
            .iter()
            .find(|e| e.host_name() == s.node && e.job == s.job)
            .ok_or_else(|| anyhow!("scrape of {} job {}: no such endpoint", s.node, s.job))?;
        ensure(ep.port == s.port && ep.path == s.path, || {
            format!("scrape of {} job {}: port or path", s.node, s.job)
        })?;
        // Jittered around the schedule, never onto a minute (a bucket boundary of every span).
        let off = (s.time_ms - (START_S + ep.offset_s) * 1000).rem_euclid(SCRAPE_INTERVAL_S * 1000);
        let jitter = if off > SCRAPE_INTERVAL_S * 500 {
            off - SCRAPE_INTERVAL_S * 1000
        } else {
            off
        };
        ensure(s.time_ms % 60_000 != 0 && jitter.abs() <= JITTER_MS, || {
            format!(
                "scrape time {} on a minute boundary or off its schedule",
                s.time_ms
            )
        })?;
        jitters.insert(jitter);
        ensure(
            !(ep.host == GAP_HOST && (GAP_FROM_S * 1000..GAP_TO_S * 1000).contains(&s.time_ms)),
            || format!("{} scraped while its forwarder is down", s.node),
        )?;
    }
    ensure(jitters.len() > 1000, || "scrape times not jittered".into())?;
    // The restart falls between two scrapes of each restarting endpoint, never on one.
    for (ep, e) in ENDPOINTS.iter().enumerate().filter(|(_, e)| e.restarts) {
        ensure(
            (0..SCRAPES_PER_ENDPOINT).all(|k| scrape_time_ms(ep, k) != RESTART_AT_S * 1000)
                && (0..SCRAPES_PER_ENDPOINT).any(|k| {
                    present(ep, k)
                        && (RESTART_AT_S - 60..RESTART_AT_S)
                            .contains(&(scrape_time_ms(ep, k) / 1000))
                })
                && (0..SCRAPES_PER_ENDPOINT).any(|k| {
                    present(ep, k)
                        && (RESTART_AT_S..RESTART_AT_S + 60)
                            .contains(&(scrape_time_ms(ep, k) / 1000))
                }),
            || {
                format!(
                    "{}: no scrape just before and just after the restart",
                    e.url()
                )
            },
        )?;
    }
    // Every endpoint serves what the dashboards chart of it; the client-side families only the
    // nodes their clients report to, and the replica lag only the cluster leader: at least one.
    for (job, names) in CHARTED {
        let eps: Vec<usize> = (0..ENDPOINTS.len())
            .filter(|&e| ENDPOINTS[e].job == *job)
            .collect();
        for name in *names {
            let some = *name == "mattermost_db_replica_lag_time"
                || CLIENT_FAMILIES.iter().any(|p| name.starts_with(p));
            let on = |ep: &usize| tl.series_named(name).any(|s| s.endpoint == *ep);
            let ok = if some {
                eps.iter().any(on)
            } else {
                eps.iter().all(on)
            };
            ensure(ok, || {
                let which = if some { "any" } else { "every" };
                format!("{name}: not served by {which} endpoint of job {job}")
            })?;
        }
    }
    ensure(
        tl.family("mattermost_plugin_calls_cluster_mutex_local_grab_time")
            .is_none(),
        || "mattermost_plugin_calls_cluster_mutex_local_grab_time: no source defines it".into(),
    )?;
    for f in &tl.families {
        check_family(f)?;
    }
    // The bodies are valid text format (checked with the prometheus-parse crate on each
    // endpoint's first scrape, its first after the restart, and its last).
    let restart_k = |ep: usize| {
        (0..SCRAPES_PER_ENDPOINT)
            .find(|&k| present(ep, k) && scrape_time_ms(ep, k) >= RESTART_AT_S * 1000)
            .unwrap_or(0)
    };
    let last_k = |ep: usize| {
        (0..SCRAPES_PER_ENDPOINT)
            .rev()
            .find(|&k| present(ep, k))
            .unwrap_or(0)
    };
    let first_k = |ep: usize| {
        (0..SCRAPES_PER_ENDPOINT)
            .find(|&k| present(ep, k))
            .unwrap_or(0)
    };
    for (ep, e) in ENDPOINTS.iter().enumerate() {
        for k in [first_k(ep), restart_k(ep), last_k(ep)] {
            let t_ms = scrape_time_ms(ep, k);
            let s = tl
                .scrapes
                .iter()
                .find(|s| s.time_ms == t_ms && s.node == e.host_name() && s.job == e.job)
                .ok_or_else(|| anyhow!("no scrape of {} at {t_ms}", e.url()))?;
            let lines = s.body.lines().map(|l| Ok(l.to_string()));
            let parsed = prometheus_parse::Scrape::parse(lines)
                .with_context(|| format!("parsing the body of {} at {}", e.url(), s.time_ms))?;
            // prometheus-parse folds a histogram child's buckets (a summary child's quantiles)
            // into one sample, and keeps its `_sum` and `_count` as two more.
            let folded: usize = tl
                .families
                .iter()
                .map(|f| {
                    let n = f.series.iter().filter(|x| x.endpoint == ep).count();
                    match f.kind {
                        Kind::Histogram | Kind::Summary => n / f.child_len * 3,
                        _ => n,
                    }
                })
                .sum();
            ensure(folded > 0 && parsed.samples.len() == folded, || {
                format!(
                    "{} at {}: parsed {} samples, generated {folded} (folded)",
                    e.url(),
                    s.time_ms,
                    parsed.samples.len()
                )
            })?;
        }
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

/// A family's invariants: counters (every series with rates) never go down but where their
/// process restarts, and grow inside a segment by exactly their rate (integer counters) or by
/// it up to their rounding (float ones); histogram children are whole (buckets ending in
/// `+Inf`, then `_sum`, `_count`), cumulative, with `+Inf` equal to `_count`; summary
/// quantiles are ordered; client-side histograms have observations at every scrape; no two
/// series (buckets aside) of one endpoint that a panel tells apart by a label have the same
/// values throughout (a label mixed up on one side would go unnoticed; counters that never
/// move, such as node_exporter's `irq` and `nice` CPU time on a VM, are alike by nature).
fn check_family(f: &timeline::Family) -> Result<()> {
    use timeline::*;
    // (Histogram buckets aside: low buckets of several children may all stay at 0.)
    let mut siblings: BTreeMap<(usize, &str), Vec<&Series>> = BTreeMap::new();
    for s in f.series.iter().filter(|s| s.le.is_none()) {
        siblings
            .entry((s.endpoint, s.name.as_str()))
            .or_default()
            .push(s);
    }
    for group in siblings.values() {
        for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                let constant = |s: &Series| s.values.iter().all(|v| *v == s.values[0]);
                ensure(a.values != b.values || constant(a), || {
                    format!(
                        "{} on {}: {:?} and {:?} have the same values",
                        a.name,
                        a.endpoint().url(),
                        a.labels,
                        b.labels
                    )
                })?;
            }
        }
    }
    for s in &f.series {
        ensure(s.values.len() == SCRAPES_PER_ENDPOINT, || {
            format!("{}: {} values", s.name, s.values.len())
        })?;
        let Some(rates) = s.rates else {
            continue;
        };
        let ep = s.endpoint;
        for k in 1..s.values.len() {
            let (a, b) = (s.values[k - 1], s.values[k]);
            let (t0, t1) = (scrape_time_ms(ep, k - 1), scrape_time_ms(ep, k));
            let reset =
                ENDPOINTS[ep].restarts && t0 < RESTART_AT_S * 1000 && RESTART_AT_S * 1000 <= t1;
            ensure(if reset { b < a || a == 0.0 } else { b >= a }, || {
                format!(
                    "{} on {}: {a} -> {b} at scrape {k}",
                    s.name,
                    ENDPOINTS[ep].url()
                )
            })?;
            // Inside one segment a counter grows by its rate times the (jittered) time between
            // the scrapes, up to one count (integer counters) or one quantum (float ones) of
            // rounding.
            let seg = segment_of(t0 / 1000);
            let same_segment =
                (t0 / 1000 - START_S) / SEGMENT_S == (t1 / 1000 - START_S) / SEGMENT_S;
            // (A histogram's cumulative buckets and count add up one rounded counter per
            // bucket, and some counters are such a count, e.g. the cluster's requests; a
            // histogram's `_sum` weighs them by their values and is checked through them.)
            let counts = 20.0;
            let is_sum = s.name.ends_with("_sum") && f.kind != Kind::Counter;
            if !reset && same_segment && t0 / 1000 - START_S >= 0 && !is_sum {
                let want = rates[seg] * (t1 - t0) as f64 / 1000.0;
                ensure(
                    (b - a - want).abs() <= counts + 0.0001 + 1e-12 * b.abs(),
                    || {
                        format!(
                            "{} on {}: grew by {} at scrape {k}, its rate says {want}",
                            s.name,
                            ENDPOINTS[ep].url(),
                            b - a
                        )
                    },
                )?;
            }
        }
    }
    match f.kind {
        Kind::Histogram => {
            let n = f.child_len;
            ensure(n >= 4 && f.series.len().is_multiple_of(n), || {
                format!("{}: {} series in children of {n}", f.name, f.series.len())
            })?;
            for child in f.series.chunks(n) {
                let bucket = format!("{}_bucket", f.name);
                ensure(
                    child[..n - 2]
                        .iter()
                        .all(|s| s.name == bucket && s.le.is_some())
                        && child[n - 3].le.as_deref() == Some("+Inf")
                        && child[n - 2].name == format!("{}_sum", f.name)
                        && child[n - 1].name == format!("{}_count", f.name)
                        && child.iter().all(|s| {
                            s.endpoint == child[0].endpoint && s.labels == child[0].labels
                        }),
                    || format!("{}: histogram child layout", f.name),
                )?;
                let client = CLIENT_FAMILIES.iter().any(|p| f.name.starts_with(p));
                for k in 0..SCRAPES_PER_ENDPOINT {
                    for i in 1..n - 2 {
                        ensure(child[i].values[k] >= child[i - 1].values[k], || {
                            format!("{}: buckets not cumulative", f.name)
                        })?;
                    }
                    ensure(child[n - 3].values[k] == child[n - 1].values[k], || {
                        format!("{}: +Inf != count", f.name)
                    })?;
                    // (The count starts again from 0 where the node restarts.)
                    let ep = child[0].endpoint;
                    let restart = ENDPOINTS[ep].restarts
                        && k > 0
                        && scrape_time_ms(ep, k - 1) < RESTART_AT_S * 1000
                        && RESTART_AT_S * 1000 <= scrape_time_ms(ep, k);
                    if client && k > 0 && !restart {
                        ensure(child[n - 1].values[k] > child[n - 1].values[k - 1], || {
                            format!("{}: no observation at scrape {k}", f.name)
                        })?;
                    }
                }
            }
        }
        Kind::Summary => {
            ensure(f.child_len == 7 && f.series.len().is_multiple_of(7), || {
                format!("{}: summary children", f.name)
            })?;
            for child in f.series.chunks(7) {
                for k in 0..SCRAPES_PER_ENDPOINT {
                    for i in 1..5 {
                        ensure(child[i].values[k] >= child[i - 1].values[k], || {
                            format!("{}: quantiles not ordered", f.name)
                        })?;
                    }
                }
            }
        }
        _ => {}
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
                .sum::<f64>()
                * (timeline::DURATION_S / (timeline::SEGMENT_S * timeline::SEGMENTS as i64)) as f64;
            *acc.entry(value(s)).or_default() += total;
        }
    }
    let mean = count.iter().map(|(k, c)| (k.clone(), sum[k] / c)).collect();
    (count, mean)
}

/// The one value that `expr` has at `t` in the Prometheus that has it.
fn instant(proms: &[&Prometheus], expr: &str, t: i64) -> Result<f64> {
    let mut r = Vec::new();
    for p in proms {
        r.extend(p.query(expr, t)?);
    }
    ensure(r.len() == 1 && r[0].points.len() == 1, || {
        format!("{expr} at {t}: expected one value, got {r:?}")
    })?;
    Ok(r[0].points[0].1)
}

/// The values of `label` in the answers to `expr` at the end of the data.
fn label_values(proms: &[&Prometheus], expr: &str, label: &str) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for p in proms {
        out.extend(
            p.query(expr, timeline::END_S)?
                .iter()
                .filter_map(|s| s.labels.get(label).cloned()),
        );
    }
    Ok(out)
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-12)
}

/// Prometheus' `histogram_quantile(q, sum by (le) (rate(<family>_bucket[w])))` computed from
/// each bucket series' `rate` (the generated one of a segment, or Prometheus' own formula over
/// the samples) of the children `keep` accepts (bucketQuantile: linear interpolation inside the bucket the rank falls in, the
/// lower bound of the first bucket 0, the last finite bound when the rank is in `+Inf`).
fn true_quantile(
    tl: &Timeline,
    family: &str,
    q: f64,
    rate: impl Fn(&timeline::Series) -> f64,
    keep: impl Fn(&timeline::Series) -> bool,
) -> f64 {
    let mut by_le: BTreeMap<String, f64> = BTreeMap::new();
    for s in tl
        .series_named(&format!("{family}_bucket"))
        .filter(|s| keep(s))
    {
        let le = s.le.clone().expect("bucket");
        *by_le.entry(le).or_default() += rate(s);
    }
    let mut buckets: Vec<(f64, f64)> = by_le
        .into_iter()
        .map(|(le, c)| (harness::prometheus::parse_value(&le).expect("le"), c))
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last().expect("+Inf").1;
    let rank = q * total;
    let i = buckets
        .iter()
        .position(|(_, c)| *c >= rank)
        .expect("rank within the buckets");
    if i == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    let (upper, count) = buckets[i];
    let (lower, below) = if i == 0 {
        if upper <= 0.0 {
            return upper;
        }
        (0.0, 0.0)
    } else {
        buckets[i - 1]
    };
    lower + (upper - lower) * (rank - below) / (count - below)
}

/// Prometheus' answers against the rates the data was generated with.
fn check_prometheus(tl: &Timeline, prom: &[&Prometheus]) -> Result<()> {
    use timeline::*;
    // Every series loaded (nothing dropped by retention or by the parser), under the instance
    // and job of its endpoint.
    for (ep, e) in ENDPOINTS.iter().enumerate() {
        let expr = format!("count({{instance=\"{}\",job=\"{}\"}})", e.instance(), e.job);
        let n = instant(prom, &expr, END_S - 1)?;
        let want = tl
            .families
            .iter()
            .flat_map(|f| &f.series)
            .filter(|s| s.endpoint == ep)
            .count();
        ensure(n as usize == want, || {
            format!("{expr}: Prometheus has {n} series, the timeline {want}")
        })?;
    }
    let servers = label_values(
        prom,
        "count by (instance) ({job=\"mattermost\"})",
        "instance",
    )?;
    ensure(
        servers == tl.server_instances().into_iter().collect(),
        || format!("the server job's instances: {servers:?}"),
    )?;

    // Rates inside a segment (window (2400, 2700] lies in segment 1): Prometheus' answer is its
    // formula over the jittered, gappy samples exactly (1e-9), and that is the generated rate
    // up to the counts' rounding and the extrapolation a missing edge scrape changes (5 %).
    // Counters of every kind of endpoint, with and without `_total`, untyped ones, histogram
    // sums.
    let t = START_S + 2700;
    let formula = |name: &str, keep: &dyn Fn(&timeline::Series) -> bool, t: i64| -> f64 {
        tl.series_named(name)
            .filter(|s| keep(s))
            .filter_map(|s| tl.prometheus_rate(s, t, 300))
            .sum()
    };
    for (name, tol) in [
        ("mattermost_http_requests_total", 1e-9),
        ("mattermost_api_time_sum", 1e-6),
        ("mattermost_notifications_error", 1e-9),
        ("mattermost_webapp_long_tasks", 1e-9),
        (
            "mattermost_plugin_calls_jobs_live_captions_pktPayloadCh_buf_full",
            1e-9,
        ),
        ("mattermost_plugin_calls_websocket_events_total", 1e-9),
        ("rtcd_ws_messages_total", 1e-9),
        ("rtcd_rtc_client_rtt_count", 1e-9),
        ("node_netstat_Udp_InDatagrams", 1e-9),
        ("node_network_transmit_bytes_total", 1e-9),
        ("node_cpu_seconds_total", 1e-4),
    ] {
        let expr = format!("sum(rate({name}[5m]))");
        let got = instant(prom, &expr, t)?;
        let exact = formula(name, &|_| true, t);
        ensure(exact > 0.0 && rel_close(got, exact, 1e-9), || {
            format!(
                "{expr} at {}: {got}, its formula over the samples {exact}",
                describe_time(t)
            )
        })?;
        let want = tl.true_rate(name, 1, |_| true);
        ensure(rel_close(got, want, f64::max(tol, 0.05)), || {
            format!("{expr} at {}: {got}, generated {want}", describe_time(t))
        })?;
    }
    // node_exporter's CPU modes add up to one second per second per CPU.
    for h in [RTCD_NODES[0], OFFLOADER_NODE] {
        let expr = format!("sum(rate(node_cpu_seconds_total{{instance=\"{h}:9100\"}}[5m]))");
        let got = instant(prom, &expr, t)?;
        let cpus = tl
            .series_named("node_cpu_seconds_total")
            .filter(|s| s.endpoint().host_name() == h && s.label("mode") == "idle")
            .count();
        let exact = formula(
            "node_cpu_seconds_total",
            &|s| s.endpoint().host_name() == h,
            t,
        );
        ensure(
            cpus > 0
                && rel_close(got, exact, 1e-9)
                && (got - cpus as f64).abs() < 0.05 * cpus as f64,
            || format!("{expr}: {got} (formula {exact}) for {cpus} CPUs"),
        )?;
    }

    // Quantiles of histograms with each kind of bucket layout, inside segment 3.
    let t = START_S + 3 * SEGMENT_S + 900;
    for (family, q, keep) in [
        ("mattermost_api_time", 0.99, None),
        (
            "mattermost_mobileapp_mobile_load",
            0.5,
            Some(("platform", "ios")),
        ),
        ("mattermost_mobileapp_mobile_channel_switch", 0.9, None),
        (
            "mattermost_webapp_page_load",
            0.75,
            Some(("agent", "chrome")),
        ),
        (
            "mattermost_desktopapp_cpu_usage",
            0.5,
            Some(("processName", "main")),
        ),
        ("mattermost_desktopapp_memory_usage", 0.99, None),
        (
            "mattermost_plugin_calls_jobs_live_captions_new_audio_len_ms",
            0.5,
            None,
        ),
        (
            "rtcd_rtc_rtp_tracks_writes_time",
            0.99,
            Some(("type", "voice")),
        ),
        ("rtcd_rtc_client_loss_rate", 0.5, None),
    ] {
        let selector = keep
            .map(|(k, v)| format!("{{{k}=\"{v}\"}}"))
            .unwrap_or_default();
        let expr =
            format!("histogram_quantile({q}, sum by (le) (rate({family}_bucket{selector}[5m])))");
        let got = instant(prom, &expr, t)?;
        let keep = |s: &timeline::Series| keep.is_none_or(|(k, v)| s.label(k) == v);
        let exact = true_quantile(
            tl,
            family,
            q,
            |s| tl.prometheus_rate(s, t, 300).unwrap_or(0.0),
            keep,
        );
        let want = true_quantile(tl, family, q, |s| s.rates.expect("rates")[3], keep);
        ensure(
            got.is_finite() && rel_close(got, exact, 1e-9) && rel_close(got, want, 0.05),
            || {
                format!(
                    "{expr} at {}: {got}, its formula over the samples {exact}, generated {want}",
                    describe_time(t)
                )
            },
        )?;
    }
    // A summary's quantiles are stored as written.
    let k = (100..).find(|&k| present(0, k)).expect("a scrape");
    let want = tl
        .series_named("go_gc_duration_seconds")
        .find(|s| s.endpoint == 0 && s.label("quantile") == "0.75")
        .map(|s| s.values[k])
        .ok_or_else(|| anyhow!("no GC summary"))?;
    let expr =
        "go_gc_duration_seconds{instance=\"mm-node-1:8067\",job=\"mattermost\",quantile=\"0.75\"}";
    // (Prometheus' instant queries take whole seconds: the first second at or after it.)
    let got = instant(prom, expr, scrape_time_ms(0, k).div_euclid(1000) + 1)?;
    ensure(got == want, || format!("{expr}: {got}, generated {want}"))?;

    // Across mm-node-2's restart the rate stays sane: Prometheus counts the first value after
    // the reset as the increase, losing the time between the last scrape and the restart, so
    // its formula over the samples, positive, and within 25% of the generated rate.
    let restarting = NODES[RESTART_NODE];
    let t = (RESTART_AT_S / 60 + 3) * 60;
    let expr =
        format!("rate(mattermost_http_requests_total{{instance=\"{restarting}:8067\"}}[5m])");
    let got = instant(prom, &expr, t)?;
    let keep = |s: &timeline::Series| s.endpoint == RESTART_NODE;
    let exact = formula("mattermost_http_requests_total", &keep, t);
    let want = tl.true_rate("mattermost_http_requests_total", segment_of(t), keep);
    ensure(
        got > 0.0 && rel_close(got, exact, 1e-9) && rel_close(got, want, 0.25),
        || format!("{expr} across the restart: {got}, formula {exact}, generated {want}"),
    )?;
    // ... the start time gauge moved ...
    let start = format!("mattermost_process_start_time_seconds{{instance=\"{restarting}:8067\"}}");
    let before = instant(prom, &start, RESTART_AT_S - 30)?;
    let after = instant(prom, &start, RESTART_AT_S + 150)?;
    ensure(
        after > before && (after - RESTART_AT_S as f64).abs() < 1.0,
        || format!("start time {before} -> {after}"),
    )?;
    // ... the plugin restarted with the server, and node_exporter on that host did not.
    let range = format!("{}s", END_S - START_S);
    for (expr, want) in [
        (
            format!("sum(resets(mattermost_plugin_calls_process_cpu_seconds_total[{range}]))"),
            1.0,
        ),
        (
            format!(
                "sum(resets(node_cpu_seconds_total{{instance=\"{restarting}:9100\"}}[{range}]))"
            ),
            0.0,
        ),
    ] {
        let got = instant(prom, &expr, END_S)?;
        ensure(got == want, || format!("{expr}: {got}, want {want}"))?;
    }

    // Latency climbs in the slow segment: API p99 about 0.19 s before, about 2.4 s during.
    let q = "histogram_quantile(0.99, sum by (le) (rate(mattermost_api_time_bucket[5m])))";
    let normal = instant(prom, q, START_S + 960)?;
    let slow = instant(prom, q, START_S + SLOW_SEGMENT as i64 * SEGMENT_S + 900)?;
    ensure(normal < 0.3 && slow > 1.0, || {
        format!("API p99: {normal} s normally, {slow} s in the slow segment")
    })?;

    // The Calls dashboard's instance variables find their hosts, as Grafana's regexes would.
    let instances = label_values(prom, "count by (instance) ({__name__=~\".+\"})", "instance")?;
    for (regex, want) in [
        ("(.*):8067", NODES.to_vec()),
        ("(.*):8045", RTCD_NODES.to_vec()),
        ("(.*offloader.*):9100", vec![OFFLOADER_NODE]),
    ] {
        let re = regex::Regex::new(&format!("^{regex}$")).expect("regex");
        let got: BTreeSet<&str> = instances
            .iter()
            .filter_map(|i| re.captures(i).and_then(|c| c.get(1)).map(|m| m.as_str()))
            .collect();
        ensure(got == want.into_iter().collect(), || {
            format!("label_values(instance) with /{regex}/: {got:?}")
        })?;
    }

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
            let got = label_values(prom, &expr, label)?;
            ensure(got == want, || {
                format!("{expr}: Prometheus chose {got:?}, the data was built for {want:?}")
            })?;
        }
    }
    Ok(())
}
