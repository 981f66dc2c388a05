//! Prometheus' text formats written as client_golang's `expfmt` writes
//! them: one vocabulary for every synthetic scrape the tests make (the
//! fixture generator's Mattermost node, the differential harness's
//! timelines, the alert scenarios), so that a quirk of the format is
//! reproduced once.

use std::fmt::Write as _;

/// A metric family's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    /// No type declared (node_exporter's netstat values: counters in substance).
    Untyped,
}

impl Kind {
    /// As text format 0.0.4 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Untyped => "untyped",
        }
    }

    /// The `# HELP`/`# TYPE` name and type OpenMetrics gives a family whose
    /// samples are named `name` (`expfmt.MetricFamilyToOpenMetrics`): a
    /// counter ending in `_total` is announced without it; a counter
    /// without `_total` is `unknown` under its full name, as is untyped.
    pub fn openmetrics_family(self, name: &str) -> (&str, &'static str) {
        match self {
            Kind::Counter => match name.strip_suffix("_total") {
                Some(family) => (family, "counter"),
                None => (name, "unknown"),
            },
            Kind::Untyped => (name, "unknown"),
            k => (name, k.as_str()),
        }
    }
}

/// Which of the two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text format 0.0.4.
    Text,
    /// OpenMetrics 1.0.0.
    OpenMetrics,
}

/// `# HELP name help` and `# TYPE name type`, the help escaped as `format`
/// wants (`"` only in OpenMetrics).
pub fn push_header(out: &mut String, name: &str, help: &str, type_name: &str, format: Format) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    push_escaped(out, help, format == Format::OpenMetrics);
    out.push('\n');
    let _ = writeln!(out, "# TYPE {name} {type_name}");
}

/// `{a="1",b="2"}`, values escaped; nothing for no pairs.
pub fn push_labels<'a>(out: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let mut sep = '{';
    for (k, v) in pairs {
        out.push(sep);
        out.push_str(k);
        out.push_str("=\"");
        push_escaped(out, v, true);
        out.push('"');
        sep = ',';
    }
    if sep == ',' {
        out.push('}');
    }
}

/// `expfmt.writeEscapedString`: `\` and newline always, `"` only where
/// asked (label values in both formats, HELP text in OpenMetrics but not
/// in text 0.0.4).
pub fn push_escaped(out: &mut String, s: &str, include_double_quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if include_double_quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Formats `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)`, with the special cases of
/// `expfmt.writeFloat` (text format 0.0.4): `1.5e-07`, `2.3456789e+07`, `0.005`, `35`, `+Inf`.
///
/// Shortest `%g` switches to exponent notation when the decimal exponent is below -4 or at
/// least 6 (whatever the digit count), so `1234567` is written `1.234567e+06` while `123456`
/// stays `123456`, and `0.00001` is `1e-05`. The exponent has a sign and at least two digits.
pub fn format_go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if v == 0.0 {
        // Also catches -0.0, which Go's writeFloat prints as "0" too (f == 0).
        return "0".to_string();
    }
    // Rust's `{:e}` yields the same shortest round-trip digits as Go's Ryu-based formatter;
    // only the layout differs, so take the digits and exponent and lay them out like Go.
    let sci = format!("{:e}", v);
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("LowerExp always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let nd = digits.len() as i32;

    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        let _ = write!(out, "{}", e);
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = (exp + 1) as usize;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in 0..(int_len - digits.len()) {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Formats `v` as `expfmt.writeOpenMetricsFloat`: Go's `%g`, plus `.0` when the result has
/// neither a `.` nor an `e` (`1.0`, `0.0`, `35.0`, but `1e+06` and `0.005` unchanged).
pub fn format_openmetrics_float(v: f64) -> String {
    let mut s = format_go_float(v);
    if !v.is_nan() && !v.is_infinite() && !s.contains(['.', 'e']) {
        s.push_str(".0");
    }
    s
}
