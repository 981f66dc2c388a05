//! The scheme splunkd asks for with `--scheme`: what the input is called,
//! how splunkd runs it, and its arguments (from [`crate::settings::ARGS`]).

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::settings::{ArgSpec, ARGS};

pub const TITLE: &str = "Mattermost Metrics";
pub const DESCRIPTION: &str = "Scrapes a Mattermost node's Prometheus metrics endpoint on each interval and stores its metrics as data points in a metrics index (default wss_metrics). Add one input per Mattermost node.";

/// The scheme XML.
pub fn scheme_xml() -> String {
    render(TITLE, DESCRIPTION, ARGS)
}

fn render(title: &str, description: &str, args: &[ArgSpec]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let _ = w.write_event(Event::Start(BytesStart::new("scheme")));
    text(&mut w, "title", title);
    text(&mut w, "description", description);
    text(&mut w, "use_external_validation", "true");
    text(&mut w, "use_single_instance", "false");
    text(&mut w, "streaming_mode", "xml");
    let _ = w.write_event(Event::Start(BytesStart::new("endpoint")));
    let _ = w.write_event(Event::Start(BytesStart::new("args")));
    for a in args {
        let mut start = BytesStart::new("arg");
        start.push_attribute(("name", a.name));
        let _ = w.write_event(Event::Start(start));
        text(&mut w, "title", a.title);
        text(&mut w, "description", a.description);
        text(&mut w, "data_type", a.data_type.name());
        text(&mut w, "required_on_edit", "false");
        text(
            &mut w,
            "required_on_create",
            if a.required_on_create {
                "true"
            } else {
                "false"
            },
        );
        let _ = w.write_event(Event::End(BytesEnd::new("arg")));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("args")));
    let _ = w.write_event(Event::End(BytesEnd::new("endpoint")));
    let _ = w.write_event(Event::End(BytesEnd::new("scheme")));
    let mut out = String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8");
    out.push('\n');
    out
}

fn text(w: &mut Writer<Vec<u8>>, tag: &str, value: &str) {
    let _ = w.write_event(Event::Start(BytesStart::new(tag)));
    let _ = w.write_event(Event::Text(BytesText::new(value)));
    let _ = w.write_event(Event::End(BytesEnd::new(tag)));
}
