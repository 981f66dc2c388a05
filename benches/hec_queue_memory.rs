//! What `-max_queue_mb` really costs: the resident memory of
//! `mattermost_metrics hec` while HEC is down and the queue fills, spills
//! (oldest dropped) and stays full.
//!
//! Setup: four loopback targets serving the Mattermost fixture (641 KB,
//! gzip on the wire, about 40 KB of compressed batches per scrape), scraped
//! every 100 ms (40 scrapes a second), and a HEC address where nothing
//! listens (connection refused: every batch waits in the queue). The
//! largest bound runs until its queue is full (the sender's `WARN the
//! queue for HEC is full` line), then as long again, so that the whole
//! queue has been replaced at least once; every other measurement runs
//! exactly as long (the allocator's share settles over time, so runs of
//! different lengths would not compare). The peak resident set (`VmHWM`
//! in `/proc/<pid>/status`) is read at the end.
//!
//! Baseline, in the same run: the same with `-max_queue_mb 1`, whose peak
//! is the process's own memory (code, TLS roots, four scrapes in flight)
//! plus 1 MB: the "small constant". Verdict, for each bound B:
//! `peak(B) <= B + baseline + 4 MiB` (the 4 MiB is the allocator's
//! slack: freed blocks it keeps for reuse), and the ratio
//! `(peak(B) - baseline) / (B - 1 MiB)`, which is 1.0 when the queue
//! costs exactly its bound (it was 3.3 when the bound counted body lengths
//! and the gzip buffers kept their spare capacity).
//!
//! Then the scrapes in flight: eight targets, each a gzip body of about
//! 1/1000 of its decoded size that expands past `-max_body_mb` (64 MB), HEC
//! down. Each scrape fails at the cap, having held up to twice the cap
//! while its buffer grew. Baseline, in the same run: `-max_memory_mb`
//! so large that all eight scrape at once (what landed before turns). The
//! verdict: with the default `-max_memory_mb` (448) the peak stays under
//! the systemd unit's `MemoryMax=512M`, and under the bound plus the
//! process's own memory.
//!
//! cargo bench --bench hec_queue_memory
//!
//! Without `--bench` (`cargo test --benches`) it measures 1 and 4 MB only,
//! and the eight targets for 3 s.

use test_support::process;
use test_support::test_servers;

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use process::{spawn_sender, status_kb};
use test_servers::{Response, TestServer};

const MIB: f64 = 1024.0 * 1024.0;
/// The allocator's allowance over bound + baseline.
const SLACK_MIB: f64 = 4.0;
/// The longest one measurement may take before it is called off.
const MAX_RUN: Duration = Duration::from_secs(240);

struct Measured {
    /// Peak resident set over the whole run.
    peak: f64,
    /// Resident set at the end.
    last: f64,
    /// Until the queue was first full.
    fill: Duration,
    /// The whole run.
    ran: Duration,
}

/// Runs the sender with `-max_queue_mb mb` for `duration`, or (`None`)
/// until its queue has been full for as long as it took to fill it.
fn measure(
    bin: &str,
    targets: &str,
    dead_hec: &str,
    mb: f64,
    duration: Option<Duration>,
) -> Measured {
    let mut child = spawn_sender(
        bin,
        &[
            "-scrape_target",
            targets,
            "-scrape_interval=100ms",
            "-timeout=2s",
            "-splunk_target",
            dead_hec,
            "-splunk_authorization=bench-token",
            "-retry_backoff_max=1s",
            "-log_level=warn",
            &format!("-max_queue_mb={mb}"),
        ],
    );
    let pid = child.id();
    let full = Arc::new(AtomicBool::new(false));
    let stderr = child.stderr.take().unwrap();
    let f = full.clone();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("the queue for HEC is full") {
                f.store(true, Ordering::SeqCst);
            }
        }
    });
    let start = Instant::now();
    let mut filled_at = None;
    let mut last = 0.0;
    loop {
        thread::sleep(Duration::from_millis(100));
        last = status_kb(pid, "VmRSS:").unwrap_or(last);
        if filled_at.is_none() && full.load(Ordering::SeqCst) {
            filled_at = Some(start.elapsed());
        }
        let end = match (duration, filled_at) {
            (Some(d), _) => Some(d),
            // Full for as long as it took to fill: every batch replaced.
            (None, Some(fill)) => Some(fill * 2 + Duration::from_secs(2)),
            (None, None) => None,
        };
        if end.is_some_and(|end| start.elapsed() >= end) {
            break;
        }
        assert!(
            start.elapsed() < MAX_RUN,
            "the queue of {mb} MB never filled within {MAX_RUN:?}"
        );
    }
    let peak = status_kb(pid, "VmHWM:").expect("VmHWM");
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    Measured {
        peak,
        last,
        fill: filled_at.expect("the queue filled"),
        ran: start.elapsed(),
    }
}

/// The peak resident set of the sender run with `args` for `duration`.
fn peak_of(bin: &str, args: &[&str], duration: Duration) -> f64 {
    let mut child = spawn_sender(bin, args);
    let mut stderr = child.stderr.take().unwrap();
    thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    thread::sleep(duration);
    let peak = status_kb(child.id(), "VmHWM:").expect("VmHWM");
    let _ = child.kill();
    let _ = child.wait();
    peak
}

/// Eight targets expanding past the body cap at once, with and without
/// turns; whether the peak stays under the unit's MemoryMax.
fn scrapes_in_flight(bin: &str, dead_hec: &str, bench_mode: bool) -> bool {
    let bombs: Vec<TestServer> = (0..8)
        .map(|_| TestServer::gzip_bomb(80 * 1024 * 1024))
        .collect();
    let targets = bombs
        .iter()
        .map(TestServer::url)
        .collect::<Vec<_>>()
        .join(",");
    let duration = Duration::from_secs(if bench_mode { 20 } else { 3 });
    let run = |max_memory: &str| {
        peak_of(
            bin,
            &[
                "-scrape_target",
                &targets,
                "-scrape_interval=1s",
                "-timeout=10s",
                "-splunk_target",
                dead_hec,
                "-splunk_authorization=bench-token",
                "-log_level=error",
                "-max_queue_mb=64",
                &format!("-max_memory_mb={max_memory}"),
            ],
            duration,
        )
    };
    let unit_max = 512.0 * MIB;
    let all_at_once = run("1000000");
    let default: f64 = mattermost_metrics::hec::config::DEFAULT_MAX_MEMORY_MB
        .parse()
        .unwrap();
    let with_turns = run(mattermost_metrics::hec::config::DEFAULT_MAX_MEMORY_MB);
    println!(
        "8 targets x a gzip body expanding past -max_body_mb 64, HEC down, -max_queue_mb 64, {} s:",
        duration.as_secs()
    );
    println!(
        "  all at once (-max_memory_mb 1000000, baseline): peak {:6.1} MiB",
        all_at_once / MIB
    );
    let ok = with_turns <= unit_max && with_turns <= (default + 32.0) * MIB;
    println!(
        "  in turns (-max_memory_mb {default}, default): peak {:6.1} MiB ({:.2} of the baseline); \
         the unit's MemoryMax 512 MiB: {}",
        with_turns / MIB,
        with_turns / all_at_once,
        if ok { "PASS" } else { "FAIL" }
    );
    ok
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let bin = env!("CARGO_BIN_EXE_mattermost_metrics");
    let body = test_support::fixture("mattermost.prom");
    let response = Response::prometheus_pregzipped(&body);
    let servers: Vec<TestServer> = (0..4)
        .map(|_| TestServer::serve(response.clone()))
        .collect();
    let targets = servers
        .iter()
        .map(TestServer::url)
        .collect::<Vec<_>>()
        .join(",");
    // A port where nothing listens: HEC is down for the whole run.
    let dead_hec = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/services/collector", l.local_addr().unwrap())
    };

    let bounds: &[f64] = if bench_mode { &[32.0, 16.0] } else { &[4.0] };
    println!(
        "HEC down, 4 targets x {} bytes (fixture, gzip on the wire) every 100 ms; peak RSS (VmHWM) of `mattermost_metrics hec`",
        body.len()
    );
    // The largest bound sets how long every run lasts.
    let mut runs = Vec::new();
    let mut duration = None;
    for &mb in bounds {
        let m = measure(bin, &targets, &dead_hec, mb, duration);
        duration.get_or_insert(m.ran);
        runs.push((mb, m));
    }
    let base = measure(bin, &targets, &dead_hec, 1.0, duration);
    let line = |mb: f64, m: &Measured| {
        format!(
            "  -max_queue_mb {mb:2}: peak {:6.1} MiB, at the end {:6.1} MiB, full after {:5.1} s of {:5.1} s",
            m.peak / MIB,
            m.last / MIB,
            m.fill.as_secs_f64(),
            m.ran.as_secs_f64()
        )
    };
    println!("{} (baseline)", line(1.0, &base));
    let constant = base.peak - MIB;
    let mut pass = true;
    for (mb, m) in runs.iter().rev() {
        let limit = mb * MIB + constant + SLACK_MIB * MIB;
        let ratio = (m.peak - base.peak) / ((mb - 1.0) * MIB);
        let ok = m.peak <= limit;
        pass &= ok;
        println!(
            "{}; bound + baseline = {:6.1} MiB; (peak - baseline) / (bound - 1 MiB) = {ratio:.2}; {}",
            line(*mb, m),
            (mb * MIB + constant) / MIB,
            if ok { "PASS" } else { "FAIL" }
        );
    }
    pass &= scrapes_in_flight(bin, &dead_hec, bench_mode);
    println!(
        "verdict: {} (peak RSS <= bound + baseline + {SLACK_MIB} MiB for every bound; \
         eight expanding scrapes under the unit's MemoryMax)",
        if pass { "PASS" } else { "FAIL" }
    );
    if !pass {
        std::process::exit(1);
    }
}
