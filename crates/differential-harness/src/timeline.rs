//! Deterministic synthetic scrapes of a Mattermost deployment with Calls: three Mattermost nodes
//! (server `/metrics` and Calls plugin endpoint each), two rtcd nodes, a calls-offloader host
//! and node_exporter on every host, eight hours, every metric family the nine official
//! Mattermost Grafana dashboards chart (except the one no source defines,
//! `mattermost_plugin_calls_cluster_mutex_local_grab_time`).
//!
//! The same in-memory samples are written two ways:
//!
//! * [`Scrape`] bodies in text format 0.0.4, as each endpoint serves them (what our modular
//!   input reads and converts for Splunk), and
//! * one OpenMetrics document with timestamps ([`openmetrics`]), which `promtool tsdb
//!   create-blocks-from openmetrics` turns into the TSDB blocks the reference Prometheus serves,
//!   with `instance="<host>:<port>"` and `job` on every series, as a Prometheus scraping the
//!   endpoints would store them.
//!
//! Both sides therefore see exactly the same numbers; any difference in a panel is a difference
//! of the query engines (or a bug), never of the data.
//!
//! ## Endpoints ([`ENDPOINTS`])
//!
//! | job | hosts | port | path | what |
//! |---|---|---|---|---|
//! | `mattermost` | mm-node-1..3 | 8067 | `/metrics` | the server's registry |
//! | `calls` | mm-node-1..3 | 8067 | `/plugins/com.mattermost.calls/metrics` | the Calls plugin: `mattermost_plugin_calls_*`, its own `go_*`, `go_sql_*{db_name="writer"}` |
//! | `rtcd` | rtcd-1, rtcd-2 | 8045 | `/metrics` | `rtcd_*` and rtcd's `go_*` |
//! | `node` | all six hosts | 9100 | `/metrics` | node_exporter: CPU, memory, network, sockstat, netstat |
//!
//! The server and its plugin share an instance (`mm-node-1:8067`): Prometheus tells them apart
//! by `job` only, which is why the Calls dashboard filters its `go_*` panels on `job="calls"`.
//! Each job is scraped at its own offset within the 15 s interval (see [`Endpoint::offset_s`]).
//!
//! ## Shape of the data, and why
//!
//! * As rough as production: each scrape is scheduled at `START_S + offset + 15k` and happens
//!   up to 5 s early or late ([`scrape_time_ms`], millisecond times, as a busy forwarder's
//!   inputs run), about one in a hundred is missing at random, and `mm-node-3`'s forwarder is
//!   down for four minutes ([`present`]). No sample lies on a whole minute, so no bucket
//!   boundary of any span holds one, and neither side's bucketing can depend on whether a
//!   boundary is inclusive. The dashboards are compared over ranges that end at [`NOW_S`], 23 s
//!   past a minute, so the first and last buckets of every range are partial.
//! * Counters have a piecewise-constant rate that changes exactly at multiples of
//!   [`SEGMENT_S`] after the start (a pattern of [`SEGMENTS`] segments, repeated). Between two
//!   scrapes a counter grows by its rate times the time between them, up to one count of
//!   rounding ([`Series::rates`]); windows straddling a change point show how each engine
//!   interpolates.
//!   Float counters (CPU seconds, GC pause sums) grow at such a rate too, rounded as their
//!   source rounds them. node_exporter's netstat values are `untyped`, as node_exporter
//!   declares them, but are counters in substance and generated like them.
//! * `mm-node-2` restarts once, at [`RESTART_AT_S`] (between two scrapes of every endpoint):
//!   the server and its Calls plugin process start again, so all their counters start again
//!   from 0 and the start-time gauges change; rtcd and node_exporter do not restart.
//! * Histograms use the bucket bounds their source declares (`prometheus.DefBuckets`, the
//!   webapp/mobile/desktop bounds of Mattermost's metrics.go, rtcd's latency and loss buckets,
//!   the live-captions audio length buckets). Per segment each has a distribution over its
//!   buckets; in [`SLOW_SEGMENT`] the server's latency climbs (p99 of the API from about 0.19 s
//!   to about 2.4 s). Buckets are cumulative and `_count` equals the `+Inf` bucket; `_sum` is
//!   the sum of one representative value per observation (inside its bucket), so it is
//!   consistent with the buckets. Every client-side histogram (webapp, mobile, desktop) has
//!   observations at every scrape of every segment for every label combination.
//! * Handler and store-method volumes are spaced by a factor of about 1.3 and their latencies
//!   by distinct bucket offsets, so the v2 dashboard's top-10 variables (by count, by mean
//!   duration) have no ties and an unambiguous 10th place.
//! * Gauges are mean-reverting random walks.
//! * Some legends collide on purpose, as they do in Grafana with real data:
//!   `mattermost_jobs_active{type}` and `mattermost_db_replica_lag_time{node}` (two replicas,
//!   reported by the cluster leader `mm-node-1` only) are charted with the legend
//!   `{{instance}}`, so several lines share one name.
//!
//! Only IEEE-754 basic arithmetic is used on the values (no libm), and all randomness comes from
//! splitmix64 streams keyed by the series' identity, so the data is the same on every machine
//! and does not depend on the order in which series are generated. The server families of the
//! v2 dashboard are keyed as they were when the timeline had only the server endpoints, so their
//! values did not change when the other endpoints were added.

// An endpoint is an index into ENDPOINTS, a host an index into HOSTS; loops over index ranges
// read best as they are.
#![allow(clippy::needless_range_loop)]

mod calls;
mod clients;
mod node_exporter;
mod server;

use std::fmt::Write as _;
use std::ops::Range;

pub use test_support::exposition_text::Kind;
use test_support::exposition_text::{format_go_float, push_header, push_labels, Format};

/// 2026-01-01T00:00:00Z.
pub const START_S: i64 = 1_767_225_600;
/// Eight hours of data: the dashboards' 1 h and 6 h ranges lie wholly inside it, with two
/// hours before the 6 h range for `[1h]` windows and the previous bucket's basis; the 24 h and
/// 7 d ranges see a site whose data starts eight hours ago (what a new install shows).
pub const DURATION_S: i64 = 8 * 3600;
/// End of the data (exclusive): every endpoint's last scrape is in the last interval before it.
pub const END_S: i64 = START_S + DURATION_S;
/// 15 s, as the Prometheus that Mattermost's Grafana dashboards were drawn from scrapes: their
/// `[1m]` rates need at least two samples a minute. (The modular input's default is 60 s; a
/// site that keeps it gets a `[1m]` panel's rate over its two-minute buckets, docs/promql.md "Known
/// semantic differences".)
pub const SCRAPE_INTERVAL_S: i64 = 15;
/// Scheduled scrapes per endpoint (some of them missing: [`present`]).
pub const SCRAPES_PER_ENDPOINT: usize = (DURATION_S / SCRAPE_INTERVAL_S) as usize;
/// A scrape's time is its schedule plus up to this much either way (ms), as a busy forwarder's
/// modular inputs start late or early.
pub const JITTER_MS: i64 = 5_000;
/// About one scrape in this many is missing, at random (a slow node, a timed-out scrape).
pub const MISSING_ONE_IN: u64 = 100;
/// The host whose forwarder is down for a few minutes: every endpoint of that host writes
/// nothing in [`GAP_FROM_S`, `GAP_TO_S`) (`mm-node-3`, inside the last hour, so every range sees it).
pub const GAP_HOST: usize = 2;
pub const GAP_FROM_S: i64 = END_S - 1500;
pub const GAP_TO_S: i64 = GAP_FROM_S + 240;
/// Counter rates and histogram distributions change at every multiple of this after
/// [`START_S`], following a pattern of [`SEGMENTS`] segments that repeats ([`segment_of`]).
pub const SEGMENT_S: i64 = 1800;
/// Segments in the pattern (arrays of per-segment rates have this length).
pub const SEGMENTS: usize = 6;
/// The segment of the pattern in which the server's latency climbs.
pub const SLOW_SEGMENT: usize = 2;
/// "Now" for the dashboards' time pickers (`-1h` ... `now`): not a multiple of any span (nor
/// of a minute), so the first and last buckets of every range are partial.
pub const NOW_S: i64 = END_S - 23;
/// The dashboards' time ranges compared (seconds before [`NOW_S`]): 1 h, 6 h, 24 h and 7 d.
pub const RANGES_S: [i64; 4] = [3600, 6 * 3600, 24 * 3600, 7 * 86_400];

/// The Mattermost nodes (Prometheus instances `<node>:8067`, Splunk hosts `<node>`). Index `i`
/// is also the index of the node's server endpoint in [`ENDPOINTS`] and of its host in
/// [`HOSTS`].
pub const NODES: [&str; 3] = ["mm-node-1", "mm-node-2", "mm-node-3"];
/// The rtcd hosts.
pub const RTCD_NODES: [&str; 2] = ["rtcd-1", "rtcd-2"];
/// The calls-offloader host: it has no metrics endpoint of its own, only node_exporter (the
/// Calls dashboard picks it with `label_values(instance)` and the regex `(.*offloader.*):9100`).
pub const OFFLOADER_NODE: &str = "calls-offloader-1";
/// Every host (Splunk `host`; the Prometheus instance is `<host>:<port>`).
pub const HOSTS: [&str; 6] = [
    "mm-node-1",
    "mm-node-2",
    "mm-node-3",
    "rtcd-1",
    "rtcd-2",
    "calls-offloader-1",
];
/// Index in [`HOSTS`] (and [`NODES`], and of its server endpoint in [`ENDPOINTS`]) of the node
/// that restarts (`mm-node-2`).
pub const RESTART_NODE: usize = 1;
/// When it restarts: 45 minutes before [`NOW_S`] (so inside every range), between two scrapes
/// of each of its endpoints (the differential's self-check makes sure no scrape is at that
/// very instant).
pub const RESTART_AT_S: i64 = END_S - 2700 + 40;

/// `job` of the Mattermost server's own `/metrics`.
pub const JOB_MATTERMOST: &str = "mattermost";
/// `job` of the Calls plugin's endpoint.
pub const JOB_CALLS: &str = "calls";
/// `job` of rtcd.
pub const JOB_RTCD: &str = "rtcd";
/// `job` of node_exporter.
pub const JOB_NODE: &str = "node";
/// The server's metrics port (`MetricsSettings.ListenAddress`), which also serves the plugin.
pub const PORT_SERVER: u16 = 8067;
/// rtcd's API port (`api.http.listen_address`).
pub const PORT_RTCD: u16 = 8045;
/// node_exporter's port.
pub const PORT_NODE: u16 = 9100;
/// The Calls plugin's metrics path on the server's metrics listener.
pub const CALLS_PATH: &str = "/plugins/com.mattermost.calls/metrics";

/// One scrape target.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    /// Index in [`HOSTS`].
    pub host: usize,
    pub job: &'static str,
    pub port: u16,
    pub path: &'static str,
    /// Its scrapes are scheduled at `START_S + offset_s + 15k` ([`scrape_time_ms`]).
    pub offset_s: i64,
    /// How long its process had been running at [`START_S`] (counters start from values that
    /// large).
    pub uptime_s: i64,
    /// Whether its process restarts at [`RESTART_AT_S`].
    pub restarts: bool,
}

impl Endpoint {
    pub fn host_name(&self) -> &'static str {
        HOSTS[self.host]
    }

    /// Prometheus' `instance` label: `<host>:<port>`.
    pub fn instance(&self) -> String {
        format!("{}:{}", HOSTS[self.host], self.port)
    }

    /// The URL a scraper reads.
    pub fn url(&self) -> String {
        format!("http://{}:{}{}", HOSTS[self.host], self.port, self.path)
    }
}

const fn endpoint(
    host: usize,
    job: &'static str,
    port: u16,
    path: &'static str,
    offset_s: i64,
    uptime_s: i64,
) -> Endpoint {
    // Only the Mattermost server and the plugin processes it starts restart.
    let restarts = host == RESTART_NODE && port == PORT_SERVER;
    Endpoint {
        host,
        job,
        port,
        path,
        offset_s,
        uptime_s,
        restarts,
    }
}

/// Every endpoint. The first three are the Mattermost servers, in the order of [`NODES`].
pub const ENDPOINTS: [Endpoint; 14] = [
    endpoint(0, JOB_MATTERMOST, PORT_SERVER, "/metrics", 7, 267_840),
    endpoint(1, JOB_MATTERMOST, PORT_SERVER, "/metrics", 7, 190_080),
    endpoint(2, JOB_MATTERMOST, PORT_SERVER, "/metrics", 7, 388_800),
    // The server starts its plugins a few seconds after itself.
    endpoint(0, JOB_CALLS, PORT_SERVER, CALLS_PATH, 11, 267_834),
    endpoint(1, JOB_CALLS, PORT_SERVER, CALLS_PATH, 11, 190_071),
    endpoint(2, JOB_CALLS, PORT_SERVER, CALLS_PATH, 11, 388_795),
    endpoint(3, JOB_RTCD, PORT_RTCD, "/metrics", 4, 1_987_200),
    endpoint(4, JOB_RTCD, PORT_RTCD, "/metrics", 4, 1_123_560),
    // node_exporter runs as long as the machine.
    endpoint(0, JOB_NODE, PORT_NODE, "/metrics", 13, 3_112_200),
    endpoint(1, JOB_NODE, PORT_NODE, "/metrics", 13, 3_112_140),
    endpoint(2, JOB_NODE, PORT_NODE, "/metrics", 13, 3_111_900),
    endpoint(3, JOB_NODE, PORT_NODE, "/metrics", 13, 2_073_600),
    endpoint(4, JOB_NODE, PORT_NODE, "/metrics", 13, 1_209_600),
    endpoint(5, JOB_NODE, PORT_NODE, "/metrics", 13, 864_000),
];
/// Indexes in [`ENDPOINTS`] of the Mattermost servers (= their node index).
pub const SERVER_EPS: Range<usize> = 0..3;
/// Of the Calls plugins (`CALLS_EPS.start + i` is on node `i`).
pub const CALLS_EPS: Range<usize> = 3..6;
/// Of the rtcd servers.
pub const RTCD_EPS: Range<usize> = 6..8;
/// Of the node_exporters (`NODE_EPS.start + h` is on host `h`).
pub const NODE_EPS: Range<usize> = 8..14;

/// Mattermost's histogram bounds (`prometheus.DefBuckets`), seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The `le` label values of [`BUCKETS`] as client_golang writes them (Go's shortest `%g`).
const LE: [&str; 12] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];
/// Value every observation in a [`BUCKETS`] bucket is taken to have (for `_sum`): inside each
/// bucket, so `_sum / _count` always lies between the bounds the buckets allow.
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

/// Traffic multiplier of each segment.
const TRAFFIC: [f64; SEGMENTS] = [1.0, 1.12, 0.95, 1.25, 1.1, 0.85];
/// No change between segments.
const FLAT: [f64; SEGMENTS] = [1.0; SEGMENTS];
/// No latency shift.
const NO_SHIFT: [f64; SEGMENTS] = [0.0; SEGMENTS];

/// One scrape of one endpoint, as it serves it.
#[derive(Clone, Debug)]
pub struct Scrape {
    /// The host (Splunk `host`; the Prometheus instance is `<node>:<port>`).
    pub node: String,
    /// The `job` a Prometheus scraping it would add.
    pub job: String,
    pub port: u16,
    /// URL path (`/metrics`, `/plugins/com.mattermost.calls/metrics`).
    pub path: String,
    /// Scrape time, ms since the epoch (jittered: [`scrape_time_ms`]).
    pub time_ms: i64,
    /// Text format 0.0.4, as `promhttp` (or node_exporter) writes it.
    pub body: String,
}

/// One time series of one endpoint: a sample name, its labels, and one value per scrape.
#[derive(Clone, Debug)]
pub struct Series {
    /// Sample name (`mattermost_api_time_bucket`, `go_goroutines`, ...).
    pub name: String,
    /// Index in [`ENDPOINTS`].
    pub endpoint: usize,
    /// Labels the endpoint exposes, sorted by name, without `le` (and without `instance`/`job`,
    /// which only the Prometheus side adds). Empty values kept, as Mattermost writes them. A
    /// summary's `quantile` is one of them.
    pub labels: Vec<(String, String)>,
    /// `le` of a histogram bucket, as written (`"0.005"`, `"1"`, `"+Inf"`).
    pub le: Option<String>,
    /// Value at each scheduled scrape of the endpoint (index `k`: time
    /// [`scrape_time_ms`]`(endpoint, k)`; a scrape that is not [`present`] is generated too).
    pub values: Vec<f64>,
    /// Counters (and a histogram's or summary's buckets, `_sum`, `_count`, and untyped
    /// counters) only: the rate (per second) inside each segment. A window of data that lies
    /// entirely inside segment `s` (and does not contain a restart of the endpoint) has exactly
    /// this rate (integer counters), or this rate up to the counter's rounding (float ones).
    pub rates: Option<[f64; SEGMENTS]>,
}

impl Series {
    pub fn endpoint(&self) -> &'static Endpoint {
        &ENDPOINTS[self.endpoint]
    }

    /// The value of label `name` (`""` when absent).
    pub fn label(&self, name: &str) -> &str {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// A metric family: `# HELP`, `# TYPE` and its series (all endpoints).
#[derive(Clone, Debug)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    /// Series per child: 1, or for a histogram its buckets (with `+Inf`) + `_sum` + `_count`,
    /// for a summary its quantiles + `_sum` + `_count`.
    pub child_len: usize,
    /// In exposition order: children sorted by label values then endpoint, a histogram child's
    /// buckets then `_sum` then `_count`, a summary child's quantiles then `_sum` then `_count`.
    pub series: Vec<Series>,
}

/// Everything generated.
pub struct Timeline {
    /// The Mattermost nodes ([`NODES`]): the v2 dashboard's servers.
    pub nodes: Vec<String>,
    /// Sorted by name, as client_golang's registry gathers them.
    pub families: Vec<Family>,
    /// Ordered by time, then endpoint.
    pub scrapes: Vec<Scrape>,
}

/// Scheduled time (s) of scrape `k` of endpoint `ep`, before jitter.
pub fn scheduled_s(ep: usize, k: usize) -> i64 {
    START_S + ENDPOINTS[ep].offset_s + SCRAPE_INTERVAL_S * k as i64
}

/// Time (ms) of scrape `k` of endpoint `ep`: its schedule moved by up to [`JITTER_MS`] either
/// way (a draw keyed by endpoint and scrape), never onto a whole minute, so no sample lies on
/// a bucket boundary of any span (both engines' windows then hold the same samples whichever
/// side of a boundary is inclusive).
pub fn scrape_time_ms(ep: usize, k: usize) -> i64 {
    schedule()[ep][k].0
}

/// Whether scrape `k` of endpoint `ep` reached the index (and Prometheus): about one in
/// [`MISSING_ONE_IN`] is missing at random, and [`GAP_HOST`]'s are missing while its forwarder
/// is down. The values of a missing scrape are still generated (the process kept counting);
/// nobody sees them.
pub fn present(ep: usize, k: usize) -> bool {
    schedule()[ep][k].1
}

/// Per endpoint and scheduled scrape: (time ms, present), drawn once.
fn schedule() -> &'static Vec<Vec<(i64, bool)>> {
    static SCHEDULE: std::sync::OnceLock<Vec<Vec<(i64, bool)>>> = std::sync::OnceLock::new();
    SCHEDULE.get_or_init(|| {
        (0..ENDPOINTS.len())
            .map(|ep| {
                (0..SCRAPES_PER_ENDPOINT)
                    .map(|k| {
                        let mut rng = Rng(0x51D3_C0DE ^ ((ep as u64) << 32) ^ k as u64);
                        rng.next_u64();
                        let jitter =
                            (rng.next_u64() % (2 * JITTER_MS as u64 + 1)) as i64 - JITTER_MS;
                        let mut t = scheduled_s(ep, k) * 1000 + jitter;
                        if t % 60_000 == 0 {
                            t += 1;
                        }
                        let gone = ENDPOINTS[ep].host == GAP_HOST
                            && (GAP_FROM_S * 1000..GAP_TO_S * 1000).contains(&t);
                        let mut rng = Rng(0x0DD5_CA1E ^ ((ep as u64) << 32) ^ k as u64);
                        rng.next_u64();
                        let lost = rng.next_u64().is_multiple_of(MISSING_ONE_IN);
                        (t, !gone && !lost)
                    })
                    .collect()
            })
            .collect()
    })
}

/// Segment of the pattern in force at time `t_s` (the pattern repeats every
/// `SEGMENTS * SEGMENT_S`; times before the start are in the first segment).
pub fn segment_of(t_s: i64) -> usize {
    (((t_s - START_S).max(0) / SEGMENT_S) as usize) % SEGMENTS
}

impl Timeline {
    /// Generates the whole data set (deterministic: same result on every call and machine).
    pub fn generate() -> Timeline {
        let mut g = Gen::default();
        server::generate(&mut g);
        clients::generate(&mut g);
        calls::generate(&mut g);
        node_exporter::generate(&mut g);
        let mut families = g.families;
        for f in &mut families {
            sort_children(f);
        }
        families.sort_by(|a, b| a.name.cmp(&b.name));
        let scrapes = render_scrapes(&families);
        Timeline {
            nodes: NODES.iter().map(|n| n.to_string()).collect(),
            families,
            scrapes,
        }
    }

    /// The Prometheus instances of the Mattermost servers (`mm-node-1:8067`, ...): what the v2
    /// dashboard's `$server` lists once restricted to the server's port.
    pub fn server_instances(&self) -> Vec<String> {
        SERVER_EPS.map(|ep| ENDPOINTS[ep].instance()).collect()
    }

    /// Number of samples (one value of one series at one scrape) in the whole timeline.
    pub fn sample_count(&self) -> usize {
        self.families
            .iter()
            .map(|f| f.series.iter().map(|s| s.values.len()).sum::<usize>())
            .sum()
    }

    /// Number of series (all endpoints).
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

    /// The family of this name.
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }

    /// The samples of `s` that reached the index and Prometheus: (time ms, value), in time order.
    pub fn samples<'a>(&self, s: &'a Series) -> impl Iterator<Item = (i64, f64)> + 'a {
        let ep = s.endpoint;
        s.values
            .iter()
            .enumerate()
            .filter(move |(k, _)| present(ep, *k))
            .map(move |(k, v)| (scrape_time_ms(ep, k), *v))
    }

    /// Prometheus 2.42's `rate(s[range_s])` at `t_s`, from the samples as stored
    /// (promql/functions.go `extrapolatedRate`: the increase between the first and last sample
    /// in [t - range, t], every counter reset adding back the value before it, extrapolated to
    /// the window's edges when the first/last sample is within 1.1 average intervals of them,
    /// else by half an interval, never below the counter's zero point; divided by the range).
    /// None with fewer than two samples in the window.
    pub fn prometheus_rate(&self, s: &Series, t_s: i64, range_s: i64) -> Option<f64> {
        let (start, end) = ((t_s - range_s) * 1000, t_s * 1000);
        let pts: Vec<(i64, f64)> = self
            .samples(s)
            .filter(|(t, _)| start <= *t && *t <= end)
            .collect();
        if pts.len() < 2 {
            return None;
        }
        let (t0, v0) = pts[0];
        let (tn, vn) = pts[pts.len() - 1];
        let mut result = vn - v0;
        let mut last = 0.0;
        for &(_, v) in &pts {
            if v < last {
                result += last;
            }
            last = v;
        }
        let mut to_start = (t0 - start) as f64 / 1000.0;
        let to_end = (end - tn) as f64 / 1000.0;
        let sampled = (tn - t0) as f64 / 1000.0;
        let avg = sampled / (pts.len() - 1) as f64;
        if result > 0.0 && v0 >= 0.0 {
            let to_zero = sampled * (v0 / result);
            if to_zero < to_start {
                to_start = to_zero;
            }
        }
        let threshold = avg * 1.1;
        let mut interval = sampled;
        interval += if to_start < threshold {
            to_start
        } else {
            avg / 2.0
        };
        interval += if to_end < threshold {
            to_end
        } else {
            avg / 2.0
        };
        Some(result * (interval / sampled) / range_s as f64)
    }

    /// The rate (per second) in segment `segment` of the sum of the counters named `name` that
    /// `keep` accepts. Panics if one of them is not a counter: a check that asks for the rate
    /// of a gauge is a bug in the check.
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

/// The fixture generator's splitmix64, with what the timeline adds to it.
use super::mattermost_fixture::Rng;

/// The timeline's uses of [`Rng`]: a stream per series, and normal draws.
trait TimelineRng {
    /// A stream keyed by `key` (FNV-1a of the key, mixed with a fixed seed): the values of a
    /// series do not depend on how many series were generated before it.
    fn keyed(key: &str) -> Rng;
    /// Approximately standard normal (Irwin-Hall of 4 uniforms, rescaled): no libm needed.
    fn normal(&mut self) -> f64;
}

impl TimelineRng for Rng {
    fn keyed(key: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h ^ 0x5EED_2026_0101_0000)
    }

    fn normal(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 1.732_050_807_568_877_2
    }
}

// ---------------------------------------------------------------------------------------------
// Value generators
// ---------------------------------------------------------------------------------------------

/// Does endpoint `ep`'s process restart, and when (seconds).
fn restart_of(ep: usize) -> Option<i64> {
    ENDPOINTS[ep].restarts.then_some(RESTART_AT_S)
}

/// An integer counter that adds `per_scrape[s]` in every 15 s of segment `s`.
///
/// Kept exactly in units of 1/15000 (`c`), advanced millisecond by millisecond in closed form,
/// so the count at a (jittered) scrape is exactly the floor of what the process counted by
/// then: the increment between two scrapes is the rate times the time between them, up to
/// one count of rounding, and one across a change point mixes the two rates in proportion to
/// the time spent in each. After a restart the counter starts from 0 at the restart instant.
fn int_counter(per_scrape: &[i64; SEGMENTS], ep: usize, phase15: i64) -> Vec<f64> {
    const UNITS: i128 = 15_000;
    let advance = |mut c: i128, a: i64, b: i64| {
        for_segments(a, b, |s, ms| c += per_scrape[s] as i128 * ms as i128);
        c
    };
    let mut c = (per_scrape[0] as i128 * ENDPOINTS[ep].uptime_s as i128 + phase15 as i128) * 1000;
    let mut values = Vec::with_capacity(SCRAPES_PER_ENDPOINT);
    let mut t_prev = scrape_time_ms(ep, 0);
    let restart = restart_of(ep).map(|r| r * 1000);
    for k in 0..SCRAPES_PER_ENDPOINT {
        let t = scrape_time_ms(ep, k);
        if k > 0 {
            c = match restart {
                Some(r) if t_prev < r && r <= t => advance(0, r, t),
                _ => advance(c, t_prev, t),
            };
        }
        values.push((c / UNITS) as f64);
        t_prev = t;
    }
    values
}

/// The pieces of [`a`, `b`) (ms) in each segment: `f(segment of the pattern, ms in it)`.
fn for_segments(a: i64, b: i64, mut f: impl FnMut(usize, i64)) {
    let mut t = a;
    while t < b {
        let n = (t.div_euclid(1000) - START_S).max(0) / SEGMENT_S;
        let until = b.min((START_S + SEGMENT_S * (n + 1)) * 1000);
        f(segment_of(t.div_euclid(1000)), until - t);
        t = until;
    }
}

/// Rounds `v` to a multiple of `quantum`; fractional quanta divide by the inverse (0.006087,
/// not 0.0060869999999999995).
fn quantize(v: f64, quantum: f64) -> f64 {
    if quantum >= 1.0 {
        (v / quantum).round() * quantum
    } else {
        let inv = (1.0 / quantum).round();
        (v * inv).round() / inv
    }
}

/// A float counter growing at `rate[s]` per second in segment `s`, rounded to `quantum` (CPU
/// seconds come from /proc in clock ticks, 0.01 s). Restarts from 0 like [`int_counter`].
fn float_counter(rate: &[f64; SEGMENTS], ep: usize, quantum: f64) -> Vec<f64> {
    let advance = |mut c: f64, a: i64, b: i64| {
        for_segments(a, b, |s, ms| c += rate[s] * ms as f64 / 1000.0);
        c
    };
    let mut c = rate[0] * ENDPOINTS[ep].uptime_s as f64;
    let mut values = Vec::with_capacity(SCRAPES_PER_ENDPOINT);
    let mut t_prev = scrape_time_ms(ep, 0);
    let restart = restart_of(ep).map(|r| r * 1000);
    for k in 0..SCRAPES_PER_ENDPOINT {
        let t = scrape_time_ms(ep, k);
        if k > 0 {
            c = match restart {
                Some(r) if t_prev < r && r <= t => advance(0.0, r, t),
                _ => advance(c, t_prev, t),
            };
        }
        values.push(quantize(c, quantum));
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
    /// Where the walk starts again after the process restarts (fraction of `mean`).
    after_restart: f64,
}

impl Walk {
    /// A walk of counts around `mean` (steps of `step`, between `min` and `max`), starting
    /// again from 0 after a restart.
    fn count(mean: f64, step: f64, min: f64, max: f64) -> Walk {
        Walk {
            mean,
            step,
            min,
            max,
            quantum: 1.0,
            after_restart: 0.0,
        }
    }
}

/// A mean-reverting random walk, one value per scrape of endpoint `ep`.
fn walk(w: Walk, ep: usize, rng: &mut Rng) -> Vec<f64> {
    let mut v = w.mean * rng.range(0.85, 1.15);
    let mut values = Vec::with_capacity(SCRAPES_PER_ENDPOINT);
    let mut t_prev = scrape_time_ms(ep, 0);
    let restart = restart_of(ep).map(|r| r * 1000);
    for k in 0..SCRAPES_PER_ENDPOINT {
        let t = scrape_time_ms(ep, k);
        match restart {
            Some(r) if k > 0 && t_prev < r && r <= t => v = w.mean * w.after_restart,
            _ => v += 0.05 * (w.mean - v) + w.step * rng.normal(),
        }
        v = v.clamp(w.min, w.max);
        values.push(quantize(v, w.quantum));
        t_prev = t;
    }
    values
}

/// Observations per scrape in each of the `nb` buckets (non-cumulative, the last is `+Inf`)
/// for `n` observations centred on bucket `centre` (fractional: a mix of the two neighbouring
/// whole-bucket shapes, so the mean grows continuously with the centre).
fn bucket_counts(n: f64, centre: f64, nb: usize) -> Vec<i64> {
    let c = centre.floor();
    let f = centre - c;
    let mut w = vec![0.0f64; nb];
    for (base, share) in [(c as i32, 1.0 - f), (c as i32 + 1, f)] {
        for (off, weight) in SHAPE {
            let i = (base + off).clamp(0, nb as i32 - 1) as usize;
            w[i] += weight * share;
        }
    }
    let total: f64 = w.iter().sum();
    w.iter().map(|wi| (n * wi / total).round() as i64).collect()
}

/// A histogram's buckets as written: the `le` values (with `+Inf`) and the value each
/// observation in a bucket is taken to have.
struct Layout {
    le: Vec<String>,
    value: Vec<f64>,
}

/// The layout of histograms with upper bounds `bounds`. For [`BUCKETS`] the hand-picked
/// [`BUCKET_VALUE`]s; otherwise 0.6 of the way from a bucket's lower bound (0, or the bound
/// itself for a bucket `le="0"`) to its upper bound, and 1.5 times the last bound for `+Inf`:
/// always inside the bucket.
fn layout(bounds: &[f64]) -> Layout {
    if bounds == BUCKETS {
        return Layout {
            le: LE.iter().map(|s| s.to_string()).collect(),
            value: BUCKET_VALUE.to_vec(),
        };
    }
    let mut le: Vec<String> = bounds.iter().map(|b| format_go_float(*b)).collect();
    le.push("+Inf".to_string());
    let mut value = Vec::with_capacity(bounds.len() + 1);
    for (i, &hi) in bounds.iter().enumerate() {
        let lo = if i == 0 { hi.min(0.0) } else { bounds[i - 1] };
        value.push(lo + 0.6 * (hi - lo));
    }
    value.push(bounds[bounds.len() - 1] * 1.5);
    Layout { le, value }
}

/// How one histogram child is generated.
#[derive(Clone, Copy)]
struct Hist<'a> {
    bounds: &'a [f64],
    /// Observations per second (before `traffic`).
    rate: f64,
    /// Centre bucket (index into the buckets, fractional).
    centre: f64,
    /// Added to the centre in each segment.
    shift: &'a [f64; SEGMENTS],
    /// Multiplies the rate in each segment.
    traffic: &'a [f64; SEGMENTS],
}

#[derive(Default)]
struct Gen {
    families: Vec<Family>,
    /// Index in `families` of the family series are added to.
    current: usize,
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

/// The key of a series' random stream. Endpoints 0..3 are the server endpoints, keyed as the
/// nodes were before the timeline had other endpoints.
fn key_of(name: &str, ep: usize, labels: &[(String, String)]) -> String {
    let mut k = format!("{name}|{ep}");
    for (n, v) in labels {
        let _ = write!(k, "|{n}={v}");
    }
    k
}

/// Sorts a family's children by label values (as client_golang does) then by endpoint.
/// Histogram and summary children stay together and in order.
fn sort_children(fam: &mut Family) {
    let mut chunks: Vec<Vec<Series>> = Vec::new();
    let mut it = std::mem::take(&mut fam.series).into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(fam.child_len).collect());
    }
    chunks.sort_by(|a, b| {
        let ka: Vec<&String> = a[0].labels.iter().map(|(_, v)| v).collect();
        let kb: Vec<&String> = b[0].labels.iter().map(|(_, v)| v).collect();
        ka.cmp(&kb).then(a[0].endpoint.cmp(&b[0].endpoint))
    });
    fam.series = chunks.into_iter().flatten().collect();
}

impl Gen {
    /// Makes `name` the family series are added to, creating it the first time (a family
    /// several endpoints expose, such as `go_goroutines`, is one family: OpenMetrics allows
    /// each name once).
    fn family(&mut self, name: &str, help: &str, kind: Kind) {
        if let Some(i) = self.families.iter().position(|f| f.name == name) {
            assert_eq!(
                self.families[i].kind, kind,
                "{name} declared with two types"
            );
            self.current = i;
            return;
        }
        self.families.push(Family {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            child_len: 1,
            series: Vec::new(),
        });
        self.current = self.families.len() - 1;
    }

    fn fam(&mut self) -> &mut Family {
        &mut self.families[self.current]
    }

    fn push(&mut self, s: Series) {
        self.fam().series.push(s);
    }

    /// A counter whose rate in segment `s` is `rate * traffic[s]`, jittered by a few percent
    /// per segment (a whole number per scrape, at least 1 when `rate > 0`).
    fn counter(
        &mut self,
        ep: usize,
        name: &str,
        pairs: &[(&str, &str)],
        rate: f64,
        traffic: &[f64; SEGMENTS],
    ) {
        let l = labels(pairs);
        let mut rng = Rng::keyed(&key_of(name, ep, &l));
        let mut per_scrape = [0i64; SEGMENTS];
        for s in 0..SEGMENTS {
            let r = rate * traffic[s] * rng.range(0.93, 1.07);
            // Every counter that moves at all adds at least 1 per scrape.
            per_scrape[s] = if rate > 0.0 {
                ((r * 15.0).round() as i64).max(1)
            } else {
                0
            };
        }
        let phase = (rng.next_u64() % 15) as i64;
        self.int_series(ep, name, l, &per_scrape, phase);
    }

    /// An integer counter adding `per_scrape[s]` per scrape in segment `s`.
    fn int_series(
        &mut self,
        ep: usize,
        name: &str,
        labels: Vec<(String, String)>,
        per_scrape: &[i64; SEGMENTS],
        phase: i64,
    ) {
        let values = int_counter(per_scrape, ep, phase);
        let rates = per_scrape.map(|p| p as f64 / 15.0);
        self.push_series(ep, name, labels, values, Some(rates));
    }

    /// A float counter (rounded to `quantum`) growing at `rate[s]` per second in segment `s`.
    fn float_series(
        &mut self,
        ep: usize,
        name: &str,
        pairs: &[(&str, &str)],
        rate: [f64; SEGMENTS],
        quantum: f64,
    ) {
        let values = float_counter(&rate, ep, quantum);
        self.push_series(ep, name, labels(pairs), values, Some(rate));
    }

    /// Process CPU seconds: `cores` busy cores scaled by `traffic` and jittered per segment, a
    /// hundredth of a core resolution.
    fn cpu_seconds(&mut self, ep: usize, name: &str, cores: f64, traffic: &[f64; SEGMENTS]) {
        let mut rng = Rng::keyed(&key_of(name, ep, &[]));
        let mut rate = [0.0; SEGMENTS];
        for s in 0..SEGMENTS {
            rate[s] = (cores * traffic[s] * rng.range(0.9, 1.1) * 100.0).round() / 100.0;
        }
        self.float_series(ep, name, &[], rate, 0.01);
    }

    fn gauge(&mut self, ep: usize, name: &str, pairs: &[(&str, &str)], w: Walk) {
        let l = labels(pairs);
        let mut rng = Rng::keyed(&key_of(name, ep, &l));
        let values = walk(w, ep, &mut rng);
        self.push_gauge(ep, name, l, values);
    }

    fn push_gauge(
        &mut self,
        ep: usize,
        name: &str,
        labels: Vec<(String, String)>,
        values: Vec<f64>,
    ) {
        self.push_series(ep, name, labels, values, None);
    }

    /// A series that is not a histogram bucket.
    fn push_series(
        &mut self,
        ep: usize,
        name: &str,
        labels: Vec<(String, String)>,
        values: Vec<f64>,
        rates: Option<[f64; SEGMENTS]>,
    ) {
        self.push(Series {
            name: name.to_string(),
            endpoint: ep,
            labels,
            le: None,
            values,
            rates,
        });
    }

    /// One histogram child of family `family` on endpoint `ep`.
    fn histogram(&mut self, ep: usize, family: &str, pairs: &[(&str, &str)], h: Hist) {
        let l = labels(pairs);
        let lay = layout(h.bounds);
        let nb = lay.le.len();
        let mut rng = Rng::keyed(&key_of(family, ep, &l));
        // per_bucket[i][s]: observations per scrape in bucket i during segment s.
        let mut per_bucket = vec![[0i64; SEGMENTS]; nb];
        for s in 0..SEGMENTS {
            let n = h.rate * h.traffic[s] * rng.range(0.93, 1.07) * 15.0;
            let counts = bucket_counts(n.max(2.0), h.centre + h.shift[s], nb);
            for i in 0..nb {
                per_bucket[i][s] = counts[i];
            }
        }
        let phase = (rng.next_u64() % 15) as i64;
        let raw: Vec<Vec<f64>> = per_bucket
            .iter()
            .map(|p| int_counter(p, ep, phase))
            .collect();
        let mut cumulative = vec![0.0; SCRAPES_PER_ENDPOINT];
        let mut sum = vec![0.0; SCRAPES_PER_ENDPOINT];
        let mut sum_rates = [0.0; SEGMENTS];
        let mut count_rates = [0.0; SEGMENTS];
        let mut out = Vec::with_capacity(nb + 2);
        for i in 0..nb {
            for k in 0..SCRAPES_PER_ENDPOINT {
                cumulative[k] += raw[i][k];
                sum[k] += raw[i][k] * lay.value[i];
            }
            for s in 0..SEGMENTS {
                count_rates[s] += per_bucket[i][s] as f64 / 15.0;
                sum_rates[s] += per_bucket[i][s] as f64 * lay.value[i] / 15.0;
            }
            out.push(Series {
                name: format!("{family}_bucket"),
                endpoint: ep,
                labels: l.clone(),
                le: Some(lay.le[i].clone()),
                values: cumulative.clone(),
                rates: Some(count_rates),
            });
        }
        out.push(Series {
            name: format!("{family}_sum"),
            endpoint: ep,
            labels: l.clone(),
            le: None,
            values: sum,
            rates: Some(sum_rates),
        });
        out.push(Series {
            name: format!("{family}_count"),
            endpoint: ep,
            labels: l,
            le: None,
            values: cumulative,
            rates: Some(count_rates),
        });
        let fam = self.fam();
        assert!(
            fam.series.is_empty() || fam.child_len == out.len(),
            "{family}: children with different buckets"
        );
        fam.child_len = out.len();
        fam.series.extend(out);
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// `name{a="x",b="y",le="0.5"}` with the endpoint's own labels (sorted, empty values kept) and,
/// for the Prometheus side, `instance` (`<host>:<port>`) and `job` first and empty values
/// dropped (Prometheus treats an empty label as absent, and a scrape would store it so).
fn series_key(s: &Series, prometheus: bool) -> String {
    let mut out = String::with_capacity(96);
    out.push_str(&s.name);
    let ep = s.endpoint();
    let instance = ep.instance();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if prometheus {
        pairs.push(("instance", &instance));
        pairs.push(("job", ep.job));
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
    push_labels(&mut out, pairs);
    out
}

/// A family and, for one endpoint, its series with their rendered `name{labels}`.
type EndpointFamily<'a> = (&'a Family, Vec<(String, &'a Series)>);

fn render_scrapes(families: &[Family]) -> Vec<Scrape> {
    // Per endpoint, per family: the series of that endpoint with their rendered `name{labels}`.
    let per_ep: Vec<Vec<EndpointFamily>> = (0..ENDPOINTS.len())
        .map(|ep| {
            families
                .iter()
                .map(|f| {
                    let series = f
                        .series
                        .iter()
                        .filter(|s| s.endpoint == ep)
                        .map(|s| (series_key(s, false), s))
                        .collect::<Vec<_>>();
                    (f, series)
                })
                // A vector with no children is not gathered at all (no HELP/TYPE lines).
                .filter(|(_, series)| !series.is_empty())
                .collect()
        })
        .collect();
    let mut scrapes = Vec::with_capacity(SCRAPES_PER_ENDPOINT * ENDPOINTS.len());
    for k in 0..SCRAPES_PER_ENDPOINT {
        for (ep, fams) in per_ep.iter().enumerate() {
            if !present(ep, k) {
                continue;
            }
            let mut body = String::with_capacity(64 * 1024);
            for (f, series) in fams {
                push_header(&mut body, &f.name, &f.help, f.kind.as_str(), Format::Text);
                for (key, s) in series {
                    body.push_str(key);
                    body.push(' ');
                    body.push_str(&format_go_float(s.values[k]));
                    body.push('\n');
                }
            }
            let e = &ENDPOINTS[ep];
            scrapes.push((
                ep,
                Scrape {
                    node: e.host_name().to_string(),
                    job: e.job.to_string(),
                    port: e.port,
                    path: e.path.to_string(),
                    time_ms: scrape_time_ms(ep, k),
                    body,
                },
            ));
        }
    }
    scrapes.sort_by_key(|(ep, s)| (s.time_ms, *ep));
    scrapes.into_iter().map(|(_, s)| s).collect()
}

/// The whole timeline as one OpenMetrics document with timestamps (seconds), for `promtool tsdb
/// create-blocks-from openmetrics`: each family once (`# HELP`, `# TYPE`; a counter's family
/// name without `_total`, as OpenMetrics wants; `untyped` as `unknown`), then every series with
/// all its samples in ascending time, `instance` (`<host>:<port>`) and `job` added to every
/// series; ends with `# EOF`.
pub fn openmetrics(timeline: &Timeline) -> String {
    openmetrics_of(timeline, &|_| true)
}

/// [`openmetrics`] of the endpoints whose job `keep` accepts: one Prometheus
/// for the Mattermost servers (the Server and Clients dashboards), one for
/// the Calls plugin, rtcd and node_exporter (the Calls dashboard), as a site
/// whose server dashboards never see the plugin's `go_*` series would have.
pub fn openmetrics_of(timeline: &Timeline, keep: &dyn Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(timeline.sample_count() * 150);
    for f in &timeline.families {
        if !f.series.iter().any(|s| keep(s.endpoint().job)) {
            continue;
        }
        let (family_name, type_name) = f.kind.openmetrics_family(&f.name);
        push_header(
            &mut out,
            family_name,
            &f.help,
            type_name,
            Format::OpenMetrics,
        );
        for s in f.series.iter().filter(|s| keep(s.endpoint().job)) {
            let key = series_key(s, true);
            for (k, v) in s.values.iter().enumerate() {
                if !present(s.endpoint, k) {
                    continue;
                }
                out.push_str(&key);
                out.push(' ');
                out.push_str(&format_go_float(*v));
                out.push(' ');
                let t = scrape_time_ms(s.endpoint, k);
                let _ = write!(out, "{}.{:03}", t.div_euclid(1000), t.rem_euclid(1000));
                out.push('\n');
            }
        }
    }
    out.push_str("# EOF\n");
    out
}
