//! Through an HTTP proxy: the modular input (its proxy password read from
//! the credential store) and the HEC sender (`-splunk_proxy`) reach their
//! targets only through a CONNECT proxy run here, which checks the
//! credentials and records where each tunnel went. An https target stays
//! TLS end to end inside the tunnel.

use test_support::hec_receiver;
use test_support::splunkd;
use test_support::test_servers;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use test_servers::{Response, TestPki, TestServer, TlsSettings};

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");

/// A CONNECT proxy on 127.0.0.1 that wants `Proxy-Authorization: Basic
/// <auth>` when `auth` is set (407 otherwise) and records each CONNECT
/// target it tunnelled to.
struct Proxy {
    url: String,
    tunnels: Arc<Mutex<Vec<String>>>,
    refused: Arc<Mutex<usize>>,
}

impl Proxy {
    fn start(auth: Option<(&str, &str)>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let want = auth.map(|(u, p)| {
            format!(
                "Basic {}",
                test_servers::base64(format!("{u}:{p}").as_bytes())
            )
        });
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let (t, r) = (tunnels.clone(), refused.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (want, t, r) = (want.clone(), t.clone(), r.clone());
                std::thread::spawn(move || tunnel(client, want.as_deref(), &t, &r));
            }
        });
        Proxy {
            url,
            tunnels,
            refused,
        }
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn tunnel(
    client: TcpStream,
    want: Option<&str>,
    tunnels: &Mutex<Vec<String>>,
    refused: &Mutex<usize>,
) {
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("proxy-authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
    let mut client = client;
    let mut parts = line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if want.is_some() && auth.as_deref() != want {
        *refused.lock().unwrap() += 1;
        let _ = client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\n\r\n",
        );
        return;
    }
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    tunnels.lock().unwrap().push(target.to_string());
    client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .unwrap();
    client.set_read_timeout(None).unwrap();
    // Whatever the client sent after its headers is already in `reader`.
    let pending = reader.buffer().to_vec();
    let mut up_w = upstream.try_clone().unwrap();
    up_w.write_all(&pending).unwrap();
    let mut up_r = upstream;
    let mut client_w = client.try_clone().unwrap();
    let mut client_r = reader.into_inner();
    let a = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_r, &mut up_w);
        let _ = up_w.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_r, &mut client_w);
    let _ = client_w.shutdown(std::net::Shutdown::Write);
    let _ = a.join();
}

/// splunkd's credential store with the proxy user's password.
fn store_with_proxy_password(user: &str, password: &str) -> splunkd::FakeSplunkd {
    let s = splunkd::FakeSplunkd::start();
    s.passwords.lock().unwrap().insert(
        (
            "mattermost_metrics".to_string(),
            format!("mattermost_metrics_proxy:{user}:"),
        ),
        password.to_string(),
    );
    s
}

fn run_input(splunkd: &splunkd::FakeSplunkd, extra: &[(&str, &str)]) -> splunkd::Run {
    let params = splunkd::input_params("", extra);
    let params: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, v)| *k != "url" || !v.is_empty())
        .collect();
    let mut cmd = Command::new(BIN);
    // Never a proxy from the environment: only the setting.
    cmd.env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("no_proxy");
    splunkd::run_command(cmd, &splunkd::input_xml(&splunkd.uri, "mm1", &params))
}

#[test]
fn the_input_scrapes_through_the_proxy_with_the_stored_password() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let proxy = Proxy::start(Some(("svc-splunk", "pr0xy-pw")));
    let splunkd = store_with_proxy_password("svc-splunk", "pr0xy-pw");
    let url = target.url();
    let r = run_input(
        &splunkd,
        &[
            ("url", &url),
            ("proxy", &proxy.url),
            ("proxy_username", "svc-splunk"),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("ERROR"), "{}", r.stderr);
    let events = splunkd::parse_stream(&r.stdout);
    assert!(events.iter().any(|e| e.data == "up 1"), "{}", r.stdout);
    assert_eq!(proxy.tunnels(), [target.addr().to_string()]);
    assert!(!r.stderr.contains("pr0xy-pw"));

    // A wrong password: the proxy refuses, the error says so, no secret shown.
    let wrong = store_with_proxy_password("svc-splunk", "wrong");
    let r = run_input(
        &wrong,
        &[
            ("url", &url),
            ("proxy", &proxy.url),
            ("proxy_username", "svc-splunk"),
        ],
    );
    eprintln!("{}", r.stderr);
    assert!(r.stderr.contains("ERROR"), "{}", r.stderr);
    assert!(
        r.stderr.contains("the HTTP proxy refused the credentials") && r.stderr.contains("407"),
        "says what the proxy answered: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("wrong"), "{}", r.stderr);
    assert_eq!(*proxy.refused.lock().unwrap(), 1);
    assert_eq!(proxy.tunnels().len(), 1, "nothing tunnelled for it");

    // No password stored: says where it goes.
    let empty = splunkd::FakeSplunkd::start();
    let r = run_input(
        &empty,
        &[
            ("url", &url),
            ("proxy", &proxy.url),
            ("proxy_username", "svc-splunk"),
        ],
    );
    assert!(
        r.stderr
            .contains("no password of proxy user svc-splunk in the credential store"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_https_target_stays_tls_inside_the_tunnel() {
    let pki = TestPki::new();
    let target = TestServer::https(
        TlsSettings::new(pki.server()),
        Response::prometheus("up 1\n"),
    );
    let proxy = Proxy::start(None);
    let splunkd = splunkd::FakeSplunkd::start();
    let (url, ca) = (target.url(), pki.ca_file().display().to_string());
    let r = run_input(
        &splunkd,
        &[("url", &url), ("proxy", &proxy.url), ("ca_bundle", &ca)],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        splunkd::parse_stream(&r.stdout)
            .iter()
            .any(|e| e.data == "up 1"),
        "{}",
        r.stderr
    );
    assert_eq!(proxy.tunnels(), [target.addr().to_string()]);
}

#[test]
fn the_form_refuses_credentials_in_the_proxy_url() {
    let splunkd = splunkd::FakeSplunkd::start();
    let xml = splunkd::items_xml(
        &splunkd.uri,
        "mm1",
        &[
            ("url", "http://127.0.0.1:9/metrics"),
            ("proxy", "http://u:s3cret@proxy.example.com:3128"),
        ],
    );
    let r = splunkd::run_binary(BIN, &["--validate-arguments"], &xml);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stdout
            .contains("must not contain a user name or password"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("s3cret") && !r.stderr.contains("s3cret"));
}

#[test]
fn the_hec_sender_reaches_hec_through_its_proxy() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let hec = hec_receiver::HecReceiver::start("tok-123");
    let proxy = Proxy::start(Some(("hec", "pw")));
    let proxy_url = proxy.url.replacen("http://", "http://hec:pw@", 1);
    let child = Command::new(BIN)
        .args([
            "hec",
            "-scrape_target",
            &target.url(),
            "-scrape_interval=200ms",
            "-timeout=150ms",
            "-splunk_target",
            &hec.url(),
        ])
        .env_clear()
        .env("SPLUNK_AUTHORIZATION", "tok-123")
        .env("SPLUNK_PROXY", &proxy_url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while hec.requests().is_empty() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!hec.requests().is_empty(), "{stderr}");
    assert!(
        proxy.tunnels().contains(&hec.addr().to_string()),
        "{stderr}"
    );
    assert!(
        !proxy.tunnels().contains(&target.addr().to_string()),
        "the scrape goes straight to Mattermost"
    );
    assert!(!stderr.contains("hec:pw"), "{stderr}");
}
