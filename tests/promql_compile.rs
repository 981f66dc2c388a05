//! The PromQL compiler as a language, not a list of known strings: every
//! expression of Mattermost's nine Grafana dashboards compiles, so do
//! expressions of the same subset that no dashboard has, and everything
//! outside the subset is an error that names the construct and where it is.
//! (What the searches compute is checked against Prometheus by
//! `scripts/differential`.)

use std::process::Command;

use mattermost_metrics::spl::{compile_str, Binding, Options, SpanSpec};

const GRAFANA: &str = include_str!("fixtures/grafana_promql.txt");

fn grafana_exprs() -> Vec<&'static str> {
    GRAFANA
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn every_grafana_expression_compiles() {
    let exprs = grafana_exprs();
    assert!(exprs.len() >= 240, "{} expressions", exprs.len());
    let opts = Options::default();
    let mut failures = Vec::new();
    for e in &exprs {
        match compile_str(e, &opts) {
            Ok(q) => {
                assert!(
                    q.spl.starts_with("| mstats ") || q.spl.starts_with("| makeresults"),
                    "{e}\n{}",
                    q.spl
                );
                assert!(q.spl.contains("`mattermost_metrics_index`"), "{e}");
                assert!(!q.spl.contains("index=wss_metrics"), "{e}: literal index");
            }
            Err(err) => failures.push(format!("{e}\n  -> {err:#}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} do not compile:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn spl(expr: &str) -> String {
    compile_str(
        expr,
        &Options {
            span: SpanSpec::Seconds(60),
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{expr}: {e:#}"))
    .spl
}

fn error(expr: &str) -> String {
    match compile_str(expr, &Options::default()) {
        Ok(q) => panic!("{expr} compiled to\n{}", q.spl),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn rates_are_per_series_before_aggregation() {
    assert_eq!(
        spl("sum(rate(mattermost_websocket_broadcasts_total[5m])) by (name)"),
        "| mstats fillnull_value=\"-\" rate_sum(mattermost_websocket_broadcasts_total) AS value WHERE `mattermost_metrics_index` BY name span=60s"
    );
    assert_eq!(
        spl("avg by (instance) (irate(node_cpu_seconds_total{mode=\"idle\"}[1m]))"),
        "| mstats rate_avg(node_cpu_seconds_total) AS value WHERE `mattermost_metrics_index` AND mode=\"idle\" BY host span=60s"
    );
    // max of rates: each series' rate first, then the max.
    let s = spl("max(rate(mattermost_http_requests_total[5m]))");
    assert!(s.starts_with("| mstats rate_sum(mattermost_http_requests_total) AS value WHERE `mattermost_metrics_index` BY host span=60s\n| stats max(value) AS value BY _time"), "{s}");
    // increase is the rate times the range.
    assert!(
        spl("increase(mattermost_http_requests_total[10m])").ends_with("| eval value=value * 600")
    );
}

/// The stages that carry an instant selector's rows (read at the lookback
/// grain) into the buckets of span `s` whose last 5 minutes hold them.
fn carry(s: &str, labels: &str) -> String {
    format!(
        "| where _time + 300 >= floor(_time / {s}) * {s} + {s}\n\
         | addinfo\n\
         | eval lookback_bucket=mvrange(floor(_time / {s}) * {s}, min(_time + 300 - {s} + 1, if(isnum(info_max_time), info_max_time, now())), {s})\n\
         | mvexpand lookback_bucket\n\
         | stats latest(value) AS value BY lookback_bucket {labels}\n\
         | rename lookback_bucket AS _time"
    )
}

#[test]
fn gauges_are_each_series_last_sample_in_the_lookback() {
    let s = spl("sum(mattermost_websocket_broadcast_buffer_size)");
    assert_eq!(
        s,
        format!("| mstats fillnull_value=\"-\" latest(mattermost_websocket_broadcast_buffer_size) AS value WHERE `mattermost_metrics_index` BY host hub span=60s\n{}\n| stats sum(value) AS value BY _time", carry("60", "host hub"))
    );
    // Read at the greatest common divisor of the span and 5 minutes.
    for (span, grain) in [(120, 60), (600, 300), (3600, 300), (90, 30)] {
        let q = compile_str(
            "go_goroutines",
            &Options {
                span: SpanSpec::Seconds(span),
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(
            q.spl,
            format!(
                "| mstats latest(go_goroutines) AS value WHERE `mattermost_metrics_index` BY host span={grain}s\n{}",
                carry(&span.to_string(), "host")
            )
        );
    }
    // Over the whole range: the range's last sample.
    let q = compile_str(
        "go_goroutines / on(instance) sum by (instance) (increase(mattermost_http_requests_total[$__range]))",
        &Options::default(),
    )
    .unwrap();
    assert!(q.instant);
    // (No lookback there, so the two operands are one scan.)
    assert!(
        q.spl.starts_with("| mstats latest(go_goroutines) AS lhs rate_sum(mattermost_http_requests_total) AS rhs WHERE `mattermost_metrics_index` BY host\n"),
        "{}",
        q.spl
    );
}

#[test]
fn matchers() {
    // Regexes that are wildcards filter in mstats; others after it.
    assert!(spl("go_sql_open_connections{db_name=~\"replica.*\"}")
        .contains("AND db_name=\"replica*\" BY"));
    let s = spl("go_sql_open_connections{db_name=~\"replica-[0-9]+\"}");
    assert!(
        s.contains("| where match(db_name, \"^(?:replica-[0-9]+)$\")"),
        "{s}"
    );
    assert!(spl("x_total{a!=\"b\"}").contains("AND NOT a=\"b\""));
    assert!(spl("x_total{a=~\"b|c\"}").contains("AND (a=\"b\" OR a=\"c\")"));
    assert!(!spl("x_total{a=~\".*\"}").contains(" a="));
    // instance is host, without the port.
    assert!(spl("go_goroutines{instance=\"mm1:8067\"}").contains("AND host=\"mm1\""));
    // A value with `*` cannot be a search filter.
    assert!(spl("x_total{a=\"b*c\"}").contains("| where a==\"b*c\""));
    // Several conditions after mstats: an OR among them keeps to its own
    // matcher (eval's AND binds tighter than OR).
    let s = spl("x_total{a!=\"b*c\", d=~\"e[0-9]\"}");
    assert!(
        s.contains("| where (isnull(a) OR NOT a==\"b*c\") AND match(d, \"^(?:e[0-9])$\")"),
        "{s}"
    );
}

#[test]
fn variables() {
    let mut opts = Options {
        span: SpanSpec::Seconds(60),
        ..Options::default()
    };
    // Unbound: a dashboard token.
    let q = compile_str("sum(x_total{instance=~\"$server\"})", &opts).unwrap();
    assert!(
        q.spl.contains("match(host, \"^(?:$server$)$\")"),
        "{}",
        q.spl
    );
    // Bound to a value: substituted as Grafana does.
    opts.vars
        .insert("server".into(), Binding::Value("mm1|mm2".into()));
    let q = compile_str("sum(x_total{instance=~\"$server\"})", &opts).unwrap();
    assert!(
        q.spl.contains("AND (host=\"mm1\" OR host=\"mm2\")"),
        "{}",
        q.spl
    );
    // Bound to a predicate: used whole.
    opts.vars
        .insert("server".into(), Binding::Predicate("$host$".into()));
    let q = compile_str("sum(x_total{instance=~\"$server\"})", &opts).unwrap();
    assert!(q.spl.contains("AND $host$ BY"), "{}", q.spl);
    // A number variable.
    let q = compile_str(
        "histogram_quantile($percentile / 100, sum by (le) (rate(mattermost_api_time_bucket[5m])))",
        &opts,
    )
    .unwrap();
    assert!(
        q.spl
            .contains("`mattermost_metrics_histogram_quantile($percentile$ / 100, _time)`"),
        "{}",
        q.spl
    );
    // [$__range]: one answer over the whole range.
    let q = compile_str(
        "topk(10, sum(increase(mattermost_api_time_count[${__range_s}s])) by (handler))",
        &opts,
    )
    .unwrap();
    assert!(q.instant);
    assert!(!q.spl.contains("span="), "{}", q.spl);
    assert!(
        q.spl
            .contains("eval value=value * (info_max_time - info_min_time)"),
        "{}",
        q.spl
    );
    assert!(q.spl.contains("| where topk_rank <= 10"), "{}", q.spl);
}

#[test]
fn expressions_no_dashboard_has() {
    for e in [
        "max without (handler) (rate(mattermost_api_time_count[1m])) > bool 3",
        "topk(5, avg by (instance) (go_goroutines))",
        "bottomk(3, sum by (method) (rate(mattermost_db_store_time_count[5m])))",
        "go_goroutines / on(instance) go_threads",
        "-go_goroutines ^ 2",
        "count(go_goroutines > 100)",
        "min by (instance) (mattermost_http_websockets_total) unless on(instance) go_goroutines < 10",
        "sum(rate(mattermost_http_errors_total[5m])) / sum(rate(mattermost_http_requests_total[5m])) > 0.05",
        "histogram_quantile(0.9, sum without (handler, method, status_code, origin_client, page_load_context) (rate(mattermost_api_time_bucket[5m])))",
        "(go_goroutines and go_threads) or go_goroutines",
        "sum(rate(mattermost_post_total[5m])) * 60 % 7",
        "vector(1) + vector(2)",
    ] {
        spl(e);
    }
}

#[test]
fn time_is_the_end_of_the_bucket() {
    // Prometheus evaluates a step at its end; Splunk labels a bucket by its start.
    assert_eq!(
        spl("time() - mattermost_process_start_time_seconds < 600"),
        format!("| mstats latest(mattermost_process_start_time_seconds) AS value WHERE `mattermost_metrics_index` BY host span=60s\n{}\n| eval value=(_time + 60) - value\n| where isnotnull(value)\n| where value < 600", carry("60", "host"))
    );
    assert!(spl("vector(time())").contains("| eval value=(_time + 60)\n"));
}

#[test]
fn outside_the_subset_is_an_error_naming_it() {
    for (e, needle) in [
        ("rate(x_total[5m] offset 1h)", "offset"),
        (
            "label_replace(up, \"a\", \"b\", \"c\", \"d\")",
            "label_replace",
        ),
        ("rate(x_total[5m:1m])", "subquer"),
        (
            "go_goroutines * on(instance) group_left go_info",
            "group_left",
        ),
        ("x_total[5m]", "range vector"),
        ("go_goroutines + go_sql_open_connections", "on(...)"),
        ("histogram_quantile(0.9, go_goroutines)", "le"),
        (
            "sum(x_total) by (a) or mattermost_http_websockets_total",
            "labels",
        ),
        ("1 + 2", "scalar"),
        ("time()", "scalar"),
        ("time() - x[$__range]", "range vector"),
        ("increase(x_total[$__range]) - time()", "time()"),
    ] {
        let msg = error(e);
        assert!(msg.contains(needle), "{e}: {msg}");
        assert!(msg.contains("line 1, column"), "{e}: {msg}");
    }
}

#[test]
fn the_command_prints_spl_or_exits_2() {
    let bin = env!("CARGO_BIN_EXE_mattermost_metrics");
    let out = Command::new(bin)
        .args([
            "promql",
            "--span",
            "300",
            "sum(rate(mattermost_http_requests_total[5m]))",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        "| mstats rate_sum(mattermost_http_requests_total) AS value WHERE `mattermost_metrics_index` span=300s"
    );
    let out = Command::new(bin)
        .args([
            "promql",
            "--var",
            "server=mm1",
            "--span",
            "auto",
            "go_goroutines{instance=~\"$server\"}",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("AND host=\"mm1\" BY host span=$span_lookback$\n")
            && s.contains(&carry("$span_s$", "host")),
        "{s}"
    );
    let out = Command::new(bin)
        .args(["promql", "rate(x_total[5m] @ 100)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("ERROR unsupported PromQL") && err.contains('@'),
        "{err}"
    );
}

#[test]
fn operands_of_one_scan_are_matched_in_one_mstats_without_a_subsearch() {
    // The KPI dashboard's "Mean API Request Time": both operands are rates of
    // the same series; one mstats computes both per row, no append (whose
    // subsearch would stop at 50,000 rows: nodes x handlers x buckets).
    assert_eq!(
        spl("sum(rate(mattermost_api_time_sum[5m])) by (handler) / sum(rate(mattermost_api_time_count[5m])) by (handler)"),
        "| mstats fillnull_value=\"-\" rate_sum(mattermost_api_time_sum) AS lhs rate_sum(mattermost_api_time_count) AS rhs WHERE `mattermost_metrics_index` BY handler span=60s\n\
         | where isnotnull(lhs) AND isnotnull(rhs)\n\
         | eval value=lhs / rhs\n\
         | fields - lhs rhs\n\
         | where isnotnull(value)"
    );
    // An operand's own stages run on its field, renamed to `value` and back.
    assert_eq!(
        spl("1000 * rate(mattermost_api_time_sum[1m]) / rate(mattermost_api_time_count[1m])"),
        "| mstats fillnull_value=\"-\" rate_sum(mattermost_api_time_sum) AS lhs rate_sum(mattermost_api_time_count) AS rhs WHERE `mattermost_metrics_index` BY host handler method status_code origin_client page_load_context span=60s\n\
         | rename lhs AS value\n\
         | eval value=1000 * value\n\
         | where isnotnull(value)\n\
         | rename value AS lhs\n\
         | where isnotnull(lhs) AND isnotnull(rhs)\n\
         | eval value=lhs / rhs\n\
         | fields - lhs rhs\n\
         | where isnotnull(value)"
    );
    // "Memory Cache Hit Rate" over a range: instant selectors read at the
    // lookback grain are one scan too; the lookback carries each operand's
    // own last sample into the buckets before the match (`stats latest`
    // of each field), so the hit counter is read once (issue 17).
    let e = "mattermost_cache_mem_hit_total{instance=~\"$server\"}/(mattermost_cache_mem_miss_total{instance=~\"$server\"} + mattermost_cache_mem_hit_total{instance=~\"$server\"})";
    let s = spl(e);
    assert!(!s.contains("append"), "{s}");
    assert_eq!(s.matches("mstats ").count(), 1, "{s}");
    assert!(
        s.contains("\n| stats latest(lhs) AS lhs latest(rhs_lhs) AS rhs_lhs latest(rhs_rhs) AS rhs_rhs BY lookback_bucket host name\n| rename lookback_bucket AS _time\n| where isnotnull(rhs_lhs) AND isnotnull(rhs_rhs)\n"),
        "{s}"
    );
    // A filtering comparison on one operand (the Calls dashboard's
    // `a_sum / (a_count > 0)`).
    let s = spl("rate(rtcd_rtc_client_rtt_sum[2m]) / (rate(rtcd_rtc_client_rtt_count[2m]) > 0)");
    assert!(
        s.contains("AS lhs rate_sum(rtcd_rtc_client_rtt_count) AS rhs WHERE"),
        "{s}"
    );
    assert!(
        s.contains("\n| rename rhs AS value\n| where value > 0\n| rename value AS rhs\n"),
        "{s}"
    );
    assert!(!s.contains("append"), "{s}");
}

#[test]
fn operands_that_are_not_one_scan_still_match_through_append() {
    // Different filters, an operand aggregated by stats, a match on some
    // labels, a set operator: rows are not pairs of one scan.
    for e in [
        "sum by (instance) (rate(mattermost_api_time_count{status_code=~\"5..\"}[5m])) / sum by (instance) (rate(mattermost_api_time_count[5m]))",
        "sum by (instance) (rate(mattermost_websocket_reconnects_total[5m])) / sum by (instance) (mattermost_http_websockets_total)",
        "mattermost_http_websockets_total / on(instance) go_goroutines",
        "go_goroutines and go_threads",
        "sum(go_goroutines) or vector(0)",
    ] {
        let s = spl(e);
        assert!(s.contains("\n| append [| "), "{e}:\n{s}");
    }
}

#[test]
fn labels_of_metrics_outside_the_catalogue_reach_by() {
    // A matcher's label: mstats must return it for the `where` after it,
    // and PromQL returns it.
    // (Then each series' lookback, `gauges_are_each_series_last_sample_in_the_lookback`.)
    // The lookback comes right after the scan (it carries every aggregation
    // of a scan of several operands), the condition on the label after it.
    let s = spl("my_unknown_metric{a=\"x*\"}");
    assert!(
        s.starts_with("| mstats fillnull_value=\"-\" latest(my_unknown_metric) AS value WHERE `mattermost_metrics_index` BY host a span=60s\n"),
        "{s}"
    );
    assert!(
        s.contains(
            "BY lookback_bucket host a\n| rename lookback_bucket AS _time\n| where a==\"x*\""
        ),
        "{s}"
    );
    // A `by` label above the selector is assumed present.
    let s = spl("sum by (b) (my_unknown_metric{a=\"x\"})");
    assert!(
        s.starts_with("| mstats fillnull_value=\"-\" latest(my_unknown_metric) AS value WHERE `mattermost_metrics_index` AND a=\"x\" BY host b a span=60s\n"),
        "{s}"
    );
    assert!(
        s.ends_with("BY lookback_bucket host b a\n| rename lookback_bucket AS _time\n| stats sum(value) AS value BY _time b"),
        "{s}"
    );
    // So is an `on` label.
    let s = spl("my_unknown_metric / on(c) other_unknown_metric");
    assert!(s.starts_with("| mstats fillnull_value=\"-\" latest(my_unknown_metric) AS value WHERE `mattermost_metrics_index` BY host c span=60s"), "{s}");
    // A catalogued metric keeps the catalogue's labels only.
    assert!(spl("go_goroutines{job=\"x\"}").starts_with(
        "| mstats latest(go_goroutines) AS value WHERE `mattermost_metrics_index` AND job=\"x\" BY host span=60s\n"
    ));
}
