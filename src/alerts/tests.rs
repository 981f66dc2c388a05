use super::*;

fn rule(yaml: &str) -> Rule {
    serde_yaml_ng::from_str(yaml).unwrap()
}

const ANN: &str = "annotations:\n  summary: \"{{ $labels.instance }} is slow\"\n  description: \"Look at {{ $labels.instance }}.\"\n  rationale: \"Because.\"\n";

fn compile(head: &str) -> Result<Alert> {
    compile_rule(&rule(&format!(
        "{head}labels: {{severity: warning}}\n{ANN}"
    )))
}

#[test]
fn a_gauge_rule_holds_in_every_minute_of_for_plus_one() {
    let a = compile("alert: MattermostGoroutinesHigh\nexpr: go_goroutines > 50000\nfor: 15m\n")
        .unwrap();
    assert_eq!((a.bucket_s, a.buckets()), (60, 16));
    // 16 evaluated minutes, the 4 before them for the lookback, the delay.
    assert_eq!(a.lead_s, 240);
    assert_eq!(a.earliest_time(), "-21m@m");
    assert_eq!(a.latest_time(), "-1m@m");
    assert_eq!(
        a.threshold,
        Some(Threshold {
            macro_name: "mattermost_metrics_alert_goroutines_high_threshold".into(),
            value: "50000".into(),
            op: ">",
        })
    );
    assert_eq!(
        a.search,
        "| mstats latest(go_goroutines) AS value WHERE `mattermost_metrics_index` BY host span=60s\n\
         | eval lookback_from=_time, _time=mvrange(_time, _time + 300, 60)\n\
         | mvexpand _time\n\
         | eventstats max(lookback_from) AS lookback_newest BY _time host\n\
         | where lookback_from == lookback_newest\n\
         | fields - lookback_from lookback_newest\n\
         | where value > `mattermost_metrics_alert_goroutines_high_threshold`\n\
         | addinfo\n\
         | where _time >= info_max_time - 960 AND _time < info_max_time\n\
         | fields - info_*\n\
         | stats count AS held_buckets latest(value) AS value BY host\n\
         | where held_buckets >= 16\n\
         | eval alertname=\"MattermostGoroutinesHigh\", severity=\"warning\", summary=host . \" is slow\", description=\"Look at \" . host . \".\"\n\
         | table alertname severity host value summary description"
    );
}

#[test]
fn a_rate_rule_uses_its_range_as_the_bucket() {
    let a = compile(
        "alert: X\nexpr: histogram_quantile(0.99, sum by (instance, le) (rate(mattermost_api_time_bucket[5m]))) > 2\nfor: 10m\n",
    )
    .unwrap();
    assert_eq!((a.bucket_s, a.buckets()), (300, 3));
    // One bucket more than the evaluated three: the first one's rate basis.
    assert_eq!(a.lead_s, 300);
    assert_eq!(a.earliest_time(), "-21m@m");
    assert!(a.search.contains("span=300s"), "{}", a.search);
    // A 5-minute bucket's last sample is the one the lookback finds at its end.
    assert!(!a.search.contains("lookback"), "{}", a.search);
    assert!(a
        .search
        .contains("| where _time >= info_max_time - 900 AND _time < info_max_time\n"));
    assert!(a
        .search
        .contains("| where value > `mattermost_metrics_alert_x_threshold`"));
    assert_eq!(a.series_labels, vec!["host"]);
}

#[test]
fn zero_is_not_a_threshold_and_a_number_on_the_left_flips() {
    let a = compile("alert: Down\nexpr: mattermost_metrics:up == 0\nfor: 2m\n").unwrap();
    assert_eq!(a.threshold, None);
    assert!(a.search.contains("mstats latest(mattermost_metrics.up)"));
    assert!(a.search.contains("| where value == 0\n"));
    let a = compile("alert: Young\nexpr: 600 > time() - mattermost_process_start_time_seconds\n")
        .unwrap();
    let t = a.threshold.clone().unwrap();
    assert_eq!((t.value.as_str(), t.op), ("600", "<"));
    assert!(
        a.search.contains("eval value=(_time + 60) - value"),
        "{}",
        a.search
    );
    assert_eq!(a.buckets(), 1);
}

#[test]
fn rules_outside_what_compiles_are_errors_that_say_why() {
    for (head, why) in [
        (
            "alert: A\nexpr: go_goroutines\n",
            "<vector> <comparison> <number>",
        ),
        (
            "alert: A\nexpr: go_goroutines > bool 3\n",
            "<vector> <comparison> <number>",
        ),
        (
            "alert: A\nexpr: rate(x[5m]) > 1 or rate(y[5m]) > 1\n",
            "<vector> <comparison> <number>",
        ),
        (
            "alert: A\nexpr: rate(x[5m]) / rate(y[10m]) > 1\n",
            "ranges differ",
        ),
        ("alert: A\nexpr: rate(x[7m]) > 1\n", "does not divide"),
        ("alert: A\nexpr: rate(x[5m]) > 1\nfor: 7m\n", "whole number"),
        (
            "alert: A\nexpr: go_goroutines{instance=~\"$server\"} > 1\n",
            "variable `$server`",
        ),
        (
            "alert: A\nexpr: changes(x[5m]) > 1\n",
            "`changes` is not supported",
        ),
        ("alert: A\nexpr: go_goroutines > 1\nfor: soon\n", "for"),
        ("record: a:b\nexpr: go_goroutines > 1\n", "recording rules"),
    ] {
        let e = format!("{:#}", compile(head).unwrap_err());
        assert!(e.contains(why), "{head}: {e}");
    }
    let e = compile_rule(&rule(&format!(
        "alert: A\nexpr: go_goroutines > 1\nlabels: {{severity: page}}\n{ANN}"
    )))
    .unwrap_err();
    assert!(format!("{e:#}").contains("severity"), "{e:#}");
    let e = compile_rule(&rule(
        "alert: A\nexpr: go_goroutines > 1\nlabels: {severity: info}\nannotations:\n  summary: \"{{ $value }}\"\n  description: d\n  rationale: r\n",
    ))
    .unwrap_err();
    assert!(
        format!("{e:#}").contains("only {{ $labels.NAME }}"),
        "{e:#}"
    );
    let e = compile_rule(&rule(
        "alert: A\nexpr: go_goroutines > 1\nlabels: {severity: info}\nannotations:\n  summary: \"{{ $labels.db_name }}\"\n  description: d\n  rationale: r\n",
    ))
    .unwrap_err();
    assert!(format!("{e:#}").contains("no label db_name"), "{e:#}");
}

#[test]
fn templates_become_concatenations() {
    let f = vec!["host".to_string(), "db_name".to_string()];
    assert_eq!(
        template_to_eval("Pool {{ $labels.db_name }} on {{$labels.instance}}", &f).unwrap(),
        "\"Pool \" . db_name . \" on \" . host"
    );
    assert_eq!(
        template_to_eval("say \"hi\" \\o/", &f).unwrap(),
        "\"say \\\"hi\\\" \\\\o/\""
    );
    assert_eq!(snake("MattermostDbPoolSaturated"), "db_pool_saturated");
    assert_eq!(snake("WebSocketStorm"), "web_socket_storm");
}

#[test]
fn the_macros_block_is_replaced_in_place() {
    let a = compile("alert: MattermostGoroutinesHigh\nexpr: go_goroutines > 50000\nfor: 15m\n")
        .unwrap();
    let once = update_macros_conf("[m]\ndefinition = 1\n", std::slice::from_ref(&a)).unwrap();
    assert!(once.starts_with("[m]\ndefinition = 1\n\n# BEGIN alert thresholds"));
    assert!(once.contains("[mattermost_metrics_alert_goroutines_high_threshold]\n"));
    assert!(once.contains("# MattermostGoroutinesHigh: fires when `go_goroutines` > this."));
    assert!(once.contains("definition = 50000\n"));
    let twice = update_macros_conf(&format!("{once}[after]\n"), &[a]).unwrap();
    assert_eq!(twice, format!("{once}[after]\n"));
}

#[test]
fn the_lookback_follows_each_latest_into_its_subsearch() {
    let spl =
        "| mstats fillnull_value=\"-\" latest(a) AS value WHERE `i` BY host db_name span=60s\n\
               | rename value AS lhs\n\
               | append [| mstats latest(b) AS value WHERE `i` AND x=\"y\" BY host span=60s]\n\
               | append [| mstats rate_sum(c) AS value WHERE `i` BY host span=60s\n  \
               | rename value AS rhs]";
    let (out, lead) = lookback::carry_last_samples(spl, 60).unwrap();
    assert_eq!(lead, 240);
    assert_eq!(
        out,
        "| mstats fillnull_value=\"-\" latest(a) AS value WHERE `i` BY host db_name span=60s\n\
         | eval lookback_from=_time, _time=mvrange(_time, _time + 300, 60)\n\
         | mvexpand _time\n\
         | eventstats max(lookback_from) AS lookback_newest BY _time host db_name\n\
         | where lookback_from == lookback_newest\n\
         | fields - lookback_from lookback_newest\n\
         | rename value AS lhs\n\
         | append [| mstats latest(b) AS value WHERE `i` AND x=\"y\" BY host span=60s\n  \
         | eval lookback_from=_time, _time=mvrange(_time, _time + 300, 60)\n  \
         | mvexpand _time\n  \
         | eventstats max(lookback_from) AS lookback_newest BY _time host\n  \
         | where lookback_from == lookback_newest\n  \
         | fields - lookback_from lookback_newest]\n\
         | append [| mstats rate_sum(c) AS value WHERE `i` BY host span=60s\n  \
         | rename value AS rhs]"
    );
    // Nothing to carry in a bucket as long as the lookback, nor without latest.
    assert_eq!(
        lookback::carry_last_samples(spl, 300).unwrap(),
        (spl.to_string(), 0)
    );
    let rates = "| mstats rate_sum(c) AS value WHERE `i` BY host span=60s";
    assert_eq!(
        lookback::carry_last_samples(rates, 60).unwrap(),
        (rates.to_string(), 0)
    );
    let e = lookback::carry_last_samples(spl, 150)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not the alert's bucket of 150 s"), "{e}");
    let e = lookback::carry_last_samples(spl, 120)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not divide the lookback"), "{e}");
}
