//! The headless commands, end to end, on the fast rehearsal clusters: real processes, real
//! journal files, kill -9 included.

#[path = "support/headless.rs"]
mod headless;
use headless::{Rehearsal, text};
#[path = "support/tmux.rs"]
mod tmux;

use rocketmq_migrate::journal;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

fn assert_contiguous(r: &journal::Replay) {
    for (i, rec) in r.records.iter().enumerate() {
        assert_eq!(
            rec.seq,
            i as u64 + 1,
            "journal seq gap or duplicate at record {i}"
        );
    }
}

#[test]
fn status_json_shows_both_clusters_and_every_group() {
    let r = Rehearsal::new();
    let s = r.status();
    assert_eq!(s["schema"], 1);
    let clusters = s["clusters"].as_array().unwrap();
    assert_eq!(clusters[0]["side"], "source");
    assert_eq!(clusters[0]["name"], "old");
    assert_eq!(clusters[0]["state"], "fresh");
    assert_eq!(clusters[1]["side"], "target");
    assert_eq!(clusters[1]["state"], "fresh");
    let orders = &s["batches"][0];
    assert_eq!(orders["stage"], "S_RW_D_NA");
    assert_eq!(orders["groups"][0]["group"], "G_BILLING");
    assert_eq!(orders["groups"][0]["source"]["backlog"], 40);
    assert_eq!(orders["groups"][0]["source"]["consumers"], 2);
    assert_eq!(orders["groups"][0]["target"]["consumers"], 0);
    assert_eq!(orders["producers"][0]["source"], 2);
    assert_eq!(s["next"][0]["step"], "preflight");
    // status is read-only: no journal is written.
    assert!(!journal::journal_path(&r.plan).exists());
}

#[test]
fn a_whole_rehearsal_migration_with_its_refusals() {
    let r = Rehearsal::new();
    r.ok(&["advance", "preflight", "--yes"]);
    // The target lacks metadata: the metadata step is refused, naming what is missing.
    let o = r.run(&["advance", "metadata", "--yes"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("topic T_ORDER does not exist on target"),
        "{}",
        text(&o)
    );
    let o = r.run(&["check"]);
    assert_eq!(o.status.code(), Some(1), "check is not ready: {}", text(&o));
    assert!(text(&o).contains("missing on target: topic T_ORDER"));
    assert!(
        r.ok(&["sync-metadata", "--dry-run"])
            .contains("would create topic T_ORDER")
    );
    assert!(
        r.ok(&["sync-metadata", "--yes"])
            .contains("created group G_STOCK")
    );
    assert!(
        r.ok(&["sync-metadata", "--yes"])
            .contains("nothing to create"),
        "idempotent"
    );
    let o = r.run(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    r.ok(&["advance", "metadata", "--yes"]);

    // Release first consumers, then try producers at once: refused, the consumers are not there yet.
    assert!(
        r.ok(&["advance", "orders", "--yes"])
            .contains("release first consumers done")
    );
    let o = r.run(&["advance", "orders", "--yes"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("REFUSED: release producers for batch 'orders'"),
        "{out}"
    );
    assert!(
        out.contains("consumer group G_BILLING has no consumer online on target"),
        "{out}"
    );
    assert!(
        out.contains("G_BILLING consumers online: 0 on target 'new'"),
        "names number and cluster: {out}"
    );
    assert!(out.contains(" old"), "names the age: {out}");
    assert_eq!(r.stage("orders"), "S_RW_D_R");

    let o = r.advance_until("orders", &["--no-wait"], Duration::from_secs(15));
    assert!(text(&o).contains("release producers done"), "{}", text(&o));
    let o = r.advance_until("orders", &["--no-wait"], Duration::from_secs(15));
    assert!(text(&o).contains("drain source done"), "{}", text(&o));
    // The last consumers are refused until the source has been quiet for the settle window.
    let o = r.run(&["advance", "orders", "--yes", "--no-wait"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("REFUSED: release remaining consumers"),
        "{}",
        text(&o)
    );
    // Without --no-wait, advance waits for the window while it runs.
    let o = r.advance_until("orders", &[], Duration::from_secs(30));
    assert!(
        text(&o).contains("release remaining consumers done"),
        "{}",
        text(&o)
    );
    let o = r.advance_until("orders", &["--no-wait"], Duration::from_secs(15));
    assert!(text(&o).contains("'orders': done done"), "{}", text(&o));
    assert_eq!(r.stage("orders"), "DONE");

    // The stock batch has an ordered topic: refused until acknowledged.
    let o = r.run(&["advance", "stock", "--yes"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o).contains("--ack ordered-topic:T_STOCK"),
        "{}",
        text(&o)
    );
    r.ok(&[
        "advance",
        "stock",
        "--yes",
        "--ack",
        "ordered-topic:T_STOCK",
    ]);
    // Each `--no-wait` run polls once: the settle windows are judged from the journal, so
    // separate runs release the remaining consumers and finish the batch once they held.
    for _ in 0..4 {
        let o = r.advance_until("stock", &["--no-wait"], Duration::from_secs(30));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    assert_eq!(r.stage("stock"), "DONE");
    assert!(
        r.journal().records.iter().any(
            |rec| matches!(&rec.entry, journal::Entry::QuietSince { batch, .. } if batch == "stock")
        ),
        "the stock batch's settle window is journaled"
    );
    assert!(
        r.ok(&["advance", "finish", "--yes"])
            .contains("Migration finished")
    );

    let report = r.ok(&["report"]);
    for part in [
        "# RocketMQ migration report",
        "| orders | DONE",
        "**batch orders: release producers, S_RW_D_R -> S_RW_D_RW",
        "consumers online",
        "acknowledged for batch stock: ordered-topic:T_STOCK",
        "refused: release producers for batch orders",
        "created on target: topic T_ORDER",
        "finish completed",
    ] {
        assert!(report.contains(part), "report lacks {part:?}:\n{report}");
    }
    assert_contiguous(&r.journal());
}

#[test]
fn a_second_wizard_is_refused_while_status_still_works() {
    let r = Rehearsal::new();
    r.ok(&["advance", "preflight", "--yes"]);
    // Another wizard (here: this test process) drives the plan.
    let holder = journal::Holder::current("run");
    let held = journal::Journal::open(&journal::journal_path(&r.plan), &holder).unwrap();
    let o = r.run(&["advance", "metadata", "--yes"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("another wizard drives this plan: run"),
        "{out}"
    );
    assert!(out.contains(&format!("pid {}", holder.pid)), "{out}");
    assert!(out.contains("since 20"), "says since when: {out}");
    assert!(
        out.contains("read-only commands (status, report, check) work meanwhile"),
        "{out}"
    );
    // Read-only commands still work.
    assert_eq!(r.run(&["status", "--json"]).status.code(), Some(0));
    assert_eq!(r.run(&["report"]).status.code(), Some(0));
    assert_eq!(
        r.run(&["sync-metadata", "--dry-run"]).status.code(),
        Some(0)
    );
    drop(held);
    // A killed holder leaves its lock file behind; it is recognised as stale.
    let mut child = r.spawn(&["advance", "orders", "--yes"]);
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    r.ok(&["sync-metadata", "--yes"]);
}

#[test]
fn kill_9_at_any_moment_loses_and_duplicates_nothing() {
    let r = Rehearsal::new();
    let steps = [
        "preflight",
        "metadata",
        "orders",
        "orders",
        "orders",
        "orders",
        "orders",
    ];
    let mut delays = [5u64, 40, 90, 150, 250, 400].iter().cycle();
    let mut last_records = 0;
    for step in steps {
        if step == "metadata" {
            r.ok(&["sync-metadata", "--yes"]);
        }
        // Kill attempts at several moments, then let one attempt finish.
        for _ in 0..3 {
            let mut child = r.spawn(&["advance", step, "--yes"]);
            std::thread::sleep(Duration::from_millis(*delays.next().unwrap()));
            let _ = child.kill();
            child.wait().unwrap();
            let replay = r.journal();
            assert_contiguous(&replay);
            assert!(replay.records.len() >= last_records, "records lost");
            last_records = replay.records.len();
            // The stage shown equals the stage the journal rebuilds.
            let stage = r.stage("orders");
            let plan = rocketmq_migrate::plan::Plan::load(&r.plan).unwrap();
            let progress =
                rocketmq_migrate::wizard::Progress::replay(&plan, &replay.records).unwrap();
            assert_eq!(stage, progress.stage("orders").code());
        }
        let before = r.stage("orders");
        let o = r.advance_until(step, &[], Duration::from_secs(30));
        let out = text(&o);
        assert!(o.status.code() == Some(0), "{step}: {out}");
        if step == "orders" && !out.contains("already") {
            assert_ne!(r.stage("orders"), before, "{out}");
        }
    }
    assert_eq!(r.stage("orders"), "DONE");
    let replay = r.journal();
    assert_contiguous(&replay);
    let stage_changes = replay
        .records
        .iter()
        .filter(|x| x.entry.kind() == "stage_changed")
        .count();
    assert_eq!(stage_changes, 5, "each move journaled exactly once");
}

#[test]
fn a_torn_last_line_is_reported_and_skipped() {
    let r = Rehearsal::new();
    r.ok(&["advance", "preflight", "--yes"]);
    let path = journal::journal_path(&r.plan);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":99,\"at\":1,\"type\":\"stage_ch");
    std::fs::write(&path, bytes).unwrap();
    let o = r.run(&["status"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("is incomplete"), "{}", text(&o));
    assert!(
        text(&o).contains("[x] preflight"),
        "state before the torn line is kept: {}",
        text(&o)
    );
    r.ok(&["sync-metadata", "--yes"]);
    let replay = r.journal();
    assert!(
        replay.torn.is_none(),
        "the torn line was cut before appending"
    );
    assert_contiguous(&replay);
}

#[test]
fn bad_input_gets_clear_errors_and_exit_codes() {
    let r = Rehearsal::new();
    let o = r.run(&["advance", "nosuch", "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("the plan has no batch \"nosuch\"; its batches are orders, stock"),
        "{}",
        text(&o)
    );
    let o = r.run(&["retire-broker", "nosuch-broker", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no broker \"nosuch-broker\" is remembered on the source cluster"),
        "{}",
        text(&o)
    );
    let o = r.run(&["advance", "preflight"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "no terminal to confirm on: {}",
        text(&o)
    );
    assert!(
        text(&o).contains("needs confirmation: run again with --yes"),
        "{}",
        text(&o)
    );
    std::fs::write(&r.plan, "[source]\nkind = \"rehearsal\"\nbogus = 1\n").unwrap();
    let o = r.run(&["status"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("migration.toml:3:1: `source.bogus`: unknown field `bogus`"),
        "{}",
        text(&o)
    );
    let o = Command::new(BIN)
        .args(["-c", "/nonexistent/plan.toml", "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot read the plan"), "{}", text(&o));
}

#[test]
fn secrets_never_reach_output_journal_report_or_log() {
    const SK: &str = "S3CR3T-canary-source-value";
    const CLOUD_SK: &str = "TDMQ-canary-cloud-secret";
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("migration.toml");
    std::fs::write(dir.path().join("tdmq.sk"), format!("{CLOUD_SK}\n")).unwrap();
    // Readable by its owner only, as a secret file must be.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("tdmq.sk"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    std::fs::write(
        &plan,
        "[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:1\"]\naccess_key = \"admin\"\nsecret_key_env = \"CANARY_SK\"\n\n[target]\nkind = \"tdmq\"\nregion = \"ap-guangzhou\"\ncluster_id = \"rocketmq-x\"\nnamespace = \"ns\"\nsecret_id = \"AKIDEXAMPLE\"\nsecret_key_file = \"tdmq.sk\"\n\n[[batch]]\nname = \"orders\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .arg("-c")
            .arg(&plan)
            .args(args)
            .env("CANARY_SK", SK)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let mut seen = String::new();
    let html = dir.path().join("report.html");
    let html_arg = html.to_str().unwrap();
    for args in [
        &["check"][..],
        &["status"],
        &["status", "--json"],
        &["client-settings", "orders"],
        &["advance", "preflight", "--yes"],
        &["sync-metadata", "--yes"],
        &["report"],
        &["report", "--html", html_arg],
    ] {
        let o = run(args);
        assert!(o.status.code().is_some(), "{args:?} crashed");
        seen.push_str(&text(&o));
    }
    // The gates stay closed on clusters the wizard cannot see.
    assert!(seen.contains("REFUSED: complete preflight"), "{seen}");
    seen.push_str(&std::fs::read_to_string(journal::journal_path(&plan)).unwrap());
    // The HTML report, and the series beside the journal it charts.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("orders"), "{page}");
    seen.push_str(&page);
    let series = dir.path().join("migration.series.jsonl");
    seen.push_str(&std::fs::read_to_string(&series).unwrap_or_default());
    seen.push_str(&std::fs::read_to_string(dir.path().join("rocketmq-migrate.log")).unwrap());
    assert!(
        seen.contains("AKIDEXAMPLE") || seen.contains("admin") || seen.contains("orders"),
        "something was captured"
    );
    assert!(!seen.contains(SK), "source SecretKey leaked");
    assert!(!seen.contains(CLOUD_SK), "cloud SecretKey leaked");

    // A missing secret names the field and the variable, not a value.
    let o = Command::new(BIN)
        .arg("-c")
        .arg(&plan)
        .arg("status")
        .env_remove("CANARY_SK")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(
            "source.secret_key_env names the environment variable CANARY_SK, which is not set"
        ),
        "{}",
        text(&o)
    );
}

#[test]
fn a_slow_confirmation_is_decided_on_fresh_data() {
    let r = Rehearsal::new();
    r.ok(&["advance", "preflight", "--yes"]);
    r.ok(&["sync-metadata", "--yes"]);
    r.ok(&["advance", "metadata", "--yes"]);
    // In a terminal `advance` asks; the operator answers after longer than the staleness limit
    // (4 s here). Deciding on the data it had before the prompt would refuse it as stale: it
    // polls again and decides on what it sees then.
    let t = tmux::Tmux::new();
    t.start(
        "slow",
        &format!("{BIN} -c {} advance orders", r.plan.display()),
    );
    t.wait_for("slow", "Proceed? [y/N]", Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(6));
    t.key("slow", "y");
    t.key("slow", "Enter");
    let screen = t.wait_for("slow", "EXITED", Duration::from_secs(20));
    assert!(screen.contains("release first consumers done"), "{screen}");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(!screen.contains("stale"), "{screen}");
}

/// `sync-metadata` lists exactly what it will create and asks; without a terminal to ask on it
/// needs `--yes`, and without it creates nothing (and writes no journal).
#[test]
fn sync_metadata_lists_what_it_creates_and_asks_first() {
    let r = Rehearsal::new();
    let o = r.run(&["sync-metadata"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("[1/5] to create topic T_ORDER"),
        "the list: {out}"
    );
    assert!(out.contains("[5/5] to create group G_STOCK"), "{out}");
    assert!(
        out.contains(
            "sync-metadata would create these 5 items on the target 'new' and there is no terminal to ask: pass --yes to create them, or --dry-run to look without changing anything"
        ),
        "{out}"
    );
    assert!(!out.contains("created"), "{out}");
    assert!(
        !journal::journal_path(&r.plan).exists(),
        "nothing created, nothing journaled"
    );
    let o = r.run(&["check"]);
    assert!(
        text(&o).contains("missing on target: topic T_ORDER"),
        "{}",
        text(&o)
    );

    // In a terminal it asks: "n" creates nothing, "y" creates the list.
    let t = tmux::Tmux::new();
    for (name, answer) in [("no", "n"), ("yes", "y")] {
        t.start(
            name,
            &format!("{BIN} -c {} sync-metadata", r.plan.display()),
        );
        let screen = t.wait_for(
            name,
            "Create these 5 items on the target 'new'? [y/N]",
            Duration::from_secs(20),
        );
        assert!(screen.contains("[2/5] to create topic T_STOCK"), "{screen}");
        t.key(name, answer);
        t.key(name, "Enter");
        let screen = t.wait_for(name, "EXITED", Duration::from_secs(20));
        assert!(screen.contains("EXITED 0"), "{screen}");
        let created = r
            .journal()
            .records
            .iter()
            .filter(|r| r.entry.kind() == "metadata_created")
            .count();
        if answer == "n" {
            assert!(
                screen.contains("not confirmed: nothing created"),
                "{screen}"
            );
            assert_eq!(created, 0);
        } else {
            assert!(screen.contains("[5/5] created group G_STOCK"), "{screen}");
            assert_eq!(created, 5);
        }
    }
    assert_eq!(r.run(&["check"]).status.code(), Some(0));
    // Nothing left to create: nothing to confirm, with or without a terminal.
    assert!(r.ok(&["sync-metadata"]).contains("nothing to create"));
}

/// Runs `args` on the plan until its output says `what` (a gate that waits on the simulated
/// world: redeploys take seconds, the settle window half a minute).
fn until(plan: &Path, args: &[&str], what: &str, within: Duration) -> String {
    let start = Instant::now();
    loop {
        let o = Command::new(BIN)
            .arg("-c")
            .arg(plan)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let out = text(&o);
        if out.contains(what) {
            return out;
        }
        assert!(start.elapsed() < within, "never said {what:?}:\n{out}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn the_demo_hides_a_forgotten_group_and_a_narrow_filter_and_shows_the_way_through() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["demo", "--dir"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let plan = dir.path().join("migration.toml");
    let run = |args: &[&str]| {
        let o = Command::new(BIN)
            .arg("-c")
            .arg(&plan)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        text(&o)
    };

    // The forgotten group: preflight names it, the topic and both fixes.
    let out = run(&["advance", "preflight", "--yes"]);
    assert!(
        out.contains(
            "GID_ORDER_AUDIT consumes ORDER_CREATED on source but is not in batch 'orders'"
        ),
        "{out}"
    );
    assert!(out.contains("`left_behind`"), "{out}");
    // The plan leaves it behind, as its comment shows; preflight passes and journals why.
    let text_of = std::fs::read_to_string(&plan).unwrap();
    let fixed = text_of
        .replace("# [batch.left_behind]", "[batch.left_behind]")
        .replace("# GID_ORDER_AUDIT = ", "GID_ORDER_AUDIT = ");
    assert_ne!(text_of, fixed, "the plan shows the way through");
    std::fs::write(&plan, fixed).unwrap();
    let out = run(&["advance", "preflight", "--yes"]);
    assert!(out.contains("Preflight complete"), "{out}");
    let journal = std::fs::read_to_string(journal::journal_path(&plan)).unwrap();
    assert!(
        journal.contains("GID_ORDER_AUDIT stays behind (reads the order archive"),
        "the reason is journaled"
    );
    run(&["sync-metadata", "--yes"]);
    let out = run(&["advance", "metadata", "--yes"]);
    assert!(out.contains("Metadata complete"), "{out}");
    let out = run(&["advance", "orders", "--yes"]);
    assert!(out.contains("release first consumers done"), "{out}");

    // The narrow filter: once the first consumers are up on the target, release producers
    // shows both expressions and refuses.
    let out = until(
        &plan,
        &["advance", "orders", "--yes", "--no-wait"],
        "GID_ORDER_NOTIFY subscribes ORDER_PAID with tag TagPaid on the target but tag * on the source",
        Duration::from_secs(60),
    );
    assert!(out.contains("REFUSED: release producers"), "{out}");
    // The way through: the first consumers go back (nothing was written to the target) and come
    // again, redeployed with every tag.
    until(
        &plan,
        &["rollback", "orders", "--yes"],
        "roll back first consumers done",
        Duration::from_secs(120),
    );
    let out = run(&["advance", "orders", "--yes"]);
    assert!(out.contains("release first consumers done"), "{out}");
    until(
        &plan,
        &["advance", "orders", "--yes", "--no-wait"],
        "release producers done",
        Duration::from_secs(60),
    );
}

/// Completions and the manual page come from the CLI definition: every command is in them, and
/// generating them writes no log file.
#[test]
fn completions_and_the_manual_page_name_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |args: &[&str]| {
        let o = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = generate(&["completions", shell]);
        for cmd in ["sync-metadata", "retire-broker", "advance", "demo"] {
            assert!(out.contains(cmd), "{shell} completions lack {cmd}");
        }
    }
    let man = generate(&["man"]);
    assert!(
        man.starts_with(".ie") && man.contains(".TH rocketmq-migrate 1"),
        "{man}"
    );
    for cmd in ["sync\\-metadata", "retire\\-broker", "completions"] {
        assert!(man.contains(cmd), "the manual page lacks {cmd}");
    }
    let bad = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("bash"), "names the shells it knows");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "no log file: {left:?}");
}

/// `demo --plan`: the operator's own plan rehearsed on simulated clusters, its batch walked to
/// done with the headless commands, while the operator's plan file stays as it was.
#[test]
fn demo_rehearses_the_operators_own_plan() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("migration.toml");
    let written = "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.9.0.1:9876\"]\n[gates]\nsettle_window = \"3s\"\nstale_after = \"10s\"\npoll_interval = \"500ms\"\n[[batch]]\nname = \"payments\"\ntopics = [\"PAY_DONE\"]\nconsumer_groups = [\"GID_LEDGER\"]\n";
    std::fs::write(&own, written).unwrap();
    let rehearsal = dir.path().join("rehearsal");
    let o = Command::new(BIN)
        .args(["demo", "--dir"])
        .arg(&rehearsal)
        .arg("--plan")
        .arg(&own)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = Rehearsal::of(rehearsal.join("migration.toml"));
    let status = r.status();
    assert_eq!(status["batches"][0]["name"], "payments");
    assert!(
        std::fs::read_to_string(rehearsal.join("scenario.toml"))
            .unwrap()
            .contains("invented")
    );
    r.ok(&["advance", "preflight", "--yes"]);
    r.ok(&["sync-metadata", "--yes"]);
    r.ok(&["advance", "metadata", "--yes"]);
    for stage in [
        "S_RW_D_R",
        "S_RW_D_RW",
        "S_R_D_RW",
        "S_NA_D_RW",
        "S_NA_D_RW_DONE",
    ] {
        let o = r.advance_until("payments", &[], Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(0), "to {stage}: {}", text(&o));
    }
    assert_eq!(r.stage("payments"), "DONE");
    assert_eq!(
        std::fs::read_to_string(&own).unwrap(),
        written,
        "the operator's plan is untouched"
    );
}

#[test]
fn the_command_line_names_the_command_where_the_wizard_names_a_key() {
    let r = Rehearsal::new();
    // After a move: what was done, and next the runbook's words for the command line.
    let out = r.ok(&["advance", "preflight", "--yes"]);
    assert!(
        out.contains(
            "Preflight complete. Next: Create the plan's topics and groups on the target (run `rocketmq-migrate sync-metadata`, read the list, confirm); then run `rocketmq-migrate advance metadata` to confirm metadata."
        ),
        "{out}"
    );
    r.ok(&["sync-metadata", "--yes"]);
    let out = r.ok(&["advance", "metadata", "--yes"]);
    assert!(
        out.contains("Metadata complete. Next: Restart SOME consumers of batch 'orders' (one or more per group; the rest stay) on the new cluster, with the settings `rocketmq-migrate client-settings orders` prints. Then run `rocketmq-migrate advance orders`."),
        "{out}"
    );
    let status = r.ok(&["status"]);
    assert!(
        status.contains("Then run `rocketmq-migrate advance orders`."),
        "{status}"
    );
    assert!(
        !status.contains("press Enter") && !status.contains("press s"),
        "{status}"
    );

    // The settings the instruction points to: the wizard's p, printed.
    let settings = r.ok(&["client-settings", "orders"]);
    assert!(
        settings.starts_with("# Clients of batch 'orders' on the new cluster 'new'\n")
            && settings.contains("consumer groups: G_BILLING, G_NOTIFY\n")
            && settings.contains("producer groups: P_ORDER\n"),
        "{settings}"
    );
    let o = r.run(&["client-settings", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("the plan has no batch \"nosuch\"; its batches are orders, stock"),
        "{}",
        text(&o)
    );
}
