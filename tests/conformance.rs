//! Conformance suite for the exposition parser in strict mode.
//!
//! Every case is built from a rule of one of:
//! - OpenMetrics 1.0 ("OM"): the ABNF and the MUST / MUST NOT sentences of the
//!   data model and text format sections;
//! - the Prometheus text exposition format 0.0.4 ("0.0.4"), as documented in
//!   prometheus/docs `exposition_formats.md`, including Prometheus 3's quoted
//!   UTF-8 metric and label names (`{"my.metric", "some.label"="x"} 1`);
//! - the decisions taken for this parser (marked "decision").
//!
//! `ok!(name, Format, input, samples = N [, |s: &[S]| checks])`: strict parse
//! succeeds, the report and the callback both count N samples, and the optional
//! closure checks what the callback saw (names, unescaped labels, values,
//! timestamps in milliseconds).
//!
//! `bad!(name, Format, input, line = L)`: strict parse fails and the error
//! names line L.
//!
//! LINE CONVENTION. Lines are numbered from 1; a final line without a line
//! feed is still a line. The line an error names is the first line at which,
//! reading top to bottom, the input can no longer be the beginning of a valid
//! exposition:
//! - a malformed line names itself;
//! - a rule spanning lines names the line that completes the violation (the
//!   repeated family / series / metadata line, the out-of-order bucket, the
//!   `_count` that disagrees with the `+Inf` bucket, whichever of the two
//!   comes second, the sample whose timestamp goes back);
//! - something missing (a `+Inf` bucket, the `_count` that must accompany a
//!   `_sum`, the `# EOF`) is known only when its group ends, so the error names
//!   the line that ends the group: the next family's first line, the `# EOF`
//!   line, or, at the end of the input, the line after the last one (empty
//!   input: line 1; `a 1\n`: line 2).

use mattermost_metrics::exposition::{self, Format, ParseError, ParseOptions, Report, Sample};

/// An owned copy of what the callback saw.
#[derive(Debug, Clone)]
struct S {
    name: String,
    value: f64,
    ts: Option<i64>,
    labels: Vec<(String, String)>,
}

impl S {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn show(input: &[u8]) -> String {
    input.escape_ascii().to_string()
}

fn run(format: Format, input: &[u8]) -> (Result<Report, ParseError>, Vec<S>) {
    let opts = ParseOptions {
        format,
        strict: true,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let r = exposition::parse(input, &opts, |s: &Sample<'_>| {
        seen.push(S {
            name: s.name.to_string(),
            value: s.value,
            ts: s.timestamp_ms,
            labels: s
                .labels()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        })
    });
    (r, seen)
}

fn expect_ok(format: Format, input: &[u8], samples: usize) -> Vec<S> {
    let (r, seen) = run(format, input);
    match r {
        Ok(report) => {
            assert_eq!(
                report.samples,
                samples,
                "report.samples for {:?} input \"{}\"",
                format,
                show(input)
            );
            assert_eq!(
                seen.len(),
                samples,
                "callback calls for {:?} input \"{}\"",
                format,
                show(input)
            );
            seen
        }
        Err(e) => panic!(
            "expected {:?} to accept \"{}\", got error: {}",
            format,
            show(input),
            e
        ),
    }
}

fn expect_bad(format: Format, input: &[u8], line: usize) {
    let (r, _) = run(format, input);
    match r {
        Ok(report) => panic!(
            "expected {:?} to reject \"{}\" at line {}, but it was accepted ({} samples)",
            format,
            show(input),
            line,
            report.samples
        ),
        Err(e) => {
            if std::env::var_os("CONFORMANCE_SHOW").is_some() {
                eprintln!("REJECT {:?} \"{}\" => {}", format, show(input), e);
            }
            assert_eq!(
                e.line,
                line,
                "wrong line for {:?} input \"{}\": error was \"{}\"",
                format,
                show(input),
                e
            )
        }
    }
}

macro_rules! ok {
    ($name:ident, $fmt:ident, $input:expr, samples = $n:expr) => {
        #[test]
        fn $name() {
            expect_ok(Format::$fmt, &$input[..], $n);
        }
    };
    ($name:ident, $fmt:ident, $input:expr, samples = $n:expr, $check:expr) => {
        #[test]
        fn $name() {
            let seen = expect_ok(Format::$fmt, &$input[..], $n);
            let check: fn(&[S]) = $check;
            check(&seen);
        }
    };
}

macro_rules! bad {
    ($name:ident, $fmt:ident, $input:expr, line = $l:expr) => {
        #[test]
        fn $name() {
            expect_bad(Format::$fmt, &$input[..], $l);
        }
    };
}

fn labels_of(s: &S) -> Vec<(&str, &str)> {
    s.labels
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

// ===========================================================================
// OpenMetrics 1.0: overall structure, `# EOF`, line endings
// ===========================================================================

// ABNF `exposition = metricset HASH SP eof [ LF ]`, `metricset = *metricfamily`:
// an empty MetricSet is valid.
ok!(om_eof_only, OpenMetrics, b"# EOF\n", samples = 0);
// `[ LF ]`: the LF after `# EOF` is optional.
ok!(
    om_eof_without_final_lf,
    OpenMetrics,
    b"a 1\n# EOF",
    samples = 1
);
// `metricfamily = *metric-descriptor *metric`: a family with metadata only.
ok!(
    om_family_without_samples,
    OpenMetrics,
    b"# TYPE a gauge\n# HELP a help\n# EOF\n",
    samples = 0
);
// "Expositions MUST end with EOF": empty input.
bad!(om_empty_input, OpenMetrics, b"", line = 1);
// "Expositions MUST end with EOF".
bad!(om_missing_eof, OpenMetrics, b"a 1\n", line = 2);
// Missing EOF after metadata only.
bad!(
    om_missing_eof_after_metadata,
    OpenMetrics,
    b"# TYPE a gauge\n# HELP a h\n",
    line = 3
);
// Missing EOF, last line without LF (the `sample` rule ends in LF anyway).
bad!(om_missing_eof_no_final_lf, OpenMetrics, b"a 1", line = 2);
// `# EOF` is the end of the exposition: nothing may follow but one LF.
bad!(
    om_sample_after_eof,
    OpenMetrics,
    b"a 1\n# EOF\nb 1\n",
    line = 3
);
// Only a single optional LF after `# EOF`.
bad!(
    om_blank_line_after_eof,
    OpenMetrics,
    b"a 1\n# EOF\n\n",
    line = 3
);
// A second `# EOF`.
bad!(om_two_eofs, OpenMetrics, b"# EOF\n# EOF\n", line = 2);
// `HASH SP eof [ LF ]`: no trailing space.
bad!(
    om_eof_trailing_space,
    OpenMetrics,
    b"a 1\n# EOF \n",
    line = 2
);
// `eof = %d69.79.70`: uppercase only.
bad!(om_eof_lowercase, OpenMetrics, b"a 1\n# eof\n", line = 2);
// `# EOF` glued to more text.
bad!(om_eof_glued, OpenMetrics, b"a 1\n# EOFblah\n", line = 2);
// `HASH SP eof`: the space is required.
bad!(om_eof_without_space, OpenMetrics, b"a 1\n#EOF\n", line = 2);
// "Line endings MUST be signalled with line feed (\n) and MUST NOT contain
// carriage returns (\r)".
bad!(om_crlf_on_sample, OpenMetrics, b"a 1\r\n# EOF\n", line = 1);
// Same, on the EOF line.
bad!(om_crlf_on_eof, OpenMetrics, b"a 1\n# EOF\r\n", line = 2);
// Same, on a metadata line.
bad!(
    om_crlf_on_metadata,
    OpenMetrics,
    b"# TYPE a gauge\r\na 1\n# EOF\n",
    line = 1
);
// The ABNF has no empty line: blank lines are invalid.
bad!(om_blank_line, OpenMetrics, b"a 1\n\nb 1\n# EOF\n", line = 2);
// "Byte order markers (BOMs) MUST NOT be used."
bad!(om_bom, OpenMetrics, b"\xEF\xBB\xBFa 1\n# EOF\n", line = 1);
// "Aside from this metadata and the EOF line ... you MUST NOT expose lines
// beginning with a #": no comments.
bad!(
    om_comment_line,
    OpenMetrics,
    b"# hello world\na 1\n# EOF\n",
    line = 1
);
// Same: an unknown metadata keyword.
bad!(
    om_unknown_keyword,
    OpenMetrics,
    b"# FOO a x\n# EOF\n",
    line = 1
);
// Same: a lone `#`.
bad!(om_lone_hash, OpenMetrics, b"#\n# EOF\n", line = 1);
// `sample = metricname ...`: no leading whitespace.
bad!(
    om_leading_space_sample,
    OpenMetrics,
    b" a 1\n# EOF\n",
    line = 1
);
// `metric-descriptor = HASH SP ...`: no leading whitespace.
bad!(
    om_leading_space_metadata,
    OpenMetrics,
    b" # TYPE a gauge\n# EOF\n",
    line = 1
);

// ===========================================================================
// OpenMetrics: single spaces (the ABNF uses exactly one SP between tokens)
// ===========================================================================

bad!(
    om_two_spaces_before_value,
    OpenMetrics,
    b"a  1\n# EOF\n",
    line = 1
);
bad!(om_tab_before_value, OpenMetrics, b"a\t1\n# EOF\n", line = 1);
bad!(om_trailing_space, OpenMetrics, b"a 1 \n# EOF\n", line = 1);
bad!(om_trailing_tab, OpenMetrics, b"a 1\t\n# EOF\n", line = 1);
bad!(
    om_two_spaces_before_timestamp,
    OpenMetrics,
    b"a 1  2\n# EOF\n",
    line = 1
);
// `metricname [labels]`: no space between the name and `{`.
bad!(
    om_space_before_labels,
    OpenMetrics,
    b"a {x=\"1\"} 1\n# EOF\n",
    line = 1
);
// `[labels] SP number`: the space after `}` is required.
bad!(
    om_no_space_after_labels,
    OpenMetrics,
    b"a{x=\"1\"}1\n# EOF\n",
    line = 1
);
// `label *(COMMA label)`: no space after the comma.
bad!(
    om_space_after_comma,
    OpenMetrics,
    b"a{x=\"1\", y=\"2\"} 1\n# EOF\n",
    line = 1
);
// `label-name EQ DQUOTE`: no spaces around `=`.
bad!(
    om_space_around_eq,
    OpenMetrics,
    b"a{x = \"1\"} 1\n# EOF\n",
    line = 1
);
// `HASH SP type SP metricname SP metric-type LF`.
bad!(
    om_type_two_spaces,
    OpenMetrics,
    b"# TYPE a  gauge\n# EOF\n",
    line = 1
);

// ===========================================================================
// OpenMetrics: metadata (TYPE, HELP, UNIT)
// ===========================================================================

// The spec's order TYPE, UNIT, HELP; unit is a suffix of the name.
ok!(om_type_unit_help, OpenMetrics,
    b"# TYPE a_seconds counter\n# UNIT a_seconds seconds\n# HELP a_seconds Help text.\na_seconds_total 1\n# EOF\n",
    samples = 1);
// "The ordering SHOULD be TYPE, UNIT, HELP": SHOULD only, HELP first is valid.
ok!(
    om_help_before_type,
    OpenMetrics,
    b"# HELP a h\n# TYPE a counter\na_total 1\n# EOF\n",
    samples = 1
);
// "The value of a UNIT or HELP line MAY be empty" (`SP escaped-string`, empty).
ok!(
    om_empty_help,
    OpenMetrics,
    b"# HELP a \na 1\n# EOF\n",
    samples = 1
);
// Same for UNIT (`SP *metricname-char`, empty).
ok!(
    om_empty_unit,
    OpenMetrics,
    b"# UNIT a \na 1\n# EOF\n",
    samples = 1
);
// HELP `escaped-string`: `\\`, `\n`, `\"` escapes.
ok!(
    om_help_escapes,
    OpenMetrics,
    b"# HELP a x\\\\y\\nz \\\" w\na 1\n# EOF\n",
    samples = 1
);
// `escaped-char =/ BS normal-char`: an undefined escape is allowed.
ok!(
    om_help_undefined_escape,
    OpenMetrics,
    b"# HELP a back\\slash\na 1\n# EOF\n",
    samples = 1
);
// HELP is UTF-8 text, may contain `#`, `{`, `}`.
ok!(
    om_help_utf8_and_specials,
    OpenMetrics,
    "# HELP a Gr\u{fc}\u{df}e \u{2713} {x} # 1\na 1\n# EOF\n".as_bytes(),
    samples = 1
);
// A descriptor names a new family: metadata for b after metadata for a.
ok!(
    om_metadata_of_two_families,
    OpenMetrics,
    b"# TYPE a gauge\n# HELP b x\nb 1\n# EOF\n",
    samples = 1
);
// `normal-char` excludes DQUOTE (%x22), but the reference parser (Python's,
// whose tests the corpus comes from) accepts a raw `"` in HELP, and so do we.
ok!(
    om_help_raw_dquote,
    OpenMetrics,
    b"# HELP a say \"hi\"\na 1\n# EOF\n",
    samples = 1
);
// `HASH SP help SP metricname SP escaped-string`: the SP after the name is required.
bad!(
    om_help_without_separator,
    OpenMetrics,
    b"# HELP a\na 1\n# EOF\n",
    line = 1
);
// HELP without a name.
bad!(
    om_help_without_name,
    OpenMetrics,
    b"# HELP\n# EOF\n",
    line = 1
);
// "Strings MUST only consist of valid UTF-8 characters".
bad!(
    om_help_invalid_utf8,
    OpenMetrics,
    b"# HELP a \xff\xfe\na 1\n# EOF\n",
    line = 1
);
// `help = %d72.69.76.80`: uppercase keyword.
bad!(
    om_help_lowercase_keyword,
    OpenMetrics,
    b"# help a h\n# EOF\n",
    line = 1
);
// TYPE requires a type.
bad!(
    om_type_without_type,
    OpenMetrics,
    b"# TYPE a\n# EOF\n",
    line = 1
);
// `metric-type LF`: no trailing space.
bad!(
    om_type_trailing_space,
    OpenMetrics,
    b"# TYPE a gauge \n# EOF\n",
    line = 1
);
// `metric-type` has no `untyped` (0.0.4 only).
bad!(
    om_type_untyped,
    OpenMetrics,
    b"# TYPE a untyped\na 1\n# EOF\n",
    line = 1
);
// An unknown type word.
bad!(
    om_type_unknown_word,
    OpenMetrics,
    b"# TYPE a meh\n# EOF\n",
    line = 1
);
// `gauge = %d103.97.117.103.101`: lowercase only.
bad!(
    om_type_capitalised,
    OpenMetrics,
    b"# TYPE a Gauge\na 1\n# EOF\n",
    line = 1
);
// `HASH SP unit SP metricname SP *metricname-char`: the SP after the name is required.
bad!(
    om_unit_without_separator,
    OpenMetrics,
    b"# UNIT a_s\n# EOF\n",
    line = 1
);
// UNIT value has no trailing space.
bad!(
    om_unit_trailing_space,
    OpenMetrics,
    b"# UNIT a_s s \n# EOF\n",
    line = 1
);
// "an underscore and the unit MUST be the suffix of the MetricFamily name"
// (the spec's own invalid example).
bad!(
    om_unit_not_suffix,
    OpenMetrics,
    b"# TYPE a counter\n# UNIT a seconds\n# EOF\n",
    line = 2
);
// Same: the suffix must be separated by an underscore.
bad!(
    om_unit_without_underscore,
    OpenMetrics,
    b"# UNIT aseconds seconds\n# EOF\n",
    line = 1
);
// Same: an infix is not a suffix.
bad!(
    om_unit_infix,
    OpenMetrics,
    b"# TYPE a_seconds_max gauge\n# UNIT a_seconds_max seconds\n# EOF\n",
    line = 2
);
// "MetricFamilies of type Info MUST have an empty Unit string."
bad!(
    om_unit_on_info,
    OpenMetrics,
    b"# TYPE x_u info\n# UNIT x_u u\n# EOF\n",
    line = 2
);
// "MetricFamilies of type StateSets MUST have an empty Unit string."
bad!(
    om_unit_on_stateset,
    OpenMetrics,
    b"# TYPE x_u stateset\n# UNIT x_u u\n# EOF\n",
    line = 2
);
// "There MUST NOT be more than one of each type of metadata line for a MetricFamily."
bad!(
    om_duplicate_type,
    OpenMetrics,
    b"# TYPE a gauge\n# TYPE a gauge\n# EOF\n",
    line = 2
);
bad!(
    om_duplicate_help,
    OpenMetrics,
    b"# HELP a x\n# HELP a x\n# EOF\n",
    line = 2
);
bad!(
    om_duplicate_unit,
    OpenMetrics,
    b"# UNIT a_s s\n# UNIT a_s s\n# EOF\n",
    line = 2
);
// `metricfamily = *metric-descriptor *metric`: metadata before the samples.
bad!(
    om_type_after_samples,
    OpenMetrics,
    b"# HELP a x\na 1\n# TYPE a gauge\n# EOF\n",
    line = 3
);
bad!(
    om_help_after_samples,
    OpenMetrics,
    b"# TYPE a gauge\na 1\n# HELP a x\n# EOF\n",
    line = 3
);
bad!(
    om_unit_after_samples,
    OpenMetrics,
    b"# TYPE a_s gauge\na_s 1\n# UNIT a_s s\n# EOF\n",
    line = 3
);

// ===========================================================================
// OpenMetrics: metric families
// ===========================================================================

// "If no TYPE is exposed, the MetricFamily MUST be of type Unknown"; families
// follow one another without separator.
ok!(
    om_two_families,
    OpenMetrics,
    b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# EOF\n",
    samples = 2
);
// A family of type unknown without metadata may have any name, `_total` too.
ok!(
    om_untyped_total_name,
    OpenMetrics,
    b"a_total 1\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].name, "a_total")
);
// "Exposers SHOULD avoid names that could be confused with the suffixes": SHOULD only.
ok!(
    om_gauge_named_like_suffix,
    OpenMetrics,
    b"# TYPE a_total gauge\na_total 1\n# EOF\n",
    samples = 1
);
// "MetricFamilies MUST NOT be interleaved" / names "MUST be unique within a MetricSet".
bad!(
    om_family_repeated,
    OpenMetrics,
    b"a 1\nb 1\na 2\n# EOF\n",
    line = 3
);
// Same, a family declared again by metadata.
bad!(
    om_family_redeclared,
    OpenMetrics,
    b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n# EOF\n",
    line = 5
);
// Same name, different type.
bad!(
    om_family_same_name_other_type,
    OpenMetrics,
    b"# TYPE a info\n# TYPE a counter\n# EOF\n",
    line = 2
);
// "The name of a MetricFamily MUST NOT result in a potential clash for sample
// metric names ... a gauge called foo_created [and] a counter called foo".
bad!(
    om_family_clash_created_first,
    OpenMetrics,
    b"# TYPE a_created gauge\n# TYPE a counter\n# EOF\n",
    line = 2
);
// Same clash, the counter first.
bad!(
    om_family_clash_counter_first,
    OpenMetrics,
    b"# TYPE a counter\na_total 1\n# TYPE a_created gauge\na_created 1\n# EOF\n",
    line = 3
);
// Counter: "Total Value Sample MetricName MUST have the suffix _total": `a` is
// not a sample of counter `a`, and cannot start a second family `a`.
bad!(
    om_counter_without_suffix,
    OpenMetrics,
    b"# TYPE a counter\na 1\n# EOF\n",
    line = 2
);
// Info: "MUST have the suffix _info".
bad!(
    om_info_without_suffix,
    OpenMetrics,
    b"# TYPE a info\na 1\n# EOF\n",
    line = 2
);

// ===========================================================================
// OpenMetrics: metric names and labels
// ===========================================================================

// `metricname-initial-char = ALPHA / "_" / ":"`, `metricname-char` adds DIGIT.
ok!(
    om_names_with_colons_and_digits,
    OpenMetrics,
    b"a:b:c 1\nx_1:y2 2\n# EOF\n",
    samples = 2
);
// `labels = "{" [label *(COMMA label)] "}"`: empty braces, "bar_seconds_count{} 0".
ok!(
    om_empty_braces,
    OpenMetrics,
    b"a{} 1\n# EOF\n",
    samples = 1,
    |s| assert!(s[0].labels.is_empty())
);
// Escaping: `\\` -> `\`, `\"` -> `"`, `\n` -> LF; `\\n` is backslash + n.
ok!(
    om_label_escapes,
    OpenMetrics,
    b"a{x=\"a\\\\b\",y=\"q\\\"q\",z=\"l\\nl\",w=\"\\\\n\"} 1\n# EOF\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].label("x"), Some("a\\b"));
        assert_eq!(s[0].label("y"), Some("q\"q"));
        assert_eq!(s[0].label("z"), Some("l\nl"));
        assert_eq!(s[0].label("w"), Some("\\n"));
    }
);
// `escaped-char =/ BS normal-char`: "`\\a` is equivalent ... to `\a`", i.e.
// an undefined escape stands for the backslash and the character.
ok!(
    om_label_undefined_escape,
    OpenMetrics,
    b"a{x=\"\\z\"} 1\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].label("x"), Some("\\z"))
);
// Label values are any UTF-8 but `"`, `\`, LF: `,` `=` `{` `}` `#` are plain.
ok!(
    om_label_value_specials,
    OpenMetrics,
    b"a{x=\"a,b=c}d # e{\",y=\"\"} 1\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].label("x"), Some("a,b=c}d # e{"))
);
// "NULL (ASCII 0x0) MUST be supported" (normal-char includes %x00).
ok!(
    om_label_value_nul,
    OpenMetrics,
    b"a{x=\"p\x00q\"} 1\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].label("x"), Some("p\0q"))
);
// Label values MAY be any valid UTF-8.
ok!(
    om_label_value_utf8,
    OpenMetrics,
    "a{x=\"\u{65e5}\u{672c} \u{1F600}\"} 1\n# EOF\n".as_bytes(),
    samples = 1,
    |s| assert_eq!(s[0].label("x"), Some("\u{65e5}\u{672c} \u{1F600}"))
);
// Labels keep the order of the line.
ok!(
    om_label_order_kept,
    OpenMetrics,
    b"a{b=\"1\",a=\"2\"} 1\n# EOF\n",
    samples = 1,
    |s| assert_eq!(labels_of(&s[0]), vec![("b", "1"), ("a", "2")])
);
bad!(
    om_name_starts_with_digit,
    OpenMetrics,
    b"0a 1\n# EOF\n",
    line = 1
);
bad!(om_name_with_dot, OpenMetrics, b"a.b 1\n# EOF\n", line = 1);
bad!(om_name_with_dash, OpenMetrics, b"a-b 1\n# EOF\n", line = 1);
// "MetricFamily names beginning with underscores are RESERVED and MUST NOT be used".
bad!(
    om_name_reserved_underscore,
    OpenMetrics,
    b"_a 1\n# EOF\n",
    line = 1
);
// OM 1.0's ABNF has no quoted names (that is Prometheus 3 / OM 2.0 syntax).
bad!(
    om_quoted_metric_name,
    OpenMetrics,
    b"{\"a.b\"} 1\n# EOF\n",
    line = 1
);
bad!(
    om_quoted_name_in_type,
    OpenMetrics,
    b"# TYPE \"a.b\" gauge\n# EOF\n",
    line = 1
);
bad!(
    om_quoted_label_name,
    OpenMetrics,
    b"a{\"x.y\"=\"1\"} 1\n# EOF\n",
    line = 1
);
// "Label names beginning with underscores are RESERVED and MUST NOT be used".
bad!(
    om_label_reserved_underscore,
    OpenMetrics,
    b"a{_x=\"1\"} 1\n# EOF\n",
    line = 1
);
// "Label names MUST be unique within a LabelSet."
bad!(
    om_duplicate_label_name,
    OpenMetrics,
    b"a{x=\"1\",x=\"2\"} 1\n# EOF\n",
    line = 1
);
// No trailing comma: `label *(COMMA label)`.
bad!(
    om_trailing_comma,
    OpenMetrics,
    b"a{x=\"1\",} 1\n# EOF\n",
    line = 1
);
bad!(
    om_double_comma,
    OpenMetrics,
    b"a{x=\"1\",,y=\"2\"} 1\n# EOF\n",
    line = 1
);
bad!(
    om_missing_comma,
    OpenMetrics,
    b"a{x=\"1\"y=\"2\"} 1\n# EOF\n",
    line = 1
);
bad!(
    om_leading_comma,
    OpenMetrics,
    b"a{,x=\"1\"} 1\n# EOF\n",
    line = 1
);
// `label = label-name EQ DQUOTE escaped-string DQUOTE`.
bad!(
    om_label_unquoted_value,
    OpenMetrics,
    b"a{x=1} 1\n# EOF\n",
    line = 1
);
bad!(
    om_label_single_quotes,
    OpenMetrics,
    b"a{x='1'} 1\n# EOF\n",
    line = 1
);
bad!(
    om_label_unterminated_value,
    OpenMetrics,
    b"a{x=\"1} 1\n# EOF\n",
    line = 1
);
// `\"` escapes the quote, so the value runs to the end of the line.
bad!(
    om_label_escaped_closing_quote,
    OpenMetrics,
    b"a{x=\"1\\\"} 1\n# EOF\n",
    line = 1
);
bad!(
    om_label_missing_eq,
    OpenMetrics,
    b"a{x\"1\"} 1\n# EOF\n",
    line = 1
);
bad!(
    om_label_missing_value,
    OpenMetrics,
    b"a{x=} 1\n# EOF\n",
    line = 1
);
bad!(
    om_label_name_only,
    OpenMetrics,
    b"a{x} 1\n# EOF\n",
    line = 1
);
bad!(
    om_unclosed_braces,
    OpenMetrics,
    b"a{x=\"1\" 1\n# EOF\n",
    line = 1
);
// `label-name-initial-char = ALPHA / "_"`.
bad!(
    om_label_name_starts_with_digit,
    OpenMetrics,
    b"a{1x=\"1\"} 1\n# EOF\n",
    line = 1
);
// `label-name-char` has no ":" (unlike metric names).
bad!(
    om_label_name_with_colon,
    OpenMetrics,
    b"a{x:y=\"1\"} 1\n# EOF\n",
    line = 1
);
bad!(
    om_label_name_with_dot,
    OpenMetrics,
    b"a{x.y=\"1\"} 1\n# EOF\n",
    line = 1
);
// "Strings MUST only consist of valid UTF-8 characters".
bad!(
    om_label_value_invalid_utf8,
    OpenMetrics,
    b"a{x=\"\xff\"} 1\n# EOF\n",
    line = 1
);
// A raw LF cannot be in a label value (normal-char excludes %x0A).
bad!(
    om_label_value_raw_newline,
    OpenMetrics,
    b"a{x=\"1\n2\"} 1\n# EOF\n",
    line = 1
);

// ===========================================================================
// OpenMetrics: numbers
// ===========================================================================

// "Examples are 23, 0042": leading zeros explicitly okay.
ok!(
    om_value_leading_zeros,
    OpenMetrics,
    b"a 0042\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].value, 42.0)
);
// Scientific notation, "1.89e-7".
ok!(
    om_value_exponent,
    OpenMetrics,
    b"a 1.5e-7\nb 4.20072246e+06\n# EOF\n",
    samples = 2,
    |s| {
        assert_eq!(s[0].value, 1.5e-7);
        assert_eq!(s[1].value, 4.20072246e6);
    }
);
// RFC 5234 literals are case-insensitive: "e" matches "E".
ok!(
    om_value_exponent_uppercase,
    OpenMetrics,
    b"a 1E3\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].value, 1000.0)
);
// `[SIGN] *DIGIT "." 1*DIGIT` and `1*DIGIT ["." *DIGIT]`.
ok!(
    om_value_dot_forms,
    OpenMetrics,
    b"a .5\nb 5.\nc -.25\n# EOF\n",
    samples = 3,
    |s| {
        assert_eq!(s[0].value, 0.5);
        assert_eq!(s[1].value, 5.0);
        assert_eq!(s[2].value, -0.25);
    }
);
// `[SIGN]` on real numbers.
ok!(
    om_value_signs,
    OpenMetrics,
    b"a +1\nb -1.5\n# EOF\n",
    samples = 2,
    |s| {
        assert_eq!(s[0].value, 1.0);
        assert_eq!(s[1].value, -1.5);
    }
);
// "The non-real values NaN, +Inf and -Inf MUST be supported."
ok!(
    om_value_non_real,
    OpenMetrics,
    b"a +Inf\nb -Inf\nc NaN\n# EOF\n",
    samples = 3,
    |s| {
        assert_eq!(s[0].value, f64::INFINITY);
        assert_eq!(s[1].value, f64::NEG_INFINITY);
        assert!(s[2].value.is_nan());
    }
);
// `number =/ [SIGN] ("inf" / "infinity")`, "; Case insensitive": the sign is optional.
ok!(
    om_value_unsigned_inf,
    OpenMetrics,
    b"a Inf\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].value, f64::INFINITY)
);
// Same: "infinity", any case.
ok!(
    om_value_infinity_any_case,
    OpenMetrics,
    b"a +infinity\nb -INF\nc +InFiNiTy\n# EOF\n",
    samples = 3,
    |s| {
        assert_eq!(s[0].value, f64::INFINITY);
        assert_eq!(s[1].value, f64::NEG_INFINITY);
        assert_eq!(s[2].value, f64::INFINITY);
    }
);
// `number =/ "nan"`, case insensitive.
ok!(
    om_value_nan_any_case,
    OpenMetrics,
    b"a nan\nb NAN\n# EOF\n",
    samples = 2,
    |s| assert!(s[0].value.is_nan() && s[1].value.is_nan())
);
// Integers beyond i64 are valid numbers ("ingestors MAY only support float64").
ok!(
    om_value_big_integer,
    OpenMetrics,
    b"a 18446744073709551615\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].value, 18446744073709551615.0)
);
// `number =/ "nan"` takes no sign.
bad!(
    om_value_signed_nan,
    OpenMetrics,
    b"a +NaN\n# EOF\n",
    line = 1
);
bad!(om_value_word, OpenMetrics, b"a one\n# EOF\n", line = 1);
bad!(om_value_hex, OpenMetrics, b"a 0x1A\n# EOF\n", line = 1);
bad!(
    om_value_hex_float,
    OpenMetrics,
    b"a 0x1p-3\n# EOF\n",
    line = 1
);
bad!(
    om_value_digit_separator,
    OpenMetrics,
    b"a 1_000\n# EOF\n",
    line = 1
);
bad!(
    om_value_two_dots,
    OpenMetrics,
    b"a 1.2.3\n# EOF\n",
    line = 1
);
bad!(
    om_value_exponent_without_digits,
    OpenMetrics,
    b"a 1e\n# EOF\n",
    line = 1
);
bad!(
    om_value_decimal_comma,
    OpenMetrics,
    b"a 1,5\n# EOF\n",
    line = 1
);
// `sample = metricname [labels] SP number`: the value is required.
bad!(om_value_missing, OpenMetrics, b"a\n# EOF\n", line = 1);
bad!(
    om_value_missing_after_space,
    OpenMetrics,
    b"a \n# EOF\n",
    line = 1
);
bad!(
    om_value_missing_after_labels,
    OpenMetrics,
    b"a{x=\"1\"}\n# EOF\n",
    line = 1
);
// "Floating point numbers MUST fit within the range of a 64-bit floating point value".
bad!(
    om_value_out_of_range,
    OpenMetrics,
    b"a 1e400\n# EOF\n",
    line = 1
);

// ===========================================================================
// OpenMetrics: timestamps ("Unix Epoch in seconds", realnumber) -> ms
// ===========================================================================

ok!(
    om_timestamp_fraction,
    OpenMetrics,
    b"# TYPE a gauge\na 1 1520879607.789\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(1_520_879_607_789))
);
ok!(
    om_timestamp_integer_seconds,
    OpenMetrics,
    b"a 1 1234567890\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(1_234_567_890_000))
);
ok!(
    om_timestamp_exponent,
    OpenMetrics,
    b"a 1 1.5e3\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(1_500_000))
);
// "Negative timestamps MAY be used."
ok!(
    om_timestamp_negative,
    OpenMetrics,
    b"a 1 -1.5\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(-1_500))
);
ok!(
    om_timestamp_zero_padded,
    OpenMetrics,
    b"a 1 000\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(0))
);
ok!(
    om_no_timestamp,
    OpenMetrics,
    b"a 1\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, None)
);
// `timestamp = realnumber`: no NaN / Inf.
bad!(om_timestamp_nan, OpenMetrics, b"a 1 NaN\n# EOF\n", line = 1);
bad!(
    om_timestamp_inf,
    OpenMetrics,
    b"a 1 +Inf\n# EOF\n",
    line = 1
);
bad!(om_timestamp_word, OpenMetrics, b"a 1 z\n# EOF\n", line = 1);
bad!(
    om_timestamp_garbage_suffix,
    OpenMetrics,
    b"a 1 1z\n# EOF\n",
    line = 1
);
bad!(
    om_timestamp_two_dots,
    OpenMetrics,
    b"a 1 1.1.1\n# EOF\n",
    line = 1
);
bad!(
    om_extra_token_after_timestamp,
    OpenMetrics,
    b"a 1 2 3\n# EOF\n",
    line = 1
);

// ===========================================================================
// OpenMetrics: metrics, MetricPoints, interleaving, duplicates
// ===========================================================================

// "If more than one MetricPoint is exposed for a Metric, then its MetricPoints
// MUST have monotonically increasing timestamps" (the spec's gauge example).
ok!(
    om_points_increasing_timestamps,
    OpenMetrics,
    b"# TYPE a gauge\na 17.0 123\na 18.0 456\n# EOF\n",
    samples = 2,
    |s| assert_eq!((s[0].ts, s[1].ts), (Some(123_000), Some(456_000)))
);
// Same rule, violated.
bad!(
    om_points_decreasing_timestamps,
    OpenMetrics,
    b"# TYPE a gauge\na 1 2\na 1 1\n# EOF\n",
    line = 3
);
// Decision: a series repeated without timestamps is a duplicate ("Every Metric
// within a MetricFamily MUST have a unique LabelSet").
bad!(
    om_duplicate_series,
    OpenMetrics,
    b"a 1\na 2\n# EOF\n",
    line = 2
);
// Same, a timestamped point followed by one without.
bad!(
    om_duplicate_series_second_without_ts,
    OpenMetrics,
    b"a 1 1\na 2\n# EOF\n",
    line = 2
);
// A LabelSet is a set: the same labels in another order are the same series.
bad!(
    om_duplicate_series_reordered_labels,
    OpenMetrics,
    b"a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n# EOF\n",
    line = 2
);
// Counter: two Totals for one MetricPoint.
bad!(
    om_counter_duplicate_total,
    OpenMetrics,
    b"# TYPE a counter\na_total 1\na_total 2\n# EOF\n",
    line = 3
);
// Distinct label values are distinct series.
ok!(
    om_distinct_series,
    OpenMetrics,
    b"a{x=\"1\"} 1\na{x=\"2\"} 1\n# EOF\n",
    samples = 2
);
// "Metrics MUST NOT be interleaved."
bad!(
    om_metrics_interleaved,
    OpenMetrics,
    b"# TYPE a gauge\na{x=\"1\"} 1 1\na{x=\"2\"} 1 1\na{x=\"1\"} 2 2\n# EOF\n",
    line = 4
);
// The spec's correct example with several MetricPoints per Metric.
ok!(
    om_summary_points_in_order,
    OpenMetrics,
    b"# TYPE foo_seconds summary\n# UNIT foo_seconds seconds\n\
foo_seconds_count{a=\"bb\"} 0 123\nfoo_seconds_sum{a=\"bb\"} 0 123\n\
foo_seconds_count{a=\"bb\"} 0 456\nfoo_seconds_sum{a=\"bb\"} 0 456\n\
foo_seconds_count{a=\"ccc\"} 0 123\nfoo_seconds_sum{a=\"ccc\"} 0 123\n\
foo_seconds_count{a=\"ccc\"} 0 456\nfoo_seconds_sum{a=\"ccc\"} 0 456\n# EOF\n",
    samples = 8
);
// "MetricPoints MUST NOT be interleaved" (the spec's incorrect example).
bad!(
    om_summary_points_interleaved,
    OpenMetrics,
    b"# TYPE foo_seconds summary\n# UNIT foo_seconds seconds\n\
foo_seconds_count{a=\"bb\"} 0 123\nfoo_seconds_count{a=\"bb\"} 0 456\n\
foo_seconds_sum{a=\"bb\"} 0 123\nfoo_seconds_sum{a=\"bb\"} 0 456\n# EOF\n",
    line = 5
);
// "Metrics MUST NOT be interleaved" (the spec's incorrect example).
bad!(
    om_summary_metrics_interleaved,
    OpenMetrics,
    b"# TYPE foo_seconds summary\n# UNIT foo_seconds seconds\n\
foo_seconds_count{a=\"bb\"} 0 123\nfoo_seconds_count{a=\"ccc\"} 0 123\n\
foo_seconds_count{a=\"bb\"} 0 456\nfoo_seconds_count{a=\"ccc\"} 0 456\n# EOF\n",
    line = 5
);

// ===========================================================================
// OpenMetrics: counter
// ===========================================================================

ok!(
    om_counter_total,
    OpenMetrics,
    b"# TYPE a counter\na_total 1\n# EOF\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].name, "a_total");
        assert_eq!(s[0].value, 1.0);
    }
);
// "If present the MetricPoint's Created Value Sample MetricName MUST have the suffix _created".
ok!(om_counter_total_and_created, OpenMetrics,
    b"# TYPE a counter\na_total 17.0 1520879607.789\na_created 1520430000.123 1520879607.789\n# EOF\n",
    samples = 2,
    |s| {
        assert_eq!(s[1].name, "a_created");
        assert_eq!(s[1].value, 1520430000.123);
        assert_eq!(s[1].ts, Some(1_520_879_607_789));
    });
// "Exemplars MAY be attached to the MetricPoint's Total sample."
ok!(
    om_counter_exemplar,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n# EOF\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].value, 1.0);
        assert_eq!(s[0].ts, None);
        assert!(
            s[0].labels.is_empty(),
            "exemplar labels are not sample labels"
        );
    }
);
// `[SP timestamp] [exemplar]`, exemplar with its own timestamp.
ok!(
    om_counter_timestamp_and_exemplar,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 1 # {} 0.5 1520879607.789\n# EOF\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(1_000))
);
// Integer beyond i64 (uint64 counters).
ok!(
    om_counter_uint64,
    OpenMetrics,
    b"# TYPE a counter\na_total 9223372036854775808\n# EOF\n",
    samples = 1
);
// "A Total is a non-NaN".
bad!(
    om_counter_nan,
    OpenMetrics,
    b"# TYPE a counter\na_total NaN\n# EOF\n",
    line = 2
);
// Decision / "starting from 0", non-decreasing: counters are non-negative.
bad!(
    om_counter_negative,
    OpenMetrics,
    b"# TYPE a counter\na_total -1\n# EOF\n",
    line = 2
);
// Exemplars only on the Total, not on _created.
bad!(
    om_counter_exemplar_on_created,
    OpenMetrics,
    b"# TYPE a counter\na_total 1\na_created 1 # {a=\"b\"} 0.5\n# EOF\n",
    line = 3
);

// ===========================================================================
// OpenMetrics: gauge, unknown
// ===========================================================================

// Gauges may be negative or NaN ("NaN MUST NOT be considered a missing value").
ok!(
    om_gauge_negative_and_nan,
    OpenMetrics,
    b"# TYPE a gauge\na{x=\"1\"} -1\na{x=\"2\"} NaN\n# EOF\n",
    samples = 2
);
ok!(
    om_unknown_explicit,
    OpenMetrics,
    b"# TYPE a unknown\na 42.23\n# EOF\n",
    samples = 1
);
// Exemplars are for counter Totals and histogram buckets only.
bad!(
    om_gauge_exemplar,
    OpenMetrics,
    b"# TYPE a gauge\na 1 # {a=\"b\"} 1\n# EOF\n",
    line = 2
);
bad!(
    om_unknown_exemplar,
    OpenMetrics,
    b"a 1 # {a=\"b\"} 1\n# EOF\n",
    line = 1
);

// ===========================================================================
// OpenMetrics: exemplar syntax and size
// `exemplar = SP HASH SP labels SP number [SP timestamp]`
// ===========================================================================

bad!(
    om_exemplar_hash_only,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 #\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_no_space_before_hash,
    OpenMetrics,
    b"# TYPE a counter\na_total 1# {} 1\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_no_space_after_hash,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 #{} 1\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_no_space_before_value,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {}1\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_trailing_space,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {} 1 \n# EOF\n",
    line = 2
);
// "Exemplars without Labels MUST represent an empty LabelSet as {}."
bad!(
    om_exemplar_without_braces,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # 1\n# EOF\n",
    line = 2
);
// "Exemplars MUST consist of a LabelSet and a value".
bad!(
    om_exemplar_without_value,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {id=\"a\"}\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_timestamp_nan,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {} 1 NaN\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_timestamp_inf,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {} 1 +Inf\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_value_hex,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {} 0x1p-3\n# EOF\n",
    line = 2
);
// "A bucket MUST NOT have more than one exemplar" (and the ABNF allows one).
bad!(
    om_two_exemplars,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {} 1 # {} 2\n# EOF\n",
    line = 2
);
// An exemplar's LabelSet: "Label names MUST be unique within a LabelSet".
bad!(
    om_exemplar_duplicate_label,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {a=\"1\",a=\"2\"} 1\n# EOF\n",
    line = 2
);
bad!(
    om_exemplar_trailing_comma,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 # {a=\"1\",} 1\n# EOF\n",
    line = 2
);

fn exemplar_case(labels: &str) -> Vec<u8> {
    format!("# TYPE a counter\na_total 1 # {{{labels}}} 1\n# EOF\n").into_bytes()
}

// "The combined length of the label names and values of an Exemplar's LabelSet
// MUST NOT exceed 128 UTF-8 character code points": exactly 128.
#[test]
fn om_exemplar_128_chars() {
    expect_ok(
        Format::OpenMetrics,
        &exemplar_case(&format!("a=\"{}\"", "x".repeat(127))),
        1,
    );
}
// Same, 129.
#[test]
fn om_exemplar_129_chars() {
    expect_bad(
        Format::OpenMetrics,
        &exemplar_case(&format!("a=\"{}\"", "x".repeat(128))),
        2,
    );
}
// Same, counted over several labels: 2 + 62 + 2 + 62 = 128.
#[test]
fn om_exemplar_two_labels_128() {
    let l = format!("ab=\"{}\",cd=\"{}\"", "x".repeat(62), "y".repeat(62));
    expect_ok(Format::OpenMetrics, &exemplar_case(&l), 1);
}
// Same: 2 + 63 + 2 + 62 = 129.
#[test]
fn om_exemplar_two_labels_129() {
    let l = format!("ab=\"{}\",cd=\"{}\"", "x".repeat(63), "y".repeat(62));
    expect_bad(Format::OpenMetrics, &exemplar_case(&l), 2);
}
// Code points, not bytes: 1 + 127 two-byte characters = 128 code points (255 bytes).
#[test]
fn om_exemplar_128_code_points_multibyte() {
    expect_ok(
        Format::OpenMetrics,
        &exemplar_case(&format!("a=\"{}\"", "\u{e9}".repeat(127))),
        1,
    );
}
// Same: 129 code points of which 128 are multibyte.
#[test]
fn om_exemplar_129_code_points_multibyte() {
    expect_bad(
        Format::OpenMetrics,
        &exemplar_case(&format!("a=\"{}\"", "\u{e9}".repeat(128))),
        2,
    );
}

// ===========================================================================
// OpenMetrics: histogram
// ===========================================================================

// Buckets sorted by numeric `le` (not textual), non-canonical `le` accepted
// ("Parsers MUST NOT reject inputs which are outside of the canonical values"),
// `_count` = `+Inf` bucket, `_sum`, `_created`; float renderings of integers.
ok!(
    om_histogram_full,
    OpenMetrics,
    b"# TYPE a histogram\n\
a_bucket{le=\"0.0\"} 0\n\
a_bucket{le=\"1e-05\"} 0\n\
a_bucket{le=\"0.0001\"} 5\n\
a_bucket{le=\"1.1e-4\"} 5\n\
a_bucket{le=\"1\"} 10\n\
a_bucket{le=\"10.0\"} 11.0\n\
a_bucket{le=\"1e+06\"} 15\n\
a_bucket{le=\"+Inf\"} 17\n\
a_count 17\na_sum 324789.3\na_created 1520430000.123\n# EOF\n",
    samples = 11,
    |s| {
        assert_eq!(s[0].name, "a_bucket");
        assert_eq!(s[0].label("le"), Some("0.0"));
        assert_eq!(s[7].label("le"), Some("+Inf"));
        assert_eq!(s[7].value, 17.0);
        assert_eq!(s[8].name, "a_count");
        assert_eq!(s[9].name, "a_sum");
        assert_eq!(s[10].name, "a_created");
    }
);
// "Bucket values MAY have exemplars"; value within the bucket (<= le).
ok!(
    om_histogram_exemplars,
    OpenMetrics,
    b"# TYPE a histogram\n\
a_bucket{le=\"0.01\"} 0\n\
a_bucket{le=\"0.1\"} 8 # {} 0.054\n\
a_bucket{le=\"1\"} 11 # {trace_id=\"KOO5S4vxi0o\"} 1\n\
a_bucket{le=\"10\"} 17 # {trace_id=\"oHg5SJYRHA0\"} 9.8 1520879607.789\n\
a_bucket{le=\"+Inf\"} 17 # {} 1e10\n\
a_count 17\na_sum 324789.3\n# EOF\n",
    samples = 7
);
// "A Histogram MetricPoint MUST contain at least one bucket": only +Inf is enough.
ok!(
    om_histogram_inf_bucket_only,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
    samples = 1
);
// "Negative threshold buckets MAY be used" (without a sum).
ok!(
    om_histogram_negative_threshold,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 1\n# EOF\n",
    samples = 2
);
// Several Metrics in one histogram family, `le` anywhere in the label set.
ok!(
    om_histogram_two_metrics,
    OpenMetrics,
    b"# TYPE a histogram\n\
a_bucket{x=\"1\",le=\"+Inf\"} 1\na_count{x=\"1\"} 1\na_sum{x=\"1\"} 1\n\
a_bucket{le=\"+Inf\",x=\"2\"} 2\na_count{x=\"2\"} 2\na_sum{x=\"2\"} 1\n# EOF\n",
    samples = 6
);
// Neither the ABNF nor the text orders the samples inside one MetricPoint
// (only "MetricPoints MUST NOT be interleaved"): _count and _sum may come first.
ok!(om_histogram_count_sum_before_buckets, OpenMetrics,
    b"# TYPE a histogram\na_count 1\na_sum 0.5\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 1\n# EOF\n", samples = 4);
// Several MetricPoints of one Metric, with increasing timestamps.
ok!(om_histogram_two_points, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 1\na_count 1 1\na_sum 1 1\na_bucket{le=\"+Inf\"} 2 2\na_count 2 2\na_sum 2 2\n# EOF\n",
    samples = 6,
    |s| assert_eq!((s[0].ts, s[3].ts), (Some(1_000), Some(2_000))));
// `le` and `quantile` are ordinary labels outside histograms / summaries.
ok!(
    om_le_and_quantile_on_a_gauge,
    OpenMetrics,
    b"# TYPE a gauge\na{le=\"x\",quantile=\"y\"} 1\n# EOF\n",
    samples = 1
);
// "A Histogram's Metric's LabelSet MUST NOT have a "le" label name."
bad!(om_histogram_le_on_count, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count{le=\"+Inf\"} 1\na_sum{le=\"+Inf\"} 1\n# EOF\n", line = 3);
// "Histogram MetricPoints MUST have one bucket with an +Inf threshold."
bad!(
    om_histogram_missing_inf,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 0\n# EOF\n",
    line = 3
);
// Same, the group ends with the next family.
bad!(
    om_histogram_missing_inf_next_family,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 0\n# TYPE b gauge\nb 1\n# EOF\n",
    line = 3
);
// Same, with _count and _sum but no bucket at all.
bad!(
    om_histogram_no_buckets,
    OpenMetrics,
    b"# TYPE a histogram\na_count 0\na_sum 0\n# EOF\n",
    line = 4
);
// "Buckets MUST be sorted in number increasing order of le".
bad!(om_histogram_buckets_unsorted, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n", line = 3);
// "Buckets MUST be cumulative".
bad!(om_histogram_not_cumulative, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"2\"} 1\na_bucket{le=\"+Inf\"} 0\n# EOF\n", line = 4);
// "Bucket thresholds within a MetricPoint MUST be unique."
bad!(om_histogram_duplicate_le, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n", line = 3);
// Same, numerically equal thresholds written differently.
bad!(om_histogram_duplicate_le_numeric, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 0\na_bucket{le=\"1.0\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n", line = 3);
// "If and only if a Sum Value is present ..., the +Inf Bucket value MUST also
// appear in a Sample ... with the suffix _count" -- and then equal to it.
bad!(
    om_histogram_count_mismatch,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 1\na_sum 0\n# EOF\n",
    line = 3
);
// Same "if and only if": a _sum without _count.
bad!(
    om_histogram_sum_without_count,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_sum 0\n# EOF\n",
    line = 4
);
// Same "if and only if": a _count without _sum.
bad!(
    om_histogram_count_without_sum,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 0\n# EOF\n",
    line = 4
);
// "The MetricPoint's Bucket Values Sample MetricNames MUST have the suffix _bucket"
// with an "le" label.
bad!(
    om_histogram_bucket_without_le,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket 0\n# EOF\n",
    line = 2
);
bad!(
    om_histogram_le_not_a_number,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"x\"} 0\n# EOF\n",
    line = 2
);
// "Bucket thresholds MUST NOT equal NaN."
bad!(
    om_histogram_le_nan,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"NaN\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
    line = 2
);
// "Sum, and buckets values are counters so MUST NOT be NaN or negative."
bad!(
    om_histogram_bucket_negative,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} -1\n# EOF\n",
    line = 2
);
bad!(
    om_histogram_bucket_nan,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} NaN\n# EOF\n",
    line = 2
);
bad!(
    om_histogram_sum_nan,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum NaN\n# EOF\n",
    line = 4
);
bad!(
    om_histogram_sum_negative,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum -1\n# EOF\n",
    line = 4
);
// "Count and bucket values MUST be integers."
bad!(
    om_histogram_bucket_fraction,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 0.5\n# EOF\n",
    line = 2
);
// "Negative threshold buckets MAY be used, but then the Histogram MetricPoint
// MUST NOT contain a sum value".
bad!(om_histogram_negative_threshold_with_sum, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"-1\"} 1\na_bucket{le=\"+Inf\"} 2\na_count 2\na_sum 1\n# EOF\n", line = 5);
// "the value of the exemplar MUST be within this range" (bucket covers <= le).
bad!(
    om_histogram_exemplar_above_bucket,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 1 # {} 2\na_bucket{le=\"+Inf\"} 1\n# EOF\n",
    line = 2
);
// Exemplars on buckets only, not on _count / _sum.
bad!(
    om_histogram_exemplar_on_count,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1 # {a=\"b\"} 0.5\na_sum 1\n# EOF\n",
    line = 3
);
bad!(
    om_histogram_exemplar_on_sum,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum 1 # {a=\"b\"} 0.5\n# EOF\n",
    line = 4
);
// "Metrics MUST NOT be interleaved": x=1 is left without +Inf when x=2 starts.
bad!(om_histogram_metrics_interleaved, OpenMetrics,
    b"# TYPE a histogram\na_bucket{x=\"1\",le=\"1\"} 0\na_bucket{x=\"2\",le=\"+Inf\"} 0\na_bucket{x=\"1\",le=\"+Inf\"} 0\n# EOF\n",
    line = 3);

// ===========================================================================
// OpenMetrics: gaugehistogram
// ===========================================================================

ok!(
    om_gaugehistogram_full,
    OpenMetrics,
    b"# TYPE a gaugehistogram\n\
a_bucket{le=\"0.01\"} 20.0\na_bucket{le=\"0.1\"} 25.0\na_bucket{le=\"1\"} 34.0\n\
a_bucket{le=\"+Inf\"} 42.0\na_gcount 42.0\na_gsum 3289.3\n# EOF\n",
    samples = 6,
    |s| {
        assert_eq!(s[4].name, "a_gcount");
        assert_eq!(s[5].name, "a_gsum");
    }
);
// "If negative threshold buckets are present, then sum MAY be negative."
ok!(om_gaugehistogram_negative_gsum, OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"-1\"} 1\na_bucket{le=\"+Inf\"} 2\na_gcount 2\na_gsum -3\n# EOF\n",
    samples = 4);
// "Bucket values can have exemplars."
ok!(
    om_gaugehistogram_exemplar,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1 # {id=\"x\"} 3\n# EOF\n",
    samples = 1
);
// Sum may be negative only with negative thresholds.
bad!(
    om_gaugehistogram_negative_gsum_without_negative_buckets,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gcount 1\na_gsum -1\n# EOF\n",
    line = 4
);
// "Gsum MUST NOT be NaN."
bad!(
    om_gaugehistogram_gsum_nan,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gcount 1\na_gsum NaN\n# EOF\n",
    line = 4
);
// "bucket values MUST NOT be negative or NaN".
bad!(
    om_gaugehistogram_bucket_negative,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} -1\n# EOF\n",
    line = 2
);
bad!(
    om_gaugehistogram_bucket_nan,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} NaN\n# EOF\n",
    line = 2
);
// "Bucket values MUST be integers."
bad!(
    om_gaugehistogram_bucket_fraction,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0.5\n# EOF\n",
    line = 2
);
// "MUST have one bucket with an +Inf threshold".
bad!(
    om_gaugehistogram_missing_inf,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"1\"} 1\n# EOF\n",
    line = 3
);
// _gcount must equal the +Inf bucket.
bad!(
    om_gaugehistogram_gcount_mismatch,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gcount 2\na_gsum 1\n# EOF\n",
    line = 3
);
// "If and only if a Sum Value is present ... suffix _gcount".
bad!(
    om_gaugehistogram_gsum_without_gcount,
    OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum 1\n# EOF\n",
    line = 4
);
// "The buckets for a GaugeHistogram follow all the same rules as for a Histogram."
bad!(om_gaugehistogram_buckets_unsorted, OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n", line = 3);
// Exemplars on buckets only.
bad!(om_gaugehistogram_exemplar_on_gsum, OpenMetrics,
    b"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gcount 1\na_gsum 1 # {a=\"b\"} 0.5\n# EOF\n", line = 4);

// ===========================================================================
// OpenMetrics: summary
// ===========================================================================

// "A Summary MetricPoint MAY consist of a Count, Sum, Created, and a set of quantiles."
ok!(
    om_summary_count_sum_created,
    OpenMetrics,
    b"# TYPE a summary\na_count 17.0\na_sum 324789.3\na_created 1520430000.123\n# EOF\n",
    samples = 3
);
// "Quantiles MAY be in any order."
ok!(
    om_summary_quantiles_any_order,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"0.99\"} 150.0\na{quantile=\"0.95\"} 123.7\n# EOF\n",
    samples = 2,
    |s| {
        assert_eq!(s[0].name, "a");
        assert_eq!(s[0].label("quantile"), Some("0.99"));
    }
);
// "If there are no events in the relevant timeframe, the value for a quantile MUST be NaN."
ok!(
    om_summary_quantile_nan_value,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"0.5\"} NaN\n# EOF\n",
    samples = 1
);
// "Quantiles MUST be between 0 and 1 inclusive"; non-canonical forms accepted.
ok!(om_summary_quantile_bounds, OpenMetrics,
    b"# TYPE a summary\na{quantile=\"0\"} 1\na{quantile=\"5e-1\"} 2\na{quantile=\"1.0\"} 3\n# EOF\n", samples = 3);
// Count and Sum may precede the quantiles (no order inside a MetricPoint).
ok!(
    om_summary_count_before_quantiles,
    OpenMetrics,
    b"# TYPE a summary\na_count 2\na_sum 3\na{quantile=\"0.5\"} 1\n# EOF\n",
    samples = 3
);
// "A Quantile's Metric's LabelSet MUST NOT have "quantile" label name."
bad!(
    om_summary_quantile_on_count,
    OpenMetrics,
    b"# TYPE a summary\na_count{quantile=\"0.5\"} 1\n# EOF\n",
    line = 2
);
bad!(
    om_summary_quantile_above_one,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"1.01\"} 0\n# EOF\n",
    line = 2
);
bad!(
    om_summary_quantile_negative,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"-0.5\"} 0\n# EOF\n",
    line = 2
);
bad!(
    om_summary_quantile_not_a_number,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"foo\"} 0\n# EOF\n",
    line = 2
);
bad!(
    om_summary_quantile_nan,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"NaN\"} 0\n# EOF\n",
    line = 2
);
// "Quantile Values MUST specify the quantile measured using a label ... quantile".
bad!(
    om_summary_sample_without_quantile,
    OpenMetrics,
    b"# TYPE a summary\na 0\n# EOF\n",
    line = 2
);
// "Quantile values MUST NOT be negative."
bad!(
    om_summary_quantile_value_negative,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"0.5\"} -1\n# EOF\n",
    line = 2
);
// "Count and Sum values are counters so MUST NOT be NaN or negative. Count MUST be an integer."
bad!(
    om_summary_count_nan,
    OpenMetrics,
    b"# TYPE a summary\na_count NaN\n# EOF\n",
    line = 2
);
bad!(
    om_summary_count_negative,
    OpenMetrics,
    b"# TYPE a summary\na_count -1\n# EOF\n",
    line = 2
);
bad!(
    om_summary_count_fraction,
    OpenMetrics,
    b"# TYPE a summary\na_count 0.5\n# EOF\n",
    line = 2
);
bad!(
    om_summary_sum_nan,
    OpenMetrics,
    b"# TYPE a summary\na_sum NaN\n# EOF\n",
    line = 2
);
bad!(
    om_summary_sum_negative,
    OpenMetrics,
    b"# TYPE a summary\na_sum -1\n# EOF\n",
    line = 2
);
// Exemplars are not allowed on summaries.
bad!(
    om_summary_exemplar,
    OpenMetrics,
    b"# TYPE a summary\na_count 1 # {} 1\n# EOF\n",
    line = 2
);
// Decision: duplicate series (the same quantile twice in one MetricPoint).
bad!(
    om_summary_duplicate_quantile,
    OpenMetrics,
    b"# TYPE a summary\na{quantile=\"0.5\"} 1\na{quantile=\"0.5\"} 1\n# EOF\n",
    line = 3
);

// ===========================================================================
// OpenMetrics: info
// ===========================================================================

ok!(
    om_info,
    OpenMetrics,
    b"# TYPE a info\na_info{name=\"pretty name\",version=\"8.2.7\"} 1\n# EOF\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].name, "a_info");
        assert_eq!(
            labels_of(&s[0]),
            vec![("name", "pretty name"), ("version", "8.2.7")]
        );
    }
);
// "The Sample value MUST always be 1" -- 1.0 is 1 (the spec's own example).
ok!(om_info_value_one_float, OpenMetrics,
    b"# TYPE a info\na_info{entity=\"controller\",name=\"n\"} 1.0\na_info{entity=\"replica\",name=\"m\"} 1.0\n# EOF\n",
    samples = 2);
bad!(
    om_info_value_two,
    OpenMetrics,
    b"# TYPE a info\na_info{x=\"y\"} 2\n# EOF\n",
    line = 2
);
bad!(
    om_info_value_zero,
    OpenMetrics,
    b"# TYPE a info\na_info 0\n# EOF\n",
    line = 2
);
bad!(
    om_info_exemplar,
    OpenMetrics,
    b"# TYPE a info\na_info 1 # {a=\"b\"} 1\n# EOF\n",
    line = 2
);

// ===========================================================================
// OpenMetrics: stateset
// ===========================================================================

ok!(
    om_stateset,
    OpenMetrics,
    b"# TYPE a stateset\na{a=\"x\"} 0\na{a=\"yy\"} 1\na{a=\"zzz\"} 0\n# EOF\n",
    samples = 3,
    |s| assert_eq!(s[1].label("a"), Some("yy"))
);
// The spec's example with an "entity" label and 1.0 / 0.0 booleans; several
// states may be true ("MAY contain multiple states").
ok!(om_stateset_float_booleans, OpenMetrics,
    b"# TYPE a stateset\na{entity=\"r\",a=\"x\"} 1.0\na{entity=\"r\",a=\"y\"} 0.0\na{entity=\"r\",a=\"z\"} 1.0\n# EOF\n",
    samples = 3);
// "The State sample's value MUST be 1 if the State is true and MUST be 0 if the State is false."
bad!(
    om_stateset_value_two,
    OpenMetrics,
    b"# TYPE a stateset\na{a=\"x\"} 2\n# EOF\n",
    line = 2
);
bad!(
    om_stateset_value_half,
    OpenMetrics,
    b"# TYPE a stateset\na{a=\"x\"} 0.5\n# EOF\n",
    line = 2
);
bad!(
    om_stateset_value_nan,
    OpenMetrics,
    b"# TYPE a stateset\na{a=\"x\"} NaN\n# EOF\n",
    line = 2
);
// "Each State's sample MUST have a label with the MetricFamily name as the label name".
bad!(
    om_stateset_without_state_label,
    OpenMetrics,
    b"# TYPE a stateset\na{b=\"x\"} 1\n# EOF\n",
    line = 2
);
bad!(
    om_stateset_without_labels,
    OpenMetrics,
    b"# TYPE a stateset\na 0\n# EOF\n",
    line = 2
);
bad!(
    om_stateset_exemplar,
    OpenMetrics,
    b"# TYPE a stateset\na{a=\"x\"} 1 # {c=\"d\"} 1\n# EOF\n",
    line = 2
);

// ===========================================================================
// Prometheus 0.0.4: lines, whitespace, comments
// ===========================================================================

ok!(prom_minimal, Prometheus, b"a 1\n", samples = 1, |s| {
    assert_eq!(s[0].name, "a");
    assert_eq!(s[0].value, 1.0);
    assert_eq!(s[0].ts, None);
});
ok!(prom_empty_input, Prometheus, b"", samples = 0);
// Decision: a missing final newline is accepted.
ok!(
    prom_no_final_newline,
    Prometheus,
    b"a 1\nb 2",
    samples = 2,
    |s| assert_eq!(s[1].value, 2.0)
);
ok!(
    prom_no_final_newline_with_timestamp,
    Prometheus,
    b"a 1 1000",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(1000))
);
// Decision: CRLF line endings accepted; the CR belongs to no token.
ok!(
    prom_crlf,
    Prometheus,
    b"# HELP a h\r\n# TYPE a counter\r\na{x=\"1\"} 1 1000\r\nb 2\r\n",
    samples = 2,
    |s| {
        assert_eq!(s[0].label("x"), Some("1"));
        assert_eq!(s[0].ts, Some(1000));
        assert_eq!(s[1].value, 2.0);
    }
);
// "Empty lines are ignored."
ok!(
    prom_blank_lines,
    Prometheus,
    b"\n\na 1\n\n\nb 2\n\n",
    samples = 2
);
// "Leading and trailing whitespace is ignored": whitespace-only lines too.
ok!(
    prom_whitespace_only_line,
    Prometheus,
    b"a 1\n   \t \nb 2\n",
    samples = 2
);
// "Lines with a # ... are comments ... ignored unless the first token after # is HELP or TYPE".
ok!(
    prom_comments,
    Prometheus,
    b"# just a comment\n#\n# HELPER x y\n#TYPEless\na 1\n",
    samples = 1
);
// OpenMetrics-only lines are comments in 0.0.4.
ok!(
    prom_eof_is_a_comment,
    Prometheus,
    b"a 1\n# EOF\n",
    samples = 1
);
ok!(
    prom_unit_is_a_comment,
    Prometheus,
    b"# UNIT a_s s\na_s 1\n",
    samples = 1
);
// "tokens can be separated by any number of blanks and/or tabs ... Leading and
// trailing whitespace is ignored."
ok!(
    prom_spaces_and_tabs,
    Prometheus,
    b"   a  \t 1 \t 1000  \n\t b{x=\"1\"}\t2\t\n",
    samples = 2,
    |s| {
        assert_eq!(s[0].ts, Some(1000));
        assert_eq!(s[1].label("x"), Some("1"));
        assert_eq!(s[1].value, 2.0);
    }
);
// Same: blanks between the name and `{`.
ok!(
    prom_space_before_labels,
    Prometheus,
    b"a {x=\"1\"} 1\n",
    samples = 1,
    |s| assert_eq!(s[0].label("x"), Some("1"))
);
// Same: blanks inside the label set.
ok!(
    prom_spaces_inside_labels,
    Prometheus,
    b"a{ x = \"1\" , y=\"2\" } 1\n",
    samples = 1,
    |s| assert_eq!(labels_of(&s[0]), vec![("x", "1"), ("y", "2")])
);
// Whitespace of the HELP/TYPE lines themselves.
ok!(
    prom_metadata_extra_blanks,
    Prometheus,
    b"#  TYPE \t a  counter \n#\tHELP a  some   text\na 1\n",
    samples = 1
);

// ===========================================================================
// Prometheus 0.0.4: HELP and TYPE
// ===========================================================================

ok!(
    prom_help_and_type,
    Prometheus,
    b"# HELP a The total.\n# TYPE a counter\na{m=\"post\"} 1027 1395066363000\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].value, 1027.0);
        assert_eq!(s[0].ts, Some(1_395_066_363_000));
    }
);
// "with the optional HELP and TYPE lines first (in no particular order)".
ok!(
    prom_type_then_help,
    Prometheus,
    b"# TYPE a gauge\n# HELP a h\na 1\n",
    samples = 1
);
// HELP escapes `\\` and `\n`.
ok!(
    prom_help_escapes,
    Prometheus,
    b"# HELP a back\\\\slash new\\nline\na 1\n",
    samples = 1
);
// "If the token is HELP, at least one more token is expected": the docstring may be absent.
ok!(
    prom_help_without_docstring,
    Prometheus,
    b"# HELP a\na 1\n",
    samples = 1
);
// HELP with UTF-8 text.
ok!(
    prom_help_utf8,
    Prometheus,
    "# HELP a caf\u{e9} \u{2713} \"quoted\"\na 1\n".as_bytes(),
    samples = 1
);
// The five 0.0.4 types.
ok!(prom_all_types, Prometheus,
    b"# TYPE c counter\nc 1\n# TYPE g gauge\ng 1\n# TYPE u untyped\nu 1\n\
# TYPE s summary\ns_count 0\ns_sum 0\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_count 0\nh_sum 0\n",
    samples = 8);
// A family with metadata and no samples.
ok!(
    prom_type_without_samples,
    Prometheus,
    b"# TYPE a gauge\n# HELP a h\n",
    samples = 0
);
// 0.0.4 has no suffix rules: a counter without `_total`.
ok!(
    prom_counter_without_total,
    Prometheus,
    b"# TYPE a counter\na 1\n# TYPE b_total counter\nb_total 2\n",
    samples = 2
);
// "Lines with a # as the first non-whitespace character": an indented TYPE is
// still a TYPE, so the next TYPE for the same name is a second one.
bad!(
    prom_indented_type_is_honoured,
    Prometheus,
    b"  # TYPE a gauge\n# TYPE a counter\na 1\n",
    line = 2
);
// TYPE is one of counter, gauge, histogram, summary, untyped (decision: others rejected).
bad!(
    prom_type_openmetrics_only,
    Prometheus,
    b"# TYPE a info\na_info 1\n",
    line = 1
);
bad!(
    prom_type_unknown_word,
    Prometheus,
    b"# TYPE a meh\na 1\n",
    line = 1
);
bad!(
    prom_type_unknown_om_word,
    Prometheus,
    b"# TYPE a unknown\na 1\n",
    line = 1
);
// "If the token is TYPE, exactly two more tokens are expected."
bad!(
    prom_type_without_type,
    Prometheus,
    b"# TYPE a\na 1\n",
    line = 1
);
bad!(
    prom_type_extra_token,
    Prometheus,
    b"# TYPE a gauge extra\na 1\n",
    line = 1
);
bad!(prom_type_without_name, Prometheus, b"# TYPE\n", line = 1);
// HELP needs a metric name.
bad!(
    prom_help_without_name,
    Prometheus,
    b"# HELP\na 1\n",
    line = 1
);
// "Only one HELP line may exist for any given metric name."
bad!(
    prom_duplicate_help,
    Prometheus,
    b"# HELP a x\n# HELP a y\na 1\n",
    line = 2
);
// "Only one TYPE line may exist for a given metric name."
bad!(
    prom_duplicate_type,
    Prometheus,
    b"# TYPE a gauge\n# TYPE a gauge\na 1\n",
    line = 2
);
// "The TYPE line for a metric name must appear before the first sample".
bad!(
    prom_type_after_sample,
    Prometheus,
    b"a 1\n# TYPE a gauge\n",
    line = 2
);
// "All lines for a given metric must be provided as one single group".
bad!(
    prom_family_not_grouped,
    Prometheus,
    b"a{x=\"1\"} 1\nb 1\na{x=\"2\"} 2\n",
    line = 3
);
// HELP "may contain any sequence of UTF-8 characters".
bad!(
    prom_help_invalid_utf8,
    Prometheus,
    b"# HELP a \xfe\xff\na 1\n",
    line = 1
);

// ===========================================================================
// Prometheus 0.0.4: samples, labels, escaping
// ===========================================================================

// The documentation's escaping example.
ok!(prom_label_escapes, Prometheus,
    b"msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].label("path"), Some("C:\\DIR\\FILE.TXT"));
        assert_eq!(s[0].label("error"), Some("Cannot find file:\n\"FILE.TXT\""));
        assert_eq!(s[0].value, 1.458255915e9);
    });
// Decision: a trailing comma in a label set (also in the EBNF: `[ "," ]`).
ok!(
    prom_trailing_comma,
    Prometheus,
    b"a{x=\"1\",} 1\n",
    samples = 1,
    |s| assert_eq!(labels_of(&s[0]), vec![("x", "1")])
);
ok!(
    prom_empty_braces,
    Prometheus,
    b"a{} 1\n",
    samples = 1,
    |s| assert!(s[0].labels.is_empty())
);
// Label values: any UTF-8; `,` `=` `{` `}` `#` inside quotes are plain.
ok!(
    prom_label_value_specials,
    Prometheus,
    "a{x=\"a,b=c}d # \u{e9}{\"} 1\n".as_bytes(),
    samples = 1,
    |s| assert_eq!(s[0].label("x"), Some("a,b=c}d # \u{e9}{"))
);
ok!(
    prom_label_empty_value,
    Prometheus,
    b"a{x=\"\"} 1\n",
    samples = 1
);
// `metric_name` and `label_name` carry "the usual Prometheus expression language restrictions".
ok!(
    prom_names_with_colons,
    Prometheus,
    b"a:b_c:d{_x=\"1\",y_2=\"2\"} 1\n",
    samples = 1,
    |s| assert_eq!(s[0].name, "a:b_c:d")
);
bad!(prom_name_starts_with_digit, Prometheus, b"0a 1\n", line = 1);
bad!(prom_name_with_dash, Prometheus, b"a-b 1\n", line = 1);
bad!(
    prom_label_name_starts_with_digit,
    Prometheus,
    b"a{1x=\"1\"} 1\n",
    line = 1
);
bad!(
    prom_label_unquoted_value,
    Prometheus,
    b"a{x=1} 1\n",
    line = 1
);
bad!(
    prom_label_unterminated_value,
    Prometheus,
    b"a{x=\"1} 1\n",
    line = 1
);
bad!(
    prom_label_unclosed_braces,
    Prometheus,
    b"a{x=\"1\" 1\n",
    line = 1
);
// `label_pair { "," label_pair }`: the comma is required.
bad!(
    prom_label_missing_comma,
    Prometheus,
    b"a{x=\"1\" y=\"2\"} 1\n",
    line = 1
);
bad!(
    prom_label_double_comma,
    Prometheus,
    b"a{x=\"1\",,y=\"2\"} 1\n",
    line = 1
);
// A label set is a set of names (data model; decision for strict mode).
bad!(
    prom_duplicate_label_name,
    Prometheus,
    b"a{x=\"1\",x=\"2\"} 1\n",
    line = 1
);
// Only `\\`, `\"` and `\n` are escapes in label values (strict: others rejected,
// as the reference Go parser does).
bad!(
    prom_label_undefined_escape,
    Prometheus,
    b"a{x=\"\\t\"} 1\n",
    line = 1
);
// `label_value can be any sequence of UTF-8 characters`.
bad!(
    prom_label_value_invalid_utf8,
    Prometheus,
    b"a{x=\"\xff\"} 1\n",
    line = 1
);
// 0.0.4 has no exemplars.
bad!(prom_exemplar, Prometheus, b"a 1 # {x=\"y\"} 1\n", line = 1);
// `value [ timestamp ]`: nothing after the timestamp.
bad!(prom_extra_token, Prometheus, b"a 1 2 3\n", line = 1);
bad!(prom_value_missing, Prometheus, b"a\n", line = 1);
bad!(
    prom_value_missing_after_labels,
    Prometheus,
    b"a{x=\"1\"}\n",
    line = 1
);

// ===========================================================================
// Prometheus 0.0.4: values and timestamps
// ===========================================================================

// "NaN, +Inf, and -Inf are valid values".
ok!(
    prom_values_non_real,
    Prometheus,
    b"a +Inf\nb -Inf\nc NaN\n",
    samples = 3,
    |s| {
        assert_eq!(s[0].value, f64::INFINITY);
        assert_eq!(s[1].value, f64::NEG_INFINITY);
        assert!(s[2].value.is_nan());
    }
);
// "value is a float represented as required by Go's ParseFloat()": unsigned
// Inf, any case, "infinity".
ok!(
    prom_values_go_words,
    Prometheus,
    b"a Inf\nb nan\nc -infinity\n",
    samples = 3,
    |s| {
        assert_eq!(s[0].value, f64::INFINITY);
        assert!(s[1].value.is_nan());
        assert_eq!(s[2].value, f64::NEG_INFINITY);
    }
);
// Exponents and dot forms.
ok!(
    prom_values_float_forms,
    Prometheus,
    b"a 1.5e-7\nb 1E3\nc .5\nd 5.\ne -0042\nf 1.7560473e+07\n",
    samples = 6,
    |s| {
        assert_eq!(s[0].value, 1.5e-7);
        assert_eq!(s[1].value, 1000.0);
        assert_eq!(s[2].value, 0.5);
        assert_eq!(s[3].value, 5.0);
        assert_eq!(s[4].value, -42.0);
        assert_eq!(s[5].value, 1.7560473e7);
    }
);
// "timestamp is an int64 (milliseconds since epoch)"; before the epoch too.
ok!(
    prom_timestamp_negative,
    Prometheus,
    b"something_weird{problem=\"division by zero\"} +Inf -3982045\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].value, f64::INFINITY);
        assert_eq!(s[0].ts, Some(-3_982_045));
    }
);
ok!(
    prom_timestamp_i64_max,
    Prometheus,
    b"a 1 9223372036854775807\n",
    samples = 1,
    |s| assert_eq!(s[0].ts, Some(i64::MAX))
);
bad!(prom_value_word, Prometheus, b"a one\n", line = 1);
bad!(prom_value_two_dots, Prometheus, b"a 1.2.3\n", line = 1);
// Decision: timestamps are integers (ParseInt).
bad!(prom_timestamp_float, Prometheus, b"a 1 1.5\n", line = 1);
bad!(prom_timestamp_exponent, Prometheus, b"a 1 1e3\n", line = 1);
bad!(prom_timestamp_word, Prometheus, b"a 1 now\n", line = 1);
// int64 range.
bad!(
    prom_timestamp_overflow,
    Prometheus,
    b"a 1 9223372036854775808\n",
    line = 1
);

// ===========================================================================
// Prometheus 0.0.4: histograms and summaries
// ===========================================================================

// The documentation's example, with comments and a blank line between families.
ok!(
    prom_histogram_and_summary,
    Prometheus,
    b"# A histogram:\n\
# HELP http_request_duration_seconds A histogram of the request duration.\n\
# TYPE http_request_duration_seconds histogram\n\
http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n\
http_request_duration_seconds_bucket{le=\"0.1\"} 33444\n\
http_request_duration_seconds_bucket{le=\"1\"} 133988\n\
http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n\
http_request_duration_seconds_sum 53423\n\
http_request_duration_seconds_count 144320\n\
\n\
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.\n\
# TYPE rpc_duration_seconds summary\n\
rpc_duration_seconds{quantile=\"0.01\"} 3102\n\
rpc_duration_seconds{quantile=\"0.5\"} 4773\n\
rpc_duration_seconds{quantile=\"0.99\"} 76656\n\
rpc_duration_seconds_sum 1.7560473e+07\n\
rpc_duration_seconds_count 2693\n",
    samples = 11,
    |s| {
        assert_eq!(s[3].name, "http_request_duration_seconds_bucket");
        assert_eq!(s[3].label("le"), Some("+Inf"));
        assert_eq!(s[5].name, "http_request_duration_seconds_count");
        assert_eq!(s[6].name, "rpc_duration_seconds");
        assert_eq!(s[6].label("quantile"), Some("0.01"));
    }
);
// Histogram with labels and two series.
ok!(prom_histogram_two_series, Prometheus,
    b"# TYPE h histogram\n\
h_bucket{code=\"200\",le=\"1\"} 1\nh_bucket{code=\"200\",le=\"+Inf\"} 2\nh_sum{code=\"200\"} 1.5\nh_count{code=\"200\"} 2\n\
h_bucket{code=\"500\",le=\"1\"} 0\nh_bucket{code=\"500\",le=\"+Inf\"} 1\nh_sum{code=\"500\"} 3\nh_count{code=\"500\"} 1\n",
    samples = 8);
// "A histogram must have a bucket with {le="+Inf"}" (end of input).
bad!(
    prom_histogram_missing_inf,
    Prometheus,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 1\na_sum 1\na_count 1\n",
    line = 5
);
// Same, the next family ends the group.
bad!(
    prom_histogram_missing_inf_next_family,
    Prometheus,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 1\na_sum 1\na_count 1\n# TYPE b gauge\nb 1\n",
    line = 5
);
// "Its value must be identical to the value of x_count."
bad!(
    prom_histogram_count_mismatch,
    Prometheus,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 3\na_sum 1\na_count 4\n",
    line = 4
);
// "The buckets of a histogram ... must appear in increasing numerical order".
bad!(prom_histogram_buckets_unsorted, Prometheus,
    b"# TYPE a histogram\na_bucket{le=\"1\"} 0\na_bucket{le=\"0.5\"} 0\na_bucket{le=\"+Inf\"} 0\na_sum 0\na_count 0\n", line = 3);
// "... and the quantiles of a summary must appear in increasing numerical order".
bad!(
    prom_summary_quantiles_unsorted,
    Prometheus,
    b"# TYPE a summary\na{quantile=\"0.9\"} 1\na{quantile=\"0.5\"} 1\n",
    line = 3
);
// Buckets are given "with the name x_bucket and a label {le="y"}".
bad!(
    prom_histogram_bucket_without_le,
    Prometheus,
    b"# TYPE a histogram\na_bucket 1\n",
    line = 2
);
// `y` is the upper bound of the bucket: a number.
bad!(
    prom_histogram_le_not_a_number,
    Prometheus,
    b"# TYPE a histogram\na_bucket{le=\"x\"} 1\n",
    line = 2
);
// Quantiles are ordered numerically, so they are numbers.
bad!(
    prom_summary_quantile_not_a_number,
    Prometheus,
    b"# TYPE a summary\na{quantile=\"x\"} 1\n",
    line = 2
);

// ===========================================================================
// Prometheus 3: quoted UTF-8 metric and label names in the 0.0.4 text format
// `metric_name_or_labels = metric_name [ "{" labels "}" ] | "{" quoted_metric_name [ "," labels ] "}"`
// ===========================================================================

ok!(
    prom_quoted_metric_name,
    Prometheus,
    b"{\"my.metric\"} 1\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].name, "my.metric");
        assert!(s[0].labels.is_empty(), "the quoted name is not a label");
    }
);
// The documentation's example form, quoted label name after a space.
ok!(
    prom_quoted_name_and_label,
    Prometheus,
    b"{\"my.metric\", \"some.label\"=\"x\"} 1\n",
    samples = 1,
    |s| {
        assert_eq!(s[0].name, "my.metric");
        assert_eq!(labels_of(&s[0]), vec![("some.label", "x")]);
    }
);
ok!(
    prom_quoted_name_plain_label,
    Prometheus,
    b"{\"my.metric\",a=\"b\"} 1 1000\n",
    samples = 1,
    |s| {
        assert_eq!(labels_of(&s[0]), vec![("a", "b")]);
        assert_eq!(s[0].ts, Some(1000));
    }
);
// "label_name may be optionally enclosed in double quotes" (legacy name quoted).
ok!(
    prom_quoted_legacy_label_name,
    Prometheus,
    b"a{\"x\"=\"1\"} 1\n",
    samples = 1,
    |s| assert_eq!(labels_of(&s[0]), vec![("x", "1")])
);
// Quoted label names with any UTF-8.
ok!(
    prom_quoted_utf8_label_name,
    Prometheus,
    "a{\"\u{fc}n\u{ef} c\u{f6}de\"=\"v\"} 1\n".as_bytes(),
    samples = 1,
    |s| assert_eq!(s[0].label("\u{fc}n\u{ef} c\u{f6}de"), Some("v"))
);
// A legacy name may be quoted too.
ok!(
    prom_quoted_legacy_metric_name,
    Prometheus,
    b"{\"abc\"} 1\n",
    samples = 1,
    |s| assert_eq!(s[0].name, "abc")
);
// `escaped_string`: escapes in a quoted name are unescaped.
ok!(
    prom_quoted_name_escapes,
    Prometheus,
    b"{\"my\\\"q\\\\name\"} 1\n",
    samples = 1,
    |s| assert_eq!(s[0].name, "my\"q\\name")
);
// "Metric names not corresponding to the legacy ... character set must be quoted"
// in HELP and TYPE too.
ok!(
    prom_quoted_help_type,
    Prometheus,
    b"# HELP \"my.metric\" Some help.\n# TYPE \"my.metric\" gauge\n{\"my.metric\",x=\"1\"} 1\n",
    samples = 1
);
// A quoted histogram family: the suffixes are inside the quotes.
ok!(prom_quoted_histogram, Prometheus,
    b"# TYPE \"my.h\" histogram\n{\"my.h_bucket\",le=\"1\"} 0\n{\"my.h_bucket\",le=\"+Inf\"} 1\n{\"my.h_sum\"} 0.5\n{\"my.h_count\"} 1\n",
    samples = 4,
    |s| {
        assert_eq!(s[1].name, "my.h_bucket");
        assert_eq!(s[1].label("le"), Some("+Inf"));
        assert_eq!(s[3].name, "my.h_count");
    });
// `labels = [ label_pairs ]`, `label_pairs = ... [ "," ]`: a trailing comma after the name.
ok!(
    prom_quoted_name_trailing_comma,
    Prometheus,
    b"{\"my.metric\",} 1\n",
    samples = 1
);
// A name outside the legacy set must be quoted.
bad!(
    prom_unquoted_dotted_name,
    Prometheus,
    b"my.metric 1\n",
    line = 1
);
bad!(
    prom_unquoted_dotted_label,
    Prometheus,
    b"a{x.y=\"1\"} 1\n",
    line = 1
);
// "When metric_name is quoted ..., it appears inside the braces instead of outside."
bad!(
    prom_quoted_name_outside_braces,
    Prometheus,
    b"\"my.metric\" 1\n",
    line = 1
);
// Two metric names.
bad!(
    prom_two_quoted_names,
    Prometheus,
    b"{\"a.b\",\"c.d\"} 1\n",
    line = 1
);
// Braces without any metric name.
bad!(
    prom_braces_without_name,
    Prometheus,
    b"{x=\"1\"} 1\n",
    line = 1
);
// An empty name is no name.
bad!(prom_quoted_empty_name, Prometheus, b"{\"\"} 1\n", line = 1);
bad!(
    prom_quoted_name_unterminated,
    Prometheus,
    b"{\"my.metric} 1\n",
    line = 1
);
bad!(
    prom_quoted_label_name_unterminated,
    Prometheus,
    b"a{\"x=\"1\"} 1\n",
    line = 1
);

// ===========================================================================
// The error type
// ===========================================================================

// `ParseError` displays as "line N: reason".
#[test]
fn error_display_names_the_line() {
    let (r, _) = run(Format::OpenMetrics, b"a 1\nb x\n# EOF\n");
    let e = r.expect_err("a bad value must be rejected");
    assert_eq!(e.line, 2);
    let text = e.to_string();
    assert!(text.starts_with("line 2: "), "display was {text:?}");
    assert!(
        text.len() > "line 2: ".len(),
        "display has no reason: {text:?}"
    );
}

// Strict mode fails the whole exposition ("Partial or invalid expositions MUST
// be considered erroneous in their entirety"): the first error wins even when
// later lines are fine.
#[test]
fn first_error_wins() {
    let (r, _) = run(Format::Prometheus, b"a 1\nb x\nc y\nd 1\n");
    assert_eq!(r.expect_err("must be rejected").line, 2);
}

// "the value of the le label MUST follow the rules for Canonical Numbers":
// infinity is spelled +Inf exactly in a bucket bound or a quantile.
bad!(
    om_histogram_le_inf_uppercase,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+INF\"} 0\n# EOF\n",
    line = 2
);
bad!(
    om_histogram_le_inf_unsigned,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"Inf\"} 0\n# EOF\n",
    line = 2
);
bad!(
    om_histogram_le_infinity_word,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Infinity\"} 0\n# EOF\n",
    line = 2
);
ok!(
    om_histogram_le_inf_canonical,
    OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
    samples = 1
);
// 0.0.4 has no such rule: Go's ParseFloat reads any spelling.
ok!(
    prom_histogram_le_inf_any_case,
    Prometheus,
    b"# TYPE a histogram\na_bucket{le=\"+inf\"} 0\na_count 0\n",
    samples = 2
);

// Timestamps are ordered at the precision written, not at the milliseconds
// kept: these are distinct and increasing ("MetricPoints ... MUST have
// increasing timestamps"), though equal once rounded to milliseconds.
ok!(om_timestamps_increase_below_a_millisecond, OpenMetrics,
    b"# TYPE a gauge\na{a=\"1\"} 1 0.0000000000\na{a=\"1\"} 2 0.0000000001\na{a=\"1\"} 3 0.0000000010\na{a=\"2\"} 4 0.0000000000\na{a=\"2\"} 5 0.0000000001\n# EOF\n", samples = 5);
// Equal timestamps in one series are tolerated (a parser keeps one);
// going back is not.
ok!(
    om_timestamps_equal,
    OpenMetrics,
    b"# TYPE a gauge\na 1 0.0000000001\na 2 0.00000000010\n# EOF\n",
    samples = 2
);
bad!(
    om_timestamps_going_back_below_a_millisecond,
    OpenMetrics,
    b"# TYPE a gauge\na 1 0.0000000010\na 2 0.0000000001\n# EOF\n",
    line = 3
);

// The reference parser's cases: a HELP text ending in a lone backslash is
// accepted; an exemplar anywhere up to its bucket's le is in range (buckets
// are cumulative); a timestamp of any finite size is a timestamp.
ok!(
    om_help_trailing_backslash,
    OpenMetrics,
    b"# TYPE a counter\n# HELP a foo\\\na_total{foo=\"bar\"} 1\n# EOF\n",
    samples = 1
);
ok!(om_exemplar_below_previous_bucket, OpenMetrics,
    b"# TYPE a histogram\na_bucket{le=\"1.0\"} 0 # {a=\"b\"} 0.5\na_bucket{le=\"2.0\"} 2 # {a=\"c\"} 0.5\na_bucket{le=\"+Inf\"} 3 # {a=\"d\"} 4\n# EOF\n", samples = 3);
ok!(
    om_huge_timestamp,
    OpenMetrics,
    b"# TYPE a counter\na_total 1 12345678901234567890.1234567890\n# EOF\n",
    samples = 1
);
