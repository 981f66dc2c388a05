//! The sender as the memory benchmarks run it, and what `/proc` says of it.

use std::process::{Child, Command, Stdio};

/// `mattermost_metrics hec ARGS` with an empty environment, stderr piped.
pub fn spawn_sender(bin: &str, args: &[&str]) -> Child {
    Command::new(bin)
        .arg("hec")
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the sender")
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`), in bytes.
pub fn status_kb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Open file descriptors of `pid`.
#[allow(dead_code)]
pub fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}
