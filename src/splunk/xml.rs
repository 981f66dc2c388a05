//! Escaping text for the XML 1.0 that splunkd reads.
//!
//! `quick_xml::escape` escapes markup but passes through the characters
//! XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF); one of those in the
//! event stream makes splunkd's parser drop the whole stream, and a target
//! can send anything. So this escaper also replaces them with U+FFFD, and
//! writes a carriage return as `&#13;` so that no XML parser normalises it
//! away. It appends to a byte buffer without allocating: it runs once per
//! event.

/// Appends `s` to `out`, escaped for element content and attribute values.
pub fn escape_into(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\r' => b"&#13;",
            b'\t' | b'\n' => continue,
            0..=0x1f => "\u{FFFD}".as_bytes(),
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
            0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice("\u{FFFD}".as_bytes());
                start = i + 3;
                continue;
            }
            _ => continue,
        };
        if i < start {
            continue; // inside a sequence already replaced
        }
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    if start < bytes.len() {
        out.extend_from_slice(&bytes[start..]);
    }
}

/// `s` escaped, as a new string (for text written once, not per event).
pub fn escape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    escape_into(s, &mut out);
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

/// Whether `c` may appear in an XML 1.0 document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(
            escape("nul\u{0}bell\u{7}esc\u{1b}"),
            "nul\u{FFFD}bell\u{FFFD}esc\u{FFFD}"
        );
        assert_eq!(escape("tab\tnl\ncr\r"), "tab\tnl\ncr&#13;");
        assert_eq!(
            escape("x\u{FFFE}y\u{FFFF}z\u{FFFD}"),
            "x\u{FFFD}y\u{FFFD}z\u{FFFD}"
        );
        assert_eq!(escape("日本語 🎉 é"), "日本語 🎉 é");
        for c in (0..0x11_0000u32).filter_map(char::from_u32).step_by(97) {
            let e = escape(&c.to_string());
            assert!(e.chars().all(is_xml_char), "{c:?} -> {e:?}");
        }
    }
}
