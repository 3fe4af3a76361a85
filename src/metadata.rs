//! Metadata of the plan's scope on both clusters: what the target lacks, what differs, what is
//! unknown. Pure; `sync-metadata` turns `missing` into create calls.

use crate::model::{GroupConfig, Known, Snapshot, TopicConfig};
use crate::plan::Plan;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetadataItem {
    /// A topic, with the source's settings when known.
    Topic {
        name: String,
        config: Option<TopicConfig>,
    },
    Group {
        name: String,
        config: Option<GroupConfig>,
    },
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
            } => format!(
                "topic {name} ({} read / {} write queues, perm {}{})",
                c.read_queues,
                c.write_queues,
                c.perm,
                if c.order { ", ordered" } else { "" }
            ),
            MetadataItem::Topic { name, config: None } => {
                format!("topic {name} (default settings)")
            }
            MetadataItem::Group {
                name,
                config: Some(c),
            } => format!(
                "group {name} ({}{}, {} retry queue(s), {} max retries)",
                if c.broadcast {
                    "broadcast allowed"
                } else {
                    "broadcast not allowed"
                },
                if c.orderly { ", orderly" } else { "" },
                c.retry_queues,
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
