//! Data points into bytes.
//!
//! [`event_text`] is the text the modular input writes in each `<data>`
//! element and that `splunk_app/default/transforms.conf` turns into the
//! indexed fields of a metric data point; the two are one contract, tested
//! together in `tests/transforms_contract.rs`. [`json`] is a readable form
//! for people and other tools.

pub mod event_text;
pub mod json;
