//! A PromQL label matcher as a filter of the plan ([`super::ir`]): a
//! condition `mstats` applies while reading (fast, and the index does the
//! work) or, where a search filter cannot say the same thing, a `where`
//! condition applied after it.
//!
//! PromQL regexes are fully anchored RE2; a search filter has only `*`
//! wildcards. A regex that is an alternation of literals and `.*` becomes
//! wildcards; any other regex stays a regex, `match(field, "^(?:re)$")`.
//! PromQL treats a missing label as the empty string, so a matcher that
//! matches "" also matches series without the label; SPL's `NOT f=...`
//! already does, and the regex case adds `isnull(f)`.

use super::ir::{Cond, Pred};
use super::{quote, Binding, CompileError, Options};
use crate::promql::ast::{MatchOp, Matcher, Template, TemplatePart};

/// What one matcher becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Nothing to filter (`=~".*"`, or a variable bound to no filter).
    None,
    /// Conditions for the `mstats` WHERE clause, all of which must hold.
    Search(Vec<Pred>),
    /// A condition for `where`, after `mstats`; the field must then be
    /// among the BY fields.
    Where(Cond),
}

/// The Splunk field of a PromQL label.
pub fn field_of(label: &str) -> String {
    match label {
        "instance" => "host".to_string(),
        other => crate::convert::names::dimension_name(other).to_string(),
    }
}

pub fn compile(m: &Matcher, opts: &Options) -> Result<Filter, CompileError> {
    let err = |message: String| CompileError {
        message,
        span: m.span,
    };
    let field = field_of(&m.label);
    if m.label == "instance" {
        if let Some((host, job)) = split_instance(m, opts)? {
            // host:port -> the host's filter and the endpoint's job.
            return Ok(match compile(&host, opts)? {
                Filter::None => Filter::Search(vec![Pred::eq("job", &job)]),
                Filter::Search(mut p) => {
                    p.push(Pred::eq("job", &job));
                    Filter::Search(p)
                }
                Filter::Where(c) => Filter::Where(Cond::And(vec![
                    Cond::Paren(Box::new(c)),
                    Cond::Equals {
                        field: "job".into(),
                        value: job,
                    },
                ])),
            });
        }
    }
    // A matcher whose whole value is one variable bound to a predicate.
    if let [TemplatePart::Var(name)] = m.value.parts.as_slice() {
        if let Some(Binding::Predicate(p)) = opts.vars.get(name) {
            if p.is_empty() || opts.node_filter.as_deref() == Some(p.as_str()) {
                return Ok(Filter::None);
            }
            let p = Pred::Spl(p.clone());
            return Ok(Filter::Search(vec![match m.op {
                MatchOp::Eq | MatchOp::Re => p,
                MatchOp::Ne | MatchOp::Nre => Pred::not(p),
            }]));
        }
    }
    // Otherwise variables are text: a bound value, or a dashboard token.
    let mut value = String::new();
    let mut has_token = false;
    for part in &m.value.parts {
        match part {
            TemplatePart::Text(t) => value.push_str(t),
            TemplatePart::Var(name) => match opts.vars.get(name) {
                Some(Binding::Value(v)) => value.push_str(v),
                Some(Binding::Token(t)) => {
                    has_token = true;
                    value.push('$');
                    value.push_str(t);
                    value.push('$');
                }
                Some(Binding::Predicate(_)) => {
                    return Err(err(format!(
                        "variable `${name}` stands for a whole filter and cannot be part of a longer value"
                    )))
                }
                Some(Binding::Spl(_)) => {
                    return Err(err(format!(
                        "variable `${name}` stands for a number, not a label value"
                    )))
                }
                None => {
                    has_token = true;
                    value.push('$');
                    value.push_str(name);
                    value.push('$');
                }
            },
        }
    }
    if m.label == "instance" {
        value = strip_port(&value, m.op);
    }
    let search =
        |p: Pred, negate: bool| Filter::Search(vec![if negate { Pred::not(p) } else { p }]);
    match m.op {
        MatchOp::Eq | MatchOp::Ne => {
            let negate = m.op == MatchOp::Ne;
            if value.is_empty() {
                // PromQL: `l=""` selects series without the label.
                return Ok(search(Pred::Present(field), !negate));
            }
            if value.contains('*') {
                // A search filter would read `*` as a wildcard.
                let c = Cond::Equals {
                    field: field.clone(),
                    value,
                };
                // In parentheses: the planner joins a selector's conditions
                // with AND, which binds tighter than OR.
                return Ok(Filter::Where(if negate {
                    Cond::Paren(Box::new(Cond::Or(vec![Cond::IsNull(field), Cond::not(c)])))
                } else {
                    c
                }));
            }
            Ok(search(Pred::Eq { field, value }, negate))
        }
        MatchOp::Re | MatchOp::Nre => {
            let negate = m.op == MatchOp::Nre;
            // A regex holding a dashboard token is only known at search time.
            let matches_empty = if has_token {
                false
            } else {
                regex::Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| err(format!("invalid regular expression {}: {e}", quote(&value))))?
                    .is_match("")
            };
            if !has_token {
                if let Some(alts) = wildcards(&value) {
                    if alts.iter().any(|a| a == "*") {
                        // `.*` matches every value and the missing label.
                        return Ok(if negate {
                            Filter::Search(vec![
                                Pred::Present(field.clone()),
                                Pred::not(Pred::Present(field)),
                            ])
                        } else {
                            Filter::None
                        });
                    }
                    let mut ors: Vec<Pred> = alts
                        .iter()
                        .filter(|a| !a.is_empty())
                        .map(|a| Pred::eq(&field, a))
                        .collect();
                    if matches_empty {
                        ors.push(Pred::not(Pred::Present(field)));
                    }
                    let p = match ors.len() {
                        1 => ors.remove(0),
                        _ => Pred::Any(ors),
                    };
                    return Ok(search(p, negate));
                }
            }
            let m = Cond::Matches {
                field: field.clone(),
                regex: value,
            };
            let c = if matches_empty {
                // Missing: null, or mstats' placeholder (super::ABSENT).
                Cond::Paren(Box::new(Cond::Or(vec![
                    Cond::IsNull(field.clone()),
                    Cond::Equals {
                        field,
                        value: super::ABSENT.to_string(),
                    },
                    m,
                ])))
            } else {
                m
            };
            Ok(Filter::Where(if negate { Cond::not(c) } else { c }))
        }
    }
}

/// With [`Options::instance_ports`] set, an `instance` matcher written
/// `HOST:PORT` becomes a matcher on the host alone and the job of that port.
/// `None` when no port table is set or the value has no `:`.
fn split_instance(m: &Matcher, opts: &Options) -> Result<Option<(Matcher, String)>, CompileError> {
    if opts.instance_ports.is_empty() {
        return Ok(None);
    }
    // The last `:` in the text parts separates host and port.
    let parts = &m.value.parts;
    let Some((i, at)) = parts.iter().enumerate().rev().find_map(|(i, p)| match p {
        TemplatePart::Text(t) => t.rfind(':').map(|at| (i, at)),
        TemplatePart::Var(_) => None,
    }) else {
        return Ok(None);
    };
    let TemplatePart::Text(t) = &parts[i] else {
        return Ok(None);
    };
    let mut host: Vec<TemplatePart> = parts[..i].to_vec();
    if at > 0 {
        host.push(TemplatePart::Text(t[..at].to_string()));
    }
    let mut port = t[at + 1..].to_string();
    for p in &parts[i + 1..] {
        match p {
            TemplatePart::Text(x) => port.push_str(x),
            TemplatePart::Var(v) => {
                port.push('$');
                port.push_str(v);
            }
        }
    }
    let Some(job) = opts.instance_ports.get(&port) else {
        return Err(CompileError {
            message: format!(
                "no endpoint is known for port `{port}` of `instance` (known: {})",
                opts.instance_ports
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            span: m.span,
        });
    };
    Ok(Some((
        Matcher {
            label: m.label.clone(),
            op: m.op,
            value: Template { parts: host },
            span: m.span,
        },
        job.clone(),
    )))
}

/// `instance` is `host:port` in Prometheus; a Splunk host has no port, so a
/// trailing `:port` (digits, a token, or a regex for digits) is dropped.
fn strip_port(value: &str, op: MatchOp) -> String {
    let Some(i) = value.rfind(':') else {
        return value.to_string();
    };
    let port = &value[i + 1..];
    let is_token = port.len() > 2
        && port.starts_with('$')
        && port.ends_with('$')
        && !port[1..port.len() - 1].contains('$');
    let is_digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    let is_regex = matches!(op, MatchOp::Re | MatchOp::Nre)
        && matches!(port, "[0-9]+" | "\\d+" | ".*" | "[0-9]*");
    if is_token || is_digits || is_regex {
        value[..i].to_string()
    } else {
        value.to_string()
    }
}

/// The regex as `|`-separated wildcard patterns, when it is one: each
/// alternative literal characters (escaped ones too) and `.*`. `None` for
/// anything else (classes, groups, other quantifiers).
fn wildcards(re: &str) -> Option<Vec<String>> {
    let mut alts = vec![String::new()];
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = alts.last_mut()?;
        match c {
            '|' => alts.push(String::new()),
            '.' if chars.peek() == Some(&'*') => {
                chars.next();
                if !cur.ends_with('*') {
                    cur.push('*');
                }
            }
            '\\' => {
                let e = chars.next()?;
                if e.is_ascii_alphanumeric() || e == '*' {
                    return None; // \d, \w, a literal `*`...
                }
                cur.push(e);
            }
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '$' => return None,
            c => cur.push(c),
        }
    }
    Some(alts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_that_are_wildcards() {
        assert_eq!(wildcards("replica.*"), Some(vec!["replica*".to_string()]));
        assert_eq!(
            wildcards("a|b\\.c"),
            Some(vec!["a".to_string(), "b.c".to_string()])
        );
        assert_eq!(wildcards(".*"), Some(vec!["*".to_string()]));
        assert_eq!(wildcards("a+"), None);
        assert_eq!(wildcards("[0-9]"), None);
        assert_eq!(wildcards("\\d"), None);
    }

    #[test]
    fn ports_are_dropped_from_instance() {
        assert_eq!(strip_port("$calls$:$port$", MatchOp::Re), "$calls$");
        assert_eq!(strip_port("mm1:8067", MatchOp::Eq), "mm1");
        assert_eq!(strip_port("mm1", MatchOp::Eq), "mm1");
        assert_eq!(
            strip_port("(.*offloader.*):9100", MatchOp::Re),
            "(.*offloader.*)"
        );
    }
}
