//! Mattermost performance metrics into Splunk.
//!
//! The path of data is scrape -> parse -> convert -> emit, one module each:
//!
//! - [`exposition`]: the Prometheus text formats (0.0.4 and OpenMetrics 1.0)
//!   into samples. Knows nothing of Splunk.
//! - [`convert`]: a sample into a Splunk metric data point (Splunk's naming
//!   rules, canonical bucket bounds, finite values). Knows nothing of any
//!   output format.
//! - [`emit`]: data points into bytes: the event text that our
//!   `transforms.conf` turns into indexed metric fields, or JSON.
//! - [`promql`]: the dashboards' PromQL into a syntax tree. Knows nothing of Splunk.
//! - [`spl`]: a PromQL syntax tree into an SPL search. Knows nothing of Grafana.
//! - [`dashboard`]: panel specs into SimpleXML dashboards, through [`spl`].
//! - [`alerts`]: Prometheus alerting rules into Splunk alerts, through [`spl`].
//! - [`notify`]: the alert action that posts to a Mattermost incoming webhook.

pub mod alerts;
pub mod cli;
pub mod convert;
pub mod dashboard;
pub mod emit;
pub mod exposition;
pub mod health;
pub mod hec;
pub mod logline;
pub mod modinput;
pub mod notify;
pub mod package;
pub mod pipeline;
pub mod preset;
pub mod promql;
pub mod scrape;
pub mod settings;
pub mod spl;
pub mod splunk;
