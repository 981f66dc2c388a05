//! The command line of `mattermost_metrics hec`, compatible with
//! prometheus2splunk's.
//!
//! The old tool was a Go program using Go's `flag` package, with each
//! flag's default taken from the environment variable of the same name in
//! upper case. Its users switch by changing the binary's name only, so this
//! reads the same things the same way:
//!
//! - `-name value`, `-name=value`, and the same with two dashes; a boolean
//!   flag alone means true, `-allow_insecure=false` turns it off (a
//!   boolean never takes the next argument, as in Go).
//! - the environment variable `NAME` is the default of `-name`; a flag on
//!   the command line wins. An empty variable counts as unset.
//! - durations in Go's syntax (`15s`, `1m30s`, `500ms`, `1.5h`), booleans as
//!   Go's `strconv.ParseBool` reads them (`1`, `t`, `true`, `TRUE`, ...),
//!   log levels as logrus reads them.
//! - the same defaults: `http://localhost:8067/metrics`, `15s`, `3s`,
//!   `info`, verification on.
//!
//! What the old tool lacked is added under new names in the same style (and
//! so with environment variables too). Unlike the old tool, every value is
//! checked before anything starts: all the problems are reported at once,
//! each naming the flag or variable it came from, and the process exits
//! with status 2.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::log::Level;
use crate::pipeline::DEFAULT_SAMPLE_LIMIT;
use crate::scrape::{check_url as url_host, redact_url, Secret, UrlProblem, DEFAULT_MAX_BODY_MB};
pub use crate::values::fmt_duration;
use crate::values::{self, FileProblem};

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

/// The default of `-max_memory_mb`: under the systemd unit's
/// `MemoryMax=512M`, with room for the process itself (its code, TLS roots
/// and threads: about 10 MB) and the allocator's slack.
pub const DEFAULT_MAX_MEMORY_MB: &str = "448";

/// What one scrape in flight may hold, in multiples of `-max_body_mb`: the
/// body's buffer, which doubles as it grows (up to twice the cap while the
/// body is read), then the converted data points and their batches, about
/// the body's size again.
pub const SCRAPE_MEMORY_FACTOR: u64 = 3;

/// One target to scrape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    /// The `host` of its data points.
    pub host: String,
}

/// The validated settings.
#[derive(Clone)]
pub struct Config {
    pub targets: Vec<Target>,
    pub interval: Duration,
    /// Where to POST, path included.
    pub splunk_url: String,
    pub token: Secret,
    pub allow_insecure: bool,
    /// Of each scrape.
    pub timeout: Duration,
    /// Of each request to HEC.
    pub splunk_timeout: Duration,
    pub log_level: Level,
    pub index: Option<String>,
    pub sourcetype: Option<String>,
    /// `None`: each target's URL.
    pub source: Option<String>,
    pub include: Option<Regex>,
    pub exclude: Option<Regex>,
    pub dimensions: Vec<(String, String)>,
    pub scrape_ca_bundle: Option<PathBuf>,
    pub splunk_ca_bundle: Option<PathBuf>,
    /// The proxy to HEC, maybe with credentials (so a [`Secret`]).
    pub splunk_proxy: Option<Secret>,
    pub max_body_bytes: u64,
    /// 0: no limit.
    pub sample_limit: u64,
    pub max_queue_bytes: usize,
    /// How many scrapes may be in flight at once, from `-max_memory_mb`.
    pub scrape_slots: usize,
    /// Where the queue waits on disk (`None`: in memory).
    pub queue_dir: Option<PathBuf>,
    pub max_batch_bytes: usize,
    pub retry_backoff: Duration,
    pub retry_backoff_max: Duration,
    pub shutdown_timeout: Duration,
    /// Problems worth a warning that must not stop a configuration the old
    /// tool accepted.
    pub warnings: Vec<String>,
}

/// One line with every setting, for the debug log: the token is a
/// [`Secret`] and prints `********`.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_string());
        let targets: Vec<String> = self
            .targets
            .iter()
            .map(|t| format!("{} (host {})", t.url, t.host))
            .collect();
        write!(
            f,
            "scrape_target=[{}] scrape_interval={} splunk_target={} splunk_authorization={} \
             allow_insecure={} timeout={} log_level={} splunk_index={} splunk_sourcetype={} \
             splunk_source={} include_metrics={} exclude_metrics={} extra_dimensions={} \
             scrape_ca_bundle={} splunk_ca_bundle={} splunk_timeout={} max_body_bytes={} \
             sample_limit={} max_queue_bytes={} scrape_slots={} queue_dir={} max_batch_bytes={} retry_backoff={} \
             retry_backoff_max={} shutdown_timeout={}",
            targets.join(", "),
            fmt_duration(self.interval),
            self.splunk_url,
            self.token,
            self.allow_insecure,
            fmt_duration(self.timeout),
            self.log_level,
            opt(&self.index),
            opt(&self.sourcetype),
            opt(&self.source),
            self.include.as_ref().map_or("-", |r| r.as_str()),
            self.exclude.as_ref().map_or("-", |r| r.as_str()),
            if self.dimensions.is_empty() {
                "-".to_string()
            } else {
                self.dimensions
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            },
            self.scrape_ca_bundle
                .as_ref()
                .map_or("-".to_string(), |p| p.display().to_string()),
            self.splunk_ca_bundle
                .as_ref()
                .map_or("-".to_string(), |p| p.display().to_string()),
            fmt_duration(self.splunk_timeout),
            self.max_body_bytes,
            self.sample_limit,
            self.max_queue_bytes,
            self.scrape_slots,
            self.queue_dir
                .as_ref()
                .map_or("-".to_string(), |p| p.display().to_string()),
            self.max_batch_bytes,
            fmt_duration(self.retry_backoff),
            fmt_duration(self.retry_backoff_max),
            fmt_duration(self.shutdown_timeout),
        )
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Config>),
    /// `-h`, `-help`, `--help`.
    Help,
    /// `-version`, `--version` (as prometheus2splunk took it).
    Version,
}

/// Every problem found, one sentence each, naming the flag or variable.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

/// Where a value came from, to name it in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Flag,
    Env,
    Default,
}

#[derive(Clone, Debug)]
struct Raw {
    values: Vec<String>,
    origin: Origin,
}

fn env_name(flag: &str) -> String {
    flag.to_ascii_uppercase()
}

fn flag(name: &str) -> &'static Flag {
    FLAGS
        .iter()
        .find(|f| f.name == name)
        .expect("flag is declared in FLAGS")
}

/// `-name` or `NAME`, as the user gave it.
fn label(name: &str, origin: Origin) -> String {
    match origin {
        Origin::Flag => format!("-{name}"),
        Origin::Env => format!("{} (environment)", env_name(name)),
        Origin::Default => format!("-{name} (default)"),
    }
}

/// Reads `args` (after `hec`) with `env` for the defaults. `machine_host`
/// is this machine's name, the host of data points scraped from localhost
/// (as prometheus2splunk sent `os.Hostname()`).
///
/// Every problem is collected (one line each), so that a wrong command
/// line is corrected in one go: the flags are read ([`read_flags`]), then
/// each concern takes its values ([`Values`]): the targets and their
/// schedule, HEC, what the data points carry, the bounds.
pub fn parse(
    args: &[OsString],
    env: &dyn Fn(&str) -> Option<String>,
    machine_host: &str,
) -> Result<Parsed, ConfigError> {
    let mut errors = Vec::new();
    let given = match read_flags(args, &mut errors) {
        Flags::Given(g) => g,
        Flags::Help => return Ok(Parsed::Help),
        Flags::Version => return Ok(Parsed::Version),
    };
    let mut v = Values { given, env, errors };
    let scrape = scrape_settings(&mut v);
    let hec = hec_settings(&mut v);
    let data = data_settings(&mut v, scrape.targets.len());
    let bounds = bounds(&mut v);
    let mut warnings = Vec::new();
    if let (Some(t), Some(i)) = (scrape.timeout, scrape.interval) {
        if t >= i {
            warnings.push(format!(
                "-timeout ({}) is not shorter than -scrape_interval ({}): a slow scrape makes the next one wait and skips its turn",
                fmt_duration(t),
                fmt_duration(i)
            ));
        }
    }
    if !v.errors.is_empty() {
        return Err(ConfigError(v.errors));
    }
    let targets = scrape
        .targets
        .into_iter()
        .enumerate()
        .map(|(i, (url, url_host))| Target {
            host: data
                .hosts
                .get(i)
                .cloned()
                .unwrap_or_else(|| default_host(&url_host, machine_host)),
            url,
        })
        .collect();
    Ok(Parsed::Run(Box::new(Config {
        targets,
        interval: scrape.interval.expect("checked"),
        splunk_url: hec.url.expect("checked"),
        token: hec.token.expect("checked"),
        allow_insecure: hec.allow_insecure.expect("has a default"),
        timeout: scrape.timeout.expect("checked"),
        splunk_timeout: hec.timeout.expect("checked"),
        log_level: scrape.log_level.expect("checked"),
        index: data.index,
        sourcetype: data.sourcetype,
        source: data.source,
        include: data.include,
        exclude: data.exclude,
        dimensions: data.dimensions,
        scrape_ca_bundle: scrape.ca_bundle,
        splunk_ca_bundle: hec.ca_bundle,
        splunk_proxy: hec.proxy,
        max_body_bytes: (bounds.max_body_mb.expect("checked") * 1024.0 * 1024.0) as u64,
        sample_limit: bounds.sample_limit.expect("checked") as u64,
        max_queue_bytes: bounds.max_queue_bytes.expect("checked"),
        scrape_slots: bounds.scrape_slots,
        queue_dir: bounds.queue_dir,
        max_batch_bytes: bounds.max_batch_bytes.expect("checked"),
        retry_backoff: hec.retry_backoff.expect("checked"),
        retry_backoff_max: hec.retry_backoff_max.expect("checked"),
        shutdown_timeout: bounds.shutdown_timeout.expect("checked"),
        warnings,
    })))
}

/// What the command line said.
enum Flags {
    /// The values of each flag given, in order (a list flag keeps them all,
    /// another its last).
    Given(HashMap<&'static str, Vec<String>>),
    Help,
    Version,
}

/// Go's `flag` syntax: `-name value`, `-name=value`, `--name`, a boolean
/// flag alone; `--` ends the flags. What is not a declared flag is an error.
fn read_flags(args: &[OsString], errors: &mut Vec<String>) -> Flags {
    let mut given: HashMap<&'static str, Vec<String>> = HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else {
            errors.push(format!(
                "argument {:?} is not valid UTF-8",
                args[i].to_string_lossy()
            ));
            i += 1;
            continue;
        };
        i += 1;
        if arg == "--" {
            if i < args.len() {
                errors.push(format!(
                    "unexpected argument {:?}: this command takes flags only (see -help)",
                    args[i].to_string_lossy()
                ));
            }
            break;
        }
        let Some(body) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|b| !b.is_empty() && !b.starts_with(['-', '=']))
        else {
            errors.push(if arg.starts_with('-') {
                format!("bad flag syntax: {arg}")
            } else {
                format!("unexpected argument {arg:?}: this command takes flags only (see -help)")
            });
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if name == "h" || name == "help" {
            return Flags::Help;
        }
        if name == "version" {
            return Flags::Version;
        }
        let Some(spec) = FLAGS.iter().find(|f| f.name == name) else {
            errors.push(format!(
                "flag provided but not defined: -{name} (see -help)"
            ));
            // Its value, if it has one, is not echoed as an argument of
            // its own: it may be a token given to a misspelt flag.
            if inline.is_none()
                && args
                    .get(i)
                    .is_some_and(|a| !a.to_string_lossy().starts_with('-'))
            {
                i += 1;
            }
            continue;
        };
        let value = match (spec.kind, inline) {
            (_, Some(v)) => v,
            (Kind::Bool, None) => "true".to_string(),
            (_, None) => match args.get(i) {
                Some(v) => {
                    i += 1;
                    v.to_string_lossy().into_owned()
                }
                None => {
                    errors.push(format!("flag needs an argument: -{name}"));
                    continue;
                }
            },
        };
        let slot = given.entry(spec.name).or_default();
        if spec.kind != Kind::List {
            slot.clear();
        }
        slot.push(value);
    }
    Flags::Given(given)
}

/// Each flag's value from the command line, else the environment, else
/// its default; and the problems found so far.
struct Values<'e> {
    given: HashMap<&'static str, Vec<String>>,
    env: &'e dyn Fn(&str) -> Option<String>,
    errors: Vec<String>,
}

impl Values<'_> {
    fn raw(&self, name: &'static str) -> Option<Raw> {
        let spec = flag(name);
        if let Some(v) = self.given.get(name) {
            return Some(Raw {
                values: v.clone(),
                origin: Origin::Flag,
            });
        }
        if let Some(v) = (self.env)(&env_name(name)).filter(|v| !v.trim().is_empty()) {
            return Some(Raw {
                values: vec![v],
                origin: Origin::Env,
            });
        }
        spec.default.map(|d| Raw {
            values: vec![d.to_string()],
            origin: Origin::Default,
        })
    }

    /// How the user named `name`: `-name`, `NAME (environment)`, ...
    fn label(&self, name: &'static str) -> String {
        label(name, self.raw(name).map_or(Origin::Flag, |r| r.origin))
    }

    /// The single value of a flag, trimmed, with its label.
    fn one(&self, name: &'static str) -> Option<(String, String)> {
        self.raw(name).map(|r| {
            (
                r.values
                    .last()
                    .cloned()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                label(name, r.origin),
            )
        })
    }

    /// A non-empty single value.
    fn text(&self, name: &'static str) -> Option<(String, String)> {
        self.one(name).filter(|(v, _)| !v.is_empty())
    }

    /// A list flag's items (split at commas and spaces, every use of the
    /// flag together).
    fn list(&self, name: &'static str) -> Option<(Vec<String>, String)> {
        self.raw(name).map(|r| {
            let items = r
                .values
                .iter()
                .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (items, label(name, r.origin))
        })
    }

    fn duration(&mut self, name: &'static str, min: Duration) -> Option<Duration> {
        let (v, l) = self.one(name)?;
        match parse_go_duration(&v) {
            Ok(d) if d >= min => Some(d),
            Ok(_) => {
                self.errors
                    .push(format!("{l} {v:?}: must be at least {}", fmt_duration(min)));
                None
            }
            Err(e) => {
                self.errors.push(format!("{l} {v:?}: {e}"));
                None
            }
        }
    }

    fn number(&mut self, name: &'static str, min: f64, max: f64) -> Option<f64> {
        let (v, l) = self.one(name)?;
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() && (min..=max).contains(&n) => Some(n),
            _ => {
                self.errors
                    .push(format!("{l} {v:?}: must be a number from {min} to {max}"));
                None
            }
        }
    }

    fn pattern(&mut self, name: &'static str) -> Option<Regex> {
        let (v, l) = self.text(name)?;
        // Matched in full, as the modular input's Include / Exclude; the
        // preset `dashboards` as well.
        match values::pattern(&v) {
            Ok(r) => Some(r),
            Err(detail) => {
                self.errors.push(format!(
                    "{l} {v:?}: not a valid regular expression: {detail}"
                ));
                None
            }
        }
    }

    fn readable_file(&mut self, name: &'static str) -> Option<PathBuf> {
        let (v, l) = self.text(name)?;
        match values::readable_file(&v) {
            Ok(path) => Some(path),
            Err(FileProblem::NotAFile) => {
                self.errors.push(format!("{l} {v}: not a file"));
                None
            }
            Err(FileProblem::Unreadable(e)) => {
                self.errors.push(format!("{l} {v}: cannot be read: {e}"));
                None
            }
        }
    }
}

/// The targets, their schedule and how they are read.
struct ScrapeSettings {
    /// (URL, its host).
    targets: Vec<(String, String)>,
    interval: Option<Duration>,
    timeout: Option<Duration>,
    log_level: Option<Level>,
    ca_bundle: Option<PathBuf>,
}

fn scrape_settings(v: &mut Values) -> ScrapeSettings {
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
struct HecSettings {
    url: Option<String>,
    token: Option<Secret>,
    allow_insecure: Option<bool>,
    timeout: Option<Duration>,
    ca_bundle: Option<PathBuf>,
    proxy: Option<Secret>,
    retry_backoff: Option<Duration>,
    retry_backoff_max: Option<Duration>,
}

fn hec_settings(v: &mut Values) -> HecSettings {
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
struct DataSettings {
    index: Option<String>,
    sourcetype: Option<String>,
    source: Option<String>,
    /// One per target, or none (each target's own host).
    hosts: Vec<String>,
    include: Option<Regex>,
    exclude: Option<Regex>,
    dimensions: Vec<(String, String)>,
}

fn data_settings(v: &mut Values, targets: usize) -> DataSettings {
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
struct Bounds {
    max_body_mb: Option<f64>,
    sample_limit: Option<f64>,
    max_queue_bytes: Option<usize>,
    max_batch_bytes: Option<usize>,
    queue_dir: Option<PathBuf>,
    scrape_slots: usize,
    shutdown_timeout: Option<Duration>,
}

fn bounds(v: &mut Values) -> Bounds {
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
fn check_url(raw: &str) -> Result<String, String> {
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
fn check_hec_url(raw: &str) -> Result<String, String> {
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
fn default_host(url_host: &str, machine_host: &str) -> String {
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

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration`, for durations that are not negative: a
/// sequence of decimal numbers, each with a unit (`ns`, `us`, `µs`, `ms`,
/// `s`, `m`, `h`), e.g. `1h15m30.5s`; `0` alone needs no unit.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    const HINT: &str = "not a duration in Go syntax (a number and a unit: 15s, 1m30s, 500ms)";
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if let Some(negative) = rest.strip_prefix('-') {
        return if negative.trim_matches(|c| c == '0' || c == '.').is_empty() {
            Ok(Duration::ZERO)
        } else {
            Err("must not be negative".to_string())
        };
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(HINT.to_string());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(HINT.to_string());
        }
        let value: f64 = num.parse().map_err(|_| HINT.to_string())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "{HINT}: the number {num} has no unit (did you mean {num}s?)"
                ))
            }
            other => return Err(format!("{HINT}: unknown unit {other:?}")),
        };
        rest = &rest[unit_len..];
        total += value * nanos_per;
    }
    if total > 1e18 {
        return Err("is too long".to_string());
    }
    Ok(Duration::from_nanos(total.round() as u64))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn ok(a: &[&str], env: &dyn Fn(&str) -> Option<String>) -> Config {
        match parse(&args(a), env, "box1") {
            Ok(Parsed::Run(c)) => *c,
            other => panic!("{other:?}"),
        }
    }

    fn err(a: &[&str], env: &dyn Fn(&str) -> Option<String>) -> String {
        match parse(&args(a), env, "box1") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted {a:?}"),
        }
    }

    const REQ: &[&str] = &[
        "-splunk_target",
        "https://s:8088/services/collector",
        "-splunk_authorization",
        "abc-123",
    ];

    #[test]
    fn go_durations() {
        let ms = |s: &str| parse_go_duration(s).map(|d| d.as_millis());
        assert_eq!(ms("15s"), Ok(15_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("1.5h"), Ok(5_400_000));
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(parse_go_duration("2us"), Ok(Duration::from_micros(2)));
        assert_eq!(parse_go_duration("2µs"), Ok(Duration::from_micros(2)));
        assert_eq!(ms("+3s"), Ok(3000));
        assert!(ms("15").unwrap_err().contains("did you mean 15s"));
        assert!(ms("15 s").is_err());
        assert!(ms("s").is_err());
        assert!(ms("1.2.3s").is_err());
        assert!(ms("1d").unwrap_err().contains("unknown unit"));
        assert!(ms("-1s").unwrap_err().contains("negative"));
    }

    #[test]
    fn defaults_are_the_old_tools() {
        let c = ok(REQ, &no_env);
        assert_eq!(
            c.targets,
            [Target {
                url: "http://localhost:8067/metrics".into(),
                host: "box1".into()
            }]
        );
        assert_eq!(c.interval, Duration::from_secs(15));
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert!(!c.allow_insecure);
        assert_eq!(c.log_level, Level::Info);
        assert_eq!(c.index, None);
        assert_eq!(c.token.expose(), "abc-123");
        // Ours: HEC waited for long enough not to duplicate a slow but
        // alive indexer tier; the input's limits.
        assert_eq!(c.splunk_timeout, Duration::from_secs(30));
        assert_eq!(c.max_body_bytes, crate::scrape::DEFAULT_MAX_BODY_BYTES);
        assert_eq!(c.sample_limit, 200_000);
    }

    #[test]
    fn go_flag_syntax() {
        let c = ok(
            &[
                "--scrape_target=http://mm1:8067/metrics",
                "-scrape_interval",
                "200ms",
                "--splunk_target",
                "https://s:8088",
                "-splunk_authorization=tok",
                "-allow_insecure",
                "--timeout=1s",
                "-log_level=DEBUG",
            ],
            &no_env,
        );
        assert_eq!(c.targets[0].host, "mm1");
        assert_eq!(c.interval, Duration::from_millis(200));
        assert_eq!(c.splunk_url, "https://s:8088/services/collector");
        assert!(c.allow_insecure);
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!(c.log_level, Level::Debug);
        let mut a = REQ.to_vec();
        a.push("-allow_insecure=false");
        assert!(!ok(&a, &no_env).allow_insecure);
        // A boolean does not take the next argument (as in Go).
        let mut a = REQ.to_vec();
        a.extend(["-allow_insecure", "false"]);
        assert!(err(&a, &no_env).contains("unexpected argument \"false\""));
        assert!(matches!(
            parse(&args(&["--help"]), &no_env, ""),
            Ok(Parsed::Help)
        ));
    }

    #[test]
    fn environment_is_the_default_and_a_flag_wins() {
        let env = |k: &str| -> Option<String> {
            match k {
                "SCRAPE_TARGET" => Some("http://a:1/metrics, http://b:2/metrics".into()),
                "SCRAPE_INTERVAL" => Some("1m".into()),
                "SPLUNK_TARGET" => Some("http://env:8088/services/collector".into()),
                "SPLUNK_AUTHORIZATION" => Some("env-token".into()),
                "ALLOW_INSECURE" => Some("true".into()),
                "LOG_LEVEL" => Some("error".into()),
                "TIMEOUT" => Some("".into()),
                _ => None,
            }
        };
        let c = ok(&[], &env);
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.targets[1].url, "http://b:2/metrics");
        assert_eq!(c.interval, Duration::from_secs(60));
        assert_eq!(c.token.expose(), "env-token");
        assert!(c.allow_insecure);
        assert_eq!(c.log_level, Level::Error);
        assert_eq!(c.timeout, Duration::from_secs(3), "empty is unset");
        let c = ok(
            &[
                "-scrape_target",
                "http://flag:1/metrics",
                "-log_level",
                "trace",
                "-splunk_authorization",
                "flag-token",
                "-allow_insecure=0",
            ],
            &env,
        );
        assert_eq!(c.targets.len(), 1);
        assert_eq!(c.targets[0].url, "http://flag:1/metrics");
        assert_eq!(c.log_level, Level::Trace);
        assert_eq!(c.token.expose(), "flag-token");
        assert!(!c.allow_insecure);
    }

    #[test]
    fn every_problem_named_at_once() {
        let env =
            |k: &str| -> Option<String> { (k == "SCRAPE_INTERVAL").then(|| "15".to_string()) };
        let e = err(
            &[
                "-splunk_authorization",
                "secret-token-value",
                "-timeout=-2s",
                "-log_level=loud",
                "-include_metrics=mattermost_(",
                "-extra_dimensions=host=x",
                "-splunk_ca_bundle=/nonexistent/ca.pem",
                "-scrape_target=ftp://x/metrics",
                "-bogus",
            ],
            &env,
        );
        for want in [
            "SCRAPE_INTERVAL (environment) \"15\": not a duration",
            "-splunk_target (or SPLUNK_TARGET) is required",
            "-timeout \"-2s\": must not be negative",
            "-log_level \"loud\"",
            "-include_metrics \"mattermost_(\": not a valid regular expression",
            "-extra_dimensions: \"host\" is not a dimension name",
            "-splunk_ca_bundle /nonexistent/ca.pem: cannot be read",
            "-scrape_target \"ftp://x/metrics\": must start with http://",
            "flag provided but not defined: -bogus",
        ] {
            assert!(e.contains(want), "missing {want:?} in {e}");
        }
        assert!(!e.contains("secret-token-value"));
    }

    #[test]
    fn hosts_follow_targets() {
        let mut a = REQ.to_vec();
        a.extend([
            "-scrape_target=http://10.0.0.1:8067/metrics,http://127.0.0.1:8067/metrics",
            "-scrape_target=http://mm3:8067/metrics",
        ]);
        let c = ok(&a, &no_env);
        let hosts: Vec<&str> = c.targets.iter().map(|t| t.host.as_str()).collect();
        assert_eq!(hosts, ["10.0.0.1", "box1", "mm3"]);
        a.push("-splunk_host=a,b,c");
        let c = ok(&a, &no_env);
        let hosts: Vec<&str> = c.targets.iter().map(|t| t.host.as_str()).collect();
        assert_eq!(hosts, ["a", "b", "c"]);
        a.push("-splunk_host=d");
        assert!(err(&a, &no_env).contains("4 host(s) for 3 scrape target(s)"));
    }

    #[test]
    fn hec_url_forms() {
        assert_eq!(
            check_hec_url("https://s:8088").unwrap(),
            "https://s:8088/services/collector"
        );
        assert_eq!(
            check_hec_url("https://s:8088/services/collector/event").unwrap(),
            "https://s:8088/services/collector/event"
        );
        assert!(check_hec_url("https://s:8088/services/collector/raw").is_err());
        assert!(check_hec_url("https://x:tok@s:8088/").is_err());
    }
}
