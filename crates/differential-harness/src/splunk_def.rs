//! The bound a rate-derived panel is held to: the panel's own PromQL with every `rate`,
//! `irate` and `increase` replaced by Splunk's documented rate, evaluated by Prometheus over
//! the same samples.
//!
//! Prometheus' `rate(x[R])` at a step T is the increase between the first and last samples
//! in [T - R, T], extrapolated to the window's edges (promql/functions.go,
//! `extrapolatedRate`). Splunk's `rate_sum`/`rate_avg` over a bucket [T - S, T) is, per
//! series, the change from "the latest value of a metric measurement from the previous
//! timespan" (the basis) to the bucket's latest value, over the time between them (Search
//! Reference > Time functions, rate_avg/rate_sum:
//! <https://docs.splunk.com/Documentation/Splunk/9.4.0/SearchReference/Timefunctions>;
//! the compiler also takes the bucket as the window of `irate`, and `increase(x[R])` as that
//! rate times R: `src/spl/plan.rs`, points 1 and 2). Neither is wrong; they are different
//! definitions. So a panel's number is held to Prometheus' within the difference that the
//! two definitions make on the same samples, through the same aggregation, division or
//! quantile: Prometheus itself computes the panel a second time with Splunk's definition in
//! place of its own (`splunk_expr`), and the harness allows, at each step,
//! `|ours - prometheus| <= |splunk_def - prometheus|` (plus 1e-9 relative for the arithmetic).
//! Nothing here is a chosen percentage: where the data is steady the two definitions agree
//! and the bound is zero.
//!
//! Splunk's rate of one series at T, written in PromQL (`x` the selector, `B` the bucket):
//!
//! ```text
//! (  (x - x offset B)
//!  + (x < bool x offset B) * ((max_over_time(x[B]) > x offset B) or x offset B)
//! ) / (timestamp(x) - timestamp(x offset B))
//! and (timestamp(x) > time() - B)
//! ```
//!
//! - `x` at T is the last sample at or before T, `x offset B` the last at or before T - B:
//!   the bucket's latest and the previous timespan's latest (the basis);
//! - `timestamp()` of a selector is its sample's own time (promql/engine.go special-cases
//!   `timestamp` of a vector selector), so the divisor is the time between the two samples;
//! - a reset between them adds back the largest value before it ("The rate function also
//!   handles the largest value reset if there is at least one reset", Time functions > rate):
//!   the larger of the bucket's maximum and the basis;
//! - a bucket with no sample of the series has no rate (`and timestamp(x) > time() - B`).
//!
//! The samples never lie on a bucket boundary (the timeline's scrapes avoid whole minutes), so
//! whether a boundary is open or closed changes nothing.

use anyhow::{anyhow, Result};

use mattermost_metrics::promql::ast::{Expr, ExprKind, Function, Range, Selector};

/// The panel target's PromQL (variables already substituted) with every rate-like call
/// replaced by Splunk's rate over buckets of `bucket_s` seconds; `None` when it has none
/// (the target is not rate-derived and is held to 1e-9).
pub fn splunk_expr(promql: &str, bucket_s: i64) -> Result<Option<String>> {
    let ast = mattermost_metrics::promql::parse(promql)
        .map_err(|e| anyhow!("parsing {promql:?}: {e:?}"))?;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    collect(&ast, bucket_s, &mut edits)?;
    if edits.is_empty() {
        return Ok(None);
    }
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(promql.len() * 4);
    let mut at = 0;
    for (start, end, text) in edits {
        out.push_str(&promql[at..start]);
        out.push_str(&text);
        at = end;
    }
    out.push_str(&promql[at..]);
    Ok(Some(out))
}

fn collect(e: &Expr, bucket_s: i64, edits: &mut Vec<(usize, usize, String)>) -> Result<()> {
    match &e.kind {
        ExprKind::Call { func, args }
            if matches!(func, Function::Rate | Function::Irate | Function::Increase) =>
        {
            let Some(Expr {
                kind: ExprKind::Matrix { selector, range },
                ..
            }) = args.first()
            else {
                return Err(anyhow!("{} without a range vector", func.as_str()));
            };
            let rate = splunk_rate(&selector_text(selector)?, bucket_s);
            let text = match func {
                Function::Increase => {
                    let Range::Fixed { millis } = range else {
                        return Err(anyhow!("increase over {range:?}: substitute it first"));
                    };
                    format!("({rate} * {})", *millis as f64 / 1000.0)
                }
                _ => rate,
            };
            edits.push((e.span.start, e.span.end, text));
            Ok(())
        }
        ExprKind::Call { args, .. } => args.iter().try_for_each(|a| collect(a, bucket_s, edits)),
        ExprKind::Aggregate { param, expr, .. } => {
            if let Some(p) = param {
                collect(p, bucket_s, edits)?;
            }
            collect(expr, bucket_s, edits)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            collect(lhs, bucket_s, edits)?;
            collect(rhs, bucket_s, edits)
        }
        ExprKind::Negate(x) | ExprKind::Paren(x) => collect(x, bucket_s, edits),
        ExprKind::Number(_)
        | ExprKind::Variable(_)
        | ExprKind::Selector(_)
        | ExprKind::Matrix { .. } => Ok(()),
    }
}

/// Splunk's rate of each series of `x` over the bucket ending at the step (see the module
/// documentation).
fn splunk_rate(x: &str, b: i64) -> String {
    format!(
        "((({x} - {x} offset {b}s) + ({x} < bool {x} offset {b}s) * ((max_over_time({x}[{b}s]) > {x} offset {b}s) or {x} offset {b}s)) / (timestamp({x}) - timestamp({x} offset {b}s)) and (timestamp({x}) > time() - {b}))"
    )
}

/// A selector as PromQL text (values quoted and escaped again).
fn selector_text(s: &Selector) -> Result<String> {
    let mut out = s.metric.clone();
    if s.matchers.is_empty() {
        return Ok(out);
    }
    out.push('{');
    for (i, m) in s.matchers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let value = m
            .value
            .as_literal()
            .ok_or_else(|| anyhow!("matcher {} still has a variable", m.label))?;
        out.push_str(&m.label);
        out.push_str(m.op.as_str());
        out.push_str(&serde_json::to_string(&value).expect("a string"));
    }
    out.push('}');
    Ok(out)
}

/// Checks of the rewrite, run by the harness before any panel.
pub fn self_check() -> Result<(), String> {
    let got =
        splunk_expr("sum(increase(x{a=\"b\\\\.c\"}[10m])) / 2", 120).map_err(|e| e.to_string())?;
    let want = format!("sum(({} * 600)) / 2", splunk_rate("x{a=\"b\\\\.c\"}", 120));
    if got.as_deref() != Some(want.as_str()) {
        return Err(format!("splunk_expr: {got:?}, want {want:?}"));
    }
    if splunk_expr("sum(go_goroutines)", 120)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err("splunk_expr rewrote a gauge".into());
    }
    Ok(())
}
