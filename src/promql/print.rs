//! Trees back into PromQL text, in one canonical form.
//!
//! The form is Prometheus' own printer's: `sum by (le) (x)` with the
//! grouping first, `a / on (instance) b`, matchers as `l="v"` joined by
//! `,`, operators spaced, set operators lower case, numbers in their
//! shortest exact form, durations in the largest units (`90s` is `1m30s`).
//! Grafana variables come back as `$name` (`${name}` when text follows
//! that would extend the name). The planner puts this text in comments,
//! so one expression always reads the same whatever its original layout.
//!
//! For a tree from the parser, `parse(&e.to_string())` gives `e` back
//! (spans aside): parentheses are kept as nodes, so the printer never has
//! to invent any. For hand-built trees it adds parentheses where the
//! shape would otherwise be lost (`(a + b) * c`, `(-1) ^ 2`).

use std::fmt::{self, Display, Formatter, Write};

use super::ast::*;
use super::lexer::DURATION_UNITS;

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(v) => write_number(f, *v),
            ExprKind::Variable(name) => write!(f, "${name}"),
            ExprKind::Selector(s) => s.fmt(f),
            ExprKind::Matrix { selector, range } => write!(f, "{selector}[{range}]"),
            ExprKind::Call { func, args } => {
                write!(f, "{}(", func.as_str())?;
                write_list(f, args)?;
                f.write_char(')')
            }
            ExprKind::Aggregate {
                op,
                param,
                grouping,
                expr,
            } => {
                f.write_str(op.as_str())?;
                if let Some(g) = grouping {
                    write!(f, " {} (", if g.without { "without" } else { "by" })?;
                    write_list(f, &g.labels)?;
                    f.write_str(") ")?;
                }
                f.write_char('(')?;
                if let Some(p) = param {
                    write!(f, "{p}, ")?;
                }
                write!(f, "{expr})")
            }
            ExprKind::Binary {
                op,
                lhs,
                rhs,
                matching,
                return_bool,
            } => {
                let (lp, rp) = operand_parens(*op, lhs, rhs);
                write_maybe_paren(f, lhs, lp)?;
                write!(f, " {}", op.as_str())?;
                if *return_bool {
                    f.write_str(" bool")?;
                }
                if let Some(m) = matching {
                    write!(f, " {} (", if m.on { "on" } else { "ignoring" })?;
                    write_list(f, &m.labels)?;
                    f.write_char(')')?;
                }
                f.write_char(' ')?;
                write_maybe_paren(f, rhs, rp)
            }
            ExprKind::Negate(e) => {
                f.write_char('-')?;
                // `- -x`, not `--x`, so it reads as two signs.
                if starts_with_minus(e) {
                    f.write_char(' ')?;
                }
                let paren = matches!(&e.kind, ExprKind::Binary { op, .. } if op.precedence() < BinOp::Pow.precedence());
                write_maybe_paren(f, e, paren)
            }
            ExprKind::Paren(e) => write!(f, "({e})"),
        }
    }
}

/// Whether the operands of `op` need parentheses to keep the tree's shape.
fn operand_parens(op: BinOp, lhs: &Expr, rhs: &Expr) -> (bool, bool) {
    let prec = op.precedence();
    let l = match &lhs.kind {
        ExprKind::Binary { op: l, .. } => {
            l.precedence() < prec || (l.precedence() == prec && op.is_right_assoc())
        }
        // Unary minus binds looser than `^`: `-a ^ b` is `-(a ^ b)`.
        ExprKind::Negate(_) => op == BinOp::Pow,
        ExprKind::Number(v) => op == BinOp::Pow && v.is_sign_negative() && !v.is_nan(),
        _ => false,
    };
    let r = match &rhs.kind {
        ExprKind::Binary { op: r, .. } => {
            r.precedence() < prec || (r.precedence() == prec && !op.is_right_assoc())
        }
        _ => false,
    };
    (l, r)
}

fn starts_with_minus(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Negate(_) => true,
        ExprKind::Number(v) => v.is_sign_negative() && !v.is_nan(),
        ExprKind::Binary { lhs, .. } => starts_with_minus(lhs),
        _ => false,
    }
}

fn write_maybe_paren(f: &mut Formatter<'_>, e: &Expr, paren: bool) -> fmt::Result {
    if paren {
        write!(f, "({e})")
    } else {
        e.fmt(f)
    }
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item.fmt(f)?;
    }
    Ok(())
}

/// Shortest text that parses back to the same f64; exponent form for the
/// very large and very small, `Inf`/`NaN` as PromQL spells them.
fn write_number(f: &mut Formatter<'_>, v: f64) -> fmt::Result {
    if v.is_nan() {
        f.write_str("NaN")
    } else if v.is_infinite() {
        f.write_str(if v > 0.0 { "Inf" } else { "-Inf" })
    } else if v != 0.0 && (v.abs() >= 1e15 || v.abs() < 1e-4) {
        write!(f, "{v:e}")
    } else {
        write!(f, "{v}")
    }
}

impl Display for Selector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.metric)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        f.write_char('{')?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, "{}{}{}", m.label, m.op.as_str(), m.value)?;
        }
        f.write_char('}')
    }
}

/// The text inside the brackets: `5m`, `1h30m`, `$__rate_interval`.
impl Display for Range {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Range::Variable(name) => write!(f, "${name}"),
            Range::Fixed { millis: 0 } => f.write_str("0s"),
            Range::Fixed { millis } => {
                // As Prometheus' `model.Duration`: years and weeks only
                // when they divide exactly (`90d` reads better than `12w6d`).
                let mut rest = *millis;
                for (i, (unit, ms)) in DURATION_UNITS.iter().enumerate() {
                    if i < 2 && rest % ms != 0 {
                        continue;
                    }
                    if rest >= *ms {
                        write!(f, "{}{unit}", rest / ms)?;
                        rest %= ms;
                    }
                }
                Ok(())
            }
        }
    }
}

/// A double-quoted PromQL string, variables written back in place. Text
/// that Grafana would take for a variable (`$x`, `[[x]]`) is escaped.
impl Display for Template {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for (i, part) in self.parts.iter().enumerate() {
            // The first character printed after this part.
            let following = || match self.parts.get(i + 1) {
                Some(TemplatePart::Text(t)) => t.chars().next(),
                Some(TemplatePart::Var(_)) => Some('$'),
                None => None,
            };
            match part {
                TemplatePart::Var(name) => {
                    if following().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                        write!(f, "${{{name}}}")?;
                    } else {
                        write!(f, "${name}")?;
                    }
                }
                TemplatePart::Text(text) => {
                    let mut chars = text.chars().peekable();
                    while let Some(c) = chars.next() {
                        let next = chars.peek().copied().or_else(following);
                        match c {
                            '"' => f.write_str("\\\"")?,
                            '\\' => f.write_str("\\\\")?,
                            '\n' => f.write_str("\\n")?,
                            '\r' => f.write_str("\\r")?,
                            '\t' => f.write_str("\\t")?,
                            '$' if next.is_some_and(|n| {
                                n.is_ascii_alphanumeric() || n == '_' || n == '{'
                            }) =>
                            {
                                f.write_str("\\x24")?
                            }
                            '[' if next == Some('[') => f.write_str("\\x5b")?,
                            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                                write!(f, "\\x{:02x}", c as u32)?
                            }
                            c => f.write_char(c)?,
                        }
                    }
                }
            }
        }
        f.write_char('"')
    }
}
