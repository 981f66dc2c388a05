//! The Mattermost server's own `/metrics` (job `mattermost`, endpoints [`SERVER_EPS`]): what
//! Performance Monitoring v2, KPI Metrics, Bonus Metrics, Collapsed Reply Threads and
//! Notification Health chart. The client-side families the server also exposes are in
//! `clients.rs`.

use std::collections::BTreeMap;

use super::*;

/// Share of the cluster's traffic each node serves.
const NODE_SHARE: [f64; 3] = [0.38, 0.33, 0.29];
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
/// `ThreadStore.MarkAllAsReadByChannels` (charted by Collapsed Reply Threads) is 13th by count
/// and last by mean duration: outside both top-10 variables of the v2 dashboard.
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
    ("ThreadStore.MarkAllAsReadByChannels", "true", 6.5, -0.4),
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

/// Cluster messages sent, by `model.ClusterEvent` name, cluster-wide per second
/// (`inv_roles` is pre-initialised and not sent here).
const CLUSTER_EVENTS: &[(&str, f64)] = &[
    ("publish", 11.0),
    ("update_status", 3.2),
    ("inv_user", 1.9),
    ("inv_channel", 1.3),
    ("inv_channel_members_notify_props", 0.8),
    ("other", 0.5),
    ("inv_roles", 0.0),
];

/// ETag checks by route name (as the API handlers name them): (route, hits/s, misses/s),
/// cluster-wide.
const ETAG_ROUTES: &[(&str, f64, f64)] = &[
    ("Get Posts", 9.0, 3.5),
    ("Get Channel", 4.0, 1.2),
    ("Get Team", 1.5, 0.4),
    ("Get Profile Image", 2.8, 0.9),
];

/// Memory caches: (name, hits/s, misses/s), cluster-wide.
const MEM_CACHES: &[(&str, f64, f64)] = &[
    ("Session", 120.0, 1.2),
    ("Profile", 45.0, 6.0),
    ("Status", 80.0, 12.0),
    ("ChannelMemberCounts", 15.0, 2.5),
];

/// Simple counters of the KPI and Bonus dashboards: (name, help, cluster-wide per second).
const COUNTERS: &[(&str, &str, f64)] = &[
    (
        "mattermost_post_total",
        "The total number of posts created.",
        4.2,
    ),
    (
        "mattermost_http_errors_total",
        "The total number of http API errors.",
        2.6,
    ),
    (
        "mattermost_login_logins_total",
        "The total number of successful logins.",
        1.2,
    ),
    (
        "mattermost_login_logins_fail_total",
        "The total number of failed logins.",
        0.2,
    ),
    (
        "mattermost_post_emails_sent_total",
        "The total number of emails sent because a post was created.",
        0.5,
    ),
    (
        "mattermost_post_pushes_sent_total",
        "The total number of mobile push notifications sent because a post was created.",
        2.1,
    ),
    (
        "mattermost_post_file_attachments_total",
        "The total number of file attachments created because a post was created.",
        0.45,
    ),
];

/// Notification counters (no `_total` suffix but the first): (family, help, [(type, reason,
/// platform, cluster-wide per second)]). An empty reason means the family has no `reason`
/// label. Platforms as the server normalises them (`ios`, `android`, `no_platform` for
/// websocket and email and for push events decided before a device is known). The reason of
/// the `unsupported` counter is what an outdated client would report; no source names it.
type Notification = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, f64)],
);
const NOTIFICATIONS: &[Notification] = &[
    (
        "mattermost_notifications_total",
        "Total number of notification events",
        &[
            ("websocket", "", "no_platform", 28.0),
            ("push", "", "ios", 12.0),
            ("push", "", "android", 9.0),
            ("email", "", "no_platform", 0.6),
        ],
    ),
    (
        "mattermost_notifications_total_ack",
        "Total number of notification events acknowledged",
        &[
            ("websocket", "", "no_platform", 27.2),
            ("push", "", "ios", 11.1),
            ("push", "", "android", 8.2),
        ],
    ),
    (
        "mattermost_notifications_success",
        "Total number of successfully sent notifications",
        &[
            ("websocket", "", "no_platform", 21.0),
            ("push", "", "ios", 11.0),
            ("push", "", "android", 7.9),
            ("email", "", "no_platform", 0.55),
        ],
    ),
    (
        "mattermost_notifications_error",
        "Total number of errors that stop the notification flow",
        &[
            ("websocket", "fetch_error", "no_platform", 0.45),
            ("push", "push_proxy_send_error", "ios", 0.9),
            ("push", "push_proxy_send_error", "android", 1.3),
            ("push", "push_proxy_remove_device", "android", 0.65),
            ("push", "missing_profile", "no_platform", 1.8),
            ("email", "email_send_error", "no_platform", 0.25),
        ],
    ),
    (
        "mattermost_notifications_not_sent",
        "Total number of notifications the system deliberately did not send",
        &[
            ("websocket", "user_is_active", "no_platform", 3.1),
            ("websocket", "channel_muted", "no_platform", 1.9),
            ("websocket", "notify_level_none", "no_platform", 1.2),
            ("push", "user_status", "no_platform", 6.5),
            ("push", "channel_muted", "no_platform", 1.4),
            ("push", "not_mentioned", "no_platform", 9.0),
            ("email", "user_status", "no_platform", 2.4),
            ("email", "notify_level_none", "no_platform", 0.8),
        ],
    ),
    (
        "mattermost_notifications_unsupported",
        "Total number of untrackable notifications due to an unsupported app version",
        &[("websocket", "desktop_app_outdated", "no_platform", 0.6)],
    ),
];

pub(super) fn generate(g: &mut Gen) {
    api(g);
    store(g);
    cluster(g);
    websocket(g);
    http(g);
    db(g);
    jobs(g);
    process_and_go(g);
    counters(g);
    search(g);
    caches(g);
    notifications(g);
}

impl Gen {
    /// An integer counter on every server whose cluster-wide rate is `cluster_rate` (split
    /// between nodes by their share, varied per segment by `TRAFFIC` and a per-series jitter),
    /// or, with `per_node`, whose rate on every node is `cluster_rate`.
    fn counter_child(
        &mut self,
        name: &str,
        pairs: &[(&str, &str)],
        cluster_rate: f64,
        per_node: bool,
    ) {
        for ep in SERVER_EPS {
            let share = if per_node { 1.0 } else { NODE_SHARE[ep] };
            self.counter(ep, name, pairs, cluster_rate * share, &TRAFFIC);
        }
    }

    /// One histogram child per server (default buckets): `cluster_rate` observations/s
    /// centred on bucket `centre`, shifted per segment by `shift`.
    fn histogram_child(
        &mut self,
        family: &str,
        pairs: &[(&str, &str)],
        cluster_rate: f64,
        centre: f64,
        shift: &[f64; SEGMENTS],
    ) {
        for ep in SERVER_EPS {
            let h = Hist {
                bounds: &BUCKETS,
                rate: cluster_rate * NODE_SHARE[ep],
                centre,
                shift,
                traffic: &TRAFFIC,
            };
            self.histogram(ep, family, pairs, h);
        }
    }
}

fn api(g: &mut Gen) {
    g.family(
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
        g.histogram_child("mattermost_api_time", &pairs, rate, centre, &LATENCY_SHIFT);
    }
}

fn store(g: &mut Gen) {
    g.family(
        "mattermost_db_store_time",
        "Time to execute the store method",
        Kind::Histogram,
    );
    for &(method, success, rate, centre) in STORE {
        let pairs = [("method", method), ("success", success)];
        g.histogram_child(
            "mattermost_db_store_time",
            &pairs,
            rate,
            centre,
            &LATENCY_SHIFT,
        );
    }
}

fn cluster(g: &mut Gen) {
    let hist = "mattermost_cluster_cluster_request_duration_seconds";
    g.family(
        hist,
        "The total duration in seconds of the inter-node cluster requests.",
        Kind::Histogram,
    );
    g.histogram_child(hist, &[], 18.0, 0.4, &CLUSTER_LATENCY_SHIFT);
    // Every inter-node request is counted and timed: the counter is the histogram's count.
    let counts: Vec<Series> = g
        .fam()
        .series
        .iter()
        .filter(|s| s.name == format!("{hist}_count"))
        .cloned()
        .collect();
    g.family(
        "mattermost_cluster_cluster_requests_total",
        "The total number of inter-node requests.",
        Kind::Counter,
    );
    for s in counts {
        g.push(Series {
            name: "mattermost_cluster_cluster_requests_total".to_string(),
            ..s
        });
    }

    g.family(
        "mattermost_cluster_cluster_health_score",
        "A score that gives an idea of how well it is meeting the soft-real time requirements of the gossip protocol.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        let w = Walk {
            mean: 0.4,
            step: 0.5,
            min: 0.0,
            max: 6.0,
            quantum: 1.0,
            after_restart: 2.0,
        };
        g.gauge(ep, "mattermost_cluster_cluster_health_score", &[], w);
    }

    g.family(
        "mattermost_cluster_cluster_event_type_totals",
        "The total number of cluster requests sent for any type.",
        Kind::Counter,
    );
    for &(name, rate) in CLUSTER_EVENTS {
        g.counter_child(
            "mattermost_cluster_cluster_event_type_totals",
            &[("name", name)],
            rate,
            false,
        );
    }
}

fn websocket(g: &mut Gen) {
    g.family(
        "mattermost_websocket_broadcasts_total",
        "The total number of websocket broadcasts sent for any type.",
        Kind::Counter,
    );
    for &(name, rate) in BROADCASTS {
        g.counter_child(
            "mattermost_websocket_broadcasts_total",
            &[("name", name)],
            rate,
            false,
        );
    }

    g.family(
        "mattermost_websocket_event_total",
        "Total number of websocket events",
        Kind::Counter,
    );
    for &(t, rate) in WS_EVENTS {
        g.counter_child(
            "mattermost_websocket_event_total",
            &[("type", t)],
            rate,
            false,
        );
    }

    g.family(
        "mattermost_websocket_reconnects_total",
        "Total number of websocket reconnect attempts",
        Kind::Counter,
    );
    for &(t, rate) in RECONNECTS {
        g.counter_child(
            "mattermost_websocket_reconnects_total",
            &[("type", t)],
            rate,
            false,
        );
    }

    g.family(
        "mattermost_websocket_broadcast_buffer_size",
        "Number of events in the websocket broadcasts buffer waiting to be processed",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        for hub in ["0", "1", "2", "3"] {
            g.gauge(
                ep,
                "mattermost_websocket_broadcast_buffer_size",
                &[("hub", hub)],
                Walk::count(4.0, 2.5, 0.0, 80.0),
            );
        }
    }
}

fn http(g: &mut Gen) {
    g.family(
        "mattermost_http_requests_total",
        "The total number of http API requests.",
        Kind::Counter,
    );
    g.counter_child("mattermost_http_requests_total", &[], 265.0, false);

    g.family(
        "mattermost_http_websockets_total",
        "The total number of websocket connections to this server.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        for (origin, per_cluster) in [("desktop", 450.0), ("mobile", 780.0), ("web", 1260.0)] {
            let mean = per_cluster * NODE_SHARE[ep];
            let w = Walk {
                mean,
                step: mean * 0.015,
                min: 0.0,
                max: mean * 3.0,
                quantum: 1.0,
                after_restart: 0.3,
            };
            g.gauge(
                ep,
                "mattermost_http_websockets_total",
                &[("origin_client", origin)],
                w,
            );
        }
    }
}

fn db(g: &mut Gen) {
    // Open connections of each handle: go_sql_open_connections, and (as Mattermost computes
    // them from the same sql.DB stats) the master / read-replica connection gauges.
    let mut open: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
    let mut in_use: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
    for ep in SERVER_EPS {
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
                ep,
                &mut Rng::keyed(&key_of("go_sql_open_connections", ep, &l)),
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
                ep,
                &mut Rng::keyed(&key_of("go_sql_in_use_connections", ep, &l)),
            );
            for (u, o) in u.iter_mut().zip(&o) {
                *u = u.min(*o);
            }
            open.insert((ep, db), o);
            in_use.insert((ep, db), u);
        }
    }
    for (name, data) in [
        ("go_sql_open_connections", &open),
        ("go_sql_in_use_connections", &in_use),
    ] {
        g.family(name, go_sql_help(name), Kind::Gauge);
        for ((ep, db), values) in data {
            g.push_gauge(*ep, name, labels(&[("db_name", db)]), values.clone());
        }
    }
    for (name, master_rate, replica_rate) in [
        ("go_sql_wait_count_total", 0.6, 0.3),
        ("go_sql_max_idle_closed_total", 1.2, 0.8),
        ("go_sql_max_idle_time_closed_total", 0.2, 0.13),
    ] {
        g.family(name, go_sql_help(name), Kind::Counter);
        for db in DB_NAMES {
            let rate = if db == "master" {
                master_rate
            } else {
                replica_rate
            };
            g.counter_child(name, &[("db_name", db)], rate, true);
        }
    }

    g.family(
        "mattermost_db_master_connections_total",
        "The total number of connections to the master database.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        let v = open[&(ep, "master")].clone();
        g.push_gauge(ep, "mattermost_db_master_connections_total", Vec::new(), v);
    }
    g.family(
        "mattermost_db_read_replica_connections_total",
        "The total number of connections to all the read replica databases.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        let v: Vec<f64> = open[&(ep, "replica-0")]
            .iter()
            .zip(&open[&(ep, "replica-1")])
            .map(|(a, b)| a + b)
            .collect();
        g.push_gauge(
            ep,
            "mattermost_db_read_replica_connections_total",
            Vec::new(),
            v,
        );
    }

    // Only the cluster leader runs the replica-lag queries.
    g.family(
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
        g.gauge(
            0,
            "mattermost_db_replica_lag_time",
            &[("node", lag_node)],
            w,
        );
    }
}

/// The help of a `go_sql_*` family (DBStats collector), shared by the server and the plugin.
pub(super) fn go_sql_help(name: &str) -> &'static str {
    match name {
        "go_sql_open_connections" => "The number of established connections both in use and idle.",
        "go_sql_in_use_connections" => "The number of connections currently in use.",
        "go_sql_idle_connections" => "The number of idle connections.",
        "go_sql_wait_count_total" => "The total number of connections waited for.",
        "go_sql_wait_duration_seconds_total" => {
            "The total time blocked waiting for a new connection."
        }
        "go_sql_max_idle_closed_total" => {
            "The total number of connections closed due to SetMaxIdleConns."
        }
        "go_sql_max_idle_time_closed_total" => {
            "The total number of connections closed due to SetConnMaxIdleTime."
        }
        other => panic!("no help for {other}"),
    }
}

fn jobs(g: &mut Gen) {
    g.family(
        "mattermost_jobs_active",
        "Number of active jobs",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        for t in JOB_TYPES {
            g.gauge(
                ep,
                "mattermost_jobs_active",
                &[("type", t)],
                Walk::count(0.6, 0.45, 0.0, 4.0),
            );
        }
    }
}

fn process_and_go(g: &mut Gen) {
    g.family(
        "mattermost_process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.",
        Kind::Counter,
    );
    for ep in SERVER_EPS {
        // Cores busy; a hundredth of a core resolution.
        g.cpu_seconds(
            ep,
            "mattermost_process_cpu_seconds_total",
            2.4 * NODE_SHARE[ep],
            &TRAFFIC,
        );
    }

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
        g.family(name, help, Kind::Gauge);
        for ep in SERVER_EPS {
            // /proc gives the start time in clock ticks (0.01 s); the server's own gauge is
            // set a little later, at init.
            let later = if name == "mattermost_system_server_start_time" {
                1.87
            } else {
                0.0
            };
            let first = (START_S - ENDPOINTS[ep].uptime_s) as f64 + 0.42 + later;
            let values = (0..SCRAPES_PER_ENDPOINT)
                .map(|k| match restart_of(ep) {
                    Some(r) if scrape_time_ms(ep, k) >= r * 1000 => r as f64 + 0.42 + later,
                    _ => first,
                })
                .collect();
            g.push_gauge(ep, name, Vec::new(), values);
        }
    }

    g.family(
        "mattermost_process_open_fds",
        "Number of open file descriptors.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        let w = Walk {
            mean: 260.0 + 900.0 * NODE_SHARE[ep],
            step: 6.0,
            min: 40.0,
            max: 65_000.0,
            quantum: 1.0,
            after_restart: 0.3,
        };
        g.gauge(ep, "mattermost_process_open_fds", &[], w);
    }
    g.family(
        "mattermost_process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        let w = Walk {
            mean: 3.1e9,
            step: 8e6,
            min: 1e9,
            max: 2e10,
            quantum: 4096.0,
            after_restart: 0.8,
        };
        g.gauge(ep, "mattermost_process_virtual_memory_bytes", &[], w);
    }

    g.family(
        "go_goroutines",
        "Number of goroutines that currently exist.",
        Kind::Gauge,
    );
    for ep in SERVER_EPS {
        let w = Walk {
            mean: 3400.0 * NODE_SHARE[ep] * 3.0,
            step: 45.0,
            min: 50.0,
            max: 50_000.0,
            quantum: 1.0,
            after_restart: 0.35,
        };
        g.gauge(ep, "go_goroutines", &[], w);
    }

    g.family(
        "go_memstats_heap_inuse_bytes",
        "Number of heap bytes that are in use.",
        Kind::Gauge,
    );
    let mut heaps = Vec::new();
    for ep in SERVER_EPS {
        let w = Walk {
            mean: 6.2e8 * NODE_SHARE[ep] * 3.0,
            step: 1.4e7,
            min: 5e7,
            max: 8e9,
            quantum: 8192.0,
            after_restart: 0.25,
        };
        g.gauge(ep, "go_memstats_heap_inuse_bytes", &[], w);
        heaps.push((
            ep,
            g.fam().series.last().expect("just pushed").values.clone(),
        ));
    }
    for name in [
        "go_memstats_alloc_bytes",
        "go_memstats_heap_objects",
        "mattermost_process_resident_memory_bytes",
    ] {
        heap_derived(g, name, &heaps);
    }

    gc_summary(g, SERVER_EPS, 2.0e-4);
}

/// Gauge `name` on each endpoint of `heaps`, derived from that endpoint's heap in use as the
/// runtime's numbers are: bytes allocated and still in use (below the spans in use), live
/// objects (~190 bytes each), or the server's resident set (heap, stacks, runtime, binary).
pub(super) fn heap_derived(g: &mut Gen, name: &str, heaps: &[(usize, Vec<f64>)]) {
    let help = match name {
        "go_memstats_alloc_bytes" => "Number of bytes allocated in heap and currently in use.",
        "go_memstats_heap_objects" => "Number of currently allocated objects.",
        "mattermost_process_resident_memory_bytes" => "Resident memory size in bytes.",
        other => panic!("{other} is not derived from the heap"),
    };
    g.family(name, help, Kind::Gauge);
    for (ep, heap) in heaps {
        let mut rng = Rng::keyed(&key_of(name, *ep, &[]));
        let values = heap
            .iter()
            .map(|&h| {
                let j = rng.range(0.97, 1.03);
                match name {
                    "go_memstats_alloc_bytes" => quantize(h * 0.86 * j, 8.0),
                    "go_memstats_heap_objects" => quantize(h / 190.0 * j, 1.0),
                    _ => quantize(h * 1.3 + 1.1e8 * j, 4096.0),
                }
            })
            .collect();
        g.push_gauge(*ep, name, Vec::new(), values);
    }
}

/// `go_gc_duration_seconds`, the Go collector's summary of GC pauses (quantiles 0, 0.25, 0.5,
/// 0.75, 1, then `_sum` and `_count`) on endpoints `eps`, with median pauses around `median`
/// seconds.
pub(super) fn gc_summary(g: &mut Gen, eps: Range<usize>, median: f64) {
    let name = "go_gc_duration_seconds";
    g.family(
        name,
        "A summary of the pause duration of garbage collection cycles.",
        Kind::Summary,
    );
    for ep in eps {
        let mut rng = Rng::keyed(&key_of(name, ep, &[]));
        let w = Walk {
            mean: median,
            step: median * 0.04,
            min: median * 0.2,
            max: median * 20.0,
            quantum: 1e-9,
            after_restart: 1.0,
        };
        let med = walk(w, ep, &mut rng);
        for (q, factor) in [
            ("0", 0.3),
            ("0.25", 0.75),
            ("0.5", 1.0),
            ("0.75", 1.4),
            ("1", 6.5),
        ] {
            let values = med.iter().map(|m| quantize(m * factor, 1e-9)).collect();
            g.push_gauge(ep, name, labels(&[("quantile", q)]), values);
        }
        // A GC cycle every 10 s or so; the pauses' sum grows by the mean pause per cycle.
        let mut per_scrape = [0i64; SEGMENTS];
        let mut sum_rate = [0.0; SEGMENTS];
        for s in 0..SEGMENTS {
            per_scrape[s] = (1.5 * TRAFFIC[s] * rng.range(0.9, 1.1)).round().max(1.0) as i64;
            sum_rate[s] = per_scrape[s] as f64 / 15.0 * median * 1.3;
        }
        g.float_series(ep, &format!("{name}_sum"), &[], sum_rate, 1e-9);
        let phase = (rng.next_u64() % 15) as i64;
        g.int_series(ep, &format!("{name}_count"), Vec::new(), &per_scrape, phase);
    }
    g.fam().child_len = 7;
}

fn counters(g: &mut Gen) {
    for &(name, help, rate) in COUNTERS {
        g.family(name, help, Kind::Counter);
        g.counter_child(name, &[], rate, false);
    }
}

fn search(g: &mut Gen) {
    let hist = "mattermost_search_posts_searches_duration_seconds";
    g.family(
        hist,
        "The total duration in seconds of post searches.",
        Kind::Histogram,
    );
    g.histogram_child(hist, &[], 3.2, 5.2, &LATENCY_SHIFT);
    // Every search is counted and timed: the counter is the histogram's count.
    let counts: Vec<Series> = g
        .fam()
        .series
        .iter()
        .filter(|s| s.name == format!("{hist}_count"))
        .cloned()
        .collect();
    g.family(
        "mattermost_search_posts_searches_total",
        "The total number of post searches carried out.",
        Kind::Counter,
    );
    for s in counts {
        g.push(Series {
            name: "mattermost_search_posts_searches_total".to_string(),
            ..s
        });
    }
}

fn caches(g: &mut Gen) {
    for (name, help, hit) in [
        (
            "mattermost_cache_etag_hit_total",
            "Total number of etag hits (304)",
            true,
        ),
        (
            "mattermost_cache_etag_miss_total",
            "Total number of etag misses",
            false,
        ),
    ] {
        g.family(name, help, Kind::Counter);
        for &(route, hits, misses) in ETAG_ROUTES {
            g.counter_child(
                name,
                &[("route", route)],
                if hit { hits } else { misses },
                false,
            );
        }
    }
    for (name, help, hit) in [
        (
            "mattermost_cache_mem_hit_total",
            "Total number of memory cache hits",
            true,
        ),
        (
            "mattermost_cache_mem_miss_total",
            "Total number of memory cache misses",
            false,
        ),
    ] {
        g.family(name, help, Kind::Counter);
        for &(cache, hits, misses) in MEM_CACHES {
            g.counter_child(
                name,
                &[("name", cache)],
                if hit { hits } else { misses },
                false,
            );
        }
    }
}

fn notifications(g: &mut Gen) {
    for &(name, help, children) in NOTIFICATIONS {
        g.family(name, help, Kind::Counter);
        for &(t, reason, platform, rate) in children {
            let mut pairs = vec![("type", t), ("platform", platform)];
            if !reason.is_empty() {
                pairs.push(("reason", reason));
            }
            g.counter_child(name, &pairs, rate, false);
        }
    }
}
