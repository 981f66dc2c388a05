//! What the loopback servers share ([`crate::test_servers`]'s scrape
//! targets and [`crate::hec_receiver`]'s HEC): a listener on `127.0.0.1:0`
//! whose connections are each served on their own thread, TLS when
//! configured, the request head read, and an end that says whether it was
//! clean.
//!
//! Bounded: at most [`MAX_CONNECTIONS`] at once, [`IO_TIMEOUT`] on every
//! socket; everything stops when the [`Server`] is dropped. Nothing listens
//! beyond 127.0.0.1.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 16;
/// Socket read and write timeout of every connection.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// A served connection, plain or TLS.
pub trait Stream: Read + Write {
    /// Ends the connection: with `clean`, TLS close_notify first (a client
    /// then sees a proper end, not a truncation), then TCP shutdown.
    fn close(&mut self, clean: bool);
}

impl Stream for TcpStream {
    fn close(&mut self, _clean: bool) {
        let _ = self.flush();
        let _ = self.shutdown(Shutdown::Both);
    }
}

impl Stream for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn close(&mut self, clean: bool) {
        if clean {
            self.conn.send_close_notify();
        }
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Both);
    }
}

/// The listener's side every connection can see.
pub struct Net {
    addr: SocketAddr,
    stop: AtomicBool,
    active: AtomicUsize,
    /// While set and in the future, the port is closed ([`Net::go_away`]).
    away_until: Mutex<Option<Instant>>,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// TLS handshakes and reads that failed, with rustls' reason.
    tls_errors: Mutex<Vec<String>>,
}

impl Net {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// Whether the server is being dropped.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits `d`, or until the server is dropped.
    pub fn hold(&self, d: Duration) {
        let start = Instant::now();
        while !self.stopping() && start.elapsed() < d {
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Closes the port for `d` (connections are refused), then listens on
    /// it again; returns once the port is closed.
    pub fn go_away(&self, d: Duration) {
        *self.away_until.lock().unwrap() = Some(Instant::now() + d);
        let start = Instant::now();
        while TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
            && start.elapsed() < Duration::from_secs(2)
        {
            thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn tls_errors(&self) -> Vec<String> {
        self.tls_errors.lock().unwrap().clone()
    }

    fn record_tls_error(&self, e: &io::Error) {
        if let Some(inner) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
            self.tls_errors.lock().unwrap().push(inner.to_string());
        }
    }
}

/// How a server answers one connection.
pub type Serve<S> = fn(&mut dyn Stream, &Net, &S) -> io::Result<()>;

/// A listener on 127.0.0.1 and its state `S`; stops when dropped.
pub struct Server<S> {
    net: Arc<Net>,
    state: Arc<S>,
    accept: Option<JoinHandle<()>>,
}

impl<S: Send + Sync + 'static> Server<S> {
    /// Listens on a free loopback port (TLS with `tls`) and answers each
    /// connection with `serve` on its own thread.
    pub fn start(
        name: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
        state: S,
        serve: Serve<S>,
    ) -> Server<S> {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let net = Arc::new(Net {
            addr: listener.local_addr().expect("listener address"),
            stop: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            away_until: Mutex::new(None),
            tls,
            tls_errors: Mutex::new(Vec::new()),
        });
        let state = Arc::new(state);
        let (n, s) = (net.clone(), state.clone());
        let conn_name = format!("{name}-conn");
        let accept = thread::Builder::new()
            .name(format!("{name}-{}", net.addr.port()))
            .spawn(move || accept_loop(listener, n, s, serve, conn_name))
            .expect("spawn accept thread");
        Server {
            net,
            state,
            accept: Some(accept),
        }
    }

    pub fn net(&self) -> &Net {
        &self.net
    }

    pub fn state(&self) -> &S {
        &self.state
    }
}

impl<S> Drop for Server<S> {
    fn drop(&mut self) {
        self.net.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop<S: Send + Sync + 'static>(
    listener: TcpListener,
    net: Arc<Net>,
    state: Arc<S>,
    serve: Serve<S>,
    conn_name: String,
) {
    let mut listener = Some(listener);
    while !net.stopping() {
        let away = *net.away_until.lock().unwrap();
        if let Some(until) = away {
            if Instant::now() < until {
                // Closed: the kernel refuses connections.
                listener = None;
                thread::sleep(Duration::from_millis(5));
                continue;
            }
            *net.away_until.lock().unwrap() = None;
        }
        let Some(open) = &listener else {
            // std sets SO_REUSEADDR: the port can be bound again at once.
            match TcpListener::bind(net.addr) {
                Ok(l) => {
                    l.set_nonblocking(true).expect("nonblocking listener");
                    listener = Some(l);
                }
                Err(_) => thread::sleep(Duration::from_millis(20)),
            }
            continue;
        };
        if net.active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            thread::sleep(Duration::from_millis(5));
            continue;
        }
        match open.accept() {
            Ok((tcp, _)) => {
                net.active.fetch_add(1, Ordering::SeqCst);
                let (n, s) = (net.clone(), state.clone());
                let spawned = thread::Builder::new()
                    .name(conn_name.clone())
                    .spawn(move || {
                        if let Err(e) = connection(tcp, &n, &*s, serve) {
                            n.record_tls_error(&e);
                        }
                        n.active.fetch_sub(1, Ordering::SeqCst);
                    });
                if spawned.is_err() {
                    net.active.fetch_sub(1, Ordering::SeqCst);
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn connection<S>(tcp: TcpStream, net: &Net, state: &S, serve: Serve<S>) -> io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    tcp.set_nodelay(true)?;
    match &net.tls {
        None => {
            let mut tcp = tcp;
            serve(&mut tcp, net, state)
        }
        Some(config) => {
            let conn = rustls::ServerConnection::new(config.clone()).map_err(io::Error::other)?;
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            // Finish the handshake first, so that why it fails is recorded.
            while tls.conn.is_handshaking() {
                if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
                    net.tls_errors.lock().unwrap().push(e.to_string());
                    let _ = tls.conn.write_tls(&mut tls.sock);
                    let _ = tls.sock.shutdown(Shutdown::Both);
                    return Ok(());
                }
            }
            serve(&mut tls, net, state)
        }
    }
}

/// A request's line and headers, and the bytes read past them.
#[derive(Clone, Debug)]
pub struct Head {
    pub method: String,
    pub path: String,
    /// Names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The start of the body, read with the head.
    pub rest: Vec<u8>,
}

/// What a client sent first.
pub enum Incoming {
    /// Nothing: the connection closed.
    Nothing,
    /// Not an HTTP request (e.g. a TLS ClientHello on a plain port), or a
    /// head longer than 64 KiB.
    NotHttp,
    Request(Head),
}

/// Reads the request line and headers.
pub fn read_head(stream: &mut dyn Stream) -> io::Result<Incoming> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(if buf.is_empty() {
                Incoming::Nothing
            } else {
                Incoming::NotHttp
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        if !looks_like_http(&buf) {
            return Ok(Incoming::NotHttp);
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Ok(Incoming::NotHttp);
        }
    };
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Incoming::Request(Head {
        method,
        path,
        headers,
        rest: buf[end + 4..].to_vec(),
    }))
}

/// Whether `buf` can be the start of an HTTP/1 request: a method of
/// upper-case letters, then a space.
fn looks_like_http(buf: &[u8]) -> bool {
    let method_len = buf.iter().position(|&b| b == b' ').unwrap_or(buf.len());
    method_len <= 16
        && buf[..method_len].iter().all(u8::is_ascii_uppercase)
        && (method_len > 0 || buf.is_empty())
}

/// The reason phrase of a status (RFC 9110, section 15).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
