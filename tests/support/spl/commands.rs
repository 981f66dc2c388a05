//! Parsing a pipeline into commands, and running them.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashSet};

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
    Timechart(Timechart),
    Sort {
        limit: usize,
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

impl Cmd {
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
        "timechart" => Cmd::Timechart(stats::parse_timechart(&mut c()?)?),
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
    let mut limit = 10000usize;
    if let Some(Tok::Word(w)) = c.peek() {
        if let Ok(n) = w.parse::<usize>() {
            limit = if n == 0 { usize::MAX } else { n };
            c.next();
        }
    }
    if c.peek_option(&["limit"]).is_some() {
        let v = c.take_option_value()?;
        let n: usize = v.parse().map_err(|_| anyhow!("sort: limit={v}"))?;
        limit = if n == 0 { usize::MAX } else { n };
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
    }
    Ok(rows)
}

fn run_one(cmd: &Cmd, rows: Vec<Row>, ctx: &Context, env: &Env) -> Result<Vec<Row>> {
    Ok(match cmd {
        Cmd::Mstats(m) => {
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
        Cmd::Streamstats { opts, aggs, by } => stats::streamstats(rows, opts, aggs, by)?,
        Cmd::Timechart(t) => stats::timechart(&rows, t, ctx.earliest_s, ctx.latest_s)?,
        Cmd::Sort { limit, keys } => {
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
            out.truncate(*limit);
            out
        }
        // Search Reference > append: "Appends the results of a subsearch to
        // the current results"; the subsearch runs over the same time range.
        // Its output is capped by maxout, default 50000 results.
        Cmd::Append(sub) => {
            let mut out = rows;
            let mut extra = execute(sub, Vec::new(), ctx)?;
            extra.truncate(50000);
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
/// "<data-field><sep><name>" (sep ": "). Results lacking the x or name field
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
