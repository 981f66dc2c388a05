//! parse -> convert, joined: the one loop every front end (the `convert`
//! command, the modular input, the HEC sender) runs over a scrape body.

use crate::convert::{ConvertOptions, ConvertStats, Converter, DataPoint};
use crate::exposition::{self, Format, ParseError, ParseOptions, Report};

/// Parses `body` and converts each sample, handing every data point to
/// `sink`. Lenient parsing never fails; strict parsing returns the first
/// error (data points already handed out stay handed out).
pub fn convert_scrape<F>(
    body: &[u8],
    format: Format,
    strict: bool,
    convert: &ConvertOptions,
    scrape_time_ms: i64,
    mut sink: F,
) -> Result<(Report, ConvertStats), ParseError>
where
    F: FnMut(&DataPoint<'_>),
{
    let mut converter = Converter::new(convert.clone());
    let opts = ParseOptions {
        format,
        strict,
        ..ParseOptions::default()
    };
    let report = exposition::parse(body, &opts, |s| {
        converter.convert(s, scrape_time_ms, &mut sink)
    })?;
    Ok((report, converter.stats()))
}

/// The default of the sample limit in both front ends (the input's *Sample
/// limit*, the sender's `-sample_limit`): about 40 times a busy Mattermost
/// node (5,200 samples), far from any real node, near enough to stop a
/// target that went wrong before it floods the index.
pub const DEFAULT_SAMPLE_LIMIT: &str = "200000";

/// What `body` gives under `convert` (the parse's report, the converter's
/// counts: `emitted` is the number of data points) when that is more than
/// `limit` data points (0: no limit), else `None`: a scrape over the limit is
/// refused whole, before anything of it is sent (as Prometheus'
/// `sample_limit`, which counts after relabelling, as this counts after the
/// filters). A body with no more lines than the limit cannot exceed it,
/// which a count of its line ends proves without parsing; only a larger one
/// is converted once more to count.
pub fn over_sample_limit(
    body: &[u8],
    format: Format,
    convert: &ConvertOptions,
    limit: u64,
    scrape_time_ms: i64,
) -> Option<(Report, ConvertStats)> {
    // Lines: one more than the line ends, at most.
    if limit == 0 || (memchr::memchr_iter(b'\n', body).count() as u64) < limit {
        return None;
    }
    let counted = convert_scrape(body, format, false, convert, scrape_time_ms, |_| {})
        .expect("lenient parsing does not fail");
    (counted.1.emitted > limit).then_some(counted)
}

/// The error of a scrape over the sample limit, for either front end.
pub fn sample_limit_error(url: &str, count: u64, limit: u64, setting: &str) -> String {
    format!(
        "{url} gave {count} data points, more than the sample limit of {limit} ({setting}): \
         nothing of this scrape was sent; cut what the node exposes with Include / Exclude, \
         or raise the limit if the node really has that many series"
    )
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_limit_counts_after_the_filters() {
        let body = b"a 1\na 2\nb{x=\"1\"} 3\nb{x=\"2\"} 4\nc NaN\n";
        let all = ConvertOptions::default();
        assert_eq!(
            over_sample_limit(body, Format::Prometheus, &all, 0, 0),
            None
        );
        assert_eq!(
            over_sample_limit(body, Format::Prometheus, &all, 4, 0),
            None
        );
        let over = over_sample_limit(body, Format::Prometheus, &all, 3, 0).unwrap();
        assert_eq!((over.0.samples, over.1.emitted), (5, 4));
        let only_b = ConvertOptions {
            include: Some(regex::Regex::new("^(?:b)$").unwrap()),
            ..ConvertOptions::default()
        };
        assert_eq!(
            over_sample_limit(body, Format::Prometheus, &only_b, 2, 0),
            None
        );
        let over = over_sample_limit(body, Format::Prometheus, &only_b, 1, 0).unwrap();
        assert_eq!(over.1.emitted, 2);
    }
}
