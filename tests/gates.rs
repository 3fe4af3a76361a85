//! The gates through the pure wizard: every rule, its evidence, and fail-closed data handling.

mod support;

use rocketmq_migrate::journal::Entry;
use rocketmq_migrate::model::{
    BrokerPending, CheckKind, Fact, Known, LevelPending, Prerequisite, ProducerSource, Servers,
    SnapshotState, Status, Verdict, WarningKind,
};
use rocketmq_migrate::plan::Side;
use rocketmq_migrate::stage::Stage;
use rocketmq_migrate::wizard::{Command, Confirmation, Outcome};
use std::collections::BTreeMap;
use support::*;

const T0: u64 = 1_700_000_000_000;
const S: u64 = 1000;

/// orders at S_RW_D_R with consumers of both groups on the target.
fn double_read() -> Harness {
    let mut h = Harness::ready(T0);
    assert!(moved(&h.advance("orders", T0)));
    assert_eq!(h.w.progress.stage("orders"), Stage::DoubleRead);
    h
}

#[test]
fn a_batch_cannot_start_before_preflight_and_metadata() {
    let mut h = Harness::new();
    h.observe(source_start(T0).build(), T0);
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    let f = failing(&h.advance("orders", T0));
    for step in [Prerequisite::Preflight, Prerequisite::Metadata] {
        assert!(
            f.contains(&(CheckKind::StepDone { step }, Status::Blocked)),
            "{f:?}"
        );
    }
    assert_eq!(h.w.progress.stage("orders"), Stage::NotStarted);
}

#[test]
fn metadata_step_needs_every_topic_and_group_on_the_target() {
    let mut h = Harness::new();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        Snap::new(Side::Target, T0).missing_topic("T_PAY").build(),
        T0,
    );
    assert!(moved(&h.advance("preflight", T0)));
    let o = h.advance("metadata", T0);
    let t_pay = CheckKind::TopicExists {
        side: Side::Target,
        topic: "T_PAY".into(),
    };
    assert_eq!(failing(&o), [(t_pay.clone(), Status::Blocked)]);
    let c = check(refusal(&o), &t_pay);
    assert_eq!(fact(c), (&Fact::Yes(false), Side::Target, "target", 0));
    // The refusal names the fix.
    assert!(c.summary.contains("sync-metadata"), "{}", c.summary);
}

#[test]
fn producers_are_refused_while_a_group_has_no_consumer_on_the_target() {
    let mut h = double_read();
    let now = T0 + 5 * S;
    h.observe(source_start(now).build(), now);
    h.observe(
        Snap::new(Side::Target, now)
            .group(group("G_A").consumers(1).subscribed(&["T_ORDER", "T_PAY"]))
            .build(),
        now,
    );
    let o = h.advance("orders", now);
    let kind = consumers_on(Side::Target, "G_B");
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    // The evidence names the number, the cluster and the age.
    let c = check(refusal(&o), &kind);
    assert_eq!(fact(c), (&Fact::Count(0), Side::Target, "target", 0));
    assert_eq!(
        c.evidence[0].to_string(),
        "G_B consumers online: 0 on target 'target', 0ms old"
    );
    assert_eq!(h.w.progress.stage("orders"), Stage::DoubleRead);
}

#[test]
fn producers_are_refused_when_target_consumers_miss_a_topic() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        Snap::new(Side::Target, T0)
            .group(group("G_A").consumers(1).subscribed(&["T_ORDER"]))
            .group(group("G_B").consumers(1).subscribed(&["T_PAY"]))
            .build(),
        T0,
    );
    let o = h.advance("orders", T0);
    let kind = consumers_on(Side::Target, "G_A");
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    // Online, but subscribed to T_ORDER only: T_PAY is missing.
    let c = check(refusal(&o), &kind);
    assert_eq!(c.evidence[0].fact, Fact::Count(1));
    assert_eq!(
        c.evidence[1].fact,
        Fact::Topics(["T_ORDER".to_string()].into())
    );
}

#[test]
fn producers_are_refused_when_no_consumer_is_left_on_the_source() {
    let mut h = double_read();
    h.observe(source_start(T0).group(group("G_A")).build(), T0);
    h.observe(target_with_consumers(T0).build(), T0);
    let o = h.advance("orders", T0);
    let kind = consumers_on(Side::Source, "G_A");
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    assert_eq!(
        fact(check(refusal(&o), &kind)),
        (&Fact::Count(0), Side::Source, "source", 0)
    );
}

#[test]
fn producers_are_released_once_both_clusters_have_consumers() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(target_with_consumers(T0).build(), T0);
    assert!(moved(&h.advance("orders", T0)));
    assert_eq!(h.w.progress.stage("orders"), Stage::DoubleWrite);
    let Some(Entry::StageChanged { verdict, .. }) = h.entries().last() else {
        panic!("no stage change journaled")
    };
    assert_eq!(verdict.status(), Status::Pass);
    let c = check(verdict, &consumers_on(Side::Target, "G_B"));
    assert_eq!(
        (c.status, &c.evidence[0].fact),
        (Status::Pass, &Fact::Count(1))
    );
}

#[test]
fn stale_unreachable_partial_or_missing_data_never_opens_a_gate() {
    // Stale: the target snapshot is older than stale_after (30 s).
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(target_with_consumers(T0).build(), T0);
    let o = h.advance("orders", T0 + 31 * S);
    let fresh = |side| CheckKind::Fresh { side };
    // Stale is unknown, not pass; every check waits for fresh data.
    assert_eq!(
        failing(&o),
        [
            (fresh(Side::Source), Status::Unknown),
            (fresh(Side::Target), Status::Unknown)
        ]
    );
    let snapshot = |age_ms, state| Fact::Snapshot { age_ms, state };
    assert_eq!(
        fact(check(refusal(&o), &fresh(Side::Target))).0,
        &snapshot(31 * S, SnapshotState::Stale)
    );

    // Unreachable.
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(target_with_consumers(T0).unreachable().build(), T0);
    let o = h.advance("orders", T0);
    assert_eq!(failing(&o), [(fresh(Side::Target), Status::Unknown)]);
    let c = check(refusal(&o), &fresh(Side::Target));
    assert_eq!(fact(c).0, &snapshot(0, SnapshotState::Unreachable));
    // The cluster's own error is shown.
    assert!(c.summary.ends_with("connection refused"), "{}", c.summary);

    // Partial.
    let mut h = double_read();
    h.observe(
        source_start(T0)
            .partial("broker broker-b consume stats")
            .build(),
        T0,
    );
    h.observe(target_with_consumers(T0).build(), T0);
    let o = h.advance("orders", T0);
    assert_eq!(failing(&o), [(fresh(Side::Source), Status::Unknown)]);
    let c = check(refusal(&o), &fresh(Side::Source));
    assert_eq!(fact(c).0, &snapshot(0, SnapshotState::Partial));
    // The item that could not be read is named.
    assert!(
        c.summary
            .contains("broker broker-b consume stats: timed out"),
        "{}",
        c.summary
    );

    // Missing: no target snapshot at all.
    let mut h = Harness::new();
    h.observe(source_start(T0).build(), T0);
    let o = h.advance("preflight", T0);
    assert_eq!(failing(&o), [(fresh(Side::Target), Status::Unknown)]);
    assert!(check(refusal(&o), &fresh(Side::Target)).evidence.is_empty());

    // Unknown consumers are not zero consumers, and do not pass either.
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        target_with_consumers(T0).unknown_consumers("G_A").build(),
        T0,
    );
    let o = h.advance("orders", T0);
    let kind = consumers_on(Side::Target, "G_A");
    assert_eq!(failing(&o), [(kind.clone(), Status::Unknown)]);
    assert_eq!(
        fact(check(refusal(&o), &kind)).0,
        &Fact::Unknown("broker timed out".into())
    );
}

/// orders at S_R_D_RW: producers all on the target.
fn draining() -> Harness {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        target_with_consumers(T0).producers("P_ORDER", 2).build(),
        T0,
    );
    assert!(moved(&h.advance("orders", T0)));
    h.observe(source_start(T0 + S).producers("P_ORDER", 0).build(), T0 + S);
    h.observe(
        target_with_consumers(T0 + S)
            .producers("P_ORDER", 2)
            .build(),
        T0 + S,
    );
    assert!(moved(&h.advance("orders", T0 + S)), "drain source");
    assert_eq!(h.w.progress.stage("orders"), Stage::Draining);
    h
}

#[test]
fn drain_source_is_refused_while_a_producer_is_still_on_the_source() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        target_with_consumers(T0).producers("P_ORDER", 1).build(),
        T0,
    );
    assert!(moved(&h.advance("orders", T0)));
    h.observe(source_start(T0).producers("P_ORDER", 1).build(), T0);
    let o = h.advance("orders", T0);
    let kind = no_producers_on(Side::Source, "P_ORDER");
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    let c = check(refusal(&o), &kind);
    assert_eq!(fact(c), (&Fact::Count(1), Side::Source, "source", 0));
    // The refusal names the client still connected.
    assert!(c.summary.ends_with("P_ORDER-source-0"), "{}", c.summary);
}

#[test]
fn remaining_consumers_are_refused_while_the_source_has_a_backlog() {
    let mut h = draining();
    let now = T0 + 100 * S;
    h.observe(
        drained_source(now)
            .group(
                group("G_A")
                    .consumers(1)
                    .subscribed(&["T_ORDER", "T_PAY"])
                    .backlog(7),
            )
            .build(),
        now,
    );
    h.observe(target_with_consumers(now).build(), now);
    let o = h.advance("orders", now);
    let kind = backlog_on(Side::Source, "G_A");
    assert!(failing(&o).contains(&(kind.clone(), Status::Blocked)));
    assert_eq!(
        fact(check(refusal(&o), &kind)),
        (
            &Fact::Backlog {
                total: 7,
                retry: 0,
                brokers: Default::default()
            },
            Side::Source,
            "source",
            0
        )
    );
}

#[test]
fn remaining_consumers_are_refused_when_only_the_retry_topic_holds_messages() {
    let mut h = draining();
    let now = T0 + 100 * S;
    h.observe(
        drained_source(now)
            .group(group("G_B").consumers(1).subscribed(&["T_PAY"]).retry(3))
            .build(),
        now,
    );
    h.observe(target_with_consumers(now).build(), now);
    let o = h.advance("orders", now);
    let kind = backlog_on(Side::Source, "G_B");
    assert!(failing(&o).contains(&(kind.clone(), Status::Blocked)));
    assert_eq!(
        fact(check(refusal(&o), &kind)).0,
        &Fact::Backlog {
            total: 3,
            retry: 3,
            brokers: Default::default()
        }
    );
}

#[test]
fn an_unknown_backlog_is_never_zero() {
    let mut h = draining();
    let now = T0 + 100 * S;
    h.observe(
        drained_source(now)
            .unknown_backlog("G_A", "no route for %RETRY%G_A")
            .build(),
        now,
    );
    h.observe(target_with_consumers(now).build(), now);
    let o = h.advance("orders", now);
    let kind = backlog_on(Side::Source, "G_A");
    assert!(failing(&o).contains(&(kind.clone(), Status::Unknown)));
    assert_eq!(
        fact(check(refusal(&o), &kind)).0,
        &Fact::Unknown("no route for %RETRY%G_A".into())
    );
}

/// A refusal that only waits for the source's settle window: how long it held, and how long to go.
fn quiet_for(o: &rocketmq_migrate::wizard::Outcome) -> (u64, u64) {
    let kind = settled_on(Side::Source, "orders");
    assert_eq!(failing(o), [(kind.clone(), Status::Blocked)]);
    let Fact::Held { ms, .. } = fact(check(refusal(o), &kind)).0 else {
        panic!("no quiet time in {o:?}")
    };
    let settle = refusal(o).settle.expect("the settle window is shown");
    assert_eq!(settle.held_ms, *ms);
    (*ms, settle.remaining_ms())
}

#[test]
fn the_drain_must_hold_for_the_settle_window_with_no_new_message() {
    let mut h = draining();
    let mut now = T0 + 10 * S;
    h.observe(drained_source(now).build(), now);
    h.observe(target_with_consumers(now).build(), now);
    assert_eq!(quiet_for(&h.advance("orders", now)), (0, 60 * S));
    // 40 s later a new message reached T_ORDER: the window starts again.
    now += 40 * S;
    h.observe(drained_source(now).topic("T_ORDER", 1001).build(), now);
    h.observe(target_with_consumers(now).build(), now);
    now += 25 * S;
    h.observe(drained_source(now).topic("T_ORDER", 1001).build(), now);
    h.observe(target_with_consumers(now).build(), now);
    assert_eq!(quiet_for(&h.advance("orders", now)), (25 * S, 35 * S));
    // A message reaching the retry topic also restarts it.
    now += 20 * S;
    h.observe(
        drained_source(now)
            .topic("T_ORDER", 1001)
            .retry_offset("G_B", 51)
            .build(),
        now,
    );
    assert_eq!(quiet_for(&h.advance("orders", now)).0, 0);
    // Held for the whole window, polled every 20 s: allowed.
    for _ in 0..3 {
        now += 20 * S;
        h.observe(
            drained_source(now)
                .topic("T_ORDER", 1001)
                .retry_offset("G_B", 51)
                .build(),
            now,
        );
        h.observe(target_with_consumers(now).build(), now);
    }
    let o = h.advance("orders", now);
    assert!(moved(&o), "{o:?}");
    assert_eq!(h.w.progress.stage("orders"), Stage::TargetOnly);
}

#[test]
fn a_gap_in_observation_keeps_the_window_while_no_offset_moved() {
    // Offsets only grow: the same offsets 70 s apart prove nothing was written in between.
    let mut h = draining();
    let mut now = T0 + 10 * S;
    h.observe(drained_source(now).build(), now);
    now += 70 * S;
    h.observe(drained_source(now).build(), now);
    h.observe(target_with_consumers(now).build(), now);
    let o = h.advance("orders", now);
    assert!(moved(&o), "{o:?}");
}

#[test]
fn an_offset_that_went_down_starts_the_window_again() {
    let mut h = draining();
    let mut now = T0 + 10 * S;
    h.observe(drained_source(now).build(), now);
    now += 70 * S;
    // A broker replaced or its store lost: never "less backlog", never a quiet window held.
    h.observe(drained_source(now).topic("T_ORDER", 999).build(), now);
    h.observe(target_with_consumers(now).build(), now);
    assert_eq!(quiet_for(&h.advance("orders", now)).0, 0);
}

#[test]
fn the_settle_window_is_journaled_and_judged_by_any_later_command() {
    let mut h = draining();
    let start = T0 + 10 * S;
    h.observe(drained_source(start).build(), start);
    let opened: Vec<_> = h
        .entries()
        .filter_map(|e| match e {
            Entry::QuietSince {
                batch,
                side,
                since,
                baseline,
            } => Some((batch.clone(), *side, *since, baseline.clone())),
            _ => None,
        })
        .collect();
    let (batch, side, since, baseline) = opened.last().cloned().expect("the window is journaled");
    assert_eq!(
        (batch.as_str(), side, since),
        ("orders", Side::Source, start)
    );
    assert_eq!(baseline.get("T_ORDER"), Some(&1000));
    assert_eq!(baseline.get("%RETRY%G_B"), Some(&50));

    // Another command (a later `advance --no-wait`, or the wizard restarted) reads the journal
    // and polls once: the window has held since it opened.
    let mut later = Harness {
        w: rocketmq_migrate::wizard::Wizard::new(support::plan(), &h.records).unwrap(),
        records: h.records.clone(),
    };
    let now = start + 61 * S;
    later.observe(drained_source(now).build(), now);
    later.observe(target_with_consumers(now).build(), now);
    let o = later.advance("orders", now);
    assert!(moved(&o), "{o:?}");

    // A clock set back before the window's start proves nothing: it starts again.
    let mut back = Harness {
        w: rocketmq_migrate::wizard::Wizard::new(support::plan(), &h.records).unwrap(),
        records: h.records.clone(),
    };
    let now = start - 5 * S;
    back.observe(drained_source(now).build(), now);
    back.observe(target_with_consumers(now).build(), now);
    assert_eq!(quiet_for(&back.advance("orders", now)).0, 0);
}

/// Four polls 20 s apart of `source` and a target with consumers: a settle window held.
fn hold(
    h: &mut Harness,
    mut now: u64,
    source: impl Fn(u64) -> rocketmq_migrate::model::Snapshot,
) -> u64 {
    for _ in 0..4 {
        h.observe(source(now), now);
        h.observe(target_with_consumers(now).build(), now);
        now += 20 * S;
    }
    now - 20 * S
}

/// orders at S_NA_D_RW: the source drained and quiet for the window, the remaining consumers
/// released; and the clock.
fn target_only() -> (Harness, u64) {
    let mut h = draining();
    let now = hold(&mut h, T0 + 10 * S, |now| drained_source(now).build());
    assert!(moved(&h.advance("orders", now)));
    assert_eq!(h.w.progress.stage("orders"), Stage::TargetOnly);
    (h, now)
}

#[test]
fn done_and_finish_look_at_the_source_again() {
    let (mut h, mut now) = target_only();
    // The last consumers left, and then a message arrived on the source: stranded.
    now += 5 * S;
    h.observe(emptied_source(now).topic("T_ORDER", 1001).build(), now);
    assert_eq!(quiet_for(&h.advance("orders", now)).0, 0);
    // Held for the window with nothing new: done.
    now += 61 * S;
    h.observe(emptied_source(now).topic("T_ORDER", 1001).build(), now);
    assert!(moved(&h.advance("orders", now)));
    assert_eq!(h.w.progress.stage("orders"), Stage::Done);
    // Finish reads every batch's source again, held for the window.
    now += 5 * S;
    h.observe(
        emptied_source(now)
            .topic("T_ORDER", 1002)
            .group(group("G_S"))
            .build(),
        now,
    );
    let f = failing(&h.advance("finish", now));
    assert!(
        f.contains(&(settled_on(Side::Source, "orders"), Status::Blocked)),
        "{f:?}"
    );
}

#[test]
fn done_is_refused_while_a_consumer_is_still_on_the_source() {
    let (mut h, now) = target_only();
    let o = h.advance("orders", now);
    let f = failing(&o);
    for g in ["G_A", "G_B"] {
        assert!(
            f.contains(&(no_consumers_on(Side::Source, g), Status::Blocked)),
            "{f:?}"
        );
    }
    let c = check(refusal(&o), &no_consumers_on(Side::Source, "G_A"));
    assert_eq!(fact(c), (&Fact::Count(1), Side::Source, "source", 0));
    assert!(c.summary.ends_with("G_A-source-0"), "{}", c.summary);
    h.observe(emptied_source(now).build(), now);
    let o = h.run(
        Command::Advance {
            step: rocketmq_migrate::stage::Step::Batch("orders".into()),
            confirmation: Confirmation::None,
            acks: vec![],
        },
        now,
    );
    match o {
        Outcome::NeedsConfirmation { type_name, .. } => {
            assert_eq!(type_name.as_deref(), Some("orders"))
        }
        other => panic!("expected a typed confirmation, got {other:?}"),
    }
    let wrong = h.run(
        Command::Advance {
            step: rocketmq_migrate::stage::Step::Batch("orders".into()),
            confirmation: Confirmation::Typed("order".into()),
            acks: vec![],
        },
        now,
    );
    assert!(matches!(wrong, Outcome::NeedsConfirmation { .. }));
    let ok = h.run(
        Command::Advance {
            step: rocketmq_migrate::stage::Step::Batch("orders".into()),
            confirmation: Confirmation::Typed("orders".into()),
            acks: vec![],
        },
        now,
    );
    assert!(moved(&ok));
    assert_eq!(h.w.progress.stage("orders"), Stage::Done);
}

#[test]
fn rolling_back_first_consumers_is_refused_while_the_target_is_written() {
    let mut h = double_read();
    let mut now = T0;
    h.observe(source_start(now).build(), now);
    h.observe(target_with_consumers(now).topic("T_ORDER", 5).build(), now);
    now += 20 * S;
    h.observe(target_with_consumers(now).topic("T_ORDER", 9).build(), now);
    let o = h.rollback("orders", now);
    let kind = settled_on(Side::Target, "orders");
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    assert!(matches!(
        fact(check(refusal(&o), &kind)).0,
        Fact::Held { ms: 0, .. }
    ));
    for _ in 0..4 {
        now += 20 * S;
        h.observe(source_start(now).build(), now);
        h.observe(target_with_consumers(now).topic("T_ORDER", 9).build(), now);
    }
    assert!(moved(&h.rollback("orders", now)));
    assert_eq!(h.w.progress.stage("orders"), Stage::NotStarted);
}

#[test]
fn rolling_back_producers_needs_consumers_on_the_source() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(target_with_consumers(T0).build(), T0);
    assert!(moved(&h.advance("orders", T0)));
    h.observe(source_start(T0).group(group("G_B")).build(), T0);
    let o = h.rollback("orders", T0);
    assert_eq!(
        failing(&o),
        [(consumers_on(Side::Source, "G_B"), Status::Blocked)]
    );
    h.observe(source_start(T0).build(), T0);
    assert!(moved(&h.rollback("orders", T0)));
    assert_eq!(h.w.progress.stage("orders"), Stage::DoubleRead);
}

#[test]
fn warnings_need_an_acknowledgement_that_is_journaled() {
    let mut h = Harness::ready(T0);
    h.observe(source_start(T0).ordered("T_STOCK").build(), T0);
    let o = h.advance("stock", T0);
    assert_eq!(
        refusal(&o).status(),
        Status::Pass,
        "only the warning stands"
    );
    assert_eq!(
        unacknowledged(refusal(&o)),
        [WarningKind::OrderedTopic {
            topic: "T_STOCK".into()
        }]
    );
    // The refusal tells the operator how to acknowledge it.
    assert!(reasons(&o).contains("--ack ordered-topic:T_STOCK"));
    let bogus = reasons(&h.advance_ack("stock", &["ordered-topic:NOPE"], T0));
    assert!(
        bogus.contains("no warning \"ordered-topic:NOPE\""),
        "{bogus}"
    );
    assert!(moved(&h.advance_ack(
        "stock",
        &["ordered-topic:T_STOCK"],
        T0
    )));
    assert!(h.entries().any(
        |e| matches!(e, Entry::Acknowledged { warning, .. } if warning == "ordered-topic:T_STOCK")
    ));
}

#[test]
fn old_clients_and_subscription_differences_are_warnings() {
    let mut h = Harness::ready(T0);
    let mut src = source_start(T0).build();
    if let Some(rocketmq_migrate::model::Known::Known(c)) =
        src.groups.get_mut("G_A").map(|g| &mut g.consumers)
    {
        c[0].version = Some("V4_3_6".into());
    }
    h.observe(src, T0);
    let o = h.advance("orders", T0);
    assert_eq!(
        unacknowledged(refusal(&o)),
        [WarningKind::OldClient {
            group: "G_A".into()
        }]
    );
    assert!(moved(&h.advance_ack("orders", &["old-client:G_A"], T0)));
    h.observe(source_start(T0).build(), T0);
    h.observe(
        target_with_consumers(T0)
            .group(group("G_B").consumers(1).subscribed(&["T_PAY", "T_ORDER"]))
            .build(),
        T0,
    );
    let o = h.advance("orders", T0);
    assert_eq!(refusal(&o).status(), Status::Pass);
    assert_eq!(
        unacknowledged(refusal(&o)),
        [WarningKind::SubscriptionDiff {
            group: "G_B".into()
        }]
    );
    // The warning says what differs.
    assert!(reasons(&o).contains("only on target [T_ORDER]"));
}

#[test]
fn finish_needs_every_batch_done_and_nothing_on_the_source() {
    let mut h = Harness::ready(T0);
    let f = failing(&h.advance("finish", T0));
    for batch in ["orders", "stock"] {
        let done = CheckKind::BatchDone {
            batch: batch.into(),
        };
        assert!(f.contains(&(done, Status::Blocked)), "{f:?}");
    }
    // Consumers still on the source keep it closed too.
    assert!(f.contains(&(no_consumers_on(Side::Source, "G_A"), Status::Blocked)));
}

fn unacknowledged(v: &Verdict) -> Vec<WarningKind> {
    v.unacknowledged().map(|w| w.kind.clone()).collect()
}

#[test]
fn verdict_changes_are_journaled_once_per_change() {
    let mut h = double_read();
    let count = |h: &Harness| {
        h.entries()
            .filter(|e| matches!(e, Entry::VerdictChanged { step, .. } if step == "batch:orders"))
            .count()
    };
    let before = count(&h);
    h.observe(source_start(T0).build(), T0);
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    let blocked = count(&h);
    h.observe(Snap::new(Side::Target, T0 + S).build(), T0 + S);
    assert_eq!(
        count(&h),
        blocked,
        "the same verdict is not journaled again"
    );
    h.observe(target_with_consumers(T0 + 2 * S).build(), T0 + 2 * S);
    assert_eq!(count(&h), blocked + 1, "a change is journaled");
    assert!(blocked > before);
}

#[test]
fn replaying_the_journal_rebuilds_the_same_progress() {
    let mut h = draining();
    h.observe(drained_source(T0 + 5 * S).build(), T0 + 5 * S);
    let replayed = rocketmq_migrate::wizard::Wizard::new(support::plan(), &h.records).unwrap();
    assert_eq!(replayed.progress, h.w.progress);
}

/// The orders batch with a TDMQ target whose smooth-migration task follows it, and the verdict
/// of `from -> to` with the task holding each topic at `stage` (health check failing) or not
/// reporting at all. The rule is evaluated straight from the two snapshots.
fn task_verdict(from: Stage, to: Stage, task: Option<(&str, bool)>) -> Verdict {
    use rocketmq_migrate::gate::{Move, Reached, Seen, Subject, Watches, evaluate};
    use rocketmq_migrate::model::{Known, MigrationTask, TaskTopic};
    use rocketmq_migrate::plan::{ClusterKind, SecretRef, TdmqProduct, TdmqSpec};
    let mut plan = plan();
    plan.target.kind = ClusterKind::Tdmq(TdmqSpec {
        region: "ap-guangzhou".into(),
        product: TdmqProduct::V4 {
            cluster_id: "rocketmq-x".into(),
            namespace: "ns".into(),
        },
        secret_id: "AKID".into(),
        secret_key: SecretRef::Env("SK".into()),
        endpoint: None,
        migration_task_id: Some("task-1".into()),
        timeout: std::time::Duration::from_secs(3),
    });
    let source = source_start(T0).build();
    let mut target = target_with_consumers(T0).build();
    target.migration = task.map(|(stage, healthy)| {
        Box::new(MigrationTask {
            task_id: "task-1".into(),
            topics: [("T_ORDER", stage), ("T_PAY", stage)]
                .into_iter()
                .map(|(t, s)| {
                    let state = if s.is_empty() {
                        Known::unknown(format!("topic {t} is not in migration task task-1"))
                    } else {
                        Known::Known(TaskTopic {
                            stage: s.into(),
                            health_passed: healthy,
                            health_errors: if healthy {
                                vec![]
                            } else {
                                vec!["TargetTopicHasNewMessagesIn5Minutes".into()]
                            },
                        })
                    };
                    (t.to_string(), state)
                })
                .collect(),
        })
    });
    let watches = Watches::default();
    let seen = Seen {
        source: Some(&source),
        target: Some(&target),
        watches: &watches,
    };
    let batch = plan.batch("orders").unwrap().clone();
    let (stages, brokers) = Default::default();
    let reached = Reached {
        brokers: &brokers,
        preflight: true,
        metadata: true,
        stages: &stages,
    };
    let made = Move::between(from, to).expect("a move the wizard makes");
    evaluate(&plan, Subject::Batch(&batch), made, seen, reached, T0)
}

fn task_checks(v: &Verdict) -> Vec<(Status, String)> {
    v.checks
        .iter()
        .filter(|c| matches!(c.kind, CheckKind::TaskStage { .. }))
        .map(|c| (c.status, c.summary.clone()))
        .collect()
}

#[test]
fn a_migration_task_gates_the_moves_it_follows() {
    // Forward: the task's health check must pass.
    let v = task_verdict(
        Stage::DoubleRead,
        Stage::DoubleWrite,
        Some(("S_RW_D_R", false)),
    );
    let c = task_checks(&v);
    assert_eq!(c.len(), 2, "one check per topic: {c:?}");
    assert!(c.iter().all(|(s, _)| *s == Status::Blocked), "{c:?}");
    assert!(
        c[0].1.contains("(TargetTopicHasNewMessagesIn5Minutes)"),
        "{c:?}"
    );
    let v = task_verdict(
        Stage::DoubleRead,
        Stage::DoubleWrite,
        Some(("S_RW_D_R", true)),
    );
    assert!(task_checks(&v).iter().all(|(s, _)| *s == Status::Pass));
    // Back, and "done" (the wizard's own): the task only has to be in step.
    for (from, to, stage) in [
        (Stage::DoubleWrite, Stage::DoubleRead, "S_RW_D_RW"),
        (Stage::TargetOnly, Stage::Done, "S_NA_D_RW"),
        (Stage::Done, Stage::TargetOnly, "S_NA_D_RW"),
    ] {
        let c = task_checks(&task_verdict(from, to, Some((stage, false))));
        assert!(
            c.iter().all(|(s, _)| *s == Status::Pass),
            "{from} -> {to}: {c:?}"
        );
    }
    // Out of step: blocked, saying where each stands.
    let v = task_verdict(
        Stage::Draining,
        Stage::TargetOnly,
        Some(("S_RW_D_RW", true)),
    );
    let t_order = CheckKind::TaskStage {
        topic: "T_ORDER".into(),
    };
    let c = check(&v, &t_order);
    assert_eq!(c.status, Status::Blocked);
    assert_eq!(fact(c).0, &Fact::Stage("S_RW_D_RW".into()));
    assert!(
        c.summary.contains("the batch is at S_R_D_RW"),
        "{}",
        c.summary
    );
    // Not reported, or a topic missing from the task: unknown, never a pass.
    for task in [None, Some(("", true))] {
        let v = task_verdict(Stage::NotStarted, Stage::DoubleRead, task);
        let c = task_checks(&v);
        assert!(
            !c.is_empty() && c.iter().all(|(s, _)| *s == Status::Unknown),
            "{task:?}: {c:?}"
        );
        assert_ne!(v.status(), Status::Pass);
    }
}

#[test]
fn a_rule_is_read_straight_from_a_snapshot_pair() {
    use rocketmq_migrate::gate::{Move, Reached, Seen, Subject, Watches, evaluate};
    let plan = plan();
    let source = source_start(T0).build();
    let target = Snap::new(Side::Target, T0)
        .group(group("G_A").consumers(1).subscribed(&["T_ORDER", "T_PAY"]))
        .build();
    let watches = Watches::default();
    let seen = Seen {
        source: Some(&source),
        target: Some(&target),
        watches: &watches,
    };
    let (stages, brokers) = Default::default();
    let reached = Reached {
        brokers: &brokers,
        preflight: false,
        metadata: false,
        stages: &stages,
    };
    let orders = plan.batch("orders").unwrap();
    let v = evaluate(
        &plan,
        Subject::Batch(orders),
        Move::ReleaseProducers,
        seen,
        reached,
        T0,
    );
    let blocking: Vec<CheckKind> = v.failing().map(|c| c.kind.clone()).collect();
    assert_eq!(blocking, [consumers_on(Side::Target, "G_B")]);
    assert_eq!(v.action, "release producers");
    assert_eq!(v.step, "batch:orders");
}

#[test]
fn a_broker_that_leaves_the_route_keeps_its_messages_in_the_truth() {
    let mut h = draining();
    let mut now = T0 + 10 * S;
    let two_brokers = |snap: Snap| {
        snap.route("T_ORDER", &["broker-a", "broker-b"])
            .route("T_PAY", &["broker-a"])
    };
    // broker-b holds 10 messages of T_ORDER for G_A.
    h.observe(
        two_brokers(drained_source(now))
            .group(
                group("G_A")
                    .consumers(1)
                    .subscribed(&["T_ORDER", "T_PAY"])
                    .held("T_ORDER", "broker-b", 10),
            )
            .build(),
        now,
    );
    let seen: Vec<String> = h
        .entries()
        .filter_map(|e| match e {
            Entry::BrokerSeen { broker, .. } => Some(broker.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(seen, ["broker-a", "broker-b"]);
    // broker-b dies: the NameServer drops it from the route, and with it its backlog.
    now += 20 * S;
    let without_b = |now| {
        drained_source(now)
            .route("T_ORDER", &["broker-a"])
            .route("T_PAY", &["broker-a"])
            .build()
    };
    let now = hold(&mut h, now, without_b);
    let o = h.advance("orders", now);
    let kind = CheckKind::BrokerInRoute {
        side: Side::Source,
        broker: "broker-b".into(),
    };
    // Gone from the route, and what it still had on its way with it.
    let its_pending = CheckKind::NothingPending {
        side: Side::Source,
        broker: "broker-b".into(),
    };
    assert_eq!(
        failing(&o),
        [
            (kind.clone(), Status::Unknown),
            (its_pending, Status::Unknown)
        ]
    );
    let c = check(refusal(&o), &kind);
    assert_eq!(c.evidence[0].fact, Fact::Yes(false));
    assert_eq!(
        c.evidence[1].fact,
        Fact::Messages([("T_ORDER".to_string(), 10)].into())
    );
    assert!(
        c.summary.contains(
            "broker broker-b left the route on source holding 10 for T_ORDER, last seen 1m20s ago"
        ),
        "{}",
        c.summary
    );
    // A wrong name does not retire it; the broker's own name does, and it is journaled.
    let retire = |h: &mut Harness, typed: &str, now| {
        h.run(
            Command::RetireBroker {
                side: Side::Source,
                broker: "broker-b".into(),
                confirmation: Confirmation::Typed(typed.into()),
            },
            now,
        )
    };
    assert!(matches!(
        retire(&mut h, "broker-a", now),
        Outcome::NeedsConfirmation { .. }
    ));
    assert!(matches!(
        retire(&mut h, "broker-b", now),
        Outcome::Recorded(_)
    ));
    assert!(
        h.entries()
            .any(|e| matches!(e, Entry::BrokerRetired { broker, .. } if broker == "broker-b"))
    );
    assert!(moved(&h.advance("orders", now)));
    // The journal remembers: a fresh wizard replays the same brokers.
    let replayed = rocketmq_migrate::wizard::Wizard::new(support::plan(), &h.records).unwrap();
    assert_eq!(replayed.progress.brokers, h.w.progress.brokers);
}

#[test]
fn a_broker_that_comes_back_serves_again() {
    let mut h = draining();
    let mut now = T0 + 10 * S;
    let both = |now| {
        drained_source(now)
            .route("T_ORDER", &["broker-a", "broker-b"])
            .build()
    };
    h.observe(both(now), now);
    now += 5 * S;
    h.observe(
        drained_source(now).route("T_ORDER", &["broker-a"]).build(),
        now,
    );
    h.observe(target_with_consumers(now).build(), now);
    let kind = CheckKind::BrokerInRoute {
        side: Side::Source,
        broker: "broker-b".into(),
    };
    assert!(failing(&h.advance("orders", now)).contains(&(kind.clone(), Status::Unknown)));
    // An unreadable route says nothing about the broker: it is not recorded as gone again.
    now += 5 * S;
    let mut unread = drained_source(now).build();
    unread.routes.insert(
        "T_ORDER".into(),
        rocketmq_migrate::model::Known::unknown("timed out"),
    );
    h.observe(unread, now);
    now += 5 * S;
    h.observe(both(now), now);
    h.observe(target_with_consumers(now).build(), now);
    let v = refusal(&h.advance("orders", now)).clone();
    assert_eq!(check(&v, &kind).status, Status::Pass);
    let left = h
        .entries()
        .filter(|e| matches!(e, Entry::BrokerLeft { .. }))
        .count();
    assert_eq!(left, 1, "left once, back once");
}

fn pending(scheduled: &[(u32, u64, u64)], timer: u64, half: u64) -> Known<BrokerPending> {
    Known::Known(BrokerPending {
        scheduled: scheduled
            .iter()
            .map(|&(level, delay_ms, pending)| LevelPending {
                level,
                delay_ms: Some(delay_ms),
                pending,
                max_offset: pending,
                progress: 0,
                stored_by: None,
            })
            .collect(),
        timer: Known::Known(timer),
        half: Known::Known(half),
    })
}

#[test]
fn messages_still_on_their_way_to_the_source_keep_the_last_consumers() {
    let mut h = draining();
    let on_their_way = |now| {
        drained_source(now)
            .pending(
                "broker-a",
                pending(&[(3, 10_000, 2), (5, 120_000, 1)], 1, 0),
            )
            .build()
    };
    // Seen from T0 + 10 s to T0 + 70 s: level 5 (2 min) is due within 60 s, level 3 already.
    let now = hold(&mut h, T0 + 10 * S, on_their_way);
    let o = h.advance("orders", now);
    let kind = CheckKind::NothingPending {
        side: Side::Source,
        broker: "broker-a".into(),
    };
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    let c = check(refusal(&o), &kind);
    assert_eq!(
        fact(c),
        (
            &Fact::Pending {
                scheduled: 3,
                due_within_ms: Some(60_000),
                timer: 1,
                half: 0
            },
            Side::Source,
            "source",
            0
        )
    );
    assert_eq!(
        c.evidence[0].fact.words(),
        "3 scheduled (due within 1m00s at most), 1 timer"
    );
    // Another message stored at level 5: the last one is due a whole delay from now.
    h.observe(
        drained_source(now)
            .pending(
                "broker-a",
                pending(&[(3, 10_000, 2), (5, 120_000, 2)], 1, 0),
            )
            .build(),
        now,
    );
    let c = check(refusal(&h.advance("orders", now)), &kind).clone();
    assert_eq!(
        c.evidence[0].fact.words(),
        "4 scheduled (due within 2m00s at most), 1 timer"
    );
    // A broker whose pending messages could not be read: unknown, never "none".
    h.observe(
        drained_source(now)
            .pending(
                "broker-a",
                Known::unknown("broker-a did not answer GET_ALL_DELAY_OFFSET"),
            )
            .build(),
        now,
    );
    assert!(failing(&h.advance("orders", now)).contains(&(kind.clone(), Status::Unknown)));
    // A cluster whose pending messages were not read at all.
    h.observe(drained_source(now).unknown_pending("not read").build(), now);
    let read = CheckKind::PendingRead { side: Side::Source };
    assert!(failing(&h.advance("orders", now)).contains(&(read, Status::Unknown)));
    // Once they landed and were consumed: the last consumers may go.
    h.observe(drained_source(now).build(), now);
    assert!(moved(&h.advance("orders", now)));
}

#[test]
fn transactional_messages_keep_a_producer_on_the_source_until_they_resolve() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        target_with_consumers(T0).producers("P_ORDER", 1).build(),
        T0,
    );
    assert!(moved(&h.advance("orders", T0)));
    h.observe(
        source_start(T0)
            .producers("P_ORDER", 0)
            .pending("broker-a", pending(&[], 0, 2))
            .build(),
        T0,
    );
    let o = h.advance("orders", T0);
    let kind = CheckKind::HalfResolved {
        side: Side::Source,
        broker: "broker-a".into(),
    };
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    assert!(
        check(refusal(&o), &kind)
            .summary
            .contains("keep a producer")
    );
    h.observe(source_start(T0).producers("P_ORDER", 0).build(), T0);
    assert!(moved(&h.advance("orders", T0)));
}

fn filter_kind(group: &str, topic: &str) -> CheckKind {
    CheckKind::FiltersCover {
        group: group.into(),
        topic: topic.into(),
    }
}

#[test]
fn producers_are_refused_while_a_target_consumer_filters_more_narrowly() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    // G_B's target consumers take only TagA of T_PAY; its source ones take every tag.
    h.observe(
        target_with_consumers(T0)
            .group(
                group("G_B")
                    .consumers(1)
                    .subscribed(&["T_PAY"])
                    .tags("T_PAY", &["TagA"]),
            )
            .build(),
        T0,
    );
    let o = h.advance("orders", T0);
    let kind = filter_kind("G_B", "T_PAY");
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    let c = check(refusal(&o), &kind);
    let shown: Vec<(Side, String)> = (c.evidence.iter())
        .map(|e| (e.side, e.fact.words()))
        .collect();
    assert_eq!(
        shown,
        [
            (Side::Source, "tag *".to_string()),
            (Side::Target, "tag TagA".to_string())
        ]
    );
    assert!(
        c.summary
            .contains("subscribe the target consumers with tag *")
    );
    // A wider target expression, or the same one, lets producers go.
    h.observe(
        target_with_consumers(T0)
            .group(
                group("G_B")
                    .consumers(1)
                    .subscribed(&["T_PAY"])
                    .tags("T_PAY", &["*"]),
            )
            .build(),
        T0,
    );
    assert!(moved(&h.advance("orders", T0)));
}

#[test]
fn a_tag_set_covers_only_what_it_includes() {
    let mut h = double_read();
    let narrow = |tags: &[&str]| {
        group("G_B")
            .consumers(1)
            .subscribed(&["T_PAY"])
            .tags("T_PAY", tags)
    };
    h.observe(source_start(T0).group(narrow(&["TagA"])).build(), T0);
    h.observe(
        target_with_consumers(T0)
            .group(narrow(&["TagA || TagB"]))
            .build(),
        T0,
    );
    assert!(
        moved(&h.advance("orders", T0)),
        "a wider tag set receives all"
    );
    let mut h = double_read();
    h.observe(
        source_start(T0).group(narrow(&["TagA || TagB"])).build(),
        T0,
    );
    h.observe(
        target_with_consumers(T0).group(narrow(&["TagB"])).build(),
        T0,
    );
    assert_eq!(
        failing(&h.advance("orders", T0)),
        [(filter_kind("G_B", "T_PAY"), Status::Blocked)]
    );
}

#[test]
fn clients_that_disagree_and_expressions_a_cluster_does_not_show_are_warnings() {
    let mut h = double_read();
    h.observe(
        source_start(T0)
            .group(
                group("G_B")
                    .consumers(2)
                    .subscribed(&["T_PAY"])
                    .tags("T_PAY", &["TagA", "*"]),
            )
            .build(),
        T0,
    );
    h.observe(
        target_with_consumers(T0)
            .group(
                group("G_A")
                    .consumers(1)
                    .subscribed(&["T_ORDER", "T_PAY"])
                    .expression_not_shown("T_PAY"),
            )
            .build(),
        T0,
    );
    let o = h.advance("orders", T0);
    assert_eq!(refusal(&o).status(), Status::Pass, "warnings only");
    assert_eq!(
        unacknowledged(refusal(&o)),
        [
            WarningKind::FilterUnchecked {
                group: "G_A".into(),
                topic: "T_PAY".into()
            },
            WarningKind::ClientsDisagree {
                side: Side::Source,
                group: "G_B".into(),
                topic: "T_PAY".into()
            },
        ]
    );
    let r = reasons(&o);
    assert!(r.contains("check by hand"), "{r}");
    assert!(r.contains("different expressions (tag *, tag TagA)"), "{r}");
    // Ids round-trip, so `--ack` takes them.
    for w in unacknowledged(refusal(&o)) {
        assert_eq!(WarningKind::parse(&w.id()), Some(w));
    }
    assert!(moved(&h.advance_ack(
        "orders",
        &[
            "filter-unchecked:G_A/T_PAY",
            "clients-disagree:source/G_B/T_PAY"
        ],
        T0
    )));
}

#[test]
fn broadcasting_is_how_clients_consume_not_what_the_group_allows() {
    // Every test group allows broadcasting? Here: consumeBroadcastEnable on, clients clustering.
    let mut h = Harness::ready(T0);
    let mut src = source_start(T0).build();
    for g in src.groups.values_mut() {
        if let Some(c) = g.config.as_mut() {
            c.broadcast = true;
        }
    }
    h.observe(src, T0);
    assert!(
        moved(&h.advance("orders", T0)),
        "no warning for a clustering group"
    );
    // Clients that consume in broadcasting mode: a warning that says what it means.
    let mut h = Harness::ready(T0);
    h.observe(
        source_start(T0)
            .group(
                group("G_B")
                    .consumers(2)
                    .subscribed(&["T_PAY"])
                    .broadcasting(),
            )
            .build(),
        T0,
    );
    let o = h.advance("orders", T0);
    assert_eq!(
        unacknowledged(refusal(&o)),
        [WarningKind::BroadcastGroup {
            group: "G_B".into()
        }]
    );
    assert!(reasons(&o).contains("begins at the last offset"));
}

#[test]
fn a_broadcasting_group_is_attested_instance_by_instance_before_its_last_consumers_move() {
    let mut h = draining();
    let broadcasting = |now| {
        drained_source(now)
            .group(
                group("G_B")
                    .consumers(2)
                    .subscribed(&["T_PAY"])
                    .broadcasting(),
            )
            .build()
    };
    // No backlog a broker can show: its offsets live in the clients. The window still holds on
    // the topics' offsets. Its instances on the target consume in broadcasting mode too.
    let mut now = T0 + 10 * S;
    for _ in 0..4 {
        h.observe(
            target_with_consumers(now)
                .group(
                    group("G_B")
                        .consumers(1)
                        .subscribed(&["T_PAY"])
                        .broadcasting(),
                )
                .build(),
            now,
        );
        let mut s = broadcasting(now);
        s.groups.get_mut("G_B").unwrap().backlog = Known::unknown("never consumed");
        h.observe(s, now);
        now += 20 * S;
    }
    now -= 20 * S;
    let o = h.advance("orders", now);
    let v = refusal(&o);
    assert_eq!(v.status(), Status::Pass, "{:?}", failing(&o));
    assert!(
        !v.checks
            .iter()
            .any(|c| c.kind == backlog_on(Side::Source, "G_B")),
        "no backlog check for a broadcasting group"
    );
    let want: Vec<WarningKind> = ["G_B-source-0", "G_B-source-1"]
        .iter()
        .map(|c| WarningKind::BroadcastDrained {
            group: "G_B".into(),
            client: c.to_string(),
        })
        .collect();
    assert_eq!(unacknowledged(v), want);
    // One attestation is not enough; both are, and the journal keeps them.
    let one = h.advance_ack("orders", &["broadcast-drained:G_B/G_B-source-0"], now);
    assert!(!moved(&one));
    assert!(moved(&h.advance_ack(
        "orders",
        &["broadcast-drained:G_B/G_B-source-1"],
        now
    )));
    let attested = h
        .entries()
        .filter(|e| matches!(e, Entry::Acknowledged { warning, .. } if warning.starts_with("broadcast-drained:G_B/")))
        .count();
    assert_eq!(attested, 2);
}

#[test]
fn a_group_the_plan_forgot_is_refused_until_the_plan_takes_it_or_leaves_it_behind() {
    let forgot = |h: &mut Harness, now| {
        h.observe(
            source_start(now)
                .consumed_by("T_ORDER", &["G_A", "G_AUDIT"])
                .consumed_by("T_PAY", &["G_A", "G_B", "G_S"])
                .build(),
            now,
        );
        h.observe(Snap::new(Side::Target, now).build(), now);
    };
    let mut h = Harness::new();
    forgot(&mut h, T0);
    let o = h.advance("preflight", T0);
    let on = |topic: &str| CheckKind::OnlyPlannedConsumers {
        side: Side::Source,
        topic: topic.into(),
    };
    assert_eq!(
        failing(&o),
        [
            (on("T_ORDER"), Status::Blocked),
            (on("T_PAY"), Status::Blocked)
        ]
    );
    let c = check(refusal(&o), &on("T_ORDER"));
    assert!(
        c.summary
            .starts_with("G_AUDIT consumes T_ORDER on source but is not in batch 'orders'"),
        "{}",
        c.summary
    );
    assert!(
        c.summary.contains("`left_behind`"),
        "names the fix: {}",
        c.summary
    );
    assert_eq!(
        c.evidence[0].fact,
        Fact::Groups(["G_A".to_string(), "G_AUDIT".to_string()].into())
    );
    // A group of another batch on this batch's topic is forgotten just the same.
    assert!(
        check(refusal(&o), &on("T_PAY"))
            .summary
            .starts_with("G_S consumes T_PAY")
    );

    // The plan leaves both behind, with reasons: preflight passes and says so.
    let plan = plan_with(
        "[batch.left_behind]\nG_AUDIT = \"reads the archive until the old cluster goes\"\nG_S = \"moves with stock, after orders\"\n",
    );
    let mut h = Harness::with(plan);
    forgot(&mut h, T0);
    assert!(moved(&h.advance("preflight", T0)));
    let Some(Entry::StepCompleted { verdict, .. }) = h.entries().last() else {
        panic!("preflight journaled")
    };
    let c = check(verdict, &on("T_ORDER"));
    assert_eq!(c.status, Status::Pass);
    assert!(
        c.summary
            .contains("G_AUDIT stays behind (reads the archive until the old cluster goes)"),
        "journaled with its reason: {}",
        c.summary
    );
}

#[test]
fn a_group_new_on_the_target_topic_keeps_producers_on_the_source() {
    let mut h = double_read();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        target_with_consumers(T0)
            .consumed_by("T_ORDER", &["G_A", "G_NEW"])
            .build(),
        T0,
    );
    let kind = CheckKind::OnlyPlannedConsumers {
        side: Side::Target,
        topic: "T_ORDER".into(),
    };
    assert_eq!(failing(&h.advance("orders", T0)), [(kind, Status::Blocked)]);
}

#[test]
fn a_misspelt_topic_or_group_fails_preflight_naming_the_plan() {
    let mut h = Harness::new();
    h.observe(source_start(T0).missing_topic("T_PAY").build(), T0);
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    let o = h.advance("preflight", T0);
    let kind = CheckKind::TopicExists {
        side: Side::Source,
        topic: "T_PAY".into(),
    };
    assert!(
        failing(&o).contains(&(kind.clone(), Status::Blocked)),
        "{:?}",
        failing(&o)
    );
    assert!(
        check(refusal(&o), &kind)
            .summary
            .contains("check its spelling in the plan")
    );
}

#[test]
fn the_last_consumers_stay_while_their_group_reads_a_topic_outside_the_batch() {
    let mut h = draining();
    let also_audit = |now| {
        drained_source(now)
            .group(
                group("G_A")
                    .consumers(1)
                    .subscribed(&["T_ORDER", "T_PAY", "T_AUDIT"]),
            )
            .build()
    };
    let now = hold(&mut h, T0 + 10 * S, also_audit);
    let o = h.advance("orders", now);
    let kind = CheckKind::OnlyBatchTopics {
        side: Side::Source,
        group: "G_A".into(),
    };
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    assert!(
        check(refusal(&o), &kind)
            .summary
            .starts_with("G_A also consumes T_AUDIT on source, outside batch 'orders'")
    );
}

#[test]
fn first_consumers_that_never_committed_on_the_target_go_back_once_nothing_was_written() {
    let mut h = double_read();
    let never_committed = |now, t_order| {
        let mut s = target_with_consumers(now).topic("T_ORDER", t_order).build();
        for g in s.groups.values_mut() {
            g.backlog = Known::unknown("G never committed an offset here");
        }
        s
    };
    let mut now = T0;
    h.observe(source_start(now).build(), now);
    h.observe(never_committed(now, 5), now);
    now += 20 * S;
    // Written to since: the window starts again and the move waits.
    h.observe(never_committed(now, 9), now);
    let o = h.rollback("orders", now);
    assert_eq!(
        failing(&o),
        [(settled_on(Side::Target, "orders"), Status::Blocked)]
    );
    let c = check(refusal(&o), &backlog_on(Side::Target, "G_A"));
    assert_eq!(c.status, Status::Pass);
    assert!(
        c.summary.contains("judged by its topics instead"),
        "{}",
        c.summary
    );
    assert_eq!(
        c.evidence[0].fact,
        Fact::Unknown("G never committed an offset here".into()),
        "unknown stays unknown"
    );
    for _ in 0..4 {
        now += 20 * S;
        h.observe(source_start(now).build(), now);
        h.observe(never_committed(now, 9), now);
    }
    assert!(moved(&h.rollback("orders", now)));
}

#[test]
fn producers_the_wizard_cannot_see_are_a_line_to_acknowledge() {
    // The stock batch names no producer groups: finish says so instead of passing silently.
    let mut h = Harness::ready(T0);
    let o = h.advance("finish", T0);
    let v = refusal(&o);
    let kind = WarningKind::ProducersUnverified {
        side: Side::Source,
        batch: "stock".into(),
    };
    assert!(unacknowledged(v).contains(&kind), "{:?}", unacknowledged(v));
    assert_eq!(WarningKind::parse(&kind.id()), Some(kind));
    assert!(reasons(&o).contains("not verified, the plan names no producer groups"));
}

/// A source that lists producers per topic (TDMQ 5.x) shows every producer left, named in the
/// plan or not: the drain waits for each topic of the batch to have none there.
#[test]
fn a_source_listing_producers_per_topic_is_checked_topic_by_topic() {
    let per_topic = |snap: Snap, t_order: usize| {
        let mut s = snap.build();
        s.producers.via = ProducerSource::PerTopic;
        s.producers.groups.clear();
        let clients = |n: usize| Known::Known((0..n).map(|i| client(&format!("p{i}"))).collect());
        s.producers.topics = [("T_ORDER", t_order), ("T_PAY", 0), ("T_STOCK", 0)]
            .into_iter()
            .map(|(t, n)| (t.to_string(), clients(n)))
            .collect();
        s
    };
    let mut h = double_read();
    h.observe(per_topic(source_start(T0), 1), T0);
    h.observe(
        target_with_consumers(T0).producers("P_ORDER", 1).build(),
        T0,
    );
    assert!(moved(&h.advance("orders", T0)));
    let o = h.advance("orders", T0);
    let kind = CheckKind::NoTopicProducers {
        side: Side::Source,
        topic: "T_ORDER".into(),
    };
    assert_eq!(failing(&o), [(kind.clone(), Status::Blocked)]);
    let c = check(refusal(&o), &kind);
    assert_eq!(fact(c), (&Fact::Count(1), Side::Source, "source", 0));
    assert_eq!(
        c.summary,
        "1 producer(s) of T_ORDER still connected to source: p0"
    );
    // No per-group check is made of a source that cannot tell groups apart.
    assert!(
        !refusal(&o)
            .checks
            .iter()
            .any(|c| matches!(c.kind, CheckKind::NoProducers { .. }))
    );
    h.observe(per_topic(source_start(T0), 0), T0);
    assert!(moved(&h.advance("orders", T0)), "drain source");
}

/// Preflight shows what serves each cluster, with the versions as evidence; a version that
/// cannot be read is a line to check by hand, not a gate.
#[test]
fn preflight_shows_what_serves_each_cluster() {
    let mut h = Harness::new();
    let with_versions = |b: Known<String>| {
        let mut s = source_start(T0)
            .pending("broker-b", Known::Known(BrokerPending::nothing()))
            .build();
        s.servers = Some(Servers::Brokers(BTreeMap::from([
            ("broker-a".to_string(), Known::Known("V5_3_1".to_string())),
            ("broker-b".to_string(), b),
        ])));
        s
    };
    let why =
        "broker broker-b: its runtime info (GET_BROKER_RUNTIME_INFO) has no brokerVersionDesc";
    h.observe(with_versions(Known::unknown(why)), T0);
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    let o = h.advance("preflight", T0);
    let v = refusal(&o);
    let kind = WarningKind::ServersUnknown { side: Side::Source };
    assert_eq!(unacknowledged(v), std::slice::from_ref(&kind));
    assert_eq!(WarningKind::parse(&kind.id()), Some(kind));
    assert_eq!(
        v.warnings[0].text,
        format!(
            "the version of broker broker-b of source is unknown ({why}): check by hand what it runs before you go on"
        )
    );
    h.observe(with_versions(Known::Known("V4_9_4".into())), T0);
    assert!(moved(&h.advance("preflight", T0)));
    let Some(Entry::StepCompleted { verdict, .. }) = h.entries().last() else {
        panic!("preflight journaled")
    };
    let c = check(verdict, &CheckKind::Servers { side: Side::Source });
    assert_eq!(
        c.summary,
        "source runs 2 master brokers: broker-a V5_3_1, broker-b V4_9_4 (not all the same version)"
    );
    let versions = BTreeMap::from([
        ("broker-a".to_string(), "V5_3_1".to_string()),
        ("broker-b".to_string(), "V4_9_4".to_string()),
    ]);
    assert_eq!(
        fact(c),
        (&Fact::Versions(versions), Side::Source, "source", 0)
    );
    let c = check(verdict, &CheckKind::Servers { side: Side::Target });
    assert_eq!(c.summary, "target runs 1 master broker: broker-a V5_3_1");
}

/// Neither TDMQ API nor a broker can try the right to create without creating: where the plan
/// creates anything on the target, preflight asks to acknowledge it, naming the right.
#[test]
fn the_untried_right_to_create_on_the_target_is_a_line_to_acknowledge() {
    let plan = plan_targeting(
        "kind = \"tdmq\"\nversion = 5\nregion = \"ap-guangzhou\"\ninstance_id = \"rmq-1\"\nsecret_id = \"AKIDEXAMPLE\"\nsecret_key_env = \"NOT_READ_BY_THE_GATES\"",
    );
    let mut h = Harness::with(plan);
    h.observe(source_start(T0).build(), T0);
    let lacking = Snap::new(Side::Target, T0)
        .missing_topic("T_STOCK")
        .missing_group("G_S")
        .missing_group("G_B");
    h.observe(lacking.build(), T0);
    let o = h.advance("preflight", T0);
    let v = refusal(&o);
    let kind = WarningKind::CreateUntried { side: Side::Target };
    assert_eq!(unacknowledged(v), std::slice::from_ref(&kind));
    assert_eq!(WarningKind::parse(&kind.id()), Some(kind.clone()));
    assert_eq!(
        v.warnings[0].text,
        "the right to create the plan's 1 topic(s) and 2 group(s) that target lacks is not tried before the metadata step uses it (no dry run there): the account needs the CAM actions trocket:CreateTopic and trocket:CreateConsumerGroup. Without it `sync-metadata` names the right it lacks and nothing moves until the metadata step passes"
    );
    assert!(moved(&h.advance_ack("preflight", &[&kind.id()], T0)));
    // Everything there already: nothing to create, no line.
    let plan = plan_targeting(
        "kind = \"tdmq\"\nregion = \"ap-guangzhou\"\ncluster_id = \"rocketmq-1\"\nnamespace = \"ns\"\nsecret_id = \"AKIDEXAMPLE\"\nsecret_key_env = \"NOT_READ_BY_THE_GATES\"",
    );
    let mut h = Harness::with(plan);
    h.observe(source_start(T0).build(), T0);
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    assert!(moved(&h.advance("preflight", T0)));
}

/// Preflight tries the account's rights: every read the gates need answered on every broker,
/// including what a broker holds for later (which the drain needs and freshness does not cover).
#[test]
fn preflight_tries_every_read_the_gates_need() {
    let mut h = Harness::new();
    h.observe(
        source_start(T0)
            .pending("broker-b", Known::unknown("broker broker-b: delay offsets (GET_ALL_DELAY_OFFSET): no permission: the AccessKey lacks the rights to read the delay offsets"))
            .build(),
        T0,
    );
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    let o = h.advance("preflight", T0);
    let kind = CheckKind::ReadsAnswered { side: Side::Source };
    assert_eq!(failing(&o), [(kind.clone(), Status::Unknown)]);
    let c = check(refusal(&o), &kind);
    assert!(
        c.summary.starts_with("broker broker-b of source did not answer every read the drain needs: broker broker-b: delay offsets (GET_ALL_DELAY_OFFSET): no permission"),
        "{}",
        c.summary
    );
    // Every broker answered: a line with the brokers as evidence, and preflight completes.
    h.observe(source_start(T0).build(), T0);
    assert!(moved(&h.advance("preflight", T0)));
    let Some(Entry::StepCompleted { verdict, .. }) = h.entries().last() else {
        panic!("preflight journaled")
    };
    let c = check(verdict, &kind);
    assert_eq!(
        c.summary,
        "source answered every read the gates need on every broker (broker-a)"
    );
    assert_eq!(fact(c), (&Fact::Count(1), Side::Source, "source", 0));
}
