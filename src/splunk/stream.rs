//! The event stream a modular input in `xml` streaming mode writes.
//!
//! ```xml
//! <stream>
//! <event stanza="mattermost_metrics://prod" unbroken="1"><time>1700000060.123</time><source>..</source><sourcetype>..</sourcetype><index>..</index><host>..</host><data>..</data><done/></event>
//! </stream>
//! ```
//!
//! The metadata of every event of a run is the same, so it is escaped once
//! and kept as two byte strings around the per-event time and data; an
//! event costs two copies and one escape of its data. Each event is
//! complete (`unbroken="1"` and `<done/>`).

use std::io::{self, Write};

use super::xml::escape_into;

/// The metadata every event of a run carries.
#[derive(Clone, Debug)]
pub struct EventMeta<'a> {
    pub stanza: &'a str,
    pub source: &'a str,
    pub sourcetype: &'a str,
    pub index: &'a str,
    pub host: &'a str,
}

pub struct EventWriter<W: Write> {
    out: W,
    /// `<event stanza=".." unbroken="1"><time>`
    head: Vec<u8>,
    /// `</time><source>..</source>..<host>..</host><data>`
    middle: Vec<u8>,
    buf: Vec<u8>,
    events: u64,
}

const TAIL: &[u8] = b"</data><done/></event>\n";
const FLUSH_AT: usize = 64 * 1024;

impl<W: Write> EventWriter<W> {
    /// Opens the stream (writes `<stream>`).
    pub fn new(mut out: W, meta: &EventMeta<'_>) -> io::Result<Self> {
        out.write_all(b"<stream>\n")?;
        let mut head = b"<event stanza=\"".to_vec();
        escape_into(meta.stanza, &mut head);
        head.extend_from_slice(b"\" unbroken=\"1\"><time>");
        let mut middle = b"</time>".to_vec();
        for (tag, value) in [
            ("source", meta.source),
            ("sourcetype", meta.sourcetype),
            ("index", meta.index),
            ("host", meta.host),
        ] {
            if value.is_empty() {
                continue; // omitted metadata falls back to the stanza's
            }
            middle.push(b'<');
            middle.extend_from_slice(tag.as_bytes());
            middle.push(b'>');
            escape_into(value, &mut middle);
            middle.extend_from_slice(b"</");
            middle.extend_from_slice(tag.as_bytes());
            middle.push(b'>');
        }
        middle.extend_from_slice(b"<data>");
        Ok(EventWriter {
            out,
            head,
            middle,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            events: 0,
        })
    }

    /// Writes one event: `time_ms` since the epoch, `data` its text.
    pub fn event(&mut self, time_ms: i64, data: &str) -> io::Result<()> {
        self.buf.extend_from_slice(&self.head);
        crate::emit::json::write_time(time_ms, &mut self.buf);
        self.buf.extend_from_slice(&self.middle);
        escape_into(data, &mut self.buf);
        self.buf.extend_from_slice(TAIL);
        self.events += 1;
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// Closes the stream (writes `</stream>`) and flushes.
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.extend_from_slice(b"</stream>\n");
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}
