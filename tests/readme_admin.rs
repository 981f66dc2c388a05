//! The docs for the Splunk admin (docs/install.md, sizing.md,
//! troubleshooting.md, hec.md), kept true: the *Include* value
//! that keeps only what the dashboards chart (recomputed here from the
//! committed dashboards), the licence row counted with it, the commands to
//! run the input by hand (run here), a row for every failure the input
//! logs, the deployment sections, and the systemd install of the glibc 2.17
//! build.

use test_support::splunkd;
use test_support::test_servers;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline::convert_scrape;
use mattermost_metrics::scrape::ScrapeError;
use test_servers::{Response, TestServer};
use test_support::root;

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text between `heading` and the next heading of its level or
/// above (outside code blocks).
fn section(readme: &str, heading: &str) -> String {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading:?} in the page"));
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut out = String::new();
    let mut in_code = false;
    for line in readme[start + heading.len() + 2..].lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !in_code && hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The fenced blocks of `text` with this info string, in order.
fn fenced(text: &str, info: &str) -> Vec<String> {
    let open = format!("```{info}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let body = &rest[i + open.len()..];
        let end = body.find("```").expect("closed fence");
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

// ---- Include: what the dashboards chart ------------------------------------

/// Every name a Mattermost node exposes (`tests/fixtures/mattermost_metric_names.txt`).
fn known_metrics() -> BTreeSet<String> {
    read("tests/fixtures/mattermost_metric_names.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The definitions in macros.conf of the macro `name` (any arity).
fn macro_definitions(macros: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in macros.lines() {
        let t = line.trim();
        if let Some(stanza) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            if let Some(def) = current.take() {
                out.push(def);
            }
            let base = stanza.split('(').next().unwrap();
            if base == name {
                current = Some(String::new());
            }
        } else if let Some(def) = current.as_mut() {
            def.push_str(line);
            def.push('\n');
        }
    }
    out.extend(current);
    out
}

/// The text of every search of the committed dashboards, with the
/// definitions of the macros they call (and those call), as splunkd
/// expands them.
fn dashboard_searches() -> String {
    let macros = read("splunk_app/default/macros.conf");
    let call = regex::Regex::new(r"`([A-Za-z_][A-Za-z0-9_]*)").unwrap();
    let mut dashboards: Vec<PathBuf> = std::fs::read_dir(root().join("dashboards"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    dashboards.sort();
    assert!(!dashboards.is_empty(), "no dashboards/*.xml");
    let mut text = String::new();
    for path in &dashboards {
        let xml = std::fs::read_to_string(path).unwrap();
        let doc =
            roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for q in doc.descendants().filter(|n| n.has_tag_name("query")) {
            text.push_str(q.text().unwrap_or(""));
            text.push('\n');
        }
    }
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = call
        .captures_iter(&text)
        .map(|c| c[1].to_string())
        .collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for def in macro_definitions(&macros, &name) {
            todo.extend(call.captures_iter(&def).map(|c| c[1].to_string()));
            text.push_str(&def);
        }
    }
    text
}

/// The Prometheus names the dashboards read: every word of their searches
/// that is a name Mattermost exposes. (Wildcards such as the node picker's
/// `metric_name=mattermost_*` chart nothing and are not names.)
fn charted() -> BTreeSet<String> {
    let word = regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_:.]*").unwrap();
    let known = known_metrics();
    word.find_iter(&dashboard_searches())
        .map(|m| m.as_str().trim_end_matches('.'))
        .filter(|w| known.contains(*w))
        .map(str::to_string)
        .collect()
}

/// The *Include* value that keeps exactly `names`: one alternative per
/// name, a histogram's series grouped (`x(_bucket|_count|_sum)`).
fn include_value(names: &BTreeSet<String>) -> String {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in names {
        let suffix = ["_bucket", "_count", "_sum"]
            .into_iter()
            .find(|s| n.ends_with(s))
            .unwrap_or("");
        groups
            .entry(&n[..n.len() - suffix.len()])
            .or_default()
            .push(suffix);
    }
    groups
        .iter()
        .map(|(base, suffixes)| match suffixes.as_slice() {
            [one] => format!("{base}{one}"),
            many => format!("{base}({})", many.join("|")),
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// `3213` as `3,213`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_include_value_keeps_exactly_what_the_dashboards_chart() {
    let names = charted();
    assert!(
        names.len() >= 10 && names.contains("mattermost_api_time_bucket"),
        "the dashboards' searches read {names:?}"
    );
    let want = include_value(&names);
    let sizing = read("docs/sizing.md");
    let at = sizing
        .find("**Only what the dashboards chart: `dashboards`.**")
        .expect("the Include paragraph");
    let got = fenced(&sizing[at..], "text")
        .into_iter()
        .next()
        .expect("the Include value in a ```text block");
    assert_eq!(
        got.trim(),
        want,
        "docs/sizing.md's Include value is stale; paste this one:\n{want}\n"
    );

    // As the input reads it (matched in full), it keeps every name the
    // dashboards read and nothing else Mattermost exposes.
    let include = regex::Regex::new(&format!("^(?:{want})$")).unwrap();
    for name in known_metrics() {
        assert_eq!(include.is_match(&name), names.contains(&name), "{name}");
    }

    // The licence row is counted with it, on the fixture.
    let body = std::fs::read(root().join("tests/fixtures/mattermost.prom")).unwrap();
    let opts = ConvertOptions {
        include: Some(include),
        ..ConvertOptions::default()
    };
    let (_, stats) = convert_scrape(&body, Format::Prometheus, false, &opts, 0, |_| {}).unwrap();
    let n = stats.emitted as usize;
    let row = format!(
        "| *Include* only what the dashboards chart (the value below) | {} | {:.1} M | ~{:.1} GB |",
        thousands(n),
        n as f64 * 1440.0 / 1e6,
        n as f64 * 1440.0 * 150.0 / 1e9
    );
    assert!(sizing.contains(&row), "docs/sizing.md lacks the row\n{row}");
    let health = format!(
        "plus {} health data points per scrape",
        mattermost_metrics::health::METRICS.len()
    );
    assert!(sizing.contains(&health), "{health}");
}

#[test]
fn the_dashboards_preset_keeps_what_the_shipped_dashboards_and_alerts_read() {
    // What the committed dashboards and alerts read, of every name a node
    // exposes, as this test computes it from the files...
    let mut read_by_alerts = BTreeSet::new();
    let alerts = read("splunk_app/default/savedsearches.conf");
    let word = regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_:.]*").unwrap();
    let known = known_metrics();
    for w in word.find_iter(&alerts) {
        if known.contains(w.as_str()) {
            read_by_alerts.insert(w.as_str().to_string());
        }
    }
    let want: BTreeSet<String> = charted().union(&read_by_alerts).cloned().collect();
    // ... is what the binary's preset keeps, from the files compiled into it.
    let preset = mattermost_metrics::preset::full_match("dashboards").unwrap();
    for name in &known {
        assert_eq!(preset.is_match(name), want.contains(name), "{name}");
    }
    // And the counts the docs give, on the fixtures.
    let kept = |fixture: &str| -> (u64, u64) {
        let body = std::fs::read(root().join(fixture)).unwrap();
        let count = |include| {
            let opts = ConvertOptions {
                include,
                ..ConvertOptions::default()
            };
            convert_scrape(&body, Format::Prometheus, false, &opts, 0, |_| {})
                .unwrap()
                .1
                .emitted
        };
        (count(Some(preset.clone())), count(None))
    };
    let page = read("docs/sizing.md");
    let (server, all) = kept("tests/fixtures/mattermost.prom");
    let (node, node_all) = kept("tests/fixtures/exporters/node_exporter.prom");
    let claim = format!(
        "keeps {} of a Mattermost server's {} points",
        thousands(server as usize),
        thousands(all as usize)
    );
    assert!(page.contains(&claim), "{claim}");
    let claim = format!("and {node} of node_exporter's {node_all}");
    assert!(page.contains(&claim), "{claim}");
    let (calls, calls_all) = kept("tests/fixtures/calls/calls_plugin.prom");
    let (rtcd, rtcd_all) = kept("tests/fixtures/calls/rtcd.prom");
    let claim =
        format!("{calls} of the Calls plugin's {calls_all} and {rtcd} of rtcd's {rtcd_all}");
    assert!(page.contains(&claim), "{claim}");
}

/// `mattermost_metrics convert --sizing ARGS... tests/fixtures/mattermost.prom`.
fn sizing(args: &[&str]) -> String {
    let out = std::process::Command::new(BIN)
        .arg("convert")
        .arg("--sizing")
        .args(args)
        .arg(root().join("tests/fixtures/mattermost.prom"))
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_per_metric_sizing_is_what_convert_prints() {
    let page = read("docs/sizing.md");
    let want = include_value(&charted());
    let shown = fenced(
        &section(&page, "## Per metric: where the points go"),
        "text",
    )
    .into_iter()
    .next()
    .expect("the convert --sizing block");
    let printed = sizing(&["--include", &want]);
    let mut rows = 0;
    for line in shown.lines().filter(|l| !l.starts_with('$') && *l != "...") {
        assert!(
            printed.lines().any(|p| p == line),
            "convert --sizing prints no line {line:?}:\n{printed}"
        );
        rows += 1;
    }
    assert!(rows >= 5, "{shown}");
    // Two names are two thirds of the dashboards' set, as the text says.
    let share = |name: &str| -> f64 {
        let l = printed
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap();
        l.split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches('%')
            .parse()
            .unwrap()
    };
    let two = share("mattermost_api_time_bucket") + share("mattermost_db_store_time_bucket");
    assert!((64.0..70.0).contains(&two), "{two}");
    // The HEC sender's default interval, and what it costs unfiltered.
    let hec_default = mattermost_metrics::hec::config::FLAGS
        .iter()
        .find(|f| f.name == "scrape_interval")
        .and_then(|f| f.default);
    assert_eq!(hec_default, Some("15s"));
    let total = sizing(&["--interval", "15"]);
    let gb: f64 = total
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!((gb * 10.0).round() / 10.0, 4.5, "{total}");
    assert!(page.contains("about 4.5 GB a day per node unfiltered"));
}

// ---- troubleshooting ---------------------------------------------------------

/// The XML of each `<<'END'` command in `text`, with the command line.
fn heredocs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some(cmd) = l.strip_suffix(" <<'END'") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "END").collect();
            out.push((cmd.to_string(), body.join("\n")));
        }
    }
    out
}

#[test]
fn the_commands_to_run_the_input_by_hand_work() {
    let trouble = read("docs/troubleshooting.md");
    let commands = heredocs(&trouble);
    assert_eq!(commands.len(), 2, "a run and a validation: {commands:?}");
    let server = TestServer::serve(Response::prometheus("up 1\nmattermost_jobs_active 2\n"));
    for (cmd, xml) in &commands {
        // As splunkd starts it: the packaged executable, Splunk's environment.
        assert!(
            cmd.contains(" cmd ")
                && cmd.contains(&format!(
                    "etc/apps/mattermost_metrics/{}",
                    mattermost_metrics::package::EXECUTABLE
                )),
            "{cmd}"
        );
        let example = "http://mm1.example.com:8067/metrics";
        assert!(xml.contains(example), "{xml}");
        let xml = xml.replace(example, &server.url());
        let args: Vec<&str> = cmd
            .split_whitespace()
            .skip_while(|w| !w.ends_with("/mattermost_metrics"))
            .skip(1)
            .collect();
        let r = splunkd::run_binary(BIN, &args, &xml);
        assert_eq!(r.code, Some(0), "{cmd}: {} {}", r.stdout, r.stderr);
        match args.as_slice() {
            [] => {
                let events = splunkd::parse_stream(&r.stdout);
                assert!(
                    events.iter().any(|e| e.data == "mattermost_metrics.up 1"),
                    "{events:?}"
                );
                assert!(events.iter().any(|e| e.data == "mattermost_jobs_active 2"));
            }
            ["--validate-arguments"] => assert_eq!(r.stdout, ""),
            other => panic!("unexpected arguments {other:?}"),
        }
    }
}

/// Every source file under `src/`, as one text.
fn sources() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(&root().join("src"), &mut out);
    out
}

#[test]
fn every_failure_the_input_logs_has_a_row_with_its_fix() {
    let trouble = read("docs/troubleshooting.md");
    let rows: Vec<&str> = trouble.lines().filter(|l| l.starts_with("| ")).collect();
    let has_row = |class: &str| rows.iter().any(|r| r.starts_with(&format!("| {class} |")));
    for kind in ScrapeError::KINDS.iter().chain(&["sample_limit"]) {
        let class = format!("`scrape failed ({kind})`");
        assert!(has_row(&class), "no row for {class}");
    }
    let src = sources();
    assert!(
        src.contains("\"scrape failed ({})"),
        "the kind is what the ERROR line names"
    );
    assert!(src.contains("scrape failed (sample_limit)"));
    // The other lines, by the words they start with; each must still be
    // what the code writes.
    for (level, words) in [
        ("", "did not answer with Prometheus metrics"),
        ("", "invalid settings, not scraping"),
        ("", "cannot scrape"),
        ("", "validation failed"),
        ("", "cannot read the input definition"),
        ("", "cannot write events to splunkd"),
        ("WARN ", "could not be parsed and were skipped"),
        ("WARN ", "ended without # EOF"),
        ("WARN ", "dropped all"),
        ("WARN ", "not indexed: their event would be longer"),
        ("WARN ", "verify_tls = false"),
        ("WARN ", "the secret is still in clear text"),
        ("INFO ", "moved the secret into splunkd's credential store"),
    ] {
        assert!(src.contains(words), "src/ no longer writes {words:?}");
        let class = format!("{level}`{words}`");
        assert!(has_row(&class), "no row for {class}");
    }
    // Every row says what to do.
    for r in rows.iter().skip(2) {
        let cells: Vec<&str> = r.split(" | ").collect();
        assert!(
            cells.len() >= 3 && cells[2].trim_end_matches(" |").len() > 5,
            "{r}"
        );
    }
    for want in [
        "ExecProcessor",
        "DEBUG",
        "log-local.cfg",
        "splunk set log-level ExecProcessor",
    ] {
        assert!(trouble.contains(want), "{want}");
    }
}

// ---- install, upgrade, deployment --------------------------------------------

#[test]
fn the_admin_sections_say_what_to_do_where() {
    let admin = read("docs/install.md");
    for (heading, wants) in [
        (
            "## What it runs on",
            &["Splunk Enterprise 9.1", "glibc", "2.17", "Splunk Cloud"][..],
        ),
        ("## Install", &["Restart Splunk", "splunk restart"][..]),
        ("## Upgrade", &["-update 1", "local/", "restart"][..]),
        (
            "## Uninstall",
            &[
                "splunk remove app mattermost_metrics",
                "clean eventdata",
                "restart",
            ][..],
        ),
        (
            "## Deployment server",
            &[
                "deployment-apps",
                "serverclass.conf",
                "excludeFromUpdate",
                "reload deploy-server",
            ][..],
        ),
        (
            "## Distributed deployment",
            &[
                "manager-apps",
                "apply cluster-bundle",
                "repFactor = auto",
                "shcluster/apps",
                "apply shcluster-bundle",
            ][..],
        ),
        (
            "## Splunk Cloud",
            &["private app", "heavy forwarder", "HEC", "metrics"][..],
        ),
    ] {
        let text = section(&admin, heading);
        for want in wants {
            assert!(text.contains(want), "{heading} lacks {want:?}");
        }
    }
    // What the docs promise, the package does.
    let indexes = read("splunk_app/default/indexes.conf");
    assert!(indexes.lines().any(|l| l.trim() == "repFactor = auto"));
    let manifest: serde_json::Value =
        serde_json::from_str(&read("splunk_app/app.manifest")).unwrap();
    assert_eq!(
        manifest["platformRequirements"]["splunk"]["Enterprise"],
        ">=9.1"
    );
}

#[test]
fn systemd_installs_the_glibc_2_17_build() {
    let package = read("scripts/package");
    let target = package
        .lines()
        .find_map(|l| l.strip_prefix("target="))
        .expect("scripts/package names its target");
    assert!(
        package.contains("--target \"$target.2.17\""),
        "scripts/package builds for glibc 2.17"
    );
    let systemd = section(&read("docs/hec.md"), "## Under systemd");
    let block = &fenced(&systemd, "sh")[0];
    let installs: Vec<&str> = block
        .lines()
        .filter(|l| l.starts_with("install -m 0755 "))
        .collect();
    assert_eq!(
        installs,
        [
            format!("install -m 0755 target/{target}/dist/mattermost_metrics /usr/local/bin/")
                .as_str()
        ],
        "the binary scripts/package builds (profile dist), not target/release/'s"
    );
    assert!(block.lines().next() == Some("scripts/package"), "{block}");
    assert!(systemd.contains("GLIBC_2.34"));
}

/// The `key = value` settings of `stanza` in an .ini text.
fn ini_stanza(text: &str, stanza: &str) -> Vec<(String, String)> {
    text.lines()
        .skip_while(|l| l.trim() != format!("[{stanza}]"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn the_deployment_server_recipe_delivers_changes_and_deploys_no_secret() {
    let recipe = section(&read("docs/install.md"), "## Deployment server");
    let ini = fenced(&recipe, "ini");
    let inputs = ini
        .iter()
        .find(|b| b.contains("[mattermost_metrics://"))
        .expect("the inputs app's inputs.conf");
    let classes = ini
        .iter()
        .find(|b| b.contains("[serverClass:"))
        .expect("serverclass.conf");
    // Later changes arrive: only the package's app keeps the client's local/.
    let app = "serverClass:mattermost_forwarders:app:mattermost_metrics";
    assert!(ini_stanza(classes, app)
        .iter()
        .any(|(k, v)| k == "excludeFromUpdate" && v == "$app_root$/local"));
    let inputs_app = format!("{app}_inputs");
    let settings = ini_stanza(classes, &inputs_app);
    assert!(!settings.is_empty(), "{inputs_app}");
    assert!(
        settings.iter().all(|(k, _)| k != "excludeFromUpdate"),
        "the inputs app must deliver every change"
    );
    assert!(recipe.contains("mattermost_metrics_inputs/default/inputs.conf"));
    // No secret in a deployed file: a secret is only ever the mask.
    let params = ini_stanza(inputs, "mattermost_metrics://mm2");
    for (k, v) in &params {
        if k == "secret" {
            assert_eq!(v, mattermost_metrics::settings::MASK);
        }
        assert!(!v.contains('@'), "no credentials in {k} = {v}");
    }

    // Step 3, as the curl command does it: its path and fields.
    let sh = fenced(&recipe, "sh").join("\n");
    let path = regex::Regex::new(r"https://localhost:8089(/servicesNS/\S+/storage/passwords)")
        .unwrap()
        .captures(&sh)
        .expect("the curl command's URL")[1]
        .to_string();
    let field = |name: &str| {
        regex::Regex::new(&format!(r"-d {name}=(\S+)"))
            .unwrap()
            .captures(&sh)
            .unwrap_or_else(|| panic!("-d {name}="))[1]
            .to_string()
    };
    assert!(sh.contains("--data-urlencode password@token.txt"));
    let splunkd = splunkd::FakeSplunkd::start();
    let token = "t0ken-from-the-forwarder-admin";
    let resp = ureq::post(&format!("{}{path}", splunkd.uri))
        .header("Authorization", "Splunk SESSIONKEY123")
        .send_form([
            ("realm", field("realm").as_str()),
            ("name", field("name").as_str()),
            ("password", token),
        ])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);

    // Step 1's stanza, run from the inputs app, scrapes with that token.
    let server = TestServer::require_bearer(token, Response::prometheus("up 1\n"));
    let mut params: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k != "url")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = server.url();
    params.extend([
        ("url", url.as_str()),
        ("host", "hf1"),
        ("index", "wss_metrics"),
    ]);
    let xml = splunkd::input_xml_in_app(&splunkd.uri, "mattermost_metrics_inputs", "mm2", &params);
    let run = splunkd::run_binary(BIN, &[], &xml);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let events = splunkd::parse_stream(&run.stdout);
    assert!(
        events.iter().any(|e| e.data == "up 1"),
        "the scraped sample arrives: {}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    // Nothing to mask: the deployed stanza never held the secret.
    assert!(splunkd
        .calls()
        .iter()
        .all(|c| !c.path.contains("data/inputs")));
}

#[test]
fn the_readme_charts_are_harness_data_drawn_by_the_kept_script() {
    let readme = read("README.md");
    let script = read("scripts/readme-charts");
    let image = regex::Regex::new(r"!\[[^\]]*\]\((docs/images/[^)]+\.svg)\)").unwrap();
    let shown: Vec<String> = image
        .captures_iter(&readme)
        .map(|c| c[1].to_string())
        .collect();
    assert!(shown.len() >= 2, "{shown:?}");
    let specs = mattermost_metrics::dashboard::load_all(&root().join("dashboards/specs")).unwrap();
    for path in &shown {
        let svg = read(path);
        assert!(svg.starts_with("<svg "), "{path}");
        assert!(
            svg.contains("Harness data, not a screenshot"),
            "{path} says what it is"
        );
        // Its title is a panel of a shipped dashboard, and the script draws it.
        let title = svg
            .split("font-weight=\"bold\">")
            .nth(1)
            .and_then(|t| t.split("</text>").next())
            .expect("a title");
        let mut parts = title.split(" / ");
        let (dash, row, panel) = (parts.next(), parts.next(), parts.next());
        let spec = specs
            .iter()
            .find(|s| Some(s.label.as_str()) == dash)
            .unwrap_or_else(|| panic!("{title}: no such dashboard"));
        assert!(
            spec.rows.iter().any(|r| Some(r.title.as_str()) == row
                && r.panels.iter().any(|p| Some(p.title.as_str()) == panel)),
            "{title}: no such panel"
        );
        assert!(
            script.contains(&format!("\"{title}\"")),
            "scripts/readme-charts draws {title}"
        );
    }
    assert!(script.contains("DIFFERENTIAL_PANELS_OUT="));
}
