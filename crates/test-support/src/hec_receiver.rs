//! A loopback stand-in for Splunk's HTTP Event Collector, for tests of
//! `mattermost_metrics hec`.
//!
//! [`HecReceiver::start`] listens on `127.0.0.1:0` (HTTP, or HTTPS with
//! [`HecReceiver::start_tls`]) and, like HEC, for every POST:
//!
//! - checks `Authorization: Splunk <token>` (missing: 401 code 2; not
//!   `Splunk ...`: 401 code 3; another token: 403 code 4, HEC's answers);
//! - reads the body (`Content-Length` or chunked, at most [`MAX_BODY`]),
//!   gunzips it when `Content-Encoding: gzip`, splits it into JSON objects
//!   and checks each against HEC's metric format ([`validate_object`]);
//!   a violation is recorded ([`HecReceiver::errors`]) and answered 400 code 6;
//! - answers with the next scripted [`Answer`] ([`HecReceiver::script`]), or
//!   the default one ([`HecReceiver::set_default`], at first [`Answer::Ok`]).
//!
//! Each request is recorded ([`HecRequest`]): when it came, its objects, and
//! its [`Outcome`], which says whether HEC would have indexed it.
//! [`HecReceiver::go_away`] closes the port for a while (connections are
//! refused), then listens on it again.
//!
//! Bounded: at most [`MAX_CONNECTIONS`] at once, 5 s socket timeouts, a
//! stalled answer is held at most [`MAX_STALL`]; everything stops when the
//! receiver is dropped. Nothing listens beyond 127.0.0.1. The listener,
//! its threads and TLS are [`crate::loopback`]'s, shared with the scrape
//! targets.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use crate::loopback::MAX_CONNECTIONS;
use crate::loopback::{read_head, reason, Incoming, Net, Server, Stream};

/// The largest body read (compressed or not).
pub const MAX_BODY: usize = 32 << 20;
/// The longest an [`Answer::Stall`] holds its connection.
pub const MAX_STALL: Duration = Duration::from_secs(10);

/// What the receiver does with one (authorized, valid) request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// 200 `{"text":"Success","code":0}`: indexed.
    Ok,
    /// 503 `{"text":"Server is busy","code":9}`.
    Busy,
    /// 429, with `Retry-After: <seconds>` if given.
    TooMany { retry_after: Option<u64> },
    /// 400 with HEC's JSON error.
    BadRequest {
        text: String,
        code: i64,
        invalid_event_number: Option<usize>,
    },
    /// 401 `{"text":"Invalid authorization","code":3}`.
    Unauthorized,
    /// 403 `{"text":"Invalid token","code":4}`.
    Forbidden,
    /// Any status, with this body.
    Status(u16, String),
    /// Read the request, never answer (until [`MAX_STALL`] or the drop):
    /// not indexed.
    Stall,
    /// Index the request, then close without answering: the sender cannot
    /// know it was indexed.
    LoseResponse,
    /// Close the connection after the headers, before reading the body:
    /// nothing indexed.
    DropConnection,
    /// Index the request, then answer 200 only after this long (at most
    /// [`MAX_STALL`]): a HEC that is slow but alive.
    Late(Duration),
}

/// What became of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered 200: indexed.
    Accepted,
    /// Indexed, but the answer was never sent.
    ResponseLost,
    /// Answered with this status: not indexed.
    Refused(u16),
    /// Connection closed before the body: not indexed.
    Dropped,
    /// Never answered: not indexed.
    Stalled,
    /// Indexed, and answered 200 late (the sender may have given up by then).
    AnsweredLate,
}

impl Outcome {
    /// Whether HEC indexed the request's objects.
    pub fn indexed(self) -> bool {
        matches!(
            self,
            Outcome::Accepted | Outcome::ResponseLost | Outcome::AnsweredLate
        )
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct HecRequest {
    /// When its headers were read.
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes on the wire.
    pub wire_bytes: usize,
    /// Body bytes after gunzip.
    pub raw_bytes: usize,
    /// The body after gunzip.
    pub body: Vec<u8>,
    pub objects: Vec<Value>,
    pub outcome: Outcome,
}

impl HecRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Data points: `metric_name:*` keys over all objects.
    pub fn points(&self) -> usize {
        self.objects
            .iter()
            .map(|o| {
                o["fields"].as_object().map_or(0, |f| {
                    f.keys().filter(|k| k.starts_with("metric_name:")).count()
                })
            })
            .sum()
    }
}

struct Shared {
    token: String,
    script: Mutex<VecDeque<Answer>>,
    default: Mutex<Answer>,
    requests: Mutex<Vec<HecRequest>>,
    errors: Mutex<Vec<String>>,
}

/// The receiver; stops when dropped.
pub struct HecReceiver {
    server: Server<Shared>,
}

impl HecReceiver {
    /// HTTP on 127.0.0.1, accepting `token`.
    pub fn start(token: &str) -> HecReceiver {
        HecReceiver::start_with(token, None)
    }

    /// HTTPS with this certificate (chain) and key, PEM.
    pub fn start_tls(token: &str, cert_pem: &str, key_pem: &str) -> HecReceiver {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        HecReceiver::start_with(token, Some(Arc::new(config)))
    }

    fn start_with(token: &str, tls: Option<Arc<rustls::ServerConfig>>) -> HecReceiver {
        let shared = Shared {
            token: token.to_string(),
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(Answer::Ok),
            requests: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
        };
        HecReceiver {
            server: Server::start("hec-receiver", tls, shared, serve_conn),
        }
    }

    /// `http://127.0.0.1:PORT/services/collector` (`https://` with TLS).
    pub fn url(&self) -> String {
        let net = self.server.net();
        format!("{}://{}/services/collector", net.scheme(), net.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.net().addr()
    }

    /// The next requests get these answers, in order (after any scripted
    /// before), then the default again.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.server.state().script.lock().unwrap().extend(answers);
    }

    /// The answer once the script has run out.
    pub fn set_default(&self, answer: Answer) {
        *self.server.state().default.lock().unwrap() = answer;
    }

    /// Scripted answers not used yet.
    pub fn script_left(&self) -> usize {
        self.server.state().script.lock().unwrap().len()
    }

    /// Closes the port for `d`: connections are refused, then accepted again.
    pub fn go_away(&self, d: Duration) {
        self.server.net().go_away(d);
    }

    pub fn requests(&self) -> Vec<HecRequest> {
        self.server.state().requests.lock().unwrap().clone()
    }

    /// Violations of HEC's format and authorization failures seen.
    pub fn errors(&self) -> Vec<String> {
        self.server.state().errors.lock().unwrap().clone()
    }

    /// Objects of the requests HEC indexed, with their request's outcome.
    pub fn indexed(&self) -> Vec<(Outcome, Value)> {
        self.requests()
            .into_iter()
            .filter(|r| r.outcome.indexed())
            .flat_map(|r| r.objects.into_iter().map(move |o| (r.outcome, o)))
            .collect()
    }

    /// Waits until `f` holds for the requests so far, at most `timeout`.
    pub fn wait_until(&self, timeout: Duration, f: impl Fn(&[HecRequest]) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if f(&self.server.state().requests.lock().unwrap()) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn respond(conn: &mut dyn Stream, status: u16, extra: &str, body: &str) -> io::Result<()> {
    let reason = reason(status);
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=UTF-8\r\n\
         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(body.as_bytes())?;
    conn.close(true);
    Ok(())
}

fn hec_json(text: &str, code: i64) -> String {
    serde_json::json!({"text": text, "code": code}).to_string()
}

fn serve_conn(conn: &mut dyn Stream, net: &Net, shared: &Shared) -> io::Result<()> {
    let head = match read_head(conn)? {
        Incoming::Request(head) => head,
        Incoming::Nothing => return Ok(()),
        Incoming::NotHttp => {
            conn.close(false);
            return Ok(());
        }
    };
    let (method, mut rest) = (head.method, head.rest);
    let mut req = HecRequest {
        at: Instant::now(),
        method: method.clone(),
        path: head.path,
        headers: head.headers,
        wire_bytes: 0,
        raw_bytes: 0,
        body: Vec::new(),
        objects: Vec::new(),
        outcome: Outcome::Dropped,
    };
    let record = |req: HecRequest| shared.requests.lock().unwrap().push(req);

    if method != "POST" {
        req.outcome = Outcome::Refused(405);
        record(req);
        return respond(conn, 405, "", &hec_json("Method Not Allowed", 404));
    }
    // Authorization, as HEC checks it, before anything else.
    let auth = req.header("authorization").map(str::to_string);
    let refusal = match auth.as_deref() {
        None => Some((401, hec_json("Token is required", 2))),
        Some(a) => match a.strip_prefix("Splunk ") {
            None => Some((401, hec_json("Invalid authorization", 3))),
            Some(t) if t != shared.token => Some((403, hec_json("Invalid token", 4))),
            Some(_) => None,
        },
    };
    if let Some((status, body)) = refusal {
        shared
            .errors
            .lock()
            .unwrap()
            .push(format!("authorization refused ({status})"));
        req.outcome = Outcome::Refused(status);
        record(req);
        return respond(conn, status, "", &body);
    }

    let answer = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.default.lock().unwrap().clone());
    if answer == Answer::DropConnection {
        record(req);
        conn.close(false);
        return Ok(());
    }

    // The body.
    let wire = read_body(conn, &req, &mut rest)?;
    req.wire_bytes = wire.len();
    let gzip = req
        .header("content-encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    let body = if gzip {
        let mut out = Vec::new();
        match flate2::read::MultiGzDecoder::new(&wire[..])
            .take(MAX_BODY as u64)
            .read_to_end(&mut out)
        {
            Ok(_) => out,
            Err(e) => {
                shared
                    .errors
                    .lock()
                    .unwrap()
                    .push(format!("body is not gzip: {e}"));
                req.outcome = Outcome::Refused(400);
                record(req);
                return respond(conn, 400, "", &hec_json("Invalid data format", 6));
            }
        }
    } else {
        wire
    };
    req.raw_bytes = body.len();
    let mut invalid = None;
    for (i, item) in serde_json::Deserializer::from_slice(&body)
        .into_iter::<Value>()
        .enumerate()
    {
        match item {
            Ok(v) => {
                if let Err(e) = validate_object(&v) {
                    invalid.get_or_insert((i, e));
                }
                req.objects.push(v);
            }
            Err(e) => {
                invalid.get_or_insert((i, format!("not JSON: {e}")));
                break;
            }
        }
    }
    if req.objects.is_empty() && invalid.is_none() {
        invalid = Some((0, "no data".to_string()));
    }
    req.body = body;
    if let Some((i, e)) = invalid {
        shared
            .errors
            .lock()
            .unwrap()
            .push(format!("object #{i}: {e}"));
        req.outcome = Outcome::Refused(400);
        record(req);
        let body = serde_json::json!({"text": "Invalid data format", "code": 6, "invalid-event-number": i});
        return respond(conn, 400, "", &body.to_string());
    }

    match answer {
        Answer::Ok => {
            req.outcome = Outcome::Accepted;
            record(req);
            respond(conn, 200, "", &hec_json("Success", 0))
        }
        Answer::LoseResponse => {
            req.outcome = Outcome::ResponseLost;
            record(req);
            conn.close(false);
            Ok(())
        }
        Answer::Stall => {
            req.outcome = Outcome::Stalled;
            record(req);
            net.hold(MAX_STALL);
            conn.close(false);
            Ok(())
        }
        Answer::Late(after) => {
            req.outcome = Outcome::AnsweredLate;
            record(req);
            net.hold(after.min(MAX_STALL));
            respond(conn, 200, "", &hec_json("Success", 0))
        }
        Answer::Busy => {
            req.outcome = Outcome::Refused(503);
            record(req);
            respond(conn, 503, "", &hec_json("Server is busy", 9))
        }
        Answer::TooMany { retry_after } => {
            req.outcome = Outcome::Refused(429);
            record(req);
            let extra = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            respond(conn, 429, &extra, &hec_json("Too many requests", 9))
        }
        Answer::BadRequest {
            text,
            code,
            invalid_event_number,
        } => {
            req.outcome = Outcome::Refused(400);
            record(req);
            let mut body = serde_json::json!({"text": text, "code": code});
            if let Some(n) = invalid_event_number {
                body["invalid-event-number"] = n.into();
            }
            respond(conn, 400, "", &body.to_string())
        }
        Answer::Unauthorized => {
            req.outcome = Outcome::Refused(401);
            record(req);
            respond(conn, 401, "", &hec_json("Invalid authorization", 3))
        }
        Answer::Forbidden => {
            req.outcome = Outcome::Refused(403);
            record(req);
            respond(conn, 403, "", &hec_json("Invalid token", 4))
        }
        Answer::Status(status, body) => {
            req.outcome = Outcome::Refused(status);
            record(req);
            respond(conn, status, "", &body)
        }
        Answer::DropConnection => unreachable!("handled before the body"),
    }
}

fn read_body(conn: &mut dyn Stream, req: &HecRequest, rest: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    let mut data = std::mem::take(rest);
    let mut chunk = [0u8; 16384];
    if !chunked {
        let len: usize = req
            .header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if len > MAX_BODY {
            return Err(io::Error::other("body too large"));
        }
        while data.len() < len {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::other("body cut short"));
            }
            data.extend_from_slice(&chunk[..n]);
        }
        data.truncate(len);
        return Ok(data);
    }
    // Chunked: read until the last chunk, then decode.
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        // Make sure a whole chunk-size line is there.
        let line_end = loop {
            if let Some(i) = data[pos..].windows(2).position(|w| w == b"\r\n") {
                break pos + i;
            }
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::other("chunked body cut short"));
            }
            data.extend_from_slice(&chunk[..n]);
        };
        let size_text = String::from_utf8_lossy(&data[pos..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| io::Error::other("bad chunk size"))?;
        if out.len() + size > MAX_BODY {
            return Err(io::Error::other("body too large"));
        }
        let start = line_end + 2;
        while data.len() < start + size + 2 {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::other("chunked body cut short"));
            }
            data.extend_from_slice(&chunk[..n]);
        }
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&data[start..start + size]);
        pos = start + size + 2;
    }
}

/// Names Splunk reserves, which a dimension must not use.
const RESERVED: &[&str] = &[
    "host",
    "source",
    "sourcetype",
    "index",
    "metric_name",
    "_value",
    "_time",
    "time",
    "splunk_server",
    "linecount",
    "punct",
    "timestamp",
    "eventtype",
    "tag",
    "timestartpos",
    "timeendpos",
];

fn splunk_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Checks one object against HEC's metric format: `time` a number (seconds),
/// `event` "metric", `host`/`source`/`sourcetype`/`index` strings if
/// present, `fields` with at least one `metric_name:<name>` whose value is
/// a number and dimensions whose values are strings, every name valid for
/// Splunk.
pub fn validate_object(v: &Value) -> Result<(), String> {
    let o = v.as_object().ok_or("not a JSON object")?;
    for k in o.keys() {
        if ![
            "time",
            "event",
            "host",
            "source",
            "sourcetype",
            "index",
            "fields",
        ]
        .contains(&k.as_str())
        {
            return Err(format!("unexpected key {k:?}"));
        }
    }
    let time = o
        .get("time")
        .and_then(Value::as_f64)
        .ok_or("time is missing or not a number")?;
    if !(time > 1e9 && time < 1e11) {
        return Err(format!("time {time} is not seconds since 1970"));
    }
    if o.get("event").and_then(Value::as_str) != Some("metric") {
        return Err("event is not \"metric\"".to_string());
    }
    for k in ["host", "source", "sourcetype", "index"] {
        if let Some(x) = o.get(k) {
            match x.as_str() {
                Some(s) if !s.is_empty() => {}
                _ => return Err(format!("{k} is not a non-empty string")),
            }
        }
    }
    let fields = o
        .get("fields")
        .and_then(Value::as_object)
        .ok_or("fields is missing or not an object")?;
    let mut measures = 0;
    for (k, x) in fields {
        if let Some(name) = k.strip_prefix("metric_name:") {
            if !splunk_name(name) {
                return Err(format!("metric name {name:?} is not valid for Splunk"));
            }
            if !x.is_number() {
                return Err(format!("the value of {k} is not a number: {x}"));
            }
            measures += 1;
        } else {
            if !splunk_name(k) || RESERVED.contains(&k.as_str()) {
                return Err(format!("dimension name {k:?} is not valid for Splunk"));
            }
            if !x.is_string() {
                return Err(format!("dimension {k} is not a string: {x}"));
            }
        }
    }
    if measures == 0 {
        return Err("no metric_name:<name> in fields".to_string());
    }
    Ok(())
}
