//! Differential test of the compiled Splunk alerts against Prometheus' own
//! rule evaluation (`promtool test rules`). See `tests/differential_alerts.rs`
//! for the program and `scripts/differential` to run it.

// Included with `#[path]` by tests/differential_alerts.rs and
// tests/alerts_generated.rs, which use different parts.
#![allow(dead_code)]

pub mod conf;
pub mod promtool;
pub mod timeline;
