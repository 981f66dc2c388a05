//! Deterministic synthetic Mattermost scrapes: three nodes, three hours, every metric the 26
//! panels of Grafana's "Mattermost Performance Monitoring v2" chart.
//!
//! The same in-memory samples are written two ways:
//!
//! * [`Scrape`] bodies in text format 0.0.4, as a Mattermost node serves them (what our modular
//!   input reads and converts for Splunk), and
//! * one OpenMetrics document with timestamps ([`openmetrics`]), which `promtool tsdb
//!   create-blocks-from openmetrics` turns into the TSDB blocks the reference Prometheus serves.
//!
//! Both sides therefore see exactly the same numbers; any difference in a panel is a difference
//! of the query engines (or a bug), never of the data.
//!
//! ## Shape of the data, and why
//!
//! * Scrapes at `START_S + 7 + 15k`: no sample lies on a minute (or 5-, 10-minute) boundary, so
//!   neither side's bucketing can depend on whether a boundary is inclusive.
//! * Counters have a piecewise-constant rate that changes exactly at multiples of
//!   [`SEGMENT_S`] after the start. Inside a segment every scrape adds the same integer
//!   (`rate * 15`), so a window that lies inside one segment has a rate known exactly
//!   ([`Series::rates`]); windows straddling a change point show how each engine interpolates.
//! * Node 2 restarts once, at [`RESTART_AT_S`] (between two scrapes): all its counters start again
//!   from 0 and its start-time gauges change, so both engines' counter-reset handling is
//!   exercised.
//! * Histograms use Mattermost's bucket bounds (`prometheus.DefBuckets`); per segment each one
//!   has a distribution over the buckets, and in [`SLOW_SEGMENT`] latency climbs (p99 of the API
//!   from about 0.19 s to about 2.4 s). Buckets are cumulative and `_count` equals the `+Inf`
//!   bucket; `_sum` is the sum of one representative value per observation, so it is consistent
//!   with the buckets.
//! * Handler and store-method volumes are spaced by a factor of about 1.3 and their latencies
//!   by distinct bucket offsets, so the dashboard's top-10 variables (by count, by mean
//!   duration) have no ties and an unambiguous 10th place.
//! * Gauges are mean-reverting random walks.
//! * Some legends collide on purpose, as they do in Grafana with real data:
//!   `mattermost_jobs_active{type}` and `mattermost_db_replica_lag_time{node}` (two replicas,
//!   reported by the cluster leader `mm-node-1` only) are charted with the legend
//!   `{{instance}}`, so several lines share one name.
//!
//! Only IEEE-754 basic arithmetic is used on the values (no libm), and all randomness comes from
//! splitmix64 streams keyed by the series' identity, so the data is the same on every machine
//! and does not depend on the order in which series are generated.

// A node is an index into several parallel tables (NODES, NODE_SHARE, UPTIME_S); loops over
// `0..NODES.len()` read best as they are.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::mattermost_fixture::format_go_float;

/// 2026-01-01T00:00:00Z.
pub const START_S: i64 = 1_767_225_600;
/// Three hours of data.
pub const DURATION_S: i64 = 3 * 3600;
/// End of the data (exclusive): the last scrape is at `END_S - 8`.
pub const END_S: i64 = START_S + DURATION_S;
pub const SCRAPE_INTERVAL_S: i64 = 15;
/// Offset of the first scrape after [`START_S`]; scrapes are at `START_S + 7 + 15k`.
pub const SCRAPE_OFFSET_S: i64 = 7;
/// Scrapes per node.
pub const SCRAPES_PER_NODE: usize = (DURATION_S / SCRAPE_INTERVAL_S) as usize;
/// Counter rates and histogram distributions change at every multiple of this after
/// [`START_S`].
pub const SEGMENT_S: i64 = 1800;
pub const SEGMENTS: usize = (DURATION_S / SEGMENT_S) as usize;
/// The segment in which latency climbs.
pub const SLOW_SEGMENT: usize = 2;
pub const NODES: [&str; 3] = ["mm-node-1", "mm-node-2", "mm-node-3"];
/// Index in [`NODES`] of the node that restarts (`mm-node-2`).
pub const RESTART_NODE: usize = 1;
/// When it restarts: between its scrapes at `START_S + 5542` and `START_S + 5557`.
pub const RESTART_AT_S: i64 = START_S + 5400 + 150;
/// `job` label added to every series on the Prometheus side.
pub const JOB: &str = "mattermost";

/// Mattermost's histogram bounds (`prometheus.DefBuckets`), seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The `le` label values as client_golang writes them (Go's shortest `%g`).
const LE: [&str; 12] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];
/// Value every observation in a bucket is taken to have (for `_sum`): inside each bucket, so
/// `_sum / _count` always lies between the bounds the buckets allow.
const BUCKET_VALUE: [f64; 12] = [
    0.003, 0.0075, 0.017, 0.036, 0.072, 0.16, 0.36, 0.71, 1.6, 3.6, 7.1, 14.0,
];
/// Distribution of observations around a histogram's centre bucket, as (offset, weight):
/// the 99th percentile lies three buckets above the centre.
const SHAPE: [(i32, f64); 6] = [
    (-2, 3.0),
    (-1, 20.0),
    (0, 50.0),
    (1, 19.0),
    (2, 6.0),
    (3, 2.0),
];

/// Share of the cluster's traffic each node serves.
const NODE_SHARE: [f64; 3] = [0.38, 0.33, 0.29];
/// How long each process had been running at [`START_S`] (counters start from large values).
const UPTIME_S: [i64; 3] = [267_840, 190_080, 388_800];
/// Traffic multiplier of each segment.
const TRAFFIC: [f64; SEGMENTS] = [1.0, 1.12, 0.95, 1.25, 1.1, 0.85];
/// Latency shift (in buckets) of each segment for the API and the store; [`SLOW_SEGMENT`]
/// moves every distribution three and a half buckets up.
const LATENCY_SHIFT: [f64; SEGMENTS] = [0.0, 0.2, 3.5, 0.5, 0.0, 0.1];
/// Same for inter-node cluster requests, which the slow database affects less.
const CLUSTER_LATENCY_SHIFT: [f64; SEGMENTS] = [0.0, 0.3, 1.0, 0.2, 0.0, 0.4];

/// API handlers: (handler, method, origin_client, cluster-wide calls/s, centre bucket).
/// Calls are spaced by ~1.3x and centres by >= 0.25 bucket: distinct totals and mean durations.
/// `createPost` comes from two clients (two series, one handler).
const API: &[(&str, &str, &str, f64, f64)] = &[
    ("getUserStatusesByIds", "POST", "web", 52.0, 0.3),
    ("getPostsForChannel", "GET", "web", 40.0, 1.6),
    ("viewChannel", "POST", "web", 31.0, 1.1),
    (
        "getPostsForChannelAroundLastUnread",
        "GET",
        "web",
        23.5,
        2.9,
    ),
    ("getUsersByIds", "POST", "web", 18.0, 1.35),
    ("getPostThread", "GET", "mobile", 13.8, 2.6),
    ("createPost", "POST", "web", 7.0, 2.1),
    ("createPost", "POST", "mobile", 3.6, 2.1),
    ("getChannelMember", "GET", "mobile", 8.2, 0.6),
    ("getPreferences", "GET", "desktop", 6.3, 0.85),
    ("getFileThumbnail", "GET", "web", 4.8, 2.35),
    ("searchPosts", "POST", "web", 3.7, 3.6),
    ("getTeamsUnreadForUser", "GET", "desktop", 2.85, 1.85),
];

/// Store methods: (method, success, cluster-wide calls/s, centre bucket).
const STORE: &[(&str, &str, f64, f64)] = &[
    ("ChannelStore.GetMember", "true", 160.0, 0.3),
    ("ChannelStore.GetMember", "false", 1.0, 0.3),
    ("UserStore.GetProfileByIds", "true", 123.0, 0.5),
    ("StatusStore.GetByIds", "true", 95.0, 0.1),
    ("PostStore.GetPostsSince", "true", 73.0, 1.5),
    ("ChannelStore.Get", "true", 56.0, 0.7),
    ("PreferenceStore.GetCategory", "true", 43.0, 0.9),
    ("ChannelStore.GetMembersForUser", "true", 33.0, 1.3),
    ("PostStore.Save", "true", 25.5, 1.7),
    ("TeamStore.GetTeamsForUser", "true", 19.6, 1.1),
    ("ThreadStore.GetThreadsForUser", "true", 15.1, 1.9),
    ("FileInfoStore.GetForPost", "true", 11.6, 2.2),
    ("PostStore.Search", "true", 8.9, 2.8),
];

/// Websocket broadcasts by event name, cluster-wide per second (`channel_created` is
/// pre-initialised by Mattermost and never sent here: a counter that stays 0).
const BROADCASTS: &[(&str, f64)] = &[
    ("typing", 60.0),
    ("posted", 35.0),
    ("status_change", 22.0),
    ("multiple_channels_viewed", 14.0),
    ("reaction_added", 4.0),
    ("post_edited", 2.5),
    ("user_updated", 1.2),
    ("channel_created", 0.0),
];

/// Websocket events received, by type, cluster-wide per second.
const WS_EVENTS: &[(&str, f64)] = &[
    ("typing", 28.0),
    ("posted", 17.0),
    ("status_change", 9.0),
    ("hello", 1.6),
    ("response", 5.5),
    ("reaction_added", 2.2),
];

/// Websocket reconnects by type (the values Mattermost's web_conn.go uses), per second.
const RECONNECTS: &[(&str, f64)] = &[("failure", 0.2), ("lossless", 1.1), ("success", 0.5)];

/// The SQL handles of every node (`db_name` of the go_sql_* collectors, `replica-<i>` as
/// sqlstore names them).
const DB_NAMES: [&str; 3] = ["master", "replica-0", "replica-1"];

/// Job types each node has run since it started (so their gauges exist, mostly at 0).
const JOB_TYPES: [&str; 3] = [
    "data_retention",
    "elasticsearch_post_indexing",
    "message_export",
];

/// Replica nodes whose lag the cluster leader measures (`ReplicaLagSettings`).
const LAG_NODES: [&str; 2] = ["mm-db-replica-0", "mm-db-replica-1"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One scrape of one node, as Mattermost serves it.
#[derive(Clone, Debug)]
pub struct Scrape {
    pub node: String,
    /// Scrape time, ms since the epoch (always a whole second here).
    pub time_ms: i64,
    /// Text format 0.0.4, as `promhttp` writes it.
    pub body: String,
}

/// One time series of one node: a sample name, its labels, and one value per scrape.
#[derive(Clone, Debug)]
pub struct Series {
    /// Sample name (`mattermost_api_time_bucket`, `go_goroutines`, ...).
    pub name: String,
    /// Index in [`NODES`].
    pub node: usize,
    /// Labels Mattermost exposes, sorted by name, without `le` (and without `instance`/`job`,
    /// which only the Prometheus side adds). Empty values kept, as Mattermost writes them.
    pub labels: Vec<(String, String)>,
    /// `le` of a histogram bucket, as written (`"0.005"`, `"1"`, `"+Inf"`).
    pub le: Option<String>,
    /// Value at each scrape of the node (index `k`: time [`scrape_time_s`]`(k)`).
    pub values: Vec<f64>,
    /// Counters only: the exact rate (per second) inside each segment. A window of data that
    /// lies entirely inside segment `s` (and, for node 2, does not contain the restart) has
    /// exactly this rate.
    pub rates: Option<[f64; SEGMENTS]>,
}

/// A metric family: `# HELP`, `# TYPE` and its series (all nodes).
#[derive(Clone, Debug)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    /// In exposition order: children sorted by label values, a histogram child's buckets then
    /// `_sum` then `_count`.
    pub series: Vec<Series>,
}

/// Everything generated.
pub struct Timeline {
    pub nodes: Vec<String>,
    /// Sorted by name, as client_golang's registry gathers them.
    pub families: Vec<Family>,
    /// Ordered by time, then node.
    pub scrapes: Vec<Scrape>,
}

/// Time (s) of scrape `k` (same on every node).
pub fn scrape_time_s(k: usize) -> i64 {
    START_S + SCRAPE_OFFSET_S + SCRAPE_INTERVAL_S * k as i64
}

/// Segment containing time `t_s` (clamped to the data).
pub fn segment_of(t_s: i64) -> usize {
    (((t_s - START_S).max(0) / SEGMENT_S) as usize).min(SEGMENTS - 1)
}

impl Timeline {
    /// Generates the whole data set (deterministic: same result on every call and machine).
    pub fn generate() -> Timeline {
        let mut g = Gen::default();
        g.api();
        g.store();
        g.cluster();
        g.websocket();
        g.http();
        g.db();
        g.jobs();
        g.process_and_go();
        let mut families = g.families;
        families.sort_by(|a, b| a.name.cmp(&b.name));
        let scrapes = render_scrapes(&families);
        Timeline {
            nodes: NODES.iter().map(|n| n.to_string()).collect(),
            families,
            scrapes,
        }
    }

    /// Number of samples (one value of one series at one scrape) in the whole timeline.
    pub fn sample_count(&self) -> usize {
        self.families
            .iter()
            .map(|f| f.series.iter().map(|s| s.values.len()).sum::<usize>())
            .sum()
    }

    /// Number of series (all nodes).
    pub fn series_count(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }

    /// All series with this sample name.
    pub fn series_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Series> + 'a {
        self.families
            .iter()
            .flat_map(|f| f.series.iter())
            .filter(move |s| s.name == name)
    }

    /// The exact rate (per second) in segment `segment` of the sum of the counters named
    /// `name` that `keep` accepts. Panics if one of them is not a counter: a check that asks
    /// for the rate of a gauge is a bug in the check.
    pub fn true_rate(&self, name: &str, segment: usize, keep: impl Fn(&Series) -> bool) -> f64 {
        self.series_named(name)
            .filter(|s| keep(s))
            .map(|s| {
                s.rates
                    .unwrap_or_else(|| panic!("true_rate: {name} is not a counter"))[segment]
            })
            .sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness (splitmix64, keyed by the series' identity)
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    /// A stream keyed by `key` (FNV-1a of the key, mixed with a fixed seed): the values of a
    /// series do not depend on how many series were generated before it.
    fn keyed(key: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h ^ 0x5EED_2026_0101_0000)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Approximately standard normal (Irwin-Hall of 4 uniforms, rescaled): no libm needed.
    fn normal(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 1.732_050_807_568_877_2
    }
}

// ---------------------------------------------------------------------------------------------
// Value generators
// ---------------------------------------------------------------------------------------------

/// Does node `node` restart, and when (seconds).
fn restart_of(node: usize) -> Option<i64> {
    (node == RESTART_NODE).then_some(RESTART_AT_S)
}

/// An integer counter that adds `per_scrape[s]` in every 15 s of segment `s`.
///
/// Kept exactly in units of 1/15 (`c15`), advanced second by second in closed form, so the
/// increment between two scrapes of one segment is exactly `per_scrape[s]`, and one across a
/// change point mixes the two rates in proportion to the time spent in each. After a restart
/// the counter starts from 0 at the restart instant.
fn int_counter(per_scrape: &[i64; SEGMENTS], node: usize, phase15: i64) -> Vec<f64> {
    let start15 = per_scrape[0] as i128 * UPTIME_S[node] as i128 + phase15 as i128;
    let mut c15 = start15;
    let mut values = Vec::with_capacity(SCRAPES_PER_NODE);
    let mut t_prev = scrape_time_s(0);
    let restart = restart_of(node);
    for k in 0..SCRAPES_PER_NODE {
        let t = scrape_time_s(k);
        if k > 0 {
            match restart {
                Some(r) if t_prev < r && r <= t => {
                    c15 = advance15(0, per_scrape, r, t);
                }
                _ => c15 = advance15(c15, per_scrape, t_prev, t),
            }
        }
        values.push((c15 / 15) as f64);
        t_prev = t;
    }
    values
}

/// `c15` advanced from `a` to `b` (seconds), segment by segment.
fn advance15(mut c15: i128, per_scrape: &[i64; SEGMENTS], a: i64, b: i64) -> i128 {
    let mut t = a;
    while t < b {
        let s = segment_of(t);
        let seg_end = START_S + SEGMENT_S * (s as i64 + 1);
        let until = if s == SEGMENTS - 1 { b } else { b.min(seg_end) };
        c15 += per_scrape[s] as i128 * (until - t) as i128;
        t = until;
    }
    c15
}

/// A float counter growing at `rate[s]` per second in segment `s`, rounded to 0.01 (CPU
/// seconds come from /proc in clock ticks). Restarts from 0 like [`int_counter`].
fn float_counter(rate: &[f64; SEGMENTS], node: usize) -> Vec<f64> {
    let mut c = rate[0] * UPTIME_S[node] as f64;
    let mut values = Vec::with_capacity(SCRAPES_PER_NODE);
    let mut t_prev = scrape_time_s(0);
    for k in 0..SCRAPES_PER_NODE {
        let t = scrape_time_s(k);
        if k > 0 {
            let (from, base) = match restart_of(node) {
                Some(r) if t_prev < r && r <= t => (r, 0.0),
                _ => (t_prev, c),
            };
            c = base;
            let mut u = from;
            while u < t {
                let s = segment_of(u);
                let seg_end = START_S + SEGMENT_S * (s as i64 + 1);
                let until = if s == SEGMENTS - 1 { t } else { t.min(seg_end) };
                c += rate[s] * (until - u) as f64;
                u = until;
            }
        }
        values.push((c * 100.0).round() / 100.0);
        t_prev = t;
    }
    values
}

/// How a gauge wanders.
#[derive(Clone, Copy)]
struct Walk {
    mean: f64,
    step: f64,
    min: f64,
    max: f64,
    /// Values are rounded to a multiple of this (1 for counts, 8192 for heap bytes, 1e-6 for
    /// seconds of lag).
    quantum: f64,
    /// Where the walk starts again after the node restarts (fraction of `mean`).
    after_restart: f64,
}

/// A mean-reverting random walk, one value per scrape.
fn walk(w: Walk, node: usize, rng: &mut Rng) -> Vec<f64> {
    let mut v = w.mean * rng.range(0.85, 1.15);
    let mut values = Vec::with_capacity(SCRAPES_PER_NODE);
    let mut t_prev = scrape_time_s(0);
    for k in 0..SCRAPES_PER_NODE {
        let t = scrape_time_s(k);
        match restart_of(node) {
            Some(r) if k > 0 && t_prev < r && r <= t => v = w.mean * w.after_restart,
            _ => v += 0.05 * (w.mean - v) + w.step * rng.normal(),
        }
        v = v.clamp(w.min, w.max);
        // Divide by the inverse for fractional quanta: 0.006087, not 0.0060869999999999995.
        let q = if w.quantum >= 1.0 {
            (v / w.quantum).round() * w.quantum
        } else {
            let inv = (1.0 / w.quantum).round();
            (v * inv).round() / inv
        };
        values.push(q);
        t_prev = t;
    }
    values
}

/// Observations per scrape in each of the 12 buckets (non-cumulative) for `n` observations
/// centred on bucket `centre` (fractional: a mix of the two neighbouring whole-bucket shapes,
/// so the mean grows continuously with the centre).
fn bucket_counts(n: f64, centre: f64) -> [i64; 12] {
    let c = centre.floor();
    let f = centre - c;
    let mut w = [0.0f64; 12];
    for (base, share) in [(c as i32, 1.0 - f), (c as i32 + 1, f)] {
        for (off, weight) in SHAPE {
            let i = (base + off).clamp(0, 11) as usize;
            w[i] += weight * share;
        }
    }
    let total: f64 = w.iter().sum();
    let mut out = [0i64; 12];
    for i in 0..12 {
        out[i] = (n * w[i] / total).round() as i64;
    }
    out
}

#[derive(Default)]
struct Gen {
    families: Vec<Family>,
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn key_of(name: &str, node: usize, labels: &[(String, String)]) -> String {
    let mut k = format!("{name}|{node}");
    for (n, v) in labels {
        let _ = write!(k, "|{n}={v}");
    }
    k
}

impl Gen {
    fn family(&mut self, name: &str, help: &str, kind: Kind) -> &mut Family {
        self.families.push(Family {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            series: Vec::new(),
        });
        self.families.last_mut().expect("just pushed")
    }

    /// Sorts the family's children by label values (as client_golang does) then by node.
    /// Histogram children (bucket.., sum, count) stay together and in order.
    fn finish(&mut self) {
        let fam = self.families.last_mut().expect("a family");
        let group = if fam.kind == Kind::Histogram { 14 } else { 1 };
        let mut chunks: Vec<Vec<Series>> = Vec::new();
        let mut it = std::mem::take(&mut fam.series).into_iter().peekable();
        while it.peek().is_some() {
            chunks.push(it.by_ref().take(group).collect());
        }
        chunks.sort_by(|a, b| {
            let ka: Vec<&String> = a[0].labels.iter().map(|(_, v)| v).collect();
            let kb: Vec<&String> = b[0].labels.iter().map(|(_, v)| v).collect();
            ka.cmp(&kb).then(a[0].node.cmp(&b[0].node))
        });
        fam.series = chunks.into_iter().flatten().collect();
    }

    /// An integer counter whose cluster-wide rate is `cluster_rate` (split between nodes by
    /// their share, varied per segment by `TRAFFIC` and a per-series jitter), or, with
    /// `per_node`, whose rate on every node is `cluster_rate`.
    fn counter_child(
        &mut self,
        name: &str,
        pairs: &[(&str, &str)],
        cluster_rate: f64,
        per_node: bool,
    ) {
        let l = labels(pairs);
        for node in 0..NODES.len() {
            let key = key_of(name, node, &l);
            let mut rng = Rng::keyed(&key);
            let mut per_scrape = [0i64; SEGMENTS];
            for s in 0..SEGMENTS {
                let share = if per_node { 1.0 } else { NODE_SHARE[node] };
                let r = cluster_rate * share * TRAFFIC[s] * rng.range(0.93, 1.07);
                // Every counter that moves at all adds at least 1 per scrape.
                per_scrape[s] = if cluster_rate > 0.0 {
                    ((r * 15.0).round() as i64).max(1)
                } else {
                    0
                };
            }
            let phase = (rng.next_u64() % 15) as i64;
            let values = int_counter(&per_scrape, node, phase);
            let rates = per_scrape.map(|p| p as f64 / 15.0);
            let fam = self.families.last_mut().expect("a family");
            fam.series.push(Series {
                name: name.to_string(),
                node,
                labels: l.clone(),
                le: None,
                values,
                rates: Some(rates),
            });
        }
    }

    fn gauge_child(&mut self, name: &str, pairs: &[(&str, &str)], node: usize, w: Walk) {
        let l = labels(pairs);
        let mut rng = Rng::keyed(&key_of(name, node, &l));
        let values = walk(w, node, &mut rng);
        self.push_gauge(name, node, l, values);
    }

    fn push_gauge(
        &mut self,
        name: &str,
        node: usize,
        labels: Vec<(String, String)>,
        values: Vec<f64>,
    ) {
        let fam = self.families.last_mut().expect("a family");
        fam.series.push(Series {
            name: name.to_string(),
            node,
            labels,
            le: None,
            values,
            rates: None,
        });
    }

    /// One histogram child per node: `cluster_rate` observations/s centred on bucket `centre`,
    /// shifted per segment by `shift`.
    fn histogram_child(
        &mut self,
        family: &str,
        pairs: &[(&str, &str)],
        cluster_rate: f64,
        centre: f64,
        shift: &[f64; SEGMENTS],
    ) {
        let l = labels(pairs);
        for node in 0..NODES.len() {
            let key = key_of(family, node, &l);
            let mut rng = Rng::keyed(&key);
            // per_bucket[i][s]: observations per scrape in bucket i during segment s.
            let mut per_bucket = [[0i64; SEGMENTS]; 12];
            for s in 0..SEGMENTS {
                let n = cluster_rate * NODE_SHARE[node] * TRAFFIC[s] * rng.range(0.93, 1.07) * 15.0;
                let counts = bucket_counts(n.max(2.0), centre + shift[s]);
                for i in 0..12 {
                    per_bucket[i][s] = counts[i];
                }
            }
            let phase = (rng.next_u64() % 15) as i64;
            let raw: Vec<Vec<f64>> = per_bucket
                .iter()
                .map(|p| int_counter(p, node, phase))
                .collect();
            let mut cumulative = vec![0.0; SCRAPES_PER_NODE];
            let mut sum = vec![0.0; SCRAPES_PER_NODE];
            let mut sum_rates = [0.0; SEGMENTS];
            let mut count_rates = [0.0; SEGMENTS];
            let mut out = Vec::with_capacity(14);
            for i in 0..12 {
                for k in 0..SCRAPES_PER_NODE {
                    cumulative[k] += raw[i][k];
                    sum[k] += raw[i][k] * BUCKET_VALUE[i];
                }
                for s in 0..SEGMENTS {
                    count_rates[s] += per_bucket[i][s] as f64 / 15.0;
                    sum_rates[s] += per_bucket[i][s] as f64 * BUCKET_VALUE[i] / 15.0;
                }
                out.push(Series {
                    name: format!("{family}_bucket"),
                    node,
                    labels: l.clone(),
                    le: Some(LE[i].to_string()),
                    values: cumulative.clone(),
                    rates: Some(count_rates),
                });
            }
            out.push(Series {
                name: format!("{family}_sum"),
                node,
                labels: l.clone(),
                le: None,
                values: sum,
                rates: Some(sum_rates),
            });
            out.push(Series {
                name: format!("{family}_count"),
                node,
                labels: l.clone(),
                le: None,
                values: cumulative.clone(),
                rates: Some(count_rates),
            });
            self.families
                .last_mut()
                .expect("a family")
                .series
                .extend(out);
        }
    }

    fn api(&mut self) {
        self.family(
            "mattermost_api_time",
            "Time to execute the api handler",
            Kind::Histogram,
        );
        for &(handler, method, origin, rate, centre) in API {
            let pairs = [
                ("handler", handler),
                ("method", method),
                ("status_code", "200"),
                ("origin_client", origin),
                ("page_load_context", ""),
            ];
            self.histogram_child("mattermost_api_time", &pairs, rate, centre, &LATENCY_SHIFT);
        }
        self.finish();
    }

    fn store(&mut self) {
        self.family(
            "mattermost_db_store_time",
            "Time to execute the store method",
            Kind::Histogram,
        );
        for &(method, success, rate, centre) in STORE {
            let pairs = [("method", method), ("success", success)];
            self.histogram_child(
                "mattermost_db_store_time",
                &pairs,
                rate,
                centre,
                &LATENCY_SHIFT,
            );
        }
        self.finish();
    }

    fn cluster(&mut self) {
        self.family(
            "mattermost_cluster_cluster_request_duration_seconds",
            "The total duration in seconds of the inter-node cluster requests.",
            Kind::Histogram,
        );
        self.histogram_child(
            "mattermost_cluster_cluster_request_duration_seconds",
            &[],
            18.0,
            0.4,
            &CLUSTER_LATENCY_SHIFT,
        );
        self.finish();

        self.family(
            "mattermost_cluster_cluster_health_score",
            "A score that gives an idea of how well it is meeting the soft-real time requirements of the gossip protocol.",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            let w = Walk {
                mean: 0.4,
                step: 0.5,
                min: 0.0,
                max: 6.0,
                quantum: 1.0,
                after_restart: 2.0,
            };
            self.gauge_child("mattermost_cluster_cluster_health_score", &[], node, w);
        }
        self.finish();
    }

    fn websocket(&mut self) {
        self.family(
            "mattermost_websocket_broadcasts_total",
            "The total number of websocket broadcasts sent for any type.",
            Kind::Counter,
        );
        for &(name, rate) in BROADCASTS {
            self.counter_child(
                "mattermost_websocket_broadcasts_total",
                &[("name", name)],
                rate,
                false,
            );
        }
        self.finish();

        self.family(
            "mattermost_websocket_event_total",
            "Total number of websocket events",
            Kind::Counter,
        );
        for &(t, rate) in WS_EVENTS {
            self.counter_child(
                "mattermost_websocket_event_total",
                &[("type", t)],
                rate,
                false,
            );
        }
        self.finish();

        self.family(
            "mattermost_websocket_reconnects_total",
            "Total number of websocket reconnect attempts",
            Kind::Counter,
        );
        for &(t, rate) in RECONNECTS {
            self.counter_child(
                "mattermost_websocket_reconnects_total",
                &[("type", t)],
                rate,
                false,
            );
        }
        self.finish();

        self.family(
            "mattermost_websocket_broadcast_buffer_size",
            "Number of events in the websocket broadcasts buffer waiting to be processed",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            for hub in ["0", "1", "2", "3"] {
                let w = Walk {
                    mean: 4.0,
                    step: 2.5,
                    min: 0.0,
                    max: 80.0,
                    quantum: 1.0,
                    after_restart: 0.0,
                };
                self.gauge_child(
                    "mattermost_websocket_broadcast_buffer_size",
                    &[("hub", hub)],
                    node,
                    w,
                );
            }
        }
        self.finish();
    }

    fn http(&mut self) {
        self.family(
            "mattermost_http_requests_total",
            "The total number of http API requests.",
            Kind::Counter,
        );
        self.counter_child("mattermost_http_requests_total", &[], 265.0, false);
        self.finish();

        self.family(
            "mattermost_http_websockets_total",
            "The total number of websocket connections to this server.",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            for (origin, per_cluster) in [("desktop", 450.0), ("mobile", 780.0), ("web", 1260.0)] {
                let mean = per_cluster * NODE_SHARE[node];
                let w = Walk {
                    mean,
                    step: mean * 0.015,
                    min: 0.0,
                    max: mean * 3.0,
                    quantum: 1.0,
                    after_restart: 0.3,
                };
                self.gauge_child(
                    "mattermost_http_websockets_total",
                    &[("origin_client", origin)],
                    node,
                    w,
                );
            }
        }
        self.finish();
    }

    fn db(&mut self) {
        // Open connections of each handle: go_sql_open_connections, and (as Mattermost computes
        // them from the same sql.DB stats) the master / read-replica connection gauges.
        let mut open: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
        let mut in_use: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
        for node in 0..NODES.len() {
            for db in DB_NAMES {
                let l = labels(&[("db_name", db)]);
                let mean = if db == "master" { 45.0 } else { 32.0 };
                let w = Walk {
                    mean,
                    step: 2.0,
                    min: 2.0,
                    max: 300.0,
                    quantum: 1.0,
                    after_restart: 0.2,
                };
                let o = walk(
                    w,
                    node,
                    &mut Rng::keyed(&key_of("go_sql_open_connections", node, &l)),
                );
                let w = Walk {
                    mean: mean * 0.3,
                    step: 2.0,
                    min: 0.0,
                    max: 300.0,
                    quantum: 1.0,
                    after_restart: 0.2,
                };
                let mut u = walk(
                    w,
                    node,
                    &mut Rng::keyed(&key_of("go_sql_in_use_connections", node, &l)),
                );
                for (u, o) in u.iter_mut().zip(&o) {
                    *u = u.min(*o);
                }
                open.insert((node, db), o);
                in_use.insert((node, db), u);
            }
        }
        for (name, help, data) in [
            (
                "go_sql_open_connections",
                "The number of established connections both in use and idle.",
                &open,
            ),
            (
                "go_sql_in_use_connections",
                "The number of connections currently in use.",
                &in_use,
            ),
        ] {
            self.family(name, help, Kind::Gauge);
            for ((node, db), values) in data {
                self.push_gauge(name, *node, labels(&[("db_name", db)]), values.clone());
            }
            self.finish();
        }
        for (name, help, master_rate, replica_rate) in [
            (
                "go_sql_wait_count_total",
                "The total number of connections waited for.",
                0.6,
                0.3,
            ),
            (
                "go_sql_max_idle_closed_total",
                "The total number of connections closed due to SetMaxIdleConns.",
                1.2,
                0.8,
            ),
            (
                "go_sql_max_idle_time_closed_total",
                "The total number of connections closed due to SetConnMaxIdleTime.",
                0.2,
                0.13,
            ),
        ] {
            self.family(name, help, Kind::Counter);
            for db in DB_NAMES {
                let rate = if db == "master" {
                    master_rate
                } else {
                    replica_rate
                };
                self.counter_child(name, &[("db_name", db)], rate, true);
            }
            self.finish();
        }

        self.family(
            "mattermost_db_master_connections_total",
            "The total number of connections to the master database.",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            let v = open[&(node, "master")].clone();
            self.push_gauge(
                "mattermost_db_master_connections_total",
                node,
                Vec::new(),
                v,
            );
        }
        self.finish();
        self.family(
            "mattermost_db_read_replica_connections_total",
            "The total number of connections to all the read replica databases.",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            let v: Vec<f64> = open[&(node, "replica-0")]
                .iter()
                .zip(&open[&(node, "replica-1")])
                .map(|(a, b)| a + b)
                .collect();
            self.push_gauge(
                "mattermost_db_read_replica_connections_total",
                node,
                Vec::new(),
                v,
            );
        }
        self.finish();

        // Only the cluster leader runs the replica-lag queries.
        self.family(
            "mattermost_db_replica_lag_time",
            "A time unit for measuring replica lag.",
            Kind::Gauge,
        );
        for lag_node in LAG_NODES {
            let w = Walk {
                mean: 0.004,
                step: 0.0015,
                min: 0.0,
                max: 5.0,
                quantum: 1e-6,
                after_restart: 1.0,
            };
            self.gauge_child(
                "mattermost_db_replica_lag_time",
                &[("node", lag_node)],
                0,
                w,
            );
        }
        self.finish();
    }

    fn jobs(&mut self) {
        self.family(
            "mattermost_jobs_active",
            "Number of active jobs",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            for t in JOB_TYPES {
                let w = Walk {
                    mean: 0.6,
                    step: 0.45,
                    min: 0.0,
                    max: 4.0,
                    quantum: 1.0,
                    after_restart: 0.0,
                };
                self.gauge_child("mattermost_jobs_active", &[("type", t)], node, w);
            }
        }
        self.finish();
    }

    fn process_and_go(&mut self) {
        self.family(
            "mattermost_process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            Kind::Counter,
        );
        for node in 0..NODES.len() {
            let mut rng = Rng::keyed(&key_of("mattermost_process_cpu_seconds_total", node, &[]));
            let mut rate = [0.0; SEGMENTS];
            for s in 0..SEGMENTS {
                // Cores busy; a hundredth of a core resolution.
                rate[s] = (2.4 * NODE_SHARE[node] * TRAFFIC[s] * rng.range(0.9, 1.1) * 100.0)
                    .round()
                    / 100.0;
            }
            let values = float_counter(&rate, node);
            self.families
                .last_mut()
                .expect("a family")
                .series
                .push(Series {
                    name: "mattermost_process_cpu_seconds_total".to_string(),
                    node,
                    labels: Vec::new(),
                    le: None,
                    values,
                    rates: Some(rate),
                });
        }
        self.finish();

        for (name, help) in [
            (
                "mattermost_process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
            ),
            (
                "mattermost_system_server_start_time",
                "The time the server started.",
            ),
        ] {
            self.family(name, help, Kind::Gauge);
            for node in 0..NODES.len() {
                // /proc gives the start time in clock ticks (0.01 s); the server's own gauge is
                // set a little later, at init.
                let later = if name == "mattermost_system_server_start_time" {
                    1.87
                } else {
                    0.0
                };
                let first = (START_S - UPTIME_S[node]) as f64 + 0.42 + later;
                let values = (0..SCRAPES_PER_NODE)
                    .map(|k| match restart_of(node) {
                        Some(r) if scrape_time_s(k) >= r => r as f64 + 0.42 + later,
                        _ => first,
                    })
                    .collect();
                self.push_gauge(name, node, Vec::new(), values);
            }
            self.finish();
        }

        self.family(
            "go_goroutines",
            "Number of goroutines that currently exist.",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            let w = Walk {
                mean: 3400.0 * NODE_SHARE[node] * 3.0,
                step: 45.0,
                min: 50.0,
                max: 50_000.0,
                quantum: 1.0,
                after_restart: 0.35,
            };
            self.gauge_child("go_goroutines", &[], node, w);
        }
        self.finish();

        self.family(
            "go_memstats_heap_inuse_bytes",
            "Number of heap bytes that are in use.",
            Kind::Gauge,
        );
        for node in 0..NODES.len() {
            let w = Walk {
                mean: 6.2e8 * NODE_SHARE[node] * 3.0,
                step: 1.4e7,
                min: 5e7,
                max: 8e9,
                quantum: 8192.0,
                after_restart: 0.25,
            };
            self.gauge_child("go_memstats_heap_inuse_bytes", &[], node, w);
        }
        self.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// `name{a="x",b="y",le="0.5"}` with Mattermost's own labels (sorted, empty values kept) and,
/// for the Prometheus side, `instance`/`job` first and empty values dropped (Prometheus treats
/// an empty label as absent, and a scrape would store it so).
fn series_key(s: &Series, prometheus: bool) -> String {
    let mut out = String::with_capacity(96);
    out.push_str(&s.name);
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if prometheus {
        pairs.push(("instance", NODES[s.node]));
        pairs.push(("job", JOB));
    }
    for (k, v) in &s.labels {
        if prometheus && v.is_empty() {
            continue;
        }
        pairs.push((k, v));
    }
    if let Some(le) = &s.le {
        pairs.push(("le", le));
    }
    if !pairs.is_empty() {
        out.push('{');
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // No label value here needs escaping (no `\`, `"` or newline).
            let _ = write!(out, "{k}=\"{v}\"");
        }
        out.push('}');
    }
    out
}

/// A family and, for one node, its series with their rendered `name{labels}`.
type NodeFamily<'a> = (&'a Family, Vec<(String, &'a Series)>);

fn render_scrapes(families: &[Family]) -> Vec<Scrape> {
    // Per node, per family: the series of that node with their rendered `name{labels}`.
    let per_node: Vec<Vec<NodeFamily>> = (0..NODES.len())
        .map(|node| {
            families
                .iter()
                .map(|f| {
                    let series = f
                        .series
                        .iter()
                        .filter(|s| s.node == node)
                        .map(|s| (series_key(s, false), s))
                        .collect::<Vec<_>>();
                    (f, series)
                })
                // A vector with no children is not gathered at all (no HELP/TYPE lines).
                .filter(|(_, series)| !series.is_empty())
                .collect()
        })
        .collect();
    let mut scrapes = Vec::with_capacity(SCRAPES_PER_NODE * NODES.len());
    for k in 0..SCRAPES_PER_NODE {
        for (node, fams) in per_node.iter().enumerate() {
            let mut body = String::with_capacity(64 * 1024);
            for (f, series) in fams {
                let _ = writeln!(body, "# HELP {} {}", f.name, f.help);
                let _ = writeln!(body, "# TYPE {} {}", f.name, f.kind.as_str());
                for (key, s) in series {
                    body.push_str(key);
                    body.push(' ');
                    body.push_str(&format_go_float(s.values[k]));
                    body.push('\n');
                }
            }
            scrapes.push(Scrape {
                node: NODES[node].to_string(),
                time_ms: scrape_time_s(k) * 1000,
                body,
            });
        }
    }
    scrapes
}

/// The whole timeline as one OpenMetrics document with timestamps (seconds), for `promtool tsdb
/// create-blocks-from openmetrics`: each family once (`# HELP`, `# TYPE`; a counter's family
/// name without `_total`, as OpenMetrics wants), then every series with all its samples in
/// ascending time, `instance` (= node name, no port, so it equals Splunk's `host`) and
/// `job="mattermost"` added to every series; ends with `# EOF`.
pub fn openmetrics(timeline: &Timeline) -> String {
    let mut out = String::with_capacity(timeline.sample_count() * 150);
    for f in &timeline.families {
        let family_name = match f.kind {
            Kind::Counter => f.name.strip_suffix("_total").unwrap_or(&f.name),
            _ => &f.name,
        };
        let _ = writeln!(out, "# HELP {family_name} {}", f.help);
        let _ = writeln!(out, "# TYPE {family_name} {}", f.kind.as_str());
        for s in &f.series {
            let key = series_key(s, true);
            for (k, v) in s.values.iter().enumerate() {
                out.push_str(&key);
                out.push(' ');
                out.push_str(&format_go_float(*v));
                out.push(' ');
                let _ = write!(out, "{}", scrape_time_s(k));
                out.push('\n');
            }
        }
    }
    out.push_str("# EOF\n");
    out
}
