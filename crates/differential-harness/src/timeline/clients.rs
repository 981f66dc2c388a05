//! Client-side metrics the Mattermost server records from its clients' reports (job
//! `mattermost`): the web app (Web App Metrics), the mobile app (Mobile Performance) and the
//! desktop app (Desktop App Metrics).
//!
//! A client reports to the node it is connected to, so each node exposes the label
//! combinations its own users produced. To keep the volume of the harness down (every
//! histogram child is 14 to 17 series of 720 samples), the less common combinations are seen by
//! one or two nodes only, as they would be with few such users; every combination has
//! observations at every scrape of every segment, so whatever the dashboards' variables select
//! has data throughout.

use super::*;

/// Web app label combinations: (agent, platform, the nodes that see it, share of the
/// observations). Agent and platform values as the web app computes them
/// (`getUserAgentLabel`, `getPlatformLabel`).
const WEBAPP_CLIENTS: &[(&str, &str, &[usize], f64)] = &[
    ("chrome", "windows", &[0, 1], 0.5),
    ("desktop", "macos", &[2], 0.35),
    ("firefox", "linux", &[2], 0.15),
];

/// Web app histograms: (name, help, bounds, observations/s of the whole cluster, centre
/// bucket). The extra label some have (`fresh`, `region`, `interaction`) takes one value per
/// client.
const WEBAPP_HISTOGRAMS: &[(&str, &str, &[f64], f64, f64)] = &[
    (
        "mattermost_webapp_channel_switch",
        "Duration of the time taken from when a user clicks on a channel in the LHS to when posts in that channel become visible (seconds)",
        &BUCKETS,
        12.0,
        6.0,
    ),
    (
        "mattermost_webapp_team_switch",
        "Duration of the time taken from when a user clicks on a team in the LHS to when posts in that team become visible (seconds)",
        &BUCKETS,
        4.0,
        6.8,
    ),
    (
        "mattermost_webapp_rhs_load",
        "Duration of the time taken from when a user clicks to open a thread in the RHS until when posts in that thread become visible (seconds)",
        &BUCKETS,
        6.0,
        6.3,
    ),
    (
        "mattermost_webapp_global_threads_load",
        "Duration of the time taken from when a user clicks to open Threads in the LHS until when the global threads view becomes visible (milliseconds)",
        &BUCKETS,
        3.0,
        6.6,
    ),
    (
        "mattermost_webapp_interaction_to_next_paint",
        "Measure of how long it takes for a user to see the effects of clicking with a mouse, tapping with a touchscreen, or pressing a key on the keyboard (seconds)",
        &BUCKETS,
        8.0,
        5.4,
    ),
    (
        "mattermost_webapp_time_to_first_byte",
        "Duration from when a browser starts to request a page from a server until when it starts to receive data in response (seconds)",
        &BUCKETS,
        3.0,
        5.8,
    ),
    (
        "mattermost_webapp_page_load",
        "The amount of time from when the browser starts loading the web app until when the web app's load event has finished (seconds)",
        &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0],
        3.0,
        8.2,
    ),
    (
        "mattermost_webapp_first_contentful_paint",
        "Duration of how long it takes for any content to be displayed on screen to a user (seconds)",
        &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0],
        3.0,
        7.6,
    ),
    (
        "mattermost_webapp_largest_contentful_paint",
        "Duration of how long it takes for large content to be displayed on screen to a user (seconds)",
        &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0],
        3.0,
        8.1,
    ),
    (
        "mattermost_webapp_cumulative_layout_shift",
        "Measure of how much a page's content shifts unexpectedly",
        &BUCKETS,
        3.0,
        2.0,
    ),
];

/// Mobile platforms: (platform, the nodes that see it, share, how many buckets slower).
const MOBILE_CLIENTS: &[(&str, &[usize], f64, f64)] =
    &[("android", &[2], 0.45, 1.0), ("ios", &[0], 0.55, 0.0)];

/// Mobile histograms: (name, help, bounds, observations/s of the whole cluster, centre).
const MOBILE_HISTOGRAMS: &[(&str, &str, &[f64], f64, f64)] = &[
    (
        "mattermost_mobileapp_mobile_load",
        "Duration of the time taken from when a user opens the app and the app finally loads all relevant information (seconds)",
        &[1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 5.0, 5.5, 6.0, 7.5, 10.0, 20.0, 25.0, 30.0],
        3.0,
        3.2,
    ),
    (
        "mattermost_mobileapp_mobile_channel_switch",
        "Duration of the time taken from when a user clicks on a channel name, and the full channel sreen is loaded (seconds)",
        &[0.150, 0.200, 0.300, 0.400, 0.450, 0.500, 0.550, 0.600, 0.750, 1.0, 2.0, 3.0],
        8.0,
        3.4,
    ),
    (
        "mattermost_mobileapp_mobile_team_switch",
        "Duration of the time taken from when a user clicks on a team, and the full categories screen is loaded (seconds)",
        &[0.150, 0.200, 0.250, 0.300, 0.350, 0.400, 0.500, 0.750, 1.0, 2.0, 3.0],
        2.5,
        4.1,
    ),
];

/// A desktop app process kind as the server sees its reports.
struct DesktopClient {
    platform: &'static str,
    version: &'static str,
    process: &'static str,
    /// The nodes that see it.
    nodes: &'static [usize],
    /// Centre buckets of its CPU usage and memory usage.
    cpu: f64,
    memory: f64,
}

const DESKTOP_CLIENTS: [DesktopClient; 3] = [
    DesktopClient {
        platform: "macos",
        version: "5.11.1",
        process: "main",
        nodes: &[2],
        cpu: 3.4,
        memory: 3.2,
    },
    DesktopClient {
        platform: "macos",
        version: "5.11.1",
        process: "renderer",
        nodes: &[2],
        cpu: 5.1,
        memory: 6.2,
    },
    DesktopClient {
        platform: "windows",
        version: "5.10.2",
        process: "main",
        nodes: &[0],
        cpu: 3.8,
        memory: 3.5,
    },
];

/// Desktop app histograms: (name, help, bounds, reports/s of one process kind).
const DESKTOP_HISTOGRAMS: &[(&str, &str, &[f64], f64)] = &[
    (
        "mattermost_desktopapp_cpu_usage",
        "Average CPU usage of a specific process over an interval",
        &[
            0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 80.0, 100.0,
        ],
        0.9,
    ),
    (
        "mattermost_desktopapp_memory_usage",
        "Memory usage in MB of a specific process",
        &[
            0.0, 50.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0,
            3000.0, 5000.0,
        ],
        0.9,
    ),
];

/// Client timings get a little slower in the busy segments.
const CLIENT_SHIFT: [f64; SEGMENTS] = [0.0, 0.15, 0.4, 0.25, 0.0, -0.1];

pub(super) fn generate(g: &mut Gen) {
    webapp(g);
    mobile(g);
    desktop(g);
}

/// The extra label of a web app histogram, if it has one, for a client.
fn extra_label(name: &str, agent: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "mattermost_webapp_channel_switch" | "mattermost_webapp_team_switch" => {
            Some(("fresh", if agent == "desktop" { "true" } else { "false" }))
        }
        "mattermost_webapp_largest_contentful_paint" => Some(("region", "post_list")),
        "mattermost_webapp_interaction_to_next_paint" => Some((
            "interaction",
            if agent == "firefox" {
                "keyboard"
            } else {
                "pointer"
            },
        )),
        _ => None,
    }
}

fn webapp(g: &mut Gen) {
    for &(name, help, bounds, rate, centre) in WEBAPP_HISTOGRAMS {
        g.family(name, help, Kind::Histogram);
        for &(agent, platform, nodes, share) in WEBAPP_CLIENTS {
            let mut pairs = vec![
                ("agent", agent),
                ("platform", platform),
                ("user_id", "<placeholder>"),
            ];
            pairs.extend(extra_label(name, agent));
            for &node in nodes {
                let h = Hist {
                    bounds,
                    rate: rate * share / nodes.len() as f64,
                    centre,
                    shift: &CLIENT_SHIFT,
                    traffic: &TRAFFIC,
                };
                g.histogram(SERVER_EPS.start + node, name, &pairs, h);
            }
        }
    }
    let name = "mattermost_webapp_long_tasks";
    g.family(
        name,
        "Counter of the number of times that the browser's main UI thread is blocked for more than 50ms by a single task",
        Kind::Counter,
    );
    for &(agent, platform, nodes, share) in WEBAPP_CLIENTS {
        let pairs = [
            ("agent", agent),
            ("platform", platform),
            ("user_id", "<placeholder>"),
        ];
        for &node in nodes {
            g.counter(
                SERVER_EPS.start + node,
                name,
                &pairs,
                5.0 * share / nodes.len() as f64,
                &TRAFFIC,
            );
        }
    }
}

fn mobile(g: &mut Gen) {
    for &(name, help, bounds, rate, centre) in MOBILE_HISTOGRAMS {
        g.family(name, help, Kind::Histogram);
        for &(platform, nodes, share, slower) in MOBILE_CLIENTS {
            for &node in nodes {
                let h = Hist {
                    bounds,
                    rate: rate * share / nodes.len() as f64,
                    centre: centre + slower,
                    shift: &CLIENT_SHIFT,
                    traffic: &TRAFFIC,
                };
                g.histogram(SERVER_EPS.start + node, name, &[("platform", platform)], h);
            }
        }
    }
}

fn desktop(g: &mut Gen) {
    for (i, &(name, help, bounds, rate)) in DESKTOP_HISTOGRAMS.iter().enumerate() {
        g.family(name, help, Kind::Histogram);
        for c in &DESKTOP_CLIENTS {
            let pairs = [
                ("platform", c.platform),
                ("version", c.version),
                ("processName", c.process),
            ];
            for &node in c.nodes {
                let h = Hist {
                    bounds,
                    rate: rate / c.nodes.len() as f64,
                    centre: if i == 0 { c.cpu } else { c.memory },
                    shift: &CLIENT_SHIFT,
                    traffic: &FLAT,
                };
                g.histogram(SERVER_EPS.start + node, name, &pairs, h);
            }
        }
    }
}
