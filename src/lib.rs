//! Mattermost performance metrics into Splunk.
//!
//! The path of data is scrape -> parse -> convert -> emit, one module each:
//!
//! - [`scrape`]: one HTTP(S) GET of a Prometheus endpoint, bounded in time
//!   and size, its failures told apart. Knows nothing of what the body says.
//! - [`exposition`]: the Prometheus text formats (0.0.4 and OpenMetrics 1.0)
//!   into samples. Knows nothing of Splunk.
//! - [`convert`]: a sample into a Splunk metric data point (Splunk's naming
//!   rules, canonical bucket bounds, finite values). Knows nothing of any
//!   output format.
//! - [`emit`]: data points into bytes: the event text that our
//!   `transforms.conf` turns into indexed metric fields, or JSON.
//! - [`pipeline`]: parse -> convert joined, the one loop every front end
//!   runs over a scrape body; [`health`]: the data points each scrape writes
//!   about itself.
//!
//! The front ends, each driving that path its own way:
//!
//! - [`modinput`]: the modular input as splunkd starts it, over
//!   [`splunk`] (the scheme, splunkd's XML, the event stream, splunkd.log
//!   lines) and [`settings`] (an input's arguments, declared once).
//! - [`hec`]: the standalone sender that posts to HTTP Event Collector.
//! - [`cli`]: which mode the command line asks for (`--scheme`, `convert`,
//!   `hec`, `promql`, `dashboard`, `package`, ...).
//!
//! What the app shows, compiled from PromQL:
//!
//! - [`promql`]: the dashboards' PromQL into a syntax tree. Knows nothing of Splunk.
//! - [`spl`]: a PromQL syntax tree into an SPL search. Knows nothing of Grafana.
//! - [`dashboard`]: panel specs into SimpleXML dashboards and the app's
//!   menu, through [`spl`].
//! - [`alerts`]: Prometheus alerting rules into Splunk alerts, through [`spl`].
//! - [`preset`]: `Include metrics = dashboards`, the metrics those read.
//! - [`notify`]: the alert action that posts to a Mattermost incoming webhook.
//!
//! And around them: [`package`] writes the app and the standalone
//! archives; [`logline`] keeps every log line one bounded line; [`values`]
//! checks and writes the values both front ends' settings take (patterns,
//! files, dimensions, durations).

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
pub mod values;
