//! Small HTTP and HTTPS servers on 127.0.0.1, for tests that scrape.
//!
//! Each [`TestServer`] listens on `127.0.0.1:0` (a free port), answers every
//! connection on its own thread with what its constructor says, records the
//! requests it receives ([`TestServer::requests`]) and stops when dropped.
//! Connections are bounded (at most [`MAX_CONNECTIONS`] at once, each with
//! 5 s socket timeouts), every response closes its connection, and nothing
//! listens beyond the loopback address.
//!
//! ```text
//! use test_support::test_servers::{Response, TestServer};
//!
//! let server = TestServer::serve(Response::prometheus("up 1\n").gzip());
//! let url = server.url(); // http://127.0.0.1:PORT/metrics
//! // ... scrape url ...
//! assert_eq!(server.requests()[0].header("accept-encoding"), Some("gzip"));
//! ```
//!
//! HTTPS: [`TestPki::new`] makes a test CA with rcgen; [`TestPki::server`]
//! issues a certificate for `localhost` and `127.0.0.1`, and
//! [`TestServer::https`] serves with it, optionally requiring a client
//! certificate signed by a given CA ([`TlsSettings::require_client_cert`]).
//! [`TestPki::write`] puts PEM files in a temporary folder removed with the
//! `TestPki`.
//!
//! The listener, its threads and TLS are [`crate::loopback`]'s, shared
//! with the HEC receiver.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub use crate::loopback::MAX_CONNECTIONS;
use crate::loopback::{read_head, reason, Incoming, Net, Server, Stream};

/// What Mattermost (client_golang's promhttp) sends for text 0.0.4.
pub const PROMETHEUS_CONTENT_TYPE: &str =
    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores";
/// What promhttp sends for OpenMetrics 1.0.0.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";

/// The longest a [`Reply::Hang`] connection is held (it ends sooner when
/// the server is dropped).
const MAX_HANG: Duration = Duration::from_secs(60);

/// An HTTP response to send.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// `None`: no `Content-Type` header.
    pub content_type: Option<String>,
    /// The body before compression.
    pub body: Vec<u8>,
    /// Compress the body and send `Content-Encoding: gzip`.
    pub gzip: bool,
    /// Send the body with `Transfer-Encoding: chunked` (8 KiB chunks)
    /// instead of `Content-Length`.
    pub chunked: bool,
    /// More headers, sent as given.
    pub headers: Vec<(String, String)>,
}

impl Default for Response {
    fn default() -> Response {
        Response {
            status: 200,
            content_type: Some(PROMETHEUS_CONTENT_TYPE.to_string()),
            body: Vec::new(),
            gzip: false,
            chunked: false,
            headers: Vec::new(),
        }
    }
}

impl Response {
    /// 200 with Prometheus text 0.0.4, as Mattermost serves it.
    pub fn prometheus(body: impl Into<Vec<u8>>) -> Response {
        Response {
            body: body.into(),
            ..Response::default()
        }
    }

    /// 200 with OpenMetrics 1.0.0.
    pub fn openmetrics(body: impl Into<Vec<u8>>) -> Response {
        Response {
            content_type: Some(OPENMETRICS_CONTENT_TYPE.to_string()),
            body: body.into(),
            ..Response::default()
        }
    }

    /// Any status, content type and body.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: Some(content_type.to_string()),
            body: body.into(),
            ..Response::default()
        }
    }

    /// Sent gzip-compressed (`Content-Encoding: gzip`).
    pub fn gzip(mut self) -> Response {
        self.gzip = true;
        self
    }

    /// 200, Prometheus text, `body` compressed here once and sent as it is
    /// with `Content-Encoding: gzip`: a target that costs what a real one
    /// does to serve, for measurements of the client.
    pub fn prometheus_pregzipped(body: &[u8]) -> Response {
        Response::prometheus(gzip(body)).header("Content-Encoding", "gzip")
    }

    /// Sent chunked.
    pub fn chunked(mut self) -> Response {
        self.chunked = true;
        self
    }

    /// With one more header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Without a `Content-Type` header.
    pub fn without_content_type(mut self) -> Response {
        self.content_type = None;
        self
    }

    /// The bytes on the wire after the headers, and the headers that say
    /// how they are framed.
    fn encode(&self) -> (Vec<u8>, Vec<u8>) {
        let payload = if self.gzip {
            gzip(&self.body)
        } else {
            self.body.clone()
        };
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        if let Some(ct) = &self.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if self.gzip {
            head.push_str("Content-Encoding: gzip\r\n");
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("Connection: close\r\n");
        let body = if self.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
            let mut out = Vec::with_capacity(payload.len() + 64);
            for chunk in payload.chunks(8192) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            out
        } else {
            head.push_str(&format!("Content-Length: {}\r\n", payload.len()));
            payload
        };
        head.push_str("\r\n");
        (head.into_bytes(), body)
    }
}

/// What a server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Send this response and close.
    Respond(Response),
    /// Read the request and never answer (until the server is dropped).
    Hang,
    /// Send the response's headers (with the full `Content-Length`) and the
    /// first `sent` bytes of its (encoded) body, then close the connection.
    CloseMidBody { response: Response, sent: usize },
    /// Send the headers and the first `sent` bytes of the body, then hold
    /// the connection open without sending more (until the server is
    /// dropped).
    StallMidBody { response: Response, sent: usize },
    /// Stream a generated 0.0.4 body of `bytes` bytes (`gzip`: compressed
    /// with a repeated gzip member, so a huge decoded size costs little on
    /// the wire). Chunked; stops early when the client goes away.
    Stream { bytes: u64, gzip: bool },
    /// Write these bytes as they are, then close.
    Raw(Vec<u8>),
    /// Close the connection without answering.
    Close,
}

impl From<Response> for Reply {
    fn from(r: Response) -> Reply {
        Reply::Respond(r)
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target, e.g. `/metrics`.
    pub path: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

struct State {
    requests: Mutex<Vec<Request>>,
    handler: Handler,
}

/// A loopback HTTP(S) server; stops when dropped.
pub struct TestServer {
    server: Server<State>,
}

impl TestServer {
    /// Answers every request with `response`.
    pub fn serve(response: Response) -> TestServer {
        TestServer::handle(move |_| Reply::Respond(response.clone()))
    }

    /// Answers each request with what `f` returns for it.
    pub fn handle(f: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> TestServer {
        TestServer::start(Arc::new(f), None)
    }

    /// Answers the responses in turn, the last one again once they run out
    /// (e.g. successive scrapes of a node).
    pub fn sequence(responses: Vec<Response>) -> TestServer {
        assert!(!responses.is_empty(), "sequence needs a response");
        let next = AtomicUsize::new(0);
        TestServer::handle(move |_| {
            let i = next.fetch_add(1, Ordering::SeqCst).min(responses.len() - 1);
            Reply::Respond(responses[i].clone())
        })
    }

    /// Answers `status` with a short text/plain body naming it.
    pub fn status(status: u16) -> TestServer {
        TestServer::serve(Response::new(
            status,
            "text/plain; charset=utf-8",
            format!("{} {}\n", status, reason(status)),
        ))
    }

    /// Accepts connections, reads the request and never answers.
    pub fn never_answer() -> TestServer {
        TestServer::handle(|_| Reply::Hang)
    }

    /// Sends `response`'s headers with its full `Content-Length` and only
    /// `sent` bytes of its body, then closes.
    pub fn close_mid_body(response: Response, sent: usize) -> TestServer {
        TestServer::handle(move |_| Reply::CloseMidBody {
            response: response.clone(),
            sent,
        })
    }

    /// Sends the headers and `sent` bytes of the body, then stalls.
    pub fn stall_mid_body(response: Response, sent: usize) -> TestServer {
        TestServer::handle(move |_| Reply::StallMidBody {
            response: response.clone(),
            sent,
        })
    }

    /// 200, 0.0.4, `Content-Encoding: gzip` and a body that is not gzip
    /// (a valid gzip header followed by garbage).
    pub fn corrupt_gzip() -> TestServer {
        let mut body = gzip(b"up 1\n")[..10].to_vec();
        body.extend_from_slice(b"this is not a deflate stream \xff\xfe\xfd\xfc and never was");
        let mut raw = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {PROMETHEUS_CONTENT_TYPE}\r\nContent-Encoding: gzip\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(&body);
        TestServer::handle(move |_| Reply::Raw(raw.clone()))
    }

    /// 200, 0.0.4, a generated body of `bytes` bytes, streamed chunked.
    pub fn huge(bytes: u64) -> TestServer {
        TestServer::handle(move |_| Reply::Stream { bytes, gzip: false })
    }

    /// 200, 0.0.4, gzip: a body that decodes to `decoded_bytes` bytes from
    /// about a thousandth of that on the wire.
    pub fn gzip_bomb(decoded_bytes: u64) -> TestServer {
        TestServer::handle(move |_| Reply::Stream {
            bytes: decoded_bytes,
            gzip: true,
        })
    }

    /// Answers `response` to requests with `Authorization: Bearer <token>`,
    /// 401 (with `WWW-Authenticate: Bearer`) to others.
    pub fn require_bearer(token: &str, response: Response) -> TestServer {
        let expected = format!("Bearer {token}");
        TestServer::handle(move |req| {
            if req.header("authorization") == Some(expected.as_str()) {
                Reply::Respond(response.clone())
            } else {
                Reply::Respond(
                    Response::new(401, "text/plain", "unauthorized\n")
                        .header("WWW-Authenticate", "Bearer realm=\"metrics\""),
                )
            }
        })
    }

    /// Answers `response` to requests with basic auth `user:password`,
    /// 401 (with `WWW-Authenticate: Basic`) to others.
    pub fn require_basic(user: &str, password: &str, response: Response) -> TestServer {
        let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        TestServer::handle(move |req| {
            if req.header("authorization") == Some(expected.as_str()) {
                Reply::Respond(response.clone())
            } else {
                Reply::Respond(
                    Response::new(401, "text/plain", "unauthorized\n")
                        .header("WWW-Authenticate", "Basic realm=\"metrics\""),
                )
            }
        })
    }

    /// Answers `302 Found` with `Location: location`.
    pub fn redirect(location: &str) -> TestServer {
        TestServer::serve(Response::new(302, "text/plain", "moved\n").header("Location", location))
    }

    /// HTTPS: answers every request with `response`.
    pub fn https(tls: TlsSettings, response: Response) -> TestServer {
        TestServer::https_handle(tls, move |_| Reply::Respond(response.clone()))
    }

    /// HTTPS: answers each request with what `f` returns.
    pub fn https_handle(
        tls: TlsSettings,
        f: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        TestServer::start(Arc::new(f), Some(tls.server_config()))
    }

    fn start(handler: Handler, tls: Option<Arc<rustls::ServerConfig>>) -> TestServer {
        let state = State {
            requests: Mutex::new(Vec::new()),
            handler,
        };
        TestServer {
            server: Server::start("test-server", tls, state, serve_stream),
        }
    }

    /// `http://127.0.0.1:PORT/metrics` (`https://` for an HTTPS server).
    pub fn url(&self) -> String {
        format!("{}/metrics", self.base_url())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.server.net().scheme(), self.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.net().addr()
    }

    /// The requests received so far (headers read; bodies are ignored).
    pub fn requests(&self) -> Vec<Request> {
        self.server.state().requests.lock().unwrap().clone()
    }

    /// The only request received; panics unless there was exactly one.
    pub fn only_request(&self) -> Request {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected one request, got {requests:?}");
        requests.into_iter().next().unwrap()
    }

    /// Why TLS handshakes failed on the server's side, so far.
    pub fn tls_errors(&self) -> Vec<String> {
        self.server.net().tls_errors()
    }
}

fn serve_stream(stream: &mut dyn Stream, net: &Net, state: &State) -> io::Result<()> {
    let request = match read_head(stream)? {
        Incoming::Request(head) => Request {
            method: head.method,
            path: head.path,
            headers: head.headers,
        },
        Incoming::Nothing => return Ok(()),
        Incoming::NotHttp => {
            // As Go's net/http does.
            stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request")?;
            stream.close(true);
            return Ok(());
        }
    };
    state.requests.lock().unwrap().push(request.clone());
    let reply = (state.handler)(&request);
    match reply {
        Reply::Respond(response) => {
            let (head, body) = response.encode();
            stream.write_all(&head)?;
            stream.write_all(&body)?;
            stream.close(true);
        }
        Reply::Hang => {
            net.hold(MAX_HANG);
            stream.close(false);
        }
        Reply::CloseMidBody { response, sent } => {
            let (head, body) = response.encode();
            stream.write_all(&head)?;
            stream.write_all(&body[..sent.min(body.len())])?;
            stream.flush()?;
            // Let the client read what was sent before the close.
            thread::sleep(Duration::from_millis(50));
            stream.close(false);
        }
        Reply::StallMidBody { response, sent } => {
            let (head, body) = response.encode();
            stream.write_all(&head)?;
            stream.write_all(&body[..sent.min(body.len())])?;
            stream.flush()?;
            net.hold(MAX_HANG);
            stream.close(false);
        }
        Reply::Stream {
            bytes,
            gzip: compressed,
        } => {
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {PROMETHEUS_CONTENT_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
            );
            if compressed {
                head.push_str("Content-Encoding: gzip\r\n");
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            let block = filler_block();
            let member = if compressed { gzip(&block) } else { Vec::new() };
            let mut left = bytes;
            while left > 0 && !net.stopping() {
                let piece: Vec<u8> = if left >= block.len() as u64 {
                    left -= block.len() as u64;
                    if compressed {
                        member.clone()
                    } else {
                        block.clone()
                    }
                } else {
                    let part = &block[..left as usize];
                    left = 0;
                    if compressed {
                        gzip(part)
                    } else {
                        part.to_vec()
                    }
                };
                // The client stops reading at its cap: a write error ends this.
                stream.write_all(format!("{:x}\r\n", piece.len()).as_bytes())?;
                stream.write_all(&piece)?;
                stream.write_all(b"\r\n")?;
            }
            stream.write_all(b"0\r\n\r\n")?;
            stream.close(true);
        }
        Reply::Raw(bytes) => {
            stream.write_all(&bytes)?;
            stream.close(true);
        }
        Reply::Close => stream.close(false),
    }
    Ok(())
}

/// 1 MiB of valid 0.0.4 lines.
fn filler_block() -> Vec<u8> {
    let line = b"mattermost_filler_total{handler=\"padding\"} 1\n";
    let mut block = Vec::with_capacity(1 << 20);
    while block.len() + line.len() <= 1 << 20 {
        block.extend_from_slice(line);
    }
    block.resize(1 << 20, b'\n');
    block
}

/// `data` gzip-compressed.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Standard base64 (for basic auth).
pub fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

// ---------------------------------------------------------------------------
// TLS

/// A certificate and its private key, PEM.
#[derive(Clone, Debug)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A test certificate authority made at test time, and a temporary folder
/// for the PEM files a scraper reads.
pub struct TestPki {
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    /// The CA's certificate, PEM.
    pub ca_pem: String,
    dir: TempDir,
}

impl TestPki {
    /// A new CA ("mattermost_metrics test CA N"); every call makes a
    /// different one, with a different name.
    pub fn new() -> TestPki {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        static NEXT_CA: AtomicUsize = AtomicUsize::new(1);
        let name = format!(
            "mattermost_metrics test CA {}",
            NEXT_CA.fetch_add(1, Ordering::SeqCst)
        );
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertifiedIssuer::self_signed(params, key).unwrap();
        let ca_pem = ca.pem();
        TestPki {
            ca,
            ca_pem,
            dir: TempDir::new(),
        }
    }

    /// A server certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn server(&self) -> Identity {
        self.issue(&["localhost", "127.0.0.1", "::1"], false, false)
    }

    /// A client certificate (CN "scraper").
    pub fn client(&self) -> Identity {
        self.issue(&["scraper.test"], true, false)
    }

    /// A certificate for `names` (DNS names or IP addresses): for a client
    /// if `client`, else for a server; `expired`: valid in 2000 only.
    pub fn issue(&self, names: &[&str], client: bool, expired: bool) -> Identity {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names.clone()).unwrap();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        params.use_authority_key_identifier_extension = true;
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A self-signed CA certificate (`CA:TRUE`) for `localhost` and
    /// `127.0.0.1`, as `openssl req -x509` makes one, to be served as a
    /// server's own certificate (the mistake webpki calls
    /// CaUsedAsEndEntity). Trust it by writing its `cert_pem` as a bundle.
    pub fn ca_as_server_identity() -> Identity {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes `contents` to `name` in the temporary folder; returns the path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// The CA certificate as a file (`ca.pem`).
    pub fn ca_file(&self) -> PathBuf {
        self.write("ca.pem", &self.ca_pem)
    }

    /// An identity as two files, `<name>.crt` and `<name>.key`.
    pub fn identity_files(&self, name: &str, id: &Identity) -> (PathBuf, PathBuf) {
        (
            self.write(&format!("{name}.crt"), &id.cert_pem),
            self.write(&format!("{name}.key"), &id.key_pem),
        )
    }

    /// The temporary folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for TestPki {
    fn default() -> TestPki {
        TestPki::new()
    }
}

/// How an HTTPS [`TestServer`] does TLS.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    /// The server's certificate and key.
    pub identity: Identity,
    /// If set, a client certificate signed by this CA (PEM) is required.
    pub client_ca_pem: Option<String>,
}

impl TlsSettings {
    /// Serve with `identity`, no client certificate asked.
    pub fn new(identity: Identity) -> TlsSettings {
        TlsSettings {
            identity,
            client_ca_pem: None,
        }
    }

    /// Require a client certificate signed by the CA `ca_pem`.
    pub fn require_client_cert(mut self, ca_pem: &str) -> TlsSettings {
        self.client_ca_pem = Some(ca_pem.to_string());
        self
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.identity.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_slice(self.identity.key_pem.as_bytes()).unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match &self.client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(cert.unwrap()).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        Arc::new(builder.with_single_cert(chain, key).unwrap())
    }
}

/// A temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "mattermost_metrics_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            nanos
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Default for TempDir {
    fn default() -> TempDir {
        TempDir::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
