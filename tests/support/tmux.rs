//! A real pseudo-terminal: tmux sessions on a private server, read back as text.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new() -> Tmux {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "tmux is needed for the terminal tests: apt-get install tmux (scripts/test.sh does)"
        );
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Tmux {
            socket: format!("rmq-pty-{}-{n}", std::process::id()),
        }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs a shell command in a new 120x40 session; the pane stays open after it exits so its
    /// last screen can be read.
    pub fn start(&self, name: &str, shell_command: &str) {
        let cmd = format!("{shell_command}; echo EXITED $?; sleep 600");
        self.tmux(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "40",
            &cmd,
        ]);
    }

    pub fn screen(&self, name: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", name])
    }

    pub fn key(&self, name: &str, key: &str) {
        self.tmux(&["send-keys", "-t", name, key]);
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn wait_for(&self, name: &str, text: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen(name);
            if s.contains(text) {
                return s;
            }
            if start.elapsed() > within {
                panic!("{text:?} not on screen within {within:?}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The pids of the processes the session's shell started (read from /proc: no procps needed).
    pub fn children(&self, name: &str) -> Vec<u32> {
        let shell = self.tmux(&["display-message", "-p", "-t", name, "#{pane_pid}"]);
        let shell = shell.trim();
        let mut pids = vec![];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, not ')'.
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if ppid == Some(shell) {
                pids.push(pid);
            }
        }
        pids
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
