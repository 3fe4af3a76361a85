//! Property: for any sequence of snapshots (fresh, stale, partial, unreachable, with any counts)
//! and operator actions, no batch reaches S_RW_D_RW without consumers on the target, nor
//! S_NA_D_RW with an unknown or non-zero source backlog; and replaying the journal rebuilds the
//! same state.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rocketmq_migrate::clock::Millis;
use rocketmq_migrate::journal::Entry;
use rocketmq_migrate::model::{Known, Snapshot};
use rocketmq_migrate::plan::Side;
use rocketmq_migrate::stage::{Stage, Step};
use rocketmq_migrate::wizard::{Command, Confirmation, Wizard};
use std::cell::Cell;
use support::*;

const T0: Millis = 1_700_000_000_000;
const GROUPS: [(&str, &[&str]); 3] = [
    ("G_A", &["T_ORDER", "T_PAY"]),
    ("G_B", &["T_PAY"]),
    ("G_S", &["T_STOCK"]),
];

#[derive(Debug, Clone)]
struct GroupSpec {
    consumers: Option<usize>,
    full_subs: bool,
    backlog: Option<u64>,
    retry: u64,
}

#[derive(Debug, Clone)]
enum SnapSpec {
    /// Everyone consuming on this side, nothing left, nothing written: lets migrations progress.
    Quiet { consumers: usize },
    Random {
        unreachable: bool,
        partial: bool,
        groups: Vec<GroupSpec>,
        offset_bump: u64,
        producers: Option<usize>,
    },
}

#[derive(Debug, Clone)]
enum Act {
    Tick(u64),
    Observe {
        side: Side,
        age_s: u64,
        spec: SnapSpec,
    },
    Advance {
        step: usize,
        ack_all: bool,
    },
    Rollback {
        batch: usize,
    },
}

fn group_spec() -> impl Strategy<Value = GroupSpec> {
    (
        prop::option::weighted(0.85, 0usize..3),
        prop::bool::weighted(0.8),
        prop::option::weighted(0.85, prop_oneof![3 => Just(0u64), 1 => 1u64..5]),
        prop_oneof![4 => Just(0u64), 1 => 1u64..3],
    )
        .prop_map(|(consumers, full_subs, backlog, retry)| GroupSpec {
            consumers,
            full_subs,
            backlog,
            retry,
        })
}

fn snap_spec() -> impl Strategy<Value = SnapSpec> {
    prop_oneof![
        6 => (1usize..3).prop_map(|consumers| SnapSpec::Quiet { consumers }),
        2 => (prop::bool::weighted(0.1), prop::bool::weighted(0.1), prop::collection::vec(group_spec(), 3), prop_oneof![3 => Just(0u64), 1 => 1u64..3], prop::option::weighted(0.9, 0usize..2))
            .prop_map(|(unreachable, partial, groups, offset_bump, producers)| SnapSpec::Random { unreachable, partial, groups, offset_bump, producers }),
    ]
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => (1u64..25).prop_map(Act::Tick),
        5 => (prop_oneof![Just(Side::Source), Just(Side::Target)], prop_oneof![4 => Just(0u64), 1 => 0u64..60], snap_spec()).prop_map(|(side, age_s, spec)| Act::Observe { side, age_s, spec }),
        4 => (0usize..5, prop::bool::weighted(0.8)).prop_map(|(step, ack_all)| Act::Advance { step, ack_all }),
        1 => (0usize..2).prop_map(|batch| Act::Rollback { batch }),
    ]
}

fn build(side: Side, at: Millis, spec: &SnapSpec) -> Snapshot {
    let mut s = Snap::new(side, at);
    match spec {
        SnapSpec::Quiet { consumers } => {
            for (g, topics) in GROUPS {
                s = s.group(group(g).consumers(*consumers).subscribed(topics));
            }
            s = s.producers("P_ORDER", usize::from(side == Side::Target));
        }
        SnapSpec::Random {
            unreachable,
            partial,
            groups,
            offset_bump,
            producers,
        } => {
            for ((g, topics), spec) in GROUPS.iter().zip(groups) {
                let subs: &[&str] = if spec.full_subs {
                    topics
                } else {
                    &topics[..topics.len() - 1]
                };
                s = s.group(
                    group(g)
                        .consumers(spec.consumers.unwrap_or(0))
                        .subscribed(subs)
                        .backlog(spec.backlog.unwrap_or(0))
                        .retry(spec.retry),
                );
                if spec.consumers.is_none() {
                    s = s.unknown_consumers(g);
                }
                if spec.backlog.is_none() {
                    s = s.unknown_backlog(g, "no route");
                }
            }
            s = s.topic("T_ORDER", 1000 + offset_bump);
            if let Some(n) = producers {
                s = s.producers("P_ORDER", *n);
            }
            if *partial {
                s = s.partial("broker b");
            }
            if *unreachable {
                s = s.unreachable();
            }
        }
    }
    s.build()
}

const STEPS: [&str; 5] = ["preflight", "metadata", "orders", "stock", "finish"];

/// A snapshot a gate could trust at `now`: present, reachable, complete and not stale.
fn trustworthy(s: Option<&Snapshot>, now: Millis) -> Option<&Snapshot> {
    s.filter(|s| {
        s.unreachable.is_none() && !s.is_partial() && now.saturating_sub(s.taken_at) <= 30_000
    })
}

#[derive(Default)]
struct Reached {
    double_write: Cell<usize>,
    target_only: Cell<usize>,
}

fn check_sequence(acts: &[Act], reached: &Reached) -> Result<(), TestCaseError> {
    let mut h = Harness::new();
    let mut now = T0;
    for a in acts {
        match a {
            Act::Tick(s) => now += s * 1000,
            Act::Observe { side, age_s, spec } => {
                h.observe(build(*side, now.saturating_sub(age_s * 1000), spec), now)
            }
            Act::Advance { step, ack_all } => {
                let step = Step::parse(STEPS[*step]);
                let acks = match (ack_all, h.w.forward_verdict(&step, now)) {
                    (true, Some((_, v))) => v.warnings.iter().map(|w| w.id()).collect(),
                    _ => vec![],
                };
                let (source, target, watches) =
                    (h.w.source.clone(), h.w.target.clone(), h.w.watches.clone());
                let before = h.records.len();
                h.run(
                    Command::Advance {
                        step,
                        confirmation: Confirmation::Yes,
                        acks,
                    },
                    now,
                );
                for e in h.records[before..].iter().map(|r| &r.entry) {
                    let Entry::StageChanged { batch, to, .. } = e else {
                        continue;
                    };
                    let b = h.w.plan.batch(batch).unwrap().clone();
                    if *to == Stage::DoubleWrite {
                        reached.double_write.set(reached.double_write.get() + 1);
                        let t = trustworthy(target.as_ref(), now);
                        prop_assert!(
                            t.is_some(),
                            "producers released on untrustworthy target data"
                        );
                        for g in &b.groups {
                            let gs = &t.unwrap().groups[&g.name];
                            let n = gs.consumers.known().map(Vec::len);
                            prop_assert!(
                                n.is_some_and(|n| n >= 1),
                                "producers released with {:?} target consumers of {}",
                                n,
                                g.name
                            );
                            let subs = gs.subscriptions.known().unwrap();
                            prop_assert!(
                                g.topics.iter().all(|t| subs.contains_key(t)),
                                "target consumers of {} miss a topic",
                                g.name
                            );
                        }
                    }
                    if *to == Stage::TargetOnly {
                        reached.target_only.set(reached.target_only.get() + 1);
                        let s = trustworthy(source.as_ref(), now);
                        prop_assert!(
                            s.is_some(),
                            "remaining consumers released on untrustworthy source data"
                        );
                        for g in b.group_names() {
                            match &s.unwrap().groups[g].backlog {
                                Known::Known(bl) => {
                                    prop_assert_eq!(bl.total, 0, "source backlog of {} not zero", g)
                                }
                                Known::Unknown(_) => {
                                    prop_assert!(false, "source backlog of {} unknown", g)
                                }
                            }
                        }
                        let w = watches.get(&(batch.clone(), Side::Source));
                        prop_assert!(
                            w.is_some_and(|w| w.held_ms() >= 60_000),
                            "settle window not held: {:?}",
                            w
                        );
                    }
                }
            }
            Act::Rollback { batch } => {
                h.run(
                    Command::Rollback {
                        batch: ["orders", "stock"][*batch].into(),
                        confirmation: Confirmation::Yes,
                    },
                    now,
                );
            }
        }
    }
    let replayed = Wizard::new(support::plan(), &h.records).map_err(TestCaseError::fail)?;
    prop_assert_eq!(&replayed.progress, &h.w.progress);
    for (i, r) in h.records.iter().enumerate() {
        prop_assert_eq!(r.seq, i as u64 + 1);
    }
    Ok(())
}

#[test]
fn no_operator_sequence_reaches_an_unsafe_stage() {
    let reached = Reached::default();
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(act(), 1..200), |acts| {
            check_sequence(&acts, &reached)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "walks that released producers: {}, remaining consumers: {}",
        reached.double_write.get(),
        reached.target_only.get()
    );
    // The property is only meaningful if the random walks do get there.
    assert!(
        reached.double_write.get() > 500,
        "only {} walks released producers",
        reached.double_write.get()
    );
    assert!(
        reached.target_only.get() > 20,
        "only {} walks released the remaining consumers",
        reached.target_only.get()
    );
}
