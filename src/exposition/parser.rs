//! The line parser: splits a scrape into lines, reads each one, keeps track
//! of the metric family the lines belong to, and hands samples out.
//!
//! Syntax is checked here, line by line, in both modes. The rules that
//! span lines (family grouping, histogram buckets, duplicate series) are
//! only checked in strict mode, by [`Validator`].

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::number::{parse_timestamp, parse_value, timestamp_key};
use super::validate::Validator;
use super::{Format, Label, MetricType, ParseError, ParseOptions, Report, Sample, Suffix};

type Reason = Cow<'static, str>;

/// What a metadata line declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Meta {
    Help,
    Type(MetricType),
    Unit,
}

impl Meta {
    fn keyword(self) -> &'static str {
        match self {
            Meta::Help => "HELP",
            Meta::Type(_) => "TYPE",
            Meta::Unit => "UNIT",
        }
    }
}

/// The family that the lines being read belong to.
struct Family<'a> {
    active: bool,
    name: Cow<'a, str>,
    typ: MetricType,
    has_help: bool,
    has_type: bool,
    has_unit: bool,
    has_samples: bool,
}

/// What every token reader needs: the format's settings, and the whole
/// scrape as text when it is valid UTF-8 (nearly always), so that a token
/// is sliced out of it instead of being checked again.
#[derive(Clone, Copy)]
struct Lex<'a> {
    om: bool,
    strict: bool,
    src: Option<&'a str>,
}

impl<'a> Lex<'a> {
    fn format(&self) -> Format {
        if self.om {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    /// `b` (a slice of the scrape) as text without a second UTF-8 check,
    /// when the scrape was valid UTF-8 and `b` starts and ends on character
    /// boundaries (our tokens are cut at ASCII delimiters, so they do).
    fn as_str(self, b: &'a [u8]) -> Option<&'a str> {
        let src = self.src?;
        let off = (b.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
        src.get(off..off.checked_add(b.len())?)
    }
}

pub(super) struct Parser<'a, 'o> {
    input: &'a [u8],
    opts: &'o ParseOptions,
    lex: Lex<'a>,
    labels: Vec<Label<'a>>,
    exemplar: Vec<Label<'a>>,
    family: Family<'a>,
    validator: Option<Validator>,
    report: Report,
}

enum Line {
    Done,
    Eof,
}

impl<'a, 'o> Parser<'a, 'o> {
    pub(super) fn new(input: &'a [u8], opts: &'o ParseOptions) -> Self {
        let om = opts.format == Format::OpenMetrics;
        Parser {
            input,
            opts,
            lex: Lex {
                om,
                strict: opts.strict,
                src: std::str::from_utf8(input).ok(),
            },
            labels: Vec::with_capacity(16),
            exemplar: Vec::new(),
            family: Family {
                active: false,
                name: Cow::Borrowed(""),
                typ: MetricType::Unknown,
                has_help: false,
                has_type: false,
                has_unit: false,
                has_samples: false,
            },
            validator: opts.strict.then(|| Validator::new(om)),
            report: Report::default(),
        }
    }

    pub(super) fn run<F>(mut self, mut on_sample: F) -> Result<Report, ParseError>
    where
        F: FnMut(&Sample<'_>),
    {
        let input = self.input;
        let mut pos = 0;
        let mut line_no = 0;
        let mut eof = false;
        while pos < input.len() {
            let (line, next) = match memchr(b'\n', &input[pos..]) {
                Some(i) => (&input[pos..pos + i], pos + i + 1),
                None => (&input[pos..], input.len()),
            };
            pos = next;
            line_no += 1;
            if eof {
                self.fail(ParseError::new(line_no, "text after # EOF"))?;
                continue;
            }
            match self.line(line, line_no, &mut on_sample) {
                Ok(Line::Done) => {}
                Ok(Line::Eof) => eof = true,
                Err(reason) => self.fail(ParseError::new(line_no, reason))?,
            }
        }
        self.report.lines = line_no;
        if self.lex.om && !eof {
            self.report.truncated = true;
            if self.lex.strict {
                return Err(ParseError::new(
                    line_no + 1,
                    "missing # EOF: the exposition ends early (truncated)",
                ));
            }
        }
        if let Some(v) = self.validator.as_mut() {
            v.end_family()
                .map_err(|r| ParseError::new(line_no + 1, r))?;
        }
        Ok(self.report)
    }

    /// Strict: the error ends the parse. Lenient: count it and go on.
    fn fail(&mut self, e: ParseError) -> Result<(), ParseError> {
        if self.lex.strict {
            return Err(e);
        }
        self.report.errors += 1;
        if self.report.first_errors.len() < self.opts.max_reported_errors {
            self.report.first_errors.push(e);
        }
        Ok(())
    }

    fn line<F>(&mut self, mut line: &'a [u8], n: usize, on_sample: &mut F) -> Result<Line, Reason>
    where
        F: FnMut(&Sample<'_>),
    {
        if let [rest @ .., b'\r'] = line {
            if self.lex.om && self.lex.strict {
                return Err(
                    "carriage return at end of line (OpenMetrics lines end with a line feed only)"
                        .into(),
                );
            }
            line = rest;
        }
        if !self.lex.om {
            // 0.0.4 ignores blanks at the start of a line, and blank lines.
            line = &line[skip_blanks(line, 0)..];
        }
        match line.first() {
            None if self.lex.om && self.lex.strict => Err("blank line".into()),
            None => Ok(Line::Done),
            Some(b'#') => self.meta_line(line, n),
            Some(_) => self.sample_line(line, n, on_sample).map(|()| Line::Done),
        }
    }

    // ---- metadata --------------------------------------------------------

    fn meta_line(&mut self, line: &'a [u8], n: usize) -> Result<Line, Reason> {
        if self.lex.om {
            self.meta_line_om(line, n)
        } else {
            self.meta_line_text(line, n)
        }
    }

    fn meta_line_om(&mut self, line: &'a [u8], n: usize) -> Result<Line, Reason> {
        if line == b"# EOF" {
            if let Some(v) = self.validator.as_mut() {
                v.end_family()?;
            }
            return Ok(Line::Eof);
        }
        let kind = if line.starts_with(b"# HELP ") {
            Meta::Help
        } else if line.starts_with(b"# TYPE ") {
            Meta::Type(MetricType::Unknown)
        } else if line.starts_with(b"# UNIT ") {
            Meta::Unit
        } else if self.lex.strict {
            return Err("unknown # line (OpenMetrics allows only HELP, TYPE, UNIT and EOF)".into());
        } else {
            return Ok(Line::Done); // a comment, in lenient mode
        };
        let (name, mut c) = read_name(self.lex, line, 7)?;
        let rest: &[u8] = match line.get(c) {
            Some(b' ') => {
                c += 1;
                &line[c..]
            }
            None if !self.lex.strict => b"",
            None => {
                return Err(format!("{} line needs a space after the name", kind.keyword()).into())
            }
            Some(_) => return Err("invalid metric name in metadata line".into()),
        };
        let kind = match kind {
            Meta::Type(_) => Meta::Type(
                MetricType::from_token(rest, Format::OpenMetrics).ok_or_else(|| bad_type(rest))?,
            ),
            Meta::Help => {
                if self.lex.strict {
                    check_help(self.lex, rest)?;
                }
                Meta::Help
            }
            Meta::Unit => {
                if !rest.iter().all(|&b| is_name_char(b)) {
                    return Err("invalid unit".into());
                }
                Meta::Unit
            }
        };
        let unit = if kind == Meta::Unit {
            Some(ascii(self.lex, rest))
        } else {
            None
        };
        self.metadata(kind, name, unit, n)?;
        Ok(Line::Done)
    }

    fn meta_line_text(&mut self, line: &'a [u8], n: usize) -> Result<Line, Reason> {
        let c = skip_blanks(line, 1);
        let (word, c) = token(line, c);
        let kind = match word {
            b"HELP" => Meta::Help,
            b"TYPE" => Meta::Type(MetricType::Unknown),
            _ => return Ok(Line::Done), // any other # line is a comment
        };
        let c = skip_blanks(line, c);
        let (name, c) = read_name(self.lex, line, c)?;
        match line.get(c) {
            None | Some(b' ' | b'\t') => {}
            Some(_) => return Err("invalid metric name in metadata line".into()),
        }
        let rest = &line[skip_blanks(line, c)..];
        let kind = match kind {
            Meta::Type(_) => {
                let (tok, end) = token(rest, 0);
                if skip_blanks(rest, end) != rest.len() {
                    return Err("text after the type in TYPE line".into());
                }
                Meta::Type(
                    MetricType::from_token(tok, Format::Prometheus).ok_or_else(|| bad_type(tok))?,
                )
            }
            Meta::Help if self.lex.strict => {
                check_help(self.lex, rest)?;
                Meta::Help
            }
            other => other,
        };
        self.metadata(kind, name, None, n)?;
        Ok(Line::Done)
    }

    fn metadata(
        &mut self,
        kind: Meta,
        name: Cow<'a, str>,
        unit: Option<&'a str>,
        n: usize,
    ) -> Result<(), Reason> {
        let same = self.family.active && self.family.name == name;
        if same && !self.family.has_samples {
            let seen = match kind {
                Meta::Help => self.family.has_help,
                Meta::Type(_) => self.family.has_type,
                Meta::Unit => self.family.has_unit,
            };
            if seen && self.lex.strict {
                return Err(format!("second {} line for {}", kind.keyword(), name).into());
            }
        } else if same && self.lex.strict {
            return Err(format!("{} line for {} after its samples", kind.keyword(), name).into());
        } else {
            self.start_family(name, n)?;
        }
        let fam = &mut self.family;
        match kind {
            Meta::Help => fam.has_help = true,
            Meta::Type(t) => {
                fam.has_type = true;
                fam.typ = t;
            }
            Meta::Unit => fam.has_unit = true,
        }
        if let Some(v) = self.validator.as_mut() {
            v.metadata(kind, &self.family.name, unit)?;
        }
        Ok(())
    }

    fn start_family(&mut self, name: Cow<'a, str>, _n: usize) -> Result<(), Reason> {
        if let Some(v) = self.validator.as_mut() {
            v.end_family()?;
            v.start_family(&name)?;
        }
        self.family = Family {
            active: true,
            name,
            typ: MetricType::Unknown,
            has_help: false,
            has_type: false,
            has_unit: false,
            has_samples: false,
        };
        Ok(())
    }

    // ---- samples ---------------------------------------------------------

    fn sample_line<F>(&mut self, line: &'a [u8], n: usize, on_sample: &mut F) -> Result<(), Reason>
    where
        F: FnMut(&Sample<'_>),
    {
        let lex = self.lex;
        self.labels.clear();
        let mut name: Option<Cow<'a, str>> = None;
        let mut c = 0;
        if line[0] != b'{' {
            let len = metric_name_len(line);
            if len == 0 {
                return Err(format!("invalid metric name at {:?}", lossy_prefix(line)).into());
            }
            name = Some(Cow::Borrowed(ascii(lex, &line[..len])));
            c = len;
            if !lex.om && line.get(skip_blanks(line, c)) == Some(&b'{') {
                c = skip_blanks(line, c); // 0.0.4 allows `name {labels}`
            }
        }
        if line.get(c) == Some(&b'{') {
            c = label_set(lex, line, c, &mut self.labels, Some(&mut name))?;
        }
        let name = name.ok_or("sample has no metric name")?;
        check_duplicate_labels(&self.labels)?;

        // Value, then an optional timestamp, then (OpenMetrics) an optional exemplar.
        c = separator(lex, line, c, "value")?;
        let (tok, mut c) = token(line, c);
        let value = parse_value(tok).ok_or_else(|| invalid("value", tok))?;
        let mut timestamp_ms = None;
        let mut timestamp_tok = None;
        let mut exemplar = None;
        if c < line.len() {
            c = separator(lex, line, c, "timestamp")?;
            if c < line.len() && line[c] != b'#' {
                let (tok, end) = token(line, c);
                timestamp_ms = Some(
                    parse_timestamp(tok, lex.format()).ok_or_else(|| invalid("timestamp", tok))?,
                );
                timestamp_tok = Some(tok);
                c = end;
                if c < line.len() {
                    c = separator(lex, line, c, "exemplar")?;
                }
            }
            if c < line.len() {
                if !lex.om {
                    return Err(format!(
                        "unexpected text {:?} after the value",
                        lossy_prefix(&line[c..])
                    )
                    .into());
                }
                exemplar = Some(self.exemplar(line, c)?);
            }
        }

        // Which family the sample belongs to.
        let suffix = match self.classify(&name) {
            Some(s) => s,
            None => {
                self.start_family(name.clone(), n)?;
                Suffix::None
            }
        };
        self.family.has_samples = true;
        let sample = Sample {
            name: &name,
            family: &self.family.name,
            metric_type: self.family.typ,
            suffix,
            value,
            timestamp_ms,
            line: n,
            label_list: &self.labels,
        };
        if let Some(v) = self.validator.as_mut() {
            let key = timestamp_tok.and_then(|t| timestamp_key(t, lex.format()));
            v.sample(&sample, exemplar, key)?;
        }
        on_sample(&sample);
        self.report.samples += 1;
        Ok(())
    }

    /// Reads an OpenMetrics exemplar (`# {labels} value [timestamp]`) and
    /// returns the number of characters in its label set (which the
    /// specification limits) and its value. Exemplars are checked, then dropped.
    fn exemplar(&mut self, line: &'a [u8], c: usize) -> Result<(usize, f64), Reason> {
        if !line[c..].starts_with(b"# {") {
            return Err(format!(
                "unexpected text {:?} after the value",
                lossy_prefix(&line[c..])
            )
            .into());
        }
        self.exemplar.clear();
        let c = label_set(self.lex, line, c + 2, &mut self.exemplar, None)?;
        check_duplicate_labels(&self.exemplar)?;
        let chars = self
            .exemplar
            .iter()
            .map(|l| l.name.chars().count() + l.value.chars().count())
            .sum();
        let c = separator(self.lex, line, c, "exemplar value")?;
        let (tok, c) = token(line, c);
        let value = parse_value(tok).ok_or_else(|| invalid("exemplar value", tok))?;
        if c < line.len() {
            let c = separator(self.lex, line, c, "exemplar timestamp")?;
            let (tok, c) = token(line, c);
            parse_timestamp(tok, Format::OpenMetrics)
                .ok_or_else(|| invalid("exemplar timestamp", tok))?;
            if c < line.len() {
                return Err("text after the exemplar".into());
            }
        }
        Ok((chars, value))
    }

    /// The suffix of `name` within the current family, or `None` when the
    /// sample starts a family of its own (with no metadata: type unknown).
    fn classify(&self, name: &str) -> Option<Suffix> {
        use MetricType::*;
        use Suffix as S;
        let fam = &self.family;
        if !fam.active {
            return None;
        }
        let Some(rest) = name.strip_prefix(&*fam.name) else {
            // Python's client writes a 0.0.4 counter `x_total` with `x_created`.
            if !self.lex.om && fam.typ == Counter {
                let base = fam.name.strip_suffix("_total")?;
                return (name.strip_prefix(base)? == "_created").then_some(S::Created);
            }
            return None;
        };
        let allowed: &[Suffix] = match (fam.typ, self.lex.om) {
            (Counter, true) => &[S::Total, S::Created],
            (Counter | Gauge | Unknown | StateSet, _) => &[S::None],
            (Histogram, _) => &[S::Bucket, S::Count, S::Sum, S::Created],
            (GaugeHistogram, _) => &[S::Bucket, S::GCount, S::GSum],
            (Summary, _) => &[S::None, S::Count, S::Sum, S::Created],
            (Info, _) => &[S::Info],
        };
        allowed.iter().copied().find(|s| s.text() == rest)
    }
}

// ---- tokens -------------------------------------------------------------

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn skip_blanks(line: &[u8], mut c: usize) -> usize {
    while c < line.len() && is_blank(line[c]) {
        c += 1;
    }
    c
}

/// The token starting at `c`: everything up to the next blank.
fn token(line: &[u8], c: usize) -> (&[u8], usize) {
    let end = line[c..]
        .iter()
        .position(|&b| is_blank(b))
        .map_or(line.len(), |i| c + i);
    (&line[c..end], end)
}

/// The separator before a value, timestamp or exemplar: exactly one space
/// in OpenMetrics, any run of spaces and tabs in 0.0.4.
fn separator(lex: Lex<'_>, line: &[u8], c: usize, what: &str) -> Result<usize, Reason> {
    if lex.om {
        match (line.get(c), line.get(c + 1)) {
            (Some(b' '), Some(b)) if *b != b' ' => Ok(c + 1),
            (Some(b' '), None) => Err(format!("trailing space where a {what} was expected").into()),
            (Some(b' '), Some(_)) => Err(format!("more than one space before the {what}").into()),
            _ => Err(format!("expected a space before the {what}").into()),
        }
    } else {
        let next = skip_blanks(line, c);
        if next == c {
            return Err(format!("expected a blank before the {what}").into());
        }
        Ok(next)
    }
}

/// Character classes of names, by byte: a table is the cheapest test in
/// the loops that scan every name of a scrape.
const LABEL: u8 = 1; // [a-zA-Z0-9_]
const METRIC: u8 = 2; // [a-zA-Z0-9_:]
const DIGIT: u8 = 4; // [0-9]
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            t[b] |= LABEL | METRIC;
        }
        if c == b':' {
            t[b] |= METRIC;
        }
        if c.is_ascii_digit() {
            t[b] |= DIGIT;
        }
        b += 1;
    }
    t
};

fn is_name_char(b: u8) -> bool {
    CLASS[b as usize] & METRIC != 0
}

/// Length of the run of bytes of class `class` at the start of `s`,
/// which must not start with a digit.
fn name_len(s: &[u8], class: u8) -> usize {
    match s.first() {
        Some(&b) if CLASS[b as usize] & (class | DIGIT) == class => {
            1 + s[1..]
                .iter()
                .take_while(|&&b| CLASS[b as usize] & class != 0)
                .count()
        }
        _ => 0,
    }
}

/// Length of the bare metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) at the start.
fn metric_name_len(s: &[u8]) -> usize {
    name_len(s, METRIC)
}

/// Length of the bare label name (`[a-zA-Z_][a-zA-Z0-9_]*`) at the start.
fn label_name_len(s: &[u8]) -> usize {
    name_len(s, LABEL)
}

/// Quoted (UTF-8) names are Prometheus 3 syntax; OpenMetrics 1.0 has none.
fn no_quoted_names(lex: Lex<'_>) -> Result<(), Reason> {
    if lex.om && lex.strict {
        return Err(
            "quoted names are not OpenMetrics 1.0 (they are Prometheus 3 text syntax)".into(),
        );
    }
    Ok(())
}

/// Bytes already checked to be ASCII name characters.
fn ascii<'a>(lex: Lex<'a>, b: &'a [u8]) -> &'a str {
    lex.as_str(b)
        .unwrap_or_else(|| std::str::from_utf8(b).unwrap_or_default())
}

/// A metric name in a metadata line: bare, or quoted (Prometheus 3).
fn read_name<'a>(lex: Lex<'a>, line: &'a [u8], c: usize) -> Result<(Cow<'a, str>, usize), Reason> {
    if line.get(c) == Some(&b'"') {
        no_quoted_names(lex)?;
        let (name, end) = quoted(lex, line, c)?;
        if name.is_empty() {
            return Err("empty metric name".into());
        }
        return Ok((name, end));
    }
    let len = metric_name_len(&line[c..]);
    if len == 0 {
        return Err("invalid metric name in metadata line".into());
    }
    Ok((Cow::Borrowed(ascii(lex, &line[c..c + len])), c + len))
}

/// A label set starting at the `{` at `c`; returns the position after `}`.
///
/// `name` is `Some` for a sample's label set, where Prometheus 3 lets a
/// quoted string without `=` in first place name the metric:
/// `{"my.metric", "some.label"="x"}`.
fn label_set<'a>(
    lex: Lex<'a>,
    line: &'a [u8],
    mut c: usize,
    out: &mut Vec<Label<'a>>,
    mut name: Option<&mut Option<Cow<'a, str>>>,
) -> Result<usize, Reason> {
    c += 1; // the '{'
    let mut first = true;
    let mut after_comma = false;
    loop {
        if !lex.om {
            c = skip_blanks(line, c);
        }
        match line.get(c) {
            None => return Err("unterminated label set".into()),
            Some(b'}') if after_comma && lex.om => return Err("trailing comma in label set".into()),
            Some(b'}') => return Ok(c + 1),
            _ => {}
        }
        let (label, quoted_name) = if line[c] == b'"' {
            no_quoted_names(lex)?;
            let (s, end) = quoted(lex, line, c)?;
            c = end;
            (s, true)
        } else {
            let len = label_name_len(&line[c..]);
            if len == 0 {
                return Err(format!("invalid label name at {:?}", lossy_prefix(&line[c..])).into());
            }
            let s = Cow::Borrowed(ascii(lex, &line[c..c + len]));
            c += len;
            (s, false)
        };
        if !lex.om {
            c = skip_blanks(line, c);
        }
        if line.get(c) == Some(&b'=') {
            c += 1;
            if !lex.om {
                c = skip_blanks(line, c);
            }
            if line.get(c) != Some(&b'"') {
                return Err(format!("value of label {label} is not quoted").into());
            }
            let (value, end) = quoted(lex, line, c)?;
            c = end;
            if label.is_empty() {
                return Err("empty label name".into());
            }
            out.push(Label { name: label, value });
        } else {
            match name.as_deref_mut() {
                Some(slot @ None) if quoted_name && first && !label.is_empty() => {
                    *slot = Some(label)
                }
                _ => return Err(format!("expected '=' after label name {label}").into()),
            }
        }
        first = false;
        if !lex.om {
            c = skip_blanks(line, c);
        }
        match line.get(c) {
            Some(b',') => {
                c += 1;
                after_comma = true;
            }
            Some(b'}') => return Ok(c + 1),
            _ => return Err("expected ',' or '}' in label set".into()),
        }
    }
}

/// A double-quoted string starting at the `"` at `c`, unescaped; returns
/// the position after the closing quote. Borrowed unless it had escapes.
///
/// Escapes: `\\`, `\"` and `\n` in both formats. Any other escape is kept
/// as written, backslash included (OpenMetrics allows a backslash before
/// any character, Prometheus's own parser keeps it); only strict 0.0.4,
/// whose documentation lists the three, refuses it.
fn quoted<'a>(lex: Lex<'a>, line: &'a [u8], c: usize) -> Result<(Cow<'a, str>, usize), Reason> {
    let start = c + 1;
    let body = &line[start..];
    let stop = memchr2(b'"', b'\\', body).ok_or("unterminated quoted string")?;
    if body[stop] == b'"' {
        return Ok((text(lex, &body[..stop])?, start + stop + 1));
    }
    let mut buf = Vec::with_capacity(body.len());
    buf.extend_from_slice(&body[..stop]);
    let mut i = stop;
    loop {
        match body.get(i) {
            None => return Err("unterminated quoted string".into()),
            Some(b'"') => break,
            Some(b'\\') => {
                match body.get(i + 1) {
                    Some(b'\\') => buf.push(b'\\'),
                    Some(b'"') => buf.push(b'"'),
                    Some(b'n') => buf.push(b'\n'),
                    Some(&other) if lex.om || !lex.strict => buf.extend_from_slice(&[b'\\', other]),
                    Some(&other) => {
                        return Err(
                            format!("invalid escape \\{} in quoted string", other as char).into(),
                        )
                    }
                    None => return Err("unterminated quoted string".into()),
                }
                i += 2;
            }
            Some(_) => {
                let run = memchr2(b'"', b'\\', &body[i..]).unwrap_or(body.len() - i);
                buf.extend_from_slice(&body[i..i + run]);
                i += run;
            }
        }
    }
    let s = match String::from_utf8(buf) {
        Ok(s) => s,
        Err(_) if lex.strict => return Err("invalid UTF-8 in quoted string".into()),
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok((Cow::Owned(s), start + i + 1))
}

/// Bytes as text: borrowed when valid UTF-8; otherwise an error (strict)
/// or a lossy copy with U+FFFD for each bad sequence (lenient).
fn text<'a>(lex: Lex<'a>, b: &'a [u8]) -> Result<Cow<'a, str>, Reason> {
    if let Some(s) = lex.as_str(b) {
        return Ok(Cow::Borrowed(s));
    }
    match std::str::from_utf8(b) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) if lex.strict => Err("invalid UTF-8 in quoted string".into()),
        Err(_) => Ok(String::from_utf8_lossy(b)),
    }
}

/// HELP text (strict): UTF-8. OpenMetrics' ABNF also forbids a bare `"`
/// and a trailing lone backslash in HELP, but its reference parser (the
/// Python client's, from whose tests the conformance corpus comes) accepts
/// both, and so do we: a HELP text is never data.
fn check_help(_lex: Lex<'_>, help: &[u8]) -> Result<(), Reason> {
    std::str::from_utf8(help).map_err(|_| "invalid UTF-8 in HELP text")?;
    Ok(())
}

fn check_duplicate_labels(labels: &[Label<'_>]) -> Result<(), Reason> {
    for (i, l) in labels.iter().enumerate() {
        if labels[..i].iter().any(|o| o.name == l.name) {
            return Err(format!("duplicate label {}", l.name).into());
        }
    }
    Ok(())
}

fn bad_type(tok: &[u8]) -> Reason {
    format!("unknown metric type {:?}", String::from_utf8_lossy(tok)).into()
}

fn invalid(what: &str, tok: &[u8]) -> Reason {
    format!("invalid {what} {:?}", String::from_utf8_lossy(tok)).into()
}

/// The start of the text where parsing failed, for error messages.
fn lossy_prefix(b: &[u8]) -> String {
    let mut s: String = String::from_utf8_lossy(&b[..b.len().min(40)]).into_owned();
    if b.len() > 40 {
        s.push('…');
    }
    s
}
