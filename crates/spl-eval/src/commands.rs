//! Parsing a pipeline into commands, and running them, within Splunk's
//! default limits.

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::time::Instant;

use anyhow::{anyhow, bail, Result};

use super::expr::{self, Env, Expr};
use super::lexer::{split_command, split_pipeline, Cursor, Tok};
use super::mstats::{self, Mcatalog, Mstats};
use super::pred::{self, Pred};
use super::stats::{self, Agg, StreamOpts, Timechart};
use super::value::{
    cmp_auto, cmp_nulls_last, parse_bool, parse_num, parse_span, wildcard_match, Field, Row,
};
use super::Context;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortMode {
    Auto,
    Num,
    Str,
}

#[derive(Debug, Clone)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
    pub mode: SortMode,
}

#[derive(Debug, Clone)]
pub enum Cmd {
    Mstats(Mstats),
    Mcatalog(Mcatalog),
    Makeresults {
        count: usize,
    },
    Addinfo,
    Eval(Vec<(String, Expr)>),
    Where(Expr),
    Search(Pred),
    Stats {
        aggs: Vec<Agg>,
        by: Vec<String>,
    },
    Eventstats {
        aggs: Vec<Agg>,
        by: Vec<String>,
    },
    Streamstats {
        opts: StreamOpts,
        aggs: Vec<Agg>,
        by: Vec<String>,
    },
    Timechart {
        t: Timechart,
        /// Whether the search wrote `limit=` (see [`Limits`]).
        limit_given: bool,
    },
    Sort {
        /// None: no count written, the default applies (see [`Limits`]).
        limit: Option<usize>,
        keys: Vec<SortKey>,
    },
    Append(Vec<Cmd>),
    Appendpipe(Vec<Cmd>),
    Xyseries {
        x: String,
        name: String,
        data: Vec<String>,
        sep: String,
    },
    Makecontinuous {
        field: String,
        span_s: i64,
        start: Option<f64>,
        end: Option<f64>,
    },
    Fillnull {
        value: String,
        fields: Vec<String>,
    },
    Fields {
        remove: bool,
        fields: Vec<String>,
    },
    Table(Vec<String>),
    Rename(Vec<(String, String)>),
    Head(usize),
    Dedup {
        fields: Vec<String>,
        keepempty: bool,
    },
    Mvexpand {
        field: String,
    },
}

/// Splunk's default limits that a search of ours could reach, each with
/// the documentation it follows. Splunk truncates silently (or finalizes
/// early) where one is reached; the evaluator stops with a [`LimitHit`]
/// instead, so that the harness never agrees with Prometheus over a chart
/// that has lost series.
///
/// Which limits, and which not:
/// - `append`: Search Reference > append > Subsearch options, "maxout ...
///   The maximum number of result rows to output from the subsearch.
///   Default: 50000" and "maxtime ... The maximum time, in units of seconds,
///   to spend on the subsearch before automatically finalizing. Default:
///   60" (<https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/append>;
///   the same defaults on appendcols' page,
///   <https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/appendcols>).
///   The page's opening sentence "By default, subsearches return a maximum
///   of 10,000 results" is limits.conf `[subsearch] maxout`, which "DOES
///   NOT control subsearch results when a subsearch is called by commands
///   such as join, append, or appendcols" (limits.conf.spec 7.3 to 9.2,
///   `[subsearch]`): append's own 50,000 applies to append.
/// - `join` (`[join] subsearch_maxout` 50000: "A maximum of 50,000 rows in
///   the right-side dataset can be joined", Search Reference > join),
///   `appendcols` (maxout 50000), `union` (50000) and a subsearch inside
///   `search` (`[subsearch] maxout` 10000; 100 in the 10.0 spec) are not
///   modelled: the evaluator rejects those commands (an unknown command, or
///   an unexpected subsearch token in a predicate), so none of their rows
///   can be truncated here.
/// - `mstats`: limits.conf `[mstats] time_bin_limit`, "The Splunk platform
///   estimates the number of time bins a search requires by dividing its
///   time range by its group-by span. If range/span > 'time_bin_limit', it
///   outputs an error." Default: 1000000 (limits.conf.spec 8.2 to 10.0).
/// - `streamstats`: "If you don't set the time_window or the window
///   arguments, the default of 10,000 events set by the max_stream_window
///   in the limits.conf file applies to your streamstats searches"
///   (<https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/streamstats>);
///   limits.conf `[stats|sistats] max_stream_window`: "For the streamstats
///   command, the maximum allow window size. Default: 10000". The docs do
///   not say whether that window is counted per BY group or over all
///   results; either way a result's statistic is whole when its group's
///   first result is fewer than 10,000 results back. So a hit is a group
///   that spans more than 10,000 results in input order (a `topk` rank
///   by `_time` over results sorted by value spans them all; a running
///   maximum over results sorted by group spans its own few), and a window
///   above 10,000.
/// - `sort` without a count: "If no count is specified, the default limit
///   of 10000 is used" (Search Reference > sort).
/// - `timechart ... BY` without `limit=`: "limit ... Default: top10"; the
///   other series go to OTHER (Search Reference > timechart). Documented
///   semantics, but a silent cut of a chart's series: a hit unless the
///   search wrote `limit=`.
/// - Not limits: `stats`' `maxresultrows` (50000) "Maximum number of rows
///   allowed in the process memory. When the search process exceeds
///   'max_mem_usage_mb' and 'maxresultrows', data is sent to the disk"
///   (limits.conf `[stats|sistats]`): it spills, it does not truncate. The
///   memory caps (`max_mem_usage_mb` of eventstats, mvexpand, xyseries) are
///   in megabytes of Splunk's own representation, which the evaluator
///   cannot measure; the rows each command produces are recorded instead
///   ([`take_peak`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub append_maxout: usize,
    pub append_maxtime_s: f64,
    pub mstats_time_bin_limit: f64,
    pub max_stream_window: usize,
    pub sort_default: usize,
    pub timechart_default_limit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            append_maxout: 50_000,
            append_maxtime_s: 60.0,
            mstats_time_bin_limit: 1_000_000.0,
            max_stream_window: 10_000,
            sort_default: 10_000,
            timechart_default_limit: 10,
        }
    }
}

/// A search reached one of [`Limits`]: which limit, in which command, with
/// how many results (or bins, or seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct LimitHit {
    pub limit: &'static str,
    pub command: &'static str,
    pub count: f64,
    pub allowed: f64,
}

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Splunk limit hit: {} {} reached {} (the default allows {}); Splunk would truncate or stop here",
            self.command,
            self.limit,
            super::value::fmt_num(self.count),
            super::value::fmt_num(self.allowed)
        )
    }
}

impl std::error::Error for LimitHit {}

fn hit(limit: &'static str, command: &'static str, count: f64, allowed: f64) -> anyhow::Error {
    anyhow::Error::new(LimitHit {
        limit,
        command,
        count,
        allowed,
    })
}

/// The largest number of results one command of a search produced, and
/// which command.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Peak {
    pub rows: usize,
    pub command: &'static str,
    /// The most results an `append` subsearch returned.
    pub append_rows: usize,
}

thread_local! {
    static LIMITS: Cell<Limits> = Cell::new(Limits::default());
    static PEAK: Cell<Peak> = Cell::new(Peak::default());
}

/// Runs `f` with other limits than Splunk's defaults (a test that lowers one
/// to reach it cheaply).
pub fn with_limits<T>(limits: Limits, f: impl FnOnce() -> T) -> T {
    let before = LIMITS.with(|l| l.replace(limits));
    let out = f();
    LIMITS.with(|l| l.set(before));
    out
}

fn limits() -> Limits {
    LIMITS.with(Cell::get)
}

/// The peak since the last call (or the thread's start), reset to zero.
pub fn take_peak() -> Peak {
    PEAK.with(|p| p.take())
}

fn record_peak(rows: usize, command: &'static str) {
    PEAK.with(|p| {
        let mut v = p.get();
        if rows > v.rows {
            v.rows = rows;
            v.command = command;
        }
        p.set(v);
    });
}

fn record_append(rows: usize) {
    PEAK.with(|p| {
        let mut v = p.get();
        v.append_rows = v.append_rows.max(rows);
        p.set(v);
    });
}

impl Cmd {
    /// The command's name, for messages.
    fn name(&self) -> &'static str {
        match self {
            Cmd::Mstats(_) => "mstats",
            Cmd::Mcatalog(_) => "mcatalog",
            Cmd::Makeresults { .. } => "makeresults",
            Cmd::Addinfo => "addinfo",
            Cmd::Eval(_) => "eval",
            Cmd::Where(_) => "where",
            Cmd::Search(_) => "search",
            Cmd::Stats { .. } => "stats",
            Cmd::Eventstats { .. } => "eventstats",
            Cmd::Streamstats { .. } => "streamstats",
            Cmd::Timechart { .. } => "timechart",
            Cmd::Sort { .. } => "sort",
            Cmd::Append(_) => "append",
            Cmd::Appendpipe(_) => "appendpipe",
            Cmd::Xyseries { .. } => "xyseries",
            Cmd::Makecontinuous { .. } => "makecontinuous",
            Cmd::Fillnull { .. } => "fillnull",
            Cmd::Fields { .. } => "fields",
            Cmd::Table(_) => "table",
            Cmd::Rename(_) => "rename",
            Cmd::Head(_) => "head",
            Cmd::Dedup { .. } => "dedup",
            Cmd::Mvexpand { .. } => "mvexpand",
        }
    }

    fn is_generating(&self) -> bool {
        matches!(
            self,
            Cmd::Mstats(_) | Cmd::Mcatalog(_) | Cmd::Makeresults { .. }
        )
    }
}

/// Parses a whole search. Search Reference > About generating commands:
/// mstats, mcatalog and makeresults generate results and must be the first
/// command, written with a leading pipe. The evaluator models only searches
/// that start with one of them.
/// Every command's name, a subsearch's or subpipeline's after the command
/// that holds it.
pub fn flatten_names(cmds: &[Cmd], out: &mut Vec<&'static str>) {
    for c in cmds {
        out.push(c.name());
        match c {
            Cmd::Append(sub) | Cmd::Appendpipe(sub) => flatten_names(sub, out),
            _ => {}
        }
    }
}

pub fn parse_search(text: &str) -> Result<Vec<Cmd>> {
    let (leading_pipe, parts) = split_pipeline(text)?;
    if !leading_pipe {
        bail!("the search must start with `| <generating command>` (mstats, mcatalog, makeresults): {text}");
    }
    let cmds = parse_commands(&parts)?;
    if !cmds[0].is_generating() {
        bail!("the search must start with a generating command (mstats, mcatalog, makeresults): {text}");
    }
    Ok(cmds)
}

/// Parses a subpipeline (appendpipe): no generating command; a leading pipe
/// is allowed.
fn parse_subpipeline(text: &str) -> Result<Vec<Cmd>> {
    let (_, parts) = split_pipeline(text)?;
    parse_commands(&parts)
}

fn parse_commands(parts: &[String]) -> Result<Vec<Cmd>> {
    let mut cmds = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let cmd = parse_command(p).map_err(|e| anyhow!("{e}\n  in command: {p}"))?;
        if i > 0 && cmd.is_generating() {
            bail!("generating command `{p}` must be the first command of a search");
        }
        cmds.push(cmd);
    }
    Ok(cmds)
}

fn parse_command(text: &str) -> Result<Cmd> {
    let (name, rest) = split_command(text);
    let c = || Cursor::new(rest);
    Ok(match name.as_str() {
        "mstats" => Cmd::Mstats(mstats::parse_mstats(rest)?),
        "mcatalog" => Cmd::Mcatalog(mstats::parse_mcatalog(rest)?),
        "makeresults" => {
            let mut c = c()?;
            let mut count = 1;
            while !c.at_end() {
                match c.peek_option(&["count"]) {
                    Some(_) => {
                        let v = c.take_option_value()?;
                        count = v.parse().map_err(|_| anyhow!("makeresults: count={v}"))?;
                    }
                    None => bail!("makeresults: unsupported argument {:?}", c.peek()),
                }
            }
            Cmd::Makeresults { count }
        }
        "addinfo" => {
            if !rest.is_empty() {
                bail!("addinfo: arguments are not supported");
            }
            Cmd::Addinfo
        }
        "eval" => Cmd::Eval(expr::parse_assignments(rest)?),
        "where" => Cmd::Where(expr::parse_expr(rest)?),
        "search" => Cmd::Search(pred::parse(&Cursor::new(rest)?.toks)?),
        "stats" | "eventstats" => {
            let mut c = c()?;
            if let Some(o) = c.peek_any_option() {
                bail!("{name}: option `{o}` is not supported by the evaluator");
            }
            let aggs = stats::parse_aggs(&mut c, &name)?;
            let by = stats::parse_by(&mut c)?;
            if !c.at_end() {
                bail!("{name}: unexpected {:?}", c.peek());
            }
            if name == "stats" {
                Cmd::Stats { aggs, by }
            } else {
                Cmd::Eventstats { aggs, by }
            }
        }
        "streamstats" => {
            let (opts, aggs, by) = stats::parse_streamstats(&mut c()?)?;
            Cmd::Streamstats { opts, aggs, by }
        }
        "timechart" => {
            let limit_given = c()?
                .toks
                .windows(2)
                .any(|w| w[0].is_word_ci("limit") && w[1] == Tok::Op("=".into()));
            Cmd::Timechart {
                t: stats::parse_timechart(&mut c()?)?,
                limit_given,
            }
        }
        "sort" => parse_sort(&mut c()?)?,
        "append" | "appendpipe" => {
            let mut c = c()?;
            if let Some(o) = c.peek_any_option() {
                bail!("{name}: option `{o}` is not supported by the evaluator");
            }
            let sub = match c.next() {
                Some(Tok::Sub(s)) => s,
                other => bail!("{name}: expected a bracketed subsearch, found {other:?}"),
            };
            if !c.at_end() {
                bail!("{name}: unexpected {:?} after the subsearch", c.peek());
            }
            if name == "append" {
                Cmd::Append(parse_search(&sub)?)
            } else {
                let cmds = parse_subpipeline(&sub)?;
                if cmds.first().is_some_and(Cmd::is_generating) {
                    bail!("appendpipe: the subpipeline cannot start with a generating command");
                }
                Cmd::Appendpipe(cmds)
            }
        }
        "xyseries" => {
            let mut c = c()?;
            let mut sep = ": ".to_string();
            let mut names = Vec::new();
            while !c.at_end() {
                if let Some(o) = c.peek_any_option() {
                    let v = c.take_option_value()?;
                    match o.to_ascii_lowercase().as_str() {
                        // grouped only says how the input is ordered; the
                        // result is the same.
                        "grouped" => {
                            parse_bool(&v)?;
                        }
                        "sep" => sep = v,
                        other => {
                            bail!("xyseries: option `{other}` is not supported by the evaluator")
                        }
                    }
                    continue;
                }
                c.eat(&Tok::Comma);
                if !c.at_end() {
                    names.push(c.field("a field name")?);
                }
            }
            if names.len() < 3 {
                bail!("xyseries needs <x-field> <y-name-field> <y-data-field>...");
            }
            let x = names.remove(0);
            let name = names.remove(0);
            Cmd::Xyseries {
                x,
                name,
                data: names,
                sep,
            }
        }
        "makecontinuous" => {
            let mut c = c()?;
            let mut field = None;
            let mut span = None;
            let (mut start, mut end) = (None, None);
            while !c.at_end() {
                if let Some(o) = c.peek_any_option() {
                    let v = c.take_option_value()?;
                    match o.to_ascii_lowercase().as_str() {
                        "span" => span = Some(parse_span(&v)?),
                        "start" => {
                            start = Some(
                                parse_num(&v)
                                    .ok_or_else(|| anyhow!("makecontinuous: start={v}"))?,
                            )
                        }
                        "end" => {
                            end = Some(
                                parse_num(&v).ok_or_else(|| anyhow!("makecontinuous: end={v}"))?,
                            )
                        }
                        other => bail!(
                            "makecontinuous: option `{other}` is not supported by the evaluator"
                        ),
                    }
                    continue;
                }
                if field.is_some() {
                    bail!("makecontinuous: unexpected {:?}", c.peek());
                }
                field = Some(c.field("a field name")?);
            }
            let span_s =
                span.ok_or_else(|| anyhow!("makecontinuous without span= is not supported"))?;
            Cmd::Makecontinuous {
                field: field.unwrap_or_else(|| "_time".into()),
                span_s,
                start,
                end,
            }
        }
        "fillnull" => {
            let mut c = c()?;
            let mut value = "0".to_string();
            let mut fields = Vec::new();
            while !c.at_end() {
                if let Some(o) = c.peek_any_option() {
                    let v = c.take_option_value()?;
                    match o.to_ascii_lowercase().as_str() {
                        "value" => value = v,
                        other => {
                            bail!("fillnull: option `{other}` is not supported by the evaluator")
                        }
                    }
                    continue;
                }
                c.eat(&Tok::Comma);
                if !c.at_end() {
                    fields.push(c.field("a field name")?);
                }
            }
            Cmd::Fillnull { value, fields }
        }
        "fields" => {
            let mut c = c()?;
            let mut remove = false;
            if c.peek() == Some(&Tok::Word("-".into())) {
                remove = true;
                c.next();
            } else if c.peek() == Some(&Tok::Word("+".into())) {
                c.next();
            }
            let fields = field_list(&mut c, "fields")?;
            Cmd::Fields { remove, fields }
        }
        "table" => Cmd::Table(field_list(&mut c()?, "table")?),
        "rename" => {
            let mut c = c()?;
            let mut pairs = Vec::new();
            while !c.at_end() {
                c.eat(&Tok::Comma);
                let from = c.field("a field name")?;
                if !c.eat_kw("AS") {
                    bail!("rename: expected AS after {from}");
                }
                let to = c.field("a field name after AS")?;
                if from.matches('*').count() != to.matches('*').count() {
                    bail!("rename: `{from}` and `{to}` must have the same number of wildcards");
                }
                pairs.push((from, to));
            }
            if pairs.is_empty() {
                bail!("rename: nothing to rename");
            }
            Cmd::Rename(pairs)
        }
        "head" => {
            let mut c = c()?;
            // Search Reference > head: "head [<N>]", default 10.
            let n = match c.next() {
                None => 10,
                Some(Tok::Word(w)) => w
                    .parse()
                    .map_err(|_| anyhow!("head: `{w}` is not a count"))?,
                other => bail!("head: unsupported argument {other:?}"),
            };
            if !c.at_end() {
                bail!("head: unsupported argument {:?}", c.peek());
            }
            Cmd::Head(n)
        }
        "dedup" => {
            let mut c = c()?;
            let mut keepempty = false;
            let mut fields = Vec::new();
            while !c.at_end() {
                if let Some(o) = c.peek_any_option() {
                    let v = c.take_option_value()?;
                    match o.to_ascii_lowercase().as_str() {
                        "keepempty" => keepempty = parse_bool(&v)?,
                        other => bail!("dedup: option `{other}` is not supported by the evaluator"),
                    }
                    continue;
                }
                c.eat(&Tok::Comma);
                if c.at_end() {
                    break;
                }
                let f = c.field("a field name")?;
                if f.eq_ignore_ascii_case("sortby") || f.parse::<usize>().is_ok() {
                    bail!("dedup: `{f}` is not supported by the evaluator");
                }
                fields.push(f);
            }
            if fields.is_empty() {
                bail!("dedup: no field");
            }
            Cmd::Dedup { fields, keepempty }
        }
        "mvexpand" => {
            let mut c = c()?;
            let field = c.field("a field name")?;
            if !c.at_end() {
                bail!("mvexpand: unsupported argument {:?}", c.peek());
            }
            Cmd::Mvexpand { field }
        }
        "" => bail!("empty command"),
        other => bail!("command `{other}` is not supported by the evaluator"),
    })
}

fn field_list(c: &mut Cursor, cmd: &str) -> Result<Vec<String>> {
    let mut fields = Vec::new();
    while !c.at_end() {
        c.eat(&Tok::Comma);
        if c.at_end() {
            break;
        }
        fields.push(c.field("a field name")?);
    }
    if fields.is_empty() {
        bail!("{cmd}: no field");
    }
    Ok(fields)
}

/// `sort [<count>] [+|-]<field> | [+|-]num(<field>) | str(<field>) |
/// auto(<field>) ... [d|desc]` (Search Reference > sort > Syntax). The
/// count: "If no count is specified, the default limit of 10000 is used. If
/// 0 is specified, all results are returned." A trailing `d`/`desc`
/// reverses every key.
fn parse_sort(c: &mut Cursor) -> Result<Cmd> {
    let mut limit = None;
    if let Some(Tok::Word(w)) = c.peek() {
        if let Ok(n) = w.parse::<usize>() {
            limit = Some(if n == 0 { usize::MAX } else { n });
            c.next();
        }
    }
    if c.peek_option(&["limit"]).is_some() {
        let v = c.take_option_value()?;
        let n: usize = v.parse().map_err(|_| anyhow!("sort: limit={v}"))?;
        limit = Some(if n == 0 { usize::MAX } else { n });
    }
    let mut keys = Vec::new();
    let mut reverse_all = false;
    while !c.at_end() {
        c.eat(&Tok::Comma);
        let Some(t) = c.next() else { break };
        let mut word = match t {
            Tok::Word(w) | Tok::Str(w) => w,
            other => bail!("sort: unexpected {other:?}"),
        };
        if c.at_end() && (word == "d" || word == "desc") && !keys.is_empty() {
            reverse_all = true;
            break;
        }
        let mut descending = false;
        if word == "-" || word == "+" {
            descending = word == "-";
            word = c.field("a sort field")?;
        } else if let Some(w) = word.strip_prefix('-') {
            descending = true;
            word = w.to_string();
        } else if let Some(w) = word.strip_prefix('+') {
            word = w.to_string();
        }
        let mut mode = SortMode::Auto;
        if c.peek() == Some(&Tok::LParen) {
            mode = match word.as_str() {
                "num" => SortMode::Num,
                "str" => SortMode::Str,
                "auto" => SortMode::Auto,
                other => bail!("sort: `{other}(...)` is not supported by the evaluator"),
            };
            c.next();
            word = c.field("a sort field")?;
            if !c.eat(&Tok::RParen) {
                bail!("sort: expected `)`");
            }
        }
        keys.push(SortKey {
            field: word,
            descending,
            mode,
        });
    }
    if keys.is_empty() {
        bail!("sort: no field");
    }
    if reverse_all {
        for k in &mut keys {
            k.descending = !k.descending;
        }
    }
    Ok(Cmd::Sort { limit, keys })
}

/// Runs commands over `rows`.
pub fn execute(cmds: &[Cmd], mut rows: Vec<Row>, ctx: &Context) -> Result<Vec<Row>> {
    let env = Env { now: ctx.latest_s };
    for cmd in cmds {
        rows = run_one(cmd, rows, ctx, &env)?;
        record_peak(rows.len(), cmd.name());
    }
    Ok(rows)
}

fn run_one(cmd: &Cmd, rows: Vec<Row>, ctx: &Context, env: &Env) -> Result<Vec<Row>> {
    let lim = limits();
    Ok(match cmd {
        Cmd::Mstats(m) => {
            // limits.conf [mstats] time_bin_limit (see `Limits`).
            if let Some(span) = m.span_s {
                let bins = (ctx.latest_s - ctx.earliest_s) / span as f64;
                if bins > lim.mstats_time_bin_limit {
                    return Err(hit(
                        "time_bin_limit (limits.conf [mstats], range/span)",
                        "mstats",
                        bins,
                        lim.mstats_time_bin_limit,
                    ));
                }
            }
            mstats::run_mstats(m, ctx.store, ctx.earliest_s, ctx.latest_s, ctx.rate_basis)?
        }
        Cmd::Mcatalog(m) => mstats::run_mcatalog(m, ctx.store, ctx.earliest_s, ctx.latest_s)?,
        // Search Reference > makeresults: generates `count` results (default
        // 1), each with only `_time`, the time the search runs -- here the
        // context's latest time.
        Cmd::Makeresults { count } => (0..*count)
            .map(|_| {
                let mut r = Row::new();
                r.set("_time", Some(Field::Num(ctx.latest_s)));
                r
            })
            .collect(),
        // Search Reference > addinfo: adds info_min_time and info_max_time
        // (the search's earliest and latest times, epoch seconds),
        // info_search_time and info_sid to every result.
        Cmd::Addinfo => rows
            .into_iter()
            .map(|mut r| {
                r.set("info_min_time", Some(Field::Num(ctx.earliest_s)));
                r.set("info_max_time", Some(Field::Num(ctx.latest_s)));
                r.set("info_search_time", Some(Field::Num(ctx.latest_s)));
                r.set("info_sid", Some(Field::Str("spl_evaluator".into())));
                r
            })
            .collect(),
        // Search Reference > eval: the assignments are evaluated left to
        // right, and a later one sees the fields set by an earlier one.
        Cmd::Eval(assigns) => {
            let mut out = rows;
            for r in &mut out {
                for (name, e) in assigns {
                    let v = expr::to_value(expr::eval(e, r, env)?, name)?;
                    r.set(name, v);
                }
            }
            out
        }
        // Search Reference > where: keeps the results for which the
        // expression evaluates to TRUE (false and null drop the result).
        Cmd::Where(e) => {
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                if expr::eval_bool(e, &r, env)? == Some(true) {
                    out.push(r);
                }
            }
            out
        }
        Cmd::Search(p) => rows
            .into_iter()
            .filter(|r| p.eval(&|f: &str| r.get(f).map(Field::texts).unwrap_or_default()))
            .collect(),
        Cmd::Stats { aggs, by } => stats::stats(&rows, aggs, by)?,
        Cmd::Eventstats { aggs, by } => stats::eventstats(rows, aggs, by)?,
        Cmd::Streamstats { opts, aggs, by } => {
            // max_stream_window (see `Limits`).
            if opts.window > lim.max_stream_window {
                return Err(hit(
                    "max_stream_window (limits.conf [stats|sistats]), window=",
                    "streamstats",
                    opts.window as f64,
                    lim.max_stream_window as f64,
                ));
            }
            if opts.window == 0 {
                let reach = group_reach(&rows, by);
                if reach > lim.max_stream_window {
                    return Err(hit(
                        "max_stream_window (limits.conf [stats|sistats]), results a group spans without window=",
                        "streamstats",
                        reach as f64,
                        lim.max_stream_window as f64,
                    ));
                }
            }
            stats::streamstats(rows, opts, aggs, by)?
        }
        Cmd::Timechart { t, limit_given } => {
            // The default limit=10 (see `Limits`).
            if let (Some(by), false) = (&t.by, limit_given) {
                let series: HashSet<Option<String>> =
                    rows.iter().map(|r| r.get(by).map(Field::text)).collect();
                let n = series.len() - usize::from(!t.usenull && series.contains(&None));
                if n > lim.timechart_default_limit {
                    return Err(hit(
                        "default limit=10 series (the rest become OTHER; write limit=)",
                        "timechart",
                        n as f64,
                        lim.timechart_default_limit as f64,
                    ));
                }
            }
            stats::timechart(&rows, t, ctx.earliest_s, ctx.latest_s)?
        }
        Cmd::Sort { limit, keys } => {
            let limit = match limit {
                Some(n) => *n,
                None if rows.len() > lim.sort_default => {
                    return Err(hit(
                        "default count 10000 (write `sort 0`)",
                        "sort",
                        rows.len() as f64,
                        lim.sort_default as f64,
                    ))
                }
                None => lim.sort_default,
            };
            let mut out = rows;
            out.sort_by(|a, b| {
                for k in keys {
                    let o =
                        cmp_nulls_last(a.get(&k.field), b.get(&k.field), k.descending, |x, y| {
                            compare(x, y, k.mode)
                        });
                    if o.is_ne() {
                        return o;
                    }
                }
                Ordering::Equal
            });
            out.truncate(limit);
            out
        }
        // Search Reference > append: "Appends the results of a subsearch to
        // the current results"; the subsearch runs over the same time range.
        // Its maxout (50000 results) and maxtime (60 s) are `Limits`: more
        // is an error, not the silent truncation Splunk makes. The time is
        // the evaluator's, not Splunk's: a bound on neither, recorded so
        // that a slow subsearch is seen.
        Cmd::Append(sub) => {
            let start = Instant::now();
            let extra = execute(sub, Vec::new(), ctx)?;
            let secs = start.elapsed().as_secs_f64();
            record_append(extra.len());
            if extra.len() > lim.append_maxout {
                return Err(hit(
                    "maxout (default 50000 results)",
                    "append",
                    extra.len() as f64,
                    lim.append_maxout as f64,
                ));
            }
            if secs > lim.append_maxtime_s {
                return Err(hit(
                    "maxtime (default 60 s, seconds of the subsearch)",
                    "append",
                    secs,
                    lim.append_maxtime_s,
                ));
            }
            let mut out = rows;
            out.extend(extra);
            out
        }
        // Search Reference > appendpipe: "Appends the result of the
        // subpipeline to the search results. Unlike a subsearch, the
        // subpipeline is not run first. The subpipeline is run when the
        // search reaches the appendpipe command" -- over the current results.
        Cmd::Appendpipe(sub) => {
            let extra = execute(sub, rows.clone(), ctx)?;
            let mut out = rows;
            out.extend(extra);
            out
        }
        Cmd::Xyseries { x, name, data, sep } => xyseries(&rows, x, name, data, sep),
        Cmd::Makecontinuous {
            field,
            span_s,
            start,
            end,
        } => makecontinuous(rows, field, *span_s, *start, *end),
        // Search Reference > fillnull: "Replaces null values with a specified
        // value" (default 0) in the listed fields, or, without a list, in
        // every field; "Null values are field values that are missing in a
        // particular result but present in another result" -- so "every
        // field" is every field that appears in some result.
        Cmd::Fillnull { value, fields } => {
            let fields: Vec<String> = if fields.is_empty() {
                let all: BTreeSet<&String> = rows.iter().flat_map(|r| r.0.keys()).collect();
                all.into_iter().cloned().collect()
            } else {
                fields.clone()
            };
            let v = match parse_num(value) {
                Some(n) => Field::Num(n),
                None => Field::Str(value.clone()),
            };
            let mut out = rows;
            for r in &mut out {
                for f in &fields {
                    if r.get(f).is_none() {
                        r.set(f, Some(v.clone()));
                    }
                }
            }
            out
        }
        // Search Reference > fields: keeps (or with `-` removes) the listed
        // fields, wildcards allowed. "The leading underscore is reserved for
        // names of internal fields such as _raw and _time. By default, the
        // internal fields _raw and _time are included in the search results"
        // -- `fields` (keep) does not remove _time and _raw unless listed
        // with `-`.
        Cmd::Fields { remove, fields } => {
            let pats: Vec<Vec<char>> = fields.iter().map(|f| f.chars().collect()).collect();
            let hit = |k: &str| {
                let kc: Vec<char> = k.chars().collect();
                pats.iter().any(|p| wildcard_match(p, &kc))
            };
            let mut out = rows;
            for r in &mut out {
                r.0.retain(|k, _| {
                    if *remove {
                        !hit(k)
                    } else {
                        hit(k) || k == "_time" || k == "_raw"
                    }
                });
            }
            out
        }
        // Search Reference > table: "Returns a table that is formed by only
        // the fields that you specify" (wildcards allowed).
        Cmd::Table(fields) => {
            let pats: Vec<Vec<char>> = fields.iter().map(|f| f.chars().collect()).collect();
            let mut out = rows;
            for r in &mut out {
                r.0.retain(|k, _| {
                    let kc: Vec<char> = k.chars().collect();
                    pats.iter().any(|p| wildcard_match(p, &kc))
                });
            }
            out
        }
        Cmd::Rename(pairs) => {
            let mut out = rows;
            for r in &mut out {
                for (from, to) in pairs {
                    rename(r, from, to);
                }
            }
            out
        }
        // Search Reference > head: the first N results, in search order.
        Cmd::Head(n) => {
            let mut out = rows;
            out.truncate(*n);
            out
        }
        // Search Reference > dedup: keeps the first result for each
        // combination of the fields' values; keepempty: "If set to true,
        // keeps every event that does not have one or more of the specified
        // fields" (default false: they are removed).
        Cmd::Dedup { fields, keepempty } => {
            let mut seen: HashSet<Vec<String>> = HashSet::new();
            let mut out = Vec::new();
            for r in rows {
                let key: Option<Vec<String>> =
                    fields.iter().map(|f| r.get(f).map(Field::text)).collect();
                match key {
                    None => {
                        if *keepempty {
                            out.push(r);
                        }
                    }
                    Some(k) => {
                        if seen.insert(k) {
                            out.push(r);
                        }
                    }
                }
            }
            out
        }
        // Search Reference > mvexpand: "Expands the values of a multivalue
        // field into separate events, one event for each value". A result
        // without the field is dropped (the docs are silent; Splunk's
        // mvexpand is known to drop them).
        Cmd::Mvexpand { field } => {
            let mut out = Vec::new();
            for r in rows {
                let Some(v) = r.get(field) else { continue };
                for t in v.texts() {
                    let mut n = r.clone();
                    n.set(field, Some(Field::Str(t)));
                    out.push(n);
                }
            }
            out
        }
    })
}

/// The most results any group spans in input order, from its first result
/// to its last, both counted (the whole input without BY fields; a result
/// missing one is in no group).
fn group_reach(rows: &[Row], by: &[String]) -> usize {
    let mut first: std::collections::HashMap<Vec<String>, usize> = std::collections::HashMap::new();
    let mut reach = 0;
    for (i, r) in rows.iter().enumerate() {
        let key: Option<Vec<String>> = by.iter().map(|f| r.get(f).map(Field::text)).collect();
        let Some(key) = key else { continue };
        let start = *first.entry(key).or_insert(i);
        reach = reach.max(i - start + 1);
    }
    reach
}

/// Compares two values for sort. Search Reference > sort > sort-by-clause:
/// num() interprets the values as numbers, str() orders them
/// lexicographically, auto (the default) decides per pair of values. With
/// num(), values that are not numbers sort after numbers (the docs are
/// silent).
fn compare(a: &Field, b: &Field, mode: SortMode) -> Ordering {
    match mode {
        SortMode::Auto => cmp_auto(a, b),
        SortMode::Str => a.text().cmp(&b.text()),
        SortMode::Num => match (a.as_num(), b.as_num()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => a.text().cmp(&b.text()),
        },
    }
}

/// Search Reference > rename: renames a field; with wildcards, "the
/// renaming will carry over the wildcarded portions to the destination
/// expression". A destination that already exists is overwritten. A result
/// without the source field is left unchanged (the docs are silent).
fn rename(r: &mut Row, from: &str, to: &str) {
    if !from.contains('*') {
        if let Some(v) = r.0.remove(from) {
            r.0.insert(to.to_string(), v);
        }
        return;
    }
    let re = {
        let mut s = String::from("^");
        for (i, part) in from.split('*').enumerate() {
            if i > 0 {
                s.push_str("(.*)");
            }
            s.push_str(&regex::escape(part));
        }
        s.push('$');
        regex::Regex::new(&s).expect("escaped pattern")
    };
    let names: Vec<String> = r.0.keys().filter(|k| re.is_match(k)).cloned().collect();
    for name in names {
        let caps = re.captures(&name).expect("matched");
        let mut target = String::new();
        let mut gi = 1;
        for (i, part) in to.split('*').enumerate() {
            if i > 0 {
                target.push_str(caps.get(gi).map_or("", |m| m.as_str()));
                gi += 1;
            }
            target.push_str(part);
        }
        if let Some(v) = r.0.remove(&name) {
            r.0.insert(target, v);
        }
    }
}

/// Search Reference > xyseries: "Converts results into a tabular format
/// that is suitable for graphing": one result per distinct value of the
/// x-field, with a field named after each value of the y-name-field holding
/// the y-data-field's value; with several data fields the columns are
/// "\<data-field\>\<sep\>\<name\>" (sep ": "). Results lacking the x or name field
/// are skipped; when two results fill the same cell the later one wins; the
/// output keeps the order in which x values first appear (the docs are
/// silent on these three points).
fn xyseries(rows: &[Row], x: &str, name: &str, data: &[String], sep: &str) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in rows {
        let (Some(xv), Some(nv)) = (r.get(x), r.get(name)) else {
            continue;
        };
        let i = *index.entry(xv.text()).or_insert_with(|| {
            let mut n = Row::new();
            n.set(x, Some(xv.clone()));
            out.push(n);
            out.len() - 1
        });
        for d in data {
            let col = if data.len() == 1 {
                nv.text()
            } else {
                format!("{d}{sep}{}", nv.text())
            };
            if let Some(v) = r.get(d) {
                out[i].set(&col, Some(v.clone()));
            }
        }
    }
    out
}

/// Search Reference > makecontinuous: "Makes a field on the x-axis
/// numerically continuous by adding empty buckets for periods where there
/// is no data and quantifying the periods where there is data": the field is
/// snapped down to its bucket (aligned on multiples of span since 0, as bin
/// does), a result holding only the field is added for every missing bucket
/// between the smallest and largest (or start=/end=: "Data outside of the
/// [start, end] range is discarded"), and the output is ordered by the
/// field. Results without a numeric value of the field are kept at the end
/// (the docs are silent).
fn makecontinuous(
    rows: Vec<Row>,
    field: &str,
    span_s: i64,
    start: Option<f64>,
    end: Option<f64>,
) -> Vec<Row> {
    let span = span_s as f64;
    let mut with: Vec<(i64, Row)> = Vec::new();
    let mut without = Vec::new();
    for mut r in rows {
        match r.num(field) {
            Some(v) => {
                let b = (v / span).floor() as i64;
                r.set(field, Some(Field::Num(b as f64 * span)));
                with.push((b, r));
            }
            None => without.push(r),
        }
    }
    let present: BTreeSet<i64> = with.iter().map(|(b, _)| *b).collect();
    let lo = start
        .map(|s| (s / span).floor() as i64)
        .or(present.first().copied());
    let hi = end
        .map(|e| (e / span).floor() as i64)
        .or(present.last().copied());
    if let (Some(lo), Some(hi)) = (lo, hi) {
        with.retain(|(b, _)| *b >= lo && *b <= hi);
        for b in lo..=hi {
            if !present.contains(&b) {
                let mut r = Row::new();
                r.set(field, Some(Field::Num(b as f64 * span)));
                with.push((b, r));
            }
        }
    }
    with.sort_by_key(|(b, _)| *b);
    let mut out: Vec<Row> = with.into_iter().map(|(_, r)| r).collect();
    out.extend(without);
    out
}
