//! Metadata of the plan's scope on both clusters: what the target lacks, what differs, what is
//! unknown. Pure; `sync-metadata` and the wizard's `s` turn `missing` into a [`Proposal`] the
//! operator confirms, then into create calls.

use crate::clock::{self, Millis};
use crate::model::{Freshness, GroupConfig, Known, Snapshot, TopicConfig, TopicMessageType};
use crate::plan::{Plan, Side};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetadataItem {
    /// A topic, with the source's settings when known.
    Topic {
        name: String,
        config: Option<TopicConfig>,
        /// What it carries, from the plan or the source: a target that fixes the type at
        /// creation (TDMQ 5.x) creates nothing without it.
        #[serde(default = "type_not_read")]
        message_type: Known<TopicMessageType>,
    },
    Group {
        name: String,
        config: Option<GroupConfig>,
    },
}

fn type_not_read() -> Known<TopicMessageType> {
    Known::unknown("the topic's message type was not read")
}

impl MetadataItem {
    pub fn name(&self) -> &str {
        match self {
            MetadataItem::Topic { name, .. } | MetadataItem::Group { name, .. } => name,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            MetadataItem::Topic {
                name,
                config: Some(c),
                ..
            } => format!(
                "topic {name} ({} read / {} write queues, perm {}{})",
                c.read_queues,
                c.write_queues,
                c.perm,
                if c.order { ", ordered" } else { "" }
            ),
            MetadataItem::Topic {
                name, config: None, ..
            } => {
                format!("topic {name} (default settings)")
            }
            MetadataItem::Group {
                name,
                config: Some(c),
            } => format!(
                "group {name} ({}{}{}, {} max retries)",
                if c.broadcast {
                    "broadcast allowed"
                } else {
                    "broadcast not allowed"
                },
                if c.orderly { ", orderly" } else { "" },
                c.retry_queues
                    .map(|q| format!(", {q} retry queue(s)"))
                    .unwrap_or_default(),
                c.retry_max_times
            ),
            MetadataItem::Group { name, config: None } => {
                format!("group {name} (default settings)")
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetadataDiff {
    /// On the source (or planned) but not on the target: to create.
    pub missing: Vec<MetadataItem>,
    /// On both, with different settings: reported, never changed.
    pub differing: Vec<String>,
    /// Could not be read on one side.
    pub unknown: Vec<String>,
}

impl MetadataDiff {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.unknown.is_empty()
    }
}

/// An item the target lacks, with how the target would create it (`Ok`: the call and its
/// settings) or why it cannot (`Err`: a TDMQ 5.x topic whose type nobody said).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub item: MetadataItem,
    pub how: Result<String, String>,
}

impl Planned {
    /// One line per item, as `sync-metadata` prints it and the wizard lists it: the item with
    /// its settings, then the target's call when it says more than that.
    pub fn line(&self) -> String {
        let what = self.item.describe();
        match &self.how {
            Ok(how) if *how == what => what,
            Ok(how) => format!("{what}: {how}"),
            Err(why) => format!("{what}: cannot be created: {why}"),
        }
    }
}

/// What creating the target's missing metadata would do, for the operator to confirm: exactly
/// the items listed in `create` are created, nothing else.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Proposal {
    /// Why nothing can be compared yet (no data, stale data, an unreachable cluster, an item
    /// that could not be read): nothing is offered while this is not empty.
    pub unknown: Vec<String>,
    /// What will be created, in order.
    pub create: Vec<Planned>,
    /// What the target lacks but cannot be created as it should be (`how` is the reason).
    pub cannot: Vec<Planned>,
    /// On both, with different settings: reported, left as it is.
    pub differing: Vec<String>,
}

impl Proposal {
    /// The items the operator confirms.
    pub fn items(&self) -> Vec<MetadataItem> {
        self.create.iter().map(|p| p.item.clone()).collect()
    }

    /// "Create these 3 items on the target 'tdmq'?"
    pub fn question(&self, target: &str) -> String {
        format!(
            "Create {} on the target '{target}'?",
            these_items(self.create.len())
        )
    }
}

/// "these 3 items", "this 1 item".
pub fn these_items(n: usize) -> String {
    if n == 1 {
        "this 1 item".into()
    } else {
        format!("these {n} items")
    }
}

/// The proposal from the latest snapshot of each side, judged at `now`: data missing or older
/// than the plan's `stale_after` compares nothing. `how` is the target's way of creating an
/// item ([`crate::cluster::Cluster::how_to_create`]).
pub fn propose(
    plan: &Plan,
    source: Option<&Snapshot>,
    target: Option<&Snapshot>,
    now: Millis,
    how: impl Fn(&MetadataItem) -> Result<String, String>,
) -> Proposal {
    let mut p = Proposal::default();
    let limit = clock::ms(plan.gates.stale_after);
    for (side, snap) in [(Side::Source, source), (Side::Target, target)] {
        match Freshness::of(snap, now, limit) {
            Freshness::NoData => p
                .unknown
                .push(format!("no data from the {side} cluster yet")),
            Freshness::Stale { age_ms, limit_ms } => p.unknown.push(format!(
                "{side} data is stale: {} old, limit {}",
                clock::age(age_ms),
                clock::age(limit_ms)
            )),
            // Unreachable: the diff says so; partial: the diff names each item not read.
            _ => {}
        }
    }
    let (Some(source), Some(target), true) = (source, target, p.unknown.is_empty()) else {
        return p;
    };
    let d = diff(plan, source, target);
    p.unknown = d.unknown;
    p.differing = d.differing;
    if !p.unknown.is_empty() {
        return p;
    }
    for item in d.missing {
        let planned = Planned {
            how: how(&item),
            item,
        };
        if planned.how.is_ok() {
            p.create.push(planned);
        } else {
            p.cannot.push(planned);
        }
    }
    p
}

pub fn diff(plan: &Plan, source: &Snapshot, target: &Snapshot) -> MetadataDiff {
    let mut d = MetadataDiff::default();
    for unreachable in [source, target]
        .iter()
        .filter_map(|s| s.unreachable.as_ref().map(|e| (s, e)))
    {
        d.unknown.push(format!(
            "{} cluster '{}' is unreachable: {}",
            unreachable.0.side, unreachable.0.cluster, unreachable.1
        ));
    }
    if !d.unknown.is_empty() {
        return d;
    }
    let scope = plan.scope();
    for t in &scope.topics {
        let src = source.topics.get(t);
        let dst = target.topics.get(t);
        let src_cfg = src.and_then(|s| s.config.clone());
        match dst.map(|x| &x.exists) {
            Some(Known::Known(true)) => {
                if let (Some(a), Some(b)) = (&src_cfg, dst.and_then(|x| x.config.as_ref())) {
                    if a.read_queues != b.read_queues || a.write_queues != b.write_queues {
                        d.differing.push(format!(
                            "topic {t}: queues {}/{} on source, {}/{} on target",
                            a.read_queues, a.write_queues, b.read_queues, b.write_queues
                        ));
                    }
                    if a.order != b.order {
                        d.differing.push(format!(
                            "topic {t}: ordered on {} only",
                            if a.order { "source" } else { "target" }
                        ));
                    }
                    // A target that fixes the type refuses messages of another kind.
                    if let (Known::Known(wanted), Some(there)) =
                        (message_type(plan, t, Some(a)), b.message_type)
                        && wanted != there
                    {
                        d.differing.push(format!(
                            "topic {t} carries {} messages but is a {} topic on the target: the target refuses the others; recreate it there as {}",
                            wanted.name(),
                            there.name(),
                            wanted.name()
                        ));
                    }
                }
            }
            Some(Known::Known(false)) => d.missing.push(MetadataItem::Topic {
                name: t.clone(),
                message_type: message_type(plan, t, src_cfg.as_ref()),
                config: src_cfg,
            }),
            other => d.unknown.push(format!(
                "topic {t} on target: {}",
                other.and_then(|k| k.reason()).unwrap_or("not reported")
            )),
        }
        if let Some(Known::Known(false)) = src.map(|s| &s.exists) {
            d.differing.push(format!(
                "topic {t} does not exist on the source either: check the plan's spelling"
            ));
        }
    }
    for g in &scope.groups {
        let src_cfg = source.groups.get(&g.name).and_then(|s| s.config.clone());
        let dst = target.groups.get(&g.name);
        match dst.map(|x| &x.exists) {
            Some(Known::Known(true)) => {
                if let (Some(a), Some(b)) = (&src_cfg, dst.and_then(|x| x.config.as_ref()))
                    && (a.broadcast != b.broadcast
                        || a.orderly != b.orderly
                        || a.retry_max_times != b.retry_max_times)
                {
                    d.differing.push(format!(
                        "group {}: source broadcast allowed={} orderly={} retries={}, target broadcast allowed={} orderly={} retries={}",
                        g.name, a.broadcast, a.orderly, a.retry_max_times, b.broadcast, b.orderly, b.retry_max_times
                    ));
                }
            }
            Some(Known::Known(false)) => d.missing.push(MetadataItem::Group {
                name: g.name.clone(),
                config: src_cfg,
            }),
            other => d.unknown.push(format!(
                "group {} on target: {}",
                g.name,
                other.and_then(|k| k.reason()).unwrap_or("not reported")
            )),
        }
    }
    d
}

/// What a topic carries, from the plan's `topic_types` or what the source shows (its
/// `message.type`, or its order flag). Unknown when neither says, or when they disagree: a
/// target that fixes the type at creation would refuse the messages of any other kind.
pub fn message_type(
    plan: &Plan,
    topic: &str,
    source: Option<&TopicConfig>,
) -> Known<TopicMessageType> {
    let batch = plan
        .batches
        .iter()
        .find(|b| b.topics.iter().any(|t| t == topic));
    let said = batch.and_then(|b| b.topic_types.get(topic).copied());
    let shown = source.and_then(|c| c.message_type.or(c.order.then_some(TopicMessageType::Fifo)));
    let ask = |problem: String| {
        let b = batch.map_or("its batch".to_string(), |b| format!("batch '{}'", b.name));
        Known::unknown(format!(
            "{problem}: say what it carries in {b}: topic_types = {{ {topic} = \"NORMAL\" }} (or FIFO, DELAY, TRANSACTION)"
        ))
    };
    match (said, shown) {
        (Some(s), Some(t)) if s != t => ask(format!(
            "the plan says topic {topic} carries {} messages but the source shows {}",
            s.name(),
            t.name()
        )),
        (Some(s), _) => Known::Known(s),
        (None, Some(TopicMessageType::Mixed)) => ask(format!(
            "the source's topic {topic} takes every kind of message (MIXED), which no TDMQ 5.x type does"
        )),
        (None, Some(t)) => Known::Known(t),
        (None, None) => ask(format!(
            "the source does not show whether topic {topic} carries delayed or transactional messages"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(types: &str) -> Plan {
        let text = format!(
            "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n[[batch]]\nname = \"orders\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n{types}"
        );
        Plan::parse(Path::new("p.toml"), &text).unwrap()
    }

    fn config(order: bool, message_type: Option<TopicMessageType>) -> TopicConfig {
        TopicConfig {
            read_queues: 4,
            write_queues: 4,
            perm: 6,
            order,
            message_type,
        }
    }

    #[test]
    fn a_planned_item_reads_as_one_line_with_its_settings() {
        let item = MetadataItem::Group {
            name: "G".into(),
            config: None,
        };
        let line = |how: Result<&str, &str>| {
            Planned {
                item: item.clone(),
                how: how.map(String::from).map_err(String::from),
            }
            .line()
        };
        // The target's call says nothing more than the item: said once.
        assert_eq!(
            line(Ok("group G (default settings)")),
            "group G (default settings)"
        );
        assert_eq!(
            line(Ok("CreateConsumerGroup {}")),
            "group G (default settings): CreateConsumerGroup {}"
        );
        assert_eq!(
            line(Err("no type")),
            "group G (default settings): cannot be created: no type"
        );
    }

    #[test]
    fn a_topic_type_comes_from_the_plan_or_the_source_never_a_guess() {
        use TopicMessageType::*;
        let silent = plan("");
        let said = plan("topic_types = { T = \"DELAY\" }\n");
        // The source shows it: its message.type, or its order flag.
        assert_eq!(
            message_type(&silent, "T", Some(&config(false, Some(Transaction)))),
            Known::Known(Transaction)
        );
        assert_eq!(
            message_type(&silent, "T", Some(&config(true, None))),
            Known::Known(Fifo)
        );
        // The plan says it.
        assert_eq!(
            message_type(&said, "T", Some(&config(false, None))),
            Known::Known(Delay)
        );
        // Nobody says: the operator is asked, in the plan, with the line to write.
        let ask = message_type(&silent, "T", Some(&config(false, None)));
        assert_eq!(
            ask.reason(),
            Some(
                "the source does not show whether topic T carries delayed or transactional messages: say what it carries in batch 'orders': topic_types = { T = \"NORMAL\" } (or FIFO, DELAY, TRANSACTION)"
            )
        );
        assert!(message_type(&silent, "T", None).known().is_none());
        // The plan and the source disagree: neither wins.
        let clash = message_type(&said, "T", Some(&config(true, None)));
        assert!(
            clash.reason().is_some_and(|r| r.contains(
                "the plan says topic T carries DELAY messages but the source shows FIFO"
            )),
            "{clash:?}"
        );
        // An existing target topic of another type is reported, never changed.
        let mut source = Snapshot::unreachable(crate::plan::Side::Source, "s", "test", 0, "");
        source.unreachable = None;
        let mut target = source.clone();
        target.side = crate::plan::Side::Target;
        let state = |c: TopicConfig| crate::model::TopicState {
            exists: Known::Known(true),
            consumed_by: Known::unknown("x"),
            max_offset: Known::unknown("x"),
            config: Some(c),
        };
        source.topics.insert("T".into(), state(config(true, None)));
        target
            .topics
            .insert("T".into(), state(config(true, Some(Normal))));
        let d = diff(&silent, &source, &target);
        assert_eq!(
            d.differing,
            [
                "topic T carries FIFO messages but is a NORMAL topic on the target: the target refuses the others; recreate it there as FIFO"
            ]
        );
        assert!(
            message_type(&silent, "T", Some(&config(false, Some(Mixed))))
                .reason()
                .is_some_and(|r| r.contains("MIXED"))
        );
    }
}
