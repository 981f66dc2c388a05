//! The reference engine: a private Prometheus 2.42 (Debian package `prometheus`) serving the
//! synthetic data, and a small client for its HTTP query API.
//!
//! How it is set up follows what was found to work on these machines (see the shared note
//! "Prometheus as the reference engine"): the data is turned into TSDB blocks by `promtool tsdb
//! create-blocks-from openmetrics`, then a `prometheus` process is started on a free loopback
//! port with its own data directory, an empty scrape configuration and
//! `--storage.tsdb.retention.time=100y` (with the default 15 days, blocks whose timestamps lie
//! further back than that would be deleted at start-up and every query would return nothing).
//! The system's `prometheus.service` is never used, started or stopped.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

/// What to tell the user when a binary is missing.
const INSTALL_HINT: &str = "run scripts/differential, which installs them \
     (apt-get install --no-install-recommends prometheus)";

/// One series of a query answer.
#[derive(Clone, Debug, PartialEq)]
pub struct PromSeries {
    pub labels: BTreeMap<String, String>,
    /// (evaluation time in s, value); `NaN`, `+Inf`, `-Inf` are kept as such.
    pub points: Vec<(i64, f64)>,
}

/// HTTP client of a Prometheus query API. Cheap to clone (the agent is shared).
#[derive(Clone)]
pub struct PromClient {
    base: String,
    agent: ureq::Agent,
}

impl PromClient {
    /// A client of the Prometheus at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> PromClient {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            // Prometheus answers 400/422 with a JSON body that says what is wrong: read it.
            .http_status_as_error(false)
            // Never through a proxy from the environment: this is a loopback address.
            .proxy(None)
            .build()
            .new_agent();
        PromClient {
            base: base.trim_end_matches('/').to_string(),
            agent,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `/api/v1/query_range`: `expr` evaluated at `start_s, start_s + step_s, ... <= end_s`.
    pub fn query_range(
        &self,
        expr: &str,
        start_s: i64,
        end_s: i64,
        step_s: i64,
    ) -> Result<Vec<PromSeries>> {
        let data = self
            .get(
                "/api/v1/query_range",
                &[
                    ("query", expr.to_string()),
                    ("start", start_s.to_string()),
                    ("end", end_s.to_string()),
                    ("step", step_s.to_string()),
                ],
            )
            .with_context(|| {
                format!("query_range {expr:?} start={start_s} end={end_s} step={step_s}")
            })?;
        parse_result(&data).with_context(|| format!("answer to query_range {expr:?}"))
    }

    /// `/api/v1/query`: `expr` evaluated at `time_s`. A scalar answer is one series without
    /// labels.
    pub fn query(&self, expr: &str, time_s: i64) -> Result<Vec<PromSeries>> {
        let data = self
            .get(
                "/api/v1/query",
                &[("query", expr.to_string()), ("time", time_s.to_string())],
            )
            .with_context(|| format!("query {expr:?} time={time_s}"))?;
        parse_result(&data).with_context(|| format!("answer to query {expr:?}"))
    }

    /// GET `path` with `params`; the `data` member of a `"status": "success"` answer.
    fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Value> {
        let mut req = self.agent.get(format!("{}{}", self.base, path));
        for (k, v) in params {
            req = req.query(*k, v);
        }
        let mut resp = req
            .call()
            .with_context(|| format!("GET {}{}", self.base, path))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .context("reading the answer")?;
        let json: Value = serde_json::from_str(&text)
            .with_context(|| format!("HTTP {status}: not JSON: {}", truncate(&text, 300)))?;
        if json["status"] != "success" {
            bail!(
                "HTTP {status}: {} ({})",
                json["error"].as_str().unwrap_or("no error message"),
                json["errorType"].as_str().unwrap_or("?")
            );
        }
        Ok(json["data"].clone())
    }
}

/// Parses the `data` of a query answer (`matrix`, `vector` or `scalar`).
pub fn parse_result(data: &Value) -> Result<Vec<PromSeries>> {
    let kind = data["resultType"]
        .as_str()
        .ok_or_else(|| anyhow!("no resultType"))?;
    let result = &data["result"];
    let labels_of = |v: &Value| -> Result<BTreeMap<String, String>> {
        let obj = v["metric"]
            .as_object()
            .ok_or_else(|| anyhow!("series without `metric`"))?;
        obj.iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .ok_or_else(|| anyhow!("label {k} is not a string"))?;
                Ok((k.clone(), v.to_string()))
            })
            .collect()
    };
    match kind {
        "matrix" => result
            .as_array()
            .ok_or_else(|| anyhow!("matrix result is not an array"))?
            .iter()
            .map(|s| {
                let points = s["values"]
                    .as_array()
                    .ok_or_else(|| anyhow!("series without `values`"))?
                    .iter()
                    .map(parse_point)
                    .collect::<Result<Vec<_>>>()?;
                Ok(PromSeries {
                    labels: labels_of(s)?,
                    points,
                })
            })
            .collect(),
        "vector" => result
            .as_array()
            .ok_or_else(|| anyhow!("vector result is not an array"))?
            .iter()
            .map(|s| {
                Ok(PromSeries {
                    labels: labels_of(s)?,
                    points: vec![parse_point(&s["value"])?],
                })
            })
            .collect(),
        "scalar" => Ok(vec![PromSeries {
            labels: BTreeMap::new(),
            points: vec![parse_point(result)?],
        }]),
        other => bail!("unsupported resultType {other:?}"),
    }
}

/// `[1767226800, "0.25"]` -> (1767226800, 0.25). Times in the API are float seconds; ours are
/// whole seconds.
fn parse_point(p: &Value) -> Result<(i64, f64)> {
    let t = p[0]
        .as_f64()
        .ok_or_else(|| anyhow!("point without a time: {p}"))?;
    let v = p[1]
        .as_str()
        .ok_or_else(|| anyhow!("point value is not a string: {p}"))?;
    Ok((t.round() as i64, parse_value(v)?))
}

/// Prometheus' sample values: Go floats, with `NaN`, `+Inf`, `-Inf`.
pub fn parse_value(v: &str) -> Result<f64> {
    Ok(match v {
        "NaN" => f64::NAN,
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => v
            .parse::<f64>()
            .with_context(|| format!("bad sample value {v:?}"))?,
    })
}

/// A running private Prometheus with the data loaded; stopped (killed) when dropped, and its
/// temporary directory removed (kept when `DIFFERENTIAL_KEEP` is set, for debugging).
pub struct Prometheus {
    client: PromClient,
    child: Child,
    dir: PathBuf,
    /// Wall time of `promtool tsdb create-blocks-from openmetrics`.
    pub promtool_time: Duration,
    /// Wall time from spawning `prometheus` to `/-/ready`.
    pub startup_time: Duration,
}

impl std::ops::Deref for Prometheus {
    type Target = PromClient;
    fn deref(&self) -> &PromClient {
        &self.client
    }
}

impl Prometheus {
    /// Writes `openmetrics` to a temporary directory under `target/`, builds TSDB blocks from
    /// it with promtool, starts prometheus on a free loopback port and waits until it is ready.
    pub fn start(openmetrics: &str) -> Result<Prometheus> {
        let promtool = find_binary("promtool")?;
        let prometheus = find_binary("prometheus")?;

        let dir = temp_dir()?;
        let input = dir.join("data.om");
        let data = dir.join("data");
        std::fs::write(&input, openmetrics)
            .with_context(|| format!("writing {}", input.display()))?;

        let t0 = Instant::now();
        let out = Command::new(&promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&input)
            .arg(&data)
            .output()
            .with_context(|| format!("running {}", promtool.display()))?;
        let promtool_time = t0.elapsed();
        if !out.status.success() {
            bail!(
                "promtool tsdb create-blocks-from openmetrics failed ({}):\n{}\n{}",
                out.status,
                truncate(&String::from_utf8_lossy(&out.stdout), 2000),
                truncate(&String::from_utf8_lossy(&out.stderr), 2000)
            );
        }
        // The blocks hold everything now; the text is large.
        let _ = std::fs::remove_file(&input);

        let config = dir.join("prometheus.yml");
        std::fs::write(&config, "global: {}\nscrape_configs: []\n")
            .context("writing prometheus.yml")?;

        // A free port: bind :0, read the port, release it. Another process could take it in
        // between; then prometheus exits and we try again with another port.
        let mut last_err = None;
        for _attempt in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .context("finding a free port")?
                .port();
            let log_path = dir.join(format!("prometheus-{port}.log"));
            let log = std::fs::File::create(&log_path).context("creating the prometheus log")?;
            let t1 = Instant::now();
            let mut child = Command::new(&prometheus)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg("--storage.tsdb.retention.time=100y")
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--log.level=warn")
                .stdin(Stdio::null())
                .stdout(log.try_clone().context("log handle")?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", prometheus.display()))?;
            let client = PromClient::new(&format!("http://127.0.0.1:{port}"));
            match wait_ready(&mut child, &client, &log_path) {
                Ok(()) => {
                    return Ok(Prometheus {
                        client,
                        child,
                        dir,
                        promtool_time,
                        startup_time: t1.elapsed(),
                    });
                }
                Err(e) => {
                    // Our own child, by its handle.
                    let _ = child.kill();
                    let _ = child.wait();
                    last_err = Some(e);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(last_err.unwrap_or_else(|| anyhow!("prometheus did not start")))
    }

    /// A client sharing this server (for code that must not own the process).
    pub fn client(&self) -> PromClient {
        self.client.clone()
    }

    /// The temporary directory (blocks, config, log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // Our own child, by its handle: never anything found by name.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::env::var_os("DIFFERENTIAL_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Polls `/-/ready` until it answers 200 (up to 60 s), failing early if the process exits.
fn wait_ready(child: &mut Child, client: &PromClient, log_path: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = format!("{}/-/ready", client.base);
    loop {
        if let Some(status) = child.try_wait().context("checking prometheus")? {
            bail!(
                "prometheus exited ({status}) before it was ready; its log:\n{}",
                read_log(log_path)
            );
        }
        if let Ok(resp) = client.agent.get(&url).call() {
            if resp.status() == 200 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!(
                "prometheus not ready after 60 s; its log:\n{}",
                read_log(log_path)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `name` on the PATH (also /usr/bin and /usr/sbin, where Debian puts them), or a clear error.
fn find_binary(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push(PathBuf::from("/usr/bin"));
    dirs.push(PathBuf::from("/usr/sbin"));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!("`{name}` not found on PATH: {INSTALL_HINT}"))
}

/// A fresh directory `target/differential/run-<pid>-<nanos>`.
fn temp_dir() -> Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = target
        .join("differential")
        .join(format!("run-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn read_log(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    let tail: Vec<&str> = s.lines().rev().take(30).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}
