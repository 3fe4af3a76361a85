//! The binary run headless: its output as text, and the fast rehearsal (tests/fixtures/fast)
//! copied to a temporary folder and driven command by command, as tests/cli.rs and
//! tests/report.rs do.
#![allow(dead_code)]

use rocketmq_migrate::journal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

/// What a command printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Who runs a command: `--operator`, and the account `USER` names (neither set when `None`).
#[derive(Debug, Clone, Copy)]
pub struct By {
    pub operator: Option<&'static str>,
    pub user: Option<&'static str>,
}

pub struct Rehearsal {
    pub dir: tempfile::TempDir,
    pub plan: PathBuf,
    /// Who runs the commands; by default the test process's own environment.
    by: Option<By>,
}

impl Rehearsal {
    pub fn new() -> Rehearsal {
        let dir = tempfile::tempdir().unwrap();
        for f in ["migration.toml", "scenario.toml"] {
            std::fs::copy(Path::new("tests/fixtures/fast").join(f), dir.path().join(f)).unwrap();
        }
        let plan = dir.path().join("migration.toml");
        Rehearsal {
            dir,
            plan,
            by: None,
        }
    }

    /// A rehearsal prepared elsewhere (by `demo`), driven the same way.
    pub fn of(plan: PathBuf) -> Rehearsal {
        Rehearsal {
            dir: tempfile::tempdir().unwrap(),
            plan,
            by: None,
        }
    }

    /// Every command from now on runs as `by`.
    pub fn run_by(mut self, by: By) -> Rehearsal {
        self.by = Some(by);
        self
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_by(self.by, args)
    }

    fn cmd_by(&self, by: Option<By>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("-c").arg(&self.plan);
        if let Some(by) = by {
            if let Some(o) = by.operator {
                c.args(["--operator", o]);
            }
            c.env_remove("USER").env_remove("USERNAME");
            if let Some(u) = by.user {
                c.env("USER", u);
            }
        }
        c.args(args).stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// One command as `by`, whoever runs the others.
    pub fn run_as(&self, by: By, args: &[&str]) -> Output {
        self.cmd_by(Some(by), args).output().unwrap()
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs a command that must succeed; its output.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        text(&o)
    }

    pub fn status(&self) -> Value {
        let o = self.run(&["status", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    pub fn stage(&self, batch: &str) -> String {
        let s = self.status();
        s["batches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == batch)
            .unwrap()["stage"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn journal(&self) -> journal::Replay {
        journal::read(&journal::journal_path(&self.plan)).unwrap()
    }

    /// Advances until the gate opens (the rehearsal's apps take a moment to move) or `within`
    /// has passed: the last answer either way.
    pub fn advance_until(&self, step: &str, extra: &[&str], within: Duration) -> Output {
        let start = Instant::now();
        loop {
            let mut args = vec!["advance", step, "--yes"];
            args.extend_from_slice(extra);
            let o = self.run(&args);
            if o.status.code() == Some(0) || start.elapsed() > within {
                return o;
            }
            assert_eq!(o.status.code(), Some(3), "{}", text(&o));
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}
