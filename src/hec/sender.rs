//! Posting batches to HEC, and what to do when that fails.
//!
//! One thread sends, one request at a time, oldest first: HEC indexes what
//! it accepts in order, and a sender that waits for each answer knows
//! exactly which data an error is about. A request is one queued batch, or,
//! when a backlog has built up, as many of the oldest as fit in
//! `-max_batch_kb` merged into one body: one request per scrape would never
//! catch up with scrapes that come faster than a round trip to HEC (and,
//! with `-queue_dir`, a durable in-flight mark). A merged request that HEC
//! refuses (400) is sent again batch by batch, so that only the batch that
//! holds the bad object is rejected.
//!
//! What an answer means (Splunk's HEC status codes):
//!
//! - 2xx: accepted.
//! - no answer (connection refused, reset, DNS, TLS, timeout), 408, 429 and
//!   5xx (503 "Server is busy", HEC's queues full): HEC may be back soon.
//!   The same batch is sent again after a wait that doubles at each failure
//!   (`-retry_backoff` to `-retry_backoff_max`), with jitter (a random
//!   50-100 % of it) so that many senders do not come back in step; a
//!   `Retry-After` longer than the wait is honoured up to the maximum.
//!   Scrapes go on meanwhile and queue up ([`super::queue`]).
//! - no answer after the request went out (the answer timed out, the
//!   connection closed while waiting for it): HEC may have indexed the
//!   batch, or not; the sender cannot know. It is sent again (losing
//!   nothing), and counted per copy: if a later attempt is accepted, its
//!   data points are *possibly duplicated* once for each attempt before it
//!   that went unanswered (three unanswered, then accepted: HEC may hold
//!   four copies, three of them extra); if the sender gives up on it at the
//!   stop, they are *unconfirmed*, not lost, and the copies beyond the
//!   first possibly duplicated. `-splunk_timeout` (30 s) is long so
//!   that a HEC that is slow but alive (indexers blocking under load answer
//!   in seconds) is waited for rather than sent everything twice; it is
//!   separate from the scrape `-timeout` (3 s), which guards the schedule.
//! - 401 and 403: HEC refuses the token (missing, invalid or disabled).
//!   Every request would be refused the same way, so the sender gives up at
//!   once: the process stops with an error naming the token setting.
//! - 400 and any other status: HEC refuses this batch (its JSON says which
//!   object and why: `text`, `code`, `invalid-event-number`), and would
//!   refuse it again: it is not resent, the error is logged with the
//!   object HEC named, and its data points are counted as rejected.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::batch;
use super::config::{fmt_duration, Config};
use super::health::Counters;
use super::log;
use super::queue::{Batch, Queue};
use super::spool::Record;
use super::stop::{State, Stop};
use crate::scrape::{Secret, USER_AGENT};

/// How much of an answer is read, and quoted.
const ANSWER_READ: u64 = 64 * 1024;
const QUOTE: usize = 300;

/// A connection to HEC.
pub struct Hec {
    agent: ureq::Agent,
    url: String,
    /// `Splunk <token>`.
    authorization: Secret,
    timeout: Duration,
}

impl fmt::Debug for Hec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hec")
            .field("url", &self.url)
            .field("authorization", &self.authorization)
            .finish()
    }
}

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// Worth another try (the request may not have arrived, or HEC asked
    /// to wait).
    Retry {
        detail: String,
        retry_after: Option<Duration>,
        /// The request went out and no answer came: HEC may have indexed it.
        maybe_delivered: bool,
    },
    /// HEC refused the token: nothing will be accepted.
    Token { detail: String },
    /// HEC refused this batch; it would refuse it again.
    Rejected { detail: String },
}

impl Hec {
    pub fn new(cfg: &Config) -> anyhow::Result<Hec> {
        let mut tls = TlsConfig::builder();
        if cfg.allow_insecure {
            tls = tls.disable_verification(true);
        } else if let Some(path) = &cfg.splunk_ca_bundle {
            tls = tls.root_certs(RootCerts::Specific(Arc::new(load_ca_bundle(path)?)));
        } else {
            tls = tls.root_certs(RootCerts::WebPki);
        }
        let host = url::Url::parse(&cfg.splunk_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        // Proxies from the environment as Go's http.DefaultTransport (and so
        // prometheus2splunk) uses them, never for a loopback address.
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let proxy = match &cfg.splunk_proxy {
            Some(p) => Some(ureq::Proxy::new(p.expose()).map_err(|e| {
                anyhow!(
                    "-splunk_proxy {}: {e}",
                    crate::scrape::redact_url(p.expose())
                )
            })?),
            None if loopback => None,
            None => ureq::Proxy::try_from_env(),
        };
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.splunk_timeout))
            // Its own budget, so that a connection that never came (nothing
            // delivered) is told apart from an answer that never came.
            .timeout_connect(Some(cfg.splunk_timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .user_agent(USER_AGENT)
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Hec {
            agent,
            url: cfg.splunk_url.clone(),
            authorization: Secret::new(format!("Splunk {}", cfg.token.expose())),
            timeout: cfg.splunk_timeout,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// One POST of `batch`, waiting at most `-splunk_timeout` for it, or
    /// `within` when that is shorter (the time left to stop in).
    pub fn post(&self, body: &[u8], within: Option<Duration>) -> Result<(), Failure> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Authorization", self.authorization.expose())
            .header("Content-Encoding", "gzip")
            .header("Content-Type", "application/json");
        if let Some(left) = within.filter(|w| *w < self.timeout) {
            let left = left.max(Duration::from_millis(1));
            request = request
                .config()
                .timeout_global(Some(left))
                .timeout_connect(Some(left))
                .build();
        }
        let mut response = match request.send(body) {
            Ok(r) => r,
            Err(e) => {
                return Err(Failure::Retry {
                    detail: self.describe(&e),
                    retry_after: None,
                    maybe_delivered: maybe_delivered(&e),
                })
            }
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut answer = Vec::new();
        // Best effort: the status is the error, the body only says more.
        let _ = response
            .body_mut()
            .with_config()
            .limit(ANSWER_READ)
            .reader()
            .take(ANSWER_READ)
            .read_to_end(&mut answer);
        let reply = Reply::parse(&answer);
        let mut detail = format!(
            "HTTP {status}{} from {}",
            response
                .status()
                .canonical_reason()
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            self.url
        );
        reply.describe(&mut detail);
        Err(match status {
            401 | 403 => {
                detail.push_str(&format!(
                    ": {}",
                    match reply.code {
                        Some(1) => "the token is disabled: enable it in Settings > Data inputs > HTTP Event Collector",
                        Some(2) => "no token reached HEC: set -splunk_authorization (or SPLUNK_AUTHORIZATION)",
                        _ => "HEC does not accept this token: check -splunk_authorization (or SPLUNK_AUTHORIZATION) against Settings > Data inputs > HTTP Event Collector",
                    }
                ));
                Failure::Token { detail }
            }
            // An answer that says the batch was not taken.
            408 | 429 | 500..=599 => Failure::Retry {
                detail,
                retry_after,
                maybe_delivered: false,
            },
            _ => {
                if let Some(n) = reply.invalid_event {
                    if let Some(obj) = object_at(body, n) {
                        detail.push_str(&format!("; object #{n} of the batch: {obj}"));
                    }
                }
                let hint = match (status, reply.code) {
                    (_, Some(7)) => Some("the token may not write to this index: check -splunk_index and the indexes the token allows (the index must be a metrics index)"),
                    (_, Some(10 | 11)) => Some("the token has indexer acknowledgement on, which this sender does not use: turn it off for this token"),
                    (404, _) => Some("check the path of -splunk_target: /services/collector"),
                    (413, _) => Some("the batch is larger than HEC's max_content_length: lower -max_batch_kb"),
                    (300..=399, _) => Some("HEC answered with a redirect: set -splunk_target to where it points"),
                    _ => None,
                };
                if let Some(h) = hint {
                    detail.push_str(": ");
                    detail.push_str(h);
                }
                Failure::Rejected { detail }
            }
        })
    }

    fn describe(&self, e: &ureq::Error) -> String {
        use std::io::ErrorKind as K;
        use ureq::Error as E;
        let url = &self.url;
        let rustls_error = match e {
            E::Rustls(r) => Some(r),
            E::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
            _ => None,
        };
        // A plain-HTTP port answers the TLS hello with HTTP, which rustls
        // reads as a corrupt record: that is no certificate problem.
        if let Some(rustls::Error::InvalidMessage(_)) = rustls_error {
            return format!(
                "{url} did not answer with TLS ({e}): if HEC serves plain HTTP on this port \
                 (Enable SSL off in HEC's Global Settings), use http:// in -splunk_target"
            );
        }
        let tls = rustls_error.is_some() || matches!(e, E::Tls(_));
        if tls {
            return format!(
                "TLS with {url} failed ({e}): for a private CA set -splunk_ca_bundle; Splunk's \
                 default certificate names no host, so it also needs -allow_insecure or a real \
                 certificate"
            );
        }
        match e {
            E::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => format!(
                "cannot connect to {url} within {} (-splunk_timeout)",
                fmt_duration(self.timeout)
            ),
            E::Timeout(_) => format!(
                "no answer from {url} within {} (-splunk_timeout); HEC may still index the \
                 batch, and the copy sent again",
                fmt_duration(self.timeout)
            ),
            E::HostNotFound => format!("cannot resolve the host of {url}"),
            E::Io(io) if io.kind() == K::ConnectionRefused => {
                format!("connection refused by {url}: is HEC enabled and listening on this port?")
            }
            E::Io(io) if matches!(io.kind(), K::TimedOut | K::WouldBlock) => format!(
                "no answer from {url} within {} (-splunk_timeout)",
                fmt_duration(self.timeout)
            ),
            E::Io(io)
                if matches!(
                    io.kind(),
                    K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
                ) =>
            {
                format!("{url} closed the connection without an answer ({io})")
            }
            other => format!("cannot reach {url}: {other}"),
        }
    }
}

/// Whether a request that failed with `e` may have reached HEC whole: the
/// connection was made and the answer did not come. Failing to resolve,
/// connect or shake hands, or to send the request, delivers nothing (HEC
/// indexes a body only once it has all of it).
fn maybe_delivered(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    use ureq::{Error as E, Timeout as T};
    match e {
        E::Timeout(T::Resolve | T::Connect | T::SendRequest | T::SendBody) => false,
        E::Timeout(_) | E::Protocol(_) => true,
        E::Io(io) => {
            let tls = io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
            !tls && matches!(
                io.kind(),
                K::UnexpectedEof
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::TimedOut
                    | K::WouldBlock
            )
        }
        _ => false,
    }
}

/// HEC's JSON answer: `{"text":"Invalid data format","code":6,"invalid-event-number":3}`.
#[derive(Debug, Default, PartialEq)]
struct Reply {
    text: Option<String>,
    code: Option<i64>,
    invalid_event: Option<usize>,
    /// The body, when it is not HEC's JSON (a proxy's page).
    other: Option<String>,
}

impl Reply {
    fn parse(body: &[u8]) -> Reply {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) if v.is_object() => Reply {
                text: v.get("text").and_then(|t| t.as_str()).map(str::to_string),
                code: v.get("code").and_then(|c| c.as_i64()),
                invalid_event: v
                    .get("invalid-event-number")
                    .and_then(|n| n.as_u64())
                    .map(|n| n as usize),
                other: None,
            },
            _ => {
                let text = String::from_utf8_lossy(body);
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                Reply {
                    other: (!text.is_empty()).then(|| quote(&text)),
                    ..Reply::default()
                }
            }
        }
    }

    fn describe(&self, out: &mut String) {
        if let Some(t) = &self.text {
            out.push_str(&format!(": HEC said {t:?}"));
            if let Some(c) = self.code {
                out.push_str(&format!(" (code {c}"));
                if let Some(n) = self.invalid_event {
                    out.push_str(&format!(", invalid-event-number {n}"));
                }
                out.push(')');
            }
        } else if let Some(o) = &self.other {
            out.push_str(&format!(": the answer was {o:?}"));
        }
    }
}

fn quote(s: &str) -> String {
    if s.chars().count() > QUOTE {
        s.chars().take(QUOTE).collect::<String>() + "..."
    } else {
        s.to_string()
    }
}

/// Object `n` (from 0) of a gzip batch, quoted, for an error message.
fn object_at(gz: &[u8], n: usize) -> Option<String> {
    let mut json = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut json)
        .ok()?;
    // One object per line (see batch.rs).
    json.lines().nth(n).map(quote)
}

/// The CA certificates of a PEM file, each checked as a trust anchor.
fn load_ca_bundle(path: &std::path::Path) -> anyhow::Result<Vec<Certificate<'static>>> {
    let name = format!("-splunk_ca_bundle {}", path.display());
    let bytes = std::fs::read(path).map_err(|e| anyhow!("{name}: cannot read it: {e}"))?;
    let mut store = rustls::RootCertStore::empty();
    let mut certs = Vec::new();
    for (i, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der =
            item.map_err(|e| anyhow!("{name}: certificate #{} is not valid PEM: {e}", i + 1))?;
        store
            .add(der.clone())
            .map_err(|e| anyhow!("{name}: certificate #{} cannot be used as a CA: {e}", i + 1))?;
        certs.push(Certificate::from_der(der.as_ref()).to_owned());
    }
    if certs.is_empty() {
        bail!("{name}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block)");
    }
    Ok(certs)
}

/// The waits between attempts.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after failure number `attempt` (from 0): `initial * 2^attempt`
    /// up to `max`, times a random factor from 0.5 to 1.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let nominal = self
            .initial
            .saturating_mul(1u32 << attempt.min(30))
            .min(self.max);
        nominal.mul_f64(0.5 + 0.5 * random.clamp(0.0, 1.0))
    }
}

/// A number from 0 to 1, different at each call: std's hasher keys are
/// random per process and change per instance, which is all jitter needs.
fn random() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// What the sender ended with.
#[derive(Debug, Default)]
pub struct Outcome {
    /// HEC refused the token: the error.
    pub fatal: Option<String>,
}

/// One request to HEC: one queued batch, or several merged when a backlog
/// has built up (after an outage, or while scrapes come faster than one
/// request per scrape can go: a request per batch would never catch up).
struct Request {
    /// gzip-compressed, as posted.
    body: Vec<u8>,
    raw_len: usize,
    objects: u32,
    points: u32,
    parts: Vec<Part>,
}

/// A queued batch within a request: what is counted per target, and its
/// file.
struct Part {
    target: usize,
    points: u64,
    record: Option<Record>,
    /// A copy may be in HEC already: it was being sent when an earlier run
    /// died, or in a merged request HEC refused.
    copy_before: bool,
    /// Its own body (with its length before compression and its objects),
    /// kept while it is merged with others: a request HEC refuses is sent
    /// again batch by batch.
    body: Option<(Vec<u8>, usize, u32)>,
}

impl Request {
    fn single(b: Batch) -> Request {
        let copy_before = b.in_doubt();
        Request {
            raw_len: b.raw_len,
            objects: b.objects,
            points: b.points,
            parts: vec![Part {
                target: b.target,
                points: u64::from(b.points),
                record: b.record,
                copy_before,
                body: None,
            }],
            body: b.body,
        }
    }

    /// `batches` as one request; one each if they cannot be merged (a
    /// body that does not decompress).
    fn of(mut batches: Vec<Batch>) -> Vec<Request> {
        if batches.len() == 1 {
            return vec![Request::single(batches.pop().expect("one"))];
        }
        let bodies: Vec<&[u8]> = batches.iter().map(|b| &b.body[..]).collect();
        let (body, raw_len) = match batch::merge(&bodies) {
            Ok(merged) => merged,
            Err(e) => {
                log::warning!("cannot merge {} queued batches into one request ({e}): sending them one by one", batches.len());
                return batches.into_iter().map(Request::single).collect();
            }
        };
        vec![Request {
            body,
            raw_len,
            objects: batches.iter().map(|b| b.objects).sum(),
            points: batches.iter().map(|b| b.points).sum(),
            parts: batches
                .into_iter()
                .map(|b| Part {
                    target: b.target,
                    points: u64::from(b.points),
                    copy_before: b.in_doubt(),
                    record: b.record,
                    body: Some((b.body, b.raw_len, b.objects)),
                })
                .collect(),
        }]
    }

    /// Its batches again, one request each: HEC refused the merged request
    /// (one object of one batch, most likely); each batch is then accepted
    /// or refused on its own. Counted as possibly in HEC already: whether
    /// HEC indexed the objects before the one it refused is not said.
    fn split(self) -> Vec<Request> {
        self.parts
            .into_iter()
            .map(|p| {
                let (body, raw_len, objects) =
                    p.body.expect("a merged request keeps its parts' bodies");
                Request::single(Batch {
                    raw_len,
                    objects,
                    points: p.points as u32,
                    target: p.target,
                    record: p.record,
                    body,
                })
            })
            .map(|mut r| {
                r.parts[0].copy_before = true;
                r
            })
            .collect()
    }

    fn records(&mut self) -> impl Iterator<Item = &mut Record> {
        self.parts.iter_mut().filter_map(|p| p.record.as_mut())
    }

    /// The files of its batches (with `-queue_dir`).
    fn files(&self) -> impl Iterator<Item = &Record> {
        self.parts.iter().filter_map(|p| p.record.as_ref())
    }
}

/// What the send loop works with.
struct Sender<'a> {
    hec: &'a Hec,
    queue: &'a Queue,
    counters: &'a [Counters],
    stop: &'a Stop,
    backoff: Backoff,
    shutdown_timeout: Duration,
    durable: bool,
}

/// How a request ended.
enum Sent {
    /// Accepted, refused for good, or given up on (and counted).
    Done,
    /// HEC refused a merged request: its batches are to be sent one by one.
    Split(Vec<Request>),
}

impl Sender<'_> {
    fn add(
        &self,
        req: &Request,
        counter: fn(&Counters) -> &AtomicU64,
        each: impl Fn(&Part) -> u64,
    ) {
        for p in &req.parts {
            Counters::add(counter(&self.counters[p.target]), each(p));
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.stop
            .stopping_since()
            .map(|t| t + self.shutdown_timeout)
    }

    /// No copy of `req` reached HEC: its files go back to `.batch`, but for
    /// the batches an earlier run or request may have put a copy of.
    fn not_sent(&self, req: &mut Request) {
        let fresh = req
            .parts
            .iter_mut()
            .filter(|p| !p.copy_before)
            .filter_map(|p| p.record.as_mut());
        self.queue.not_sent(fresh);
    }

    /// Given up on: on disk, kept for the next start (marked in flight if
    /// HEC may hold it); in memory, unconfirmed if HEC may hold it, else
    /// lost. Every copy HEC may hold beyond the first is a possible
    /// duplicate.
    fn give_up(&self, req: &mut Request, unanswered: u64) {
        if self.durable {
            self.add(req, |c| &c.kept, |p| p.points);
            self.add(
                req,
                |c| &c.maybe_duplicated,
                |p| p.points * unanswered.saturating_sub(1),
            );
            if unanswered == 0 {
                self.not_sent(req);
            }
        } else if unanswered > 0 {
            self.add(req, |c| &c.unconfirmed, |p| p.points);
            self.add(
                req,
                |c| &c.maybe_duplicated,
                |p| p.points * (unanswered - 1),
            );
        } else {
            self.add(req, |c| &c.lost, |p| p.points);
        }
    }

    /// Sends `req` until HEC answers for it, the stop's deadline passes,
    /// or HEC refuses the token.
    fn send(&self, mut req: Request, outcome: &mut Outcome) -> Sent {
        let (hec, queue, stop) = (self.hec, self.queue, self.stop);
        let past_deadline = self.deadline().is_some_and(|d| Instant::now() >= d);
        if stop.state() == State::Aborting || past_deadline {
            self.give_up(&mut req, 0);
            return Sent::Done;
        }
        let batches = req.parts.len();
        let merged = if batches > 1 {
            format!(" ({batches} queued batches merged)")
        } else {
            String::new()
        };
        let mut attempt: u32 = 0;
        // Attempts that went out and got no answer: HEC may hold a copy of
        // the request for each.
        let mut unanswered: u64 = 0;
        let first_failure = Instant::now();
        loop {
            log::trace!(
                "POST {}: {} objects, {} data points, {} bytes gzip ({} before){merged}",
                hec.url(),
                req.objects,
                req.points,
                req.body.len(),
                req.raw_len
            );
            let t0 = Instant::now();
            let within = self.deadline().map(|d| d.saturating_duration_since(t0));
            if within.is_some_and(|w| w.is_zero()) {
                // The wait before this attempt ran into the stop's deadline.
                log::error!(
                    "stopping before HEC accepted a batch of {} data points, which is not sent",
                    req.points
                );
                self.give_up(&mut req, unanswered);
                return Sent::Done;
            }
            // On disk, marked as in flight while HEC has it.
            queue.sending(req.records());
            match hec.post(&req.body, within) {
                Ok(()) => {
                    self.add(&req, |c| &c.sent, |p| p.points);
                    // One possible extra copy per unanswered attempt, and
                    // one if an earlier run or request may have put one in.
                    self.add(
                        &req,
                        |c| &c.maybe_duplicated,
                        |p| p.points * (unanswered + u64::from(p.copy_before)),
                    );
                    queue.done(req.files());
                    if attempt > 0 {
                        log::info!(
                            "HEC accepted the batch after {} failed attempts ({:.1} s){}; {} batches queued",
                            attempt,
                            first_failure.elapsed().as_secs_f64(),
                            if unanswered > 0 {
                                format!(", so it may be indexed {} times ({unanswered} attempt(s) before went unanswered)", unanswered + 1)
                            } else {
                                String::new()
                            },
                            queue.len()
                        );
                    }
                    log::debug!(
                        "sent {} data points in {} objects ({} bytes gzip, {} before) in {} ms{merged}",
                        req.points,
                        req.objects,
                        req.body.len(),
                        req.raw_len,
                        t0.elapsed().as_millis()
                    );
                    return Sent::Done;
                }
                Err(Failure::Token { detail }) => {
                    let msg = format!("HEC refused the token, giving up: {detail}");
                    log::error!("{msg}");
                    self.give_up(&mut req, unanswered);
                    outcome.fatal = Some(msg);
                    stop.abort();
                    return Sent::Done;
                }
                Err(Failure::Rejected { detail }) if batches > 1 => {
                    log::warning!(
                        "HEC refused a request of {batches} merged batches ({detail}): sending them one by one"
                    );
                    return Sent::Split(req.split());
                }
                Err(Failure::Rejected { detail }) => {
                    log::error!(
                        "HEC rejected a batch of {} data points, which is not sent again: {detail}",
                        req.points
                    );
                    self.add(&req, |c| &c.rejected, |p| p.points);
                    queue.done(req.files());
                    return Sent::Done;
                }
                Err(Failure::Retry {
                    detail,
                    retry_after,
                    maybe_delivered: this_one,
                }) => {
                    unanswered += u64::from(this_one);
                    if unanswered == 0 {
                        // HEC answered that it did not take it.
                        self.not_sent(&mut req);
                    }
                    let mut delay = self.backoff.delay(attempt, random());
                    if let Some(ra) = retry_after {
                        delay = delay.max(ra.min(self.backoff.max));
                    }
                    attempt += 1;
                    let now = Instant::now();
                    let give_up_at = self.deadline();
                    if stop.state() == State::Aborting || give_up_at.is_some_and(|d| now >= d) {
                        log::error!(
                            "sending to HEC failed ({detail}); stopping, so {} data points are not sent{}",
                            req.points,
                            if unanswered > 0 {
                                " (or not confirmed: HEC may have indexed them)"
                            } else {
                                ""
                            }
                        );
                        self.give_up(&mut req, unanswered);
                        return Sent::Done;
                    }
                    // Counted once per target the request carries.
                    let mut targets: Vec<usize> = req.parts.iter().map(|p| p.target).collect();
                    targets.sort_unstable();
                    targets.dedup();
                    for t in targets {
                        Counters::add(&self.counters[t].retries, 1);
                    }
                    log::warning!(
                        "sending to HEC failed (attempt {attempt}): {detail}; trying again in {} ms, {} batches ({} bytes) queued",
                        delay.as_millis(),
                        queue.len(),
                        queue.bytes()
                    );
                    let until = match give_up_at {
                        Some(d) => (now + delay).min(d),
                        None => now + delay,
                    };
                    // A stop ends the wait: the queue is flushed now.
                    let state = stop.state();
                    stop.wait_until(until, state);
                    if stop.state() == State::Aborting {
                        self.give_up(&mut req, unanswered);
                        return Sent::Done;
                    }
                }
            }
        }
    }
}

/// The send loop: takes batches from `queue` until it is closed and empty,
/// at most `max_request_bytes` (before compression) to a request. Runs on
/// its own thread.
pub fn run(
    hec: &Hec,
    queue: &Queue,
    counters: &[Counters],
    stop: &Stop,
    backoff: Backoff,
    shutdown_timeout: Duration,
    max_request_bytes: usize,
) -> Outcome {
    let mut outcome = Outcome::default();
    let sender = Sender {
        hec,
        queue,
        counters,
        stop,
        backoff,
        shutdown_timeout,
        durable: queue.durable(),
    };
    let count_damaged = || {
        for h in queue.take_damaged() {
            Counters::add(&counters[h.target].lost, h.points.into());
        }
    };
    loop {
        let group = queue.pop_group(max_request_bytes, None);
        if group.is_empty() {
            break;
        }
        count_damaged();
        let mut pending: std::collections::VecDeque<Request> = Request::of(group).into();
        while let Some(req) = pending.pop_front() {
            if let Sent::Split(parts) = sender.send(req, &mut outcome) {
                for r in parts.into_iter().rev() {
                    pending.push_front(r);
                }
            }
        }
    }
    count_damaged();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_max() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        assert_eq!(b.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(b.delay(3, 1.0), Duration::from_millis(800));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(60, 0.0), Duration::from_secs(1));
        let r: Vec<f64> = (0..100).map(|_| random()).collect();
        assert!(r.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(r.iter().any(|&x| x != r[0]), "random varies");
    }

    #[test]
    fn reads_hec_answers() {
        let r =
            Reply::parse(br#"{"text":"Invalid data format","code":6,"invalid-event-number":3}"#);
        let mut s = String::new();
        r.describe(&mut s);
        assert_eq!(
            s,
            ": HEC said \"Invalid data format\" (code 6, invalid-event-number 3)"
        );
        let r = Reply::parse(b"<html>502 Bad Gateway</html>");
        assert_eq!(r.other.as_deref(), Some("<html>502 Bad Gateway</html>"));
    }
}
