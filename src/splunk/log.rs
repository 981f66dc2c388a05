//! splunkd.log lines.
//!
//! splunkd copies each line a modular input writes on stderr into
//! splunkd.log (component ExecProcessor), reading the first word as the
//! level; a line without one is logged as ERROR. So every message is one
//! line, level first, and names the input it is about. Messages never
//! carry secrets: callers pass text built from settings that hold secrets
//! only as [`crate::scrape::Secret`], which prints as `********`.

use std::fmt::Display;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// Formats one log line: `LEVEL stanza="NAME" message`, with any run of
/// control characters in the message (line breaks, but also the vertical
/// tab, form feed, NEL or U+2028 that some readers take as a break) folded
/// into a space, so that text quoted from data can never forge a line, and
/// its length bounded ([`crate::logline`]).
pub fn line(level: Level, stanza: Option<&str>, msg: &dyn Display) -> String {
    let mut text = msg.to_string();
    if text.contains(breaks_line) {
        text = text
            .split(breaks_line)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
    }
    let text = crate::logline::one_line(&text);
    match stanza {
        Some(s) => format!(
            "{} stanza=\"{}\" {}\n",
            level.name(),
            crate::logline::quote(s),
            text
        ),
        None => format!("{} {}\n", level.name(), text),
    }
}

/// Whether `c` may end a line for some reader of splunkd.log.
fn breaks_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Writes log lines to stderr for one stanza.
pub struct Logger {
    stanza: Option<String>,
}

impl Logger {
    pub fn new(stanza: Option<&str>) -> Self {
        Logger {
            stanza: stanza.map(str::to_string),
        }
    }

    pub fn log(&self, level: Level, msg: impl Display) {
        let l = line(level, self.stanza.as_deref(), &msg);
        // Nothing sensible can be done if stderr is gone.
        let _ = std::io::stderr().lock().write_all(l.as_bytes());
    }

    pub fn debug(&self, msg: impl Display) {
        self.log(Level::Debug, msg)
    }
    pub fn info(&self, msg: impl Display) {
        self.log(Level::Info, msg)
    }
    pub fn warn(&self, msg: impl Display) {
        self.log(Level::Warn, msg)
    }
    pub fn error(&self, msg: impl Display) {
        self.log(Level::Error, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_level_first() {
        assert_eq!(
            line(Level::Warn, Some("mattermost_metrics://a"), &"x\ny\r\nz"),
            "WARN stanza=\"mattermost_metrics://a\" x y z\n"
        );
        assert_eq!(line(Level::Error, None, &"boom"), "ERROR boom\n");
        assert_eq!(
            line(Level::Info, None, &"a\u{b}b\u{85}c\u{2028}INFO forged"),
            "INFO a b c INFO forged\n"
        );
    }
}
