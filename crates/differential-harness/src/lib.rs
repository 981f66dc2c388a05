//! The differential harness: our PromQL -> SPL dashboards and alerts
//! against Prometheus 2.42 and `promtool test rules`, and every search at
//! production cardinality against Splunk's limits. The programs are
//! `tests/differential.rs`, `tests/differential_alerts.rs` and
//! `tests/differential_scale.rs`; `scripts/differential` runs them.

pub mod alerts;
pub mod compare;
pub mod dashboards;
/// The repository's generator of realistic scrapes; used here for its Go float formatting
/// (`1.234567e+06`, as client_golang writes values).
pub use test_support::mattermost_fixture;
pub mod ours;
pub mod prometheus;
/// Production cardinality: 10 nodes, 200 API handlers, 7 days.
pub mod scale;
/// The SPL evaluator standing in for Splunk.
pub use spl_eval as spl;
/// splunkd's index-time transforms, applied to our event text.
pub use test_support::splunk;
/// Splunk's rate definition written in PromQL: the bound of a rate-derived panel.
pub mod splunk_def;
pub mod timeline;

/// The main of a harness program: runs `run`, prints the wall time, and
/// exits 0 when everything agreed, 1 when something disagreed, 2 on an
/// error (`name` prefixes it).
pub fn program(name: &str, run: fn() -> anyhow::Result<bool>) -> ! {
    let t0 = std::time::Instant::now();
    let code = match run() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("{name}: error: {e:#}");
            2
        }
    };
    println!("total wall time: {:.2} s", t0.elapsed().as_secs_f64());
    std::process::exit(code);
}

/// Prints how long a phase took.
pub fn phase(name: &str, since: std::time::Instant) {
    println!("[{:>7.2} s] {name}", since.elapsed().as_secs_f64());
}
