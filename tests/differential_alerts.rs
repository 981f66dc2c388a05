//! Differential test of the alerts: every rule of `alerts/mattermost.rules.yml`, evaluated by
//! Prometheus 2.42 (`promtool test rules`, the real rule file) and by us (the committed
//! `savedsearches.conf` run in the SPL evaluator at each time the scheduler would run it), over
//! synthetic incident timelines. Each alert must fire for the same series, with the same labels
//! and annotations, at the same evaluation times; where the engines' `for` differs by
//! construction, one schedule interval at the edge of an incident is allowed, for the alerts
//! listed in [`EDGE_TOLERANCE`] with the reason, and each use is printed.
//!
//! A program (`harness = false`), run by `scripts/differential` after the dashboard harness.
//!
//! How a verdict is reached: our side computes, for every alert, timeline and schedule time,
//! the set of firing series (one row of the alert search each). That set is written as
//! promtool's `exp_alerts` at the same evaluation time, and promtool evaluates the rules
//! itself and reports every time where Prometheus fired something else (with what it fired).
//! So promtool is the judge of every agreement; this program only reads its report, applies the
//! listed tolerance, and checks the timelines (each incident fires what it was built to fire in
//! Prometheus, nothing else fires, the healthy timeline fires nothing).
//!
//! Environment: `DIFFERENTIAL_KEEP` keeps the promtool files under
//! `target/differential-alerts/`.

use differential_harness as harness;
use harness::alerts as alerts_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, ensure, Context, Result};

use alerts_support::conf::{self, Stanza};
use alerts_support::promtool::{self, Failure, Firing};
use alerts_support::timeline::{self, Scenario, Timeline, NODES};
use harness::ours::indexed_point;
use harness::{spl, splunk};
use mattermost_metrics::alerts::{self, Alert, RuleFile};
use mattermost_metrics::convert::{float, ConvertOptions, DataPoint};
use mattermost_metrics::exposition::Format;
use mattermost_metrics::health::{self, ScrapeHealth};
use mattermost_metrics::pipeline::convert_scrape;

/// Alerts whose firing may start or end one schedule interval apart in the two engines, and
/// why. Only at the edge of an episode: the series fires in one engine at T and in the other at
/// T - 5 min or T + 5 min.
const EDGE_TOLERANCE: &[(&str, &str)] = &[
    (
        "MattermostApiLatencyHigh",
        "the rate window is the bucket: Splunk computes p99 over fixed 5-minute buckets ending at the run, Prometheus over a sliding 5-minute window every minute, so the minute the condition has held for `for` differs by up to one bucket",
    ),
    (
        "MattermostApiErrorRatioHigh",
        "the rate window is the bucket (fixed 5-minute buckets against a sliding window evaluated every minute)",
    ),
    (
        "MattermostDbConnectionWaits",
        "the rate window is the bucket (fixed 5-minute buckets against a sliding window evaluated every minute)",
    ),
    (
        "MattermostWebSocketReconnectStorm",
        "the rate window is the bucket (fixed 5-minute buckets against a sliding window evaluated every minute)",
    ),
    (
        "MattermostNotificationErrors",
        "the rate window is the bucket (fixed 5-minute buckets against a sliding window evaluated every minute)",
    ),
];

/// Mistakes a compiler could make, planted in one alert's search each: (alert, what, text
/// replaced, replacement). Each must make that alert disagree with Prometheus.
const CONTROLS: &[(&str, &str, &str, &str)] = &[
    (
        "MattermostApiLatencyHigh",
        "`for` ignored: firing on the first bucket over the threshold",
        "held_buckets >= 3",
        "held_buckets >= 1",
    ),
    (
        "MattermostNodeDown",
        "the node dropped from the series (all nodes' `up` in one)",
        " BY host span=60s",
        " span=60s",
    ),
    (
        "MattermostDbPoolSaturated",
        "the comparison turned around",
        "value > `mattermost_metrics_alert_db_pool_saturated_threshold`",
        "value < `mattermost_metrics_alert_db_pool_saturated_threshold`",
    ),
    (
        "MattermostReplicaLagHigh",
        "a threshold ten times the rule's",
        "`mattermost_metrics_alert_replica_lag_high_threshold`",
        "100",
    ),
    (
        "MattermostGoroutinesHigh",
        "no lookback: the condition needs a sample in every bucket (the old compiled form)",
        "min(_time + 300 - 60 + 1,",
        "min(_time + 60 - 60 + 1,",
    ),
    (
        "MattermostReplicaLagHigh",
        "a lookback of 10 minutes instead of Prometheus' 5",
        "min(_time + 300 - 60 + 1,",
        "min(_time + 600 - 60 + 1,",
    ),
    (
        "MattermostRestarted",
        "the summary without the node",
        "summary=\"Mattermost on \" . host .",
        "summary=\"Mattermost on \" . \"a node\" .",
    ),
];

fn main() {
    harness::program("differential_alerts", run)
}

use harness::phase;
use test_support::root;

/// One alert as Splunk runs it: the compiled rule (for its labels) and its committed stanza.
struct Scheduled {
    alert: Alert,
    stanza: Stanza,
}

/// A timeline in both engines' hands.
struct Loaded {
    scenario: Scenario,
    timeline: Timeline,
    store: spl::Store,
}

/// Firing sets: (alert, evaluation time) -> series.
type Firings = BTreeMap<(String, i64), BTreeSet<Firing>>;

fn run() -> Result<bool> {
    let t = Instant::now();
    conf::self_check().context("self-check of the conf reader")?;
    promtool::self_check().context("self-check of the promtool report reader")?;
    phase("self-checks passed", t);

    let rules_path = root().join(alerts::RULES_PATH);
    let compiled = alerts::compile_file(&RuleFile::load(&rules_path)?)?;
    let stanzas = conf::stanzas(&read("splunk_app/default/savedsearches.conf")?)?;
    let mut scheduled = Vec::new();
    for a in compiled {
        let stanza = stanzas
            .iter()
            .find(|s| s.name == a.name)
            .cloned()
            .ok_or_else(|| anyhow!("savedsearches.conf has no [{}]: run scripts/alerts", a.name))?;
        scheduled.push(Scheduled { alert: a, stanza });
    }
    ensure!(
        stanzas.len() == scheduled.len(),
        "savedsearches.conf has stanzas no rule compiles to: run scripts/alerts"
    );
    for (name, _) in EDGE_TOLERANCE {
        ensure!(
            scheduled.iter().any(|s| s.alert.name == *name),
            "EDGE_TOLERANCE names {name}, which no rule defines"
        );
    }
    let macros = spl::Macros::from_conf(&read("splunk_app/default/macros.conf")?);
    println!(
        "{} alerts from {}, searches from splunk_app/default/savedsearches.conf",
        scheduled.len(),
        alerts::RULES_PATH
    );

    // Timelines, and our side of each.
    let t = Instant::now();
    let transforms = splunk::transforms_for(&root().join("splunk_app"), "mattermost:metrics");
    let mut loaded = Vec::new();
    for s in timeline::scenarios() {
        let tl = Timeline::generate(&s);
        let store = index(&tl, &transforms)?;
        let samples = same_samples(&tl, &store)
            .with_context(|| format!("timeline {}: the engines' samples", s.name))?;
        let lost = tl.recorded.iter().flatten().filter(|r| !**r).count();
        println!(
            "    {:<17} {} series, {samples} samples in both engines ({} data points in Splunk), {lost} of {} scrapes lost: {}",
            s.name,
            tl.series.len() + NODES.len(),
            store.len(),
            NODES.len() * timeline::SCRAPES,
            s.story
        );
        loaded.push(Loaded {
            scenario: s,
            timeline: tl,
            store,
        });
    }
    phase(
        &format!("{} timelines generated and indexed", loaded.len()),
        t,
    );

    let t = Instant::now();
    let mut ours: Vec<Firings> = Vec::new();
    let mut searches = 0;
    for l in &loaded {
        let mut f = Firings::new();
        for s in &scheduled {
            searches += evaluate(s, s.stanza.get("search")?, l, &macros, &mut f)?;
        }
        ours.push(f);
    }
    phase(&format!("our side: {searches} scheduled searches run"), t);

    // Prometheus judges.
    let t = Instant::now();
    let dir = work_dir()?;
    let names: Vec<String> = scheduled.iter().map(|s| s.alert.name.clone()).collect();
    let mut failures: Vec<Vec<Failure>> = Vec::new();
    for (i, l) in loaded.iter().enumerate() {
        failures.push(judge(
            &dir,
            &rules_path,
            l,
            &names,
            &ours[i],
            &format!("t{i}"),
        )?);
    }
    phase("promtool test rules run on every timeline", t);

    // Verdicts.
    let mut agreeing = 0;
    for s in &scheduled {
        let name = &s.alert.name;
        let v = verdict(name, &loaded, &ours, &failures);
        if v.ok {
            agreeing += 1;
        }
        println!(
            "{}  {name}  ({} firing series-times in Prometheus, {} edges within one interval)",
            if v.ok { "ok  " } else { "FAIL" },
            v.firing,
            v.edges.len()
        );
        for d in v.problems.iter().take(8) {
            println!("      {d}");
        }
        if v.problems.len() > 8 {
            println!("      ... {} more", v.problems.len() - 8);
        }
        for e in &v.edges {
            println!("      known difference: {e}");
        }
    }
    println!("alerts agreeing: {agreeing}/{}", scheduled.len());

    // Negative controls.
    let t = Instant::now();
    let mut caught = 0;
    for (name, what, from, to) in CONTROLS {
        let s = scheduled
            .iter()
            .find(|s| s.alert.name == *name)
            .ok_or_else(|| anyhow!("control: no alert {name}"))?;
        let search = s.stanza.get("search")?;
        ensure!(
            search.contains(from),
            "control {what:?}: the search of {name} has no {from:?}"
        );
        let mutated = search.replacen(from, to, 1);
        let mut mine = Vec::new();
        let mut fails = Vec::new();
        for (i, l) in loaded.iter().enumerate() {
            let mut f = Firings::new();
            evaluate(s, &mutated, l, &macros, &mut f)?;
            fails.push(judge(
                &dir,
                &rules_path,
                l,
                &[name.to_string()],
                &f,
                &format!("c{i}"),
            )?);
            mine.push(f);
        }
        let v = verdict(name, &loaded, &mine, &fails);
        if !v.ok {
            caught += 1;
        }
        println!(
            "{}  control: {what} ({name})",
            if v.ok { "MISSED" } else { "caught" }
        );
    }
    phase(&format!("{} negative controls", CONTROLS.len()), t);
    println!("controls caught: {caught}/{}", CONTROLS.len());

    if std::env::var_os("DIFFERENTIAL_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("promtool files kept in {}", dir.display());
    }
    Ok(agreeing == scheduled.len() && caught == CONTROLS.len())
}

fn read(rel: &str) -> Result<String> {
    std::fs::read_to_string(root().join(rel)).with_context(|| format!("reading {rel}"))
}

fn work_dir() -> Result<PathBuf> {
    let dir = root().join("target/differential-alerts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The timeline as Splunk holds it: every recorded scrape, at the instant it happened, through
/// the input's parse -> convert -> event text and our transforms, and the input's health data
/// points (`up` = 0 for a failed scrape); a lost scrape leaves nothing.
fn index(tl: &Timeline, transforms: &[splunk::Transform]) -> Result<spl::Store> {
    let mut store = spl::Store::new();
    let mut raw = Vec::new();
    for k in 0..timeline::SCRAPES {
        for (node, name) in NODES.iter().enumerate() {
            if !tl.recorded[node][k] {
                // Lost on the way: not even the health data point arrives.
                continue;
            }
            let time_ms = tl.times[node][k] * 1000;
            let source = format!("http://{name}:8067/metrics");
            let mut index_point = |dp: &DataPoint<'_>| {
                store.push(indexed_point(transforms, name, &source, None, dp, &mut raw))
            };
            if let Some(body) = tl.body(node, k) {
                convert_scrape(
                    body.as_bytes(),
                    Format::Prometheus,
                    false,
                    &ConvertOptions::default(),
                    time_ms,
                    &mut index_point,
                )
                .map_err(|e| anyhow!("scrape of {name} at {time_ms}: {e}"))?;
            }
            let h = ScrapeHealth {
                up: tl.up[node][k],
                ..ScrapeHealth::default()
            };
            health::data_points(health::scrape_values(&h), time_ms, &[], &mut index_point);
        }
    }
    Ok(store)
}

/// That Prometheus gets exactly the samples Splunk indexes: every promtool input series, read
/// back from its notation, is the indexed series of the same metric and labels (`instance` is
/// `host`), instant for instant and value for value. The number of samples compared.
fn same_samples(tl: &Timeline, store: &spl::Store) -> Result<usize> {
    let mut n = 0;
    for (series, values) in tl.promtool_series() {
        let (name, labels) = series
            .split_once('{')
            .ok_or_else(|| anyhow!("{series}: no labels"))?;
        let labels = promtool::go_map(&format!("{{{labels}"))?;
        let metric = mattermost_metrics::convert::names::metric_name(name);
        let found: Vec<&spl::Series> = store
            .series(&metric)
            .iter()
            .filter(|s| {
                labels.iter().all(|(k, v)| match k.as_str() {
                    "instance" => s.dims.get("host") == Some(v),
                    // The input writes bounds in their canonical form (`1` as `1.0`).
                    "le" => float::canonical_bound_text(v)
                        .is_some_and(|c| s.dims.get(k).map(String::as_str) == Some(c.as_str())),
                    _ => s.dims.get(k) == Some(v),
                })
            })
            .collect();
        let [indexed] = found.as_slice() else {
            anyhow::bail!("{series}: {} indexed series of {metric} match", found.len());
        };
        let want = promtool::samples(&values, timeline::PROMTOOL_STEP_S)?;
        let got: Vec<(i64, f64)> = indexed
            .times
            .iter()
            .copied()
            .zip(indexed.values.iter().copied())
            .collect();
        if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            anyhow::bail!(
                "{series}: sample {i} is {:?} in promtool's input, {:?} in Splunk",
                want.get(i),
                got.get(i)
            );
        }
        n += want.len();
    }
    Ok(n)
}

/// Runs `search` (alert `s`'s, or a mutation of it) at every minute its cron schedule names
/// over the timeline, over the stanza's dispatch time range; the rows, as firing alerts, at the
/// evaluation time (the range's end). Returns the number of runs.
fn evaluate(
    s: &Scheduled,
    search: &str,
    l: &Loaded,
    macros: &spl::Macros,
    out: &mut Firings,
) -> Result<usize> {
    let cron = s.stanza.get("cron_schedule")?;
    let earliest = s.stanza.get("dispatch.earliest_time")?;
    let latest = s.stanza.get("dispatch.latest_time")?;
    let rationale = s.stanza.get("description")?;
    let mut runs = 0;
    let mut run_at = 60;
    while run_at <= timeline::DURATION_S + 60 {
        if conf::cron_runs_at(cron, run_at)? {
            let (from, to) = (
                conf::relative_time(earliest, run_at)?,
                conf::relative_time(latest, run_at)?,
            );
            // Runs before the first evaluation time of the comparison see no data.
            if to < alerts::SCHEDULE_S as i64 {
                run_at += 60;
                continue;
            }
            let ctx = spl::Context {
                store: &l.store,
                macros,
                earliest_s: from as f64,
                latest_s: to as f64,
                tokens: BTreeMap::new(),
                rate_basis: spl::RateBasis::default(),
            };
            let rows = spl::run(search, &ctx)
                .with_context(|| format!("{} at {run_at} s\n{search}", s.alert.name))?;
            let set = out.entry((s.alert.name.clone(), to)).or_default();
            for row in rows {
                set.insert(firing_of(&row, &s.alert, rationale)?);
            }
            runs += 1;
        }
        run_at += 60;
    }
    Ok(runs)
}

/// A result row as the alert Prometheus would fire: `alertname`, the rule's labels and the
/// series' (`host` is `instance`), and the annotations.
fn firing_of(row: &spl::Row, a: &Alert, rationale: &str) -> Result<Firing> {
    let get = |f: &str| -> Result<String> {
        row.0
            .get(f)
            .map(|v| v.text())
            .ok_or_else(|| anyhow!("{}: a row without {f}: {row:?}", a.name))
    };
    ensure!(
        get("alertname")? == a.name,
        "{}: alertname {}",
        a.name,
        get("alertname")?
    );
    let mut labels = BTreeMap::new();
    labels.insert("alertname".to_string(), a.name.clone());
    for k in a.labels.keys() {
        labels.insert(k.clone(), get(k)?);
    }
    for f in &a.series_labels {
        let name = if f == "host" { "instance" } else { f.as_str() };
        labels.insert(name.to_string(), get(f)?);
    }
    let mut annotations = BTreeMap::new();
    for k in alerts::ROW_ANNOTATIONS {
        annotations.insert(k.to_string(), get(k)?);
    }
    annotations.insert("rationale".to_string(), rationale.to_string());
    Ok(Firing {
        labels,
        annotations,
    })
}

/// The evaluation times of the schedule over a timeline.
fn schedule_times() -> Vec<i64> {
    let s = alerts::SCHEDULE_S as i64;
    (1..=timeline::DURATION_S / s).map(|i| i * s).collect()
}

/// Writes the promtool test of timeline `l` expecting `ours` for `names`, runs it, and returns
/// what promtool reported.
fn judge(
    dir: &Path,
    rules: &Path,
    l: &Loaded,
    names: &[String],
    ours: &Firings,
    tag: &str,
) -> Result<Vec<Failure>> {
    let times = schedule_times();
    for ((a, t), _) in ours.iter() {
        ensure!(
            times.contains(t),
            "{a}: an evaluation at {t} s, off the schedule"
        );
    }
    let file = promtool::test_file(
        rules,
        &l.timeline.promtool_series(),
        timeline::PROMTOOL_STEP_S,
        names,
        &times,
        ours,
    );
    let path = dir.join(format!("{tag}.json"));
    std::fs::write(&path, serde_json::to_string(&file)?)
        .with_context(|| format!("writing {}", path.display()))?;
    promtool::run(&path).with_context(|| format!("timeline {}", l.scenario.name))
}

struct Verdict {
    ok: bool,
    /// (series, time) pairs where Prometheus fires.
    firing: usize,
    edges: Vec<String>,
    problems: Vec<String>,
}

fn when(t: i64) -> String {
    format!("{}h{:02}m", t / 3600, t % 3600 / 60)
}

/// Whether alert `name` agrees on every timeline: promtool's failures for it, read against the
/// edge tolerance; and whether Prometheus fires it where, and only where, the timelines were
/// built to.
fn verdict(name: &str, loaded: &[Loaded], ours: &[Firings], failures: &[Vec<Failure>]) -> Verdict {
    let tolerance = EDGE_TOLERANCE
        .iter()
        .find(|(a, _)| *a == name)
        .map(|(_, r)| *r);
    let step = alerts::SCHEDULE_S as i64;
    let mut v = Verdict {
        ok: true,
        firing: 0,
        edges: Vec::new(),
        problems: Vec::new(),
    };
    for (i, l) in loaded.iter().enumerate() {
        let tl = l.scenario.name;
        let fails: BTreeMap<i64, &Failure> = failures[i]
            .iter()
            .filter(|f| f.alertname == name)
            .map(|f| (f.time_s, f))
            .collect();
        let empty = BTreeSet::new();
        let mine = |t: i64| ours[i].get(&(name.to_string(), t)).unwrap_or(&empty);
        let theirs = |t: i64| match fails.get(&t) {
            Some(f) => &f.got,
            None => mine(t),
        };
        let mut fired = 0;
        for t in schedule_times() {
            fired += theirs(t).len();
        }
        v.firing += fired;
        let built_to_fire = l.scenario.fires.contains(&name);
        if fired > 0 && !built_to_fire {
            v.ok = false;
            v.problems.push(format!(
                "{tl}: Prometheus fires it, but the timeline was not built to ({})",
                theirs(
                    *schedule_times()
                        .iter()
                        .find(|&&t| !theirs(t).is_empty())
                        .expect("fired")
                )
                .iter()
                .map(Firing::describe)
                .collect::<Vec<_>>()
                .join(", ")
            ));
        }
        if fired == 0 && built_to_fire {
            v.ok = false;
            v.problems.push(format!(
                "{tl}: built to fire it, Prometheus never does: the timeline proves nothing"
            ));
        }
        for (&t, f) in &fails {
            let only_prometheus = f.got.difference(&f.expected).map(|x| ("Prometheus", x));
            let only_splunk = f.expected.difference(&f.got).map(|x| ("Splunk", x));
            for (who, x) in only_prometheus.chain(only_splunk) {
                // The other engine fires it one interval before or after: an edge.
                let other_fires = |t2: i64| {
                    if who == "Prometheus" {
                        mine(t2).contains(x)
                    } else {
                        theirs(t2).contains(x)
                    }
                };
                let edge = other_fires(t - step) || other_fires(t + step);
                let msg = format!("{tl}, {}: only {who} fires {}", when(t), x.describe());
                match tolerance {
                    Some(reason) if edge => v.edges.push(format!(
                        "{msg}, the other engine at {} or {}: {reason}",
                        when(t - step),
                        when(t + step)
                    )),
                    _ => {
                        v.ok = false;
                        v.problems.push(format!("{msg}{}", annotation_hint(x, f)));
                    }
                }
            }
        }
    }
    v
}

/// When both engines fire the same labels with other annotations, what differs.
fn annotation_hint(x: &Firing, f: &Failure) -> String {
    let twin = f
        .got
        .iter()
        .chain(f.expected.iter())
        .find(|y| y.labels == x.labels && y.annotations != x.annotations);
    match twin {
        Some(y) => {
            let diff: Vec<String> = x
                .annotations
                .iter()
                .filter(|(k, val)| y.annotations.get(*k) != Some(val))
                .map(|(k, val)| format!("{k}: {val:?} against {:?}", y.annotations.get(k)))
                .collect();
            format!(" (annotations differ: {})", diff.join("; "))
        }
        None => String::new(),
    }
}
