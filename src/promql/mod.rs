//! A parser for the PromQL subset used by Mattermost's Grafana dashboards.
//!
//! This module knows nothing of Splunk: it turns an expression into a
//! checked syntax tree ([`ast`]) that the SPL planner translates, and
//! prints a tree back as canonical PromQL (the `Display` of [`ast::Expr`]).
//!
//! The subset is what the nine official dashboards need: number literals,
//! selectors with a metric name, ranges as arguments of `rate`, `irate`,
//! `increase`, `histogram_quantile`, `vector`, the aggregations `sum avg
//! min max count topk bottomk` with `by`/`without`, the binary operators
//! with `bool` and `on`/`ignoring`, and Grafana variables (`$x`, `${x}`,
//! `${x:fmt}`, `[[x]]`) in numbers, label values and ranges. Anything else
//! is an error naming the construct, never text quietly dropped: a query
//! that parses is one the planner can translate in full.
//!
//! - `lexer`: text into tokens (durations, strings with variables).
//! - `parser`: tokens into a tree, with Prometheus' type rules.
//! - `print`: a tree back into text.
//! - `error`: the error with its line, column and byte span.

pub mod ast;
mod error;
mod lexer;
mod parser;
mod print;

pub use error::ParseError;
pub use parser::parse;

#[cfg(test)]
mod tests;
