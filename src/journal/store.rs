//! Appending (flushed and fsynced before anyone is told) and replaying the journal file.

use super::lock::{Holder, Lock, LockError};
use super::record::{Entry, Record};
use crate::clock::Millis;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// `migration.toml` -> `migration.journal.jsonl`, beside it.
pub fn journal_path(plan: &Path) -> PathBuf {
    let stem = plan
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("migration");
    plan.with_file_name(format!("{stem}.journal.jsonl"))
}

fn lock_path(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Who drives the journal's plan now (holds its lock), read without taking the lock.
pub fn driver(journal: &Path) -> Option<Holder> {
    super::lock::holder_of(&lock_path(journal))
}

/// A last line cut short by a crash or power loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    pub line: usize,
    pub bytes: usize,
    /// Byte offset where the torn line starts: the file is cut back to it before appending.
    pub offset: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    pub records: Vec<Record>,
    pub torn: Option<TornLine>,
}

impl Replay {
    pub fn torn_message(&self, path: &Path) -> Option<String> {
        self.torn.as_ref().map(|t| {
            format!(
                "{}: line {} is incomplete ({} bytes, an interrupted write: power loss or a killed process); it was skipped. Everything before it is intact.",
                path.display(),
                t.line,
                t.bytes
            )
        })
    }
}

#[derive(Debug)]
pub enum JournalError {
    Lock(LockError),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A damaged line that is not the last: the record of the migration cannot be trusted.
    Corrupt {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Lock(e) => e.fmt(f),
            JournalError::Io { path, error } => write!(f, "journal {}: {error}", path.display()),
            JournalError::Corrupt {
                path,
                line,
                problem,
            } => write!(
                f,
                "journal {} is damaged at line {line}: {problem}. It is the record of this migration: do not delete it; copy it aside, repair or remove that line by hand, and start again",
                path.display()
            ),
        }
    }
}

impl std::error::Error for JournalError {}

/// Reads the journal without taking the lock (for status, report, check). A missing file is an
/// empty journal.
pub fn read(path: &Path) -> Result<Replay, JournalError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replay::default()),
        Err(error) => {
            return Err(JournalError::Io {
                path: path.to_path_buf(),
                error,
            });
        }
    };
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Replay, JournalError> {
    let mut replay = Replay::default();
    let mut offset = 0usize;
    let mut lines = bytes
        .split_inclusive(|b| *b == b'\n')
        .enumerate()
        .peekable();
    while let Some((i, raw)) = lines.next() {
        let line_no = i + 1;
        let is_last = lines.peek().is_none();
        let complete = raw.ends_with(b"\n");
        let text = String::from_utf8_lossy(raw);
        let start = offset;
        offset += raw.len();
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(text.trim_end()) {
            Ok(rec) if complete => {
                let expected = replay.records.last().map_or(1, |r| r.seq + 1);
                if rec.seq != expected {
                    return Err(JournalError::Corrupt {
                        path: path.to_path_buf(),
                        line: line_no,
                        problem: format!(
                            "record number {} where {expected} was expected (a record was lost or written twice)",
                            rec.seq
                        ),
                    });
                }
                replay.records.push(rec);
            }
            // A last line without its newline was not fully written, even if it parses.
            _ if is_last => {
                replay.torn = Some(TornLine {
                    line: line_no,
                    bytes: raw.len(),
                    offset: start as u64,
                })
            }
            // Only the last line can lack its newline, so a parsed record here is complete.
            parsed => {
                let problem = match parsed {
                    Err(e) => format!("not a journal record ({e})"),
                    Ok(_) => "a record without its line end".to_string(),
                };
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    line: line_no,
                    problem,
                });
            }
        }
    }
    Ok(replay)
}

/// Follows a journal another process appends to, without the lock: each [`Follower::poll`]
/// returns the complete records written since the last one. A line still being written (no
/// line end yet) waits for the next poll.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    /// Bytes read so far: every one of them ends a complete line.
    offset: u64,
    /// Lines read so far, for error messages.
    lines: usize,
    /// The last record returned (or replayed before following).
    last_seq: u64,
}

impl Follower {
    /// Follows `path` after record `last_seq` (what the caller replayed already).
    pub fn new(path: &Path, last_seq: u64) -> Follower {
        Follower {
            path: path.to_path_buf(),
            offset: 0,
            lines: 0,
            last_seq,
        }
    }

    pub fn poll(&mut self) -> Result<Vec<Record>, JournalError> {
        let io = |error| JournalError::Io {
            path: self.path.clone(),
            error,
        };
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.offset == 0 => {
                return Ok(vec![]);
            }
            Err(e) => return Err(io(e)),
        };
        let len = file.metadata().map_err(io)?.len();
        if len < self.offset {
            return Err(JournalError::Corrupt {
                path: self.path.clone(),
                line: self.lines,
                problem: "the journal is shorter than it was (replaced or cut while followed)"
                    .into(),
            });
        }
        file.seek(SeekFrom::Start(self.offset)).map_err(io)?;
        let mut bytes = vec![];
        file.read_to_end(&mut bytes).map_err(io)?;
        let Some(end) = bytes.iter().rposition(|b| *b == b'\n') else {
            return Ok(vec![]);
        };
        let mut out = vec![];
        for raw in bytes[..=end].split_inclusive(|b| *b == b'\n') {
            self.lines += 1;
            let text = String::from_utf8_lossy(raw);
            if text.trim().is_empty() {
                continue;
            }
            let corrupt = |problem: String| JournalError::Corrupt {
                path: self.path.clone(),
                line: self.lines,
                problem,
            };
            let rec: Record = serde_json::from_str(text.trim_end())
                .map_err(|e| corrupt(format!("not a journal record ({e})")))?;
            if rec.seq <= self.last_seq {
                continue;
            }
            if rec.seq != self.last_seq + 1 {
                return Err(corrupt(format!(
                    "record number {} where {} was expected (a record was lost or written twice)",
                    rec.seq,
                    self.last_seq + 1
                )));
            }
            self.last_seq = rec.seq;
            out.push(rec);
        }
        self.offset += end as u64 + 1;
        Ok(out)
    }
}

/// The journal opened for appending, with the plan's lock held.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    next_seq: u64,
    pub lock: Lock,
}

impl Journal {
    /// Takes the lock, replays, and cuts a torn last line off so appends start on a clean line.
    pub fn open(path: &Path, holder: &Holder) -> Result<(Journal, Replay), JournalError> {
        let lock = Lock::acquire(&lock_path(path), holder).map_err(JournalError::Lock)?;
        let replay = read(path)?;
        let io = |error| JournalError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        if let Some(t) = &replay.torn {
            file.set_len(t.offset).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let next_seq = replay.records.last().map_or(1, |r| r.seq + 1);
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                next_seq,
                lock,
            },
            replay,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one record and returns only once it is on disk.
    pub fn append(&mut self, at: Millis, entry: Entry) -> Result<Record, JournalError> {
        let record = Record {
            seq: self.next_seq,
            at,
            entry,
        };
        let mut line = serde_json::to_string(&record).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            error: std::io::Error::other(e),
        })?;
        line.push('\n');
        let io = |error| JournalError::Io {
            path: self.path.clone(),
            error,
        };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.flush().map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.next_seq += 1;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_entry(n: u32) -> Entry {
        Entry::Error {
            context: "test".into(),
            message: format!("e{n}"),
        }
    }

    #[test]
    fn appends_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.journal.jsonl");
        {
            let (mut j, r) = Journal::open(&p, &Holder::current("t")).unwrap();
            assert!(r.records.is_empty());
            j.append(1, err_entry(1)).unwrap();
            j.append(2, err_entry(2)).unwrap();
        }
        let (mut j, r) = Journal::open(&p, &Holder::current("t")).unwrap();
        assert_eq!(r.records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(j.append(3, err_entry(3)).unwrap().seq, 3);
    }

    #[test]
    fn a_follower_sees_each_record_once_and_waits_for_a_line_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.journal.jsonl");
        let mut f = Follower::new(&p, 0);
        assert!(f.poll().unwrap().is_empty(), "no journal yet");
        let (mut j, _) = Journal::open(&p, &Holder::current("t")).unwrap();
        j.append(1, err_entry(1)).unwrap();
        j.append(2, err_entry(2)).unwrap();
        // A follower that replayed record 1 already starts after it.
        let mut after_one = Follower::new(&p, 1);
        let seqs = |r: Vec<Record>| r.iter().map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(seqs(after_one.poll().unwrap()), [2]);
        assert_eq!(seqs(f.poll().unwrap()), [1, 2]);
        assert!(f.poll().unwrap().is_empty(), "nothing new");
        // Half a line: not yet.
        let mut raw = OpenOptions::new().append(true).open(&p).unwrap();
        let line = serde_json::to_string(&Record {
            seq: 3,
            at: 3,
            entry: err_entry(3),
        })
        .unwrap();
        let (a, b) = line.split_at(10);
        raw.write_all(a.as_bytes()).unwrap();
        assert!(f.poll().unwrap().is_empty(), "a line being written waits");
        raw.write_all(format!("{b}\n").as_bytes()).unwrap();
        assert_eq!(seqs(f.poll().unwrap()), [3]);
        drop(raw);
        std::fs::write(&p, "").unwrap();
        assert!(
            f.poll()
                .unwrap_err()
                .to_string()
                .contains("shorter than it was")
        );
    }

    #[test]
    fn a_torn_last_line_is_reported_skipped_and_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.journal.jsonl");
        {
            let (mut j, _) = Journal::open(&p, &Holder::current("t")).unwrap();
            j.append(1, err_entry(1)).unwrap();
        }
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"seq\":2,\"at\":5,\"type\":\"err").unwrap();
        drop(f);
        let r = read(&p).unwrap();
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.torn.as_ref().unwrap().line, 2);
        assert!(r.torn_message(&p).unwrap().contains("line 2 is incomplete"));
        let (mut j, r) = Journal::open(&p, &Holder::current("t")).unwrap();
        assert!(r.torn.is_some());
        assert_eq!(j.append(9, err_entry(2)).unwrap().seq, 2);
        let after = read(&p).unwrap();
        assert_eq!(after.records.len(), 2);
        assert!(after.torn.is_none());
    }

    #[test]
    fn a_complete_but_unterminated_last_line_counts_as_torn() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.journal.jsonl");
        let rec = serde_json::to_string(&Record {
            seq: 1,
            at: 1,
            entry: err_entry(1),
        })
        .unwrap();
        std::fs::write(&p, rec).unwrap();
        let r = read(&p).unwrap();
        assert!(r.records.is_empty());
        assert!(r.torn.is_some());
    }

    #[test]
    fn damage_in_the_middle_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.journal.jsonl");
        let rec = |seq| {
            serde_json::to_string(&Record {
                seq,
                at: 1,
                entry: err_entry(1),
            })
            .unwrap()
        };
        std::fs::write(&p, format!("{}\ngarbage\n{}\n", rec(1), rec(2))).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        std::fs::write(&p, format!("{}\n{}\n", rec(1), rec(1))).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("written twice"), "{e}");
    }
}
