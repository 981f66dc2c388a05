//! When to scrape: a fixed grid, `start + n * interval`.
//!
//! prometheus2splunk slept for the interval after each scrape and send, so
//! its period was the interval plus the time they took, and its scrapes
//! drifted later and later (a 15 s interval with 2 s of work is a 17 s
//! period). Rates computed over a fixed span then wobble. Here the n-th
//! scrape is due at `start + n * interval` whatever the others took
//! (sending is another thread's job anyway), on the monotonic clock, so
//! neither slow scrapes nor wall-clock steps move the grid.
//!
//! A scrape that runs past the next tick makes that tick (and any after it
//! that also passed) be skipped rather than run late: the grid is kept,
//! and the skips are counted.

use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Schedule {
    start: Instant,
    period: Duration,
    /// The tick last handed out.
    n: u64,
}

impl Schedule {
    /// A grid whose tick 0 is `start`.
    pub fn new(start: Instant, period: Duration) -> Schedule {
        assert!(!period.is_zero(), "the period of a schedule is not 0");
        Schedule {
            start,
            period,
            n: 0,
        }
    }

    /// Tick `n`.
    pub fn at(&self, n: u64) -> Instant {
        let nanos = self.period.as_nanos().saturating_mul(n.into());
        self.start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The first tick (always `start`).
    pub fn first(&self) -> Instant {
        self.start
    }

    /// The tick to wait for after the one last handed out, given the time
    /// now, and how many ticks were skipped because they are already past.
    pub fn next(&mut self, now: Instant) -> (Instant, u64) {
        let wanted = self.n + 1;
        let mut n = wanted;
        if self.at(n) < now {
            // The ticks up to now have passed: the first one after now.
            let elapsed = now.duration_since(self.start).as_nanos();
            n = u64::try_from(elapsed / self.period.as_nanos()).unwrap_or(u64::MAX - 1) + 1;
        }
        self.n = n;
        (self.at(n), n - wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_stay_on_the_grid() {
        let t0 = Instant::now();
        let p = Duration::from_millis(100);
        let mut s = Schedule::new(t0, p);
        assert_eq!(s.first(), t0);
        // Work took 30 ms: the next tick is still at 100 ms, not 130.
        assert_eq!(s.next(t0 + Duration::from_millis(30)), (t0 + p, 0));
        assert_eq!(
            s.next(t0 + Duration::from_millis(199)),
            (t0 + 2 * p, 0),
            "no drift"
        );
        // A scrape from 200 to 450 ms: ticks 3 and 4 are skipped.
        assert_eq!(s.next(t0 + Duration::from_millis(450)), (t0 + 5 * p, 2));
        assert_eq!(s.next(t0 + Duration::from_millis(500)), (t0 + 6 * p, 0));
    }
}
