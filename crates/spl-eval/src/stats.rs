//! Statistical functions and the commands built on them: stats, eventstats,
//! streamstats, timechart.

use std::collections::{BTreeSet, HashMap, VecDeque};

use anyhow::{bail, Result};

use super::lexer::{Cursor, Tok};
use super::value::{cmp_auto, parse_bool, parse_span, Field, Row};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
    Values,
    Dc,
    Latest,
    Earliest,
}

/// `FN(field) [AS name]`.
#[derive(Debug, Clone)]
pub struct Agg {
    pub func: AggFunc,
    pub field: Option<String>,
    pub out: String,
}

fn lookup(name: &str) -> Option<AggFunc> {
    use AggFunc::*;
    // Search Reference > Statistical and charting functions: the functions
    // the evaluator models. Anything else is an error.
    Some(match name {
        "count" => Count,
        "sum" => Sum,
        "avg" => Avg,
        "min" => Min,
        "max" => Max,
        "first" => First,
        "last" => Last,
        "values" => Values,
        "dc" => Dc,
        "latest" => Latest,
        "earliest" => Earliest,
        _ => return None,
    })
}

/// Parses aggregation terms until `BY`, an option (`name=`) or the end.
pub fn parse_aggs(c: &mut Cursor, cmd: &str) -> Result<Vec<Agg>> {
    let mut aggs = Vec::new();
    loop {
        c.eat(&Tok::Comma);
        match c.peek() {
            None => break,
            Some(t) if t.is_word_ci("BY") => break,
            _ => {}
        }
        if c.peek_any_option().is_some() {
            break;
        }
        let name = match c.next() {
            Some(Tok::Word(w)) => w,
            other => bail!("{cmd}: expected a statistical function, found {other:?}"),
        };
        let Some(func) = lookup(&name) else {
            bail!("{cmd}: statistical function `{name}` is not supported by the evaluator");
        };
        let field = if c.eat(&Tok::LParen) {
            if c.eat(&Tok::RParen) {
                None
            } else {
                let f = c.field("a field name")?;
                if f == "eval" {
                    bail!("{cmd}: eval expressions inside {name}() are not supported");
                }
                if c.peek() == Some(&Tok::LParen) {
                    bail!("{cmd}: `{f}(...)` inside {name}() is not supported");
                }
                if !c.eat(&Tok::RParen) {
                    bail!("{cmd}: expected `)` after {name}({f}");
                }
                Some(f)
            }
        } else {
            None
        };
        if field.is_none() && func != AggFunc::Count {
            bail!("{cmd}: {name}() needs a field");
        }
        let out = if c.eat_kw("AS") {
            c.field("a field name after AS")?
        } else {
            match &field {
                None => "count".to_string(),
                Some(f) => format!("{name}({f})"),
            }
        };
        aggs.push(Agg { func, field, out });
    }
    if aggs.is_empty() {
        bail!("{cmd}: no statistical function");
    }
    Ok(aggs)
}

/// Parses `BY f1 f2 ...` (commas optional) up to an option or the end.
pub fn parse_by(c: &mut Cursor) -> Result<Vec<String>> {
    if c.eat_kw("BY") {
        parse_by_list(c)
    } else {
        Ok(Vec::new())
    }
}

/// The fields after `BY` (commas optional), up to an option or the end: at
/// least one.
pub fn parse_by_list(c: &mut Cursor) -> Result<Vec<String>> {
    let mut by = Vec::new();
    loop {
        c.eat(&Tok::Comma);
        if c.at_end() || c.peek_any_option().is_some() {
            break;
        }
        by.push(c.field("a BY field")?);
    }
    if by.is_empty() {
        bail!("BY without fields");
    }
    Ok(by)
}

/// The running state of one statistical function.
#[derive(Debug, Clone)]
pub enum Acc {
    Count(u64),
    Sum(f64, u64),
    Avg(f64, u64),
    Min(Option<f64>, Option<String>),
    Max(Option<f64>, Option<String>),
    First(Option<Field>),
    Last(Option<Field>),
    Set(BTreeSet<String>),
    Latest(Option<(f64, Field)>),
    Earliest(Option<(f64, Field)>),
}

impl Acc {
    pub fn new(func: AggFunc) -> Acc {
        match func {
            AggFunc::Count => Acc::Count(0),
            AggFunc::Sum => Acc::Sum(0.0, 0),
            AggFunc::Avg => Acc::Avg(0.0, 0),
            AggFunc::Min => Acc::Min(None, None),
            AggFunc::Max => Acc::Max(None, None),
            AggFunc::First => Acc::First(None),
            AggFunc::Last => Acc::Last(None),
            AggFunc::Values | AggFunc::Dc => Acc::Set(BTreeSet::new()),
            AggFunc::Latest => Acc::Latest(None),
            AggFunc::Earliest => Acc::Earliest(None),
        }
    }

    /// Adds a row. Search Reference > Statistical and charting functions:
    /// every function but count() ignores results where the field is null;
    /// a multivalue field contributes each of its values.
    pub fn add(&mut self, row: &Row, field: Option<&str>) {
        let v = match field {
            None => {
                // count (no field): the number of results.
                if let Acc::Count(n) = self {
                    *n += 1;
                }
                return;
            }
            Some(f) => match row.get(f) {
                None => return,
                Some(v) => v,
            },
        };
        match self {
            // count(X): the number of values of X.
            Acc::Count(n) => *n += v.texts().len() as u64,
            // sum(X), avg(X): the sum / average of the values of X; values
            // that are not numbers are ignored.
            Acc::Sum(s, n) | Acc::Avg(s, n) => {
                for x in nums(v) {
                    *s += x;
                    *n += 1;
                }
            }
            // min(X)/max(X): "If the values of X are non-numeric, the minimum
            // value is found using lexicographical ordering" -- numeric
            // values win when there are any.
            Acc::Min(num, s) => {
                for t in v.texts() {
                    match super::value::parse_num(&t) {
                        Some(x) => *num = Some(num.map_or(x, |m: f64| m.min(x))),
                        None => {
                            if s.as_ref().is_none_or(|m| t < *m) {
                                *s = Some(t)
                            }
                        }
                    }
                }
            }
            Acc::Max(num, s) => {
                for t in v.texts() {
                    match super::value::parse_num(&t) {
                        Some(x) => *num = Some(num.map_or(x, |m: f64| m.max(x))),
                        None => {
                            if s.as_ref().is_none_or(|m| t > *m) {
                                *s = Some(t)
                            }
                        }
                    }
                }
            }
            // first(X)/last(X): the first/last seen value, in the order the
            // results reach the command.
            Acc::First(f) => {
                if f.is_none() {
                    *f = Some(v.clone());
                }
            }
            Acc::Last(f) => *f = Some(v.clone()),
            // values(X): distinct values, "The order of the values is
            // lexicographical"; dc(X): their count.
            Acc::Set(set) => {
                for t in v.texts() {
                    set.insert(t);
                }
            }
            // latest(X)/earliest(X): the value with the latest/earliest _time
            // (Time functions). Results without _time are ignored; ties go to
            // the later result for latest and the earlier for earliest (the
            // docs are silent on ties).
            Acc::Latest(cur) => {
                if let Some(t) = row.num("_time") {
                    if cur.as_ref().is_none_or(|(ct, _)| t >= *ct) {
                        *cur = Some((t, v.clone()));
                    }
                }
            }
            Acc::Earliest(cur) => {
                if let Some(t) = row.num("_time") {
                    if cur.as_ref().is_none_or(|(ct, _)| t < *ct) {
                        *cur = Some((t, v.clone()));
                    }
                }
            }
        }
    }

    /// The result; `None` is null. count and dc of nothing are 0; the other
    /// functions of nothing are null.
    pub fn result(&self, func: AggFunc) -> Option<Field> {
        match self {
            Acc::Count(n) => Some(Field::Num(*n as f64)),
            Acc::Sum(s, n) => (*n > 0).then_some(Field::Num(*s)),
            Acc::Avg(s, n) => (*n > 0).then(|| Field::Num(*s / *n as f64)),
            Acc::Min(num, s) | Acc::Max(num, s) => match num {
                Some(x) => Some(Field::Num(*x)),
                None => s.clone().map(Field::Str),
            },
            Acc::First(f) | Acc::Last(f) => f.clone(),
            Acc::Set(set) => match func {
                AggFunc::Dc => Some(Field::Num(set.len() as f64)),
                _ => match set.len() {
                    0 => None,
                    1 => Some(Field::Str(set.iter().next().unwrap().clone())),
                    _ => Some(Field::Multi(set.iter().cloned().collect())),
                },
            },
            Acc::Latest(c) | Acc::Earliest(c) => c.as_ref().map(|(_, v)| v.clone()),
        }
    }
}

fn nums(v: &Field) -> Vec<f64> {
    match v {
        Field::Num(x) => vec![*x],
        other => other
            .texts()
            .iter()
            .filter_map(|t| super::value::parse_num(t))
            .collect(),
    }
}

/// The group key of a row: the text of each BY field, or None when one is
/// null. A multivalue BY field is an error (not modelled).
fn group_key(row: &Row, by: &[String]) -> Result<Option<Vec<String>>> {
    let mut key = Vec::with_capacity(by.len());
    for f in by {
        match row.get(f) {
            None => return Ok(None),
            Some(Field::Multi(v)) if v.len() > 1 => {
                bail!("grouping by the multivalue field `{f}` is not supported by the evaluator")
            }
            Some(v) => key.push(v.text()),
        }
    }
    Ok(Some(key))
}

fn new_accs(aggs: &[Agg]) -> Vec<Acc> {
    aggs.iter().map(|a| Acc::new(a.func)).collect()
}

fn add_row(accs: &mut [Acc], aggs: &[Agg], row: &Row) {
    for (acc, a) in accs.iter_mut().zip(aggs) {
        acc.add(row, a.field.as_deref());
    }
}

fn put_results(row: &mut Row, accs: &[Acc], aggs: &[Agg]) {
    for (acc, a) in accs.iter().zip(aggs) {
        row.set(&a.out, acc.result(a.func));
    }
}

/// Search Reference > stats: one result per distinct combination of the BY
/// fields' values. A result where a BY field is null belongs to no group
/// and is left out -- Splunk's behaviour (the design notes: "rows with null
/// BY fields dropped"), which the docs state only indirectly, by offering
/// fillnull / usenull-style workarounds. Without BY: exactly one result,
/// even from no input (count 0). Groups come out ordered by their BY values
/// (the docs do not state the order; Splunk sorts stats output by the
/// group-by fields, modelled with the "auto" order of sort).
pub fn stats(rows: &[Row], aggs: &[Agg], by: &[String]) -> Result<Vec<Row>> {
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<(Vec<Field>, Vec<Acc>)> = Vec::new();
    if by.is_empty() {
        groups.push((Vec::new(), new_accs(aggs)));
        index.insert(Vec::new(), 0);
    }
    for row in rows {
        let Some(key) = group_key(row, by)? else {
            continue;
        };
        let gi = match index.get(&key) {
            Some(&i) => i,
            None => {
                let fields = by.iter().map(|f| row.get(f).unwrap().clone()).collect();
                groups.push((fields, new_accs(aggs)));
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        add_row(&mut groups[gi].1, aggs, row);
    }
    groups.sort_by(|a, b| {
        for (x, y) in a.0.iter().zip(&b.0) {
            let o = cmp_auto(x, y);
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    Ok(groups
        .into_iter()
        .map(|(fields, accs)| {
            let mut row = Row::new();
            for (f, v) in by.iter().zip(fields) {
                row.set(f, Some(v));
            }
            put_results(&mut row, &accs, aggs);
            row
        })
        .collect())
}

/// Search Reference > eventstats: "Generates summary statistics from fields
/// in your events and saves those statistics in a new field" -- the
/// statistics of stats, added to every result of its group instead of
/// replacing the results; the results keep their order. Results whose BY
/// fields are not all present take part in no group and are left unchanged
/// (the docs are silent; this mirrors stats dropping them).
pub fn eventstats(rows: Vec<Row>, aggs: &[Agg], by: &[String]) -> Result<Vec<Row>> {
    let mut index: HashMap<Vec<String>, Vec<Acc>> = HashMap::new();
    let mut keys = Vec::with_capacity(rows.len());
    for row in &rows {
        let key = group_key(row, by)?;
        if let Some(k) = &key {
            let accs = index.entry(k.clone()).or_insert_with(|| new_accs(aggs));
            add_row(accs, aggs, row);
        }
        keys.push(key);
    }
    Ok(rows
        .into_iter()
        .zip(keys)
        .map(|(mut row, key)| {
            if let Some(k) = key {
                put_results(&mut row, &index[&k], aggs);
            }
            row
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct StreamOpts {
    pub current: bool,
    pub window: usize,
    pub global: bool,
    pub reset_on_change: bool,
}

pub fn parse_streamstats(c: &mut Cursor) -> Result<(StreamOpts, Vec<Agg>, Vec<String>)> {
    // Search Reference > streamstats > Optional arguments: current
    // (default true), window (default 0 = all events), global (default
    // true), reset_on_change (default false).
    let mut o = StreamOpts {
        current: true,
        window: 0,
        global: true,
        reset_on_change: false,
    };
    let mut aggs = Vec::new();
    let mut by = Vec::new();
    while !c.at_end() {
        if let Some(name) = c.peek_any_option() {
            let v = c.take_option_value()?;
            match name.to_ascii_lowercase().as_str() {
                "current" => o.current = parse_bool(&v)?,
                "window" => {
                    o.window = v
                        .parse()
                        .map_err(|_| anyhow::anyhow!("streamstats: window={v}"))?
                }
                "global" => o.global = parse_bool(&v)?,
                "reset_on_change" => o.reset_on_change = parse_bool(&v)?,
                other => bail!("streamstats: option `{other}` is not supported by the evaluator"),
            }
            continue;
        }
        if c.peek().is_some_and(|t| t.is_word_ci("BY")) {
            by = parse_by(c)?;
            continue;
        }
        if c.peek().is_some_and(|t| t.is_word_ci("reset_on_change")) {
            bail!("streamstats: reset_on_change needs a value (reset_on_change=t)");
        }
        if !aggs.is_empty() {
            bail!("streamstats: unexpected {:?}", c.peek());
        }
        aggs = parse_aggs(c, "streamstats")?;
    }
    if aggs.is_empty() {
        bail!("streamstats: no statistical function");
    }
    Ok((o, aggs, by))
}

/// Search Reference > streamstats: running statistics, in result order.
/// - current: "If true, the search includes the given, or current, event in
///   the summary calculations. If false, the search uses the field value
///   from the previous event."
/// - window=N: "the number of events to use when computing the statistics"
///   (0 = all). With current=f the window is the N results before the
///   current one.
/// - global: "Used only when the window argument is set. Defines whether to
///   use a single window, global=true, or to use separate windows based on
///   the by clause." With global=true the window holds the last N results
///   of any group, and a result's statistics are computed over those of its
///   own group (our reading of "a single window").
/// - reset_on_change: "all of the accumulated statistics are reset when the
///   group by fields change"; "Only events that have all of the group by
///   fields can trigger a reset."
///   Results lacking a BY field get no statistics and are left unchanged,
///   but occupy their place in a global window (the docs are silent).
pub fn streamstats(
    rows: Vec<Row>,
    o: &StreamOpts,
    aggs: &[Agg],
    by: &[String],
) -> Result<Vec<Row>> {
    let keys: Vec<Option<Vec<String>>> = rows
        .iter()
        .map(|r| group_key(r, by))
        .collect::<Result<_>>()?;
    let mut out = rows.clone();
    let mut running: HashMap<Vec<String>, Vec<Acc>> = HashMap::new();
    let mut windows: HashMap<Vec<String>, VecDeque<usize>> = HashMap::new();
    let mut global_win: VecDeque<usize> = VecDeque::new();
    let mut prev_key: Option<&Vec<String>> = None;
    for i in 0..rows.len() {
        let Some(key) = keys[i].as_ref() else {
            // A result without the BY fields still takes its place in a
            // global window (it is one of "the last N events").
            if o.window > 0 && o.global {
                global_win.push_back(i);
                while global_win.len() > o.window {
                    global_win.pop_front();
                }
            }
            continue;
        };
        if o.reset_on_change {
            if prev_key.is_some_and(|p| p != key) {
                running.clear();
                windows.clear();
                global_win.clear();
            }
            prev_key = Some(key);
        }
        if o.window == 0 {
            let accs = running.entry(key.clone()).or_insert_with(|| new_accs(aggs));
            if o.current {
                add_row(accs, aggs, &rows[i]);
                put_results(&mut out[i], accs, aggs);
            } else {
                put_results(&mut out[i], accs, aggs);
                add_row(accs, aggs, &rows[i]);
            }
        } else {
            let win = if o.global {
                &mut global_win
            } else {
                windows.entry(key.clone()).or_default()
            };
            if o.current {
                win.push_back(i);
                while win.len() > o.window {
                    win.pop_front();
                }
            }
            let mut accs = new_accs(aggs);
            for &j in win.iter() {
                if keys[j].as_ref() == Some(key) {
                    add_row(&mut accs, aggs, &rows[j]);
                }
            }
            if !o.current {
                win.push_back(i);
                while win.len() > o.window {
                    win.pop_front();
                }
            }
            put_results(&mut out[i], &accs, aggs);
        }
    }
    Ok(out)
}

/// `timechart` arguments.
#[derive(Debug, Clone)]
pub struct Timechart {
    pub span_s: i64,
    pub limit: usize,
    pub useother: bool,
    pub usenull: bool,
    pub nullstr: String,
    pub otherstr: String,
    pub cont: bool,
    pub fixedrange: bool,
    pub sep: String,
    pub aggs: Vec<Agg>,
    pub by: Option<String>,
}

pub fn parse_timechart(c: &mut Cursor) -> Result<Timechart> {
    // Search Reference > timechart > Optional arguments and their defaults:
    // limit=10, useother=true, usenull=true, nullstr="NULL",
    // otherstr="OTHER", cont=true, fixedrange=true, sep=": ".
    let mut t = Timechart {
        span_s: 0,
        limit: 10,
        useother: true,
        usenull: true,
        nullstr: "NULL".into(),
        otherstr: "OTHER".into(),
        cont: true,
        fixedrange: true,
        sep: ": ".into(),
        aggs: Vec::new(),
        by: None,
    };
    let mut have_span = false;
    while !c.at_end() {
        if let Some(name) = c.peek_any_option() {
            let v = c.take_option_value()?;
            match name.to_ascii_lowercase().as_str() {
                "span" => {
                    t.span_s = parse_span(&v)?;
                    have_span = true;
                }
                "limit" => {
                    let v = v.strip_prefix("top").unwrap_or(&v);
                    t.limit = v
                        .parse()
                        .map_err(|_| anyhow::anyhow!("timechart: limit={v}"))?
                }
                "useother" => t.useother = parse_bool(&v)?,
                "usenull" => t.usenull = parse_bool(&v)?,
                "nullstr" => t.nullstr = v,
                "otherstr" => t.otherstr = v,
                "cont" => t.cont = parse_bool(&v)?,
                "fixedrange" => t.fixedrange = parse_bool(&v)?,
                "sep" => t.sep = v,
                other => bail!("timechart: option `{other}` is not supported by the evaluator"),
            }
            continue;
        }
        if c.eat_kw("BY") {
            if t.by.is_some() {
                bail!("timechart: only one BY field is allowed");
            }
            t.by = Some(c.field("a BY field")?);
            continue;
        }
        if !t.aggs.is_empty() {
            bail!("timechart: unexpected {:?}", c.peek());
        }
        t.aggs = parse_aggs(c, "timechart")?;
    }
    if !have_span {
        bail!("timechart without span= is not supported (Splunk would choose a span from the time range)");
    }
    if t.aggs.is_empty() {
        bail!("timechart: no statistical function");
    }
    Ok(t)
}

/// Search Reference > timechart.
/// - Buckets: `_time` snapped down to a multiple of span since the epoch
///   (Search Reference > bin > aligntime: bins are aligned to "base UTC
///   time (epoch 0)" unless told otherwise; day spans would align on local
///   midnight, the evaluator assumes UTC).
/// - cont: "Specifies whether the chart is continuous or not. If set to true,
///   the Search application fills in the time gaps"; fixedrange: "Specifies
///   whether or not to enforce the earliest and latest times of the search"
///   -- with both true (the defaults) every bucket of [earliest, latest) is
///   present; with fixedrange=f only those between the first and last bucket
///   with data. A filled bucket has count()/dc() 0 and every other function
///   null (Splunk shows empty cells; the docs do not say).
///   With no input at all the chart still lists every bucket of the range
///   (the docs are silent).
/// - BY: one column per value of the split-by field; with several functions
///   the column is named by format's default "$AGG$\<sep\>$VAL$", sep ": "
///   (e.g. "p99: host1"); usenull: "Controls whether or not a series is
///   created for events that do not contain the split-by field", named by
///   nullstr ("NULL"); limit=N keeps the N highest-scoring series, the score
///   being the sum of the series' values (of the first function; the docs'
///   default ranking), the others go to the series otherstr ("OTHER") if
///   useother, else are dropped; limit=0 keeps every series. Ties in score
///   keep the lexicographically smaller name (the docs are silent).
/// - Results without a numeric `_time` are ignored.
pub fn timechart(rows: &[Row], t: &Timechart, earliest_s: f64, latest_s: f64) -> Result<Vec<Row>> {
    let span = t.span_s as f64;
    let bucket_of = |x: f64| (x / span).floor() as i64;
    let series_of = |row: &Row| -> Option<String> {
        match &t.by {
            None => Some(String::new()),
            Some(f) => match row.get(f) {
                Some(v) => Some(v.text()),
                None if t.usenull => Some(t.nullstr.clone()),
                None => None,
            },
        }
    };
    // Pass 1: per (bucket, series) statistics.
    let mut cells: HashMap<(i64, String), Vec<Acc>> = HashMap::new();
    let mut buckets: BTreeSet<i64> = BTreeSet::new();
    let mut series: BTreeSet<String> = BTreeSet::new();
    for row in rows {
        let Some(time) = row.num("_time") else {
            continue;
        };
        let Some(s) = series_of(row) else { continue };
        let b = bucket_of(time);
        buckets.insert(b);
        series.insert(s.clone());
        add_row(
            cells.entry((b, s)).or_insert_with(|| new_accs(&t.aggs)),
            &t.aggs,
            row,
        );
    }
    // Series selection (limit / useother).
    let mut kept: Vec<String> = series.iter().cloned().collect();
    let mut other = false;
    if t.by.is_some() && t.limit > 0 && kept.len() > t.limit {
        let mut scored: Vec<(f64, String)> = kept
            .iter()
            .map(|s| {
                let score: f64 = cells
                    .iter()
                    .filter(|((_, cs), _)| cs == s)
                    .filter_map(|(_, accs)| accs[0].result(t.aggs[0].func).and_then(|f| f.as_num()))
                    .sum();
                (score, s.clone())
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        let top: BTreeSet<String> = scored.into_iter().take(t.limit).map(|(_, s)| s).collect();
        if t.useother {
            other = true;
            for row in rows {
                let Some(time) = row.num("_time") else {
                    continue;
                };
                let Some(s) = series_of(row) else { continue };
                if top.contains(&s) {
                    continue;
                }
                let key = (bucket_of(time), t.otherstr.clone());
                add_row(
                    cells.entry(key).or_insert_with(|| new_accs(&t.aggs)),
                    &t.aggs,
                    row,
                );
            }
        }
        kept = top.into_iter().collect();
    }
    if other {
        kept.push(t.otherstr.clone());
    }
    // The buckets to output.
    let all: Vec<i64> = if t.cont {
        let (mut lo, mut hi) = match (buckets.first(), buckets.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (i64::MAX, i64::MIN),
        };
        if t.fixedrange {
            lo = lo.min(bucket_of(earliest_s));
            // latest is exclusive: the last bucket is the one holding latest-ε.
            hi = hi.max((latest_s / span).ceil() as i64 - 1);
        }
        if lo > hi {
            Vec::new()
        } else {
            (lo..=hi).collect()
        }
    } else {
        buckets.into_iter().collect()
    };
    let mut out = Vec::with_capacity(all.len());
    for b in all {
        let mut row = Row::new();
        row.set("_time", Some(Field::Num(b as f64 * span)));
        let names: Vec<&String> = if t.by.is_some() {
            kept.iter().collect()
        } else {
            Vec::new()
        };
        let series_list: Vec<Option<&String>> = if t.by.is_some() {
            names.into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        for s in series_list {
            let key = (b, s.cloned().unwrap_or_default());
            let cell = cells.get(&key);
            for (i, a) in t.aggs.iter().enumerate() {
                let col = match s {
                    None => a.out.clone(),
                    Some(s) if t.aggs.len() == 1 => s.clone(),
                    Some(s) => format!("{}{}{}", a.out, t.sep, s),
                };
                let v = match cell {
                    Some(accs) => accs[i].result(a.func),
                    None => match a.func {
                        AggFunc::Count | AggFunc::Dc => Some(Field::Num(0.0)),
                        _ => None,
                    },
                };
                row.set(&col, v);
            }
        }
        out.push(row);
    }
    Ok(out)
}
