//! The inputs every benchmark measures: the committed Mattermost fixture
//! and a synthetic scrape of about 5 MB from the same generator.

use crate::mattermost_fixture;

/// Size the synthetic input aims at.
pub const SYNTHETIC_TARGET_BYTES: usize = 5_000_000;

/// `tests/fixtures/mattermost.prom`: a busy node's scrape.
pub fn fixture() -> Vec<u8> {
    crate::fixture("mattermost.prom")
}

/// A synthetic Prometheus 0.0.4 scrape of about [`SYNTHETIC_TARGET_BYTES`]:
/// the generator's size grows about linearly with its scale (a fixed part
/// plus the high-cardinality families), so the scale is estimated from
/// scales 1 and 2 and the closest of the estimate and its neighbours is
/// kept. `BENCH_SYNTHETIC_SCALE` overrides it.
pub fn synthetic_scrape() -> Vec<u8> {
    let gen = |scale| {
        mattermost_fixture::generate(&mattermost_fixture::FixtureOptions {
            scale,
            ..Default::default()
        })
    };
    let (scale, body) = match std::env::var("BENCH_SYNTHETIC_SCALE") {
        Ok(v) => {
            let scale = v.parse().expect("BENCH_SYNTHETIC_SCALE is a number");
            (scale, gen(scale))
        }
        Err(_) => {
            let (s1, s2) = (gen(1).len() as f64, gen(2).len() as f64);
            let per_scale = (s2 - s1).max(1.0);
            let fixed = s1 - per_scale;
            let guess =
                (((SYNTHETIC_TARGET_BYTES as f64 - fixed) / per_scale).round() as usize).max(1);
            (guess.saturating_sub(1).max(1)..=guess + 1)
                .map(|scale| (scale, gen(scale)))
                .min_by_key(|(_, body)| body.len().abs_diff(SYNTHETIC_TARGET_BYTES))
                .expect("at least one candidate")
        }
    };
    eprintln!(
        "synthetic scrape: generator scale {scale}, {} bytes",
        body.len()
    );
    body.into_bytes()
}
