//! The values that both front ends' settings take (the input's form in
//! [`crate::settings`], the HEC sender's flags in [`crate::hec::config`]),
//! checked and written one way. Each front end words its own message
//! around what is found here: a sentence for the Data inputs form, a
//! `-flag value: problem` line for the command line.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::convert::names;
use crate::emit::event_text;

/// A metric-name pattern (matched against the whole name), or the preset
/// `dashboards` ([`crate::preset`]); the regex error's text otherwise.
pub fn pattern(v: &str) -> Result<Regex, String> {
    crate::preset::full_match(v)
}

/// Why a path is no file the process can use.
#[derive(Debug)]
pub enum FileProblem {
    /// It exists but is a directory or a device.
    NotAFile,
    /// It cannot be opened (missing, or not readable by this user).
    Unreadable(std::io::Error),
}

/// `v` as the path of a file this process can read.
pub fn readable_file(v: &str) -> Result<PathBuf, FileProblem> {
    let path = PathBuf::from(v);
    match std::fs::File::open(&path) {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => Ok(path),
        Ok(_) => Err(FileProblem::NotAFile),
        Err(e) => Err(FileProblem::Unreadable(e)),
    }
}

/// `name=value,name=value` into pairs; names must already obey Splunk's
/// dimension rules (they are the admin's own, so we refuse rather than
/// rename). The error names the pair at fault.
pub fn parse_dimensions(v: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(format!("{pair:?} is not name=value."));
        };
        let (name, value) = (name.trim(), value.trim());
        if &*names::dimension_name(name) != name {
            return Err(format!(
                "{name:?} is not a dimension name Splunk accepts (a letter, then letters, digits, _ or .; not a reserved name such as host or index)."
            ));
        }
        if value.is_empty() || !event_text::value_is_kept(value) {
            return Err(format!(
                "the value of {name} must be non-empty text without double quotes or control characters."
            ));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("{name} is given twice."));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

/// A duration as Go prints it, near enough: `15s`, `1m30s`, `250ms`,
/// `1.5s`: the HEC sender's flags take Go's syntax, and every message
/// about a timeout or an interval writes it so.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if d.is_zero() {
        "0s".to_string()
    } else if ms == 0 {
        format!("{}µs", d.as_micros())
    } else if ms < 1000 {
        format!("{ms}ms")
    } else if !ms.is_multiple_of(1000) {
        format!("{}s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
        let mut out = String::new();
        if h > 0 {
            let _ = write!(out, "{h}h");
        }
        if h > 0 || m > 0 {
            let _ = write!(out, "{m}m");
        }
        let _ = write!(out, "{s}s");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_go_writes_them() {
        assert_eq!(fmt_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_millis(200)), "200ms");
        assert_eq!(fmt_duration(Duration::from_secs(10)), "10s");
        assert_eq!(fmt_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn dimensions_are_checked_pair_by_pair() {
        assert_eq!(
            parse_dimensions("job=calls, dc = eu1").unwrap(),
            [("job".into(), "calls".into()), ("dc".into(), "eu1".into())]
        );
        assert!(parse_dimensions("host=x").unwrap_err().contains("reserved"));
        assert!(parse_dimensions("a=1,a=2").unwrap_err().contains("twice"));
        assert!(parse_dimensions("nope").unwrap_err().contains("name=value"));
    }

    #[test]
    fn files_are_told_apart_from_directories_and_missing_paths() {
        assert!(matches!(
            readable_file(env!("CARGO_MANIFEST_DIR")),
            Err(FileProblem::NotAFile)
        ));
        assert!(matches!(
            readable_file("/nonexistent/file"),
            Err(FileProblem::Unreadable(_))
        ));
        assert!(readable_file(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).is_ok());
    }
}
