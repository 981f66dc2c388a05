//! Why a scrape failed, in words an operator can act on: the error type,
//! the mapping from ureq's and rustls' errors onto it, and the hints.

use std::fmt;
use std::io;
use std::time::Duration;

use super::{SettingNames, MAX_REDIRECTS};
use crate::values::fmt_duration;

/// Where in the exchange an error happened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Resolve, connect, TLS, request, response headers.
    Request,
    /// Reading the body.
    Body,
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
    /// The server presents a CA certificate (`CA:TRUE`, e.g. a self-signed
    /// CA made for it) as its own certificate.
    CaAsServerCert,
    /// The certificate is not for TLS servers (its extended key usage
    /// lacks serverAuth).
    WrongPurpose,
    /// Signed with an algorithm rustls refuses (SHA-1, MD5, small RSA keys).
    WeakSignature,
    /// The certificate (chain) is malformed or breaks the X.509 rules
    /// (an unknown critical extension, a chain too long, a server
    /// certificate used as a CA...).
    BadCertificate,
    /// The certificate has been revoked.
    Revoked,
    /// No TLS version or cipher suite in common (a server that speaks only
    /// TLS 1.0/1.1, or old ciphers).
    NoCommonProtocol,
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
        /// The settings the message points to.
        names: Box<SettingNames>,
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
        /// The front end's credentials setting ([`SettingNames::auth`]).
        auth_setting: Option<&'static str>,
    },
    /// A `Content-Type` that is neither Prometheus text nor OpenMetrics
    /// (`not_metrics`).
    NotMetrics { url: String, content_type: String },
    /// The decoded body is larger than the cap (`too_large`).
    TooLarge {
        url: String,
        limit: u64,
        /// The setting that holds the cap.
        setting: &'static str,
    },
    /// A corrupt gzip body or an unsupported `Content-Encoding`
    /// (`bad_encoding`).
    BadEncoding { url: String, detail: String },
    /// The connection closed before the end of the body (`truncated`).
    Truncated { url: String, detail: String },
    /// Any other I/O failure (`io`).
    Io { url: String, detail: String },
}

impl ScrapeError {
    /// Every [`ScrapeError::kind`], for documentation and tests.
    pub const KINDS: &'static [&'static str] = &[
        "connection_refused",
        "dns",
        "connect",
        "tls",
        "timeout",
        "closed",
        "protocol",
        "redirect",
        "http_status",
        "not_metrics",
        "too_large",
        "bad_encoding",
        "truncated",
        "io",
    ];

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
                names,
            } => {
                write!(f, "TLS handshake with {url} failed: ")?;
                tls_hint(f, *problem, detail, names)
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
                auth_setting,
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
                status_hint(
                    f,
                    *status,
                    *auth_sent,
                    redirected_to.is_some(),
                    *auth_setting,
                )?;
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
            ScrapeError::TooLarge {
                url,
                limit,
                setting,
            } => write!(
                f,
                "the body from {url} is larger than the limit of {limit} bytes ({setting}, \
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

/// What a TLS failure means and what to do, naming the front end's settings.
fn tls_hint(
    f: &mut fmt::Formatter<'_>,
    problem: TlsProblem,
    detail: &str,
    names: &SettingNames,
) -> fmt::Result {
    let SettingNames {
        ca_bundle,
        no_verify,
        ..
    } = names;
    match problem {
        TlsProblem::UnknownIssuer => write!(
            f,
            "the server's certificate is self-signed or signed by a CA that is not trusted \
             ({detail}): set a CA bundle ({ca_bundle}) holding the CA that signed it, or turn \
             verification off ({no_verify})"
        ),
        TlsProblem::HostnameMismatch => write!(
            f,
            "hostname mismatch: the server's certificate is not valid for the host of the URL \
             ({detail}): use a host name the certificate lists, or reissue the certificate for \
             this name"
        ),
        TlsProblem::Expired => write!(
            f,
            "the server's certificate has expired ({detail}): renew it, or check this \
             machine's clock"
        ),
        TlsProblem::NotYetValid => write!(
            f,
            "the server's certificate is not valid yet ({detail}): check the clocks of this \
             machine and of the server"
        ),
        TlsProblem::ClientCertRequired => match names.client_cert {
            Some(setting) => write!(
                f,
                "the server requires a client certificate ({detail}): set {setting}"
            ),
            None => write!(
                f,
                "the server requires a client certificate ({detail}), which this sender cannot \
                 present: scrape this endpoint with the modular input (it has client \
                 certificate settings), or let the endpoint accept this client without one"
            ),
        },
        TlsProblem::ClientCertRejected => write!(
            f,
            "the server rejected our client certificate ({detail}): check that it is signed by \
             a CA the server trusts for clients and has not expired"
        ),
        TlsProblem::NotTls => write!(
            f,
            "the server did not answer with TLS ({detail}): if this port serves plain HTTP, use \
             http:// (Mattermost's metrics listener is plain HTTP unless a proxy fronts it)"
        ),
        TlsProblem::CaAsServerCert => write!(
            f,
            "the server presents a CA certificate as its own ({detail}): a certificate made \
             with CA:TRUE (for example `openssl req -x509` with the default extensions) cannot \
             identify a server; sign a server certificate (CA:FALSE, extendedKeyUsage \
             serverAuth, the host name in subjectAltName) with that CA, install it on the \
             server, and keep the CA in {ca_bundle}"
        ),
        TlsProblem::WrongPurpose => write!(
            f,
            "the server's certificate is not issued for TLS servers ({detail}): reissue it with \
             extendedKeyUsage serverAuth"
        ),
        TlsProblem::WeakSignature => write!(
            f,
            "the server's certificate is signed with an algorithm that is no longer accepted \
             ({detail}): reissue it signed with SHA-256 or better (RSA of 2048 bits or more, or \
             ECDSA)"
        ),
        TlsProblem::BadCertificate => write!(
            f,
            "the server's certificate chain breaks the X.509 rules ({detail}): reissue the \
             certificate with your CA's standard server profile (or check with `openssl x509 \
             -noout -text` what is odd about it)"
        ),
        TlsProblem::Revoked => write!(
            f,
            "the server's certificate has been revoked ({detail}): install a new one"
        ),
        TlsProblem::NoCommonProtocol => write!(
            f,
            "no TLS version or cipher suite in common ({detail}): the server must offer TLS 1.2 \
             or 1.3 with a current cipher suite (ECDHE with AES-GCM or ChaCha20)"
        ),
        TlsProblem::Other => write!(
            f,
            "{detail}: if the server's certificate is the problem, the quickest check is \
             `openssl s_client -connect HOST:PORT -showcerts`"
        ),
    }
}

fn status_hint(
    f: &mut fmt::Formatter<'_>,
    status: u16,
    auth_sent: bool,
    redirected: bool,
    auth_setting: Option<&str>,
) -> fmt::Result {
    match status {
        401 | 403 if redirected && auth_sent => f.write_str(
            "credentials are not sent along a redirect: set the URL to where it redirects",
        ),
        401 if auth_sent => f.write_str(
            "the endpoint refused the credentials: check the bearer token or the username and \
             password",
        ),
        401 => match auth_setting {
            Some(setting) => write!(f, "the endpoint needs credentials: set {setting}"),
            None => f.write_str(
                "the endpoint needs credentials, which this sender cannot send: scrape it with \
                 the modular input (it has bearer token and basic auth settings), or let the \
                 endpoint accept this sender without credentials",
            ),
        },
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

/// Turns a ureq error into ours.
pub(super) fn classify(err: ureq::Error, phase: Phase, ctx: &Ctx<'_>) -> ScrapeError {
    use ureq::Error as E;
    let url = ctx.url.to_string();
    let (host, timeout) = (ctx.host, ctx.timeout);
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
        E::BodyExceedsLimit(limit) => ScrapeError::TooLarge {
            url,
            limit,
            setting: ctx.names.max_body,
        },
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
                        classify(e, phase, ctx)
                    }
                    other => ScrapeError::BadEncoding {
                        url,
                        detail: format!("corrupt gzip: {}", strip_io_prefix(&other)),
                    },
                }
            }
        }
        E::Rustls(e) => tls_error(url, &e, ctx),
        E::Tls(msg) => ScrapeError::Tls {
            url,
            problem: TlsProblem::Other,
            detail: msg.to_string(),
            names: Box::new(ctx.names),
        },
        E::RequireHttpsOnly(to) => ScrapeError::Redirect {
            url,
            detail: format!(
                "it redirects to {}, plain http: a scrape that starts on https never goes on \
                 without TLS, where the body and any credentials would travel in clear",
                super::redact_url(&to)
            ),
        },
        E::Io(io) => {
            if let Some(e) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                return tls_error(url, e, ctx);
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
        E::ConnectProxyFailed(answer) => ScrapeError::Connect {
            url,
            detail: if answer.contains("407") {
                format!(
                    "the HTTP proxy refused the credentials ({answer}): check the proxy user \
                     name and the password stored for it"
                )
            } else {
                format!("the HTTP proxy refused the tunnel ({answer})")
            },
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
pub(super) fn is_disconnect(io: &io::Error) -> bool {
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

/// What [`classify`] needs to know of the scrape.
pub(super) struct Ctx<'a> {
    /// The URL, credentials removed.
    pub url: &'a str,
    pub host: &'a str,
    pub timeout: Duration,
    pub has_client_cert: bool,
    pub names: SettingNames,
}

fn tls_error(url: String, e: &rustls::Error, ctx: &Ctx<'_>) -> ScrapeError {
    use rustls::{AlertDescription as A, CertificateError as C, Error as R};
    let has_client_cert = ctx.has_client_cert;
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
            C::InvalidPurpose => (TlsProblem::WrongPurpose, "invalid purpose".to_string()),
            C::InvalidPurposeContext {
                required,
                presented,
            } => (
                TlsProblem::WrongPurpose,
                format!("its extended key usage is {presented:?}, not {required:?}"),
            ),
            #[allow(deprecated)]
            C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
                TlsProblem::WeakSignature,
                "unsupported signature algorithm".to_string(),
            ),
            C::Revoked => (TlsProblem::Revoked, "revoked".to_string()),
            C::BadEncoding => (
                TlsProblem::BadCertificate,
                "the certificate is not valid DER".to_string(),
            ),
            C::UnhandledCriticalExtension => (
                TlsProblem::BadCertificate,
                "an unknown critical extension".to_string(),
            ),
            C::Other(other) => webpki_error(other),
            other => (
                TlsProblem::Other,
                format!("invalid server certificate: {other:?}"),
            ),
        },
        R::PeerIncompatible(p) => (
            TlsProblem::NoCommonProtocol,
            format!("incompatible server: {p:?}"),
        ),
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
                A::HandshakeFailure | A::ProtocolVersion | A::InsufficientSecurity => {
                    TlsProblem::NoCommonProtocol
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
        names: Box::new(ctx.names),
    }
}

/// The certificate errors rustls passes on from webpki as `Other`.
fn webpki_error(other: &rustls::OtherError) -> (TlsProblem, String) {
    use webpki::Error as W;
    let Some(e) = other.0.downcast_ref::<W>() else {
        return (
            TlsProblem::Other,
            format!("invalid server certificate: {other}"),
        );
    };
    let problem = match e {
        W::CaUsedAsEndEntity => TlsProblem::CaAsServerCert,
        W::EndEntityUsedAsCa
        | W::PathLenConstraintViolated
        | W::MaximumPathDepthExceeded
        | W::NameConstraintViolation
        | W::UnsupportedCertVersion
        | W::UnsupportedCriticalExtension
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::EmptyEkuExtension
        | W::InvalidSerialNumber
        | W::MalformedDnsIdentifier
        | W::SignatureAlgorithmMismatch => TlsProblem::BadCertificate,
        _ => TlsProblem::Other,
    };
    (problem, format!("{e:?}"))
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

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn fmt_unix(secs: u64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_secs(secs);
    // RFC 3339 `2001-01-01T00:00:00Z`, laid out for people.
    let s = humantime::format_rfc3339_seconds(t).to_string();
    format!("{} UTC", s.trim_end_matches('Z').replacen('T', " ", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_req(err: ureq::Error) -> ScrapeError {
        let ctx = Ctx {
            url: "http://mm1:8067/metrics",
            host: "mm1",
            timeout: Duration::from_secs(5),
            has_client_cert: false,
            names: SettingNames::FIELDS,
        };
        classify(err, Phase::Request, &ctx)
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
    fn formats_times() {
        assert_eq!(fmt_unix(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(fmt_unix(978_307_200), "2001-01-01 00:00:00 UTC");
        assert_eq!(fmt_unix(1_709_210_096), "2024-02-29 12:34:56 UTC");
        assert_eq!(fmt_duration(Duration::from_secs(10)), "10s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
    }
}
