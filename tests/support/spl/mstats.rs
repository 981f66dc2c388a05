//! The metric commands: mstats and mcatalog.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{bail, Result};

use super::lexer::{Cursor, Tok};
use super::pred::{self, Pred};
use super::stats::parse_by_list;
use super::store::{Series, Store};
use super::value::{parse_bool, parse_num, parse_span, Field, Row};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MFunc {
    Avg,
    Sum,
    Min,
    Max,
    Count,
    Latest,
    Earliest,
    Rate,
    RateSum,
    RateAvg,
}

#[derive(Debug, Clone)]
pub struct Term {
    pub func: MFunc,
    pub metric: String,
    pub out: String,
}

#[derive(Debug, Clone)]
pub struct Mstats {
    pub terms: Vec<Term>,
    pub pred: Option<Pred>,
    pub by: Vec<String>,
    pub span_s: Option<i64>,
    pub fillnull: Option<String>,
}

/// Tokens of a WHERE clause, up to a top-level BY/GROUPBY or `span=`.
fn where_tokens(c: &mut Cursor) -> Vec<Tok> {
    let mut depth = 0;
    let mut out = Vec::new();
    while let Some(t) = c.peek() {
        if depth == 0
            && (t.is_word_ci("BY") || t.is_word_ci("GROUPBY") || c.peek_option(&["span"]).is_some())
        {
            break;
        }
        match t {
            Tok::LParen => depth += 1,
            Tok::RParen => depth -= 1,
            _ => {}
        }
        out.push(c.next().unwrap());
    }
    out
}

/// Parses `mstats [options] FN(metric) [AS name]... WHERE <predicate>
/// [BY|GROUPBY fields] [span=<len>]` (Search Reference > mstats > Syntax).
pub fn parse_mstats(text: &str) -> Result<Mstats> {
    let mut c = Cursor::new(text)?;
    let mut m = Mstats {
        terms: Vec::new(),
        pred: None,
        by: Vec::new(),
        span_s: None,
        fillnull: None,
    };
    while !c.at_end() {
        if let Some(name) = c.peek_any_option() {
            let v = c.take_option_value()?;
            match name.to_ascii_lowercase().as_str() {
                "span" => m.span_s = Some(parse_span(&v)?),
                // Search Reference > mstats > fillnull_value: "sets a
                // user-specified value that the mstats command substitutes
                // for null values for any field within its group-by field
                // list".
                "fillnull_value" => m.fillnull = Some(v),
                "prestats" if !parse_bool(&v)? => {}
                // chunk_size only tunes how many series are read at once.
                "chunk_size" => {}
                other => bail!("mstats: option `{other}` is not supported by the evaluator"),
            }
            continue;
        }
        if c.eat_kw("WHERE") {
            if m.pred.is_some() {
                bail!("mstats: two WHERE clauses");
            }
            let toks = where_tokens(&mut c);
            m.pred = Some(pred::parse(&toks)?);
            continue;
        }
        if c.eat_kw("BY") || c.eat_kw("GROUPBY") {
            m.by = parse_by_list(&mut c)?;
            continue;
        }
        if c.eat(&Tok::Comma) {
            continue;
        }
        let fname = match c.next() {
            Some(Tok::Word(w)) => w,
            other => bail!("mstats: unexpected {other:?}"),
        };
        // Search Reference > mstats > Stats metric term options: the
        // functions the evaluator models.
        let func = match fname.as_str() {
            "avg" => MFunc::Avg,
            "sum" => MFunc::Sum,
            "min" => MFunc::Min,
            "max" => MFunc::Max,
            "count" => MFunc::Count,
            "latest" => MFunc::Latest,
            "earliest" => MFunc::Earliest,
            "rate" => MFunc::Rate,
            "rate_sum" => MFunc::RateSum,
            "rate_avg" => MFunc::RateAvg,
            _ => bail!("mstats: function `{fname}` is not supported by the evaluator"),
        };
        if !c.eat(&Tok::LParen) {
            bail!("mstats: expected `(` after {fname}");
        }
        let metric = c.field("a metric name")?;
        if !c.eat(&Tok::RParen) {
            bail!("mstats: expected `)` after {fname}({metric}");
        }
        if metric.contains('*') || metric == "_value" {
            bail!("mstats: `{fname}({metric})` (the <stats-func-value> form) is not supported by the evaluator");
        }
        let out = if c.eat_kw("AS") {
            c.field("a name after AS")?
        } else {
            format!("{fname}({metric})")
        };
        m.terms.push(Term { func, metric, out });
    }
    if m.terms.is_empty() {
        bail!("mstats: no statistical function");
    }
    for f in &m.by {
        if f.starts_with('_') {
            bail!("mstats: BY {f} is not supported (use span= for time)");
        }
    }
    // Without an `index=` term mstats reads only the default indexes of the
    // user's role (Search Reference > mstats > WHERE clause; our role has no
    // default metrics index), so a generated search that forgot the index
    // would find nothing in Splunk: fail instead.
    if !m.pred.as_ref().is_some_and(|p| p.mentions("index")) {
        bail!("mstats: the WHERE clause names no index");
    }
    Ok(m)
}

/// The statistics of one (bucket, group) for one term.
#[derive(Debug, Clone)]
struct Cell {
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
    earliest: (i64, f64),
    latest: (i64, f64),
    rate_sum: f64,
    rate_n: u64,
    pts: Vec<(i64, f64)>,
}

impl Cell {
    fn new() -> Cell {
        Cell {
            n: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            earliest: (i64::MAX, 0.0),
            latest: (i64::MIN, 0.0),
            rate_sum: 0.0,
            rate_n: 0,
            pts: Vec::new(),
        }
    }
}

/// The increase of a counter over consecutive samples, with counter resets:
/// a sample lower than the one before starts again from zero, so the
/// increase over that step is the sample itself (the previous value is
/// added back, as Prometheus' rate() does).
fn increase(values: &[f64]) -> f64 {
    let mut inc = 0.0;
    for w in values.windows(2) {
        if w[1] >= w[0] {
            inc += w[1] - w[0];
        } else {
            inc += w[1];
        }
    }
    inc
}

/// Per-second rate over time-sorted samples; None with fewer than two
/// distinct times.
fn rate_of(times: &[i64], values: &[f64]) -> Option<f64> {
    let (Some(&t0), Some(&t1)) = (times.first(), times.last()) else {
        return None;
    };
    if t1 <= t0 {
        return None;
    }
    Some(increase(values) / ((t1 - t0) as f64 / 1000.0))
}

/// Search-time range in ms: earliest <= _time < latest. Search Manual >
/// Specify time modifiers in your search: earliest is "the earliest _time"
/// of the range and latest its end; Splunk's ranges include earliest and
/// exclude latest (the design notes fix this: "earliest <= _time < latest").
pub fn range_ms(earliest_s: f64, latest_s: f64) -> (i64, i64) {
    (
        (earliest_s * 1000.0).ceil() as i64,
        (latest_s * 1000.0).ceil() as i64,
    )
}

fn dim_values<'a>(metric: &'a str, s: &'a Series) -> impl Fn(&str) -> Vec<String> + 'a {
    move |f: &str| {
        if f == "metric_name" {
            vec![metric.to_string()]
        } else {
            s.dims.get(f).cloned().into_iter().collect()
        }
    }
}

/// Runs mstats over the store.
///
/// Search Reference > mstats:
/// - The WHERE clause selects metric time series by their dimensions
///   (search-language predicate, see pred.rs); it is evaluated once per
///   series, case-sensitively: "The WHERE clause is case-sensitive when it
///   filters mstats results by field values." and "All metrics search
///   commands are case sensitive." (mcatalog too).
/// - BY: one result per combination of the BY dimensions' values;
///   fillnull_value: "If you do not provide a fillnull_value argument,
///   mstats omits rows for events with one or more null field values from
///   its results" -- a series without a BY dimension is dropped.
/// - span: "the time span of each time bin" -- buckets are aligned on
///   multiples of the span since the epoch, UTC (Search Reference > bin >
///   aligntime: bins align to "base UTC time (epoch 0)" by default), and
///   `_time` is the bucket's start, in seconds. The first bucket may start
///   before the search's earliest time (it keeps only points inside the
///   range). Without span: one result per group over the whole range, no
///   `_time`.
/// - A result is emitted for every (bucket, group) with at least one point
///   of any term's metric; a function with no value there (rate of one
///   point) leaves its field null.
/// - Output order: by `_time`, then by the BY values ("auto" order). The
///   docs do not state the order.
///
/// Statistical and charting functions (as used by mstats):
/// - avg, sum, min, max, count: over every data point of the group in the
///   bucket, all series together.
/// - latest/earliest: "Returns the chronologically latest (earliest) seen
///   occurrence of a value" -- the point with the latest/earliest _time;
///   between series with the same time, the later (latest) or earlier
///   (earliest) series in store order wins (the docs are silent on ties).
/// - rate(X): "Returns the per-second rate change of the value of the
///   field. Represents (latest(X) - earliest(X)) / (latest_time(X) -
///   earliest_time(X)). Also handles the largest value reset if there is at
///   least one reset." -- computed over the group's points in time order
///   (all its series merged, as the definition reads), with counter resets
///   handled as Prometheus does (see `increase`). Null with fewer than two
///   distinct times.
/// - rate_sum(X) / rate_avg(X): "Returns the summed (averaged) rates for the
///   time series associated with a specified accumulating counter metric"
///   -- rate(X) of each metric time series (one complete set of dimensions)
///   within the bucket, then their sum / average over the group; series
///   with no rate (a single point) are ignored, and no rate at all is null.
pub fn run_mstats(m: &Mstats, store: &Store, earliest_s: f64, latest_s: f64) -> Result<Vec<Row>> {
    let (from_ms, to_ms) = range_ms(earliest_s, latest_s);
    let span_ms = m.span_s.map(|s| s * 1000);
    let nterms = m.terms.len();
    let mut group_index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut cells: HashMap<(i64, usize), Vec<Cell>> = HashMap::new();
    for (ti, term) in m.terms.iter().enumerate() {
        let need_pts = term.func == MFunc::Rate;
        for s in store.series(&term.metric) {
            if let Some(p) = &m.pred {
                if !p.eval_case_sensitive(&dim_values(&term.metric, s)) {
                    continue;
                }
            }
            let mut key = Vec::with_capacity(m.by.len());
            for f in &m.by {
                let v = if f == "metric_name" {
                    Some(&term.metric)
                } else {
                    s.dims.get(f)
                };
                match (v, &m.fillnull) {
                    (Some(v), _) => key.push(v.clone()),
                    (None, Some(fill)) => key.push(fill.clone()),
                    (None, None) => break,
                }
            }
            if key.len() != m.by.len() {
                continue;
            }
            let r = s.range(from_ms, to_ms);
            if r.is_empty() {
                continue;
            }
            let gi = match group_index.get(&key) {
                Some(&g) => g,
                None => {
                    groups.push(key.clone());
                    group_index.insert(key, groups.len() - 1);
                    groups.len() - 1
                }
            };
            let times = &s.times[r.clone()];
            let values = &s.values[r];
            let mut a = 0;
            while a < times.len() {
                let bucket = match span_ms {
                    Some(sp) => times[a].div_euclid(sp),
                    None => 0,
                };
                let mut b = a + 1;
                if let Some(sp) = span_ms {
                    while b < times.len() && times[b].div_euclid(sp) == bucket {
                        b += 1;
                    }
                } else {
                    b = times.len();
                }
                let cell = &mut cells
                    .entry((bucket, gi))
                    .or_insert_with(|| vec![Cell::new(); nterms])[ti];
                for &v in &values[a..b] {
                    cell.sum += v;
                    if v < cell.min {
                        cell.min = v;
                    }
                    if v > cell.max {
                        cell.max = v;
                    }
                }
                cell.n += (b - a) as u64;
                if times[a] < cell.earliest.0 {
                    cell.earliest = (times[a], values[a]);
                }
                if times[b - 1] >= cell.latest.0 {
                    cell.latest = (times[b - 1], values[b - 1]);
                }
                if let Some(r) = rate_of(&times[a..b], &values[a..b]) {
                    cell.rate_sum += r;
                    cell.rate_n += 1;
                }
                if need_pts {
                    cell.pts.extend(
                        times[a..b]
                            .iter()
                            .copied()
                            .zip(values[a..b].iter().copied()),
                    );
                }
                a = b;
            }
        }
    }
    // Rank the groups once by their BY values, then order by (bucket, rank).
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&x, &y| cmp_keys(&groups[x], &groups[y]));
    let mut rank = vec![0usize; groups.len()];
    for (r, &g) in order.iter().enumerate() {
        rank[g] = r;
    }
    let mut keys: Vec<(i64, usize)> = cells.keys().copied().collect();
    keys.sort_by_key(|k| (k.0, rank[k.1]));
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let cs = cells.get_mut(&k).unwrap();
        let mut row = Row::new();
        if let Some(sp) = m.span_s {
            row.set("_time", Some(Field::Num((k.0 * sp) as f64)));
        }
        for (f, v) in m.by.iter().zip(&groups[k.1]) {
            row.set(f, Some(Field::Str(v.clone())));
        }
        for (term, cell) in m.terms.iter().zip(cs.iter_mut()) {
            if cell.n == 0 {
                continue;
            }
            let v = match term.func {
                MFunc::Avg => Some(cell.sum / cell.n as f64),
                MFunc::Sum => Some(cell.sum),
                MFunc::Min => Some(cell.min),
                MFunc::Max => Some(cell.max),
                MFunc::Count => Some(cell.n as f64),
                MFunc::Latest => Some(cell.latest.1),
                MFunc::Earliest => Some(cell.earliest.1),
                MFunc::Rate => {
                    cell.pts.sort_by_key(|p| p.0);
                    let (t, v): (Vec<i64>, Vec<f64>) = cell.pts.iter().copied().unzip();
                    rate_of(&t, &v)
                }
                MFunc::RateSum => (cell.rate_n > 0).then_some(cell.rate_sum),
                MFunc::RateAvg => (cell.rate_n > 0).then(|| cell.rate_sum / cell.rate_n as f64),
            };
            row.set(&term.out, v.map(Field::Num));
        }
        out.push(row);
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct Mcatalog {
    /// (dimension, output name)
    pub values: Vec<(String, String)>,
    pub pred: Option<Pred>,
    pub by: Vec<String>,
}

/// Parses `mcatalog values(<field>) [AS name]... [WHERE <predicate>]
/// [BY fields]` (Search Reference > mcatalog: values() is its only
/// function).
pub fn parse_mcatalog(text: &str) -> Result<Mcatalog> {
    let mut c = Cursor::new(text)?;
    let mut m = Mcatalog {
        values: Vec::new(),
        pred: None,
        by: Vec::new(),
    };
    while !c.at_end() {
        if c.eat_kw("WHERE") {
            let toks = where_tokens(&mut c);
            m.pred = Some(pred::parse(&toks)?);
            continue;
        }
        if c.eat_kw("BY") || c.eat_kw("GROUPBY") {
            m.by = parse_by_list(&mut c)?;
            continue;
        }
        if c.eat(&Tok::Comma) {
            continue;
        }
        if let Some(o) = c.peek_any_option() {
            bail!("mcatalog: option `{o}` is not supported by the evaluator");
        }
        let f = c.field("values(...)")?;
        if f != "values" {
            bail!("mcatalog: function `{f}` is not supported (only values())");
        }
        if !c.eat(&Tok::LParen) {
            bail!("mcatalog: expected `(` after values");
        }
        let dim = c.field("a field name")?;
        if !c.eat(&Tok::RParen) {
            bail!("mcatalog: expected `)`");
        }
        let out = if c.eat_kw("AS") {
            c.field("a name after AS")?
        } else {
            format!("values({dim})")
        };
        m.values.push((dim, out));
    }
    if m.values.is_empty() {
        bail!("mcatalog: no values() term");
    }
    if !m.pred.as_ref().is_some_and(|p| p.mentions("index")) {
        bail!("mcatalog: the WHERE clause names no index");
    }
    Ok(m)
}

/// Search Reference > mcatalog: the distinct values of dimensions (and
/// metric_name) of the metric time series that match the WHERE clause
/// (case-sensitively: mstats page, "All metrics search commands are case
/// sensitive.") and
/// have data points in the search's time range; values() lists them in
/// lexicographical order as a multivalue field. Results are grouped BY
/// dimensions (a series without a BY dimension is left out) and ordered by
/// the BY values; no matching series gives no result.
pub fn run_mcatalog(
    m: &Mcatalog,
    store: &Store,
    earliest_s: f64,
    latest_s: f64,
) -> Result<Vec<Row>> {
    let (from_ms, to_ms) = range_ms(earliest_s, latest_s);
    let mut groups: BTreeMap<Vec<String>, Vec<BTreeSet<String>>> = BTreeMap::new();
    for metric in store.metric_names() {
        for s in store.series(metric) {
            if s.range(from_ms, to_ms).is_empty() {
                continue;
            }
            let get = dim_values(metric, s);
            if let Some(p) = &m.pred {
                if !p.eval_case_sensitive(&get) {
                    continue;
                }
            }
            let key: Vec<Vec<String>> = m.by.iter().map(|f| get(f)).collect();
            if key.iter().any(|v| v.is_empty()) {
                continue;
            }
            let key: Vec<String> = key.into_iter().map(|mut v| v.remove(0)).collect();
            let sets = groups
                .entry(key)
                .or_insert_with(|| vec![BTreeSet::new(); m.values.len()]);
            for (set, (dim, _)) in sets.iter_mut().zip(&m.values) {
                set.extend(get(dim));
            }
        }
    }
    let mut rows: Vec<(Vec<String>, Row)> = groups
        .into_iter()
        .map(|(key, sets)| {
            let mut row = Row::new();
            for (f, v) in m.by.iter().zip(&key) {
                row.set(f, Some(Field::Str(v.clone())));
            }
            for (set, (_, out)) in sets.into_iter().zip(&m.values) {
                let v = match set.len() {
                    0 => None,
                    1 => Some(Field::Str(set.into_iter().next().unwrap())),
                    _ => Some(Field::Multi(set.into_iter().collect())),
                };
                row.set(out, v);
            }
            (key, row)
        })
        .collect();
    rows.sort_by(|a, b| cmp_keys(&a.0, &b.0));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Orders group keys (dimension values) by the "auto" order of sort.
fn cmp_keys(a: &[String], b: &[String]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (parse_num(x), parse_num(y)) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
            _ => x.cmp(y),
        };
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}
