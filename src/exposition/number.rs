//! Numbers as the two text formats write them.
//!
//! Sample values are parsed here, not with a plain `str::parse`, because the
//! formats' grammars differ from Rust's (OpenMetrics requires a sign on
//! infinities, 0.0.4 follows Go's `strconv.ParseFloat`) and because most
//! values in a scrape are small integers, which a fast path turns into an
//! `f64` without going through the general float parser.

use super::Format;

/// Parses a sample value (or an exemplar value, a bucket bound, a quantile).
///
/// Both grammars take `Inf`/`Infinity` with an optional sign and `NaN`
/// without one, ignoring case. A decimal too large for an f64 is refused
/// rather than read as an infinity ("numbers MUST fit within the range of
/// a 64-bit floating point value"). The two formats read a value the
/// same way here, so the format is not asked (timestamps differ: below).
pub fn parse_value(tok: &[u8]) -> Option<f64> {
    if let Some(v) = parse_small_int(tok) {
        return Some(v);
    }
    match tok.first()? {
        b'+' | b'-' | b'.' | b'0'..=b'9' => {}
        b'n' | b'N' | b'i' | b'I' => return parse_word(tok),
        _ => return None,
    }
    if tok.len() > 1 && matches!(tok[1], b'i' | b'I' | b'n' | b'N') {
        return parse_word(tok);
    }
    parse_real(tok)
}

/// A decimal number in the `realnumber` shape shared by both formats:
/// optional sign, digits with an optional fraction, optional exponent.
/// Rejects everything Rust's parser would take beyond that (words).
pub fn parse_real(tok: &[u8]) -> Option<f64> {
    if tok.is_empty()
        || !tok
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    // Safety of from_utf8: checked ASCII above; Rust's grammar for these
    // characters is exactly [sign] (digits [. digits*] | . digits) [e [sign] digits].
    std::str::from_utf8(tok)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Integers of up to 15 digits are exact in an f64 and need no float parser.
#[inline]
fn parse_small_int(tok: &[u8]) -> Option<f64> {
    let (neg, digits) = match tok.first()? {
        b'-' => (true, &tok[1..]),
        _ => (false, tok),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + d as u64;
    }
    let v = n as f64;
    Some(if neg { -v } else { v })
}

fn parse_word(tok: &[u8]) -> Option<f64> {
    let (sign, word) = match tok[0] {
        b'+' => (Some(1.0), &tok[1..]),
        b'-' => (Some(-1.0), &tok[1..]),
        _ => (None, tok),
    };
    if word.eq_ignore_ascii_case(b"nan") {
        // Neither grammar signs a NaN.
        return if sign.is_none() { Some(f64::NAN) } else { None };
    }
    if word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"infinity") {
        return Some(sign.unwrap_or(1.0) * f64::INFINITY);
    }
    None
}

/// A sample timestamp, returned in milliseconds since the epoch.
///
/// Text 0.0.4 writes an integer number of milliseconds; OpenMetrics writes
/// seconds as a real number, which is rounded to the millisecond (the
/// precision Splunk keeps).
pub fn parse_timestamp(tok: &[u8], format: Format) -> Option<i64> {
    if format == Format::OpenMetrics {
        let secs = parse_real(tok)?;
        // Any finite number is a valid timestamp; one beyond i64
        // milliseconds (~292 million years) saturates.
        Some((secs * 1000.0).round() as i64)
    } else {
        let (neg, digits) = match tok.first()? {
            b'-' => (true, &tok[1..]),
            b'+' => (false, &tok[1..]),
            _ => (false, tok),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
        Some(if neg { -v } else { v })
    }
}

/// A timestamp as an exact ordering key, in units of 10^-18 s, for strict
/// mode's "timestamps increase" rule: OpenMetrics timestamps may carry more
/// digits than the milliseconds we keep (`0.0000000001` comes after `0.0`),
/// and an f64 cannot tell nanoseconds apart at today's epoch. A decimal
/// without exponent is read digit by digit (up to 18 fractional digits);
/// one with an exponent goes through f64. 0.0.4's integer milliseconds are
/// exact either way.
pub fn timestamp_key(tok: &[u8], format: Format) -> Option<i128> {
    const SCALE: i128 = 1_000_000_000_000_000_000;
    if format == Format::Prometheus {
        return parse_timestamp(tok, format).map(|ms| ms as i128 * (SCALE / 1000));
    }
    let (neg, body) = match tok.first()? {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    let exact = !body.is_empty() && body.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    if !exact || body.len() > 40 {
        let secs = parse_real(tok)?;
        return Some(((secs * 1e9) as i128).saturating_mul(1_000_000_000));
    }
    parse_real(tok)?; // the same grammar as any timestamp
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, &b""[..]),
    };
    let mut key: i128 = 0;
    for &d in int {
        key = key.checked_mul(10)?.checked_add((d - b'0') as i128)?;
    }
    key = key.checked_mul(SCALE)?;
    let mut unit = SCALE / 10;
    for &d in frac.iter().take(18) {
        key = key.checked_add((d - b'0') as i128 * unit)?;
        unit /= 10;
    }
    Some(if neg { -key } else { key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(parse_value(b"35"), Some(35.0));
        assert_eq!(parse_value(b"-7"), Some(-7.0));
        assert_eq!(parse_value(b"1.5e-07"), Some(1.5e-7));
        assert_eq!(parse_value(b"9.3e+08"), Some(9.3e8));
        assert_eq!(parse_value(b".5"), Some(0.5));
        assert_eq!(parse_value(b"5."), Some(5.0));
        assert_eq!(parse_value(b"+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_value(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_value(b"Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value(b"Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value(b"1e400"), None);
        assert_eq!(parse_value(b"-1e400"), None);
        assert!(parse_value(b"NaN").unwrap().is_nan());
        assert_eq!(parse_value(b"+NaN"), None);
        for bad in [
            &b""[..],
            b"-",
            b"1e",
            b"e5",
            b"0x10",
            b"1_000",
            b"abc",
            b"1.2.3",
            b"--1",
            b"in",
        ] {
            assert_eq!(parse_value(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        // 16+ digit integers take the exact general path.
        assert_eq!(parse_value(b"12345678901234567"), Some(12345678901234567.0));
    }

    #[test]
    fn timestamp_keys_order_beyond_milliseconds() {
        let k = |t: &str| timestamp_key(t.as_bytes(), Format::OpenMetrics).unwrap();
        assert!(k("0.0000000001") > k("0.0"));
        assert!(k("1700000000.000000001") > k("1700000000"));
        assert_eq!(k("1.5"), k("1.50"));
        assert_eq!(k("1e3"), k("1000"));
        assert!(k("-1") < k("0"));
        assert_eq!(timestamp_key(b"NaN", Format::OpenMetrics), None);
        assert_eq!(
            timestamp_key(b"5", Format::Prometheus),
            Some(5_000_000_000_000_000)
        );
        // Near i128's limit: no overflow, just no key.
        assert_eq!(
            timestamp_key(b"170141183460469231731.9", Format::OpenMetrics),
            None
        );
        assert!(timestamp_key(b"170141183460469231730.1", Format::OpenMetrics).is_some());
        assert!(timestamp_key(b"1e300", Format::OpenMetrics).is_some());
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            parse_timestamp(b"1700000060123", Format::Prometheus),
            Some(1_700_000_060_123)
        );
        assert_eq!(parse_timestamp(b"-5", Format::Prometheus), Some(-5));
        assert_eq!(parse_timestamp(b"1.5", Format::Prometheus), None);
        assert_eq!(
            parse_timestamp(b"1700000060.123", Format::OpenMetrics),
            Some(1_700_000_060_123)
        );
        assert_eq!(
            parse_timestamp(b"1.7e9", Format::OpenMetrics),
            Some(1_700_000_000_000)
        );
        assert_eq!(parse_timestamp(b"+Inf", Format::OpenMetrics), None);
        assert_eq!(parse_timestamp(b"NaN", Format::OpenMetrics), None);
    }
}
