//! The Splunk app package, `mattermost_metrics-<version>.tgz`, and the
//! standalone archives of the HEC sender for hosts with no Splunk.
//!
//! The app's static files are embedded in the binary by `build.rs`; the
//! binary adds the executables of each platform folder, the icons it draws,
//! and the version from Cargo.toml where the files say `@VERSION@` /
//! `@BUILD@`. The archives are reproducible: entries in a fixed order, one
//! fixed mtime, owner and group 0, a gzip header without time or name.
//! Files are 0644, folders 0755, and only the executables are 0755,
//! whatever the file system they were built on says.

mod icon;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

include!(concat!(env!("OUT_DIR"), "/app_files.rs"));

/// The app id: the archive's top folder, app.conf's `[package] id`.
pub const APP_ID: &str = "mattermost_metrics";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A platform the binary is built for: where its executable goes and what
/// that file must be.
#[derive(Debug)]
pub struct Platform {
    /// The platform folder, named as Splunk names it.
    pub folder: &'static str,
    /// The executable's file name.
    pub file_name: &'static str,
    format: object::BinaryFormat,
    arch: object::Architecture,
}

pub const LINUX_X86_64: Platform = Platform {
    folder: "linux_x86_64",
    file_name: "mattermost_metrics",
    format: object::BinaryFormat::Elf,
    arch: object::Architecture::X86_64,
};
pub const WINDOWS_X86_64: Platform = Platform {
    folder: "windows_x86_64",
    file_name: "mattermost_metrics.exe",
    format: object::BinaryFormat::Pe,
    arch: object::Architecture::X86_64,
};
/// Standalone only: Splunk documents no `linux_aarch64` platform folder
/// for an app's executables (docs/developing.md, "Platforms").
pub const LINUX_AARCH64: Platform = Platform {
    folder: "linux_aarch64",
    file_name: "mattermost_metrics",
    format: object::BinaryFormat::Elf,
    arch: object::Architecture::Aarch64,
};

/// The Linux input's path inside the app (a fixed name other tools rely on):
/// `LINUX_X86_64`'s folder, `bin`, its file name.
pub const EXECUTABLE: &str = "linux_x86_64/bin/mattermost_metrics";

/// The platform folders of the app, where splunkd looks for the input.
pub const APP_PLATFORMS: [&Platform; 2] = [&LINUX_X86_64, &WINDOWS_X86_64];

impl Platform {
    /// The executable's path inside the app: `<folder>/bin/<file>`.
    pub fn executable(&self) -> String {
        format!("{}/bin/{}", self.folder, self.file_name)
    }

    /// Refuses a file that is not an executable of this platform, so that
    /// no binary lands in another platform's folder.
    pub fn check(&self, exe: &[u8]) -> Result<()> {
        use object::Object;
        let file = object::File::parse(exe)
            .with_context(|| format!("not an executable for {}", self.folder))?;
        let (format, arch) = (file.format(), file.architecture());
        let kind = file.kind();
        let runnable = matches!(
            kind,
            object::ObjectKind::Executable | object::ObjectKind::Dynamic
        );
        if format != self.format || arch != self.arch || !runnable {
            bail!(
                "a {format:?} {arch:?} {kind:?} file, not a {:?} {:?} executable for {}",
                self.format,
                self.arch,
                self.folder
            );
        }
        Ok(())
    }
}

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

/// Every file of the app, sorted by path, with the executable of each
/// platform in `binaries`.
pub fn entries(binaries: Vec<(&Platform, Vec<u8>)>) -> Result<Vec<Entry>> {
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
    for (platform, data) in binaries {
        if !APP_PLATFORMS.iter().any(|p| p.folder == platform.folder) {
            bail!("{} is no platform folder of a Splunk app", platform.folder);
        }
        platform.check(&data)?;
        out.push(Entry {
            path: platform.executable(),
            mode: 0o755,
            data,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(w) = out.windows(2).find(|w| w[0].path == w[1].path) {
        bail!("{} given twice", w[0].path);
    }
    Ok(out)
}

/// Writes the app package of `binaries` into `out_dir`; returns its path.
pub fn write(binaries: Vec<(&Platform, Vec<u8>)>, out_dir: &Path) -> Result<PathBuf> {
    let bytes = archive(APP_ID, &entries(binaries)?)?;
    save(out_dir, &file_name(), &bytes)
}

/// The standalone archive's name (and top folder, without `.tar.gz`):
/// `mattermost_metrics_hec-<version>-<platform folder>`.
pub fn standalone_name(platform: &Platform) -> String {
    format!("{APP_ID}_hec-{VERSION}-{}", platform.folder)
}

/// The systemd unit shipped beside the standalone binary; its comments say
/// how to install both.
const SYSTEMD_UNIT: (&str, &[u8]) = (
    "mattermost_metrics_hec.service",
    include_bytes!("../../contrib/mattermost_metrics_hec.service"),
);

/// The HEC sender for a host with no Splunk (docs/hec.md, "Standalone
/// mode"): `<name>.tar.gz` holding the executable and its systemd unit
/// under the folder `<name>/`. Returns its path.
pub fn write_standalone(platform: &Platform, exe: Vec<u8>, out_dir: &Path) -> Result<PathBuf> {
    platform.check(&exe)?;
    let name = standalone_name(platform);
    let entries = [
        Entry {
            path: platform.file_name.into(),
            mode: 0o755,
            data: exe,
        },
        Entry {
            path: SYSTEMD_UNIT.0.into(),
            mode: 0o644,
            data: SYSTEMD_UNIT.1.to_vec(),
        },
    ];
    let bytes = archive(&name, &entries)?;
    save(out_dir, &format!("{name}.tar.gz"), &bytes)
}

fn save(out_dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let path = out_dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The .tgz bytes of `entries` under the folder `top/`.
pub fn archive(top: &str, entries: &[Entry]) -> Result<Vec<u8>> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut dirs: Vec<String> = vec![format!("{top}/")];
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
            let d = format!("{top}/{prefix}");
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
        tar.append_data(&mut h, format!("{top}/{}", e.path), e.data.as_slice())
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

#[cfg(test)]
mod executable_tests {
    #[test]
    fn the_fixed_executable_path_is_the_linux_platforms() {
        assert_eq!(super::EXECUTABLE, super::LINUX_X86_64.executable());
    }
}
