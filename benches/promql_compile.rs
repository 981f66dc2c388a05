//! What compiling PromQL costs: every expression of Mattermost's nine
//! Grafana dashboards (`tests/fixtures/grafana_promql.txt`) parsed, and
//! parsed, planned and rendered into SPL, with the parse alone as the
//! baseline measured in the same run.
//!
//! Prints the median over `BENCH_RUNS` runs of each (interleaved run by
//! run; 31 under `cargo bench`, 1 when `cargo test --benches` runs it as a
//! test) and the ratio of the two: what planning and rendering add to
//! reading the text. The dashboards compile these expressions once, when
//! they are generated, and `mattermost_metrics promql` one at a time, so
//! the figure matters for the harness and for a user's feel, not for
//! Splunk.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mattermost_metrics::dashboard::{SPAN_LOOKBACK_TOKEN, SPAN_SECONDS_TOKEN, SPAN_TOKEN};
use mattermost_metrics::promql;
use mattermost_metrics::spl::{compile, Options, SpanSpec};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let text = String::from_utf8(test_support::fixture("grafana_promql.txt")).unwrap();
    let exprs: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let opts = Options {
        // The span as the dashboards' tokens give it.
        span: SpanSpec::Token {
            span: SPAN_TOKEN.into(),
            seconds: SPAN_SECONDS_TOKEN.into(),
            lookback: SPAN_LOOKBACK_TOKEN.into(),
        },
        ..Options::default()
    };
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode { 31 } else { 1 });
    let (mut parse, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        for e in &exprs {
            black_box(promql::parse(black_box(e)).expect("parses"));
        }
        parse.push(t.elapsed());
        let t = Instant::now();
        for e in &exprs {
            let ast = promql::parse(black_box(e)).expect("parses");
            black_box(compile(&ast, &opts).expect("compiles"));
        }
        whole.push(t.elapsed());
    }
    let (p, w) = (median(parse), median(whole));
    println!(
        "{} expressions, median of {runs} runs: parse {:.2} ms (baseline), parse + plan + render {:.2} ms (x{:.1}), {:.1} µs an expression",
        exprs.len(),
        p.as_secs_f64() * 1e3,
        w.as_secs_f64() * 1e3,
        w.as_secs_f64() / p.as_secs_f64(),
        w.as_secs_f64() * 1e6 / exprs.len() as f64
    );
}
