//! `mattermost_metrics dashboard SPEC.json`: prints the SimpleXML dashboard
//! generated from a panel spec (see [`crate::dashboard`]).

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{bail, Result};

pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    let [path] = args.as_slice() else {
        bail!("usage: mattermost_metrics dashboard SPEC.json");
    };
    let spec = crate::dashboard::Spec::load(std::path::Path::new(path))?;
    print!("{}", crate::dashboard::write_xml(&spec)?);
    Ok(ExitCode::SUCCESS)
}
