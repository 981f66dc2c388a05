//! `mattermost_metrics hec`, the standalone sender, driven as its users
//! run it: the built binary with prometheus2splunk's flags and environment
//! variables, scraping loopback targets that serve the Mattermost fixture,
//! posting to a loopback HEC ([`hec_receiver`]) that checks the token and
//! HEC's metric format and answers 503, 429, 400, 401/403, stalls, drops
//! connections or goes away when told to.
//!
//! Timings are short (200-400 ms intervals) and every assertion on time
//! has generous slack: the tests run on a loaded 2-core machine.

use test_support::hec_receiver;
use test_support::test_servers;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hec_receiver::{Answer, HecReceiver, Outcome};
use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::hec::config::FLAGS;
use mattermost_metrics::hec::health::{points_per_scrape, HEC_HEALTH_METRICS};
use mattermost_metrics::pipeline::convert_scrape;
use serde_json::Value;
use test_servers::{Reply, Response, TestPki, TestServer};
use test_support::fixture;

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");
const TOKEN: &str = "9c4e2f7a-11b3-4d6e-8a5f-0c2d4e6f8a1b";
const UP: &str = "mattermost_metrics.up";

fn fixture_server() -> TestServer {
    TestServer::serve(Response::prometheus(fixture("mattermost.prom")))
}

/// The (name, dimensions) of every data point of one scrape of `body`.
fn expected_points(body: &[u8], opts: &ConvertOptions) -> Vec<Key> {
    let mut out = Vec::new();
    convert_scrape(body, Format::Prometheus, false, opts, 0, |dp| {
        let mut dims: Vec<(String, String)> = dp
            .dimensions
            .iter()
            .map(|d| (d.name.to_string(), d.value.to_string()))
            .collect();
        dims.sort();
        out.push((dp.metric_name.to_string(), dims));
    })
    .unwrap();
    out
}

type Key = (String, Vec<(String, String)>);
/// A data point of one scrape: time, name, dimensions.
type TimedKey = (i64, String, Vec<(String, String)>);
/// Flags, variables, and what the error must say.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

/// One data point as HEC received it.
#[derive(Clone, Debug)]
struct Point {
    time_ms: i64,
    name: String,
    value: f64,
    dims: Vec<(String, String)>,
    host: String,
    source: String,
}

impl Point {
    fn key(&self) -> TimedKey {
        (self.time_ms, self.name.clone(), self.dims.clone())
    }
}

fn points_of(obj: &Value) -> Vec<Point> {
    let time_ms = (obj["time"].as_f64().unwrap() * 1000.0).round() as i64;
    let fields = obj["fields"].as_object().unwrap();
    let mut dims: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !k.starts_with("metric_name:"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    dims.sort();
    fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metric_name:").map(|n| Point {
                time_ms,
                name: n.to_string(),
                value: v.as_f64().unwrap(),
                dims: dims.clone(),
                host: obj["host"].as_str().unwrap_or_default().to_string(),
                source: obj["source"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// Data points of the requests HEC indexed, with their request's outcome.
fn indexed_points(r: &HecReceiver) -> Vec<(Outcome, Point)> {
    r.indexed()
        .iter()
        .flat_map(|(o, obj)| points_of(obj).into_iter().map(move |p| (*o, p)))
        .collect()
}

/// Data points answered 200.
fn accepted_points(r: &HecReceiver) -> Vec<Point> {
    indexed_points(r)
        .into_iter()
        .filter(|(o, _)| *o == Outcome::Accepted)
        .map(|(_, p)| p)
        .collect()
}

/// The health data point `name` of each scrape accepted, by scrape time.
fn health(r: &HecReceiver, name: &str) -> BTreeMap<i64, f64> {
    let full = format!("mattermost_metrics.{name}");
    accepted_points(r)
        .into_iter()
        .filter(|p| p.name == full)
        .map(|p| (p.time_ms, p.value))
        .collect()
}

/// Scrapes whose health HEC accepted.
fn scrapes_accepted(r: &HecReceiver) -> usize {
    health(r, "up").len()
}

/// The sender, running.
struct Sender {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Sender {
    /// `mattermost_metrics hec ARGS` with only `env` in its environment.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Sender {
        let mut cmd = Command::new(BIN);
        cmd.arg("hec")
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start the sender");
        let mut pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let s = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Sender { child, stderr }
    }

    /// The usual flags for `target` and `hec`, then `extra`.
    fn run(target: &str, hec: &HecReceiver, extra: &[&str]) -> Sender {
        let mut args = vec![
            "-scrape_target",
            target,
            "-scrape_interval=200ms",
            "-timeout=1s",
            "-splunk_timeout=1s",
            "-retry_backoff=50ms",
            "-retry_backoff_max=300ms",
            "-log_level=debug",
        ];
        let url = hec.url();
        args.extend(["-splunk_target", &url, "-splunk_authorization", TOKEN]);
        args.extend(extra);
        Sender::start(&args, &[])
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args(["-s", sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -s {sig}");
    }

    /// Waits for the exit, at most `timeout`; then the whole stderr.
    fn wait(&mut self, timeout: Duration) -> (ExitStatus, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                thread::sleep(Duration::from_millis(100));
                return (status, self.stderr());
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the sender did not exit within {timeout:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit (which must be 0).
    fn stop(&mut self) -> String {
        self.signal("TERM");
        let (status, err) = self.wait(Duration::from_secs(20));
        assert!(status.success(), "exit {status:?}; stderr:\n{err}");
        err
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The totals of the `stopped:` line.
fn summary(stderr: &str) -> HashMap<String, u64> {
    let line = stderr
        .lines()
        .find(|l| l.contains(" stopped: "))
        .unwrap_or_else(|| panic!("no stopped: line in\n{stderr}"));
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

fn wait_for(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

fn assert_every_line_level_first(stderr: &str) {
    for l in stderr.lines() {
        assert!(
            ["ERROR ", "WARN ", "INFO ", "DEBUG ", "TRACE "]
                .iter()
                .any(|p| l.starts_with(p)),
            "a log line without its level first: {l:?}"
        );
    }
}

/// Checks that every scrape the target served reached HEC whole: exactly
/// once in requests answered 200, copies only in requests whose answer
/// was lost, one timestamp per scrape. Returns the number of scrapes.
fn assert_every_sample_delivered(
    r: &HecReceiver,
    scrapes_served: usize,
    per_scrape: &[Key],
) -> usize {
    assert!(r.errors().is_empty(), "HEC format errors: {:?}", r.errors());
    let times: Vec<i64> = health(r, "up").keys().copied().collect();
    assert_eq!(
        times.len(),
        scrapes_served,
        "every scrape taken reaches HEC (scrape times seen: {times:?})"
    );
    let mut accepted: HashMap<TimedKey, usize> = HashMap::new();
    let mut lost_copies: HashSet<TimedKey> = HashSet::new();
    for (outcome, p) in indexed_points(r) {
        match outcome {
            Outcome::Accepted => *accepted.entry(p.key()).or_default() += 1,
            _ => {
                lost_copies.insert(p.key());
            }
        }
    }
    for (k, n) in &accepted {
        assert_eq!(*n, 1, "{k:?} accepted {n} times");
        assert!(times.contains(&k.0), "{k:?} has a time of no scrape");
    }
    for k in &lost_copies {
        assert!(
            accepted.contains_key(k),
            "{k:?} indexed only in a request whose answer was lost"
        );
    }
    for t in &times {
        for (name, dims) in per_scrape {
            let k = (*t, name.clone(), dims.clone());
            assert!(accepted.contains_key(&k), "missing {k:?}");
        }
    }
    assert_eq!(
        accepted.len(),
        times.len() * (per_scrape.len() + points_per_scrape()),
        "nothing more than the scrapes and their health"
    );
    times.len()
}

#[test]
fn every_sample_is_delivered_through_hec_failures() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.script([
        Answer::Ok,
        Answer::Busy,
        Answer::LoseResponse,
        Answer::DropConnection,
        Answer::TooMany { retry_after: None },
        Answer::Stall,
        Answer::Status(
            500,
            "{\"text\":\"Internal server error\",\"code\":8}".into(),
        ),
        Answer::Ok,
        Answer::LoseResponse,
        Answer::Busy,
    ]);
    let mut s = Sender::run(&target.url(), &hec, &[]);
    wait_for("the script to run out", Duration::from_secs(30), || {
        hec.script_left() == 0
    });
    // HEC goes away (connection refused) for a while, then comes back.
    hec.go_away(Duration::from_millis(800));
    let before = scrapes_accepted(&hec);
    wait_for(
        "scrapes after HEC came back",
        Duration::from_secs(30),
        || scrapes_accepted(&hec) >= before + 4,
    );
    let err = s.stop();

    let n = assert_every_sample_delivered(
        &hec,
        target.requests().len(),
        &expected_points(&fixture("mattermost.prom"), &ConvertOptions::default()),
    );
    assert!(n >= 6, "{n} scrapes");
    let outcomes: Vec<Outcome> = hec.requests().iter().map(|r| r.outcome).collect();
    for o in [
        Outcome::ResponseLost,
        Outcome::Dropped,
        Outcome::Stalled,
        Outcome::Refused(503),
        Outcome::Refused(429),
        Outcome::Refused(500),
    ] {
        assert!(outcomes.contains(&o), "{o:?} never happened: {outcomes:?}");
    }
    for r in hec.requests() {
        if r.outcome != Outcome::Dropped {
            assert_eq!(r.header("content-encoding"), Some("gzip"));
        }
    }
    assert!(err.contains("WARN sending to HEC failed"), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(
        err.contains("within 1s (-splunk_timeout)"),
        "the stall: {err}"
    );
    let sum = summary(&err);
    assert_eq!(sum["dropped"], 0);
    assert_eq!(sum["lost"], 0);
    assert_eq!(sum["sent"] as usize, accepted_points(&hec).len());
    assert_eq!(sum["produced"], sum["sent"]);
    assert!(sum["retries"] >= 7, "{sum:?}");
    assert_every_line_level_first(&err);
}

/// Gaps between the requests carrying one batch.
fn retry_gaps(hec: &HecReceiver) -> Vec<Duration> {
    let reqs = hec.requests();
    let first = &reqs[0];
    let same: Vec<&hec_receiver::HecRequest> =
        reqs.iter().filter(|r| r.body == first.body).collect();
    same.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[test]
fn retries_back_off_exponentially_with_jitter_up_to_the_maximum() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let hec = HecReceiver::start(TOKEN);
    hec.script(std::iter::repeat_n(Answer::Busy, 6));
    let mut s = Sender::run(
        &target.url(),
        &hec,
        &[
            "-scrape_interval=5s",
            "-retry_backoff=100ms",
            "-retry_backoff_max=800ms",
        ],
    );
    wait_for("the batch accepted", Duration::from_secs(20), || {
        hec.requests()
            .iter()
            .any(|r| r.outcome == Outcome::Accepted)
    });
    let err = s.stop();
    let gaps = retry_gaps(&hec);
    let ms: Vec<u128> = gaps.iter().map(|g| g.as_millis()).collect();
    eprintln!("gaps between attempts at one batch (ms): {ms:?}");
    assert_eq!(gaps.len(), 6, "six refusals, then accepted: {ms:?}");
    // Nominal waits: 100, 200, 400, 800, 800, 800 ms, each times 0.5 to 1.
    let nominal = [100u128, 200, 400, 800, 800, 800];
    for (i, (g, n)) in ms.iter().zip(nominal).enumerate() {
        assert!(
            *g + 5 >= n / 2,
            "wait {i} ({g} ms) shorter than half of {n} ms"
        );
        assert!(*g <= n + 1500, "wait {i} ({g} ms) far beyond {n} ms");
    }
    assert!(ms[2] > ms[0] && ms[3] > ms[1], "the waits grow: {ms:?}");
    assert!(ms[3] > 2 * ms[0], "the waits grow: {ms:?}");
    assert_eq!(err.matches("WARN sending to HEC failed").count(), 6);
    assert!(err.contains("HEC accepted the batch after 6 failed attempts"));
}

#[test]
fn the_queue_is_bounded_and_drops_the_oldest_counting_them() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Busy);
    // A scrape of the fixture is about 40 KB compressed: room for ~3.
    let max_queue = 120_000;
    let mut s = Sender::run(
        &target.url(),
        &hec,
        &["-max_queue_mb=0.1144", "-retry_backoff_max=200ms"],
    );
    wait_for("scrapes while HEC is down", Duration::from_secs(30), || {
        target.requests().len() >= 12
    });
    // HEC comes back as the sender is stopped: what the queue holds then
    // is what arrives (no scrape after this one can push anything out).
    hec.set_default(Answer::Ok);
    let err = s.stop();
    assert!(hec.errors().is_empty(), "{:?}", hec.errors());

    assert!(
        err.contains("WARN the queue for HEC is full"),
        "drops are never silent: {err}"
    );
    let sum = summary(&err);
    assert!(sum["dropped"] > 0, "{sum:?}");
    assert_eq!(sum["lost"], 0);
    assert_eq!(
        sum["produced"],
        sum["sent"] + sum["dropped"],
        "every data point sent or counted as dropped: {sum:?}"
    );
    assert_eq!(sum["sent"] as usize, accepted_points(&hec).len());

    // The drop counter reaches Splunk, and never exceeds the truth.
    let dropped = health(&hec, "hec_points_dropped_total");
    let max_reported = dropped.values().cloned().fold(0.0, f64::max);
    assert!(max_reported > 0.0, "{dropped:?}");
    assert!(max_reported <= sum["dropped"] as f64);
    // The memory bound holds.
    for (t, q) in health(&hec, "hec_queue_bytes") {
        assert!(q <= max_queue as f64, "queue of {q} bytes at {t}");
    }
    // The oldest went: after the first scrape (whose first batch was being
    // sent when HEC went down), some scrapes are missing or partial, and
    // from the first whole one on, every scrape, the newest included,
    // arrived whole.
    let per_scrape = expected_points(&fixture("mattermost.prom"), &ConvertOptions::default()).len()
        + points_per_scrape();
    let mut by_time: BTreeMap<i64, usize> = BTreeMap::new();
    for p in accepted_points(&hec) {
        *by_time.entry(p.time_ms).or_default() += 1;
    }
    let whole: Vec<bool> = by_time.values().map(|n| *n == per_scrape).collect();
    let after_first = &whole[1..];
    let first_whole = after_first
        .iter()
        .position(|w| *w)
        .unwrap_or_else(|| panic!("no whole scrape: {by_time:?}"));
    assert!(
        after_first[first_whole..].iter().all(|w| *w),
        "only the oldest are dropped: {by_time:?}"
    );
    assert!(
        by_time.len() < target.requests().len() || whole.contains(&false),
        "some scrape was dropped: {by_time:?}"
    );
}

#[test]
fn scrapes_follow_a_fixed_grid_without_drift() {
    // Each scrape takes 150 ms: sleeping the interval after each one, as
    // prometheus2splunk did, would make the period 450 ms, not 300.
    let target = TestServer::handle(|_| {
        thread::sleep(Duration::from_millis(150));
        Reply::Respond(Response::prometheus(
            "up 1\nmattermost_http_websockets_total 3\n",
        ))
    });
    let hec = HecReceiver::start(TOKEN);
    let mut s = Sender::run(&target.url(), &hec, &["-scrape_interval=300ms"]);
    wait_for("10 scrapes", Duration::from_secs(30), || {
        scrapes_accepted(&hec) >= 10
    });
    s.stop();
    let times: Vec<i64> = health(&hec, "up").keys().copied().collect();
    let t0 = times[0];
    let period = 300.0;
    let mut ticks = Vec::new();
    for t in &times {
        let k = ((t - t0) as f64 / period).round();
        let off = (t - t0) as f64 - k * period;
        assert!(
            off.abs() <= 90.0,
            "scrape at +{} ms is {off} ms off the grid: {times:?}",
            t - t0
        );
        ticks.push(k as i64);
    }
    let span = (times.last().unwrap() - t0) as f64;
    let mean = span / *ticks.last().unwrap() as f64;
    assert!(
        (mean - period).abs() < 30.0,
        "mean period {mean} ms: {times:?}"
    );
    // Ticks skipped on a loaded machine are counted, never run late.
    let skipped: i64 = ticks.windows(2).map(|w| w[1] - w[0] - 1).sum();
    let reported = health(&hec, "scrapes_missed_total");
    assert_eq!(
        *reported.values().last().unwrap() as i64,
        skipped,
        "{ticks:?}"
    );
}

#[test]
fn sigterm_flushes_the_queue_while_hec_recovers() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Busy);
    let mut s = Sender::run(&target.url(), &hec, &["-shutdown_timeout=10s"]);
    wait_for("scrapes queued", Duration::from_secs(30), || {
        target.requests().len() >= 4
    });
    s.signal("TERM");
    thread::sleep(Duration::from_millis(400));
    hec.set_default(Answer::Ok);
    let (status, err) = s.wait(Duration::from_secs(20));
    assert!(status.success(), "{err}");
    assert!(err.contains("INFO SIGTERM received"), "{err}");
    assert!(err.contains("before stopping"), "{err}");
    assert_every_sample_delivered(
        &hec,
        target.requests().len(),
        &expected_points(&fixture("mattermost.prom"), &ConvertOptions::default()),
    );
    let sum = summary(&err);
    assert_eq!((sum["lost"], sum["dropped"]), (0, 0));
}

#[test]
fn sigint_during_a_scrape_finishes_and_sends_it() {
    let started = Arc::new(Mutex::new(0usize));
    let st = started.clone();
    let body = fixture("mattermost.prom");
    let target = TestServer::handle(move |_| {
        *st.lock().unwrap() += 1;
        thread::sleep(Duration::from_millis(300));
        Reply::Respond(Response::prometheus(body.clone()))
    });
    let hec = HecReceiver::start(TOKEN);
    let mut s = Sender::run(&target.url(), &hec, &["-scrape_interval=400ms"]);
    wait_for("a third scrape under way", Duration::from_secs(30), || {
        *started.lock().unwrap() >= 3
    });
    s.signal("INT");
    let (status, err) = s.wait(Duration::from_secs(20));
    assert!(status.success(), "{err}");
    assert!(err.contains("INFO SIGINT received"));
    let n = assert_every_sample_delivered(
        &hec,
        target.requests().len(),
        &expected_points(&fixture("mattermost.prom"), &ConvertOptions::default()),
    );
    assert!(n >= 3);
}

#[test]
fn a_stop_while_hec_stays_down_gives_up_at_the_shutdown_timeout() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Busy);
    let mut s = Sender::run(&target.url(), &hec, &["-shutdown_timeout=1s"]);
    wait_for("retries", Duration::from_secs(30), || {
        hec.requests().len() >= 3
    });
    let t0 = Instant::now();
    s.signal("TERM");
    let (status, err) = s.wait(Duration::from_secs(20));
    assert!(status.success(), "{err}");
    // 1 s, plus the request under way (-timeout 1s), plus slack.
    assert!(t0.elapsed() < Duration::from_secs(6), "{:?}", t0.elapsed());
    let sum = summary(&err);
    assert!(sum["lost"] > 0);
    // HEC answered 503 to every request: nothing it may hold, unless the
    // stop's deadline cut a request under way.
    assert_eq!(
        sum["produced"],
        sum["sent"] + sum["lost"] + sum["unconfirmed"]
    );
    assert!(
        err.contains("ERROR stopped: "),
        "unsent data is an error: {err}"
    );
}

#[test]
fn a_refused_token_gives_up_at_once() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    // Another token: HEC answers 403 "Invalid token".
    let hec = HecReceiver::start("another-token-entirely");
    let mut s = Sender::run(&target.url(), &hec, &["-log_level=trace"]);
    let (status, err) = s.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(3), "{err}");
    assert_eq!(hec.requests().len(), 1, "no retry");
    let line = err
        .lines()
        .find(|l| l.starts_with("ERROR HEC refused the token"))
        .unwrap_or_else(|| panic!("{err}"));
    for want in [
        "HTTP 403",
        "\"Invalid token\"",
        "code 4",
        "-splunk_authorization",
    ] {
        assert!(line.contains(want), "{want} in {line}");
    }
    assert!(!err.contains(TOKEN));

    // 401 with the right token (HEC's "Invalid authorization").
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Unauthorized);
    let mut s = Sender::run(&target.url(), &hec, &[]);
    let (status, err) = s.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(3), "{err}");
    assert_eq!(hec.requests().len(), 1);
    assert!(err.contains("HTTP 401"), "{err}");
}

#[test]
fn a_batch_hec_rejects_is_reported_and_not_resent() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.script([Answer::BadRequest {
        text: "Invalid data format".into(),
        code: 6,
        invalid_event_number: Some(2),
    }]);
    let mut s = Sender::run(&target.url(), &hec, &[]);
    wait_for("later batches", Duration::from_secs(30), || {
        scrapes_accepted(&hec) >= 3
    });
    let err = s.stop();
    let reqs = hec.requests();
    let rejected = &reqs[0];
    assert_eq!(rejected.outcome, Outcome::Refused(400));
    assert_eq!(
        reqs.iter().filter(|r| r.body == rejected.body).count(),
        1,
        "not sent again"
    );
    let line = err
        .lines()
        .find(|l| l.contains("HEC rejected a batch"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.starts_with("ERROR "));
    for want in [
        "HTTP 400",
        "\"Invalid data format\"",
        "code 6",
        "invalid-event-number 2",
        "object #2 of the batch: {\"time\":",
    ] {
        assert!(line.contains(want), "{want} in {line}");
    }
    let sum = summary(&err);
    assert_eq!(sum["rejected"] as usize, rejected.points());
    assert_eq!(sum["produced"], sum["sent"] + sum["rejected"]);
    let reported = health(&hec, "hec_points_rejected_total");
    assert_eq!(
        *reported.values().last().unwrap() as usize,
        rejected.points()
    );
}

/// After an outage the backlog goes out in few requests (queued batches
/// merged up to -max_batch_kb), not one per scrape; a merged request HEC
/// refuses is sent again batch by batch, so one bad object costs its own
/// batch only, and the copies HEC may hold of the refused one are counted.
#[test]
fn a_backlog_is_sent_merged_and_a_refused_merge_batch_by_batch() {
    // A small target: many of its batches fit in one request.
    const SMALL: &str = "# TYPE t_requests_total counter\nt_requests_total{path=\"/a\"} 5\nt_gauge{a=\"1\"} 1\nt_gauge{a=\"2\"} 2\n";
    let target = TestServer::serve(Response::prometheus(SMALL));
    let hec = HecReceiver::start(TOKEN);
    hec.go_away(Duration::from_millis(1500));
    // The first answer is for the batch the sender was retrying through
    // the outage; the backlog behind it goes out next, merged.
    hec.script([
        Answer::Ok,
        Answer::BadRequest {
            text: "Invalid data format".into(),
            code: 6,
            invalid_event_number: Some(1),
        },
    ]);
    let mut s = Sender::run(&target.url(), &hec, &[]);
    wait_for(
        "the backlog and later scrapes",
        Duration::from_secs(30),
        || hec.script_left() == 0 && scrapes_accepted(&hec) >= 10,
    );
    let err = s.stop();
    let reqs = hec.requests();
    let ups = |r: &hec_receiver::HecRequest| {
        r.objects
            .iter()
            .filter(|o| {
                o["fields"]
                    .as_object()
                    .is_some_and(|f| f.contains_key("metric_name:mattermost_metrics.up"))
            })
            .count()
    };
    let refused = reqs
        .iter()
        .find(|r| r.outcome == Outcome::Refused(400))
        .expect("the scripted refusal");
    assert!(
        ups(refused) >= 3,
        "the backlog merged: {} scrapes",
        ups(refused)
    );
    assert!(
        err.contains("merged batches (HTTP 400") && err.contains("sending them one by one"),
        "{err}"
    );
    let n = assert_every_sample_delivered(
        &hec,
        target.requests().len(),
        &expected_points(SMALL.as_bytes(), &ConvertOptions::default()),
    );
    assert!(n >= 10);
    let sum = summary(&err);
    assert_eq!(sum["rejected"], 0, "{sum:?}");
    assert_eq!(sum["produced"], sum["sent"]);
    assert_eq!(
        sum["maybe_duplicated"] as usize,
        refused.points(),
        "each batch of the refused request may be in HEC twice"
    );
}

#[test]
fn the_token_is_never_logged() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.script([
        Answer::Busy,
        // A server that echoes the token back.
        Answer::BadRequest {
            text: format!("token {TOKEN} is odd"),
            code: 6,
            invalid_event_number: None,
        },
        Answer::Status(502, format!("<html>bad gateway for Splunk {TOKEN}</html>")),
    ]);
    let mut s = Sender::run(&target.url(), &hec, &["-log_level=trace"]);
    wait_for("a few scrapes", Duration::from_secs(30), || {
        scrapes_accepted(&hec) >= 2
    });
    let err = s.stop();
    assert!(err.contains("TRACE POST"), "trace is on: {err}");
    assert!(err.contains("splunk_authorization=********"), "{err}");
    assert!(err.contains("token ******** is odd"), "{err}");
    assert!(!err.contains(TOKEN), "the token in stderr:\n{err}");
    assert_every_line_level_first(&err);

    // From the environment, with a start-up error; and given to a
    // misspelt flag.
    for (args, env) in [
        (
            vec![
                "-splunk_target=http://127.0.0.1:1/",
                "-scrape_interval=fast",
            ],
            vec![("SPLUNK_AUTHORIZATION", TOKEN), ("LOG_LEVEL", "trace")],
        ),
        (
            vec![
                "-splunk_target=http://127.0.0.1:1/",
                "-splunk_authorisation",
                TOKEN,
            ],
            vec![("LOG_LEVEL", "trace")],
        ),
    ] {
        let mut s = Sender::start(&args, &env);
        let (status, err) = s.wait(Duration::from_secs(10));
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(!err.contains(TOKEN), "the token in stderr:\n{err}");
    }
}

#[test]
fn prometheus2splunk_flags_and_environment_variables() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let url = target.url();

    // Single dashes with separate values; double dashes with =.
    let hec = HecReceiver::start(TOKEN);
    let hec_url = hec.url();
    let mut s = Sender::start(
        &[
            "-scrape_target",
            &url,
            "-scrape_interval",
            "200ms",
            "--splunk_target",
            &hec_url,
            &format!("--splunk_authorization={TOKEN}"),
            "-allow_insecure",
            "--timeout=2s",
            "-log_level",
            "debug",
        ],
        &[],
    );
    wait_for("data", Duration::from_secs(20), || {
        scrapes_accepted(&hec) >= 2
    });
    let err = s.stop();
    let config = err
        .lines()
        .find(|l| l.starts_with("DEBUG loaded config: "))
        .unwrap();
    for want in [
        format!("scrape_target=[{url} "),
        "scrape_interval=200ms".to_string(),
        "allow_insecure=true".to_string(),
        "timeout=2s".to_string(),
        "log_level=debug".to_string(),
    ] {
        assert!(config.contains(&want), "{want} in {config}");
    }

    // The environment alone.
    let hec = HecReceiver::start(TOKEN);
    let hec_url = hec.url();
    let mut s = Sender::start(
        &[],
        &[
            ("SCRAPE_TARGET", &url),
            ("SCRAPE_INTERVAL", "200ms"),
            ("SPLUNK_TARGET", &hec_url),
            ("SPLUNK_AUTHORIZATION", TOKEN),
            ("ALLOW_INSECURE", "true"),
            ("TIMEOUT", "2s"),
            ("LOG_LEVEL", "debug"),
        ],
    );
    wait_for("data", Duration::from_secs(20), || {
        scrapes_accepted(&hec) >= 2
    });
    let err = s.stop();
    assert!(err.contains("scrape_interval=200ms"), "{err}");
    assert!(
        err.contains("allow_insecure=true timeout=2s log_level=debug"),
        "{err}"
    );

    // A flag beats its variable.
    let env_target = TestServer::serve(Response::prometheus("up 1\n"));
    let env_hec = HecReceiver::start(TOKEN);
    let hec = HecReceiver::start(TOKEN);
    let (env_target_url, env_hec_url, hec_url) = (env_target.url(), env_hec.url(), hec.url());
    let mut s = Sender::start(
        &[
            "-scrape_target",
            &url,
            "-splunk_target",
            &hec_url,
            "-splunk_authorization",
            TOKEN,
            "-log_level=debug",
            "-scrape_interval=300ms",
        ],
        &[
            ("SCRAPE_TARGET", &env_target_url),
            ("SCRAPE_INTERVAL", "1h"),
            ("SPLUNK_TARGET", &env_hec_url),
            ("SPLUNK_AUTHORIZATION", "not-the-token"),
            ("LOG_LEVEL", "error"),
            ("TIMEOUT", "2s"),
        ],
    );
    wait_for("data", Duration::from_secs(20), || {
        scrapes_accepted(&hec) >= 2
    });
    let err = s.stop();
    assert!(
        env_target.requests().is_empty(),
        "SCRAPE_TARGET lost to the flag"
    );
    assert!(
        env_hec.requests().is_empty(),
        "SPLUNK_TARGET lost to the flag"
    );
    assert!(hec.errors().is_empty(), "the flag's token is used");
    assert!(err.contains("DEBUG "), "-log_level beat LOG_LEVEL");
    assert!(
        err.contains("scrape_interval=300ms") && err.contains("timeout=2s"),
        "flags and the variables not overridden: {err}"
    );

    // The old tool's defaults.
    let hec = HecReceiver::start(TOKEN);
    let hec_url = hec.url();
    let mut s = Sender::start(
        &["-splunk_target", &hec_url, "-splunk_authorization", TOKEN],
        &[("LOG_LEVEL", "debug")],
    );
    wait_for("the first scrape's health", Duration::from_secs(20), || {
        scrapes_accepted(&hec) >= 1
    });
    let err = s.stop();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    for want in [
        format!("scrape_target=[http://localhost:8067/metrics (host {hostname})]"),
        "scrape_interval=15s".to_string(),
        "allow_insecure=false timeout=3s log_level=debug".to_string(),
        "splunk_index=- splunk_sourcetype=-".to_string(),
    ] {
        assert!(err.contains(&want), "{want} in {err}");
    }
    let up = accepted_points(&hec)
        .into_iter()
        .find(|p| p.name == UP)
        .unwrap();
    assert_eq!(
        up.host, hostname,
        "localhost's data carries this machine's name"
    );
    assert_eq!(up.source, "http://localhost:8067/metrics");

    // -help lists every flag.
    let out = Command::new(BIN)
        .args(["hec", "-help"])
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for f in FLAGS {
        assert!(
            help.contains(&format!("  -{}", f.name)),
            "{} in {help}",
            f.name
        );
    }
    assert!(help.contains("(default 15s)") && help.contains("(default 3s)"));
    assert!(help.contains("  -max_body_mb int\n") && help.contains("(default 64)\n"));
}

#[test]
fn invalid_settings_fail_at_start_naming_the_setting() {
    let req = [
        "-splunk_target=http://127.0.0.1:9/",
        "-splunk_authorization=tok-123456",
    ];
    let cases: &[Case] = &[
        (
            &["-scrape_interval=15"],
            &[],
            "-scrape_interval \"15\": not a duration",
        ),
        (
            &[],
            &[("SCRAPE_INTERVAL", "soon")],
            "SCRAPE_INTERVAL (environment) \"soon\"",
        ),
        (
            &["-timeout", "-1s"],
            &[],
            "-timeout \"-1s\": must not be negative",
        ),
        (&["-log_level=loud"], &[], "-log_level \"loud\""),
        (
            &[],
            &[("ALLOW_INSECURE", "maybe")],
            "ALLOW_INSECURE (environment) \"maybe\"",
        ),
        (
            &["-scrape_target=mm1:8067"],
            &[],
            "-scrape_target \"mm1:8067\"",
        ),
        (
            &["-include_metrics=go_(", "-exclude_metrics=[z-a]"],
            &[],
            "-include_metrics \"go_(\"",
        ),
        (
            &["-extra_dimensions=host=x"],
            &[],
            "-extra_dimensions: \"host\"",
        ),
        (
            &["-splunk_ca_bundle=/nonexistent/ca.pem"],
            &[],
            "-splunk_ca_bundle /nonexistent/ca.pem",
        ),
        (
            &["-scrape_target=http://a/,http://b/", "-splunk_host=x"],
            &[],
            "-splunk_host: 1 host(s) for 2",
        ),
        (&["-max_queue_mb=0"], &[], "-max_queue_mb \"0\""),
        (
            &["-no_such_flag"],
            &[],
            "flag provided but not defined: -no_such_flag",
        ),
        (
            &["-splunk_target=http://s:8088/services/collector/raw"],
            &[],
            "-splunk_target",
        ),
    ];
    for (args, env, want) in cases {
        let mut a: Vec<&str> = req.to_vec();
        a.extend(args.iter());
        let t0 = Instant::now();
        let mut s = Sender::start(&a, env);
        let (status, err) = s.wait(Duration::from_secs(10));
        assert_eq!(status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(want), "{a:?}: {want:?} not in {err}");
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert_every_line_level_first(&err);
    }
    // Both missing: both named.
    let mut s = Sender::start(&[], &[]);
    let (status, err) = s.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(2));
    assert!(err.contains("-splunk_target (or SPLUNK_TARGET) is required"));
    assert!(err.contains("-splunk_authorization (or SPLUNK_AUTHORIZATION) is required"));
}

#[test]
fn several_targets_with_index_sourcetype_hosts_filters_and_dimensions() {
    let mm1 = fixture_server();
    let mm2 = TestServer::serve(Response::prometheus(
        "up 1\nmattermost_http_websockets_total 7\nmattermost_webapp_x 1\ngo_goroutines 12\ngo_threads 3\n",
    ));
    let hec = HecReceiver::start(TOKEN);
    let targets = format!("{},{}", mm1.url(), mm2.url());
    let include = "mattermost_.*|go_goroutines|up";
    let exclude = "mattermost_(webapp|mobileapp|desktopapp)_.*";
    let mut s = Sender::run(
        &targets,
        &hec,
        &[
            "-splunk_host=mm1,mm2",
            "-splunk_index=wss_metrics",
            "-splunk_sourcetype=mattermost:metrics",
            &format!("-include_metrics={include}"),
            &format!("-exclude_metrics={exclude}"),
            "-extra_dimensions=cluster=prod,region=eu west",
        ],
    );
    wait_for("both targets", Duration::from_secs(30), || {
        accepted_points(&hec)
            .iter()
            .filter(|p| p.name == UP)
            .count()
            >= 6
    });
    s.stop();
    assert!(hec.errors().is_empty(), "{:?}", hec.errors());
    let inc = regex::Regex::new(&format!("^(?:{include})$")).unwrap();
    let exc = regex::Regex::new(&format!("^(?:{exclude})$")).unwrap();
    for (_, obj) in hec.indexed() {
        assert_eq!(obj["index"], "wss_metrics");
        assert_eq!(obj["sourcetype"], "mattermost:metrics");
        assert_eq!(obj["fields"]["cluster"], "prod");
        assert_eq!(obj["fields"]["region"], "eu west");
        let (host, source) = (
            obj["host"].as_str().unwrap(),
            obj["source"].as_str().unwrap(),
        );
        match host {
            "mm1" => assert_eq!(source, mm1.url()),
            "mm2" => assert_eq!(source, mm2.url()),
            other => panic!("host {other}"),
        }
    }
    let opts = ConvertOptions {
        include: Some(inc.clone()),
        exclude: Some(exc.clone()),
        extra_dimensions: vec![
            ("cluster".into(), "prod".into()),
            ("region".into(), "eu west".into()),
        ],
        ..ConvertOptions::default()
    };
    let want: HashSet<Key> = expected_points(&fixture("mattermost.prom"), &opts)
        .into_iter()
        .collect();
    let points = accepted_points(&hec);
    let first_mm1 = points
        .iter()
        .filter(|p| p.host == "mm1" && p.name == UP)
        .map(|p| p.time_ms)
        .min()
        .unwrap();
    let got: HashSet<Key> = points
        .iter()
        .filter(|p| p.host == "mm1" && p.time_ms == first_mm1)
        .filter(|p| !p.name.starts_with("mattermost_metrics."))
        .map(|p| (p.name.clone(), p.dims.clone()))
        .collect();
    assert_eq!(
        got, want,
        "mm1's scrape, filtered as the modular input filters"
    );
    let mm2_names: HashSet<&str> = points
        .iter()
        .filter(|p| p.host == "mm2" && !p.name.starts_with("mattermost_metrics."))
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        mm2_names,
        HashSet::from(["up", "mattermost_http_websockets_total", "go_goroutines"])
    );
    for p in points
        .iter()
        .filter(|p| p.name == "mattermost_metrics.samples_filtered")
    {
        let want = if p.host == "mm2" { 2.0 } else { 999.0 };
        assert_eq!(p.value, want, "{p:?}");
    }
}

#[test]
fn multiple_measurement_objects_in_gzip_batches_under_the_cap() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    let mut s = Sender::run(&target.url(), &hec, &["-max_batch_kb=64"]);
    wait_for("two scrapes", Duration::from_secs(30), || {
        scrapes_accepted(&hec) >= 2
    });
    s.stop();
    assert!(hec.errors().is_empty(), "{:?}", hec.errors());
    let reqs: Vec<_> = hec
        .requests()
        .into_iter()
        .filter(|r| r.outcome == Outcome::Accepted)
        .collect();
    let first_time = *health(&hec, "up").keys().next().unwrap();
    let one_scrape: Vec<_> = reqs
        .iter()
        .filter(|r| {
            r.objects
                .iter()
                .any(|o| (o["time"].as_f64().unwrap() * 1000.0).round() as i64 == first_time)
        })
        .collect();
    assert!(one_scrape.len() >= 10, "{} batches", one_scrape.len());
    for r in &reqs {
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("authorization"), Some(&*format!("Splunk {TOKEN}")));
        assert!(
            r.raw_bytes <= 64 * 1024,
            "{} bytes before gzip",
            r.raw_bytes
        );
        if r.raw_bytes > 16 * 1024 {
            assert!(r.wire_bytes * 5 < r.raw_bytes, "compressed");
        }
    }
    // _sum and _count share their labels: one object.
    let objs: Vec<&Value> = reqs.iter().flat_map(|r| r.objects.iter()).collect();
    let both = objs.iter().any(|o| {
        o["fields"]
            .get("metric_name:mattermost_api_time_sum")
            .is_some()
            && o["fields"]
                .get("metric_name:mattermost_api_time_count")
                .is_some()
    });
    assert!(both, "a histogram's _sum and _count in one object");
    let unlabelled = objs
        .iter()
        .find(|o| o["fields"].get("metric_name:go_goroutines").is_some())
        .unwrap();
    let measures = unlabelled["fields"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("metric_name:"))
        .count();
    assert!(
        measures > 10,
        "the label-less gauges share one object: {measures}"
    );
    // No object holds a name twice, and dimensions are strings (checked by
    // the receiver).
    let points: usize = one_scrape.iter().map(|r| r.points()).sum();
    let objects: usize = one_scrape.iter().map(|r| r.objects.len()).sum();
    let wire: usize = one_scrape.iter().map(|r| r.wire_bytes).sum();
    let raw: usize = one_scrape.iter().map(|r| r.raw_bytes).sum();
    eprintln!(
        "one fixture scrape at -max_batch_kb=64: {points} data points in {objects} objects, \
         {} requests, {raw} bytes JSON, {wire} bytes gzip ({:.1} bytes per data point)",
        one_scrape.len(),
        wire as f64 / points as f64
    );
}

#[test]
fn https_to_a_plain_http_hec_says_use_http() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    // A plain-HTTP server (as HEC with Enable SSL off) answers the TLS
    // hello with an HTTP error.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let https = format!("https://{}/services/collector", plain.local_addr().unwrap());
    thread::spawn(move || {
        for mut c in plain.incoming().flatten() {
            let mut buf = [0; 512];
            let _ = std::io::Read::read(&mut c, &mut buf);
            let _ = std::io::Write::write_all(
                &mut c,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let args = [
        "-scrape_target",
        &target.url(),
        "-scrape_interval=200ms",
        "-splunk_timeout=1s",
        "-retry_backoff=50ms",
        "-shutdown_timeout=0s",
        "-splunk_target",
        &https,
        "-splunk_authorization",
        TOKEN,
    ];
    let mut s = Sender::start(&args, &[]);
    thread::sleep(Duration::from_secs(3));
    let err = s.stop();
    assert!(err.contains("use http:// in -splunk_target"), "{err}");
    assert!(
        !err.contains("-splunk_ca_bundle"),
        "no CA hint for a plain port: {err}"
    );
}

#[test]
fn hec_over_https_with_a_ca_bundle() {
    let pki = TestPki::new();
    let id = pki.server();
    let ca = pki.ca_file();
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let hec = HecReceiver::start_tls(TOKEN, &id.cert_pem, &id.key_pem);
    assert!(hec.url().starts_with("https://"));

    let ca_flag = format!("-splunk_ca_bundle={}", ca.display());
    let mut s = Sender::run(&target.url(), &hec, &[&ca_flag]);
    wait_for("data over TLS", Duration::from_secs(20), || {
        scrapes_accepted(&hec) >= 1
    });
    s.stop();

    // Without the CA: the certificate is refused, the batch is retried.
    let before = hec.requests().len();
    let mut s = Sender::run(&target.url(), &hec, &["-shutdown_timeout=0s"]);
    wait_for("a TLS failure", Duration::from_secs(20), || {
        s.stderr().contains("TLS with")
    });
    let err = s.stop();
    assert_eq!(hec.requests().len(), before, "nothing sent without trust");
    assert!(err.contains("-splunk_ca_bundle"), "{err}");

    // -allow_insecure, as the old tool's.
    let mut s = Sender::run(&target.url(), &hec, &["-allow_insecure"]);
    wait_for("data", Duration::from_secs(20), || {
        hec.requests().len() > before
    });
    s.stop();
    assert!(hec.errors().is_empty());
}

#[test]
fn docs_and_unit_file_document_the_sender() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let section = &std::fs::read_to_string(root.join("docs/hec.md")).unwrap();
    for (name, _) in HEC_HEALTH_METRICS {
        assert!(section.contains(&format!("| `{name}` |")), "{name}");
    }
    for f in FLAGS {
        assert!(section.contains(&format!("`-{}`", f.name)), "-{}", f.name);
        if f.compat {
            assert!(
                section.contains(&format!("`{}`", f.name.to_ascii_uppercase())),
                "{}",
                f.name
            );
        }
    }
    let unit =
        std::fs::read_to_string(root.join("contrib/mattermost_metrics_hec.service")).unwrap();
    for want in [
        "EnvironmentFile=",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "RestartPreventExitStatus=",
        // The queue survives a kill, a crash and a reboot.
        "StateDirectory=mattermost_metrics_hec",
        "Environment=QUEUE_DIR=/var/lib/mattermost_metrics_hec",
    ] {
        assert!(unit.contains(want), "{want} in the unit");
    }
    let exec = unit.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(
        !exec.contains("authorization"),
        "no token on the command line"
    );
    assert!(
        unit.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .all(|l| !l.contains("SPLUNK_AUTHORIZATION")),
        "no token in the unit (an Environment= line)"
    );
}

#[test]
fn installed_as_prometheus2splunk_it_is_the_hec_sender() {
    // The old tool's users replace its binary and keep their command lines.
    let dir = std::env::temp_dir().join(format!("p2s_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("prometheus2splunk");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(BIN, &link).unwrap();
    let out = Command::new(&link)
        .arg("-help")
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("  -scrape_target") && help.contains("  -splunk_authorization"),
        "{help}"
    );
    // Without the required flags it fails as the sender does, naming them.
    let out = Command::new(&link).env_clear().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("splunk_target") && err.contains("splunk_authorization"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- production hardening -----------------------------------------------------

#[test]
fn a_password_in_a_url_is_never_shown() {
    for (flag, value) in [
        (
            "-scrape_target",
            "http://alice:s3cret-pw@127.0.0.1:8067/metrics",
        ),
        (
            "-scrape_target",
            "http://alice:s3cret-pw@127.0.0.1:99999999/metrics",
        ),
        ("-scrape_target", "alice:s3cret-pw@127.0.0.1:8067/metrics"),
        (
            "-splunk_target",
            "https://alice:s3cret-pw@127.0.0.1:8088/services/collector",
        ),
        (
            "-splunk_target",
            "https://alice:s3cret-pw@127.0.0.1:99999999/",
        ),
        // Forms the URL standard forgives while a scan that stops at the
        // first `/` sees no userinfo: HEC would get the password, and the
        // sender started and logged it at every retry.
        (
            "-splunk_target",
            "http:///alice:s3cret-pw@127.0.0.1:9/services/collector",
        ),
        ("-splunk_target", "http:/alice:s3cret-pw@127.0.0.1:9/hec"),
        ("-splunk_target", "//alice:s3cret-pw@127.0.0.1:9/hec"),
        ("-splunk_target", "http:/\\alice:s3cret-pw@127.0.0.1:9/hec"),
        ("-splunk_target", "https://alice:s3cret/pw@127.0.0.1:9/"),
        (
            "-scrape_target",
            "http:///alice:s3cret-pw@127.0.0.1:18080/m",
        ),
        ("-scrape_target", "http:/alice:s3cret-pw@127.0.0.1:18080/m"),
        ("-scrape_target", "//alice:s3cret-pw@127.0.0.1:18080/m"),
        (
            "-scrape_target",
            "http:/\\alice:s3cret-pw@127.0.0.1:18080/m",
        ),
        // Without a password, still not the plain form: refused, not guessed.
        ("-splunk_target", "http:///127.0.0.1:9/services/collector"),
    ] {
        let arg = format!("{flag}={value}");
        let mut s = Sender::start(
            &[
                "-splunk_target=http://127.0.0.1:9/",
                "-splunk_authorization=tok-123456",
                &arg,
            ],
            &[],
        );
        let (status, err) = s.wait(Duration::from_secs(10));
        assert_eq!(status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(flag), "{arg}: {err}");
        assert!(
            !err.contains("s3cret") && !err.contains("alice"),
            "{arg}: {err}"
        );
    }
}

/// Runs the sender on `target` with `extra` until HEC has accepted `n`
/// scrapes, then stops it; its stderr.
fn run_for_scrapes(target: &TestServer, hec: &HecReceiver, extra: &[&str], n: usize) -> String {
    let mut s = Sender::run(&target.url(), hec, extra);
    wait_for("the scrapes", Duration::from_secs(20), || {
        scrapes_accepted(hec) >= n
    });
    s.stop()
}

/// The lines of `err` that start with `start` and contain `part`.
fn lines_with<'a>(err: &'a str, start: &str, part: &str) -> Vec<&'a str> {
    err.lines()
        .filter(|l| l.starts_with(start) && l.contains(part))
        .collect()
}

#[test]
fn allow_insecure_is_said_once_at_start() {
    let target = TestServer::serve(Response::prometheus("up 1\n"));
    let hec = HecReceiver::start(TOKEN);
    let err = run_for_scrapes(&target, &hec, &["-allow_insecure"], 3);
    let warnings = lines_with(&err, "WARN -allow_insecure", "");
    assert_eq!(warnings.len(), 1, "{err}");
    for want in [hec.url().as_str(), "take the token", "false metrics"] {
        assert!(warnings[0].contains(want), "{want} in {}", warnings[0]);
    }
    let err = run_for_scrapes(&target, &hec, &[], 4);
    assert!(!err.contains("-allow_insecure"), "{err}");
}

#[test]
fn label_values_reach_hec_exactly() {
    // The event text's mapping (" to ', control characters to spaces) is
    // for _meta; HEC's JSON carries any string.
    let values = [
        "say \"hi\"",
        "tab\there",
        "line\nbreak",
        "ctl\u{1}\u{1b}\u{7f} end",
        "ls\u{2028}ps\u{2029}",
        "back\\slash",
    ];
    let mut body = String::from("# TYPE x gauge\n");
    for (i, v) in values.iter().enumerate() {
        let escaped = v
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        body.push_str(&format!("x{{v=\"{escaped}\"}} {i}\n"));
    }
    let target = TestServer::serve(Response::prometheus(body));
    let hec = HecReceiver::start(TOKEN);
    run_for_scrapes(&target, &hec, &[], 1);
    assert!(hec.errors().is_empty(), "{:?}", hec.errors());
    let first = *health(&hec, "up").keys().next().unwrap();
    let mut got: Vec<(f64, String)> = accepted_points(&hec)
        .into_iter()
        .filter(|p| p.name == "x" && p.time_ms == first)
        .map(|p| (p.value, p.dims[0].1.clone()))
        .collect();
    got.sort_by(|a, b| a.0.total_cmp(&b.0));
    let want: Vec<(f64, String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64, v.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_scrape_over_the_sample_limit_or_the_body_cap_is_not_sent() {
    let target = fixture_server();
    for (flag, kind, want) in [
        (
            "-sample_limit=1000",
            "sample_limit",
            "more than the sample limit of 1000 (-sample_limit)",
        ),
        (
            "-max_body_mb=0.1",
            "too_large",
            "104857 bytes (-max_body_mb,",
        ),
    ] {
        let hec = HecReceiver::start(TOKEN);
        let err = run_for_scrapes(&target, &hec, &[flag], 3);
        let points = accepted_points(&hec);
        assert!(
            points
                .iter()
                .all(|p| p.name.starts_with("mattermost_metrics.")),
            "{flag}: nothing of the scrape is sent"
        );
        assert!(health(&hec, "up").values().all(|up| *up == 0.0));
        let errors = lines_with(&err, "ERROR", "");
        assert_eq!(errors.len(), 1, "said once while it lasts: {err}");
        assert!(
            errors[0].starts_with(&format!("ERROR scrape failed ({kind}): "))
                && errors[0].contains(want),
            "{want} in {}",
            errors[0]
        );
        assert!(!errors[0].contains("max_body_bytes"), "{}", errors[0]);
    }
}

#[test]
fn an_include_that_matches_nothing_is_warned_once() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    let err = run_for_scrapes(&target, &hec, &["-include_metrics=mattermost_*"], 3);
    let warnings = lines_with(&err, "WARN", "dropped all");
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains("mattermost_.*"), "{}", warnings[0]);
    assert!(health(&hec, "samples_filtered")
        .values()
        .all(|n| *n > 5000.0));
}

/// Requests carrying the same batch as the first one.
fn copies_of_first(hec: &HecReceiver) -> Vec<hec_receiver::HecRequest> {
    let reqs = hec.requests();
    reqs.iter()
        .filter(|r| r.body == reqs[0].body)
        .cloned()
        .collect()
}

#[test]
fn a_slow_hec_is_waited_for_and_what_it_may_hold_is_not_called_lost() {
    let target = TestServer::serve(Response::prometheus(
        "up 1\nmattermost_http_websockets_total 3\n",
    ));

    // Slower than -splunk_timeout twice: both copies are indexed, the
    // sender cannot know; the third is answered in time.
    let hec = HecReceiver::start(TOKEN);
    let late = Answer::Late(Duration::from_millis(1500));
    hec.script([late.clone(), late.clone()]);
    let mut s = Sender::run(
        &target.url(),
        &hec,
        &["-splunk_timeout=400ms", "-scrape_interval=1s"],
    );
    wait_for(
        "the count of possible duplicates to reach HEC",
        Duration::from_secs(30),
        || {
            health(&hec, "hec_points_maybe_duplicated_total")
                .values()
                .any(|n| *n > 0.0)
        },
    );
    let err = s.stop();
    let copies = copies_of_first(&hec);
    let outcomes: Vec<Outcome> = copies.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::AnsweredLate,
            Outcome::AnsweredLate,
            Outcome::Accepted
        ]
    );
    let sum = summary(&err);
    // HEC holds three copies: two are extra, and counted per data point.
    assert_eq!(
        sum["maybe_duplicated"] as usize,
        2 * copies[0].points(),
        "{err}"
    );
    assert_eq!((sum["lost"], sum["unconfirmed"]), (0, 0), "{err}");
    assert_eq!(sum["produced"], sum["sent"]);
    let reported = health(&hec, "hec_points_maybe_duplicated_total");
    assert_eq!(
        reported.values().cloned().fold(0.0, f64::max) as usize,
        2 * copies[0].points()
    );
    assert!(err.contains("may be indexed 3 times"), "{err}");
    assert!(
        err.contains("within 400ms (-splunk_timeout); HEC may still index the batch"),
        "{err}"
    );

    // Slow until the stop: what HEC may hold is unconfirmed, not lost.
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Late(Duration::from_secs(3)));
    let mut s = Sender::run(
        &target.url(),
        &hec,
        &[
            "-splunk_timeout=300ms",
            "-shutdown_timeout=1s",
            "-scrape_interval=20s",
        ],
    );
    wait_for("two attempts", Duration::from_secs(20), || {
        hec.requests().len() >= 2
    });
    s.signal("TERM");
    let (status, err) = s.wait(Duration::from_secs(20));
    assert!(status.success(), "{err}");
    let sum = summary(&err);
    let copies = copies_of_first(&hec);
    assert_eq!(copies.len(), hec.requests().len(), "one scrape, one batch");
    assert!(copies.iter().all(|r| r.outcome.indexed()));
    assert_eq!(sum["sent"], 0);
    assert_eq!(sum["unconfirmed"] as usize, copies[0].points(), "{err}");
    // Every copy HEC may hold beyond the first is a possible duplicate.
    assert_eq!(
        sum["maybe_duplicated"] as usize,
        (copies.len() - 1) * copies[0].points(),
        "{err}"
    );
    assert_eq!(sum["lost"], 0, "{err}");
    assert!(err.contains("ERROR stopped: "), "{err}");

    // The default -splunk_timeout (30 s) waits for a HEC that takes 2 s:
    // one request, no copy.
    let hec = HecReceiver::start(TOKEN);
    hec.script([Answer::Late(Duration::from_secs(2))]);
    let url = hec.url();
    let mut s = Sender::start(
        &[
            "-scrape_target",
            &target.url(),
            "-splunk_target",
            &url,
            "-splunk_authorization",
            TOKEN,
            "-scrape_interval=1s",
        ],
        &[],
    );
    wait_for("a second batch", Duration::from_secs(20), || {
        hec.requests().len() >= 2
    });
    let err = s.stop();
    assert_eq!(copies_of_first(&hec).len(), 1, "{err}");
    let sum = summary(&err);
    assert_eq!((sum["maybe_duplicated"], sum["lost"]), (0, 0), "{err}");
    assert!(!err.contains("WARN sending to HEC failed"), "{err}");
}

/// A hostile target's names are quoted in warnings, and so are flags: a
/// line of megabytes floods the journal (which splits it at 48 KiB).
#[test]
fn log_lines_are_bounded_whatever_the_target_sends() {
    let long_name = "n".repeat(8 * 1024 * 1024);
    let long_label = "l".repeat(5 * 1024 * 1024);
    let body = format!("{long_name}{{ 1\nok{{{long_label}=\"x\" 2\nbad {long_label}\nfine 4\n");
    let target = TestServer::serve(Response::prometheus(body));
    let hec = HecReceiver::start(TOKEN);
    let mut s = Sender::run(
        &target.url(),
        &hec,
        &["-max_body_mb=64", "-scrape_interval=1s"],
    );
    wait_for("two scrapes", Duration::from_secs(30), || {
        s.stderr().matches("DEBUG scraped").count() >= 2
    });
    let err = s.stop();
    assert_every_line_level_first(&err);
    let long_flag = format!("-scrape_target=ftp://h/{}", "p".repeat(100_000));
    let mut s = Sender::start(
        &[
            "-splunk_target=http://127.0.0.1:9/",
            "-splunk_authorization=tok-123456",
            &long_flag,
            "-bogus",
        ],
        &[],
    );
    let (status, err2) = s.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(2), "{}", &err2[..err2.len().min(2000)]);
    assert!(
        err2.contains(&format!("{}…[", "p".repeat(20))) && err2.contains(" bytes, crc32 "),
        "quoted by length and hash: {}",
        &err2[..err2.len().min(4000)]
    );
    for line in err.lines().chain(err2.lines()) {
        assert!(
            line.len() <= 4200,
            "a line of {} bytes: {}",
            line.len(),
            &line[..300]
        );
    }
}

/// Prometheus' storage refuses samples more than 10 minutes ahead or older
/// than its head's hour: so does the sender, counting them per scrape.
#[test]
fn samples_far_from_the_scrape_time_are_dropped_and_counted() {
    let target = TestServer::handle(|_| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        Reply::Respond(Response::prometheus(format!(
            "big 1 99999999999999999\nneg 1 -5\nold 1 {}\nahead 1 {}\nrecent 2 {}\nplain 4\n",
            now - 2 * 3_600_000,
            now + 3_600_000,
            now - 30_000,
        )))
    });
    let hec = HecReceiver::start(TOKEN);
    let err = run_for_scrapes(&target, &hec, &[], 2);
    let mut names: Vec<String> = accepted_points(&hec)
        .into_iter()
        .map(|p| p.name)
        .filter(|n| !n.starts_with("mattermost_metrics."))
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names, ["plain", "recent"]);
    let counted = health(&hec, "samples_out_of_bounds");
    assert!(
        counted.len() >= 2 && counted.values().all(|n| *n == 4.0),
        "{counted:?}"
    );
    let warned = err
        .lines()
        .filter(|l| l.starts_with("WARN") && l.contains("samples_out_of_bounds"));
    assert_eq!(warned.count(), 1, "said once while it lasts: {err}");
}

/// A fresh directory for `-queue_dir`, removed by the test at its end.
fn queue_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mm-hec-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Batches waiting in `dir` (`.batch` and `.sending` files).
fn queued_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.ends_with(".batch") || n.ends_with(".sending")
            })
            .count()
    })
}

impl Sender {
    /// kill -9, and the exit.
    fn kill9(&mut self) -> String {
        self.child.kill().unwrap();
        let (status, err) = self.wait(Duration::from_secs(10));
        assert!(!status.success(), "{status:?}");
        err
    }
}

/// kill -9 during an HEC outage: with -queue_dir, every scrape queued
/// before it reaches HEC after the restart, once, and the health data
/// points say how many were replayed from disk.
#[test]
fn a_kill_during_an_outage_loses_nothing_queued_on_disk() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Busy);
    let dir = queue_dir("kill");
    let flag = format!("-queue_dir={}", dir.display());
    // A loaded machine may take a second to check a request: no copies.
    let extra = [
        flag.as_str(),
        "-scrape_interval=1s",
        "-timeout=500ms",
        "-splunk_timeout=15s",
    ];
    let mut s = Sender::run(&target.url(), &hec, &extra);
    // Killed between two scrapes (1 s apart), with every scrape taken
    // queued: each is two batches of the fixture.
    wait_for(
        "six scrapes queued on disk",
        Duration::from_secs(60),
        || {
            let served = target.requests().len();
            served >= 6 && queued_files(&dir) == 2 * served
        },
    );
    let served_before = target.requests().len();
    let files = queued_files(&dir);
    assert!(files >= 12, "{files} batches on disk");
    let err1 = s.kill9();
    assert!(!err1.contains(" stopped: "), "killed, not stopped: {err1}");
    assert_eq!(
        target.requests().len(),
        served_before,
        "no scrape under way at the kill"
    );

    hec.set_default(Answer::Ok);
    let mut s = Sender::run(&target.url(), &hec, &extra);
    let t0 = Instant::now();
    while !(scrapes_accepted(&hec) >= served_before + 2 && queued_files(&dir) == 0) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the replay and two new scrapes: {} accepted of {served_before} + 2, {} files; {}",
            scrapes_accepted(&hec),
            queued_files(&dir),
            s.stderr()
        );
        thread::sleep(Duration::from_millis(50));
    }
    let err = s.stop();
    assert!(err.contains("left by the last run are sent first"), "{err}");
    let per_scrape = expected_points(&fixture("mattermost.prom"), &ConvertOptions::default());
    // Every scrape of both runs, exactly once in requests answered 200.
    let scrapes = assert_every_sample_delivered(&hec, target.requests().len(), &per_scrape);
    assert!(scrapes > served_before, "{scrapes}");
    let sum = summary(&err);
    let replayed = sum["replayed"] as usize;
    assert_eq!(
        replayed,
        served_before * (per_scrape.len() + points_per_scrape()),
        "{err}"
    );
    assert_eq!(sum["produced"] + sum["replayed"], sum["sent"], "{err}");
    assert_eq!((sum["lost"], sum["kept"]), (0, 0), "{err}");
    // A batch HEC had not answered (503) when the kill came counts as
    // possibly duplicated: the sender could not know HEC would refuse it.
    let in_flight = err.contains("one was being sent as the last run ended");
    assert_eq!(sum["maybe_duplicated"] > 0, in_flight, "{err}");
    assert!(sum["maybe_duplicated"] as usize <= per_scrape.len() + points_per_scrape());
    let reported = health(&hec, "hec_points_replayed_total");
    assert_eq!(
        reported.values().cloned().fold(0.0, f64::max) as usize,
        replayed,
        "the health data points say how many were replayed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// kill -9 while HEC has a batch and has not answered: after the restart it
/// is sent again, and counted as possibly duplicated; a stop while HEC is
/// down keeps the queue on disk instead of losing it.
#[test]
fn a_send_in_flight_at_a_kill_is_counted_as_possibly_duplicated() {
    let target = fixture_server();
    let hec = HecReceiver::start(TOKEN);
    hec.set_default(Answer::Late(Duration::from_secs(20)));
    let dir = queue_dir("inflight");
    let flag = format!("-queue_dir={}", dir.display());
    let extra = [flag.as_str(), "-scrape_interval=20s", "-splunk_timeout=30s"];
    let mut s = Sender::run(&target.url(), &hec, &extra);
    wait_for("a request HEC holds", Duration::from_secs(30), || {
        !hec.requests().is_empty()
    });
    thread::sleep(Duration::from_millis(300));
    s.kill9();
    let first = hec.requests()[0].points();

    // HEC down at the next stop: the queue is kept, not lost.
    hec.set_default(Answer::Busy);
    let mut s = Sender::run(
        &target.url(),
        &hec,
        &[flag.as_str(), "-shutdown_timeout=1s"],
    );
    wait_for("an attempt", Duration::from_secs(30), || {
        hec.requests().len() >= 3
    });
    let err = s.stop();
    let sum = summary(&err);
    assert_eq!(sum.get("lost"), Some(&0), "{err}");
    assert!(sum["kept"] > 0, "{err}");
    assert_eq!(sum["produced"] + sum["replayed"], sum["kept"], "{err}");
    assert!(err.contains("are kept in -queue_dir"), "{err}");

    hec.set_default(Answer::Ok);
    let mut s = Sender::run(&target.url(), &hec, &extra);
    wait_for("the queue to empty", Duration::from_secs(30), || {
        queued_files(&dir) == 0 && scrapes_accepted(&hec) >= 3
    });
    let err = s.stop();
    let sum = summary(&err);
    assert_eq!(sum["maybe_duplicated"] as usize, first, "{err}");
    assert_eq!(sum["lost"] + sum["kept"], 0, "{err}");
    let copies = copies_of_first(&hec);
    assert_eq!(
        copies.iter().filter(|r| r.outcome.indexed()).count(),
        2,
        "HEC holds two copies of the batch in flight, one counted as a possible duplicate"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Eight targets whose gzip expands to -max_body_mb each held their body
/// at once, past the unit's MemoryMax: scrapes take turns within
/// -max_memory_mb (3 x -max_body_mb each, beside the queue in memory).
#[test]
fn scrapes_in_flight_stay_within_max_memory_mb() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let slow = || {
        let (now, most) = (now.clone(), most.clone());
        TestServer::handle(move |_| {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(n, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(300));
            now.fetch_sub(1, Ordering::SeqCst);
            Reply::Respond(Response::prometheus("up 1\n"))
        })
    };
    let targets: Vec<TestServer> = (0..3).map(|_| slow()).collect();
    let urls = targets
        .iter()
        .map(TestServer::url)
        .collect::<Vec<_>>()
        .join(",");
    let hec = HecReceiver::start(TOKEN);
    // (3.5 - 0.5) / (3 x 1) = one scrape at a time.
    let mut s = Sender::run(
        &urls,
        &hec,
        &[
            "-max_body_mb=1",
            "-max_queue_mb=0.5",
            "-max_memory_mb=3.5",
            "-scrape_interval=500ms",
        ],
    );
    wait_for(
        "every target scraped twice",
        Duration::from_secs(30),
        || targets.iter().all(|t| t.requests().len() >= 2),
    );
    let err = s.stop();
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "one scrape in flight at a time: {err}"
    );
    assert!(err.contains("scrape_slots=1"), "{err}");

    // No room for one scrape beside the queue: refused at the start.
    let mut s = Sender::start(
        &[
            "-splunk_target=http://127.0.0.1:9/",
            "-splunk_authorization=tok-123456",
            "-max_body_mb=64",
            "-max_memory_mb=200",
        ],
        &[],
    );
    let (status, err) = s.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("-max_memory_mb 200: no room for one scrape"),
        "{err}"
    );
}
