//! What splunkd would do with our events, for tests that have no Splunk:
//! read the app's .conf files, apply the index-time transforms of our
//! sourcetype to an event's text the way the parsing pipeline does
//! (REGEX, FORMAT, WRITE_META, REPEAT_MATCH), and read the resulting
//! `_meta` back into fields.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;

/// A .conf file: stanza -> key -> value (later keys win, like Splunk).
pub type Conf = HashMap<String, HashMap<String, String>>;

pub fn read_conf(path: &Path) -> Conf {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut conf = Conf::new();
    let mut stanza = "default".to_string();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            stanza = s.to_string();
            conf.entry(stanza.clone()).or_default();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: bad line {line:?}", path.display()));
        conf.entry(stanza.clone())
            .or_default()
            .insert(k.trim().to_string(), v.trim().to_string());
    }
    conf
}

pub struct Transform {
    pub name: String,
    pub regex: Regex,
    pub format: String,
    pub repeat: bool,
    pub lookahead: usize,
}

/// The index-time transforms that props.conf applies to `sourcetype`, in order.
pub fn transforms_for(app: &Path, sourcetype: &str) -> Vec<Transform> {
    let props = read_conf(&app.join("default/props.conf"));
    let transforms = read_conf(&app.join("default/transforms.conf"));
    let st = props
        .get(sourcetype)
        .unwrap_or_else(|| panic!("no [{sourcetype}] in props.conf"));
    let mut classes: Vec<(&String, &String)> = st
        .iter()
        .filter(|(k, _)| k.starts_with("TRANSFORMS-"))
        .collect();
    classes.sort(); // Splunk applies TRANSFORMS- classes in lexical order of class name
    let mut out = Vec::new();
    for (_, list) in classes {
        for name in list.split(',').map(str::trim) {
            let t = transforms
                .get(name)
                .unwrap_or_else(|| panic!("transform {name} not in transforms.conf"));
            assert_eq!(
                t.get("WRITE_META").map(String::as_str),
                Some("true"),
                "{name}: WRITE_META"
            );
            out.push(Transform {
                name: name.to_string(),
                regex: Regex::new(&t["REGEX"]).unwrap_or_else(|e| panic!("{name}: REGEX: {e}")),
                format: t["FORMAT"].clone(),
                repeat: t.get("REPEAT_MATCH").is_some_and(|v| v == "true"),
                lookahead: t.get("LOOKAHEAD").map_or(4096, |v| v.parse().unwrap()),
            });
        }
    }
    out
}

/// FORMAT with `$n` replaced by capture n ("$" is FORMAT's only special character).
fn expand(format: &str, caps: &regex::Captures<'_>) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let digits: String = rest[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        match digits.parse::<usize>().ok().filter(|&n| n < caps.len()) {
            Some(n) => {
                out.push_str(caps.get(n).map_or("", |m| m.as_str()));
                rest = &rest[i + 1 + digits.len()..];
            }
            None => {
                out.push('$');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Applies the transforms to one event's text; returns `_meta`.
pub fn apply(transforms: &[Transform], raw: &str) -> String {
    let mut meta = Vec::new();
    for t in transforms {
        let mut end = raw.len().min(t.lookahead);
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        let text = &raw[..end];
        let mut pos = 0;
        while pos <= text.len() {
            let Some(caps) = t.regex.captures_at(text, pos) else {
                break;
            };
            meta.push(expand(&t.format, &caps));
            let m = caps.get(0).unwrap();
            if !t.repeat {
                break;
            }
            pos = if m.end() == m.start() {
                m.end() + 1
            } else {
                m.end()
            };
        }
    }
    meta.join(" ")
}

/// How a backslash in `_meta` is read. Splunk does not document it, so
/// the event text must give the same fields under both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Reading {
    /// A backslash is a character like any other.
    Literal,
    /// A backslash escapes the character after it (`\"` is a quote inside
    /// the value, `\\` one backslash).
    Escape,
}

/// Reads `_meta` (`name::value name::"quoted value" ...`) into fields,
/// taking backslashes literally.
pub fn parse_meta(meta: &str) -> Vec<(String, String)> {
    parse_meta_as(meta, Reading::Literal)
}

/// Reads `_meta` into fields under `reading`.
pub fn parse_meta_as(meta: &str, reading: Reading) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let chars: Vec<char> = meta.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut name = String::new();
        while i < chars.len() && !(chars[i] == ':' && chars.get(i + 1) == Some(&':')) {
            name.push(chars[i]);
            i += 1;
        }
        assert!(i < chars.len(), "no :: in _meta after {name:?}: {meta:?}");
        i += 2;
        let quoted = chars.get(i) == Some(&'"');
        if quoted {
            i += 1;
        }
        let mut value = String::new();
        loop {
            let Some(&c) = chars.get(i) else {
                assert!(!quoted, "unclosed quote in _meta: {meta:?}");
                break;
            };
            i += 1;
            if reading == Reading::Escape && c == '\\' {
                if let Some(&next) = chars.get(i) {
                    value.push(next);
                    i += 1;
                    continue;
                }
            }
            if (quoted && c == '"') || (!quoted && c == ' ') {
                break;
            }
            value.push(c);
        }
        assert!(
            !name.is_empty() && !name.contains(' '),
            "bad field name {name:?} in {meta:?}"
        );
        fields.push((name, value));
    }
    fields
}

/// What Splunk would index for an event: metric_name, _value, dimensions.
#[derive(Debug, PartialEq)]
pub struct IndexedPoint {
    pub metric_name: String,
    pub value: f64,
    pub dimensions: Vec<(String, String)>,
}

pub fn index_event(transforms: &[Transform], raw: &str) -> IndexedPoint {
    index_event_as(transforms, raw, Reading::Literal)
}

/// [`index_event`] with backslashes in `_meta` read as `reading` says.
pub fn index_event_as(transforms: &[Transform], raw: &str, reading: Reading) -> IndexedPoint {
    let fields = parse_meta_as(&apply(transforms, raw), reading);
    let mut metric_name = None;
    let mut value = None;
    let mut dimensions = Vec::new();
    for (k, v) in fields {
        match k.as_str() {
            "metric_name" => {
                assert!(metric_name.is_none(), "two metric_name fields in {raw:?}");
                metric_name = Some(v)
            }
            "_value" => {
                assert!(value.is_none(), "two _value fields in {raw:?}");
                value = Some(
                    v.parse::<f64>()
                        .unwrap_or_else(|e| panic!("_value {v:?}: {e}")),
                )
            }
            _ => dimensions.push((k, v)),
        }
    }
    IndexedPoint {
        metric_name: metric_name.unwrap_or_else(|| panic!("no metric_name in {raw:?}")),
        value: value.unwrap_or_else(|| panic!("no _value in {raw:?}")),
        dimensions,
    }
}
