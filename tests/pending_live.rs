//! What a source broker holds that no backlog shows yet, read from a real rocketmq-rust 1.0.0
//! broker running with production settings (no topic or group is created on the fly), while a
//! real client (examples/mq_app.rs) sends delayed, timer and transactional messages and asks for
//! a failed message's redelivery. Each count
//! is checked against what the clients did and saw: held while the message is not on its topic,
//! zero once it is delivered, and the consumer sees it only then.
//!
//! The rocketmq-rust 1.0.0 broker answers every request this reading uses (GET_ALL_DELAY_OFFSET,
//! GET_TOPIC_STATS_INFO, GET_MIN/MAX_OFFSET, GET_BROKER_CONFIG, GET_BROKER_RUNTIME_INFO with the
//! timer figures, QUERY_CONSUMER_OFFSET of CID_RMQ_SYS_TRANS); the Java forms of the bodies are
//! tested in tests/pending.rs.

mod support;

use rocketmq_migrate::cluster::remoting::admin::{Admin, Settings};
use rocketmq_migrate::cluster::remoting::pending::{self, SCHEDULE_TOPIC};
use rocketmq_migrate::cluster::{self, Cluster};
use rocketmq_migrate::model::{BrokerPending, Known, LevelPending, Snapshot};
use rocketmq_migrate::plan::{Plan, Scope};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::servers::{ADMIN_AND_READER, App, MqCluster};

/// A production-like source cluster with one topic and one consumer group, read as the wizard
/// reads its source.
struct Source {
    mq: MqCluster,
    cluster: Arc<dyn Cluster>,
    scope: Scope,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Source {
    fn start(name: &str, topic: &str, group: &str, settings: &[(&str, &str)]) -> Source {
        let mq = MqCluster::start_production(name, settings);
        mq.create(&[topic], &[group]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("migration.toml");
        let text = format!(
            "[source]\nkind = \"remoting\"\nname = \"old\"\nnamesrv = [\"{}\"]\n[target]\nkind = \"remoting\"\nname = \"new\"\nnamesrv = [\"127.0.0.1:1\"]\n[[batch]]\nname = \"b\"\ntopics = [\"{topic}\"]\nconsumer_groups = [\"{group}\"]\n",
            mq.namesrv
        );
        let plan = Plan::parse(&path, &text).unwrap();
        Source {
            cluster: cluster::connect(&plan).unwrap().source,
            scope: plan.scope(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            mq,
            _dir: dir,
        }
    }

    fn broker(&self) -> String {
        format!("{}-broker-a", self.mq.name)
    }

    fn snapshot(&self) -> Snapshot {
        self.rt.block_on(self.cluster.snapshot(&self.scope))
    }

    /// What the one broker holds; fails the test if the broker could not be read.
    fn held(&self, snap: &Snapshot) -> BrokerPending {
        let pending = snap
            .pending
            .known()
            .unwrap_or_else(|| panic!("pending unknown: {:?}", snap.pending));
        assert_eq!(pending.brokers.len(), 1, "{pending:?}");
        match &pending.brokers[&self.broker()] {
            Known::Known(b) => b.clone(),
            Known::Unknown(why) => panic!("broker {} unknown: {why}", self.broker()),
        }
    }

    /// Snapshots until the broker is read and `f` holds on what it holds.
    fn wait(
        &self,
        what: &str,
        within: Duration,
        f: impl Fn(&BrokerPending) -> bool,
    ) -> (Snapshot, BrokerPending) {
        let start = Instant::now();
        loop {
            let snap = self.snapshot();
            let last = match snap.pending.known().map(|p| &p.brokers[&self.broker()]) {
                Some(Known::Known(held)) if f(held) => return (snap.clone(), held.clone()),
                other => format!("{other:?}"),
            };
            assert!(
                start.elapsed() < within,
                "{what}: not seen within {within:?}; last: {last}"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

fn level(b: &BrokerPending, n: u32) -> LevelPending {
    *b.scheduled.iter().find(|l| l.level == n).unwrap()
}

fn topic_max(snap: &Snapshot, topic: &str) -> Known<u64> {
    snap.topics[topic].max_offset.clone()
}

/// Asserts the read was quick enough to see a message before it is due.
fn seen_before(sent: Instant, due: Duration) {
    assert!(
        sent.elapsed() < due - Duration::from_secs(2),
        "reading took {:?}: too slow to see a message due after {due:?}",
        sent.elapsed()
    );
}

#[test]
fn a_delayed_message_waits_at_its_level_until_due_then_reaches_the_consumer() {
    let s = Source::start("delay", "T_LATER", "G_LATER", &[]);
    let snap = s.snapshot();
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let before = s.held(&snap);
    // Every queue of the schedule topic, with the broker's delays; nothing held yet.
    assert_eq!(
        before.scheduled.iter().map(|l| l.level).collect::<Vec<_>>(),
        (1..=18).collect::<Vec<_>>()
    );
    assert_eq!(before.scheduled_total(), 0);
    assert_eq!(level(&before, 3).delay_ms, Some(10_000));
    assert_eq!(level(&before, 18).delay_ms, Some(7_200_000));
    assert_eq!(before.timer, Known::Known(0));
    assert_eq!(before.half, Known::Known(0));

    let consumer = App::consumer(&s.mq.namesrv, "G_LATER", "T_LATER");
    let producer = App::start(
        &s.mq.namesrv,
        &[
            "produce",
            "--group",
            "P_LATER",
            "--topic",
            "T_LATER",
            "--count",
            "1",
            "--prefix",
            "late",
            "--delay-level",
            "3",
        ],
    );
    producer.wait_for("SENT late-0", Duration::from_secs(20));
    let sent = Instant::now();
    let snap = s.snapshot();
    seen_before(sent, Duration::from_secs(10));
    let held = s.held(&snap);
    assert_eq!(
        level(&held, 3),
        LevelPending {
            level: 3,
            delay_ms: Some(10_000),
            pending: 1,
            max_offset: 1,
            progress: 0,
            stored_by: None
        }
    );
    assert_eq!(
        held.scheduled_total(),
        1,
        "only level 3: {:?}",
        held.scheduled
    );
    assert_eq!(
        topic_max(&snap, "T_LATER"),
        Known::Known(0),
        "not on its topic yet"
    );
    assert_eq!(consumer.count("RECV late-0"), 0);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    // The per-queue read (for brokers whose stats lack a level) agrees with the broker-wide one.
    let per_queue =
        s.rt.block_on(Admin::new(Settings::default(), None).queue_offsets(
            &s.mq.broker_addr,
            SCHEDULE_TOPIC,
            2,
        ))
        .unwrap();
    assert_eq!(per_queue, 0..1);

    // Due 10 s after it was stored: then on its topic, and nothing held.
    let (snap, held) = s.wait("level 3 delivered", Duration::from_secs(40), |b| {
        level(b, 3).pending == 0
    });
    assert!(
        sent.elapsed() >= Duration::from_secs(8),
        "delivered after {:?}, before it was due",
        sent.elapsed()
    );
    assert_eq!(level(&held, 3).progress, 1);
    assert_eq!(level(&held, 3).max_offset, 1);
    assert_eq!(held.scheduled_total(), 0);
    assert_eq!(topic_max(&snap, "T_LATER"), Known::Known(1));
    consumer.wait_for("RECV late-0", Duration::from_secs(30));
    drop(producer.stop());
    drop(consumer.stop());
}

#[test]
fn a_failed_message_waits_in_the_schedule_before_its_retry() {
    let s = Source::start("retry", "T_RETRY", "G_RETRY", &[]);
    // Asks for redelivery of every first delivery: the broker puts the message back into the
    // schedule at level 3 (10 s) for its first retry, where no backlog shows it.
    let consumer = App::start(
        &s.mq.namesrv,
        &[
            "consume",
            "--group",
            "G_RETRY",
            "--topic",
            "T_RETRY",
            "--fail-every",
            "1",
        ],
    );
    let producer = App::producer(&s.mq.namesrv, "P_RETRY", "T_RETRY", 1, 10.0, "again");
    consumer.wait_for("RETRY again-0", Duration::from_secs(30));
    let failed = Instant::now();
    let (_, held) = s.wait("the retry scheduled", Duration::from_secs(8), |b| {
        b.scheduled_total() == 1
    });
    seen_before(failed, Duration::from_secs(10));
    assert_eq!(level(&held, 3).pending, 1, "{:?}", held.scheduled);
    assert_eq!(consumer.count("RECV again-0"), 0);

    // Due: delivered again through %RETRY%G_RETRY, and nothing is held.
    consumer.wait_for("RECV again-0 ", Duration::from_secs(40));
    assert!(
        failed.elapsed() >= Duration::from_secs(8),
        "redelivered after {:?}, before it was due",
        failed.elapsed()
    );
    s.wait("the retry delivered", Duration::from_secs(20), |b| {
        b.scheduled_total() == 0
    });
    drop(producer.stop());
    drop(consumer.stop());
}

#[test]
fn a_timer_message_is_held_until_due() {
    let s = Source::start("timer", "T_AT", "G_AT", &[]);
    let consumer = App::consumer(&s.mq.namesrv, "G_AT", "T_AT");
    let producer = App::start(
        &s.mq.namesrv,
        &[
            "produce",
            "--group",
            "P_AT",
            "--topic",
            "T_AT",
            "--count",
            "1",
            "--prefix",
            "at",
            "--delay-secs",
            "10",
        ],
    );
    producer.wait_for("SENT at-0", Duration::from_secs(20));
    let sent = Instant::now();
    // The timer takes it from its queue into the wheel: held either way.
    let (snap, held) = s.wait("timer message held", Duration::from_secs(5), |b| {
        b.timer == Known::Known(1)
    });
    seen_before(sent, Duration::from_secs(10));
    assert_eq!(held.scheduled_total(), 0, "not a delay-level message");
    assert_eq!(topic_max(&snap, "T_AT"), Known::Known(0));
    assert_eq!(consumer.count("RECV at-0"), 0);

    let (mut snap, _) = s.wait("timer message delivered", Duration::from_secs(40), |b| {
        b.timer == Known::Known(0)
    });
    assert!(
        sent.elapsed() >= Duration::from_secs(8),
        "{:?}",
        sent.elapsed()
    );
    // Out of the wheel, the broker writes it to its topic a moment later (longer under load);
    // the settle window, longer than that moment, sees the topic's offset move.
    let written = Instant::now();
    while topic_max(&snap, "T_AT") != Known::Known(1) && written.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(200));
        snap = s.snapshot();
    }
    assert_eq!(topic_max(&snap, "T_AT"), Known::Known(1));
    consumer.wait_for("RECV at-0", Duration::from_secs(30));
    drop(producer.stop());
    drop(consumer.stop());
}

#[test]
fn a_half_message_is_pending_until_its_transaction_is_checked_and_committed() {
    // Checks every 2 s instead of 30 s; a half message is checked once 6 s old (the default).
    let s = Source::start(
        "half",
        "T_PAY",
        "G_PAY",
        &[("transactionCheckInterval", "2000")],
    );
    let consumer = App::consumer(&s.mq.namesrv, "G_PAY", "T_PAY");
    // The local transaction answers "unknown"; the broker's check then gets "commit".
    let producer = App::start(
        &s.mq.namesrv,
        &[
            "produce",
            "--group",
            "P_PAY",
            "--topic",
            "T_PAY",
            "--count",
            "1",
            "--prefix",
            "pay",
            "--transaction",
            "unknown",
            "--check",
            "commit",
        ],
    );
    producer.wait_for("SENT pay-0", Duration::from_secs(20));
    let sent = Instant::now();
    let snap = s.snapshot();
    seen_before(sent, Duration::from_secs(6));
    let held = s.held(&snap);
    assert_eq!(held.half, Known::Known(1));
    assert_eq!(held.scheduled_total(), 0);
    assert_eq!(held.timer, Known::Known(0));
    assert_eq!(topic_max(&snap, "T_PAY"), Known::Known(0), "not committed");
    assert_eq!(consumer.count("RECV pay-0"), 0);

    // Checked, committed, and passed by the next check round.
    producer.wait_for("CHECK pay-0", Duration::from_secs(30));
    consumer.wait_for("RECV pay-0", Duration::from_secs(30));
    let (snap, _) = s.wait("half message resolved", Duration::from_secs(30), |b| {
        b.half == Known::Known(0)
    });
    assert!(matches!(topic_max(&snap, "T_PAY"), Known::Known(n) if n >= 1));
    drop(producer.stop());
    drop(consumer.stop());
}

#[test]
fn a_broker_that_does_not_answer_is_unknown_naming_it_and_the_request() {
    let s = Source::start("mute", "T_MUTE", "G_MUTE", &[]);
    assert!(matches!(s.held(&s.snapshot()).half, Known::Known(0)));
    s.mq.freeze_broker();
    let snap = s.snapshot();
    s.mq.thaw_broker();
    let pending = snap.pending.known().expect("the NameServer answered");
    let why = match &pending.brokers[&s.broker()] {
        Known::Unknown(why) => why.clone(),
        Known::Known(b) => panic!("a frozen broker read as {b:?}"),
    };
    assert!(why.contains(&format!("broker {}", s.broker())), "{why}");
    assert!(why.contains("GET_ALL_DELAY_OFFSET"), "{why}");
    assert!(why.contains("did not answer"), "{why}");
    // The reads of topics and groups failed and say so; pending keeps its failure to itself.
    assert!(!snap.errors.is_empty(), "{snap:#?}");
    assert!(
        snap.errors
            .iter()
            .all(|e| !e.error.contains("delay offsets") && !e.item.contains("pending")),
        "{:?}",
        snap.errors
    );
    // Answering again, it is read again.
    let (_, held) = s.wait("broker read again", Duration::from_secs(20), |_| true);
    assert_eq!(held.half, Known::Known(0));
}

#[test]
fn an_account_without_the_rights_reads_pending_as_unknown_naming_the_permission() {
    let mq = MqCluster::start_with("acl", &ADMIN_AND_READER);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let read = |ak: &str, sk: &str| {
        let admin = Admin::new(
            Settings::default(),
            Some((ak.into(), rocketmq_migrate::plan::Secret::new(sk))),
        );
        rt.block_on(pending::read(&admin, "acl-broker-a", &mq.broker_addr))
    };
    let admin = read("migrate-admin", "s3cret-admin-key");
    // The version comes with the same runtime info.
    assert!(
        matches!(&admin.version, Known::Known(v) if v.starts_with('V')),
        "{admin:?}"
    );
    let held = admin.pending;
    assert!(
        matches!(&held, Known::Known(b) if b.scheduled.len() == 18 && b.scheduled_total() == 0 && b.half == Known::Known(0)),
        "{held:?}"
    );
    let why = match read("reader", "reader-key-123").pending {
        Known::Unknown(why) => why,
        Known::Known(b) => panic!("a reader without the rights read {b:?}"),
    };
    assert!(why.starts_with("broker acl-broker-a: "), "{why}");
    assert!(
        why.contains("GET_TOPIC_STATS_INFO SCHEDULE_TOPIC_XXXX"),
        "{why}"
    );
    assert!(why.contains("no permission"), "{why}");
}
