//! The command line: which mode the binary runs in.
//!
//! splunkd starts the binary with `--scheme`, `--validate-arguments` or no
//! argument at all; people use the subcommands. Installed (or linked) under
//! the name `prometheus2splunk`, it is the HEC sender with that tool's
//! flags, so its users switch by changing only the binary.

pub mod alerts;
pub mod convert;
pub mod dashboard;
pub mod promql;

use std::process::ExitCode;

use crate::{modinput, settings};

/// The name under which the binary runs as the HEC sender directly.
pub const PROMETHEUS2SPLUNK: &str = "prometheus2splunk";

pub fn main() -> ExitCode {
    let mut all = std::env::args_os();
    if all.next().is_some_and(|a| invoked_as_prometheus2splunk(&a)) {
        return report(crate::hec::run(all.collect()));
    }
    let mut args = all;
    let first = args.next();
    let result = match first.as_ref().and_then(|a| a.to_str()) {
        // splunkd's three ways of starting a modular input.
        None => return modinput::run(),
        Some("--scheme") => return modinput::print_scheme(),
        Some("--validate-arguments") => return modinput::validate_arguments(),
        // splunkd's way of running the app's alert action.
        Some("--execute") => crate::notify::run(&[first.clone().unwrap_or_default()]),
        Some("alert-webhook") => crate::notify::run(&args.collect::<Vec<_>>()),
        Some("convert") => convert::run(args.collect()),
        Some("promql") => promql::run(args.collect()),
        Some("dashboard") => dashboard::run(args.collect()),
        Some("alerts") => alerts::run(args.collect()),
        Some("hec") => crate::hec::run(args.collect()),
        Some("package") => package(args.collect()),
        Some("spec") => {
            print!("{}", settings::inputs_conf_spec());
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h" | "help") => {
            print!("{}", USAGE);
            return ExitCode::SUCCESS;
        }
        Some("--version" | "-V") => {
            println!("mattermost_metrics {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{}", USAGE);
            return ExitCode::from(2);
        }
    };
    report(result)
}

/// Whether `argv0` names `prometheus2splunk` (on Windows
/// `prometheus2splunk.exe`, in any case, as the file system compares).
fn invoked_as_prometheus2splunk(argv0: &std::ffi::OsStr) -> bool {
    let path = std::path::Path::new(argv0);
    if cfg!(windows) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase());
        let name = name.as_deref().unwrap_or("");
        name.strip_suffix(".exe").unwrap_or(name) == PROMETHEUS2SPLUNK
    } else {
        path.file_name() == Some(std::ffi::OsStr::new(PROMETHEUS2SPLUNK))
    }
}

fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `package [--out DIR] [--binary FILE] [--windows FILE] [--linux-aarch64
/// FILE]`: writes the app package with this executable (or FILE) as the
/// input's Linux binary and the Windows one if given, and the standalone
/// archive of the aarch64 binary if given; prints each path written.
fn package(args: Vec<std::ffi::OsString>) -> anyhow::Result<ExitCode> {
    use crate::package::{self, Platform, LINUX_AARCH64, LINUX_X86_64, WINDOWS_X86_64};
    use anyhow::Context;
    use lexopt::prelude::*;
    // The file at `path`, which must be an executable of `platform`.
    let read = |platform: &'static Platform, path: std::ffi::OsString| {
        let name = path.to_string_lossy().into_owned();
        let exe = std::fs::read(&path).with_context(|| format!("reading {name}"))?;
        platform.check(&exe).with_context(|| name)?;
        anyhow::Ok((platform, exe))
    };
    let mut p = lexopt::Parser::from_args(args);
    let mut out = std::path::PathBuf::from("dist");
    let mut linux = None;
    let mut windows = None;
    let mut aarch64 = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("out") => out = p.value()?.into(),
            Long("binary") => linux = Some(read(&LINUX_X86_64, p.value()?)?),
            Long("windows") => windows = Some(read(&WINDOWS_X86_64, p.value()?)?),
            Long("linux-aarch64") => aarch64 = Some(read(&LINUX_AARCH64, p.value()?)?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let linux = match linux {
        Some(b) => b,
        None => {
            let this = std::env::current_exe().context("finding this executable")?;
            read(&LINUX_X86_64, this.into_os_string())?
        }
    };
    let binaries = std::iter::once(linux).chain(windows).collect();
    println!("{}", package::write(binaries, &out)?.display());
    if let Some((platform, exe)) = aarch64 {
        println!(
            "{}",
            package::write_standalone(platform, exe, &out)?.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

const USAGE: &str = "\
usage: mattermost_metrics                        run as splunkd's modular input (reads <input> XML on stdin)
       mattermost_metrics --scheme               print the modular input's scheme
       mattermost_metrics --validate-arguments   validate an input's settings (reads <items> XML on stdin)
       mattermost_metrics spec                   print README/inputs.conf.spec
       mattermost_metrics package [--out DIR] [--binary FILE] [--windows FILE.exe] [--linux-aarch64 FILE]
                                                 write DIR/mattermost_metrics-VERSION.tgz (default DIR: dist) with
                                                 this executable (or FILE) for linux_x86_64 and FILE.exe for
                                                 windows_x86_64; and DIR/mattermost_metrics_hec-VERSION-linux_aarch64.tar.gz
       mattermost_metrics convert [--input-format auto|prometheus|openmetrics]
                                  [--output raw|json] [--strict] [--keep-created]
                                  [--include REGEX] [--exclude REGEX] [FILE|-]
       mattermost_metrics promql [--span SECONDS|auto] [--var NAME=VALUE ...] [--port PORT=JOB ...] 'EXPR'
                                                 print the SPL search that computes a PromQL expression
       mattermost_metrics dashboard SPEC.json    print the dashboard generated from a panel spec
       mattermost_metrics alerts RULES.yml [--macros MACROS.conf | --readme]
                                                 print the savedsearches.conf compiled from Prometheus alerting
                                                 rules (--macros: that macros.conf with the thresholds updated;
                                                 --readme: the README's table of alerts)
       mattermost_metrics alert-webhook [--execute] < PAYLOAD.json
                                                 post a Splunk alert to a Mattermost incoming webhook (the
                                                 app's alert action; splunkd runs it with --execute)
       mattermost_metrics hec -splunk_target URL -splunk_authorization TOKEN [flags]
                                                 scrape on a schedule and send to Splunk's HEC (hec -help lists the flags)
";
