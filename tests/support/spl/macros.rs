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
    pub fn expand(&self, search: &str) -> Result<String> {
        let mut s = search.to_string();
        let mut expansions = 0;
        while let Some(start) = s.find('`') {
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
            s.replace_range(start..=end, &def);
            expansions += 1;
            if expansions > 1000 {
                bail!("macro expansion does not terminate (recursive macro?)");
            }
        }
        Ok(s)
    }
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

/// Replaces dashboard tokens `$name$` by their values, textually (Simple XML
/// Reference > Token usage: "$token_name$" in a search is replaced by the
/// token's value before the search runs; `$$` is a literal `$`). An unknown
/// token is an error: the dashboard would not run the search.
pub fn substitute_tokens(search: &str, tokens: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::with_capacity(search.len());
    let mut rest = search;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
            continue;
        }
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('$') {
            let name = &after[..name_len];
            let v = tokens
                .get(name)
                .ok_or_else(|| anyhow!("token `${name}$` has no value"))?;
            out.push_str(v);
            rest = &after[name_len + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}
