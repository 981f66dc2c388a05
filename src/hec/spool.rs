//! The queue's batches on disk (`-queue_dir`), so that a kill -9, a crash
//! or a reboot during an HEC outage loses nothing that was queued.
//!
//! One file per batch, named by a sequence number that only grows:
//! `00000000000000000042.batch`. What Splunk's forwarder persistent queue
//! and Prometheus' remote-write WAL teach, and what is kept of it:
//!
//! - **Bounded in bytes**, as both are (`persistentQueueSize`, the WAL's
//!   segments and truncation): the files count against `-max_queue_mb`,
//!   and the oldest go first when it is full, counted as dropped.
//! - **Written whole or not at all**: a batch is written to `N.tmp`,
//!   fsync'd, renamed to `N.batch` and the directory fsync'd. A kill at
//!   any instant leaves either no batch or a whole one (a `.tmp` file left
//!   behind is removed at the next start: that scrape was never queued).
//!   Each file carries a CRC-32 of its body, checked when it is read, as
//!   the WAL checks each record: a damaged file is removed, logged and
//!   counted as lost, never sent.
//! - **Synced per batch**, not per page as the WAL (which fsyncs a segment
//!   when it is full, so a power cut can cost the WAL's last segment): a
//!   batch is one scrape's data, seconds apart, so an fsync per batch costs
//!   little and a power cut costs at most the scrape being written.
//! - **In flight is on disk too**: before its first attempt a batch is
//!   renamed `N.sending` (the directory fsync'd once for all the batches
//!   of one request); it is removed once HEC answers. A batch found as
//!   `.sending` at the start was being sent when the process died, and
//!   HEC may have indexed it: it is sent again and its data points are
//!   counted as possibly duplicated. The removal after HEC's answer is
//!   not fsync'd: a power cut right after it may bring the file back, to
//!   be sent again and counted the same way.
//! - **Replayed in order** at the start, oldest first, before any new
//!   scrape's batches; the health data points count the data points
//!   replayed (`hec_points_replayed_total`).
//!
//! One process per directory: two senders sharing one would send each
//! other's batches.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context};

/// The start of every file: magic, CRC-32 of the body, uncompressed
/// length, objects, data points, target, body length.
const MAGIC: &[u8; 4] = b"MMQ1";
pub const HEADER_LEN: usize = 4 + 4 + 8 + 4 + 4 + 4 + 8;

/// What a file says of its batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub crc: u32,
    pub raw_len: u64,
    pub objects: u32,
    pub points: u32,
    pub target: u32,
    pub body_len: u64,
    /// Found as `.sending`: HEC may hold it.
    pub in_doubt: bool,
}

impl Record {
    /// Bytes on disk.
    pub fn size(&self) -> usize {
        HEADER_LEN + self.body_len as usize
    }

    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(MAGIC);
        h[4..8].copy_from_slice(&self.crc.to_le_bytes());
        h[8..16].copy_from_slice(&self.raw_len.to_le_bytes());
        h[16..20].copy_from_slice(&self.objects.to_le_bytes());
        h[20..24].copy_from_slice(&self.points.to_le_bytes());
        h[24..28].copy_from_slice(&self.target.to_le_bytes());
        h[28..36].copy_from_slice(&self.body_len.to_le_bytes());
        h
    }

    fn decode(seq: u64, in_doubt: bool, h: &[u8; HEADER_LEN]) -> Option<Record> {
        if &h[..4] != MAGIC {
            return None;
        }
        let u32_at = |i: usize| u32::from_le_bytes(h[i..i + 4].try_into().unwrap());
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().unwrap());
        Some(Record {
            seq,
            crc: u32_at(4),
            raw_len: u64_at(8),
            objects: u32_at(16),
            points: u32_at(20),
            target: u32_at(24),
            body_len: u64_at(28),
            in_doubt,
        })
    }
}

/// The directory of queued batches. Shared by the scrape threads, which
/// write batches, and the sender, which marks and removes them: none of
/// its calls needs a lock (each works on its own file), so an fsync in one
/// thread never holds up the others.
pub struct Spool {
    dir: PathBuf,
    next_seq: AtomicU64,
}

/// What was found at the start.
#[derive(Debug, Default)]
pub struct Found {
    /// Whole batches, oldest first.
    pub records: Vec<Record>,
    /// Files that are not a whole batch (removed), with the data points
    /// their header names when it could be read.
    pub damaged: Vec<(PathBuf, Option<u32>)>,
}

fn crc32(body: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(body);
    c.sum()
}

impl Spool {
    /// Opens (creating it if need be) `dir`, removes what a kill left half
    /// written, and lists the batches in it.
    pub fn open(dir: &Path) -> anyhow::Result<(Spool, Found)> {
        fs::create_dir_all(dir)
            .with_context(|| format!("-queue_dir {}: cannot create it", dir.display()))?;
        let mut found = Found::default();
        let entries = fs::read_dir(dir)
            .with_context(|| format!("-queue_dir {}: cannot read it", dir.display()))?;
        let mut max_seq = 0;
        for e in entries {
            let e = e.with_context(|| format!("-queue_dir {}: cannot read it", dir.display()))?;
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let Some((stem, ext)) = name.split_once('.') else {
                continue;
            };
            let Ok(seq) = stem.parse::<u64>() else {
                continue;
            };
            max_seq = max_seq.max(seq);
            match ext {
                "tmp" => {
                    // Half written when the process died: never queued.
                    let _ = fs::remove_file(&path);
                }
                "batch" | "sending" => match read_header(&path, seq, ext == "sending") {
                    Ok(Some(r)) if e.metadata().is_ok_and(|m| m.len() == r.size() as u64) => {
                        found.records.push(r)
                    }
                    Ok(r) => {
                        let _ = fs::remove_file(&path);
                        found.damaged.push((path, r.map(|r| r.points)));
                    }
                    Err(_) => {
                        let _ = fs::remove_file(&path);
                        found.damaged.push((path, None));
                    }
                },
                _ => {}
            }
        }
        found.records.sort_by_key(|r| r.seq);
        let spool = Spool {
            dir: dir.to_path_buf(),
            next_seq: AtomicU64::new(max_seq + 1),
        };
        // The directory must be writable now, not at the first outage.
        let probe = spool.path(0, "tmp");
        File::create(&probe)
            .and_then(|_| fs::remove_file(&probe))
            .with_context(|| format!("-queue_dir {}: cannot write in it", dir.display()))?;
        sync_dir(&spool.dir)?;
        Ok((spool, found))
    }

    fn path(&self, seq: u64, ext: &str) -> PathBuf {
        self.dir.join(format!("{seq:020}.{ext}"))
    }

    /// Writes a batch whole and durably; its record.
    pub fn write(
        &self,
        body: &[u8],
        raw_len: usize,
        objects: u32,
        points: u32,
        target: usize,
    ) -> io::Result<Record> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let r = Record {
            seq,
            crc: crc32(body),
            raw_len: raw_len as u64,
            objects,
            points,
            target: target as u32,
            body_len: body.len() as u64,
            in_doubt: false,
        };
        let tmp = self.path(seq, "tmp");
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&r.encode())?;
            f.write_all(body)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, self.path(seq, "batch"))?;
            sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| r)
    }

    /// The body of `r`, checked against its CRC.
    pub fn read(&self, r: &Record) -> anyhow::Result<Vec<u8>> {
        let path = self.path(r.seq, if r.in_doubt { "sending" } else { "batch" });
        let mut f = File::open(&path).with_context(|| format!("{}", path.display()))?;
        let mut all = Vec::with_capacity(r.size());
        f.read_to_end(&mut all)
            .with_context(|| format!("{}", path.display()))?;
        if all.len() != r.size() {
            bail!("{}: {} bytes, not {}", path.display(), all.len(), r.size());
        }
        let body = all.split_off(HEADER_LEN);
        if crc32(&body) != r.crc {
            bail!("{}: the CRC-32 of its body does not match", path.display());
        }
        Ok(body)
    }

    /// Marks the batches of one request as being sent (`.sending`),
    /// durably (one fsync of the directory for all), before its first
    /// attempt.
    pub fn sending<'a>(&self, rs: impl IntoIterator<Item = &'a mut Record>) -> io::Result<()> {
        self.mark(rs, true)
    }

    /// Back to `.batch`: given up on before any attempt could reach HEC.
    pub fn not_sent<'a>(&self, rs: impl IntoIterator<Item = &'a mut Record>) -> io::Result<()> {
        self.mark(rs, false)
    }

    fn mark<'a>(
        &self,
        rs: impl IntoIterator<Item = &'a mut Record>,
        in_doubt: bool,
    ) -> io::Result<()> {
        let (from, to) = if in_doubt {
            ("batch", "sending")
        } else {
            ("sending", "batch")
        };
        let mut renamed = false;
        for r in rs.into_iter().filter(|r| r.in_doubt != in_doubt) {
            fs::rename(self.path(r.seq, from), self.path(r.seq, to))?;
            r.in_doubt = in_doubt;
            renamed = true;
        }
        if renamed {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Removes `r`: HEC answered for it, or it was dropped.
    pub fn remove(&self, r: &Record) {
        let _ = fs::remove_file(self.path(r.seq, if r.in_doubt { "sending" } else { "batch" }));
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn read_header(path: &Path, seq: u64, in_doubt: bool) -> io::Result<Option<Record>> {
    let mut h = [0u8; HEADER_LEN];
    File::open(path)?.read_exact(&mut h)?;
    Ok(Record::decode(seq, in_doubt, &h))
}

/// Makes a rename or a new file in `dir` durable (Unix; Windows' NTFS
/// journals its metadata and cannot open a directory as a file).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        OpenOptions::new().read(true).open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, OpenOptions::new());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mm-spool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn batches_survive_a_reopen_in_order_and_damage_is_found() {
        let d = dir("reopen");
        let (s, found) = Spool::open(&d).unwrap();
        assert!(found.records.is_empty());
        let a = s.write(b"first", 50, 1, 3, 0).unwrap();
        let mut b = s.write(b"second", 60, 2, 4, 1).unwrap();
        let c = s.write(b"third", 70, 1, 5, 0).unwrap();
        s.sending([&mut b]).unwrap();
        // What a kill leaves: a half-written batch, and a damaged one.
        fs::write(s.path(99, "tmp"), b"half").unwrap();
        let mut bytes = fs::read(s.path(c.seq, "batch")).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        fs::write(s.path(c.seq, "batch"), &bytes).unwrap();
        fs::write(s.path(98, "batch"), b"MMQ1short").unwrap();
        drop(s);

        let (s, found) = Spool::open(&d).unwrap();
        assert_eq!(found.records.len(), 3);
        assert_eq!(found.records[0], a);
        assert!(found.records[1].in_doubt, "was being sent");
        assert_eq!(s.read(&found.records[0]).unwrap(), b"first");
        assert_eq!(s.read(&found.records[1]).unwrap(), b"second");
        assert!(s.read(&found.records[2]).is_err(), "CRC");
        assert_eq!(found.damaged.len(), 1);
        assert!(!s.path(99, "tmp").exists());
        assert!(
            s.next_seq.load(Ordering::Relaxed) > 99,
            "sequence numbers only grow"
        );
        s.remove(&found.records[1]);
        let (_, again) = Spool::open(&d).unwrap();
        assert_eq!(again.records.len(), 2);
        let _ = fs::remove_dir_all(&d);
    }
}
