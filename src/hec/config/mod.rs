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
//!
//! The rooms: `flags` declares every flag once (the usage text and the
//! docs' table come from it), `read` reads Go's flag syntax and the
//! environment, `concerns` turns the values into settings one concern at a
//! time; this module assembles the [`Config`].

mod concerns;
mod flags;
mod read;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::log::Level;
use crate::scrape::Secret;
pub use crate::values::fmt_duration;

use concerns::{bounds, data_settings, default_host, hec_settings, scrape_settings};
pub use flags::{usage, Flag, Kind, FLAGS};
pub use read::{parse_go_bool, parse_go_duration};
use read::{read_flags, Flags, Values};

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
