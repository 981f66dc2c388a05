//! The batches waiting for HEC, within a memory bound.
//!
//! Scrapes go on while HEC is down, so what they produce must wait
//! somewhere, and memory is the only place a sender without a disk has.
//! The bound is what the process holds for them: the compressed bodies
//! wait back to back in one ring buffer that grows up to the bound and no
//! further. Kept as separate allocations, they cost far more than their
//! length: each body's spare capacity, and the heap that small long-lived
//! blocks scattered among every scrape's large short-lived ones keep from
//! being reused (3.3 times the bound, measured by
//! `benches/hec_queue_memory.rs`).
//!
//! Pushing a batch that does not fit first drops the oldest batches, whose
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

/// A batch without its body: what the queue keeps beside the ring, and
/// gives back for a batch it dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The body's length in the ring.
    pub len: usize,
    pub raw_len: usize,
    pub objects: u32,
    pub points: u32,
    pub target: usize,
}

impl Batch {
    fn header(&self) -> Header {
        Header {
            len: self.body.len(),
            raw_len: self.raw_len,
            objects: self.objects,
            points: self.points,
            target: self.target,
        }
    }
}

#[derive(Default)]
struct Inner {
    /// The bodies, oldest first, back to back.
    ring: VecDeque<u8>,
    headers: VecDeque<Header>,
    closed: bool,
}

impl Inner {
    /// Removes the oldest batch's body from the ring; returns it if `keep`.
    fn take_front(&mut self, len: usize, keep: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if keep {
            out.reserve_exact(len);
            let (a, b) = self.ring.as_slices();
            let from_a = len.min(a.len());
            out.extend_from_slice(&a[..from_a]);
            out.extend_from_slice(&b[..len - from_a]);
        }
        self.ring.drain(..len);
        out
    }
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
    pub batches: Vec<Header>,
}

impl Queue {
    pub fn new(max_bytes: usize) -> Queue {
        // The whole ring at once: address space only, until written. Grown
        // by doubling instead, each move would leave the old buffer in the
        // allocator's free lists, still resident, and the process would
        // hold twice the bound. An address space too small for it (a bound
        // of terabytes) grows it as it fills.
        let mut inner = Inner::default();
        let _ = inner.ring.try_reserve_exact(max_bytes);
        Queue {
            max_bytes,
            inner: Mutex::new(inner),
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
        let header = batch.header();
        if header.len > self.max_bytes {
            dropped.batches.push(header);
            return dropped;
        }
        let mut q = self.inner.lock().unwrap();
        while q.ring.len() + header.len > self.max_bytes {
            let old = q.headers.pop_front().expect("bytes > 0 means a batch");
            q.take_front(old.len, false);
            dropped.batches.push(old);
        }
        let needed = q.ring.len() + header.len;
        if q.ring.capacity() < needed {
            // Doubling, as a vector grows, but never past the bound.
            let cap = (q.ring.capacity() * 2).max(needed).min(self.max_bytes);
            let additional = cap - q.ring.len();
            q.ring.reserve_exact(additional);
        }
        q.ring.extend(&batch.body);
        q.headers.push_back(header);
        self.ready.notify_one();
        dropped
    }

    /// The oldest batch; waits for one until `deadline` (`None`: no limit).
    /// `None` once the queue is closed and empty, or at the deadline.
    pub fn pop(&self, deadline: Option<Instant>) -> Option<Batch> {
        let mut q = self.inner.lock().unwrap();
        loop {
            if let Some(h) = q.headers.pop_front() {
                let body = q.take_front(h.len, true);
                return Some(Batch {
                    body,
                    raw_len: h.raw_len,
                    objects: h.objects,
                    points: h.points,
                    target: h.target,
                });
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
    pub fn drain(&self) -> Vec<Header> {
        let mut q = self.inner.lock().unwrap();
        q.ring.clear();
        q.headers.drain(..).collect()
    }

    /// Compressed bytes waiting.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap().ring.len()
    }

    /// Memory the ring holds (never more than the bound).
    pub fn capacity(&self) -> usize {
        self.inner.lock().unwrap().ring.capacity()
    }

    /// Batches waiting.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().headers.len()
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
            body: (0..n).map(|i| (i + target) as u8).collect(),
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
        assert_eq!(d.batches[0].points, 40);
        assert_eq!(q.bytes(), 70);
        let d = q.push(batch(101, 3));
        assert_eq!(
            d.batches[0].target, 3,
            "larger than the bound: dropped itself"
        );
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(None).unwrap().body, batch(40, 1).body);
        q.close();
        assert_eq!(q.pop(None).unwrap().body, batch(30, 2).body);
        assert!(q.pop(None).is_none());
    }

    #[test]
    fn bodies_come_back_whole_across_the_ring_end_and_memory_stays_in_the_bound() {
        let q = Queue::new(1000);
        let mut want = VecDeque::new();
        for i in 0..200 {
            let b = batch(37 + i % 90, i);
            want.push_back(b.body.clone());
            for _ in q.push(b).batches {
                want.pop_front();
            }
            assert!(q.bytes() <= 1000);
            assert!(q.capacity() <= 1000, "{}", q.capacity());
            if i % 3 == 0 {
                assert_eq!(q.pop(None).unwrap().body, want.pop_front().unwrap());
            }
        }
        q.close();
        while let Some(b) = q.pop(None) {
            assert_eq!(b.body, want.pop_front().unwrap());
        }
        assert!(want.is_empty());
    }
}
