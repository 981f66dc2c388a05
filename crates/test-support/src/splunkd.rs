//! splunkd's side of the modular-input protocol, for tests: start the
//! binary as splunkd does (argument, XML on stdin), read what it writes
//! back with a real XML parser, and a fake management port for the REST
//! calls it makes (storage/passwords, data/inputs).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
    pub elapsed: Duration,
}

/// Runs the binary with `args`, `stdin` on its standard input, as splunkd would.
pub fn run_binary(bin: &str, args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    run_command(cmd, stdin)
}

/// Runs `cmd` (a binary and its arguments, maybe under an emulator) as
/// splunkd would, `stdin` on its standard input.
pub fn run_command(mut cmd: Command, stdin: &str) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        code: out.status.code(),
        elapsed: start.elapsed(),
    }
}

/// An `<input>` document for one stanza.
/// The settings splunkd passes for an input of ours with `url`, as
/// inputs.conf and the stanza's defaults give them, then `extra`.
pub fn input_params<'a>(url: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("url", url),
        ("interval", "60"),
        ("index", "wss_metrics"),
        ("sourcetype", "mattermost:metrics"),
        ("host", "hf1"),
        ("disabled", "0"),
    ];
    params.extend_from_slice(extra);
    params
}

pub fn input_xml(server_uri: &str, name: &str, params: &[(&str, &str)]) -> String {
    input_xml_in_app(server_uri, "mattermost_metrics", name, params)
}

/// An `<input>` document for one stanza that lives in `app`'s inputs.conf
/// (an input created from another app's context).
pub fn input_xml_in_app(
    server_uri: &str,
    app: &str,
    name: &str,
    params: &[(&str, &str)],
) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<input>\n  <server_host>hf1</server_host>\n  <server_uri>{server_uri}</server_uri>\n  <session_key>SESSIONKEY123</session_key>\n  <checkpoint_dir>/tmp</checkpoint_dir>\n  <configuration>\n    <stanza name=\"mattermost_metrics://{name}\" app=\"{app}\">\n"
    );
    for (k, v) in params {
        x.push_str(&format!(
            "      <param name=\"{k}\">{}</param>\n",
            escape(v)
        ));
    }
    x.push_str("    </stanza>\n  </configuration>\n</input>\n");
    x
}

/// An `<items>` document (validation) for one item.
pub fn items_xml(server_uri: &str, name: &str, params: &[(&str, &str)]) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<items>\n  <server_host>hf1</server_host>\n  <server_uri>{server_uri}</server_uri>\n  <session_key>SESSIONKEY123</session_key>\n  <checkpoint_dir>/tmp</checkpoint_dir>\n  <item name=\"{name}\">\n"
    );
    for (k, v) in params {
        x.push_str(&format!("    <param name=\"{k}\">{}</param>\n", escape(v)));
    }
    x.push_str("  </item>\n</items>\n");
    x
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One `<event>` of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub stanza: String,
    pub time: String,
    pub source: Option<String>,
    pub sourcetype: Option<String>,
    pub index: Option<String>,
    pub host: Option<String>,
    pub data: String,
}

/// Parses the `<stream>` with a real XML parser and checks its shape
/// (element names and order as in the SDKs' event fixtures).
pub fn parse_stream(xml: &str) -> Vec<Event> {
    let doc = roxmltree::Document::parse(xml)
        .unwrap_or_else(|e| panic!("the stream is not valid XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "stream");
    let mut events = Vec::new();
    for ev in root.children().filter(|n| n.is_element()) {
        assert_eq!(ev.tag_name().name(), "event");
        assert_eq!(ev.attribute("unbroken"), Some("1"));
        let mut e = Event {
            stanza: ev
                .attribute("stanza")
                .expect("stanza attribute")
                .to_string(),
            time: String::new(),
            source: None,
            sourcetype: None,
            index: None,
            host: None,
            data: String::new(),
        };
        let names: Vec<&str> = ev
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name())
            .collect();
        let order = [
            "time",
            "source",
            "sourcetype",
            "index",
            "host",
            "data",
            "done",
        ];
        let mut last = 0;
        for n in &names {
            let pos = order
                .iter()
                .position(|o| o == n)
                .unwrap_or_else(|| panic!("unknown element <{n}>"));
            assert!(pos >= last, "elements out of order: {names:?}");
            last = pos;
        }
        assert_eq!(names.last(), Some(&"done"));
        for c in ev.children().filter(|n| n.is_element()) {
            let text = c.text().unwrap_or("").to_string();
            match c.tag_name().name() {
                "time" => e.time = text,
                "source" => e.source = Some(text),
                "sourcetype" => e.sourcetype = Some(text),
                "index" => e.index = Some(text),
                "host" => e.host = Some(text),
                "data" => e.data = text,
                _ => {}
            }
        }
        events.push(e);
    }
    events
}

/// A request the fake splunkd received.
#[derive(Debug, Clone)]
pub struct RestCall {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// (app namespace, `storage/passwords` entity) -> password.
type Passwords = HashMap<(String, String), String>;

/// A fake splunkd management port: plain HTTP on 127.0.0.1, serving
/// `storage/passwords` from a map that keeps each app's secrets apart (as
/// splunkd keeps them in each app's passwords.conf), and accepting
/// `data/inputs` updates in any app.
pub struct FakeSplunkd {
    pub uri: String,
    pub calls: Arc<Mutex<Vec<RestCall>>>,
    pub passwords: Arc<Mutex<Passwords>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl FakeSplunkd {
    pub fn start() -> FakeSplunkd {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let passwords: Arc<Mutex<Passwords>> = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (c, p, s) = (calls.clone(), passwords.clone(), stop.clone());
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &c, &p),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeSplunkd {
            uri,
            calls,
            passwords,
            stop,
        }
    }

    pub fn calls(&self) -> Vec<RestCall> {
        self.calls.lock().unwrap().clone()
    }

    /// The secret stored in `app`'s namespace under `entity`.
    pub fn secret(&self, app: &str, entity: &str) -> Option<String> {
        self.passwords
            .lock()
            .unwrap()
            .get(&(app.to_string(), entity.to_string()))
            .cloned()
    }
}

impl Drop for FakeSplunkd {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn form(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn serve(stream: TcpStream, calls: &Mutex<Vec<RestCall>>, passwords: &Mutex<Passwords>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut len = 0usize;
    let mut authorization = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().unwrap_or(0),
            "authorization" => authorization = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    let _ = r.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    calls.lock().unwrap().push(RestCall {
        method: method.clone(),
        path: path.clone(),
        authorization: authorization.clone(),
        body: body.clone(),
    });

    let (status, answer) = if authorization.as_deref() != Some("Splunk SESSIONKEY123") {
        (
            401,
            "{\"messages\":[{\"type\":\"WARN\",\"text\":\"call not properly authenticated\"}]}"
                .to_string(),
        )
    } else if let Some((app, rest)) = path
        .split('?')
        .next()
        .unwrap_or("")
        .strip_prefix("/servicesNS/nobody/")
        .and_then(|p| p.split_once("/storage/passwords"))
    {
        let app = percent_decode(app);
        let entity = percent_decode(rest.trim_start_matches('/'));
        let mut pw = passwords.lock().unwrap();
        match (method.as_str(), entity.is_empty()) {
            ("GET", false) => match pw.get(&(app, entity.clone())) {
                Some(p) => (200, format!("{{\"entry\":[{{\"name\":\"{entity}\",\"content\":{{\"clear_password\":{}}}}}]}}", serde_json::to_string(p).unwrap())),
                None => (404, "{\"messages\":[]}".to_string()),
            },
            ("POST", true) => {
                let f = form(&body);
                let key = (app, format!("{}:{}:", f["realm"], f["name"]));
                match pw.entry(key) {
                    std::collections::hash_map::Entry::Occupied(_) => (409, "{}".to_string()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(f["password"].clone());
                        (201, "{}".to_string())
                    }
                }
            }
            ("POST", false) => {
                let f = form(&body);
                pw.insert((app, entity), f["password"].clone());
                (200, "{}".to_string())
            }
            _ => (400, "{}".to_string()),
        }
    } else if path
        .strip_prefix("/servicesNS/nobody/")
        .and_then(|p| p.split_once('/'))
        .is_some_and(|(_, p)| p.starts_with("data/inputs/mattermost_metrics/"))
        && method == "POST"
    {
        (200, "{}".to_string())
    } else {
        (404, "{}".to_string())
    };
    let mut s = stream;
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
