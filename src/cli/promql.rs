//! `mattermost_metrics promql [--span SECONDS|auto] [--var NAME=VALUE ...] [--port PORT=JOB ...] EXPR`:
//! prints the SPL search that computes a PromQL expression over the app's
//! metrics index, so a Prometheus user can paste an expression and get a
//! search to run.
//!
//! `--span auto` writes the dashboards' span tokens (`$span$`, `$span_s$`),
//! for a search placed in a dashboard of this app; a number of seconds
//! (default 120, two scrapes at the input's default interval) writes a
//! search to run as it is. `--port 9100=node` says which endpoint (the
//! input's `job` dimension) an `instance` port selects. Unsupported PromQL
//! exits 2 naming the construct and where it is.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::spl::{self, Binding, Options, SpanSpec};

pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let mut opts = Options::default();
    let mut expr: Option<String> = None;
    loop {
        // An expression may begin with `-` (`-go_goroutines`, unary
        // minus): a lone argument starting with one dash is the
        // expression, since this command has no short options.
        if expr.is_none() {
            if let Some(mut raw) = p.try_raw_args() {
                if let Some(v) = raw.next_if(|a| {
                    a.to_str()
                        .is_some_and(|a| a.starts_with('-') && !a.starts_with("--") && a.len() > 1)
                }) {
                    expr = Some(v.string()?);
                    continue;
                }
            }
        }
        let Some(arg) = p.next()? else { break };
        match arg {
            Long("span") => {
                let v = p.value()?.string()?;
                opts.span = if v == "auto" {
                    SpanSpec::Token {
                        span: crate::dashboard::SPAN_TOKEN.into(),
                        seconds: crate::dashboard::SPAN_SECONDS_TOKEN.into(),
                        lookback: crate::dashboard::SPAN_LOOKBACK_TOKEN.into(),
                    }
                } else {
                    match v.parse::<u64>() {
                        Ok(s) if s > 0 => SpanSpec::Seconds(s),
                        _ => bail!("--span: expected a number of seconds or auto, not {v:?}"),
                    }
                };
            }
            Long("var") => {
                let v = p.value()?.string()?;
                let Some((name, value)) = v.split_once('=') else {
                    bail!("--var: expected NAME=VALUE, not {v:?}");
                };
                opts.vars.insert(
                    name.trim_start_matches('$').to_string(),
                    Binding::Value(value.to_string()),
                );
            }
            Long("port") => {
                let v = p.value()?.string()?;
                let Some((port, job)) = v.split_once('=') else {
                    bail!("--port: expected PORT=JOB (e.g. 9100=node), not {v:?}");
                };
                opts.instance_ports
                    .insert(port.to_string(), job.to_string());
            }
            Value(v) if expr.is_none() => expr = Some(v.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let Some(expr) = expr else {
        bail!(
            "{}",
            super::usage_of("promql").unwrap_or_default().trim_end()
        );
    };
    match spl::compile_str(&expr, &opts) {
        Ok(q) => {
            for n in &q.notes {
                eprintln!("NOTE {n}");
            }
            crate::cli::print_stdout(&format!("{}\n", q.spl))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("ERROR unsupported PromQL: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}
