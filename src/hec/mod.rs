//! Standalone mode: `mattermost_metrics hec`, a long-lived process that
//! scrapes Mattermost's Prometheus endpoint(s) on a fixed schedule and
//! posts the data points to Splunk's HTTP Event Collector. For sites with
//! no forwarder near Mattermost; it replaces the Go tool prometheus2splunk,
//! whose flags it takes ([`config`]).
//!
//! This module is a front end, as [`crate::modinput`] is: it joins
//! [`crate::scrape`] and [`crate::pipeline`] (scrape, parse, convert) to
//! HEC, and neither side knows of the other. Its parts, one job each:
//!
//! - [`config`]: flags and environment variables into a checked [`config::Config`].
//! - [`schedule`]: the fixed grid of scrape times.
//! - [`target`]: one target's loop (scrape, convert, group, queue), one
//!   thread per target.
//! - [`batch`]: data points into HEC metric JSON, grouped into
//!   multiple-measurement objects, cut into gzip batches under a size cap.
//! - [`queue`]: the batches waiting for HEC, within a memory bound.
//! - [`spool`]: with `-queue_dir`, those batches on disk, surviving a kill.
//! - [`sender`]: one thread posting batches, with retries and backoff.
//! - [`health`]: the health data points and the counters behind them.
//! - [`stop`]: SIGINT / SIGTERM (on Windows, Ctrl-C, Ctrl-Break, console
//!   close) and the shutdown that flushes the queue.
//! - [`log`]: one line per message on stderr, level first, no secrets.
//!
//! Exit status: 0 after a stop by signal; 2 for invalid settings (nothing
//! started); 3 when HEC refuses the token (there is no point going on).

pub mod batch;
pub mod config;
pub mod health;
pub mod log;
pub mod queue;
pub mod schedule;
pub mod sender;
pub mod spool;
pub mod stop;
pub mod target;

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use self::config::{fmt_duration, Config, Parsed};
use self::health::Counters;
use self::queue::Queue;
use self::stop::{State, Stop};
use crate::convert::ConvertOptions;
use crate::scrape::{Auth, ScrapeConfig, Scraper, SettingNames};

/// How scrape errors name this sender's flags.
const SETTING_NAMES: SettingNames = SettingNames {
    max_body: "-max_body_mb",
    ca_bundle: "-scrape_ca_bundle",
    no_verify: "-allow_insecure",
    client_cert: None,
    auth: None,
};

/// Exit status for invalid settings.
pub const EXIT_CONFIG: u8 = 2;
/// Exit status when HEC refuses the token.
pub const EXIT_TOKEN: u8 = 3;

/// `mattermost_metrics hec [flags]`.
pub fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var(k).ok();
    let cfg = match config::parse(&args, &env, &machine_hostname()) {
        Ok(Parsed::Help) => {
            crate::cli::print_stdout(&config::usage())?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Parsed::Version) => {
            crate::cli::print_stdout(&crate::cli::version_line())?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Parsed::Run(cfg)) => *cfg,
        Err(e) => {
            // The messages never quote the token; blank out anything that
            // looks like it all the same (a token given to a misspelt flag).
            let secrets = token_candidates(&args, &env);
            for m in &e.0 {
                let mut m = m.clone();
                for s in &secrets {
                    m = m.replace(s.as_str(), "********");
                }
                log::write(log::Level::Error, format_args!("{m}"));
            }
            log::error!("invalid settings, nothing started: see `mattermost_metrics hec -help`");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    // The proxy's password, if any, is blanked out of every line as the token is.
    let proxy_password = cfg
        .splunk_proxy
        .as_ref()
        .and_then(|p| url::Url::parse(p.expose()).ok())
        .and_then(|u| {
            u.password()
                .map(|p| crate::scrape::Secret::new(p.to_string()))
        });
    log::init(
        cfg.log_level,
        std::iter::once(cfg.token.clone())
            .chain(proxy_password)
            .collect(),
    );
    for w in &cfg.warnings {
        log::warning!("{w}");
    }
    if cfg.allow_insecure {
        log::warning!(
            "-allow_insecure: no TLS certificate is checked, of HEC ({}) nor of https scrape \
             targets, so anyone on the network path can pose as HEC and take the token (sent \
             with every request) and the data, or pose as a target and feed false metrics; for \
             a private CA set -splunk_ca_bundle / -scrape_ca_bundle instead",
            cfg.splunk_url
        );
    }
    log::debug!("loaded config: {cfg:?}");

    let targets = match build_targets(&cfg) {
        Ok(t) => t,
        Err(e) => {
            log::error!("{e:#}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let hec = match sender::Hec::new(&cfg) {
        Ok(h) => h,
        Err(e) => {
            log::error!("{e:#}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };

    let stop = Stop::new();
    stop::catch_signals(stop.clone())?;
    let counters: Arc<Vec<Counters>> =
        Arc::new(cfg.targets.iter().map(|_| Counters::default()).collect());
    let queue = match &cfg.queue_dir {
        None => Queue::new(cfg.max_queue_bytes),
        Some(dir) => match Queue::with_dir(cfg.max_queue_bytes, dir, cfg.targets.len()) {
            Ok((q, replay)) => {
                report_replay(&replay, dir, &counters);
                q
            }
            Err(e) => {
                log::error!("{e:#}");
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
        },
    };
    let queue = Arc::new(queue);
    log::info!(
        "scraping {} every {} and sending to {}",
        cfg.targets
            .iter()
            .map(|t| t.url.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        fmt_duration(cfg.interval),
        cfg.splunk_url
    );

    let sender = {
        let (queue, counters, stop) = (queue.clone(), counters.clone(), stop.clone());
        let backoff = sender::Backoff {
            initial: cfg.retry_backoff,
            max: cfg.retry_backoff_max,
        };
        let shutdown = cfg.shutdown_timeout;
        let max_request = cfg.max_batch_bytes;
        std::thread::Builder::new()
            .name("hec-sender".into())
            .spawn(move || {
                sender::run(
                    &hec,
                    &queue,
                    &counters,
                    &stop,
                    backoff,
                    shutdown,
                    max_request,
                )
            })?
    };
    // One grid for every target: they scrape together, as many at once as
    // -max_memory_mb allows.
    let start = Instant::now();
    let slots = Arc::new(target::Slots::new(cfg.scrape_slots));
    if cfg.scrape_slots < cfg.targets.len() {
        log::debug!(
            "at most {} of the {} targets are scraped at once (-max_memory_mb)",
            cfg.scrape_slots,
            cfg.targets.len()
        );
    }
    let mut scrapers = Vec::new();
    for t in targets {
        let (queue, counters, stop, slots) =
            (queue.clone(), counters.clone(), stop.clone(), slots.clone());
        let schedule = schedule::Schedule::new(start, cfg.interval);
        scrapers.push(
            std::thread::Builder::new()
                .name(format!("scrape-{}", t.index))
                .spawn(move || target::run(&t, schedule, &queue, &counters, &stop, &slots))?,
        );
    }

    // Until a signal, or HEC refusing the token.
    stop.wait_for(State::Stopping);
    for s in scrapers {
        if s.join().is_err() {
            log::error!("a scrape thread failed; see the message above");
        }
    }
    let queued = queue.len();
    if stop.state() == State::Stopping && queued > 0 {
        log::info!(
            "sending the {queued} queued batch(es) ({} bytes) before stopping (at most -shutdown_timeout {})",
            queue.bytes(),
            fmt_duration(cfg.shutdown_timeout)
        );
    }
    queue.close();
    let outcome = sender.join().unwrap_or_else(|_| {
        log::error!("the sender thread failed; see the message above");
        sender::Outcome::default()
    });
    // Anything left (after an abort) was never sent: lost, or on disk
    // kept for the next start.
    let durable = queue.durable();
    for b in queue.drain() {
        let c = &counters[b.target];
        Counters::add(if durable { &c.kept } else { &c.lost }, b.points.into());
    }
    for b in queue.take_damaged() {
        Counters::add(&counters[b.target].lost, b.points.into());
    }
    if let Some(dir) = queue.dir() {
        let kept: u64 = counters.iter().map(|c| Counters::get(&c.kept)).sum();
        if kept > 0 {
            log::info!(
                "{kept} data points not yet sent are kept in -queue_dir {}: they are sent at the next start",
                dir.display()
            );
        }
    }

    let total = |f: fn(&Counters) -> &std::sync::atomic::AtomicU64| -> u64 {
        counters.iter().map(|c| Counters::get(f(c))).sum()
    };
    let lost = total(|c| &c.lost);
    let unconfirmed = total(|c| &c.unconfirmed);
    let level = if lost + unconfirmed > 0 {
        log::Level::Error
    } else {
        log::Level::Info
    };
    log::write(
        level,
        format_args!(
            "stopped: produced={} replayed={} sent={} dropped={} rejected={} lost={} unconfirmed={} kept={} \
             maybe_duplicated={} retries={} missed_scrapes={} (data points; produced + replayed = sent + \
             dropped + rejected + lost + unconfirmed + kept; replayed: found in -queue_dir at the start, \
             kept: left in -queue_dir for the next start, dropped: queue full, rejected: refused by HEC, \
             lost: never delivered, unconfirmed: given up at the stop after a request HEC did not answer, \
             so perhaps indexed, maybe_duplicated: extra copies HEC may hold, one per data point \
             per request of it that went unanswered before it was accepted or given up on)",
            total(|c| &c.produced),
            total(|c| &c.replayed),
            total(|c| &c.sent),
            total(|c| &c.dropped),
            total(|c| &c.rejected),
            lost,
            unconfirmed,
            total(|c| &c.kept),
            total(|c| &c.maybe_duplicated),
            total(|c| &c.retries),
            total(|c| &c.missed),
        ),
    );
    stop.finish();
    Ok(match outcome.fatal {
        Some(_) => ExitCode::from(EXIT_TOKEN),
        None => ExitCode::SUCCESS,
    })
}

/// Says (and counts) what `-queue_dir` held at the start.
fn report_replay(replay: &queue::Replay, dir: &std::path::Path, counters: &[Counters]) {
    let points = |hs: &[queue::Header]| hs.iter().map(|h| u64::from(h.points)).sum::<u64>();
    for h in &replay.queued {
        Counters::add(&counters[h.target].replayed, h.points.into());
    }
    for h in &replay.dropped {
        // Counted as replayed (they were queued) and dropped.
        Counters::add(&counters[h.target].replayed, h.points.into());
        Counters::add(&counters[h.target].dropped, h.points.into());
    }
    if !replay.queued.is_empty() {
        let in_doubt = replay
            .queued
            .iter()
            .filter(|h| h.record.is_some_and(|r| r.in_doubt))
            .count();
        log::info!(
            "-queue_dir {}: {} batch(es), {} data points, left by the last run are sent first{}",
            dir.display(),
            replay.queued.len(),
            points(&replay.queued),
            if in_doubt > 0 {
                " (one was being sent as the last run ended, so HEC may hold it: its data points count as possibly duplicated)"
            } else {
                ""
            }
        );
    }
    if !replay.dropped.is_empty() {
        log::warning!(
            "-queue_dir {} holds more than -max_queue_mb: dropped the {} oldest batch(es), {} data points",
            dir.display(),
            replay.dropped.len(),
            points(&replay.dropped)
        );
    }
    for (path, n) in &replay.damaged {
        log::error!(
            "-queue_dir: {} is not a whole batch (a disk error, or a power cut before it was synced): removed; {}",
            path.display(),
            match n {
                Some(n) => format!("its {n} data points are lost"),
                None => "what it held is lost".to_string(),
            }
        );
    }
}

/// One scraper per target; errors name the flag.
fn build_targets(cfg: &Config) -> anyhow::Result<Vec<target::Target>> {
    let convert = ConvertOptions {
        keep_created: false,
        include: cfg.include.clone(),
        exclude: cfg.exclude.clone(),
        extra_dimensions: cfg.dimensions.clone(),
        drop_out_of_bounds: true,
    };
    let mut out = Vec::new();
    for (index, t) in cfg.targets.iter().enumerate() {
        let scraper = Scraper::new(&ScrapeConfig {
            url: t.url.clone(),
            timeout: cfg.timeout,
            verify_tls: !cfg.allow_insecure,
            ca_bundle: cfg.scrape_ca_bundle.clone(),
            client_cert: None,
            client_key: None,
            auth: Auth::None,
            max_body_bytes: cfg.max_body_bytes,
            names: SETTING_NAMES,
            proxy: None,
        })
        .map_err(|e| anyhow::anyhow!("-scrape_target {} (with -scrape_ca_bundle): {e:#}", t.url))?;
        out.push(target::Target {
            index,
            meta: batch::Meta::new(
                &t.host,
                cfg.source.as_deref().unwrap_or(scraper.url()),
                cfg.sourcetype.as_deref(),
                cfg.index.as_deref(),
            ),
            scraper,
            convert: convert.clone(),
            max_batch_bytes: cfg.max_batch_bytes,
            sample_limit: cfg.sample_limit,
        });
    }
    Ok(out)
}

/// This machine's name: the host of data points scraped from localhost,
/// as prometheus2splunk sent `os.Hostname()` (`gethostname` on Unix, the
/// DNS host name on Windows).
fn machine_hostname() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().trim().to_string())
        .unwrap_or_default()
}

/// What may be the token, to keep it out of start-up error messages.
fn token_candidates(args: &[OsString], env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut out: Vec<String> = env("SPLUNK_AUTHORIZATION").into_iter().collect();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    for (i, a) in args.iter().enumerate() {
        let name = a.trim_start_matches('-');
        if a.starts_with('-') && name.starts_with("splunk_auth") {
            match name.split_once('=') {
                Some((_, v)) => out.push(v.to_string()),
                None => out.extend(args.get(i + 1).cloned()),
            }
        }
    }
    out.retain(|s| s.trim().len() >= 4);
    out
}
