//! The modular input: splunkd's three ways of starting the binary.
//!
//! - `--scheme`: print the scheme.
//! - `--validate-arguments`: check a stanza's settings, then scrape the URL
//!   once with them; on failure print `<error><message>..</message></error>`
//!   (shown to the admin in the Data inputs form) and exit non-zero.
//! - no argument: read the `<input>` definition, scrape each stanza once,
//!   and stream its data points, then the run's health data points.
//!
//! This module joins [`crate::splunk`] (the protocol) to [`crate::scrape`]
//! and [`crate::pipeline`]; neither side knows the other.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::convert::ConvertOptions;
use crate::emit;
use crate::health::{self, ScrapeHealth};
use crate::pipeline;
use crate::scrape::{redact_url, Auth, ProxyConfig, ScrapeConfig, Scraper, Secret, SettingNames};
use crate::settings::{AuthType, InputSettings, SecretParam, MASK};
use crate::splunk::credentials::Splunkd;
use crate::splunk::definition::{Definition, Stanza};
use crate::splunk::log::Logger;
use crate::splunk::scheme;
use crate::splunk::stream::{EventMeta, EventWriter};
use crate::splunk::xml;

/// The scheme name: the part before `://` in inputs.conf, and the app id.
pub const SCHEME: &str = "mattermost_metrics";

/// The app whose `storage/passwords` holds every input's secret, whichever
/// app the input's stanza lives in: run mode and validation (which is not
/// told the stanza's app) read the same place.
pub const SECRETS_APP: &str = SCHEME;

/// How scrape errors name this input's settings.
const SETTING_NAMES: SettingNames = SettingNames {
    max_body: "Largest scrape, max_body_mb",
    auth: Some("Authentication (bearer or basic) and Token or password"),
    ..SettingNames::FIELDS
};

/// `--scheme`.
pub fn print_scheme() -> Result<ExitCode> {
    crate::cli::print_stdout(&scheme::scheme_xml())?;
    Ok(ExitCode::SUCCESS)
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading splunkd's XML on stdin")?;
    Ok(s)
}

/// `--validate-arguments`.
pub fn validate_arguments() -> ExitCode {
    let def = read_stdin().and_then(|x| Definition::parse_items(&x));
    // The stanza's name, for splunkd.log, when the XML could be read.
    let stanza = def
        .as_ref()
        .ok()
        .map(|d| format!("{SCHEME}://{}", d.stanzas[0].name));
    match def.map_err(|e| format!("{e:#}")).and_then(|d| validate(&d)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            let log = Logger::new(stanza.as_deref());
            log.error(format!("validation failed: {msg}"));
            let _ = crate::cli::print_stdout(&format!(
                "<error><message>{}</message></error>\n",
                xml::escape(&msg)
            ));
            ExitCode::FAILURE
        }
    }
}

fn validate(def: &Definition) -> Result<(), String> {
    let item = &def.stanzas[0];
    let settings = InputSettings::from_params(&item.param_map(), &def.server_host)
        .map_err(|e| e.to_string())?;
    let secret = match &settings.secret {
        SecretParam::Empty => None,
        SecretParam::Clear(s) => Some(s.clone()),
        SecretParam::Stored => Some(
            Splunkd::new(&def.server_uri, &def.session_key, SECRETS_APP)
                .read_secret(item.input_name())
                .map_err(|e| format!("{e:#}"))?
                .ok_or("The Token or password is ******** but no secret is stored for this input: type it again.")?,
        ),
    };
    let proxy =
        proxy_for(&def.server_uri, &def.session_key, &settings).map_err(|e| format!("{e:#}"))?;
    let scraper =
        Scraper::new(&scrape_config(&settings, secret, proxy)).map_err(|e| format!("{e:#}"))?;
    let scrape = scraper.scrape().map_err(|e| e.to_string())?;
    let convert = convert_options(&settings);
    // A body the parser can make nothing of is not a metrics endpoint.
    let (report, stats) = pipeline::convert_scrape(
        &scrape.body,
        scrape.format,
        false,
        &convert,
        pipeline::now_ms(),
        |_| {},
    )
    .map_err(|e| e.to_string())?;
    if report.samples == 0 {
        let why = report
            .first_errors
            .first()
            .map_or_else(|| "the body is empty".to_string(), |e| e.to_string());
        return Err(format!(
            "{} answered, but not with Prometheus metrics ({why}). Is this Mattermost's metrics URL?",
            settings.url
        ));
    }
    // The form has no warnings: an input that would index nothing of its
    // target is refused with the reason, rather than saved to fail quietly.
    if stats.emitted == 0 && stats.dropped_filtered > 0 {
        return Err(format!(
            "Include metrics and Exclude metrics keep 0 of the {} samples {} serves now: the input \
             would index nothing but its own health. They are regular expressions matched \
             against the whole metric name: mattermost_.* keeps every Mattermost metric, the \
             glob mattermost_* keeps none.",
            report.samples, settings.url
        ));
    }
    if stats.emitted > settings.sample_limit && settings.sample_limit > 0 {
        return Err(format!(
            "{} gives {} data points now, more than the Sample limit of {}: every scrape would \
             be refused. Cut them with Include / Exclude, or raise the Sample limit.",
            settings.url, stats.emitted, settings.sample_limit
        ));
    }
    // What the filters keep, where the admin can look it up (a preset
    // changes with the version: this says what it is now).
    if let Some(include) = item
        .param_map()
        .get("include")
        .filter(|v| !v.trim().is_empty())
    {
        Logger::new(Some(&format!("{SCHEME}://{}", item.name))).info(format_args!(
            "validation: Include metrics {} keeps {} data points of the {} samples {} serves now",
            crate::preset::describe(include),
            stats.emitted,
            report.samples,
            settings.url
        ));
    }
    Ok(())
}

fn convert_options(s: &InputSettings) -> ConvertOptions {
    ConvertOptions {
        keep_created: false,
        include: s.include.clone(),
        exclude: s.exclude.clone(),
        extra_dimensions: s.dimensions.clone(),
        drop_out_of_bounds: true,
    }
}

fn scrape_config(
    s: &InputSettings,
    secret: Option<Secret>,
    proxy: Option<ProxyConfig>,
) -> ScrapeConfig {
    let auth = match (s.auth_type, secret) {
        (AuthType::Bearer, Some(t)) => Auth::Bearer(t),
        (AuthType::Basic, Some(p)) => Auth::Basic {
            username: s.username.clone().unwrap_or_default(),
            password: p,
        },
        _ => Auth::None,
    };
    ScrapeConfig {
        url: s.url.clone(),
        timeout: s.timeout,
        verify_tls: s.verify_tls,
        ca_bundle: s.ca_bundle.clone(),
        client_cert: s.client_cert.clone(),
        client_key: s.client_key.clone(),
        auth,
        max_body_bytes: s.max_body_bytes,
        names: SETTING_NAMES,
        proxy,
    }
}

/// The realm of the HTTP proxies' passwords in the credential store (user
/// name = the Proxy user name).
pub const PROXY_REALM: &str = "mattermost_metrics_proxy";

/// The input's proxy, with its password from the credential store.
fn proxy_for(
    server_uri: &str,
    session_key: &str,
    s: &InputSettings,
) -> Result<Option<ProxyConfig>> {
    let Some(url) = &s.proxy else {
        return Ok(None);
    };
    let password = match &s.proxy_username {
        None => None,
        Some(user) => Some(
            Splunkd::new(server_uri, session_key, SECRETS_APP)
                .read_password(
                    PROXY_REALM,
                    user,
                    &format!("the password of proxy user {user}"),
                )?
                .with_context(|| {
                    format!(
                        "no password of proxy user {user} in the credential store (realm \
                         {PROXY_REALM}): store it once (docs/inputs.md, Proxy)"
                    )
                })?,
        ),
    };
    Ok(Some(ProxyConfig {
        url: url.clone(),
        username: s.proxy_username.clone(),
        password,
    }))
}

/// Run mode.
pub fn run() -> ExitCode {
    let log = Logger::new(None);
    let def = match read_stdin().and_then(|x| Definition::parse_input(&x)) {
        Ok(d) => d,
        Err(e) => {
            log.error(format!(
                "cannot read the input definition from splunkd: {e:#}"
            ));
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for stanza in &def.stanzas {
        if let Err(e) = run_stanza(&def, stanza, &mut out) {
            // Only writing to splunkd can fail here: nothing more to do.
            Logger::new(Some(&stanza.name)).error(format!("cannot write events to splunkd: {e:#}"));
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Scrapes one stanza and writes its events. Errors returned are errors
/// writing to stdout; every other failure is logged and shows in `up`.
fn run_stanza(def: &Definition, stanza: &Stanza, out: &mut impl Write) -> Result<()> {
    let log = Logger::new(Some(&stanza.name));
    let params = stanza.param_map();
    let start_ms = pipeline::now_ms();
    let settings = match InputSettings::from_params(&params, &def.server_host) {
        Ok(s) => s,
        Err(e) => {
            log.error(format!("invalid settings, not scraping: {e}"));
            // Still report the failure where the dashboards look for it
            // (never with a password the URL may hold).
            let url = redact_url(params.get("url").map_or("", |u| u.trim()));
            let host = url::Url::parse(&url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let meta = EventMeta {
                stanza: &stanza.name,
                source: &url,
                sourcetype: crate::settings::DEFAULT_SOURCETYPE,
                index: params
                    .get("index")
                    .map(String::as_str)
                    .filter(|i| !i.is_empty())
                    .unwrap_or(crate::settings::DEFAULT_INDEX),
                host: &host,
            };
            let mut w = EventWriter::new(out, &meta)?;
            write_health(&mut w, &[], start_ms, &ScrapeHealth::default())?;
            w.finish()?;
            return Ok(());
        }
    };

    let meta = EventMeta {
        stanza: &stanza.name,
        source: &settings.url,
        sourcetype: &settings.sourcetype,
        index: &settings.index,
        host: &settings.node_name,
    };
    let mut w = EventWriter::new(out, &meta)?;
    let mut health = ScrapeHealth::default();
    let convert = convert_options(&settings);
    if !settings.verify_tls && settings.url.starts_with("https://") {
        log.warn(format!(
            "verify_tls = false: the certificate of {} is not checked, so anyone on the network \
             path can pose as the node, read the credentials this input sends and feed it false \
             metrics; set a CA bundle (ca_bundle) instead",
            settings.url
        ));
    }

    match secret_for(def, stanza, &settings, &log).and_then(|secret| {
        let proxy = proxy_for(&def.server_uri, &def.session_key, &settings)?;
        Scraper::new(&scrape_config(&settings, secret, proxy)).context("setting up the scrape")
    }) {
        Err(e) => log.error(format!("cannot scrape {}: {e:#}", settings.url)),
        Ok(scraper) => {
            let t0 = Instant::now();
            match scraper.scrape() {
                Err(e) => {
                    health.duration_s = t0.elapsed().as_secs_f64();
                    log.error(format!("scrape failed ({}): {e}", e.kind()));
                }
                Ok(scrape) => {
                    health.duration_s = scrape.duration.as_secs_f64();
                    health.bytes = scrape.body.len() as u64;
                    let over = pipeline::over_sample_limit(
                        &scrape.body,
                        scrape.format,
                        &convert,
                        settings.sample_limit,
                        start_ms,
                    );
                    if let Some((report, counted)) = over {
                        // Nothing of it is written: up = 0, the parse's
                        // counts, no data point emitted.
                        log.error(format!(
                            "scrape failed (sample_limit): {}",
                            pipeline::sample_limit_error(
                                &settings.url,
                                counted.emitted,
                                settings.sample_limit,
                                "Sample limit, sample_limit"
                            )
                        ));
                        health.report = report;
                    } else {
                        let (report, stats, oversized) =
                            write_scrape(&mut w, &scrape, &convert, start_ms)?;
                        if let Some((first, bytes)) = &oversized.first {
                            log.warn(format!(
                                "{} data point(s) not indexed: their event would be longer than \
                                 the {} bytes props.conf lets through (TRUNCATE), which would \
                                 cut it; the first, {first}, is {bytes} bytes. Such a sample has \
                                 labels no dashboard reads: drop it with Exclude metrics",
                                oversized.count,
                                emit::event_text::MAX_EVENT_BYTES
                            ));
                        }
                        health.oversized = oversized.count;
                        let verdict = health::judge(&report, &stats, &settings.url);
                        for w in &verdict.warnings {
                            log.warn(w);
                        }
                        if let Some(e) = &verdict.error {
                            log.error(e);
                        } else {
                            health.up = true;
                        }
                        log.debug(format!(
                            "scraped {} bytes, {} samples, {} data points in {:.3} s",
                            health.bytes,
                            report.samples,
                            stats.emitted - oversized.count,
                            health.duration_s
                        ));
                        health.report = report;
                        health.stats = stats;
                    }
                }
            }
        }
    }
    write_health(&mut w, &settings.dimensions, start_ms, &health)?;
    w.finish()?;
    Ok(())
}

/// Data points over [`emit::event_text::MAX_EVENT_BYTES`], not written.
#[derive(Default)]
struct Oversized {
    count: u64,
    /// The first one's metric name and event length.
    first: Option<(String, usize)>,
}

/// Writes the events of a scrape; returns what the parse and the converter
/// counted, and the data points left out for their length.
fn write_scrape(
    w: &mut EventWriter<impl Write>,
    scrape: &crate::scrape::Scrape,
    convert: &ConvertOptions,
    time_ms: i64,
) -> Result<(
    crate::exposition::Report,
    crate::convert::ConvertStats,
    Oversized,
)> {
    let mut text = Vec::with_capacity(256);
    let mut write_err = None;
    let mut oversized = Oversized::default();
    let result =
        pipeline::convert_scrape(&scrape.body, scrape.format, false, convert, time_ms, |dp| {
            if write_err.is_some() {
                return;
            }
            text.clear();
            emit::event_text::write(dp, &mut text);
            if text.len() > emit::event_text::MAX_EVENT_BYTES {
                oversized.count += 1;
                oversized
                    .first
                    .get_or_insert_with(|| (dp.metric_name.to_string(), text.len()));
                return;
            }
            // The event text is built from &str pieces: UTF-8.
            let data = std::str::from_utf8(&text).unwrap_or_default();
            if let Err(e) = w.event(dp.time_ms, data) {
                write_err = Some(e);
            }
        });
    if let Some(e) = write_err {
        return Err(e.into());
    }
    let (report, stats) = result.expect("lenient parsing does not fail");
    Ok((report, stats, oversized))
}

/// The secret to authenticate with, moving a newly typed one into the
/// credential store first. Secrets live in [`SECRETS_APP`]'s store; the
/// stanza itself is masked in the app that holds it.
fn secret_for(
    def: &Definition,
    stanza: &Stanza,
    s: &InputSettings,
    log: &Logger,
) -> Result<Option<Secret>> {
    let splunkd = || Splunkd::new(&def.server_uri, &def.session_key, SECRETS_APP);
    match &s.secret {
        SecretParam::Empty => Ok(None),
        SecretParam::Clear(secret) => {
            let api = splunkd();
            let stanza_app = stanza.app.as_deref().unwrap_or(SCHEME);
            match api.store_secret(stanza.input_name(), secret).and_then(|()| {
                api.mask_secret_param(stanza_app, SCHEME, stanza.input_name(), MASK)
            }) {
                Ok(()) => log.info("moved the secret into splunkd's credential store; inputs.conf now holds ********"),
                Err(e) => log.warn(format!(
                    "the secret is still in clear text in inputs.conf: moving it to the credential store failed: {e:#}"
                )),
            }
            Ok(Some(secret.clone()))
        }
        SecretParam::Stored => splunkd()
            .read_secret(stanza.input_name())?
            .map(Some)
            .context("the secret is ******** in inputs.conf but none is stored for this input: type it again in Settings > Data inputs"),
    }
}

fn write_health(
    w: &mut EventWriter<impl Write>,
    extra: &[(String, String)],
    time_ms: i64,
    h: &ScrapeHealth,
) -> std::io::Result<()> {
    let mut text = Vec::with_capacity(128);
    let mut result = Ok(());
    health::data_points(health::scrape_values(h), time_ms, extra, |dp| {
        if result.is_ok() {
            text.clear();
            emit::event_text::write(dp, &mut text);
            result = w.event(time_ms, std::str::from_utf8(&text).unwrap_or_default());
        }
    });
    result
}
