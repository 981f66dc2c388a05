//! Every file a comment or a doc names exists: a doc comment that points a
//! reader at `src/package.rs` after it became `src/package/mod.rs`, or at
//! a design note outside the repository, sends the next engineer looking
//! for what is not there.
//!
//! Scanned: the Rust sources (`src/`, `tests/`, `benches/`, `examples/`,
//! `build.rs`), `README.md`, `CHANGELOG.md`, `docs/`, `scripts/` and
//! `.ci/`. A path is a word that starts with one of the repository's
//! top-level folders (`src/`, `tests/`, `docs/`, ...) and ends with a file
//! name; words with a placeholder (`<version>`, `*`, `{`, `$`) are patterns,
//! not paths, and are left alone. An absolute path into this machine's
//! workspace is always wrong.

use std::fs;
use std::path::{Path, PathBuf};

use test_support::root;

/// The repository's files worth scanning, relative to the root.
fn scanned() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = [
        "src", "tests", "benches", "examples", "docs", "scripts", ".ci",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    for f in ["build.rs", "README.md", "CHANGELOG.md", "Cargo.toml"] {
        out.push(PathBuf::from(f));
    }
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(root().join(&dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let rel = dir.join(e.file_name());
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                // Fixtures are data (Grafana's JSON, scrapes), not prose.
                if name != "fixtures" {
                    stack.push(rel);
                }
            } else if [".rs", ".md", ".sh", ".toml"]
                .iter()
                .any(|ext| name.ends_with(ext))
                || dir.starts_with("scripts")
                || dir.starts_with(".ci")
            {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

const TOP: &[&str] = &[
    "src/",
    "tests/",
    "benches/",
    "docs/",
    "scripts/",
    "splunk_app/",
    "dashboards/",
    "alerts/",
    "examples/",
    ".ci/",
];

/// The paths `text` names: words starting with a top-level folder whose
/// last part has a file extension.
fn named_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| {
        c.is_whitespace() || matches!(c, '`' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | ';')
    }) {
        let word = word.trim_end_matches(['.', ':', '!', '?']);
        let Some(start) = TOP.iter().find_map(|t| {
            word.find(t)
                .filter(|&i| i == 0 || word.as_bytes()[i - 1] == b'/')
        }) else {
            continue;
        };
        // `../tests/x` or `/abs/src/x`: only paths from the root are checked.
        if start > 0 && !word.starts_with("./") {
            continue;
        }
        let path = &word[start..];
        if path.contains(['<', '*', '{', '$', '#', '%', '|', '\\']) || path.contains("..") {
            continue;
        }
        let last = path.rsplit('/').next().unwrap_or("");
        if !last.contains('.') || last.ends_with('.') {
            continue;
        }
        // `dashboards/specs/NAME.json`: a placeholder in capitals.
        let stem = last.split('.').next().unwrap_or("");
        if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            continue;
        }
        out.push(path.to_string());
    }
    out
}

#[test]
fn named_paths_are_found_in_words() {
    assert_eq!(
        named_paths("see `src/package/mod.rs`, (tests/support/spl/mod.rs) and docs/hec.md."),
        [
            "src/package/mod.rs",
            "tests/support/spl/mod.rs",
            "docs/hec.md"
        ]
    );
    assert!(named_paths("dist/mattermost_metrics-<version>.tgz src/spl/ target/x").is_empty());
    assert!(named_paths("dashboards/specs/NAME.json").is_empty());
    assert!(named_paths("../shared/reference/x.md /opt/src/a.rs").is_empty());
}

#[test]
fn absolute_paths_into_the_workspace_are_found_where_they_exist() {
    let root = root();
    let workspace = format!("{}/", root.parent().unwrap().display());
    let repo = root.file_name().unwrap().to_str().unwrap().to_string();
    let line = format!("as the note at {}/docs/hec.md says", root.display());
    assert_eq!(into_workspace(&line, &workspace), Some(repo));
    let absent = format!("--out {workspace}no-such-entry-here.prom");
    assert_eq!(into_workspace(&absent, &workspace), None);
}

/// The first entry of `workspace` (the folder the repository sits in, with
/// a trailing `/`) that `line` names by an absolute path and that exists on
/// this machine: the repository itself, or a folder beside it. Where the
/// repository is cloned into `/tmp`, `/tmp/x.prom` in an example is not
/// one (nothing of that name is there).
fn into_workspace(line: &str, workspace: &str) -> Option<String> {
    if workspace.len() <= 1 {
        return None;
    }
    line.match_indices(workspace).find_map(|(i, _)| {
        let entry: String = line[i + workspace.len()..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '/' | '`' | '"' | ')' | ','))
            .collect();
        (!entry.is_empty() && Path::new(workspace).join(&entry).exists()).then_some(entry)
    })
}

#[test]
fn every_file_a_comment_or_doc_names_exists() {
    let root = root();
    let workspace = root
        .parent()
        .map(|p| p.display().to_string() + "/")
        .unwrap_or_default();
    let mut missing = Vec::new();
    let files = scanned();
    assert!(files.len() > 100, "scanned {} files", files.len());
    for rel in &files {
        // This file names wrong paths on purpose, to test the finder.
        if rel == Path::new("tests/doc_paths.rs") {
            continue;
        }
        let Ok(text) = fs::read_to_string(root.join(rel)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if let Some(entry) = into_workspace(line, &workspace) {
                missing.push(format!(
                    "{}:{}: an absolute path into this machine's workspace ({workspace}{entry})",
                    rel.display(),
                    n + 1
                ));
            }
            for p in named_paths(line) {
                if !root.join(&p).exists() {
                    missing.push(format!("{}:{}: {p}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} named path(s) do not exist:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
