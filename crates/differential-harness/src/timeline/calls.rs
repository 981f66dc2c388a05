//! Calls: the plugin's endpoint on every Mattermost node (job `calls`, [`CALLS_EPS`]) and the
//! two rtcd servers (job `rtcd`, [`RTCD_EPS`]), with what the Calls dashboard charts of them.
//!
//! The plugin's `rtc_*` series come from its embedded RTC server, which a deployment using
//! rtcd does not run: a real cluster exposes either those or rtcd's. Both are generated here
//! so that every target of the RTC panels has data.
//! `mattermost_plugin_calls_cluster_mutex_local_grab_time` is not generated: no version of the
//! plugin defines it (the dashboard's queries of it return nothing).

use super::server::{gc_summary, go_sql_help, heap_derived};
use super::*;

/// The rtcd client ID of this Mattermost installation (rtcd's `groupID`/`clientID` labels).
const RTCD_CLIENT_ID: &str = "kz8r3mfxbtrdmc6dspq1kzg9fe";
/// The embedded RTC server's `groupID`.
const EMBEDDED_GROUP: &str = "default";
/// rtcd's `latencyBuckets`, seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0,
];
/// rtcd's `lossBuckets`, fractions.
const LOSS_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0,
];
/// The live-captions audio length buckets (`LinearBuckets(2000, 2000, 4)`), milliseconds.
const AUDIO_LEN_BUCKETS: [f64; 4] = [2000.0, 4000.0, 6000.0, 8000.0];

/// Calls activity of each segment (calls cluster in the middle of the data).
const CALLS_TRAFFIC: [f64; SEGMENTS] = [0.8, 1.0, 1.3, 1.1, 0.9, 0.7];
/// RTC timings shift with the load.
const RTC_SHIFT: [f64; SEGMENTS] = [0.0, 0.1, 0.5, 0.3, 0.0, -0.1];
/// Share of the calls each Mattermost node's plugin handles.
const PLUGIN_SHARE: [f64; 3] = [0.4, 0.35, 0.25];
/// Share of the media each rtcd serves.
const RTCD_SHARE: [f64; 2] = [0.6, 0.4];

/// Plugin WebSocket events: (direction, type, per second on a whole-cluster scale).
const PLUGIN_WS_EVENTS: &[(&str, &str, f64)] = &[
    ("in", "ice", 3.0),
    ("in", "join", 0.6),
    ("in", "leave", 0.4),
    ("in", "sdp", 0.9),
    ("out", "signal", 4.0),
];
/// App handlers: (handler, calls/s, centre bucket).
const APP_HANDLERS: &[(&str, f64, f64)] = &[
    ("addUserSession", 1.2, 4.2),
    ("getCallState", 3.0, 2.1),
    ("removeUserSession", 1.2, 3.6),
];
/// Store methods: (method, calls/s, centre bucket).
const STORE_METHODS: &[(&str, f64, f64)] =
    &[("CreateCallSession", 1.2, 2.3), ("GetCall", 4.0, 1.4)];
/// Cluster mutexes: (group, grabs/s, grab centre, locked centre, retries/s).
const MUTEXES: &[(&str, f64, f64, f64, f64)] = &[
    ("job_service_runner_update", 1.0, 1.6, 4.5, 0.2),
    ("mutex_call", 3.0, 0.8, 3.2, 0.5),
];
/// ICE candidate pairs clients report: (state, local type, local protocol, remote type,
/// remote protocol, per second).
const ICE_PAIRS: &[(&str, &str, &str, &str, &str, f64)] = &[
    ("failed", "relay", "tcp", "host", "udp", 0.2),
    ("in-progress", "prflx", "udp", "srflx", "udp", 0.45),
    ("succeeded", "host", "udp", "srflx", "udp", 1.2),
    ("succeeded", "srflx", "udp", "host", "udp", 0.9),
    ("waiting", "host", "udp", "host", "udp", 0.6),
];
/// RTC connection state changes: (type, per second).
const CONN_STATES: &[(&str, f64)] = &[
    ("closed", 0.8),
    ("connected", 1.0),
    ("disconnected", 0.45),
    ("failed", 0.15),
];
/// RTC errors: (type, per second).
const RTC_ERRORS: &[(&str, f64)] = &[("ice", 1.2), ("rtp", 0.6), ("signaling", 0.25)];
/// Active RTP tracks: (direction, codec, mean count on a whole-cluster scale).
const RTP_TRACKS: &[(&str, &str, f64)] = &[
    ("in", "audio/opus", 24.0),
    ("in", "video/VP8", 4.0),
    ("out", "audio/opus", 150.0),
    ("out", "video/VP8", 22.0),
];
/// RTP track writes: (track kind, writes/s per rtcd, centre bucket of latencyBuckets).
const TRACK_WRITES: &[(&str, f64, f64)] = &[
    ("screen", 6.0, 3.2),
    ("video", 12.0, 2.6),
    ("voice", 40.0, 1.4),
];
/// rtcd WebSocket messages with the plugins: (direction, type, per second per rtcd).
const RTCD_WS_MESSAGES: &[(&str, &str, f64)] = &[
    ("in", "join", 0.3),
    ("in", "leave", 0.22),
    ("in", "rtc", 6.0),
    ("out", "rtc", 7.5),
    ("out", "vad", 0.8),
];

pub(super) fn generate(g: &mut Gen) {
    plugin(g);
    rtcd(g);
    runtime(g);
}

/// The plugin endpoint of node `i`, and its share of the calls.
fn plugin_eps() -> Vec<(usize, f64)> {
    CALLS_EPS
        .map(|ep| (ep, PLUGIN_SHARE[ep - CALLS_EPS.start]))
        .collect()
}

/// The rtcd endpoints, and their share of the media.
fn rtcd_eps() -> Vec<(usize, f64)> {
    RTCD_EPS
        .map(|ep| (ep, RTCD_SHARE[ep - RTCD_EPS.start]))
        .collect()
}

fn hist<'a>(bounds: &'a [f64], rate: f64, centre: f64, shift: &'a [f64; SEGMENTS]) -> Hist<'a> {
    Hist {
        bounds,
        rate,
        centre,
        shift,
        traffic: &CALLS_TRAFFIC,
    }
}

fn plugin(g: &mut Gen) {
    let name = "mattermost_plugin_calls_websocket_events_total";
    g.family(
        name,
        "Total number of sent/received WebSocket events",
        Kind::Counter,
    );
    for (ep, share) in plugin_eps() {
        for &(direction, t, rate) in PLUGIN_WS_EVENTS {
            let pairs = [("direction", direction), ("type", t)];
            g.counter(ep, name, &pairs, rate * share, &CALLS_TRAFFIC);
        }
    }

    let name = "mattermost_plugin_calls_app_handlers_time";
    g.family(name, "Time to execute app handlers", Kind::Histogram);
    for (ep, share) in plugin_eps() {
        for &(handler, rate, centre) in APP_HANDLERS {
            let h = hist(&BUCKETS, rate * share, centre, &RTC_SHIFT);
            g.histogram(ep, name, &[("handler", handler)], h);
        }
    }

    let name = "mattermost_plugin_calls_store_methods_time";
    g.family(name, "Time to execute store methods", Kind::Histogram);
    for (ep, share) in plugin_eps() {
        for &(method, rate, centre) in STORE_METHODS {
            let h = hist(&BUCKETS, rate * share, centre, &RTC_SHIFT);
            g.histogram(ep, name, &[("method", method)], h);
        }
    }

    for (name, help, locked) in [
        (
            "mattermost_plugin_calls_cluster_mutex_grab_time",
            "Time to grab locks",
            false,
        ),
        (
            "mattermost_plugin_calls_cluster_mutex_locked_time",
            "Time locked",
            true,
        ),
    ] {
        g.family(name, help, Kind::Histogram);
        for (ep, share) in plugin_eps() {
            for &(group, rate, grab, held, _) in MUTEXES {
                let centre = if locked { held } else { grab };
                let h = hist(&BUCKETS, rate * share, centre, &RTC_SHIFT);
                g.histogram(ep, name, &[("group", group)], h);
            }
        }
    }
    let name = "mattermost_plugin_calls_cluster_mutex_lock_retries_total";
    g.family(
        name,
        "Total number of cluster mutex lock retries",
        Kind::Counter,
    );
    for (ep, share) in plugin_eps() {
        for &(group, _, _, _, retries) in MUTEXES {
            g.counter(
                ep,
                name,
                &[("group", group)],
                retries * share,
                &CALLS_TRAFFIC,
            );
        }
    }

    let name = "mattermost_plugin_calls_client_ice_candidate_pairs_total";
    g.family(
        name,
        "Total number of client-sent ICE candidate pairs",
        Kind::Counter,
    );
    for (ep, share) in plugin_eps() {
        for &(state, lt, lp, rt, rp, rate) in ICE_PAIRS {
            let pairs = [
                ("state", state),
                ("local_type", lt),
                ("local_protocol", lp),
                ("remote_type", rt),
                ("remote_protocol", rp),
            ];
            g.counter(ep, name, &pairs, rate * share, &CALLS_TRAFFIC);
        }
    }

    // Live captions (the transcriber jobs report through the plugin).
    let name = "mattermost_plugin_calls_jobs_live_captions_new_audio_len_ms";
    g.family(
        name,
        "Length (in ms) of new audio transcribed for live captions",
        Kind::Histogram,
    );
    for (ep, share) in plugin_eps() {
        let h = hist(&AUDIO_LEN_BUCKETS, 1.5 * share, 0.7, &NO_SHIFT);
        g.histogram(ep, name, &[], h);
    }
    for (name, help, rate) in [
        (
            "mattermost_plugin_calls_jobs_live_captions_window_dropped",
            "Dropped a window of audio data due to pressure on the transcriber",
            0.3,
        ),
        (
            "mattermost_plugin_calls_jobs_live_captions_transcriber_buf_full",
            "Dropped a package of audio data due to the transcriber buffer full",
            0.25,
        ),
        (
            "mattermost_plugin_calls_jobs_live_captions_pktPayloadCh_buf_full",
            "Dropped a package of audio data due to the pktPayloadCh buffer full",
            0.6,
        ),
    ] {
        g.family(name, help, Kind::Counter);
        for (ep, share) in plugin_eps() {
            g.counter(ep, name, &[], rate * share, &CALLS_TRAFFIC);
        }
    }

    // The embedded RTC server's perf metrics (see the module's documentation).
    rtc_gauges_and_counters(g, "mattermost_plugin_calls", &plugin_eps(), EMBEDDED_GROUP);

    let name = "mattermost_plugin_calls_process_cpu_seconds_total";
    g.family(
        name,
        "Total user and system CPU time spent in seconds.",
        Kind::Counter,
    );
    for (ep, share) in plugin_eps() {
        g.cpu_seconds(ep, name, 0.4 * share, &CALLS_TRAFFIC);
    }

    // The plugin's own DB stats collector on its writer connection: open = in use + idle.
    let writer = labels(&[("db_name", "writer")]);
    let mut pools = Vec::new();
    for (ep, _) in plugin_eps() {
        let walk_of = |name: &str, mean: f64| {
            let mut rng = Rng::keyed(&key_of(name, ep, &writer));
            walk(Walk::count(mean, 1.0, 1.0, 40.0), ep, &mut rng)
        };
        let open = walk_of("go_sql_open_connections", 12.0);
        let in_use: Vec<f64> = walk_of("go_sql_in_use_connections", 3.0)
            .iter()
            .zip(&open)
            .map(|(u, o)| u.min(*o))
            .collect();
        let idle = open.iter().zip(&in_use).map(|(o, u)| o - u).collect();
        pools.push((ep, [open, in_use, idle]));
    }
    for (i, name) in [
        "go_sql_open_connections",
        "go_sql_in_use_connections",
        "go_sql_idle_connections",
    ]
    .into_iter()
    .enumerate()
    {
        g.family(name, go_sql_help(name), Kind::Gauge);
        for (ep, values) in &pools {
            g.push_gauge(*ep, name, writer.clone(), values[i].clone());
        }
    }
    // Waits for a connection, and the time spent waiting (~6 ms each).
    let count = "go_sql_wait_count_total";
    let duration = "go_sql_wait_duration_seconds_total";
    for (ep, share) in plugin_eps() {
        let l = labels(&[("db_name", "writer")]);
        let mut rng = Rng::keyed(&key_of(count, ep, &l));
        let mut per_scrape = [0i64; SEGMENTS];
        let mut wait = [0.0; SEGMENTS];
        for s in 0..SEGMENTS {
            per_scrape[s] = ((0.6 * share * CALLS_TRAFFIC[s] * 15.0).round() as i64).max(1);
            wait[s] = per_scrape[s] as f64 / 15.0 * 0.006 * rng.range(0.8, 1.2);
        }
        let phase = (rng.next_u64() % 15) as i64;
        g.family(count, go_sql_help(count), Kind::Counter);
        g.int_series(ep, count, l, &per_scrape, phase);
        g.family(duration, go_sql_help(duration), Kind::Counter);
        g.float_series(ep, duration, &[("db_name", "writer")], wait, 1e-9);
    }
}

/// The perf families the plugin (embedded RTC server) and rtcd share, under `prefix`, on
/// endpoints `eps` (with their shares): active sessions and RTP tracks, connection state
/// changes, RTC errors.
fn rtc_gauges_and_counters(g: &mut Gen, prefix: &str, eps: &[(usize, f64)], group: &str) {
    let name = format!("{prefix}_rtc_sessions_total");
    g.family(&name, "Total number of active RTC sessions", Kind::Gauge);
    for &(ep, share) in eps {
        let mean = 60.0 * share;
        g.gauge(
            ep,
            &name,
            &[("groupID", group)],
            Walk::count(mean, 1.0 + mean * 0.04, 0.0, 500.0),
        );
    }
    let name = format!("{prefix}_rtc_rtp_tracks_total");
    g.family(&name, "Total number of active RTP tracks", Kind::Gauge);
    for &(ep, share) in eps {
        for &(direction, codec, mean) in RTP_TRACKS {
            let mean = mean * share;
            let pairs = [
                ("groupID", group),
                ("direction", direction),
                ("type", codec),
            ];
            g.gauge(
                ep,
                &name,
                &pairs,
                Walk::count(mean, 1.0 + mean * 0.04, 0.0, 5000.0),
            );
        }
    }
    let name = format!("{prefix}_rtc_conn_states_total");
    g.family(
        &name,
        "Total number of RTC connection state changes",
        Kind::Counter,
    );
    for &(ep, share) in eps {
        for &(t, rate) in CONN_STATES {
            g.counter(ep, &name, &[("type", t)], rate * share, &CALLS_TRAFFIC);
        }
    }
    let name = format!("{prefix}_rtc_errors_total");
    g.family(&name, "Total number of RTC related errors", Kind::Counter);
    for &(ep, share) in eps {
        for &(t, rate) in RTC_ERRORS {
            let pairs = [("groupID", group), ("type", t)];
            g.counter(ep, &name, &pairs, rate * share, &CALLS_TRAFFIC);
        }
    }
}

fn rtcd(g: &mut Gen) {
    let group = RTCD_CLIENT_ID;
    rtc_gauges_and_counters(g, "rtcd", &rtcd_eps(), group);

    let name = "rtcd_rtc_rtp_tracks_writes_time";
    g.family(name, "Time taken to write to RTP tracks", Kind::Histogram);
    for (ep, share) in rtcd_eps() {
        for &(kind, rate, centre) in TRACK_WRITES {
            let h = hist(&LATENCY_BUCKETS, rate * share, centre, &RTC_SHIFT);
            g.histogram(ep, name, &[("groupID", group), ("type", kind)], h);
        }
    }
    // (name, help, bounds, per second, centre).
    let histograms: [(&str, &str, &[f64], f64, f64); 6] = [
        (
            "rtcd_rtc_connection_time",
            "Time taken to establish the connection",
            &BUCKETS,
            1.0,
            6.4,
        ),
        (
            "rtcd_rtc_signaling_lock_grab_time",
            "Time taken to acquire the signaling lock",
            &BUCKETS,
            3.0,
            0.9,
        ),
        (
            "rtcd_rtc_signaling_lock_locked_time",
            "Time the signaling lock was held",
            &BUCKETS,
            3.0,
            3.1,
        ),
        (
            "rtcd_rtc_client_rtt",
            "Client round trip time",
            &LATENCY_BUCKETS,
            2.0,
            5.3,
        ),
        (
            "rtcd_rtc_client_jitter",
            "Client latency jitter",
            &LATENCY_BUCKETS,
            2.0,
            2.6,
        ),
        (
            "rtcd_rtc_client_loss_rate",
            "Client loss rate",
            &LOSS_BUCKETS,
            2.0,
            1.2,
        ),
    ];
    for (name, help, bounds, rate, centre) in histograms {
        g.family(name, help, Kind::Histogram);
        for (ep, share) in rtcd_eps() {
            let h = hist(bounds, rate * share, centre, &RTC_SHIFT);
            g.histogram(ep, name, &[("groupID", group)], h);
        }
    }

    // One WebSocket connection from each Mattermost node's plugin.
    let name = "rtcd_ws_connections_total";
    g.family(
        name,
        "Total number of active WebSocket sessions",
        Kind::Gauge,
    );
    for (ep, _) in rtcd_eps() {
        let mut rng = Rng::keyed(&key_of(name, ep, &[]));
        let values = (0..SCRAPES_PER_ENDPOINT)
            .map(|k| {
                let t = scrape_time_ms(ep, k);
                // mm-node-2's plugin reconnects 20 s after the node restarts; now and then one
                // connection is being re-established.
                let restarting = (RESTART_AT_S * 1000..(RESTART_AT_S + 20) * 1000).contains(&t);
                let blip = rng.unit() < 0.01;
                3.0 - f64::from(u8::from(restarting || blip))
            })
            .collect();
        g.push_gauge(ep, name, labels(&[("clientID", group)]), values);
    }
    let name = "rtcd_ws_messages_total";
    g.family(
        name,
        "Total number of sent/received WebSocket messages",
        Kind::Counter,
    );
    for (ep, share) in rtcd_eps() {
        for &(direction, t, rate) in RTCD_WS_MESSAGES {
            let pairs = [("clientID", group), ("direction", direction), ("type", t)];
            g.counter(ep, name, &pairs, rate * share * 2.0, &CALLS_TRAFFIC);
        }
    }

    let name = "rtcd_process_cpu_seconds_total";
    g.family(
        name,
        "Total user and system CPU time spent in seconds.",
        Kind::Counter,
    );
    for (ep, share) in rtcd_eps() {
        g.cpu_seconds(ep, name, 2.6 * share, &CALLS_TRAFFIC);
    }
}

/// The Go runtime gauges the Calls dashboard charts, of the plugin and of rtcd (each has its
/// own Go collector: plain `go_*`, told apart from the server's by `job` only).
fn runtime(g: &mut Gen) {
    // (endpoint, goroutines, heap in use, stack in use).
    let eps: Vec<(usize, f64, f64, f64)> = plugin_eps()
        .into_iter()
        .map(|(ep, share)| {
            (
                ep,
                120.0 + 400.0 * share,
                3.5e7 + 6e7 * share,
                1.6e6 + 4e6 * share,
            )
        })
        .chain(rtcd_eps().into_iter().map(|(ep, share)| {
            (
                ep,
                300.0 + 900.0 * share,
                6e7 + 2.2e8 * share,
                3e6 + 8e6 * share,
            )
        }))
        .collect();
    g.family(
        "go_goroutines",
        "Number of goroutines that currently exist.",
        Kind::Gauge,
    );
    for &(ep, n, _, _) in &eps {
        g.gauge(ep, "go_goroutines", &[], go_walk(n, 1.0));
    }
    g.family(
        "go_memstats_heap_inuse_bytes",
        "Number of heap bytes that are in use.",
        Kind::Gauge,
    );
    let mut plugin_heaps = Vec::new();
    for &(ep, _, heap, _) in &eps {
        g.gauge(
            ep,
            "go_memstats_heap_inuse_bytes",
            &[],
            go_walk(heap, 8192.0),
        );
        if CALLS_EPS.contains(&ep) {
            plugin_heaps.push((ep, g.fam().series.last().expect("pushed").values.clone()));
        }
    }
    g.family(
        "go_memstats_stack_inuse_bytes",
        "Number of bytes in use by the stack allocator.",
        Kind::Gauge,
    );
    for &(ep, _, _, stack) in &eps {
        g.gauge(
            ep,
            "go_memstats_stack_inuse_bytes",
            &[],
            go_walk(stack, 16384.0),
        );
    }
    // The rest of the plugin's Go collector the Mattermost dashboards chart, where the
    // server's `$server` instances (shared with the plugin) select it: bytes allocated, heap
    // objects, GC pauses. (rtcd's are not charted.)
    for name in ["go_memstats_alloc_bytes", "go_memstats_heap_objects"] {
        heap_derived(g, name, &plugin_heaps);
    }
    gc_summary(g, CALLS_EPS, 1.5e-4);
}

/// A runtime gauge around `mean`, in multiples of `quantum`, lower after a restart.
fn go_walk(mean: f64, quantum: f64) -> Walk {
    Walk {
        mean,
        step: mean * 0.015,
        min: mean * 0.2,
        max: mean * 10.0,
        quantum,
        after_restart: 0.4,
    }
}
