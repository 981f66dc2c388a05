//! Writing floats the two ways Splunk and Prometheus want them.
//!
//! Both start from the shortest decimal digits that round-trip to the same
//! f64 (Ryū), then lay the digits out:
//! - [`write_plain`]: a plain decimal with no exponent, for `_value`, which
//!   Splunk's metrics pipeline reads as a number only in that form
//!   (`1.5e-7` becomes `0.00000015`, `9.3e+08` becomes `930000000`).
//! - [`canonical_bound`]: the form Prometheus 3 stores bucket bounds and
//!   quantiles in (Go's `FormatFloat(f, 'g', -1, 64)`, plus `.0` when that
//!   has neither a point nor an exponent), so `le="1"` from text 0.0.4 and
//!   `le="1.0"` from OpenMetrics land in the same dimension value.

/// The shortest round-trip digits of a finite, non-zero `f64`:
/// `value = 0.DIGITS × 10^point` (so `point` is where the decimal point
/// goes, counted from the first digit).
struct Digits {
    negative: bool,
    buf: [u8; 17],
    len: usize,
    point: i32,
}

impl Digits {
    fn of(v: f64) -> Digits {
        debug_assert!(v.is_finite() && v != 0.0);
        let mut ryu_buf = ryu::Buffer::new();
        let s = ryu_buf.format_finite(v).as_bytes();
        let negative = s[0] == b'-';
        let s = if negative { &s[1..] } else { s };
        let (mantissa, exp) = match s.iter().position(|&b| b == b'e' || b == b'E') {
            Some(i) => (&s[..i], parse_exp(&s[i + 1..])),
            None => (s, 0),
        };
        let mut d = Digits {
            negative,
            buf: [0; 17],
            len: 0,
            point: 0,
        };
        let mut int_digits = 0i32;
        let mut seen_point = false;
        for &b in mantissa {
            match b {
                b'.' => seen_point = true,
                b'0' if d.len == 0 => {
                    // leading zero: before the point it's nothing, after it
                    // it moves the point left
                    if seen_point {
                        int_digits -= 1;
                    }
                }
                _ => {
                    d.buf[d.len] = b;
                    d.len += 1;
                    if !seen_point {
                        int_digits += 1;
                    }
                }
            }
        }
        while d.len > 1 && d.buf[d.len - 1] == b'0' {
            d.len -= 1;
        }
        d.point = int_digits + exp;
        d
    }

    fn digits(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn parse_exp(s: &[u8]) -> i32 {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = s.iter().fold(0i32, |n, &b| n * 10 + (b - b'0') as i32);
    if neg {
        -n
    } else {
        n
    }
}

/// Where the writers put bytes: a `Vec` or an [`InlineStr`].
trait Sink {
    fn put(&mut self, b: &[u8]);
    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.put(b"0");
        }
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
    fn zeros(&mut self, n: usize) {
        self.resize(self.len() + n, b'0');
    }
}

impl Sink for InlineStr {
    fn put(&mut self, b: &[u8]) {
        self.push(b);
    }
}

/// Lays out digits as a plain decimal (no sign).
fn put_plain(d: &Digits, out: &mut impl Sink) {
    let digits = d.digits();
    let point = d.point;
    if point <= 0 {
        out.put(b"0.");
        out.zeros((-point) as usize);
        out.put(digits);
    } else if point as usize >= digits.len() {
        out.put(digits);
        out.zeros(point as usize - digits.len());
    } else {
        let (int, frac) = digits.split_at(point as usize);
        out.put(int);
        out.put(b".");
        out.put(frac);
    }
}

/// Appends `v` as a plain decimal that parses back to exactly `v`.
/// `v` must be finite (callers skip NaN and infinities).
pub fn write_plain(v: f64, out: &mut Vec<u8>) {
    debug_assert!(v.is_finite());
    // Integers below 2^53 are the common case (counters, bucket counts).
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        if v == 0.0 && v.is_sign_negative() {
            out.extend_from_slice(b"-0");
            return;
        }
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(v as i64).as_bytes());
        return;
    }
    let d = Digits::of(v);
    if d.negative {
        out.push(b'-');
    }
    put_plain(&d, out);
}

/// A short string kept inline: canonical bounds are at most 25 bytes.
#[derive(Clone, Copy)]
pub struct InlineStr {
    buf: [u8; 32],
    len: u8,
}

impl InlineStr {
    fn new() -> Self {
        InlineStr {
            buf: [0; 32],
            len: 0,
        }
    }

    fn push(&mut self, b: &[u8]) {
        let end = self.len as usize + b.len();
        self.buf[self.len as usize..end].copy_from_slice(b);
        self.len = end as u8;
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever pushed.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or_default()
    }
}

impl std::fmt::Debug for InlineStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A bucket bound or quantile in Prometheus 3's canonical form:
/// `1.0`, `0.005`, `2.5`, `100000.0`, `1e+06`, `1.5e-07`, `+Inf`, `-Inf`, `NaN`.
pub fn canonical_bound(v: f64) -> InlineStr {
    let mut s = InlineStr::new();
    if v.is_nan() {
        s.push(b"NaN");
    } else if v == f64::INFINITY {
        s.push(b"+Inf");
    } else if v == f64::NEG_INFINITY {
        s.push(b"-Inf");
    } else if v == 0.0 {
        s.push(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
    } else {
        let d = Digits::of(v);
        if d.negative {
            s.push(b"-");
        }
        let digits = d.digits();
        let exp = d.point - 1;
        // Go's %g with the shortest precision switches to an exponent
        // below 1e-4 and from 1e+06 (its "precision 6" rule).
        if !(-4..6).contains(&exp) {
            s.push(&digits[..1]);
            if digits.len() > 1 {
                s.push(b".");
                s.push(&digits[1..]);
            }
            s.push(if exp < 0 { b"e-" } else { b"e+" });
            let e = exp.unsigned_abs();
            if e < 10 {
                s.push(b"0");
            }
            let mut b = itoa::Buffer::new();
            s.push(b.format(e).as_bytes());
        } else {
            // -4 <= exp < 6: at most 17 digits and 5 zeros, within 32 bytes.
            let start = s.len;
            put_plain(&d, &mut s);
            if !s.buf[start as usize..s.len as usize].contains(&b'.') {
                s.push(b".0");
            }
        }
    }
    s
}

/// The canonical form of a bound written as `text`, without going through
/// an f64 when the text is already in it or one `.0` away: the common case
/// (`0.005`, `2.5`, `+Inf` from both formats, `1` from 0.0.4, `1.0` from
/// OpenMetrics). With at most 15 significant digits a decimal reads back
/// from an f64 unchanged, so such text is its own shortest form. Anything
/// else (exponents, leading `+`, trailing zeros, long or huge numbers) goes
/// the general way. `None`: not a number.
pub fn canonical_bound_text(text: &str) -> Option<InlineStr> {
    if let Some(s) = canonical_text_fast(text.as_bytes()) {
        return Some(s);
    }
    crate::exposition::parse_value(text.as_bytes()).map(canonical_bound)
}

fn canonical_text_fast(b: &[u8]) -> Option<InlineStr> {
    if b == b"+Inf" || b == b"-Inf" || b == b"NaN" {
        let mut s = InlineStr::new();
        s.push(b);
        return Some(s);
    }
    let body = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match body.iter().position(|&c| c == b'.') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(int) || (int.len() > 1 && int[0] == b'0') {
        return None;
    }
    // Significant digits and the decimal exponent of the first one.
    let (sig, exp) = if int != b"0" {
        (
            int.len() + frac.map_or(0, <[u8]>::len),
            int.len() as i32 - 1,
        )
    } else {
        let f = frac?; // "0" alone, or -0: general path
        let zeros = f.iter().take_while(|&&c| c == b'0').count();
        (f.len() - zeros, -(zeros as i32) - 1)
    };
    if let Some(f) = frac {
        if !all_digits(f) || f.last() == Some(&b'0') {
            return None; // "1.", "0.50": not the shortest form
        }
    }
    if sig == 0 || sig > 15 || !(-4..6).contains(&exp) {
        return None;
    }
    let mut s = InlineStr::new();
    s.push(b);
    if frac.is_none() {
        s.push(b".0");
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        let mut out = Vec::new();
        write_plain(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_decimals() {
        assert_eq!(plain(1.5e-7), "0.00000015");
        assert_eq!(plain(9.3e8), "930000000");
        assert_eq!(plain(0.1), "0.1");
        assert_eq!(plain(-2.5), "-2.5");
        assert_eq!(plain(35.0), "35");
        assert_eq!(plain(0.0), "0");
        assert_eq!(plain(-0.0), "-0");
        assert_eq!(plain(1e21), "1000000000000000000000");
        assert_eq!(plain(1.7000004e9), "1700000400");
        assert_eq!(plain(123.456), "123.456");
        assert_eq!(plain(5e-324), format!("0.{}5", "0".repeat(323)));
    }

    #[test]
    fn plain_round_trips() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if !v.is_finite() {
                continue;
            }
            let s = plain(v);
            assert!(!s.contains(['e', 'E']), "{s}");
            assert_eq!(
                s.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{v:e} -> {s}"
            );
        }
    }

    #[test]
    fn canonical_text_fast_path_agrees_with_the_general_way() {
        let texts = [
            "0.005",
            "0.01",
            "0.025",
            "1",
            "1.0",
            "2.5",
            "10",
            "10.0",
            "+Inf",
            "-Inf",
            "NaN",
            "0",
            "0.0",
            "-0",
            "-1",
            "100000",
            "1000000",
            "1e+06",
            "1e6",
            "0.0001",
            "0.00001",
            "0.50",
            "1.",
            "+1",
            "01",
            "123456789012345",
            "1234567890123456",
            "0.123456789012345",
            "0.1000000000000000055511151231257827",
            "7.5",
            "12.5",
            "0.150",
            "5e-324",
            "-2.5",
            "99999.9",
            "999999.5",
        ];
        for t in texts {
            let general = crate::exposition::parse_value(t.as_bytes()).map(canonical_bound);
            assert_eq!(
                canonical_bound_text(t).map(|s| s.as_str().to_string()),
                general.map(|s| s.as_str().to_string()),
                "{t}"
            );
        }
        assert!(canonical_bound_text("abc").is_none());
    }

    #[test]
    fn canonical_bounds_match_prometheus_3() {
        let cases = [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (0.005, "0.005"),
            (2.5, "2.5"),
            (10.0, "10.0"),
            (100000.0, "100000.0"),
            (1e6, "1e+06"),
            (5e6, "5e+06"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-1.0, "-1.0"),
            (123456789.0, "1.23456789e+08"),
            (1e100, "1e+100"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(canonical_bound(v).as_str(), want, "{v}");
        }
        assert_eq!(canonical_bound(f64::NAN).as_str(), "NaN");
    }
}
