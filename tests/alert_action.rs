//! The app's alert action (`mattermost_metrics_webhook`): the packaged
//! configuration points at the binary, and the binary, run as splunkd runs
//! it (`--execute`, the payload on stdin), reads the named hook's URL from
//! the app's credential store (a fake splunkd management port) and posts
//! what a Mattermost incoming webhook takes, to a loopback server standing
//! in for Mattermost; data in the alert neither pings nor renders.

use test_support::splunkd;
use test_support::test_servers;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use test_support::root;

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A one-request HTTP server on 127.0.0.1 that answers `status` and hands
/// back the request line and body.
fn mattermost(status: u16, answer: &'static str) -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let mut len = 0;
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        write!(
            s,
            "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        tx.send((line.trim().to_string(), String::from_utf8(body).unwrap()))
            .unwrap();
    });
    (format!("http://{addr}"), rx)
}

fn run(args: &[&str], payload: &Value) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mattermost_metrics"));
    cmd.args(args);
    run_command(cmd, payload)
}

/// Runs `cmd` with `payload` on stdin: its exit code and stderr.
fn run_command(mut cmd: Command, payload: &Value) -> (i32, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The session key the fake splunkd accepts.
const SESSION_KEY: &str = "SESSIONKEY123";

/// A fake splunkd whose app credential store holds `hooks` (name -> URL).
fn splunkd_with(hooks: &[(&str, &str)]) -> splunkd::FakeSplunkd {
    let s = splunkd::FakeSplunkd::start();
    for (name, url) in hooks {
        s.passwords.lock().unwrap().insert(
            (
                "mattermost_metrics".to_string(),
                format!("mattermost_metrics_webhook:{name}:"),
            ),
            url.to_string(),
        );
    }
    s
}

fn payload(server_uri: &str, hook: &str) -> Value {
    json!({
        "app": "search",
        "owner": "nobody",
        "sid": "scheduler__nobody__1",
        "search_name": "MattermostNodeDown",
        "results_link": "https://splunk.example.com:8000/app/mattermost_metrics/search?sid=scheduler__nobody__1",
        "session_key": SESSION_KEY,
        "server_uri": server_uri,
        "configuration": {"hook": hook, "channel": "ops-alerts", "username": "Splunk"},
        "result": {
            "alertname": "MattermostNodeDown",
            "severity": "critical",
            "host": "mm-node-2",
            "value": "0",
            "summary": "Mattermost node mm-node-2 has not answered its metrics scrape for 3 minutes",
            "description": "Check that Mattermost runs on mm-node-2."
        }
    })
}

/// Every line of `stderr` is one splunkd.log line, level first.
fn assert_log_lines(stderr: &str) {
    for l in stderr.lines() {
        assert!(
            ["INFO ", "WARN ", "ERROR "]
                .iter()
                .any(|p| l.starts_with(p)),
            "{l:?} in {stderr}"
        );
        assert!(
            l.starts_with("INFO mattermost_metrics_webhook")
                || l.starts_with("WARN mattermost_metrics_webhook")
                || l.starts_with("ERROR mattermost_metrics_webhook"),
            "{l:?}"
        );
    }
}

#[test]
fn posts_the_alert_to_the_stored_hook_it_names() {
    let (base, got) = mattermost(200, "ok");
    let url = format!("{base}/hooks/k3y0fth3h00k");
    let splunkd = splunkd_with(&[("oncall", &url)]);
    let (code, stderr) = run(&["--execute"], &payload(&splunkd.uri, "oncall"));
    assert_eq!(code, 0, "{stderr}");
    let (line, body) = got.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(line, "POST /hooks/k3y0fth3h00k HTTP/1.1");
    let body: Value = serde_json::from_str(&body).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with(
            "#### :red_circle: MattermostNodeDown: Mattermost node mm-node-2 has not answered"
        ),
        "{text}"
    );
    assert!(text.contains("host: `mm-node-2`"), "{text}");
    assert!(text.contains(
        "(https://splunk.example.com:8000/app/mattermost_metrics/search?sid=scheduler__nobody__1)"
    ));
    assert_eq!(body["channel"], "ops-alerts");
    assert_eq!(body["username"], "Splunk");
    // The URL came from the app's store, whatever app the alert is in.
    let calls = splunkd.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].method, "GET");
    assert!(
        calls[0].path.starts_with(
            "/servicesNS/nobody/mattermost_metrics/storage/passwords/mattermost_metrics_webhook%3Aoncall%3A?"
        ),
        "{}",
        calls[0].path
    );
    // A plain-http hook is a warning; then one line naming the alert and
    // only the server.
    assert_log_lines(&stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("WARN mattermost_metrics_webhook: alert MattermostNodeDown: hook oncall is a plain http:// URL (http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(lines[0].contains("travels in clear"), "{stderr}");
    assert!(
        lines[1].starts_with(
            "INFO mattermost_metrics_webhook: alert MattermostNodeDown posted to http://127.0.0.1:"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("k3y0fth3h00k") && !stderr.contains(SESSION_KEY),
        "{stderr}"
    );
}

#[test]
fn the_default_hook_is_used_when_the_alert_names_none() {
    let (base, got) = mattermost(200, "ok");
    let splunkd = splunkd_with(&[("default", &format!("{base}/hooks/d3fault"))]);
    let mut p = payload(&splunkd.uri, "");
    p["configuration"].as_object_mut().unwrap().remove("hook");
    let (code, stderr) = run(&["--execute"], &p);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        got.recv_timeout(Duration::from_secs(10)).unwrap().0,
        "POST /hooks/d3fault HTTP/1.1"
    );
}

#[test]
fn label_values_neither_ping_nor_render_nor_forge_log_lines() {
    let (base, got) = mattermost(200, "ok");
    let splunkd = splunkd_with(&[("oncall", &format!("{base}/hooks/k"))]);
    let evil = "r1` @channel @all ![t](http://evil.example/t.png)";
    let mut p = payload(&splunkd.uri, "oncall");
    p["search_name"] = json!("MattermostNodeDown\nINFO mattermost_metrics_webhook: forged");
    p["result"]["node"] = json!(evil);
    p["result"]["summary"] = json!(format!("Node {evil} is down"));
    let (code, stderr) = run(&["--execute"], &p);
    assert_eq!(code, 0, "{stderr}");
    let body: Value =
        serde_json::from_str(&got.recv_timeout(Duration::from_secs(10)).unwrap().1).unwrap();
    let text = body["text"].as_str().unwrap();
    for live in ["@channel", "@all", "http://evil"] {
        assert!(!text.contains(live), "{live} live in {text}");
    }
    // Outside code spans (where markdown does not render), no image or link
    // but the results link.
    let outside: String = text.replace("\\`", "").split('`').step_by(2).collect();
    assert!(!outside.contains("!["), "{text}");
    assert_eq!(outside.matches("](").count(), 1, "{text}");
    assert!(
        text.contains("node: `r1\u{2cb} @\u{2060}channel @\u{2060}all ![t](http:\u{2060}//evil.example/t.png)`"),
        "{text}"
    );
    // The forged line is part of the real one.
    assert_log_lines(&stderr);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(!stderr
        .lines()
        .any(|l| l.contains("forged") && l.starts_with("INFO mattermost_metrics_webhook: forged")));
}

#[test]
fn errors_say_what_happened_and_never_show_the_key() {
    // Mattermost refuses the post.
    let (base, _got) = mattermost(400, "Unable to parse incoming data");
    let splunkd = splunkd_with(&[("oncall", &format!("{base}/hooks/k3y0fth3h00k"))]);
    let (code, stderr) = run(
        &["alert-webhook", "--execute"],
        &payload(&splunkd.uri, "oncall"),
    );
    assert_eq!(code, 1, "{stderr}");
    assert_log_lines(&stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with(
            "ERROR mattermost_metrics_webhook: alert MattermostNodeDown: http://127.0.0.1:"
        ),
        "{stderr}"
    );
    assert!(
        last.contains("answered HTTP 400: Unable to parse incoming data"),
        "{stderr}"
    );
    assert!(!stderr.contains("k3y0fth3h00k"), "{stderr}");
    // Nothing listening: says so, naming the server, not the key.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let splunkd = splunkd_with(&[
        ("dead", &format!("http://{dead}/hooks/k3y0fth3h00k")),
        (
            "nxdomain",
            "https://mm.does-not-exist.invalid/hooks/k3y0fth3h00k",
        ),
        ("ftp", "ftp://mm.example.com/hooks/k3y0fth3h00k"),
    ]);
    let (code, stderr) = run(&["--execute"], &payload(&splunkd.uri, "dead"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("connection refused by 127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("k3y0fth3h00k"), "{stderr}");
    let (code, stderr) = run(&["--execute"], &payload(&splunkd.uri, "nxdomain"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("DNS lookup of mm.does-not-exist.invalid failed"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--execute"], &payload(&splunkd.uri, "ftp"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("hook ftp is not an http(s) URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("k3y0fth3h00k"), "{stderr}");
    // A hook that was never stored: says how to store it.
    let (code, stderr) = run(&["--execute"], &payload(&splunkd.uri, "nosuch"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr
            .contains("no hook named \"nosuch\" in the credential store of app mattermost_metrics")
            && stderr.contains("Store a hook"),
        "{stderr}"
    );
    // A session that may not read the store (the alert's owner is no admin).
    let mut p = payload(&splunkd.uri, "dead");
    p["session_key"] = json!("not-an-admin");
    let (code, stderr) = run(&["--execute"], &p);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("readable by admins only"), "{stderr}");
    assert!(!stderr.contains("not-an-admin"), "{stderr}");
    // A URL left in the alert itself is refused, and not shown.
    let mut p = payload(&splunkd.uri, "dead");
    p["configuration"]["url"] = json!("https://mm.example.com/hooks/k3y0fth3h00k");
    let (code, stderr) = run(&["--execute"], &p);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("param.url"), "{stderr}");
    assert!(!stderr.contains("k3y0fth3h00k"), "{stderr}");
    // Not a payload at all.
    let (code, stderr) = run(&["--execute"], &json!("not a payload"));
    assert_eq!(code, 1, "{stderr}");
    assert_log_lines(&stderr);
}

#[test]
fn a_mattermost_on_a_private_ca_needs_the_ca_file() {
    let pki = test_servers::TestPki::new();
    let server = test_servers::TestServer::https(
        test_servers::TlsSettings::new(pki.server()),
        test_servers::Response::new(200, "text/plain", "ok"),
    );
    let url = format!("{}/hooks/k3y0fth3h00k", server.base_url());
    assert!(url.starts_with("https://"), "{url}");
    let splunkd = splunkd_with(&[("oncall", &url)]);
    let (code, stderr) = run(&["--execute"], &payload(&splunkd.uri, "oncall"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("certificate not trusted"), "{stderr}");
    assert!(stderr.contains("param.ca_file"), "{stderr}");
    assert!(server.requests().is_empty());
    let mut p = payload(&splunkd.uri, "oncall");
    p["configuration"]["ca_file"] = json!(pki.ca_file().display().to_string());
    let (code, stderr) = run(&["--execute"], &p);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "no warning for https: {stderr}");
    assert_eq!(server.requests()[0].path, "/hooks/k3y0fth3h00k");
}

#[test]
fn the_packaged_action_runs_this_binary_with_execute() {
    let conf = read("splunk_app/default/alert_actions.conf");
    assert!(conf.contains("\n[mattermost_metrics_webhook]\n"));
    assert!(conf.contains("\nis_custom = 1\n") && conf.contains("\npayload_format = json\n"));
    // splunkd runs bin/<action>.sh with --execute; it runs the app's binary.
    assert!(
        !conf.contains("alert.execute.cmd"),
        "the script named as the action runs"
    );
    let script = read("splunk_app/bin/mattermost_metrics_webhook.sh");
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.ends_with(&format!(
        "exec \"$(dirname \"$0\")/../{}\" \"$@\"\n",
        mattermost_metrics::package::EXECUTABLE
    )));
    assert_eq!(
        mattermost_metrics::package::mode_of("bin/mattermost_metrics_webhook.sh"),
        0o755
    );
    // Run as splunkd runs it, from an app folder laid out as the package's.
    let app = std::env::temp_dir().join(format!("mm_alert_action_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&app);
    std::fs::create_dir_all(app.join("bin")).unwrap();
    std::fs::create_dir_all(app.join("linux_x86_64/bin")).unwrap();
    std::fs::write(app.join("bin/mattermost_metrics_webhook.sh"), &script).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_mattermost_metrics"),
        app.join(mattermost_metrics::package::EXECUTABLE),
    )
    .unwrap();
    let (base, got) = mattermost(200, "ok");
    let mut sh = Command::new("sh");
    sh.arg(app.join("bin/mattermost_metrics_webhook.sh"))
        .arg("--execute");
    let splunkd = splunkd_with(&[("default", &format!("{base}/hooks/k"))]);
    let (code, stderr) = run_command(sh, &payload(&splunkd.uri, "default"));
    let _ = std::fs::remove_dir_all(&app);
    assert_eq!(code, 0, "{stderr}");
    assert!(got
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .1
        .contains("MattermostNodeDown"));
    // Every parameter has its form field and its spec.
    let html = read("splunk_app/default/data/ui/alerts/mattermost_metrics_webhook.html");
    let spec = read("splunk_app/README/alert_actions.conf.spec");
    let saved = read("splunk_app/README/savedsearches.conf.spec");
    for p in ["hook", "channel", "username", "ca_file"] {
        assert!(conf.contains(&format!("\nparam.{p} =")), "{p}");
        assert!(
            html.contains(&format!(
                "name=\"action.mattermost_metrics_webhook.param.{p}\""
            )),
            "{p}"
        );
        assert!(spec.contains(&format!("\nparam.{p} = <string>")), "{p}");
        assert!(
            saved.contains(&format!(
                "\naction.mattermost_metrics_webhook.param.{p} = <string>"
            )),
            "{p}"
        );
    }
    assert!(!html.contains("<script"), "static HTML only");
    // No hook URL is a setting anywhere a role can read it.
    let saved_conf = read("splunk_app/default/savedsearches.conf");
    let hook_url = regex::Regex::new(r"https?://[^<\s]+/hooks/[0-9A-Za-z]").unwrap();
    for (name, text) in [
        ("alert_actions.conf", &conf),
        ("the form", &html),
        ("alert_actions.conf.spec", &spec),
        ("savedsearches.conf.spec", &saved),
        ("savedsearches.conf", &saved_conf),
    ] {
        assert!(!text.contains("param.url"), "{name} has param.url");
        assert!(!hook_url.is_match(text), "{name} has a hook URL");
    }
    assert!(conf.contains("\nparam.hook = default\n"));
    // The app's credential store is admin-only.
    let meta = read("splunk_app/metadata/default.meta");
    let passwords = meta
        .split("\n[passwords]\n")
        .nth(1)
        .expect("a [passwords] stanza");
    let access = passwords.lines().find(|l| l.starts_with("access")).unwrap();
    assert_eq!(
        access,
        "access = read : [ admin, sc_admin ], write : [ admin, sc_admin ]"
    );
    assert!(passwords.lines().any(|l| l == "export = none"));
}
