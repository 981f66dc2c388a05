//! `mattermost_metrics convert`: shows what a scrape becomes in Splunk.
//!
//! Reads a scrape from a file or stdin and prints the data points that the
//! modular input would send: `raw`, the event text, one per line; `json`,
//! one object per line. Parse errors go to stderr; with `--strict` the first
//! one fails the command. `--sizing` prints instead, per metric name, the
//! data points one scrape gives and what they cost a day at `--interval`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::convert::ConvertOptions;
use crate::emit;
use crate::exposition::Format;
use crate::pipeline;

#[derive(Clone, Copy)]
enum Output {
    Raw,
    Json,
    /// Points per metric name and their licence cost a day.
    Sizing,
}

/// What Splunk's licence meters per metric data point (Splunk Enterprise
/// docs, "How Splunk Enterprise licensing works": a metric event counts as
/// 150 bytes), whatever the scrape's bytes.
pub const LICENCE_BYTES_PER_POINT: f64 = 150.0;

pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut format: Option<Format> = None;
    let mut output = Output::Raw;
    let mut strict = false;
    let mut convert = ConvertOptions::default();
    let mut file: Option<OsString> = None;
    let mut interval_s = 60.0;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("sizing") => output = Output::Sizing,
            Long("interval") => {
                let v = parser.value()?.string()?;
                interval_s = match v.parse::<f64>() {
                    Ok(s) if s.is_finite() && s > 0.0 => s,
                    _ => bail!("--interval: expected a number of seconds, not {v:?}"),
                };
            }
            Long("input-format") => {
                format = match parser.value()?.string()?.as_str() {
                    "auto" => None,
                    "prometheus" => Some(Format::Prometheus),
                    "openmetrics" => Some(Format::OpenMetrics),
                    other => bail!(
                        "--input-format: expected auto, prometheus or openmetrics, not {other:?}"
                    ),
                }
            }
            Long("output") => {
                output = match parser.value()?.string()?.as_str() {
                    "raw" => Output::Raw,
                    "json" => Output::Json,
                    other => bail!("--output: expected raw or json, not {other:?}"),
                }
            }
            Long("strict") => strict = true,
            Long("keep-created") => convert.keep_created = true,
            Long("include") => convert.include = Some(full_match(&parser.value()?.string()?)?),
            Long("exclude") => convert.exclude = Some(full_match(&parser.value()?.string()?)?),
            Value(v) if file.is_none() => file = Some(v),
            _ => return Err(arg.unexpected().into()),
        }
    }

    let body = match file.as_deref() {
        None => read_stdin()?,
        Some(f) if f == "-" => read_stdin()?,
        Some(f) => std::fs::read(f).with_context(|| format!("reading {}", f.to_string_lossy()))?,
    };
    let format = format.unwrap_or_else(|| Format::detect(&body));

    let mut out = Vec::with_capacity(body.len() * 2);
    let mut per_name: std::collections::HashMap<String, u64> = Default::default();
    let result =
        pipeline::convert_scrape(&body, format, strict, &convert, pipeline::now_ms(), |dp| {
            match output {
                Output::Raw => emit::event_text::write(dp, &mut out),
                Output::Json => emit::json::write(dp, &mut out),
                Output::Sizing => {
                    *per_name.entry(dp.metric_name.to_string()).or_default() += 1;
                    return;
                }
            }
            out.push(b'\n');
        });
    if let Output::Sizing = output {
        out = sizing_table(&per_name, interval_s).into_bytes();
    }
    match std::io::stdout().lock().write_all(&out) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.context("writing to stdout")?,
    }
    let (report, stats) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ERROR {} scrape rejected: {e}", format.name());
            return Ok(ExitCode::FAILURE);
        }
    };
    for e in &report.first_errors {
        eprintln!("WARN skipped {e}");
    }
    if report.errors > report.first_errors.len() {
        eprintln!(
            "WARN skipped {} more unparsable lines",
            report.errors - report.first_errors.len()
        );
    }
    if report.truncated {
        eprintln!("WARN the OpenMetrics scrape has no # EOF: it was cut short");
    }
    eprintln!(
        "INFO format={} samples={} emitted={} skipped_nonfinite={} dropped_created={} dropped_filtered={} parse_errors={}",
        format.name(),
        report.samples,
        stats.emitted,
        stats.skipped_nonfinite,
        stats.dropped_created,
        stats.dropped_filtered,
        report.errors
    );
    Ok(ExitCode::SUCCESS)
}

/// Per metric name, most first: data points per scrape, share, and GB a
/// day at one scrape every `interval_s`, with the total.
fn sizing_table(per_name: &std::collections::HashMap<String, u64>, interval_s: f64) -> String {
    use std::fmt::Write as _;
    let mut rows: Vec<(&String, &u64)> = per_name.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let total: u64 = per_name.values().sum();
    let gb_day = |n: u64| n as f64 * 86_400.0 / interval_s * LICENCE_BYTES_PER_POINT / 1e9;
    let mut s = format!(
        "# data points per scrape and licence a day at one scrape every {interval_s} s \
         ({LICENCE_BYTES_PER_POINT} bytes per point)\n{:<56} {:>8} {:>7} {:>9}\n",
        "metric_name", "points", "share", "GB/day"
    );
    let share = |n: u64| 100.0 * n as f64 / total.max(1) as f64;
    for (name, &n) in rows {
        let _ = writeln!(s, "{name:<56} {n:>8} {:>6.1}% {:>9.3}", share(n), gb_day(n));
    }
    let _ = writeln!(
        s,
        "{:<56} {total:>8} {:>6.1}% {:>9.3}",
        "total",
        share(total),
        gb_day(total)
    );
    s
}

/// A pattern matched against the whole metric name, or the preset
/// `dashboards`, as the input's Include / Exclude settings are.
fn full_match(pattern: &str) -> Result<regex::Regex> {
    crate::preset::full_match(pattern)
        .map_err(|e| anyhow::anyhow!("invalid pattern {pattern:?}: {e}"))
}

fn read_stdin() -> Result<Vec<u8>> {
    let mut body = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut body)
        .context("reading stdin")?;
    Ok(body)
}
