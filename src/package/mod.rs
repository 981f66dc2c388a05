//! The Splunk app package: `mattermost_metrics-<version>.tgz`.
//!
//! The app's static files are embedded in the binary by `build.rs`; the
//! binary adds its own executable, the icons it draws, and the version
//! from Cargo.toml where the files say `@VERSION@` / `@BUILD@`. The archive
//! is reproducible: entries in a fixed order, one fixed mtime, owner and
//! group 0, a gzip header without time or name. Files are 0644, folders
//! 0755, and only the executable is 0755.

mod icon;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

include!(concat!(env!("OUT_DIR"), "/app_files.rs"));

/// The app id: the archive's top folder, app.conf's `[package] id`.
pub const APP_ID: &str = "mattermost_metrics";
/// Where splunkd looks for the executable on Linux x86-64.
pub const EXECUTABLE: &str = "linux_x86_64/bin/mattermost_metrics";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The mtime of every entry: 2024-01-01T00:00:00Z.
const MTIME: u64 = 1_704_067_200;

/// The `build` number of app.conf, from the version: 1.2.3 -> 10203.
pub fn build_number() -> u64 {
    VERSION
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| p.parse::<u64>().unwrap_or(0))
        .fold(0, |n, p| n * 100 + p)
}

/// The package's file name.
pub fn file_name() -> String {
    format!("{APP_ID}-{VERSION}.tgz")
}

/// One file of the package: path inside the app folder, mode, contents.
pub struct Entry {
    pub path: String,
    pub mode: u32,
    pub data: Vec<u8>,
}

fn is_text(path: &str) -> bool {
    [
        ".conf",
        ".xml",
        ".spec",
        ".meta",
        ".txt",
        ".md",
        ".manifest",
    ]
    .iter()
    .any(|e| path.ends_with(e))
}

/// A static file's mode: 0755 for a script of `bin/` that splunkd runs
/// directly (the alert action's), 0644 for everything else.
pub fn mode_of(path: &str) -> u32 {
    if path.starts_with("bin/") && path.ends_with(".sh") {
        0o755
    } else {
        0o644
    }
}

/// Every file of the app, sorted by path, with `executable` as the binary.
pub fn entries(executable: Vec<u8>) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (path, data) in APP_FILES {
        let data = if is_text(path) {
            let text = std::str::from_utf8(data).with_context(|| format!("{path} is not UTF-8"))?;
            text.replace("@VERSION@", VERSION)
                .replace("@BUILD@", &build_number().to_string())
                .into_bytes()
        } else {
            data.to_vec()
        };
        out.push(Entry {
            path: path.to_string(),
            mode: mode_of(path),
            data,
        });
    }
    // Splunk shows the plain icons; the Alt ones (for dark backgrounds) are
    // the same drawing. Each size is drawn once.
    for (size, names) in [
        (36, ["static/appIcon.png", "static/appIconAlt.png"]),
        (72, ["static/appIcon_2x.png", "static/appIconAlt_2x.png"]),
    ] {
        let png = icon::png(size)?;
        for path in names {
            out.push(Entry {
                path: path.into(),
                mode: 0o644,
                data: png.clone(),
            });
        }
    }
    out.push(Entry {
        path: EXECUTABLE.into(),
        mode: 0o755,
        data: executable,
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Writes the package of `executable` into `out_dir`; returns its path.
pub fn write(executable: Vec<u8>, out_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let path = out_dir.join(file_name());
    let bytes = archive(&entries(executable)?)?;
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The .tgz bytes of `entries` under the folder `APP_ID/`.
pub fn archive(entries: &[Entry]) -> Result<Vec<u8>> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut dirs: Vec<String> = vec![format!("{APP_ID}/")];
    for e in entries {
        let mut prefix = String::new();
        for part in e
            .path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|(_, d)| d.to_vec())
            .unwrap_or_default()
        {
            prefix.push_str(part);
            prefix.push('/');
            let d = format!("{APP_ID}/{prefix}");
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    dirs.sort();
    for d in &dirs {
        let mut h = header(tar::EntryType::Directory, 0o755, 0);
        tar.append_data(&mut h, d, std::io::empty())
            .context("adding a folder")?;
    }
    for e in entries {
        let mut h = header(tar::EntryType::Regular, e.mode, e.data.len() as u64);
        tar.append_data(&mut h, format!("{APP_ID}/{}", e.path), e.data.as_slice())
            .with_context(|| format!("adding {}", e.path))?;
    }
    let gz = tar.into_inner().context("finishing the tar")?;
    let mut bytes = gz.finish().context("finishing the gzip")?;
    bytes.flush()?;
    Ok(bytes)
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(MTIME);
    // Writing a short ASCII name cannot fail.
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h
}
