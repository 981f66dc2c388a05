//! The scrape step against loopback servers: bodies, headers, formats,
//! every error kind with its message, auth, and TLS (verification, CA
//! bundle, mutual TLS).

use test_support::test_servers;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mattermost_metrics::exposition::Format;
use mattermost_metrics::scrape::{
    Auth, ScrapeConfig, ScrapeError, Scraper, Secret, TlsProblem, ACCEPT, USER_AGENT,
};
use test_servers::{Identity, Reply, Response, TestPki, TestServer, TlsSettings};

const BODY: &str = "# HELP mattermost_http_requests_total The total number of http API requests.\n\
# TYPE mattermost_http_requests_total counter\n\
mattermost_http_requests_total 1234\n\
# HELP mattermost_db_master_connections_total The total number of connections to the master database.\n\
# TYPE mattermost_db_master_connections_total gauge\n\
mattermost_db_master_connections_total 20\n";

const OPENMETRICS_BODY: &str = "# TYPE mattermost_up gauge\nmattermost_up 1\n# EOF\n";

fn config(url: &str) -> ScrapeConfig {
    let mut cfg = ScrapeConfig::new(url);
    cfg.timeout = Duration::from_secs(5);
    cfg
}

fn scrape(cfg: &ScrapeConfig) -> Result<mattermost_metrics::scrape::Scrape, ScrapeError> {
    Scraper::new(cfg).expect("valid config").scrape()
}

fn scrape_url(url: &str) -> Result<mattermost_metrics::scrape::Scrape, ScrapeError> {
    scrape(&config(url))
}

fn expect_err(result: Result<mattermost_metrics::scrape::Scrape, ScrapeError>) -> ScrapeError {
    match result {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

/// The message is one line, names the URL and holds each of `parts`.
fn assert_message(e: &ScrapeError, url: &str, parts: &[&str]) {
    let msg = e.to_string();
    eprintln!("{}: {msg}", e.kind());
    assert!(!msg.contains('\n'), "not one line: {msg}");
    assert!(msg.contains(url), "no URL {url} in: {msg}");
    for part in parts {
        assert!(msg.contains(part), "no {part:?} in: {msg}");
    }
    assert_eq!(e.url(), url);
}

// --- bodies and formats ----------------------------------------------------

#[test]
fn plain_body_arrives_whole() {
    let server = TestServer::serve(Response::prometheus(BODY));
    let s = scrape_url(&server.url()).unwrap();
    assert_eq!(s.body, BODY.as_bytes());
    assert_eq!(s.status, 200);
    assert_eq!(s.format, Format::Prometheus);
    assert_eq!(s.content_type, test_servers::PROMETHEUS_CONTENT_TYPE);
    assert!(
        s.duration > Duration::ZERO && s.duration < Duration::from_secs(5),
        "{:?}",
        s.duration
    );
}

#[test]
fn gzip_body_arrives_identical_to_plain() {
    let plain = TestServer::serve(Response::prometheus(BODY));
    let gz = TestServer::serve(Response::prometheus(BODY).gzip());
    let a = scrape_url(&plain.url()).unwrap();
    let b = scrape_url(&gz.url()).unwrap();
    assert_eq!(a.body, b.body);
    assert_eq!(b.body, BODY.as_bytes());
}

#[test]
fn chunked_and_chunked_gzip_bodies_arrive_whole() {
    let big: String = (0..20_000)
        .map(|i| format!("mattermost_x{{i=\"{i}\"}} {i}\n"))
        .collect();
    for response in [
        Response::prometheus(big.clone()).chunked(),
        Response::prometheus(big.clone()).gzip().chunked(),
    ] {
        let server = TestServer::serve(response);
        let s = scrape_url(&server.url()).unwrap();
        assert_eq!(s.body.len(), big.len());
        assert!(s.body == big.as_bytes());
    }
}

#[test]
fn request_headers() {
    let server = TestServer::serve(Response::prometheus(BODY));
    scrape_url(&server.url()).unwrap();
    let req = server.only_request();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/metrics");
    assert_eq!(
        req.header("accept"),
        Some("text/plain;version=0.0.4;q=1.0, application/openmetrics-text;version=1.0.0;q=0.5, */*;q=0.1")
    );
    assert_eq!(req.header("accept"), Some(ACCEPT));
    assert_eq!(req.header("accept-encoding"), Some("gzip"));
    assert_eq!(
        req.header("user-agent"),
        Some(concat!("mattermost_metrics/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(req.header("user-agent"), Some(USER_AGENT));
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn openmetrics_content_type_is_detected() {
    let server = TestServer::serve(Response::openmetrics(OPENMETRICS_BODY));
    let s = scrape_url(&server.url()).unwrap();
    assert_eq!(s.format, Format::OpenMetrics);
    assert_eq!(s.body, OPENMETRICS_BODY.as_bytes());
    assert!(
        s.content_type.starts_with("application/openmetrics-text"),
        "{}",
        s.content_type
    );
}

#[test]
fn missing_content_type_is_read_as_0_0_4() {
    let server = TestServer::serve(Response::prometheus(BODY).without_content_type());
    let s = scrape_url(&server.url()).unwrap();
    assert_eq!(s.format, Format::Prometheus);
    assert_eq!(s.content_type, "");
}

#[test]
fn scraper_is_reusable() {
    let server = TestServer::sequence(vec![
        Response::prometheus("a 1\n"),
        Response::prometheus("a 2\n"),
    ]);
    let scraper = Scraper::new(&config(&server.url())).unwrap();
    assert_eq!(scraper.scrape().unwrap().body, b"a 1\n");
    assert_eq!(scraper.scrape().unwrap().body, b"a 2\n");
    assert_eq!(server.requests().len(), 2);
}

// --- not metrics ---------------------------------------------------------------

#[test]
fn html_page_is_not_metrics() {
    let server = TestServer::serve(Response::new(
        200,
        "text/html; charset=utf-8",
        "<html><body>Mattermost</body></html>",
    ));
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "not_metrics");
    assert_message(
        &e,
        &server.url(),
        &[
            "Content-Type \"text/html; charset=utf-8\"",
            "/metrics",
            "MetricsSettings.ListenAddress",
        ],
    );
}

#[test]
fn json_and_protobuf_are_not_metrics() {
    for ct in ["application/json", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"] {
        let server = TestServer::serve(Response::new(200, ct, "{}"));
        let e = expect_err(scrape_url(&server.url()));
        assert_eq!(e.kind(), "not_metrics", "{ct}");
        assert_message(&e, &server.url(), &[ct]);
    }
}

// --- connection errors ---------------------------------------------------------

#[test]
fn connection_refused() {
    // A port that was free a moment ago and has nothing listening now.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/metrics");
    let e = expect_err(scrape_url(&url));
    assert_eq!(e.kind(), "connection_refused");
    assert_message(
        &e,
        &url,
        &[
            "connection refused",
            "is Mattermost running and is MetricsSettings.ListenAddress this port?",
        ],
    );
}

#[test]
fn never_answering_target_times_out_within_the_timeout() {
    let server = TestServer::never_answer();
    let mut cfg = config(&server.url());
    cfg.timeout = Duration::from_secs(1);
    let start = Instant::now();
    let e = expect_err(scrape(&cfg));
    let elapsed = start.elapsed();
    assert_eq!(e.kind(), "timeout");
    assert!(
        elapsed >= Duration::from_millis(900),
        "gave up too early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "took {elapsed:?} for a 1 s timeout"
    );
    assert_message(
        &e,
        &server.url(),
        &["within 1s", "waiting for the response"],
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn timeout_covers_the_body() {
    let body = BODY.repeat(100);
    let server = TestServer::stall_mid_body(Response::prometheus(body), 100);
    let mut cfg = config(&server.url());
    cfg.timeout = Duration::from_millis(1500);
    let start = Instant::now();
    let e = expect_err(scrape(&cfg));
    let elapsed = start.elapsed();
    assert_eq!(e.kind(), "timeout");
    assert!(elapsed < Duration::from_millis(3500), "took {elapsed:?}");
    assert_message(&e, &server.url(), &["within 1.5s", "reading the body"]);
}

#[test]
fn closed_without_answer() {
    let server = TestServer::handle(|_| Reply::Close);
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "closed");
    assert_message(
        &e,
        &server.url(),
        &["closed the connection without answering"],
    );
}

#[test]
fn garbage_answer_is_a_protocol_error() {
    let server = TestServer::handle(|_| {
        Reply::Raw(b"SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n".to_vec())
    });
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "protocol");
    assert_message(
        &e,
        &server.url(),
        &["did not answer with valid HTTP", "https://"],
    );
}

// --- HTTP status -------------------------------------------------------------

#[test]
fn status_404_explains_mattermost_metrics_settings() {
    let server = TestServer::status(404);
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "http_status");
    assert_eq!(e.status(), Some(404));
    assert_message(
        &e,
        &server.url(),
        &[
            "HTTP 404 Not Found",
            "Mattermost serves /metrics only when MetricsSettings.Enable is true and the licence includes metrics (Enterprise), on MetricsSettings.ListenAddress, default :8067",
        ],
    );
}

#[test]
fn status_401_without_credentials_says_they_are_needed() {
    let server = TestServer::require_bearer("t0ken", Response::prometheus(BODY));
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.status(), Some(401));
    assert_message(
        &e,
        &server.url(),
        &["HTTP 401", "the endpoint needs credentials"],
    );
}

#[test]
fn status_401_with_credentials_says_they_were_refused() {
    let server = TestServer::require_bearer("right-token", Response::prometheus(BODY));
    let mut cfg = config(&server.url());
    cfg.auth = Auth::Bearer(Secret::new("wrong-token-x9"));
    let e = expect_err(scrape(&cfg));
    assert_eq!(e.status(), Some(401));
    assert_message(&e, &server.url(), &["HTTP 401", "refused the credentials"]);
    assert!(!format!("{e} {e:?}").contains("wrong-token-x9"));
}

#[test]
fn status_403_hints() {
    let server = TestServer::status(403);
    let e = expect_err(scrape_url(&server.url()));
    assert_message(
        &e,
        &server.url(),
        &["HTTP 403 Forbidden", "may need credentials"],
    );

    let mut cfg = config(&server.url());
    cfg.auth = Auth::Basic {
        username: "metrics".into(),
        password: Secret::new("pw-403-secret"),
    };
    let e = expect_err(scrape(&cfg));
    assert_message(&e, &server.url(), &["HTTP 403", "credentials were refused"]);
    assert!(!format!("{e} {e:?}").contains("pw-403-secret"));
}

#[test]
fn status_5xx_hints_and_quotes_the_page() {
    for status in [500, 502, 503] {
        let server = TestServer::serve(Response::new(
            status,
            "text/plain",
            "upstream connect error\nor disconnect\n",
        ));
        let e = expect_err(scrape_url(&server.url()));
        assert_eq!(e.kind(), "http_status");
        assert_eq!(e.status(), Some(status));
        assert_message(
            &e,
            &server.url(),
            &[
                &format!("HTTP {status}"),
                "Mattermost's logs",
                "upstream connect error or disconnect",
            ],
        );
    }
}

#[test]
fn html_error_page_is_quoted_as_text() {
    let server = TestServer::serve(Response::new(
        502,
        "text/html",
        "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>",
    ));
    let e = expect_err(scrape_url(&server.url()));
    assert_message(&e, &server.url(), &["\"502 Bad Gateway nginx\""]);
}

// --- body size, encoding, truncation -----------------------------------------------

#[test]
fn body_over_the_cap_is_too_large() {
    let server = TestServer::huge(64 * 1024 * 1024);
    let mut cfg = config(&server.url());
    cfg.max_body_bytes = 3 * 1024 * 1024 + 17;
    let e = expect_err(scrape(&cfg));
    assert_eq!(e.kind(), "too_large");
    assert_message(
        &e,
        &server.url(),
        &["larger than the limit of 3145745 bytes", "max_body_bytes"],
    );
}

#[test]
fn body_exactly_at_the_cap_is_accepted() {
    let server = TestServer::serve(Response::prometheus(BODY));
    let mut cfg = config(&server.url());
    cfg.max_body_bytes = BODY.len() as u64;
    assert_eq!(scrape(&cfg).unwrap().body.len(), BODY.len());
    cfg.max_body_bytes = BODY.len() as u64 - 1;
    assert_eq!(expect_err(scrape(&cfg)).kind(), "too_large");
}

#[test]
fn gzip_bomb_stops_at_the_cap() {
    // 16 GiB decoded; the scraper must stop after 2 MiB of it.
    let server = TestServer::gzip_bomb(16 << 30);
    let mut cfg = config(&server.url());
    cfg.max_body_bytes = 2 * 1024 * 1024;
    let start = Instant::now();
    let e = expect_err(scrape(&cfg));
    assert_eq!(e.kind(), "too_large");
    assert_message(&e, &server.url(), &["2097152 bytes", "after decompression"]);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn corrupt_gzip_is_bad_encoding() {
    let server = TestServer::corrupt_gzip();
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "bad_encoding");
    assert_message(&e, &server.url(), &["corrupt gzip"]);
}

#[test]
fn unsupported_content_encoding_is_bad_encoding() {
    let server =
        TestServer::serve(Response::prometheus("\x1b\x03\x00").header("Content-Encoding", "br"));
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "bad_encoding");
    assert_message(&e, &server.url(), &["unsupported Content-Encoding \"br\""]);
}

#[test]
fn body_cut_short_is_truncated() {
    let server = TestServer::close_mid_body(Response::prometheus(BODY), BODY.len() / 2);
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "truncated");
    assert_message(
        &e,
        &server.url(),
        &["was truncated", "connection closed before its end"],
    );
}

#[test]
fn gzip_body_cut_short_is_truncated() {
    let body = BODY.repeat(200);
    let wire = test_servers::gzip(body.as_bytes()).len();
    let server = TestServer::close_mid_body(Response::prometheus(body).gzip(), wire / 2);
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "truncated", "{e}");
    assert_message(&e, &server.url(), &["was truncated"]);
}

#[test]
fn chunked_body_cut_short_is_truncated() {
    let body = BODY.repeat(400);
    let server =
        TestServer::close_mid_body(Response::prometheus(body.clone()).chunked(), body.len() / 2);
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "truncated", "{e}");
}

// --- auth ------------------------------------------------------------------------

#[test]
fn bearer_token_is_sent() {
    let server = TestServer::require_bearer("s3cr3t-bearer-value", Response::prometheus(BODY));
    let mut cfg = config(&server.url());
    cfg.auth = Auth::Bearer(Secret::new("s3cr3t-bearer-value"));
    assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer s3cr3t-bearer-value")
    );
}

#[test]
fn basic_auth_is_sent() {
    let server = TestServer::require_basic("metrics", "pa:ss wörd", Response::prometheus(BODY));
    let mut cfg = config(&server.url());
    cfg.auth = Auth::Basic {
        username: "metrics".into(),
        password: Secret::new("pa:ss wörd"),
    };
    assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
    // base64("metrics:pa:ss wörd"), computed independently.
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Basic bWV0cmljczpwYTpzcyB3w7ZyZA==")
    );
}

#[test]
fn secrets_never_appear_in_debug_or_display() {
    let secret = Secret::new("hunter2-very-secret");
    assert_eq!(format!("{secret}"), "********");
    assert_eq!(format!("{secret:?}"), "********");
    assert_eq!(secret.expose(), "hunter2-very-secret");

    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for auth in [
        Auth::Bearer(secret.clone()),
        Auth::Basic {
            username: "metrics".into(),
            password: secret.clone(),
        },
    ] {
        let mut cfg = config(&format!("http://127.0.0.1:{port}/metrics"));
        cfg.auth = auth;
        let scraper = Scraper::new(&cfg).unwrap();
        let e = expect_err(scraper.scrape());
        let shown = format!("{cfg:?} {scraper:?} {e} {e:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        // base64 of "metrics:hunter2-very-secret" neither.
        assert!(!shown.contains("bWV0cmljczpodW50ZXIy"), "{shown}");
        assert!(shown.contains("********"), "{shown}");
    }
}

#[test]
fn an_error_page_that_echoes_the_token_is_scrubbed() {
    let server = TestServer::handle(|req| {
        Reply::Respond(Response::new(
            500,
            "text/plain",
            format!("bad header {}", req.header("authorization").unwrap_or("")),
        ))
    });
    let mut cfg = config(&server.url());
    cfg.auth = Auth::Bearer(Secret::new("echoed-token-123"));
    let e = expect_err(scrape(&cfg));
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("echoed-token-123"), "{shown}");
    assert!(shown.contains("bad header Bearer ********"), "{shown}");
}

#[test]
fn credentials_in_the_url_are_refused_without_being_shown() {
    let cfg = config("http://metrics:url-password-77@127.0.0.1:8067/metrics");
    assert!(!format!("{cfg:?}").contains("url-password-77"));
    let err = Scraper::new(&cfg).unwrap_err();
    let msg = format!("{err:#}");
    assert!(!msg.contains("url-password-77"), "{msg}");
    assert!(msg.contains("http://127.0.0.1:8067/metrics"), "{msg}");
    assert!(msg.contains("basic auth"), "{msg}");
}

#[test]
fn credentials_are_not_sent_along_a_redirect() {
    let target = TestServer::serve(Response::prometheus(BODY));
    let origin = TestServer::redirect(&target.url());
    let mut cfg = config(&origin.url());
    cfg.auth = Auth::Bearer(Secret::new("do-not-forward"));
    let s = scrape(&cfg).unwrap();
    assert_eq!(s.body, BODY.as_bytes());
    assert_eq!(
        origin.only_request().header("authorization"),
        Some("Bearer do-not-forward")
    );
    assert_eq!(target.only_request().header("authorization"), None);
}

#[test]
fn a_redirect_that_loses_credentials_says_so() {
    let target = TestServer::require_bearer("tok", Response::prometheus(BODY));
    let origin = TestServer::redirect(&target.url());
    let mut cfg = config(&origin.url());
    cfg.auth = Auth::Bearer(Secret::new("tok"));
    let e = expect_err(scrape(&cfg));
    assert_eq!(e.status(), Some(401));
    assert_message(
        &e,
        &origin.url(),
        &[
            &format!("redirected to {}", target.url()),
            "not sent along a redirect",
        ],
    );
}

#[test]
fn a_redirect_to_another_host_works_without_the_credentials() {
    for auth in [
        Auth::Bearer(Secret::new("not-for-others")),
        Auth::Basic {
            username: "metrics".into(),
            password: Secret::new("not-for-others"),
        },
    ] {
        let target = TestServer::serve(Response::prometheus(BODY));
        // 127.0.0.1 -> localhost: another host name, the same machine.
        let elsewhere = target.url().replace("127.0.0.1", "localhost");
        let origin = TestServer::redirect(&elsewhere);
        let mut cfg = config(&origin.url());
        cfg.auth = auth;
        assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
        assert!(origin.only_request().header("authorization").is_some());
        let req = target.only_request();
        let host = elsewhere
            .trim_start_matches("http://")
            .trim_end_matches("/metrics");
        assert_eq!(req.header("host"), Some(host));
        assert_eq!(
            req.header("authorization"),
            None,
            "no credentials to another host"
        );
    }
}

#[test]
fn an_https_scrape_never_follows_a_redirect_to_plain_http() {
    let pki = TestPki::new();
    let plain = TestServer::serve(Response::prometheus(BODY));
    let moved = |to: &str| Response::new(302, "text/plain", "moved\n").header("Location", to);
    let origin = TestServer::https(TlsSettings::new(pki.server()), moved(&plain.url()));
    let mut cfg = config(&origin.url());
    cfg.ca_bundle = Some(pki.ca_file());
    cfg.auth = Auth::Bearer(Secret::new("stays-on-tls"));
    let e = expect_err(scrape(&cfg));
    assert_eq!(e.kind(), "redirect");
    assert_message(&e, &origin.url(), &[&plain.url(), "plain http"]);
    assert!(plain.requests().is_empty(), "nothing went out in clear");
    // https to https (another port) is followed.
    let other = TestServer::https(TlsSettings::new(pki.server()), Response::prometheus(BODY));
    let origin = TestServer::https(TlsSettings::new(pki.server()), moved(&other.url()));
    let mut cfg = config(&origin.url());
    cfg.ca_bundle = Some(pki.ca_file());
    assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
    // So is http to http (the redirect tests above).
}

#[test]
fn redirect_loop_is_a_redirect_error() {
    let server = TestServer::redirect("/metrics");
    let e = expect_err(scrape_url(&server.url()));
    assert_eq!(e.kind(), "redirect");
    assert_message(&e, &server.url(), &["redirects"]);
}

// --- config errors -------------------------------------------------------------

#[test]
fn bad_configs_are_refused_with_reasons() {
    let pki = TestPki::new();
    let missing = pki.dir().join("missing.pem");
    let der = pki.write("ca.der", [0x30u8, 0x82, 0x01, 0x0a, 0x02]);
    let empty = pki.write("empty.pem", "no certificates here\n");
    let client = pki.client();
    let (cert, key) = pki.identity_files("client", &client);
    let other_key = pki.write("other.key", pki.client().key_pem);
    let encrypted = pki.write(
        "enc.key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );

    type Change = Box<dyn Fn(&mut ScrapeConfig)>;
    let cases: Vec<(Change, Vec<String>)> = vec![
        (
            Box::new(|c| c.url = "ftp://127.0.0.1/metrics".into()),
            vec!["must start with http:// or https://, not ftp://".into()],
        ),
        (
            Box::new(|c| c.url = "127.0.0.1:8067/metrics".into()),
            vec!["has no scheme: add http:// or https://".into()],
        ),
        (
            Box::new(|c| c.timeout = Duration::ZERO),
            vec!["timeout".into()],
        ),
        (
            Box::new(|c| c.max_body_bytes = 0),
            vec!["max_body_bytes".into()],
        ),
        (
            Box::new(|c| c.auth = Auth::Bearer(Secret::new(""))),
            vec!["bearer token is empty".into()],
        ),
        (
            Box::new(|c| c.auth = Auth::Bearer(Secret::new("line\nbreak"))),
            vec!["cannot carry".into()],
        ),
        (
            {
                let m = missing.clone();
                Box::new(move |c| c.ca_bundle = Some(m.clone()))
            },
            vec![format!("ca_bundle {}: cannot read it", missing.display())],
        ),
        (
            {
                let p = der.clone();
                Box::new(move |c| c.ca_bundle = Some(p.clone()))
            },
            vec![
                format!("ca_bundle {}", der.display()),
                "looks like DER".into(),
            ],
        ),
        (
            {
                let p = empty.clone();
                Box::new(move |c| c.ca_bundle = Some(p.clone()))
            },
            vec![format!("ca_bundle {}: no PEM certificate", empty.display())],
        ),
        (
            {
                let p = cert.clone();
                Box::new(move |c| c.client_cert = Some(p.clone()))
            },
            vec![format!(
                "client_cert {} is set without client_key",
                cert.display()
            )],
        ),
        (
            {
                let p = key.clone();
                Box::new(move |c| c.client_key = Some(p.clone()))
            },
            vec!["without client_cert".into()],
        ),
        (
            {
                let (c2, k2) = (cert.clone(), other_key.clone());
                Box::new(move |c| {
                    c.client_cert = Some(c2.clone());
                    c.client_key = Some(k2.clone());
                })
            },
            vec![format!(
                "client_key {} does not match the certificate of client_cert {}",
                other_key.display(),
                cert.display()
            )],
        ),
        (
            {
                let (c2, k2) = (cert.clone(), encrypted.clone());
                Box::new(move |c| {
                    c.client_cert = Some(c2.clone());
                    c.client_key = Some(k2.clone());
                })
            },
            vec![format!(
                "client_key {}: the private key is encrypted",
                encrypted.display()
            )],
        ),
        (
            {
                let (c2, k2) = (cert.clone(), empty.clone());
                Box::new(move |c| {
                    c.client_cert = Some(c2.clone());
                    c.client_key = Some(k2.clone());
                })
            },
            vec![format!(
                "client_key {}: no PEM private key",
                empty.display()
            )],
        ),
    ];
    for (change, parts) in cases {
        let mut cfg = config("https://127.0.0.1:8067/metrics");
        change(&mut cfg);
        let err = match Scraper::new(&cfg) {
            Ok(_) => panic!("accepted {cfg:?}"),
            Err(e) => format!("{e:#}"),
        };
        for part in &parts {
            assert!(err.contains(part.as_str()), "no {part:?} in: {err}");
        }
        assert!(!err.contains('\n'), "not one line: {err}");
    }
}

#[test]
fn a_file_holding_certificate_and_key_serves_as_client_cert_alone() {
    let pki = TestPki::new();
    let client = pki.client();
    let both = pki.write("both.pem", format!("{}{}", client.cert_pem, client.key_pem));
    let mut cfg = config("https://127.0.0.1:8067/metrics");
    cfg.client_cert = Some(both);
    Scraper::new(&cfg).unwrap();
}

// --- TLS -------------------------------------------------------------------------

struct Tls {
    pki: TestPki,
    server: TestServer,
}

fn https_server(settings: impl FnOnce(&TestPki) -> TlsSettings) -> Tls {
    let pki = TestPki::new();
    let server = TestServer::https(settings(&pki), Response::prometheus(BODY));
    Tls { pki, server }
}

fn tls_config(t: &Tls) -> ScrapeConfig {
    let mut cfg = config(&t.server.url());
    cfg.ca_bundle = Some(t.pki.ca_file());
    cfg
}

fn tls_problem(e: &ScrapeError) -> TlsProblem {
    match e {
        ScrapeError::Tls { problem, .. } => *problem,
        other => panic!("expected a TLS error, got {other}"),
    }
}

#[test]
fn https_trusted_through_the_ca_bundle() {
    let t = https_server(|pki| TlsSettings::new(pki.server()));
    assert!(t.server.url().starts_with("https://127.0.0.1:"));
    let s = scrape(&tls_config(&t)).unwrap();
    assert_eq!(s.body, BODY.as_bytes());
    assert_eq!(s.format, Format::Prometheus);
}

#[test]
fn https_gzip_body_arrives_whole() {
    let pki = TestPki::new();
    let server = TestServer::https(
        TlsSettings::new(pki.server()),
        Response::prometheus(BODY).gzip(),
    );
    let mut cfg = config(&server.url());
    cfg.ca_bundle = Some(pki.ca_file());
    assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
}

#[test]
fn https_unknown_ca_is_rejected_with_the_fix() {
    let t = https_server(|pki| TlsSettings::new(pki.server()));
    let e = expect_err(scrape_url(&t.server.url()));
    assert_eq!(e.kind(), "tls");
    assert_eq!(tls_problem(&e), TlsProblem::UnknownIssuer);
    assert_message(
        &e,
        &t.server.url(),
        &["not trusted", "set a CA bundle", "turn verification off"],
    );
}

#[test]
fn ca_bundle_replaces_the_webpki_roots() {
    // A bundle of another CA: the server's CA is not trusted.
    let t = https_server(|pki| TlsSettings::new(pki.server()));
    let other = TestPki::new();
    let mut cfg = config(&t.server.url());
    cfg.ca_bundle = Some(other.ca_file());
    let e = expect_err(scrape(&cfg));
    assert_eq!(tls_problem(&e), TlsProblem::UnknownIssuer);
}

#[test]
fn https_accepted_with_verification_off() {
    let t = https_server(|pki| TlsSettings::new(pki.issue(&["elsewhere.example"], false, true)));
    let mut cfg = config(&t.server.url());
    cfg.verify_tls = false;
    assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
}

#[test]
fn https_hostname_mismatch() {
    let t = https_server(|pki| TlsSettings::new(pki.issue(&["mattermost.example"], false, false)));
    let e = expect_err(scrape(&tls_config(&t)));
    assert_eq!(tls_problem(&e), TlsProblem::HostnameMismatch);
    assert_message(
        &e,
        &t.server.url(),
        &["hostname mismatch", "mattermost.example", "127.0.0.1"],
    );
}

#[test]
fn https_expired_certificate() {
    let t =
        https_server(|pki| TlsSettings::new(pki.issue(&["localhost", "127.0.0.1"], false, true)));
    let e = expect_err(scrape(&tls_config(&t)));
    assert_eq!(tls_problem(&e), TlsProblem::Expired);
    assert_message(&e, &t.server.url(), &["has expired", "2001-01-01"]);
}

#[test]
fn https_url_on_a_plain_http_port() {
    let server = TestServer::serve(Response::prometheus(BODY));
    let url = server.url().replacen("http://", "https://", 1);
    let e = expect_err(scrape_url(&url));
    assert_eq!(e.kind(), "tls", "{e} / {e:?}");
    assert_eq!(tls_problem(&e), TlsProblem::NotTls);
    assert_message(&e, &url, &["did not answer with TLS", "use http://"]);
}

#[test]
fn http_url_on_a_tls_port() {
    let t = https_server(|pki| TlsSettings::new(pki.server()));
    let url = t.server.url().replacen("https://", "http://", 1);
    let e = expect_err(scrape_url(&url));
    assert!(matches!(e.kind(), "protocol" | "closed"), "{e}");
    assert_message(&e, &url, &["use https://"]);
}

#[test]
fn a_ca_certificate_served_as_the_servers_own_says_what_to_do() {
    let id = TestPki::ca_as_server_identity();
    let pki = TestPki::new();
    let bundle = pki.write("self-signed.pem", &id.cert_pem);
    let server = TestServer::https(TlsSettings::new(id), Response::prometheus(BODY));
    let mut cfg = config(&server.url());
    cfg.ca_bundle = Some(bundle);
    let e = expect_err(scrape(&cfg));
    assert_eq!(tls_problem(&e), TlsProblem::CaAsServerCert, "{e}");
    assert_message(
        &e,
        &server.url(),
        &[
            "presents a CA certificate as its own",
            "CA:FALSE",
            "sign a server certificate",
            "ca_bundle",
        ],
    );
    assert!(!e.to_string().contains("Other("), "{e}");
}

#[test]
fn a_certificate_not_for_servers_says_what_to_do() {
    let t =
        https_server(|pki| TlsSettings::new(pki.issue(&["localhost", "127.0.0.1"], true, false)));
    let e = expect_err(scrape(&tls_config(&t)));
    assert_eq!(tls_problem(&e), TlsProblem::WrongPurpose, "{e}");
    assert_message(
        &e,
        &t.server.url(),
        &["not issued for TLS servers", "serverAuth"],
    );
}

#[test]
fn tls_hints_name_the_front_ends_settings() {
    let t = https_server(|pki| TlsSettings::new(pki.server()));
    let mut cfg = config(&t.server.url());
    cfg.names = mattermost_metrics::scrape::SettingNames {
        max_body: "-max_body_mb",
        ca_bundle: "-scrape_ca_bundle",
        no_verify: "-allow_insecure",
        client_cert: None,
        auth: None,
    };
    let e = expect_err(scrape(&cfg));
    assert_message(
        &e,
        &t.server.url(),
        &["(-scrape_ca_bundle)", "(-allow_insecure)"],
    );
    let server = TestServer::gzip_bomb(3 << 20);
    let mut big = cfg.clone();
    big.url = server.url();
    big.max_body_bytes = 1 << 20;
    let e = expect_err(scrape(&big));
    assert_message(&e, &server.url(), &["1048576 bytes (-max_body_mb,"]);
}

fn client_files(pki: &TestPki, id: &Identity) -> (PathBuf, PathBuf) {
    pki.identity_files("client", id)
}

#[test]
fn mutual_tls_with_a_client_certificate() {
    let t = https_server(|pki| TlsSettings::new(pki.server()).require_client_cert(&pki.ca_pem));
    let (cert, key) = client_files(&t.pki, &t.pki.client());
    let mut cfg = tls_config(&t);
    cfg.client_cert = Some(cert);
    cfg.client_key = Some(key);
    assert_eq!(scrape(&cfg).unwrap().body, BODY.as_bytes());
    assert_eq!(t.server.requests().len(), 1);
    assert!(
        t.server.tls_errors().is_empty(),
        "{:?}",
        t.server.tls_errors()
    );
}

#[test]
fn mutual_tls_without_a_client_certificate() {
    let t = https_server(|pki| TlsSettings::new(pki.server()).require_client_cert(&pki.ca_pem));
    let e = expect_err(scrape(&tls_config(&t)));
    assert_eq!(tls_problem(&e), TlsProblem::ClientCertRequired);
    assert_message(
        &e,
        &t.server.url(),
        &[
            "requires a client certificate",
            "set client_cert and client_key",
        ],
    );
    assert!(t.server.requests().is_empty());
}

#[test]
fn mutual_tls_with_a_certificate_of_another_ca() {
    let t = https_server(|pki| TlsSettings::new(pki.server()).require_client_cert(&pki.ca_pem));
    let stranger = TestPki::new();
    let (cert, key) = client_files(&stranger, &stranger.client());
    let mut cfg = tls_config(&t);
    cfg.client_cert = Some(cert);
    cfg.client_key = Some(key);
    let e = expect_err(scrape(&cfg));
    assert_eq!(tls_problem(&e), TlsProblem::ClientCertRejected);
    assert_message(&e, &t.server.url(), &["rejected our client certificate"]);
    assert!(t.server.requests().is_empty());
}

#[test]
fn a_401_hint_names_only_settings_the_front_end_has() {
    let server = TestServer::require_bearer("t0k", Response::prometheus(BODY));
    // The input has credentials settings: the hint names them.
    let e = expect_err(scrape_url(&server.url()));
    assert_message(
        &e,
        &server.url(),
        &["needs credentials: set a bearer token or basic auth"],
    );
    // The HEC sender has none: the hint does not invent flags.
    let mut cfg = config(&server.url());
    cfg.names.auth = None;
    let e = expect_err(scrape(&cfg));
    assert_message(
        &e,
        &server.url(),
        &["which this sender cannot send", "modular input"],
    );
    assert!(!e.to_string().contains("set a bearer"), "{e}");
}
