//! One wizard drives a plan at a time. The lock is an OS file lock (released by the kernel when
//! the holder dies, so a dead holder's lock is recognised as stale) on a file naming the holder.

use crate::clock::{self, Millis};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What `user` holds when the environment named no account.
const UNKNOWN_USER: &str = "unknown-user";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub user: String,
    pub since: Millis,
    pub command: String,
    /// Who drives the migration, as `--operator` named them (absent when it was not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl Holder {
    pub fn current(command: &str) -> Holder {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown-host".into());
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| UNKNOWN_USER.into());
        Holder {
            pid: std::process::id(),
            host,
            user,
            since: clock::now(),
            command: command.to_string(),
            operator: None,
        }
    }

    /// Whether the process still runs, as far as this machine can tell: a holder on another
    /// host (a shared file system), or a system without `/proc`, is taken to run.
    pub fn is_running(&self) -> bool {
        let proc = Path::new("/proc");
        if self.host != Holder::current("").host || !proc.join("self").exists() {
            return true;
        }
        proc.join(self.pid.to_string()).exists()
    }

    /// The operator `--operator` names, if it was given (a blank name is no name).
    pub fn operated_by(mut self, operator: Option<&str>) -> Holder {
        self.operator = operator
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string);
        self
    }

    /// Who drove: the `--operator` name, else the account the environment named (`USER`, else
    /// `USERNAME`); `None` when neither was known.
    pub fn operator_name(&self) -> Option<&str> {
        self.operator
            .as_deref()
            .or(Some(self.user.as_str()))
            .filter(|u| !u.is_empty() && *u != UNKNOWN_USER)
    }

    pub fn describe(&self) -> String {
        let operator = (self.operator.as_deref())
            .map(|o| format!(", operator {o}"))
            .unwrap_or_default();
        format!(
            "{} (pid {} on {}, user {}{operator}) since {}",
            self.command,
            self.pid,
            self.host,
            self.user,
            clock::rfc3339(self.since)
        )
    }
}

#[derive(Debug)]
pub enum LockError {
    /// Another live process holds the plan.
    Held {
        path: PathBuf,
        /// Boxed: an error stays small on the paths that return it.
        holder: Option<Box<Holder>>,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held {
                path,
                holder: Some(h),
            } => write!(
                f,
                "another wizard drives this plan: {}. Wait for it to finish or quit it; read-only commands (status, report, check) work meanwhile, and `run --watch` watches it drive. Lock file: {}",
                h.describe(),
                path.display()
            ),
            LockError::Held { path, holder: None } => write!(
                f,
                "another process holds the lock {}; read-only commands (status, report, check) work meanwhile, and `run --watch` watches it drive",
                path.display()
            ),
            LockError::Io { path, error } => {
                write!(f, "cannot use the lock file {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for LockError {}

/// Who holds the lock at `path` now, as its file names them, without taking it: `None` when
/// nobody does (an empty file: the last holder exited cleanly; or it names a process that no
/// longer runs). A holder that is just writing its name may read as `None` for a moment.
pub fn holder_of(path: &Path) -> Option<Holder> {
    let mut file = File::open(path).ok()?;
    read_holder(&mut file).filter(Holder::is_running)
}

/// Held while alive; the OS releases it when the process ends, however it ends. A clean exit
/// also empties the file, so the next holder finds no one to report: only a holder that died
/// leaves its name behind ("took over the lock left by ...").
#[derive(Debug)]
pub struct Lock {
    file: File,
    pub path: PathBuf,
    /// The previous holder, when it left a lock file behind without holding the lock (it died).
    pub stale_previous: Option<Holder>,
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut s = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut s).ok()?;
    serde_json::from_str(&s).ok()
}

impl Lock {
    pub fn acquire(path: &Path, holder: &Holder) -> Result<Lock, LockError> {
        let io = |error| LockError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    holder: read_holder(&mut file).map(Box::new),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let stale_previous = read_holder(&mut file).filter(|h| h.pid != holder.pid);
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let json = serde_json::to_string(holder).unwrap_or_default();
        file.write_all(json.as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(io)?;
        Ok(Lock {
            file,
            path: path.to_path_buf(),
            stale_previous,
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Still held here: nobody else can have written the file since.
        if let Err(e) = self.file.set_len(0) {
            tracing::warn!("could not clear the lock file {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.lock");
        let first = Holder {
            command: "run".into(),
            ..Holder::current("run")
        };
        let _l = Lock::acquire(&p, &first).unwrap();
        let err = Lock::acquire(&p, &Holder::current("advance")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("another wizard drives this plan"), "{msg}");
        assert!(msg.contains(&format!("pid {}", first.pid)), "{msg}");
        assert!(msg.contains("status"), "{msg}");
    }

    #[test]
    fn the_holder_is_read_without_taking_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.lock");
        assert_eq!(holder_of(&p), None, "no file: nobody");
        let me = Holder::current("run");
        let l = Lock::acquire(&p, &me).unwrap();
        assert_eq!(holder_of(&p), Some(me.clone()));
        // Reading took nothing: the holder still holds it, and nobody else gets it.
        assert!(Lock::acquire(&p, &Holder::current("advance")).is_err());
        drop(l);
        assert_eq!(holder_of(&p), None, "a clean exit empties the file");
        // A holder that died leaves its name, but no longer drives.
        let ghost = Holder {
            pid: 999_999_999,
            ..me
        };
        std::fs::write(&p, serde_json::to_string(&ghost).unwrap()).unwrap();
        assert!(!ghost.is_running());
        assert_eq!(holder_of(&p), None);
    }

    #[test]
    fn a_dead_holders_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.lock");
        let ghost = Holder {
            pid: 999_999,
            host: "h".into(),
            user: "u".into(),
            since: 1,
            command: "run".into(),
            operator: None,
        };
        std::fs::write(&p, serde_json::to_string(&ghost).unwrap()).unwrap();
        let l = Lock::acquire(&p, &Holder::current("advance")).unwrap();
        assert_eq!(l.stale_previous, Some(ghost));
    }

    #[test]
    fn a_clean_exit_hands_over_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.lock");
        // Another process's clean exit: it held the lock, then let it go.
        let other = Holder {
            pid: 999_998,
            ..Holder::current("advance")
        };
        drop(Lock::acquire(&p, &other).unwrap());
        let next = Lock::acquire(&p, &Holder::current("status")).unwrap();
        assert_eq!(next.stale_previous, None, "nobody died: nothing to report");
        // While held, the file names the holder (for "another wizard drives this plan").
        let held = std::fs::read_to_string(&p).unwrap();
        assert!(held.contains("\"command\":\"status\""), "{held}");
    }
}
