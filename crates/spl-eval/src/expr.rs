//! Eval expressions: the `eval` and `where` commands.

use anyhow::{anyhow, bail, Result};
use regex::Regex;

use super::lexer::read_quoted;
use super::value::{fmt_num, parse_num, Field, Row, Value};

#[derive(Debug, Clone)]
pub enum Expr {
    Num(f64),
    Str(String),
    Field(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    /// A function call; the regex is precompiled when the pattern argument
    /// of match/like/replace is a literal.
    Call(Func, Vec<Expr>, Option<Regex>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Func {
    If,
    Case,
    Coalesce,
    Null,
    True,
    False,
    IsNull,
    IsNotNull,
    IsNum,
    IsStr,
    ToNumber,
    ToString,
    Round,
    Floor,
    Ceil,
    Abs,
    Min,
    Max,
    Pow,
    Sqrt,
    Exact,
    Match,
    Like,
    Len,
    Replace,
    Now,
    MvJoin,
    Split,
    MvRange,
    NullIf,
}

/// The eval functions the evaluator models, with their arities
/// (Search Reference > Evaluation functions). Anything else is an error.
fn lookup_func(name: &str) -> Option<(Func, usize, usize)> {
    use Func::*;
    Some(match name {
        "if" => (If, 3, 3),
        "case" => (Case, 2, usize::MAX),
        "coalesce" => (Coalesce, 1, usize::MAX),
        "null" => (Null, 0, 0),
        "true" => (True, 0, 0),
        "false" => (False, 0, 0),
        "isnull" => (IsNull, 1, 1),
        "isnotnull" => (IsNotNull, 1, 1),
        "isnum" => (IsNum, 1, 1),
        "isstr" => (IsStr, 1, 1),
        "tonumber" => (ToNumber, 1, 2),
        "tostring" => (ToString, 1, 2),
        "round" => (Round, 1, 2),
        "floor" => (Floor, 1, 1),
        "ceil" | "ceiling" => (Ceil, 1, 1),
        "abs" => (Abs, 1, 1),
        "min" => (Min, 1, usize::MAX),
        "max" => (Max, 1, usize::MAX),
        "pow" => (Pow, 2, 2),
        "sqrt" => (Sqrt, 1, 1),
        "exact" => (Exact, 1, 1),
        "match" => (Match, 2, 2),
        "like" => (Like, 2, 2),
        "len" => (Len, 1, 1),
        "replace" => (Replace, 3, 3),
        "now" => (Now, 0, 0),
        "mvjoin" => (MvJoin, 2, 2),
        "split" => (Split, 2, 2),
        "nullif" => (NullIf, 2, 2),
        "mvrange" => (MvRange, 2, 3),
        _ => return None,
    })
}

// ---------------------------------------------------------------- lexing

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(text: &str) -> Result<Vec<T>> {
    let cs: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            if i < cs.len() && (cs[i] == 'e' || cs[i] == 'E') {
                let save = i;
                i += 1;
                if i < cs.len() && (cs[i] == '+' || cs[i] == '-') {
                    i += 1;
                }
                if i < cs.len() && cs[i].is_ascii_digit() {
                    while i < cs.len() && cs[i].is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    i = save;
                }
            }
            let s: String = cs[start..i].iter().collect();
            let n = parse_num(&s).ok_or_else(|| anyhow!("eval: bad number `{s}`"))?;
            out.push(T::Num(n));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(T::Ident(cs[start..i].iter().collect()));
            continue;
        }
        match c {
            '"' => {
                let (s, next) = read_quoted(&cs, i, '"')?;
                out.push(T::Str(s));
                i = next;
            }
            // Search Reference > eval > Usage: field names that contain
            // anything but letters, digits and underscores are written in
            // single quotes.
            '\'' => {
                let (s, next) = read_quoted(&cs, i, '\'')?;
                out.push(T::Ident(s));
                i = next;
            }
            '(' => {
                out.push(T::LParen);
                i += 1;
            }
            ')' => {
                out.push(T::RParen);
                i += 1;
            }
            ',' => {
                out.push(T::Comma);
                i += 1;
            }
            _ => {
                let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
                let op: &'static str = match two.as_str() {
                    "==" => "==",
                    "!=" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ => match c {
                        '+' => "+",
                        '-' => "-",
                        '*' => "*",
                        '/' => "/",
                        '%' => "%",
                        '.' => ".",
                        '=' => "=",
                        '<' => "<",
                        '>' => ">",
                        _ => bail!("eval: unexpected character `{c}` in `{text}`"),
                    },
                };
                out.push(T::Op(op));
                i += op.len();
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- parsing

struct P {
    toks: Vec<T>,
    pos: usize,
    src: String,
}

impl P {
    fn peek(&self) -> Option<&T> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<T> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(T::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    // Search Reference > eval > Operators writes the Boolean operators in
    // uppercase (AND, OR, NOT, XOR, LIKE); lowercase is not accepted here
    // (a field named `and` stays a field).
    fn eat_kw(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(T::Ident(w)) if w == kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn err<X>(&self, what: &str) -> Result<X> {
        Err(anyhow!(
            "eval: {what} at token {} of `{}`",
            self.pos,
            self.src
        ))
    }

    // Precedence, loosest first. Search Reference > eval > Operators lists
    // the operators but no precedence table; the docs are silent, so this is
    // the conventional order (the one the docs' examples rely on):
    // OR XOR < AND < NOT < = == != LIKE < < <= > >= < + - . < * / % <
    // unary minus. Parentheses group.
    fn or(&mut self) -> Result<Expr> {
        let mut l = self.and()?;
        loop {
            if self.eat_kw("OR") {
                let r = self.and()?;
                l = Expr::Bin(Op::Or, Box::new(l), Box::new(r));
            } else if self.eat_kw("XOR") {
                let r = self.and()?;
                l = Expr::Bin(Op::Xor, Box::new(l), Box::new(r));
            } else {
                return Ok(l);
            }
        }
    }
    fn and(&mut self) -> Result<Expr> {
        let mut l = self.not()?;
        while self.eat_kw("AND") {
            let r = self.not()?;
            l = Expr::Bin(Op::And, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Expr> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.eq()
    }
    fn eq(&mut self) -> Result<Expr> {
        let mut l = self.rel()?;
        loop {
            let op = if self.eat_op("=") || self.eat_op("==") {
                Op::Eq
            } else if self.eat_op("!=") {
                Op::Ne
            } else if self.eat_kw("LIKE") {
                let r = self.rel()?;
                l = make_call(Func::Like, vec![l, r])?;
                continue;
            } else {
                return Ok(l);
            };
            let r = self.rel()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn rel(&mut self) -> Result<Expr> {
        let mut l = self.add()?;
        loop {
            let op = if self.eat_op("<") {
                Op::Lt
            } else if self.eat_op("<=") {
                Op::Le
            } else if self.eat_op(">") {
                Op::Gt
            } else if self.eat_op(">=") {
                Op::Ge
            } else {
                return Ok(l);
            };
            let r = self.add()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn add(&mut self) -> Result<Expr> {
        let mut l = self.mul()?;
        loop {
            let op = if self.eat_op("+") {
                Op::Add
            } else if self.eat_op("-") {
                Op::Sub
            } else if self.eat_op(".") {
                Op::Concat
            } else {
                return Ok(l);
            };
            let r = self.mul()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn mul(&mut self) -> Result<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = if self.eat_op("*") {
                Op::Mul
            } else if self.eat_op("/") {
                Op::Div
            } else if self.eat_op("%") {
                Op::Mod
            } else {
                return Ok(l);
            };
            let r = self.unary()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn unary(&mut self) -> Result<Expr> {
        if self.eat_op("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat_op("+") {
            return self.unary();
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Expr> {
        match self.next() {
            Some(T::Num(n)) => Ok(Expr::Num(n)),
            Some(T::Str(s)) => Ok(Expr::Str(s)),
            Some(T::LParen) => {
                let e = self.or()?;
                if self.next() != Some(T::RParen) {
                    return self.err("expected `)`");
                }
                Ok(e)
            }
            Some(T::Ident(name)) => {
                if self.peek() != Some(&T::LParen) {
                    if matches!(name.as_str(), "AND" | "OR" | "NOT" | "XOR" | "LIKE") {
                        return self.err(&format!("unexpected `{name}`"));
                    }
                    return Ok(Expr::Field(name));
                }
                self.pos += 1;
                let Some((func, min, max)) = lookup_func(&name) else {
                    bail!(
                        "eval function `{name}` is not supported by the evaluator (in `{}`)",
                        self.src
                    );
                };
                let mut args = Vec::new();
                if self.peek() == Some(&T::RParen) {
                    self.pos += 1;
                } else {
                    loop {
                        args.push(self.or()?);
                        match self.next() {
                            Some(T::Comma) => continue,
                            Some(T::RParen) => break,
                            _ => return self.err(&format!("expected `,` or `)` in {name}()")),
                        }
                    }
                }
                if args.len() < min || args.len() > max {
                    bail!(
                        "eval function `{name}` takes {min}..{max} arguments, got {}",
                        args.len()
                    );
                }
                if func == Func::Case && args.len() % 2 != 0 {
                    bail!("eval function case() takes condition/value pairs");
                }
                make_call(func, args)
            }
            other => self.err(&format!("unexpected {other:?}")),
        }
    }
}

fn make_call(func: Func, args: Vec<Expr>) -> Result<Expr> {
    let re = match (func, args.get(1)) {
        (Func::Match | Func::Replace, Some(Expr::Str(p))) => Some(compile_regex(p)?),
        (Func::Like, Some(Expr::Str(p))) => Some(like_regex(p)?),
        _ => None,
    };
    Ok(Expr::Call(func, args, re))
}

// Search Reference > Text functions > match / replace: the regex is PCRE;
// the Rust regex crate has the same syntax for everything but lookaround and
// backreferences, which fail to compile here (loudly).
fn compile_regex(p: &str) -> Result<Regex> {
    Regex::new(p).map_err(|e| anyhow!("regex `{p}` is not supported: {e}"))
}

// Search Reference > Comparison and Conditional functions > like: the
// pattern matches the whole text; `%` matches any number of characters,
// `_` exactly one.
fn like_regex(p: &str) -> Result<Regex> {
    let mut re = String::from("(?s)^");
    for c in p.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    compile_regex(&re)
}

/// Parses one expression (the whole text).
pub fn parse_expr(text: &str) -> Result<Expr> {
    let mut p = P {
        toks: lex(text)?,
        pos: 0,
        src: text.to_string(),
    };
    if p.toks.is_empty() {
        bail!("empty eval expression");
    }
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return p.err("unexpected trailing input");
    }
    Ok(e)
}

/// Parses `eval` arguments: `field=expr [, field=expr]...`.
pub fn parse_assignments(text: &str) -> Result<Vec<(String, Expr)>> {
    let mut p = P {
        toks: lex(text)?,
        pos: 0,
        src: text.to_string(),
    };
    let mut out = Vec::new();
    loop {
        let name = match p.next() {
            Some(T::Ident(n)) | Some(T::Str(n)) => n,
            _ => return p.err("expected a field name"),
        };
        if !p.eat_op("=") {
            return p.err("expected `=` after the field name");
        }
        let e = p.or()?;
        out.push((name, e));
        match p.next() {
            None => return Ok(out),
            Some(T::Comma) => continue,
            _ => return p.err("expected `,` between eval assignments"),
        }
    }
}

// ---------------------------------------------------------------- evaluation

/// An evaluated expression. Booleans exist only inside expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Null,
    Num(f64),
    Str(String),
    Bool(bool),
    Multi(Vec<String>),
}

impl Ev {
    fn num(&self) -> Option<f64> {
        match self {
            Ev::Num(x) => Some(*x),
            Ev::Str(s) => parse_num(s),
            Ev::Multi(v) if v.len() == 1 => parse_num(&v[0]),
            _ => None,
        }
    }
    fn text(&self) -> Option<String> {
        match self {
            Ev::Num(x) => Some(fmt_num(*x)),
            Ev::Str(s) => Some(s.clone()),
            Ev::Multi(v) if v.len() == 1 => Some(v[0].clone()),
            _ => None,
        }
    }
    fn from_field(f: Option<&Field>) -> Ev {
        match f {
            None => Ev::Null,
            Some(Field::Num(x)) => Ev::Num(*x),
            Some(Field::Str(s)) => Ev::Str(s.clone()),
            Some(Field::Multi(v)) => Ev::Multi(v.clone()),
        }
    }
    fn num_or_null(x: f64) -> Ev {
        // A NaN or infinite result (sqrt(-1), pow overflow) is no number:
        // null. (The docs are silent; Splunk has no NaN literal.)
        if x.is_finite() {
            Ev::Num(x)
        } else {
            Ev::Null
        }
    }
}

/// What an expression may read besides the row.
pub struct Env {
    /// The value of now(): the search's "now" (the context's latest time).
    pub now: f64,
}

/// Converts an evaluated expression into a field value. A Boolean cannot
/// be stored in a field (Splunk's eval rejects it: "Fields cannot be
/// assigned a boolean result. Instead, try if(\[bool expr\], \[expr\],
/// \[expr\])"); a null result removes the field (Search Reference > eval:
/// assigning null() leaves the field empty).
pub fn to_value(ev: Ev, what: &str) -> Result<Value> {
    Ok(match ev {
        Ev::Null => None,
        Ev::Num(x) => Some(Field::Num(x)),
        Ev::Str(s) => Some(Field::Str(s)),
        Ev::Multi(v) => Some(Field::Multi(v)),
        Ev::Bool(_) => {
            bail!("eval: `{what}` cannot be assigned a boolean result; use if(cond, a, b)")
        }
    })
}

/// Evaluates a condition: Some(bool), or None for null.
pub fn eval_bool(e: &Expr, row: &Row, env: &Env) -> Result<Option<bool>> {
    match eval(e, row, env)? {
        Ev::Bool(b) => Ok(Some(b)),
        Ev::Null => Ok(None),
        other => bail!("a boolean expression was expected, got {other:?}"),
    }
}

fn bool_operand(ev: Ev, op: &str) -> Result<Option<bool>> {
    match ev {
        Ev::Bool(b) => Ok(Some(b)),
        Ev::Null => Ok(None),
        other => bail!("eval: {op} needs boolean operands, got {other:?}"),
    }
}

pub fn eval(e: &Expr, row: &Row, env: &Env) -> Result<Ev> {
    Ok(match e {
        Expr::Num(n) => Ev::Num(*n),
        Expr::Str(s) => Ev::Str(s.clone()),
        // Search Reference > eval > Usage: a field that does not exist in
        // the result is null.
        Expr::Field(f) => Ev::from_field(row.get(f)),
        Expr::Neg(x) => match eval(x, row, env)?.num() {
            Some(n) => Ev::Num(-n),
            None => Ev::Null,
        },
        // Boolean operators propagate null in three-valued logic (NOT null
        // = null). The docs are silent on null operands; this is the
        // behaviour implied by "null in, null out" and keeps `where`
        // rejecting rows whose condition is unknown.
        Expr::Not(x) => match bool_operand(eval(x, row, env)?, "NOT")? {
            Some(b) => Ev::Bool(!b),
            None => Ev::Null,
        },
        Expr::Bin(op, l, r) => eval_bin(*op, l, r, row, env)?,
        Expr::Call(func, args, re) => eval_call(*func, args, re.as_ref(), row, env)?,
    })
}

fn eval_bin(op: Op, l: &Expr, r: &Expr, row: &Row, env: &Env) -> Result<Ev> {
    match op {
        Op::And | Op::Or => {
            let a = bool_operand(eval(l, row, env)?, "AND/OR")?;
            // Short cut: false AND x = false, true OR x = true.
            if op == Op::And && a == Some(false) {
                return Ok(Ev::Bool(false));
            }
            if op == Op::Or && a == Some(true) {
                return Ok(Ev::Bool(true));
            }
            let b = bool_operand(eval(r, row, env)?, "AND/OR")?;
            return Ok(match (op, a, b) {
                (Op::And, _, Some(false)) => Ev::Bool(false),
                (Op::And, Some(true), Some(true)) => Ev::Bool(true),
                (Op::Or, _, Some(true)) => Ev::Bool(true),
                (Op::Or, Some(false), Some(false)) => Ev::Bool(false),
                _ => Ev::Null,
            });
        }
        Op::Xor => {
            let a = bool_operand(eval(l, row, env)?, "XOR")?;
            let b = bool_operand(eval(r, row, env)?, "XOR")?;
            return Ok(match (a, b) {
                (Some(x), Some(y)) => Ev::Bool(x != y),
                _ => Ev::Null,
            });
        }
        _ => {}
    }
    let a = eval(l, row, env)?;
    let b = eval(r, row, env)?;
    // A null operand makes arithmetic, concatenation and comparison null.
    // The docs do not state this as a rule (Search Reference > Evaluation
    // functions > Informational functions offers isnull()/isnotnull() to test
    // for it); it is Splunk's behaviour and the design notes fix it
    // ("Operations on null give null").
    if a == Ev::Null || b == Ev::Null {
        return Ok(Ev::Null);
    }
    Ok(match op {
        // Search Reference > eval > Operators: `+` adds two numbers and
        // concatenates two strings; a number and a non-numeric string give
        // null (the docs are silent on the mix).
        Op::Add => match (a.num(), b.num()) {
            (Some(x), Some(y)) => Ev::num_or_null(x + y),
            _ => match (&a, &b) {
                (Ev::Str(x), Ev::Str(y)) => Ev::Str(format!("{x}{y}")),
                _ => Ev::Null,
            },
        },
        Op::Sub | Op::Mul | Op::Div | Op::Mod => match (a.num(), b.num()) {
            (Some(x), Some(y)) => match op {
                Op::Sub => Ev::num_or_null(x - y),
                Op::Mul => Ev::num_or_null(x * y),
                // Division (and modulo) by zero gives null. The docs are
                // silent; Splunk's `| eval x=1/0` leaves x empty, and the
                // design notes fix it ("Division by zero gives null").
                Op::Div if y == 0.0 => Ev::Null,
                Op::Div => Ev::num_or_null(x / y),
                Op::Mod if y == 0.0 => Ev::Null,
                _ => Ev::num_or_null(x % y),
            },
            _ => Ev::Null,
        },
        // Search Reference > eval > Operators: the period `.` concatenates
        // strings and numbers (numbers in their string form).
        Op::Concat => match (a.text(), b.text()) {
            (Some(x), Some(y)) => Ev::Str(x + &y),
            _ => bail!("eval: `.` cannot concatenate {a:?} and {b:?}"),
        },
        // Search Reference > eval > Operators: `=` and `==` are both
        // equality. Numbers (and numeric strings) compare as numbers,
        // other values as strings, case-sensitively -- eval compares exact
        // strings, unlike the search command (Search Reference > where >
        // Usage: unlike search, where compares string values
        // case-sensitively).
        Op::Eq | Op::Ne => {
            let eq = match (&a, &b) {
                (Ev::Bool(x), Ev::Bool(y)) => Some(x == y),
                _ => match (a.num(), b.num()) {
                    (Some(x), Some(y)) => Some(x == y),
                    _ => match (a.text(), b.text()) {
                        (Some(x), Some(y)) => Some(x == y),
                        _ => None,
                    },
                },
            };
            match eq {
                Some(eq) => Ev::Bool(if op == Op::Eq { eq } else { !eq }),
                None => Ev::Null,
            }
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ord = match (a.num(), b.num()) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ => match (a.text(), b.text()) {
                    (Some(x), Some(y)) => Some(x.cmp(&y)),
                    _ => None,
                },
            };
            match ord {
                None => Ev::Null,
                Some(o) => Ev::Bool(match op {
                    Op::Lt => o.is_lt(),
                    Op::Le => o.is_le(),
                    Op::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }),
            }
        }
        Op::And | Op::Or | Op::Xor => unreachable!(),
    })
}

fn eval_call(func: Func, args: &[Expr], re: Option<&Regex>, row: &Row, env: &Env) -> Result<Ev> {
    let arg = |i: usize| eval(&args[i], row, env);
    Ok(match func {
        // Search Reference > Evaluation functions > Comparison and
        // Conditional functions > if: when the predicate evaluates to TRUE
        // the result is the true value, otherwise the false value -- a null
        // predicate is not TRUE, so it gives the false value.
        Func::If => match arg(0)? {
            Ev::Bool(true) => arg(1)?,
            Ev::Bool(false) | Ev::Null => arg(2)?,
            other => bail!("if(): the first argument must be a boolean, got {other:?}"),
        },
        // ... > case: alternating conditions and values; the value of the
        // first condition that evaluates to TRUE; none TRUE gives NULL.
        Func::Case => {
            for pair in args.chunks(2) {
                match eval(&pair[0], row, env)? {
                    Ev::Bool(true) => return eval(&pair[1], row, env),
                    Ev::Bool(false) | Ev::Null => {}
                    other => bail!("case(): conditions must be booleans, got {other:?}"),
                }
            }
            Ev::Null
        }
        // ... > coalesce: the first of its arguments that is not NULL.
        Func::Coalesce => {
            for a in args {
                let v = eval(a, row, env)?;
                if v != Ev::Null {
                    return Ok(v);
                }
            }
            Ev::Null
        }
        // ... > null(): returns NULL; true(): returns TRUE.
        Func::Null => Ev::Null,
        Func::True => Ev::Bool(true),
        Func::False => Ev::Bool(false),
        // Search Reference > Date and Time functions > now(): the time the
        // search started, epoch seconds -- here the context's latest time.
        Func::Now => Ev::Num(env.now),
        // Informational functions > isnull / isnotnull.
        Func::IsNull => Ev::Bool(arg(0)? == Ev::Null),
        Func::IsNotNull => Ev::Bool(arg(0)? != Ev::Null),
        // Informational functions > isnum: TRUE if the value is a number
        // (including a field value written as one); isstr: TRUE for a string.
        Func::IsNum => {
            Ev::Bool(matches!(arg(0)?, v @ (Ev::Num(_) | Ev::Str(_)) if v.num().is_some()))
        }
        Func::IsStr => Ev::Bool(matches!(arg(0)?, v @ Ev::Str(_) if v.num().is_none())),
        // Conversion functions > tonumber(<str>, <base>): converts a string
        // to a number (base 2..36, default 10); a value it cannot parse gives
        // NULL.
        Func::ToNumber => {
            let v = arg(0)?;
            let base = if args.len() > 1 {
                arg(1)?.num()
            } else {
                Some(10.0)
            };
            match (v, base) {
                (Ev::Null, _) | (_, None) => Ev::Null,
                (v, Some(10.0)) => v.num().map(Ev::Num).unwrap_or(Ev::Null),
                (v, Some(b)) => match v.text() {
                    Some(t) if (2.0..=36.0).contains(&b) => i64::from_str_radix(t.trim(), b as u32)
                        .map(|n| Ev::Num(n as f64))
                        .unwrap_or(Ev::Null),
                    _ => Ev::Null,
                },
            }
        }
        // Conversion functions > tostring: numbers become their string form,
        // booleans "True"/"False". Format arguments ("hex", "commas",
        // "duration") are not modelled (error).
        Func::ToString => {
            if args.len() > 1 {
                bail!("tostring() with a format argument is not supported by the evaluator");
            }
            match arg(0)? {
                Ev::Null => Ev::Null,
                Ev::Bool(b) => Ev::Str(if b { "True" } else { "False" }.to_string()),
                v => v.text().map(Ev::Str).unwrap_or(Ev::Null),
            }
        }
        // Mathematical functions > round(X, Y): rounds X to Y decimal
        // places, to an integer by default. Halves round away from zero
        // (the docs are silent).
        Func::Round => {
            let x = arg(0)?.num();
            let d = if args.len() > 1 {
                arg(1)?.num()
            } else {
                Some(0.0)
            };
            match (x, d) {
                (Some(x), Some(d)) => {
                    let m = 10f64.powi(d as i32);
                    Ev::num_or_null((x * m).round() / m)
                }
                _ => Ev::Null,
            }
        }
        // Comparison and Conditional functions > nullif(X, Y): null when X
        // equals Y (compared as the values they are), X otherwise.
        Func::NullIf => {
            let (x, y) = (arg(0)?, arg(1)?);
            let same = match (x.num(), y.num()) {
                (Some(a), Some(b)) => a == b,
                _ => x.text().is_some() && x.text() == y.text(),
            };
            if same {
                Ev::Null
            } else {
                x
            }
        }
        // Multivalue eval functions > mvjoin(MVFIELD, STR): the values
        // joined by STR; a null field gives null.
        Func::MvJoin => {
            let sep = arg(1)?.text().unwrap_or_default();
            match arg(0)? {
                Ev::Null => Ev::Null,
                Ev::Multi(v) => Ev::Str(v.join(&sep)),
                v => v.text().map(Ev::Str).unwrap_or(Ev::Null),
            }
        }
        // Multivalue eval functions > split(<str>,<delim>): "Splits the
        // string values on the delimiter and returns the string values as a
        // multivalue field." The delimiter is a string, not a regex. The
        // page does not say whether adjacent delimiters give empty values;
        // they are kept here (the dashboards' escaping of a token value is
        // safe under either reading: src/dashboard/search.rs,
        // quoted_value_expr).
        Func::Split => {
            let Some(t) = arg(0)?.text() else {
                return Ok(Ev::Null);
            };
            let delim = arg(1)?.text().unwrap_or_default();
            if delim.is_empty() {
                bail!("split(): an empty delimiter is not modelled by the evaluator");
            }
            let parts: Vec<String> = t.split(delim.as_str()).map(str::to_string).collect();
            if parts.len() == 1 {
                Ev::Str(parts.into_iter().next().unwrap_or_default())
            } else {
                Ev::Multi(parts)
            }
        }
        // Multivalue eval functions > mvrange(X, Y, Z): numbers from X up to
        // but not including Y, stepping by Z (default 1).
        Func::MvRange => {
            let (Some(x), Some(y)) = (arg(0)?.num(), arg(1)?.num()) else {
                return Ok(Ev::Null);
            };
            let z = if args.len() > 2 {
                arg(2)?.num()
            } else {
                Some(1.0)
            };
            let Some(z) = z.filter(|z| *z > 0.0) else {
                bail!("mvrange(): the step must be a positive number");
            };
            let mut v = Vec::new();
            let mut i = 0u32;
            loop {
                let n = x + f64::from(i) * z;
                if n >= y {
                    break;
                }
                if v.len() >= 100_000 {
                    bail!("mvrange(): more than 100000 values");
                }
                v.push(fmt_num(n));
                i += 1;
            }
            match v.len() {
                0 => Ev::Null,
                1 => Ev::Str(v.pop().unwrap_or_default()),
                _ => Ev::Multi(v),
            }
        }
        // Mathematical functions > floor, ceiling, abs, pow, sqrt.
        Func::Floor => arg(0)?
            .num()
            .map(|x| Ev::Num(x.floor()))
            .unwrap_or(Ev::Null),
        Func::Ceil => arg(0)?.num().map(|x| Ev::Num(x.ceil())).unwrap_or(Ev::Null),
        Func::Abs => arg(0)?.num().map(|x| Ev::Num(x.abs())).unwrap_or(Ev::Null),
        Func::Sqrt => arg(0)?
            .num()
            .map(|x| Ev::num_or_null(x.sqrt()))
            .unwrap_or(Ev::Null),
        Func::Pow => match (arg(0)?.num(), arg(1)?.num()) {
            (Some(x), Some(y)) => Ev::num_or_null(x.powf(y)),
            _ => Ev::Null,
        },
        // Mathematical functions > exact(X): X, computed in double precision.
        Func::Exact => arg(0)?,
        // Statistical eval functions > min / max: the smallest / largest of
        // the arguments, numbers or strings; numbers (and numeric strings)
        // compare numerically, strings lexicographically. Where the docs are
        // silent: a string is greater than any number, and null arguments
        // are skipped (as the stats functions skip nulls).
        Func::Min | Func::Max => {
            let mut best: Option<Ev> = None;
            for a in args {
                let v = eval(a, row, env)?;
                let v = match v {
                    Ev::Null => continue,
                    Ev::Bool(_) => bail!("min()/max(): boolean argument"),
                    v => match v.num() {
                        Some(n) => Ev::Num(n),
                        None => v,
                    },
                };
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let ord = match (&b, &v) {
                            (Ev::Num(x), Ev::Num(y)) => {
                                x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)
                            }
                            (Ev::Num(_), _) => std::cmp::Ordering::Less,
                            (_, Ev::Num(_)) => std::cmp::Ordering::Greater,
                            _ => b.text().cmp(&v.text()),
                        };
                        let keep_b = if func == Func::Min {
                            ord.is_le()
                        } else {
                            ord.is_ge()
                        };
                        if keep_b {
                            b
                        } else {
                            v
                        }
                    }
                });
            }
            best.unwrap_or(Ev::Null)
        }
        // Text functions > len(X): the number of characters.
        Func::Len => match arg(0)?.text() {
            Some(t) => Ev::Num(t.chars().count() as f64),
            None => Ev::Null,
        },
        // Comparison and Conditional functions > match(SUBJECT, REGEX):
        // TRUE if the regex finds a match anywhere in the subject;
        // like(TEXT, PATTERN): TRUE if the whole TEXT matches PATTERN.
        Func::Match | Func::Like => {
            let v = arg(0)?;
            let Some(t) = v.text() else {
                return Ok(Ev::Null);
            };
            let owned;
            let re = match re {
                Some(re) => re,
                None => {
                    let Some(p) = arg(1)?.text() else {
                        return Ok(Ev::Null);
                    };
                    owned = if func == Func::Like {
                        like_regex(&p)?
                    } else {
                        compile_regex(&p)?
                    };
                    &owned
                }
            };
            Ev::Bool(re.is_match(&t))
        }
        // Text functions > replace(X, Y, Z): substitutes Z for every match
        // of the regex Y in X; `\1` etc. in Z refer to capture groups.
        Func::Replace => {
            let Some(t) = arg(0)?.text() else {
                return Ok(Ev::Null);
            };
            let Some(repl) = arg(2)?.text() else {
                return Ok(Ev::Null);
            };
            let owned;
            let re = match re {
                Some(re) => re,
                None => {
                    let Some(p) = arg(1)?.text() else {
                        return Ok(Ev::Null);
                    };
                    owned = compile_regex(&p)?;
                    &owned
                }
            };
            let mut r = String::new();
            let cs: Vec<char> = repl.chars().collect();
            let mut i = 0;
            while i < cs.len() {
                if cs[i] == '\\' && i + 1 < cs.len() && cs[i + 1].is_ascii_digit() {
                    r.push_str(&format!("${{{}}}", cs[i + 1]));
                    i += 2;
                } else if cs[i] == '$' {
                    r.push_str("$$");
                    i += 1;
                } else {
                    r.push(cs[i]);
                    i += 1;
                }
            }
            Ev::Str(re.replace_all(&t, r.as_str()).into_owned())
        }
    })
}
