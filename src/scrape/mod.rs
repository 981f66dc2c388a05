//! The scrape step: one HTTP(S) GET of a Prometheus metrics endpoint.
//!
//! This module knows nothing of parsing or of Splunk. [`Scraper::scrape`]
//! fetches the body of `http://<node>:8067/metrics` (or any other metrics
//! URL), tells which exposition format it is written in from its
//! `Content-Type`, and, when anything goes wrong, returns a [`ScrapeError`]
//! whose message is one line that names the URL, says what happened and what
//! to check. [`ScrapeError::kind`] is a short stable string for logs and
//! counters.
//!
//! # The request
//!
//! - `Accept: text/plain;version=0.0.4;q=1.0, application/openmetrics-text;version=1.0.0;q=0.5, */*;q=0.1`:
//!   Prometheus text 0.0.4 (what Mattermost serves) is preferred, OpenMetrics
//!   is taken from a target that insists.
//! - `Accept-Encoding: gzip`; a gzip body is decoded on the fly.
//! - `User-Agent: mattermost_metrics/<version>`.
//! - `Authorization: Bearer ...` or `Basic ...` from [`Auth`]. Credentials
//!   are never sent along a redirect (ureq's default, kept on purpose):
//!   a redirected scrape that needs them fails with a 401 whose message says so.
//!   Credentials inside the URL (`http://user:pass@host/`) are refused by
//!   [`Scraper::new`]: the URL is logged, so they belong in [`Auth`]; every
//!   URL written anywhere goes through [`redact_url`] first.
//! - Redirects are followed (at most [`MAX_REDIRECTS`]), except from https to
//!   plain http: a scrape that starts on https stays on TLS
//!   ([`ScrapeError::Redirect`] names both URLs).
//! - One timeout covers the whole exchange: name resolution, connect, TLS,
//!   request, response headers and the whole body, redirects included.
//! - Proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, ...) are not
//!   used, as with Prometheus' default: a metrics endpoint is scraped
//!   directly, unless [`ScrapeConfig::proxy`] names an HTTP proxy, which
//!   every request then goes through with `CONNECT` (TLS to an https target
//!   stays end to end), with basic credentials when it has them.
//!
//! # TLS
//!
//! rustls through ureq (never OpenSSL: under splunkd the library path holds
//! Splunk's own libssl). Server certificates are checked against:
//!
//! - the certificates of [`ScrapeConfig::ca_bundle`] when it is set, and only
//!   those (as curl's `--cacert` and Prometheus' `ca_file` do): an internal
//!   CA is trusted without trusting every public CA as well. A bundle that
//!   must also trust a public CA can include it.
//! - otherwise the Mozilla root store compiled into the binary
//!   (`webpki-roots`); the system's store is not read.
//!
//! [`ScrapeConfig::verify_tls`]` = false` turns every check off (the
//! connection is still encrypted, but to anyone). A client certificate
//! ([`ScrapeConfig::client_cert`], [`ScrapeConfig::client_key`]) is sent when
//! the server asks for one (mutual TLS).
//!
//! # The response
//!
//! - Any status outside 2xx is an error ([`ScrapeError::HttpStatus`]) with a
//!   hint for 401, 403, 404 and 5xx.
//! - The format comes from the `Content-Type` through
//!   [`Format::from_content_type`]; a media type that is neither text format
//!   (an HTML error page, JSON, protobuf) is [`ScrapeError::NotMetrics`]. A
//!   missing `Content-Type` is read as 0.0.4.
//! - The body is capped at [`ScrapeConfig::max_body_bytes`] counted after
//!   decompression, so a gzip bomb stops at the cap.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use ureq::config::RedirectAuthHeaders;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::ResponseExt;

use crate::exposition::Format;

mod address;
mod error;
mod tls;

pub use address::{check_url, redact_url, UrlProblem};
use error::{classify, Ctx, Phase};
pub use error::{ScrapeError, TlsProblem};
pub(crate) use tls::load_ca_bundle;
use tls::load_client_cert;

/// What the front end calls the settings that an error message tells the
/// admin to change, so that the message names one that exists there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettingNames {
    /// The cap on the body ([`ScrapeConfig::max_body_bytes`]).
    pub max_body: &'static str,
    /// The CA bundle ([`ScrapeConfig::ca_bundle`]).
    pub ca_bundle: &'static str,
    /// Turning certificate checks off ([`ScrapeConfig::verify_tls`]).
    pub no_verify: &'static str,
    /// The client certificate and key; `None` where the front end has none.
    pub client_cert: Option<&'static str>,
    /// The credentials sent to the endpoint (bearer token, basic auth);
    /// `None` where the front end has none.
    pub auth: Option<&'static str>,
}

impl SettingNames {
    /// [`ScrapeConfig`]'s own fields, for a program that sets them.
    pub const FIELDS: SettingNames = SettingNames {
        max_body: "max_body_bytes",
        ca_bundle: "ca_bundle",
        no_verify: "verify_tls = false",
        client_cert: Some("client_cert and client_key"),
        auth: Some("a bearer token or basic auth (auth)"),
    };
}

/// The `Accept` header of every scrape: 0.0.4 first, OpenMetrics if the
/// target insists, anything else last (so that a misconfigured target still
/// answers, and we can say what it answered with).
pub const ACCEPT: &str =
    "text/plain;version=0.0.4;q=1.0, application/openmetrics-text;version=1.0.0;q=0.5, */*;q=0.1";

/// The `User-Agent` header of every scrape.
pub const USER_AGENT: &str = concat!("mattermost_metrics/", env!("CARGO_PKG_VERSION"));

/// Default of [`ScrapeConfig::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default of [`ScrapeConfig::max_body_bytes`]: 64 MiB. A busy Mattermost
/// node serves 0.5 to 5 MB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// The same, in MB, as the front ends' settings write it.
pub const DEFAULT_MAX_BODY_MB: &str = "64";

/// How many redirects a scrape follows before it fails.
pub(crate) const MAX_REDIRECTS: u32 = 5;

/// How much of an error page is read to quote in an error message.
const ERROR_BODY_READ: u64 = 4096;
/// How many characters of it are quoted.
const ERROR_BODY_QUOTE: usize = 160;

/// A credential: printed as `********` by `Debug` and `Display`, so that a
/// config or an error can be logged whole. [`Secret::expose`] is the only way
/// to the text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret text, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// An HTTP proxy to go through. `Debug` shows its URL only.
#[derive(Clone)]
pub struct ProxyConfig {
    /// `http://proxy.example.com:3128`, without credentials.
    pub url: String,
    /// Basic credentials, when the proxy asks for them.
    pub username: Option<String>,
    pub password: Option<Secret>,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("url", &redact_url(&self.url))
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl ProxyConfig {
    /// ureq's proxy, credentials in its URL (percent-encoded). Errors name
    /// the proxy without credentials.
    pub fn to_ureq(&self) -> anyhow::Result<ureq::Proxy> {
        let shown = redact_url(&self.url);
        let mut u = url::Url::parse(self.url.trim())
            .map_err(|e| anyhow!("proxy {shown:?} is not a URL ({e})"))?;
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            bail!("proxy {shown:?}: expected http://HOST:PORT (an HTTP proxy)");
        }
        if let Some(user) = &self.username {
            let _ = u.set_username(user);
            let _ = u.set_password(self.password.as_ref().map(Secret::expose));
        }
        ureq::Proxy::new(u.as_str()).map_err(|e| anyhow!("proxy {shown}: {e}"))
    }
}

/// How a scrape authenticates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header (Mattermost's metrics listener has none).
    #[default]
    None,
    /// `Authorization: Bearer <token>` (e.g. a reverse proxy in front).
    Bearer(Secret),
    /// `Authorization: Basic base64(username:password)`.
    Basic { username: String, password: Secret },
}

/// What to scrape and how. `Debug` hides credentials, in [`Auth`] and in the
/// URL.
#[derive(Clone)]
pub struct ScrapeConfig {
    /// `http://` or `https://`, e.g. `http://mm1:8067/metrics`.
    pub url: String,
    /// The whole request: resolve + connect + TLS + response + body.
    pub timeout: Duration,
    /// Check the server's certificate and name (default `true`).
    pub verify_tls: bool,
    /// PEM file of the CA certificates that sign the server's certificate.
    /// When set, these are the only trusted roots (the built-in Mozilla roots
    /// are not used); see the module documentation.
    pub ca_bundle: Option<PathBuf>,
    /// PEM certificate chain (leaf first) for mutual TLS. May also hold the
    /// private key, in which case `client_key` can be left out.
    pub client_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1; unencrypted) of `client_cert`.
    pub client_key: Option<PathBuf>,
    pub auth: Auth,
    /// Cap on the body, counted after decompression.
    pub max_body_bytes: u64,
    /// How error messages name the settings above.
    pub names: SettingNames,
    /// The HTTP proxy to go through; `None`: straight to the target.
    pub proxy: Option<ProxyConfig>,
}

impl ScrapeConfig {
    /// A config with the defaults: 10 s timeout, verification on, webpki
    /// roots, no client certificate, no auth, 64 MiB cap.
    pub fn new(url: impl Into<String>) -> ScrapeConfig {
        ScrapeConfig {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
            verify_tls: true,
            ca_bundle: None,
            client_cert: None,
            client_key: None,
            auth: Auth::None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            names: SettingNames::FIELDS,
            proxy: None,
        }
    }
}

impl fmt::Debug for ScrapeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScrapeConfig")
            .field("url", &redact_url(&self.url))
            .field("timeout", &self.timeout)
            .field("verify_tls", &self.verify_tls)
            .field("ca_bundle", &self.ca_bundle)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("auth", &self.auth)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// A successful scrape.
#[derive(Clone)]
pub struct Scrape {
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// The format its `Content-Type` names.
    pub format: Format,
    /// The `Content-Type` header as received (empty if there was none).
    pub content_type: String,
    /// From sending the request to the end of the body.
    pub duration: Duration,
    /// The HTTP status (2xx).
    pub status: u16,
}

impl fmt::Debug for Scrape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrape")
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("format", &self.format)
            .field("content_type", &self.content_type)
            .field("duration", &self.duration)
            .field("status", &self.status)
            .finish()
    }
}

/// Scrapes one URL; build it once and call [`Scraper::scrape`] on every
/// interval (idle connections are kept for a few seconds and reused).
pub struct Scraper {
    agent: ureq::Agent,
    /// The URL requested (the same as `display_url`: a URL with
    /// credentials is refused).
    request_url: String,
    display_url: String,
    host: String,
    timeout: Duration,
    max_body_bytes: u64,
    authorization: Option<Secret>,
    /// Credential texts to blank out of anything quoted from the server.
    secrets: Vec<Secret>,
    has_client_cert: bool,
    names: SettingNames,
}

impl fmt::Debug for Scraper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scraper")
            .field("url", &self.display_url)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("authorization", &self.authorization)
            .field("client_cert", &self.has_client_cert)
            .finish()
    }
}

impl Scraper {
    /// Checks the config and loads the CA bundle and the client certificate
    /// and key. Errors name the setting, the file and what is wrong with it.
    pub fn new(cfg: &ScrapeConfig) -> anyhow::Result<Scraper> {
        let url = cfg.url.trim().to_string();
        let display_url = redact_url(&url);
        let host = check_url(&url).map_err(|p| match p {
            UrlProblem::Credentials => anyhow!(
                "url {display_url}: {p}: set them as basic auth (username and password) instead"
            ),
            p => anyhow!("url {display_url:?}: {p}"),
        })?;
        // What ureq itself will parse.
        let _: ureq::http::Uri = url
            .parse()
            .map_err(|e| anyhow!("url {display_url:?}: is not a valid URL ({e})"))?;
        let https = address::scheme(&url).is_some_and(|s| s.eq_ignore_ascii_case("https"));
        if cfg.timeout.is_zero() {
            bail!("timeout must be more than 0");
        }
        if cfg.max_body_bytes == 0 {
            bail!("max_body_bytes must be more than 0");
        }

        let (authorization, secrets) = authorization(&cfg.auth)?;

        let mut tls = TlsConfig::builder();
        let roots = match &cfg.ca_bundle {
            Some(path) => Some(load_ca_bundle(path)?),
            None => None,
        };
        if !cfg.verify_tls {
            tls = tls.disable_verification(true);
        } else if let Some(roots) = roots {
            tls = tls.root_certs(RootCerts::Specific(Arc::new(roots)));
        } else {
            tls = tls.root_certs(RootCerts::WebPki);
        }
        let client_cert = load_client_cert(cfg.client_cert.as_deref(), cfg.client_key.as_deref())?;
        let has_client_cert = client_cert.is_some();
        tls = tls.client_cert(client_cert);

        let proxy = cfg.proxy.as_ref().map(ProxyConfig::to_ureq).transpose()?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(USER_AGENT)
            .accept(ACCEPT)
            .accept_encoding("gzip")
            .max_redirects(MAX_REDIRECTS)
            .redirect_auth_headers(RedirectAuthHeaders::Never)
            // No redirect from https to plain http.
            .https_only(https)
            .tls_config(tls.build())
            .build();

        Ok(Scraper {
            agent: config.new_agent(),
            request_url: url,
            display_url,
            host,
            timeout: cfg.timeout,
            max_body_bytes: cfg.max_body_bytes,
            authorization,
            secrets,
            has_client_cert,
            names: cfg.names,
        })
    }

    /// The URL this scraper fetches, without credentials.
    pub fn url(&self) -> &str {
        &self.display_url
    }

    /// One GET of the URL.
    pub fn scrape(&self) -> Result<Scrape, ScrapeError> {
        let start = Instant::now();
        let mut request = self.agent.get(&self.request_url);
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth.expose());
        }
        let mut response = request.call().map_err(|e| self.error(e, Phase::Request))?;

        let status = response.status().as_u16();
        let headers = response.headers();
        let content_type = headers
            .get("content-type")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .unwrap_or_default();
        let content_encoding = headers
            .get("content-encoding")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .unwrap_or_default();

        if !(200..300).contains(&status) {
            let final_url = response.get_uri().to_string();
            let redirected_to = (final_url != self.request_url).then(|| redact_url(&final_url));
            let mut page = Vec::new();
            // Best effort: the status is the error, the page only a clue.
            let _ = response
                .body_mut()
                .with_config()
                .limit(ERROR_BODY_READ)
                .reader()
                .take(ERROR_BODY_READ)
                .read_to_end(&mut page);
            return Err(ScrapeError::HttpStatus {
                url: self.display_url.clone(),
                status,
                reason: response
                    .status()
                    .canonical_reason()
                    .unwrap_or("")
                    .to_string(),
                auth_sent: self.authorization.is_some(),
                redirected_to,
                body: self.quote(&page, &content_type),
                auth_setting: self.names.auth,
            });
        }

        let format =
            Format::from_content_type(&content_type).ok_or_else(|| ScrapeError::NotMetrics {
                url: self.display_url.clone(),
                content_type: content_type.clone(),
            })?;

        // ureq decodes exactly `gzip`; anything else would reach the parser
        // still encoded.
        if !(content_encoding.is_empty()
            || content_encoding == "gzip"
            || content_encoding.eq_ignore_ascii_case("identity"))
        {
            return Err(ScrapeError::BadEncoding {
                url: self.display_url.clone(),
                detail: format!(
                    "unsupported Content-Encoding {content_encoding:?}; we ask for gzip or none"
                ),
            });
        }

        let capacity = response
            .body()
            .content_length()
            .unwrap_or(0)
            .min(self.max_body_bytes)
            .min(16 * 1024 * 1024) as usize;
        let mut body = Vec::with_capacity(capacity);
        response
            .into_body()
            .into_with_config()
            .limit(self.max_body_bytes)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| self.error(ureq::Error::from(e), Phase::Body))?;

        Ok(Scrape {
            body,
            format,
            content_type,
            duration: start.elapsed(),
            status,
        })
    }

    /// An error page's start, on one line, without our credentials.
    fn quote(&self, page: &[u8], content_type: &str) -> String {
        let text = String::from_utf8_lossy(page);
        let text = if content_type.to_ascii_lowercase().contains("html") {
            strip_tags(&text)
        } else {
            text.into_owned()
        };
        let mut text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for s in &self.secrets {
            if !s.is_empty() {
                text = text.replace(s.expose(), "********");
            }
        }
        if text.chars().count() > ERROR_BODY_QUOTE {
            text = text.chars().take(ERROR_BODY_QUOTE).collect::<String>() + "...";
        }
        text
    }

    fn error(&self, err: ureq::Error, phase: Phase) -> ScrapeError {
        let ctx = Ctx {
            url: &self.display_url,
            host: &self.host,
            timeout: self.timeout,
            has_client_cert: self.has_client_cert,
            names: self.names,
        };
        classify(err, phase, &ctx)
    }
}

/// The `Authorization` header of `auth`, and the texts to hide.
fn authorization(auth: &Auth) -> anyhow::Result<(Option<Secret>, Vec<Secret>)> {
    Ok(match auth {
        Auth::None => (None, Vec::new()),
        Auth::Bearer(token) => {
            if token.is_empty() {
                bail!("auth: the bearer token is empty");
            }
            if !header_safe(token.expose()) {
                bail!(
                    "auth: the bearer token holds characters an HTTP header cannot carry \
                     (control characters or a line break; the token is not shown)"
                );
            }
            (
                Some(Secret(format!("Bearer {}", token.expose()))),
                vec![token.clone()],
            )
        }
        Auth::Basic { username, password } => {
            if username.contains(':') {
                bail!("auth: the basic auth username {username:?} contains ':', which basic auth cannot carry");
            }
            if username.chars().any(char::is_control)
                || password.expose().chars().any(char::is_control)
            {
                bail!("auth: the basic auth username or password holds control characters (not shown)");
            }
            let encoded = base64(format!("{username}:{}", password.expose()).as_bytes());
            (
                Some(Secret(format!("Basic {encoded}"))),
                vec![password.clone(), Secret(encoded)],
            )
        }
    })
}

fn header_safe(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// Text of an HTML page, tags removed.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cap_in_bytes_and_mb_agree() {
        assert_eq!(
            DEFAULT_MAX_BODY_MB.parse::<u64>().unwrap() << 20,
            DEFAULT_MAX_BODY_BYTES
        );
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
