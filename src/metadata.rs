//! Metadata of the plan's scope on both clusters: what the target lacks, what differs, what is
//! unknown. Pure; `sync-metadata` turns `missing` into create calls.

use crate::model::{GroupConfig, Known, Snapshot, TopicConfig, TopicMessageType};
use crate::plan::Plan;
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
