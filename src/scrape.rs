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
//!   [`Scraper::new`]: the URL is logged, so they belong in [`Auth`].
//! - One timeout covers the whole exchange: name resolution, connect, TLS,
//!   request, response headers and the whole body, redirects included.
//! - Proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, ...) are not
//!   used, as with Prometheus' default: a metrics endpoint is scraped
//!   directly.
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
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use ureq::config::RedirectAuthHeaders;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
use ureq::ResponseExt;

use crate::exposition::Format;

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

/// How many redirects a scrape follows before it fails.
const MAX_REDIRECTS: u32 = 5;

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

/// Which TLS check failed, for [`ScrapeError::Tls`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The server's certificate is self-signed or signed by a CA we do not
    /// trust.
    UnknownIssuer,
    /// The server's certificate does not name the host of the URL.
    HostnameMismatch,
    /// The server's certificate has expired.
    Expired,
    /// The server's certificate is not valid yet.
    NotYetValid,
    /// The server asks for a client certificate and we have none.
    ClientCertRequired,
    /// The server refused our client certificate.
    ClientCertRejected,
    /// The server did not answer with TLS (a plain HTTP port).
    NotTls,
    /// Anything else.
    Other,
}

/// Why a scrape failed. `Display` is one line naming the URL (credentials
/// removed) and what to check; [`ScrapeError::kind`] is a short stable name.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScrapeError {
    /// Nothing listens on the port (`connection_refused`).
    ConnectionRefused { url: String },
    /// The host name does not resolve (`dns`).
    Dns {
        url: String,
        host: String,
        detail: String,
    },
    /// Another failure to connect: unreachable network or host (`connect`).
    Connect { url: String, detail: String },
    /// The TLS handshake failed (`tls`).
    Tls {
        url: String,
        problem: TlsProblem,
        detail: String,
    },
    /// No complete answer within the timeout (`timeout`).
    Timeout {
        url: String,
        timeout: Duration,
        during: &'static str,
    },
    /// The server closed the connection without answering (`closed`).
    Closed { url: String, detail: String },
    /// The answer was not valid HTTP/1.x (`protocol`).
    Protocol { url: String, detail: String },
    /// Too many redirects, or a redirect that cannot be followed (`redirect`).
    Redirect { url: String, detail: String },
    /// A status outside 2xx (`http_status`).
    HttpStatus {
        url: String,
        status: u16,
        reason: String,
        /// Whether we sent an `Authorization` header.
        auth_sent: bool,
        /// Where a redirect led, if it did (credentials removed).
        redirected_to: Option<String>,
        /// The start of the error page, on one line.
        body: String,
    },
    /// A `Content-Type` that is neither Prometheus text nor OpenMetrics
    /// (`not_metrics`).
    NotMetrics { url: String, content_type: String },
    /// The decoded body is larger than the cap (`too_large`).
    TooLarge { url: String, limit: u64 },
    /// A corrupt gzip body or an unsupported `Content-Encoding`
    /// (`bad_encoding`).
    BadEncoding { url: String, detail: String },
    /// The connection closed before the end of the body (`truncated`).
    Truncated { url: String, detail: String },
    /// Any other I/O failure (`io`).
    Io { url: String, detail: String },
}

impl ScrapeError {
    /// A short stable name of the failure, for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            ScrapeError::ConnectionRefused { .. } => "connection_refused",
            ScrapeError::Dns { .. } => "dns",
            ScrapeError::Connect { .. } => "connect",
            ScrapeError::Tls { .. } => "tls",
            ScrapeError::Timeout { .. } => "timeout",
            ScrapeError::Closed { .. } => "closed",
            ScrapeError::Protocol { .. } => "protocol",
            ScrapeError::Redirect { .. } => "redirect",
            ScrapeError::HttpStatus { .. } => "http_status",
            ScrapeError::NotMetrics { .. } => "not_metrics",
            ScrapeError::TooLarge { .. } => "too_large",
            ScrapeError::BadEncoding { .. } => "bad_encoding",
            ScrapeError::Truncated { .. } => "truncated",
            ScrapeError::Io { .. } => "io",
        }
    }

    /// The URL scraped, without credentials.
    pub fn url(&self) -> &str {
        match self {
            ScrapeError::ConnectionRefused { url }
            | ScrapeError::Dns { url, .. }
            | ScrapeError::Connect { url, .. }
            | ScrapeError::Tls { url, .. }
            | ScrapeError::Timeout { url, .. }
            | ScrapeError::Closed { url, .. }
            | ScrapeError::Protocol { url, .. }
            | ScrapeError::Redirect { url, .. }
            | ScrapeError::HttpStatus { url, .. }
            | ScrapeError::NotMetrics { url, .. }
            | ScrapeError::TooLarge { url, .. }
            | ScrapeError::BadEncoding { url, .. }
            | ScrapeError::Truncated { url, .. }
            | ScrapeError::Io { url, .. } => url,
        }
    }

    /// The HTTP status, for [`ScrapeError::HttpStatus`].
    pub fn status(&self) -> Option<u16> {
        match self {
            ScrapeError::HttpStatus { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ScrapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScrapeError::ConnectionRefused { url } => write!(
                f,
                "connection refused by {url}: is Mattermost running and is \
                 MetricsSettings.ListenAddress this port?"
            ),
            ScrapeError::Dns { url, host, detail } => write!(
                f,
                "cannot resolve the host {host:?} of {url} ({detail}): check the host name \
                 and this machine's DNS"
            ),
            ScrapeError::Connect { url, detail } => write!(
                f,
                "cannot connect to {url} ({detail}): check the host, the port and any \
                 firewall between this forwarder and the node"
            ),
            ScrapeError::Tls {
                url,
                problem,
                detail,
            } => {
                write!(f, "TLS handshake with {url} failed: ")?;
                match problem {
                    TlsProblem::UnknownIssuer => write!(
                        f,
                        "the server's certificate is self-signed or signed by a CA that is not \
                         trusted ({detail}): set a CA bundle (ca_bundle) holding the CA that \
                         signed it, or turn verification off (verify_tls = false)"
                    ),
                    TlsProblem::HostnameMismatch => write!(
                        f,
                        "hostname mismatch: the server's certificate is not valid for the host \
                         of the URL ({detail}): use a host name the certificate lists, or \
                         reissue the certificate for this name"
                    ),
                    TlsProblem::Expired => write!(
                        f,
                        "the server's certificate has expired ({detail}): renew it, or check \
                         this machine's clock"
                    ),
                    TlsProblem::NotYetValid => write!(
                        f,
                        "the server's certificate is not valid yet ({detail}): check the clocks \
                         of this machine and of the server"
                    ),
                    TlsProblem::ClientCertRequired => write!(
                        f,
                        "the server requires a client certificate ({detail}): set client_cert \
                         and client_key"
                    ),
                    TlsProblem::ClientCertRejected => write!(
                        f,
                        "the server rejected our client certificate ({detail}): check that \
                         client_cert is signed by a CA the server trusts for clients and has \
                         not expired"
                    ),
                    TlsProblem::NotTls => write!(
                        f,
                        "the server did not answer with TLS ({detail}): if this port serves \
                         plain HTTP, use http:// (Mattermost's metrics listener is plain HTTP \
                         unless a proxy fronts it)"
                    ),
                    TlsProblem::Other => write!(f, "{detail}"),
                }
            }
            ScrapeError::Timeout {
                url,
                timeout,
                during,
            } => write!(
                f,
                "timed out: no complete answer from {url} within {} while {during}: is the node \
                 up and the port reachable (a firewall that drops packets looks like this), or \
                 is it overloaded? raise the timeout if its scrapes are just slow",
                fmt_duration(*timeout)
            ),
            ScrapeError::Closed { url, detail } => {
                write!(f, "{url} closed the connection without answering ({detail}): is this port an HTTP endpoint?")?;
                if url.starts_with("https://") {
                    write!(f, " if it serves plain HTTP, use http://; a server that requires a client certificate may also do this")
                } else {
                    write!(f, " if it serves TLS, use https://")
                }
            }
            ScrapeError::Protocol { url, detail } => {
                write!(
                    f,
                    "{url} did not answer with valid HTTP ({detail}): is this the metrics port?"
                )?;
                if url.starts_with("http://") {
                    write!(f, " if it serves TLS, use https://")?;
                }
                Ok(())
            }
            ScrapeError::Redirect { url, detail } => write!(
                f,
                "redirect from {url} not followed ({detail}): point the URL at the metrics \
                 endpoint itself"
            ),
            ScrapeError::HttpStatus {
                url,
                status,
                reason,
                auth_sent,
                redirected_to,
                body,
            } => {
                write!(f, "HTTP {status}")?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                write!(f, " from {url}")?;
                if let Some(to) = redirected_to {
                    write!(f, " (redirected to {to})")?;
                }
                f.write_str(": ")?;
                status_hint(f, *status, *auth_sent, redirected_to.is_some())?;
                if !body.is_empty() {
                    write!(f, "; the server said: {body:?}")?;
                }
                Ok(())
            }
            ScrapeError::NotMetrics { url, content_type } => write!(
                f,
                "{url} answered with Content-Type {content_type:?}, which is neither Prometheus \
                 text (text/plain) nor OpenMetrics (application/openmetrics-text): check that \
                 the URL is the metrics endpoint (MetricsSettings.ListenAddress, path \
                 /metrics), not the web app or a proxy's page"
            ),
            ScrapeError::TooLarge { url, limit } => write!(
                f,
                "the body from {url} is larger than the limit of {limit} bytes (max_body_bytes, \
                 counted after decompression): raise the limit if this node really serves that \
                 much, or check that the URL is the metrics endpoint"
            ),
            ScrapeError::BadEncoding { url, detail } => {
                write!(f, "the body from {url} cannot be decoded ({detail}): the server or a proxy in front of it sent a corrupt or unsupported encoding")
            }
            ScrapeError::Truncated { url, detail } => write!(
                f,
                "the body from {url} was truncated: the connection closed before its end \
                 ({detail}): the server or a proxy dropped the connection; check their logs"
            ),
            ScrapeError::Io { url, detail } => write!(f, "I/O error scraping {url}: {detail}"),
        }
    }
}

fn status_hint(
    f: &mut fmt::Formatter<'_>,
    status: u16,
    auth_sent: bool,
    redirected: bool,
) -> fmt::Result {
    match status {
        401 | 403 if redirected && auth_sent => f.write_str(
            "credentials are not sent along a redirect: set the URL to where it redirects",
        ),
        401 if auth_sent => f.write_str(
            "the endpoint refused the credentials: check the bearer token or the username and \
             password",
        ),
        401 => f.write_str("the endpoint needs credentials: set a bearer token or basic auth"),
        403 if auth_sent => f.write_str(
            "the credentials were refused (forbidden): check that this account may read the \
             metrics",
        ),
        403 => f.write_str(
            "the endpoint refused this client: it may need credentials, or to allow this \
             forwarder's address",
        ),
        404 => f.write_str(
            "Mattermost serves /metrics only when MetricsSettings.Enable is true and the licence \
             includes metrics (Enterprise), on MetricsSettings.ListenAddress, default :8067; \
             check the port and that the path is /metrics",
        ),
        408 | 429 => f.write_str("the server is busy or limits requests: scrape less often"),
        500..=599 => f.write_str(
            "the server failed; check Mattermost's logs (502, 503 or 504 from a proxy in front \
             of it mean Mattermost behind it is down or slow)",
        ),
        300..=399 => {
            f.write_str("a redirect that could not be followed: set the URL to its target")
        }
        _ => f.write_str("check the URL"),
    }
}

impl std::error::Error for ScrapeError {}

/// Where in the exchange an error happened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Resolve, connect, TLS, request, response headers.
    Request,
    /// Reading the body.
    Body,
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
        let (scheme, authority) = split_url(&url);
        if authority.contains('@') {
            bail!(
                "url {display_url}: credentials in the URL are not accepted, because the URL is \
                 logged: set them as basic auth (username and password) instead"
            );
        }
        match scheme.map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("http") | Some("https") => {}
            Some(other) => bail!(
                "url {display_url}: scheme {other:?} is not supported: use http:// or https://"
            ),
            None => bail!("url {display_url:?}: not a URL: use http://HOST:PORT/metrics"),
        }
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|e| anyhow!("url {display_url:?}: not a valid URL: {e}"))?;
        let host = match uri.host() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_string(),
            _ => bail!("url {display_url}: no host: use http://HOST:PORT/metrics"),
        };
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

        let config = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(USER_AGENT)
            .accept(ACCEPT)
            .accept_encoding("gzip")
            .max_redirects(MAX_REDIRECTS)
            .redirect_auth_headers(RedirectAuthHeaders::Never)
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
        classify(
            err,
            phase,
            &self.display_url,
            &self.host,
            self.timeout,
            self.has_client_cert,
        )
    }
}

/// Turns a ureq error into ours.
fn classify(
    err: ureq::Error,
    phase: Phase,
    url: &str,
    host: &str,
    timeout: Duration,
    has_client_cert: bool,
) -> ScrapeError {
    use ureq::Error as E;
    let url = url.to_string();
    let during = match phase {
        Phase::Request => "connecting or waiting for the response",
        Phase::Body => "reading the body",
    };
    match err {
        E::Timeout(_) => ScrapeError::Timeout {
            url,
            timeout,
            during,
        },
        E::HostNotFound => ScrapeError::Dns {
            url,
            host: host.to_string(),
            detail: "no address found".to_string(),
        },
        E::BodyExceedsLimit(limit) => ScrapeError::TooLarge { url, limit },
        E::Decompress(_, io) => {
            if is_disconnect(&io) {
                ScrapeError::Truncated {
                    url,
                    detail: format!("inside the gzip stream: {io}"),
                }
            } else {
                let e = ureq::Error::from(io);
                match e {
                    // A timeout or the cap surfaced through the decoder.
                    E::Timeout(_) | E::BodyExceedsLimit(_) | E::Rustls(_) => {
                        classify(e, phase, &url, host, timeout, has_client_cert)
                    }
                    other => ScrapeError::BadEncoding {
                        url,
                        detail: format!("corrupt gzip: {}", strip_io_prefix(&other)),
                    },
                }
            }
        }
        E::Rustls(e) => tls_error(url, &e, has_client_cert),
        E::Tls(msg) => ScrapeError::Tls {
            url,
            problem: TlsProblem::Other,
            detail: msg.to_string(),
        },
        E::Io(io) => {
            if let Some(e) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                return tls_error(url, e, has_client_cert);
            }
            let detail = io.to_string();
            match io.kind() {
                io::ErrorKind::ConnectionRefused => ScrapeError::ConnectionRefused { url },
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ScrapeError::Timeout {
                    url,
                    timeout,
                    during,
                },
                io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => match phase {
                    Phase::Body => ScrapeError::Truncated { url, detail },
                    Phase::Request => ScrapeError::Closed { url, detail },
                },
                _ if detail.starts_with("failed to lookup address information") => {
                    ScrapeError::Dns {
                        url,
                        host: host.to_string(),
                        detail: detail
                            .trim_start_matches("failed to lookup address information")
                            .trim_start_matches(':')
                            .trim()
                            .to_string(),
                    }
                }
                io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::NetworkDown => ScrapeError::Connect { url, detail },
                _ => ScrapeError::Io { url, detail },
            }
        }
        E::Protocol(p) => ScrapeError::Protocol {
            url,
            detail: p.to_string(),
        },
        E::LargeResponseHeader(size, limit) => ScrapeError::Protocol {
            url,
            detail: format!("response headers of {size} bytes, more than the {limit} allowed"),
        },
        E::TooManyRedirects => ScrapeError::Redirect {
            url,
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        },
        E::RedirectFailed => ScrapeError::Redirect {
            url,
            detail: "redirect failed".to_string(),
        },
        E::ConnectionFailed => ScrapeError::Connect {
            url,
            detail: "connection failed".to_string(),
        },
        other => ScrapeError::Io {
            url,
            detail: other.to_string(),
        },
    }
}

/// ureq's "the peer went away" (a body cut short), as the gzip decoder
/// passes it on; flate2's own "unexpected end of file" (a gzip stream that
/// ends early inside a complete body) is a corrupt encoding instead.
fn is_disconnect(io: &io::Error) -> bool {
    match io.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => true,
        io::ErrorKind::UnexpectedEof => io.to_string().contains("Peer disconnected"),
        _ => false,
    }
}

fn strip_io_prefix(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

fn tls_error(url: String, e: &rustls::Error, has_client_cert: bool) -> ScrapeError {
    use rustls::{AlertDescription as A, CertificateError as C, Error as R};
    let (problem, detail) = match e {
        R::InvalidCertificate(c) => match c {
            C::UnknownIssuer => (TlsProblem::UnknownIssuer, "unknown issuer".to_string()),
            // webpki finds the issuer by name: a CA of the same name but
            // another key (e.g. one made again) fails on the signature.
            C::BadSignature => (
                TlsProblem::UnknownIssuer,
                "bad signature: signed by another CA of the same name".to_string(),
            ),
            C::NotValidForName => (
                TlsProblem::HostnameMismatch,
                "not valid for this name".to_string(),
            ),
            C::NotValidForNameContext {
                expected,
                presented,
            } => (
                TlsProblem::HostnameMismatch,
                format!(
                    "it names {}, not {}",
                    if presented.is_empty() {
                        "no host".to_string()
                    } else {
                        presented
                            .iter()
                            .map(|n| presented_name(n))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    server_name(expected)
                ),
            ),
            C::Expired => (TlsProblem::Expired, "expired".to_string()),
            C::ExpiredContext { time, not_after } => (
                TlsProblem::Expired,
                format!(
                    "valid until {}, now {}",
                    fmt_unix(not_after.as_secs()),
                    fmt_unix(time.as_secs())
                ),
            ),
            C::NotValidYet => (TlsProblem::NotYetValid, "not valid yet".to_string()),
            C::NotValidYetContext { time, not_before } => (
                TlsProblem::NotYetValid,
                format!(
                    "valid from {}, now {}",
                    fmt_unix(not_before.as_secs()),
                    fmt_unix(time.as_secs())
                ),
            ),
            other => (
                TlsProblem::Other,
                format!("invalid server certificate: {other:?}"),
            ),
        },
        R::AlertReceived(alert) => {
            let detail = format!("the server sent the alert {alert:?}");
            let problem = match alert {
                A::CertificateRequired => {
                    if has_client_cert {
                        TlsProblem::ClientCertRejected
                    } else {
                        TlsProblem::ClientCertRequired
                    }
                }
                A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::UnknownCA
                | A::AccessDenied
                | A::DecryptError => {
                    if has_client_cert {
                        TlsProblem::ClientCertRejected
                    } else {
                        TlsProblem::ClientCertRequired
                    }
                }
                _ => TlsProblem::Other,
            };
            (problem, detail)
        }
        R::InvalidMessage(m) => (TlsProblem::NotTls, format!("invalid TLS message: {m:?}")),
        other => (TlsProblem::Other, other.to_string()),
    };
    ScrapeError::Tls {
        url,
        problem,
        detail,
    }
}

/// A name as rustls presents it (`DnsName("a.example")`), without the
/// Rust wrapping.
fn presented_name(name: &str) -> &str {
    match (name.find('('), name.rfind(')')) {
        (Some(open), Some(close)) if open < close => name[open + 1..close].trim_matches('"'),
        _ => name,
    }
}

fn server_name(name: &rustls::pki_types::ServerName<'_>) -> String {
    match name {
        rustls::pki_types::ServerName::DnsName(d) => d.as_ref().to_string(),
        rustls::pki_types::ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
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

fn read_file(setting: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow!("{setting} {}: cannot read it: {e}", path.display()))
}

fn not_pem_hint(bytes: &[u8]) -> &'static str {
    if bytes.first() == Some(&0x30) {
        " (it looks like DER: convert it with `openssl x509 -inform der -in FILE -out FILE.pem`)"
    } else {
        ""
    }
}

/// The CA certificates of a PEM bundle, each checked as a trust anchor.
fn load_ca_bundle(path: &Path) -> anyhow::Result<Vec<Certificate<'static>>> {
    let bytes = read_file("ca_bundle", path)?;
    let mut certs = Vec::new();
    let mut store = rustls::RootCertStore::empty();
    for (i, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = item.map_err(|e| {
            anyhow!(
                "ca_bundle {}: certificate #{} is not valid PEM: {e}",
                path.display(),
                i + 1
            )
        })?;
        store.add(der.clone()).map_err(|e| {
            anyhow!(
                "ca_bundle {}: certificate #{} cannot be used as a CA: {e}",
                path.display(),
                i + 1
            )
        })?;
        certs.push(Certificate::from_der(der.as_ref()).to_owned());
    }
    if certs.is_empty() {
        bail!(
            "ca_bundle {}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block){}",
            path.display(),
            not_pem_hint(&bytes)
        );
    }
    Ok(certs)
}

/// The client certificate chain and key for mutual TLS, checked to match.
fn load_client_cert(cert: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Option<ClientCert>> {
    let cert_path = match (cert, key) {
        (None, None) => return Ok(None),
        (None, Some(key)) => bail!(
            "client_key {} is set without client_cert: set both for mutual TLS",
            key.display()
        ),
        (Some(cert), _) => cert,
    };
    let cert_bytes = read_file("client_cert", cert_path)?;
    let mut chain_der = Vec::new();
    for (i, item) in CertificateDer::pem_slice_iter(&cert_bytes).enumerate() {
        chain_der.push(item.map_err(|e| {
            anyhow!(
                "client_cert {}: certificate #{} is not valid PEM: {e}",
                cert_path.display(),
                i + 1
            )
        })?);
    }
    if chain_der.is_empty() {
        bail!(
            "client_cert {}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block){}",
            cert_path.display(),
            not_pem_hint(&cert_bytes)
        );
    }

    let (key_setting, key_path, key_bytes) = match key {
        Some(key) => ("client_key", key, read_file("client_key", key)?),
        None => ("client_cert", cert_path, cert_bytes.clone()),
    };
    let text = String::from_utf8_lossy(&key_bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        bail!(
            "{key_setting} {}: the private key is encrypted; give an unencrypted key \
             (`openssl pkey -in KEY -out KEY.plain.pem`) and protect the file instead",
            key_path.display()
        );
    }
    let key_der = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => match key {
            Some(_) => anyhow!(
                "client_key {}: no PEM private key in it (no -----BEGIN PRIVATE KEY-----, RSA \
                 PRIVATE KEY or EC PRIVATE KEY block){}",
                key_path.display(),
                not_pem_hint(&key_bytes)
            ),
            None => anyhow!(
                "client_cert {} is set without client_key, and holds no private key: set \
                 client_key to the certificate's key",
                cert_path.display()
            ),
        },
        other => anyhow!(
            "{key_setting} {}: the private key is not valid PEM: {other}",
            key_path.display()
        ),
    })?;

    // ureq panics on a key that rustls cannot use or that does not match the
    // certificate: check both here, with the provider ureq uses.
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    if let Err(e) =
        rustls::sign::CertifiedKey::from_der(chain_der.clone(), key_der.clone_key(), &provider)
    {
        match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => bail!(
                "{key_setting} {} does not match the certificate of client_cert {}: give the key \
                 the certificate was issued for",
                key_path.display(),
                cert_path.display()
            ),
            other => bail!(
                "{key_setting} {}: the private key cannot be used: {other} (RSA, ECDSA P-256/P-384 \
                 and Ed25519 are supported)",
                key_path.display()
            ),
        }
    }

    let chain: Vec<Certificate<'static>> = chain_der
        .iter()
        .map(|d| Certificate::from_der(d.as_ref()).to_owned())
        .collect();
    let key = PrivateKey::from_pem(&key_bytes).map_err(|e| {
        anyhow!(
            "{key_setting} {}: the private key cannot be read: {e}",
            key_path.display()
        )
    })?;
    Ok(Some(ClientCert::new_with_certs(&chain, key)))
}

/// Splits a URL into its scheme and authority (`user:pass@host:port`).
fn split_url(url: &str) -> (Option<&str>, &str) {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            (Some(&url[..i]), &rest[..end])
        }
        None => (None, ""),
    }
}

/// `url` without its userinfo (`http://user:pass@host/` -> `http://host/`),
/// for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[i + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}{}", &url[..i + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
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

/// `10s`, `1.5s`, `250ms`.
fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn fmt_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_req(err: ureq::Error) -> ScrapeError {
        classify(
            err,
            Phase::Request,
            "http://mm1:8067/metrics",
            "mm1",
            Duration::from_secs(5),
            false,
        )
    }

    // DNS failures are tested here, on the errors ureq gives, because a real
    // lookup of an unknown name would leave this machine.
    #[test]
    fn dns_failure_from_the_resolver() {
        let io =
            io::Error::other("failed to lookup address information: Name or service not known");
        let e = classify_req(ureq::Error::Io(io));
        assert_eq!(e.kind(), "dns");
        let msg = e.to_string();
        assert!(msg.contains("cannot resolve the host \"mm1\""), "{msg}");
        assert!(msg.contains("Name or service not known"), "{msg}");
        assert!(msg.contains("http://mm1:8067/metrics"), "{msg}");
    }

    #[test]
    fn dns_failure_no_address() {
        let e = classify_req(ureq::Error::HostNotFound);
        assert_eq!(e.kind(), "dns");
        assert!(e.to_string().contains("check the host name"), "{e}");
    }

    #[test]
    fn unreachable_is_connect() {
        let e = classify_req(ureq::Error::Io(io::Error::from(
            io::ErrorKind::NetworkUnreachable,
        )));
        assert_eq!(e.kind(), "connect");
        assert!(e.to_string().contains("firewall"), "{e}");
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

    #[test]
    fn redacts_userinfo() {
        assert_eq!(redact_url("http://u:p@h:1/metrics"), "http://h:1/metrics");
        assert_eq!(
            redact_url("https://h/metrics?a=b@c"),
            "https://h/metrics?a=b@c"
        );
        assert_eq!(redact_url("http://h:8067/metrics"), "http://h:8067/metrics");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn formats_times() {
        assert_eq!(fmt_unix(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(fmt_unix(978_307_200), "2001-01-01 00:00:00 UTC");
        assert_eq!(fmt_unix(1_709_210_096), "2024-02-29 12:34:56 UTC");
        assert_eq!(fmt_duration(Duration::from_secs(10)), "10s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
    }
}
