//! The one error type of the lexer and the parser.
//!
//! An expression comes from a dashboard spec and the error is read by the
//! person who wrote it, so the message names the construct ("the `offset`
//! modifier is not supported", "expected `)`, found `,`") and the position
//! is given both ways: line and column for a human, the byte span for code
//! that wants to underline the text.

use std::fmt;

use super::ast::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offsets into the source of the offending text.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column of `span.start`, counted in characters (not bytes)
    /// from the start of its line.
    pub column: usize,
}

impl ParseError {
    /// An error about `span` of `src`, placed by line and column (also for
    /// errors found after parsing, by the SPL planner).
    pub fn at(src: &str, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::new(src, span, message)
    }

    pub(crate) fn new(src: &str, span: Span, message: impl Into<String>) -> ParseError {
        let start = floor_char_boundary(src, span.start.min(src.len()));
        let before = &src[..start];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        ParseError {
            message: message.into(),
            span,
            line: before.bytes().filter(|&b| b == b'\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}
