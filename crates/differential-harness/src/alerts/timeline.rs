//! Synthetic incident timelines for the alert rules: three Mattermost nodes
//! scraped every minute for three hours, healthy except for the incidents
//! a timeline plants (a node that stops, API latency that climbs for 12
//! minutes, a counter reset, a saturated database pool, ...).
//!
//! The same samples are written two ways: as the scrape bodies our modular
//! input reads (text format 0.0.4, [`Timeline::body`], stamped with
//! [`Timeline::times`]) and as promtool's `input_series`
//! ([`Timeline::promtool_series`]), so both engines see the same numbers at
//! the same instants and any difference is one of the engines.
//!
//! Shape of the data, and why:
//!
//! * Times are seconds from 0, as in `promtool test rules` (its series start
//!   at 0). Scrape `k` is due at `30 + 60k` and happens up to 5 s early or
//!   late ([`JITTER_S`], drawn per node and scrape), as a busy forwarder's
//!   scrapes do: never on a minute, so neither an evaluation at a minute nor
//!   a Splunk bucket boundary meets a sample, and each minute holds at most
//!   one scrape of a node.
//! * The roughness of production: about 1 % of scrapes ([`LOST_PER_MILLE`])
//!   never reach either engine, and a timeline can lose a node's forwarder
//!   for some minutes ([`Incidents::forwarder_gone`]): no sample of the node
//!   at all, not even the input's health data point. For Prometheus that is
//!   a gap in the series, not a failed scrape (no staleness marker), so its
//!   5-minute lookback bridges it as long as it lasts no more than 5 minutes.
//! * promtool's `input_series` has a fixed step: it is 1 s
//!   ([`PROMTOOL_STEP_S`]), each sample at its own second and the seconds
//!   between written `_xN` ("N missing samples"), so Prometheus holds
//!   exactly the samples Splunk indexes.
//! * Counters grow at piecewise-constant rates, summed second by second from
//!   the process' start (before 0 at the baseline rate) up to the scrape's
//!   instant; a restart starts them again from 0 and moves the start-time
//!   gauge.
//! * A node that is down is scraped and answers nothing: the input writes
//!   only its health data point `mattermost_metrics.up` = 0, and Prometheus
//!   marks every other series stale (`stale`) at the first failed scrape it
//!   holds, as it does when a scrape fails.
//! * Gauges have a small deterministic noise, far from the thresholds when
//!   healthy. Every draw (noise, jitter, lost scrapes) is [`noise`] of a key
//!   and the scrape: the same timelines on every run.

use test_support::exposition_text::{format_go_float, push_header, push_labels, Format, Kind};

pub const NODES: [&str; 3] = ["mm-node-1", "mm-node-2", "mm-node-3"];
pub const SCRAPE_INTERVAL_S: i64 = 60;
pub const SCRAPE_OFFSET_S: i64 = 30;
pub const DURATION_S: i64 = 3 * 3600;
pub const SCRAPES: usize = (DURATION_S / SCRAPE_INTERVAL_S) as usize;
/// promtool's `interval`: one second, so that each jittered scrape is a
/// step of its own and the steps between are missing (`_xN`).
pub const PROMTOOL_STEP_S: i64 = 1;
/// A scrape happens up to this many seconds before or after it is due.
pub const JITTER_S: i64 = 5;
/// Scrapes lost on the way (per thousand), at random, in both engines.
pub const LOST_PER_MILLE: u32 = 10;
/// Mattermost's histogram bounds (`prometheus.DefBuckets`).
const LE: [&str; 12] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];
/// A value inside each bucket, for `_sum`.
const BUCKET_VALUE: [f64; 12] = [
    0.003, 0.0075, 0.017, 0.036, 0.072, 0.16, 0.36, 0.71, 1.6, 3.6, 7.1, 14.0,
];
/// Share of observations per bucket: a healthy API (p99 about 0.5 s) ...
const FAST: [f64; 12] = [
    0.05, 0.15, 0.25, 0.25, 0.15, 0.1, 0.04, 0.007, 0.002, 0.001, 0.0, 0.0,
];
/// ... and a slow one (p99 about 9 s).
const SLOW: [f64; 12] = [
    0.0, 0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.2, 0.13, 0.1, 0.05, 0.0,
];

/// When scrape `k` is due; [`Timeline::times`] has when it happened.
pub fn scrape_time_s(k: usize) -> i64 {
    SCRAPE_OFFSET_S + SCRAPE_INTERVAL_S * k as i64
}

/// `[from, to)` in seconds, on one node.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub node: usize,
    pub from: i64,
    pub to: i64,
}

impl Window {
    fn on(&self, node: usize, t: i64) -> bool {
        self.node == node && self.from <= t && t < self.to
    }
}

/// What goes wrong in a timeline.
#[derive(Clone, Debug, Default)]
pub struct Incidents {
    /// Scrapes fail in the window; the process starts again 20 s before its end.
    pub down: Option<Window>,
    /// The process restarts at `from` (between two scrapes: none fails).
    pub restart: Option<Window>,
    pub slow_api: Option<Window>,
    pub server_errors: Option<Window>,
    pub pool_full: Option<Window>,
    /// On the cluster leader (node 0), which measures the replicas' lag.
    pub replica_lag: Option<Window>,
    pub gossip: Option<Window>,
    pub reconnects: Option<Window>,
    pub push_errors: Option<Window>,
    /// Goroutines and heap climb over the window, then stay up.
    pub leak: Option<Window>,
    /// The node's forwarder is gone (restarting, or stuck): the scrapes due
    /// in the window reach neither engine, the health data point included.
    pub forwarder_gone: Option<Window>,
}

/// One timeline: a name, what happens, and which alerts it is built to fire.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub story: &'static str,
    pub incidents: Incidents,
    /// The alerts the incidents are built to fire (and no other).
    pub fires: &'static [&'static str],
}

fn w(node: usize, from_min: i64, to_min: i64) -> Option<Window> {
    Some(Window {
        node,
        from: from_min * 60,
        to: to_min * 60,
    })
}

/// The timelines of the harness.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "healthy",
            story: "three healthy nodes for three hours",
            incidents: Incidents::default(),
            fires: &[],
        },
        Scenario {
            name: "node stops",
            story: "mm-node-2 stops answering at 61 min, comes back at 73 min (a new process)",
            incidents: Incidents {
                down: w(1, 61, 73),
                ..Incidents::default()
            },
            fires: &["MattermostNodeDown", "MattermostRestarted"],
        },
        Scenario {
            name: "latency climbs",
            story: "mm-node-1's API latency climbs at 62 min for 12 minutes (p99 about 9 s), then recovers",
            incidents: Incidents {
                slow_api: w(0, 62, 74),
                ..Incidents::default()
            },
            fires: &["MattermostApiLatencyHigh"],
        },
        Scenario {
            name: "counter reset",
            story: "mm-node-3 restarts between two scrapes at 90 min 10 s: every counter starts again from 0",
            incidents: Incidents {
                restart: Some(Window {
                    node: 2,
                    from: 90 * 60 + 10,
                    to: 90 * 60 + 10,
                }),
                ..Incidents::default()
            },
            fires: &["MattermostRestarted"],
        },
        Scenario {
            name: "pool saturates",
            story: "mm-node-1's master pool is nearly full and requests wait from 38 to 64 min; replica 0 lags 25 s from 97 to 118 min, and mm-node-1's forwarder is gone from 108 to 114 min (6 scrapes: longer than the lookback)",
            incidents: Incidents {
                pool_full: w(0, 38, 64),
                replica_lag: w(0, 97, 118),
                forwarder_gone: w(0, 108, 114),
                ..Incidents::default()
            },
            fires: &[
                "MattermostDbPoolSaturated",
                "MattermostDbConnectionWaits",
                "MattermostReplicaLagHigh",
            ],
        },
        Scenario {
            name: "degraded cluster",
            story: "gossip trouble on mm-node-3 (31-57 min), a reconnect storm on mm-node-2 (58-77 min), push errors on mm-node-1 (83-104 min), 5xx on mm-node-2 (108-127 min), a leak on mm-node-3 (goroutines and heap climb 112-151 min) whose forwarder is gone from 157 to 161 min (4 scrapes, as the leak alerts fire)",
            incidents: Incidents {
                gossip: w(2, 31, 57),
                reconnects: w(1, 58, 77),
                push_errors: w(0, 83, 104),
                server_errors: w(1, 108, 127),
                leak: w(2, 112, 151),
                forwarder_gone: w(2, 157, 161),
                ..Incidents::default()
            },
            fires: &[
                "MattermostClusterUnhealthy",
                "MattermostWebSocketReconnectStorm",
                "MattermostNotificationErrors",
                "MattermostApiErrorRatioHigh",
                "MattermostGoroutinesHigh",
                "MattermostHeapHigh",
            ],
        },
    ]
}

/// One series of one node: its value at each scrape (`None`: the node was
/// down, or the scrape was lost).
#[derive(Clone, Debug)]
pub struct Series {
    /// The family (`mattermost_api_time` for its `_bucket`, `_sum`, `_count`).
    pub family: String,
    /// The type of its family: counter, gauge or histogram.
    pub kind: Kind,
    /// The sample name.
    pub name: String,
    pub node: usize,
    /// Labels without `instance`, `le` last for a bucket.
    pub labels: Vec<(String, String)>,
    pub values: Vec<Option<f64>>,
}

pub struct Timeline {
    pub scenario: Scenario,
    pub series: Vec<Series>,
    /// Whether each node's scrape `k` succeeded (the node answered).
    pub up: Vec<Vec<bool>>,
    /// Whether each node's scrape `k` reached the engines at all (lost at
    /// random, or while the forwarder is gone: no data point of it, `up`
    /// included).
    pub recorded: Vec<Vec<bool>>,
    /// When each node's scrape `k` happened, seconds (due time + jitter).
    pub times: Vec<Vec<i64>>,
}

/// A deterministic noise in [0, 1) for (series key, scrape).
fn noise(key: &str, k: usize) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain((k as u64).to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

struct Gen<'a> {
    inc: &'a Incidents,
    series: Vec<Series>,
    /// Whether a node's scrape has values: it answered and was recorded.
    has: Vec<Vec<bool>>,
    times: Vec<Vec<i64>>,
    /// Each node's process start times (the first before 0).
    starts: Vec<Vec<i64>>,
}

impl Gen<'_> {
    fn start_at(&self, node: usize, t: i64) -> i64 {
        *self.starts[node]
            .iter()
            .rev()
            .find(|&&s| s <= t)
            .expect("a start before 0")
    }

    fn push(
        &mut self,
        family: &str,
        kind: Kind,
        name: &str,
        node: usize,
        labels: &[(&str, &str)],
        values: Vec<f64>,
    ) {
        let values = values
            .into_iter()
            .enumerate()
            .map(|(k, v)| self.has[node][k].then_some(v))
            .collect();
        self.series.push(Series {
            family: family.to_string(),
            kind,
            name: name.to_string(),
            node,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values,
        });
    }

    fn gauge(
        &mut self,
        name: &str,
        node: usize,
        labels: &[(&str, &str)],
        f: impl Fn(i64, f64) -> f64,
    ) {
        let key = format!("{name}{labels:?}{node}");
        let values = (0..SCRAPES)
            .map(|k| f(self.times[node][k], noise(&key, k)))
            .collect();
        self.push(name, Kind::Gauge, name, node, labels, values);
    }

    /// A counter's value at each scrape: `rate(t)` summed second by second
    /// since the process started (at the rate of time 0 before 0) up to the
    /// scrape's instant.
    fn integrate(&self, node: usize, rate: &dyn Fn(i64) -> f64) -> Vec<f64> {
        let mut values = Vec::with_capacity(SCRAPES);
        let mut acc = 0.0;
        let mut prev_t = 0;
        let mut prev_start = None;
        for k in 0..SCRAPES {
            let t = self.times[node][k];
            let start = self.start_at(node, t);
            let from = if prev_start == Some(start) {
                prev_t
            } else {
                // A new process: counters start again from 0 at its start.
                acc = if start < 0 {
                    rate(0) * (-start) as f64
                } else {
                    0.0
                };
                start.max(0)
            };
            acc += (from..t).map(rate).sum::<f64>();
            values.push(acc);
            prev_t = t;
            prev_start = Some(start);
        }
        values
    }

    fn counter(
        &mut self,
        name: &str,
        node: usize,
        labels: &[(&str, &str)],
        rate: impl Fn(i64) -> f64,
    ) {
        let values = self.integrate(node, &rate);
        self.push(name, Kind::Counter, name, node, labels, values);
    }

    /// A histogram child: `rate(t)` observations per second spread as
    /// `shape(t)` over the buckets.
    fn histogram(
        &mut self,
        family: &str,
        node: usize,
        labels: &[(&str, &str)],
        rate: impl Fn(i64) -> f64,
        shape: impl Fn(i64) -> [f64; 12],
    ) {
        for (i, le) in LE.iter().enumerate() {
            let per = |t: i64| rate(t) * shape(t)[..=i].iter().sum::<f64>();
            let values = self.integrate(node, &per);
            let mut l = labels.to_vec();
            l.push(("le", le));
            self.push(
                family,
                Kind::Histogram,
                &format!("{family}_bucket"),
                node,
                &l,
                values,
            );
        }
        let sum = |t: i64| {
            rate(t)
                * shape(t)
                    .iter()
                    .zip(BUCKET_VALUE)
                    .map(|(s, v)| s * v)
                    .sum::<f64>()
        };
        let values = self.integrate(node, &sum);
        self.push(
            family,
            Kind::Histogram,
            &format!("{family}_sum"),
            node,
            labels,
            values,
        );
        let values = self.integrate(node, &rate);
        self.push(
            family,
            Kind::Histogram,
            &format!("{family}_count"),
            node,
            labels,
            values,
        );
    }
}

fn during(w: &Option<Window>, node: usize, t: i64) -> bool {
    w.as_ref().is_some_and(|w| w.on(node, t))
}

impl Timeline {
    pub fn generate(scenario: &Scenario) -> Timeline {
        let inc = &scenario.incidents;
        let draw = |what: &str, node: usize, k: usize| {
            noise(&format!("{what} {} {}", scenario.name, NODES[node]), k)
        };
        let times: Vec<Vec<i64>> = (0..NODES.len())
            .map(|node| {
                (0..SCRAPES)
                    .map(|k| {
                        let j = (draw("jitter", node, k) * (2 * JITTER_S + 1) as f64).floor();
                        scrape_time_s(k) + j as i64 - JITTER_S
                    })
                    .collect()
            })
            .collect();
        let recorded: Vec<Vec<bool>> = (0..NODES.len())
            .map(|node| {
                (0..SCRAPES)
                    .map(|k| {
                        let lost = draw("lost", node, k) * 1000.0 < LOST_PER_MILLE as f64;
                        !lost && !during(&inc.forwarder_gone, node, scrape_time_s(k))
                    })
                    .collect()
            })
            .collect();
        let mut up = vec![vec![true; SCRAPES]; NODES.len()];
        let mut starts: Vec<Vec<i64>> = (0..NODES.len())
            .map(|n| vec![-(200_000 + 7_777 * n as i64)])
            .collect();
        if let Some(d) = inc.down {
            for (k, u) in up[d.node].iter_mut().enumerate() {
                *u = !d.on(d.node, times[d.node][k]);
            }
            starts[d.node].push(d.to - 20);
        }
        if let Some(r) = inc.restart {
            starts[r.node].push(r.from);
        }
        let has = up
            .iter()
            .zip(&recorded)
            .map(|(u, r)| u.iter().zip(r).map(|(u, r)| *u && *r).collect())
            .collect();
        let mut g = Gen {
            inc,
            series: Vec::new(),
            has,
            times,
            starts,
        };
        for node in 0..NODES.len() {
            generate_node(&mut g, node);
        }
        Timeline {
            scenario: scenario.clone(),
            series: g.series,
            up,
            recorded,
            times: g.times,
        }
    }

    /// The scrape body of `node` at scrape `k`, as Mattermost serves it
    /// (text format 0.0.4); `None` when the node is down or the scrape lost.
    pub fn body(&self, node: usize, k: usize) -> Option<String> {
        if !self.up[node][k] || !self.recorded[node][k] {
            return None;
        }
        let mut out = String::new();
        let mut family = "";
        for s in self.series.iter().filter(|s| s.node == node) {
            if s.family != family {
                family = &s.family;
                let help = format!("Synthetic {family}.");
                push_header(&mut out, family, &help, s.kind.as_str(), Format::Text);
            }
            let v = s.values[k].expect("an up node has every value");
            out.push_str(&s.name);
            out.push_str(&label_text(&s.labels, None));
            out.push(' ');
            out.push_str(&format_go_float(v));
            out.push('\n');
        }
        Some(out)
    }

    /// promtool's `input_series`: (series, values), the health metric `up`
    /// included under its Prometheus name `mattermost_metrics:up`.
    pub fn promtool_series(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (node, ups) in self.up.iter().enumerate() {
            let values: Vec<Option<f64>> = ups
                .iter()
                .map(|&u| Some(if u { 1.0 } else { 0.0 }))
                .collect();
            out.push((
                format!(
                    "mattermost_metrics:up{}",
                    label_text(&[], Some(NODES[node]))
                ),
                self.promtool_values(node, &values),
            ));
        }
        for s in &self.series {
            out.push((
                format!("{}{}", s.name, label_text(&s.labels, Some(NODES[s.node]))),
                self.promtool_values(s.node, &s.values),
            ));
        }
        out
    }

    /// One series' samples in promtool's notation at a step of
    /// [`PROMTOOL_STEP_S`]: each recorded scrape's value at its own second,
    /// `_xN` for the N seconds between (no sample); `stale` at the first
    /// failed scrape the engines hold after a value, as Prometheus marks a
    /// failed target's series. A lost scrape is no sample at all.
    fn promtool_values(&self, node: usize, values: &[Option<f64>]) -> String {
        let mut out: Vec<String> = Vec::new();
        // The next step to write, and whether the last entry was a value.
        let mut step = 0;
        let mut was_value = false;
        for (k, v) in values.iter().enumerate() {
            if !self.recorded[node][k] {
                continue;
            }
            let entry = match v {
                Some(v) => format!("{v}"),
                None if was_value => "stale".into(),
                None => continue,
            };
            was_value = v.is_some();
            let at = self.times[node][k] / PROMTOOL_STEP_S;
            assert!(at >= step, "scrapes out of order");
            if at > step {
                out.push(format!("_x{}", at - step));
            }
            out.push(entry);
            step = at + 1;
        }
        out.join(" ")
    }
}

/// `{a="b",...}` (with `instance` first when given); empty for no labels.
fn label_text(labels: &[(String, String)], instance: Option<&str>) -> String {
    let mut out = String::new();
    let instance = instance.map(|i| ("instance", i));
    push_labels(
        &mut out,
        instance
            .into_iter()
            .chain(labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
    );
    out
}

fn generate_node(g: &mut Gen, node: usize) {
    let inc = g.inc.clone();
    let n = node as f64;
    let starts: Vec<f64> = (0..SCRAPES)
        .map(|k| g.start_at(node, g.times[node][k]) as f64)
        .collect();
    let name = "mattermost_process_start_time_seconds";
    g.push(name, Kind::Gauge, name, node, &[], starts);

    // API: one handler, answered 200 (with a latency incident) or 500.
    let api = [
        ("handler", "getPostsForChannel"),
        ("method", "GET"),
        ("origin_client", "web"),
        ("page_load_context", "center"),
    ];
    let mut ok = api.to_vec();
    ok.push(("status_code", "200"));
    let slow = inc.slow_api;
    g.histogram(
        "mattermost_api_time",
        node,
        &ok,
        move |_| 30.0 + 5.0 * n,
        move |t| if during(&slow, node, t) { SLOW } else { FAST },
    );
    let mut failed = api.to_vec();
    failed.push(("status_code", "500"));
    let errors = inc.server_errors;
    g.histogram(
        "mattermost_api_time",
        node,
        &failed,
        move |t| if during(&errors, node, t) { 5.0 } else { 0.02 },
        |_| FAST,
    );

    // The database pools of the node.
    let pool = inc.pool_full;
    let full = move |db: &str, t| db == "master" && during(&pool, node, t);
    for db in ["master", "replica-0"] {
        g.gauge(
            "go_sql_in_use_connections",
            node,
            &[("db_name", db)],
            move |t, r| {
                if full(db, t) {
                    285.0 + (10.0 * r).floor()
                } else {
                    20.0 + (15.0 * r).floor()
                }
            },
        );
    }
    for db in ["master", "replica-0"] {
        g.gauge(
            "go_sql_max_open_connections",
            node,
            &[("db_name", db)],
            |_, _| 300.0,
        );
    }
    for db in ["master", "replica-0"] {
        g.counter(
            "go_sql_wait_duration_seconds_total",
            node,
            &[("db_name", db)],
            move |t| {
                if full(db, t) {
                    0.8
                } else {
                    0.0
                }
            },
        );
    }

    // Replica lag, measured by the cluster leader only.
    if node == 0 {
        let lag = inc.replica_lag;
        g.gauge(
            "mattermost_db_replica_lag_time",
            node,
            &[("node", "mm-db-replica-0")],
            move |t, r| {
                if during(&lag, node, t) {
                    25.0 + 5.0 * r
                } else {
                    0.1 + 0.3 * r
                }
            },
        );
    }

    let gossip = inc.gossip;
    g.gauge(
        "mattermost_cluster_cluster_health_score",
        node,
        &[],
        move |t, r| {
            if during(&gossip, node, t) {
                2.0 + (3.0 * r).floor()
            } else {
                0.0
            }
        },
    );

    // WebSockets: connections by client, reconnects by type.
    g.gauge(
        "mattermost_http_websockets_total",
        node,
        &[("origin_client", "mobile")],
        |_, r| 600.0 + (50.0 * r).floor(),
    );
    g.gauge(
        "mattermost_http_websockets_total",
        node,
        &[("origin_client", "web")],
        |_, r| 1500.0 + (100.0 * r).floor(),
    );
    let storm = inc.reconnects;
    for (ty, normal, stormy) in [("failure", 0.05, 6.0), ("success", 0.2, 12.0)] {
        g.counter(
            "mattermost_websocket_reconnects_total",
            node,
            &[("type", ty)],
            move |t| {
                if during(&storm, node, t) {
                    stormy
                } else {
                    normal
                }
            },
        );
    }

    // Notifications: push and e-mail, and their errors.
    let push = inc.push_errors;
    g.counter(
        "mattermost_notifications_error",
        node,
        &[
            ("platform", "android"),
            ("reason", "push_proxy_send_error"),
            ("type", "push"),
        ],
        move |t| if during(&push, node, t) { 0.6 } else { 0.005 },
    );
    g.counter(
        "mattermost_notifications_error",
        node,
        &[
            ("platform", "unknown"),
            ("reason", "smtp_send_error"),
            ("type", "email"),
        ],
        |_| 0.001,
    );
    g.counter(
        "mattermost_notifications_total",
        node,
        &[("platform", "android"), ("type", "push")],
        |_| 3.0,
    );
    g.counter(
        "mattermost_notifications_total",
        node,
        &[("platform", "unknown"), ("type", "email")],
        |_| 0.5,
    );

    // The Go runtime: a leak climbs over its window and stays.
    let leak = inc.leak;
    let climb = move |t: i64| -> f64 {
        match leak {
            Some(w) if w.node == node && t >= w.from => {
                ((t - w.from) as f64 / (w.to - w.from) as f64).min(1.0)
            }
            _ => 0.0,
        }
    };
    g.gauge("go_goroutines", node, &[], move |t, r| {
        (4000.0 + 200.0 * r + 66_000.0 * climb(t)).floor()
    });
    g.gauge("go_memstats_heap_inuse_bytes", node, &[], move |t, r| {
        (1.5e9 + 1e8 * r + 8.5e9 * climb(t)).floor()
    });
}
