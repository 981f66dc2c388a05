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
    let first = first.as_ref().and_then(|a| a.to_str());
    let rest: Vec<std::ffi::OsString> = args.collect();
    // `SUBCOMMAND --help` or `-h`: its usage, whatever else follows
    // (`hec` has its own, with every flag).
    if let Some(sub) = first.filter(|s| *s != "hec" && usage_of(s).is_some()) {
        if rest.iter().any(|a| a == "--help" || a == "-h") {
            return report(
                print_stdout(&usage_of(sub).unwrap_or_default()).map(|_| ExitCode::SUCCESS),
            );
        }
    }
    let result = match first {
        // splunkd's three ways of starting a modular input.
        None => return modinput::run(),
        Some("--scheme") => modinput::print_scheme(),
        Some("--validate-arguments") => return modinput::validate_arguments(),
        // splunkd's way of running the app's alert action.
        Some("--execute") => crate::notify::run(&["--execute".into()]),
        Some("alert-webhook") => crate::notify::run(&rest),
        Some("convert") => convert::run(rest),
        Some("promql") => promql::run(rest),
        Some("dashboard") => dashboard::run(rest),
        Some("alerts") => alerts::run(rest),
        Some("hec") => crate::hec::run(rest),
        Some("package") => package(rest),
        Some("spec") => print_stdout(&settings::inputs_conf_spec()).map(|_| ExitCode::SUCCESS),
        Some("--help" | "-h" | "help") => print_stdout(USAGE).map(|_| ExitCode::SUCCESS),
        Some("--version" | "-V") => print_stdout(&version_line()).map(|_| ExitCode::SUCCESS),
        _ => {
            eprint!("{}", USAGE);
            return ExitCode::from(2);
        }
    };
    report(result)
}

/// `mattermost_metrics VERSION`, a line.
pub fn version_line() -> String {
    format!("mattermost_metrics {}\n", env!("CARGO_PKG_VERSION"))
}

/// Writes `text` to stdout. A reader that went away (`| head -c1`) is no
/// error and no panic (which `print!` would be): the command just ends, as
/// Unix tools do when their pipe closes.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => anyhow::Context::context(r, "writing to stdout"),
    }
}

/// The lines of [`USAGE`] about subcommand `sub` (`usage: ` first), or
/// `None` if it has none: one text for `--help` and `SUB --help`.
pub fn usage_of(sub: &str) -> Option<String> {
    let start = format!("mattermost_metrics {sub} ");
    let alone = format!("mattermost_metrics {sub}");
    let mut out = String::new();
    let mut inside = false;
    for line in USAGE.lines() {
        let body = line.strip_prefix("usage:").unwrap_or(line).trim_start();
        if body.starts_with("mattermost_metrics") {
            inside = body.starts_with(&start) || body.trim_end() == alone;
            if inside {
                out.push_str("usage: ");
                out.push_str(body);
                out.push('\n');
            }
        } else if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    (!out.is_empty()).then_some(out)
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
    print_stdout(&format!("{}\n", package::write(binaries, &out)?.display()))?;
    if let Some((platform, exe)) = aarch64 {
        let path = package::write_standalone(platform, exe, &out)?;
        print_stdout(&format!("{}\n", path.display()))?;
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
                                  [--include REGEX|dashboards] [--exclude REGEX] [--sizing [--interval SECONDS]] [FILE|-]
                                                 print the data points a scrape gives (--sizing: per metric name, the
                                                 points per scrape and the licence GB a day at --interval, default 60)
       mattermost_metrics promql [--span SECONDS|auto] [--var NAME=VALUE ...] [--port PORT=JOB ...] [--] 'EXPR'
                                                 print the SPL search that computes a PromQL expression
                                                 (an EXPR may begin with -, as in '-go_goroutines')
       mattermost_metrics dashboard SPEC.json    print the dashboard generated from a panel spec
       mattermost_metrics dashboard --nav DASHBOARDS_DIR
                                                 print the app menu for DASHBOARDS_DIR/specs and its other dashboards
       mattermost_metrics alerts RULES.yml [--macros MACROS.conf | --readme]
                                                 print the savedsearches.conf compiled from Prometheus alerting
                                                 rules (--macros: that macros.conf with the thresholds updated;
                                                 --readme: the table of alerts in docs/alerts.md)
       mattermost_metrics alert-webhook [--execute] < PAYLOAD.json
                                                 post a Splunk alert to a Mattermost incoming webhook (the
                                                 app's alert action; splunkd runs it with --execute)
       mattermost_metrics hec -splunk_target URL -splunk_authorization TOKEN [flags]
                                                 scrape on a schedule and send to Splunk's HEC (hec -help lists the flags)
";
