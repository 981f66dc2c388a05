//! The layers the design promises, checked: which of the crate's modules
//! each module of the data path and of the compiler may use.
//!
//! "The PromQL parser knows nothing of Splunk, the SPL renderer nothing of
//! Grafana" (README, docs/developing.md) would be the compiler's to check
//! if each were its own crate; they are modules of one crate (the split
//! would mostly move files: docs/developing.md), so this test reads every
//! `crate::x` and `super::`-reaching path outside comments and fails on a
//! module used where the table below does not allow it.

use std::path::{Path, PathBuf};

/// Each checked module and the crate's modules it may use. The others
/// (the binary's front ends: `cli`, `modinput`, `hec`, ...) may use
/// anything.
const ALLOWED: &[(&str, &[&str])] = &[
    // The Prometheus format alone.
    ("exposition", &[]),
    ("convert", &["exposition"]),
    ("emit", &["convert", "exposition"]),
    // PromQL knows nothing of Splunk.
    ("promql", &[]),
    // SPL from PromQL, with the metric and dimension naming of `convert`;
    // nothing of Grafana, dashboards or alerts.
    ("spl", &["promql", "convert"]),
    ("dashboard", &["spl", "promql", "convert"]),
    ("alerts", &["spl", "promql", "convert"]),
];

/// `(line number, name)` of every top-level name of the crate the Rust
/// source `text` reaches, for a file whose module is `depth` levels below
/// the crate (1 for `src/values.rs` and `src/spl/mod.rs`, 2 for
/// `src/spl/plan.rs`), where `depth` times `super::` is the crate.
fn uses(text: &str, depth: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        // The next path, whichever of the two kinds comes first.
        while let Some(i) = [rest.find("crate::"), rest.find("super::")]
            .into_iter()
            .flatten()
            .min()
        {
            let at = &rest[i..];
            // The module the path reaches at the crate's top level, if any.
            let top = if let Some(after) = at.strip_prefix("crate::") {
                Some(after)
            } else {
                let mut after = at;
                let mut supers = 0;
                while let Some(a) = after.strip_prefix("super::") {
                    after = a;
                    supers += 1;
                }
                (supers >= depth).then_some(after)
            };
            if let Some(after) = top {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((n + 1, name));
                }
            }
            let skip = at.find("::").map_or(at.len(), |j| j + 2);
            rest = &at[skip..];
            // A run of `super::` is read once.
            while let Some(r) = rest.strip_prefix("super::") {
                rest = r;
            }
        }
    }
    out
}

/// The Rust files of a module and the depth of each one's module.
fn files(src: &Path, module: &str) -> Vec<(PathBuf, usize)> {
    let mut out = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        out.push((file, 1));
    }
    /// `dir` is a module `depth` levels below the crate.
    fn walk(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, usize)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, depth + 1, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let own = if p.file_name().is_some_and(|n| n == "mod.rs") {
                    depth
                } else {
                    depth + 1
                };
                out.push((p, own));
            }
        }
    }
    walk(&src.join(module), 1, &mut out);
    out
}

/// The crate's top-level modules: `src/<name>.rs` and `src/<name>/`.
fn top_modules(src: &Path) -> Vec<String> {
    std::fs::read_dir(src)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = p.file_stem()?.to_str()?.to_string();
            (p.is_dir() || p.extension().is_some_and(|x| x == "rs")).then_some(name)
        })
        .collect()
}

/// The uses of top-level modules (of `tops`) that `module` may not make.
fn violations(
    module: &str,
    allowed: &[&str],
    tops: &[String],
    text: &str,
    depth: usize,
) -> Vec<String> {
    uses(text, depth)
        .into_iter()
        .filter(|(_, used)| tops.contains(used))
        .filter(|(_, used)| used != module && !allowed.contains(&used.as_str()))
        .map(|(line, used)| format!("line {line}: uses `{used}`"))
        .collect()
}

#[test]
fn each_layer_uses_only_what_it_may() {
    let src = test_support::root().join("src");
    let tops = top_modules(&src);
    assert!(tops.iter().any(|t| t == "spl"), "{tops:?}");
    let mut found = Vec::new();
    for (module, allowed) in ALLOWED {
        let files = files(&src, module);
        assert!(!files.is_empty(), "no source for module {module}");
        for (path, depth) in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for v in violations(module, allowed, &tops, &text, depth) {
                found.push(format!("{}: {v}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "modules used across the layers (tests/layers.rs ALLOWED):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_reader_sees_crate_and_super_paths_but_not_comments() {
    let text = "use crate::spl::Query;\n\
                // crate::dashboard in a comment\n\
                let x = crate::hec::config::parse(); // crate::alerts\n\
                use super::super::splunk::Event;\n\
                let y = super::super::hec::x() + crate::splunk::y();\n\
                use super::ast::Expr;\n";
    let tops: Vec<String> = ["spl", "hec", "splunk", "promql"]
        .map(String::from)
        .to_vec();
    // In src/promql/lexer.rs (depth 2) `super::` is promql itself and
    // `super::super::` the crate.
    assert_eq!(
        violations("promql", &[], &tops, text, 2),
        vec![
            "line 1: uses `spl`".to_string(),
            "line 3: uses `hec`".to_string(),
            "line 4: uses `splunk`".to_string(),
            "line 5: uses `hec`".to_string(),
            "line 5: uses `splunk`".to_string(),
        ]
    );
    // One folder deeper, `super::super::` is still inside the module:
    // only `crate::` reaches out.
    assert_eq!(
        violations("promql", &["spl", "hec"], &tops, text, 3),
        vec!["line 5: uses `splunk`".to_string()]
    );
}
