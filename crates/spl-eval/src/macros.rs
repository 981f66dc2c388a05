//! Search macros (macros.conf) and dashboard tokens.

use std::collections::{BTreeMap, HashMap};

use anyhow::{anyhow, bail, Result};

#[derive(Debug, Clone)]
struct Macro {
    args: Vec<String>,
    definition: String,
    iseval: bool,
}

/// The search macros of a macros.conf.
#[derive(Debug, Clone, Default)]
pub struct Macros {
    /// (name, number of arguments) -> macro
    defs: HashMap<(String, usize), Macro>,
}

impl Macros {
    /// Reads macros.conf text. Admin Manual > macros.conf: a stanza
    /// `[name]`, or `[name(N)]` for a macro with N arguments named by
    /// `args = a, b`; `definition` is the text; `iseval` marks an eval-based
    /// definition. Admin Manual > About configuration files: `#` starts a
    /// comment line, and a value continues on the next line when its line
    /// ends with a backslash.
    pub fn from_conf(text: &str) -> Self {
        let mut defs = HashMap::new();
        let mut stanza: Option<(String, usize)> = None;
        let mut keys: BTreeMap<String, String> = BTreeMap::new();
        let flush = |stanza: &Option<(String, usize)>,
                     keys: &BTreeMap<String, String>,
                     defs: &mut HashMap<_, _>| {
            if let Some(k) = stanza {
                let args = keys
                    .get("args")
                    .map(|a| {
                        a.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                let m = Macro {
                    args,
                    definition: keys.get("definition").cloned().unwrap_or_default(),
                    iseval: keys
                        .get("iseval")
                        .is_some_and(|v| v.trim() == "1" || v.trim().eq_ignore_ascii_case("true")),
                };
                defs.insert(k.clone(), m);
            }
        };
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                flush(&stanza, &keys, &mut defs);
                keys.clear();
                stanza = Some(match name.find('(') {
                    Some(p) if name.ends_with(')') => {
                        let n = name[p + 1..name.len() - 1].trim().parse().unwrap_or(0);
                        (name[..p].to_string(), n)
                    }
                    _ => (name.to_string(), 0),
                });
                continue;
            }
            let Some((k, v)) = t.split_once('=') else {
                continue;
            };
            let mut value = v.trim().to_string();
            while value.ends_with('\\') {
                value.pop();
                match lines.next() {
                    Some(next) => {
                        value.push('\n');
                        value.push_str(next.trim_end());
                    }
                    None => break,
                }
            }
            keys.insert(k.trim().to_string(), value);
        }
        flush(&stanza, &keys, &mut defs);
        Macros { defs }
    }

    /// Expands every backquoted macro, nested ones included. Knowledge
    /// Manual > Use search macros in searches: a macro is called as
    /// `` `name` `` or `` `name(arg1, arg2)` ``; in the definition, `$arg$`
    /// is replaced by the argument's value, textually; macros may call other
    /// macros.
    ///
    /// Same page: "Macros inside of quoted values are not expanded": a
    /// backquote inside a double-quoted string (a label value a dashboard
    /// token put there, say) is text ([`unquoted_backquote`]).
    ///
    /// Inline comments (```` ``` ```` ... ```` ``` ````) are replaced by a
    /// space first, in the search and in each definition as it is expanded
    /// in ([`strip_comments`]), so that a comment's backquotes never start
    /// a macro call.
    pub fn expand(&self, search: &str) -> Result<String> {
        let mut s = strip_comments(search)?;
        let mut expansions = 0;
        while let Some(start) = unquoted_backquote(&s) {
            let end = s[start + 1..]
                .find('`')
                .map(|e| start + 1 + e)
                .ok_or_else(|| anyhow!("unbalanced backquote in search: {s}"))?;
            let call = s[start + 1..end].trim().to_string();
            let (name, args) = parse_call(&call)?;
            let Some(m) = self.defs.get(&(name.clone(), args.len())) else {
                bail!(
                    "macro `{name}` with {} argument(s) is not defined in macros.conf",
                    args.len()
                );
            };
            if m.iseval {
                bail!("macro `{name}`: eval-based macros (iseval = 1) are not supported by the evaluator");
            }
            if m.args.len() != args.len() {
                bail!(
                    "macro `{name}({})`: args names {} arguments",
                    args.len(),
                    m.args.len()
                );
            }
            let mut def = m.definition.clone();
            for (a, v) in m.args.iter().zip(&args) {
                def = def.replace(&format!("${a}$"), v);
            }
            let def = strip_comments(&def).map_err(|e| anyhow!("macro `{name}`: {e}"))?;
            s.replace_range(start..=end, &def);
            expansions += 1;
            if expansions > 1000 {
                bail!("macro expansion does not terminate (recursive macro?)");
            }
        }
        Ok(s)
    }
}

/// Replaces every inline comment of a search by a space.
///
/// Search Manual > Add comments to searches
/// (<https://help.splunk.com/splunk-enterprise/search/search-manual/10.0/using-the-search-app/add-comments-to-searches>):
/// "You can add inline comments to the search string of a saved search by
/// enclosing the comments in backtick characters ( ``` )." and "The search
/// processor replaces comments with a space when the search is run. For
/// example, this comment ...| stats```Let's use 'stats' to count this```count
/// becomes ...| stats count, when run not ... | statscount." (the example
/// as the 9.4 page gives it,
/// <https://help.splunk.com/splunk-enterprise/search/search-manual/9.4/using-the-search-app/add-comments-to-searches>;
/// the copy of the 10.0 page read breaks off inside it). A definition's
/// comments go too: the search that is run holds the expanded macros.
///
/// A comment runs from three backticks to the next three backticks; its
/// text may hold anything else (quotes, single backticks, numbers). The
/// part of the page read says nothing of comments inside quoted strings:
/// three backticks inside a double-quoted string (`\"` and `\\` escaped,
/// as the search language quotes values) are left as they are, as "Macros
/// inside of quoted values are not expanded" (Knowledge Manual > Use search
/// macros in searches) leaves a quoted value's backticks alone. A comment
/// without its closing backticks is an error naming it (the page gives no
/// rule for it).
///
/// Dashboard tokens are substituted before (a dashboard replaces them in
/// the whole text it dispatches, comments included), macros after.
pub fn strip_comments(search: &str) -> Result<String> {
    const MARK: &str = "```";
    let mut out = String::with_capacity(search.len());
    let mut in_quotes = false;
    let mut rest = search;
    while let Some(c) = rest.chars().next() {
        if in_quotes {
            if c == '\\' && (rest[1..].starts_with('"') || rest[1..].starts_with('\\')) {
                out.push_str(&rest[..2]);
                rest = &rest[2..];
                continue;
            }
            in_quotes = c != '"';
        } else if c == '"' {
            in_quotes = true;
        } else if let Some(body) = rest.strip_prefix(MARK) {
            let Some(end) = body.find(MARK) else {
                let shown: String = rest.chars().take(60).collect();
                bail!("unterminated comment (``` without closing ```): {shown}");
            };
            out.push(' ');
            rest = &body[end + MARK.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

/// The first backquote of `s` outside a double-quoted string (`\"` and
/// `\\` escape inside one: Search Manual, "Quotes and escaping
/// characters").
fn unquoted_backquote(s: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if quoted {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
        } else if c == '"' {
            quoted = true;
        } else if c == '`' {
            return Some(i);
        }
    }
    None
}

/// `name` or `name(a, b)`: arguments split at top-level commas (not inside
/// quotes or parentheses) and trimmed.
fn parse_call(call: &str) -> Result<(String, Vec<String>)> {
    let Some(p) = call.find('(') else {
        return Ok((call.to_string(), Vec::new()));
    };
    if !call.ends_with(')') {
        bail!("malformed macro call `{call}`");
    }
    let name = call[..p].trim().to_string();
    let inner = &call[p + 1..call.len() - 1];
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '(' => {
                    depth += 1;
                    cur.push(c);
                }
                ')' => {
                    depth -= 1;
                    cur.push(c);
                }
                ',' if depth == 0 => args.push(std::mem::take(&mut cur).trim().to_string()),
                _ => cur.push(c),
            },
        }
    }
    if !inner.trim().is_empty() || !args.is_empty() {
        args.push(cur.trim().to_string());
    }
    Ok((name, args))
}

/// Substitutes dashboard tokens in a search as a Simple XML dashboard does
/// before it dispatches the search.
///
/// Docs: Token usage in dashboards (Simple XML),
/// <https://docs.splunk.com/Documentation/Splunk/6.4.1/Viz/tokens>: "In a
/// search, token name syntax uses $...$ delimiters."; the Web Framework
/// token syntax (<http://dev.splunk.com/view/webframework-developapps/SP-CAAAEWY>):
/// "When a property has one or more tokens, that property is undefined
/// until all of its tokens take a value. In the example above, the search
/// does not run until both $indexName$ and $keywords$ are set." Token
/// filters (Dashboard Studio > Tokens, 10.0,
/// <https://help.splunk.com/en/splunk-enterprise/create-dashboards-and-reports/dashboard-studio/10.0/make-dashboards-dynamic-and-interactive/tokens>;
/// the Simple XML page defers to "Token filters" for the syntax):
/// `$token_name|s$` "Ensures that quotation marks surround the value that
/// the token references. Escapes all quotation characters, ", within the
/// quoted value."; `|h` "Ensures that the token value is valid for HTML
/// formatting."; `|u` "Ensures that the token value is valid to use as a
/// URL."; `|n` "Prevents the default token filter from running. No
/// characters in the token are escaped."
///
/// The docs give no grammar; the grammar and the filters' exact output are
/// those of Splunk's public `splunkjs/mvc/tokenutils.js` and
/// `tokenawaremodel.js` (splunk/splunk-webframework, server/static/splunkjs):
/// - A token or a literal dollar is `\$(\w+:)?([^$|:]+?)(\|[|\w]+)?\$` or
///   `\$\$`, matched left to right; `$$` is a literal `$`. A token name is
///   any run of characters other than `$`, `|` and `:` (spaces included),
///   `ns:` names a namespace (looked up here as the key `ns:name`), and a
///   filter chain is old style (`|s`, `|suh`: one to three of the letters
///   s, u, h, applied in order) or new style (`|f1|f2`). A `$` that starts
///   no match is literal text. Substituted values are not scanned again.
/// - A search whose token has no value, or names a filter that does not
///   exist, is not dispatched ("templateSatisfied" is false): an error
///   here, naming the token.
/// - Filters: `s`/`search` is `JSON.stringify(String(v))` (double quotes
///   around, `"` and `\` escaped, control characters as JSON escapes -- so
///   more than the docs' "Escapes all quotation characters"); `u`/`url` is
///   `encodeURIComponent`; `h`/`html` is underscore's `_.escape` (`&`, `<`,
///   `>`, `"`, `'`, backquote; underscore 1.7 and later); `n`/`noEscape`
///   leaves the value as it is.
/// - No default filter applies to a token in a search: a model escapes
///   substituted values only when its owner passes a `tokenEscaper`, which
///   a search's text does not get, so a value lands in the search as it is
///   unless the token names a filter (`|n` then changes nothing).
pub fn substitute_tokens(search: &str, tokens: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::with_capacity(search.len());
    let mut rest = search;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p..];
        if let Some(t) = match_token(after) {
            let key = match t.namespace {
                Some(ns) => format!("{ns}:{}", t.name),
                None => t.name.to_string(),
            };
            let token = &after[..t.len];
            let mut v = tokens
                .get(&key)
                .ok_or_else(|| {
                    anyhow!("token `{token}` has no value: the dashboard does not run the search until it has one")
                })?
                .clone();
            for f in &t.filters {
                v = match *f {
                    "s" | "search" => json_string(&v),
                    "u" | "url" => encode_uri_component(&v),
                    "h" | "html" => html_escape(&v),
                    "n" | "noEscape" => v,
                    other => bail!(
                        "token `{token}`: no filter `{other}`: the dashboard does not run the search"
                    ),
                };
            }
            out.push_str(&v);
            rest = &after[t.len..];
        } else if let Some(r) = after.strip_prefix("$$") {
            out.push('$');
            rest = r;
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// One token at the start of a text (see [`substitute_tokens`]).
struct TokenMatch<'a> {
    namespace: Option<&'a str>,
    name: &'a str,
    filters: Vec<&'a str>,
    /// Bytes from the opening `$` through the closing one.
    len: usize,
}

/// Matches `\$(\w+:)?([^$|:]+?)(\|[|\w]+)?\$` at the start of `text` (which
/// starts with `$`), as JavaScript's regex engine would. `\w` is ASCII
/// `[A-Za-z0-9_]`. The lazy name can only end where `$`, `|` or `:` comes,
/// and the filter chain must be followed by `$`, so at most one match is
/// possible and no backtracking is needed.
fn match_token(text: &str) -> Option<TokenMatch<'_>> {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = text.as_bytes();
    let mut i = 1;
    // The namespace: a run of word characters followed by `:`. Without it
    // the name could not contain the `:` that follows, so a run ending in
    // `:` that is not a namespace never matches.
    let run = b[i..].iter().take_while(|&&c| is_word(c)).count();
    let namespace = if run > 0 && b.get(i + run) == Some(&b':') {
        let ns = &text[i..i + run];
        i += run + 1;
        Some(ns)
    } else {
        None
    };
    let name_len = b[i..]
        .iter()
        .take_while(|&&c| !matches!(c, b'$' | b'|' | b':'))
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &text[i..i + name_len];
    i += name_len;
    let mut filters = Vec::new();
    match b.get(i) {
        Some(b'$') => {}
        Some(b'|') => {
            let chain_len = b[i + 1..]
                .iter()
                .take_while(|&&c| c == b'|' || is_word(c))
                .count();
            if chain_len == 0 || b.get(i + 1 + chain_len) != Some(&b'$') {
                return None;
            }
            let chain = &text[i + 1..i + 1 + chain_len];
            let names: Vec<&str> = chain.split('|').collect();
            // Old style: one to three of the letters s, u, h, each a filter.
            if names.len() == 1
                && (1..=3).contains(&chain.len())
                && chain.bytes().all(|c| matches!(c, b's' | b'u' | b'h'))
            {
                filters = (0..chain.len()).map(|k| &chain[k..k + 1]).collect();
            } else {
                filters = names;
            }
            i += 1 + chain_len;
        }
        _ => return None,
    }
    Some(TokenMatch {
        namespace,
        name,
        filters,
        len: i + 1,
    })
}

/// JavaScript's `JSON.stringify` of a string: quoted, with `"` and `\`
/// escaped, `\b \f \n \r \t` as such and other control characters below
/// U+0020 as `\u00xx`; everything else as it is.
fn json_string(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// JavaScript's `encodeURIComponent`: every character but `A-Z a-z 0-9 - _
/// . ! ~ * ' ( )` as its UTF-8 bytes, each `%XX` (uppercase hex).
fn encode_uri_component(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for &byte in v.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// underscore's `_.escape` (1.7 and later): `& < > " ' `` ` `` as HTML
/// entities.
fn html_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            c => out.push(c),
        }
    }
    out
}
