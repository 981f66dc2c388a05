//! The command line means what it says: every subcommand answers `--help`
//! and `-h` with its usage (exit 0), `hec -version` works as
//! prometheus2splunk's did, a closed stdout never makes a panic, and an
//! expression that begins with `-` is an expression.

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SUBCOMMANDS: &[&str] = &[
    "convert",
    "promql",
    "dashboard",
    "alerts",
    "alert-webhook",
    "package",
    "spec",
];

#[test]
fn every_subcommand_answers_help() {
    for sub in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let (code, out, err) = run(&[sub, flag]);
            assert_eq!(code, 0, "{sub} {flag}: {err}");
            assert!(
                out.starts_with(&format!("usage: mattermost_metrics {sub}")),
                "{sub} {flag}: {out}"
            );
            assert!(err.is_empty(), "{sub} {flag}: {err}");
        }
    }
    // After other arguments too, and not read as a file name.
    let (code, out, _) = run(&["dashboard", "--nav", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("dashboard --nav DASHBOARDS_DIR"), "{out}");
    for flag in ["-help", "--help", "-h"] {
        let (code, out, _) = run(&["hec", flag]);
        assert_eq!(code, 0);
        assert!(
            out.starts_with("usage: mattermost_metrics hec [flags]"),
            "{out}"
        );
    }
}

#[test]
fn hec_version_as_prometheus2splunk_took_it() {
    for flag in ["-version", "--version"] {
        let (code, out, err) = run(&["hec", flag]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            format!("mattermost_metrics {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
    let (code, out, _) = run(&["hec", "-help"]);
    assert_eq!(code, 0);
    assert!(out.contains("\n  -version\n"), "{out}");
    // Numbers show as numbers, strings quoted, as Go's flag package does.
    assert!(out.contains("  -sample_limit int\n"), "{out}");
    assert!(!out.contains("(default \"64\")"), "{out}");
}

/// Runs `args` with a stdout whose reader is already gone.
fn run_into_closed_pipe(args: &[&str]) -> (i32, String) {
    let (read, write) = std::io::pipe().unwrap();
    drop(read);
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_never_panics() {
    let root = env!("CARGO_MANIFEST_DIR");
    let spec = std::fs::read_dir(format!("{root}/dashboards/specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let rules = std::fs::read_dir(format!("{root}/alerts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .unwrap();
    let (spec, rules) = (spec.display().to_string(), rules.display().to_string());
    for args in [
        vec!["--scheme"],
        vec!["promql", "rate(go_goroutines[5m])"],
        vec!["spec"],
        vec!["--help"],
        vec!["--version"],
        vec!["alerts", &rules],
        vec!["dashboard", &spec],
        vec!["hec", "-help"],
        vec!["hec", "-version"],
        vec!["convert", "--help"],
    ] {
        let (code, err) = run_into_closed_pipe(&args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, 0, "{args:?}: {err}");
        // Quietly: its own notes, but no error about the pipe.
        assert!(
            !err.contains("ERROR") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_expression_may_begin_with_a_minus() {
    let (code, out, err) = run(&["promql", "-go_goroutines"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("go_goroutines"), "{out}");
    let (code, out2, err) = run(&["promql", "--span", "60", "-go_goroutines"]);
    assert_eq!(code, 0, "{err}");
    assert!(out2.contains("go_goroutines"));
    let (code, _, err) = run(&["promql", "--", "-go_goroutines"]);
    assert_eq!(code, 0, "{err}");
    // A real option still is one.
    let (code, _, err) = run(&["promql", "--nope", "up"]);
    assert_eq!(code, 1);
    assert!(err.contains("--nope"), "{err}");
}
