//! Splunk's naming rules, applied to Prometheus names and label values.
//!
//! Each function returns its input unchanged (borrowed, no copy) when it
//! already obeys the rule, which is nearly always.

use std::borrow::Cow;

use super::Text;

/// Dimension names that Splunk gives a meaning of its own (the event's
/// metadata and the fields every event or data point has). A label with one
/// of these names gets the prefix `exported_`, as Prometheus does when a
/// scraped label collides with a target label.
pub const RESERVED_DIMENSIONS: &[&str] = &[
    "host",
    "source",
    "sourcetype",
    "index",
    "metric_name",
    "splunk_server",
    "linecount",
    "punct",
    "timestamp",
    "eventtype",
    "tag",
    "timestartpos",
    "timeendpos",
];

/// Prefix for a dimension name that is reserved or does not start with a letter.
pub const DIMENSION_PREFIX: &str = "exported_";
/// Prefix for a metric name that does not start with a letter.
pub const METRIC_PREFIX: &str = "prom_";

fn is_splunk_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// `[A-Za-z0-9_.]`, by byte (a multi-byte character never matches).
static SPLUNK_NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
        b += 1;
    }
    t
};

/// Whether `name` already obeys Splunk's name rule: a letter, then `[A-Za-z0-9_.]`.
fn is_splunk_name(name: &str) -> bool {
    name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && name.bytes().all(|b| SPLUNK_NAME_BYTE[b as usize])
}

/// Whether Splunk reserves `name` as a dimension (`RESERVED_DIMENSIONS`).
fn is_reserved(name: &str) -> bool {
    RESERVED_DIMENSIONS.contains(&name)
}

/// A Splunk metric name: starts with a letter; letters, digits, `_` and `.`.
///
/// Prometheus's `:` (recording rules' level separator) becomes `.`, any other
/// character (Prometheus 3 allows any UTF-8 in quoted names) becomes `_`,
/// and a name that does not start with a letter gets the prefix `prom_`.
pub fn metric_name(name: &str) -> Cow<'_, str> {
    if is_splunk_name(name) {
        return Cow::Borrowed(name);
    }
    let starts_ok = name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    let mut out = String::with_capacity(name.len() + METRIC_PREFIX.len());
    if !starts_ok {
        out.push_str(METRIC_PREFIX);
    }
    out.extend(name.chars().map(|c| match c {
        ':' => '.',
        c if is_splunk_name_char(c) => c,
        _ => '_',
    }));
    Cow::Owned(out)
}

/// A Splunk dimension name: starts with a letter; letters, digits, `_`, `.`.
///
/// Any other character becomes `_`; a name that is reserved or does not
/// start with a letter (Prometheus allows a leading `_`) gets the prefix
/// `exported_`.
pub fn dimension_name(name: &str) -> Text<'_> {
    let reserved = is_reserved(name);
    if !reserved && is_splunk_name(name) {
        return Text::Borrowed(name);
    }
    let starts_ok = name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    let mut out = String::with_capacity(name.len() + DIMENSION_PREFIX.len());
    if !starts_ok || reserved {
        out.push_str(DIMENSION_PREFIX);
    }
    out.extend(
        name.chars()
            .map(|c| if is_splunk_name_char(c) { c } else { '_' }),
    );
    Text::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        assert!(matches!(
            metric_name("mattermost_http_requests_total"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            metric_name("job:http_requests:rate5m"),
            "job.http_requests.rate5m"
        );
        assert_eq!(metric_name("_hidden"), "prom__hidden");
        assert_eq!(metric_name("my.metric"), "my.metric");
        assert_eq!(
            metric_name("http.server.duration-ms"),
            "http.server.duration_ms"
        );
        assert_eq!(metric_name("1st"), "prom_1st");
        assert_eq!(metric_name("naïve"), "na_ve");
    }

    #[test]
    fn dimension_names() {
        assert!(matches!(dimension_name("handler"), Text::Borrowed(_)));
        assert_eq!(&*dimension_name("host"), "exported_host");
        assert_eq!(&*dimension_name("index"), "exported_index");
        assert_eq!(&*dimension_name("_private"), "exported__private");
        assert_eq!(&*dimension_name("some.label"), "some.label");
        assert_eq!(&*dimension_name("a b"), "a_b");
        assert_eq!(&*dimension_name("9lives"), "exported_9lives");
    }
}
