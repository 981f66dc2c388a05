//! The binaries of the other platforms, as `scripts/package` built them,
//! run here as their platforms run them: the app's Windows .exe under Wine,
//! the standalone aarch64 binary under qemu (`cross.rs`). Each must
//! do what the Linux x86-64 binary under test does: both are run on the
//! same input and what they write is compared, all but times (and the
//! durations measured), so that every check `tests/modinput.rs` and
//! `tests/hec.rs` make of the Linux binary holds for the others too.
//!
//! `#[ignore]`d: they need the package (`MM_PACKAGE`, set by scripts/test;
//! the aarch64 archive lies beside it), Wine, qemu and MinGW-w64, which
//! scripts/test installs.

mod cross;
use test_support::hec_receiver;
use test_support::splunkd;
use test_support::test_servers;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cross::Foreign;
use hec_receiver::{HecReceiver, Outcome};
use splunkd::{input_xml, items_xml, parse_stream, run_command, Run};
use test_servers::{Response, TempDir, TestPki, TestServer, TlsSettings};
use test_support::fixture;

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const TOKEN: &str = "5b0e8d2c-7a41-4f39-9c6e-2d8f1a3b4c5d";

/// Unpacks `archive` (a .tgz) into a folder of its own, removed when the
/// test is done with it.
fn unpack(archive: &Path) -> TempDir {
    let dir = TempDir::new();
    let f = std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(dir.path())
        .unwrap();
    dir
}

fn package() -> PathBuf {
    PathBuf::from(
        std::env::var_os("MM_PACKAGE")
            .expect("MM_PACKAGE names the package scripts/package built (scripts/test sets it)"),
    )
}

/// The app's Windows executable, unpacked from the package, under Wine.
fn windows_exe() -> (TempDir, Foreign) {
    let dir = unpack(&package());
    let exe = dir
        .path()
        .join("mattermost_metrics/windows_x86_64/bin/mattermost_metrics.exe");
    (dir, Foreign::wine(&exe))
}

/// The standalone aarch64 binary, unpacked from its archive, under qemu.
fn aarch64_binary() -> (TempDir, Foreign) {
    let name = format!("mattermost_metrics_hec-{VERSION}-linux_aarch64");
    let dir = unpack(&package().with_file_name(format!("{name}.tar.gz")));
    let bin = dir.path().join(name).join("mattermost_metrics");
    (dir, Foreign::qemu(&bin))
}

fn native(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    c
}

/// Runs the Linux binary and `foreign` with the same arguments and stdin.
fn both(foreign: &Foreign, args: &[&str], stdin: &str) -> (Run, Run) {
    (
        run_command(native(args), stdin),
        run_command(foreign.command(args), stdin),
    )
}

/// An event stream with what differs from run to run blanked: each event's
/// time (checked to be one per run and near now) and the measured scrape
/// duration.
fn stream_without_times(r: &Run) -> Vec<splunkd::Event> {
    let mut events = parse_stream(&r.stdout);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let first = events.first().map(|e| e.time.clone()).unwrap_or_default();
    for e in &mut events {
        assert_eq!(e.time, first, "one time per scrape");
        let t: f64 = e.time.parse().unwrap();
        assert!((now - t).abs() < 120.0, "the scrape's time: {t}");
        e.time.clear();
        if e.data
            .starts_with("mattermost_metrics.scrape_duration_seconds ")
        {
            e.data = "mattermost_metrics.scrape_duration_seconds (measured)".into();
        }
    }
    events
}

/// The ERROR and WARN lines of stderr (INFO and DEBUG lines carry
/// durations).
fn problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("ERROR ") || l.starts_with("WARN "))
        .collect()
}

/// One run of the modular input by each binary on the same input: the
/// same events, the same problems reported.
fn same_run(foreign: &Foreign, params: &[(&str, &str)]) -> Vec<splunkd::Event> {
    let input = input_xml("https://127.0.0.1:1", "node1", params);
    let (linux, other) = both(foreign, &[], &input);
    assert_eq!(linux.code, Some(0), "{}", linux.stderr);
    assert_eq!(other.code, Some(0), "{}", other.stderr);
    let events = stream_without_times(&linux);
    assert_eq!(stream_without_times(&other), events, "{params:?}");
    assert_eq!(
        problems(&other.stderr),
        problems(&linux.stderr),
        "{params:?}"
    );
    events
}

#[test]
#[ignore = "needs the package from scripts/package and Wine; scripts/test runs it"]
fn windows_exe_answers_splunkd_as_the_linux_binary_does() {
    let (_unpacked, exe) = windows_exe();
    let app = exe
        .exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap();

    // --scheme and the spec: byte for byte.
    let (linux, windows) = both(&exe, &["--scheme"], "");
    assert_eq!(windows.code, Some(0), "{}", windows.stderr);
    assert_eq!(windows.stdout, linux.stdout);
    let (_, spec) = both(&exe, &["spec"], "");
    assert_eq!(
        spec.stdout,
        std::fs::read_to_string(app.join("README/inputs.conf.spec")).unwrap()
    );

    // --validate-arguments: a working endpoint, then bad settings.
    let target = TestServer::serve(Response::prometheus(fixture("mattermost.prom")).gzip());
    let url = target.url();
    for (params, code) in [
        (vec![("url", url.as_str()), ("interval", "60")], 0),
        (
            vec![("url", "mm1:8067"), ("interval", "10"), ("timeout", "30")],
            1,
        ),
    ] {
        let items = items_xml("https://127.0.0.1:1", "node1", &params);
        let (linux, windows) = both(&exe, &["--validate-arguments"], &items);
        assert_eq!(windows.code, Some(code), "{params:?}: {}", windows.stderr);
        assert_eq!(linux.code, Some(code), "{params:?}: {}", linux.stderr);
        assert_eq!(windows.stdout, linux.stdout, "{params:?}");
        assert_eq!(problems(&windows.stderr), problems(&linux.stderr));
    }

    // Run mode: the whole Mattermost fixture, gzipped, every sample.
    let events = same_run(&exe, &[("url", &url), ("interval", "60")]);
    assert!(events.len() > 5000, "{} events", events.len());
    assert!(events.iter().any(|e| e.data == "mattermost_metrics.up 1"));

    // A node that refuses: the same health points and ERROR line.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/metrics",
            l.local_addr().unwrap().port()
        )
    };
    let events = same_run(&exe, &[("url", &refused)]);
    assert!(events.iter().any(|e| e.data == "mattermost_metrics.up 0"));

    // HTTPS with a private CA, named by a Windows path.
    let pki = TestPki::new();
    let tls = TestServer::https(
        TlsSettings::new(pki.server()),
        Response::prometheus("up 1\n"),
    );
    let tls_url = tls.url().replace("127.0.0.1", "localhost");
    let input = input_xml(
        "https://127.0.0.1:1",
        "node1",
        &[
            ("url", &tls_url),
            ("ca_bundle", &exe.path_arg(&pki.ca_file())),
        ],
    );
    let r = run_command(exe.command(&[]), &input);
    let up: Vec<String> = parse_stream(&r.stdout)
        .into_iter()
        .map(|e| e.data)
        .filter(|d| d.starts_with("mattermost_metrics.up "))
        .collect();
    assert_eq!(up, ["mattermost_metrics.up 1"], "{}", r.stderr);
}

#[test]
#[ignore = "needs the package from scripts/package and Wine; scripts/test runs it"]
fn windows_exe_sends_to_hec_and_stops_cleanly_at_ctrl_c() {
    let (_unpacked, exe) = windows_exe();
    sends_to_hec_as_the_linux_binary_does(&exe);
}

#[test]
#[ignore = "needs the package from scripts/package and Wine; scripts/test runs it"]
fn windows_exe_named_prometheus2splunk_exe_is_the_hec_sender() {
    let (_unpacked, exe) = windows_exe();
    let renamed = exe.exe.with_file_name("PROMETHEUS2SPLUNK.EXE");
    std::fs::copy(&exe.exe, &renamed).unwrap();
    let p2s = Foreign::wine(&renamed);
    let r = run_command(p2s.command(&["-help"]), "");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("  -scrape_target") && r.stdout.contains("  -splunk_authorization"));
    let r = run_command(p2s.command(&[]), "");
    assert_eq!(
        r.code,
        Some(2),
        "the sender's exit for missing settings: {}",
        r.stderr
    );
}

#[test]
#[ignore = "needs the aarch64 archive from scripts/package and qemu; scripts/test runs it"]
fn aarch64_binary_converts_as_x86_64_does() {
    let (_unpacked, bin) = aarch64_binary();
    let (linux, arm) = both(&bin, &["--scheme"], "");
    assert_eq!(arm.code, Some(0), "{}", arm.stderr);
    assert_eq!(arm.stdout, linux.stdout);

    let fixture_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mattermost.prom");
    let file = fixture_path.to_str().unwrap();
    // The event text has no time: byte-identical.
    let (linux, arm) = both(&bin, &["convert", file], "");
    assert_eq!(arm.code, Some(0), "{}", arm.stderr);
    assert!(linux.stdout.lines().count() > 5000);
    assert!(
        arm.stdout == linux.stdout,
        "convert: the event text differs"
    );
    assert_eq!(arm.stderr, linux.stderr, "the summary line");
    // JSON carries the conversion's time: identical once it is taken out.
    let (linux, arm) = both(&bin, &["convert", "--output", "json", file], "");
    let without_time = |out: &str| -> Vec<serde_json::Value> {
        out.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert!(v["time"].is_number(), "{l}");
                v.as_object_mut().unwrap().remove("time");
                v
            })
            .collect()
    };
    assert!(
        without_time(&arm.stdout) == without_time(&linux.stdout),
        "convert --output json differs"
    );
}

#[test]
#[ignore = "needs the aarch64 archive from scripts/package and qemu; scripts/test runs it"]
fn aarch64_binary_sends_to_hec_and_stops_cleanly_at_sigterm() {
    let (_unpacked, bin) = aarch64_binary();
    sends_to_hec_as_the_linux_binary_does(&bin);
}

/// A running `hec` and its stderr, read as it comes.
struct Sender {
    child: std::process::Child,
    stderr: Arc<Mutex<String>>,
}

impl Sender {
    fn start(mut cmd: Command) -> Sender {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the sender");
        let mut pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Sender { child, stderr }
    }

    /// Sends `signal`, then waits for the exit (at most 60 s); returns
    /// whether it exited 0, and stderr.
    fn stop(mut self, signal: &str) -> (bool, String) {
        let ok = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -s {signal}");
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("no exit within 60 s of SIG{signal}");
            }
            thread::sleep(Duration::from_millis(50));
        };
        thread::sleep(Duration::from_millis(200));
        let err = self.stderr.lock().unwrap().clone();
        (status.success(), err)
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What HEC accepted (answered 200), by scrape time: each object as JSON
/// (keys sorted) without its time and the health data points that measure
/// time or count since the start (tests/hec.rs checks those), sorted.
fn accepted(hec: &HecReceiver) -> BTreeMap<i64, Vec<String>> {
    let mut out: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in hec
        .requests()
        .iter()
        .filter(|r| r.outcome == Outcome::Accepted)
    {
        for obj in &r.objects {
            let mut obj = obj.clone();
            let o = obj.as_object_mut().unwrap();
            let time = o.remove("time").and_then(|t| t.as_f64()).unwrap();
            o["fields"].as_object_mut().unwrap().retain(|k, _| {
                k != "metric_name:mattermost_metrics.scrape_duration_seconds"
                    && k != "metric_name:mattermost_metrics.scrapes_missed_total"
                    && !k.starts_with("metric_name:mattermost_metrics.hec_")
            });
            out.entry((time * 1000.0).round() as i64)
                .or_default()
                .push(obj.to_string());
        }
    }
    out.values_mut().for_each(|objects| objects.sort());
    out
}

/// `hec` end to end: scrapes of the fixture reach a loopback HEC, and the
/// platform's stop request flushes and ends the process with status 0;
/// what HEC accepted is what the Linux binary sends, scrape for scrape.
fn sends_to_hec_as_the_linux_binary_does(foreign: &Foreign) {
    let target = TestServer::serve(Response::prometheus(fixture("mattermost.prom")));
    let (signal, name) = foreign.stop_signal();
    let mut received = Vec::new();
    for other in [false, true] {
        let hec = HecReceiver::start(TOKEN);
        let (url, hec_url) = (target.url(), hec.url());
        let args = [
            "hec",
            "-scrape_target",
            &url,
            "-scrape_interval=1s",
            "-timeout=900ms",
            "-retry_backoff=100ms",
            "-splunk_target",
            &hec_url,
            "-splunk_authorization",
            TOKEN,
        ];
        let sender = Sender::start(if other {
            foreign.command(&args)
        } else {
            native(&args)
        });
        let up = "\"metric_name:mattermost_metrics.up\":1";
        let scrapes_up = || {
            accepted(&hec)
                .values()
                .filter(|objects| objects.iter().any(|o| o.contains(up)))
                .count()
        };
        let start = Instant::now();
        while scrapes_up() < 3 {
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "three scrapes through HEC; stderr:\n{}",
                sender.stderr.lock().unwrap()
            );
            thread::sleep(Duration::from_millis(100));
        }
        let (ok, err) = sender.stop(if other { signal } else { "TERM" });
        assert!(ok, "a clean stop exits 0:\n{err}");
        assert!(hec.errors().is_empty(), "{:?}", hec.errors());
        if other {
            assert!(
                err.contains(&format!("INFO {name} received: stopping")),
                "{err}"
            );
        }
        let stopped = err
            .lines()
            .find(|l| l.starts_with("INFO stopped: "))
            .unwrap_or_else(|| panic!("no INFO stopped: line in\n{err}"));
        let sent: usize = hec
            .requests()
            .iter()
            .filter(|r| r.outcome == Outcome::Accepted)
            .map(|r| r.points())
            .sum();
        assert!(stopped.contains(" lost=0 "), "{stopped}");
        assert!(stopped.contains(&format!(" sent={sent} ")), "{stopped}");
        assert!(stopped.contains(&format!("produced={sent} ")), "{stopped}");
        for r in hec.requests() {
            assert_eq!(r.header("content-encoding"), Some("gzip"));
        }
        received.push(accepted(&hec).into_values().collect::<Vec<_>>());
    }
    let (linux, other) = (&received[0], &received[1]);
    assert!(
        other.len() >= 3 && linux[0].len() > 1000,
        "{} objects",
        linux[0].len()
    );
    for (i, scrape) in other.iter().enumerate() {
        assert!(
            scrape == &linux[0],
            "scrape {i}: {} objects, the Linux binary's first scrape {}",
            scrape.len(),
            linux[0].len()
        );
    }
}
