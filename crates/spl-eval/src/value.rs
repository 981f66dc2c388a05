//! Field values and result rows, and the two orderings every command shares.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One field value of a search result.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Num(f64),
    Str(String),
    /// A multivalue field (`values()`, `mcatalog`).
    Multi(Vec<String>),
}

/// A field as read from a row: `None` is null (the field is absent).
pub type Value = Option<Field>;

/// One search result. A null field is an absent key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row(pub BTreeMap<String, Field>);

impl Row {
    pub fn new() -> Self {
        Row(BTreeMap::new())
    }

    pub fn get(&self, name: &str) -> Option<&Field> {
        self.0.get(name)
    }

    /// The field as a number, if it is one (see [`parse_num`]).
    pub fn num(&self, name: &str) -> Option<f64> {
        self.0.get(name).and_then(Field::as_num)
    }

    /// The field as text (numbers formatted as [`fmt_num`] does).
    pub fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).map(Field::text)
    }

    /// Sets the field; `None` removes it (null = absent).
    pub fn set(&mut self, name: &str, value: Value) {
        match value {
            Some(v) => {
                self.0.insert(name.to_string(), v);
            }
            None => {
                self.0.remove(name);
            }
        }
    }
}

impl Field {
    /// The value as a number. Splunk field values are untyped text that eval,
    /// where and the statistical functions treat as a number when it is
    /// written as one (Search Reference > Informational functions > isnum;
    /// Statistical and charting functions: "processes field values as
    /// numbers if possible"), so a dimension "0.005" takes part in
    /// arithmetic and numeric comparison as a number. A multivalue field is
    /// a number only when it holds one value (the docs are silent).
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Field::Num(x) => Some(*x),
            Field::Str(s) => parse_num(s),
            Field::Multi(v) if v.len() == 1 => parse_num(&v[0]),
            Field::Multi(_) => None,
        }
    }

    /// The value as text; a multivalue field joins its values with "\n"
    /// (the way Splunk Web displays one value per line).
    pub fn text(&self) -> String {
        match self {
            Field::Num(x) => fmt_num(*x),
            Field::Str(s) => s.clone(),
            Field::Multi(v) => v.join("\n"),
        }
    }

    /// Every value of the field, as text (one for a single-valued field).
    pub fn texts(&self) -> Vec<String> {
        match self {
            Field::Multi(v) => v.clone(),
            other => vec![other.text()],
        }
    }
}

/// Whether a string is a number the way a field value is one: an optional
/// sign, digits with an optional fraction, an optional exponent. "+Inf",
/// "NaN", "0x1F" and "" are strings. (The docs give no grammar for "looks
/// like a number"; this is the decimal notation of our data, where "+Inf"
/// must stay a string for the histogram macro's le=="+Inf".)
pub fn parse_num(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok()
}

/// A number as text: integers without a fraction ("300", not "300.0"),
/// others in the shortest form that reads back to the same f64. (Search
/// Reference > Conversion functions > tostring: "tostring(X) converts a
/// number to its string form"; the docs do not specify digits, this is the
/// shortest round-trip form.)
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    format!("{x}")
}

/// The "auto" collating order of `sort`, also used to order the groups of
/// `stats`, `mstats` and the series of `timechart`. Search Reference > sort >
/// Usage: "If the field contains numeric values, the collating sequence is
/// numeric ... Otherwise, the collating sequence is in lexicographical
/// order", lexicographical being byte (UTF-8) order (uppercase before
/// lowercase). The order is decided per pair of values, as the docs say.
/// (Deviation: the docs' rule that an alphanumeric string starting with a
/// digit sorts by its leading number is not modelled; such values compare
/// lexicographically.)
pub fn cmp_auto(a: &Field, b: &Field) -> Ordering {
    match (a.as_num(), b.as_num()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.text().cmp(&b.text()),
    }
}

/// Compares optional values with nulls last, whatever the direction:
/// Search Reference > sort: "Results missing a given field are treated as
/// having the smallest or largest possible value of that field if the order
/// is descending or ascending, respectively."
pub fn cmp_nulls_last(
    a: Option<&Field>,
    b: Option<&Field>,
    descending: bool,
    cmp: impl Fn(&Field, &Field) -> Ordering,
) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = cmp(x, y);
            if descending {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// Case-insensitive wildcard match of a search-language value: `*` matches
/// any run of characters. Search Manual > Use CASE() and TERM() to match
/// phrases: "By default, searches are case-insensitive" (terms and field
/// values); Search Manual > Wildcards: `*` matches any number of characters.
pub fn wildcard_match_ci(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    wildcard_match(&p, &t)
}

/// Wildcard match (`*` only) of already-normalised characters.
pub fn wildcard_match(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Parses a `span=` length into seconds. Search Reference > bin > span
/// (and timechart, mstats, makecontinuous): `<int>[<timescale>]` with
/// timescales s|sec|secs|second|seconds, m|min|mins|minute|minutes,
/// h|hr|hrs|hour|hours, d|day|days; without a timescale the number is seconds.
/// Months, weeks and subseconds are not modelled (error).
pub fn parse_span(text: &str) -> anyhow::Result<i64> {
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    let unit = &text[digits.len()..];
    let n: i64 = digits
        .parse()
        .map_err(|_| anyhow::anyhow!("span `{text}`: expected <int><timescale>"))?;
    let mult = match unit {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86400,
        _ => anyhow::bail!("span `{text}`: timescale `{unit}` is not supported by the evaluator"),
    };
    if n <= 0 {
        anyhow::bail!("span `{text}` must be positive");
    }
    Ok(n * mult)
}

/// Parses a boolean option value. Search Reference (e.g. streamstats >
/// current=\<bool\>): booleans are written true/false, t/f, 1/0.
pub fn parse_bool(text: &str) -> anyhow::Result<bool> {
    match text.to_ascii_lowercase().as_str() {
        "t" | "true" | "1" => Ok(true),
        "f" | "false" | "0" => Ok(false),
        _ => anyhow::bail!("`{text}` is not a boolean (t/f/true/false/1/0)"),
    }
}
