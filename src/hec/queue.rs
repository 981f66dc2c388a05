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
//! The batches the sender is sending (or waiting to resend: one request,
//! at most `-max_batch_kb` before compression) have left the queue: the
//! bound is the queue's, plus that one request (its batches' bodies and
//! their merged body, a few hundred KB at the default).
//!
//! With `-queue_dir` the bodies wait on disk instead ([`super::spool`]),
//! within the same bound in bytes, and memory holds only their headers:
//! the queue then survives a kill -9, a crash or a reboot. Files are
//! written, read, renamed and fsync'd outside the queue's lock: the lock
//! guards the list of headers and the byte count, which a push reserves
//! before it writes, so scrapes and the sender wait for their own fsyncs
//! only, never for each other's.

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
    /// Bytes of the queued files, and of those being written (0 when the
    /// bodies wait in the ring).
    disk_bytes: usize,
    /// Batches whose file turned out damaged when read: never sent.
    damaged: Vec<Header>,
}

/// What [`Inner::take_front`] does with the body it takes off.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    /// The sender's: handed back.
    Keep,
    /// Dropped to make room.
    Drop,
}

impl Inner {
    /// Bytes queued: on disk or in the ring, whichever holds the bodies
    /// (the other is empty).
    fn bytes(&self) -> usize {
        self.disk_bytes + self.ring.len()
    }

    /// Takes the oldest batch's body off the ring (`Take::Keep`: hands it
    /// back). A batch with a file only gives back its bytes: the file is
    /// the caller's, to read or remove outside the lock.
    fn take_front(&mut self, h: &Header, take: Take) -> Option<Vec<u8>> {
        if h.record.is_some() {
            self.disk_bytes -= h.len;
            return None;
        }
        let keep = take == Take::Keep;
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
    /// The files of the bodies, with `-queue_dir`: used outside the lock.
    spool: Option<Spool>,
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
            spool: None,
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
        let mut inner = Inner::default();
        for r in &found.records {
            inner.headers.push_back(Header::of(r, targets));
            inner.disk_bytes += r.size();
        }
        while inner.disk_bytes > max_bytes {
            let old = inner.headers.pop_front().expect("bytes > 0 means a batch");
            inner.take_front(&old, Take::Drop);
            if let Some(r) = &old.record {
                spool.remove(r);
            }
            replay.dropped.push(old);
        }
        replay.queued = inner.headers.iter().copied().collect();
        Ok((
            Queue {
                max_bytes,
                inner: Mutex::new(inner),
                ready: Condvar::new(),
                spool: Some(spool),
            },
            replay,
        ))
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Whether the batches wait on disk (and outlive the process).
    pub fn durable(&self) -> bool {
        self.spool.is_some()
    }

    /// The directory of the batches, with `-queue_dir`.
    pub fn dir(&self) -> Option<PathBuf> {
        self.spool.as_ref().map(|s| s.dir().to_path_buf())
    }

    /// Before the first attempt to send `records` (one request's
    /// batches): marks their files as in flight, so that a run after a
    /// kill knows HEC may hold them.
    pub fn sending<'a>(&self, records: impl IntoIterator<Item = &'a mut Record>) {
        if let Some(spool) = &self.spool {
            if let Err(e) = spool.sending(records) {
                log::warning!("-queue_dir: cannot mark a batch as being sent ({e}): after a crash it would be sent again without being counted as possibly duplicated");
            }
        }
    }

    /// HEC answered for `records` (accepted or refused): their files go.
    pub fn done<'a>(&self, records: impl IntoIterator<Item = &'a Record>) {
        if let Some(spool) = &self.spool {
            for r in records {
                spool.remove(r);
            }
        }
    }

    /// No copy of these batches reached HEC (given up on before an
    /// attempt went out, or answered with a failure that says HEC did not
    /// take them): their files go back to `.batch`, for the next attempt
    /// or start.
    pub fn not_sent<'a>(&self, records: impl IntoIterator<Item = &'a mut Record>) {
        if let Some(spool) = &self.spool {
            let _ = spool.not_sent(records);
        }
    }

    /// Batches whose file was found damaged since the last call.
    pub fn take_damaged(&self) -> Vec<Header> {
        std::mem::take(&mut self.inner.lock().unwrap().damaged)
    }

    /// Adds `batch` at the back, dropping from the front what must go for
    /// it to fit.
    pub fn push(&self, batch: Batch) -> Dropped {
        match &self.spool {
            Some(spool) => self.push_to_disk(spool, batch),
            None => self.push_to_ring(batch),
        }
    }

    fn push_to_ring(&self, batch: Batch) -> Dropped {
        let mut dropped = Dropped::default();
        let header = batch.header();
        if header.len > self.max_bytes {
            dropped.batches.push(header);
            return dropped;
        }
        let mut q = self.inner.lock().unwrap();
        while q.ring.len() + header.len > self.max_bytes {
            let old = q.headers.pop_front().expect("bytes > 0 means a batch");
            q.take_front(&old, Take::Drop);
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

    /// Reserves the file's bytes under the lock (dropping the oldest files
    /// to make room), writes and syncs it outside, then queues its header.
    fn push_to_disk(&self, spool: &Spool, batch: Batch) -> Dropped {
        let mut dropped = Dropped::default();
        let mut header = batch.header();
        header.len += super::spool::HEADER_LEN;
        if header.len > self.max_bytes {
            dropped.batches.push(header);
            return dropped;
        }
        {
            let mut q = self.inner.lock().unwrap();
            while q.disk_bytes + header.len > self.max_bytes {
                // Only files still being written hold the bytes: this batch
                // cannot fit beside them.
                let Some(old) = q.headers.pop_front() else {
                    dropped.batches.push(header);
                    return dropped;
                };
                q.take_front(&old, Take::Drop);
                dropped.batches.push(old);
            }
            q.disk_bytes += header.len;
        }
        for old in &dropped.batches {
            if let Some(r) = &old.record {
                spool.remove(r);
            }
        }
        let written = spool.write(
            &batch.body,
            batch.raw_len,
            batch.objects,
            batch.points,
            batch.target,
        );
        let mut q = self.inner.lock().unwrap();
        match written {
            Ok(r) => {
                header.record = Some(r);
                q.headers.push_back(header);
                self.ready.notify_one();
            }
            Err(e) => {
                q.disk_bytes -= header.len;
                dropped.write_error = Some(format!(
                    "cannot write a batch to -queue_dir {}: {e}",
                    spool.dir().display()
                ));
                dropped.batches.push(header);
            }
        }
        dropped
    }

    /// The oldest batch; waits for one until `deadline` (`None`: no limit).
    /// `None` once the queue is closed and empty, or at the deadline.
    pub fn pop(&self, deadline: Option<Instant>) -> Option<Batch> {
        self.pop_group(0, deadline).into_iter().next()
    }

    /// The oldest batches, oldest first, as many as come to at most
    /// `max_raw` bytes before compression together (always at least one):
    /// one request's worth, so that a backlog goes out in few requests
    /// rather than one per scrape. Waits for the first as [`Queue::pop`]
    /// does; empty once the queue is closed and empty, or at the deadline.
    pub fn pop_group(&self, max_raw: usize, deadline: Option<Instant>) -> Vec<Batch> {
        loop {
            let taken: Vec<(Header, Option<Vec<u8>>)> = {
                let mut q = self.inner.lock().unwrap();
                loop {
                    if !q.headers.is_empty() {
                        break;
                    }
                    if q.closed {
                        return Vec::new();
                    }
                    q = match deadline {
                        None => self.ready.wait(q).unwrap(),
                        Some(d) => {
                            let now = Instant::now();
                            if now >= d {
                                return Vec::new();
                            }
                            self.ready.wait_timeout(q, d - now).unwrap().0
                        }
                    };
                }
                let mut taken = Vec::new();
                let mut raw = 0;
                while let Some(h) = q.headers.front().copied() {
                    if !taken.is_empty() && raw + h.raw_len > max_raw {
                        break;
                    }
                    q.headers.pop_front();
                    raw += h.raw_len;
                    let body = q.take_front(&h, Take::Keep);
                    taken.push((h, body));
                }
                taken
            };
            let mut out = Vec::with_capacity(taken.len());
            for (h, body) in taken {
                let body = match (body, &self.spool, &h.record) {
                    (Some(body), _, _) => body,
                    (None, Some(spool), Some(r)) => match spool.read(r) {
                        Ok(body) => body,
                        Err(e) => {
                            log::error!(
                                "a batch in -queue_dir is damaged and is not sent ({e:#}): its {} data points are lost",
                                h.points
                            );
                            spool.remove(r);
                            self.inner.lock().unwrap().damaged.push(h);
                            continue;
                        }
                    },
                    (None, _, _) => unreachable!("a batch in memory has its body in the ring"),
                };
                out.push(Batch {
                    body,
                    raw_len: h.raw_len,
                    objects: h.objects,
                    points: h.points,
                    target: h.target,
                    record: h.record,
                });
            }
            // Every file of the group was damaged: the next ones.
            if !out.is_empty() {
                return out;
            }
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
    fn a_backlog_comes_out_in_groups_of_at_most_the_request_size() {
        let q = Queue::new(10_000);
        for i in 0..7 {
            q.push(batch(10, i)); // raw_len 100 each
        }
        let sizes: Vec<Vec<usize>> = (0..4)
            .map(|_| {
                q.pop_group(250, Some(Instant::now()))
                    .iter()
                    .map(|b| b.target)
                    .collect()
            })
            .collect();
        assert_eq!(sizes, [vec![0, 1], vec![2, 3], vec![4, 5], vec![6]]);
        q.push(batch(40, 9)); // raw_len 400: over the limit alone
        let one = q.pop_group(250, Some(Instant::now()));
        assert_eq!(one.len(), 1, "always at least one");
        assert!(q.pop_group(250, Some(Instant::now())).is_empty());
    }

    /// Scrape threads write their files while the sender reads and
    /// removes others: every batch comes out once or is handed back as
    /// dropped, and the bytes never pass the bound.
    #[test]
    fn on_disk_concurrent_pushes_lose_nothing_uncounted() {
        let dir = std::env::temp_dir().join(format!("mm-queue-conc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bound = 20 * (100 + crate::hec::spool::HEADER_LEN);
        let (q, _) = Queue::with_dir(bound, &dir, 4).unwrap();
        let q = std::sync::Arc::new(q);
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let q = q.clone();
                std::thread::spawn(move || {
                    let mut dropped = 0u32;
                    for _ in 0..50 {
                        dropped += q.push(batch(100, t)).batches.len() as u32;
                        assert!(q.bytes() <= bound);
                    }
                    dropped
                })
            })
            .collect();
        let reader = {
            let q = q.clone();
            std::thread::spawn(move || {
                let mut got = 0u32;
                while let Some(b) = q.pop(None) {
                    assert_eq!(b.body, batch(100, b.target).body);
                    q.done(b.record.as_ref());
                    got += 1;
                }
                got
            })
        };
        let dropped: u32 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        q.close();
        let got = reader.join().unwrap();
        assert_eq!(got + dropped, 200, "{got} sent, {dropped} dropped");
        assert_eq!(q.bytes(), 0);
        let (_, replay) = Queue::with_dir(bound, &dir, 4).unwrap();
        assert!(replay.queued.is_empty(), "every file removed");
        let _ = std::fs::remove_dir_all(&dir);
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
        q.sending(first.record.as_mut());
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
        q.done(b.record.as_ref());
        let mut b = q.pop(None).unwrap();
        assert!(!b.in_doubt());
        q.sending(b.record.as_mut());
        q.not_sent(b.record.as_mut());
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
