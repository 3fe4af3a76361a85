//! Builders for plans and snapshots shared by the gate and property tests.
#![allow(dead_code)]

use rocketmq_migrate::clock::Millis;
use rocketmq_migrate::model::*;
use rocketmq_migrate::plan::{Plan, Side};
use std::collections::BTreeMap;
use std::path::Path;

/// Two batches: "orders" (T_ORDER, T_PAY; groups G_A on both topics, G_B on T_PAY; producer P_ORDER)
/// and "stock" (T_STOCK; G_S; no producer groups named).
pub fn plan() -> Plan {
    plan_with("")
}

/// The test plan with `orders_extra` appended to the orders batch (after its subscriptions).
pub fn plan_with(orders_extra: &str) -> Plan {
    let text = PLAN.replace(
        "G_B = [\"T_PAY\"]\n",
        &format!("G_B = [\"T_PAY\"]\n{orders_extra}"),
    );
    Plan::parse(Path::new("test-plan.toml"), &text).expect("test plan is valid")
}

/// The test plan between real clusters: a remoting source and `target` (`kind = ...` and its
/// settings).
pub fn plan_targeting(target: &str) -> Plan {
    let clusters = format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:9876\"]\n[target]\n{target}\n"
    );
    let text = PLAN.replace(
        "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n",
        &clusters,
    );
    assert_ne!(text, PLAN, "the test plan's clusters are replaced");
    Plan::parse(Path::new("test-plan.toml"), &text).expect("test plan is valid")
}

const PLAN: &str = r#"
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

pub fn client(id: &str) -> Client {
    Client {
        client_id: id.into(),
        addr: format!("{id}:1"),
        language: "JAVA".into(),
        version: Some("V4_9_4".into()),
        message_model: Some(MessageModel::Clustering),
    }
}

/// A consumer group in a test snapshot: nobody online, no subscription, no backlog, unless said.
pub struct GroupSpec {
    name: String,
    consumers: usize,
    subscribed: Subscriptions,
    model: MessageModel,
    backlog: u64,
    retry: u64,
    held: Vec<(String, String, u64)>,
}

pub fn group(name: &str) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        consumers: 0,
        subscribed: Subscriptions::new(),
        model: MessageModel::Clustering,
        backlog: 0,
        retry: 0,
        held: vec![],
    }
}

impl GroupSpec {
    /// Consumers online.
    pub fn consumers(mut self, n: usize) -> GroupSpec {
        self.consumers = n;
        self
    }

    /// Topics the online consumers subscribe to, every tag (`*`).
    pub fn subscribed(mut self, topics: &[&str]) -> GroupSpec {
        self.subscribed = (topics.iter())
            .map(|t| (t.to_string(), Expressions::Seen([Filter::all()].into())))
            .collect();
        self
    }

    /// The tag expressions the consumers subscribe `topic` with (several: they disagree).
    pub fn tags(mut self, topic: &str, expressions: &[&str]) -> GroupSpec {
        let seen = (expressions.iter())
            .map(|e| Filter::parse(Some("TAG"), Some(e)))
            .collect();
        self.subscribed
            .insert(topic.into(), Expressions::Seen(seen));
        self
    }

    /// `topic` subscribed, its expression not shown by the cluster.
    pub fn expression_not_shown(mut self, topic: &str) -> GroupSpec {
        self.subscribed
            .insert(topic.into(), Expressions::NotShown("not shown".into()));
        self
    }

    /// The online consumers consume in broadcasting mode.
    pub fn broadcasting(mut self) -> GroupSpec {
        self.model = MessageModel::Broadcasting;
        self
    }

    /// Messages waiting on the group's topics (not counting the retry topic).
    pub fn backlog(mut self, n: u64) -> GroupSpec {
        self.backlog = n;
        self
    }

    /// Messages waiting in the group's retry topic.
    pub fn retry(mut self, n: u64) -> GroupSpec {
        self.retry = n;
        self
    }

    /// Messages of `topic` waiting for the group on `broker` (added to its backlog).
    pub fn held(mut self, topic: &str, broker: &str, n: u64) -> GroupSpec {
        self.held.push((topic.into(), broker.into(), n));
        self
    }
}

/// Marks a topic whose consumers `build` derives from the snapshot's groups.
const FROM_GROUPS: &str = "derived from the groups when built";

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
        for g in ["G_A", "G_B", "G_S"] {
            snap = snap.group(group(g));
        }
        snap.0.producers = Producers {
            via: ProducerSource::AllProducerInfo,
            groups: BTreeMap::from([("P_ORDER".to_string(), Known::Known(vec![]))]),
            topics: BTreeMap::new(),
        };
        snap.0.servers = Some(Servers::Brokers(BTreeMap::from([(
            "broker-a".to_string(),
            Known::Known("V5_3_1".to_string()),
        )])));
        snap.pending("broker-a", Known::Known(BrokerPending::nothing()))
    }

    /// What a broker holds that no backlog shows (a fresh `Snap` has `broker-a` holding none).
    pub fn pending(mut self, broker: &str, held: Known<BrokerPending>) -> Snap {
        let mut pending = self.0.pending.known().cloned().unwrap_or_default();
        pending.brokers.insert(broker.into(), held);
        self.0.pending = Known::Known(pending);
        self
    }

    /// Pending messages that could not be read at all.
    pub fn unknown_pending(mut self, why: &str) -> Snap {
        self.0.pending = Known::unknown(why);
        self
    }

    pub fn topic(mut self, name: &str, max_offset: u64) -> Snap {
        self.0.topics.insert(
            name.into(),
            TopicState {
                exists: Known::Known(true),
                consumed_by: Known::unknown(FROM_GROUPS),
                max_offset: Known::Known(max_offset),
                config: Some(TopicConfig {
                    read_queues: 8,
                    write_queues: 8,
                    perm: 6,
                    order: false,
                    message_type: None,
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
                consumed_by: Known::Known(Default::default()),
                max_offset: Known::Known(0),
                config: None,
            },
        );
        self
    }

    /// A consumer group the cluster does not have.
    pub fn missing_group(mut self, name: &str) -> Snap {
        self.0.groups.insert(name.into(), GroupState::absent());
        self
    }

    /// The groups that consume `topic` on the cluster, as its brokers say (by default: the
    /// snapshot's groups subscribed to it).
    pub fn consumed_by(mut self, topic: &str, groups: &[&str]) -> Snap {
        if let Some(t) = self.0.topics.get_mut(topic) {
            t.consumed_by = Known::Known(groups.iter().map(|g| g.to_string()).collect());
        }
        self
    }

    pub fn ordered(mut self, topic: &str) -> Snap {
        if let Some(c) = self.0.topics.get_mut(topic).and_then(|t| t.config.as_mut()) {
            c.order = true;
        }
        self
    }

    /// A consumer group as `spec` describes it (consumers online, subscriptions, backlog).
    pub fn group(mut self, spec: GroupSpec) -> Snap {
        let name = spec.name;
        let mut per_topic = BTreeMap::new();
        per_topic.insert(
            "T_X".to_string(),
            TopicLag {
                backlog: spec.backlog,
                broker_offset: 1000,
                ..Default::default()
            },
        );
        per_topic.insert(
            format!("%RETRY%{name}"),
            TopicLag {
                backlog: spec.retry,
                broker_offset: 50,
                ..Default::default()
            },
        );
        for (topic, broker, n) in &spec.held {
            let lag = per_topic.entry(topic.clone()).or_default();
            lag.backlog += n;
            lag.broker_offset = 1000;
            *lag.per_broker.entry(broker.clone()).or_default() += n;
        }
        let total = per_topic.values().map(|l| l.backlog).sum();
        let side = self.0.side;
        self.0.groups.insert(
            name.clone(),
            GroupState {
                exists: Known::Known(true),
                backlog: Known::Known(Backlog { total, per_topic }),
                consumers: Known::Known(
                    (0..spec.consumers)
                        .map(|i| Client {
                            message_model: Some(spec.model),
                            ..client(&format!("{name}-{side}-{i}"))
                        })
                        .collect(),
                ),
                subscriptions: Known::Known(spec.subscribed),
                config: Some(GroupConfig {
                    broadcast: false,
                    orderly: false,
                    retry_queues: Some(1),
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
                    ..Default::default()
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

    /// The brokers serving a topic now.
    pub fn route(mut self, topic: &str, brokers: &[&str]) -> Snap {
        let brokers = brokers.iter().map(|b| b.to_string()).collect();
        self.0.routes.insert(topic.into(), Known::Known(brokers));
        self
    }

    pub fn unreachable(mut self) -> Snap {
        self.0.unreachable = Some("connection refused".into());
        self
    }

    pub fn build(mut self) -> Snapshot {
        for (name, t) in &mut self.0.topics {
            if t.consumed_by.reason() == Some(FROM_GROUPS) {
                let groups = self.0.groups.iter().filter(|(_, g)| {
                    g.subscriptions
                        .known()
                        .is_some_and(|s| s.contains_key(name))
                });
                t.consumed_by = Known::Known(groups.map(|(g, _)| g.clone()).collect());
            }
        }
        self.0
    }
}

/// Source with every orders group consuming on the source, as at the start.
pub fn source_start(at: Millis) -> Snap {
    Snap::new(Side::Source, at)
        .group(
            group("G_A")
                .consumers(2)
                .subscribed(&["T_ORDER", "T_PAY"])
                .backlog(10),
        )
        .group(group("G_B").consumers(2).subscribed(&["T_PAY"]).backlog(5))
        .group(group("G_S").consumers(2).subscribed(&["T_STOCK"]))
        .producers("P_ORDER", 2)
}

/// The orders batch's groups with a consumer each on the target.
pub fn target_with_consumers(at: Millis) -> Snap {
    Snap::new(Side::Target, at)
        .group(group("G_A").consumers(1).subscribed(&["T_ORDER", "T_PAY"]))
        .group(group("G_B").consumers(1).subscribed(&["T_PAY"]))
}

/// The source once the orders batch drained: no backlog, no producer, a consumer per group left.
pub fn drained_source(at: Millis) -> Snap {
    source_start(at)
        .group(group("G_A").consumers(1).subscribed(&["T_ORDER", "T_PAY"]))
        .group(group("G_B").consumers(1).subscribed(&["T_PAY"]))
        .producers("P_ORDER", 0)
}

/// The drained source with the orders batch's last consumers gone too.
pub fn emptied_source(at: Millis) -> Snap {
    drained_source(at).group(group("G_A")).group(group("G_B"))
}

pub mod headless;
pub mod proxy;
pub mod servers;
pub mod staged;
pub mod tdmq_server;
pub mod tls_proxy;
pub mod tmux;

pub use headless::text;

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
        Self::with(plan())
    }

    pub fn with(plan: Plan) -> Harness {
        Harness {
            w: Wizard::new(plan, &[]).unwrap(),
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
        self.run(Command::Observe(Box::new(s)), now);
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

/// The verdict of a refused move.
pub fn refusal(o: &Outcome) -> &Verdict {
    match o {
        Outcome::Refused {
            verdict: Some(v), ..
        } => v,
        other => panic!("expected a refusal with a verdict, got {other:?}"),
    }
}

/// What keeps a refused move closed: each failing check's kind and status.
pub fn failing(o: &Outcome) -> Vec<(CheckKind, Status)> {
    refusal(o)
        .failing()
        .map(|c| (c.kind.clone(), c.status))
        .collect()
}

/// The check of that kind in a verdict.
pub fn check<'v>(v: &'v Verdict, kind: &CheckKind) -> &'v Check {
    v.checks
        .iter()
        .find(|c| &c.kind == kind)
        .unwrap_or_else(|| panic!("no check {kind} in {:#?}", v.checks))
}

/// The one fact a check's first evidence holds, with the side, cluster and age it was read at.
pub fn fact(c: &Check) -> (&Fact, Side, &str, Millis) {
    let e = c
        .evidence
        .first()
        .unwrap_or_else(|| panic!("{} has no evidence", c.kind));
    (&e.fact, e.side, e.cluster.as_str(), e.age_ms)
}

pub fn consumers_on(side: Side, group: &str) -> CheckKind {
    CheckKind::ConsumersSubscribed {
        side,
        group: group.into(),
    }
}

pub fn no_consumers_on(side: Side, group: &str) -> CheckKind {
    CheckKind::NoConsumers {
        side,
        group: group.into(),
    }
}

pub fn no_producers_on(side: Side, group: &str) -> CheckKind {
    CheckKind::NoProducers {
        side,
        group: group.into(),
    }
}

pub fn backlog_on(side: Side, group: &str) -> CheckKind {
    CheckKind::BacklogAtMost {
        side,
        group: group.into(),
    }
}

pub fn settled_on(side: Side, batch: &str) -> CheckKind {
    CheckKind::Settled {
        side,
        batch: batch.into(),
    }
}

pub fn reasons(o: &Outcome) -> String {
    match o {
        Outcome::Refused { reasons, .. } => reasons.join("\n"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
