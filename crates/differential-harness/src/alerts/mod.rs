//! Differential test of the compiled Splunk alerts against Prometheus' own
//! rule evaluation (`promtool test rules`). See `tests/differential_alerts.rs`
//! for the program and `scripts/differential` to run it.

pub mod conf;
pub mod promtool;
pub mod timeline;
