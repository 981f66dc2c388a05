//! The renderer: a planned relation as SPL text, one command a line.
//!
//! The only module that writes SPL: the planner hands it [`super::ir`]
//! values, and quoting, parentheses and the `BY _time` of a bucketed search
//! are decided here.

use super::ir::{Calc, Combine, Cond, Grain, Head, Pred, Rel, Scalar, ScanFunc, Stage, StatsFunc};
use super::{Options, SpanSpec};
use crate::promql::ast::BinOp;

pub fn render(rel: &Rel, opts: &Options, instant: bool) -> String {
    let r = Renderer { opts, instant };
    let mut out = String::new();
    r.write(rel, 0, &mut out);
    out
}

struct Renderer<'a> {
    opts: &'a Options,
    instant: bool,
}

impl Renderer<'_> {
    /// Writes `rel` starting with its generating command (`| mstats` or
    /// `| makeresults`); each later command on its own line, indented by
    /// `depth` inside subsearches.
    fn write(&self, rel: &Rel, depth: usize, out: &mut String) {
        let mut cmds: Vec<String> = Vec::new();
        self.commands(rel, depth, &mut cmds);
        pipeline(&cmds, depth, out);
    }

    /// `append [...]` of `rel` and then the `extra` commands, one level in.
    fn subsearch(&self, rel: &Rel, extra: &[String], depth: usize) -> String {
        let mut inner = Vec::new();
        self.commands(rel, depth + 1, &mut inner);
        inner.extend(extra.iter().cloned());
        let mut s = String::from("append [");
        pipeline(&inner, depth + 1, &mut s);
        s.push(']');
        s
    }

    /// `_time` (unless the query is instant) and the fields: a bucket and
    /// group.
    fn per_bucket<'f>(&self, fields: &'f [String]) -> Vec<&'f str> {
        let mut all: Vec<&str> = Vec::new();
        if !self.instant {
            all.push("_time");
        }
        all.extend(fields.iter().map(String::as_str));
        all
    }

    /// ` BY _time <fields>` (no `_time` in an instant query), or nothing.
    fn by_time(&self, fields: &[String]) -> String {
        let all = self.per_bucket(fields);
        if all.is_empty() {
            String::new()
        } else {
            format!(" BY {}", all.join(" "))
        }
    }

    fn span(&self) -> &SpanSpec {
        &self.opts.span
    }

    /// The `span=` of an `mstats` reading at `grain`.
    fn span_at(&self, grain: Grain) -> String {
        match grain {
            Grain::Bucket => self.span().span_arg(),
            Grain::Lookback => self.span().lookback_arg(),
        }
    }

    /// Point 3: each series' `latest` at the lookback grain made its last
    /// sample in the 5 minutes before each bucket's end, for each
    /// aggregation `fields` of the scan (`stats latest` of a field skips the
    /// rows without it, so each keeps its own last sample).
    fn lookback_stages(&self, fields: &[String], by: &[String], cmds: &mut Vec<String>) {
        let s = self.span().seconds();
        let lb = super::LOOKBACK_S;
        // A row too early in its bucket to reach the bucket's window (S > 300).
        cmds.push(format!(
            "where _time + {lb} >= floor(_time / {s}) * {s} + {s}"
        ));
        cmds.push("addinfo".into());
        // Buckets B with B <= m < B + S and B + S - 300 <= m, inside the search.
        cmds.push(format!(
            "eval lookback_bucket=mvrange(floor(_time / {s}) * {s}, min(_time + {lb} - {s} + 1, if(isnum(info_max_time), info_max_time, now())), {s})"
        ));
        cmds.push("mvexpand lookback_bucket".into());
        let latest: Vec<String> = fields
            .iter()
            .map(|f| format!("latest({f}) AS {f}"))
            .collect();
        cmds.push(format!(
            "stats {} BY lookback_bucket {}",
            latest.join(" "),
            by.join(" ")
        ));
        cmds.push("rename lookback_bucket AS _time".into());
    }

    fn commands(&self, rel: &Rel, depth: usize, cmds: &mut Vec<String>) {
        match &rel.head {
            Head::Mstats {
                filters,
                by,
                grain,
                calc,
            } => {
                // A series without one of the BY labels keeps its rows
                // (super::ABSENT); host is always there.
                let fill = if by.iter().any(|b| b != "host") {
                    format!("fillnull_value={} ", quote(super::ABSENT))
                } else {
                    String::new()
                };
                let mut aggs = Vec::new();
                aggregations(calc, "value", &mut aggs);
                let written: Vec<String> = aggs
                    .iter()
                    .map(|(func, metric, field)| format!("{}({metric}) AS {field}", func.name()))
                    .collect();
                let mut s = format!(
                    "mstats {fill}{} WHERE `{}`",
                    written.join(" "),
                    self.opts.index_macro
                );
                if let Some(node) = &self.opts.node_filter {
                    s.push_str(" AND ");
                    s.push_str(node);
                }
                for f in filters {
                    s.push_str(" AND ");
                    pred(f, &mut s);
                }
                if !by.is_empty() {
                    s.push_str(" BY ");
                    s.push_str(&by.join(" "));
                }
                if !self.instant {
                    s.push_str(" span=");
                    s.push_str(&self.span_at(*grain));
                }
                cmds.push(s);
                if *grain == Grain::Lookback && !self.instant {
                    let fields: Vec<String> = aggs.into_iter().map(|(_, _, f)| f).collect();
                    self.lookback_stages(&fields, by, cmds);
                }
                self.calculate(calc, "value", cmds);
            }
            Head::Steps { value } => {
                if self.instant {
                    cmds.push("makeresults".into());
                    cmds.push(format!("eval value={}", self.scalar(value)));
                    cmds.push("fields value".into());
                } else {
                    // Every bucket mstats would make over the search range:
                    // starts on multiples of the span (Search Reference,
                    // mstats span and bin), from the range's first.
                    let s = self.span().seconds();
                    cmds.push("makeresults".into());
                    cmds.push("addinfo".into());
                    cmds.push(format!(
                        "eval _time=mvrange(floor(info_min_time / {s}) * {s}, info_max_time, {s})"
                    ));
                    cmds.push("mvexpand _time".into());
                    cmds.push(format!("eval value={}", self.scalar(value)));
                    cmds.push("fields _time value".into());
                }
            }
            Head::Join {
                lhs,
                rhs,
                on,
                carry,
                combine,
            } => {
                self.commands(lhs, depth, cmds);
                match combine {
                    Combine::Arith(_) | Combine::Filter(_) => {
                        cmds.push("rename value AS lhs".into());
                        cmds.push(self.subsearch(rhs, &["rename value AS rhs".to_string()], depth));
                        let mut st = String::from("stats first(lhs) AS lhs first(rhs) AS rhs");
                        for c in carry {
                            st.push_str(&format!(" first({c}) AS {c}"));
                        }
                        st.push_str(&self.by_time(on));
                        cmds.push(st);
                        self.combined(*combine, "lhs", "rhs", "value", cmds);
                    }
                    Combine::Or => {
                        cmds.push("eval or_side=1".into());
                        cmds.push(self.subsearch(rhs, &["eval or_side=2".to_string()], depth));
                        cmds.push(format!(
                            "eventstats min(or_side) AS or_first{}",
                            self.by_time(&rel.labels)
                        ));
                        cmds.push("where or_side == or_first".into());
                        cmds.push("fields - or_side or_first".into());
                    }
                    Combine::And | Combine::Unless => {
                        let mut keep: Vec<String> = Vec::new();
                        if !self.instant {
                            keep.push("_time".into());
                        }
                        keep.extend(on.iter().cloned());
                        keep.push("has_side".into());
                        cmds.push("eval has_side=1".into());
                        cmds.push(self.subsearch(
                            rhs,
                            &[
                                "eval has_side=2".to_string(),
                                format!("fields {}", keep.join(" ")),
                            ],
                            depth,
                        ));
                        cmds.push(format!(
                            "eventstats max(has_side) AS has_other{}",
                            self.by_time(on)
                        ));
                        cmds.push(format!(
                            "where has_side == 1 AND has_other {} 2",
                            if *combine == Combine::And { "==" } else { "!=" }
                        ));
                        cmds.push("fields - has_side has_other".into());
                    }
                }
            }
        }
        self.stages(&rel.stages, cmds);
    }

    fn stages(&self, stages: &[Stage], cmds: &mut Vec<String>) {
        for st in stages {
            self.stage(st, cmds);
        }
    }

    /// One stage: one command, or the few that do its job.
    fn stage(&self, st: &Stage, cmds: &mut Vec<String>) {
        match st {
            Stage::Eval { field, expr } => cmds.push(format!("eval {field}={}", self.scalar(expr))),
            Stage::Where(c) => {
                let mut s = String::from("where ");
                self.cond(c, &mut s);
                cmds.push(s);
            }
            Stage::AddInfo => cmds.push("addinfo".into()),
            Stage::Drop(fields) => cmds.push(format!("fields - {}", fields.join(" "))),
            Stage::Stats { func, by } => cmds.push(format!(
                "stats {}(value) AS value{}",
                func.name(),
                self.by_time(by)
            )),
            Stage::SortByValue { descending } => cmds.push(format!(
                "sort 0 {}num(value)",
                if *descending { "-" } else { "+" }
            )),
            // streamstats counts rows in the order sort left them (Search
            // Reference, streamstats): the rank within the group.
            Stage::Rank { by } => cmds.push(format!(
                "streamstats count AS topk_rank{}",
                self.by_time(by)
            )),
            Stage::Quantile { q, by } => {
                let mut group = self.per_bucket(by);
                let alone = group.is_empty();
                if alone {
                    // The macro needs a group field: one group of every row.
                    cmds.push("eval quantile_group=1".into());
                    group.push("quantile_group");
                }
                cmds.push(format!(
                    "`mattermost_metrics_histogram_quantile({}, {})`",
                    self.scalar(q),
                    group.join(" ")
                ));
                if alone {
                    cmds.push("fields - quantile_group".into());
                }
            }
        }
    }

    /// The commands that turn the aggregations of `calc` into `field`: each
    /// operand's stages, written over `value`, run on its own field renamed.
    fn calculate(&self, calc: &Calc, field: &str, cmds: &mut Vec<String>) {
        let stages = match calc {
            Calc::Metric { stages, .. } => stages,
            Calc::Match {
                lhs,
                rhs,
                combine,
                stages,
            } => {
                let (l, r) = operand_fields(field);
                self.calculate(lhs, &l, cmds);
                self.calculate(rhs, &r, cmds);
                self.combined(*combine, &l, &r, field, cmds);
                stages
            }
        };
        if stages.is_empty() {
            return;
        }
        if field != "value" {
            cmds.push(format!("rename {field} AS value"));
        }
        self.stages(stages, cmds);
        if field != "value" {
            cmds.push(format!("rename value AS {field}"));
        }
    }

    /// A match of the fields `l` and `r` of each row into `field` (rows
    /// missing either are dropped), the operand fields removed.
    fn combined(&self, combine: Combine, l: &str, r: &str, field: &str, cmds: &mut Vec<String>) {
        cmds.push(format!("where isnotnull({l}) AND isnotnull({r})"));
        let (ls, rs) = (Scalar::field(l), Scalar::field(r));
        match combine {
            Combine::Arith(op) => {
                let mut e = String::new();
                self.op(op, &ls, &rs, true, &mut e);
                cmds.push(format!("eval {field}={e}"));
                cmds.push(format!("fields - {l} {r}"));
                cmds.push(format!("where isnotnull({field})"));
            }
            Combine::Filter(op) => {
                let mut c = String::new();
                self.op(op, &ls, &rs, false, &mut c);
                cmds.push(format!("where {c}"));
                cmds.push(format!("eval {field}={l}"));
                cmds.push(format!("fields - {l} {r}"));
            }
            Combine::Or | Combine::And | Combine::Unless => {
                unreachable!("set operators are not combined in a row")
            }
        }
    }

    fn scalar(&self, x: &Scalar) -> String {
        let mut out = String::new();
        self.write_scalar(x, &mut out);
        out
    }

    fn write_scalar(&self, x: &Scalar, out: &mut String) {
        match x {
            Scalar::Num(v) => out.push_str(&number(*v)),
            Scalar::Literal(s) | Scalar::Spl(s) | Scalar::Field(s) => out.push_str(s),
            Scalar::Token(t) => {
                out.push('$');
                out.push_str(t);
                out.push('$');
            }
            Scalar::Paren(x) => {
                out.push('(');
                self.write_scalar(x, out);
                out.push(')');
            }
            // A field needs no parentheses; anything else keeps its own
            // precedence under the minus.
            Scalar::Neg(x) => match &**x {
                Scalar::Field(f) => {
                    out.push('-');
                    out.push_str(f);
                }
                x => {
                    out.push_str("-(");
                    self.write_scalar(x, out);
                    out.push(')');
                }
            },
            Scalar::Op(op, l, r) => self.op(*op, l, r, true, out),
            Scalar::SpanSeconds => out.push_str(&self.span().seconds()),
            Scalar::BucketEnd => {
                out.push_str("(_time + ");
                out.push_str(&self.span().seconds());
                out.push(')');
            }
            Scalar::SearchRange => out.push_str("(info_max_time - info_min_time)"),
        }
    }

    /// `l OP r` as eval; a comparison as a value (1 or 0) when `as_value`,
    /// else as a condition.
    fn op(&self, op: BinOp, l: &Scalar, r: &Scalar, as_value: bool, out: &mut String) {
        let (l, r) = (self.scalar(l), self.scalar(r));
        let cmp = |sym: &str| {
            if as_value {
                format!("if({l} {sym} {r}, 1, 0)")
            } else {
                format!("{l} {sym} {r}")
            }
        };
        out.push_str(&match op {
            BinOp::Add => format!("{l} + {r}"),
            BinOp::Sub => format!("{l} - {r}"),
            BinOp::Mul => format!("{l} * {r}"),
            BinOp::Div => format!("{l} / {r}"),
            BinOp::Mod => format!("{l} % {r}"),
            BinOp::Pow => format!("pow({l}, {r})"),
            BinOp::Eq => cmp("=="),
            BinOp::Ne => cmp("!="),
            BinOp::Gt => cmp(">"),
            BinOp::Lt => cmp("<"),
            BinOp::Ge => cmp(">="),
            BinOp::Le => cmp("<="),
            BinOp::Or | BinOp::And | BinOp::Unless => unreachable!("set operators are joins"),
        });
    }

    fn cond(&self, c: &Cond, out: &mut String) {
        let list = |cs: &[Cond], sep: &str, out: &mut String| {
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                self.cond(c, out);
            }
        };
        match c {
            Cond::Compare(op, l, r) => self.op(*op, l, r, false, out),
            Cond::Equals { field, value } => {
                out.push_str(field);
                out.push_str("==");
                out.push_str(&quote(value));
            }
            Cond::Matches { field, regex } => {
                out.push_str(&format!(
                    "match({field}, {})",
                    quote(&format!("^(?:{regex})$"))
                ));
            }
            Cond::IsNull(f) => out.push_str(&format!("isnull({f})")),
            Cond::IsNotNull(f) => out.push_str(&format!("isnotnull({f})")),
            Cond::Not(c) => {
                out.push_str("NOT ");
                self.cond(c, out);
            }
            Cond::And(cs) => list(cs, " AND ", out),
            Cond::Or(cs) => list(cs, " OR ", out),
            Cond::Paren(c) => {
                out.push('(');
                self.cond(c, out);
                out.push(')');
            }
        }
    }
}

/// Commands as a pipeline: `| ` before the first, each later one on its
/// own line indented by `depth` (inside subsearches).
fn pipeline(cmds: &[String], depth: usize, out: &mut String) {
    out.push_str("| ");
    out.push_str(&cmds.join(&format!("\n{}| ", "  ".repeat(depth))));
}

/// A condition of an `mstats` WHERE clause.
fn pred(p: &Pred, out: &mut String) {
    match p {
        Pred::Eq { field, value } => {
            out.push_str(field);
            out.push('=');
            out.push_str(&quote(value));
        }
        Pred::Present(f) => {
            out.push_str(f);
            out.push_str("=*");
        }
        Pred::Not(p) => {
            out.push_str("NOT ");
            pred(p, out);
        }
        Pred::Any(ps) => {
            out.push('(');
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    out.push_str(" OR ");
                }
                pred(p, out);
            }
            out.push(')');
        }
        Pred::Spl(s) => out.push_str(s),
    }
}

/// Quotes a value for a search filter or an eval string: `\` and `"` escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A [`SpanSpec`] as the text of search arguments (the dashboard
/// generator writes its own searches with [`SpanSpec::seconds`] too).
impl SpanSpec {
    /// The text after `span=`.
    pub(crate) fn span_arg(&self) -> String {
        match self {
            SpanSpec::Seconds(s) => format!("{s}s"),
            SpanSpec::Token { span, .. } => format!("${span}$"),
        }
    }
    /// The span in seconds, as an eval operand.
    pub(crate) fn seconds(&self) -> String {
        match self {
            SpanSpec::Seconds(s) => s.to_string(),
            SpanSpec::Token { seconds, .. } => format!("${seconds}$"),
        }
    }
    /// The text after `span=` of an instant selector's `mstats`: the
    /// [`super::lookback_grain`] of the span.
    pub(crate) fn lookback_arg(&self) -> String {
        match self {
            SpanSpec::Seconds(s) => format!("{}s", super::lookback_grain(*s)),
            SpanSpec::Token { lookback, .. } => format!("${lookback}$"),
        }
    }
}

/// A number as eval reads it.
fn number(v: f64) -> String {
    if v.is_nan() {
        "null()".to_string()
    } else if v.is_infinite() {
        // eval has no infinity literal; 1e308*10 overflows to it.
        if v > 0.0 {
            "exact(1e308*10)"
        } else {
            "exact(-1e308*10)"
        }
        .to_string()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl ScanFunc {
    fn name(self) -> &'static str {
        match self {
            ScanFunc::Latest => "latest",
            ScanFunc::RateSum => "rate_sum",
            ScanFunc::RateAvg => "rate_avg",
        }
    }
}

impl StatsFunc {
    fn name(self) -> &'static str {
        match self {
            StatsFunc::Sum => "sum",
            StatsFunc::Avg => "avg",
            StatsFunc::Min => "min",
            StatsFunc::Max => "max",
            StatsFunc::Count => "count",
        }
    }
}

/// The operands' fields of a match whose result is `field`: `lhs` and `rhs`
/// at the top, `<field>_lhs` and `<field>_rhs` below.
fn operand_fields(field: &str) -> (String, String) {
    if field == "value" {
        ("lhs".into(), "rhs".into())
    } else {
        (format!("{field}_lhs"), format!("{field}_rhs"))
    }
}

/// Every aggregation of `calc`, left to right: its function, its metric and
/// the field it is named.
fn aggregations(calc: &Calc, field: &str, out: &mut Vec<(ScanFunc, String, String)>) {
    match calc {
        Calc::Metric { func, metric, .. } => out.push((*func, metric.clone(), field.to_string())),
        Calc::Match { lhs, rhs, .. } => {
            let (l, r) = operand_fields(field);
            aggregations(lhs, &l, out);
            aggregations(rhs, &r, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
