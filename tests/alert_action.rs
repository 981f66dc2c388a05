//! The app's alert action (`mattermost_metrics_webhook`): the packaged
//! configuration points at the binary, and the binary, run as splunkd runs
//! it (`--execute`, the payload on stdin), posts what a Mattermost incoming
//! webhook takes, to a loopback server standing in for Mattermost.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

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

fn payload(url: &str) -> Value {
    json!({
        "app": "mattermost_metrics",
        "owner": "nobody",
        "sid": "scheduler__nobody__1",
        "search_name": "MattermostNodeDown",
        "results_link": "https://splunk.example.com:8000/app/mattermost_metrics/search?sid=scheduler__nobody__1",
        "session_key": "s3cr3t-session",
        "server_uri": "https://127.0.0.1:8089",
        "configuration": {"url": url, "channel": "ops-alerts", "username": "Splunk"},
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

#[test]
fn posts_the_alert_as_mattermost_takes_it() {
    let (base, got) = mattermost(200, "ok");
    let url = format!("{base}/hooks/k3y0fth3h00k");
    let (code, stderr) = run(&["--execute"], &payload(&url));
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
    // One line, level first, naming the alert and only the server.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "INFO mattermost_metrics_webhook: alert MattermostNodeDown posted to http://127.0.0.1:"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("k3y0fth3h00k") && !stderr.contains("s3cr3t"),
        "{stderr}"
    );
}

#[test]
fn a_refused_post_fails_with_what_mattermost_said_and_no_key() {
    let (base, _got) = mattermost(400, "Unable to parse incoming data");
    let url = format!("{base}/hooks/k3y0fth3h00k");
    let (code, stderr) = run(&["alert-webhook", "--execute"], &payload(&url));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("ERROR alert MattermostNodeDown: http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("answered HTTP 400: Unable to parse incoming data"),
        "{stderr}"
    );
    assert!(!stderr.contains("k3y0fth3h00k"), "{stderr}");
    // Nothing listening: the error names the server, not the key.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, stderr) = run(
        &["--execute"],
        &payload(&format!("http://{dead}/hooks/k3y0fth3h00k")),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("k3y0fth3h00k"), "{stderr}");
    // No URL configured: says where to set it.
    let (code, stderr) = run(&["--execute"], &payload(""));
    assert_eq!(code, 1);
    assert!(stderr.contains("no webhook URL"), "{stderr}");
    let (code, stderr) = run(&["--execute"], &json!("not a payload"));
    assert_eq!(code, 1, "{stderr}");
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
    let (code, stderr) = run_command(sh, &payload(&format!("{base}/hooks/k")));
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
    for p in ["url", "channel", "username"] {
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
}
