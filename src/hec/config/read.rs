//! Go's `flag` syntax and the environment: each flag's values as the user
//! gave them, where they came from, and the readers of Go's booleans and
//! durations.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::flags::{env_name, flag, Kind, FLAGS};
use crate::values::{self, fmt_duration, FileProblem};

/// Where a value came from, to name it in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    Flag,
    Env,
    Default,
}

#[derive(Clone, Debug)]
pub(super) struct Raw {
    pub(super) values: Vec<String>,
    pub(super) origin: Origin,
}

/// `-name` or `NAME`, as the user gave it.
pub(super) fn label(name: &str, origin: Origin) -> String {
    match origin {
        Origin::Flag => format!("-{name}"),
        Origin::Env => format!("{} (environment)", env_name(name)),
        Origin::Default => format!("-{name} (default)"),
    }
}

/// What the command line said.
pub(super) enum Flags {
    /// The values of each flag given, in order (a list flag keeps them all,
    /// another its last).
    Given(HashMap<&'static str, Vec<String>>),
    Help,
    Version,
}

/// Go's `flag` syntax: `-name value`, `-name=value`, `--name`, a boolean
/// flag alone; `--` ends the flags. What is not a declared flag is an error.
pub(super) fn read_flags(args: &[OsString], errors: &mut Vec<String>) -> Flags {
    let mut given: HashMap<&'static str, Vec<String>> = HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else {
            errors.push(format!(
                "argument {:?} is not valid UTF-8",
                args[i].to_string_lossy()
            ));
            i += 1;
            continue;
        };
        i += 1;
        if arg == "--" {
            if i < args.len() {
                errors.push(format!(
                    "unexpected argument {:?}: this command takes flags only (see -help)",
                    args[i].to_string_lossy()
                ));
            }
            break;
        }
        let Some(body) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|b| !b.is_empty() && !b.starts_with(['-', '=']))
        else {
            errors.push(if arg.starts_with('-') {
                format!("bad flag syntax: {arg}")
            } else {
                format!("unexpected argument {arg:?}: this command takes flags only (see -help)")
            });
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if name == "h" || name == "help" {
            return Flags::Help;
        }
        if name == "version" {
            return Flags::Version;
        }
        let Some(spec) = FLAGS.iter().find(|f| f.name == name) else {
            errors.push(format!(
                "flag provided but not defined: -{name} (see -help)"
            ));
            // Its value, if it has one, is not echoed as an argument of
            // its own: it may be a token given to a misspelt flag.
            if inline.is_none()
                && args
                    .get(i)
                    .is_some_and(|a| !a.to_string_lossy().starts_with('-'))
            {
                i += 1;
            }
            continue;
        };
        let value = match (spec.kind, inline) {
            (_, Some(v)) => v,
            (Kind::Bool, None) => "true".to_string(),
            (_, None) => match args.get(i) {
                Some(v) => {
                    i += 1;
                    v.to_string_lossy().into_owned()
                }
                None => {
                    errors.push(format!("flag needs an argument: -{name}"));
                    continue;
                }
            },
        };
        let slot = given.entry(spec.name).or_default();
        if spec.kind != Kind::List {
            slot.clear();
        }
        slot.push(value);
    }
    Flags::Given(given)
}

/// Each flag's value from the command line, else the environment, else
/// its default; and the problems found so far.
pub(super) struct Values<'e> {
    pub(super) given: HashMap<&'static str, Vec<String>>,
    pub(super) env: &'e dyn Fn(&str) -> Option<String>,
    pub(super) errors: Vec<String>,
}

impl Values<'_> {
    pub(super) fn raw(&self, name: &'static str) -> Option<Raw> {
        let spec = flag(name);
        if let Some(v) = self.given.get(name) {
            return Some(Raw {
                values: v.clone(),
                origin: Origin::Flag,
            });
        }
        if let Some(v) = (self.env)(&env_name(name)).filter(|v| !v.trim().is_empty()) {
            return Some(Raw {
                values: vec![v],
                origin: Origin::Env,
            });
        }
        spec.default.map(|d| Raw {
            values: vec![d.to_string()],
            origin: Origin::Default,
        })
    }

    /// How the user named `name`: `-name`, `NAME (environment)`, ...
    pub(super) fn label(&self, name: &'static str) -> String {
        label(name, self.raw(name).map_or(Origin::Flag, |r| r.origin))
    }

    /// The single value of a flag, trimmed, with its label.
    pub(super) fn one(&self, name: &'static str) -> Option<(String, String)> {
        self.raw(name).map(|r| {
            (
                r.values
                    .last()
                    .cloned()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                label(name, r.origin),
            )
        })
    }

    /// A non-empty single value.
    pub(super) fn text(&self, name: &'static str) -> Option<(String, String)> {
        self.one(name).filter(|(v, _)| !v.is_empty())
    }

    /// A list flag's items (split at commas and spaces, every use of the
    /// flag together).
    pub(super) fn list(&self, name: &'static str) -> Option<(Vec<String>, String)> {
        self.raw(name).map(|r| {
            let items = r
                .values
                .iter()
                .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (items, label(name, r.origin))
        })
    }

    pub(super) fn duration(&mut self, name: &'static str, min: Duration) -> Option<Duration> {
        let (v, l) = self.one(name)?;
        match parse_go_duration(&v) {
            Ok(d) if d >= min => Some(d),
            Ok(_) => {
                self.errors
                    .push(format!("{l} {v:?}: must be at least {}", fmt_duration(min)));
                None
            }
            Err(e) => {
                self.errors.push(format!("{l} {v:?}: {e}"));
                None
            }
        }
    }

    pub(super) fn number(&mut self, name: &'static str, min: f64, max: f64) -> Option<f64> {
        let (v, l) = self.one(name)?;
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() && (min..=max).contains(&n) => Some(n),
            _ => {
                self.errors
                    .push(format!("{l} {v:?}: must be a number from {min} to {max}"));
                None
            }
        }
    }

    pub(super) fn pattern(&mut self, name: &'static str) -> Option<Regex> {
        let (v, l) = self.text(name)?;
        // Matched in full, as the modular input's Include / Exclude; the
        // preset `dashboards` as well.
        match values::pattern(&v) {
            Ok(r) => Some(r),
            Err(detail) => {
                self.errors.push(format!(
                    "{l} {v:?}: not a valid regular expression: {detail}"
                ));
                None
            }
        }
    }

    pub(super) fn readable_file(&mut self, name: &'static str) -> Option<PathBuf> {
        let (v, l) = self.text(name)?;
        match values::readable_file(&v) {
            Ok(path) => Some(path),
            Err(FileProblem::NotAFile) => {
                self.errors.push(format!("{l} {v}: not a file"));
                None
            }
            Err(FileProblem::Unreadable(e)) => {
                self.errors.push(format!("{l} {v}: cannot be read: {e}"));
                None
            }
        }
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration`, for durations that are not negative: a
/// sequence of decimal numbers, each with a unit (`ns`, `us`, `µs`, `ms`,
/// `s`, `m`, `h`), e.g. `1h15m30.5s`; `0` alone needs no unit.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    const HINT: &str = "not a duration in Go syntax (a number and a unit: 15s, 1m30s, 500ms)";
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if let Some(negative) = rest.strip_prefix('-') {
        return if negative.trim_matches(|c| c == '0' || c == '.').is_empty() {
            Ok(Duration::ZERO)
        } else {
            Err("must not be negative".to_string())
        };
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(HINT.to_string());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(HINT.to_string());
        }
        let value: f64 = num.parse().map_err(|_| HINT.to_string())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "{HINT}: the number {num} has no unit (did you mean {num}s?)"
                ))
            }
            other => return Err(format!("{HINT}: unknown unit {other:?}")),
        };
        rest = &rest[unit_len..];
        total += value * nanos_per;
    }
    if total > 1e18 {
        return Err("is too long".to_string());
    }
    Ok(Duration::from_nanos(total.round() as u64))
}
