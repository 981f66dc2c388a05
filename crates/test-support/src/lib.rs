//! What the tests and benches share, built once for all of them:
//!
//! - [`test_servers`]: scrape targets (plain, TLS with its own CA, slow,
//!   hanging, redirecting) and an HTTP proxy, on loopback.
//! - [`hec_receiver`]: an HTTP Event Collector that records what it is sent.
//! - [`loopback`]: the listener, threads and TLS both servers are built on.
//! - [`splunkd`]: splunkd's side of the modular input (the XML it writes,
//!   the management API the input calls back).
//! - [`splunk`]: our `props.conf` and `transforms.conf` applied as splunkd
//!   applies them, turning the input's events into metric data points.
//! - [`simplexml`]: a dashboard's searches resolved as Simple XML runs them.
//! - [`mattermost_fixture`]: realistic Mattermost scrapes, generated.
//! - [`exposition_text`]: the text formats as client_golang writes them, for
//!   every synthetic scrape.
//! - [`process`], [`bench_inputs`]: what the benches measure with.

pub mod bench_inputs;
pub mod exposition_text;
pub mod hec_receiver;
pub mod loopback;
pub mod mattermost_fixture;
pub mod process;
pub mod simplexml;
pub mod splunk;
pub mod splunkd;
pub mod test_servers;

use std::path::{Path, PathBuf};

/// The repository's root (this crate is `crates/test-support`), without
/// `..` in it: paths built on it read well in messages, and its parent is
/// the folder the repository sits in.
pub fn root() -> &'static Path {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        dir.canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
    })
}

/// `tests/fixtures/<name>`, whole.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = root().join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
