//! Our side of the differential test: what the Splunk dashboard draws for a panel.
//!
//! The scrapes go through the input's own path (parse -> convert -> event
//! text, `pipeline::convert_scrape` and `emit::event_text`), then through
//! our `transforms.conf` as splunkd applies it (`support/splunk.rs`), into
//! the in-memory metrics index of the SPL evaluator (`support/spl`). The
//! panel's search is the one the dashboard generator writes into the
//! committed XML (`Spec::panel_search`), with the dashboard's tokens set as
//! the dashboard would set them: `$span$`/`$span_s$` to the step, `$host$`
//! to the node selection, and each top-10 variable's token to what its
//! generated search computes over the same data. The chart's columns are
//! the series; a bucket starting at T is Prometheus' evaluation time T + S.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::dashboard::{Panel, Spec, NODE_TOKEN, SPAN_SECONDS_TOKEN, SPAN_TOKEN};
use mattermost_metrics::emit;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;

use super::compare::{Known, NamedSeries};
use super::spl;
use super::splunk;
use super::timeline::{self, Scrape};

/// Everything our side may use for one panel.
pub struct OursContext<'a> {
    /// Every scrape of every node (text format 0.0.4), ordered by time then node.
    pub scrapes: &'a [Scrape],
    /// Step (= Splunk span) in seconds.
    pub step_s: i64,
    /// First and last evaluation time (s), multiples of `step_s`.
    pub start_s: i64,
    pub end_s: i64,
    /// Node names (= Prometheus `instance` = Splunk `host`).
    pub nodes: Vec<String>,
    /// Resolved values of the dashboard's variables as Prometheus resolved
    /// them (used only to report; our side computes its own).
    pub variables: BTreeMap<String, Vec<String>>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The spec the harness reads, as the generator's type.
fn spec() -> Result<&'static Spec> {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    if let Some(s) = SPEC.get() {
        return Ok(s);
    }
    let path = std::env::var_os("DIFFERENTIAL_SPEC")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("dashboards/specs/mattermost_performance_monitoring.json"));
    let s = Spec::load(&path)?;
    Ok(SPEC.get_or_init(|| s))
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
            |dp| points.push(indexed_point(&transforms, &s.node, dp, &mut raw)),
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
/// source, index) as the modular input writes it. `raw` is scratch space.
pub fn indexed_point(
    transforms: &[splunk::Transform],
    node: &str,
    dp: &mattermost_metrics::convert::DataPoint<'_>,
    raw: &mut Vec<u8>,
) -> spl::Point {
    raw.clear();
    emit::event_text::write(dp, raw);
    let text = std::str::from_utf8(raw).expect("event text is UTF-8");
    let indexed = splunk::index_event(transforms, text);
    let mut dims: BTreeMap<String, String> = indexed.dimensions.into_iter().collect();
    dims.insert("host".into(), node.to_string());
    dims.insert("source".into(), format!("http://{node}:8067/metrics"));
    dims.insert("index".into(), "wss_metrics".into());
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

fn find_panel<'s>(spec: &'s Spec, panel_json: &Value) -> Result<&'s Panel> {
    let title = panel_json["title"]
        .as_str()
        .ok_or_else(|| anyhow!("panel without title"))?;
    spec.panels()
        .find(|p| p.title == title)
        .ok_or_else(|| anyhow!("panel {title:?} is not in the spec"))
}

/// The node multiselect's token for these nodes, as Simple XML renders it
/// (prefix `(`, `host="…"` joined by ` OR `, suffix `)`).
fn node_token(nodes: &[String]) -> String {
    let terms: Vec<String> = nodes.iter().map(|n| format!("host=\"{n}\"")).collect();
    format!("({})", terms.join(" OR "))
}

pub fn panel_series(panel_json: &Value, ctx: &OursContext) -> Result<Vec<NamedSeries>> {
    panel_series_mutated(panel_json, ctx, &|s| s)
}

/// [`panel_series`] with the panel's search changed by `mutate` first: the
/// negative controls, which must make a panel disagree.
pub fn panel_series_mutated(
    panel_json: &Value,
    ctx: &OursContext,
    mutate: &dyn Fn(String) -> String,
) -> Result<Vec<NamedSeries>> {
    let spec = spec()?;
    let panel = find_panel(spec, panel_json)?;
    let store = store(ctx.scrapes)?;
    let macros = macros();

    let mut tokens = BTreeMap::new();
    tokens.insert(SPAN_TOKEN.to_string(), format!("{}s", ctx.step_s));
    tokens.insert(SPAN_SECONDS_TOKEN.to_string(), ctx.step_s.to_string());
    tokens.insert(NODE_TOKEN.to_string(), node_token(&ctx.nodes));

    // The dashboard's hidden searches set the top-10 tokens, over the
    // dashboard's whole time range (Prometheus: an instant query at the
    // end with the range as window).
    for v in spec.variables.iter().filter(|v| v.query.is_some()) {
        let search = spec.variable_search(v)?;
        let vctx = spl::Context {
            store,
            macros,
            earliest_s: timeline::START_S as f64,
            latest_s: timeline::END_S as f64,
            tokens: tokens.clone(),
        };
        let rows =
            spl::run(&search, &vctx).with_context(|| format!("variable {}\n{search}", v.name))?;
        let filter = rows
            .first()
            .and_then(|r| r.0.get("filter"))
            .map(|f| f.text())
            .ok_or_else(|| anyhow!("variable {}: the search set no filter", v.name))?;
        tokens.insert(v.name.clone(), filter);
    }

    let search = mutate(spec.panel_search(panel)?);
    // Buckets T = t - S for the evaluation times t in [start, end].
    let pctx = spl::Context {
        store,
        macros,
        earliest_s: (ctx.start_s - ctx.step_s) as f64,
        latest_s: ctx.end_s as f64,
        tokens,
    };
    let rows =
        spl::run(&search, &pctx).with_context(|| format!("panel {:?}\n{search}", panel.title))?;
    let mut series: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
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

/// Steps where the two engines differ by construction, each with its reason.
///
/// Only one kind today: `irate` is the rate of the window's last two
/// samples in Prometheus and the bucket's mean rate in Splunk (see
/// `src/spl/plan.rs`, point 2). With the timeline's rates steady within
/// each 30-minute segment the two agree everywhere but in the bucket where
/// node 2 restarts: the increase between its last sample before the
/// restart and its first after is only what it counted since the restart,
/// so the bucket's mean rate dips while the last two samples do not see it.
pub fn known_differences(panel_json: &Value, ctx: &OursContext) -> Vec<Known> {
    let mut known = Vec::new();
    let Some(targets) = panel_json["targets"].as_array() else {
        return known;
    };
    for t in targets {
        let expr = t["expr"].as_str().unwrap_or_default();
        if !expr.contains("irate(") {
            continue;
        }
        let node = &ctx.nodes[timeline::RESTART_NODE];
        let series = (t["legend"].as_str() == Some("{{instance}}")).then_some(node.as_str());
        known.push(Known::around(
            series,
            timeline::RESTART_AT_S,
            ctx.step_s,
            ctx.step_s,
            "irate (last two samples) against the bucket's mean rate, in the bucket where node 2 restarts",
        ));
    }
    known
}
