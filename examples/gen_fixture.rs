//! Regenerates the synthetic Mattermost scrape fixtures.
//!
//! The generator lives in `crates/test-support/src/mattermost_fixture.rs` (std only, deterministic) and
//! is shared with `tests/fixture_generator.rs`, which fails if the committed fixtures no longer
//! match what the generator produces.
//!
//! Regenerate both committed fixtures after changing the generator:
//!
//! ```sh
//! cargo run --example gen_fixture
//! ```
//!
//! This writes `tests/fixtures/mattermost.prom` (text format 0.0.4) and
//! `tests/fixtures/mattermost.openmetrics.txt` (OpenMetrics 1.0.0), both with the default
//! options (seed 42, scale 1).
//!
//! Write a single file instead, e.g. a ~5 MB scrape for benchmarks:
//!
//! ```sh
//! cargo run --release --example gen_fixture -- --scale 9 --out /tmp/mattermost-5mb.prom
//! cargo run --release --example gen_fixture -- --scale 9 --out /tmp/mm.om.txt --openmetrics
//! ```
//!
//! Options: `--scale N` (default 1), `--seed S` (default 42), `--openmetrics`, `--out FILE`.

use test_support::mattermost_fixture;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mattermost_fixture::{generate, FixtureOptions};
use test_support::exposition_text::Format;

fn usage() -> ExitCode {
    eprintln!("usage: gen_fixture [--scale N] [--seed S] [--openmetrics] [--out FILE]");
    eprintln!(
        "       without --out, regenerates tests/fixtures/mattermost.{{prom,openmetrics.txt}}"
    );
    ExitCode::from(2)
}

fn write(path: &Path, opts: &FixtureOptions) -> std::io::Result<()> {
    let body = generate(opts);
    std::fs::write(path, &body)?;
    let samples = body.lines().filter(|l| !l.starts_with('#')).count();
    println!(
        "wrote {} ({} bytes, {} sample lines, scale {}, seed {}, {})",
        path.display(),
        body.len(),
        samples,
        opts.scale,
        opts.seed,
        match opts.format {
            Format::OpenMetrics => "OpenMetrics 1.0.0",
            Format::Text => "text 0.0.4",
        }
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut opts = FixtureOptions::default();
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) if n > 0 => opts.scale = n,
                _ => return usage(),
            },
            "--seed" => match args.next().and_then(|v| v.parse().ok()) {
                Some(s) => opts.seed = s,
                None => return usage(),
            },
            "--openmetrics" => opts.format = Format::OpenMetrics,
            "--out" => match args.next() {
                Some(p) => out = Some(PathBuf::from(p)),
                None => return usage(),
            },
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }

    let result = match out {
        Some(path) => write(&path, &opts),
        None => {
            if opts != FixtureOptions::default() {
                eprintln!("--scale/--seed/--openmetrics need --out: the committed fixtures use the defaults");
                return usage();
            }
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
            write(&dir.join("mattermost.prom"), &opts).and_then(|_| {
                let om = FixtureOptions {
                    format: Format::OpenMetrics,
                    ..FixtureOptions::default()
                };
                write(&dir.join("mattermost.openmetrics.txt"), &om)
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_fixture: {e}");
            ExitCode::FAILURE
        }
    }
}
