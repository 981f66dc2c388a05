//! The app package, checked as Splunk's installer and splunkd would meet it.
//!
//! Every test builds a package with the binary under test (`package`
//! subcommand) and checks it. The `#[ignore]`d ones need what
//! `scripts/package` builds: the release package (Linux x86-64 for glibc
//! 2.17, Windows x86-64) and beside it the standalone aarch64 archive;
//! `scripts/test` (README.md's test command) builds them, sets
//! `MM_PACKAGE` and runs them. Each platform's binary is checked as its
//! platform's loader will meet it: format and architecture, and what it
//! needs of the system (glibc 2.17 at most; Windows' own DLLs only).
//! `tests/cross_platform/main.rs` runs the Windows and aarch64 binaries.

use test_support::splunkd;
use test_support::test_servers;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use test_servers::{Response, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_mattermost_metrics");
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The executables' paths in the app, in the platform folders splunkd
/// knows (Splunk's modular-input docs: `linux_x86_64`, `windows_x86_64`).
const LINUX_EXE: &str = "linux_x86_64/bin/mattermost_metrics";
const WINDOWS_EXE: &str = "windows_x86_64/bin/mattermost_metrics.exe";
const EXECUTABLES: [&str; 2] = [LINUX_EXE, WINDOWS_EXE];

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
                if EXECUTABLES
                    .iter()
                    .any(|e| path == &format!("mattermost_metrics/{e}")) =>
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
        // Test support (Wine's stand-in bcryptprimitives.dll) never ships:
        // the .exe needs no DLL beside it.
        assert!(
            !path.to_ascii_lowercase().ends_with(".dll"),
            "a DLL: {path}"
        );
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
        "LICENSE",
        "static/appIcon.png",
        "static/appIcon_2x.png",
        LINUX_EXE,
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
    // The licence it names is in the app, the repo's own text, and the
    // crate's.
    assert_eq!(manifest["info"]["license"]["name"], "Apache-2.0");
    assert_eq!(manifest["info"]["license"]["text"], "LICENSE");
    let licence = text(&m, "LICENSE");
    assert_eq!(
        licence,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/LICENSE")).unwrap()
    );
    assert!(licence.contains("Apache License\n                        Version 2.0, January 2004"));
    assert_eq!(env!("CARGO_PKG_LICENSE"), "Apache-2.0");
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
    let bin = app.join(LINUX_EXE);
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
        m[&format!("mattermost_metrics/{LINUX_EXE}")].data,
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
#[ignore = "needs the package from scripts/package; scripts/test runs it"]
fn release_package_layout_and_run() {
    let tgz = release_package();
    let m = check_layout(&tgz);
    for exe in EXECUTABLES {
        assert!(
            m.contains_key(&format!("mattermost_metrics/{exe}")),
            "{exe} missing"
        );
    }
    run_packaged_binary(&tgz, "release");
}

/// `GLIBC_x.y[.z]` as numbers.
fn glibc_version(s: &str) -> Option<Vec<u32>> {
    s.strip_prefix("GLIBC_")?
        .split('.')
        .map(|p| p.parse().ok())
        .collect()
}

/// What the Linux loader needs for `exe`: an `arch` PIE linking only
/// glibc's own libraries, none of their symbols newer than GLIBC_2.17.
fn check_linux_binary(exe: &[u8], arch: object::Architecture) {
    use object::read::elf::ElfFile64;
    use object::{Object, ObjectSection};
    let file = object::File::parse(exe).unwrap();
    assert_eq!(file.format(), object::BinaryFormat::Elf);
    assert_eq!(file.architecture(), arch);
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
    let elf = ElfFile64::<object::Endianness>::parse(exe).unwrap();
    let endian = elf.endian();
    let table = elf.elf_section_table().dynamic_table(endian, exe).unwrap();
    let needed: Vec<String> = table
        .iter()
        .filter(|d| d.tag == object::elf::DT_NEEDED)
        .map(|d| String::from_utf8_lossy(table.string(d).unwrap()).into_owned())
        .collect();
    assert!(needed.contains(&"libc.so.6".to_string()), "{needed:?}");
    // glibc's own libraries and loader (splunkd's library path holds its own
    // OpenSSL: never libssl or libcrypto).
    let glibc = [
        "libc.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "libm.so.6",
        "librt.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
    ];
    for lib in &needed {
        assert!(
            glibc.contains(&lib.as_str()),
            "needs {lib}, not part of glibc: {needed:?}"
        );
    }
}

/// What Windows needs for `exe`: an x86-64 console program (splunkd reads
/// its standard streams) importing only DLLs that every Windows Splunk
/// runs on has in System32, so no MinGW runtime (libgcc_s_seh-1.dll,
/// libwinpthread-1.dll) or Visual C++ redistributable.
fn check_windows_exe(exe: &[u8]) {
    use object::read::pe::{ImageNtHeaders, ImageOptionalHeader, PeFile64};
    use object::Object;
    let file = object::File::parse(exe).unwrap();
    assert_eq!(file.format(), object::BinaryFormat::Pe);
    assert_eq!(file.architecture(), object::Architecture::X86_64);
    assert_eq!(file.kind(), object::ObjectKind::Executable);
    let pe = PeFile64::parse(exe).unwrap();
    assert_eq!(
        pe.nt_headers().optional_header().subsystem(),
        object::pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
        "a console program"
    );
    let windows_own = [
        "kernel32.dll",
        "ntdll.dll",
        "advapi32.dll",
        "bcrypt.dll",
        "bcryptprimitives.dll",
        "ws2_32.dll",
        "userenv.dll",
        "msvcrt.dll",
        "crypt32.dll",
        "secur32.dll",
    ];
    let mut dlls: Vec<String> = pe
        .imports()
        .unwrap()
        .map(|i| String::from_utf8_lossy(i.unwrap().library()).to_ascii_lowercase())
        .collect();
    dlls.sort();
    dlls.dedup();
    assert!(dlls.contains(&"kernel32.dll".to_string()), "{dlls:?}");
    for dll in &dlls {
        // api-ms-win-*: API sets, which the loader maps to System32's DLLs.
        assert!(
            windows_own.contains(&dll.as_str()) || dll.starts_with("api-ms-win-core-"),
            "imports {dll}, which is not Windows' own: {dlls:?}"
        );
    }
}

#[test]
#[ignore = "needs the package from scripts/package; scripts/test runs it"]
fn release_binaries_need_only_what_their_platform_has() {
    let m = read_members(&release_package());
    check_linux_binary(
        &m[&format!("mattermost_metrics/{LINUX_EXE}")].data,
        object::Architecture::X86_64,
    );
    check_windows_exe(&m[&format!("mattermost_metrics/{WINDOWS_EXE}")].data);
}

#[test]
#[ignore = "needs the aarch64 archive from scripts/package; scripts/test runs it"]
fn standalone_aarch64_archive_holds_the_sender_and_its_unit() {
    let top = format!("mattermost_metrics_hec-{VERSION}-linux_aarch64");
    let archive = release_package().with_file_name(format!("{top}.tar.gz"));
    let m = read_members(&archive);
    let paths: Vec<&str> = m.keys().map(String::as_str).collect();
    let binary = format!("{top}/mattermost_metrics");
    let unit = format!("{top}/mattermost_metrics_hec.service");
    assert_eq!(paths, [format!("{top}/"), binary.clone(), unit.clone()]);
    for mem in m.values() {
        assert_eq!((mem.uid, mem.gid), (0, 0));
    }
    assert_eq!(m[&binary].mode, 0o755);
    assert_eq!(m[&unit].mode, 0o644);
    check_linux_binary(&m[&binary].data, object::Architecture::Aarch64);
    let repo_unit =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/mattermost_metrics_hec.service");
    assert_eq!(m[&unit].data, std::fs::read(repo_unit).unwrap());
}

#[test]
fn a_binary_of_another_platform_is_refused() {
    let out = temp_dir("refused");
    for (flag, folder) in [
        ("--windows", "windows_x86_64"),
        ("--linux-aarch64", "linux_aarch64"),
    ] {
        let r = std::process::Command::new(BIN)
            .args(["package", "--out"])
            .arg(&out)
            .args([flag, BIN])
            .output()
            .unwrap();
        assert!(!r.status.success(), "{flag} took a Linux x86-64 binary");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.starts_with("ERROR ") && err.contains(folder) && err.contains("X86_64"),
            "{err}"
        );
    }
    let r = std::process::Command::new(BIN)
        .args(["package", "--out"])
        .arg(&out)
        .args(["--binary", "Cargo.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!r.status.success(), "a text file as the Linux binary");
    assert!(String::from_utf8_lossy(&r.stderr).contains("linux_x86_64"));
}
