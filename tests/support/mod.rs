//! Builders for plans and snapshots shared by the gate and property tests.
#![allow(dead_code)]

use rocketmq_migrate::clock::Millis;
use rocketmq_migrate::model::*;
use rocketmq_migrate::plan::{Plan, Side};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Two batches: "orders" (T_ORDER, T_PAY; groups G_A on both topics, G_B on T_PAY; producer P_ORDER)
/// and "stock" (T_STOCK; G_S; no producer groups named).
pub fn plan() -> Plan {
    let text = r#"
[source]
kind = "rehearsal"
[target]
kind = "rehearsal"
[gates]
max_backlog = 0
settle_window = "60s"
stale_after = "30s"
poll_interval = "5s"
[[batch]]
name = "orders"
topics = ["T_ORDER", "T_PAY"]
consumer_groups = ["G_A", "G_B"]
producer_groups = ["P_ORDER"]
[batch.subscriptions]
G_B = ["T_PAY"]
[[batch]]
name = "stock"
topics = ["T_STOCK"]
consumer_groups = ["G_S"]
"#;
    Plan::parse(Path::new("test-plan.toml"), text).expect("test plan is valid")
}

pub fn client(id: &str) -> Client {
    Client {
        client_id: id.into(),
        addr: format!("{id}:1"),
        language: "JAVA".into(),
        version: Some("V4_9_4".into()),
        message_model: Some(MessageModel::Clustering),
    }
}

/// A snapshot where everything in the test plan exists, is quiet, and has nobody connected.
pub struct Snap(pub Snapshot);

impl Snap {
    pub fn new(side: Side, at: Millis) -> Snap {
        let mut s = Snapshot::unreachable(side, side.name(), "test", at, "");
        s.unreachable = None;
        let mut snap = Snap(s);
        for t in ["T_ORDER", "T_PAY", "T_STOCK"] {
            snap = snap.topic(t, 1000);
        }
        for (g, _) in [("G_A", 0), ("G_B", 0), ("G_S", 0)] {
            snap = snap.group(g, 0, &[], 0, 0);
        }
        snap.0.producers = Producers {
            via: ProducerSource::AllProducerInfo,
            groups: BTreeMap::from([("P_ORDER".to_string(), Known::Known(vec![]))]),
        };
        snap
    }

    pub fn topic(mut self, name: &str, max_offset: u64) -> Snap {
        self.0.topics.insert(
            name.into(),
            TopicState {
                exists: Known::Known(true),
                max_offset: Known::Known(max_offset),
                config: Some(TopicConfig {
                    read_queues: 8,
                    write_queues: 8,
                    perm: 6,
                    order: false,
                }),
            },
        );
        self
    }

    pub fn missing_topic(mut self, name: &str) -> Snap {
        self.0.topics.insert(
            name.into(),
            TopicState {
                exists: Known::Known(false),
                max_offset: Known::Known(0),
                config: None,
            },
        );
        self
    }

    pub fn ordered(mut self, topic: &str) -> Snap {
        if let Some(c) = self.0.topics.get_mut(topic).and_then(|t| t.config.as_mut()) {
            c.order = true;
        }
        self
    }

    /// `consumers` online subscribed to `subs`; backlog split into normal and retry.
    pub fn group(
        mut self,
        name: &str,
        consumers: usize,
        subs: &[&str],
        backlog: u64,
        retry: u64,
    ) -> Snap {
        let mut per_topic = BTreeMap::new();
        per_topic.insert(
            "T_X".to_string(),
            TopicLag {
                backlog,
                broker_offset: 1000,
            },
        );
        per_topic.insert(
            format!("%RETRY%{name}"),
            TopicLag {
                backlog: retry,
                broker_offset: 50,
            },
        );
        self.0.groups.insert(
            name.into(),
            GroupState {
                exists: Known::Known(true),
                backlog: Known::Known(Backlog {
                    total: backlog + retry,
                    per_topic,
                }),
                consumers: Known::Known(
                    (0..consumers)
                        .map(|i| client(&format!("{name}-{}-{i}", self.0.side)))
                        .collect(),
                ),
                subscriptions: Known::Known(
                    subs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
                ),
                config: Some(GroupConfig {
                    broadcast: false,
                    orderly: false,
                    retry_queues: 1,
                    retry_max_times: 16,
                }),
                consume_tps: None,
            },
        );
        self
    }

    pub fn unknown_backlog(mut self, name: &str, why: &str) -> Snap {
        if let Some(g) = self.0.groups.get_mut(name) {
            g.backlog = Known::unknown(why);
        }
        self
    }

    pub fn unknown_consumers(mut self, name: &str) -> Snap {
        if let Some(g) = self.0.groups.get_mut(name) {
            g.consumers = Known::unknown("broker timed out");
        }
        self
    }

    pub fn producers(mut self, group: &str, n: usize) -> Snap {
        let side = self.0.side;
        self.0.producers.groups.insert(
            group.into(),
            Known::Known(
                (0..n)
                    .map(|i| client(&format!("{group}-{side}-{i}")))
                    .collect(),
            ),
        );
        self
    }

    pub fn retry_offset(mut self, group: &str, offset: u64) -> Snap {
        if let Some(Known::Known(b)) = self.0.groups.get_mut(group).map(|g| &mut g.backlog) {
            b.per_topic.insert(
                format!("%RETRY%{group}"),
                TopicLag {
                    backlog: 0,
                    broker_offset: offset,
                },
            );
        }
        self
    }

    pub fn partial(mut self, item: &str) -> Snap {
        self.0.errors.push(ItemError {
            item: item.into(),
            error: "timed out".into(),
        });
        self
    }

    pub fn unreachable(mut self) -> Snap {
        self.0.unreachable = Some("connection refused".into());
        self
    }

    pub fn build(self) -> Snapshot {
        self.0
    }
}

/// Source with every orders group consuming on the source, as at the start.
pub fn source_start(at: Millis) -> Snap {
    Snap::new(Side::Source, at)
        .group("G_A", 2, &["T_ORDER", "T_PAY"], 10, 0)
        .group("G_B", 2, &["T_PAY"], 5, 0)
        .group("G_S", 2, &["T_STOCK"], 0, 0)
        .producers("P_ORDER", 2)
}

/// The orders batch's groups with a consumer each on the target.
pub fn target_with_consumers(at: Millis) -> Snap {
    Snap::new(Side::Target, at)
        .group("G_A", 1, &["T_ORDER", "T_PAY"], 0, 0)
        .group("G_B", 1, &["T_PAY"], 0, 0)
}

/// The source once the orders batch drained: no backlog, no producer, a consumer per group left.
pub fn drained_source(at: Millis) -> Snap {
    source_start(at)
        .group("G_A", 1, &["T_ORDER", "T_PAY"], 0, 0)
        .group("G_B", 1, &["T_PAY"], 0, 0)
        .producers("P_ORDER", 0)
}

/// The drained source with the orders batch's last consumers gone too.
pub fn emptied_source(at: Millis) -> Snap {
    drained_source(at)
        .group("G_A", 0, &[], 0, 0)
        .group("G_B", 0, &[], 0, 0)
}

/// A command's stdout and stderr together, for assertions and failure messages.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub mod proxy;
pub mod servers;
pub mod tdmq_server;
pub mod tmux;

use rocketmq_migrate::journal::{Entry, Record};
use rocketmq_migrate::stage::Step;
use rocketmq_migrate::wizard::{Command, Confirmation, Outcome, Wizard};

/// The wizard with an in-memory journal: entries are "written" then applied, like the shell does.
pub struct Harness {
    pub w: Wizard,
    pub records: Vec<Record>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness {
            w: Wizard::new(plan(), &[]).unwrap(),
            records: vec![],
        }
    }

    pub fn run(&mut self, cmd: Command, now: Millis) -> Outcome {
        let d = self.w.handle(cmd, now);
        for e in d.entries {
            let rec = Record {
                seq: self.records.len() as u64 + 1,
                at: now,
                entry: e,
            };
            self.w.apply(&rec).unwrap();
            self.records.push(rec);
        }
        d.outcome
    }

    pub fn observe(&mut self, s: Snapshot, now: Millis) {
        self.run(Command::Observe(s), now);
    }

    pub fn advance(&mut self, step: &str, now: Millis) -> Outcome {
        self.run(
            Command::Advance {
                step: Step::parse(step),
                confirmation: Confirmation::Yes,
                acks: vec![],
            },
            now,
        )
    }

    pub fn advance_ack(&mut self, step: &str, acks: &[&str], now: Millis) -> Outcome {
        self.run(
            Command::Advance {
                step: Step::parse(step),
                confirmation: Confirmation::Yes,
                acks: acks.iter().map(|s| s.to_string()).collect(),
            },
            now,
        )
    }

    pub fn rollback(&mut self, batch: &str, now: Millis) -> Outcome {
        self.run(
            Command::Rollback {
                batch: batch.into(),
                confirmation: Confirmation::Yes,
            },
            now,
        )
    }

    /// Preflight and metadata done with everything present on both sides.
    pub fn ready(now: Millis) -> Harness {
        let mut h = Harness::new();
        h.observe(source_start(now).build(), now);
        h.observe(Snap::new(Side::Target, now).build(), now);
        assert!(moved(&h.advance("preflight", now)));
        assert!(moved(&h.advance("metadata", now)));
        h
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.records.iter().map(|r| &r.entry)
    }
}

pub fn moved(o: &Outcome) -> bool {
    matches!(o, Outcome::Moved { .. })
}

pub fn reasons(o: &Outcome) -> String {
    match o {
        Outcome::Refused { reasons, .. } => reasons.join("\n"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
