//! The app package, checked as Splunk's installer and splunkd would meet it.
//!
//! Every test builds a package with the binary under test (`package`
//! subcommand) and checks it. The `#[ignore]`d ones need the release
//! package built for glibc 2.17 by `scripts/package`: `scripts/test` (the
//! README's test command) builds it, sets `MM_PACKAGE` and runs them.

#[path = "support/splunkd.rs"]
mod splunkd;
#[path = "support/test_servers.rs"]
mod test_servers;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use test_servers::{Response, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");
const VERSION: &str = env!("CARGO_PKG_VERSION");

struct Member {
    mode: u32,
    uid: u64,
    gid: u64,
    kind: tar::EntryType,
    data: Vec<u8>,
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mm_pkg_test_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Builds a package with the test binary; returns the .tgz path.
fn build_package(tag: &str) -> PathBuf {
    let out = temp_dir(tag);
    let r = std::process::Command::new(BIN)
        .args(["package", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let path = out.join(format!("mattermost_metrics-{VERSION}.tgz"));
    assert_eq!(
        String::from_utf8_lossy(&r.stdout).trim(),
        path.display().to_string()
    );
    path
}

fn read_members(tgz: &Path) -> BTreeMap<String, Member> {
    let f = std::fs::File::open(tgz).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = BTreeMap::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let m = Member {
            mode: h.mode().unwrap(),
            uid: h.uid().unwrap(),
            gid: h.gid().unwrap(),
            kind: h.entry_type(),
            data,
        };
        assert!(out.insert(path.clone(), m).is_none(), "{path} twice");
    }
    out
}

fn text(m: &BTreeMap<String, Member>, path: &str) -> String {
    String::from_utf8(
        m.get(&format!("mattermost_metrics/{path}"))
            .unwrap_or_else(|| panic!("{path} missing"))
            .data
            .clone(),
    )
    .unwrap()
}

fn conf_value(conf: &str, stanza: &str, key: &str) -> Option<String> {
    let mut current = "";
    for line in conf.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = s;
        } else if current == stanza {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// The layout and metadata rules every package must meet.
fn check_layout(tgz: &Path) -> BTreeMap<String, Member> {
    let name = tgz.file_name().unwrap().to_string_lossy();
    assert_eq!(name, format!("mattermost_metrics-{VERSION}.tgz"));
    let m = read_members(tgz);
    for (path, mem) in &m {
        assert!(
            path.starts_with("mattermost_metrics/"),
            "top folder: {path}"
        );
        assert!(
            !path.split('/').any(|p| p.starts_with('.')),
            "dotfile: {path}"
        );
        assert_eq!((mem.uid, mem.gid), (0, 0), "{path}");
        match mem.kind {
            tar::EntryType::Directory => assert_eq!(mem.mode, 0o755, "{path}"),
            tar::EntryType::Regular
                if path == "mattermost_metrics/linux_x86_64/bin/mattermost_metrics" =>
            {
                assert_eq!(mem.mode, 0o755)
            }
            tar::EntryType::Regular if path.starts_with("mattermost_metrics/bin/") => {
                assert!(path.ends_with(".sh"), "{path}");
                assert_eq!(mem.mode, 0o755, "a script splunkd runs: {path}")
            }
            tar::EntryType::Regular => {
                assert_eq!(
                    mem.mode, 0o644,
                    "only the binary and bin/ scripts are executable: {path}"
                )
            }
            k => panic!("{path}: unexpected entry type {k:?}"),
        }
        for junk in [
            "target/",
            "/src/",
            ".rs",
            "~",
            ".orig",
            ".DS_Store",
            "__pycache__",
        ] {
            assert!(!path.contains(junk), "build debris: {path}");
        }
    }
    for required in [
        "default/app.conf",
        "default/inputs.conf",
        "default/indexes.conf",
        "default/props.conf",
        "default/transforms.conf",
        "default/macros.conf",
        "default/data/ui/nav/default.xml",
        "metadata/default.meta",
        "README/inputs.conf.spec",
        "README.txt",
        "static/appIcon.png",
        "static/appIcon_2x.png",
        "linux_x86_64/bin/mattermost_metrics",
    ] {
        assert!(
            m.contains_key(&format!("mattermost_metrics/{required}")),
            "{required} missing"
        );
    }
    let app = text(&m, "default/app.conf");
    assert!(!app.contains("@VERSION@") && !app.contains("@BUILD@"));
    assert_eq!(
        conf_value(&app, "launcher", "version").as_deref(),
        Some(VERSION)
    );
    assert_eq!(conf_value(&app, "id", "version").as_deref(), Some(VERSION));
    assert_eq!(
        conf_value(&app, "package", "id").as_deref(),
        Some("mattermost_metrics")
    );
    assert_eq!(
        conf_value(&app, "id", "name").as_deref(),
        Some("mattermost_metrics")
    );
    let label = conf_value(&app, "ui", "label").unwrap();
    assert!((5..=80).contains(&label.len()));
    assert!(conf_value(&app, "install", "build")
        .unwrap()
        .parse::<u64>()
        .is_ok());
    let semver = regex::Regex::new(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$").unwrap();
    assert!(semver.is_match(VERSION));

    // app.manifest: what AppInspect's package-id check reads (without it,
    // the check is skipped); the same id, name and version as app.conf.
    let manifest: serde_json::Value =
        serde_json::from_str(&text(&m, "app.manifest")).expect("app.manifest is JSON");
    assert_eq!(manifest["schemaVersion"], "2.0.0");
    assert_eq!(manifest["info"]["id"]["name"], "mattermost_metrics");
    assert_eq!(
        manifest["info"]["id"]["name"].as_str(),
        conf_value(&app, "package", "id").as_deref()
    );
    assert_eq!(manifest["info"]["id"]["version"], VERSION);
    assert_eq!(
        manifest["info"]["title"].as_str(),
        conf_value(&app, "ui", "label").as_deref()
    );

    let indexes = text(&m, "default/indexes.conf");
    assert_eq!(
        conf_value(&indexes, "wss_metrics", "datatype").as_deref(),
        Some("metric")
    );
    // Replicated like the cluster's own indexes when the app is in a
    // cluster manager's bundle.
    assert_eq!(
        conf_value(&indexes, "wss_metrics", "repFactor").as_deref(),
        Some("auto")
    );
    let cloud_ok = [
        "homePath",
        "coldPath",
        "thawedPath",
        "frozenTimePeriodInSecs",
        "disabled",
        "datatype",
        "repFactor",
    ];
    for line in indexes
        .lines()
        .filter(|l| l.contains('=') && !l.trim_start().starts_with('#'))
    {
        let key = line.split('=').next().unwrap().trim();
        assert!(
            cloud_ok.contains(&key),
            "indexes.conf: {key} is not accepted by Splunk Cloud"
        );
        if key.ends_with("Path") {
            assert!(line.contains("$SPLUNK_DB"), "{line}");
        }
    }
    let inputs = text(&m, "default/inputs.conf");
    assert_eq!(
        conf_value(&inputs, "mattermost_metrics", "index").as_deref(),
        Some("wss_metrics")
    );

    // Every dashboard of the repo is in default/data/ui/views, and the nav
    // lists views that exist, the dashboards first.
    let dash_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards");
    let mut dashboards: Vec<String> = std::fs::read_dir(&dash_dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".xml"))
                .collect()
        })
        .unwrap_or_default();
    dashboards.sort();
    for d in &dashboards {
        let packaged = text(&m, &format!("default/data/ui/views/{d}"));
        assert_eq!(
            packaged.as_bytes(),
            std::fs::read(dash_dir.join(d)).unwrap().as_slice(),
            "{d}"
        );
    }
    let nav = text(&m, "default/data/ui/nav/default.xml");
    let doc = roxmltree::Document::parse(&nav).unwrap();
    let views: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "view")
        .map(|n| n.attribute("name").unwrap())
        .collect();
    let builtin = [
        "search",
        "analytics_workspace",
        "datasets",
        "reports",
        "alerts",
        "dashboards",
    ];
    let first_builtin = views
        .iter()
        .position(|v| builtin.contains(v))
        .unwrap_or(views.len());
    assert!(
        first_builtin >= 1,
        "the app's dashboards come first: {views:?}"
    );
    for v in &views[..first_builtin] {
        assert!(
            dashboards.contains(&format!("{v}.xml")),
            "nav names {v}, which is not a dashboard"
        );
    }
    assert!(views.contains(&"search"));
    for png in ["static/appIcon.png", "static/appIcon_2x.png"] {
        let data = &m[&format!("mattermost_metrics/{png}")].data;
        let dec = png::Decoder::new(std::io::Cursor::new(data.clone()));
        let info = dec.read_info().unwrap();
        let size = if png.ends_with("_2x.png") { 72 } else { 36 };
        assert_eq!(
            (info.info().width, info.info().height),
            (size, size),
            "{png}"
        );
    }
    m
}

/// Unpacks the package into a folder and runs its binary as splunkd would:
/// `--scheme` and one run against a loopback target.
fn run_packaged_binary(tgz: &Path, tag: &str) {
    let dir = temp_dir(&format!("unpack_{tag}"));
    let f = std::fs::File::open(tgz).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(&dir)
        .unwrap();
    let app = dir.join("mattermost_metrics");
    let bin = app.join("linux_x86_64/bin/mattermost_metrics");
    let bin = bin.to_str().unwrap();
    let scheme = splunkd::run_binary(bin, &["--scheme"], "");
    assert_eq!(scheme.code, Some(0));
    assert!(roxmltree::Document::parse(&scheme.stdout)
        .unwrap()
        .root_element()
        .has_tag_name("scheme"));
    // The spec splunkd reads lists what the packaged binary declares.
    let spec = splunkd::run_binary(bin, &["spec"], "");
    assert_eq!(
        spec.stdout,
        std::fs::read_to_string(app.join("README/inputs.conf.spec")).unwrap()
    );

    let server = TestServer::serve(Response::prometheus("# TYPE up gauge\nup 1\n").gzip());
    let input = splunkd::input_xml(
        "https://127.0.0.1:1",
        "node1",
        &[("url", &server.url()), ("interval", "60")],
    );
    let r = splunkd::run_binary(bin, &[], &input);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = splunkd::parse_stream(&r.stdout);
    assert!(events.iter().any(|e| e.data == "up 1"), "{:?}", events);
    assert!(events.iter().any(|e| e.data == "mattermost_metrics.up 1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn package_layout_and_metadata() {
    let tgz = build_package("layout");
    let m = check_layout(&tgz);
    assert_eq!(
        m["mattermost_metrics/linux_x86_64/bin/mattermost_metrics"].data,
        std::fs::read(BIN).unwrap()
    );
}

#[test]
fn package_is_reproducible() {
    let a = std::fs::read(build_package("repro_a")).unwrap();
    let b = std::fs::read(build_package("repro_b")).unwrap();
    assert!(a == b, "the same inputs give the same bytes");
}

#[test]
fn packaged_binary_runs_as_splunkd_runs_it() {
    run_packaged_binary(&build_package("run"), "test_binary");
}

fn release_package() -> PathBuf {
    let p = std::env::var_os("MM_PACKAGE")
        .expect("MM_PACKAGE names the package scripts/package built (scripts/test sets it)");
    PathBuf::from(p)
}

#[test]
#[ignore = "needs the glibc 2.17 package from scripts/package; scripts/test runs it"]
fn release_package_layout_and_run() {
    let tgz = release_package();
    check_layout(&tgz);
    run_packaged_binary(&tgz, "release");
}

/// `GLIBC_x.y[.z]` as numbers.
fn glibc_version(s: &str) -> Option<Vec<u32>> {
    s.strip_prefix("GLIBC_")?
        .split('.')
        .map(|p| p.parse().ok())
        .collect()
}

#[test]
#[ignore = "needs the glibc 2.17 package from scripts/package; scripts/test runs it"]
fn release_binary_needs_nothing_newer_than_glibc_2_17() {
    use object::{Object, ObjectSection};
    let m = read_members(&release_package());
    let exe = &m["mattermost_metrics/linux_x86_64/bin/mattermost_metrics"].data;
    let file = object::File::parse(exe.as_slice()).unwrap();
    assert_eq!(file.architecture(), object::Architecture::X86_64);
    assert_eq!(
        file.kind(),
        object::ObjectKind::Dynamic,
        "a PIE (AppInspect fails non-PIE static executables)"
    );
    let dynstr = file
        .section_by_name(".dynstr")
        .expect(".dynstr")
        .data()
        .unwrap();
    let versions: Vec<Vec<u32>> = dynstr
        .split(|&b| b == 0)
        .filter_map(|s| std::str::from_utf8(s).ok())
        .filter_map(glibc_version)
        .collect();
    assert!(!versions.is_empty(), "links glibc");
    let max = versions.iter().max().unwrap();
    assert!(
        *max <= vec![2, 17],
        "needs GLIBC_{}",
        max.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(".")
    );
    let needed: Vec<String> = dynstr
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .filter(|s| s.contains(".so"))
        .collect();
    assert!(
        !needed
            .iter()
            .any(|s| s.contains("libssl") || s.contains("libcrypto")),
        "no system OpenSSL: {needed:?}"
    );
}
