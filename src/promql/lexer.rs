//! Source text into tokens, one at a time, on demand.
//!
//! Hand-written over bytes: the grammar is small, and no regex keeps the
//! whole fixture set well under a millisecond. The parser pulls tokens as
//! it goes rather than lexing everything first, so the first error
//! reported is the first one a reader meets: in `x offset 5m` that is the
//! unsupported `offset`, not the duration after it.
//!
//! Two things make lexing context-dependent, and both are handled here so
//! the parser sees plain tokens:
//! - Inside `[...]` (after a `[` that is not a Grafana `[[var]]`) a digit
//!   starts a duration (`5m`, `1h30m`), as in Prometheus' own lexer, and a
//!   Grafana variable may carry a unit suffix (`${__range_s}s`).
//! - Grafana variables are found in the raw text before any PromQL escape
//!   is decoded, because Grafana substitutes them into the text before
//!   Prometheus sees it. In a quoted string they become
//!   [`TemplatePart::Var`]s; elsewhere they are [`Tok::Var`] tokens.
//!
//! Numbers follow Prometheus 2.42: decimal, float, exponent, hex (`0x1F`),
//! Go's octal for a leading zero (`010` is 8, but `08` is 8 too, as Go's
//! `ParseInt` fails and `ParseFloat` takes over), and an error, not an
//! infinity, for a literal out of the f64 range. `Inf` and `NaN` are
//! identifiers here; the parser turns them into numbers.

use super::ast::{Span, Template, TemplatePart};
use super::error::ParseError;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// `[A-Za-z_][A-Za-z0-9_:]*`: metric and label names, keywords,
    /// function names. The text is the token's span in the source.
    Ident,
    Number(f64),
    /// A duration inside `[...]`, in milliseconds (zero is possible here;
    /// the parser refuses it).
    Duration(u64),
    /// A quoted string (any of the three quotes), escapes decoded.
    Str(Template),
    /// A Grafana variable outside a string. `suffix` is the unit letters
    /// written right after it inside `[...]` (`s` in `${__range_s}s`).
    Var {
        name: String,
        suffix: String,
    },
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    At,
    /// `=` (only meaningful in a label matcher)
    Assign,
    /// `==`
    EqlEq,
    /// `!=`
    Neq,
    /// `=~`
    ReMatch,
    /// `!~`
    NotReMatch,
    Gt,
    Ge,
    Lt,
    Le,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub span: Span,
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Between a range's `[` and its `]`.
    in_range: bool,
}

/// What a `$` or `[[` starts.
enum VarScan {
    /// A variable: its name's byte range and where the reference ends.
    Var { name: (usize, usize), end: usize },
    /// Not a variable reference: the character is literal text.
    NotVar,
    /// `${` that does not close as `${name}` or `${name:format}`.
    Bad { end: usize, message: &'static str },
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    is_word(b) || b == b':'
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            in_range: false,
        }
    }

    fn error(&self, start: usize, end: usize, message: impl Into<String>) -> ParseError {
        ParseError::new(self.src, Span::new(start, end), message)
    }

    fn peek_at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_space();
        let start = self.pos;
        let Some(&b) = self.bytes.get(start) else {
            return Ok(Token {
                kind: Tok::Eof,
                span: Span::new(start, start),
            });
        };
        let next = self.peek_at(start + 1);
        let (kind, len) = match b {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b',' => (Tok::Comma, 1),
            b':' => (Tok::Colon, 1),
            b'@' => (Tok::At, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'^' => (Tok::Caret, 1),
            b'=' => match next {
                b'=' => (Tok::EqlEq, 2),
                b'~' => (Tok::ReMatch, 2),
                _ => (Tok::Assign, 1),
            },
            b'!' => match next {
                b'=' => (Tok::Neq, 2),
                b'~' => (Tok::NotReMatch, 2),
                _ => return Err(self.error(start, start + 1, "unexpected character `!`")),
            },
            b'>' if next == b'=' => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'<' if next == b'=' => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b']' => {
                self.in_range = false;
                (Tok::RBracket, 1)
            }
            b'[' => {
                if let VarScan::Var { .. } = scan_var(self.bytes, start) {
                    return self.lex_var(start);
                }
                self.in_range = true;
                (Tok::LBracket, 1)
            }
            b'$' => return self.lex_var(start),
            b'"' | b'\'' | b'`' => return self.lex_string(start, b),
            b'0'..=b'9' if self.in_range => return self.lex_duration(start),
            b'0'..=b'9' => return self.lex_number(start),
            b'.' if next.is_ascii_digit() => return self.lex_number(start),
            _ if is_ident_start(b) => {
                let mut end = start + 1;
                while end < self.bytes.len() && is_ident_continue(self.bytes[end]) {
                    end += 1;
                }
                (Tok::Ident, end - start)
            }
            _ => {
                let c = self.src[start..].chars().next().unwrap_or('?');
                return Err(self.error(
                    start,
                    start + c.len_utf8(),
                    format!("unexpected character `{c}`"),
                ));
            }
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    /// Whitespace and `#` comments (to the end of the line), as Prometheus
    /// allows both anywhere between tokens.
    fn skip_space(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'#' => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// A Grafana variable outside a string, with its unit suffix in a range.
    fn lex_var(&mut self, start: usize) -> Result<Token, ParseError> {
        match scan_var(self.bytes, start) {
            VarScan::Var { name, end } => {
                let mut stop = end;
                if self.in_range {
                    while stop < self.bytes.len() && self.bytes[stop].is_ascii_alphabetic() {
                        stop += 1;
                    }
                }
                self.pos = stop;
                Ok(Token {
                    kind: Tok::Var {
                        name: self.src[name.0..name.1].to_owned(),
                        suffix: self.src[end..stop].to_owned(),
                    },
                    span: Span::new(start, stop),
                })
            }
            VarScan::NotVar => Err(self.error(start, start + 1, "unexpected character `$`")),
            VarScan::Bad { end, message } => Err(self.error(start, end, message)),
        }
    }

    fn lex_number(&mut self, start: usize) -> Result<Token, ParseError> {
        let b = self.bytes;
        let mut i = start;
        let hex = b[i] == b'0' && matches!(self.peek_at(i + 1), b'x' | b'X');
        if hex {
            i += 2;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                i += 1;
            }
        } else {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i < b.len() && b[i] == b'.' {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < b.len() && matches!(b[i], b'e' | b'E') {
                i += 1;
                if i < b.len() && matches!(b[i], b'+' | b'-') {
                    i += 1;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        // Like Prometheus, a number must not run into a name: `5m` outside
        // a range is an error, not `5` followed by `m`.
        if i < b.len() && (is_word(b[i]) || b[i] == b'.') {
            let mut end = i;
            while end < b.len() && (is_word(b[end]) || b[end] == b'.') {
                end += 1;
            }
            let text = &self.src[start..end];
            let message = if parse_duration(text).is_ok() {
                format!("a duration (`{text}`) is only allowed in a range `[...]`")
            } else {
                format!("bad number `{text}`")
            };
            return Err(self.error(start, end, message));
        }
        let text = &self.src[start..i];
        let value = if hex {
            i64::from_str_radix(&text[2..], 16).ok().map(|v| v as f64)
        } else {
            parse_decimal(text)
        };
        match value {
            Some(v) if v.is_finite() => {
                self.pos = i;
                Ok(Token {
                    kind: Tok::Number(v),
                    span: Span::new(start, i),
                })
            }
            Some(_) => Err(self.error(start, i, format!("number `{text}` is out of range"))),
            None => Err(self.error(start, i, format!("bad number `{text}`"))),
        }
    }

    fn lex_duration(&mut self, start: usize) -> Result<Token, ParseError> {
        let mut end = start;
        while end < self.bytes.len() && (is_word(self.bytes[end]) || self.bytes[end] == b'.') {
            end += 1;
        }
        let text = &self.src[start..end];
        match parse_duration(text) {
            Ok(millis) => {
                self.pos = end;
                Ok(Token {
                    kind: Tok::Duration(millis),
                    span: Span::new(start, end),
                })
            }
            Err(why) => Err(self.error(start, end, format!("bad duration `{text}`: {why}"))),
        }
    }

    /// A quoted string into a [`Template`]. Double and single quotes take
    /// Go escapes (the other quote may not be escaped, as in Go); backticks
    /// are raw and may span lines. Variables are looked for in the raw
    /// text, escapes decoded between them.
    fn lex_string(&mut self, start: usize, quote: u8) -> Result<Token, ParseError> {
        let b = self.bytes;
        let raw = quote == b'`';
        let mut template = Template::default();
        let mut buf: Vec<u8> = Vec::new();
        let mut i = start + 1;
        loop {
            let Some(&c) = b.get(i) else {
                return Err(self.error(start, i, "unterminated string"));
            };
            if c == quote {
                i += 1;
                break;
            }
            match c {
                b'\n' if !raw => return Err(self.error(start, i, "unterminated string")),
                b'\\' if !raw => i = self.decode_escape(i, quote, &mut buf)?,
                b'$' | b'[' => match scan_var(b, i) {
                    VarScan::Var { name, end } => {
                        self.flush_text(&mut buf, &mut template, i)?;
                        template.push_var(&self.src[name.0..name.1]);
                        i = end;
                    }
                    VarScan::NotVar => {
                        buf.push(c);
                        i += 1;
                    }
                    VarScan::Bad { end, message } => return Err(self.error(i, end, message)),
                },
                _ => {
                    buf.push(c);
                    i += 1;
                }
            }
        }
        self.flush_text(&mut buf, &mut template, i)?;
        self.pos = i;
        Ok(Token {
            kind: Tok::Str(template),
            span: Span::new(start, i),
        })
    }

    fn flush_text(&self, buf: &mut Vec<u8>, t: &mut Template, at: usize) -> Result<(), ParseError> {
        if buf.is_empty() {
            return Ok(());
        }
        let Ok(text) = std::str::from_utf8(buf) else {
            return Err(self.error(at, at, "the escapes in this string do not decode to UTF-8"));
        };
        match t.parts.last_mut() {
            Some(TemplatePart::Text(last)) => last.push_str(text),
            _ => t.parts.push(TemplatePart::Text(text.to_owned())),
        }
        buf.clear();
        Ok(())
    }

    /// Decodes the escape at `i` (a backslash) into `buf`; returns the
    /// index after it. The set is Go's, as Prometheus' lexer checks it.
    fn decode_escape(&self, i: usize, quote: u8, buf: &mut Vec<u8>) -> Result<usize, ParseError> {
        let Some(&e) = self.bytes.get(i + 1) else {
            return Err(self.error(i, i + 1, "unterminated string"));
        };
        let simple = match e {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            _ if e == quote => Some(quote),
            _ => None,
        };
        if let Some(v) = simple {
            buf.push(v);
            return Ok(i + 2);
        }
        let (digits, radix, max, from) = match e {
            b'0'..=b'7' => (3, 8, 0xff, i + 1),
            b'x' => (2, 16, 0xff, i + 2),
            b'u' => (4, 16, 0x10ffff, i + 2),
            b'U' => (8, 16, 0x10ffff, i + 2),
            _ => {
                let c = self.src[i + 1..].chars().next().unwrap_or('?');
                let end = i + 1 + c.len_utf8();
                return Err(self.error(i, end, format!("unknown escape sequence `\\{c}`")));
            }
        };
        let end = from + digits;
        let text = self
            .src
            .get(from..end)
            .filter(|t| t.bytes().all(|d| (d as char).is_digit(radix)));
        let Some(value) = text.and_then(|t| u32::from_str_radix(t, radix).ok()) else {
            let stop = end.min(self.bytes.len());
            return Err(self.error(i, stop, "bad escape sequence: too few digits"));
        };
        if value > max || (0xd800..0xe000).contains(&value) {
            return Err(self.error(i, end, "escape sequence is an invalid Unicode code point"));
        }
        if max == 0xff {
            // `\377`, `\xff` are bytes, as in Go: `\xc3\xa9` is "é".
            buf.push(value as u8);
        } else {
            let c = char::from_u32(value).unwrap_or('\u{fffd}');
            buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
        Ok(end)
    }
}

/// Recognises a Grafana variable reference at `i` (a `$` or a `[`) the way
/// Grafana's own pattern does: `$name`, `${name}`, `${name:format}`,
/// `[[name]]`, `[[name:format]]`, names `[A-Za-z0-9_]+`.
fn scan_var(b: &[u8], i: usize) -> VarScan {
    let word_end = |mut j: usize| {
        while j < b.len() && is_word(b[j]) {
            j += 1;
        }
        j
    };
    let at = |j: usize| b.get(j).copied().unwrap_or(0);
    match (at(i), at(i + 1)) {
        (b'$', b'{') => {
            let name_end = word_end(i + 2);
            if name_end == i + 2 {
                return VarScan::Bad {
                    end: i + 2,
                    message: "`${` must be followed by a variable name",
                };
            }
            match at(name_end) {
                b'}' => VarScan::Var {
                    name: (i + 2, name_end),
                    end: name_end + 1,
                },
                b':' => match b[name_end..].iter().position(|&c| c == b'}') {
                    Some(p) if p > 1 => VarScan::Var {
                        name: (i + 2, name_end),
                        end: name_end + p + 1,
                    },
                    _ => VarScan::Bad {
                        end: name_end + 1,
                        message: "unterminated `${name:format}`",
                    },
                },
                b'.' => VarScan::Bad {
                    end: name_end + 1,
                    message: "Grafana variable field paths (`${name.path}`) are not supported",
                },
                _ => VarScan::Bad {
                    end: name_end,
                    message: "unterminated `${`",
                },
            }
        }
        (b'$', c) if is_word(c) => VarScan::Var {
            name: (i + 1, word_end(i + 1)),
            end: word_end(i + 1),
        },
        (b'[', b'[') => {
            let name_end = word_end(i + 2);
            if name_end == i + 2 {
                return VarScan::NotVar;
            }
            let mut j = name_end;
            if at(j) == b':' {
                let fmt_end = word_end(j + 1);
                if fmt_end == j + 1 {
                    return VarScan::NotVar;
                }
                j = fmt_end;
            }
            if at(j) == b']' && at(j + 1) == b']' {
                VarScan::Var {
                    name: (i + 2, name_end),
                    end: j + 2,
                }
            } else {
                VarScan::NotVar
            }
        }
        _ => VarScan::NotVar,
    }
}

/// A decimal literal's value as Prometheus 2.42 computes it: Go's
/// `ParseInt(s, 0, 64)` first (so a leading `0` means octal), then
/// `ParseFloat`.
fn parse_decimal(text: &str) -> Option<f64> {
    let all_digits = text.bytes().all(|c| c.is_ascii_digit());
    if all_digits && text.len() > 1 && text.starts_with('0') {
        if let Ok(v) = i64::from_str_radix(&text[1..], 8) {
            return Some(v as f64);
        }
    }
    text.parse::<f64>().ok()
}

/// Milliseconds in a duration unit, largest first: the order units must
/// be written in, each at most once (Prometheus' `model.ParseDuration`).
pub(crate) const DURATION_UNITS: [(&str, u64); 7] = [
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// `5m`, `1h30m`, `500ms`, `2d` into milliseconds. `0` alone is allowed
/// (as in Prometheus); integers only.
pub(crate) fn parse_duration(text: &str) -> Result<u64, &'static str> {
    if text == "0" {
        return Ok(0);
    }
    let b = text.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut next_unit = 0;
    if b.is_empty() {
        return Err("empty duration");
    }
    while i < b.len() {
        let digits_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return Err("expected digits followed by a unit (ms, s, m, h, d, w, y)");
        }
        let n: u64 = text[digits_start..i]
            .parse()
            .map_err(|_| "the duration is too long")?;
        if i == b.len() {
            return Err("missing unit (ms, s, m, h, d, w, y)");
        }
        let rest = &text[i..];
        let Some(unit) = (0..DURATION_UNITS.len()).rev().find(|&u| {
            rest.starts_with(DURATION_UNITS[u].0) && (u == 6 || !rest.starts_with("ms"))
        }) else {
            return Err("unknown unit (use ms, s, m, h, d, w, y)");
        };
        if unit < next_unit {
            return Err("units must go from largest to smallest, each at most once");
        }
        next_unit = unit + 1;
        i += DURATION_UNITS[unit].0.len();
        total = n
            .checked_mul(DURATION_UNITS[unit].1)
            .and_then(|v| total.checked_add(v))
            .ok_or("the duration is too long")?;
    }
    // Prometheus keeps durations as i64 nanoseconds.
    if total > i64::MAX as u64 / 1_000_000 {
        return Err("the duration is too long");
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.kind == Tok::Eof {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn numbers() {
        let n = |s: &str| match kinds(s).as_slice() {
            [Tok::Number(v)] => *v,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(n("42"), 42.0);
        assert_eq!(n("1.5"), 1.5);
        assert_eq!(n(".5"), 0.5);
        assert_eq!(n("1."), 1.0);
        assert_eq!(n("1e3"), 1000.0);
        assert_eq!(n("2.5E-3"), 0.0025);
        assert_eq!(n("0x1F"), 31.0);
        assert_eq!(n("0X1f"), 31.0);
        assert_eq!(n("010"), 8.0, "Go's octal");
        assert_eq!(n("08"), 8.0, "not octal: ParseFloat");
        assert_eq!(n("0.99"), 0.99);
    }

    #[test]
    fn bad_numbers() {
        for (src, msg) in [
            ("5m", "a duration (`5m`) is only allowed in a range `[...]`"),
            (
                "1h30m",
                "a duration (`1h30m`) is only allowed in a range `[...]`",
            ),
            ("5x", "bad number `5x`"),
            ("1e", "bad number `1e`"),
            ("1e999", "number `1e999` is out of range"),
            ("0x", "bad number `0x`"),
            ("1.2.3", "bad number `1.2.3`"),
        ] {
            let err = Lexer::new(src).next_token().unwrap_err();
            assert_eq!(err.message, msg, "{src}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("90s"), Ok(90_000));
        assert_eq!(parse_duration("2d"), Ok(172_800_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("1m500ms"), Ok(60_500));
        assert_eq!(parse_duration("1y2w"), Ok(379 * 86_400_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("30m1h").is_err());
        assert!(parse_duration("1m1m").is_err());
        assert!(parse_duration("1.5m").is_err());
        assert!(parse_duration("5q").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("300000y").is_err());
        assert_eq!(
            kinds("[5m:1m]"),
            vec![
                Tok::LBracket,
                Tok::Duration(300_000),
                Tok::Colon,
                Tok::Duration(60_000),
                Tok::RBracket
            ]
        );
    }

    #[test]
    fn strings_and_templates() {
        let s = |src: &str| match kinds(src).as_slice() {
            [Tok::Str(t)] => t.clone(),
            other => panic!("{src}: {other:?}"),
        };
        let text = |v: &str| TemplatePart::Text(v.into());
        let var = |v: &str| TemplatePart::Var(v.into());
        assert_eq!(s(r#""a\"b\\c\n""#).parts, vec![text("a\"b\\c\n")]);
        assert_eq!(s(r"'it\'s'").parts, vec![text("it's")]);
        assert_eq!(s(r"`raw\n`").parts, vec![text(r"raw\n")]);
        assert_eq!(
            s(r#""\x41\101\u00e9\U0001F600\xc3\xa9""#).parts,
            vec![text("AAé😀é")]
        );
        assert_eq!(s(r#""""#).parts, vec![]);
        assert_eq!(
            s(r#""$calls:$calls_metrics_port""#).parts,
            vec![var("calls"), text(":"), var("calls_metrics_port")]
        );
        assert_eq!(
            s(r#""$platform|no_platform""#).parts,
            vec![var("platform"), text("|no_platform")]
        );
        assert_eq!(
            s(r#""${a}b[[c]]${d:regex}[[e:csv]]""#).parts,
            vec![var("a"), text("b"), var("c"), var("d"), var("e")]
        );
        assert_eq!(
            s(r#"".*:9100$""#).parts,
            vec![text(".*:9100$")],
            "a regex anchor is text"
        );
        assert_eq!(
            s(r#""[[:digit:]]$ $$""#).parts,
            vec![text("[[:digit:]]$ $$")]
        );
        assert_eq!(
            s(r#""\\$x""#).parts,
            vec![text("\\"), var("x")],
            "variables are found before escapes"
        );
        assert_eq!(s("`$a\n$b`").parts, vec![var("a"), text("\n"), var("b")]);
    }

    #[test]
    fn bad_strings() {
        for (src, msg) in [
            (r#""abc"#, "unterminated string"),
            ("\"a\nb\"", "unterminated string"),
            (r#""\q""#, "unknown escape sequence `\\q`"),
            (r#""\'""#, "unknown escape sequence `\\'`"),
            (r#"'\"'"#, "unknown escape sequence `\\\"`"),
            (r#""\x4""#, "bad escape sequence: too few digits"),
            (
                r#""\ud800""#,
                "escape sequence is an invalid Unicode code point",
            ),
            (
                r#""\xff""#,
                "the escapes in this string do not decode to UTF-8",
            ),
            (
                r#""${a.b}""#,
                "Grafana variable field paths (`${name.path}`) are not supported",
            ),
            (r#""${a""#, "unterminated `${`"),
            (r#""${}""#, "`${` must be followed by a variable name"),
        ] {
            let err = Lexer::new(src).next_token().unwrap_err();
            assert_eq!(err.message, msg, "{src}");
        }
    }

    #[test]
    fn variables_outside_strings() {
        let v = |name: &str, suffix: &str| Tok::Var {
            name: name.into(),
            suffix: suffix.into(),
        };
        assert_eq!(kinds("$percentile"), vec![v("percentile", "")]);
        assert_eq!(kinds("[[percentile]]"), vec![v("percentile", "")]);
        assert_eq!(kinds("${p:raw}"), vec![v("p", "")]);
        assert_eq!(
            kinds("x[${__range_s}s]"),
            vec![
                Tok::Ident,
                Tok::LBracket,
                v("__range_s", "s"),
                Tok::RBracket
            ]
        );
        assert_eq!(
            kinds("x[[[d]]]"),
            vec![Tok::Ident, Tok::LBracket, v("d", ""), Tok::RBracket]
        );
        // Outside a range letters after `${x}` are a separate identifier.
        assert_eq!(kinds("${x}s"), vec![v("x", ""), Tok::Ident]);
        assert!(Lexer::new("$ x").next_token().is_err());
    }

    #[test]
    fn operators_and_comments() {
        assert_eq!(
            kinds("a == b != c =~ d !~ e >= f <= g > h < i = j # comment\n+ - * / % ^ @"),
            vec![
                Tok::Ident,
                Tok::EqlEq,
                Tok::Ident,
                Tok::Neq,
                Tok::Ident,
                Tok::ReMatch,
                Tok::Ident,
                Tok::NotReMatch,
                Tok::Ident,
                Tok::Ge,
                Tok::Ident,
                Tok::Le,
                Tok::Ident,
                Tok::Gt,
                Tok::Ident,
                Tok::Lt,
                Tok::Ident,
                Tok::Assign,
                Tok::Ident,
                Tok::Plus,
                Tok::Minus,
                Tok::Star,
                Tok::Slash,
                Tok::Percent,
                Tok::Caret,
                Tok::At,
            ]
        );
        let err = Lexer::new("  é").next_token().unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.column),
            ("unexpected character `é`", 3)
        );
    }
}
