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
/// splunkd's index-time transforms, applied to our event text.
#[path = "../splunk.rs"]
pub mod splunk;
pub mod timeline;
