//! End to end in a real pseudo-terminal (tmux): open the wizard on a rehearsal, walk a batch
//! from first consumers to done, see producers refused before target consumers, quit mid-way,
//! restart and find the same stage; the terminal is restored on every exit. And a second
//! terminal watching (`run --watch`) while the first drives.

mod support;

use std::path::Path;
use std::time::Duration;
use support::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

/// Runs the wizard on a rehearsal in `dir`, in tmux session `name`.
fn demo(t: &Tmux, name: &str, dir: &Path, extra_env: &str) {
    t.start(
        name,
        &format!(
            "cd {} && {extra_env} {BIN} demo --dir {}",
            dir.display(),
            dir.display()
        ),
    );
}

const SHORT: Duration = Duration::from_secs(10);

/// Presses Enter on the selected step, confirms, and closes the message that follows.
fn advance(t: &Tmux, s: &str, gate_open: &str, typed: Option<&str>, expect: &str) {
    t.wait_for(s, gate_open, Duration::from_secs(30));
    t.key(s, "Enter");
    t.wait_for(s, "confirm", SHORT);
    if let Some(name) = typed {
        t.wait_for(s, "Type the batch name", SHORT);
        t.tmux(&["send-keys", "-t", s, "-l", name]);
        std::thread::sleep(Duration::from_millis(150));
    }
    t.key(s, "Enter");
    t.wait_for(s, expect, SHORT);
    t.key(s, "Escape");
}

#[test]
fn a_rehearsal_batch_walked_in_the_terminal_with_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["migration.toml", "scenario.toml"] {
        std::fs::copy(Path::new("tests/fixtures/fast").join(f), dir.path().join(f)).unwrap();
    }
    let t = Tmux::new();
    demo(&t, "a", dir.path(), "");
    t.wait_for("a", "[FRESH", SHORT);
    advance(
        &t,
        "a",
        "complete preflight (preflight) OPEN",
        None,
        "Preflight complete",
    );
    // s lists what it will create, with settings, and creates it once confirmed.
    t.key("a", "s");
    let s = t.wait_for("a", "Create these 5 items on the target 'new'?", SHORT);
    for item in [
        "[+] topic T_ORDER (",
        "[+] topic T_STOCK (",
        "[+] group G_BILLING (",
        "[+] group G_NOTIFY (",
        "[+] group G_STOCK (",
    ] {
        assert!(s.contains(item), "{item} not listed:\n{s}");
    }
    t.key("a", "Enter");
    advance(
        &t,
        "a",
        "confirm metadata (metadata) OPEN",
        None,
        "Metadata complete",
    );
    // The now box is the runbook: what to restart, how to stop it, each group's instances from
    // the live connections, and what the wizard waits for.
    for says in [
        "Restart SOME consumers",
        "Stop gracefully (never kill -9)",
        "none on the target yet",
        "Press Enter to release first consumers.",
    ] {
        t.wait_for("a", says, SHORT);
    }
    advance(
        &t,
        "a",
        "release first consumers (batch:orders) OPEN",
        None,
        "release first consumers done",
    );
    // The rehearsal's applications follow: the groups' instances appear on the target, ticked,
    // and the runbook moves on to the producers.
    for says in ["Restart EVERY producer", "still on the source", "[x] "] {
        t.wait_for("a", says, Duration::from_secs(30));
    }
    // Producers before consumers on the target: not offered, and the screen says why.
    t.key("a", "Enter");
    let s = t.wait_for("a", "Not offered: release producers", SHORT);
    assert!(s.contains("has no consumer online on target"), "{s}");
    t.key("a", "Escape");
    advance(
        &t,
        "a",
        "release producers (batch:orders) OPEN",
        None,
        "release producers done",
    );
    // Quit mid-migration: asked first.
    t.key("a", "q");
    t.wait_for("a", "A batch is mid-migration", SHORT);
    t.key("a", "y");
    let s = t.wait_for("a", "EXITED 0", SHORT);
    assert!(
        s.contains("journal:") && !s.contains("┌ steps"),
        "terminal restored:\n{s}"
    );

    // Restart: the same stage.
    demo(&t, "b", dir.path(), "");
    let s = t.wait_for("b", "[FRESH", SHORT);
    assert!(s.contains("S_RW_D_RW double write"), "{s}");
    advance(
        &t,
        "b",
        "drain source (batch:orders) OPEN",
        None,
        "drain source done",
    );
    advance(
        &t,
        "b",
        "release remaining consumers (batch:orders) OPEN",
        Some("orders"),
        "release remaining consumers done",
    );
    advance(
        &t,
        "b",
        "done (batch:orders) OPEN",
        Some("orders"),
        "is complete",
    );
    t.wait_for("b", "[x] orders", SHORT);
    // Not mid-migration any more: q quits at once.
    t.key("b", "q");
    t.wait_for("b", "EXITED 0", SHORT);

    // Ctrl-C also restores the terminal; NO_COLOR is honoured.
    demo(&t, "c", dir.path(), "NO_COLOR=1");
    t.wait_for("c", "[FRESH", SHORT);
    t.key("c", "C-c");
    let s = t.wait_for("c", "EXITED 0", SHORT);
    assert!(!s.contains("┌ steps"), "{s}");

    let plan = rocketmq_migrate::plan::Plan::load(&dir.path().join("migration.toml")).unwrap();
    let replay =
        rocketmq_migrate::journal::read(&rocketmq_migrate::journal::journal_path(&plan.path))
            .unwrap();
    let progress = rocketmq_migrate::wizard::Progress::replay(&plan, &replay.records).unwrap();
    assert_eq!(
        progress.stage("orders"),
        rocketmq_migrate::stage::Stage::Done
    );
    assert!(
        replay.records.iter().any(|r| r.entry.kind() == "refused"),
        "the refusal is journaled"
    );
}

/// The shift lead's view: while one wizard drives the rehearsal, `run --watch` in another
/// terminal names the driver, follows its journal (a stage change shows), refuses every key that
/// would write, says when nobody drives any more, and quits without asking.
#[test]
fn a_watcher_follows_the_driver_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["migration.toml", "scenario.toml"] {
        std::fs::copy(Path::new("tests/fixtures/fast").join(f), dir.path().join(f)).unwrap();
    }
    let plan = dir.path().join("migration.toml");
    let t = Tmux::new();
    demo(&t, "driver", dir.path(), "");
    t.wait_for("driver", "[FRESH", SHORT);
    let driver_pid = t.children("driver");
    assert_eq!(driver_pid.len(), 1, "{driver_pid:?}");
    t.start(
        "watch",
        &format!(
            "cd {} && {BIN} -c {} run --watch",
            dir.path().display(),
            plan.display()
        ),
    );
    let s = t.wait_for(
        "watch",
        &format!("watching — driven by run (pid {} on ", driver_pid[0]),
        SHORT,
    );
    assert!(s.contains("(read-only)"), "{s}");
    t.wait_for("watch", "[FRESH", SHORT);
    let s = t.screen("watch");
    assert!(
        !s.contains("next step") && !s.contains("sync metadata"),
        "{s}"
    );
    // A key that would write: refused, naming the driver; nothing is written.
    for key in ["Enter", "s", "b"] {
        t.key("watch", key);
        t.wait_for(
            "watch",
            &format!("read-only: run (pid {} on ", driver_pid[0]),
            SHORT,
        );
        t.key("watch", "Escape");
    }

    // The driver walks preflight and metadata and releases the first consumers of orders.
    advance(
        &t,
        "driver",
        "complete preflight (preflight) OPEN",
        None,
        "Preflight complete",
    );
    t.key("driver", "s");
    t.wait_for("driver", "Create these 5 items", SHORT);
    t.key("driver", "Enter");
    advance(
        &t,
        "driver",
        "confirm metadata (metadata) OPEN",
        None,
        "Metadata complete",
    );
    advance(
        &t,
        "driver",
        "release first consumers (batch:orders) OPEN",
        None,
        "release first consumers done",
    );
    // The watcher follows: the batch's new stage, and the first consumers on the target.
    t.wait_for("watch", "S_RW_D_R double read", SHORT);
    t.key("watch", "l");
    t.wait_for(
        "watch",
        "the driver moved batch orders: S_RW_D_NA -> S_RW_D_R",
        SHORT,
    );

    // The driver quits: nobody drives now.
    t.key("driver", "q");
    t.wait_for("driver", "A batch is mid-migration", SHORT);
    t.key("driver", "y");
    t.wait_for("driver", "EXITED 0", SHORT);
    t.wait_for("watch", "watching — nobody drives this plan now", SHORT);
    t.key("watch", "Enter");
    t.wait_for("watch", "read-only: nobody drives this plan now", SHORT);
    t.key("watch", "Escape");
    // Mid-migration, yet nothing to lose: q quits at once and restores the terminal.
    t.key("watch", "q");
    let s = t.wait_for("watch", "EXITED 0", SHORT);
    assert!(!s.contains("┌ steps"), "terminal restored:\n{s}");

    // Every record is the driver's: the watcher opened nothing and journaled nothing.
    let replay =
        rocketmq_migrate::journal::read(&rocketmq_migrate::journal::journal_path(&plan)).unwrap();
    let opened: Vec<u32> = (replay.records.iter())
        .filter_map(|r| match &r.entry {
            rocketmq_migrate::journal::Entry::Opened { holder, .. } => Some(holder.pid),
            _ => None,
        })
        .collect();
    assert_eq!(opened, driver_pid);
}
