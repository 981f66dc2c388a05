//! One data point as one JSON object:
//! `{"metric_name":"...","value":1.5,"time":1700000060.123,"dimensions":{"k":"v"}}`
//!
//! `value` is written as the same plain decimal as the event text, `time`
//! in seconds with millisecond precision (as Splunk's `_time`).

use crate::convert::{float, DataPoint};

/// Appends the JSON object of `dp` (no line end) to `out`.
pub fn write(dp: &DataPoint<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"metric_name\":");
    string(dp.metric_name, out);
    out.extend_from_slice(b",\"value\":");
    float::write_plain(dp.value, out);
    out.extend_from_slice(b",\"time\":");
    write_time(dp.time_ms, out);
    out.extend_from_slice(b",\"dimensions\":{");
    for (i, d) in dp.dimensions.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(&d.name, out);
        out.push(b':');
        string(&d.value, out);
    }
    out.extend_from_slice(b"}}");
}

/// Seconds since the epoch with three decimals: `1700000060.123`.
pub fn write_time(ms: i64, out: &mut Vec<u8>) {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(secs).as_bytes());
    out.push(b'.');
    out.push(b'0' + (millis / 100) as u8);
    out.push(b'0' + (millis / 10 % 10) as u8);
    out.push(b'0' + (millis % 10) as u8);
}

fn string(s: &str, out: &mut Vec<u8>) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}
