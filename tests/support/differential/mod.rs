//! Differential test of our PromQL -> SPL dashboards against Prometheus 2.42.
//! See `tests/differential.rs` for the program and `scripts/differential` to run it.

// Included with `#[path]` by tests/differential.rs only; not every helper is used by every
// version of `ours.rs`.
#![allow(dead_code)]

pub mod compare;
pub mod dashboards;
/// The repository's generator of realistic scrapes; used here for its Go float formatting
/// (`1.234567e+06`, as client_golang writes values).
#[path = "../mattermost_fixture.rs"]
pub mod mattermost_fixture;
pub mod ours;
pub mod prometheus;
/// The SPL evaluator standing in for Splunk.
#[path = "../spl/mod.rs"]
pub mod spl;
/// Splunk's rate definition written in PromQL: the bound of a rate-derived panel.
pub mod splunk_def;
/// splunkd's index-time transforms, applied to our event text.
#[path = "../splunk.rs"]
pub mod splunk;
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
