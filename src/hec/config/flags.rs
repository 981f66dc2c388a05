//! The flags `hec` takes: one declaration ([`FLAGS`]) from which the
//! usage text, the reader and the docs' table come.

use std::fmt::Write as _;

use super::DEFAULT_MAX_MEMORY_MB;
use crate::pipeline::DEFAULT_SAMPLE_LIMIT;
use crate::scrape::DEFAULT_MAX_BODY_MB;

/// How a flag takes its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `-flag` alone is true; `-flag=false` is false.
    Bool,
    /// One value; the last given wins (as Go's flag package does).
    Value,
    /// Several values: the flag repeated, or values separated by commas.
    List,
}

/// One flag (and its environment variable, the name in upper case).
#[derive(Debug)]
pub struct Flag {
    pub name: &'static str,
    pub kind: Kind,
    /// What an unset flag means, as the usage text shows it.
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// One of prometheus2splunk's own flags.
    pub compat: bool,
}

/// Every flag, in the order `-help` lists them: prometheus2splunk's, then ours.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "scrape_target",
        kind: Kind::List,
        default: Some("http://localhost:8067/metrics"),
        help: "Mattermost metrics endpoint to scrape; repeat the flag, or separate URLs with commas, to scrape several nodes",
        compat: true,
    },
    Flag {
        name: "scrape_interval",
        kind: Kind::Value,
        default: Some("15s"),
        help: "interval on which to scrape (Go duration: 15s, 1m, 500ms)",
        compat: true,
    },
    Flag {
        name: "splunk_target",
        kind: Kind::Value,
        default: None,
        help: "HEC URL, e.g. https://splunk.example.com:8088/services/collector (required; a URL without a path gets /services/collector)",
        compat: true,
    },
    Flag {
        name: "splunk_authorization",
        kind: Kind::Value,
        default: None,
        help: "HEC token (required); prefer the environment variable, which does not show in ps",
        compat: true,
    },
    Flag {
        name: "allow_insecure",
        kind: Kind::Bool,
        default: Some("false"),
        help: "skip certificate verification (of the scrape targets and of HEC)",
        compat: true,
    },
    Flag {
        name: "timeout",
        kind: Kind::Value,
        default: Some("3s"),
        help: "HTTP request timeout of each scrape (HEC's requests have -splunk_timeout)",
        compat: true,
    },
    Flag {
        name: "log_level",
        kind: Kind::Value,
        default: Some("info"),
        help: "error, warn, info, debug or trace",
        compat: true,
    },
    Flag {
        name: "splunk_index",
        kind: Kind::Value,
        default: None,
        help: "metrics index of every data point, e.g. wss_metrics (default: the token's default index)",
        compat: false,
    },
    Flag {
        name: "splunk_sourcetype",
        kind: Kind::Value,
        default: None,
        help: "sourcetype of every data point (default: the token's)",
        compat: false,
    },
    Flag {
        name: "splunk_source",
        kind: Kind::Value,
        default: None,
        help: "source of every data point (default: the scrape URL)",
        compat: false,
    },
    Flag {
        name: "splunk_host",
        kind: Kind::List,
        default: None,
        help: "host of the data points, one per -scrape_target in the same order (default: the URL's host; this machine's name for localhost)",
        compat: false,
    },
    Flag {
        name: "include_metrics",
        kind: Kind::Value,
        default: None,
        help: "dashboards (only the metrics the app's dashboards and alerts read, as this version ships them), or a regular expression: keep only metrics whose Prometheus name matches it in full",
        compat: false,
    },
    Flag {
        name: "exclude_metrics",
        kind: Kind::Value,
        default: None,
        help: "regular expression: drop metrics whose Prometheus name matches it in full (after -include_metrics)",
        compat: false,
    },
    Flag {
        name: "extra_dimensions",
        kind: Kind::Value,
        default: None,
        help: "static dimensions added to every data point: name=value,name=value",
        compat: false,
    },
    Flag {
        name: "scrape_ca_bundle",
        kind: Kind::Value,
        default: None,
        help: "PEM file of the CAs to trust for https scrape targets (instead of the public roots)",
        compat: false,
    },
    Flag {
        name: "splunk_ca_bundle",
        kind: Kind::Value,
        default: None,
        help: "PEM file of the CAs to trust for an https HEC (instead of the public roots)",
        compat: false,
    },
    Flag {
        name: "splunk_proxy",
        kind: Kind::Value,
        default: None,
        help: "HTTP proxy to reach HEC through (CONNECT), http://[user:password@]host:port; with credentials, set it in the environment (SPLUNK_PROXY), which does not show in ps (default: HTTPS_PROXY / HTTP_PROXY of the environment, never for a loopback HEC)",
        compat: false,
    },
    Flag {
        name: "splunk_timeout",
        kind: Kind::Value,
        default: Some("30s"),
        help: "how long to wait for HEC's answer to one request; a HEC that answers later may still index the batch, which is then sent again: a duplicate",
        compat: false,
    },
    Flag {
        name: "max_body_mb",
        kind: Kind::Value,
        default: Some(DEFAULT_MAX_BODY_MB),
        help: "largest scrape body accepted (MB, after decompression); a larger one fails the scrape",
        compat: false,
    },
    Flag {
        name: "sample_limit",
        kind: Kind::Value,
        default: Some(DEFAULT_SAMPLE_LIMIT),
        help: "most data points one scrape may give, after the filters; a scrape with more is not sent at all (0: no limit)",
        compat: false,
    },
    Flag {
        name: "max_queue_mb",
        kind: Kind::Value,
        default: Some("64"),
        help: "room for data waiting while HEC is unreachable (MB, compressed; memory, or disk with -queue_dir); when full the oldest is dropped, and counted",
        compat: false,
    },
    Flag {
        name: "max_memory_mb",
        kind: Kind::Value,
        default: Some(DEFAULT_MAX_MEMORY_MB),
        help: "memory for scrapes in flight and the queue (MB): scrapes take turns so that those in flight, each up to 3 x -max_body_mb, and the queue in memory stay under it (the systemd unit's MemoryMax is 512M)",
        compat: false,
    },
    Flag {
        name: "queue_dir",
        kind: Kind::Value,
        default: None,
        help: "directory for the queue (created if need be): batches wait there instead of in memory, within -max_queue_mb, and survive a kill, a crash or a reboot; one sender per directory",
        compat: false,
    },
    Flag {
        name: "max_batch_kb",
        kind: Kind::Value,
        default: Some("1024"),
        help: "largest request body sent to HEC, before compression (KB)",
        compat: false,
    },
    Flag {
        name: "retry_backoff",
        kind: Kind::Value,
        default: Some("1s"),
        help: "first wait before resending to HEC; doubled at each failure, with jitter",
        compat: false,
    },
    Flag {
        name: "retry_backoff_max",
        kind: Kind::Value,
        default: Some("30s"),
        help: "longest wait between two attempts to send to HEC",
        compat: false,
    },
    Flag {
        name: "shutdown_timeout",
        kind: Kind::Value,
        default: Some("15s"),
        help: "on SIGINT or SIGTERM, how long to keep trying to send what is queued",
        compat: false,
    },
];

pub(super) fn env_name(flag: &str) -> String {
    flag.to_ascii_uppercase()
}

pub(super) fn flag(name: &str) -> &'static Flag {
    FLAGS
        .iter()
        .find(|f| f.name == name)
        .expect("flag is declared in FLAGS")
}

/// `-help`.
pub fn usage() -> String {
    let mut s = String::from(
        "usage: mattermost_metrics hec [flags]\n\n\
         Scrapes Mattermost's Prometheus endpoint(s) on a fixed schedule and sends the data\n\
         points to Splunk's HTTP Event Collector. Every flag can also be set by the environment\n\
         variable of its name in upper case (-scrape_target: SCRAPE_TARGET); a flag given here\n\
         wins. Flags take one or two dashes, and -flag value or -flag=value.\n\n",
    );
    for f in FLAGS {
        let arg = match f.kind {
            Kind::Bool => "",
            Kind::Value
                if f.name.contains("interval")
                    || f.name.contains("timeout")
                    || f.name.contains("backoff") =>
            {
                " duration"
            }
            // A number shows as one, as Go's flag package shows an int.
            Kind::Value if f.default.is_some_and(|d| d.parse::<u64>().is_ok()) => " int",
            _ => " string",
        };
        let _ = writeln!(s, "  -{}{arg}", f.name);
        let _ = write!(s, "        {}", f.help);
        if let Some(d) = f.default {
            match arg {
                "" => {}
                " string" => {
                    let _ = write!(s, " (default {d:?})");
                }
                _ => {
                    let _ = write!(s, " (default {d})");
                }
            }
        }
        s.push('\n');
    }
    s.push_str(
        "  -version\n        print the version and exit\n  -help\n        print this help and exit\n",
    );
    s
}
