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
//! `results_link`, `server_uri`, `session_key` and the first result row
//! (`result`); the app's alerts trigger once per row, so `result` is the
//! firing series). What it prints on stderr goes to splunkd.log (component
//! sendmodalert), one line each, level first, whatever the alert's name or
//! results hold.
//!
//! # Where the hook's URL lives
//!
//! The URL of an incoming webhook is its secret: anyone who has it can post
//! to the channel. It is never a parameter of an alert (savedsearches.conf
//! is readable by every role through the saved/searches endpoint). An admin
//! stores each hook once in splunkd's credential store, app
//! `mattermost_metrics`, realm [`HOOK_REALM`], user name = the hook's name
//! (`default`, `oncall`, ...), which `metadata/default.meta` makes readable
//! by admins only; an alert names the hook (`param.hook`, default
//! `default` in alert_actions.conf) and the action reads the URL through
//! splunkd's REST API with the session key splunkd hands it. No line ever
//! shows more of the URL than its scheme, host and port.
//!
//! # What is posted is data
//!
//! Label values, summaries and the alert's name come from the metrics, that
//! is from whoever can set a label: they are made inert before they are
//! posted ([`inert`], [`code_span`]): no mention (`@channel`, `@all`,
//! `@here`, `@user`) pings, no markdown image or link renders, no backtick
//! closes a code span, no URL turns into a link. The text is capped at
//! Mattermost's limit for a post ([`MAX_POST_CHARS`]) with a note that it
//! was cut.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Map, Value};

use crate::scrape::Secret;
use crate::splunk::log::{line, Level};

/// The action's name in alert_actions.conf.
pub const ACTION: &str = "mattermost_metrics_webhook";
/// The app whose credential store holds the hooks, whichever app's alert
/// runs the action.
pub const HOOK_APP: &str = "mattermost_metrics";
/// The `storage/passwords` realm of the hooks; the user name is the hook's
/// name.
pub const HOOK_REALM: &str = "mattermost_metrics_webhook";
/// The hook an alert posts to when it names none (alert_actions.conf's
/// `param.hook`).
pub const DEFAULT_HOOK: &str = "default";
/// The most characters a Mattermost post takes (model.PostMessageMaxRunesV2).
pub const MAX_POST_CHARS: usize = 16_383;
/// The largest payload read from stdin.
const MAX_PAYLOAD: u64 = 16 * 1024 * 1024;
/// How long one post may take (Splunk kills the action after `maxtime`, 5 min).
const TIMEOUT: Duration = Duration::from_secs(30);

/// What the payload says to post, and where.
#[derive(Debug)]
pub struct Post {
    /// The hook's URL (its key is the secret).
    pub url: Secret,
    /// The JSON body of the post.
    pub body: Value,
    /// The PEM file of the CAs that sign Mattermost's certificate, if set.
    pub ca_file: Option<PathBuf>,
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

/// The action's parameter `k` (`param.k`), trimmed, if set.
fn param<'a>(payload: &'a Value, k: &str) -> Option<&'a str> {
    payload
        .get("configuration")
        .and_then(|c| c.get(k))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The name of the hook the alert posts to.
pub fn hook_name(payload: &Value) -> Result<&str> {
    if payload
        .get("configuration")
        .and_then(Value::as_object)
        .is_none()
    {
        bail!("the payload has no configuration (is payload_format = json?)");
    }
    if param(payload, "url").is_some() {
        bail!(
            "the alert holds a webhook URL (action.{ACTION}.param.url), which every role can \
             read in savedsearches.conf: store the hook in the app's credential store \
             (docs/alerts.md, \"Store a hook\"), set the alert's Hook to its name and delete \
             param.url"
        );
    }
    Ok(param(payload, "hook").unwrap_or(DEFAULT_HOOK))
}

/// Checks a hook's URL: an http(s) URL with a host. An `http://` one is
/// allowed (a Mattermost on a private network) with a warning returned.
pub fn check_hook_url(name: &str, url: &str) -> Result<Option<String>> {
    match url::Url::parse(url) {
        Ok(u) if u.host_str().is_some() && u.scheme() == "https" => Ok(None),
        Ok(u) if u.host_str().is_some() && u.scheme() == "http" => Ok(Some(format!(
            "hook {name} is a plain http:// URL ({}): its key travels in clear to Mattermost; \
             store its https:// URL instead",
            redacted(url)
        ))),
        _ => bail!(
            "hook {name} is not an http(s) URL (Mattermost shows it as \
             https://<server>/hooks/<key>): store it again"
        ),
    }
}

/// Reads Splunk's payload and says what to post to `url`, the hook's URL.
pub fn post_of(payload: &Value, url: Secret) -> Result<Post> {
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
        "#### {} {}: {}\n",
        match field("severity").as_deref() {
            Some("critical") => ":red_circle:",
            Some("warning") => ":large_orange_diamond:",
            _ => ":large_blue_circle:",
        },
        inert(search),
        inert(&field("summary").unwrap_or_else(|| "the alert fired".into()))
    );
    if let Some(d) = field("description") {
        text.push_str(&inert(&d));
        text.push('\n');
    }
    // The series' labels: every field but the ones shown above.
    let shown = ["summary", "description", "alertname", "severity"];
    let labels: Vec<String> = result
        .iter()
        .filter(|(k, _)| !shown.contains(&k.as_str()) && !k.starts_with('_'))
        .map(|(k, v)| (k, text_of(v)))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}: `{}`", inert(k), code_span(&v)))
        .collect();
    if !labels.is_empty() {
        text.push_str(&labels.join(", "));
        text.push('\n');
    }
    let link = payload
        .get("results_link")
        .and_then(Value::as_str)
        .and_then(|l| url::Url::parse(l).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| {
            let l = u.as_str().replace('(', "%28").replace(')', "%29");
            format!("[Search results in Splunk]({l})")
        });
    let text = cap(text.trim_end(), link.as_deref());
    let mut body = json!({ "text": text });
    for k in ["channel", "username", "icon_url"] {
        if let Some(v) = param(payload, k) {
            body[k] = Value::String(v.to_string());
        }
    }
    Ok(Post {
        url,
        body,
        ca_file: param(payload, "ca_file").map(PathBuf::from),
    })
}

/// `text`, then `link` on its own line, in at most [`MAX_POST_CHARS`]
/// characters: a longer `text` is cut, and a note says so.
fn cap(text: &str, link: Option<&str>) -> String {
    let link_len = link.map_or(0, |l| l.chars().count() + 1);
    let total = text.chars().count();
    let mut out = if total + link_len <= MAX_POST_CHARS {
        text.to_string()
    } else {
        let note = format!(
            "\n(cut: the alert's text has {total} characters, more than the {MAX_POST_CHARS} \
             of a Mattermost post; the search results have it all)"
        );
        let keep = MAX_POST_CHARS - link_len - note.chars().count();
        let mut cut: String = text.chars().take(keep).collect();
        // Not in the middle of an escape or a code span.
        if cut.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1 {
            cut.pop();
        }
        if cut.matches('`').count() % 2 == 1 {
            cut.pop();
            cut.push('`');
        }
        cut + &note
    };
    if let Some(l) = link {
        out.push('\n');
        out.push_str(l);
    }
    out
}

/// Text from the data, made inert for Mattermost's markdown: markdown
/// punctuation is escaped (no image, link, emphasis, heading, table or
/// HTML), `@` is followed by a word joiner (no mention: `@channel`,
/// `@all`, `@here`, `@user`, and no e-mail link), `://` and `www.` are
/// broken the same way (no link of a bare URL, no image preview), and
/// control characters become spaces (no line of its own).
pub fn inert(s: &str) -> String {
    const JOINER: char = '\u{2060}';
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => out.push(' '),
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '(' | ')' | '!' | '<' | '>' | '#' | '|'
            | '&' => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                out.push(JOINER);
            }
            ':' if chars.peek() == Some(&'/') => {
                out.push(':');
                out.push(JOINER);
            }
            '.' if out.to_ascii_lowercase().ends_with("www") => {
                out.push(JOINER);
                out.push('.');
            }
            c => out.push(c),
        }
    }
    out
}

/// A value to show between backticks: a backtick in it becomes `ˋ`
/// (U+02CB) so that it cannot close the span, `@` and `://` are followed
/// by a word joiner (as in [`inert`]), and control characters become
/// spaces. Markdown does not render inside a code span.
pub fn code_span(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => out.push(' '),
            '`' => out.push('\u{2cb}'),
            '@' => out.push_str("@\u{2060}"),
            ':' if chars.peek() == Some(&'/') => out.push_str(":\u{2060}"),
            c => out.push(c),
        }
    }
    out
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

/// Whether `host` is this machine (no proxy is used to reach it).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Posts to Mattermost; an error says what happened, naming only the
/// server.
pub fn send(post: &Post) -> Result<()> {
    let url = post.url.expose();
    let server = redacted(url);
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(path) = &post.ca_file {
        let certs = crate::scrape::load_ca_bundle(path).with_context(|| {
            format!(
                "the action's CA bundle (param.ca_file = {})",
                path.display()
            )
        })?;
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
    }
    let agent = ureq::Agent::config_builder()
        .tls_config(tls.build())
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(if is_loopback(&host) {
            None
        } else {
            ureq::Proxy::try_from_env()
        })
        .user_agent(crate::scrape::USER_AGENT)
        .build()
        .new_agent();
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(post.body.to_string().as_bytes())
        // ureq's error names the URL: say what happened in words instead.
        .map_err(|e| anyhow!("posting to {server}: {}", what_happened(&e, &host, post)))?;
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
        "{server} answered HTTP {}: {answer} (a 400 or 404 is a wrong or deleted hook: copy its URL again from Integrations > Incoming Webhooks and store it again)",
        status.as_u16()
    )
}

/// What a failed post means, in words an admin can act on.
fn what_happened(e: &ureq::Error, host: &str, post: &Post) -> String {
    use std::io::ErrorKind as K;
    let ca_hint = if post.ca_file.is_some() {
        "check that param.ca_file holds the CA that signed Mattermost's certificate"
    } else {
        "if Mattermost's certificate is signed by a private CA, set param.ca_file to a PEM \
         file of that CA in the app's local/alert_actions.conf"
    };
    let tls = |e: &rustls::Error| -> String {
        use rustls::{CertificateError as C, Error as R};
        match e {
            R::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => format!(
                "certificate not trusted: {host}'s certificate is self-signed or signed by a CA \
                 that is not trusted: {ca_hint}"
            ),
            R::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
                format!("certificate not valid for {host}: store the hook with a host name its certificate lists")
            }
            R::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
                format!("certificate of {host} has expired: renew it")
            }
            R::InvalidCertificate(c) => format!("certificate not trusted: {c:?}: {ca_hint}"),
            R::InvalidMessage(_) => format!(
                "{host} did not answer with TLS: store the hook with the URL Mattermost shows \
                 (is this port plain HTTP?)"
            ),
            other => format!("TLS handshake with {host} failed: {other}"),
        }
    };
    match e {
        ureq::Error::HostNotFound => {
            format!(
                "DNS lookup of {host} failed: check the hook's host name and this machine's DNS"
            )
        }
        ureq::Error::Io(io) => match io.kind() {
            K::ConnectionRefused => {
                format!("connection refused by {host}: is Mattermost running on that port?")
            }
            K::TimedOut => format!("no answer from {host} (timed out connecting)"),
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof => format!(
                "{host} closed the connection: is the hook's scheme (http or https) the one \
                 that port serves?"
            ),
            _ => match io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(r) => tls(r),
                // std's words for a getaddrinfo failure (no ErrorKind of its own).
                None if io.to_string().starts_with("failed to lookup address") => format!(
                    "DNS lookup of {host} failed ({io}): check the hook's host name and this \
                     machine's DNS"
                ),
                None => format!("network error talking to {host}: {io}"),
            },
        },
        ureq::Error::Timeout(t) => {
            format!(
                "no complete answer from {host} within {} s ({t})",
                TIMEOUT.as_secs()
            )
        }
        ureq::Error::ConnectionFailed => format!(
            "cannot connect to {host}: check the host, the port and any firewall or proxy \
             between this Splunk server and Mattermost"
        ),
        ureq::Error::Tls(t) => format!("TLS handshake with {host} failed: {t}"),
        ureq::Error::Rustls(r) => tls(r),
        ureq::Error::Protocol(p) => format!("{host} did not answer with valid HTTP ({p})"),
        ureq::Error::RedirectFailed | ureq::Error::TooManyRedirects => format!(
            "{host} redirected the post: store the hook's final URL (https://<server>/hooks/<key>)"
        ),
        ureq::Error::InvalidProxyUrl => {
            "the proxy in HTTPS_PROXY / HTTP_PROXY is not a valid URL".to_string()
        }
        other => format!("request to {host} failed: {other}"),
    }
}

/// Reads the URL of the hook `name` from the app's credential store, with
/// the session key and management URI of the payload.
fn read_hook(payload: &Value, name: &str) -> Result<Secret> {
    let field = |k: &str| {
        payload
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow!("the payload has no {k}: only splunkd can run the action"))
    };
    let splunkd = crate::splunk::credentials::Splunkd::new(
        field("server_uri")?,
        field("session_key")?,
        HOOK_APP,
    );
    splunkd
        .read_password(HOOK_REALM, name, &format!("the URL of hook {name}"))?
        .ok_or_else(|| {
            anyhow!(
                "no hook named {name:?} in the credential store of app {HOOK_APP} (realm \
                 {HOOK_REALM}): an admin stores it once (docs/alerts.md, \"Store a hook\"), or \
                 set the alert's Hook to the name of a stored one"
            )
        })
}

/// `mattermost_metrics --execute` (as splunkd runs the action), or
/// `mattermost_metrics alert-webhook [--execute]` by hand: the payload on
/// stdin. Every line it writes on stderr is one line of splunkd.log.
pub fn run(args: &[std::ffi::OsString]) -> Result<std::process::ExitCode> {
    for a in args {
        if a != "--execute" {
            bail!("usage: mattermost_metrics alert-webhook [--execute] < PAYLOAD.json (unexpected {a:?})");
        }
    }
    let log = |level, msg: &dyn std::fmt::Display| eprint!("{}", line(level, None, msg));
    let mut raw = String::new();
    let payload = std::io::stdin()
        .take(MAX_PAYLOAD)
        .read_to_string(&mut raw)
        .context("reading the alert payload on stdin")
        .and_then(|_| {
            serde_json::from_str::<Value>(&raw).context("the alert payload on stdin is not JSON")
        });
    let payload = match payload {
        Ok(p) => p,
        Err(e) => {
            log(Level::Error, &format_args!("{ACTION}: {e:#}"));
            return Ok(std::process::ExitCode::FAILURE);
        }
    };
    let search = payload
        .get("search_name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let posted = (|| {
        let name = hook_name(&payload)?;
        let url = read_hook(&payload, name)?;
        if let Some(warning) = check_hook_url(name, url.expose())? {
            log(
                Level::Warn,
                &format_args!("{ACTION}: alert {search}: {warning}"),
            );
        }
        let post = post_of(&payload, url)?;
        send(&post)?;
        Ok::<_, anyhow::Error>(redacted(post.url.expose()))
    })();
    match posted {
        Ok(server) => {
            log(
                Level::Info,
                &format_args!("{ACTION}: alert {search} posted to {server}"),
            );
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            log(
                Level::Error,
                &format_args!("{ACTION}: alert {search}: {e:#}"),
            );
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> Value {
        json!({
            "search_name": "MattermostDbPoolSaturated",
            "results_link": "https://splunk.example.com/app/search/@go?sid=1",
            "configuration": {"hook": "oncall", "channel": "", "username": "Splunk"},
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

    fn text_of_post(p: &Post) -> &str {
        p.body["text"].as_str().unwrap()
    }

    #[test]
    fn the_post_carries_the_summary_labels_and_link() {
        let p = post_of(&payload(), "https://mm.example.com/hooks/abc123".into()).unwrap();
        assert_eq!(p.url.expose(), "https://mm.example.com/hooks/abc123");
        let text = text_of_post(&p);
        assert!(text.starts_with("#### :large_orange_diamond: MattermostDbPoolSaturated: Database pool master on mm-node-1 is nearly exhausted\nLook for slow queries.\n"), "{text}");
        assert!(
            text.contains("db\\_name: `master`, host: `mm-node-1`, value: `0.95`"),
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
    fn the_hook_is_named_never_given() {
        assert_eq!(hook_name(&payload()).unwrap(), "oncall");
        let mut p = payload();
        p["configuration"]["hook"] = json!(" ");
        assert_eq!(hook_name(&p).unwrap(), DEFAULT_HOOK);
        p["configuration"]["url"] = json!("https://mm.example.com/hooks/abc123");
        let e = format!("{:#}", hook_name(&p).unwrap_err());
        assert!(e.contains("param.url") && !e.contains("abc123"), "{e}");
        assert!(hook_name(&json!({"result": {}})).is_err());
    }

    #[test]
    fn a_bad_hook_url_is_an_error_that_hides_the_key() {
        for url in ["", "ftp://mm.example.com/hooks/abc123", "hooks/abc123"] {
            let e = format!("{:#}", check_hook_url("oncall", url).unwrap_err());
            assert!(!e.contains("abc123") && e.contains("hook oncall"), "{e}");
        }
        let w = check_hook_url("oncall", "http://mm.example.com:8065/hooks/abc123").unwrap();
        let w = w.unwrap();
        assert!(
            w.contains("in clear")
                && w.contains("http://mm.example.com:8065")
                && !w.contains("abc123"),
            "{w}"
        );
        assert_eq!(
            check_hook_url("oncall", "https://mm.example.com/hooks/abc123").unwrap(),
            None
        );
        assert_eq!(
            redacted("https://mm.example.com:8065/hooks/abc123"),
            "https://mm.example.com:8065"
        );
    }

    #[test]
    fn data_neither_pings_nor_renders() {
        let evil = "r1` @channel @all @here @bob ![t](http://evil.example/t.png) [x](https://e.example) www.evil.example <b>&#64;all";
        let mut p = payload();
        p["search_name"] = json!(format!("Alert {evil}"));
        p["result"]["node"] = json!(evil);
        p["result"]["summary"] = json!(format!("node {evil} is down"));
        p["result"]["description"] = json!(evil);
        let post = post_of(&p, "https://mm.example.com/hooks/k".into()).unwrap();
        let text = text_of_post(&post);
        for live in ["@channel", "@all", "@here", "@bob", "http://", "https://e"] {
            assert!(!text.contains(live), "{live} in {text}");
        }
        // Outside code spans, where markdown renders.
        let outside: String = text.replace("\\`", "").split('`').step_by(2).collect();
        for live in ["![", "www.", "<b>", "&#"] {
            assert!(!outside.contains(live), "{live} in {text}");
        }
        // The label's value stays one code span.
        assert!(text.contains("node: `r1\u{2cb} @\u{2060}channel"), "{text}");
        // Only the results link is a link.
        assert_eq!(outside.matches("](").count(), 1);
        assert!(text.ends_with("(https://splunk.example.com/app/search/@go?sid=1)"));
        // Each piece is still readable: escapes and invisible joiners only.
        assert_eq!(inert("a_b [x](y) @z"), "a\\_b \\[x\\]\\(y\\) @\u{2060}z");
        assert_eq!(code_span("a`b\nc"), "a\u{2cb}b c");
    }

    #[test]
    fn long_text_is_cut_to_a_post_with_a_note() {
        let mut p = payload();
        p["result"]["big"] = json!("x".repeat(40_000));
        let post = post_of(&p, "https://mm.example.com/hooks/k".into()).unwrap();
        let text = text_of_post(&post);
        assert_eq!(text.chars().count(), MAX_POST_CHARS, "exactly the limit");
        assert!(
            text.contains("\n(cut: the alert's text has "),
            "{}",
            &text[text.len() - 300..]
        );
        assert!(text.ends_with("(https://splunk.example.com/app/search/@go?sid=1)"));
        assert_eq!(text.matches('`').count() % 2, 0, "code spans closed");
        // A short one is not cut.
        let short = post_of(&payload(), "https://mm.example.com/hooks/k".into()).unwrap();
        assert!(!text_of_post(&short).contains("(cut:"));
    }

    #[test]
    fn control_characters_stay_inside_the_text() {
        let mut p = payload();
        p["search_name"] = json!("A\nINFO forged\r\u{2028}x");
        p["result"]["host"] = json!("h\n#### not a heading");
        let post = post_of(&p, "https://mm.example.com/hooks/k".into()).unwrap();
        let text = text_of_post(&post);
        assert_eq!(
            text.lines().filter(|l| l.starts_with("####")).count(),
            1,
            "{text}"
        );
        assert!(!text.contains("\nINFO"), "{text}");
    }
}
