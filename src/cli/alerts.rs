//! `mattermost_metrics alerts RULES.yml [--macros MACROS.conf]`: prints the
//! `savedsearches.conf` compiled from a Prometheus rule file (see
//! [`crate::alerts`]); with `--macros`, prints that macros.conf with its
//! block of alert thresholds rewritten instead; with `--readme`, the
//! table of alerts in docs/alerts.md. Notes of the compiler go to
//! stderr, one line each.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::alerts;

pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let mut rules: Option<PathBuf> = None;
    let mut macros: Option<PathBuf> = None;
    let mut readme = false;
    while let Some(arg) = p.next()? {
        match arg {
            Long("macros") => macros = Some(p.value()?.into()),
            Long("readme") => readme = true,
            Value(v) if rules.is_none() => rules = Some(v.into()),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let Some(rules) = rules else {
        bail!("usage: mattermost_metrics alerts RULES.yml [--macros MACROS.conf | --readme]");
    };
    let file = alerts::RuleFile::load(&rules)?;
    let compiled =
        alerts::compile_file(&file).with_context(|| format!("in {}", rules.display()))?;
    if readme {
        crate::cli::print_stdout(&alerts::readme_table(&compiled))?;
        return Ok(ExitCode::SUCCESS);
    }
    match macros {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            crate::cli::print_stdout(&alerts::update_macros_conf(&text, &compiled)?)?;
        }
        None => {
            for a in &compiled {
                for n in &a.notes {
                    eprintln!("NOTE {}: {n}", a.name);
                }
            }
            crate::cli::print_stdout(&alerts::savedsearches_conf(&compiled))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
