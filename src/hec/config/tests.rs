use super::concerns::check_hec_url;
use super::*;

fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn ok(a: &[&str], env: &dyn Fn(&str) -> Option<String>) -> Config {
    match parse(&args(a), env, "box1") {
        Ok(Parsed::Run(c)) => *c,
        other => panic!("{other:?}"),
    }
}

fn err(a: &[&str], env: &dyn Fn(&str) -> Option<String>) -> String {
    match parse(&args(a), env, "box1") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted {a:?}"),
    }
}

const REQ: &[&str] = &[
    "-splunk_target",
    "https://s:8088/services/collector",
    "-splunk_authorization",
    "abc-123",
];

#[test]
fn go_durations() {
    let ms = |s: &str| parse_go_duration(s).map(|d| d.as_millis());
    assert_eq!(ms("15s"), Ok(15_000));
    assert_eq!(ms("1m30s"), Ok(90_000));
    assert_eq!(ms("1.5h"), Ok(5_400_000));
    assert_eq!(ms("250ms"), Ok(250));
    assert_eq!(ms("0"), Ok(0));
    assert_eq!(parse_go_duration("2us"), Ok(Duration::from_micros(2)));
    assert_eq!(parse_go_duration("2µs"), Ok(Duration::from_micros(2)));
    assert_eq!(ms("+3s"), Ok(3000));
    assert!(ms("15").unwrap_err().contains("did you mean 15s"));
    assert!(ms("15 s").is_err());
    assert!(ms("s").is_err());
    assert!(ms("1.2.3s").is_err());
    assert!(ms("1d").unwrap_err().contains("unknown unit"));
    assert!(ms("-1s").unwrap_err().contains("negative"));
}

#[test]
fn defaults_are_the_old_tools() {
    let c = ok(REQ, &no_env);
    assert_eq!(
        c.targets,
        [Target {
            url: "http://localhost:8067/metrics".into(),
            host: "box1".into()
        }]
    );
    assert_eq!(c.interval, Duration::from_secs(15));
    assert_eq!(c.timeout, Duration::from_secs(3));
    assert!(!c.allow_insecure);
    assert_eq!(c.log_level, Level::Info);
    assert_eq!(c.index, None);
    assert_eq!(c.token.expose(), "abc-123");
    // Ours: HEC waited for long enough not to duplicate a slow but
    // alive indexer tier; the input's limits.
    assert_eq!(c.splunk_timeout, Duration::from_secs(30));
    assert_eq!(c.max_body_bytes, crate::scrape::DEFAULT_MAX_BODY_BYTES);
    assert_eq!(c.sample_limit, 200_000);
}

#[test]
fn go_flag_syntax() {
    let c = ok(
        &[
            "--scrape_target=http://mm1:8067/metrics",
            "-scrape_interval",
            "200ms",
            "--splunk_target",
            "https://s:8088",
            "-splunk_authorization=tok",
            "-allow_insecure",
            "--timeout=1s",
            "-log_level=DEBUG",
        ],
        &no_env,
    );
    assert_eq!(c.targets[0].host, "mm1");
    assert_eq!(c.interval, Duration::from_millis(200));
    assert_eq!(c.splunk_url, "https://s:8088/services/collector");
    assert!(c.allow_insecure);
    assert_eq!(c.timeout, Duration::from_secs(1));
    assert_eq!(c.log_level, Level::Debug);
    let mut a = REQ.to_vec();
    a.push("-allow_insecure=false");
    assert!(!ok(&a, &no_env).allow_insecure);
    // A boolean does not take the next argument (as in Go).
    let mut a = REQ.to_vec();
    a.extend(["-allow_insecure", "false"]);
    assert!(err(&a, &no_env).contains("unexpected argument \"false\""));
    assert!(matches!(
        parse(&args(&["--help"]), &no_env, ""),
        Ok(Parsed::Help)
    ));
}

#[test]
fn environment_is_the_default_and_a_flag_wins() {
    let env = |k: &str| -> Option<String> {
        match k {
            "SCRAPE_TARGET" => Some("http://a:1/metrics, http://b:2/metrics".into()),
            "SCRAPE_INTERVAL" => Some("1m".into()),
            "SPLUNK_TARGET" => Some("http://env:8088/services/collector".into()),
            "SPLUNK_AUTHORIZATION" => Some("env-token".into()),
            "ALLOW_INSECURE" => Some("true".into()),
            "LOG_LEVEL" => Some("error".into()),
            "TIMEOUT" => Some("".into()),
            _ => None,
        }
    };
    let c = ok(&[], &env);
    assert_eq!(c.targets.len(), 2);
    assert_eq!(c.targets[1].url, "http://b:2/metrics");
    assert_eq!(c.interval, Duration::from_secs(60));
    assert_eq!(c.token.expose(), "env-token");
    assert!(c.allow_insecure);
    assert_eq!(c.log_level, Level::Error);
    assert_eq!(c.timeout, Duration::from_secs(3), "empty is unset");
    let c = ok(
        &[
            "-scrape_target",
            "http://flag:1/metrics",
            "-log_level",
            "trace",
            "-splunk_authorization",
            "flag-token",
            "-allow_insecure=0",
        ],
        &env,
    );
    assert_eq!(c.targets.len(), 1);
    assert_eq!(c.targets[0].url, "http://flag:1/metrics");
    assert_eq!(c.log_level, Level::Trace);
    assert_eq!(c.token.expose(), "flag-token");
    assert!(!c.allow_insecure);
}

#[test]
fn every_problem_named_at_once() {
    let env = |k: &str| -> Option<String> { (k == "SCRAPE_INTERVAL").then(|| "15".to_string()) };
    let e = err(
        &[
            "-splunk_authorization",
            "secret-token-value",
            "-timeout=-2s",
            "-log_level=loud",
            "-include_metrics=mattermost_(",
            "-extra_dimensions=host=x",
            "-splunk_ca_bundle=/nonexistent/ca.pem",
            "-scrape_target=ftp://x/metrics",
            "-bogus",
        ],
        &env,
    );
    for want in [
        "SCRAPE_INTERVAL (environment) \"15\": not a duration",
        "-splunk_target (or SPLUNK_TARGET) is required",
        "-timeout \"-2s\": must not be negative",
        "-log_level \"loud\"",
        "-include_metrics \"mattermost_(\": not a valid regular expression",
        "-extra_dimensions: \"host\" is not a dimension name",
        "-splunk_ca_bundle /nonexistent/ca.pem: cannot be read",
        "-scrape_target \"ftp://x/metrics\": must start with http://",
        "flag provided but not defined: -bogus",
    ] {
        assert!(e.contains(want), "missing {want:?} in {e}");
    }
    assert!(!e.contains("secret-token-value"));
}

#[test]
fn hosts_follow_targets() {
    let mut a = REQ.to_vec();
    a.extend([
        "-scrape_target=http://10.0.0.1:8067/metrics,http://127.0.0.1:8067/metrics",
        "-scrape_target=http://mm3:8067/metrics",
    ]);
    let c = ok(&a, &no_env);
    let hosts: Vec<&str> = c.targets.iter().map(|t| t.host.as_str()).collect();
    assert_eq!(hosts, ["10.0.0.1", "box1", "mm3"]);
    a.push("-splunk_host=a,b,c");
    let c = ok(&a, &no_env);
    let hosts: Vec<&str> = c.targets.iter().map(|t| t.host.as_str()).collect();
    assert_eq!(hosts, ["a", "b", "c"]);
    a.push("-splunk_host=d");
    assert!(err(&a, &no_env).contains("4 host(s) for 3 scrape target(s)"));
}

#[test]
fn hec_url_forms() {
    assert_eq!(
        check_hec_url("https://s:8088").unwrap(),
        "https://s:8088/services/collector"
    );
    assert_eq!(
        check_hec_url("https://s:8088/services/collector/event").unwrap(),
        "https://s:8088/services/collector/event"
    );
    assert!(check_hec_url("https://s:8088/services/collector/raw").is_err());
    assert!(check_hec_url("https://x:tok@s:8088/").is_err());
}
