//! Our side of the differential test: what the Splunk dashboard draws for a panel.
//!
//! The scrapes go through the input's own path (parse -> convert -> event
//! text, `pipeline::convert_scrape` and `emit::event_text`), then through
//! our `transforms.conf` as splunkd applies it (`test_support::splunk`), into
//! the in-memory metrics index of the SPL evaluator (`spl_eval`). The
//! panel's search is the one the dashboard generator writes into the
//! committed XML (`Spec::panel_search`), with the dashboard's tokens set as
//! the dashboard would set them: `$span$`/`$span_s$` to the step, `$host$`
//! to the node selection, and each top-10 variable's token to what its
//! generated search computes over the same data. The chart's columns are
//! the series; a bucket starting at T is Prometheus' evaluation time T + S.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{anyhow, bail, Context, Result};

use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::dashboard::{Load, Panel, Range, Spec, VariableKind, CHART_EARLIEST_TOKEN};
use mattermost_metrics::emit;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;

use super::compare::NamedSeries;
use super::dashboards::TimeRange;
use super::spl;
use super::splunk;
use super::timeline::{self, Scrape};

/// Everything our side may use for one panel.
pub struct OursContext<'a> {
    /// Every scrape of every endpoint (text format 0.0.4), ordered by time.
    pub scrapes: &'a [Scrape],
    /// Step (= Splunk span) in seconds.
    pub step_s: i64,
    /// What the dashboard's `span_search` sets (`span`, `span_s`, `span_lookback`,
    /// `chart_earliest`), from [`span_tokens`].
    pub span_tokens: &'a BTreeMap<String, String>,
    /// First and last evaluation time (s), multiples of `step_s` (where a one-number panel's
    /// value is compared).
    pub start_s: i64,
    pub end_s: i64,
    /// The dashboard's time range: every search runs over it, unsnapped.
    pub range: TimeRange,
    /// Which reading of Splunk's open points on rate_sum/rate_avg the evaluator takes
    /// (`spl::RateBasis`: what the first bucket of a search uses as its basis).
    pub rate_basis: spl::RateBasis,
    /// Run a chart over the time picker's range as it is, not from `$chart_earliest$` (a
    /// negative control: the searches as they were before whole buckets).
    pub picker_earliest: bool,
    /// The dashboard's tokens as its inputs set them for the variables'
    /// values the reference used (`host` -> `(host="mm-node-1" OR ...)`).
    pub tokens: BTreeMap<String, String>,
}

use test_support::root;

/// The plan of one load of `spec` ([`Spec::load_plan`]), made once per
/// dashboard: every panel of every range and reading runs from the same one.
fn load_of(spec: &Spec) -> Result<Arc<Load>> {
    static LOADS: OnceLock<Mutex<HashMap<String, Arc<Load>>>> = OnceLock::new();
    let loads = LOADS.get_or_init(Default::default);
    if let Some(l) = loads.lock().expect("the loads").get(&spec.id) {
        return Ok(l.clone());
    }
    let load = Arc::new(spec.load_plan()?);
    loads
        .lock()
        .expect("the loads")
        .insert(spec.id.clone(), load.clone());
    Ok(load)
}

/// The scrapes as Splunk would hold them, built once.
fn store(scrapes: &[Scrape]) -> Result<&'static spl::Store> {
    static STORE: OnceLock<spl::Store> = OnceLock::new();
    if let Some(s) = STORE.get() {
        return Ok(s);
    }
    let transforms = splunk::transforms_for(&root().join("splunk_app"), "mattermost:metrics");
    let mut store = spl::Store::new();
    let mut raw = Vec::new();
    for s in scrapes {
        let mut points = Vec::new();
        convert_scrape(
            s.body.as_bytes(),
            Format::Prometheus,
            false,
            &ConvertOptions::default(),
            s.time_ms,
            |dp| {
                // The Calls plugin's, rtcd's and node_exporter's inputs add
                // `job` (docs/dashboards.md, "Calls, rtcd and node_exporter"); a server
                // input adds none.
                let job = (s.job != timeline::JOB_MATTERMOST).then_some(s.job.as_str());
                let source = format!("http://{}:{}{}", s.node, s.port, s.path);
                points.push(indexed_point(
                    &transforms,
                    &s.node,
                    &source,
                    job,
                    dp,
                    &mut raw,
                ))
            },
        )
        .map_err(|e| anyhow!("scrape of {} at {}: {e}", s.node, s.time_ms))?;
        for p in points {
            store.push(p);
        }
    }
    Ok(STORE.get_or_init(|| store))
}

/// One data point the input wrote for `node`, as Splunk indexes it: our
/// event text through our transforms, with the event's metadata (host,
/// source, index) as the modular input writes it, and the `job` dimension
/// an input of another endpoint adds. `raw` is scratch space.
pub fn indexed_point(
    transforms: &[splunk::Transform],
    node: &str,
    source: &str,
    job: Option<&str>,
    dp: &mattermost_metrics::convert::DataPoint<'_>,
    raw: &mut Vec<u8>,
) -> spl::Point {
    raw.clear();
    emit::event_text::write(dp, raw);
    let text = std::str::from_utf8(raw).expect("event text is UTF-8");
    let indexed = splunk::index_event(transforms, text);
    let mut dims: BTreeMap<String, String> = indexed.dimensions.into_iter().collect();
    dims.insert("host".into(), node.to_string());
    dims.insert("source".into(), source.to_string());
    dims.insert("index".into(), "wss_metrics".into());
    if let Some(job) = job {
        dims.insert("job".into(), job.to_string());
    }
    spl::Point {
        time_ms: dp.time_ms,
        metric_name: indexed.metric_name,
        value: indexed.value,
        dims,
    }
}

fn macros() -> &'static spl::Macros {
    static MACROS: OnceLock<spl::Macros> = OnceLock::new();
    MACROS.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("splunk_app/default/macros.conf"))
            .expect("macros.conf");
        spl::Macros::from_conf(&text)
    })
}

/// What the dashboard draws for `panel`: its search, changed by `mutate`
/// (identity, or a negative control's planted mistake), run over the
/// scrapes with the dashboard's tokens.
pub fn panel_series(
    spec: &Spec,
    panel: &Panel,
    ctx: &OursContext,
    mutate: &dyn Fn(String) -> String,
) -> Result<Vec<NamedSeries>> {
    let store = store(ctx.scrapes)?;
    let macros = macros();

    let mut tokens = ctx.tokens.clone();
    tokens.extend(ctx.span_tokens.iter().map(|(k, v)| (k.clone(), v.clone())));

    // The searches one load of the dashboard dispatches, and how the
    // panel's and variables' searches merge with a shared base search.
    let load = load_of(spec)?;

    // The dashboard's hidden searches set the top-10 tokens, over the
    // dashboard's whole time range (Prometheus: an instant query at the
    // end with the range as window).
    for v in spec
        .variables
        .iter()
        .filter(|v| v.kind == VariableKind::Query)
    {
        let (search, _) = load
            .variable_search(&v.name)
            .ok_or_else(|| anyhow!("variable {}: not in the dashboard's load", v.name))?;
        let vctx = spl::Context {
            store,
            macros,
            earliest_s: ctx.range.earliest_s as f64,
            latest_s: ctx.range.latest_s as f64,
            tokens: tokens.clone(),
            rate_basis: ctx.rate_basis,
        };
        let rows =
            spl::run(&search, &vctx).with_context(|| format!("variable {}\n{search}", v.name))?;
        let filter = rows
            .first()
            .and_then(|r| r.0.get("filter"))
            .map(|f| f.text())
            .ok_or_else(|| anyhow!("variable {}: the search set no filter", v.name))?;
        tokens.insert(spec.token_of(v), filter);
    }

    let k = spec
        .panels()
        .position(|p| std::ptr::eq(p, panel))
        .ok_or_else(|| anyhow!("panel {:?} is not one of the spec's", panel.title))?;
    let (search, range) = load.panel_search(k);
    let search = mutate(search);
    // Over the time picker's range as it is, a chart from `$chart_earliest$` as its
    // `<earliest>` says: a bucket starting at T is Prometheus' step T + S.
    let earliest_s = if range == Range::Chart && !ctx.picker_earliest {
        ctx.span_tokens
            .get(CHART_EARLIEST_TOKEN)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| anyhow!("the span search set no {CHART_EARLIEST_TOKEN}"))?
    } else {
        ctx.range.earliest_s as f64
    };
    let pctx = spl::Context {
        store,
        macros,
        earliest_s,
        latest_s: ctx.range.latest_s as f64,
        tokens,
        rate_basis: ctx.rate_basis,
    };
    let rows =
        spl::run(&search, &pctx).with_context(|| format!("panel {:?}\n{search}", panel.title))?;
    let mut series: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    if panel.kind.reduces() {
        // One row per series: `series`, `value`.
        for row in rows {
            let name = row
                .text("series")
                .ok_or_else(|| anyhow!("a row without series: {row:?}"))?;
            if let Some(v) = row.num("value") {
                series.entry(name).or_default().push((ctx.end_s, v));
            }
        }
        return Ok(series
            .into_iter()
            .map(|(name, points)| NamedSeries { name, points })
            .collect());
    }
    for row in rows {
        let Some(t) = row.0.get("_time").and_then(|t| t.as_num()) else {
            bail!("a chart row without a numeric _time: {row:?}");
        };
        let t = t as i64;
        for (name, field) in &row.0 {
            if name == "_time" {
                continue;
            }
            // xyseries leaves a cell empty where a series has no value.
            match field.as_num() {
                Some(v) => series
                    .entry(name.clone())
                    .or_default()
                    .push((t + ctx.step_s, v)),
                None => bail!("series {name:?} at {t}: not a number: {field:?}"),
            }
        }
    }
    Ok(series
        .into_iter()
        .map(|(name, points)| NamedSeries { name, points })
        .collect())
}

/// The tokens the dashboards' `span_search` (`| makeresults | addinfo |
/// `mattermost_metrics_span``) sets for `range`, run in the evaluator with the app's macros:
/// each field of its one result as text, as `<set token="x">$result.x$</set>` does.
pub fn span_tokens(scrapes: &[Scrape], range: TimeRange) -> Result<BTreeMap<String, String>> {
    let ctx = spl::Context {
        store: store(scrapes)?,
        macros: macros(),
        earliest_s: range.earliest_s as f64,
        latest_s: range.latest_s as f64,
        tokens: BTreeMap::new(),
        rate_basis: spl::RateBasis::default(),
    };
    let rows = spl::run("| makeresults | addinfo | `mattermost_metrics_span`", &ctx)?;
    let row = rows
        .first()
        .ok_or_else(|| anyhow!("the span search gave no result"))?;
    // The fields its `<done>` sets as tokens.
    let set = ["span", "span_s", "span_lookback", CHART_EARLIEST_TOKEN];
    let tokens: BTreeMap<String, String> = row
        .0
        .iter()
        .filter(|(k, _)| set.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.text()))
        .collect();
    if tokens
        .get("span_s")
        .is_none_or(|s| s.parse::<i64>().is_err())
    {
        bail!("the span search gave no span_s: {tokens:?}");
    }
    Ok(tokens)
}
