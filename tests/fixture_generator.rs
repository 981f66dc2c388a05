//! Tests of the synthetic Mattermost scrape generator and of the fixtures committed from it.
//!
//! If a "committed fixture" test fails after an intentional change to the generator,
//! regenerate with `cargo run --example gen_fixture` and commit both files.

use test_support::mattermost_fixture;

use std::collections::{BTreeMap, HashSet};

use mattermost_fixture::{generate, FixtureOptions};
use test_support::exposition_text::{format_go_float, format_openmetrics_float, Format};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Every family a Mattermost node on client_golang v1.20.x exposes (see
/// mattermost-metrics.md): 105 application, 9 process, 29 Go, 9 go_sql.
const EXPECTED_FAMILIES: &str = "
go_gc_duration_seconds go_gc_gogc_percent go_gc_gomemlimit_bytes go_goroutines go_info
go_memstats_alloc_bytes go_memstats_alloc_bytes_total go_memstats_buck_hash_sys_bytes
go_memstats_frees_total go_memstats_gc_sys_bytes go_memstats_heap_alloc_bytes
go_memstats_heap_idle_bytes go_memstats_heap_inuse_bytes go_memstats_heap_objects
go_memstats_heap_released_bytes go_memstats_heap_sys_bytes go_memstats_last_gc_time_seconds
go_memstats_mallocs_total go_memstats_mcache_inuse_bytes go_memstats_mcache_sys_bytes
go_memstats_mspan_inuse_bytes go_memstats_mspan_sys_bytes go_memstats_next_gc_bytes
go_memstats_other_sys_bytes go_memstats_stack_inuse_bytes go_memstats_stack_sys_bytes
go_memstats_sys_bytes go_sched_gomaxprocs_threads go_threads
go_sql_idle_connections go_sql_in_use_connections go_sql_max_idle_closed_total
go_sql_max_idle_time_closed_total go_sql_max_lifetime_closed_total go_sql_max_open_connections
go_sql_open_connections go_sql_wait_count_total go_sql_wait_duration_seconds_total
mattermost_process_cpu_seconds_total mattermost_process_open_fds mattermost_process_max_fds
mattermost_process_virtual_memory_bytes mattermost_process_virtual_memory_max_bytes
mattermost_process_resident_memory_bytes mattermost_process_start_time_seconds
mattermost_process_network_receive_bytes_total mattermost_process_network_transmit_bytes_total
mattermost_post_total mattermost_post_webhooks_total mattermost_post_emails_sent_total
mattermost_post_pushes_sent_total mattermost_post_broadcasts_total
mattermost_post_file_attachments_total mattermost_db_master_connections_total
mattermost_db_read_replica_connections_total mattermost_db_search_replica_connections_total
mattermost_db_replica_lag_abs mattermost_db_replica_lag_time mattermost_http_websockets_total
mattermost_http_requests_total mattermost_http_errors_total
mattermost_cluster_cluster_health_score mattermost_cluster_cluster_requests_total
mattermost_cluster_cluster_request_duration_seconds mattermost_cluster_cluster_event_type_totals
mattermost_login_logins_total mattermost_login_logins_fail_total mattermost_cache_etag_miss_total
mattermost_cache_etag_hit_total mattermost_cache_mem_miss_total mattermost_cache_mem_hit_total
mattermost_cache_mem_invalidation_total mattermost_websocket_broadcasts_total
mattermost_websocket_event_total mattermost_websocket_broadcast_buffer_size
mattermost_websocket_broadcast_buffer_users_registered mattermost_websocket_reconnects_total
mattermost_search_posts_searches_total mattermost_search_posts_searches_duration_seconds
mattermost_search_files_searches_total mattermost_search_files_searches_duration_seconds
mattermost_db_active_users mattermost_db_store_time mattermost_api_time mattermost_db_cache_time
mattermost_search_post_index_total mattermost_search_file_index_total
mattermost_search_user_index_total mattermost_search_channel_index_total
mattermost_plugin_hook_time mattermost_plugin_multi_hook_time
mattermost_plugin_multi_hook_server_time mattermost_plugin_api_time
mattermost_logging_logger_queue_used mattermost_logging_logger_logged_total
mattermost_logging_logger_error_total mattermost_logging_logger_dropped_total
mattermost_logging_logger_blocked_total mattermost_remote_cluster_msg_sent_total
mattermost_remote_cluster_msg_received_total mattermost_remote_cluster_msg_errors_total
mattermost_remote_cluster_ping_time mattermost_remote_cluster_clock_skew
mattermost_remote_cluster_conn_state_change_total mattermost_shared_channels_sync_count
mattermost_shared_channels_task_in_queue_duration_seconds mattermost_shared_channels_task_queue_size
mattermost_shared_channels_sync_collection_duration_seconds
mattermost_shared_channels_sync_send_duration_seconds
mattermost_shared_channels_sync_collection_step_duration_seconds
mattermost_shared_channels_sync_send_step_duration_seconds mattermost_system_server_start_time
mattermost_jobs_active mattermost_notifications_total mattermost_notifications_total_ack
mattermost_notifications_success mattermost_notifications_error mattermost_notifications_not_sent
mattermost_notifications_unsupported mattermost_webapp_time_to_first_byte
mattermost_webapp_time_to_last_byte mattermost_webapp_dom_interactive
mattermost_webapp_splash_screen mattermost_webapp_first_contentful_paint
mattermost_webapp_largest_contentful_paint mattermost_webapp_interaction_to_next_paint
mattermost_webapp_cumulative_layout_shift mattermost_webapp_long_tasks mattermost_webapp_page_load
mattermost_webapp_channel_switch mattermost_webapp_team_switch mattermost_webapp_rhs_load
mattermost_webapp_global_threads_load mattermost_mobileapp_mobile_load
mattermost_mobileapp_mobile_network_requests_average_speed
mattermost_mobileapp_mobile_network_requests_effective_latency
mattermost_mobileapp_mobile_network_requests_elapsed_time
mattermost_mobileapp_mobile_network_requests_latency
mattermost_mobileapp_mobile_network_requests_total_compressed_size
mattermost_mobileapp_mobile_network_requests_total_parallel_requests
mattermost_mobileapp_mobile_network_requests_total_requests
mattermost_mobileapp_mobile_network_requests_total_sequential_requests
mattermost_mobileapp_mobile_network_requests_total_size mattermost_mobileapp_mobile_channel_switch
mattermost_mobileapp_mobile_team_switch mattermost_mobileapp_mobile_session_metadata
mattermost_desktopapp_cpu_usage mattermost_desktopapp_memory_usage
mattermost_access_control_search_query_duration_seconds
mattermost_access_control_evaluate_duration_seconds
mattermost_access_control_expression_compile_duration_seconds
mattermost_access_control_cache_invalidation_total
";

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{}", env!("CARGO_MANIFEST_DIR"), name)
}

fn default_text() -> String {
    generate(&FixtureOptions::default())
}

fn default_openmetrics() -> String {
    generate(&FixtureOptions {
        format: Format::OpenMetrics,
        ..FixtureOptions::default()
    })
}

/// Compares without dumping two 600 KB strings into the test log.
fn assert_same_as_committed(generated: &str, file: &str) {
    let path = fixture_path(file);
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {path}: {e} (run `cargo run --example gen_fixture`)")
    });
    if generated == committed {
        return;
    }
    let first_diff = generated
        .lines()
        .zip(committed.lines())
        .enumerate()
        .find(|(_, (g, c))| g != c);
    match first_diff {
        Some((i, (g, c))) => panic!(
            "{file} differs from the generator output at line {}:\n  generated: {g}\n  committed: {c}\n\
             regenerate with `cargo run --example gen_fixture` if the change is intended",
            i + 1
        ),
        None => panic!(
            "{file} differs from the generator output in length ({} vs {} bytes); \
             regenerate with `cargo run --example gen_fixture` if the change is intended",
            generated.len(),
            committed.len()
        ),
    }
}

/// One sample line split into metric name, label pairs (unescaped) and value text.
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: String,
}

/// Minimal sample-line parser: enough to check structure, independent of the crate's parser.
fn parse_sample(line: &str) -> Sample {
    // Values and names never contain spaces; label values may ("Cold Start"), so split on
    // the last space.
    let (series, value) = line
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("no value in {line:?}"));
    let Some(open) = series.find('{') else {
        return Sample {
            name: series.to_string(),
            labels: vec![],
            value: value.to_string(),
        };
    };
    assert!(series.ends_with('}'), "unterminated label set in {line:?}");
    let name = series[..open].to_string();
    let body = &series[open + 1..series.len() - 1];
    let mut labels = Vec::new();
    let mut chars = body.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(
            chars.next(),
            Some('"'),
            "label {key} not quoted in {line:?}"
        );
        let mut val = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some('n') => val.push('\n'),
                    Some(c @ ('\\' | '"')) => val.push(c),
                    other => panic!("bad escape {other:?} in {line:?}"),
                },
                Some('"') => break,
                Some(c) => val.push(c),
                None => panic!("unterminated label value in {line:?}"),
            }
        }
        labels.push((key, val));
        match chars.next() {
            Some(',') | None => {}
            Some(c) => panic!("unexpected {c:?} after label value in {line:?}"),
        }
    }
    Sample {
        name,
        labels,
        value: value.to_string(),
    }
}

fn parse_value(v: &str) -> f64 {
    match v {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => v.parse().unwrap_or_else(|e| panic!("bad value {v:?}: {e}")),
    }
}

/// (name, type) of every `# TYPE` line, in order.
fn families(body: &str) -> Vec<(String, String)> {
    body.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|rest| {
            let (name, kind) = rest.split_once(' ').expect("TYPE line has a type");
            (name.to_string(), kind.to_string())
        })
        .collect()
}

#[derive(Default)]
struct HistSeries {
    buckets: Vec<(f64, f64)>,
    sum: Option<f64>,
    count: Option<f64>,
}

/// Groups the samples of every histogram family by label set (without `le`).
fn histograms(body: &str) -> BTreeMap<String, HistSeries> {
    let mut out: BTreeMap<String, HistSeries> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            current = Some((name.to_string(), kind.to_string()));
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((family, kind)) = &current else {
            panic!("sample before any TYPE: {line}");
        };
        if kind != "histogram" {
            continue;
        }
        let s = parse_sample(line);
        let suffix = s
            .name
            .strip_prefix(family.as_str())
            .unwrap_or_else(|| panic!("sample {} outside family {family}", s.name));
        let mut le = None;
        let rest: Vec<String> = s
            .labels
            .iter()
            .filter(|(k, v)| {
                if k == "le" {
                    le = Some(v.clone());
                    false
                } else {
                    true
                }
            })
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        let key = format!("{family}{{{}}}", rest.join(","));
        let entry = out.entry(key).or_default();
        let value = parse_value(&s.value);
        match suffix {
            "_bucket" => entry
                .buckets
                .push((parse_value(&le.expect("bucket without le")), value)),
            "_sum" => entry.sum = Some(value),
            "_count" => entry.count = Some(value),
            "_created" => {}
            other => panic!("unexpected histogram sample suffix {other:?} in {line}"),
        }
    }
    out
}

#[test]
fn committed_text_fixture_is_up_to_date() {
    assert_same_as_committed(&default_text(), "mattermost.prom");
}

#[test]
fn committed_openmetrics_fixture_is_up_to_date() {
    assert_same_as_committed(&default_openmetrics(), "mattermost.openmetrics.txt");
}

#[test]
fn generation_is_deterministic_and_seeded() {
    let a = default_text();
    assert_eq!(a, default_text(), "same options must give the same bytes");
    let other = generate(&FixtureOptions {
        seed: 7,
        ..FixtureOptions::default()
    });
    assert_ne!(a, other, "the seed must change the values");
    assert_eq!(
        families(&a),
        families(&other),
        "the seed must not change the families"
    );
}

#[test]
fn default_scrape_is_sized_like_a_busy_node() {
    let body = default_text();
    assert!(
        (550 * KIB..=700 * KIB).contains(&body.len()),
        "text fixture is {} bytes, expected 550-700 KiB",
        body.len()
    );
    let samples: Vec<&str> = body.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(samples.len() >= 4000, "only {} samples", samples.len());
    let buckets = samples.iter().filter(|l| l.contains("_bucket{")).count();
    assert!(
        buckets * 2 > samples.len(),
        "histogram buckets should dominate: {buckets} of {}",
        samples.len()
    );
    let api_and_store = samples
        .iter()
        .filter(|l| {
            l.starts_with("mattermost_api_time_") || l.starts_with("mattermost_db_store_time_")
        })
        .count();
    assert!(
        api_and_store * 2 > samples.len(),
        "api_time and db_store_time should dominate: {api_and_store} of {}",
        samples.len()
    );
}

#[test]
fn every_family_appears_once_with_help_and_type() {
    let body = default_text();
    let fams = families(&body);
    assert_eq!(fams.len(), 105 + 9 + 29 + 9, "number of # TYPE lines");

    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, kind) in &fams {
        *by_type.entry(kind.as_str()).or_default() += 1;
    }
    let expected_types: BTreeMap<&str, usize> = [
        ("counter", 54),
        ("gauge", 50),
        ("histogram", 47),
        ("summary", 1),
    ]
    .into();
    assert_eq!(by_type, expected_types);

    let names: Vec<&str> = fams.iter().map(|(n, _)| n.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        names, sorted,
        "families must be unique and sorted by name, like Gather()"
    );
    let expected: HashSet<&str> = EXPECTED_FAMILIES.split_whitespace().collect();
    assert_eq!(expected.len(), 152);
    let got: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(
        got.symmetric_difference(&expected).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "family names differ from mattermost-metrics.md"
    );

    // HELP immediately precedes TYPE for the same name, and every family has samples.
    let lines: Vec<&str> = body.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap();
            assert!(
                i > 0 && lines[i - 1].starts_with(&format!("# HELP {name} ")),
                "no HELP right before TYPE of {name}"
            );
            assert!(
                lines.get(i + 1).is_some_and(|l| !l.starts_with('#')),
                "{name} has no samples"
            );
        }
    }

    // One go_sql series per SQL handle.
    for (name, _) in fams.iter().filter(|(n, _)| n.starts_with("go_sql_")) {
        let dbs: Vec<String> = body
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")))
            .map(|l| parse_sample(l).labels[0].1.clone())
            .collect();
        assert_eq!(
            dbs,
            ["master", "replica-0", "replica-1", "searchreplica-0"],
            "{name}"
        );
    }
}

#[test]
fn histograms_are_cumulative_and_consistent() {
    let body = default_text();
    let hists = histograms(&body);
    let families_with_series: HashSet<&str> =
        hists.keys().map(|k| k.split('{').next().unwrap()).collect();
    assert_eq!(
        families_with_series.len(),
        47,
        "every histogram family has series"
    );
    assert!(hists.len() > 300, "only {} histogram series", hists.len());

    for (key, h) in &hists {
        assert!(h.buckets.len() >= 2, "{key}: too few buckets");
        let (last_le, inf_count) = *h.buckets.last().unwrap();
        assert_eq!(last_le, f64::INFINITY, "{key}: last bucket is not +Inf");
        for pair in h.buckets.windows(2) {
            let ((le_a, a), (le_b, b)) = (pair[0], pair[1]);
            assert!(le_a < le_b, "{key}: le not increasing ({le_a} then {le_b})");
            assert!(
                a <= b,
                "{key}: bucket counts not cumulative ({a} at le={le_a}, {b} at le={le_b})"
            );
        }
        let count = h.count.unwrap_or_else(|| panic!("{key}: no _count"));
        let sum = h.sum.unwrap_or_else(|| panic!("{key}: no _sum"));
        assert_eq!(count, inf_count, "{key}: _count != +Inf bucket");
        assert!(count.fract() == 0.0 && count >= 0.0, "{key}: count {count}");
        // The mean must be plausible for the bucket layout.
        let top = h.buckets[h.buckets.len() - 2].0;
        assert!(sum >= 0.0 && sum.is_finite(), "{key}: sum {sum}");
        if count > 0.0 {
            assert!(
                sum / count <= 2.0 * top,
                "{key}: mean {} above the buckets",
                sum / count
            );
        } else {
            assert_eq!(sum, 0.0, "{key}: sum without observations");
        }
    }
}

#[test]
fn summary_has_go_quantiles() {
    let body = default_text();
    let quantiles: Vec<String> = body
        .lines()
        .filter(|l| l.starts_with("go_gc_duration_seconds{"))
        .map(|l| parse_sample(l).labels[0].1.clone())
        .collect();
    assert_eq!(quantiles, ["0", "0.25", "0.5", "0.75", "1"]);
    assert!(body.contains("\ngo_gc_duration_seconds_sum "));
    assert!(body.contains("\ngo_gc_duration_seconds_count "));
}

#[test]
fn text_format_looks_like_client_golang() {
    let body = default_text();
    assert!(body.ends_with('\n') && !body.ends_with("\n\n"));
    assert!(!body.contains("# EOF"));
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let s = parse_sample(line);
        assert!(
            !s.name.ends_with("_created"),
            "_created sample in text format: {line}"
        );
        // Label pairs sorted by name, except le/quantile, which client_golang appends last.
        let names: Vec<&str> = s
            .labels
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != "le" && *k != "quantile")
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "labels not sorted in {line}");
        if let Some(pos) = s.labels.iter().position(|(k, _)| k == "le") {
            assert_eq!(pos, s.labels.len() - 1, "le not last in {line}");
        }
        // Values are Go %g: never a trailing ".0", exponents signed with two digits.
        assert!(
            !s.value.ends_with(".0"),
            "OpenMetrics-style value in text format: {line}"
        );
        if let Some((_, exp)) = s.value.split_once('e') {
            assert!(
                exp.len() >= 3 && (exp.starts_with('+') || exp.starts_with('-')),
                "bad exponent in {line}"
            );
        }
        parse_value(&s.value);
    }
    // What makes the format interesting for a parser is really there.
    for needle in [
        "le=\"+Inf\"",
        "le=\"0.005\"",
        "le=\"1e+06\"",
        "e+09\n",
        "e-05\n",
        "page_load_context=\"\"",
        "user_id=\"<placeholder>\"",
        "network_request_group=\"Cold Start\"",
        "origin_client=\"mobile\"",
        "handler=\"getPostsForChannel\"",
        "method=\"PostStore.GetPosts\"",
        "name=\"inv_channel\"",
        "plugin_id=\"com.mattermost.calls\"",
        "db_name=\"searchreplica-0\"",
    ] {
        assert!(body.contains(needle), "no {needle:?} in the text fixture");
    }
    let start = body
        .lines()
        .find_map(|l| l.strip_prefix("mattermost_system_server_start_time "))
        .expect("server start time");
    let start = parse_value(start);
    assert!((1.6e9..2.0e9).contains(&start), "server start time {start}");
}

#[test]
fn openmetrics_structure() {
    let om = default_openmetrics();
    let text = default_text();
    assert!(om.ends_with("\n# EOF\n"), "OpenMetrics must end with # EOF");
    assert_eq!(om.matches("# EOF").count(), 1);

    let mut family = String::new();
    let mut kind = String::new();
    let mut created = 0usize;
    let mut samples = 0usize;
    let mut type_lines = 0usize;
    for line in om.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            family = rest.split(' ').next().unwrap().to_string();
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, k) = rest.split_once(' ').unwrap();
            assert_eq!(name, family, "TYPE without matching HELP");
            kind = k.to_string();
            type_lines += 1;
            if kind == "counter" {
                assert!(
                    !name.ends_with("_total"),
                    "counter family keeps _total: {line}"
                );
            }
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment {line}");
        samples += 1;
        let s = parse_sample(line);
        let suffix = s
            .name
            .strip_prefix(family.as_str())
            .unwrap_or_else(|| panic!("{} outside family {family}", s.name));
        let allowed: &[&str] = match kind.as_str() {
            "counter" => &["_total", "_created"],
            // client_golang announces counters lacking _total as unknown.
            "unknown" => &["", "_created"],
            "gauge" => &[""],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            "summary" => &["", "_sum", "_count", "_created"],
            other => panic!("unexpected type {other}"),
        };
        assert!(
            allowed.contains(&suffix),
            "{} not allowed in {kind} {family}",
            s.name
        );
        if suffix == "_created" {
            created += 1;
            let v = parse_value(&s.value);
            assert!(
                (1.6e9..2.0e9).contains(&v),
                "created timestamp {v} in {line}"
            );
        }
        // Floats in OpenMetrics form; bucket and count values are integers.
        for (k, v) in &s.labels {
            if k == "le" || k == "quantile" {
                assert!(
                    v == "+Inf" || v.contains(['.', 'e']),
                    "{k}={v} not OpenMetrics float"
                );
            }
        }
        match suffix {
            "_bucket" | "_count" => assert!(s.value.bytes().all(|b| b.is_ascii_digit()), "{line}"),
            _ => assert!(
                s.value.contains(['.', 'e']) || s.value.ends_with("Inf") || s.value == "NaN",
                "value not an OpenMetrics float: {line}"
            ),
        }
    }
    assert_eq!(type_lines, 152);
    assert!(created > 300, "only {created} _created samples");
    // Same data as the text format, plus the _created samples.
    let text_samples = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(samples - created, text_samples);
    for needle in [
        "# TYPE mattermost_post counter\nmattermost_post_total ",
        "# TYPE mattermost_shared_channels_sync_count unknown\n",
        "le=\"1.0\"",
        "le=\"+Inf\"",
        "quantile=\"0.0\"",
        "mattermost_api_time_created{",
    ] {
        assert!(
            om.contains(needle),
            "no {needle:?} in the OpenMetrics fixture"
        );
    }
}

#[test]
fn scale_nine_gives_a_five_megabyte_scrape() {
    let body = generate(&FixtureOptions {
        scale: 9,
        ..FixtureOptions::default()
    });
    assert!(
        (4 * MIB..=6 * MIB).contains(&body.len()),
        "scale 9 is {} bytes, expected 4-6 MiB",
        body.len()
    );
    assert_eq!(families(&body).len(), 152);
    // Label values stay unique: no series line appears twice.
    let mut seen = HashSet::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let series = line.rsplit_once(' ').unwrap().0;
        assert!(seen.insert(series), "duplicate series {series}");
    }
    let hists = histograms(&body);
    for (key, h) in &hists {
        assert_eq!(h.count, Some(h.buckets.last().unwrap().1), "{key}");
    }
}

#[test]
fn go_float_formatting() {
    // Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints; several are
    // copied from real client_golang scrapes.
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (1.0, "1"),
        (-1.0, "-1"),
        (35.0, "35"),
        (0.005, "0.005"),
        (2.5, "2.5"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (3.6679e-05, "3.6679e-05"),
        (0.000871644, "0.000871644"),
        (-1.5e-07, "-1.5e-07"),
        (100000.0, "100000"),
        (123456.0, "123456"),
        (999999.0, "999999"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (2.2824536e+07, "2.2824536e+07"),
        (1.7954598289566667e+09, "1.7954598289566667e+09"),
        (1.7000004e+09, "1.7000004e+09"),
        (9.223372036854776e+18, "9.223372036854776e+18"),
        (18446744073709551615.0, "1.8446744073709552e+19"),
        (1e21, "1e+21"),
        (1e100, "1e+100"),
        (f64::INFINITY, "+Inf"),
        (f64::NEG_INFINITY, "-Inf"),
        (f64::NAN, "NaN"),
    ];
    for (v, want) in cases {
        assert_eq!(format_go_float(*v), *want, "format_go_float({v:e})");
    }
    let om: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (1.0, "1.0"),
        (35.0, "35.0"),
        (1000.0, "1000.0"),
        (0.005, "0.005"),
        (1e6, "1e+06"),
        (f64::INFINITY, "+Inf"),
    ];
    for (v, want) in om {
        assert_eq!(
            format_openmetrics_float(*v),
            *want,
            "format_openmetrics_float({v:e})"
        );
    }
}
