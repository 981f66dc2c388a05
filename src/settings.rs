//! The settings of one input (one Mattermost node): declared once, here.
//!
//! [`ARGS`] is the single declaration of every argument an admin sets in
//! Settings > Data inputs. The scheme (`--scheme`), `README/inputs.conf.spec`
//! and the table in docs/inputs.md are generated from it, and [`InputSettings::from_params`]
//! validates against it, so an argument cannot exist in one place and not
//! another (tests compare the committed files with the generated text).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::pipeline::DEFAULT_SAMPLE_LIMIT;
use crate::scrape::{check_url, redact_url, Secret, UrlProblem, DEFAULT_MAX_BODY_MB};
use crate::values::{self, FileProblem};

/// How splunkd should present an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    String,
    Number,
    Boolean,
}

impl DataType {
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Number => "number",
            DataType::Boolean => "boolean",
        }
    }
}

/// One argument of the input.
#[derive(Debug)]
pub struct ArgSpec {
    /// The key in inputs.conf (`[0-9a-zA-Z][0-9a-zA-Z_-]*`).
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub data_type: DataType,
    pub required_on_create: bool,
    /// The value used when the argument is absent or empty.
    pub default: Option<&'static str>,
    /// An example value, for the spec file.
    pub example: &'static str,
    /// The only values accepted (any case), when the argument is a choice;
    /// the spec lists them, validation refuses any other.
    pub choices: &'static [&'static str],
}

/// The text an input keeps in inputs.conf in place of a secret once the
/// secret has been moved to splunkd's credential store.
pub const MASK: &str = "********";

/// The values of `auth_type`.
pub const AUTH_TYPES: &[&str] = &["none", "bearer", "basic"];

/// Every argument, in the order the Data inputs form shows them.
pub const ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "url",
        title: "Metrics URL",
        description: "The Mattermost node's Prometheus endpoint, for example http://mm1.example.com:8067/metrics. Mattermost serves it when System Console > Performance Monitoring is enabled (MetricsSettings.Enable), on MetricsSettings.ListenAddress (default :8067). One input per node. Never put a user name or password in it (the URL is logged and is the source of every data point): use Authentication.",
        data_type: DataType::String,
        required_on_create: true,
        default: None,
        example: "http://mm1.example.com:8067/metrics",
        choices: &[],
    },
    ArgSpec {
        name: "timeout",
        title: "Timeout (seconds)",
        description: "How long one scrape may take, connection to last byte. Must be shorter than the interval. Default 5.",
        data_type: DataType::Number,
        required_on_create: false,
        default: Some("5"),
        example: "5",
        choices: &[],
    },
    ArgSpec {
        name: "verify_tls",
        title: "Verify TLS certificate",
        description: "For https URLs: check the node's certificate and host name (true) or accept any certificate (false, for testing only). Default true.",
        data_type: DataType::Boolean,
        required_on_create: false,
        default: Some("true"),
        example: "true",
        choices: &[],
    },
    ArgSpec {
        name: "ca_bundle",
        title: "CA bundle",
        description: "Path to a PEM file of certificate authorities to trust for an https URL signed by a private CA. Empty: the public web PKI roots.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "/opt/splunk/etc/apps/mattermost_metrics/local/ca.pem",
        choices: &[],
    },
    ArgSpec {
        name: "client_cert",
        title: "Client certificate",
        description: "Path to a PEM client certificate (chain), for an endpoint that requires mutual TLS. Needs Client key.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "/opt/splunk/etc/apps/mattermost_metrics/local/client.pem",
        choices: &[],
    },
    ArgSpec {
        name: "client_key",
        title: "Client key",
        description: "Path to the unencrypted PEM private key of the client certificate. Keep it readable by the splunk user only.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "/opt/splunk/etc/apps/mattermost_metrics/local/client.key",
        choices: &[],
    },
    ArgSpec {
        name: "auth_type",
        title: "Authentication",
        description: "One of none, bearer or basic (any other value is refused). For an endpoint behind a proxy that asks for credentials: bearer sends Authorization: Bearer <Token or password>, basic sends User name and Token or password. Default none.",
        data_type: DataType::String,
        required_on_create: false,
        default: Some("none"),
        example: "bearer",
        choices: AUTH_TYPES,
    },
    ArgSpec {
        name: "username",
        title: "User name",
        description: "The user name for basic authentication.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "metrics",
        choices: &[],
    },
    ArgSpec {
        name: "secret",
        title: "Token or password",
        description: "The bearer token or basic-auth password. On its first run the input moves it into Splunk's encrypted credential store (storage/passwords, realm mattermost_metrics) and leaves ******** here; to change it, type the new one.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "********",
        choices: &[],
    },
    ArgSpec {
        name: "proxy",
        title: "HTTP proxy",
        description: "An HTTP proxy the scrapes go through, for example http://proxy.example.com:3128 (an https Metrics URL is tunnelled with CONNECT: TLS stays end to end). No user name or password in it: set Proxy user name, and store its password once in Splunk's credential store (realm mattermost_metrics_proxy, user name = Proxy user name; see docs/inputs.md, Proxy). Empty: straight to the node.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "http://proxy.example.com:3128",
        choices: &[],
    },
    ArgSpec {
        name: "proxy_username",
        title: "Proxy user name",
        description: "The user name for the HTTP proxy's basic authentication; its password is read from Splunk's credential store (realm mattermost_metrics_proxy). Empty: the proxy asks for none.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "svc-splunk",
        choices: &[],
    },
    ArgSpec {
        name: "include",
        title: "Include metrics",
        description: "dashboards, or a regular expression. dashboards keeps only the metrics the app's own dashboards and alerts read (resolved by the binary from the dashboards it ships, so an upgrade updates it; for Mattermost servers and for Calls, rtcd and node_exporter inputs alike). A regular expression keeps only metrics whose Prometheus name matches it in full, for example mattermost_.*|go_goroutines. Empty: all.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "dashboards",
        choices: &[],
    },
    ArgSpec {
        name: "exclude",
        title: "Exclude metrics",
        description: "A regular expression; metrics whose Prometheus name matches it in full are dropped (after Include). Example: mattermost_webapp_.*|go_memstats_.*. Empty: none.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "mattermost_webapp_.*",
        choices: &[],
    },
    ArgSpec {
        name: "dimensions",
        title: "Extra dimensions",
        description: "Static dimensions added to every data point, as name=value pairs separated by commas. Mattermost's own metrics need none; the Calls plugin's, rtcd's and node_exporter's endpoints need job=calls, job=rtcd or job=node, which their dashboards select on (for example job=node,cluster=prod).",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "job=node,cluster=prod",
        choices: &[],
    },
    ArgSpec {
        name: "node_name",
        title: "Node host name",
        description: "The host recorded with every data point. Empty: the Host set under More settings, if it is not this forwarder's own name, else the host of the Metrics URL (the Mattermost node, not this forwarder). Set here and under More settings, the two must agree.",
        data_type: DataType::String,
        required_on_create: false,
        default: None,
        example: "mm1",
        choices: &[],
    },
    ArgSpec {
        name: "max_body_mb",
        title: "Largest scrape (MB)",
        description: "A scrape whose body (after decompression) is larger than this is refused. Default 64.",
        data_type: DataType::Number,
        required_on_create: false,
        default: Some(DEFAULT_MAX_BODY_MB),
        example: "64",
        choices: &[],
    },
    ArgSpec {
        name: "sample_limit",
        title: "Sample limit",
        description: "The most data points one scrape may give, after Include and Exclude. A scrape with more is refused whole (nothing of it is indexed, up is 0), as Prometheus' sample_limit does, so that a target gone wrong cannot flood the index and the licence. 0: no limit. Default 200000, about 40 times a busy Mattermost node.",
        data_type: DataType::Number,
        required_on_create: false,
        default: Some(DEFAULT_SAMPLE_LIMIT),
        example: "200000",
        choices: &[],
    },
];

/// Parameters splunkd passes to every input, which the scheme must not declare.
pub const SPLUNKD_PARAMS: &[&str] = &[
    "interval",
    "index",
    "sourcetype",
    "source",
    "host",
    "disabled",
    "start_by_shell",
    "python.version",
];

/// The index the input writes to unless the stanza names another.
pub const DEFAULT_INDEX: &str = "wss_metrics";
pub const DEFAULT_SOURCETYPE: &str = "mattermost:metrics";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    None,
    Bearer,
    Basic,
}

/// What the `secret` parameter holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretParam {
    /// Nothing: no secret configured.
    Empty,
    /// The mask: the secret is in splunkd's credential store.
    Stored,
    /// A secret typed into the form, not yet moved to the credential store.
    Clear(Secret),
}

/// The validated settings of one input.
#[derive(Debug)]
pub struct InputSettings {
    pub url: String,
    /// The URL's host: the default for [`InputSettings::node_name`].
    pub url_host: String,
    pub timeout: Duration,
    pub verify_tls: bool,
    pub ca_bundle: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub auth_type: AuthType,
    pub username: Option<String>,
    pub secret: SecretParam,
    /// The HTTP proxy's URL (checked: http(s), a host, no credentials).
    pub proxy: Option<String>,
    /// Its user name; the password is in the credential store.
    pub proxy_username: Option<String>,
    pub include: Option<Regex>,
    pub exclude: Option<Regex>,
    pub dimensions: Vec<(String, String)>,
    pub node_name: String,
    pub max_body_bytes: u64,
    /// The most data points a scrape may give; 0: no limit.
    pub sample_limit: u64,
    /// splunkd's own parameters.
    pub interval: Option<Interval>,
    pub index: String,
    pub sourcetype: String,
}

/// An input's interval: seconds, or a cron expression (no fixed length).
#[derive(Clone, Debug, PartialEq)]
pub enum Interval {
    Seconds(f64),
    Cron(String),
}

/// Every problem found in a set of parameters, one sentence each.
#[derive(Debug, PartialEq, Eq)]
pub struct SettingsError(pub Vec<String>);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl std::error::Error for SettingsError {}

fn arg(name: &str) -> &'static ArgSpec {
    ARGS.iter()
        .find(|a| a.name == name)
        .expect("argument is declared in ARGS")
}

impl InputSettings {
    /// Validates the parameters of one stanza (as splunkd passes them) and
    /// fills in defaults. Checks everything that can be checked without the
    /// network: syntax, ranges, that files exist and are readable, that the
    /// patterns compile. `server_host` is the forwarder's own name
    /// (`<server_host>`), which splunkd passes as `host` when the admin set
    /// none.
    pub fn from_params(
        params: &HashMap<String, String>,
        server_host: &str,
    ) -> Result<InputSettings, SettingsError> {
        let mut errors = Vec::new();
        let get = |name: &str| -> Option<&str> {
            params
                .get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .or(if SPLUNKD_PARAMS.contains(&name) {
                    None
                } else {
                    arg(name).default
                })
        };

        let (url, url_host) = match get("url") {
            None => {
                errors.push(
                    "Metrics URL is required (for example http://mm1:8067/metrics).".to_string(),
                );
                (String::new(), String::new())
            }
            Some(raw) => match check_url(raw) {
                Ok(host) => (raw.to_string(), host),
                Err(p) => {
                    let remedy = if p == UrlProblem::Credentials {
                        ": set Authentication to basic with User name and Token or password \
                         instead (they are kept in Splunk's credential store)"
                    } else {
                        ""
                    };
                    errors.push(format!("Metrics URL {:?} {p}{remedy}.", redact_url(raw)));
                    (raw.to_string(), String::new())
                }
            },
        };

        let interval = get("interval").map(|v| match v.parse::<f64>() {
            Ok(s) => Interval::Seconds(s),
            Err(_) => Interval::Cron(v.to_string()),
        });
        let timeout_s = number(get("timeout"), "Timeout", 0.1, 300.0, &mut errors);
        if let (Some(t), Some(Interval::Seconds(i))) = (timeout_s, &interval) {
            if t >= *i {
                errors.push(format!(
                    "Timeout ({t} s) must be shorter than the interval ({i} s): splunkd skips a run while the previous one is still going."
                ));
            }
        }
        let verify_tls = boolean(get("verify_tls"), "Verify TLS certificate", &mut errors);
        let ca_bundle = readable_file(get("ca_bundle"), "CA bundle", &mut errors);
        let client_cert = readable_file(get("client_cert"), "Client certificate", &mut errors);
        let client_key = readable_file(get("client_key"), "Client key", &mut errors);
        if get("client_cert").is_some() != get("client_key").is_some() {
            errors.push(
                "Client certificate and Client key go together: set both or neither.".to_string(),
            );
        }
        if (ca_bundle.is_some() || client_cert.is_some()) && url.starts_with("http://") {
            errors.push("CA bundle and client certificates apply to https URLs only; the Metrics URL is http.".to_string());
        }

        let auth_type = match choice(get("auth_type"), arg("auth_type"), &mut errors) {
            Some("bearer") => AuthType::Bearer,
            Some("basic") => AuthType::Basic,
            _ => AuthType::None,
        };
        let username = get("username").map(str::to_string);
        let secret = match params.get("secret").map(|s| s.as_str()) {
            None | Some("") => SecretParam::Empty,
            Some(MASK) => SecretParam::Stored,
            Some(s) => SecretParam::Clear(Secret::new(s.to_string())),
        };
        match auth_type {
            AuthType::Basic if username.is_none() => {
                errors.push("Basic authentication needs a User name.".to_string())
            }
            AuthType::Basic | AuthType::Bearer if secret == SecretParam::Empty => {
                errors.push("This authentication needs a Token or password.".to_string())
            }
            _ => {}
        }

        let proxy = get("proxy").and_then(|p| match url::Url::parse(p) {
            Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                errors.push(format!(
                    "HTTP proxy {:?} must not contain a user name or password: set Proxy user name and store the password in Splunk's credential store (docs/inputs.md, Proxy).",
                    redact_url(p)
                ));
                None
            }
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Some(p.to_string())
            }
            _ => {
                errors.push(format!(
                    "HTTP proxy {:?} is not an http:// URL (for example http://proxy.example.com:3128).",
                    redact_url(p)
                ));
                None
            }
        });
        let proxy_username = get("proxy_username").map(str::to_string);
        if proxy_username.is_some() && get("proxy").is_none() {
            errors.push("Proxy user name is set but HTTP proxy is not.".to_string());
        }
        let include = pattern(get("include"), "Include metrics", &mut errors);
        let exclude = pattern(get("exclude"), "Exclude metrics", &mut errors);
        let dimensions = match get("dimensions").map(values::parse_dimensions).transpose() {
            Ok(d) => d.unwrap_or_default(),
            Err(e) => {
                errors.push(format!("Extra dimensions: {e}"));
                Vec::new()
            }
        };
        // splunkd passes every input a host: the Host of More settings, or
        // else the forwarder's own name (inputs.conf [default]). The
        // forwarder's name is never the node's, so only another one is
        // taken as the admin's choice.
        let more_settings_host = params.get("host").map(|h| h.trim()).filter(|h| {
            !h.is_empty() && *h != "$decideOnStartup" && !h.eq_ignore_ascii_case(server_host.trim())
        });
        let node_name = match (get("node_name"), more_settings_host) {
            (Some(n), Some(h)) if n != h => {
                errors.push(format!(
                    "Node host name ({n}) and Host under More settings ({h}) disagree: set one of them."
                ));
                n.to_string()
            }
            (Some(n), _) | (None, Some(n)) => n.to_string(),
            (None, None) => url_host.clone(),
        };
        let max_body_mb = number(
            get("max_body_mb"),
            "Largest scrape",
            1.0,
            4096.0,
            &mut errors,
        );
        let sample_limit = number(get("sample_limit"), "Sample limit", 0.0, 1e9, &mut errors);
        if sample_limit.is_some_and(|n| n.fract() != 0.0) {
            errors.push("Sample limit must be a whole number.".to_string());
        }

        if !errors.is_empty() {
            return Err(SettingsError(errors));
        }
        Ok(InputSettings {
            url,
            url_host,
            timeout: Duration::from_secs_f64(timeout_s.unwrap_or(5.0)),
            verify_tls: verify_tls.unwrap_or(true),
            ca_bundle,
            client_cert,
            client_key,
            auth_type,
            username,
            secret,
            proxy,
            proxy_username,
            include,
            exclude,
            dimensions,
            node_name,
            max_body_bytes: max_body_mb.map_or(crate::scrape::DEFAULT_MAX_BODY_BYTES, |mb| {
                (mb * 1024.0 * 1024.0) as u64
            }),
            sample_limit: sample_limit.map_or(0, |n| n as u64),
            interval,
            index: get("index").unwrap_or(DEFAULT_INDEX).to_string(),
            sourcetype: get("sourcetype").unwrap_or(DEFAULT_SOURCETYPE).to_string(),
        })
    }
}

fn number(
    v: Option<&str>,
    title: &str,
    min: f64,
    max: f64,
    errors: &mut Vec<String>,
) -> Option<f64> {
    let v = v?;
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() && (min..=max).contains(&n) => Some(n),
        _ => {
            errors.push(format!(
                "{title} must be a number from {min} to {max}, not {v:?}."
            ));
            None
        }
    }
}

/// One of `spec.choices` (any case), as the declaration writes it.
fn choice(v: Option<&str>, spec: &ArgSpec, errors: &mut Vec<String>) -> Option<&'static str> {
    let v = v?;
    match spec.choices.iter().find(|c| c.eq_ignore_ascii_case(v)) {
        Some(c) => Some(c),
        None => {
            errors.push(format!(
                "{} must be one of {}, not {v:?}.",
                spec.title,
                spec.choices.join(", ")
            ));
            None
        }
    }
}

fn boolean(v: Option<&str>, title: &str, errors: &mut Vec<String>) -> Option<bool> {
    let v = v?;
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" => Some(true),
        "0" | "false" | "f" | "no" | "n" => Some(false),
        _ => {
            errors.push(format!("{title} must be true or false, not {v:?}."));
            None
        }
    }
}

fn readable_file(v: Option<&str>, title: &str, errors: &mut Vec<String>) -> Option<PathBuf> {
    let v = v?;
    match values::readable_file(v) {
        Ok(path) => Some(path),
        Err(FileProblem::NotAFile) => {
            errors.push(format!("{title} {v} is not a file."));
            None
        }
        Err(FileProblem::Unreadable(e)) => {
            errors.push(format!(
                "{title} {v} cannot be read by splunkd's user: {e}."
            ));
            None
        }
    }
}

/// A pattern matched against the whole metric name, or the preset
/// `dashboards` ([`crate::preset`]).
fn pattern(v: Option<&str>, title: &str, errors: &mut Vec<String>) -> Option<Regex> {
    let v = v?;
    match values::pattern(v) {
        Ok(r) => Some(r),
        Err(detail) => {
            errors.push(format!(
                "{title} {v:?} is not a valid regular expression (nor dashboards): {detail}."
            ));
            None
        }
    }
}

pub fn inputs_conf_spec() -> String {
    let mut s = String::new();
    s.push_str(
        "# Settings of the mattermost_metrics modular input: one stanza per Mattermost node.\n",
    );
    s.push_str("# Generated from src/settings.rs by `mattermost_metrics spec`; do not edit.\n\n");
    s.push_str("[mattermost_metrics://<name>]\n");
    for a in ARGS {
        if a.choices.is_empty() {
            writeln!(s, "{} = <{}>", a.name, a.data_type.name()).unwrap();
        } else {
            writeln!(s, "{} = [{}]", a.name, a.choices.join("|")).unwrap();
        }
        for line in wrap(&format!("{}: {}", a.title, a.description), 76) {
            writeln!(s, "* {line}").unwrap();
        }
        if a.required_on_create {
            s.push_str("* Required.\n");
        }
        if let Some(d) = a.default {
            writeln!(s, "* Default: {d}").unwrap();
        }
        s.push('\n');
    }
    s
}

/// The table of settings in docs/inputs.md, generated from [`ARGS`].
pub fn markdown_table() -> String {
    let mut s = String::from("| setting | form label | meaning | default |\n|---|---|---|---|\n");
    for a in ARGS {
        writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            a.name,
            a.title,
            a.description.replace('|', "\\|"),
            if a.required_on_create {
                "required".to_string()
            } else {
                a.default.map_or("-".to_string(), |d| format!("`{d}`"))
            }
        )
        .unwrap();
    }
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names_are_valid_and_not_splunkd_reserved() {
        let re = Regex::new("^[0-9a-zA-Z][0-9a-zA-Z_-]*$").unwrap();
        for a in ARGS {
            assert!(re.is_match(a.name), "{}", a.name);
            assert!(!SPLUNKD_PARAMS.contains(&a.name), "{} is splunkd's", a.name);
            assert!(!a.description.is_empty() && !a.title.is_empty());
        }
    }

    #[test]
    fn defaults_and_url_host() {
        let s = InputSettings::from_params(
            &params(&[
                ("url", "http://mm1.example.com:8067/metrics"),
                ("interval", "60"),
            ]),
            "hf1",
        )
        .unwrap();
        assert_eq!(s.url_host, "mm1.example.com");
        assert_eq!(s.node_name, "mm1.example.com");
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert!(s.verify_tls);
        assert_eq!(s.index, "wss_metrics");
        assert_eq!(s.sourcetype, "mattermost:metrics");
        assert_eq!(s.max_body_bytes, 64 << 20);
        assert_eq!(s.sample_limit, 200_000);
        assert_eq!(s.secret, SecretParam::Empty);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = InputSettings::from_params(
            &params(&[
                ("url", "ftp://x/metrics"),
                ("timeout", "90"),
                ("interval", "60"),
                ("verify_tls", "maybe"),
                ("include", "mattermost_(api"),
                ("dimensions", "host=x"),
                ("ca_bundle", "/nonexistent/ca.pem"),
                ("auth_type", "basic"),
            ]),
            "hf1",
        )
        .unwrap_err();
        let text = e.to_string();
        for want in [
            "must start with http:// or https://",
            "Timeout (90 s) must be shorter than the interval (60 s)",
            "Verify TLS certificate must be true or false",
            "Include metrics \"mattermost_(api\" is not a valid regular expression",
            "\"host\" is not a dimension name Splunk accepts",
            "CA bundle /nonexistent/ca.pem cannot be read",
            "Basic authentication needs a User name",
        ] {
            assert!(text.contains(want), "missing {want:?} in {text}");
        }
    }

    #[test]
    fn secrets_and_patterns() {
        let s = InputSettings::from_params(
            &params(&[
                ("url", "https://mm1/metrics"),
                ("auth_type", "bearer"),
                ("secret", MASK),
                ("include", "mattermost_.*|go_goroutines"),
                ("dimensions", "cluster=prod, region = eu west"),
                ("node_name", "node-a"),
            ]),
            "hf1",
        )
        .unwrap();
        assert_eq!(s.secret, SecretParam::Stored);
        assert!(s.include.as_ref().unwrap().is_match("go_goroutines"));
        assert!(
            !s.include.as_ref().unwrap().is_match("go_goroutines_x"),
            "matched in full"
        );
        assert_eq!(
            s.dimensions,
            [
                ("cluster".into(), "prod".into()),
                ("region".into(), "eu west".into())
            ]
        );
        assert_eq!(s.node_name, "node-a");
        let e = InputSettings::from_params(&params(&[("url", "http://u:p@mm1/metrics")]), "hf1")
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("must not contain a user name or password"));
        assert!(e.to_string().contains("User name and Token or password"));
        assert!(!e.to_string().contains(":p@"), "never echo a password");
        // Malformed, and with a password: refused without quoting it.
        let e =
            InputSettings::from_params(&params(&[("url", "http://u:pw-77@mm1:99999999/")]), "hf1")
                .unwrap_err();
        assert!(!e.to_string().contains("pw-77"), "{e}");
        let e =
            InputSettings::from_params(&params(&[("url", "mm1.example.com:8067/metrics")]), "hf1")
                .unwrap_err();
        assert!(
            e.to_string().contains("add http:// or https://")
                && !e.to_string().contains("mm1.example.com://"),
            "{e}"
        );
    }

    #[test]
    fn the_host_of_more_settings_is_honoured_not_the_forwarders() {
        let node = |pairs: &[(&str, &str)]| {
            let mut p = params(&[("url", "http://mm1.example.com:8067/metrics")]);
            p.extend(params(pairs));
            InputSettings::from_params(&p, "hf1").map(|s| s.node_name)
        };
        assert_eq!(node(&[("host", "hf1")]).unwrap(), "mm1.example.com");
        assert_eq!(
            node(&[("host", "$decideOnStartup")]).unwrap(),
            "mm1.example.com"
        );
        assert_eq!(
            node(&[("host", "mm1-from-more-settings")]).unwrap(),
            "mm1-from-more-settings"
        );
        assert_eq!(node(&[("node_name", "a"), ("host", "hf1")]).unwrap(), "a");
        assert_eq!(node(&[("node_name", "a"), ("host", "a")]).unwrap(), "a");
        let e = node(&[("node_name", "a"), ("host", "b")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("Node host name (a) and Host under More settings (b) disagree"),
            "{e}"
        );
    }

    #[test]
    fn auth_type_lists_its_values_and_refuses_others() {
        let e = InputSettings::from_params(
            &params(&[("url", "http://mm1/metrics"), ("auth_type", "token")]),
            "hf1",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("Authentication must be one of none, bearer, basic, not \"token\"."),
            "{e}"
        );
        assert!(inputs_conf_spec().contains("\nauth_type = [none|bearer|basic]\n"));
        assert!(arg("auth_type")
            .description
            .starts_with("One of none, bearer or basic"));
        let s = InputSettings::from_params(
            &params(&[
                ("url", "http://mm1/metrics"),
                ("auth_type", "Bearer"),
                ("secret", MASK),
            ]),
            "hf1",
        )
        .unwrap();
        assert_eq!(s.auth_type, AuthType::Bearer);
    }

    #[test]
    fn spec_lists_every_argument() {
        let spec = inputs_conf_spec();
        assert!(spec.contains("[mattermost_metrics://<name>]"));
        for a in ARGS {
            assert!(
                spec.contains(&format!("\n{} = <", a.name))
                    || spec.contains(&format!("\n{} = [", a.name)),
                "{}",
                a.name
            );
        }
    }
}
