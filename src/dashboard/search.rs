//! Search assembly: a panel's targets compiled through [`crate::spl`],
//! named by their legends, kept to whole buckets and joined into the one
//! search a panel runs; the searches that fill the dashboard's inputs.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};

use super::{share, Panel, PanelKind, Reduce, Spec, Target, Variable, VariableKind};
use super::{SPAN_LOOKBACK_TOKEN, SPAN_SECONDS_TOKEN, SPAN_TOKEN};
use crate::spl::{self, Binding, Options, SpanSpec};

impl Spec {
    /// The filter every search of this dashboard carries: the node
    /// selection, and for dashboards of the Mattermost server's endpoint
    /// the macro that leaves out the other endpoints' data (the Calls
    /// plugin's own Go runtime series share the server's host).
    pub fn node_filter(&self) -> Option<String> {
        let server = self
            .instance_ports
            .is_empty()
            .then(|| format!("`{SERVER_FILTER_MACRO}`"));
        let node = self
            .node_variable()
            .map(|v| format!("${}$", self.token_of(v)));
        match (node, server) {
            (Some(n), Some(s)) => Some(format!("{n} AND {s}")),
            (n, s) => n.or(s),
        }
    }

    /// How the panels' PromQL is compiled in this dashboard.
    pub fn options(&self) -> Options {
        let mut vars = BTreeMap::new();
        for v in &self.variables {
            let token = format!("${}$", self.token_of(v));
            let binding = match v.kind {
                // The node filter is in every search already.
                VariableKind::Nodes if v.job.is_none() => Binding::Predicate(String::new()),
                VariableKind::Nodes | VariableKind::Query | VariableKind::Values => {
                    Binding::Predicate(token)
                }
                // A custom value is text in the PromQL (a number, or a regex
                // alternation for a multi-value one): an unbound variable,
                // which the compiler writes as the token.
                VariableKind::Custom => continue,
                VariableKind::Interval => Binding::Token(self.token_of(v)),
                VariableKind::Constant => Binding::Value(v.value.clone().unwrap_or_default()),
            };
            vars.insert(v.name.clone(), binding);
        }
        Options {
            span: SpanSpec::Token {
                span: SPAN_TOKEN.into(),
                seconds: SPAN_SECONDS_TOKEN.into(),
                lookback: SPAN_LOOKBACK_TOKEN.into(),
            },
            node_filter: self.node_filter(),
            vars,
            instance_ports: self.instance_ports.clone(),
            ..Options::default()
        }
    }

    /// The search that sets a query variable's token to
    /// `(field="a" OR field="b" ...)`.
    pub fn variable_search(&self, v: &Variable) -> Result<String> {
        let (Some(query), Some(field)) = (&v.query, &v.field) else {
            bail!("variable {} is not a query variable", v.name);
        };
        let q = spl::compile_str(query, &self.options())
            .with_context(|| format!("variable {}", v.name))?;
        let f = spl::label_field(field);
        if !q.labels.contains(&f) {
            bail!(
                "variable {}: its query's results have no label {field}",
                v.name
            );
        }
        Ok(format!(
            "{}\n| eval filter_term=\"{f}=\\\"\" . {} . \"\\\"\"\n| stats values(filter_term) AS filter_terms\n| eval filter=\"(\" . coalesce(mvjoin(filter_terms, \" OR \"), \"{f}=\\\"\\\"\") . \")\"",
            q.spl,
            quoted_value_expr(&f)
        ))
    }

    /// The search that fills a `nodes` or `values` variable's choices.
    pub fn choices_search(&self, v: &Variable) -> Option<String> {
        let index = "`mattermost_metrics_index`";
        match v.kind {
            VariableKind::Nodes => {
                let mut filter = String::new();
                match &v.job {
                    Some(job) => filter.push_str(&format!(" AND job={}", spl::quote(job))),
                    None => filter.push_str(&format!(
                        " AND metric_name=mattermost_* AND `{SERVER_FILTER_MACRO}`"
                    )),
                }
                if let Some(p) = &v.host_pattern {
                    filter.push_str(&format!(" AND host={}", spl::quote(p)));
                }
                Some(format!(
                    "| mcatalog values(host) AS host WHERE {index}{filter}\n| mvexpand host\n| sort 0 host\n| eval {CHOICE_VALUE}={}",
                    quoted_value_expr("host")
                ))
            }
            VariableKind::Values => {
                let metric = v.metric.as_deref().unwrap_or_default();
                let f = spl::label_field(v.field.as_deref().unwrap_or_default());
                let filter = self
                    .node_filter()
                    .map(|n| format!(" AND {n}"))
                    .unwrap_or_default();
                Some(format!(
                    "| mcatalog values({f}) AS {f} WHERE {index} AND metric_name={}{filter}\n| mvexpand {f}\n| sort 0 {f}\n| eval {CHOICE_VALUE}={}",
                    spl::quote(metric),
                    quoted_value_expr(&f)
                ))
            }
            _ => None,
        }
    }

    /// A target's PromQL: its expression, or its math over the other
    /// targets' expressions (`$Acked/$Sent` -> `(acked) / (sent)`).
    pub fn target_expr(&self, panel: &Panel, t: &Target) -> Result<String> {
        if let Some(e) = &t.expr {
            return Ok(e.clone());
        }
        let math = t.math.as_deref().unwrap_or_default();
        let mut out = String::new();
        let mut rest = math;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, tail) = match after.strip_prefix('{') {
                Some(b) => {
                    let j = b.find('}').with_context(|| {
                        format!("panel {:?}: unclosed ${{ in {math}", panel.title)
                    })?;
                    (&b[..j], &b[j + 1..])
                }
                None => {
                    let j = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    (&after[..j], &after[j..])
                }
            };
            let target = panel
                .targets
                .iter()
                .find(|x| x.refid.as_deref() == Some(name) && x.expr.is_some())
                .with_context(|| {
                    format!(
                        "panel {:?}: math {math:?} names no query target {name:?}",
                        panel.title
                    )
                })?;
            out.push('(');
            out.push_str(target.expr.as_deref().unwrap_or_default());
            out.push(')');
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A target compiled, with its series named: rows of `_time` (unless
    /// instant), `series`, `value`; on a reducing panel, one row per series.
    /// A range query keeps only whole buckets ([`whole_buckets_stage`]);
    /// the flag says whether the target is one.
    fn target_search(&self, panel: &Panel, t: &Target, opts: &Options) -> Result<(String, bool)> {
        let expr = self.target_expr(panel, t)?;
        let q = spl::compile_str(&expr, opts)
            .with_context(|| format!("panel {:?}, target {expr}", panel.title))?;
        if q.instant && !panel.kind.reduces() {
            bail!(
                "panel {:?}: a time chart needs a range query, not `[$__range]`",
                panel.title
            );
        }
        let mut s = q.spl.clone();
        if !q.instant {
            s.push_str(&whole_buckets_stage(&opts.span));
        }
        if panel.kind == PanelKind::Heatmap || panel.buckets {
            if !q.labels.iter().any(|l| l == "le") {
                bail!(
                    "panel {:?}: a heatmap needs bucket series (`le`)",
                    panel.title
                );
            }
            // Grafana's `format: heatmap`: the cumulative `le` buckets drawn
            // per bucket, each bucket's count less the one below it.
            let group = by_time(
                &q.labels
                    .iter()
                    .filter(|l| *l != "le")
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            s.push_str(&format!(
                "\n| eval bucket_upper=if(le==\"+Inf\", 1e308, tonumber(le))\n| sort 0 {group} num(bucket_upper)\n| streamstats current=f window=1 global=f last(value) AS bucket_below BY {group}\n| eval value=value - coalesce(bucket_below, 0)\n| fields - bucket_upper bucket_below"
            ));
        }
        s.push_str(&format!(
            "\n| eval series={}",
            self.target_legend(t, &q.labels)
        ));
        match (panel.reduce, q.instant) {
            (Some(_), true) => s.push_str("\n| fields series value"),
            (Some(r), false) => s.push_str(&format!("\n{}", reduce_stage(r))),
            (None, _) => s.push_str("\n| fields _time series value"),
        }
        Ok((s, !q.instant))
    }

    /// A panel's search: each shown target compiled and named by its
    /// legend (`series`); a time chart gets one column per series
    /// (`xyseries`: binned once, by `mstats`), a stat, bar or pie panel one
    /// row per series.
    pub fn panel_search(&self, panel: &Panel) -> Result<String> {
        self.panel_query(panel).map(|q| q.spl)
    }

    /// A panel's search ([`Spec::panel_search`]) and the time range it
    /// runs over.
    pub fn panel_query(&self, panel: &Panel) -> Result<PanelQuery> {
        let opts = self.options();
        let mut parts = Vec::new();
        let mut charted = true;
        for t in panel
            .targets
            .iter()
            .filter(|t| !t.hidden && t.omit.is_none())
        {
            let (s, range) = self.target_search(panel, t, &opts)?;
            charted &= range;
            parts.push(s);
        }
        if parts.is_empty() {
            bail!("panel {:?}: every target is hidden", panel.title);
        }
        // Targets that one scan can read run as one search on it
        // ([`share::fork_targets`]); the others are appended.
        let searches = share::fork_targets(&parts);
        let mut out = searches[0].clone();
        for p in &searches[1..] {
            out.push_str("\n| append [");
            out.push_str(&p.replace('\n', "\n  "));
            out.push(']');
        }
        if panel.kind.reduces() {
            out.push_str("\n| table series value");
        } else {
            out.push_str("\n| xyseries _time series value");
        }
        Ok(PanelQuery {
            spl: out,
            from_chart_earliest: charted,
        })
    }
}

/// A panel's search and where its time range starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelQuery {
    pub spl: String,
    /// Whether the search runs from `$chart_earliest$` ([`chart_earliest`]:
    /// every target is a range query, which keeps whole buckets) rather
    /// than from the time picker's earliest (a query over the whole range,
    /// `[$__range]`, must see exactly the picker's range).
    pub from_chart_earliest: bool,
}

/// The edges of the time range (issue 16): which buckets a chart shows.
///
/// Grafana asks Prometheus for steps T aligned to the step: from
/// floor(earliest / S) * S to floor(latest / S) * S, and every step sees a
/// whole window of data, `(T - range, T]` for a rate and the 5-minute
/// lookback for a gauge, even before the range's start. A Splunk bucket
/// starting at B is Prometheus' step T = B + S. The time picker's `-6h` to
/// `now` is not aligned to S, so mstats' first and last buckets would hold
/// only some scrapes of some hosts: a sum over hosts dips there, and a
/// "change over range" (earliest of a per-bucket sum) would count a host's
/// whole cumulative counter as change.
///
/// So a chart's search (every range query of a panel):
///
/// - keeps only buckets B with `B - W >= info_min_time` and
///   `B + S <= info_max_time` (this stage): the bucket is whole, and so is
///   the data before it that its value needs, W = [`warmup_s`] (the previous
///   bucket, whose latest sample `rate_sum` takes as its basis, and the
///   5-minute lookback of an instant selector). A partial bucket is never
///   drawn, whatever range the search is run over;
/// - runs from `$chart_earliest$` ([`chart_earliest`], set by the span
///   search from the picker's earliest): W before the bucket of Grafana's
///   first step, so that the chart's first bucket is Grafana's first step.
///
/// For a time picker range [earliest, latest) at span S a chart therefore
/// shows the buckets B from `floor(earliest / S) * S - S` to
/// `floor(latest / S) * S - S`, i.e. Grafana's steps T = B + S from
/// `floor(earliest / S) * S` to `floor(latest / S) * S`, each computed from
/// whole data. The cost is W + S more data read (at most 10 minutes, or two
/// buckets, of a range of 250).
pub fn whole_buckets_stage(span: &SpanSpec) -> String {
    let s = span.seconds();
    format!(
        "\n| addinfo\n| where _time >= info_min_time + max({s}, {lb} - {s}) AND _time + {s} <= if(isnum(info_max_time), info_max_time, now())\n| fields - info_*",
        lb = spl::LOOKBACK_S
    )
}

/// How far before its first bucket a chart's search must read, for a span
/// of `span_s` seconds: the previous bucket (the basis of `rate_sum`, Search
/// Reference, Time functions: "uses the latest value of a metric
/// measurement from the previous timespan as the starting basis") and the
/// lookback of an instant selector ([`spl::LOOKBACK_S`] before the bucket's
/// end), whichever reaches further back. The SPL of
/// [`whole_buckets_stage`] and of the macro `mattermost_metrics_span` write
/// the same `max(S, 300 - S)`.
pub fn warmup_s(span_s: u64) -> u64 {
    span_s.max(spl::LOOKBACK_S.saturating_sub(span_s))
}

/// The earliest time a chart's search runs from when the time picker's
/// earliest is `earliest_s` and the span `span_s`: [`warmup_s`] before the
/// bucket of Grafana's first step (never before the epoch). The macro
/// `mattermost_metrics_span` computes it as `chart_earliest` for the
/// dashboard's token of the same name.
pub fn chart_earliest(earliest_s: f64, span_s: u64) -> f64 {
    let s = span_s as f64;
    ((earliest_s / s).floor() * s - s - warmup_s(span_s) as f64).max(0.0)
}

/// `_time` and the fields, for a BY clause.
fn by_time(labels: &[String]) -> String {
    let mut v = vec!["_time".to_string()];
    v.extend(labels.iter().cloned());
    v.join(" ")
}

/// Grafana's reduction of a series over the range, as `stats` by series.
fn reduce_stage(r: Reduce) -> String {
    match r {
        Reduce::Last => "| stats latest(value) AS value BY series".to_string(),
        Reduce::Diff => "| stats earliest(value) AS first_value latest(value) AS value BY series\n| eval value=value - first_value\n| fields series value".to_string(),
        Reduce::Mean => "| stats avg(value) AS value BY series".to_string(),
        Reduce::Max => "| stats max(value) AS value BY series".to_string(),
        Reduce::Sum => "| stats sum(value) AS value BY series".to_string(),
    }
}

/// A label value as an eval expression whose result may stand between
/// double quotes in a search (`host="<it>"`) without changing the search
/// (issue 17: a label value is whatever a scrape target wrote).
///
/// `\` and `"` are escaped with a backslash (Search Manual, "Quotes and
/// escaping characters": a backslash escapes a quotation mark or a
/// backslash inside a quoted string), backslashes first so that the ones
/// added for quotes stay single. The replacement goes through `split` and
/// `mvjoin` (string delimiters, no regex) rather than `replace`, whose
/// replacement-string escaping the docs do not spell out.
///
/// Nothing else needs escaping inside quotes: a newline, `|`, `[`, `]` and
/// `$` are text there, a token's value is not scanned for tokens again, and
/// "Macros inside of quoted values are not expanded" (Knowledge Manual, Use
/// search macros in searches), so a backquote is text too. A `*` stays a
/// wildcard ("The backslash cannot be used to escape the asterisk in search
/// strings", Search Manual, SPL and regular expressions): such a value
/// selects itself and the values that differ only there.
pub fn quoted_value_expr(field: &str) -> String {
    format!("mvjoin(split(mvjoin(split({field}, \"\\\\\"), \"\\\\\\\\\"), \"\\\"\"), \"\\\\\\\"\")")
}

/// The field of a choices search that holds a choice's value as it goes
/// into the token (escaped by [`quoted_value_expr`]); its label is the
/// value itself.
pub const CHOICE_VALUE: &str = "token_value";

/// The macro that keeps a search to the Mattermost server's own endpoint.
pub const SERVER_FILTER_MACRO: &str = "mattermost_metrics_server_endpoint";
