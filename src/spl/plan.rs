//! The planner: which SPL computes each PromQL node, and why.
//!
//! A vector is a relation: rows of `_time`, label fields and `value`. Each
//! node of the expression becomes a relation ([`super::ir::Rel`]) built
//! from its children's; the planner writes no SPL, [`super::render`] does.
//!
//! The semantic decisions, each written down once:
//!
//! 1. **The rate window is the bucket.** `rate(x[5m])` at a Grafana step is
//!    the rate over the 5 minutes before it, a sliding window, extrapolated
//!    to the window's edges. `mstats rate_sum(x) ... span=S` is, per series
//!    and bucket of S seconds, the change from "the latest value of a metric
//!    measurement from the previous timespan" (the basis) to the bucket's
//!    latest value, over the time between them, resets handled (Search
//!    Reference > Time functions, rate_avg/rate_sum). Both average the same
//!    samples' slopes over different stretches of time: where the rate is
//!    steady they agree; where it changes, Splunk's line is less smoothed
//!    than Grafana's, with the same average over time. The differential
//!    harness holds each rate-derived value between the two definitions
//!    evaluated on the same samples. `increase(x[R])` is that rate times R
//!    seconds, so its unit stays "per R" whatever the bucket.
//! 2. **`irate` is `rate`.** Splunk has no "last two samples" function, and
//!    emulating one needs every sample of every series out of the index.
//!    For a counter whose rate is steady over the bucket the two agree; a
//!    spike shorter than a bucket is flattened. The compiler notes it.
//! 3. **An instant selector is the last sample in the lookback.**
//!    Prometheus evaluates a step at T (= the bucket's start B + S) and
//!    takes each series' last sample in (T - 5m, T] ([`super::LOOKBACK_S`],
//!    promql/engine.go `defaultLookbackDelta`): a missed scrape, or a
//!    forwarder gone for a few minutes, leaves no hole, and a series that
//!    stopped vanishes 5 minutes after its last sample. Splunk's `latest` of
//!    the bucket would leave a hole (a dip in a sum over hosts) and keep a
//!    stopped series to the end of a long bucket. So `mstats latest(x)`
//!    reads at the lookback grain G ([`super::lookback_grain`]: the
//!    greatest common divisor of S and 300 s, so that the window is whole
//!    buckets of G), and each row, whose sample lies in [m, m + G), serves
//!    every bucket B whose window holds it: B from floor(m / S) * S while
//!    B + S - 300 <= m, and B before the search's end (`mvrange` +
//!    `mvexpand`). Per bucket and series the row of the latest m wins
//!    (`stats latest(value)`, `_time` being m). One `mstats`, at most
//!    300 / S + 1 rows per row; for S >= 300 only the rows of the last 300 s
//!    of each bucket are kept. Where this differs from Prometheus: a sample
//!    exactly on a grain boundary (the window's start is counted, its end
//!    is the next bucket's, as everywhere in Splunk's buckets); Prometheus
//!    drops a target's series at once when its own scrape fails (staleness
//!    markers), which Splunk cannot tell from a late forwarder. A query over
//!    the whole range (point 5) keeps the range's last sample.
//! 4. **Rates before aggregation.** `sum by (g) (rate(x[..]))` is `mstats
//!    rate_sum(x) BY g`: Splunk computes each series' rate, then sums them
//!    (Search Reference, rate_sum). `avg` uses `rate_avg`; other
//!    aggregations take per-series rates first and aggregate with `stats`.
//! 5. **`[$__range]` makes the query instant**: one answer over the whole
//!    time range (no span), as Grafana's stat panels and `query_result`
//!    variables ask Prometheus at the range's end.
//! 6. **Vector matching** is one-to-one on the label fields (both sides must
//!    have the same ones, or `on`/`ignoring` says which to match on). When
//!    both operands are scans of the index with the same filters and BY
//!    fields followed only by row-by-row stages, matched on all their labels
//!    by arithmetic or a filtering comparison (`a_sum / a_count`,
//!    `hit / (miss + hit)`, `a / (b > 0)`), they are one `mstats` with an
//!    aggregation per operand (`rate_sum(a) AS lhs rate_sum(b) AS rhs`):
//!    each row is a matched pair and `eval` combines it. Otherwise the right
//!    operand comes through `append` and pairs form by `stats first(..) BY
//!    _time <labels>`. A subsearch returns at most 50,000 rows (Search
//!    Reference, append: maxout), and a scan's rows grow with series x
//!    buckets: 10 nodes x 200 API handlers x 168 buckets of a 7-day chart
//!    pass it many times over. `append` stays where an operand is grouped
//!    by `stats` first (its rows are groups x buckets), filtered
//!    differently, matched on some of its labels, or `or`/`and`/`unless`.
//! 7. **Non-finite results**: Splunk's eval gives null for a division by
//!    zero where PromQL gives NaN or ±Inf; a chart draws neither.
//! 8. **Grouping by a label the series lack**: PromQL groups them under an
//!    empty value; `mstats BY` (and `stats BY`) would drop them. A label the
//!    catalogue says the metric does not have is left out of BY, which
//!    gives PromQL's answer (the label is empty in every group).
//! 9. **`time()` is the end of the bucket** (`_time + span`): Prometheus
//!    evaluates a step at its end, where Splunk labels a bucket by its
//!    start. It needs `_time`, so it is not available in a query over the
//!    whole range (point 5).

use std::collections::HashMap;

use super::catalog;
use super::ir::{Calc, Combine, Cond, Grain, Head, Pred, Rel, Scalar, ScanFunc, Stage, StatsFunc};
use super::matcher::{self, Filter};
use super::{Binding, CompileError, Options};
use crate::promql::ast::{
    AggOp, BinOp, Expr, ExprKind, Function, Grouping, MatchOp, Matching, Range, Selector, Span,
    TemplatePart,
};

impl Calc {
    /// Moves every `where` that reads no `value` (a condition on labels)
    /// out of this calculation into `out`, once each.
    fn hoist_label_filters(&mut self, out: &mut Vec<Stage>) {
        if let Calc::Match { lhs, rhs, .. } = self {
            lhs.hoist_label_filters(out);
            rhs.hoist_label_filters(out);
        }
        self.stages_mut().retain(|s| {
            let on_labels = matches!(s, Stage::Where(c) if !c.reads("value"));
            if on_labels {
                push_unique(out, s.clone());
            }
            !on_labels
        });
    }
}

pub struct Planned {
    pub rel: Rel,
    pub instant: bool,
    pub notes: Vec<String>,
}

pub fn plan(expr: &Expr, opts: &Options) -> Result<Planned, CompileError> {
    let mut assumed = HashMap::new();
    named_above_unknown(expr, &[], &mut assumed);
    let mut p = Planner {
        opts,
        instant: uses_whole_range(expr),
        notes: Vec::new(),
        assumed,
    };
    match p.node(expr)? {
        Node::Vector(rel) => Ok(Planned {
            rel,
            instant: p.instant,
            notes: p.notes,
        }),
        Node::Scalar(_) => Err(CompileError {
            message: "a scalar expression has no series to chart; wrap it in `vector(...)`".into(),
            span: expr.span,
        }),
    }
}

/// Point 8: for each selector of a metric the catalogue does not know, the
/// labels (as fields) that a `by` or `on` clause above it names. Nothing
/// says which labels such a metric has; a label the query groups or
/// matches by is taken to be one of them, so that it reaches `mstats BY`.
fn named_above_unknown(e: &Expr, above: &[String], out: &mut HashMap<String, Vec<String>>) {
    let with = |labels: &[String]| {
        let mut v = above.to_vec();
        for l in labels {
            push_unique(&mut v, matcher::field_of(l));
        }
        v
    };
    match &e.kind {
        ExprKind::Selector(s) | ExprKind::Matrix { selector: s, .. } => {
            if catalog::lookup(&s.metric).is_none() {
                let entry = out.entry(s.metric.clone()).or_default();
                for l in above {
                    push_unique(entry, l.clone());
                }
            }
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                named_above_unknown(a, above, out);
            }
        }
        ExprKind::Aggregate {
            grouping,
            expr,
            param,
            ..
        } => {
            let inner = match grouping {
                Some(g) if !g.without => with(&g.labels),
                _ => above.to_vec(),
            };
            named_above_unknown(expr, &inner, out);
            if let Some(p) = param {
                named_above_unknown(p, above, out);
            }
        }
        ExprKind::Binary {
            lhs, rhs, matching, ..
        } => {
            let inner = match matching {
                Some(m) if m.on => with(&m.labels),
                _ => above.to_vec(),
            };
            named_above_unknown(lhs, &inner, out);
            named_above_unknown(rhs, &inner, out);
        }
        ExprKind::Negate(x) | ExprKind::Paren(x) => named_above_unknown(x, above, out),
        ExprKind::Number(_) | ExprKind::Variable(_) => {}
    }
}

/// Whether any range is `[$__range]` (point 5).
fn uses_whole_range(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Matrix {
            range: Range::Variable(v),
            ..
        } => v == "__range",
        ExprKind::Call { args, .. } => args.iter().any(uses_whole_range),
        ExprKind::Aggregate { param, expr, .. } => {
            uses_whole_range(expr) || param.as_deref().is_some_and(uses_whole_range)
        }
        ExprKind::Binary { lhs, rhs, .. } => uses_whole_range(lhs) || uses_whole_range(rhs),
        ExprKind::Negate(x) | ExprKind::Paren(x) => uses_whole_range(x),
        _ => false,
    }
}

enum Node {
    /// An eval expression (a number, a token, arithmetic of them).
    Scalar(Scalar),
    Vector(Rel),
}

/// A selector's matchers: search filters for `mstats`, `where` conditions
/// after it, and the fields those conditions need in its BY.
#[derive(Default)]
struct Filters {
    search: Vec<Pred>,
    wheres: Vec<Cond>,
    need: Vec<String>,
}

struct Planner<'a> {
    opts: &'a Options,
    instant: bool,
    notes: Vec<String>,
    /// Labels assumed present on metrics outside the catalogue (point 8):
    /// those that a `by (...)` or `on (...)` above one of their selectors
    /// names.
    assumed: HashMap<String, Vec<String>>,
}

fn err<T>(span: Span, message: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError {
        message: message.into(),
        span,
    })
}

impl Planner<'_> {
    fn node(&mut self, e: &Expr) -> Result<Node, CompileError> {
        match &e.kind {
            ExprKind::Number(v) => Ok(Node::Scalar(Scalar::Num(*v))),
            ExprKind::Variable(name) => Ok(Node::Scalar(match self.opts.vars.get(name) {
                Some(Binding::Value(v)) => {
                    if v.parse::<f64>().is_err() {
                        return err(
                            e.span,
                            format!("variable `${name}` = {v:?} is not a number"),
                        );
                    }
                    Scalar::Literal(v.clone())
                }
                Some(Binding::Predicate(_)) => {
                    return err(
                        e.span,
                        format!("variable `${name}` is a filter, not a number"),
                    )
                }
                Some(Binding::Token(t)) => Scalar::Token(t.clone()),
                Some(Binding::Spl(expr)) => Scalar::Spl(expr.clone()),
                None => Scalar::Token(name.clone()),
            })),
            ExprKind::Paren(x) => match self.node(x)? {
                Node::Scalar(s) => Ok(Node::Scalar(Scalar::Paren(Box::new(s)))),
                v => Ok(v),
            },
            ExprKind::Negate(x) => match self.node(x)? {
                Node::Scalar(s) => Ok(Node::Scalar(Scalar::Neg(Box::new(s)))),
                Node::Vector(mut r) => {
                    r.stages.push(Stage::Eval {
                        field: "value".into(),
                        expr: Scalar::Neg(Box::new(Scalar::field("value"))),
                    });
                    Ok(Node::Vector(r))
                }
            },
            ExprKind::Selector(sel) => Ok(Node::Vector(self.selector(sel, e.span)?)),
            ExprKind::Matrix { .. } => err(
                e.span,
                "a range vector (`x[5m]`) can only be the argument of rate, irate or increase",
            ),
            ExprKind::Call {
                func: Function::Time,
                ..
            } => self.time(e.span).map(Node::Scalar),
            ExprKind::Call { func, args } => self.call(*func, args, e.span).map(Node::Vector),
            ExprKind::Aggregate {
                op,
                param,
                grouping,
                expr,
            } => self
                .aggregate(*op, param.as_deref(), grouping.as_ref(), expr, e.span)
                .map(Node::Vector),
            ExprKind::Binary {
                op,
                lhs,
                rhs,
                matching,
                return_bool,
            } => self.binary(*op, lhs, rhs, matching.as_ref(), *return_bool, e.span),
        }
    }

    fn vector(&mut self, e: &Expr, what: &str) -> Result<Rel, CompileError> {
        match self.node(e)? {
            Node::Vector(r) => Ok(r),
            Node::Scalar(_) => err(
                e.span,
                format!("{what} needs an instant vector, not a scalar"),
            ),
        }
    }

    fn scalar(&mut self, e: &Expr, what: &str) -> Result<Scalar, CompileError> {
        match self.node(e)? {
            Node::Scalar(s) => Ok(s),
            Node::Vector(_) => err(e.span, format!("{what} must be a number or a variable")),
        }
    }

    /// The filters of a selector.
    fn filters(&self, sel: &Selector) -> Result<Filters, CompileError> {
        let mut f = Filters::default();
        for m in &sel.matchers {
            match matcher::compile(m, self.opts)? {
                Filter::None => {}
                Filter::Search(preds) => {
                    // `instance` with a port already selects the job.
                    for p in preds {
                        push_unique(&mut f.search, p);
                    }
                }
                Filter::Where(c) => {
                    f.wheres.push(c);
                    push_unique(&mut f.need, matcher::field_of(&m.label));
                }
            }
        }
        Ok(f)
    }

    /// The fields that tell this selector's series apart.
    fn series_labels(&mut self, sel: &Selector) -> Vec<String> {
        let mut labels = vec!["host".to_string()];
        let known = catalog::lookup(&sel.metric);
        match known {
            Some(entry) => {
                for l in &entry.labels {
                    push_unique(&mut labels, matcher::field_of(l));
                }
            }
            None => {
                self.notes.push(format!(
                    "metric `{}` is not in the catalogue: its series are told apart by host and the labels the query names",
                    sel.metric
                ));
                // Point 8: labels a `by` or `on` above names.
                for l in self.assumed.get(&sel.metric).into_iter().flatten() {
                    push_unique(&mut labels, l.clone());
                }
            }
        }
        for m in &sel.matchers {
            // A label that `=` pins to one value cannot tell series apart;
            // of a metric outside the catalogue it is still a label the
            // series have (point 8), and PromQL returns it.
            let pinned = m.op == MatchOp::Eq
                && m.value
                    .parts
                    .iter()
                    .all(|p| matches!(p, TemplatePart::Text(_)));
            let field = matcher::field_of(&m.label);
            if !pinned || known.is_none() || labels.contains(&field) {
                push_unique(&mut labels, field);
            }
        }
        labels
    }

    fn mstats(
        &self,
        func: ScanFunc,
        sel: &Selector,
        by: Vec<String>,
        mut wheres: Vec<Cond>,
        search: Vec<Pred>,
    ) -> Rel {
        let stages = match wheres.len() {
            0 => Vec::new(),
            1 => vec![Stage::Where(wheres.remove(0))],
            _ => vec![Stage::Where(Cond::And(wheres))],
        };
        Rel {
            head: Head::Mstats {
                filters: search,
                by: by.clone(),
                grain: Grain::Bucket,
                calc: Calc::Metric {
                    func,
                    metric: crate::convert::names::metric_name(&sel.metric).into_owned(),
                    stages: Vec::new(),
                },
            },
            stages,
            labels: by,
        }
    }

    /// Point 3: each series' last sample in the lookback.
    fn selector(&mut self, sel: &Selector, _span: Span) -> Result<Rel, CompileError> {
        let f = self.filters(sel)?;
        let by = by_with(self.series_labels(sel), &f.need);
        let mut rel = self.mstats(ScanFunc::Latest, sel, by, f.wheres, f.search);
        // A fixed bucket of exactly the lookback needs nothing carried: the
        // last sample in it is the one Prometheus takes at its end.
        let whole = matches!(self.opts.span, super::SpanSpec::Seconds(s) if s == super::LOOKBACK_S);
        if !self.instant && !whole {
            self.lookback(&mut rel);
        }
        Ok(rel)
    }

    /// Point 3: `rel`, each series' `latest` at the lookback grain, made
    /// each series' last sample in the 5 minutes before each bucket's end:
    /// the renderer writes that expansion right after the scan, before the
    /// scan's calculation ([`super::render`], `lookback_stages`), so that a
    /// scan of several operands (point 6) carries each of them.
    fn lookback(&self, rel: &mut Rel) {
        if let Head::Mstats { grain, .. } = &mut rel.head {
            *grain = Grain::Lookback;
        }
    }

    /// The selector and range of a rate-like function's argument.
    fn range_arg<'e>(
        &self,
        func: Function,
        args: &'e [Expr],
        span: Span,
    ) -> Result<(&'e Selector, &'e Range), CompileError> {
        match args {
            [Expr {
                kind: ExprKind::Matrix { selector, range },
                ..
            }] => Ok((selector, range)),
            [other] => err(
                other.span,
                format!("{} needs a range vector such as `x[5m]`", func.as_str()),
            ),
            _ => err(span, format!("{} takes one argument", func.as_str())),
        }
    }

    /// Seconds of a range, as an eval operand (for `increase`).
    fn range_seconds(&self, range: &Range) -> Scalar {
        match range {
            Range::Fixed { millis } => Scalar::Num(*millis as f64 / 1000.0),
            Range::Variable(v) if v == "__range" => Scalar::SearchRange,
            Range::Variable(v) => match self.opts.vars.get(v) {
                Some(Binding::Value(val)) => match parse_duration_s(val) {
                    Some(s) => Scalar::Num(s),
                    None => Scalar::SpanSeconds,
                },
                // A dashboard input whose values are seconds.
                Some(Binding::Token(t)) => Scalar::Token(t.clone()),
                _ => Scalar::SpanSeconds,
            },
        }
    }

    fn note_range(&mut self, func: Function, range: &Range) {
        if func == Function::Irate {
            self.notes.push(
                "irate is computed as the rate over each bucket (Splunk has no last-two-samples rate)".into(),
            );
        }
        if let Range::Variable(v) = range {
            if v != "__range"
                && !matches!(
                    self.opts.vars.get(v),
                    Some(Binding::Value(_) | Binding::Token(_))
                )
            {
                self.notes
                    .push(format!("`[${v}]`: the rate window is the chart's bucket"));
            }
        }
    }

    /// `rate`/`irate`/`increase` of each series (points 1, 2).
    fn rate_like(
        &mut self,
        func: Function,
        args: &[Expr],
        span: Span,
        agg: Option<(ScanFunc, Vec<String>)>,
    ) -> Result<Rel, CompileError> {
        let (sel, range) = self.range_arg(func, args, span)?;
        self.note_range(func, range);
        let Filters {
            search,
            wheres,
            need,
        } = self.filters(sel)?;
        let mut rel = match agg {
            // Point 4: aggregated by Splunk while it computes the rates.
            Some((func_name, by)) => {
                let mut mby = by.clone();
                for n in &need {
                    push_unique(&mut mby, n.clone());
                }
                let mut rel = self.mstats(func_name, sel, mby.clone(), wheres, search);
                if mby != by {
                    // Fields kept only for the where conditions: sum them away.
                    rel.stages.push(Stage::Stats {
                        func: StatsFunc::Sum,
                        by: by.clone(),
                    });
                    rel.labels = by;
                }
                rel
            }
            None => {
                let by = by_with(self.series_labels(sel), &need);
                self.mstats(ScanFunc::RateSum, sel, by, wheres, search)
            }
        };
        if func == Function::Increase {
            let secs = self.range_seconds(range);
            let info = secs.reads_search_range();
            if info {
                rel.stages.push(Stage::AddInfo);
            }
            rel.stages.push(Stage::Eval {
                field: "value".into(),
                expr: Scalar::op(BinOp::Mul, Scalar::field("value"), secs),
            });
            if info {
                rel.stages.push(Stage::Drop(vec!["info_*".into()]));
            }
        }
        Ok(rel)
    }

    /// Point 8: `time()` is the end of the row's bucket.
    fn time(&mut self, span: Span) -> Result<Scalar, CompileError> {
        if self.instant {
            return err(
                span,
                "time() in a query over the whole range (`[$__range]`) is not supported",
            );
        }
        Ok(Scalar::BucketEnd)
    }

    fn call(&mut self, func: Function, args: &[Expr], span: Span) -> Result<Rel, CompileError> {
        match func {
            Function::Rate | Function::Irate | Function::Increase => {
                self.rate_like(func, args, span, None)
            }
            Function::HistogramQuantile => {
                let [q, v] = args else {
                    return err(
                        span,
                        "histogram_quantile takes two arguments: a quantile and a vector",
                    );
                };
                let q_span = q.span;
                let q = self.scalar(q, "histogram_quantile's first argument")?;
                if !q.fits_macro_argument() {
                    // A macro argument cannot hold a comma.
                    return err(q_span, "histogram_quantile's quantile must be a number, a variable or arithmetic of them without `^`");
                }
                let mut rel = self.vector(v, "histogram_quantile")?;
                if !rel.labels.iter().any(|l| l == "le") {
                    return err(
                        v.span,
                        "histogram_quantile needs bucket series with their `le` label (e.g. `sum by (le) (rate(x_bucket[5m]))`)",
                    );
                }
                rel.labels.retain(|l| l != "le");
                rel.stages.push(Stage::Quantile {
                    q,
                    by: rel.labels.clone(),
                });
                Ok(rel)
            }
            Function::Vector => {
                let [x] = args else {
                    return err(span, "vector takes one argument");
                };
                let value = self.scalar(x, "vector's argument")?;
                Ok(Rel {
                    head: Head::Steps { value },
                    stages: Vec::new(),
                    labels: Vec::new(),
                })
            }
            Function::Time => unreachable!("time() is a scalar, planned by `time`"),
        }
    }

    fn grouping_labels(&self, inner: &[String], grouping: Option<&Grouping>) -> Vec<String> {
        match grouping {
            None => Vec::new(),
            Some(g) if g.without => {
                let drop: Vec<String> = g.labels.iter().map(|l| matcher::field_of(l)).collect();
                inner
                    .iter()
                    .filter(|l| !drop.contains(l))
                    .cloned()
                    .collect()
            }
            Some(g) => {
                let mut out = Vec::new();
                for l in &g.labels {
                    push_unique(&mut out, matcher::field_of(l));
                }
                out
            }
        }
    }

    fn aggregate(
        &mut self,
        op: AggOp,
        param: Option<&Expr>,
        grouping: Option<&Grouping>,
        inner: &Expr,
        span: Span,
    ) -> Result<Rel, CompileError> {
        // Point 4: sum/avg of rates, computed by mstats itself.
        let unwrapped = strip_parens(inner);
        if let (
            AggOp::Sum | AggOp::Avg,
            ExprKind::Call {
                func: f @ (Function::Rate | Function::Irate | Function::Increase),
                args,
            },
        ) = (op, &unwrapped.kind)
        {
            if grouping.is_none_or(|g| !g.without) {
                let mut by = self.grouping_labels(&[], grouping);
                if let [Expr {
                    kind: ExprKind::Matrix { selector, .. },
                    ..
                }] = args.as_slice()
                {
                    if catalog::lookup(&selector.metric).is_some() {
                        let have = self.series_labels(selector);
                        by.retain(|l| have.contains(l) || l == "job");
                    }
                }
                let has_where = match args.as_slice() {
                    [Expr {
                        kind: ExprKind::Matrix { selector, .. },
                        ..
                    }] => !self.filters(selector)?.wheres.is_empty(),
                    _ => false,
                };
                // rate_avg over rows kept by a where condition would average
                // group averages: only sum fuses then.
                if op == AggOp::Sum || !has_where {
                    let func = if op == AggOp::Sum {
                        ScanFunc::RateSum
                    } else {
                        ScanFunc::RateAvg
                    };
                    return self.rate_like(*f, args, unwrapped.span, Some((func, by)));
                }
            }
        }
        let mut rel = self.vector(inner, "an aggregation")?;
        let mut by = self.grouping_labels(&rel.labels, grouping);
        // Point 8: grouping by a label the series do not have.
        if all_known(inner) {
            by.retain(|l| rel.labels.contains(l) || l == "job");
        }
        match op {
            AggOp::Topk | AggOp::Bottomk => {
                let Some(k) = param else {
                    return err(span, "topk and bottomk take a count first: topk(10, ...)");
                };
                let k = self.scalar(k, "the count of topk/bottomk")?;
                rel.stages.push(Stage::SortByValue {
                    descending: op == AggOp::Topk,
                });
                rel.stages.push(Stage::Rank { by });
                rel.stages.push(Stage::Where(Cond::Compare(
                    BinOp::Le,
                    Scalar::field("topk_rank"),
                    k,
                )));
                rel.stages.push(Stage::Drop(vec!["topk_rank".into()]));
                Ok(rel)
            }
            _ => {
                let func = match op {
                    AggOp::Sum => StatsFunc::Sum,
                    AggOp::Avg => StatsFunc::Avg,
                    AggOp::Min => StatsFunc::Min,
                    AggOp::Max => StatsFunc::Max,
                    AggOp::Count => StatsFunc::Count,
                    AggOp::Topk | AggOp::Bottomk => unreachable!(),
                };
                if param.is_some() {
                    return err(span, format!("{} takes no parameter", op.as_str()));
                }
                rel.stages.push(Stage::Stats {
                    func,
                    by: by.clone(),
                });
                rel.labels = by;
                Ok(rel)
            }
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        lhs: &Expr,
        rhs: &Expr,
        matching: Option<&Matching>,
        return_bool: bool,
        span: Span,
    ) -> Result<Node, CompileError> {
        let set_op = matches!(op, BinOp::Or | BinOp::And | BinOp::Unless);
        let l = self.node(lhs)?;
        let r = self.node(rhs)?;
        let vector_left = matches!(l, Node::Vector(_));
        match (l, r) {
            (Node::Scalar(a), Node::Scalar(b)) => {
                if set_op {
                    return err(span, "`or`, `and` and `unless` need vectors on both sides");
                }
                Ok(Node::Scalar(Scalar::op(op, a, b)))
            }
            (Node::Vector(mut v), Node::Scalar(s)) | (Node::Scalar(s), Node::Vector(mut v)) => {
                if set_op {
                    return err(
                        span,
                        "`or`, `and` and `unless` need vectors on both sides (use `vector(...)`)",
                    );
                }
                let (a, b) = if vector_left {
                    (Scalar::field("value"), s)
                } else {
                    (s, Scalar::field("value"))
                };
                if op.is_comparison() && !return_bool {
                    // PromQL keeps the vector's sample where the comparison holds.
                    v.stages.push(Stage::Where(Cond::Compare(op, a, b)));
                } else {
                    v.stages.push(Stage::Eval {
                        field: "value".into(),
                        expr: Scalar::op(op, a, b),
                    });
                    v.stages.push(Stage::Where(Cond::IsNotNull("value".into())));
                }
                Ok(Node::Vector(v))
            }
            (Node::Vector(a), Node::Vector(b)) => {
                let on = match matching {
                    Some(m) if m.on => m.labels.iter().map(|l| matcher::field_of(l)).collect(),
                    Some(m) => {
                        let ign: Vec<String> =
                            m.labels.iter().map(|l| matcher::field_of(l)).collect();
                        a.labels
                            .iter()
                            .filter(|l| !ign.contains(l))
                            .cloned()
                            .collect()
                    }
                    None => {
                        let (mut x, mut y) = (a.labels.clone(), b.labels.clone());
                        x.sort();
                        y.sort();
                        if x != y && !(op == BinOp::Or) {
                            return err(
                                span,
                                format!(
                                    "the two sides have different labels ({} and {}): PromQL matches nothing; say which to match with on(...) or ignoring(...)",
                                    show(&a.labels),
                                    show(&b.labels)
                                ),
                            );
                        }
                        if op == BinOp::Or && x != y {
                            return err(
                                span,
                                format!(
                                    "`or` between vectors with different labels ({} and {}) is not supported",
                                    show(&a.labels),
                                    show(&b.labels)
                                ),
                            );
                        }
                        a.labels.clone()
                    }
                };
                for f in &on {
                    if !a.labels.contains(f) || !b.labels.contains(f) {
                        return err(
                            span,
                            format!("cannot match on `{f}`: both sides need that label"),
                        );
                    }
                }
                let carry: Vec<String> = a
                    .labels
                    .iter()
                    .filter(|l| !on.contains(l))
                    .cloned()
                    .collect();
                let combine = match op {
                    BinOp::Or => Combine::Or,
                    BinOp::And => Combine::And,
                    BinOp::Unless => Combine::Unless,
                    _ if op.is_comparison() && !return_bool => Combine::Filter(op),
                    _ => Combine::Arith(op),
                };
                if let Some(rel) = one_scan(&a, &b, &carry, combine) {
                    return Ok(Node::Vector(rel));
                }
                let labels = a.labels.clone();
                Ok(Node::Vector(Rel {
                    head: Head::Join {
                        lhs: Box::new(a),
                        rhs: Box::new(b),
                        on,
                        carry,
                        combine,
                    },
                    stages: Vec::new(),
                    labels,
                }))
            }
        }
    }
}

/// Point 6: the two operands of a match as one `mstats`, when each is a
/// scan of the index (of one metric, or already several) with the same
/// filters and BY fields, followed only by row-by-row stages, and the match
/// is on every label (nothing carried) with an operator that keeps only
/// matched rows (arithmetic, a filtering comparison). A row of the joint
/// scan is then exactly a matched pair, and a row a stage drops would have
/// found no partner anyway.
fn one_scan(a: &Rel, b: &Rel, carry: &[String], combine: Combine) -> Option<Rel> {
    if !carry.is_empty() || !matches!(combine, Combine::Arith(_) | Combine::Filter(_)) {
        return None;
    }
    let (fa, ba, ga, mut ca) = scan_of(a)?;
    let (fb, bb, gb, mut cb) = scan_of(b)?;
    if !same_set(fa, fb) || !same_set(ba, bb) || ga != gb {
        return None;
    }
    // A condition on labels drops the whole row whichever operand it came
    // from, which is what the match does with a pair missing one side: it
    // runs once, after the match.
    let mut label_filters = Vec::new();
    ca.hoist_label_filters(&mut label_filters);
    cb.hoist_label_filters(&mut label_filters);
    Some(Rel {
        head: Head::Mstats {
            filters: fa.clone(),
            by: ba.clone(),
            grain: ga,
            calc: Calc::Match {
                lhs: Box::new(ca),
                rhs: Box::new(cb),
                combine,
                stages: Vec::new(),
            },
        },
        stages: label_filters,
        labels: a.labels.clone(),
    })
}

/// A relation as one scan's filters, BY fields, grain and calculation (its
/// stages moved into it), if it is one scan and stages that work row by
/// row. At the lookback grain the renderer carries every aggregation of the
/// scan into the buckets before the calculation, so two instant selectors
/// read at that grain are one scan too: each row of the carried scan holds
/// each operand's last sample in the bucket's 5 minutes.
fn scan_of(rel: &Rel) -> Option<(&Vec<Pred>, &Vec<String>, Grain, Calc)> {
    let Head::Mstats {
        filters,
        by,
        grain,
        calc,
    } = &rel.head
    else {
        return None;
    };
    if !rel.stages.iter().all(Stage::row_by_row) {
        return None;
    }
    let mut calc = calc.clone();
    calc.stages_mut().extend(rel.stages.iter().cloned());
    Some((filters, by, *grain, calc))
}

/// Whether `a` and `b` hold the same items (each list has no repeats).
fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// Whether every selector in `e` is of a metric the catalogue knows, so
/// that its relation's labels are all the labels its series have.
fn all_known(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Selector(s) | ExprKind::Matrix { selector: s, .. } => {
            catalog::lookup(&s.metric).is_some()
        }
        ExprKind::Call { args, .. } => args.iter().all(all_known),
        ExprKind::Aggregate { expr, param, .. } => {
            all_known(expr) && param.as_deref().is_none_or(all_known)
        }
        ExprKind::Binary { lhs, rhs, .. } => all_known(lhs) && all_known(rhs),
        ExprKind::Negate(x) | ExprKind::Paren(x) => all_known(x),
        ExprKind::Number(_) | ExprKind::Variable(_) => true,
    }
}

fn show(labels: &[String]) -> String {
    if labels.is_empty() {
        "none".to_string()
    } else {
        labels.join(", ")
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(x) => strip_parens(x),
        _ => e,
    }
}

/// `by` and the fields the `where` conditions after `mstats` read: a
/// condition on a field mstats did not return would drop every row.
fn by_with(mut by: Vec<String>, need: &[String]) -> Vec<String> {
    for n in need {
        push_unique(&mut by, n.clone());
    }
    by
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, s: T) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// `5m`, `90s`, `1h30m`, `300` (seconds) as seconds.
pub fn parse_duration_s(s: &str) -> Option<f64> {
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            'w' => 604800.0,
            'y' => 31536000.0,
            _ => return None,
        };
        total += n * unit;
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}
