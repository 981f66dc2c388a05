//! Tokens into a checked [`Expr`]: recursive descent with precedence
//! climbing for the binary operators.
//!
//! Everything is checked while the tree is built, so the planner receives
//! only trees it can translate: each node comes back with its PromQL value
//! type, and the rules Prometheus 2.42 applies after parsing (types of
//! function and aggregation arguments, `bool` only on comparisons, scalar
//! comparisons need `bool`, set operators and `on`/`ignoring` only between
//! vectors) are applied on the spot. Constructs outside the subset are
//! refused where they are met, with a message naming them; nothing is
//! skipped, so trailing text is an error too.
//!
//! Precedence and associativity are Prometheus' (`generated_parser.y`):
//! `or` < `and`/`unless` < comparisons < `+ -` < `* / %` < unary minus <
//! `^`; all left-associative but `^`. Unary minus on a number literal is
//! folded into the number, as Prometheus does.
//!
//! Two limits keep recursion (here and in whoever walks the tree) away
//! from the stack's end on hostile input: nesting depth while parsing and
//! the height of the finished tree.

use super::ast::*;
use super::error::ParseError;
use super::lexer::{Lexer, Tok, Token};

/// Parses one PromQL expression of the supported subset.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        src,
        lexer: Lexer::new(src),
        peeked: None,
        depth: 0,
    };
    let e = p.parse_expr(0)?;
    p.require_instant(&e)?;
    let tok = p.next()?;
    if tok.kind != Tok::Eof {
        return Err(p.unexpected(&tok, "an operator or the end of the expression"));
    }
    Ok(e.expr)
}

/// How deep `parse_expr` may recurse (parentheses, unary minus, `^`,
/// arguments). The dashboards nest about 6 deep.
const MAX_NESTING: usize = 100;
/// The tallest tree returned (long `a + b + c ...` chains grow it without
/// nesting).
const MAX_HEIGHT: usize = 200;

/// The precedence of unary minus operands: only `^` binds tighter.
const POW_PRECEDENCE: u8 = 6;

/// Aggregations of Prometheus 2.42 outside the subset; they are keywords
/// there, so they can never be metric names either.
const UNSUPPORTED_AGGREGATIONS: [&str; 5] =
    ["count_values", "quantile", "stddev", "stdvar", "group"];

const RANGE_ONLY_IN_FUNCTIONS: &str =
    "a range vector is only allowed as the argument of `rate`, `irate` or `increase`";

/// An expression with what the checks need to know about it.
struct Typed {
    expr: Expr,
    ty: ValueType,
    height: usize,
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
}

impl<'a> Parser<'a> {
    // ---- tokens ----

    fn peek(&mut self) -> Result<&Token, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn text(&self, span: Span) -> &'a str {
        &self.src[span.start..span.end]
    }

    /// The keyword (from `keywords`, case-insensitive) the next token is.
    fn peek_keyword(
        &mut self,
        keywords: &[&'static str],
    ) -> Result<Option<&'static str>, ParseError> {
        let tok = self.peek()?;
        if tok.kind != Tok::Ident {
            return Ok(None);
        }
        let span = tok.span;
        let word = self.text(span);
        Ok(keywords
            .iter()
            .copied()
            .find(|k| k.eq_ignore_ascii_case(word)))
    }

    fn expect(&mut self, kind: Tok, what: &str) -> Result<Token, ParseError> {
        let tok = self.next()?;
        if tok.kind == kind {
            Ok(tok)
        } else {
            Err(self.unexpected(&tok, what))
        }
    }

    // ---- errors ----

    fn error(&self, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::new(self.src, span, message)
    }

    /// "expected X, found Y" at `tok`.
    fn unexpected(&self, tok: &Token, expected: &str) -> ParseError {
        self.error(
            tok.span,
            format!("expected {expected}, found {}", self.describe(tok)),
        )
    }

    fn describe(&self, tok: &Token) -> String {
        if tok.kind == Tok::Eof {
            return "the end of the input".to_owned();
        }
        let text = self.text(tok.span);
        match text.char_indices().nth(40) {
            Some((cut, _)) => format!("`{}...`", &text[..cut]),
            None => format!("`{text}`"),
        }
    }

    fn require_instant(&self, e: &Typed) -> Result<(), ParseError> {
        if e.ty == ValueType::Matrix {
            return Err(self.error(e.expr.span, RANGE_ONLY_IN_FUNCTIONS));
        }
        Ok(())
    }

    /// A node over children at most `below` high.
    fn node(
        &self,
        kind: ExprKind,
        span: Span,
        ty: ValueType,
        below: usize,
    ) -> Result<Typed, ParseError> {
        let height = below + 1;
        if height > MAX_HEIGHT {
            return Err(self.error(
                span,
                format!("the expression is too deeply nested (more than {MAX_HEIGHT} levels)"),
            ));
        }
        Ok(Typed {
            expr: Expr { kind, span },
            ty,
            height,
        })
    }

    // ---- expressions ----

    /// Binary operators of precedence `min_prec` and up, by precedence climbing.
    fn parse_expr(&mut self, min_prec: u8) -> Result<Typed, ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let span = self.peek()?.span;
            return Err(self.error(
                span,
                format!("the expression is too deeply nested (more than {MAX_NESTING} levels)"),
            ));
        }
        let mut lhs = self.parse_unary()?;
        loop {
            let tok = self.peek()?.clone();
            let Some(op) = self.binop(&tok) else {
                self.check_postfix(&tok)?;
                break;
            };
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.next()?;
            let mut return_bool = false;
            if self.peek_keyword(&["bool"])?.is_some() {
                let b = self.next()?;
                if !op.is_comparison() {
                    return Err(self.error(
                        b.span,
                        "the `bool` modifier is only allowed on comparison operators",
                    ));
                }
                return_bool = true;
            }
            let mut matching = None;
            if let Some(kw) = self.peek_keyword(&["on", "ignoring"])? {
                let start = self.next()?.span;
                let (labels, end) = self.parse_labels(kw)?;
                matching = Some((
                    Matching {
                        on: kw == "on",
                        labels,
                    },
                    start.to(end),
                ));
            }
            if let Some(kw) = self.peek_keyword(&["group_left", "group_right"])? {
                let span = self.peek()?.span;
                return Err(self.error(span, format!("`{kw}` is not supported")));
            }
            let rhs = self.parse_expr(if op.is_right_assoc() { prec } else { prec + 1 })?;
            lhs = self.binary(op, tok.span, lhs, rhs, matching, return_bool)?;
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn binop(&self, tok: &Token) -> Option<BinOp> {
        Some(match tok.kind {
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            Tok::Percent => BinOp::Mod,
            Tok::Caret => BinOp::Pow,
            Tok::EqlEq => BinOp::Eq,
            Tok::Neq => BinOp::Ne,
            Tok::Gt => BinOp::Gt,
            Tok::Lt => BinOp::Lt,
            Tok::Ge => BinOp::Ge,
            Tok::Le => BinOp::Le,
            Tok::Ident => {
                let word = self.text(tok.span);
                [BinOp::And, BinOp::Or, BinOp::Unless]
                    .into_iter()
                    .find(|op| op.as_str().eq_ignore_ascii_case(word))?
            }
            _ => return None,
        })
    }

    /// A token after a complete operand that is not a binary operator:
    /// name the unsupported constructs that can stand there. Anything else
    /// is left to the caller ("expected `)`, found ...").
    fn check_postfix(&mut self, tok: &Token) -> Result<(), ParseError> {
        match tok.kind {
            Tok::At => Err(self.error(tok.span, "the `@` modifier is not supported")),
            Tok::LBracket => {
                let open = self.next()?.span;
                Err(self.bracket_error(open, false))
            }
            Tok::Ident => {
                let word = self.text(tok.span);
                if word.eq_ignore_ascii_case("offset") {
                    Err(self.error(tok.span, "the `offset` modifier is not supported"))
                } else if word.eq_ignore_ascii_case("atan2") {
                    Err(self.error(tok.span, "the `atan2` operator is not supported"))
                } else if word.eq_ignore_ascii_case("by") || word.eq_ignore_ascii_case("without") {
                    Err(self.error(
                        tok.span,
                        format!("`{word}` can only follow an aggregation such as `sum(...)`"),
                    ))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// A `[` (at `open`, consumed) where no range may stand, after anything
    /// but a selector, or a range with a `:` (`colon`, already consumed):
    /// a subquery if there is a `:` before the `]`, otherwise a misplaced
    /// range. Reads on to the `]` to show the whole bracket.
    fn bracket_error(&mut self, open: Span, mut colon: bool) -> ParseError {
        let mut end = open.end;
        let mut closed = false;
        while let Ok(t) = self.next() {
            match t.kind {
                Tok::Eof => break,
                Tok::Colon => colon = true,
                Tok::RBracket => closed = true,
                _ => {}
            }
            end = t.span.end;
            if closed {
                break;
            }
        }
        let span = Span::new(open.start, end);
        let text = self.text(span);
        if colon {
            let shown = if closed && text.len() <= 40 {
                text
            } else {
                "[range:resolution]"
            };
            self.error(span, format!("subqueries (`{shown}`) are not supported"))
        } else {
            self.error(
                span,
                "a range `[...]` can only follow a metric selector, as in `x[5m]`",
            )
        }
    }

    fn binary(
        &self,
        op: BinOp,
        op_span: Span,
        lhs: Typed,
        rhs: Typed,
        matching: Option<(Matching, Span)>,
        return_bool: bool,
    ) -> Result<Typed, ParseError> {
        self.require_instant(&lhs)?;
        self.require_instant(&rhs)?;
        let op_text = self.text(op_span);
        let l_scalar = lhs.ty == ValueType::Scalar;
        let r_scalar = rhs.ty == ValueType::Scalar;
        if op.is_set_operator() && (l_scalar || r_scalar) {
            let side = if l_scalar { &lhs } else { &rhs };
            return Err(self.error(
                side.expr.span,
                format!("`{op_text}` needs instant vectors on both sides, not a scalar"),
            ));
        }
        if op.is_comparison() && l_scalar && r_scalar && !return_bool {
            return Err(self.error(
                op_span,
                format!("a comparison of two scalars needs `bool` (`{op_text} bool`)"),
            ));
        }
        if let Some((m, span)) = &matching {
            if l_scalar || r_scalar {
                let kw = if m.on { "on" } else { "ignoring" };
                return Err(self.error(
                    *span,
                    format!("`{kw}(...)` is only allowed between two instant vectors"),
                ));
            }
        }
        let ty = if l_scalar && r_scalar {
            ValueType::Scalar
        } else {
            ValueType::Vector
        };
        let span = lhs.expr.span.to(rhs.expr.span);
        let below = lhs.height.max(rhs.height);
        let kind = ExprKind::Binary {
            op,
            lhs: Box::new(lhs.expr),
            rhs: Box::new(rhs.expr),
            matching: matching.map(|(m, _)| m),
            return_bool,
        };
        self.node(kind, span, ty, below)
    }

    /// Unary minus and plus: the operand takes `^` but nothing weaker.
    fn parse_unary(&mut self) -> Result<Typed, ParseError> {
        let negative = match self.peek()?.kind {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => return self.parse_primary(),
        };
        let op = self.next()?.span;
        let mut operand = self.parse_expr(POW_PRECEDENCE)?;
        self.require_instant(&operand)?;
        let span = op.to(operand.expr.span);
        if !negative {
            // A no-op: no node, but the span covers the `+`.
            operand.expr.span = span;
            return Ok(operand);
        }
        if let ExprKind::Number(v) = operand.expr.kind {
            return self.node(ExprKind::Number(-v), span, ValueType::Scalar, 0);
        }
        let (ty, below) = (operand.ty, operand.height);
        self.node(ExprKind::Negate(Box::new(operand.expr)), span, ty, below)
    }

    fn parse_primary(&mut self) -> Result<Typed, ParseError> {
        let tok = self.next()?;
        match tok.kind {
            Tok::Number(v) => self.node(ExprKind::Number(v), tok.span, ValueType::Scalar, 0),
            Tok::Var {
                ref name,
                ref suffix,
            } => {
                if !suffix.is_empty() {
                    return Err(self.error(
                        tok.span,
                        "a unit after a variable is only allowed in a range",
                    ));
                }
                self.node(
                    ExprKind::Variable(name.clone()),
                    tok.span,
                    ValueType::Scalar,
                    0,
                )
            }
            Tok::LParen => {
                let inner = self.parse_expr(0)?;
                self.require_instant(&inner)?;
                let close = self.expect(Tok::RParen, "`)`")?;
                let (ty, below) = (inner.ty, inner.height);
                self.node(
                    ExprKind::Paren(Box::new(inner.expr)),
                    tok.span.to(close.span),
                    ty,
                    below,
                )
            }
            Tok::Str(_) => Err(self.error(
                tok.span,
                "string literals are only supported as label matcher values",
            )),
            Tok::LBrace => Err(self.error(
                tok.span,
                "a selector needs a metric name: `{...}` without one is not supported",
            )),
            Tok::Ident => self.parse_ident(tok),
            _ => Err(self.unexpected(&tok, "an expression")),
        }
    }

    /// What starts with a name: `Inf`/`NaN`, an aggregation, a function
    /// call, a selector (with an optional range).
    fn parse_ident(&mut self, tok: Token) -> Result<Typed, ParseError> {
        let name = self.text(tok.span);
        let is = |w: &str| name.eq_ignore_ascii_case(w);
        if is("inf") {
            return self.node(
                ExprKind::Number(f64::INFINITY),
                tok.span,
                ValueType::Scalar,
                0,
            );
        }
        if is("nan") {
            return self.node(ExprKind::Number(f64::NAN), tok.span, ValueType::Scalar, 0);
        }
        if let Some(op) = AggOp::from_name(name) {
            return self.parse_aggregate(op, tok.span);
        }
        if UNSUPPORTED_AGGREGATIONS.iter().any(|a| is(a)) {
            return Err(self.error(tok.span, format!("aggregation `{name}` is not supported")));
        }
        if is("offset") {
            return Err(self.error(tok.span, "the `offset` modifier is not supported"));
        }
        if is("group_left") || is("group_right") {
            return Err(self.error(tok.span, format!("`{name}` is not supported")));
        }
        const KEYWORDS: [&str; 9] = [
            "and", "or", "unless", "by", "without", "on", "ignoring", "bool", "atan2",
        ];
        if KEYWORDS.iter().any(|k| is(k)) {
            return Err(self.unexpected(&tok, "an expression"));
        }
        if self.peek()?.kind == Tok::LParen {
            let Some(func) = Function::from_name(name) else {
                return Err(self.error(tok.span, format!("function `{name}` is not supported")));
            };
            return self.parse_call(func, tok.span);
        }
        let (selector, end) = self.parse_selector(name, tok.span)?;
        let span = tok.span.to(end);
        if self.peek()?.kind != Tok::LBracket {
            return self.node(ExprKind::Selector(selector), span, ValueType::Vector, 0);
        }
        let (range, end) = self.parse_range()?;
        self.node(
            ExprKind::Matrix { selector, range },
            span.to(end),
            ValueType::Matrix,
            0,
        )
    }

    fn parse_call(&mut self, func: Function, name: Span) -> Result<Typed, ParseError> {
        let (args, close) = self.parse_args()?;
        let span = name.to(close);
        let want = func.arg_types();
        let fname = func.as_str();
        if args.len() != want.len() {
            return Err(self.error(
                span,
                format!(
                    "function `{fname}` expects {}, got {}",
                    count(want.len(), "argument"),
                    args.len()
                ),
            ));
        }
        for (i, (arg, &ty)) in args.iter().zip(want).enumerate() {
            if arg.ty == ty {
                continue;
            }
            if ty == ValueType::Matrix {
                return Err(self.error(
                    arg.expr.span,
                    format!(
                        "function `{fname}` expects a range vector such as `x[5m]`, got {}",
                        arg.ty.describe()
                    ),
                ));
            }
            self.require_instant(arg)?;
            return Err(self.error(
                arg.expr.span,
                format!(
                    "function `{fname}` expects {} as argument {}, got {}",
                    ty.describe(),
                    i + 1,
                    arg.ty.describe()
                ),
            ));
        }
        let below = args.iter().map(|a| a.height).max().unwrap_or(0);
        let args = args.into_iter().map(|a| a.expr).collect();
        self.node(
            ExprKind::Call { func, args },
            span,
            func.return_type(),
            below,
        )
    }

    /// `(a, b, ...)` after a function or aggregation name; returns the
    /// arguments and the span of the `)`.
    fn parse_args(&mut self) -> Result<(Vec<Typed>, Span), ParseError> {
        self.expect(Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        if self.peek()?.kind == Tok::RParen {
            return Ok((args, self.next()?.span));
        }
        loop {
            args.push(self.parse_expr(0)?);
            let tok = self.next()?;
            match tok.kind {
                Tok::RParen => return Ok((args, tok.span)),
                Tok::Comma if self.peek()?.kind == Tok::RParen => {
                    return Err(self.error(
                        tok.span,
                        "a trailing comma is not allowed in an argument list",
                    ));
                }
                Tok::Comma => {}
                _ => return Err(self.unexpected(&tok, "`,` or `)`")),
            }
        }
    }

    /// `op [by|without (...)] (args) [by|without (...)]`.
    fn parse_aggregate(&mut self, op: AggOp, name: Span) -> Result<Typed, ParseError> {
        let mut grouping = self.parse_grouping()?;
        let (mut args, close) = self.parse_args()?;
        let mut span = name.to(close);
        while let Some(kw) = self.peek_keyword(&["by", "without"])? {
            if grouping.is_some() {
                let at = self.peek()?.span;
                return Err(self.error(
                    at,
                    format!("`{kw}` given twice: this aggregation already has a grouping"),
                ));
            }
            grouping = self.parse_grouping()?;
        }
        if let Some((_, end)) = &grouping {
            span = span.to(*end);
        }
        let opname = op.as_str();
        let want = if op.has_param() { 2 } else { 1 };
        if args.len() != want {
            let what = if op.has_param() {
                "2 arguments (a scalar parameter and an instant vector)"
            } else {
                "1 argument"
            };
            return Err(self.error(
                span,
                format!("aggregation `{opname}` expects {what}, got {}", args.len()),
            ));
        }
        let expr = args.pop().expect("counted");
        let param = args.pop();
        if let Some(p) = &param {
            self.require_instant(p)?;
            if p.ty != ValueType::Scalar {
                return Err(self.error(
                    p.expr.span,
                    format!(
                        "the parameter of `{opname}` must be a scalar, got {}",
                        p.ty.describe()
                    ),
                ));
            }
        }
        self.require_instant(&expr)?;
        if expr.ty != ValueType::Vector {
            return Err(self.error(
                expr.expr.span,
                format!(
                    "aggregation `{opname}` expects an instant vector, got {}",
                    expr.ty.describe()
                ),
            ));
        }
        let below = expr.height.max(param.as_ref().map_or(0, |p| p.height));
        let kind = ExprKind::Aggregate {
            op,
            param: param.map(|p| Box::new(p.expr)),
            grouping: grouping.map(|(g, _)| g),
            expr: Box::new(expr.expr),
        };
        self.node(kind, span, ValueType::Vector, below)
    }

    fn parse_grouping(&mut self) -> Result<Option<(Grouping, Span)>, ParseError> {
        let Some(kw) = self.peek_keyword(&["by", "without"])? else {
            return Ok(None);
        };
        let start = self.next()?.span;
        let (labels, end) = self.parse_labels(kw)?;
        Ok(Some((
            Grouping {
                without: kw == "without",
                labels,
            },
            start.to(end),
        )))
    }

    /// `(l1, l2, ...)` after `by`, `without`, `on`, `ignoring`; a trailing
    /// comma is allowed, as in Prometheus. Returns the span of the `)`.
    fn parse_labels(&mut self, after: &str) -> Result<(Vec<String>, Span), ParseError> {
        let open = self.next()?;
        if open.kind != Tok::LParen {
            return Err(self.unexpected(&open, &format!("`(` after `{after}`")));
        }
        let mut labels = Vec::new();
        loop {
            let tok = self.next()?;
            match tok.kind {
                Tok::RParen => return Ok((labels, tok.span)),
                Tok::Ident => labels.push(self.label_name(&tok)?.to_owned()),
                _ => return Err(self.unexpected(&tok, "a label name or `)`")),
            }
            let sep = self.next()?;
            match sep.kind {
                Tok::Comma => {}
                Tok::RParen => return Ok((labels, sep.span)),
                _ => return Err(self.unexpected(&sep, "`,` or `)`")),
            }
        }
    }

    fn label_name(&self, tok: &Token) -> Result<&'a str, ParseError> {
        let name = self.text(tok.span);
        if name.contains(':') {
            return Err(self.error(tok.span, format!("`{name}` is not a valid label name")));
        }
        Ok(name)
    }

    /// The matchers after a metric name, if any. Returns the span of the
    /// selector's last token (the name when there are no braces).
    fn parse_selector(&mut self, metric: &str, name: Span) -> Result<(Selector, Span), ParseError> {
        let mut selector = Selector {
            metric: metric.to_owned(),
            matchers: Vec::new(),
        };
        if self.peek()?.kind != Tok::LBrace {
            return Ok((selector, name));
        }
        self.next()?;
        loop {
            let tok = self.next()?;
            let label = match tok.kind {
                Tok::RBrace => return Ok((selector, tok.span)),
                Tok::Ident => self.label_name(&tok)?,
                _ => return Err(self.unexpected(&tok, "a label name or `}`")),
            };
            if label == "__name__" {
                return Err(self.error(tok.span, "`__name__` matchers are not supported"));
            }
            let op_tok = self.next()?;
            let op = match op_tok.kind {
                Tok::Assign => MatchOp::Eq,
                Tok::Neq => MatchOp::Ne,
                Tok::ReMatch => MatchOp::Re,
                Tok::NotReMatch => MatchOp::Nre,
                _ => {
                    return Err(self
                        .unexpected(&op_tok, "a label matcher operator (`=`, `!=`, `=~`, `!~`)"))
                }
            };
            let value_tok = self.next()?;
            let Tok::Str(value) = value_tok.kind else {
                return Err(self.unexpected(&value_tok, "a quoted label value"));
            };
            selector.matchers.push(Matcher {
                label: label.to_owned(),
                op,
                value,
                span: tok.span.to(value_tok.span),
            });
            let sep = self.next()?;
            match sep.kind {
                Tok::Comma => {}
                Tok::RBrace => return Ok((selector, sep.span)),
                _ => return Err(self.unexpected(&sep, "`,` or `}`")),
            }
        }
    }

    /// `[5m]`, `[$__rate_interval]`, `[${__range_s}s]`; the `[` is next.
    fn parse_range(&mut self) -> Result<(Range, Span), ParseError> {
        let open = self.next()?.span;
        let tok = self.next()?;
        let range = match tok.kind {
            Tok::Duration(millis) => Range::Fixed { millis },
            Tok::Var {
                ref name,
                ref suffix,
            } => Range::Variable(self.range_variable(name, suffix, tok.span)?),
            Tok::Colon => return Err(self.bracket_error(open, true)),
            _ => return Err(self.unexpected(&tok, "a duration such as `5m` or a Grafana variable")),
        };
        let close = self.next()?;
        match close.kind {
            Tok::RBracket => {}
            Tok::Colon => return Err(self.bracket_error(open, true)),
            _ => return Err(self.unexpected(&close, "`]`")),
        }
        if range == (Range::Fixed { millis: 0 }) {
            return Err(self.error(tok.span, "a range must be longer than zero"));
        }
        Ok((range, open.to(close.span)))
    }

    /// The variable a range names. Grafana's `${__range_s}s` is written that
    /// way only because a range needs a unit; it means `$__range`. Without
    /// its unit such a variable expands to a bare number, which is no range.
    fn range_variable(&self, name: &str, suffix: &str, span: Span) -> Result<String, ParseError> {
        match UNIT_VARIABLES.iter().find(|(n, _, _)| *n == name) {
            Some((_, unit, base)) if *unit == suffix => return Ok((*base).to_owned()),
            Some((_, unit, base)) => {
                return Err(self.error(
                    span,
                    format!(
                        "`{}`: `${{{name}}}` is a bare number of `{unit}`; write `[${{{name}}}{unit}]` or `[${base}]`",
                        self.text(span)
                    ),
                ))
            }
            None if suffix.is_empty() => return Ok(name.to_owned()),
            None => {}
        }
        Err(self.error(
            span,
            format!(
                "`{}`: only `${{__range_s}}s`, `${{__range_ms}}ms` and `${{__interval_ms}}ms` may carry a unit; \
                 write a variable alone, as `[${name}]`",
                self.text(span)
            ),
        ))
    }
}

/// Grafana variables that hold a bare number of a unit: (name, unit, the
/// variable with the same meaning as a range).
const UNIT_VARIABLES: [(&str, &str, &str); 3] = [
    ("__range_s", "s", "__range"),
    ("__range_ms", "ms", "__range"),
    ("__interval_ms", "ms", "__interval"),
];

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
