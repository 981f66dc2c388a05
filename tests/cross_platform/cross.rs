//! Running the binaries built for other platforms on this Linux x86-64
//! machine: the Windows .exe under Wine (Debian's `wine64`), the aarch64
//! binary under qemu's user-mode emulator (`qemu-aarch64-static`, with
//! Debian's aarch64 glibc from `libc6-arm64-cross`). scripts/test installs
//! both.
//!
//! Wine runs in a prefix of the tests' own (under `CARGO_TARGET_TMPDIR`),
//! never the user's. Wine 8.0 has no `bcryptprimitives.dll`, whose
//! `ProcessPrng` Rust's standard library imports on Windows: the prefix
//! gets a stand-in (`wine/bcryptprimitives.c`, built with MinGW-w64 into
//! its `C:\windows\system32`, where Windows keeps the real one). It is test
//! support only: the package ships the .exe alone, which runs unchanged.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// How a binary of another platform is started here.
#[derive(Clone, Debug)]
pub enum Emulator {
    Wine,
    Qemu,
}

/// A binary of another platform and the emulator that runs it.
#[derive(Clone, Debug)]
pub struct Foreign {
    pub exe: PathBuf,
    pub emulator: Emulator,
}

const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";
const QEMU: &str = "qemu-aarch64-static";
/// Where Debian's libc6-arm64-cross puts the aarch64 loader and glibc.
const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

impl Foreign {
    pub fn wine(exe: &Path) -> Foreign {
        wine_prefix();
        Foreign {
            exe: exe.to_path_buf(),
            emulator: Emulator::Wine,
        }
    }

    pub fn qemu(exe: &Path) -> Foreign {
        assert!(
            Path::new(AARCH64_SYSROOT)
                .join("lib/ld-linux-aarch64.so.1")
                .exists(),
            "no aarch64 glibc in {AARCH64_SYSROOT}: apt-get install libc6-arm64-cross (scripts/test does)"
        );
        Foreign {
            exe: exe.to_path_buf(),
            emulator: Emulator::Qemu,
        }
    }

    /// The command that runs the binary with `args`, as the platform would
    /// (the process it starts is the binary's own: signals reach it).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = match self.emulator {
            Emulator::Wine => {
                let mut c = Command::new(WINE);
                wine_env(&mut c);
                c
            }
            Emulator::Qemu => {
                let mut c = Command::new(QEMU);
                // The loader and glibc from the sysroot, all of them: with
                // only -L, the loader finds the host's ld.so.cache and may
                // take the libc of an installed libc6:arm64, of another
                // build, which hangs at the first thread.
                c.args(["-L", AARCH64_SYSROOT, "-E"])
                    .arg(format!("LD_LIBRARY_PATH={AARCH64_SYSROOT}/lib"));
                c
            }
        };
        cmd.arg(&self.exe).args(args);
        cmd
    }

    /// How the platform asks a console program to stop: Ctrl-C on Windows
    /// (Wine turns SIGINT into CTRL_C_EVENT for the console handlers),
    /// SIGTERM on Linux (qemu passes it to the guest).
    pub fn stop_signal(&self) -> (&'static str, &'static str) {
        match self.emulator {
            Emulator::Wine => ("INT", "Ctrl-C"),
            Emulator::Qemu => ("TERM", "SIGTERM"),
        }
    }

    /// `path` as the binary sees it: on Windows a drive path (Wine's Z:
    /// is the Unix root).
    pub fn path_arg(&self, path: &Path) -> String {
        let p = path.to_str().expect("a UTF-8 path");
        match self.emulator {
            Emulator::Wine => format!("Z:{}", p.replace('/', "\\")),
            Emulator::Qemu => p.to_string(),
        }
    }
}

fn wine_env(c: &mut Command) {
    wine_env_of(c, wine_prefix());
}

fn wine_env_of(c: &mut Command, prefix: &Path) {
    c.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        // No Mono or Gecko: wineboot would offer to download them.
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
}

/// Runs a Wine tool in `prefix` with no standard streams of ours: the
/// daemons it starts would hold them open long after it ends.
fn wine_tool(prefix: &Path, program: &str, args: &[&str]) -> std::process::ExitStatus {
    let mut c = Command::new(program);
    wine_env_of(&mut c, prefix);
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"))
}

/// The tests' Wine prefix, made once per test process, with the
/// stand-in bcryptprimitives.dll built into it.
pub fn wine_prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        assert!(
            Path::new(WINE).exists(),
            "no {WINE}: apt-get install wine64 (scripts/test does)"
        );
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wine-prefix");
        let system32 = prefix.join("drive_c/windows/system32");
        if !system32.join("kernel32.dll").exists() {
            let s = wine_tool(&prefix, WINE, &["wineboot", "--init"]);
            assert!(s.success(), "wineboot --init: {s}");
            // wineboot returns before the prefix is written out.
            let s = wine_tool(&prefix, WINESERVER, &["-w"]);
            assert!(s.success(), "wineserver -w: {s}");
        }
        // One server and one set of Wine's services for all the tests,
        // kept a minute after the last: each program started then finds
        // them running (and its pipes close when it ends, not when they do).
        // A server already running for the prefix serves as well.
        wine_tool(&prefix, WINESERVER, &["-p60"]);
        let s = wine_tool(&prefix, WINE, &["wineboot"]);
        assert!(s.success(), "wineboot: {s}");
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cross_platform/wine/bcryptprimitives.c");
        let out = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-s", "-static-libgcc", "-o"])
            .arg(system32.join("bcryptprimitives.dll"))
            .arg(&source)
            .arg("-ladvapi32")
            .output()
            .expect(
                "x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64) builds the ProcessPrng stand-in",
            );
        assert!(
            out.status.success(),
            "building the ProcessPrng stand-in: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        prefix
    })
}
