//! Splunk's side of the modular input: the scheme, the XML splunkd sends
//! on stdin, the event stream written back on stdout, splunkd.log lines on
//! stderr, and the REST calls to splunkd's credential store.
//!
//! Nothing here knows the Prometheus formats; [`crate::modinput`] joins
//! this protocol to the scrape pipeline.

pub mod credentials;
pub mod definition;
pub mod log;
pub mod scheme;
pub mod stream;
pub mod xml;
