//! The metric commands: mstats and mcatalog.

use std::cell::Cell as StdCell;
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

/// Which data point the first timespan of a search takes as the starting
/// basis of `rate_sum` / `rate_avg`.
///
/// Search Reference > Time functions > rate_avg / rate_sum
/// (<https://help.splunk.com/splunk-enterprise/search/spl-search-reference/10.0/statistical-and-charting-functions/time-functions>,
/// also <https://docs.splunk.com/Documentation/Splunk/9.4.0/SearchReference/Timefunctions>):
/// "To ensure accurate results, Splunk software uses the latest value of a
/// metric measurement from the previous timespan as the starting basis for a
/// rate computation." The page does not say what "the previous timespan" of
/// the search's first timespan is -- it lies before the search's earliest
/// time -- nor whether mstats reads data there. Each reading below is one
/// answer; the differential harness runs under each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateBasis {
    /// The sentence applied to every timespan, the first included: the
    /// search also reads the timespan before its first one
    /// (`[first bucket start - span, earliest)`), and the latest point there
    /// is the first timespan's basis. Where a series has no point there, the
    /// first timespan uses its own first point (as `OwnPointsOnly`). The
    /// default: the only reading under which the documented rule holds in
    /// every timespan.
    #[default]
    ReadsBeforeEarliest,
    /// Nothing before earliest is read: the first timespan takes its own
    /// first point as the basis, so it needs two points of the series (the
    /// rule of `rate`: "Requires at least two metric data points in the
    /// search time range").
    OwnPointsOnly,
    /// Nothing before earliest is read and the first timespan, having no
    /// previous timespan, gives no rate at all (null). Without `span=` the
    /// whole range is the only timespan; dropping it would leave no answer,
    /// so there this reading is `OwnPointsOnly`.
    FirstBucketDropped,
}

impl RateBasis {
    /// Every reading, for harnesses that run under each.
    pub const ALL: [RateBasis; 3] = [
        RateBasis::ReadsBeforeEarliest,
        RateBasis::OwnPointsOnly,
        RateBasis::FirstBucketDropped,
    ];
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

/// The increase of an accumulating counter from the first to the last of
/// time-sorted values, with counter resets as the Time functions page says
/// of rate(X) (address at [`RateBasis`]): "(latest(\<value\>) -
/// earliest(\<value\>)) / (latest_time(\<value\>) - earliest_time(\<value\>)) The
/// rate function also handles the largest value reset if there is at least
/// one reset."
///
/// Reading: a reset is a value lower than the one before it; the value
/// before a reset is what the counter lost. When there is at least one
/// reset, the largest value lost at a reset is added back, once:
/// `latest - earliest + max(value before each reset)`. With one reset this
/// is the true increase (and Prometheus' rule); with two or more only the
/// largest loss is handled, as the sentence says, where Prometheus adds
/// back every one. (The page gives no algorithm; this is the reading of
/// "the largest value reset".)
fn increase(values: &[f64]) -> f64 {
    let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
        return 0.0;
    };
    let mut largest_lost: Option<f64> = None;
    for w in values.windows(2) {
        if w[1] < w[0] && largest_lost.is_none_or(|l| w[0] > l) {
            largest_lost = Some(w[0]);
        }
    }
    last - first + largest_lost.unwrap_or(0.0)
}

/// Per-second rate from the first to the last of time-sorted points; None
/// when the two times are equal (rate "Requires ... the earliest_time and
/// latest_time values to be different") or there are fewer than two points.
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

/// The timespans of one search: buckets numbered from 0, the one holding
/// the earliest time.
struct Spans {
    /// The span in ms; None: one timespan, the whole range.
    span_ms: Option<i64>,
    /// The epoch bucket number of bucket 0 (with a span).
    b0: i64,
    /// Where the points a search reads for rate bases start (`from_ms`, or
    /// one timespan before the first bucket under `ReadsBeforeEarliest`).
    read_from_ms: i64,
}

impl Spans {
    fn new(span_s: Option<i64>, from_ms: i64, to_ms: i64, basis: RateBasis) -> Spans {
        let (span_ms, b0, first_start, len) = match span_s {
            Some(s) => {
                let sp = s * 1000;
                let b0 = from_ms.div_euclid(sp);
                (Some(sp), b0, b0 * sp, sp)
            }
            None => (None, 0, from_ms, to_ms - from_ms),
        };
        let read_from_ms = match basis {
            RateBasis::ReadsBeforeEarliest => first_start - len,
            _ => from_ms,
        };
        Spans {
            span_ms,
            b0,
            read_from_ms,
        }
    }

    fn bucket(&self, t: i64) -> usize {
        match self.span_ms {
            Some(sp) => (t.div_euclid(sp) - self.b0) as usize,
            None => 0,
        }
    }
}

/// One metric time series of one term in a group.
struct Member<'a> {
    term: usize,
    series: &'a Series,
    /// The indexes of the points in the search's range.
    range: std::ops::Range<usize>,
}

/// Runs mstats over the store.
///
/// Search Reference > mstats
/// (<https://help.splunk.com/splunk-enterprise/spl-search-reference/10.0/search-commands/mstats>):
/// - The WHERE clause selects metric time series by their dimensions
///   (search-language predicate, see pred.rs); it is evaluated once per
///   series, case-sensitively: "The WHERE clause is case-sensitive when it
///   filters mstats results by field values." and "All metrics search
///   commands are case sensitive." (mcatalog too).
/// - BY: one result per combination of the BY dimensions' values;
///   fillnull_value: "If you do not provide a fillnull_value argument,
///   mstats omits rows for events with one or more null field values from
///   its results" -- a series without a BY dimension is dropped.
/// - span: "the time span of each time bin". The mstats page does not say
///   how bins align; the bin page does (Search Reference > bin,
///   <https://help.splunk.com/splunk-enterprise/search/spl-search-reference/10.0/search-commands/bin>):
///   aligntime: "Align the bin times to something other than base UTC time
///   (epoch 0)" -- by default bins are multiples of the span since the
///   epoch -- and "When a \<span-length\> of a day or more is used, the span
///   is aligned to midnight in the timezone of the user." The evaluator's
///   user is in UTC (every test and the harness use UTC), where midnight is
///   a multiple of 86400 s since the epoch, so both rules give epoch
///   multiples of the span. `_time` is the bucket's start, in seconds. The
///   first bucket may start before the search's earliest time (it keeps
///   only points inside the range). Without span: one result per group
///   over the whole range, no `_time`.
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
/// - rate(X) (Time functions, address at [`RateBasis`]): "Returns the
///   per-second rate change of the value in a field. The rate function
///   represents the following formula: (latest(\<value\>) -
///   earliest(\<value\>)) / (latest_time(\<value\>) - earliest_time(\<value\>))
///   The rate function also handles the largest value reset if there is at
///   least one reset." -- over the group's points in the bucket in time
///   order (all its series merged, as the formula reads), resets as
///   [`increase`] says; "Requires at least two metric data points in the
///   search time range", with different earliest and latest times, else
///   null. The previous-timespan basis is stated for rate_avg/rate_sum
///   only, so rate uses the bucket's own points.
/// - rate_sum(X) / rate_avg(X): "Computes the per metric time series rates
///   for an accumulating counter metric. Returns the aggregate (averages)
///   of those rates." Per metric time series (one complete set of
///   dimensions) and bucket: "Splunk software uses the latest value of a
///   metric measurement from the previous timespan as the starting basis
///   for a rate computation", and "Unlike rate, the rate_avg function can
///   calculate rates even when there is only a single metric data point per
///   time series per timespan. It can pull in data across timespans to
///   calculate rates when necessary." So the series' rate in a bucket is
///   rate(X) over the basis and the bucket's points: the latest value in
///   the bucket minus the basis, over the time between them, resets
///   handled as for rate between the two. The basis is the series' latest point before the
///   bucket among the points the search read: in the previous timespan, or
///   -- when the series has none there -- the latest one before it ("pull
///   in data across timespans"). A series with no earlier point read uses
///   its own first point in the bucket as the basis (two points needed);
///   the search's first bucket follows the [`RateBasis`] reading. Series
///   with no rate are left out of the sum / average; no rate at all is
///   null.
pub fn run_mstats(
    m: &Mstats,
    store: &Store,
    earliest_s: f64,
    latest_s: f64,
    basis: RateBasis,
) -> Result<Vec<Row>> {
    let (from_ms, to_ms) = range_ms(earliest_s, latest_s);
    if to_ms <= from_ms {
        return Ok(Vec::new());
    }
    let spans = Spans::new(m.span_s, from_ms, to_ms, basis);
    let nterms = m.terms.len();
    // The points each member series is read from and to (see
    // `take_scanned`), once per series however many terms name it.
    let mut reads: HashMap<*const Series, (usize, usize)> = HashMap::new();

    // Each group's member series, found once per (term, series).
    let mut group_index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<(Vec<String>, Vec<Member>)> = Vec::new();
    for (ti, term) in m.terms.iter().enumerate() {
        for s in store.series(&term.metric) {
            let range = s.range(from_ms, to_ms);
            if range.is_empty() {
                continue;
            }
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
            let first_read = match term.func {
                MFunc::RateSum | MFunc::RateAvg => basis_start(s, &range, &spans),
                _ => range.start,
            };
            reads
                .entry(std::ptr::from_ref(s))
                .and_modify(|r| r.0 = r.0.min(first_read))
                .or_insert((first_read, range.end));
            let member = Member {
                term: ti,
                series: s,
                range,
            };
            match group_index.get(&key) {
                Some(&g) => groups[g].1.push(member),
                None => {
                    group_index.insert(key.clone(), groups.len());
                    groups.push((key, vec![member]));
                }
            }
        }
    }
    groups.sort_by(|x, y| cmp_keys(&x.0, &y.0));
    let read: usize = reads.values().map(|&(a, b)| b - a).sum();
    SCANNED.with(|c| c.set(c.get() + read as u64));

    // One group at a time, its buckets in a dense table: (bucket, rows).
    let mut out: Vec<(usize, Row)> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    for (key, members) in &groups {
        let lo = members
            .iter()
            .map(|mb| spans.bucket(mb.series.times[mb.range.start]))
            .min()
            .unwrap_or(0);
        let hi = members
            .iter()
            .map(|mb| spans.bucket(mb.series.times[mb.range.end - 1]))
            .max()
            .unwrap_or(0);
        cells.clear();
        cells.resize((hi - lo + 1) * nterms, Cell::new());
        for mb in members {
            accumulate(
                m.terms[mb.term].func,
                mb,
                &spans,
                basis,
                &mut cells,
                lo,
                nterms,
            );
        }
        for (i, cs) in cells.chunks_mut(nterms).enumerate() {
            if cs.iter().all(|c| c.n == 0) {
                continue;
            }
            let b = lo + i;
            let mut row = Row::new();
            if let Some(sp) = spans.span_ms {
                row.set(
                    "_time",
                    Some(Field::Num(((spans.b0 + b as i64) * sp / 1000) as f64)),
                );
            }
            for (f, v) in m.by.iter().zip(key) {
                row.set(f, Some(Field::Str(v.clone())));
            }
            for (term, cell) in m.terms.iter().zip(cs.iter_mut()) {
                if cell.n == 0 {
                    continue;
                }
                row.set(&term.out, value_of(term.func, cell).map(Field::Num));
            }
            out.push((b, row));
        }
    }
    // Groups were visited in BY order: a stable sort by bucket gives
    // (_time, BY values).
    out.sort_by_key(|(b, _)| *b);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// The first point of a series that rate_sum / rate_avg read, `range`
/// being its points in the search's range: under
/// `RateBasis::ReadsBeforeEarliest` the points of the timespan before the
/// first are read too (see [`RateBasis`]).
fn basis_start(s: &Series, range: &std::ops::Range<usize>, spans: &Spans) -> usize {
    if spans.read_from_ms < s.times[range.start] {
        s.range(spans.read_from_ms, s.times[range.start]).start
    } else {
        range.start
    }
}

thread_local! {
    static SCANNED: StdCell<u64> = const { StdCell::new(0) };
}

/// The metric data points `mstats` read on this thread since the last call
/// (or the thread's start); resets the count to zero. For a dashboard's
/// cost figure: what a search costs Splunk grows with the data points its
/// `mstats` read, not with the results it returns.
///
/// Every `mstats` command a search runs adds (an `append` subsearch's
/// too), for each metric time series its WHERE clause matches and its BY
/// clause keeps (the series it aggregates; one dropped for a missing BY
/// dimension is not read -- the docs do not say whether Splunk reads it):
/// - the series' data points inside the search's time range, and
/// - for `rate_sum` / `rate_avg` under `RateBasis::ReadsBeforeEarliest`,
///   the points before the range that the search reads for the first
///   timespan's rate basis (the timespan before the first).
///
/// A series is counted once per command even when two of its aggregations
/// name the same metric (`avg(x)` and `max(x)`): one command reads a series
/// once, whatever number of functions aggregate it. `mcatalog` reads only
/// the series' metadata (their dimensions), no data points: it adds
/// nothing.
pub fn take_scanned() -> u64 {
    SCANNED.with(|c| c.replace(0))
}

/// Adds one member series' points to its group's cells (`nterms` per
/// bucket, from bucket `lo`), bucket by bucket.
fn accumulate(
    func: MFunc,
    mb: &Member,
    spans: &Spans,
    basis: RateBasis,
    cells: &mut [Cell],
    lo: usize,
    nterms: usize,
) {
    let s = mb.series;
    let times = &s.times;
    let values = &s.values;
    let read_lo = basis_start(s, &mb.range, spans);
    let mut a = mb.range.start;
    while a < mb.range.end {
        let bucket = spans.bucket(times[a]);
        let mut b = a + 1;
        while b < mb.range.end && spans.bucket(times[b]) == bucket {
            b += 1;
        }
        let cell = &mut cells[(bucket - lo) * nterms + mb.term];
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
        match func {
            MFunc::Rate => cell.pts.extend(
                times[a..b]
                    .iter()
                    .copied()
                    .zip(values[a..b].iter().copied()),
            ),
            MFunc::RateSum | MFunc::RateAvg => {
                let first = if a > read_lo {
                    // The latest point read before this bucket: the
                    // previous timespan's, or an earlier one across a gap.
                    Some(a - 1)
                } else if basis == RateBasis::FirstBucketDropped
                    && bucket == 0
                    && spans.span_ms.is_some()
                {
                    None
                } else {
                    Some(a)
                };
                if let Some(r) = first.and_then(|f| rate_of(&times[f..b], &values[f..b])) {
                    cell.rate_sum += r;
                    cell.rate_n += 1;
                }
            }
            _ => {}
        }
        a = b;
    }
}

/// The value of one function over a cell with at least one point.
fn value_of(func: MFunc, cell: &mut Cell) -> Option<f64> {
    match func {
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
    }
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
