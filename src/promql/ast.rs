//! The syntax tree of the PromQL subset: the contract between the parser and
//! the SPL planner ([`crate::spl`]), which reads nothing else of PromQL.
//!
//! The tree stays close to the source text: parentheses are kept as
//! [`ExprKind::Paren`] and every node carries the byte [`Span`] it was
//! parsed from, so the planner can quote the exact text in an error or a
//! comment. A tree that came out of [`crate::promql::parse`] has already
//! been checked: every range vector is the argument of `rate`, `irate` or
//! `increase`, every aggregation has the right arguments, every operator
//! has operands of types PromQL allows. The planner does not need to
//! re-check any of that.
//!
//! The types and their fields are that contract (the planner matches on
//! them); the methods below are conveniences on top (names, precedence,
//! [`Expr::value_type`]).

/// A byte range `start..end` in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// An expression and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal. `-1` is folded into `Number(-1.0)` as Prometheus
    /// does (only a literal directly after the minus: `-(1)` and `-2^2`
    /// stay [`ExprKind::Negate`]). `Inf` and `NaN` are numbers too.
    Number(f64),
    /// A Grafana variable where a number stands, e.g. `$percentile` in `$percentile / 100`.
    Variable(String),
    /// An instant vector selector.
    Selector(Selector),
    /// `x[5m]`, only valid as the argument of `rate`, `irate` or `increase`
    /// (the parser refuses it anywhere else, parentheses included).
    Matrix {
        selector: Selector,
        range: Range,
    },
    Call {
        func: Function,
        args: Vec<Expr>,
    },
    /// `param` is `Some` exactly for `topk`/`bottomk`. `grouping` is `None`
    /// when neither `by` nor `without` was written; `by ()` is kept as an
    /// empty `by` list. Where the clause stood (`sum by (le) (x)` or
    /// `sum(x) by (le)`) is not recorded: the two mean the same.
    Aggregate {
        op: AggOp,
        param: Option<Box<Expr>>,
        grouping: Option<Grouping>,
        expr: Box<Expr>,
    },
    /// `matching` is `Some` exactly when `on(...)`/`ignoring(...)` was
    /// written (`ignoring()` included). `return_bool` is the `bool` modifier,
    /// only ever set on comparison operators.
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        matching: Option<Matching>,
        return_bool: bool,
    },
    /// Unary minus. Unary plus is a no-op and leaves no node.
    Negate(Box<Expr>),
    /// Parentheses as written; they change nothing but the tree's shape.
    Paren(Box<Expr>),
}

/// An instant vector selector: a metric name and label matchers.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    /// Always present: selectors without a metric name are refused.
    pub metric: String,
    /// In source order; never about `__name__`.
    pub matchers: Vec<Matcher>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    pub value: Template,
    /// From the label name to the closing quote of the value.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `=~` (the value is a regular expression, anchored at both ends)
    Re,
    /// `!~`
    Nre,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Ne => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }
}

/// A label value as written, with Grafana variables kept apart: "$calls:$port" ->
/// [Var("calls"), Text(":"), Var("port")]. Escapes (\" \\ \n) already decoded in Text.
///
/// Adjacent text is merged into one `Text`, and `Text` is never empty, so
/// `""` is a template with no parts. A `${name:format}` loses its format
/// (the contract has no place for it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Var(String),
}

impl Template {
    /// A template with no variables.
    pub fn literal(text: &str) -> Template {
        let mut t = Template::default();
        t.push_text(text);
        t
    }

    /// The value when it has no variables (`""` gives `Some("")`).
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(s) => out.push_str(s),
                TemplatePart::Var(_) => return None,
            }
        }
        Some(out)
    }

    pub fn has_vars(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, TemplatePart::Var(_)))
    }

    /// Appends text, merging it into a preceding `Text`.
    pub fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(TemplatePart::Text(last)) = self.parts.last_mut() {
            last.push_str(text);
        } else {
            self.parts.push(TemplatePart::Text(text.to_owned()));
        }
    }

    pub fn push_var(&mut self, name: &str) {
        self.parts.push(TemplatePart::Var(name.to_owned()));
    }
}

/// The range of a range vector selector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Range {
    /// `[5m]`, `[1h30m]`, `[90s]`, `[500ms]`: always more than zero.
    Fixed { millis: u64 },
    /// `[$__rate_interval]`, `[$decay]`, `[${x}]` keep the variable's name;
    /// `[${__range_s}s]` and `[${__range_ms}ms]` become `Variable("__range")`
    /// (same meaning as `[$__range]`), `[${__interval_ms}ms]` becomes
    /// `Variable("__interval")`.
    Variable(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    /// `rate(range-vector)`
    Rate,
    /// `irate(range-vector)`
    Irate,
    /// `increase(range-vector)`
    Increase,
    /// `histogram_quantile(scalar, instant-vector)`
    HistogramQuantile,
    /// `vector(scalar)`
    Vector,
    /// `time()`: the evaluation time, in seconds since the epoch (a scalar).
    Time,
}

impl Function {
    /// The name as PromQL spells it (function names are case-sensitive).
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Rate => "rate",
            Function::Irate => "irate",
            Function::Increase => "increase",
            Function::HistogramQuantile => "histogram_quantile",
            Function::Vector => "vector",
            Function::Time => "time",
        }
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Some(match name {
            "rate" => Function::Rate,
            "irate" => Function::Irate,
            "increase" => Function::Increase,
            "histogram_quantile" => Function::HistogramQuantile,
            "vector" => Function::Vector,
            "time" => Function::Time,
            _ => return None,
        })
    }

    /// The argument types, in order.
    pub fn arg_types(self) -> &'static [ValueType] {
        match self {
            Function::Rate | Function::Irate | Function::Increase => &[ValueType::Matrix],
            Function::HistogramQuantile => &[ValueType::Scalar, ValueType::Vector],
            Function::Vector => &[ValueType::Scalar],
            Function::Time => &[],
        }
    }

    /// What a call evaluates to.
    pub fn return_type(self) -> ValueType {
        match self {
            Function::Time => ValueType::Scalar,
            _ => ValueType::Vector,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggOp {
    Sum,
    Avg,
    Min,
    Max,
    Count,
    /// Takes a scalar parameter first: `topk(5, x)`.
    Topk,
    /// Takes a scalar parameter first: `bottomk(5, x)`.
    Bottomk,
}

impl AggOp {
    pub fn as_str(self) -> &'static str {
        match self {
            AggOp::Sum => "sum",
            AggOp::Avg => "avg",
            AggOp::Min => "min",
            AggOp::Max => "max",
            AggOp::Count => "count",
            AggOp::Topk => "topk",
            AggOp::Bottomk => "bottomk",
        }
    }

    /// Aggregation names are keywords, so case-insensitive (`SUM` works).
    pub fn from_name(name: &str) -> Option<AggOp> {
        const ALL: [AggOp; 7] = [
            AggOp::Sum,
            AggOp::Avg,
            AggOp::Min,
            AggOp::Max,
            AggOp::Count,
            AggOp::Topk,
            AggOp::Bottomk,
        ];
        ALL.into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(name))
    }

    pub fn has_param(self) -> bool {
        matches!(self, AggOp::Topk | AggOp::Bottomk)
    }
}

/// `by (...)` (`without == false`) or `without (...)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Grouping {
    pub without: bool,
    pub labels: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// `or`, any case (`OR` in the dashboards).
    Or,
    And,
    Unless,
}

impl BinOp {
    /// As the canonical printer writes it (set operators in lower case).
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Gt => ">",
            BinOp::Lt => "<",
            BinOp::Ge => ">=",
            BinOp::Le => "<=",
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Unless => "unless",
        }
    }

    /// PromQL's binding strength, higher binds tighter: `or` 1, `and`
    /// `unless` 2, comparisons 3, `+ -` 4, `* / %` 5, `^` 6. Unary minus
    /// sits between 5 and 6: `-2^2` is `-(2^2)`, `-a * b` is `(-a) * b`.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And | BinOp::Unless => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Gt | BinOp::Lt | BinOp::Ge | BinOp::Le => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
            BinOp::Pow => 6,
        }
    }

    /// Only `^` groups to the right: `2^3^2` is `2^(3^2)`.
    pub fn is_right_assoc(self) -> bool {
        self == BinOp::Pow
    }

    /// `== != > < >= <=`: filter (or, with `bool`, give 0/1).
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    /// `and or unless`: defined on instant vectors only.
    pub fn is_set_operator(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Unless)
    }
}

/// `on(labels)` (`on == true`) or `ignoring(labels)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Matching {
    pub on: bool,
    pub labels: Vec<String>,
}

/// What an expression evaluates to (PromQL's value types, strings aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    Scalar,
    Vector,
    Matrix,
}

impl ValueType {
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Scalar => "a scalar",
            ValueType::Vector => "an instant vector",
            ValueType::Matrix => "a range vector",
        }
    }
}

impl Expr {
    /// The type the expression evaluates to. Numbers, variables and
    /// arithmetic between them are scalars; a binary operation with a
    /// vector on either side is a vector.
    pub fn value_type(&self) -> ValueType {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Variable(_) => ValueType::Scalar,
            ExprKind::Matrix { .. } => ValueType::Matrix,
            ExprKind::Call { func, .. } => func.return_type(),
            ExprKind::Selector(_) | ExprKind::Aggregate { .. } => ValueType::Vector,
            ExprKind::Binary { lhs, rhs, .. } => {
                if lhs.value_type() == ValueType::Scalar && rhs.value_type() == ValueType::Scalar {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            ExprKind::Negate(e) | ExprKind::Paren(e) => e.value_type(),
        }
    }

    /// The expression inside any number of parentheses.
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        e
    }
}
