//! The XML splunkd writes on the input's stdin: `<input>` for a run,
//! `<items>` for `--validate-arguments`.
//!
//! Every element the Splunk SDKs know is read (`server_host`, `server_uri`,
//! `session_key`, `checkpoint_dir`, `configuration`/`stanza`/`item` with
//! `param` and multi-value `param_list`); an element they do not know is an
//! error, as in the SDKs, so a protocol change is noticed rather than
//! silently misread.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A parameter's value: one, or several for a `param_list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    Single(String),
    List(Vec<String>),
}

impl ParamValue {
    /// The value as one string (a list is joined with commas).
    pub fn joined(&self) -> String {
        match self {
            ParamValue::Single(s) => s.clone(),
            ParamValue::List(v) => v.join(","),
        }
    }
}

/// One stanza of `<configuration>` (or the `<item>` of a validation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    /// `mattermost_metrics://prod` for a run; `prod` for a validation.
    pub name: String,
    pub app: Option<String>,
    pub params: Vec<(String, ParamValue)>,
}

impl Stanza {
    /// The input's own name, without `scheme://`.
    pub fn input_name(&self) -> &str {
        self.name.split_once("://").map_or(&self.name, |(_, n)| n)
    }

    /// Parameters as a map of single strings (lists joined with commas).
    pub fn param_map(&self) -> HashMap<String, String> {
        self.params
            .iter()
            .map(|(k, v)| (k.clone(), v.joined()))
            .collect()
    }
}

/// What splunkd sends: the connection back to it, and the stanzas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Definition {
    pub server_host: String,
    pub server_uri: String,
    pub session_key: String,
    pub checkpoint_dir: String,
    pub stanzas: Vec<Stanza>,
}

impl Definition {
    /// Reads an `<input>` (run) document.
    pub fn parse_input(xml: &str) -> Result<Definition> {
        parse(xml, "input")
    }

    /// Reads an `<items>` (validation) document; it holds one item.
    pub fn parse_items(xml: &str) -> Result<Definition> {
        let d = parse(xml, "items")?;
        if d.stanzas.len() != 1 {
            bail!(
                "<items> holds {} <item> elements; splunkd sends one",
                d.stanzas.len()
            );
        }
        Ok(d)
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.context("bad XML attribute")?;
        if a.key.as_ref() == name.as_bytes() {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .context("bad XML attribute value")?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn parse(xml: &str, root: &str) -> Result<Definition> {
    let mut r = Reader::from_str(xml);
    r.config_mut().trim_text(true);
    let mut def = Definition::default();
    // The path of open elements, and the text of the current leaf.
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut current_param: Option<String> = None;
    let mut list: Option<(String, Vec<String>)> = None;
    let stanza_tag = if root == "input" { "stanza" } else { "item" };
    let mut seen_root = false;
    loop {
        let ev = r.read_event().with_context(|| {
            format!(
                "reading the <{root}> XML from splunkd at byte {}",
                r.buffer_position()
            )
        })?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(ev, Event::Empty(_));
                let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let parent = path.last().map(String::as_str);
                let ok = match (parent, tag.as_str()) {
                    (None, t) => t == root,
                    (Some(p), "server_host" | "server_uri" | "session_key" | "checkpoint_dir") => {
                        p == root
                    }
                    (Some(p), "configuration") => p == root && root == "input",
                    (Some("configuration"), "stanza") => true,
                    (Some(p), "item") => p == root && root == "items",
                    (Some(p), "param" | "param_list") => p == stanza_tag,
                    (Some("param_list"), "value") => true,
                    _ => false,
                };
                if !ok {
                    bail!(
                        "unexpected element <{tag}> in <{}> from splunkd",
                        parent.unwrap_or("document")
                    );
                }
                seen_root = true;
                match tag.as_str() {
                    "stanza" | "item" => {
                        let name =
                            attr(e, "name")?.ok_or_else(|| anyhow!("<{tag}> without a name"))?;
                        def.stanzas.push(Stanza {
                            name,
                            app: attr(e, "app")?,
                            params: Vec::new(),
                        });
                    }
                    "param" => {
                        let name =
                            attr(e, "name")?.ok_or_else(|| anyhow!("<param> without a name"))?;
                        if is_empty {
                            def.stanzas
                                .last_mut()
                                .expect("inside a stanza")
                                .params
                                .push((name, ParamValue::Single(String::new())));
                        } else {
                            current_param = Some(name);
                        }
                    }
                    "param_list" => {
                        let name = attr(e, "name")?
                            .ok_or_else(|| anyhow!("<param_list> without a name"))?;
                        if is_empty {
                            def.stanzas
                                .last_mut()
                                .expect("inside a stanza")
                                .params
                                .push((name, ParamValue::List(Vec::new())));
                        } else {
                            list = Some((name, Vec::new()));
                        }
                    }
                    "value" if is_empty => list
                        .as_mut()
                        .expect("inside a param_list")
                        .1
                        .push(String::new()),
                    _ => {}
                }
                text.clear();
                if !is_empty {
                    path.push(tag);
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content().context("bad XML text")?),
            Event::GeneralRef(r) => {
                let name = r.decode().context("bad XML entity")?;
                match r
                    .resolve_char_ref()
                    .context("bad XML character reference")?
                {
                    Some(c) => text.push(c),
                    None => text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .with_context(|| format!("unknown XML entity &{name};"))?,
                    ),
                }
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let tag = path.pop().unwrap_or_default();
                let value = std::mem::take(&mut text);
                match tag.as_str() {
                    "server_host" => def.server_host = value,
                    "server_uri" => def.server_uri = value,
                    "session_key" => def.session_key = value,
                    "checkpoint_dir" => def.checkpoint_dir = value,
                    "param" => {
                        let name = current_param.take().unwrap_or_default();
                        def.stanzas
                            .last_mut()
                            .expect("inside a stanza")
                            .params
                            .push((name, ParamValue::Single(value)));
                    }
                    "value" => list.as_mut().expect("inside a param_list").1.push(value),
                    "param_list" => {
                        let (name, values) = list.take().unwrap_or_default();
                        def.stanzas
                            .last_mut()
                            .expect("inside a stanza")
                            .params
                            .push((name, ParamValue::List(values)));
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !seen_root {
        bail!(
            "no <{root}> element on stdin (splunkd always writes one; run by hand, pipe one \
             in: docs/troubleshooting.md)"
        );
    }
    if !path.is_empty() {
        bail!(
            "the <{root}> XML from splunkd ends inside <{}>",
            path.join("><")
        );
    }
    Ok(def)
}
