//! The command line: which mode the binary runs in.
//!
//! splunkd starts the binary with `--scheme`, `--validate-arguments` or no
//! argument at all; people use the subcommands.

pub mod convert;

use std::process::ExitCode;

pub fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    let result = match first.as_ref().and_then(|a| a.to_str()) {
        Some("convert") => convert::run(args.collect()),
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
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR {e:#}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: mattermost_metrics convert [--input-format auto|prometheus|openmetrics]
                                  [--output raw|json] [--strict] [--keep-created] [FILE|-]
";
