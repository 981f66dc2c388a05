//! The kinds of endpoint a dashboard reads, and what an admin must add when
//! one has no data (issue 17: empty states that lead somewhere).
//!
//! Each panel reads one kind ([`of_search`]); each kind a dashboard reads
//! gets one probe search (an `mcatalog`, which reads the index's metadata,
//! not its data points), whose result count shows that kind's panels or,
//! when there is nothing, one line that says what to add instead of rows of
//! "No results found".

use super::Variable;

/// A kind of endpoint.
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    /// Short name: token suffix (`has_calls`, `no_calls`) and probe id.
    pub id: &'static str,
    /// The WHERE terms that select its data points (after the index macro).
    pub filter: &'static str,
    /// What the dashboard says when there are none, as plain text.
    pub missing: &'static str,
}

/// Every kind, most specific first ([`of_search`] takes the first match).
pub static SOURCES: [Source; 7] = [
    Source {
        id: "calls",
        filter: "job=\"calls\"",
        missing: "No data from the Calls plugin in this time range. Add a Mattermost metrics input (Settings > Data inputs > Mattermost metrics) for each Mattermost node with URL http://<node>:8067/plugins/com.mattermost.calls/metrics and dimensions job=calls; the plugin serves it on the server's metrics listener, which runs when System Console > Environment > Performance Monitoring is enabled.",
    },
    Source {
        id: "rtcd",
        filter: "job=\"rtcd\"",
        missing: "No data from rtcd in this time range. If Calls runs its RTC service as rtcd, add a Mattermost metrics input for each rtcd host with URL http://<rtcd>:8045/metrics and dimensions job=rtcd; without rtcd (the plugin's embedded RTC server) these panels stay empty.",
    },
    Source {
        id: "node",
        filter: "job=\"node\"",
        missing: "No data from node_exporter in this time range. For the host panels of the rtcd and calls-offloader machines, run prometheus-node-exporter there and add a Mattermost metrics input with URL http://<host>:9100/metrics and dimensions job=node.",
    },
    Source {
        id: "webapp",
        filter: "metric_name=\"mattermost_webapp_*\"",
        missing: "No web app metrics in this time range. The browsers report them only when System Console > Environment > Performance Monitoring > Enable Client Performance Monitoring is on; the server's input then carries them, nothing else to add here.",
    },
    Source {
        id: "mobileapp",
        filter: "metric_name=\"mattermost_mobileapp_*\"",
        missing: "No mobile app metrics in this time range. The mobile apps report them only when System Console > Environment > Performance Monitoring > Enable Client Performance Monitoring is on; the server's input then carries them, nothing else to add here.",
    },
    Source {
        id: "desktopapp",
        filter: "metric_name=\"mattermost_desktopapp_*\"",
        missing: "No desktop app metrics in this time range. The desktop apps report them only when System Console > Environment > Performance Monitoring > Enable Client Performance Monitoring is on; the server's input then carries them, nothing else to add here.",
    },
    Source {
        id: "server",
        filter: "metric_name=\"mattermost_*\" AND `mattermost_metrics_server_endpoint`",
        missing: "No data from a Mattermost server in this time range. Add a Mattermost metrics input for each Mattermost node (Settings > Data inputs > Mattermost metrics, URL http://<node>:8067/metrics) and enable System Console > Environment > Performance Monitoring (an Enterprise licence); check the Input health dashboard if the inputs exist.",
    },
];

fn by_id(id: &str) -> &'static Source {
    SOURCES
        .iter()
        .find(|s| s.id == id)
        .expect("a kind of endpoint from SOURCES")
}

/// The kind of endpoint a panel's compiled search reads: the job it
/// selects, or else the client family its metrics belong to, or else the
/// server's own endpoint.
pub fn of_search(search: &str) -> &'static Source {
    for s in &SOURCES[..3] {
        if search.contains(s.filter) {
            return s;
        }
    }
    for (id, prefix) in [
        ("webapp", "(mattermost_webapp_"),
        ("mobileapp", "(mattermost_mobileapp_"),
        ("desktopapp", "(mattermost_desktopapp_"),
    ] {
        if search.contains(prefix) {
            return by_id(id);
        }
    }
    by_id("server")
}

/// The kind of endpoint a `nodes` variable lists (its `job`, or the server).
pub fn of_nodes(v: &Variable) -> &'static str {
    match v.job.as_deref() {
        Some(j) if SOURCES.iter().any(|s| s.id == j) => by_id(j).id,
        Some(_) => "",
        None => "server",
    }
}

/// The probe of a kind no input lists: the metric names it has in the
/// range (none: no row).
pub fn probe(s: &Source) -> String {
    format!(
        "| mcatalog values(metric_name) AS metric_name WHERE `mattermost_metrics_index` AND {}\n| mvexpand metric_name\n| where isnotnull(metric_name)\n| head 1",
        s.filter
    )
}
