//! Peak heap of one parse + convert + emit of a scrape, measured with a
//! counting global allocator around `std::alloc::System`.
//!
//! Each input is read (or generated) into memory first; then the peak is
//! reset, so what is measured is the pipeline's own heap on top of the scrape
//! body. The report line is
//!
//! ```text
//! peak heap = X bytes for a Y-byte scrape (Z bytes over the scrape size)
//! ```
//!
//! where X = Y (the scrape body, which has to be in memory) + Z (the peak of
//! everything the pipeline allocated while it ran, live at the same time).
//!
//! Two sinks:
//! - discarding: each data point is written as event text into a small
//!   line buffer and dropped, the way the modular input streams events out.
//!   The target "peak memory no more than the scrape size plus a small
//!   constant" is about this one: it is the pipeline's own memory.
//! - buffered: the event text of every data point is appended to one
//!   `Vec<u8>`, as the `parse_convert` bench does. That buffer holds the whole
//!   output (about as large as the scrape), so Z grows with the scrape here
//!   by design. Shown on first use (the buffer grows from empty) and reused
//!   (cleared, capacity kept: the capacity is counted, no new growth).
//!
//! A `realloc` is counted as allocating the new block before freeing the old
//! one (what a moving realloc costs), so a growing vector's peak is an upper
//! bound.

use test_support::bench_inputs as inputs;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use mattermost_metrics::convert::ConvertOptions;
use mattermost_metrics::emit;
use mattermost_metrics::exposition::Format;
use mattermost_metrics::pipeline;

const SCRAPE_TIME_MS: i64 = 1_700_000_000_000;

// ---- the counting allocator ----------------------------------------------------

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Relaxed);
}

// Counting allocations means wrapping the system allocator, whose trait is
// unsafe to implement.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            // New block first, then the old one freed: the worst case.
            grow(new_size);
            shrink(layout.size());
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Starts a measurement: the peak is reset to what is live now. Returns
/// what is live now.
fn reset() -> usize {
    let now = CURRENT.load(Relaxed);
    PEAK.store(now, Relaxed);
    ALLOCATIONS.store(0, Relaxed);
    now
}

struct Measured {
    /// Peak live bytes above `base` during the run.
    over: usize,
    allocations: usize,
}

fn measured(base: usize) -> Measured {
    Measured {
        over: PEAK.load(Relaxed).saturating_sub(base),
        allocations: ALLOCATIONS.load(Relaxed),
    }
}

// ---- the runs ----------------------------------------------------------------

fn run<F: FnMut(&mattermost_metrics::convert::DataPoint<'_>)>(body: &[u8], sink: F) -> usize {
    let (report, _) = pipeline::convert_scrape(
        body,
        Format::Prometheus,
        false,
        &ConvertOptions::default(),
        SCRAPE_TIME_MS,
        sink,
    )
    .expect("lenient parsing never fails");
    report.samples
}

fn line(label: &str, scrape: usize, m: &Measured) {
    println!(
        "  {label:<44} peak heap = {} bytes for a {scrape}-byte scrape ({} bytes over the scrape size); {} allocations",
        scrape + m.over,
        m.over,
        m.allocations
    );
}

fn measure(name: &str, body: &[u8]) {
    let scrape = body.len();
    println!("{name}:");

    // Discarding sink: event text into one line buffer, then thrown away.
    // The line buffer is allocated inside the measurement.
    let base = reset();
    let mut line_buf: Vec<u8> = Vec::new();
    let samples = run(body, |dp| {
        line_buf.clear();
        emit::event_text::write(dp, &mut line_buf);
        line_buf.push(b'\n');
        black_box(&line_buf);
    });
    drop(line_buf);
    let discard = measured(base);

    // Discarding sink, not even the event text: parse + convert only.
    let base = reset();
    run(body, |dp| {
        black_box(dp);
    });
    let convert_only = measured(base);

    // Buffered: all the event text in one Vec, growing from empty.
    let base = reset();
    let mut out: Vec<u8> = Vec::new();
    run(body, |dp| {
        emit::event_text::write(dp, &mut out);
        out.push(b'\n');
    });
    let first = measured(base);
    let event_bytes = out.len();

    // Buffered, reused: cleared, capacity kept. `base` stays the level from
    // before the buffer existed, so its capacity counts.
    out.clear();
    PEAK.store(CURRENT.load(Relaxed), Relaxed);
    ALLOCATIONS.store(0, Relaxed);
    run(body, |dp| {
        emit::event_text::write(dp, &mut out);
        out.push(b'\n');
    });
    let reused = measured(base);
    let capacity = out.capacity();
    drop(out);

    println!(
        "  ({scrape} bytes, {samples} samples, {event_bytes} bytes of event text, buffer capacity {capacity})"
    );
    line(
        "discarding sink (event text per line) [target]",
        scrape,
        &discard,
    );
    line("discarding sink (no event text)", scrape, &convert_only);
    line("buffered event text, first use", scrape, &first);
    line("buffered event text, reused buffer", scrape, &reused);
}

fn main() {
    let fixture = inputs::fixture();
    let synthetic = inputs::synthetic_scrape();

    println!("peak heap of one parse + convert + emit (the scrape body read in first)");
    println!(
        "the target \"no more than the scrape size plus a small constant\" applies to the \
         discarding sink: the modular input streams each event out"
    );
    measure("mattermost_fixture", &fixture);
    measure("synthetic_5mb", &synthetic);
}
