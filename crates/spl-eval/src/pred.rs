//! Search-language predicates: the `search` command and the WHERE clauses of
//! `mstats` and `mcatalog`.

use anyhow::{bail, Result};

use super::lexer::{Cursor, Tok};
use super::value::{parse_num, wildcard_match, wildcard_match_ci};

#[derive(Debug, Clone)]
pub enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Cmp {
        field: String,
        op: CmpOp,
        value: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Parses a predicate from tokens. Search Manual > Boolean expressions:
/// the operators are NOT, OR, AND (uppercase), evaluated NOT first, then
/// OR, then AND ("The AND operator is always implied between terms", and
/// "the order in which Boolean expressions are evaluated: NOT, OR, AND"),
/// with parentheses to group.
pub fn parse(toks: &[Tok]) -> Result<Pred> {
    let mut c = Cursor {
        toks: toks.to_vec(),
        pos: 0,
    };
    if c.at_end() {
        bail!("empty search predicate");
    }
    let p = parse_and(&mut c)?;
    if !c.at_end() {
        bail!("unexpected {:?} in search predicate", c.peek().unwrap());
    }
    Ok(p)
}

// AND binds loosest (Search Manual > Boolean expressions: OR is evaluated
// before AND, so `a OR b c` is `(a OR b) AND c`).
fn parse_and(c: &mut Cursor) -> Result<Pred> {
    let mut items = vec![parse_or(c)?];
    loop {
        if c.eat(&Tok::Word("AND".into())) {
            items.push(parse_or(c)?);
        } else if c.peek().is_some_and(|t| *t != Tok::RParen) {
            // An implied AND between juxtaposed terms.
            items.push(parse_or(c)?);
        } else {
            break;
        }
    }
    Ok(if items.len() == 1 {
        items.pop().unwrap()
    } else {
        Pred::And(items)
    })
}

fn parse_or(c: &mut Cursor) -> Result<Pred> {
    let mut items = vec![parse_not(c)?];
    while c.eat(&Tok::Word("OR".into())) {
        items.push(parse_not(c)?);
    }
    Ok(if items.len() == 1 {
        items.pop().unwrap()
    } else {
        Pred::Or(items)
    })
}

fn parse_not(c: &mut Cursor) -> Result<Pred> {
    if c.eat(&Tok::Word("NOT".into())) {
        return Ok(Pred::Not(Box::new(parse_not(c)?)));
    }
    parse_primary(c)
}

fn parse_primary(c: &mut Cursor) -> Result<Pred> {
    match c.next() {
        Some(Tok::LParen) => {
            let p = parse_and(c)?;
            if !c.eat(&Tok::RParen) {
                bail!("expected `)` in search predicate");
            }
            Ok(p)
        }
        Some(Tok::Word(field)) => {
            if matches!(field.as_str(), "AND" | "OR") {
                bail!("search predicate: `{field}` without a left operand");
            }
            let op = match c.next() {
                Some(Tok::Op(op)) => match op.as_str() {
                    "=" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" => CmpOp::Ge,
                    _ => bail!("search predicate: operator `{op}` is not supported"),
                },
                _ => bail!(
                    "search predicate: free-text term `{field}` is not supported (only field=value terms)"
                ),
            };
            let value = match c.next() {
                Some(Tok::Word(v)) | Some(Tok::Str(v)) => v,
                other => {
                    bail!("search predicate: expected a value after `{field}`, found {other:?}")
                }
            };
            Ok(Pred::Cmp { field, op, value })
        }
        Some(Tok::Str(s)) => bail!("search predicate: free-text term \"{s}\" is not supported"),
        other => bail!("search predicate: unexpected {other:?}"),
    }
}

/// How `=` and `!=` compare a field's value with the value searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// The `search` command: Search Manual > Use CASE() and TERM() to match
    /// phrases: "By default, searches are case-insensitive".
    Insensitive,
    /// The WHERE clause of mstats and mcatalog: Search Reference > mstats
    /// (<https://help.splunk.com/splunk-enterprise/spl-search-reference/10.0/search-commands/mstats>),
    /// WHERE clause: "All metrics search commands are case sensitive." and
    /// "The WHERE clause is case-sensitive when it filters mstats results
    /// by field values."
    Sensitive,
}

impl Pred {
    /// Evaluates the predicate as the `search` command does (values match
    /// case-insensitively); `get` returns a field's values (empty when the
    /// field is absent).
    pub fn eval(&self, get: &dyn Fn(&str) -> Vec<String>) -> bool {
        self.eval_case(get, Case::Insensitive)
    }

    /// Evaluates the predicate as the WHERE clause of the metrics search
    /// commands (mstats, mcatalog) does: values match case-sensitively.
    pub fn eval_case_sensitive(&self, get: &dyn Fn(&str) -> Vec<String>) -> bool {
        self.eval_case(get, Case::Sensitive)
    }

    fn eval_case(&self, get: &dyn Fn(&str) -> Vec<String>, case: Case) -> bool {
        let matches = |pattern: &str, v: &str| match case {
            Case::Insensitive => wildcard_match_ci(pattern, v),
            Case::Sensitive => {
                let p: Vec<char> = pattern.chars().collect();
                let t: Vec<char> = v.chars().collect();
                wildcard_match(&p, &t)
            }
        };
        match self {
            Pred::And(items) => items.iter().all(|p| p.eval_case(get, case)),
            Pred::Or(items) => items.iter().any(|p| p.eval_case(get, case)),
            // Search Manual > Difference between != and NOT: "If you search
            // with the NOT operator, every event is returned except the
            // events that contain the value you specify. This includes events
            // that do not have a value in the field."
            Pred::Not(p) => !p.eval_case(get, case),
            Pred::Cmp { field, op, value } => {
                let values = get(field);
                match op {
                    // Case sensitivity as `case` says; Search Manual >
                    // Wildcards: `*` matches any characters, so `field=*`
                    // matches every event that has the field. mstats: "The
                    // mstats command supports wildcard characters in any
                    // search filter"; "Comparison expressions with the equal
                    // ( = ) or not equal ( != ) operator compare string
                    // values. For example, "1" does not match "1.0"."
                    CmpOp::Eq => values.iter().any(|v| matches(value, v)),
                    // Search Manual > Difference between != and NOT: "every
                    // event that has a value in the field, where that value
                    // does not match the value you specify, is returned.
                    // Events that do not have a value in the field are not
                    // included." (A multivalue field qualifies when none of its
                    // values match -- the docs are silent on multivalue.)
                    CmpOp::Ne => !values.is_empty() && !values.iter().any(|v| matches(value, v)),
                    // Search Manual > Use comparison operators: `<`, `>` etc.
                    // compare numerically when both sides are numbers,
                    // otherwise lexicographically.
                    _ => values.iter().any(|v| {
                        let ord = match (parse_num(v), parse_num(value)) {
                            (Some(a), Some(b)) => a.partial_cmp(&b),
                            _ => Some(v.as_str().cmp(value.as_str())),
                        };
                        match ord {
                            None => false,
                            Some(o) => match op {
                                CmpOp::Lt => o.is_lt(),
                                CmpOp::Le => o.is_le(),
                                CmpOp::Gt => o.is_gt(),
                                CmpOp::Ge => o.is_ge(),
                                _ => unreachable!(),
                            },
                        }
                    }),
                }
            }
        }
    }

    /// Whether any term of the predicate tests `field`.
    pub fn mentions(&self, field: &str) -> bool {
        match self {
            Pred::And(items) | Pred::Or(items) => items.iter().any(|p| p.mentions(field)),
            Pred::Not(p) => p.mentions(field),
            Pred::Cmp { field: f, .. } => f == field,
        }
    }
}
