//! One scrape target's loop: on each tick of its [`Schedule`], scrape,
//! convert, group and compress, and queue the batches for the sender.
//!
//! Everything a scrape produces gets one timestamp, taken when the scrape
//! starts (samples that carry their own keep it, as in the modular input),
//! and the scrape's health data points carry it too, so the data points of
//! one scrape line up in Splunk as they did in the target.
//!
//! A scrape that has started is always finished and queued, even when a
//! stop arrives meanwhile (it is bounded by `-timeout`): a stop loses no
//! scrape that was taken.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::batch::{Grouper, Meta};
use super::health::{self, Counters};
use super::log;
use super::queue::{Batch, Queue};
use super::schedule::Schedule;
use super::stop::{State, Stop};
use crate::convert::ConvertOptions;
use crate::pipeline;
use crate::scrape::Scraper;

/// What one target needs to run.
pub struct Target {
    /// Its position in `-scrape_target`, and in the counters.
    pub index: usize,
    pub scraper: Scraper,
    pub meta: Meta,
    pub convert: ConvertOptions,
    pub max_batch_bytes: usize,
    /// The most data points a scrape may give (0: no limit).
    pub sample_limit: u64,
}

/// Turns for the scrapes in flight, shared by every target: a scrape holds
/// up to [`super::config::SCRAPE_MEMORY_FACTOR`] x `-max_body_mb` (a
/// hostile target's gzip expands to the cap), so eight targets scraping
/// at once could hold eight times that; with turns the total stays within
/// `-max_memory_mb`, under the systemd unit's `MemoryMax` (a target
/// waiting for its turn past its next tick misses that tick, counted).
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A turn, given back when dropped.
pub struct Turn<'a>(&'a Slots);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap() += 1;
        self.0.freed.notify_one();
    }
}

impl Slots {
    pub fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a turn; `None` if the stop comes first.
    pub fn take(&self, stop: &Stop) -> Option<Turn<'_>> {
        let mut free = self.free.lock().unwrap();
        loop {
            if stop.state() != State::Running {
                return None;
            }
            if *free > 0 {
                *free -= 1;
                return Some(Turn(self));
            }
            free = self
                .freed
                .wait_timeout(free, Duration::from_millis(100))
                .unwrap()
                .0;
        }
    }
}

/// What a target's loop remembers between scrapes, to say a lasting
/// problem once rather than every interval.
#[derive(Default)]
struct Said {
    /// The kind of the failure last reported, while it lasts.
    failing: Option<&'static str>,
    /// The warnings of the last scrape.
    warnings: Vec<String>,
}

/// Scrapes on `schedule` until the stop.
pub fn run(
    t: &Target,
    schedule: Schedule,
    queue: &Queue,
    counters: &[Counters],
    stop: &Stop,
    slots: &Slots,
) {
    let mut schedule = schedule;
    let mut tick = schedule.first();
    let mut said = Said::default();
    let url = t.scraper.url().to_string();
    loop {
        if stop.wait_until(tick, State::Running) != State::Running {
            break;
        }
        let Some(turn) = slots.take(stop) else {
            break;
        };
        scrape_once(t, &url, queue, counters, &mut said);
        drop(turn);
        let (next, missed) = schedule.next(Instant::now());
        if missed > 0 {
            Counters::add(&counters[t.index].missed, missed);
            log::warning!(
                "the scrape of {url} took longer than -scrape_interval: {missed} scheduled scrape(s) skipped to keep the schedule"
            );
        }
        tick = next;
    }
}

/// Logs a failure of `kind` at ERROR the first time, at DEBUG while it
/// lasts.
fn failed(said: &mut Said, kind: &'static str, message: &str) {
    if said.failing == Some(kind) {
        log::debug!("scrape failed again ({kind}): {message}");
    } else {
        log::error!("scrape failed ({kind}): {message}");
    }
    said.failing = Some(kind);
}

fn scrape_once(t: &Target, url: &str, queue: &Queue, counters: &[Counters], said: &mut Said) {
    let time_ms = pipeline::now_ms();
    let t0 = Instant::now();
    let mut h = crate::health::ScrapeHealth::default();
    let mut g = Grouper::new();
    match t.scraper.scrape() {
        Err(e) => {
            h.duration_s = t0.elapsed().as_secs_f64();
            failed(said, e.kind(), &e.to_string());
        }
        Ok(scrape) => {
            h.duration_s = scrape.duration.as_secs_f64();
            h.bytes = scrape.body.len() as u64;
            if let Some((report, counted)) = pipeline::over_sample_limit(
                &scrape.body,
                scrape.format,
                &t.convert,
                t.sample_limit,
                time_ms,
            ) {
                let message = pipeline::sample_limit_error(
                    url,
                    counted.emitted,
                    t.sample_limit,
                    "-sample_limit",
                );
                failed(said, "sample_limit", &message);
                h.report = report;
            } else {
                let (report, stats) = pipeline::convert_scrape(
                    &scrape.body,
                    scrape.format,
                    false,
                    &t.convert,
                    time_ms,
                    |dp| g.add(dp),
                )
                .expect("lenient parsing does not fail");
                let verdict = crate::health::judge(&report, &stats, url);
                // A warning that lasts is said once, then at DEBUG.
                for w in &verdict.warnings {
                    if said.warnings.contains(w) {
                        log::debug!("{w}");
                    } else {
                        log::warning!("{w}");
                    }
                }
                said.warnings = verdict.warnings;
                if let Some(e) = &verdict.error {
                    log::error!("{e}");
                } else {
                    h.up = true;
                    if said.failing.take().is_some() {
                        log::info!("the scrape of {url} works again");
                    }
                }
                h.report = report;
                h.stats = stats;
            }
        }
    }
    let c = &counters[t.index];
    health::add(
        &mut g,
        time_ms,
        &t.convert.extra_dimensions,
        &h,
        c,
        queue.bytes(),
    );
    let (points, objects) = (g.points(), g.objects());
    Counters::add(&c.produced, points as u64);
    let mut gz_bytes = 0;
    let mut n_batches = 0;
    let (mut dropped_batches, mut dropped_points) = (0usize, 0u64);
    for enc in g.encode(&t.meta, t.max_batch_bytes) {
        let body = enc.gzip();
        gz_bytes += body.len();
        n_batches += 1;
        let dropped = queue.push(Batch {
            body,
            raw_len: enc.json.len(),
            objects: enc.objects,
            points: enc.points,
            target: t.index,
            record: None,
        });
        if let Some(e) = &dropped.write_error {
            log::error!("{e}: its data points are dropped");
        }
        for d in dropped.batches {
            Counters::add(&counters[d.target].dropped, d.points.into());
            dropped_batches += 1;
            dropped_points += u64::from(d.points);
        }
    }
    if dropped_batches > 0 {
        log::warning!(
            "the queue for HEC is full ({} bytes, -max_queue_mb): dropped the {dropped_batches} oldest batch(es), {dropped_points} data points",
            queue.max_bytes()
        );
    }
    log::debug!(
        "scraped {url}: {} bytes, {} samples, {points} data points in {objects} objects, {n_batches} batch(es) of {gz_bytes} bytes gzip, in {} ms; {} batches queued",
        h.bytes,
        h.report.samples,
        t0.elapsed().as_millis(),
        queue.len()
    );
}
