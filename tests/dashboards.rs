//! The dashboards in `dashboards/`, checked without a Splunk:
//!
//! - each is a classic Simple XML form, `version="1.1"`;
//! - the performance dashboard has Grafana's five rows, in order, and every
//!   one of Grafana's 26 panel titles exactly once, in its row and in
//!   Grafana's order; each panel queries the metrics its Grafana panel
//!   queries, filters by the node selection, uses the computed span, carries
//!   the restart annotations, and has a log Y axis exactly where Grafana has
//!   one;
//! - every metric name a search uses (or a macro it calls) is one Mattermost
//!   exposes (`tests/fixtures/mattermost_metric_names.txt`) or one of the
//!   input's own health metrics (`health::METRICS`);
//! - every `$token$` is defined by an input, a `<set>` or an `<eval>`, and
//!   every token set is used;
//! - every search (and every macro) has balanced quotes, parentheses,
//!   subsearch brackets and macro backticks, reads its index through the
//!   app's macros and never names an index itself; every macro it calls is
//!   defined in `splunk_app/default/macros.conf` with that many arguments.
//!
//! The Grafana panel list below is copied from the reference description of
//! "Mattermost Performance Monitoring v2" (grafana.com dashboard 15582,
//! mattermost-performance-assets 3ec8d86a). The last tests break the real
//! dashboards on purpose and check that these checks notice.

use test_support::simplexml;

use std::collections::{BTreeMap, BTreeSet};

use mattermost_metrics::health::{METRICS as HEALTH_METRICS, PREFIX as HEALTH_PREFIX};
use mattermost_metrics::modinput::SCHEME;
use regex::Regex;
use test_support::root;

const PERF: &str = "dashboards/mattermost_performance_monitoring.xml";
const HEALTH: &str = "dashboards/mattermost_metrics_input_health.xml";
const MACROS: &str = "splunk_app/default/macros.conf";

/// Grafana's rows, in order.
const SECTIONS: &[&str] = &[
    "Websockets",
    "Application Metrics",
    "Cluster Metrics",
    "Job Server",
    "System Metrics",
];

/// One Grafana panel: its row, its title, whether its Y axis is
/// logarithmic, and the metrics its queries read.
struct GrafanaPanel {
    section: &'static str,
    title: &'static str,
    log: bool,
    metrics: &'static [&'static str],
}

const fn gp(
    section: &'static str,
    title: &'static str,
    log: bool,
    metrics: &'static [&'static str],
) -> GrafanaPanel {
    GrafanaPanel {
        section,
        title,
        log,
        metrics,
    }
}

/// Every panel of the Grafana dashboard, in its order.
const GRAFANA: &[GrafanaPanel] = &[
    gp(
        "Websockets",
        "Websocket Buffer Size",
        false,
        &["mattermost_websocket_broadcast_buffer_size"],
    ),
    gp(
        "Websockets",
        "Websocket Broadcasts",
        false,
        &["mattermost_websocket_broadcasts_total"],
    ),
    gp(
        "Websockets",
        "Websocket Reconnects",
        false,
        &["mattermost_websocket_reconnects_total"],
    ),
    gp(
        "Websockets",
        "Websocket Events",
        false,
        &["mattermost_websocket_event_total"],
    ),
    gp(
        "Application Metrics",
        "HTTP Requests per second",
        false,
        &["mattermost_http_requests_total"],
    ),
    gp(
        "Application Metrics",
        "DB Calls per second",
        false,
        &["mattermost_db_store_time_count"],
    ),
    gp(
        "Application Metrics",
        "API Latency",
        true,
        &["mattermost_api_time_bucket"],
    ),
    gp(
        "Application Metrics",
        "Store latency",
        true,
        &["mattermost_db_store_time_bucket"],
    ),
    gp(
        "Application Metrics",
        "Top 10 DB Calls by Count",
        false,
        &["mattermost_db_store_time_count"],
    ),
    gp(
        "Application Metrics",
        "Top 10 API Requests by Count",
        false,
        &["mattermost_api_time_count"],
    ),
    gp(
        "Application Metrics",
        "Top 10 DB calls by duration",
        false,
        &[
            "mattermost_db_store_time_sum",
            "mattermost_db_store_time_count",
        ],
    ),
    gp(
        "Application Metrics",
        "Top 10 API requests by duration",
        false,
        &["mattermost_api_time_sum", "mattermost_api_time_count"],
    ),
    gp(
        "Application Metrics",
        "Channel Load Duration",
        true,
        &["mattermost_api_time_bucket"],
    ),
    gp(
        "Application Metrics",
        "CreatePost duration",
        true,
        &["mattermost_api_time_bucket"],
    ),
    gp(
        "Application Metrics",
        "Number of connected devices (WebSocket Connections)",
        false,
        &["mattermost_http_websockets_total"],
    ),
    gp(
        "Application Metrics",
        "DB Connections",
        false,
        &[
            "mattermost_db_master_connections_total",
            "mattermost_db_read_replica_connections_total",
        ],
    ),
    gp(
        "Application Metrics",
        "Connection Pool (Replica)",
        false,
        &[
            "go_sql_open_connections",
            "go_sql_in_use_connections",
            "go_sql_wait_count_total",
            "go_sql_max_idle_closed_total",
            "go_sql_max_idle_time_closed_total",
        ],
    ),
    gp(
        "Application Metrics",
        "Connection Pool (Master)",
        false,
        &[
            "go_sql_open_connections",
            "go_sql_in_use_connections",
            "go_sql_wait_count_total",
            "go_sql_max_idle_closed_total",
            "go_sql_max_idle_time_closed_total",
        ],
    ),
    gp(
        "Application Metrics",
        "Replica Lag",
        false,
        &["mattermost_db_replica_lag_time"],
    ),
    gp(
        "Cluster Metrics",
        "Cluster Health",
        false,
        &["mattermost_cluster_cluster_health_score"],
    ),
    gp(
        "Cluster Metrics",
        "Cluster Request Duration",
        false,
        &["mattermost_cluster_cluster_request_duration_seconds_bucket"],
    ),
    gp(
        "Cluster Metrics",
        "Cluster Requests Per Second",
        false,
        &["mattermost_cluster_cluster_request_duration_seconds_count"],
    ),
    gp(
        "Job Server",
        "Active Jobs",
        false,
        &["mattermost_jobs_active"],
    ),
    gp(
        "System Metrics",
        "CPU Utilization Percentage",
        false,
        &["mattermost_process_cpu_seconds_total"],
    ),
    gp(
        "System Metrics",
        "Heap Utilization",
        false,
        &["go_memstats_heap_inuse_bytes"],
    ),
    gp("System Metrics", "Goroutines", false, &["go_goroutines"]),
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

// ------------------------------------------------------------------ macros

/// One macro of macros.conf: its argument names and definition.
#[derive(Clone, Debug)]
struct Macro {
    args: Vec<String>,
    definition: String,
}

/// macros.conf as name -> macro; a macro with arguments is keyed `name(N)`,
/// as Splunk keys it. Continuation lines (ending in `\`) are joined with a
/// line break, as splunkd joins them.
fn parse_macros(text: &str) -> Result<BTreeMap<String, Macro>, String> {
    let mut out: BTreeMap<String, Macro> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with('[') {
            let name = trimmed
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .ok_or_else(|| format!("bad stanza line {trimmed:?}"))?;
            if out.contains_key(name) {
                return Err(format!("stanza [{name}] twice"));
            }
            out.insert(
                name.to_string(),
                Macro {
                    args: vec![],
                    definition: String::new(),
                },
            );
            current = Some(name.to_string());
            continue;
        }
        let (key, value) = trimmed
            .split_once('=')
            .ok_or_else(|| format!("not key = value: {trimmed:?}"))?;
        let mut value = value.trim().to_string();
        while value.ends_with('\\') {
            value.pop();
            let next = lines.next().ok_or("continuation at end of file")?;
            value.push('\n');
            value.push_str(next);
        }
        let name = current
            .as_ref()
            .ok_or_else(|| format!("{key} outside a stanza"))?;
        let m = out.get_mut(name).unwrap();
        match key.trim() {
            "definition" => m.definition = value,
            "args" => {
                m.args = value
                    .split(',')
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect()
            }
            "iseval" => {
                if value != "0" {
                    return Err(format!("[{name}]: only search macros here (iseval = 0)"));
                }
            }
            other => return Err(format!("[{name}]: unexpected key {other}")),
        }
    }
    for (name, m) in &out {
        if m.definition.trim().is_empty() {
            return Err(format!("[{name}] has no definition"));
        }
        let arity = name
            .split_once('(')
            .map(|(_, n)| n.trim_end_matches(')').parse::<usize>());
        match arity {
            None if !m.args.is_empty() => {
                return Err(format!("[{name}] has args but no (N) in its name"))
            }
            Some(Ok(n)) if n != m.args.len() => {
                return Err(format!("[{name}] declares {} args", m.args.len()))
            }
            Some(Err(_)) => return Err(format!("[{name}]: bad arity")),
            _ => {}
        }
    }
    Ok(out)
}

/// The macro calls in a search: (name, arguments).
fn macro_calls(text: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return Err("odd number of backticks".into());
    }
    let call = Regex::new(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$").unwrap();
    let mut out = vec![];
    for inner in parts.iter().skip(1).step_by(2) {
        let c = call
            .captures(inner.trim())
            .ok_or_else(|| format!("not a macro call: `{inner}`"))?;
        let args = c
            .get(2)
            .map(|a| {
                a.as_str()
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        out.push((c[1].to_string(), args));
    }
    Ok(out)
}

/// The search with every macro replaced by its definition, recursively.
fn expand(text: &str, macros: &BTreeMap<String, Macro>, depth: usize) -> Result<String, String> {
    if depth > 10 {
        return Err("macros nest too deep".into());
    }
    let calls = macro_calls(text)?;
    if calls.is_empty() {
        return Ok(text.to_string());
    }
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
            continue;
        }
        let (name, args) = &calls[i / 2];
        let key = if args.is_empty() {
            name.clone()
        } else {
            format!("{name}({})", args.len())
        };
        let m = macros
            .get(&key)
            .ok_or_else(|| format!("macro {key} is not defined in {MACROS}"))?;
        let mut def = m.definition.clone();
        for (a, v) in m.args.iter().zip(args) {
            def = def.replace(&format!("${a}$"), v);
        }
        out.push_str(&expand(&def, macros, depth + 1)?);
    }
    Ok(out)
}

// --------------------------------------------------------------- balancing

/// Quotes, parentheses, brackets (subsearches) and backticks balanced, and
/// every subsearch starts with a search or a command.
fn check_balanced(spl: &str) -> Result<(), String> {
    let chars: Vec<char> = spl.chars().collect();
    let mut stack: Vec<char> = vec![];
    let mut i = 0;
    let mut backticks = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' => {
                let quote = c;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unterminated {quote} string")),
                        Some('\\') => i += 2,
                        Some(&q) if q == quote => break,
                        Some(_) => i += 1,
                    }
                }
            }
            '`' => backticks += 1,
            '(' | '[' => {
                if c == '[' {
                    let rest: String = chars[i + 1..].iter().collect();
                    let rest = rest.trim_start();
                    if !(rest.starts_with('|')
                        || rest.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '`'))
                    {
                        return Err(format!(
                            "a [ that does not open a subsearch: [{}",
                            &rest[..rest.len().min(20)]
                        ));
                    }
                }
                stack.push(c);
            }
            ')' | ']' => {
                let open = if c == ')' { '(' } else { '[' };
                if stack.pop() != Some(open) {
                    return Err(format!("unbalanced {c}"));
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(c) = stack.pop() {
        return Err(format!("unclosed {c}"));
    }
    if backticks % 2 != 0 {
        return Err("unbalanced backticks".into());
    }
    Ok(())
}

// ----------------------------------------------------------- metric names

struct Known {
    metrics: BTreeSet<String>,
    health: BTreeSet<String>,
    macros: BTreeMap<String, Macro>,
}

impl Known {
    fn load() -> Known {
        let metrics: BTreeSet<String> = read("tests/fixtures/mattermost_metric_names.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let health = HEALTH_METRICS
            .iter()
            .map(|(m, _)| format!("{HEALTH_PREFIX}{m}"))
            .collect();
        let macros = parse_macros(&read(MACROS)).unwrap_or_else(|e| panic!("{MACROS}: {e}"));
        Known {
            metrics,
            health,
            macros,
        }
    }

    fn is_metric(&self, name: &str) -> bool {
        self.metrics.contains(name) || self.health.contains(name)
    }

    /// A wildcard pattern (`mattermost_*`) that matches some metric.
    fn pattern_matches(&self, pattern: &str) -> bool {
        let re = Regex::new(&format!(
            "^{}$",
            regex::escape(pattern).replace(r"\*", ".*")
        ))
        .unwrap();
        self.metrics
            .iter()
            .chain(&self.health)
            .any(|m| re.is_match(m))
    }

    fn macro_base_names(&self) -> BTreeSet<String> {
        self.macros
            .keys()
            .map(|k| k.split('(').next().unwrap().to_string())
            .collect()
    }
}

/// The metric names a search reads: the arguments of the functions of its
/// `mstats` commands and the values of `metric_name=`.
fn metrics_read(expanded: &str) -> Vec<String> {
    let func = Regex::new(r"\b[a-z_0-9]+\(\s*([A-Za-z][A-Za-z0-9_.:*]*)\s*\)").unwrap();
    let metric_name = Regex::new(r#"\bmetric_name\s*=\s*"?([A-Za-z][A-Za-z0-9_.*]*)"#).unwrap();
    let mut out = vec![];
    for command in split_commands(expanded) {
        let command = command.trim_start();
        if command.starts_with("mstats") {
            // Options and functions come before WHERE; BY fields after.
            let head = command.split(" WHERE ").next().unwrap();
            out.extend(func.captures_iter(head).map(|c| c[1].to_string()));
        }
        out.extend(metric_name.captures_iter(command).map(|c| c[1].to_string()));
    }
    out
}

/// The commands of a search: split at `|` outside quotes.
fn split_commands(spl: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in spl.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                out.last_mut().unwrap().push(c);
            }
            None if c == '|' => out.push(String::new()),
            None => {
                if c == '"' {
                    quote = Some(c);
                }
                out.last_mut().unwrap().push(c);
            }
        }
    }
    out
}

/// Every word of a search that looks like a Mattermost or Go metric must be
/// a known metric, a wildcard over known metrics, one of the app's macros or
/// the input's scheme name.
fn unknown_words(text: &str, known: &Known) -> Vec<String> {
    let word = Regex::new(r"\b(?:mattermost|go)_[A-Za-z0-9_.:*]*").unwrap();
    let macros = known.macro_base_names();
    word.find_iter(text)
        .map(|m| m.as_str().trim_end_matches('.').to_string())
        .filter(|w| {
            !(known.is_metric(w)
                || macros.contains(w)
                || w == SCHEME
                || (w.contains('*') && known.pattern_matches(w)))
        })
        .collect()
}

// ---------------------------------------------------------------- the XML

struct Search {
    /// Where it is: panel title or element, for messages.
    place: String,
    query: String,
    annotation: bool,
}

/// The search a `<search>` element runs: its query, or for a post-process
/// search (`base=`) the base's query merged with it as the dashboard
/// framework merges them; inline comments (```...```) become a space
/// (Search Manual, Add comments to searches).
fn full_query(doc: &roxmltree::Document, s: roxmltree::Node) -> Option<String> {
    let query = simplexml::search_text(doc, s)?;
    Some(
        Regex::new(r"```[^`]*```")
            .unwrap()
            .replace_all(&query, " ")
            .into_owned(),
    )
}

fn searches(doc: &roxmltree::Document) -> Vec<Search> {
    doc.descendants()
        .filter(|n| n.has_tag_name("search"))
        .filter_map(|s| {
            let query = full_query(doc, s)?;
            let place = s
                .ancestors()
                .find(|a| {
                    a.has_tag_name("panel") || a.has_tag_name("input") || a.has_tag_name("form")
                })
                .map(|a| {
                    let title = a
                        .children()
                        .find(|c| c.has_tag_name("title"))
                        .and_then(|t| t.text());
                    match (a.tag_name().name(), title) {
                        ("panel", Some(t)) => format!("panel {t:?}"),
                        (tag, _) => format!(
                            "<{tag}> {}",
                            a.attribute("token").or(s.attribute("id")).unwrap_or("")
                        ),
                    }
                })
                .unwrap_or_default();
            Some(Search {
                place,
                query,
                annotation: s.attribute("type") == Some("annotation"),
            })
        })
        .collect()
}

fn text_of(n: roxmltree::Node) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .map(|d| d.text().unwrap_or(""))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Every problem found in one dashboard's searches and tokens.
fn check_dashboard(xml: &str, known: &Known) -> Vec<String> {
    let mut problems = vec![];
    let doc = match roxmltree::Document::parse(xml) {
        Ok(d) => d,
        Err(e) => return vec![format!("not XML: {e}")],
    };
    let form = doc.root_element();
    if form.tag_name().name() != "form" {
        problems.push(format!("root is <{}>, not <form>", form.tag_name().name()));
    }
    if form.attribute("version") != Some("1.1") {
        problems.push(format!(
            "version is {:?}, not \"1.1\"",
            form.attribute("version")
        ));
    }

    // Tokens.
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        let name = n.tag_name().name();
        if let Some(tok) = n.attribute("token") {
            match name {
                "input" if n.attribute("type") == Some("time") => {
                    defined.insert(format!("{tok}.earliest"));
                    defined.insert(format!("{tok}.latest"));
                }
                "input" => {
                    defined.insert(tok.to_string());
                }
                "set" | "eval" | "unset" => {
                    defined.insert(tok.to_string());
                }
                _ => problems.push(format!("token attribute on <{name}>")),
            }
        }
    }
    let token_re = Regex::new(r"\$([^$\s]+)\$").unwrap();
    let handlers = [
        "done",
        "progress",
        "finalized",
        "change",
        "condition",
        "drilldown",
    ];
    let mut used: BTreeSet<String> = BTreeSet::new();
    for n in doc.descendants() {
        let mut texts: Vec<&str> = n.attributes().map(|a| a.value()).collect();
        if n.is_text() {
            texts.push(n.text().unwrap_or(""));
        }
        let in_handler = n
            .ancestors()
            .any(|a| handlers.contains(&a.tag_name().name()));
        for t in texts {
            let t = t.replace("$$", "");
            for c in token_re.captures_iter(&t) {
                let tok = c[1].to_string();
                let handler_tok = ["result.", "job.", "row.", "click."]
                    .iter()
                    .any(|p| tok.starts_with(p))
                    || tok == "value"
                    || tok == "label";
                if handler_tok && in_handler {
                    continue;
                }
                if !defined.contains(&tok) {
                    problems.push(format!(
                        "token ${tok}$ is used but no input, <set> or <eval> defines it"
                    ));
                }
                used.insert(tok);
            }
        }
    }
    for tok in &defined {
        if !used.contains(tok) && !tok.ends_with(".earliest") && !tok.ends_with(".latest") {
            problems.push(format!("token {tok} is defined but never used"));
        }
    }

    // Searches.
    let index_re = Regex::new(r"(?i)\bindex\s*=").unwrap();
    let all = searches(&doc);
    if all.is_empty() {
        problems.push("no searches".into());
    }
    let metrics_macro = known
        .macros
        .get("mattermost_metrics_index")
        .map(|m| m.definition.clone())
        .unwrap_or_default();
    for s in &all {
        let place = &s.place;
        if let Err(e) = check_balanced(&s.query) {
            problems.push(format!("{place}: {e}: {}", s.query));
            continue;
        }
        let expanded = match expand(&s.query, &known.macros, 0) {
            Ok(x) => x,
            Err(e) => {
                problems.push(format!("{place}: {e}"));
                continue;
            }
        };
        if let Err(e) = check_balanced(&expanded) {
            problems.push(format!("{place}: after macro expansion: {e}"));
        }
        if index_re.is_match(&s.query) {
            problems.push(format!(
                "{place}: names an index itself instead of using the app's index macro"
            ));
        }
        let generated = s.query.trim_start().starts_with("| makeresults");
        if !generated && !index_re.is_match(&expanded) {
            problems.push(format!("{place}: reads no index through the app's macros"));
        }
        let reads_metrics = expanded.contains("mstats") || expanded.contains("mcatalog");
        if reads_metrics && (metrics_macro.is_empty() || !expanded.contains(&metrics_macro)) {
            problems.push(format!(
                "{place}: reads metrics without `mattermost_metrics_index`"
            ));
        }
        for m in metrics_read(&expanded) {
            let ok = if m.contains('*') {
                known.pattern_matches(&m)
            } else {
                known.is_metric(&m)
            };
            if !ok {
                problems.push(format!(
                    "{place}: metric {m} is neither a Mattermost metric nor a health metric"
                ));
            }
        }
        for w in unknown_words(&s.query, known) {
            problems.push(format!("{place}: unknown name {w}"));
        }
    }
    for s in doc.descendants().filter(|n| n.has_tag_name("search")) {
        let earliest = s
            .children()
            .find(|c| c.has_tag_name("earliest"))
            .and_then(|e| e.text());
        let latest = s
            .children()
            .find(|c| c.has_tag_name("latest"))
            .and_then(|e| e.text());
        // A chart's search starts at $chart_earliest$, which the span search
        // computes from the time picker's earliest (the edges of the range:
        // src/dashboard/search.rs, whole_buckets_stage); everything else runs
        // over the picker's range itself.
        let chart = s.attribute("type") != Some("annotation")
            && s.ancestors().any(|a| a.has_tag_name("panel"))
            && earliest == Some("$chart_earliest$");
        if s.attribute("base").is_none()
            && ((earliest != Some("$time.earliest$") && !chart) || latest != Some("$time.latest$"))
        {
            problems.push(format!(
                "a search does not follow the time picker: {earliest:?} {latest:?}"
            ));
        }
    }
    problems
}

/// The performance dashboard's layout against Grafana's.
fn check_layout(xml: &str) -> Vec<String> {
    let mut problems = vec![];
    let doc = match roxmltree::Document::parse(xml) {
        Ok(d) => d,
        Err(e) => return vec![format!("not XML: {e}")],
    };
    // Walk the rows: a row whose panel holds an <h2> opens a section.
    let mut sections: Vec<String> = vec![];
    let mut found: Vec<(String, String, roxmltree::Node)> = vec![];
    for row in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("row"))
    {
        // An empty state (issue 17) is a row of its own, shown only when
        // its kind of endpoint has no data.
        if row
            .attribute("depends")
            .is_some_and(|d| d.starts_with("$no_"))
        {
            continue;
        }
        for panel in row.children().filter(|n| n.has_tag_name("panel")) {
            if let Some(h2) = panel.descendants().find(|n| n.has_tag_name("h2")) {
                sections.push(text_of(h2));
                continue;
            }
            let title = panel
                .children()
                .find(|c| c.has_tag_name("title"))
                .map(text_of)
                .unwrap_or_default();
            let section = sections
                .last()
                .cloned()
                .unwrap_or_else(|| "(before any row)".into());
            found.push((section, title, panel));
        }
    }
    if sections != SECTIONS {
        problems.push(format!("rows are {sections:?}, Grafana's are {SECTIONS:?}"));
    }
    let operand = Regex::new(r"^(?:(?:lhs|rhs)_)*(?:lhs|rhs)$").unwrap();
    for g in GRAFANA {
        let matches: Vec<_> = found.iter().filter(|(_, t, _)| t == g.title).collect();
        if matches.len() != 1 {
            problems.push(format!(
                "panel {:?} appears {} times",
                g.title,
                matches.len()
            ));
            continue;
        }
        let (section, _, panel) = matches[0];
        if section != g.section {
            problems.push(format!(
                "panel {:?} is in row {section:?}, Grafana has it in {:?}",
                g.title, g.section
            ));
        }
        let Some(chart) = panel.children().find(|c| c.has_tag_name("chart")) else {
            problems.push(format!("panel {:?} has no chart", g.title));
            continue;
        };
        let option = |name: &str| {
            chart
                .children()
                .find(|c| c.has_tag_name("option") && c.attribute("name") == Some(name))
                .and_then(|o| o.text())
                .map(str::to_string)
        };
        let scale = option("charting.axisY.scale").unwrap_or_else(|| "linear".into());
        if (scale == "log") != g.log {
            problems.push(format!(
                "panel {:?}: Y axis {scale}, Grafana's is {}",
                g.title,
                if g.log { "log" } else { "linear" }
            ));
        }
        if option("charting.axisTitleY.text").is_none_or(|t| t.trim().is_empty()) {
            problems.push(format!("panel {:?}: no Y axis title (unit)", g.title));
        }
        let searches: Vec<_> = chart
            .children()
            .filter(|c| c.has_tag_name("search"))
            .collect();
        let query = |annotation: bool| {
            searches
                .iter()
                .find(|s| (s.attribute("type") == Some("annotation")) == annotation)
                .and_then(|s| full_query(&doc, *s))
        };
        match query(false) {
            None => problems.push(format!("panel {:?}: no search", g.title)),
            Some(q) => {
                for m in g.metrics {
                    if !Regex::new(&format!(r"\({}\)", regex::escape(m)))
                        .unwrap()
                        .is_match(&q)
                    {
                        problems.push(format!(
                            "panel {:?}: does not query {m} as Grafana does",
                            g.title
                        ));
                    }
                }
                for need in ["$host$", "| xyseries _time series value"] {
                    if !q.contains(need) {
                        problems.push(format!("panel {:?}: search lacks {need}", g.title));
                    }
                }
                // Charted at the span: read at it, or (a gauge) at the
                // lookback grain and carried into buckets of the span.
                let charted = q.contains("span=$span$")
                    || (q.contains("span=$span_lookback$")
                        && q.contains("mvrange(floor(_time / $span_s$) * $span_s$"));
                if !charted {
                    problems.push(format!("panel {:?}: not charted at $span$", g.title));
                }
                // Binned once, by mstats: a timechart after it would bin again.
                if q.contains("timechart") {
                    problems.push(format!(
                        "panel {:?}: timechart after mstats bins twice",
                        g.title
                    ));
                }
                // Each target its own mstats: never one target's avg()
                // beside another's rate_sum() in one call. Several
                // aggregations in one mstats are the operands of one vector
                // match (the compiler's point 6), named lhs, rhs, rhs_lhs...
                for line in q.lines().filter(|l| l.contains("mstats ")) {
                    let names: Vec<&str> = line
                        .split(" AS ")
                        .skip(1)
                        .map(|rest| rest.split(' ').next().unwrap_or(""))
                        .collect();
                    if names.len() > 1 && !names.iter().all(|n| operand.is_match(n)) {
                        problems.push(format!(
                            "panel {:?}: one mstats computes several metrics: {line}",
                            g.title
                        ));
                    }
                }
            }
        }
        match query(true) {
            Some(q) if q.contains("`mattermost_metrics_restarts(") && q.contains("$host$") => {}
            _ => problems.push(format!(
                "panel {:?}: no restart annotations for the selected nodes",
                g.title
            )),
        }
    }
    if found.len() != GRAFANA.len() {
        let extra: Vec<_> = found
            .iter()
            .map(|(_, t, _)| t.as_str())
            .filter(|t| !GRAFANA.iter().any(|g| g.title == *t))
            .collect();
        problems.push(format!(
            "{} panels, Grafana has {}; not Grafana's: {extra:?}",
            found.len(),
            GRAFANA.len()
        ));
    }
    let order: Vec<&str> = found.iter().map(|(_, t, _)| t.as_str()).collect();
    let grafana_order: Vec<&str> = GRAFANA.iter().map(|g| g.title).collect();
    if problems.is_empty() && order != grafana_order {
        problems.push(format!("panels are not in Grafana's order: {order:?}"));
    }
    problems
}

fn assert_clean(what: &str, problems: Vec<String>) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

// ------------------------------------------------------------------ tests

#[test]
fn grafana_list_is_complete() {
    // 26 panels: Websockets 4, Application Metrics 15, Cluster 3, Job Server 1, System 3.
    let count = |s: &str| GRAFANA.iter().filter(|g| g.section == s).count();
    assert_eq!(
        SECTIONS.iter().map(|s| count(s)).collect::<Vec<_>>(),
        [4, 15, 3, 1, 3]
    );
    let titles: BTreeSet<_> = GRAFANA.iter().map(|g| g.title).collect();
    assert_eq!(titles.len(), 26);
    let known = Known::load();
    for g in GRAFANA {
        for m in g.metrics {
            assert!(
                known.metrics.contains(*m),
                "{}: {m} is not in the metric list",
                g.title
            );
        }
    }
}

#[test]
fn metric_list_has_every_form_of_the_grafana_histograms() {
    let known = Known::load();
    for base in [
        "mattermost_api_time",
        "mattermost_db_store_time",
        "mattermost_cluster_cluster_request_duration_seconds",
    ] {
        for suffix in ["_bucket", "_sum", "_count"] {
            assert!(
                known.metrics.contains(&format!("{base}{suffix}")),
                "{base}{suffix}"
            );
        }
        assert!(
            !known.metrics.contains(base),
            "{base} itself is not a sample name"
        );
    }
    for m in [
        "mattermost_process_start_time_seconds",
        "mattermost_system_server_start_time",
        "go_goroutines",
        "go_sql_wait_count_total",
    ] {
        assert!(known.metrics.contains(m), "{m}");
    }
    // The earlier port's mistake: this metric does not exist.
    assert!(!known
        .metrics
        .contains("mattermost_db_replica_connections_total"));
}

#[test]
fn macros_conf() {
    let known = Known::load();
    let index = &known
        .macros
        .get("mattermost_metrics_index")
        .expect("[mattermost_metrics_index]")
        .definition;
    assert_eq!(index, "index=wss_metrics");
    // The same index as the input's default.
    let inputs = read("splunk_app/default/inputs.conf");
    let default_index = Regex::new(r"(?m)^index\s*=\s*(\S+)")
        .unwrap()
        .captures(&inputs)
        .expect("index in inputs.conf");
    assert_eq!(format!("index={}", &default_index[1]), *index);
    let min_span: u32 = known.macros["mattermost_metrics_min_span"]
        .definition
        .parse()
        .expect("a number of seconds");
    assert_eq!(
        min_span, 120,
        "two scrape intervals at the default interval = 60"
    );
    let index_re = Regex::new(r"(?i)\bindex\s*=").unwrap();
    for (name, m) in &known.macros {
        check_balanced(&m.definition).unwrap_or_else(|e| panic!("[{name}]: {e}"));
        let expanded =
            expand(&m.definition, &known.macros, 0).unwrap_or_else(|e| panic!("[{name}]: {e}"));
        check_balanced(&expanded).unwrap_or_else(|e| panic!("[{name}] expanded: {e}"));
        if !name.ends_with("_index") {
            assert!(
                !index_re.is_match(&m.definition),
                "[{name}] names an index itself"
            );
        }
        assert!(
            unknown_words(&m.definition, &known).is_empty(),
            "[{name}]: {:?}",
            unknown_words(&m.definition, &known)
        );
        for metric in metrics_read(&expanded) {
            assert!(known.is_metric(&metric), "[{name}] reads {metric}");
        }
    }
}

#[test]
fn performance_dashboard() {
    let known = Known::load();
    let xml = read(PERF);
    assert_clean(PERF, check_dashboard(&xml, &known));
    assert_clean(PERF, check_layout(&xml));
}

#[test]
fn performance_dashboard_inputs() {
    let xml = read(PERF);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let time = doc
        .descendants()
        .find(|n| n.has_tag_name("input") && n.attribute("type") == Some("time"))
        .expect("time input");
    let default = time
        .children()
        .find(|c| c.has_tag_name("default"))
        .expect("default time");
    let get = |tag: &str| {
        default
            .children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
    };
    assert_eq!(
        (get("earliest"), get("latest")),
        (Some("-6h"), Some("now")),
        "Grafana's default: last 6 hours"
    );
    let nodes = doc
        .descendants()
        .find(|n| n.has_tag_name("input") && n.attribute("type") == Some("multiselect"))
        .expect("node multiselect");
    assert_eq!(nodes.attribute("token"), Some("host"));
    let child = |tag: &str| {
        nodes
            .children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    assert_eq!(child("valuePrefix").as_deref(), Some("host=\""));
    assert_eq!(child("valueSuffix").as_deref(), Some("\""));
    assert_eq!(child("delimiter").as_deref(), Some(" OR "));
    let fill = nodes
        .descendants()
        .find(|n| n.has_tag_name("search"))
        .and_then(|s| full_query(&doc, s))
        .unwrap();
    assert!(
        fill.contains("mcatalog") && fill.contains("`mattermost_metrics_index`"),
        "nodes come from the data"
    );
    // The span comes from the time range, through the min-span macro.
    let known = Known::load();
    let span = doc
        .descendants()
        .find(|n| n.has_tag_name("set") && n.attribute("token") == Some("span"))
        .expect("<set token=\"span\">");
    let search = span.ancestors().find(|a| a.has_tag_name("search")).unwrap();
    let q = search
        .children()
        .find(|c| c.has_tag_name("query"))
        .and_then(|q| q.text())
        .unwrap();
    let expanded = expand(q, &known.macros, 0).unwrap();
    assert!(
        expanded.contains("addinfo") && expanded.contains("info_min_time"),
        "{expanded}"
    );
    assert!(
        expanded.contains(&format!(
            "max(span_s, {})",
            known.macros["mattermost_metrics_min_span"].definition
        )),
        "{expanded}"
    );
}

#[test]
fn health_dashboard() {
    let known = Known::load();
    let xml = read(HEALTH);
    assert_clean(HEALTH, check_dashboard(&xml, &known));
    // Every health metric is shown.
    for (m, _) in HEALTH_METRICS {
        let name = format!("{HEALTH_PREFIX}{m}");
        assert!(
            xml.contains(&format!("({name})")),
            "{HEALTH} does not show {name}"
        );
    }
    // Per node, and the input's own log lines.
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let all = searches(&doc);
    assert!(all
        .iter()
        .filter(|s| s.query.contains("mstats"))
        .all(|s| s.query.contains("$host$") && s.query.contains("BY host")));
    let log = all
        .iter()
        .find(|s| s.query.contains("`mattermost_metrics_internal_index`"))
        .expect("a splunkd.log search");
    for need in [
        "sourcetype=splunkd",
        "component=ExecProcessor",
        "log_level=ERROR",
        "log_level=WARN",
        "stanza=",
    ] {
        assert!(
            log.query.contains(need),
            "the splunkd.log search lacks {need}"
        );
    }
    // The rex reads the input's own log line format.
    let line = mattermost_metrics::splunk::log::line(
        mattermost_metrics::splunk::log::Level::Error,
        Some("mattermost_metrics://mm1"),
        &"scrape failed (timeout): no answer in 5 s",
    );
    assert!(
        line.starts_with("ERROR stanza=\"mattermost_metrics://mm1\" scrape failed"),
        "{line}"
    );
    assert!(
        log.query.contains("log_level=FATAL"),
        "FATAL lines are shown too"
    );
    // splunkd may keep the level word in _raw or strip it (it reads it into
    // log_level): the rex must find the stanza and message either way.
    let rex = log
        .query
        .lines()
        .find_map(|l| l.trim().strip_prefix("| rex field=_raw \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("a rex of _raw")
        .replace("\\\"", "\"");
    let rex = regex::Regex::new(&rex.replace("(?<", "(?P<")).unwrap();
    let stripped = line.trim_end().trim_start_matches("ERROR ").to_string();
    for (raw, level) in [
        (line.trim_end().to_string(), Some("ERROR")),
        (stripped, None),
        ("FATAL stanza=\"a\" b".to_string(), Some("FATAL")),
    ] {
        let c = rex
            .captures(&raw)
            .unwrap_or_else(|| panic!("rex misses {raw:?}"));
        assert_eq!(c.name("level").map(|m| m.as_str()), level, "{raw}");
        assert!(
            c.name("stanza").is_some() && c.name("message").is_some(),
            "{raw}"
        );
    }
}

#[test]
fn annotations_only_on_time_charts() {
    for path in [PERF, HEALTH] {
        let xml = read(path);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        for s in searches(&doc).iter().filter(|s| s.annotation) {
            assert!(
                s.place.starts_with("panel"),
                "{path}: annotation outside a chart: {}",
                s.place
            );
        }
    }
}

#[test]
fn docs_describe_the_dashboards() {
    let page = read("docs/dashboards.md");
    let section = page.as_str();
    // The histogram macro is shown where PromQL's mapping is explained.
    let promql = read("docs/promql.md");
    for name in [
        "mattermost_performance_monitoring",
        "mattermost_metrics_input_health",
    ] {
        assert!(
            section.contains(name),
            "docs/dashboards.md does not name {name}"
        );
    }
    for row in SECTIONS {
        assert!(
            section.contains(row),
            "docs/dashboards.md shows no panel of row {row}"
        );
    }
    assert!(
        section.matches("```promql").count() >= SECTIONS.len()
            && section.matches("```spl").count() >= SECTIONS.len()
    );
    // The histogram_quantile macro it shows is the one in macros.conf.
    let known = Known::load();
    for line in known.macros["mattermost_metrics_histogram_quantile(2)"]
        .definition
        .lines()
    {
        assert!(
            promql.contains(line.trim()),
            "docs/promql.md shows another histogram macro; missing: {line}"
        );
    }
    // And the searches it shows are the dashboard's.
    let perf = read(PERF);
    let doc = roxmltree::Document::parse(&perf).unwrap();
    let shown = Regex::new(r"(?s)```spl\n(\| mstats.*?)```").unwrap();
    assert!(
        shown.captures_iter(section).count() >= SECTIONS.len(),
        "docs/dashboards.md shows too few panel searches"
    );
    for block in shown.captures_iter(section) {
        let block = block[1].trim();
        let same = searches(&doc).iter().any(|s| {
            let q: Vec<&str> = s.query.lines().map(str::trim).collect();
            q.join("\n") == block
        });
        assert!(
            same,
            "docs/dashboards.md shows a search no panel runs:\n{block}"
        );
    }
}

// ------------------------------------------- the checks catch what they should

/// The real dashboard with one change, which must be found.
fn broken(path: &str, from: &str, to: &str) -> String {
    let xml = read(path);
    assert!(xml.contains(from), "{path} has no {from:?} to break");
    xml.replacen(from, to, 1)
}

#[test]
fn the_checks_catch_mistakes() {
    let known = Known::load();
    let all = |xml: &str| {
        let mut p = check_dashboard(xml, &known);
        p.extend(check_layout(xml));
        p
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "a misspelt metric",
            "latest(mattermost_jobs_active)",
            "latest(mattermost_job_active)",
        ),
        (
            "the earlier port's replica metric",
            "latest(mattermost_db_read_replica_connections_total)",
            "latest(mattermost_db_replica_connections_total)",
        ),
        (
            "a literal index",
            "`mattermost_metrics_index` AND $host$ AND `mattermost_metrics_server_endpoint` BY name",
            "index=wss_metrics AND $host$ AND `mattermost_metrics_server_endpoint` BY name",
        ),
        (
            "an unknown macro",
            "`mattermost_metrics_histogram_quantile(0.99, _time host)`",
            "`mattermost_metrics_histogram_quantiles(0.99, _time host)`",
        ),
        (
            "an unclosed subsearch",
            "| fields _time series value]",
            "| fields _time series value",
        ),
        (
            "an unclosed quote",
            "\"p99-\" . coalesce",
            "\"p99- . coalesce",
        ),
        (
            "an unclosed parenthesis",
            "stats sum(value) AS value BY _time",
            "stats sum(value AS value BY _time",
        ),
        (
            "an undefined token",
            "AND $host$ AND `mattermost_metrics_server_endpoint` BY host hub span",
            "AND $hosts$ AND `mattermost_metrics_server_endpoint` BY host hub span",
        ),
        (
            "a panel title changed",
            "<title>Replica Lag</title>",
            "<title>Replica lag</title>",
        ),
        ("a row renamed", "<h2>Job Server</h2>", "<h2>Jobs</h2>"),
        (
            "a lost log scale",
            "<option name=\"charting.axisY.scale\">log</option>",
            "<option name=\"charting.axisY.scale\">linear</option>",
        ),
        (
            "a wrong version",
            "<form version=\"1.1\"",
            "<form version=\"1\"",
        ),
        (
            "no node filter",
            "AND $host$ AND `mattermost_metrics_server_endpoint` BY host hub",
            "AND `mattermost_metrics_server_endpoint` BY host hub",
        ),
        (
            "a search off the time picker",
            "<earliest>$time.earliest$</earliest>",
            "<earliest>-24h</earliest>",
        ),
        (
            "a metric Grafana's panel does not use",
            "rate_sum(mattermost_process_cpu_seconds_total)",
            "rate_sum(mattermost_process_network_receive_bytes_total)",
        ),
    ];
    for (what, from, to) in cases {
        let problems = all(&broken(PERF, from, to));
        assert!(!problems.is_empty(), "{what} went unnoticed");
    }
    // A panel moved to another row.
    let xml = read(PERF);
    let moved = xml.replacen("<title>Active Jobs</title>", "<title>Goroutines</title>", 1);
    assert!(
        !all(&moved).is_empty(),
        "a duplicated/moved title went unnoticed"
    );
    // The health dashboard too.
    for (what, from, to) in [
        (
            "a health metric that does not exist",
            "avg(mattermost_metrics.up)",
            "avg(mattermost_metrics.ups)",
        ),
        (
            "a literal internal index",
            "`mattermost_metrics_internal_index` sourcetype",
            "index=_internal sourcetype",
        ),
    ] {
        assert!(
            !check_dashboard(&broken(HEALTH, from, to), &known).is_empty(),
            "{what} went unnoticed"
        );
    }
    // And the pieces on their own.
    assert!(check_balanced("| search [| mstats count(x) WHERE a=b").is_err());
    assert!(check_balanced("| eval x=\"a)\" | where (y>1)").is_ok());
    assert!(check_balanced("| rex \"stanza=\\\"(?<s>[^\\\"]+)\\\"\"").is_ok());
    assert!(
        check_balanced("| eval x=1 [0]").is_err(),
        "a bracket that is no subsearch"
    );
    assert!(expand("`nope`", &known.macros, 0).is_err());
    assert!(
        expand("`mattermost_metrics_restarts`", &known.macros, 0).is_err(),
        "wrong number of arguments"
    );
    assert!(parse_macros("[a]\ndefinition = x\n[a]\ndefinition = y\n").is_err());
}
