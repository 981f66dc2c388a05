//! One log line out of any message: folded onto one line, and bounded.
//!
//! Both front ends' logs (splunkd.log through stderr for the modular input,
//! stderr under systemd for the HEC sender) are read by people and by
//! line-oriented tools: Splunk breaks splunkd.log into events by line and
//! truncates long ones, journald splits lines past 48 KiB. A message quotes
//! what a target sent (metric and label names, error pages), and a hostile
//! or broken target can make that megabytes long. So every line is
//! bounded: a word longer than [`MAX_WORD`] bytes is quoted by its start,
//! its length and a CRC-32 (enough to tell two long values apart, or find
//! the one in the body), and a line still longer than [`MAX_LINE`] keeps
//! its start and says how long it was.

use std::borrow::Cow;
use std::fmt::Write;

/// The longest word quoted whole, in bytes.
pub const MAX_WORD: usize = 256;
/// The longest message, in bytes (before the level and stanza).
pub const MAX_LINE: usize = 4096;
/// How much of a long word or message is kept.
const KEEP_WORD: usize = 64;

/// `text` as a value quoted in a message: itself when short, else its
/// start, length and CRC-32 (`abc…[8000000 bytes, crc32 0a1b2c3d]`).
pub fn quote(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_WORD {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(KEEP_WORD + 40);
    push_digest(&mut out, text, KEEP_WORD);
    Cow::Owned(out)
}

fn push_digest(out: &mut String, text: &str, keep: usize) {
    let mut crc = flate2::Crc::new();
    crc.update(text.as_bytes());
    out.push_str(&text[..floor_char_boundary(text, keep)]);
    let _ = write!(out, "…[{} bytes, crc32 {:08x}]", text.len(), crc.sum());
}

fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `msg` as one bounded line (without the line end): line breaks folded
/// into spaces, long words quoted by [`quote`], and at most [`MAX_LINE`]
/// bytes (plus the note of how long it was).
pub fn one_line(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(MAX_LINE + 64));
    let mut first = true;
    for l in msg.split(['\n', '\r']).filter(|l| !l.trim().is_empty()) {
        if out.len() > 2 * MAX_LINE {
            break;
        }
        if !first {
            out.push(' ');
        }
        first = false;
        // Words kept with the space that follows them: only long ones change.
        let mut rest = l;
        while !rest.is_empty() {
            let end = rest.find([' ', '\t']).map_or(rest.len(), |i| i + 1);
            let (word, sep) = match rest[..end].strip_suffix([' ', '\t']) {
                Some(w) => (w, &rest[w.len()..end]),
                None => (&rest[..end], ""),
            };
            out.push_str(&quote(word));
            out.push_str(sep);
            rest = &rest[end..];
            if out.len() > 2 * MAX_LINE {
                break;
            }
        }
    }
    if out.len() > MAX_LINE {
        let mut cut = String::with_capacity(MAX_LINE + 64);
        cut.push_str(&out[..floor_char_boundary(&out, MAX_LINE - 128)]);
        let mut crc = flate2::Crc::new();
        crc.update(msg.as_bytes());
        let _ = write!(
            cut,
            " …[message of {} bytes cut, crc32 {:08x}]",
            msg.len(),
            crc.sum()
        );
        return cut;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_untouched_and_breaks_are_folded() {
        assert_eq!(one_line("a\nb\r\n c"), "a b  c");
        assert_eq!(one_line("metric x: bad"), "metric x: bad");
        assert_eq!(quote("abc"), "abc");
    }

    #[test]
    fn long_words_are_quoted_by_start_length_and_hash() {
        let name = "m".repeat(8_000_000);
        let l = one_line(&format!("invalid metric name {name} on line 3"));
        assert!(l.len() < 200, "{}", l.len());
        assert!(
            l.starts_with(&format!(
                "invalid metric name {}…[8000000 bytes, crc32 ",
                "m".repeat(64)
            )),
            "{l}"
        );
        assert!(l.ends_with("] on line 3"), "{l}");
        let other = one_line(&format!("x {}n", "m".repeat(7_999_999)));
        let crc = |s: &str| s.split("crc32 ").nth(1).map(|c| c[..8].to_string());
        assert!(crc(&other).is_some());
        assert_ne!(crc(&l), crc(&other), "the hash tells them apart");
        // Multi-byte characters are never split.
        let long = "é".repeat(300);
        let q = quote(&long);
        assert!(q.starts_with(&"é".repeat(32)), "{q}");
    }

    #[test]
    fn long_lines_of_short_words_are_cut() {
        let msg = "word ".repeat(1_000_000);
        let l = one_line(&msg);
        assert!(l.len() <= MAX_LINE, "{}", l.len());
        assert!(l.contains("…[message of 5000000 bytes cut, crc32 "), "{l}");
    }
}
