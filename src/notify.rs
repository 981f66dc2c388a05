//! The app's custom alert action, `mattermost_metrics_webhook`: posts a
//! triggered alert to a Mattermost channel through an incoming webhook.
//!
//! Splunk's own Webhook action posts its own JSON (`sid`, `search_name`,
//! `result`, ...), which a Mattermost incoming webhook refuses: it wants a
//! `text`. splunkd runs the action's script (`bin/mattermost_metrics_webhook.sh`,
//! named as the action), which runs this binary, with `--execute`
//! and the alert's payload as JSON on stdin (Developing Views and Apps for
//! Splunk Web > Create a custom alert action script: the configuration
//! (`configuration`: the action's `param.*`), `search_name`,
//! `results_link` and the first result row (`result`); the app's alerts
//! trigger once per row, so `result` is the firing series). What it prints
//! on stderr goes to splunkd.log (component sendmodalert), one line each,
//! level first. The webhook URL holds the hook's secret key: no line ever
//! shows more of it than its scheme, host and port.

use std::io::Read;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Map, Value};

/// The action's name in alert_actions.conf.
pub const ACTION: &str = "mattermost_metrics_webhook";
/// The largest payload read from stdin.
const MAX_PAYLOAD: u64 = 16 * 1024 * 1024;
/// How long one post may take (Splunk kills the action after `maxtime`, 5 min).
const TIMEOUT: Duration = Duration::from_secs(30);

/// What the payload says to post, and where.
#[derive(Debug, PartialEq)]
pub struct Post {
    pub url: String,
    /// The JSON body of the post.
    pub body: Value,
}

/// The part of a URL that may be logged: scheme, host and port.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(not a URL)".to_string(),
    }
}

/// Reads Splunk's payload and says what to post.
pub fn post_of(payload: &Value) -> Result<Post> {
    let config = payload
        .get("configuration")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("the payload has no configuration (is payload_format = json?)"))?;
    let param = |k: &str| {
        config
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let url = param("url").ok_or_else(|| {
        anyhow!("no webhook URL: set Webhook URL in the alert's Mattermost action")
    })?;
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        _ => bail!(
            "the webhook URL is not an http(s) URL (Mattermost shows it as https://<server>/hooks/<key>)"
        ),
    }
    let empty = Map::new();
    let result = payload
        .get("result")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let field = |k: &str| result.get(k).map(text_of).filter(|s| !s.is_empty());
    let search = payload
        .get("search_name")
        .and_then(Value::as_str)
        .unwrap_or("Splunk alert");
    let mut text = format!(
        "#### {} {search}: {}\n",
        match field("severity").as_deref() {
            Some("critical") => ":red_circle:",
            Some("warning") => ":large_orange_diamond:",
            _ => ":large_blue_circle:",
        },
        field("summary").unwrap_or_else(|| "the alert fired".into())
    );
    if let Some(d) = field("description") {
        text.push_str(&d);
        text.push('\n');
    }
    // The series' labels: every field but the ones shown above.
    let shown = ["summary", "description", "alertname", "severity"];
    let labels: Vec<String> = result
        .iter()
        .filter(|(k, _)| !shown.contains(&k.as_str()) && !k.starts_with('_'))
        .map(|(k, v)| format!("{k}: `{}`", text_of(v)))
        .collect();
    if !labels.is_empty() {
        text.push_str(&labels.join(", "));
        text.push('\n');
    }
    if let Some(link) = payload.get("results_link").and_then(Value::as_str) {
        text.push_str(&format!("[Search results in Splunk]({link})\n"));
    }
    let mut body = json!({ "text": text.trim_end() });
    for k in ["channel", "username", "icon_url"] {
        if let Some(v) = param(k) {
            body[k] = Value::String(v.to_string());
        }
    }
    Ok(Post {
        url: url.to_string(),
        body,
    })
}

/// A result field as text: Splunk sends a multivalue field as an array.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Posts to Mattermost; an error says what Mattermost answered.
pub fn send(post: &Post) -> Result<()> {
    let host = redacted(&post.url);
    let loopback = url::Url::parse(&post.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .is_some_and(|h| {
            h == "localhost"
                || h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(if loopback {
            None
        } else {
            ureq::Proxy::try_from_env()
        })
        .user_agent(crate::scrape::USER_AGENT)
        .build()
        .new_agent();
    let mut resp = agent
        .post(&post.url)
        .header("Content-Type", "application/json")
        .send(post.body.to_string().as_bytes())
        // ureq's error names the URL: keep only its kind.
        .map_err(|e| anyhow!("posting to {host}: {}", error_kind(&e)))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let answer = resp
        .body_mut()
        .with_config()
        .limit(4096)
        .read_to_string()
        .unwrap_or_default();
    let answer: String = answer
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    bail!(
        "{host} answered HTTP {}: {answer} (a 400 or 404 is a wrong or deleted hook: copy its URL again from Integrations > Incoming Webhooks)",
        status.as_u16()
    )
}

fn error_kind(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => format!("{} ({:?})", io.kind(), io.kind()),
        ureq::Error::Timeout(t) => format!("timed out ({t:?})"),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Tls(t) => format!("TLS: {t}"),
        ureq::Error::Rustls(t) => format!("TLS: {t}"),
        _ => "request failed".into(),
    }
}

/// `mattermost_metrics --execute` (as splunkd runs the action), or
/// `mattermost_metrics alert-webhook [--execute]` by hand: the payload on
/// stdin.
pub fn run(args: &[std::ffi::OsString]) -> Result<std::process::ExitCode> {
    for a in args {
        if a != "--execute" {
            bail!("usage: mattermost_metrics alert-webhook [--execute] < PAYLOAD.json (unexpected {a:?})");
        }
    }
    let mut raw = String::new();
    std::io::stdin()
        .take(MAX_PAYLOAD)
        .read_to_string(&mut raw)
        .context("reading the alert payload on stdin")?;
    let payload: Value =
        serde_json::from_str(&raw).context("the alert payload on stdin is not JSON")?;
    let search = payload
        .get("search_name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let post = post_of(&payload).with_context(|| format!("alert {search}"))?;
    send(&post).with_context(|| format!("alert {search}"))?;
    eprintln!(
        "INFO {ACTION}: alert {search} posted to {}",
        redacted(&post.url)
    );
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(url: &str) -> Value {
        json!({
            "search_name": "MattermostDbPoolSaturated",
            "results_link": "https://splunk.example.com/app/search/@go?sid=1",
            "configuration": {"url": url, "channel": "", "username": "Splunk"},
            "result": {
                "alertname": "MattermostDbPoolSaturated",
                "severity": "warning",
                "host": "mm-node-1",
                "db_name": "master",
                "value": "0.95",
                "summary": "Database pool master on mm-node-1 is nearly exhausted",
                "description": "Look for slow queries."
            }
        })
    }

    #[test]
    fn the_post_carries_the_summary_labels_and_link() {
        let p = post_of(&payload("https://mm.example.com/hooks/abc123")).unwrap();
        assert_eq!(p.url, "https://mm.example.com/hooks/abc123");
        let text = p.body["text"].as_str().unwrap();
        assert!(text.starts_with("#### :large_orange_diamond: MattermostDbPoolSaturated: Database pool master on mm-node-1 is nearly exhausted\nLook for slow queries.\n"), "{text}");
        assert!(
            text.contains("db_name: `master`, host: `mm-node-1`, value: `0.95`"),
            "{text}"
        );
        assert!(text.ends_with(
            "[Search results in Splunk](https://splunk.example.com/app/search/@go?sid=1)"
        ));
        assert_eq!(p.body["username"], "Splunk");
        assert!(
            p.body.get("channel").is_none(),
            "an empty channel is the hook's own"
        );
    }

    #[test]
    fn bad_configuration_is_an_error_that_hides_the_key() {
        for url in ["", "ftp://mm.example.com/hooks/abc123", "hooks/abc123"] {
            let e = format!("{:#}", post_of(&payload(url)).unwrap_err());
            assert!(!e.contains("abc123"), "{e}");
        }
        assert_eq!(
            redacted("https://mm.example.com:8065/hooks/abc123"),
            "https://mm.example.com:8065"
        );
        assert!(post_of(&json!({"result": {}})).is_err());
    }
}
