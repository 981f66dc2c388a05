//! The command line: which mode the binary runs in.
//!
//! splunkd starts the binary with `--scheme`, `--validate-arguments` or no
//! argument at all; people use the subcommands.

pub mod convert;

use std::process::ExitCode;

use crate::{modinput, settings};

pub fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    let result = match first.as_ref().and_then(|a| a.to_str()) {
        // splunkd's three ways of starting a modular input.
        None => return modinput::run(),
        Some("--scheme") => return modinput::print_scheme(),
        Some("--validate-arguments") => return modinput::validate_arguments(),
        Some("convert") => convert::run(args.collect()),
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
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR {e:#}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: mattermost_metrics                        run as splunkd's modular input (reads <input> XML on stdin)
       mattermost_metrics --scheme               print the modular input's scheme
       mattermost_metrics --validate-arguments   validate an input's settings (reads <items> XML on stdin)
       mattermost_metrics spec                   print README/inputs.conf.spec
       mattermost_metrics convert [--input-format auto|prometheus|openmetrics]
                                  [--output raw|json] [--strict] [--keep-created] [FILE|-]
";
