//! The sender's log: one line per message on stderr, level first.
//!
//! A long-lived process under systemd or Docker writes its log to stderr and
//! lets journald or the container runtime add timestamps and keep it, so a
//! line is just `LEVEL message`: `grep '^ERROR'` finds the problems, and a
//! message with a line break in it (an error quoted from a server) is folded
//! onto its line so that no reader splits one message in two.
//!
//! `-log_level` keeps the levels at and above it (`error`, `warn`, `info`,
//! `debug`, `trace`, as prometheus2splunk's logrus levels; `panic` and
//! `fatal` are read as `error`). The level is checked before a message is
//! formatted, so a `trace!` costs nothing when trace is off.
//!
//! Every line is bounded ([`crate::logline`]): a long value a target sent
//! is quoted by its start, length and hash.
//!
//! Secrets: the HEC token reaches log lines only as
//! [`crate::scrape::Secret`], which prints `********`. As a second line of
//! defence, every secret registered with [`init`] is blanked out of every
//! line before it is written, whatever put it there (a server that echoes
//! the token in an error page, a URL with the token in its query string).

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use crate::scrape::Secret;

/// How much to log. Ordered from the quietest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    /// A `-log_level` value, as logrus' `ParseLevel` reads it (any case).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "panic" | "fatal" | "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name().to_ascii_lowercase())
    }
}

/// Until [`init`]: info, as the old tool's default.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static SECRETS: OnceLock<Vec<Secret>> = OnceLock::new();

/// Sets the level and the secrets to blank out. Called once, before any
/// thread starts; a second call keeps the first secrets.
pub fn init(level: Level, secrets: Vec<Secret>) {
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
    let _ = SECRETS.set(secrets.into_iter().filter(|s| !s.is_empty()).collect());
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// The line written for a message (with its line end): secrets blanked
/// out, then folded and bounded ([`crate::logline`]).
pub fn line(level: Level, msg: fmt::Arguments<'_>) -> String {
    let mut text = msg.to_string();
    for s in SECRETS.get().into_iter().flatten() {
        if text.contains(s.expose()) {
            text = text.replace(s.expose(), "********");
        }
    }
    format!("{} {}\n", level.name(), crate::logline::one_line(&text))
}

/// Writes one message if its level is enabled. Use the macros.
pub fn write(level: Level, msg: fmt::Arguments<'_>) {
    if enabled(level) {
        let l = line(level, msg);
        // One write per line, so lines of concurrent threads never mix.
        // Nothing sensible can be done if stderr is gone.
        let _ = std::io::stderr().lock().write_all(l.as_bytes());
    }
}

macro_rules! error {
    ($($t:tt)*) => { $crate::hec::log::write($crate::hec::log::Level::Error, format_args!($($t)*)) };
}
macro_rules! warning {
    ($($t:tt)*) => { $crate::hec::log::write($crate::hec::log::Level::Warn, format_args!($($t)*)) };
}
macro_rules! info {
    ($($t:tt)*) => { $crate::hec::log::write($crate::hec::log::Level::Info, format_args!($($t)*)) };
}
macro_rules! debug {
    ($($t:tt)*) => { $crate::hec::log::write($crate::hec::log::Level::Debug, format_args!($($t)*)) };
}
macro_rules! trace {
    ($($t:tt)*) => { $crate::hec::log::write($crate::hec::log::Level::Trace, format_args!($($t)*)) };
}
pub(crate) use {debug, error, info, trace, warning};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_as_logrus_reads_them() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse("fatal"), Some(Level::Error));
        assert_eq!(Level::parse("Trace"), Some(Level::Trace));
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Error < Level::Trace);
    }

    #[test]
    fn one_line_level_first() {
        assert_eq!(
            line(Level::Warn, format_args!("a\nb\r\n c")),
            "WARN a b  c\n"
        );
    }
}
