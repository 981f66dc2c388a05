//! Prometheus' side: `promtool test rules` (Prometheus 2.42, Debian's
//! package) runs the real rule file over a timeline's series and checks, at
//! each evaluation time, the alerts we expect; where they differ it prints
//! what Prometheus fired, which [`parse_failures`] reads back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

/// A firing alert: its labels (`alertname` included) and annotations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Firing {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl Firing {
    /// The labels, for messages: `{instance="mm-node-2", ...}`.
    pub fn describe(&self) -> String {
        let l: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, _)| *k != "alertname")
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{{{}}}", l.join(", "))
    }
}

/// What promtool reported for one alert at one evaluation time.
#[derive(Debug, Clone)]
pub struct Failure {
    pub alertname: String,
    /// Seconds from the start of the test.
    pub time_s: i64,
    pub expected: BTreeSet<Firing>,
    pub got: BTreeSet<Firing>,
}

/// A promtool unit-test file (JSON, which promtool's YAML reader accepts):
/// one test group over `series`, checking `expected[(alert, t)]` at each
/// time of `times` for each alert of `alerts`.
pub fn test_file(
    rule_file: &Path,
    series: &[(String, String)],
    step_s: i64,
    alerts: &[String],
    times: &[i64],
    expected: &BTreeMap<(String, i64), BTreeSet<Firing>>,
) -> Value {
    let input: Vec<Value> = series
        .iter()
        .map(|(s, v)| json!({"series": s, "values": v}))
        .collect();
    let mut tests = Vec::new();
    for a in alerts {
        for &t in times {
            let exp: Vec<Value> = expected
                .get(&(a.clone(), t))
                .into_iter()
                .flatten()
                .map(|f| {
                    let labels: BTreeMap<&String, &String> =
                        f.labels.iter().filter(|(k, _)| *k != "alertname").collect();
                    json!({"exp_labels": labels, "exp_annotations": f.annotations})
                })
                .collect();
            tests.push(json!({"eval_time": format!("{t}s"), "alertname": a, "exp_alerts": exp}));
        }
    }
    json!({
        "rule_files": [rule_file.display().to_string()],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": format!("{step_s}s"),
            "input_series": input,
            "alert_rule_test": tests,
        }],
    })
}

/// The samples of an `input_series` entry's `values`, in the part of
/// promtool's notation the timelines write: numbers, `_` and `_xN` (one and
/// N missing samples), `stale` (a staleness marker: no sample). Each entry
/// is one step of `step_s` from 0; returns (milliseconds, value).
pub fn samples(values: &str, step_s: i64) -> Result<Vec<(i64, f64)>> {
    let mut out = Vec::new();
    let mut step: i64 = 0;
    for tok in values.split_whitespace() {
        if let Some(n) = tok.strip_prefix("_x") {
            step += n.parse::<i64>().with_context(|| format!("{tok:?}"))?;
            continue;
        }
        match tok {
            "_" | "stale" => {}
            _ => out.push((
                step * step_s * 1000,
                tok.parse::<f64>()
                    .with_context(|| format!("{tok:?}: not a value of the notation"))?,
            )),
        }
        step += 1;
    }
    Ok(out)
}

/// Runs `promtool test rules` on a test file; the failures it reports
/// (none when it passes).
pub fn run(test_file: &Path) -> Result<Vec<Failure>> {
    let out = Command::new("promtool")
        .arg("test")
        .arg("rules")
        .arg(test_file)
        .output()
        .context("running promtool (scripts/differential installs it)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Ok(Vec::new()),
        Some(1) => {
            let f = parse_failures(&text)?;
            if f.is_empty() {
                bail!("promtool failed without an alert failure:\n{text}");
            }
            Ok(f)
        }
        _ => bail!("promtool: {}\n{text}", out.status),
    }
}

/// Reads promtool's failure report (cmd/promtool/unittest.go in 2.42):
///
/// ```text
///     alertname: NodeDown, time: 7m,
///         exp:[],
///         got:[
///             0:
///               Labels:{alertname="NodeDown", instance="a"}
///               Annotations:{summary="Node a down"}
///             ]
/// ```
pub fn parse_failures(text: &str) -> Result<Vec<Failure>> {
    let mut out = Vec::new();
    let mut current: Option<(String, i64, String)> = None;
    let flush = |c: Option<(String, i64, String)>, out: &mut Vec<Failure>| -> Result<()> {
        if let Some((alertname, time_s, body)) = c {
            let (exp, got) = body
                .split_once("got:")
                .ok_or_else(|| anyhow!("no `got:` for {alertname} at {time_s}"))?;
            out.push(Failure {
                alertname,
                time_s,
                expected: firings(exp)?,
                got: firings(got)?,
            });
        }
        Ok(())
    };
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("alertname: ") {
            flush(current.take(), &mut out)?;
            let (name, time) = rest
                .split_once(", time: ")
                .ok_or_else(|| anyhow!("unexpected line {l:?}"))?;
            let time = time.trim_end_matches([',', ' ']);
            let d = humantime::parse_duration(time).with_context(|| format!("time {time:?}"))?;
            current = Some((name.to_string(), d.as_secs() as i64, String::new()));
        } else if let Some((_, _, body)) = current.as_mut() {
            body.push_str(l);
            body.push('\n');
        }
    }
    flush(current, &mut out)?;
    Ok(out)
}

fn firings(part: &str) -> Result<BTreeSet<Firing>> {
    let mut out = BTreeSet::new();
    let mut labels: Option<BTreeMap<String, String>> = None;
    for l in part.lines() {
        if let Some(m) = l.strip_prefix("Labels:") {
            labels = Some(go_map(m.trim_end_matches(','))?);
        } else if let Some(m) = l.strip_prefix("Annotations:") {
            let labels = labels
                .take()
                .ok_or_else(|| anyhow!("Annotations without Labels"))?;
            out.insert(Firing {
                labels,
                annotations: go_map(m.trim_end_matches(','))?,
            });
        }
    }
    Ok(out)
}

/// `{a="b", c="d"}` as Prometheus' `labels.Labels.String()` writes it
/// (values quoted by Go's strconv.Quote).
pub fn go_map(text: &str) -> Result<BTreeMap<String, String>> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| anyhow!("not a label set: {text:?}"))?;
    let mut out = BTreeMap::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if chars.next() != Some('"') {
            bail!("{text:?}: a quoted value after {name}=");
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                None => bail!("{text:?}: unterminated value"),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('r') => value.push('\r'),
                    Some(c @ ('"' | '\\')) => value.push(c),
                    Some(c @ ('x' | 'u' | 'U')) => {
                        let n = match c {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = chars.by_ref().take(n).collect();
                        let code = u32::from_str_radix(&hex, 16)?;
                        value.push(char::from_u32(code).ok_or_else(|| anyhow!("\\{c}{hex}"))?);
                    }
                    other => bail!("{text:?}: escape \\{other:?}"),
                },
                Some(c) => value.push(c),
            }
        }
        out.insert(name.trim().to_string(), value);
    }
    Ok(out)
}

pub fn self_check() -> Result<()> {
    anyhow::ensure!(
        samples("_x3 1.5 stale _ _x2 7", 1)? == vec![(3000, 1.5), (8000, 7.0)],
        "{:?}",
        samples("_x3 1.5 stale _ _x2 7", 1)
    );
    let report = "Unit Testing:  t.json\n  FAILED:\n    alertname: NodeDown, time: 1h7m, \n        exp:[], \n        got:[\n            0:\n              Labels:{alertname=\"NodeDown\", instance=\"a\", severity=\"critical\"}\n              Annotations:{summary=\"Node \\\"a\\\" down\"},\n            1:\n              Labels:{alertname=\"NodeDown\", instance=\"b\"}\n              Annotations:{}\n            ]\n    alertname: X, time: 5m, \n        exp:[\n            0:\n              Labels:{alertname=\"X\"}\n              Annotations:{}\n            ], \n        got:[]\n";
    let f = parse_failures(report)?;
    anyhow::ensure!(f.len() == 2, "{f:?}");
    anyhow::ensure!(
        f[0].alertname == "NodeDown" && f[0].time_s == 4020 && f[0].expected.is_empty()
    );
    let first = f[0].got.iter().next().expect("got");
    anyhow::ensure!(
        first.annotations["summary"] == "Node \"a\" down",
        "{first:?}"
    );
    anyhow::ensure!(f[0].got.len() == 2 && f[1].expected.len() == 1 && f[1].got.is_empty());
    Ok(())
}
