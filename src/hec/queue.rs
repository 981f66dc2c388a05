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
//!
//! With `-queue_dir` the bodies wait on disk instead ([`super::spool`]),
//! within the same bound in bytes, and memory holds only their headers:
//! the queue then survives a kill -9, a crash or a reboot.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use super::log;
use super::spool::{Record, Spool};

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
    /// Its file, with `-queue_dir`.
    pub record: Option<Record>,
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
    pub record: Option<Record>,
}

impl Batch {
    fn header(&self) -> Header {
        Header {
            len: self.body.len(),
            raw_len: self.raw_len,
            objects: self.objects,
            points: self.points,
            target: self.target,
            record: self.record,
        }
    }

    /// Whether a copy of it may already be in HEC: it was being sent when
    /// an earlier run of the sender died.
    pub fn in_doubt(&self) -> bool {
        self.record.is_some_and(|r| r.in_doubt)
    }
}

impl Header {
    fn of(r: &Record, targets: usize) -> Header {
        Header {
            len: r.size(),
            raw_len: r.raw_len as usize,
            objects: r.objects,
            points: r.points,
            // A run with fewer targets counts the batch under the last.
            target: (r.target as usize).min(targets.saturating_sub(1)),
            record: Some(*r),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// The bodies, oldest first, back to back (in memory).
    ring: VecDeque<u8>,
    headers: VecDeque<Header>,
    closed: bool,
    /// The files of the bodies, with `-queue_dir`.
    spool: Option<Spool>,
    /// Bytes of the queued files.
    disk_bytes: usize,
    /// Batches whose file turned out damaged when read: never sent.
    damaged: Vec<Header>,
}

impl Inner {
    /// Bytes queued.
    fn bytes(&self) -> usize {
        match self.spool {
            Some(_) => self.disk_bytes,
            None => self.ring.len(),
        }
    }

    /// Removes the oldest batch's body from the ring or the disk; returns
    /// it if `keep` (an empty body for a damaged file, which is logged and
    /// put with the damaged).
    fn take_front(&mut self, h: &Header, keep: bool) -> Option<Vec<u8>> {
        if let (Some(spool), Some(r)) = (&self.spool, &h.record) {
            self.disk_bytes -= h.len;
            if !keep {
                spool.remove(r);
                return None;
            }
            return match spool.read(r) {
                Ok(body) => Some(body),
                Err(e) => {
                    log::error!(
                        "a batch in -queue_dir is damaged and is not sent ({e:#}): its {} data points are lost",
                        h.points
                    );
                    spool.remove(r);
                    self.damaged.push(*h);
                    None
                }
            };
        }
        let len = h.len;
        let mut out = Vec::new();
        if keep {
            out.reserve_exact(len);
            let (a, b) = self.ring.as_slices();
            let from_a = len.min(a.len());
            out.extend_from_slice(&a[..from_a]);
            out.extend_from_slice(&b[..len - from_a]);
        }
        self.ring.drain(..len);
        keep.then_some(out)
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
    /// larger than the whole bound, or could not be written to disk).
    pub batches: Vec<Header>,
    /// Why the batch pushed could not be written to `-queue_dir`.
    pub write_error: Option<String>,
}

/// What `-queue_dir` held at the start.
#[derive(Debug, Default)]
pub struct Replay {
    /// Queued again, oldest first.
    pub queued: Vec<Header>,
    /// Over `-max_queue_mb` (lowered since): dropped, oldest first.
    pub dropped: Vec<Header>,
    /// Files that were not a whole batch: removed; the data points their
    /// header names, when it could be read.
    pub damaged: Vec<(PathBuf, Option<u32>)>,
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

    /// A queue whose batches wait in `dir`, with what an earlier run left
    /// there queued first. `targets`: how many scrape targets this run has.
    pub fn with_dir(
        max_bytes: usize,
        dir: &Path,
        targets: usize,
    ) -> anyhow::Result<(Queue, Replay)> {
        let (spool, found) = Spool::open(dir)?;
        let mut replay = Replay {
            damaged: found.damaged,
            ..Replay::default()
        };
        let mut inner = Inner {
            spool: Some(spool),
            ..Inner::default()
        };
        for r in &found.records {
            inner.headers.push_back(Header::of(r, targets));
            inner.disk_bytes += r.size();
        }
        while inner.disk_bytes > max_bytes {
            let old = inner.headers.pop_front().expect("bytes > 0 means a batch");
            inner.take_front(&old, false);
            replay.dropped.push(old);
        }
        replay.queued = inner.headers.iter().copied().collect();
        Ok((
            Queue {
                max_bytes,
                inner: Mutex::new(inner),
                ready: Condvar::new(),
            },
            replay,
        ))
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Whether the batches wait on disk (and outlive the process).
    pub fn durable(&self) -> bool {
        self.inner.lock().unwrap().spool.is_some()
    }

    /// The directory of the batches, with `-queue_dir`.
    pub fn dir(&self) -> Option<PathBuf> {
        let q = self.inner.lock().unwrap();
        q.spool.as_ref().map(|s| s.dir().to_path_buf())
    }

    /// Before the first attempt to send `batch`: marks its file as in
    /// flight, so that a run after a kill knows HEC may hold it.
    pub fn sending(&self, batch: &mut Batch) {
        let q = self.inner.lock().unwrap();
        if let (Some(spool), Some(r)) = (&q.spool, batch.record.as_mut()) {
            if let Err(e) = spool.sending(r) {
                log::warning!("-queue_dir: cannot mark a batch as being sent ({e}): after a crash it would be sent again without being counted as possibly duplicated");
            }
        }
    }

    /// HEC answered for `batch` (accepted or refused): its file goes.
    pub fn done(&self, batch: &Batch) {
        let q = self.inner.lock().unwrap();
        if let (Some(spool), Some(r)) = (&q.spool, &batch.record) {
            spool.remove(r);
        }
    }

    /// Not delivered (given up on at the stop, or answered with a failure
    /// that says HEC did not take it): its file stays for the next attempt
    /// or start, marked in flight only if HEC may hold it (`in_doubt`).
    pub fn keep(&self, batch: &mut Batch, in_doubt: bool) {
        let q = self.inner.lock().unwrap();
        if let (Some(spool), Some(r)) = (&q.spool, batch.record.as_mut()) {
            if !in_doubt {
                let _ = spool.not_sent(r);
            }
        }
    }

    /// Batches whose file was found damaged since the last call.
    pub fn take_damaged(&self) -> Vec<Header> {
        std::mem::take(&mut self.inner.lock().unwrap().damaged)
    }

    /// Adds `batch` at the back, dropping from the front what must go for
    /// it to fit.
    pub fn push(&self, batch: Batch) -> Dropped {
        let mut dropped = Dropped::default();
        let mut header = batch.header();
        let mut q = self.inner.lock().unwrap();
        if q.spool.is_some() {
            header.len += super::spool::HEADER_LEN;
            if header.len > self.max_bytes {
                dropped.batches.push(header);
                return dropped;
            }
            while q.disk_bytes + header.len > self.max_bytes {
                let old = q.headers.pop_front().expect("bytes > 0 means a batch");
                q.take_front(&old, false);
                dropped.batches.push(old);
            }
            let spool = q.spool.as_mut().expect("checked");
            match spool.write(
                &batch.body,
                batch.raw_len,
                batch.objects,
                batch.points,
                batch.target,
            ) {
                Ok(r) => {
                    header.record = Some(r);
                    q.disk_bytes += header.len;
                    q.headers.push_back(header);
                    self.ready.notify_one();
                }
                Err(e) => {
                    dropped.write_error = Some(format!(
                        "cannot write a batch to -queue_dir {}: {e}",
                        spool.dir().display()
                    ));
                    dropped.batches.push(header);
                }
            }
            return dropped;
        }
        if header.len > self.max_bytes {
            dropped.batches.push(header);
            return dropped;
        }
        while q.ring.len() + header.len > self.max_bytes {
            let old = q.headers.pop_front().expect("bytes > 0 means a batch");
            q.take_front(&old, false);
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
                let Some(body) = q.take_front(&h, true) else {
                    continue;
                };
                return Some(Batch {
                    body,
                    raw_len: h.raw_len,
                    objects: h.objects,
                    points: h.points,
                    target: h.target,
                    record: h.record,
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

    /// Takes everything still queued (on an abort, to count it). With
    /// `-queue_dir` the files stay, for the next start.
    pub fn drain(&self) -> Vec<Header> {
        let mut q = self.inner.lock().unwrap();
        q.ring.clear();
        q.disk_bytes = 0;
        q.headers.drain(..).collect()
    }

    /// Compressed bytes waiting (with their file headers, on disk).
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap().bytes()
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
            record: None,
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

    #[test]
    fn on_disk_the_queue_is_bounded_and_outlives_the_process() {
        let dir = std::env::temp_dir().join(format!("mm-queue-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bound = 3 * (100 + crate::hec::spool::HEADER_LEN);
        let (q, replay) = Queue::with_dir(bound, &dir, 2).unwrap();
        assert!(replay.queued.is_empty() && q.durable());
        for i in 0..4 {
            let d = q.push(batch(100, i % 2));
            assert_eq!(
                d.batches.len(),
                usize::from(i == 3),
                "the fourth pushes out the first"
            );
            assert!(q.bytes() <= bound);
        }
        let mut first = q.pop(None).unwrap();
        assert_eq!(first.body, batch(100, 1).body);
        q.sending(&mut first);
        // The process dies here: the batch in flight and two queued.
        drop(q);
        let (q, replay) = Queue::with_dir(bound, &dir, 1).unwrap();
        assert_eq!(replay.queued.len(), 3);
        assert!(
            replay.queued.iter().all(|h| h.target == 0),
            "one target now"
        );
        let b = q.pop(None).unwrap();
        assert!(b.in_doubt(), "it was being sent");
        assert_eq!(b.body, batch(100, 1).body);
        q.done(&b);
        let mut b = q.pop(None).unwrap();
        assert!(!b.in_doubt());
        q.sending(&mut b);
        q.keep(&mut b, false);
        drop(q);
        let (q, replay) = Queue::with_dir(bound, &dir, 2).unwrap();
        assert_eq!(replay.queued.len(), 2);
        assert!(
            !q.pop(None).unwrap().in_doubt(),
            "kept before any attempt went out"
        );
        let (_, replay) = Queue::with_dir(150, &dir, 2).unwrap();
        assert_eq!(
            (replay.queued.len(), replay.dropped.len()),
            (1, 1),
            "a lower bound drops the oldest"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
