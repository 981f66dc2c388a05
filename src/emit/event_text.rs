//! The event text of one data point: `NAME VALUE DIM="VALUE" DIM="VALUE" ...`
//!
//! ```text
//! mattermost_api_time_bucket 1027 handler="getPosts" method="GET" le="0.005"
//! ```
//!
//! - `NAME` obeys Splunk's metric-name rule (`[A-Za-z][A-Za-z0-9_.]*`).
//! - `VALUE` is a plain decimal (`-?[0-9]+(\.[0-9]+)?`), never an exponent.
//! - each dimension is a space, a name (`[A-Za-z][A-Za-z0-9_.]*`), `="`, the
//!   value, `"`. The value is written as [`write_value`] maps it: never a `"`,
//!   a `\` nor a control character, so the first `"` after `="` always closes
//!   it, the text is always one line, and `_meta` reads the same whether
//!   Splunk takes a backslash in it literally or as an escape.
//!
//! `transforms.conf` reads NAME and VALUE with one regex and the dimensions
//! with a repeated one; its regexes and this writer change together.
//!
//! The mapping of values belongs to this text, and only to it: an
//! index-time field is written into `_meta` between double quotes, and
//! `_meta` has no documented escape for one. Whether Splunk reads `\"` in
//! `_meta` as a backslash and the closing quote, or as an escaped quote,
//! is not documented either; under the second reading a value ending in a
//! backslash (`f::"end\" g::" host::evil"`) would run into the next field
//! and let scraped text set indexed fields (`host`, `index`). So no value
//! carries a backslash: it becomes `/` (`C:\Program Files` ->
//! `C:/Program Files`), and both readings give the same fields
//! (`tests/transforms_contract.rs` applies the transforms under each).
//! JSON (`convert --output json`, HEC) carries every value exactly.

use crate::convert::{float, DataPoint};

/// The longest event props.conf lets through whole (its `TRUNCATE` for
/// our sourcetype; `tests/transforms_contract.rs` checks the two agree).
/// A longer event would be cut, losing dimensions or its closing quote.
pub const MAX_EVENT_BYTES: usize = 65_536;

/// Appends the event text of `dp` (no line end) to `out`.
pub fn write(dp: &DataPoint<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(dp.metric_name.as_bytes());
    out.push(b' ');
    float::write_plain(dp.value, out);
    for d in dp.dimensions {
        out.push(b' ');
        out.extend_from_slice(d.name.as_bytes());
        out.extend_from_slice(b"=\"");
        write_value(&d.value, out);
        out.push(b'"');
    }
}

/// A character the event text cannot carry in a value: a line break or
/// any other control character (C0, DEL, C1), or a Unicode line or
/// paragraph separator.
fn breaks(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// Whether `value` goes into the event text unchanged.
pub fn value_is_kept(value: &str) -> bool {
    // Nearly every value is plain ASCII: one pass over its bytes decides,
    // and only a value with non-ASCII text is decoded.
    let (mut dirty, mut non_ascii) = (false, false);
    for b in value.bytes() {
        dirty |= b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f;
        non_ascii |= b >= 0x80;
    }
    !dirty && (!non_ascii || !value.chars().any(breaks))
}

/// Appends a dimension value: a double quote `"` becomes `'`, a backslash
/// `\` becomes `/`, and the characters of [`breaks`] a space. Everything
/// else (spaces, `=`, commas, non-ASCII text) is kept exactly.
pub fn write_value(value: &str, out: &mut Vec<u8>) {
    if value_is_kept(value) {
        out.extend_from_slice(value.as_bytes());
        return;
    }
    let mut utf8 = [0u8; 4];
    for c in value.chars() {
        let c = match c {
            '"' => '\'',
            '\\' => '/',
            c if breaks(c) => ' ',
            c => c,
        };
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> String {
        let mut out = Vec::new();
        write_value(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values() {
        for kept in [
            "GET",
            "a b",
            "x=y",
            "a,b",
            "日本語",
            "<placeholder>",
            "it's",
        ] {
            assert!(value_is_kept(kept), "{kept}");
            assert_eq!(value(kept), kept);
        }
        assert_eq!(value("say \"hi\""), "say 'hi'");
        assert_eq!(value(r"C:\path\"), "C:/path/");
        assert_eq!(value(r"end\"), "end/");
        assert_eq!(value("two\nlines\ttab\r"), "two lines tab ");
        assert_eq!(
            value("nel\u{85}ls\u{2028}ps\u{2029}c1\u{9b}"),
            "nel ls ps c1 "
        );
        assert!(!value_is_kept("x\u{2028}"));
    }
}
