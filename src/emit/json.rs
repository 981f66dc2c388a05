//! One data point as one JSON object:
//! `{"metric_name":"...","value":1.5,"time":1700000060.123,"dimensions":{"k":"v"}}`
//!
//! `value` is a JSON number: an integer when the value is one (below 2^53),
//! else the shortest form that reads back as the same f64 (an exponent is
//! valid JSON, and a 309-digit plain decimal is more than some JSON readers
//! take). `time` is in seconds with millisecond precision (as Splunk's `_time`).

use crate::convert::{float, DataPoint};

/// Appends the JSON object of `dp` (no line end) to `out`.
pub fn write(dp: &DataPoint<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"metric_name\":");
    string(dp.metric_name, out);
    out.extend_from_slice(b",\"value\":");
    if dp.value.fract() == 0.0 && dp.value.abs() < 9_007_199_254_740_992.0 {
        float::write_plain(dp.value, out);
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(dp.value).as_bytes());
    }
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

/// Seconds since the epoch with three decimals: `1700000060.123`
/// (`-0.005` for -5 ms).
pub fn write_time(ms: i64, out: &mut Vec<u8>) {
    if ms < 0 {
        out.push(b'-');
    }
    let abs = ms.unsigned_abs();
    let (secs, millis) = (abs / 1000, abs % 1000);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn time(ms: i64) -> String {
        let mut out = Vec::new();
        write_time(ms, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn times() {
        assert_eq!(time(1_700_000_060_123), "1700000060.123");
        assert_eq!(time(5), "0.005");
        assert_eq!(time(-5), "-0.005");
        assert_eq!(time(-1_995), "-1.995");
        assert_eq!(time(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn values_read_back_with_serde_json() {
        for v in [
            f64::MAX,
            f64::MIN,
            1.5e-7,
            9.3e8,
            0.1,
            -0.0,
            5e-324,
            123456789012345680.0,
        ] {
            let dp = DataPoint {
                metric_name: "m",
                value: v,
                time_ms: 0,
                dimensions: &[],
            };
            let mut out = Vec::new();
            write(&dp, &mut out);
            let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(
                j["value"].as_f64(),
                Some(v),
                "{}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}
