//! One reader per concern of the configuration: the targets and their
//! schedule, HEC, what the data points carry, the bounds. Each takes its
//! values from [`super::read::Values`] and reports its own problems there.

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::read::{parse_go_bool, Values};
use super::SCRAPE_MEMORY_FACTOR;
use crate::hec::log::Level;
use crate::scrape::{check_url as url_host, redact_url, Secret, UrlProblem};
use crate::values::{self, fmt_duration};

/// The targets, their schedule and how they are read.
pub(super) struct ScrapeSettings {
    /// (URL, its host).
    pub(super) targets: Vec<(String, String)>,
    pub(super) interval: Option<Duration>,
    pub(super) timeout: Option<Duration>,
    pub(super) log_level: Option<Level>,
    pub(super) ca_bundle: Option<PathBuf>,
}

pub(super) fn scrape_settings(v: &mut Values) -> ScrapeSettings {
    let mut targets: Vec<(String, String)> = Vec::new();
    if let Some((urls, l)) = v.list("scrape_target") {
        if urls.is_empty() {
            v.errors.push(format!("{l}: no URL given"));
        }
        for u in urls {
            match check_url(&u) {
                Ok(_) if targets.iter().any(|(t, _)| *t == u) => {
                    v.errors.push(format!("{l}: {u} is given twice"));
                }
                Ok(host) => targets.push((u, host)),
                Err(e) => v.errors.push(format!("{l} {:?}: {e}", redact_url(&u))),
            }
        }
    }
    let interval = v.duration("scrape_interval", Duration::from_millis(100));
    let timeout = v.duration("timeout", Duration::from_millis(1));
    let log_level = v
        .one("log_level")
        .and_then(|(s, l)| match Level::parse(&s) {
            Some(level) => Some(level),
            None => {
                v.errors.push(format!(
                    "{l} {s:?}: must be error, warn, info, debug or trace"
                ));
                None
            }
        });
    let ca_bundle = v.readable_file("scrape_ca_bundle");
    ScrapeSettings {
        targets,
        interval,
        timeout,
        log_level,
        ca_bundle,
    }
}

/// Where the data points go, and how the sender talks to it.
pub(super) struct HecSettings {
    pub(super) url: Option<String>,
    pub(super) token: Option<Secret>,
    pub(super) allow_insecure: Option<bool>,
    pub(super) timeout: Option<Duration>,
    pub(super) ca_bundle: Option<PathBuf>,
    pub(super) proxy: Option<Secret>,
    pub(super) retry_backoff: Option<Duration>,
    pub(super) retry_backoff_max: Option<Duration>,
}

pub(super) fn hec_settings(v: &mut Values) -> HecSettings {
    let url = match v.text("splunk_target") {
        None => {
            v.errors.push(
                "-splunk_target (or SPLUNK_TARGET) is required: the HEC URL, e.g. \
                 https://splunk.example.com:8088/services/collector"
                    .to_string(),
            );
            None
        }
        Some((s, l)) => match check_hec_url(&s) {
            Ok(u) => Some(u),
            Err(e) => {
                v.errors.push(format!("{l} {:?}: {e}", redact_url(&s)));
                None
            }
        },
    };
    let token = match v.one("splunk_authorization") {
        None => {
            v.errors.push(
                "-splunk_authorization (or SPLUNK_AUTHORIZATION) is required: the HEC token"
                    .to_string(),
            );
            None
        }
        Some((s, l)) => {
            // "Splunk <token>" is the header's form; take the token from it.
            let s = s.strip_prefix("Splunk ").map_or(s.as_str(), str::trim);
            if s.is_empty() {
                v.errors
                    .push(format!("{l} is empty: it must be the HEC token"));
                None
            } else if !s.bytes().all(|b| (0x21..0x7f).contains(&b)) {
                v.errors.push(format!(
                    "{l}: the token holds spaces, control or non-ASCII characters, which an \
                     HTTP header cannot carry (the token is not shown)"
                ));
                None
            } else {
                Some(Secret::new(s))
            }
        }
    };
    let allow_insecure = v
        .one("allow_insecure")
        .and_then(|(s, l)| match parse_go_bool(&s) {
            Some(b) => Some(b),
            None => {
                v.errors.push(format!(
                    "{l} {s:?}: must be a boolean (true, false, 1, 0, t, f)"
                ));
                None
            }
        });
    let timeout = v.duration("splunk_timeout", Duration::from_millis(1));
    let ca_bundle = v.readable_file("splunk_ca_bundle");
    let proxy = v
        .text("splunk_proxy")
        .and_then(|(s, l)| match url::Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Some(Secret::new(s))
            }
            _ => {
                v.errors.push(format!(
                    "{l} {:?}: expected http://[user:password@]HOST:PORT (an HTTP proxy)",
                    redact_url(&s)
                ));
                None
            }
        });
    let retry_backoff = v.duration("retry_backoff", Duration::from_millis(1));
    let retry_backoff_max = v.duration("retry_backoff_max", Duration::from_millis(1));
    if let (Some(b), Some(m)) = (retry_backoff, retry_backoff_max) {
        if m < b {
            v.errors.push(format!(
                "-retry_backoff_max ({}) must not be shorter than -retry_backoff ({})",
                fmt_duration(m),
                fmt_duration(b)
            ));
        }
    }
    HecSettings {
        url,
        token,
        allow_insecure,
        timeout,
        ca_bundle,
        proxy,
        retry_backoff,
        retry_backoff_max,
    }
}

/// What the data points carry, and which are kept.
pub(super) struct DataSettings {
    pub(super) index: Option<String>,
    pub(super) sourcetype: Option<String>,
    pub(super) source: Option<String>,
    /// One per target, or none (each target's own host).
    pub(super) hosts: Vec<String>,
    pub(super) include: Option<Regex>,
    pub(super) exclude: Option<Regex>,
    pub(super) dimensions: Vec<(String, String)>,
}

pub(super) fn data_settings(v: &mut Values, targets: usize) -> DataSettings {
    let index = v.text("splunk_index").map(|(s, _)| s);
    let sourcetype = v.text("splunk_sourcetype").map(|(s, _)| s);
    let source = v.text("splunk_source").map(|(s, _)| s);
    for (name, s) in [
        ("splunk_index", &index),
        ("splunk_sourcetype", &sourcetype),
        ("splunk_source", &source),
    ] {
        if let Some(s) = s {
            if s.chars().any(char::is_control) {
                let l = v.label(name);
                v.errors
                    .push(format!("{l} {s:?}: control characters are not allowed"));
            }
        }
    }
    if let Some(i) = &index {
        if !Regex::new("^[a-z0-9][a-z0-9_-]*$").unwrap().is_match(i) {
            let l = v.label("splunk_index");
            v.errors.push(format!(
                "{l} {i:?}: an index name is lower-case letters, digits, _ and -, not starting with _ or -"
            ));
        }
    }
    let mut hosts: Vec<String> = Vec::new();
    if let Some((h, l)) = v.list("splunk_host") {
        if !h.is_empty() && h.len() != targets {
            v.errors.push(format!(
                "{l}: {} host(s) for {targets} scrape target(s): give one host per -scrape_target, in the same order",
                h.len()
            ));
        }
        hosts = h;
    }
    let include = v.pattern("include_metrics");
    let exclude = v.pattern("exclude_metrics");
    let dimensions = match v.text("extra_dimensions") {
        None => Vec::new(),
        Some((s, l)) => match values::parse_dimensions(&s) {
            Ok(d) => d,
            Err(e) => {
                v.errors.push(format!("{l}: {e}"));
                Vec::new()
            }
        },
    };
    DataSettings {
        index,
        sourcetype,
        source,
        hosts,
        include,
        exclude,
        dimensions,
    }
}

/// What bounds the process: body, samples, queue, memory, the stop.
pub(super) struct Bounds {
    pub(super) max_body_mb: Option<f64>,
    pub(super) sample_limit: Option<f64>,
    pub(super) max_queue_bytes: Option<usize>,
    pub(super) max_batch_bytes: Option<usize>,
    pub(super) queue_dir: Option<PathBuf>,
    pub(super) scrape_slots: usize,
    pub(super) shutdown_timeout: Option<Duration>,
}

pub(super) fn bounds(v: &mut Values) -> Bounds {
    let max_body_mb = v.number("max_body_mb", 0.001, 4096.0);
    let sample_limit = v.number("sample_limit", 0.0, 1e9);
    if let Some(n) = sample_limit.filter(|n| n.fract() != 0.0) {
        let l = v.label("sample_limit");
        v.errors.push(format!("{l} {n}: must be a whole number"));
    }
    let max_queue_mb = v.number("max_queue_mb", 0.001, 1_048_576.0);
    let max_batch_kb = v.number("max_batch_kb", 1.0, 1_048_576.0);
    let queue_dir = v.text("queue_dir").map(|(s, _)| PathBuf::from(s));
    let max_memory_mb = v.number("max_memory_mb", 1.0, 1_048_576.0);
    // Scrapes in flight x SCRAPE_MEMORY_FACTOR x -max_body_mb, plus the
    // queue when it is in memory, within -max_memory_mb.
    let scrape_slots = match (max_memory_mb, max_body_mb, max_queue_mb) {
        (Some(m), Some(b), Some(q)) => {
            let queue = if queue_dir.is_some() { 0.0 } else { q };
            let per_scrape = SCRAPE_MEMORY_FACTOR as f64 * b;
            let slots = ((m - queue) / per_scrape).floor();
            if slots < 1.0 {
                v.errors.push(format!(
                    "-max_memory_mb {m}: no room for one scrape ({SCRAPE_MEMORY_FACTOR} x -max_body_mb {b} = \
                     {per_scrape} MB){}: raise -max_memory_mb, or lower -max_body_mb{}",
                    if queue > 0.0 {
                        format!(" beside the queue in memory (-max_queue_mb {q})")
                    } else {
                        String::new()
                    },
                    if queue > 0.0 {
                        " or -max_queue_mb, or set -queue_dir"
                    } else {
                        ""
                    }
                ));
            }
            slots.max(1.0) as usize
        }
        _ => 1,
    };
    let shutdown_timeout = v.duration("shutdown_timeout", Duration::ZERO);
    Bounds {
        max_body_mb,
        sample_limit,
        max_queue_bytes: max_queue_mb.map(|m| (m * 1024.0 * 1024.0) as usize),
        max_batch_bytes: max_batch_kb.map(|k| (k * 1024.0) as usize),
        queue_dir,
        scrape_slots,
        shutdown_timeout,
    }
}

/// The host of a scrape (or HEC) URL, or why the URL cannot be used.
pub(super) fn check_url(raw: &str) -> Result<String, String> {
    url_host(raw).map_err(|p| match p {
        // The old tool had no credentials for its targets either.
        UrlProblem::Credentials => format!(
            "{p}: this sender does not authenticate to its targets; for HEC, the token goes in \
             -splunk_authorization"
        ),
        p => p.to_string(),
    })
}

/// The URL to POST to: `/services/collector` added to a URL without a path,
/// as the old help text called this flag a host name.
pub(super) fn check_hec_url(raw: &str) -> Result<String, String> {
    check_url(raw)?;
    let mut u = url::Url::parse(raw).map_err(|e| e.to_string())?;
    let path = u.path().trim_end_matches('/').to_string();
    if path.is_empty() {
        u.set_path("/services/collector");
        return Ok(u.to_string());
    }
    if path.ends_with("/raw") || path.ends_with("/health") || path.ends_with("/ack") {
        return Err(
            "this sender posts JSON events: use the /services/collector (or \
             /services/collector/event) endpoint"
                .to_string(),
        );
    }
    Ok(raw.to_string())
}

/// The host recorded for a target: the URL's, or this machine's name when
/// the URL is a loopback address (the sender runs beside Mattermost).
pub(super) fn default_host(url_host: &str, machine_host: &str) -> String {
    let loopback = url_host.eq_ignore_ascii_case("localhost")
        || url_host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback && !machine_host.is_empty() {
        machine_host.to_string()
    } else {
        url_host.to_string()
    }
}
