//! The event text of one data point: `NAME VALUE DIM="VALUE" DIM="VALUE" ...`
//!
//! ```text
//! mattermost_api_time_bucket 1027 handler="getPosts" method="GET" le="0.005"
//! ```
//!
//! - `NAME` obeys Splunk's metric-name rule (`[A-Za-z][A-Za-z0-9_.]*`).
//! - `VALUE` is a plain decimal (`-?[0-9]+(\.[0-9]+)?`), never an exponent.
//! - each dimension is a space, a name (`[A-Za-z][A-Za-z0-9_.]*`), `="`, the
//!   value, `"`. A value never holds a `"` or a control character (see
//!   [`crate::convert::names::dimension_value`]), so the first `"` after
//!   `="` always closes it and the text is always one line.
//!
//! `transforms.conf` reads NAME and VALUE with one regex and the dimensions
//! with a repeated one; its regexes and this writer change together.

use crate::convert::{float, DataPoint};

/// Appends the event text of `dp` (no line end) to `out`.
pub fn write(dp: &DataPoint<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(dp.metric_name.as_bytes());
    out.push(b' ');
    float::write_plain(dp.value, out);
    for d in dp.dimensions {
        out.push(b' ');
        out.extend_from_slice(d.name.as_bytes());
        out.extend_from_slice(b"=\"");
        out.extend_from_slice(d.value.as_bytes());
        out.push(b'"');
    }
}
