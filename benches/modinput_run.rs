//! One run of the modular input as splunkd pays for it: process start to
//! exit, against a loopback target serving the ~660 KB Mattermost fixture,
//! with stdout read to the end as splunkd reads it. Prints the median and
//! 90th percentile wall time and peak memory (the child's max RSS from
//! wait4), and the same for `curl` fetching the same URL into a pipe, as a
//! baseline measured in the same run. Targets: median under 15 ms and
//! 10 MB.
//!
//! cargo bench --bench modinput_run

use test_support::test_servers;

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use test_servers::{Response, TestServer};

const RUNS: usize = 60;

/// Runs `cmd` with `stdin`, reads its stdout to the end; returns the wall
/// time and the child's peak RSS in bytes.
// The child is reaped by wait4 below, which also gives its peak RSS.
#[allow(clippy::zombie_processes)]
// wait4(2): std reaps a child without its rusage (ru_maxrss).
#[allow(unsafe_code)]
fn measure(cmd: &mut Command, stdin: &[u8]) -> (Duration, u64, usize) {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data filled in by the kernel; pid is our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(r, pid, "wait4");
    assert!(std::process::ExitStatus::from_raw(status).success());
    (wall, usage.ru_maxrss as u64 * 1024, out.len())
}

fn stats(mut v: Vec<Duration>, mut rss: Vec<u64>) -> (Duration, Duration, u64) {
    v.sort();
    rss.sort();
    (v[v.len() / 2], v[v.len() * 9 / 10], rss[rss.len() / 2])
}

fn main() {
    let body = test_support::fixture("mattermost.prom");
    // Compressed once here, not per request, so the target costs what a
    // real one does to serve it, and the measurement is the input's.
    let server = TestServer::serve(Response::prometheus_pregzipped(&body));
    let url = server.url();
    let input = format!(
        "<input><server_host>hf1</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key><checkpoint_dir>/tmp</checkpoint_dir><configuration><stanza name=\"mattermost_metrics://bench\" app=\"mattermost_metrics\"><param name=\"url\">{url}</param><param name=\"interval\">60</param><param name=\"index\">wss_metrics</param><param name=\"sourcetype\">mattermost:metrics</param><param name=\"host\">hf1</param></stanza></configuration></input>"
    );
    let bin = env!("CARGO_BIN_EXE_mattermost_metrics");

    // Warm up the page cache and the server.
    let (_, _, out_len) = measure(&mut Command::new(bin), input.as_bytes());
    let has_curl = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());

    let (mut ours, mut ours_rss, mut base, mut base_rss) = (vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let (w, r, _) = measure(&mut Command::new(bin), input.as_bytes());
        ours.push(w);
        ours_rss.push(r);
        if has_curl {
            let (w, r, _) = measure(Command::new("curl").args(["-s", "--compressed", &url]), b"");
            base.push(w);
            base_rss.push(r);
        }
    }
    let (med, p90, rss) = stats(ours, ours_rss);
    println!(
        "fixture: {} bytes (gzip on the wire), stream written: {} bytes",
        body.len(),
        out_len
    );
    println!(
        "mattermost_metrics run:   median {:>6.2} ms  p90 {:>6.2} ms  peak RSS {:>5.1} MB   (target: < 15 ms, < 10 MB)",
        med.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3,
        rss as f64 / 1e6
    );
    if has_curl {
        let (bmed, bp90, brss) = stats(base, base_rss);
        println!(
            "baseline curl --compressed: median {:>6.2} ms  p90 {:>6.2} ms  peak RSS {:>5.1} MB",
            bmed.as_secs_f64() * 1e3,
            bp90.as_secs_f64() * 1e3,
            brss as f64 / 1e6
        );
        println!(
            "ratio ours/curl (median wall): {:.2}",
            med.as_secs_f64() / bmed.as_secs_f64()
        );
    }
}
