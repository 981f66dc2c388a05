//! Splitting a search into commands, and commands into tokens.

use anyhow::{anyhow, bail, Result};

/// Splits a pipeline at its top-level `|` (not inside quotes, parentheses
/// or subsearch brackets). Returns the commands, trimmed, and whether the
/// text began with a `|`. Search Manual > About the search processing
/// language: commands are separated by the pipe character.
pub fn split_pipeline(text: &str) -> Result<(bool, Vec<String>)> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut depth_sq = 0i32; // [ ]
    let mut depth_par = 0i32; // ( )
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                cur.push(c);
                let quote = c;
                let mut closed = false;
                while let Some(d) = chars.next() {
                    cur.push(d);
                    if d == '\\' && quote == '"' {
                        if let Some(e) = chars.next() {
                            cur.push(e);
                        }
                    } else if d == quote {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    bail!("unbalanced quote {quote} in search: {text}");
                }
            }
            '[' => {
                depth_sq += 1;
                cur.push(c);
            }
            ']' => {
                depth_sq -= 1;
                if depth_sq < 0 {
                    bail!("unbalanced `]` in search: {text}");
                }
                cur.push(c);
            }
            '(' => {
                depth_par += 1;
                cur.push(c);
            }
            ')' => {
                depth_par -= 1;
                if depth_par < 0 {
                    bail!("unbalanced `)` in search: {text}");
                }
                cur.push(c);
            }
            '|' if depth_sq == 0 && depth_par == 0 => {
                parts.push(std::mem::take(&mut cur));
            }
            _ => cur.push(c),
        }
    }
    if depth_sq != 0 {
        bail!("unbalanced `[` in search: {text}");
    }
    if depth_par != 0 {
        bail!("unbalanced `(` in search: {text}");
    }
    parts.push(cur);
    let mut parts: Vec<String> = parts.into_iter().map(|p| p.trim().to_string()).collect();
    let leading_pipe = parts.len() > 1 && parts[0].is_empty();
    if leading_pipe {
        parts.remove(0);
    }
    if parts.iter().any(|p| p.is_empty()) {
        bail!("empty command in search (two pipes in a row, or a trailing pipe): {text}");
    }
    Ok((leading_pipe, parts))
}

/// The command name and the rest of a command's text.
pub fn split_command(cmd: &str) -> (String, &str) {
    let end = cmd
        .find(|c: char| c.is_whitespace() || c == '[')
        .unwrap_or(cmd.len());
    (cmd[..end].to_string(), cmd[end..].trim_start())
}

/// A token of a command's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word (`span`, `300s`, `-range_total`, `replica*`), or a
    /// single-quoted field name.
    Word(String),
    /// A double-quoted string, unescaped.
    Str(String),
    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Op(String),
    LParen,
    RParen,
    Comma,
    /// A bracketed subsearch or subpipeline, raw text without the brackets.
    Sub(String),
}

impl Tok {
    pub fn is_word_ci(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// Tokenizes a command's arguments. Search Reference > search: quoted
/// values use double quotes with `\"` and `\\` escapes; field names with
/// spaces or punctuation may be single-quoted.
pub fn tokens(text: &str) -> Result<Vec<Tok>> {
    let cs: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '"' => {
                let (s, next) = read_quoted(&cs, i, '"')?;
                out.push(Tok::Str(s));
                i = next;
            }
            '\'' => {
                let (s, next) = read_quoted(&cs, i, '\'')?;
                out.push(Tok::Word(s));
                i = next;
            }
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '[' => {
                let start = i + 1;
                let mut depth = 1;
                let mut j = start;
                while j < cs.len() {
                    match cs[j] {
                        '"' | '\'' => {
                            let (_, next) = read_quoted(&cs, j, cs[j])?;
                            j = next;
                            continue;
                        }
                        '[' => depth += 1,
                        ']' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if depth != 0 {
                    bail!("unbalanced `[` in: {text}");
                }
                out.push(Tok::Sub(cs[start..j].iter().collect()));
                i = j + 1;
            }
            ']' => bail!("unbalanced `]` in: {text}"),
            '=' | '!' | '<' | '>' => {
                let two = i + 1 < cs.len() && cs[i + 1] == '=';
                let op = match (c, two) {
                    ('=', true) => "==",
                    ('=', false) => "=",
                    ('!', true) => "!=",
                    ('!', false) => bail!("unexpected `!` in: {text}"),
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    (_, _) => ">",
                };
                out.push(Tok::Op(op.to_string()));
                i += op.len();
            }
            _ => {
                let start = i;
                while i < cs.len() {
                    let d = cs[i];
                    if d.is_whitespace()
                        || matches!(
                            d,
                            '(' | ')' | '[' | ']' | ',' | '=' | '"' | '\'' | '<' | '>'
                        )
                        || (d == '!' && i + 1 < cs.len() && cs[i + 1] == '=')
                    {
                        break;
                    }
                    i += 1;
                }
                out.push(Tok::Word(cs[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

/// Reads a quoted string starting at `cs[start]` (the quote); returns the
/// unescaped content and the index after the closing quote.
pub fn read_quoted(cs: &[char], start: usize, quote: char) -> Result<(String, usize)> {
    let mut s = String::new();
    let mut i = start + 1;
    while i < cs.len() {
        let c = cs[i];
        if c == '\\' && quote == '"' && i + 1 < cs.len() && (cs[i + 1] == '"' || cs[i + 1] == '\\')
        {
            s.push(cs[i + 1]);
            i += 2;
            continue;
        }
        if c == quote {
            return Ok((s, i + 1));
        }
        s.push(c);
        i += 1;
    }
    Err(anyhow!("unterminated {quote}-quoted string"))
}

/// A cursor over a command's tokens.
pub struct Cursor {
    pub toks: Vec<Tok>,
    pub pos: usize,
}

impl Cursor {
    pub fn new(text: &str) -> Result<Self> {
        Ok(Cursor {
            toks: tokens(text)?,
            pos: 0,
        })
    }

    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    pub fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k)
    }

    pub fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// Consumes a keyword (case-insensitive) if it is next.
    pub fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_word_ci(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `name=value` next, with `name` (case-insensitive) in `names`?
    /// Returns the lowercased name.
    pub fn peek_option(&self, names: &[&str]) -> Option<String> {
        match (self.peek(), self.peek_at(1)) {
            (Some(Tok::Word(w)), Some(Tok::Op(op))) if op == "=" => {
                let lw = w.to_ascii_lowercase();
                names.contains(&lw.as_str()).then_some(lw)
            }
            _ => None,
        }
    }

    /// Any `name=value` next? Returns the name as written.
    pub fn peek_any_option(&self) -> Option<String> {
        match (self.peek(), self.peek_at(1)) {
            (Some(Tok::Word(w)), Some(Tok::Op(op))) if op == "=" => Some(w.clone()),
            _ => None,
        }
    }

    /// Consumes `name=value` and returns the value text.
    pub fn take_option_value(&mut self) -> Result<String> {
        self.pos += 2;
        match self.next() {
            Some(Tok::Word(v)) | Some(Tok::Str(v)) => Ok(v),
            other => bail!("expected an option value, found {other:?}"),
        }
    }

    /// A field name (word or quoted string).
    pub fn field(&mut self, what: &str) -> Result<String> {
        match self.next() {
            Some(Tok::Word(w)) | Some(Tok::Str(w)) => Ok(w),
            other => bail!("expected {what}, found {other:?}"),
        }
    }
}
