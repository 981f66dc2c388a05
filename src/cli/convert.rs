//! `mattermost_metrics convert`: shows what a scrape becomes in Splunk.
//!
//! Reads a scrape from a file or stdin and prints the data points that the
//! modular input would send: `raw`, the event text, one per line; `json`,
//! one object per line. Parse errors go to stderr; with `--strict` the first
//! one fails the command.

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
}

pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut format: Option<Format> = None;
    let mut output = Output::Raw;
    let mut strict = false;
    let mut convert = ConvertOptions::default();
    let mut file: Option<OsString> = None;
    while let Some(arg) = parser.next()? {
        match arg {
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
    let result =
        pipeline::convert_scrape(&body, format, strict, &convert, pipeline::now_ms(), |dp| {
            match output {
                Output::Raw => emit::event_text::write(dp, &mut out),
                Output::Json => emit::json::write(dp, &mut out),
            }
            out.push(b'\n');
        });
    std::io::stdout()
        .lock()
        .write_all(&out)
        .context("writing to stdout")?;
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

/// A pattern matched against the whole metric name, as the input's
/// Include / Exclude settings are.
fn full_match(pattern: &str) -> Result<regex::Regex> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
        .with_context(|| format!("invalid pattern {pattern:?}"))
}

fn read_stdin() -> Result<Vec<u8>> {
    let mut body = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut body)
        .context("reading stdin")?;
    Ok(body)
}
