//! The plan's vocabulary: what a search computes, as data.
//!
//! The planner ([`super::plan`]) decides, the renderer ([`super::render`])
//! writes; between them pass these types and no SPL text. A relation is a
//! head (an `mstats` scan, one row per bucket, or two relations matched)
//! and stages after it; a stage's expressions and conditions are trees, so
//! that the planner can ask what a stage reads ([`Cond::reads`],
//! [`Stage::row_by_row`]) instead of searching text it wrote, and so that
//! quoting and precedence are the renderer's alone. The one text that
//! passes through is what a caller hands in as SPL ([`Pred::Spl`],
//! [`Scalar::Spl`]: a dashboard's filter token, an alert's threshold macro).

use crate::promql::ast::BinOp;

/// A relation: rows of `_time`, the label fields and `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rel {
    pub head: Head,
    /// What runs after the head, in order.
    pub stages: Vec<Stage>,
    /// Label fields of each row (besides `_time` and `value`).
    pub labels: Vec<String>,
}

/// Where a relation's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Head {
    /// `| mstats F(metric) AS value [F2(metric2) AS f2 ...] WHERE <index>
    /// <filters> BY <by> span=..`: one scan of the index, whose
    /// aggregations `calc` names and combines into `value` (the planner's
    /// point 6).
    Mstats {
        /// Conditions of the scan's WHERE clause, all of which must hold.
        filters: Vec<Pred>,
        by: Vec<String>,
        grain: Grain,
        calc: Calc,
    },
    /// One row per bucket of the search range (no labels), `value` = this.
    Steps { value: Scalar },
    /// Two relations matched on labels, the right one through `append`.
    Join {
        lhs: Box<Rel>,
        rhs: Box<Rel>,
        on: Vec<String>,
        carry: Vec<String>,
        combine: Combine,
    },
}

/// The span an `mstats` head reads at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// The chart's span: one row per bucket.
    Bucket,
    /// The lookback grain of an instant selector (the planner's point 3).
    Lookback,
}

/// What one `mstats` computes from its aggregations: each row holds every
/// aggregation of one group and bucket, so operands matched on all their
/// labels are matched by the row itself (the planner's point 6).
#[derive(Debug, Clone, PartialEq)]
pub enum Calc {
    /// One aggregation; `stages` (row by row: [`Stage::row_by_row`]) turn
    /// it into this operand's value.
    Metric {
        func: ScanFunc,
        /// The metric's name in the index.
        metric: String,
        stages: Vec<Stage>,
    },
    /// Two operands combined as a join would, then `stages`.
    Match {
        lhs: Box<Calc>,
        rhs: Box<Calc>,
        combine: Combine,
        stages: Vec<Stage>,
    },
}

impl Calc {
    pub fn stages_mut(&mut self) -> &mut Vec<Stage> {
        match self {
            Calc::Metric { stages, .. } | Calc::Match { stages, .. } => stages,
        }
    }
}

/// An `mstats` aggregation (Search Reference, mstats: "Aggregate functions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFunc {
    Latest,
    RateSum,
    RateAvg,
}

/// A `stats` aggregation of `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFunc {
    Sum,
    Avg,
    Min,
    Max,
    Count,
}

/// What a join does with the matched `lhs` and `rhs` values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Combine {
    /// `value` = `lhs OP rhs` (a comparison as 1 or 0); rows where either
    /// side is missing are dropped.
    Arith(BinOp),
    /// Keep `lhs` where the comparison `lhs OP rhs` holds.
    Filter(BinOp),
    /// PromQL `or`: every lhs row, and rhs rows whose labels lhs lacks.
    Or,
    /// PromQL `and`: lhs rows whose labels rhs has.
    And,
    /// PromQL `unless`: lhs rows whose labels rhs lacks.
    Unless,
}

/// A command after a relation's head.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// `eval field=expr`.
    Eval { field: String, expr: Scalar },
    /// `where cond`: rows for which it is false or null are dropped.
    Where(Cond),
    /// `addinfo`: the search's time range as `info_min_time`, `info_max_time`.
    AddInfo,
    /// `fields - ...`: these fields removed (a name may end in `*`).
    Drop(Vec<String>),
    /// `value` aggregated per bucket (unless the query is instant) and `by`.
    Stats { func: StatsFunc, by: Vec<String> },
    /// Rows ordered by `value`, largest first when `descending`.
    SortByValue { descending: bool },
    /// `topk_rank`: each row's place in that order within its bucket and
    /// `by` group.
    Rank { by: Vec<String> },
    /// The app's `histogram_quantile` macro over the `le` buckets of each
    /// bucket and `by` group.
    Quantile { q: Scalar, by: Vec<String> },
}

impl Stage {
    /// Whether the stage reads and writes one row at a time, so that it
    /// can run on a row that holds other operands too: `eval`, `where`,
    /// `addinfo` and `fields -`; not `stats`, `sort`, `streamstats` or a
    /// macro.
    pub fn row_by_row(&self) -> bool {
        matches!(
            self,
            Stage::Eval { .. } | Stage::Where(_) | Stage::AddInfo | Stage::Drop(_)
        )
    }
}

/// An eval expression that yields a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Num(f64),
    /// A number as the caller wrote it (a variable bound to a value).
    Literal(String),
    /// A dashboard token holding a number (name without `$`).
    Token(String),
    /// An eval expression handed in by the caller, left for Splunk to
    /// expand (e.g. an alert's threshold macro).
    Spl(String),
    /// A field of the row.
    Field(String),
    /// `(x)`: the parentheses PromQL's source had.
    Paren(Box<Scalar>),
    /// `-x`.
    Neg(Box<Scalar>),
    /// `l OP r`, a comparison as 1 or 0.
    Op(BinOp, Box<Scalar>, Box<Scalar>),
    /// The chart's span in seconds.
    SpanSeconds,
    /// The end of the row's bucket (`_time` is its start).
    BucketEnd,
    /// The search range in seconds (needs [`Stage::AddInfo`] before it).
    SearchRange,
}

impl Scalar {
    pub fn field(name: &str) -> Scalar {
        Scalar::Field(name.to_string())
    }

    pub fn op(op: BinOp, l: Scalar, r: Scalar) -> Scalar {
        Scalar::Op(op, Box::new(l), Box::new(r))
    }

    /// Whether `p` holds for the expression or any expression inside it.
    fn any(&self, p: &dyn Fn(&Scalar) -> bool) -> bool {
        p(self)
            || match self {
                Scalar::Paren(x) | Scalar::Neg(x) => x.any(p),
                Scalar::Op(_, l, r) => l.any(p) || r.any(p),
                _ => false,
            }
    }

    /// Whether the expression reads the field `name`.
    pub fn reads(&self, name: &str) -> bool {
        self.any(&|x| match x {
            Scalar::Field(f) => f == name,
            Scalar::BucketEnd => name == "_time",
            Scalar::SearchRange => name == "info_min_time" || name == "info_max_time",
            _ => false,
        })
    }

    /// Whether the expression reads the search's time range.
    pub fn reads_search_range(&self) -> bool {
        self.any(&|x| matches!(x, Scalar::SearchRange))
    }

    /// Whether the expression can be a search macro's argument, which
    /// cannot hold a comma: not a power or a comparison (both written as
    /// functions of two arguments), nor caller SPL with a comma.
    pub fn fits_macro_argument(&self) -> bool {
        !self.any(&|x| match x {
            Scalar::Spl(s) | Scalar::Literal(s) => s.contains(','),
            Scalar::Op(op, ..) => *op == BinOp::Pow || op.is_comparison(),
            _ => false,
        })
    }
}

/// A `where` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `l OP r` for a comparison operator.
    Compare(BinOp, Scalar, Scalar),
    /// The field's value is exactly this text (no wildcards).
    Equals {
        field: String,
        value: String,
    },
    /// The whole of the field's value matches this regex.
    Matches {
        field: String,
        regex: String,
    },
    IsNull(String),
    IsNotNull(String),
    Not(Box<Cond>),
    /// All of them (written without parentheses: see [`Cond::Paren`]).
    And(Vec<Cond>),
    /// Any of them (written without parentheses: see [`Cond::Paren`]).
    Or(Vec<Cond>),
    /// `(c)`.
    Paren(Box<Cond>),
}

impl Cond {
    pub fn not(c: Cond) -> Cond {
        Cond::Not(Box::new(c))
    }

    /// Whether the condition reads the field `name`.
    pub fn reads(&self, name: &str) -> bool {
        match self {
            Cond::Compare(_, l, r) => l.reads(name) || r.reads(name),
            Cond::Equals { field, .. } | Cond::Matches { field, .. } => field == name,
            Cond::IsNull(f) | Cond::IsNotNull(f) => f == name,
            Cond::Not(c) | Cond::Paren(c) => c.reads(name),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(|c| c.reads(name)),
        }
    }
}

/// A condition of an `mstats` WHERE clause (search syntax, where `*` in a
/// value is a wildcard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pred {
    /// `field="value"`, `*` matching any text.
    Eq {
        field: String,
        value: String,
    },
    /// `field=*`: the series has the field.
    Present(String),
    Not(Box<Pred>),
    /// `(a OR b ...)`.
    Any(Vec<Pred>),
    /// A predicate handed in by the caller (a dashboard's filter token).
    Spl(String),
}

impl Pred {
    pub fn eq(field: &str, value: &str) -> Pred {
        Pred::Eq {
            field: field.to_string(),
            value: value.to_string(),
        }
    }

    pub fn not(p: Pred) -> Pred {
        Pred::Not(Box::new(p))
    }
}
