//! The drill: a whole migration of two batches on two real clusters, with real producers and
//! consumers that keep working throughout and are moved (restarted with the other NameServer)
//! only when the wizard says so. At the end every message any producer sent was consumed by every
//! group that subscribes to its topic: a lost message fails the drill; duplicates are reported.
//! On the way the wizard is killed with SIGKILL at every stage and must resume where it stood,
//! and the report must tell the story. Every unsafe order and every fault is its own test below.

mod support;

use rocketmq_migrate::journal::{self, Replay};
use rocketmq_migrate::plan::Plan;
use rocketmq_migrate::stage::Stage;
use rocketmq_migrate::wizard::Progress;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::servers::{App, MqCluster};
use support::text;
use support::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

struct Drill {
    _dir: tempfile::TempDir,
    plan: PathBuf,
}

impl Drill {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("-c")
            .arg(&self.plan)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `advance` until the wizard allows the step; returns every refusal seen on the way.
    fn advance(&self, step: &str, extra: &[&str], within: Duration) -> Vec<String> {
        let start = Instant::now();
        let mut refusals = vec![];
        loop {
            let mut args = vec!["advance", step, "--yes"];
            args.extend_from_slice(extra);
            let o = self.run(&args);
            match o.status.code() {
                Some(0) => return refusals,
                Some(3) => refusals.push(text(&o)),
                _ => panic!("advance {step}: {}", text(&o)),
            }
            assert!(
                start.elapsed() < within,
                "advance {step} still refused after {within:?}:\n{}",
                refusals.last().unwrap()
            );
            std::thread::sleep(Duration::from_millis(1000));
        }
    }

    fn journal(&self) -> (Plan, Replay) {
        let plan = Plan::load(&self.plan).unwrap();
        let replay = journal::read(&journal::journal_path(&plan.path)).unwrap();
        (plan, replay)
    }

    fn stage(&self, batch: &str) -> Stage {
        let (plan, replay) = self.journal();
        Progress::replay(&plan, &replay.records)
            .unwrap()
            .stage(batch)
    }

    /// The wizard in a terminal is killed with SIGKILL while it polls, then started again: it
    /// shows the same stage, and the journal reads back whole, every earlier record unchanged and
    /// numbered without a gap.
    fn kill_and_resume(&self, t: &Tmux, batch: &str) {
        let (_, before) = self.journal();
        let stage = self.stage(batch);
        let run = format!("{BIN} -c {} run", self.plan.display());
        let killed = format!("k{}", before.records.len());
        t.start(&killed, &run);
        t.wait_for(&killed, "[FRESH", Duration::from_secs(30));
        let pids = t.children(&killed);
        assert!(!pids.is_empty(), "the wizard runs");
        for pid in &pids {
            support::servers::send_signal(*pid, "-9");
        }
        // Gone once its shell has reaped it; the killed wizard leaves the terminal raw.
        let start = Instant::now();
        while pids
            .iter()
            .any(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
        {
            assert!(start.elapsed() < Duration::from_secs(10), "kill -9 took");
            std::thread::sleep(Duration::from_millis(50));
        }

        let resumed = format!("r{}", before.records.len());
        t.start(&resumed, &run);
        let screen = t.wait_for(&resumed, "[FRESH", Duration::from_secs(30));
        assert!(
            screen.contains(stage.code()),
            "resumed on {stage}:\n{screen}"
        );
        t.key(&resumed, "q");
        if t.screen(&resumed).contains("mid-migration") {
            t.key(&resumed, "y");
        }
        t.wait_for(&resumed, "EXITED 0", Duration::from_secs(10));

        self.assert_journal_whole(&before);
        assert_eq!(self.stage(batch), stage, "same stage after the restart");
    }

    /// The journal reads back whole: no torn record, every record of `before` unchanged, and
    /// numbered without a gap.
    fn assert_journal_whole(&self, before: &Replay) {
        let (_, after) = self.journal();
        assert!(after.torn.is_none(), "no torn record after SIGKILL");
        assert_eq!(
            after.records[..before.records.len()],
            before.records[..],
            "earlier records unchanged"
        );
        for (i, r) in after.records.iter().enumerate() {
            assert_eq!(r.seq, i as u64 + 1, "numbered without a gap");
        }
    }
}

fn setup(old: &MqCluster, new: &MqCluster) -> Drill {
    old.create(
        &["T_ORDER", "T_STOCK"],
        &["G_BILLING", "G_NOTIFY", "G_STOCK"],
    );
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("migration.toml");
    std::fs::write(
        &plan,
        format!(
            "[source]\nname = \"old\"\nkind = \"remoting\"\nnamesrv = [\"{}\"]\n[target]\nname = \"new\"\nkind = \"remoting\"\nnamesrv = [\"{}\"]\n\
             [gates]\n# Longer than the first redelivery delay (10 s) plus the offset commit lag.\nsettle_window = \"25s\"\nstale_after = \"20s\"\npoll_interval = \"1s\"\n\
             [[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_BILLING\", \"G_NOTIFY\"]\nproducer_groups = [\"P_ORDER\", \"P_ORDER_LATER\", \"P_ORDER_TX\"]\n\
             [[batch]]\nname = \"stock\"\ntopics = [\"T_STOCK\"]\nconsumer_groups = [\"G_STOCK\"]\nproducer_groups = [\"P_STOCK\"]\n",
            old.namesrv, new.namesrv
        ),
    )
    .unwrap();
    Drill { _dir: dir, plan }
}

/// A running application instance and where it runs.
struct Instance {
    app: App,
    on_new: bool,
}

/// A consumer instance; with `fail_every` n > 0 it fails the first delivery of every n-th
/// message, which the broker redelivers later through the group's retry topic.
fn consumer(ns: &str, group: &str, topic: &str, fail_every: u32) -> App {
    let n = fail_every.to_string();
    let mut args = vec!["consume", "--group", group, "--topic", topic];
    if fail_every > 0 {
        args.extend(["--fail-every", &n]);
    }
    App::start(ns, &args)
}

fn producer(ns: &str, group: &str, topic: &str, prefix: &str) -> App {
    producer_with(ns, group, topic, prefix, &[])
}

/// A producer of 15 messages a second, sending them as `extra` says (delayed, transactional).
fn producer_with(ns: &str, group: &str, topic: &str, prefix: &str, extra: &[&str]) -> App {
    let mut args = vec![
        "produce", "--group", group, "--topic", topic, "--rate", "15", "--prefix", prefix,
    ];
    args.extend_from_slice(extra);
    App::start(ns, &args)
}

/// The producers of each batch: (batch, group, topic, how it sends). Besides its plain
/// producer, the orders batch has one whose messages wait 5 s in the schedule (delay level 2)
/// and one that sends transactional messages (committed after the local transaction). Nothing
/// tells a pending message's batch without reading it, so the transactional producer sits in
/// the first batch: halves still counted on the source hold every batch's drain.
const PRODUCERS: [(&str, &str, &str, &[&str]); 4] = [
    ("orders", "P_ORDER", "T_ORDER", &[]),
    (
        "orders",
        "P_ORDER_LATER",
        "T_ORDER",
        &["--delay-level", "2"],
    ),
    (
        "orders",
        "P_ORDER_TX",
        "T_ORDER",
        &["--transaction", "commit"],
    ),
    ("stock", "P_STOCK", "T_STOCK", &[]),
];

#[test]
fn a_whole_migration_of_two_batches_loses_no_message() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let d = setup(&old, &new);
    let t = Tmux::new();
    // What each application printed: producers' SENT lines, and RECV lines per group.
    let mut sent_lines: Vec<String> = vec![];
    let mut received: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    // Two instances per group, one producer per batch, all on the old cluster.
    let groups = [
        ("G_BILLING", "T_ORDER", 0, "orders"),
        ("G_NOTIFY", "T_ORDER", 7, "orders"),
        ("G_STOCK", "T_STOCK", 0, "stock"),
    ];
    let mut consumers: BTreeMap<&str, Vec<Instance>> = BTreeMap::new();
    for (g, t, heavy, _) in groups {
        consumers.insert(
            g,
            (0..2)
                .map(|_| Instance {
                    app: consumer(&old.namesrv, g, t, heavy),
                    on_new: false,
                })
                .collect(),
        );
    }
    let mut producers: BTreeMap<&str, Instance> = BTreeMap::new();
    for (_, group, topic, how) in PRODUCERS {
        let app = producer_with(&old.namesrv, group, topic, &format!("{group}-old"), how);
        producers.insert(group, Instance { app, on_new: false });
    }

    d.advance("preflight", &[], Duration::from_secs(30));
    assert_eq!(d.run(&["sync-metadata", "--yes"]).status.code(), Some(0));
    d.advance("metadata", &[], Duration::from_secs(30));

    for (batch, topic) in [("orders", "T_ORDER"), ("stock", "T_STOCK")] {
        let batch_groups: Vec<(&str, u32)> = groups
            .iter()
            .filter(|g| g.3 == batch)
            .map(|g| (g.0, g.2))
            .collect();
        // 1. Release first consumers: one instance of each group moves to the new cluster.
        d.kill_and_resume(&t, batch);
        d.advance(batch, &[], Duration::from_secs(30));
        for (g, heavy) in &batch_groups {
            let list = consumers.get_mut(g).unwrap();
            let moved = list.remove(0);
            received.entry(g).or_default().extend(moved.app.stop());
            list.push(Instance {
                app: consumer(&new.namesrv, g, topic, *heavy),
                on_new: true,
            });
        }
        // 2. Release producers, once the wizard sees the consumers on the new cluster.
        d.kill_and_resume(&t, batch);
        d.advance(batch, &[], Duration::from_secs(60));
        for (_, group, topic, how) in PRODUCERS.iter().filter(|p| p.0 == batch) {
            let p = producers.remove(group).unwrap();
            sent_lines.extend(p.app.stop());
            let app = producer_with(&new.namesrv, group, topic, &format!("{group}-new"), how);
            producers.insert(group, Instance { app, on_new: true });
        }
        // 3. Drain source: no producer left there, and no transactional half message waiting
        // for the broker's next check round to be seen resolved.
        d.kill_and_resume(&t, batch);
        d.advance(batch, &[], Duration::from_secs(120));
        // 4. Release the remaining consumers once the source backlog held at zero. A headless
        // `advance` killed while it waits out the settle window moves nothing.
        d.kill_and_resume(&t, batch);
        let mut waiting = Command::new(BIN)
            .arg("-c")
            .arg(&d.plan)
            .args(["advance", batch, "--yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (_, before) = d.journal();
        std::thread::sleep(Duration::from_secs(3));
        waiting.kill().unwrap();
        waiting.wait().unwrap();
        d.assert_journal_whole(&before);
        assert_eq!(d.stage(batch), Stage::Draining);
        d.advance(batch, &[], Duration::from_secs(180));
        for (g, heavy) in &batch_groups {
            let list = consumers.get_mut(g).unwrap();
            let old_ones: Vec<Instance> = list.extract_if(.., |i| !i.on_new).collect();
            for i in old_ones {
                received.entry(g).or_default().extend(i.app.stop());
                list.push(Instance {
                    app: consumer(&new.namesrv, g, topic, *heavy),
                    on_new: true,
                });
            }
        }
        // 5. Done: nothing of the batch left on the source.
        d.kill_and_resume(&t, batch);
        d.advance(batch, &[], Duration::from_secs(60));
        d.kill_and_resume(&t, batch);
    }
    d.advance("finish", &[], Duration::from_secs(60));

    // Stop producing, let the new cluster's consumers finish (delayed ones included), then
    // account for every message.
    for (_, p) in std::mem::take(&mut producers) {
        sent_lines.extend(p.app.stop());
    }
    std::thread::sleep(Duration::from_secs(15));
    for (g, list) in std::mem::take(&mut consumers) {
        for i in list {
            received.entry(g).or_default().extend(i.app.stop());
        }
    }
    let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in sent_lines.iter().filter_map(|l| l.strip_prefix("SENT ")) {
        let mut it = l.split_whitespace();
        if let (Some(id), Some(topic)) = (it.next(), it.next()) {
            sent.entry(topic.to_string())
                .or_default()
                .insert(id.to_string());
        }
    }
    let total: usize = sent.values().map(BTreeSet::len).sum();
    assert!(total > 200, "the producers kept producing: {total}");
    for (_, group, topic, _) in PRODUCERS {
        let n = sent[topic]
            .iter()
            .filter(|id| id.starts_with(&format!("{group}-")))
            .count();
        assert!(n > 20, "{group} sent {n} messages to {topic}");
    }
    let mut summary = vec![];
    for (g, topic, _, _) in groups {
        let lines = received.get(g).cloned().unwrap_or_default();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for l in lines.iter().filter_map(|l| l.strip_prefix("RECV ")) {
            if let Some(id) = l.split_whitespace().next() {
                *seen.entry(id.to_string()).or_default() += 1;
            }
        }
        let expected = &sent[topic];
        let lost: Vec<&String> = expected
            .iter()
            .filter(|id| !seen.contains_key(*id))
            .collect();
        let duplicates: usize = seen.values().map(|n| n - 1).sum();
        summary.push(format!(
            "{g}: {} sent to {topic}, {} received, {} lost, {duplicates} duplicate deliveries",
            expected.len(),
            seen.len(),
            lost.len()
        ));
        assert!(
            lost.is_empty(),
            "{g} lost {} message(s), e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
    }
    eprintln!("drill: {}", summary.join("; "));
    assert_story(&text(&d.run(&["report"])));
}

/// The report tells the drill's story in order: preflight, the metadata created on the target,
/// each batch's five moves with the evidence that allowed them, the finish, and the restarts.
fn assert_story(report: &str) {
    let at = |needle: &str| {
        report
            .find(needle)
            .unwrap_or_else(|| panic!("the report lacks {needle:?}:\n{report}"))
    };
    let mut last = at("**preflight completed");
    for created in [
        "topic T_ORDER",
        "topic T_STOCK",
        "group G_BILLING",
        "group G_STOCK",
    ] {
        assert!(
            at(&format!("created on target: {created}")) > last,
            "{created}"
        );
    }
    last = last.max(at("**metadata completed"));
    let moves = [
        ("release first consumers", "S_RW_D_NA -> S_RW_D_R"),
        ("release producers", "S_RW_D_R -> S_RW_D_RW"),
        ("drain source", "S_RW_D_RW -> S_R_D_RW"),
        ("release remaining consumers", "S_R_D_RW -> S_NA_D_RW"),
        ("done", "S_NA_D_RW -> DONE"),
    ];
    for batch in ["orders", "stock"] {
        for (action, stages) in moves {
            let i = at(&format!("**batch {batch}: {action}, {stages}"));
            assert!(i > last, "{batch}: {action} out of order:\n{report}");
            last = i;
            let evidence: String = report[i..]
                .lines()
                .skip(1)
                .take_while(|l| l.starts_with("  "))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                evidence.contains(" old") && evidence.contains("'old'"),
                "{batch}: {action} shows evidence with its cluster and age:\n{evidence}"
            );
            if action == "release remaining consumers" {
                let groups: &[&str] = if batch == "orders" {
                    &["G_BILLING", "G_NOTIFY"]
                } else {
                    &["G_STOCK"]
                };
                for g in groups {
                    assert!(
                        evidence.contains(&format!(
                            "{g} backlog: 0 (0 in the retry topic) on source 'old'"
                        )),
                        "{batch}: {action} rests on {g}'s drained backlog:\n{evidence}"
                    );
                }
            }
        }
    }
    assert!(at("**finish completed") > last, "finish last");
    assert!(report.contains("| orders | DONE") && report.contains("| stock | DONE"));
    assert!(report.contains("| finished | yes, at "), "{report}");
    // A wizard's starts are one line each, or one line for several in a row ("run opened 3
    // times by ...").
    let starts: usize = (report.lines())
        .filter_map(|l| {
            let (_, rest) = l.split_once(" run opened ")?;
            match rest.strip_prefix("by ") {
                Some(_) => Some(1),
                None => rest.split_whitespace().next()?.parse().ok(),
            }
        })
        .sum();
    assert!(
        starts >= 24,
        "every kill and restart of the wizard is on record ({starts}):\n{report}"
    );
}

/// Preflight and metadata done, every group consuming on the old cluster.
fn ready(old: &MqCluster, new: &MqCluster) -> (Drill, Vec<App>) {
    let d = setup(old, new);
    let apps = vec![
        consumer(&old.namesrv, "G_BILLING", "T_ORDER", 0),
        consumer(&old.namesrv, "G_NOTIFY", "T_ORDER", 0),
        consumer(&old.namesrv, "G_STOCK", "T_STOCK", 0),
    ];
    d.advance("preflight", &[], Duration::from_secs(30));
    assert_eq!(d.run(&["sync-metadata", "--yes"]).status.code(), Some(0));
    d.advance("metadata", &[], Duration::from_secs(30));
    (d, apps)
}

/// Ten messages from the stock producer on the source, so that G_STOCK consumes and commits
/// offsets there.
fn warm_up(old: &MqCluster) {
    let warm = App::start(
        &old.namesrv,
        &[
            "produce", "--group", "P_STOCK", "--topic", "T_STOCK", "--count", "10", "--rate", "50",
            "--prefix", "warm",
        ],
    );
    warm.wait_for("DONE", Duration::from_secs(30));
    warm.stop();
}

/// Walks the stock batch to S_R_D_RW the way an operator would, after some traffic (so the group
/// has committed offsets on the source): a consumer and the producer on the new cluster. Returns
/// the apps started on the new cluster; they run while held.
fn stock_to_draining(d: &Drill, old: &MqCluster, new: &MqCluster) -> Vec<App> {
    warm_up(old);
    std::thread::sleep(Duration::from_secs(7));
    moved_to_draining(d, new)
}

fn moved_to_draining(d: &Drill, new: &MqCluster) -> Vec<App> {
    d.advance("stock", &[], Duration::from_secs(30));
    let on_new = consumer(&new.namesrv, "G_STOCK", "T_STOCK", 0);
    d.advance("stock", &[], Duration::from_secs(60));
    let producer = producer(&new.namesrv, "P_STOCK", "T_STOCK", "stock-new");
    d.advance("stock", &[], Duration::from_secs(60));
    vec![on_new, producer]
}

fn refused(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(3), "expected a refusal: {}", text(o));
    text(o)
}

/// The refusal's evidence that starts with `head` ("G_STOCK backlog: 25 (0 in the retry topic; 25
/// on old-broker-a)"): it
/// names the subject, the number and the cluster ("on source 'old'"), and ends with the number's
/// age ("1.2s old").
fn assert_evidence(out: &str, head: &str) {
    let at = out
        .find(head)
        .unwrap_or_else(|| panic!("no evidence {head:?}:\n{out}"));
    let line = out[at..].lines().next().unwrap_or_default();
    let (cluster, tail) = line
        .split_once("', ")
        .unwrap_or_else(|| panic!("evidence without its cluster: {line}"));
    assert!(
        cluster.contains(" on source '") || cluster.contains(" on target '"),
        "{line}"
    );
    let age = tail
        .split_once(" old")
        .map(|(age, _)| age)
        .unwrap_or_else(|| panic!("evidence without its age: {line}"));
    assert!(
        age.ends_with('s') && age.starts_with(|c: char| c.is_ascii_digit()),
        "an age like 1.2s or 300ms: {line}"
    );
}

/// Rewrites part of the plan, as an operator tuning it between runs would.
fn edit_plan(d: &Drill, from: &str, to: &str) {
    let text = std::fs::read_to_string(&d.plan).unwrap();
    assert!(text.contains(from), "{from:?} in the plan");
    std::fs::write(&d.plan, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn producers_are_refused_while_a_group_has_no_consumer_on_the_target() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, _apps) = ready(&old, &new);
    d.advance("orders", &[], Duration::from_secs(30));
    // Only G_BILLING gets a consumer on the new cluster.
    let _billing = consumer(&new.namesrv, "G_BILLING", "T_ORDER", 0);
    std::thread::sleep(Duration::from_secs(5));
    let out = refused(&d.run(&["advance", "orders", "--yes"]));
    assert!(
        out.contains("consumer group G_NOTIFY has no consumer online on target"),
        "{out}"
    );
    assert_evidence(&out, "G_NOTIFY consumers online: 0 on target 'new'");
    assert!(!out.contains("G_BILLING has no consumer"), "{out}");
}

#[test]
fn remaining_consumers_are_refused_while_a_straggler_writes_to_the_source() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, mut apps) = ready(&old, &new);
    let _moved = stock_to_draining(&d, &old, &new);
    // The old consumer is gone and a forgotten job (a producer group the plan does not name)
    // writes 25 messages to the source.
    apps.remove(2).stop();
    let straggler = App::start(
        &old.namesrv,
        &[
            "produce",
            "--group",
            "P_FORGOTTEN",
            "--topic",
            "T_STOCK",
            "--count",
            "25",
            "--rate",
            "100",
            "--prefix",
            "late",
        ],
    );
    straggler.wait_for("DONE", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(2));
    let out = refused(&d.run(&["advance", "stock", "--yes", "--no-wait"]));
    assert!(
        out.contains("REFUSED: release remaining consumers for batch 'stock'"),
        "{out}"
    );
    assert!(
        out.contains("G_STOCK still has a backlog of 25 on source")
            || out.contains("source is not quiet"),
        "{out}"
    );
    assert_evidence(
        &out,
        "G_STOCK backlog: 25 (0 in the retry topic; 25 on old-broker-a) on source 'old'",
    );
}

#[test]
fn remaining_consumers_are_refused_while_only_the_retry_topic_holds_messages() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, mut apps) = ready(&old, &new);
    warm_up(&old);
    std::thread::sleep(Duration::from_secs(7));
    d.advance("stock", &[], Duration::from_secs(30));
    let _on_new = consumer(&new.namesrv, "G_STOCK", "T_STOCK", 0);
    d.advance("stock", &[], Duration::from_secs(60));
    // Double write. The source's G_STOCK instance is replaced by one that fails the first
    // delivery of every message: the broker takes each back for redelivery in 10 s through the
    // group's retry topic. It stops before that, so the main topic is consumed and only the
    // retry topic holds messages once they come due.
    apps.remove(2).stop();
    let failing = consumer(&old.namesrv, "G_STOCK", "T_STOCK", 1);
    warm_up(&old);
    failing.wait_count("RETRY", 10, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(1));
    // Usually the ten; one more if an earlier message came again (its offset not yet committed).
    let failed = failing
        .stop()
        .iter()
        .filter(|l| l.starts_with("RETRY"))
        .count();
    let _producer = producer(&new.namesrv, "P_STOCK", "T_STOCK", "stock-new");
    d.advance("stock", &[], Duration::from_secs(60));
    let held = format!("G_STOCK still has {failed} message(s) in its retry topic on source");
    let start = Instant::now();
    let out = loop {
        let out = refused(&d.run(&["advance", "stock", "--yes", "--no-wait"]));
        if out.contains(&held) || start.elapsed() > Duration::from_secs(40) {
            break out;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    assert!(out.contains(&held), "{out}");
    assert_evidence(
        &out,
        &format!(
            "G_STOCK backlog: {failed} ({failed} in the retry topic; {failed} on old-broker-a) on source 'old'"
        ),
    );
}

#[test]
fn no_gate_opens_on_data_older_than_the_staleness_limit() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, _apps) = ready(&old, &new);
    // Polls 4 s apart, data stale after 5 s, and requests that may wait 30 s: once the source
    // broker stops answering, its last snapshot ages past the limit while the next poll waits.
    edit_plan(
        &d,
        "stale_after = \"20s\"\npoll_interval = \"1s\"",
        "stale_after = \"5s\"\npoll_interval = \"4s\"",
    );
    edit_plan(&d, "[target]", "timeout = \"30s\"\n[target]");
    let t = Tmux::new();
    t.start("w", &format!("{BIN} -c {} run", d.plan.display()));
    let open = "release first consumers (batch:orders) OPEN";
    t.wait_for("w", open, Duration::from_secs(30));
    old.freeze_broker();
    let stale = t.wait_for("w", "STALE", Duration::from_secs(15));
    assert!(!stale.contains(open), "stale data opens no gate:\n{stale}");
    assert!(stale.contains("source data is stale"), "{stale}");
    let gone = t.wait_for("w", "UNREACHABLE", Duration::from_secs(15));
    assert!(!gone.contains(open), "{gone}");
    // Read-only commands, meanwhile, find no step open either.
    let o = d.run(&["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Fresh data again: the gate reopens.
    old.thaw_broker();
    t.wait_for("w", open, Duration::from_secs(30));
    t.key("w", "q");
    t.wait_for("w", "EXITED 0", Duration::from_secs(10));
    let report = text(&d.run(&["report"]));
    // The gate's flips, folded or not, show it went unknown.
    assert!(
        report.lines().any(
            |l| l.contains("gate of batch orders (release first consumers)")
                && l.contains("unknown")
        ),
        "{report}"
    );
}

#[test]
fn no_gate_opens_while_the_source_broker_is_stopped() {
    let mut old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, apps) = ready(&old, &new);
    drop(apps);
    old.kill_broker();
    let out = refused(&d.run(&["advance", "orders", "--yes"]));
    assert!(out.contains("[??]"), "unknown, not pass: {out}");
    assert!(
        out.contains("source data is partial")
            || out.contains("source cluster 'old' is unreachable"),
        "{out}"
    );
    assert_evidence(&out, "cluster 'old' data: ");
    let status = d.run(&["status", "--json"]);
    let s: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let g = &s["batches"][0]["groups"][0];
    assert!(
        g["source"]["backlog"].is_null(),
        "a stopped broker's backlog is unknown, never 0: {g}"
    );
}

#[test]
fn finishing_is_refused_while_a_consumer_is_still_on_the_source() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, _old_consumers) = ready(&old, &new);
    let _moved = stock_to_draining(&d, &old, &new);
    d.advance("stock", &[], Duration::from_secs(120));
    // The operator forgets to move the last consumer off the old cluster.
    std::thread::sleep(Duration::from_secs(2));
    let out = refused(&d.run(&["advance", "stock", "--yes"]));
    assert!(out.contains("REFUSED: done for batch 'stock'"), "{out}");
    assert!(
        out.contains("1 consumer(s) of G_STOCK still connected to source"),
        "{out}"
    );
    assert_evidence(&out, "G_STOCK consumers online: 1 on source 'old'");
}

#[test]
fn no_gate_opens_while_the_source_nameserver_is_unreachable() {
    let mut old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, _apps) = ready(&old, &new);
    old.kill_namesrv();
    let out = refused(&d.run(&["advance", "orders", "--yes"]));
    assert!(
        out.contains("[??] the source cluster 'old' is unreachable: NameServer"),
        "{out}"
    );
    assert_evidence(&out, "cluster 'old' data: ");
    let o = d.run(&["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn a_source_broker_killed_mid_drain_closes_the_gate_until_fresh_data_settles() {
    let mut old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, _old_consumers) = ready(&old, &new);
    let _moved = stock_to_draining(&d, &old, &new);
    // Mid-drain the source broker dies: nothing it said can open the gate.
    old.kill_broker();
    let out = refused(&d.run(&["advance", "stock", "--yes", "--no-wait"]));
    assert!(out.contains("[??]"), "{out}");
    assert!(
        out.contains("source data is partial") || out.contains("is unreachable"),
        "{out}"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&d.run(&["status", "--json"]).stdout).unwrap();
    assert_ne!(s["clusters"][0]["state"], "fresh", "{s}");
    // Back up: the gate opens only after fresh data has held for the settle window.
    old.start_broker();
    let back = Instant::now();
    d.advance("stock", &[], Duration::from_secs(180));
    assert!(
        back.elapsed() >= Duration::from_secs(25),
        "opened {:?} after the restart, before a settle window of fresh data",
        back.elapsed()
    );
}

#[test]
fn rolling_back_consumers_off_the_target_is_refused_while_producers_write_there() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let (d, _old_consumers) = ready(&old, &new);
    d.advance("orders", &[], Duration::from_secs(30));
    let _billing = consumer(&new.namesrv, "G_BILLING", "T_ORDER", 0);
    let _notify = consumer(&new.namesrv, "G_NOTIFY", "T_ORDER", 0);
    // Something already writes to the target: taking its consumers off would strand messages.
    let _writer = producer(&new.namesrv, "P_ORDER", "T_ORDER", "early");
    std::thread::sleep(Duration::from_secs(3));
    let out = refused(&d.run(&["rollback", "orders", "--yes"]));
    assert!(
        out.contains("REFUSED: roll back first consumers for batch 'orders'"),
        "{out}"
    );
    assert!(
        out.contains("not quiet") || out.contains("quiet for"),
        "{out}"
    );
    assert_evidence(&out, "batch orders topics max offsets: T_ORDER at ");
    assert!(out.contains("on target 'new'"), "{out}");
}

#[test]
fn a_slow_source_broker_gives_a_partial_snapshot_without_a_hang() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let d = setup(&old, &new);
    // Every answer of the old broker arrives 3 s late, past the 1 s deadline.
    let slow = support::proxy::DelayProxy::start(&old.broker_addr, Duration::from_millis(1500));
    let text_plan = std::fs::read_to_string(&d.plan).unwrap().replacen(
        "[target]",
        &format!(
            "timeout = \"1s\"\n[source.connect_via]\n\"{}\" = \"{}\"\n[target]",
            old.broker_addr, slow.addr
        ),
        1,
    );
    std::fs::write(&d.plan, text_plan).unwrap();
    let start = Instant::now();
    let o = d.run(&["status", "--json"]);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    let s: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    let c = &s["clusters"][0];
    assert!(
        c["state"] == "partial" || c["state"] == "unreachable",
        "{c}"
    );
    assert!(
        serde_json::to_string(c)
            .unwrap()
            .contains("did not answer within 1s"),
        "{c}"
    );
    assert_eq!(s["clusters"][1]["state"], "fresh");
    let out = refused(&d.run(&["advance", "preflight", "--yes"]));
    assert!(out.contains("[??] source data is partial"), "{out}");
}
