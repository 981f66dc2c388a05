//! Prometheus' rule-file form (the part of it alerting rules use), read as
//! Prometheus reads it: unknown keys are errors, as `promtool check rules`
//! makes them.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// A rule file: `groups:` of rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    /// How often Prometheus evaluates the group (`1m`); the Splunk alerts
    /// have their own schedule ([`super::SCHEDULE_S`]).
    #[serde(default)]
    pub interval: Option<String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub alert: Option<String>,
    /// Recording rules are read so that the error can name them.
    #[serde(default)]
    pub record: Option<String>,
    pub expr: String,
    /// How long the condition must hold before the alert fires (`10m`).
    #[serde(rename = "for", default)]
    pub for_: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl RuleFile {
    pub fn from_yaml(text: &str) -> Result<RuleFile> {
        Ok(serde_yaml_ng::from_str(text)?)
    }

    pub fn load(path: &Path) -> Result<RuleFile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        RuleFile::from_yaml(&text).with_context(|| format!("in {}", path.display()))
    }
}

/// A Prometheus duration (`90s`, `5m`, `1h30m`) in whole seconds.
pub fn duration_s(text: &str) -> Result<u64> {
    let d = humantime::parse_duration(text.trim())
        .with_context(|| format!("{text:?} is not a duration such as 5m or 1h30m"))?;
    anyhow::ensure!(
        d.subsec_nanos() == 0,
        "{text:?}: durations are whole seconds here"
    );
    Ok(d.as_secs())
}
