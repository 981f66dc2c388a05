//! The batches waiting for HEC, within a memory bound.
//!
//! Scrapes go on while HEC is down, so what they produce must wait
//! somewhere, and memory is the only place a sender without a disk has.
//! The bound is on the bytes of the compressed batches (what is held):
//! pushing a batch that does not fit first drops the oldest batches, whose
//! data is the least valuable (a dashboard misses an old gap less than a
//! current one), and hands them back to the caller, who counts and reports
//! them: nothing is ever dropped silently.
//!
//! The one batch the sender is sending (or waiting to resend) has left the
//! queue: the bound is the queue's, plus that one batch.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

/// One request body for HEC: whole metric objects, gzip-compressed.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The gzip-compressed body.
    pub body: Vec<u8>,
    /// Its size before compression.
    pub raw_len: usize,
    /// Metric objects in it.
    pub objects: u32,
    /// Data points (measurements) in it.
    pub points: u32,
    /// Which scrape target it comes from (for the per-target counters).
    pub target: usize,
}

#[derive(Default)]
struct Inner {
    batches: VecDeque<Batch>,
    bytes: usize,
    closed: bool,
}

pub struct Queue {
    max_bytes: usize,
    inner: Mutex<Inner>,
    ready: Condvar,
}

/// What had to go to make room.
#[derive(Debug, Default)]
pub struct Dropped {
    /// The batches dropped, oldest first (possibly the one pushed, if it is
    /// larger than the whole bound).
    pub batches: Vec<Batch>,
}

impl Queue {
    pub fn new(max_bytes: usize) -> Queue {
        Queue {
            max_bytes,
            inner: Mutex::new(Inner::default()),
            ready: Condvar::new(),
        }
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Adds `batch` at the back, dropping from the front what must go for
    /// it to fit.
    pub fn push(&self, batch: Batch) -> Dropped {
        let mut dropped = Dropped::default();
        let mut q = self.inner.lock().unwrap();
        if batch.body.len() > self.max_bytes {
            dropped.batches.push(batch);
            return dropped;
        }
        while q.bytes + batch.body.len() > self.max_bytes {
            let old = q.batches.pop_front().expect("bytes > 0 means a batch");
            q.bytes -= old.body.len();
            dropped.batches.push(old);
        }
        q.bytes += batch.body.len();
        q.batches.push_back(batch);
        self.ready.notify_one();
        dropped
    }

    /// The oldest batch; waits for one until `deadline` (`None`: no limit).
    /// `None` once the queue is closed and empty, or at the deadline.
    pub fn pop(&self, deadline: Option<Instant>) -> Option<Batch> {
        let mut q = self.inner.lock().unwrap();
        loop {
            if let Some(b) = q.batches.pop_front() {
                q.bytes -= b.body.len();
                return Some(b);
            }
            if q.closed {
                return None;
            }
            q = match deadline {
                None => self.ready.wait(q).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return None;
                    }
                    self.ready.wait_timeout(q, d - now).unwrap().0
                }
            };
        }
    }

    /// No more pushes: [`Queue::pop`] returns `None` once the queue is empty.
    pub fn close(&self) {
        self.inner.lock().unwrap().closed = true;
        self.ready.notify_all();
    }

    /// Takes everything still queued (on an abort, to count it).
    pub fn drain(&self) -> Vec<Batch> {
        let mut q = self.inner.lock().unwrap();
        q.bytes = 0;
        q.batches.drain(..).collect()
    }

    /// Compressed bytes waiting.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap().bytes
    }

    /// Batches waiting.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: usize, target: usize) -> Batch {
        Batch {
            body: vec![0; n],
            raw_len: n * 10,
            objects: 1,
            points: n as u32,
            target,
        }
    }

    #[test]
    fn drops_the_oldest_to_stay_in_bounds() {
        let q = Queue::new(100);
        assert!(q.push(batch(40, 0)).batches.is_empty());
        assert!(q.push(batch(40, 1)).batches.is_empty());
        let d = q.push(batch(30, 2));
        assert_eq!(d.batches.len(), 1);
        assert_eq!(d.batches[0].target, 0, "the oldest goes first");
        assert_eq!(q.bytes(), 70);
        let d = q.push(batch(101, 3));
        assert_eq!(
            d.batches[0].target, 3,
            "larger than the bound: dropped itself"
        );
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(None).unwrap().target, 1);
        q.close();
        assert_eq!(q.pop(None).unwrap().target, 2);
        assert!(q.pop(None).is_none());
    }
}
