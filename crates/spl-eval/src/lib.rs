//! An evaluator of the part of Splunk's SPL that our dashboards and the
//! PromQL -> SPL compiler use, standing in for Splunk in tests (no Splunk
//! can run here). It models exactly the commands ([`commands`]), `eval`
//! functions ([`expr`]), `mstats` and `stats` aggregations ([`mstats`],
//! [`stats`]) and search predicates ([`pred`]) that the generated
//! dashboards, macros and alerts use: anything else -- an unknown command,
//! function or option -- is an error naming it, never silently ignored.
//!
//! Every semantic rule carries a comment citing the Splunk documentation it
//! follows (manual > page > section); where the docs are silent the comment
//! says so and names the choice made.
//!
//! A dev-dependency of the main crate; from a test:
//! ```text
//! use spl_eval as spl;
//! let rows = spl::run("| mstats avg(x) AS x WHERE index=wss_metrics span=60s", &ctx)?;
//! ```
//!
//! Modules: `lexer` (pipeline and command tokens), `expr` (eval
//! expressions), `pred` (search predicates), `stats` (stats, eventstats,
//! streamstats, timechart), `mstats` (mstats, mcatalog), `commands` (the
//! other commands and the pipeline), `store` (the metric index), `macros`
//! (macros.conf and dashboard tokens), `value` (fields, rows, orderings).

mod commands;
mod expr;
mod lexer;
mod macros;
mod mstats;
mod pred;
mod stats;
mod store;
mod value;

use std::collections::BTreeMap;

// Re-exported for test crates; a crate that uses only some of them must
// not warn about the others.
#[allow(unused_imports)]
pub use commands::{take_peak, with_limits, LimitHit, Limits, Peak};
#[allow(unused_imports)]
pub use macros::{strip_comments, Macros};
/// Post-process searches merge as the dashboard framework merges them; the
/// one rule lives with the generator that writes them.
#[allow(unused_imports)]
pub use mattermost_metrics::dashboard::merge_post_process;
#[allow(unused_imports)]
pub use mstats::{take_scanned, RateBasis};
#[allow(unused_imports)]
pub use store::{Point, Series, SeriesId, Store};
#[allow(unused_imports)]
pub use value::{fmt_num, parse_num, Field, Row, Value};

/// Errors are anyhow errors with a message naming what failed.
pub type Error = anyhow::Error;

/// What a search runs against.
pub struct Context<'a> {
    pub store: &'a Store,
    pub macros: &'a Macros,
    /// The search's time range, epoch seconds: earliest <= _time < latest.
    /// `latest_s` is also "now" (makeresults' _time, now(), info_search_time).
    pub earliest_s: f64,
    pub latest_s: f64,
    /// Dashboard tokens: `$name$` in the search is replaced by the value,
    /// textually, before macros are expanded.
    pub tokens: BTreeMap<String, String>,
    /// The reading of the open point of rate_sum / rate_avg: what the
    /// search's first timespan takes as its rate basis (see [`RateBasis`];
    /// `RateBasis::default()` is the evaluator's choice).
    pub rate_basis: RateBasis,
}

/// Runs a search: substitutes tokens, expands macros, parses the pipeline
/// and runs it. The search must start with `| mstats`, `| mcatalog` or
/// `| makeresults`.
pub fn run(search: &str, ctx: &Context) -> Result<Vec<Row>, Error> {
    let text = expand(search, ctx.macros, &ctx.tokens)?;
    let cmds = commands::parse_search(&text)?;
    commands::execute(&cmds, Vec::new(), ctx)
}

/// Substitutes tokens and expands macros, returning the search as Splunk
/// would run it.
pub fn expand(
    search: &str,
    macros: &Macros,
    tokens: &BTreeMap<String, String>,
) -> Result<String, Error> {
    let text = macros::substitute_tokens(search, tokens)?;
    macros.expand(&text)
}

/// Parses a search (after token substitution and macro expansion) without
/// running it: an error names the first construct the evaluator does not
/// model.
pub fn check(
    search: &str,
    macros: &Macros,
    tokens: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let text = expand(search, macros, tokens)?;
    commands::parse_search(&text).map(|_| ())
}

/// The commands of a search as Splunk would parse it (tokens substituted,
/// macros expanded), subsearches' and subpipelines' commands in place after
/// the command that holds them: the shape of the search, which no token
/// value may change (issue 17).
pub fn command_names(
    search: &str,
    macros: &Macros,
    tokens: &BTreeMap<String, String>,
) -> Result<Vec<&'static str>, Error> {
    let text = expand(search, macros, tokens)?;
    let cmds = commands::parse_search(&text)?;
    let mut out = Vec::new();
    commands::flatten_names(&cmds, &mut out);
    Ok(out)
}
