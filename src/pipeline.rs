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

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
