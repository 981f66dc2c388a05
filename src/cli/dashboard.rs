//! `mattermost_metrics dashboard SPEC.json`: prints the SimpleXML dashboard
//! generated from a panel spec (see [`crate::dashboard`]);
//! `mattermost_metrics dashboard --nav DIR`: prints the app menu for the
//! specs in DIR/specs and the hand-written dashboards in DIR.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::dashboard;

pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    match args.as_slice() {
        [flag, dir] if flag == "--nav" => {
            let dir = Path::new(dir);
            let specs = dashboard::load_all(&dir.join("specs"))?;
            let others = dashboard::hand_written(dir, &specs)?;
            crate::cli::print_stdout(&dashboard::write_nav(&specs, &others)?)?;
        }
        [path] => {
            let spec = dashboard::Spec::load(Path::new(path))?;
            crate::cli::print_stdout(&dashboard::write_xml(&spec)?)?;
        }
        _ => bail!("usage: mattermost_metrics dashboard SPEC.json | --nav DASHBOARDS_DIR"),
    }
    Ok(ExitCode::SUCCESS)
}
