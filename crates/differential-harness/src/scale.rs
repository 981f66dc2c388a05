//! The scale scenario: production cardinality in the SPL evaluator, with
//! Splunk's default limits enforced (`spl::Limits`).
//!
//! What matters for a limit is how many rows a search produces, which grows
//! with series x buckets, not with samples: so the series are as many as a
//! large deployment has (10 Mattermost nodes; 200 API handlers with their
//! real label sets and histogram buckets; 79 store methods; 20 caches; the
//! rest of the server's families, the Calls plugin, rtcd and node_exporter
//! at their normal cardinality), and the buckets are real (7 days and 24
//! hours at the dashboards' auto spans), but a series has only two samples
//! per bucket.
//!
//! The data comes from the repository's own generators: the fixture
//! generator's Mattermost server (`mattermost_fixture.rs`, at the scales
//! that give those counts) and the differential timeline's Calls plugin,
//! rtcd and node_exporter scrapes (`timeline.rs`, its first scrape of
//! each). Each endpoint's one scrape goes through the input's real path
//! (parse -> convert -> event text -> our transforms, `ours::indexed_point`),
//! which proves the names; the other scrapes are that scrape's series with
//! values moved forward in time (counters grow, gauges wander) and pushed
//! into the evaluator's store series by series.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::{anyhow, bail, Result};

use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::dashboard::{
    Spec, Variable, VariableKind, CHART_EARLIEST_TOKEN, SPAN_LOOKBACK_TOKEN, SPAN_SECONDS_TOKEN,
    SPAN_TOKEN,
};
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;
use mattermost_metrics::spl::catalog;

use crate::mattermost_fixture::{self as fixture, FixtureOptions};
use crate::{ours, spl, splunk, timeline};

/// Mattermost nodes (each with the server and the Calls plugin).
pub const NODES: usize = 10;
/// Distinct `handler` values of `mattermost_api_time`.
pub const API_HANDLERS: usize = 200;
/// At least this many distinct `method` values of
/// `mattermost_db_store_time` (the fixture generator's list has 79, some of
/// which the Collapsed Reply Threads dashboard names: all are kept).
pub const STORE_METHODS: usize = 60;
/// Distinct cache names of the `mattermost_cache_*` families.
pub const CACHES: usize = 20;
/// 2026-01-01T00:00:00Z: a multiple of every span the dashboards pick.
pub const START_S: i64 = 1_767_225_600;
pub const DAYS: i64 = 7;
pub const END_S: i64 = START_S + DAYS * 86_400;
/// Two scrapes in every bucket of the charts (a rate needs two samples
/// inside a bucket): every 30 minutes for the 7-day chart (auto span
/// 3600 s), every 5 minutes in its last day for the 24-hour one (600 s).
pub const INTERVAL_S: i64 = 1800;
pub const LAST_DAY_INTERVAL_S: i64 = 300;

const RTCD_HOSTS: [&str; 2] = ["rtcd-1", "rtcd-2"];
const OFFLOADER_HOST: &str = "calls-offloader-1";

/// Seconds after [`START_S`] of every scrape.
fn scrape_offsets_s() -> Vec<i64> {
    let last_day = END_S - 86_400 - START_S;
    let mut v: Vec<i64> = (0..last_day).step_by(INTERVAL_S as usize).collect();
    v.extend((last_day..END_S - START_S).step_by(LAST_DAY_INTERVAL_S as usize));
    v
}

use test_support::root;

pub fn node_name(i: usize) -> String {
    format!("mm-node-{:02}", i + 1)
}

/// One scrape target: whose, which job, what it serves.
struct Endpoint {
    host: String,
    port: u16,
    path: &'static str,
    /// The `job` dimension its input adds (none for the server's).
    job: Option<&'static str>,
    /// Seconds after each half hour that it is scraped.
    offset_s: i64,
}

/// The index after the scenario: the store and what went into it.
pub struct Scale {
    pub store: spl::Store,
    pub series: usize,
    pub samples: usize,
    pub api_series: usize,
    pub store_methods: usize,
    pub hosts: Vec<String>,
}

/// Every host's name: the nodes, rtcd's and the Calls offloader's (each
/// with a node_exporter).
fn all_hosts() -> Vec<String> {
    let mut h: Vec<String> = (0..NODES).map(node_name).collect();
    h.extend(RTCD_HOSTS.iter().map(|s| s.to_string()));
    h.push(OFFLOADER_HOST.to_string());
    h
}

/// One scrape body through parse -> convert -> event text -> transforms;
/// only the samples whose name `keep` accepts (the rest would be dropped).
fn indexed(
    transforms: &[splunk::Transform],
    ep: &Endpoint,
    body: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<spl::Point>> {
    let source = format!("http://{}:{}{}", ep.host, ep.port, ep.path);
    let mut raw = Vec::new();
    let mut out = Vec::new();
    convert_scrape(
        body.as_bytes(),
        Format::Prometheus,
        false,
        &ConvertOptions::default(),
        (START_S + ep.offset_s) * 1000,
        |dp| {
            if keep(dp.metric_name) {
                out.push(ours::indexed_point(
                    transforms, &ep.host, &source, ep.job, dp, &mut raw,
                ));
            }
        },
    )
    .map_err(|e| anyhow!("scrape of {source}: {e}"))?;
    Ok(out)
}

/// The first `n` distinct values of `dim` among `points` of metrics whose
/// name starts with `prefix`, in order of appearance.
fn first_values(points: &[spl::Point], prefix: &str, dim: &str, n: usize) -> BTreeSet<String> {
    let mut seen: Vec<String> = Vec::new();
    for p in points.iter().filter(|p| p.metric_name.starts_with(prefix)) {
        if let Some(v) = p.dims.get(dim) {
            if !seen.contains(v) && seen.len() < n {
                seen.push(v.clone());
            }
        }
    }
    seen.into_iter().collect()
}

/// A Mattermost server's series: the fixture generator's scrape (scale 1)
/// for every family, but the API histogram from its scale 7 (first 200
/// handlers, every label set each has) and the cache families from its
/// scale 2 (first 20 caches).
fn server_points(
    transforms: &[splunk::Transform],
    ep: &Endpoint,
    seed: u64,
) -> Result<Vec<spl::Point>> {
    let gen = |scale| {
        fixture::generate(&FixtureOptions {
            seed,
            scale,
            ..FixtureOptions::default()
        })
    };
    let is_api = |name: &str| name.starts_with("mattermost_api_time");
    let is_cache = |name: &str| name.starts_with("mattermost_cache_");
    let mut out = indexed(transforms, ep, &gen(1), &|n| !is_api(n) && !is_cache(n))?;
    let api = indexed(transforms, ep, &gen(7), &is_api)?;
    let handlers = first_values(&api, "mattermost_api_time", "handler", API_HANDLERS);
    if handlers.len() < API_HANDLERS {
        bail!(
            "the fixture at scale 7 has only {} API handlers",
            handlers.len()
        );
    }
    out.extend(
        api.into_iter()
            .filter(|p| p.dims.get("handler").is_some_and(|h| handlers.contains(h))),
    );
    let caches = indexed(transforms, ep, &gen(2), &is_cache)?;
    let names = first_values(&caches, "mattermost_cache_mem_hit", "name", CACHES);
    if names.len() < CACHES {
        bail!("the fixture at scale 2 has only {} caches", names.len());
    }
    out.extend(
        caches
            .into_iter()
            .filter(|p| p.dims.get("name").is_none_or(|n| names.contains(n))),
    );
    Ok(out)
}

/// Value at scrape `k` of a series whose first scrape read `v0`: a counter
/// grows in proportion (so a histogram's buckets stay cumulative and
/// `_sum / _count` stays put), a gauge wanders within 5 %.
fn value_at(counter: bool, v0: f64, k: usize) -> f64 {
    if counter {
        v0 * (1.0 + k as f64 / 500.0)
    } else {
        v0 * (1.0 + 0.05 * (((k * 7) % 13) as f64 - 6.0) / 6.0)
    }
}

fn is_counter(metric: &str) -> bool {
    catalog::lookup(metric).is_some_and(|e| e.kind == "counter")
}

impl Scale {
    /// Builds the index; `progress` hears each phase.
    pub fn build(progress: &dyn Fn(&str, Instant)) -> Result<Scale> {
        let t = Instant::now();
        let transforms = splunk::transforms_for(&root().join("splunk_app"), "mattermost:metrics");
        // The Calls plugin's, rtcd's and node_exporter's scrapes as the
        // differential harness' timeline serves them (its first of each).
        let tl = timeline::Timeline::generate();
        let body = |job: &str, node: &str| -> Result<String> {
            tl.scrapes
                .iter()
                .find(|s| s.job == job && s.node == node)
                .map(|s| s.body.clone())
                .ok_or_else(|| anyhow!("the timeline has no {job} scrape of {node}"))
        };
        let calls_body = body(timeline::JOB_CALLS, timeline::NODES[0])?;
        let rtcd_bodies = [
            body(timeline::JOB_RTCD, timeline::RTCD_NODES[0])?,
            body(timeline::JOB_RTCD, timeline::RTCD_NODES[1])?,
        ];
        let node_body = |host: &str| {
            let like = if host.starts_with("rtcd") {
                timeline::RTCD_NODES[0]
            } else if host == OFFLOADER_HOST {
                timeline::OFFLOADER_NODE
            } else {
                timeline::NODES[0]
            };
            body(timeline::JOB_NODE, like)
        };
        let all = |_: &str| true;
        let mut points: Vec<spl::Point> = Vec::new();
        for i in 0..NODES {
            let host = node_name(i);
            let server = Endpoint {
                host: host.clone(),
                port: 8067,
                path: "/metrics",
                job: None,
                offset_s: 7,
            };
            points.extend(server_points(&transforms, &server, 42 + i as u64)?);
            let calls = Endpoint {
                host: host.clone(),
                port: 8067,
                path: "/plugins/com.mattermost.calls/metrics",
                job: Some("calls"),
                offset_s: 11,
            };
            points.extend(indexed(&transforms, &calls, &calls_body, &all)?);
        }
        for (h, body) in RTCD_HOSTS.iter().zip(&rtcd_bodies) {
            let ep = Endpoint {
                host: h.to_string(),
                port: 8045,
                path: "/metrics",
                job: Some("rtcd"),
                offset_s: 4,
            };
            points.extend(indexed(&transforms, &ep, body, &all)?);
        }
        let hosts = all_hosts();
        for h in &hosts {
            let ep = Endpoint {
                host: h.clone(),
                port: 9100,
                path: "/metrics",
                job: Some("node"),
                offset_s: 13,
            };
            points.extend(indexed(&transforms, &ep, &node_body(h)?, &all)?);
        }
        progress(
            &format!(
                "one scrape of each of {} endpoints indexed: {} series",
                2 * NODES + RTCD_HOSTS.len() + hosts.len(),
                points.len()
            ),
            t,
        );

        // Every node's server serves the same methods.
        let store_methods =
            first_values(&points, "mattermost_db_store_time", "method", usize::MAX).len();
        if store_methods < STORE_METHODS {
            bail!("only {store_methods} store methods per node");
        }

        let t = Instant::now();
        let mut store = spl::Store::new();
        let mut api_series = 0;
        let offsets: Vec<i64> = scrape_offsets_s().iter().map(|o| o * 1000).collect();
        let scrapes = offsets.len();
        for p in points.iter() {
            let counter = is_counter(&p.metric_name);
            if p.metric_name.starts_with("mattermost_api_time") {
                api_series += 1;
            }
            let times = offsets.iter().map(|o| p.time_ms + o).collect();
            let values = (0..scrapes)
                .map(|k| value_at(counter, p.value, k))
                .collect();
            store.push_series(&p.metric_name, p.dims.clone(), times, values);
        }
        let series = points.len();
        let samples = store.len();
        progress(
            &format!("{scrapes} scrapes per series ({INTERVAL_S} s apart over {DAYS} days, {LAST_DAY_INTERVAL_S} s in the last): {samples} samples"),
            t,
        );
        Ok(Scale {
            store,
            series,
            samples,
            api_series,
            store_methods,
            hosts: all_hosts(),
        })
    }
}

/// What one search did.
pub struct Outcome {
    pub what: String,
    pub rows: usize,
    pub peak: spl::Peak,
    pub secs: f64,
    /// A limit reached, or another error.
    pub limit: Option<spl::LimitHit>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn held(&self) -> bool {
        self.limit.is_none() && self.error.is_none()
    }
}

/// Runs one search over [earliest, latest) and records its peak.
pub fn run(
    store: &spl::Store,
    macros: &spl::Macros,
    tokens: &BTreeMap<String, String>,
    range: (i64, i64),
    what: String,
    search: &str,
) -> (Outcome, Vec<spl::Row>) {
    let ctx = spl::Context {
        store,
        macros,
        earliest_s: range.0 as f64,
        latest_s: range.1 as f64,
        tokens: tokens.clone(),
        rate_basis: spl::RateBasis::default(),
    };
    spl::take_peak();
    let t = Instant::now();
    let result = spl::run(search, &ctx);
    let secs = t.elapsed().as_secs_f64();
    let peak = spl::take_peak();
    let mut o = Outcome {
        what,
        rows: 0,
        peak,
        secs,
        limit: None,
        error: None,
    };
    match result {
        Ok(rows) => {
            o.rows = rows.len();
            (o, rows)
        }
        Err(e) => {
            match e.downcast_ref::<spl::LimitHit>() {
                Some(h) => o.limit = Some(h.clone()),
                None => o.error = Some(format!("{e:#}")),
            }
            (o, Vec::new())
        }
    }
}

/// What the dashboards' span search sets for the range: the span (`3600s`), its seconds
/// (3600), the span instant selectors are read at (`300s`) and where a chart's search starts.
pub type SpanTokens = (String, i64, String, String);

/// The span the dashboards' span search picks for the range ([`SpanTokens`]).
pub fn auto_span(
    store: &spl::Store,
    macros: &spl::Macros,
    range: (i64, i64),
) -> Result<SpanTokens> {
    let (o, rows) = run(
        store,
        macros,
        &BTreeMap::new(),
        range,
        "span".into(),
        "| makeresults\n| addinfo\n| `mattermost_metrics_span`",
    );
    if let Some(e) = o.error {
        bail!("the span search: {e}");
    }
    let row = rows
        .first()
        .ok_or_else(|| anyhow!("the span search gave no row"))?;
    let span = row.text("span").ok_or_else(|| anyhow!("no span"))?;
    let secs = row.num("span_s").ok_or_else(|| anyhow!("no span_s"))? as i64;
    let lookback = row
        .text(SPAN_LOOKBACK_TOKEN)
        .ok_or_else(|| anyhow!("no {SPAN_LOOKBACK_TOKEN}"))?;
    let earliest = row
        .text(CHART_EARLIEST_TOKEN)
        .ok_or_else(|| anyhow!("no {CHART_EARLIEST_TOKEN}"))?;
    Ok((span, secs, lookback, earliest))
}

fn host_filter(hosts: &[String]) -> String {
    let terms: Vec<String> = hosts.iter().map(|h| format!("host=\"{h}\"")).collect();
    format!("({})", terms.join(" OR "))
}

/// The hosts a node variable lists: the Mattermost nodes (server and Calls
/// plugin), rtcd's, or every node_exporter's host its pattern keeps.
fn hosts_of(v: &Variable, hosts: &[String]) -> Vec<String> {
    match v.job.as_deref() {
        None | Some("calls") => (0..NODES).map(node_name).collect(),
        Some("rtcd") => RTCD_HOSTS.iter().map(|s| s.to_string()).collect(),
        _ => hosts
            .iter()
            .filter(|h| {
                v.host_pattern
                    .as_deref()
                    .is_none_or(|p| h.contains(p.trim_matches('*')))
            })
            .cloned()
            .collect(),
    }
}

/// A dashboard's tokens as its inputs and hidden searches set them (every
/// node selected, All where a list offers it, the defaults otherwise), the
/// span tokens at `span`; the hidden top-10 searches run here, each an
/// outcome.
pub fn tokens(
    spec: &Spec,
    scale: &Scale,
    macros: &spl::Macros,
    range: (i64, i64),
    span: &SpanTokens,
    outcomes: &mut Vec<Outcome>,
    label: &str,
) -> Result<BTreeMap<String, String>> {
    let mut t = BTreeMap::new();
    t.insert(SPAN_TOKEN.to_string(), span.0.clone());
    t.insert(SPAN_SECONDS_TOKEN.to_string(), span.1.to_string());
    t.insert(SPAN_LOOKBACK_TOKEN.to_string(), span.2.clone());
    t.insert(CHART_EARLIEST_TOKEN.to_string(), span.3.clone());
    for v in &spec.variables {
        let token = spec.token_of(v);
        let value = match v.kind {
            VariableKind::Nodes => Some(host_filter(&hosts_of(v, &scale.hosts))),
            VariableKind::Query => {
                let (search, _) = spec
                    .load_plan()?
                    .variable_search(&v.name)
                    .ok_or_else(|| anyhow!("variable {}: not in the load", v.name))?;
                let (o, rows) = run(
                    &scale.store,
                    macros,
                    &t,
                    range,
                    format!("{label} {} / variable {}", spec.id, v.name),
                    &search,
                );
                let filter = rows
                    .first()
                    .and_then(|r| r.text("filter"))
                    .unwrap_or_else(|| "(nothing)".to_string());
                outcomes.push(o);
                Some(filter)
            }
            VariableKind::Values => {
                let f =
                    mattermost_metrics::spl::label_field(v.field.as_deref().unwrap_or_default());
                Some(format!("({f}=\"*\")"))
            }
            VariableKind::Custom if v.multi => Some(format!("({})", v.options.join("|"))),
            VariableKind::Custom => Some(v.default.clone().unwrap_or_else(|| v.options[0].clone())),
            VariableKind::Interval => {
                let d = v.default.clone().unwrap_or_else(|| v.options[0].clone());
                let secs = mattermost_metrics::spl::parse_duration_s(&d)
                    .ok_or_else(|| anyhow!("variable {}: {d}", v.name))?;
                Some(format!("{secs}"))
            }
            VariableKind::Constant => None,
        };
        if let Some(value) = value {
            t.insert(token, value);
        }
    }
    Ok(t)
}

/// The KPI dashboard's "Mean API Request Time" as the compiler wrote it
/// before its operands shared one `mstats`: the right operand through
/// `append`. The negative control: at this scale its subsearch holds
/// nodes x label sets x buckets rows and must reach append's maxout.
pub fn mean_api_time_through_append() -> String {
    let by = "host handler method status_code origin_client page_load_context";
    let head = |metric: &str| {
        format!("| mstats fillnull_value=\"-\" rate_sum({metric}) AS value WHERE `mattermost_metrics_index` AND $host$ AND `mattermost_metrics_server_endpoint` BY {by} span=$span$")
    };
    format!(
        "{}\n| eval value=1000 * value\n| where isnotnull(value)\n| rename value AS lhs\n| append [{}\n  | rename value AS rhs]\n| stats first(lhs) AS lhs first(rhs) AS rhs BY _time {by}\n| where isnotnull(lhs) AND isnotnull(rhs)\n| eval value=lhs / rhs\n| fields - lhs rhs\n| where isnotnull(value)",
        head("mattermost_api_time_sum"),
        head("mattermost_api_time_count"),
    )
}

/// The same panel's operands as the compiler writes them now (one mstats).
pub fn mean_api_time_one_scan() -> Result<String> {
    let opts = mattermost_metrics::spl::Options {
        span: mattermost_metrics::spl::SpanSpec::Token {
            span: SPAN_TOKEN.into(),
            seconds: SPAN_SECONDS_TOKEN.into(),
            lookback: SPAN_LOOKBACK_TOKEN.into(),
        },
        node_filter: Some("$host$ AND `mattermost_metrics_server_endpoint`".into()),
        ..Default::default()
    };
    Ok(mattermost_metrics::spl::compile_str(
        "1000.0 * rate(mattermost_api_time_sum[1m]) / rate(mattermost_api_time_count[1m])",
        &opts,
    )?
    .spl)
}

/// Rows as sorted text, to compare two searches' answers.
pub fn canonical(rows: &[spl::Row]) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| {
            r.0.iter()
                .map(|(k, f)| format!("{k}={}", f.text()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    v.sort();
    v
}
