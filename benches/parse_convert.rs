//! Throughput of the hot path: scrape body -> samples -> data points -> event
//! text, against the `prometheus-parse` crate as a baseline.
//!
//! Two inputs: the committed Mattermost scrape (`tests/fixtures/mattermost.prom`)
//! and a ~5 MB synthetic one from the fixture generator (scale fitted to 5 MB). Four measurements
//! each, all with `Throughput::Bytes`:
//!
//! - `ours/parse_convert_emit`: [`pipeline::convert_scrape`] writing the event
//!   text of every data point into one reused buffer (the whole hot path);
//! - `ours/parse_convert`: the same without the event text (each data point
//!   handed to `black_box`): the parse and convert steps the issue measures;
//! - `ours/parse_only`: [`exposition::parse`] with a callback that only counts;
//! - `baseline/prometheus_parse`: `prometheus_parse::Scrape::parse` over
//!   `body.lines()`, the way that crate is normally used.
//!
//! After criterion, a summary table is printed: medians over
//! `BENCH_SUMMARY_RUNS` timed runs (std::time::Instant) of each, the three
//! interleaved run by run, in MB/s (10^6 bytes) and samples/s, with the
//! speed-up over the baseline (baseline time / our time) and the best run. The sample count is the one our parser
//! reports (`Report::samples`); prometheus-parse folds histogram and summary
//! lines into one `Sample` each, so its own count is smaller and is shown
//! only as a check.
//!
//! Environment:
//! - `BENCH_SUMMARY_RUNS=N`: timed runs per measurement in the summary (30
//!   under `cargo bench`, 1 when run as a test by `cargo test --benches`);
//! - `BENCH_SKIP_CRITERION=1`: print only the summary table.

use test_support::bench_inputs as inputs;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use mattermost_metrics::convert::{ConvertOptions, DataPoint};
use mattermost_metrics::emit;
use mattermost_metrics::exposition::{self, Format, ParseOptions};
use mattermost_metrics::pipeline;

/// The scrape time given to samples without a timestamp (fixed, so every run
/// writes the same bytes).
const SCRAPE_TIME_MS: i64 = 1_700_000_000_000;

struct Input {
    name: &'static str,
    body: Vec<u8>,
}

fn inputs() -> Vec<Input> {
    let fixture = inputs::fixture();
    let synthetic = inputs::synthetic_scrape();
    vec![
        Input {
            name: "mattermost_fixture",
            body: fixture,
        },
        Input {
            name: "synthetic_5mb",
            body: synthetic,
        },
    ]
}

// ---- the measured operations ----------------------------------------------

/// parse + convert with each data point handed to `sink`; returns the
/// number of samples our parser reported.
fn convert_into(body: &[u8], sink: impl FnMut(&DataPoint<'_>)) -> usize {
    let (report, _stats) = pipeline::convert_scrape(
        body,
        Format::Prometheus,
        false,
        &ConvertOptions::default(),
        SCRAPE_TIME_MS,
        sink,
    )
    .expect("lenient parsing never fails");
    report.samples
}

/// parse + convert, each data point hidden from the optimiser.
fn ours_parse_convert(body: &[u8]) -> usize {
    convert_into(body, |dp| {
        black_box(dp);
    })
}

/// parse + convert + event text into `buf` (cleared first).
fn ours_parse_convert_emit(body: &[u8], buf: &mut Vec<u8>) -> usize {
    buf.clear();
    let samples = convert_into(body, |dp| {
        emit::event_text::write(dp, buf);
        buf.push(b'\n');
    });
    black_box(&buf);
    samples
}

/// Parse only; the callback counts and hides each sample from the optimiser.
fn ours_parse_only(body: &[u8]) -> usize {
    let mut n = 0usize;
    let report = exposition::parse(body, &ParseOptions::default(), |s| {
        black_box(s);
        n += 1;
    })
    .expect("lenient parsing never fails");
    debug_assert_eq!(n, report.samples);
    black_box(n)
}

/// The usual use of prometheus-parse: owned lines into `Scrape::parse`.
/// Returns the number of `Sample`s it built (histograms and summaries folded).
fn baseline_prometheus_parse(text: &str) -> usize {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("reading from memory cannot fail");
    let n = scrape.samples.len();
    black_box(scrape);
    n
}

// ---- criterion ---------------------------------------------------------------

fn criterion_benches(c: &mut Criterion, inputs: &[Input]) {
    for input in inputs {
        let body = &input.body[..];
        let text = std::str::from_utf8(body).expect("the inputs are UTF-8");
        let mut group = c.benchmark_group(input.name);
        group.throughput(Throughput::Bytes(body.len() as u64));
        if body.len() > 2_000_000 {
            // The baseline takes a good fraction of a second per run here.
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(8));
        } else {
            group.sample_size(30);
            group.measurement_time(Duration::from_secs(5));
        }
        let mut buf = Vec::new();
        group.bench_function("ours/parse_convert_emit", |b| {
            b.iter(|| ours_parse_convert_emit(black_box(body), &mut buf))
        });
        group.bench_function("ours/parse_convert", |b| {
            b.iter(|| ours_parse_convert(black_box(body)))
        });
        group.bench_function("ours/parse_only", |b| {
            b.iter(|| ours_parse_only(black_box(body)))
        });
        group.bench_function("baseline/prometheus_parse", |b| {
            b.iter(|| baseline_prometheus_parse(black_box(text)))
        });
        group.finish();
    }
}

// ---- the summary table ---------------------------------------------------------

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let m = times.len() / 2;
    if times.len() % 2 == 1 {
        times[m]
    } else {
        (times[m - 1] + times[m]) / 2
    }
}

fn summary(inputs: &[Input], runs: usize) {
    println!();
    println!(
        "== summary: medians of {runs} timed runs each, the measurements interleaved \
         run by run (MB = 10^6 bytes) =="
    );
    for input in inputs {
        let body = &input.body[..];
        let text = std::str::from_utf8(body).expect("the inputs are UTF-8");

        // Counts, from one untimed run of each (also the warm-up).
        let mut buf = Vec::new();
        let samples = ours_parse_convert_emit(body, &mut buf);
        let (_, stats) = pipeline::convert_scrape(
            body,
            Format::Prometheus,
            false,
            &ConvertOptions::default(),
            SCRAPE_TIME_MS,
            |_| {},
        )
        .expect("lenient");
        let event_bytes = buf.len();
        let lines = body.iter().filter(|&&b| b == b'\n').count();
        let baseline_samples = baseline_prometheus_parse(text);
        black_box(ours_parse_only(body));

        // One run of each in turn, so that a burst of load on a shared
        // machine hits them alike and the ratios stay fair.
        let mut times: [Vec<Duration>; 4] = Default::default();
        for _ in 0..runs {
            let t = Instant::now();
            black_box(ours_parse_convert_emit(body, &mut buf));
            times[0].push(t.elapsed());
            let t = Instant::now();
            black_box(ours_parse_convert(body));
            times[1].push(t.elapsed());
            let t = Instant::now();
            black_box(ours_parse_only(body));
            times[2].push(t.elapsed());
            let t = Instant::now();
            black_box(baseline_prometheus_parse(text));
            times[3].push(t.elapsed());
        }
        let names = [
            "ours/parse_convert_emit",
            "ours/parse_convert",
            "ours/parse_only",
            "baseline/prometheus_parse",
        ];
        let rows: Vec<(&str, Duration, Duration)> = names
            .iter()
            .zip(times.iter_mut())
            .map(|(&name, t)| (name, median(t), t[0]))
            .collect();
        let base = rows[3].1.as_secs_f64();

        println!();
        println!(
            "{}: {} bytes, {} lines, {} samples (our parser), {} data points, \
             {} bytes of event text; prometheus-parse builds {} samples (it folds \
             histograms and summaries)",
            input.name,
            body.len(),
            lines,
            samples,
            stats.emitted,
            event_bytes,
            baseline_samples
        );
        println!(
            "  {:<27} {:>12} {:>9} {:>11} {:>11} {:>9}",
            "measurement", "median", "MB/s", "Msamples/s", "best MB/s", "vs base"
        );
        for &(name, t, best) in &rows {
            let s = t.as_secs_f64();
            println!(
                "  {:<27} {:>9.3} ms {:>9.1} {:>11.2} {:>11.1} {:>8.1}x",
                name,
                s * 1e3,
                body.len() as f64 / s / 1e6,
                samples as f64 / s / 1e6,
                body.len() as f64 / best.as_secs_f64() / 1e6,
                base / s,
            );
        }
        println!(
            "  time ratio ours/baseline (medians): parse_convert_emit {:.4}, parse_convert {:.4}, parse_only {:.4}",
            rows[0].1.as_secs_f64() / base,
            rows[1].1.as_secs_f64() / base,
            rows[2].1.as_secs_f64() / base
        );
    }
}

fn main() {
    let inputs = inputs();
    for i in &inputs {
        eprintln!("input {}: {} bytes", i.name, i.body.len());
    }
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`)
    // criterion runs each benchmark once as a test, and so does the summary.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    if std::env::var_os("BENCH_SKIP_CRITERION").is_none() {
        let mut c = Criterion::default().configure_from_args();
        criterion_benches(&mut c, &inputs);
        c.final_summary();
    }
    let runs = std::env::var("BENCH_SUMMARY_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode { 30 } else { 1 });
    summary(&inputs, runs);
}
