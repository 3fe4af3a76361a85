//! What a source of several brokers still holds, on real servers run as production runs them
//! (`autoCreateTopicEnable=false`, `autoCreateSubscriptionGroup=false`): backlog only on the
//! second broker, that broker gone and back, a broker only one of two NameServers knows, a broker
//! whose master is gone (a slave left), a broker added mid-drain holding messages the group
//! never committed there, and a delayed message still on its way. Each time the batch
//! stands at "draining" and `advance` asks the gate of "release remaining consumers".

mod support;

use rocketmq_migrate::stage::Stage;
use std::process::Command;
use std::time::{Duration, Instant};
use support::servers::{App, MqCluster, create_on};
use support::staged::{BIN, ORDERS, Staged, consume, send, wait_route};
use support::text;

/// Both clusters as production runs them, T_ORDER and G_BILLING created where the test says.
fn production(name: &str) -> MqCluster {
    MqCluster::start_production(name, &[])
}

/// A plan whose batch "orders" already stands at S_R_D_RW (draining): the next move is
/// "release remaining consumers".
fn draining(old: &MqCluster, new: &MqCluster) -> Staged {
    Staged::at(old, new, ORDERS, Stage::Draining)
}

#[test]
fn backlog_on_the_second_broker_counts_and_a_broker_that_leaves_keeps_it() {
    // Bound by name, not `..`: the target and the frozen consumer must outlive the test.
    let TenOnB {
        mut old,
        _new,
        b,
        broker_b,
        d,
        _frozen,
    } = ten_on_b();

    // Ten messages wait on broker-b: the backlog says so, and where.
    let out = d.until(
        "G_BILLING still has a backlog of 10 on source",
        Duration::from_secs(30),
    );
    assert!(
        out.contains(&format!(
            "G_BILLING backlog: 10 (0 in the retry topic; 10 on {broker_b}) on source 'old'"
        )),
        "{out}"
    );

    // broker-b dies: the NameServer drops it from the route, and its backlog with it. The gate
    // stays closed, naming the broker. Each `advance` here is a process of its own that never
    // saw broker-b holding its messages, so what it holds is unknown, not 0 (a running wizard
    // names the number: see the gate tests).
    old.kill_extra(b);
    let out = d.until(
        &format!("broker {broker_b} left the route on source; what it still holds is unknown"),
        Duration::from_secs(60),
    );
    assert!(
        out.contains("[??]"),
        "unknown, not blocked or passed: {out}"
    );
    assert!(out.contains("retire-broker"), "says the way out: {out}");
    assert!(
        !out.contains("still has a backlog"),
        "its backlog went with it: {out}"
    );

    // It comes back with its messages: they count again. (A broker killed with -9 may come
    // back without the offsets committed since its last flush: then the group's backlog there
    // is unknown, never 0.)
    old.start_extra(b);
    let start = Instant::now();
    let out = loop {
        let out = d.refusal();
        if !out.contains("left the route") && !out.contains("was not read") {
            break out;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never back:\n{out}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    // At least the ten: after a kill -9 the broker recovers its consume queues from the commit
    // log and may dispatch some messages twice, so the number can be higher, never lower.
    assert!(
        backlog_named(&out, "G_BILLING").is_some_and(|n| n >= 10)
            || out.contains(&format!(
                "G_BILLING has never consumed T_ORDER and broker {broker_b} holds"
            )),
        "{out}"
    );
    let report = Command::new(BIN)
        .arg("-c")
        .arg(&d.plan)
        .arg("report")
        .output()
        .unwrap();
    let report = text(&report);
    assert!(
        report.contains(&format!(
            "broker {broker_b} left the route on source, holding unknown"
        )),
        "{report}"
    );
    assert!(
        report
            .matches(&format!("broker {broker_b} serves "))
            .count()
            >= 2,
        "seen, and seen again when back: {report}"
    );
}

/// Broker-b takes every write of T_ORDER (broker-a serves it read-only); G_BILLING consumed 5
/// messages there and is frozen; 10 more wait.
fn ten_waiting_on_broker_b(old: &mut MqCluster, namesrv: &str) -> (usize, App) {
    let b = old.extra.len() - 1;
    create_on(&old.broker_addr, &["T_ORDER"], &["G_BILLING"], 4);
    create_on(&old.extra[b].addr, &["T_ORDER"], &["G_BILLING"], 6);
    wait_route(namesrv, "T_ORDER", &old.extra[b].name);
    send(namesrv, "a", 5);
    let frozen = consume(old, namesrv, 5);
    send(namesrv, "b", 10);
    (b, frozen)
}

/// A source of two brokers with ten messages waiting on broker-b (`ten_waiting_on_broker_b`),
/// a target with T_ORDER and G_BILLING, and the batch draining: the clusters and the frozen
/// consumer live as long as this does (bind `_new` and `_frozen` by name, not with `..`).
struct TenOnB {
    old: MqCluster,
    _new: MqCluster,
    b: usize,
    broker_b: String,
    d: Staged,
    _frozen: App,
}

fn ten_on_b() -> TenOnB {
    let mut old = production("old");
    old.add_broker("b");
    let ns = old.namesrv.clone();
    let (b, frozen) = ten_waiting_on_broker_b(&mut old, &ns);
    let broker_b = old.extra[b].name.clone();
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    let d = draining(&old, &new);
    TenOnB {
        old,
        _new: new,
        b,
        broker_b,
        d,
        _frozen: frozen,
    }
}

#[test]
fn a_broker_only_one_nameserver_knows_is_counted() {
    let mut old = production("old");
    // Broker-b registers with a second NameServer only: the two disagree about the cluster.
    let ns2 = old.add_namesrv();
    old.add_broker_with("b", &[("namesrvAddr", &ns2)]);
    let (b, _frozen) = ten_waiting_on_broker_b(&mut old, &ns2);
    let broker_b = old.extra[b].name.clone();
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    let d = Staged::over_at(&[&old.namesrv, &ns2], &new, ORDERS, Stage::Draining);
    let out = d.until(
        "G_BILLING still has a backlog of 10 on source",
        Duration::from_secs(30),
    );
    assert!(out.contains(&format!("10 on {broker_b})")), "{out}");
}

#[test]
fn a_broker_whose_master_is_gone_leaves_the_backlog_unknown_naming_it() {
    let TenOnB {
        mut old,
        _new,
        b,
        broker_b,
        d,
        _frozen,
    } = ten_on_b();
    d.until(
        "G_BILLING still has a backlog of 10 on source",
        Duration::from_secs(30),
    );
    // Its master stops; what is left of broker-b is a slave (id 1) on the same store, which
    // registers the topics it holds but whose queues a backlog reading must not trust.
    old.kill_extra(b);
    old.restart_extra_with(b, &[("brokerId", "1"), ("brokerRole", "SLAVE")]);
    let out = d.until(
        &format!("broker {broker_b} serves T_ORDER but no NameServer knows its master"),
        Duration::from_secs(60),
    );
    assert!(out.contains("[??]"), "unknown, not passed: {out}");
    assert!(!out.contains("still has a backlog"), "{out}");
}

#[test]
fn a_broker_added_mid_drain_holding_messages_is_counted() {
    let mut old = production("old");
    old.create(&["T_ORDER"], &["G_BILLING"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    send(&old.namesrv, "a", 5);
    let _frozen = consume(&old, &old.namesrv, 5);
    let d = draining(&old, &new);
    let out = d.until("no consumer online on target", Duration::from_secs(30));
    assert!(!out.contains("backlog"), "drained on broker-a: {out}");

    // A broker joins and takes writes: G_BILLING never committed there, but it consumes T_ORDER
    // elsewhere, so what the new queues hold is backlog, counted from their first message.
    let b = old.add_broker("b");
    let broker_b = old.extra[b].name.clone();
    create_on(&old.extra[b].addr, &["T_ORDER"], &["G_BILLING"], 6);
    wait_route(&old.namesrv, "T_ORDER", &broker_b);
    send(&old.namesrv, "b", 20);
    let out = d.until(
        "G_BILLING still has a backlog of 20 on source",
        Duration::from_secs(40),
    );
    assert!(out.contains(&format!(" on {broker_b})")), "{out}");
}

#[test]
fn a_delayed_message_on_its_way_keeps_the_last_consumers_on_the_source() {
    let old = production("old");
    old.create(&["T_ORDER"], &["G_BILLING"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    send(&old.namesrv, "a", 3);
    let _frozen = consume(&old, &old.namesrv, 3);
    let d = draining(&old, &new);
    // Level 4: delivered 30 s later. Until then no backlog shows it.
    let p = App::start(
        &old.namesrv,
        &[
            "produce",
            "--group",
            "P_ORDER",
            "--topic",
            "T_ORDER",
            "--count",
            "1",
            "--rate",
            "10",
            "--prefix",
            "late",
            "--delay-level",
            "4",
        ],
    );
    p.wait_for("SENT late-0", Duration::from_secs(20));
    p.stop();
    let out = d.until(
        "1 scheduled (due within 30s at most)",
        Duration::from_secs(20),
    );
    assert!(
        out.contains(&format!(
            "broker {}-broker-a on source still holds",
            old.name
        )),
        "{out}"
    );
    assert!(!out.contains("backlog"), "no backlog shows it: {out}");
    // Once due it lands on T_ORDER: now it is backlog, and nothing is on its way.
    let out = d.until(
        "G_BILLING still has a backlog of 1 on source",
        Duration::from_secs(60),
    );
    assert!(!out.contains("scheduled"), "{out}");
}

/// The backlog a refusal names for `group` ("GROUP still has a backlog of N on source").
fn backlog_named(out: &str, group: &str) -> Option<u64> {
    let rest = out
        .split(&format!("{group} still has a backlog of "))
        .nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}
