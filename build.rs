//! Embeds the Splunk app's static files in the binary.
//!
//! Everything under `splunk_app/` (as the app's folder) and the dashboards
//! under `dashboards/` (as `default/data/ui/views/`) become a table in
//! `$OUT_DIR/app_files.rs`, included by `src/package/mod.rs`. The binary can
//! then write its own app package (`mattermost_metrics package`) with no
//! file of the repo at hand, and what it packages is exactly what it was
//! built from: one source for each file.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, prefix: &str, only_xml: bool, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.expect("read_dir entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // no dotfiles in a Splunk app
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            collect(&path, &format!("{rel}/"), only_xml, out);
        } else if !only_xml || name.ends_with(".xml") {
            out.push((rel, path));
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("splunk_app"), "", false, &mut files);
    collect(
        &root.join("dashboards"),
        "default/data/ui/views/",
        true,
        &mut files,
    );
    // The licence the app's manifest names, at the app's root, from the
    // repo's own copy.
    files.push(("LICENSE".to_string(), root.join("LICENSE")));
    files.sort();
    let mut code = String::from(
        "/// The app's static files: (path inside the app folder, contents).\n\
         pub static APP_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, path) in &files {
        code.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("app_files.rs");
    fs::write(out, code).expect("write app_files.rs");
    println!("cargo:rerun-if-changed=splunk_app");
    println!("cargo:rerun-if-changed=dashboards");
    println!("cargo:rerun-if-changed=LICENSE");
    println!("cargo:rerun-if-changed=build.rs");
}
