//! Legends: how every series is named, one rule for the dashboard's eval
//! expression and for the harness's names of Prometheus' series.

use std::collections::BTreeMap;

use super::{Spec, Target, VariableKind};
use crate::spl;

impl Spec {
    /// The legend as an eval expression: Grafana's `{{label}}`s, the
    /// dashboard's variables (`[[percentile]]`) as tokens, and the target's
    /// refId as the name of a labelless series without a legend.
    pub(super) fn target_legend(&self, t: &Target, labels: &[String]) -> String {
        let legend = variables_as_tokens(&t.legend, self);
        if legend.is_empty() && labels.is_empty() {
            if let Some(r) = &t.refid {
                return spl::quote(r);
            }
        }
        legend_eval(&legend, labels)
    }

    /// The name [`Spec::panel_search`] gives a series of `t` with these
    /// label values (Prometheus' names: `instance` is read as `host`), the
    /// dashboard's tokens set to `tokens`: for the harness that names
    /// Prometheus' answers as the dashboard names its own.
    pub fn target_name(
        &self,
        t: &Target,
        labels: &[String],
        values: &BTreeMap<String, String>,
        tokens: &BTreeMap<String, String>,
    ) -> String {
        let mut legend = variables_as_tokens(&t.legend, self);
        for (k, v) in tokens {
            legend = legend.replace(&format!("${k}$"), v);
        }
        if legend.is_empty() && labels.is_empty() {
            if let Some(r) = &t.refid {
                return r.clone();
            }
        }
        legend_text(&legend, labels, values)
    }
}

/// Grafana's variables in a legend (`[[percentile]]`, `$percentile`,
/// `${percentile}`) as dashboard tokens; a constant as its value.
pub fn variables_as_tokens(legend: &str, spec: &Spec) -> String {
    let re = regex::Regex::new(r"\[\[([A-Za-z0-9_]+)\]\]|\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)")
        .expect("variable regex");
    re.replace_all(legend, |c: &regex::Captures| {
        let name = c
            .get(1)
            .or_else(|| c.get(2))
            .or_else(|| c.get(3))
            .map_or("", |m| m.as_str());
        match spec.variables.iter().find(|v| v.name == name) {
            Some(v) if v.kind == VariableKind::Constant => v.value.clone().unwrap_or_default(),
            Some(v) => format!("${}$", spec.token_of(v)),
            None => c[0].to_string(),
        }
    })
    .into_owned()
}

/// A piece of a series name: literal text, or the value of a label field.
enum Piece {
    Text(String),
    Field(String),
}

/// The naming rule of every series, as pieces (one rule for the dashboard's
/// eval expression and the harness's names of Prometheus' series).
///
/// `{{label}}` is the label's field (empty when absent, as Grafana shows
/// it). Labels the legend does not name would make two series share one
/// name (Grafana then draws two lines of the same name; a Splunk chart
/// would merge them), so they are appended as ` (label=value, ...)`. An
/// empty legend names the series by all its labels, or the expression has
/// one series and is called `value`.
fn legend_pieces(legend: &str, labels: &[String]) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut named: Vec<String> = Vec::new();
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        if i > 0 {
            pieces.push(Piece::Text(rest[..i].to_string()));
        }
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            pieces.push(Piece::Text(rest[i..].to_string()));
            rest = "";
            break;
        };
        let field = spl::label_field(after[..j].trim());
        named.push(field.clone());
        pieces.push(Piece::Field(field));
        rest = &after[j + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    let missing: Vec<&String> = labels.iter().filter(|l| !named.contains(l)).collect();
    if !missing.is_empty() {
        let wrap = !pieces.is_empty();
        if wrap {
            pieces.push(Piece::Text(" (".into()));
        }
        for (k, l) in missing.iter().enumerate() {
            if k > 0 {
                pieces.push(Piece::Text(", ".into()));
            }
            pieces.push(Piece::Text(format!("{l}=")));
            pieces.push(Piece::Field((*l).clone()));
        }
        if wrap {
            pieces.push(Piece::Text(")".into()));
        }
    }
    if pieces.is_empty() {
        pieces.push(Piece::Text("value".into()));
    }
    pieces
}

/// A Grafana legend as an eval expression over the result's label fields
/// (the rule of [`legend_pieces`]).
pub fn legend_eval(legend: &str, labels: &[String]) -> String {
    legend_pieces(legend, labels)
        .iter()
        .map(|p| match p {
            Piece::Text(t) => spl::quote(t),
            Piece::Field(f) => field_text(f),
        })
        .collect::<Vec<_>>()
        .join(" . ")
}

/// A label's value in a legend, as an eval expression: empty when the
/// series lacks the label (null, or `mstats`'s placeholder
/// [`spl::ABSENT`]), as Grafana shows it; `job`, which a server input does
/// not add, reads `mattermost` there (the job Mattermost's Prometheus
/// configuration gives the server).
fn field_text(field: &str) -> String {
    let default = if field == "job" { SERVER_JOB } else { "" };
    format!(
        "coalesce(nullif({field}, {}), {})",
        spl::quote(spl::ABSENT),
        spl::quote(default)
    )
}

/// The job of the Mattermost server's endpoint, whose input adds none.
pub const SERVER_JOB: &str = "mattermost";

/// The Grafana name of the legend as the harness's reference side renders
/// it for a Prometheus series: the same rule as [`legend_eval`]
/// ([`legend_pieces`]), applied to PromQL labels (`instance` read as `host`).
pub fn legend_text(
    legend: &str,
    result_labels: &[String],
    values: &BTreeMap<String, String>,
) -> String {
    let get = |field: &str| -> String {
        let prom = if field == "host" { "instance" } else { field };
        match values.get(prom) {
            Some(v) => v.clone(),
            None if field == "job" => SERVER_JOB.to_string(),
            None => String::new(),
        }
    };
    legend_pieces(legend, result_labels)
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Field(f) => get(f),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends() {
        let l = vec!["host".to_string()];
        let host = "coalesce(nullif(host, \"-\"), \"\")";
        assert_eq!(
            legend_eval("p99-{{instance}}", &l),
            format!("\"p99-\" . {host}")
        );
        assert_eq!(legend_eval("Total", &[]), "\"Total\"");
        assert_eq!(
            legend_eval("{{instance}}", &["host".into(), "node".into()]),
            format!("{host} . \" (\" . \"node=\" . coalesce(nullif(node, \"-\"), \"\") . \")\"")
        );
        assert_eq!(legend_eval("{{job}}", &l), "coalesce(nullif(job, \"-\"), \"mattermost\") . \" (\" . \"host=\" . coalesce(nullif(host, \"-\"), \"\") . \")\"");
        let mut v = BTreeMap::new();
        v.insert("instance".to_string(), "mm1".to_string());
        v.insert("node".to_string(), "r1".to_string());
        assert_eq!(
            legend_text("{{instance}}", &["host".into(), "node".into()], &v),
            "mm1 (node=r1)"
        );
        assert_eq!(legend_text("{{ instance }} - x", &l, &v), "mm1 - x");
        // A legend naming a label the series lost stays empty, as Grafana shows it.
        assert_eq!(legend_text("{{instance}}", &[], &BTreeMap::new()), "");
        assert_eq!(legend_text("", &[], &BTreeMap::new()), "value");
    }
}
