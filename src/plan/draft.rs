//! A starting plan written from what a live source cluster shows: batches of consumer groups
//! that look like one application, merged where they share a topic (a topic moves with exactly
//! one batch). The operator edits it; nothing here is trusted without `check`.

use std::collections::{BTreeMap, BTreeSet};

/// Topics and groups every cluster has for itself: never migrated.
pub fn is_system_name(name: &str) -> bool {
    const PREFIXES: [&str; 14] = [
        "%RETRY%",
        "%DLQ%",
        "RMQ_SYS_",
        "rmq_sys_",
        "SCHEDULE_TOPIC",
        "TBW102",
        "BenchmarkTest",
        "OFFSET_MOVED_EVENT",
        "SELF_TEST_",
        "TRANS_CHECK_MAX_TIME_TOPIC",
        "CID_RMQ_SYS_",
        "TOOLS_CONSUMER",
        "FILTERSRV_CONSUMER",
        "CID_ONSAPI_",
    ];
    const EXACT: [&str; 5] = [
        "DefaultCluster",
        "CLIENT_INNER_PRODUCER",
        "DEFAULT_CONSUMER",
        "DEFAULT_PRODUCER",
        "__MONITOR_PRODUCER",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || EXACT.contains(&name)
}

/// The application a group name suggests: `GID_ORDER_BILLING` -> `order`.
pub fn application_of(group: &str) -> String {
    let lower = group.to_ascii_lowercase();
    let bare = [
        "gid_",
        "cid_",
        "gid-",
        "cid-",
        "group_",
        "group-",
        "consumer_",
        "consumer-",
        "g_",
        "c_",
        "g-",
        "c-",
    ]
    .iter()
    .find_map(|p| lower.strip_prefix(p))
    .unwrap_or(&lower);
    let app = bare
        .split(['_', '-', '.'])
        .find(|s| !s.is_empty())
        .unwrap_or(bare);
    let clean: String = app.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if clean.is_empty() {
        "batch".into()
    } else {
        clean
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftBatch {
    pub name: String,
    pub topics: BTreeSet<String>,
    /// group -> the topics it consumes.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

/// Groups by application, then merges batches that share a topic.
pub fn draft(consumption: &BTreeMap<String, BTreeSet<String>>, single: bool) -> Vec<DraftBatch> {
    let mut batches: Vec<DraftBatch> = vec![];
    for (group, topics) in consumption
        .iter()
        .filter(|(g, t)| !is_system_name(g) && !t.is_empty())
    {
        let name = if single {
            "all".to_string()
        } else {
            application_of(group)
        };
        let topics: BTreeSet<String> = topics
            .iter()
            .filter(|t| !is_system_name(t))
            .cloned()
            .collect();
        if topics.is_empty() {
            continue;
        }
        match batches.iter_mut().find(|b| b.name == name) {
            Some(b) => {
                b.topics.extend(topics.iter().cloned());
                b.groups.insert(group.clone(), topics);
            }
            None => batches.push(DraftBatch {
                name,
                topics: topics.clone(),
                groups: BTreeMap::from([(group.clone(), topics)]),
            }),
        }
    }
    // Merge until no topic is in two batches.
    let mut merged: Vec<DraftBatch> = vec![];
    for b in batches {
        let overlapping: Vec<usize> = merged
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.topics.is_disjoint(&b.topics))
            .map(|(i, _)| i)
            .collect();
        let mut acc = b;
        for i in overlapping.into_iter().rev() {
            let m = merged.remove(i);
            acc.name = format!("{}-{}", m.name, acc.name);
            acc.topics.extend(m.topics);
            acc.groups.extend(m.groups);
        }
        merged.push(acc);
    }
    merged.sort_by(|a, b| a.name.cmp(&b.name));
    merged
}

fn list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = items
        .into_iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    format!("[{}]", v.join(", "))
}

/// The plan text, commented for the operator to finish.
pub fn render(namesrv: &[String], batches: &[DraftBatch], unconsumed: &BTreeSet<String>) -> String {
    let mut o = String::new();
    o.push_str(
        "# Written by `rocketmq-migrate init` from the live source cluster. Review every batch,\n",
    );
    o.push_str("# fill in [target], then run `rocketmq-migrate check`.\n\n");
    o.push_str(&format!(
        "[source]\nkind = \"remoting\"\nname = \"source\"\nnamesrv = {}\n",
        list(namesrv)
    ));
    o.push_str("# access_key = \"...\"            # if the source has ACL\n# secret_key_env = \"SOURCE_SK\"\n\n");
    o.push_str("[target]\n# Fill in the new cluster. For TDMQ for RocketMQ:\n#   kind = \"tdmq\", region, cluster_id, namespace, secret_id, secret_key_env (a 4.x cluster)\n#   kind = \"tdmq\", version = 5, region, instance_id, secret_id, secret_key_env (a 5.x instance)\n");
    o.push_str(
        "kind = \"remoting\"\nname = \"target\"\nnamesrv = [\"TARGET-NAMESERVER:9876\"]\n\n",
    );
    o.push_str("[gates]\nmax_backlog = 0\nsettle_window = \"60s\"\nstale_after = \"10s\"\npoll_interval = \"1s\"\n");
    for b in batches {
        o.push_str(&format!(
            "\n[[batch]]\nname = \"{}\"\ntopics = {}\nconsumer_groups = {}\n",
            b.name,
            list(&b.topics),
            list(b.groups.keys())
        ));
        o.push_str(
            "# producer_groups = []            # name them to let the gates see stragglers\n",
        );
        let partial: Vec<(&String, &BTreeSet<String>)> =
            b.groups.iter().filter(|(_, t)| **t != b.topics).collect();
        if !partial.is_empty() {
            o.push_str("\n[batch.subscriptions]\n");
            for (g, t) in partial {
                o.push_str(&format!("{g} = {}\n", list(t)));
            }
        }
    }
    if !unconsumed.is_empty() {
        o.push_str(&format!(
            "\n# Topics no group consumes (left out): {}\n",
            unconsumed.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_batch_by_application_and_merge_on_shared_topics() {
        let c = BTreeMap::from([
            (
                "GID_ORDER_BILLING".to_string(),
                set(&["ORDER_CREATED", "%RETRY%GID_ORDER_BILLING"]),
            ),
            ("GID_ORDER_NOTIFY".to_string(), set(&["ORDER_PAID"])),
            ("GID_STOCK_SYNC".to_string(), set(&["STOCK"])),
            ("GID_AUDIT".to_string(), set(&["STOCK", "AUDIT"])),
            ("TOOLS_CONSUMER".to_string(), set(&["X"])),
        ]);
        let d = draft(&c, false);
        assert_eq!(
            d.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
            ["audit-stock", "order"]
        );
        assert_eq!(d[1].topics, set(&["ORDER_CREATED", "ORDER_PAID"]));
        assert_eq!(d[0].groups.len(), 2);
        let one = draft(&c, true);
        assert_eq!(one.len(), 1);
        let text = render(&["10.0.0.1:9876".into()], &d, &set(&["LONELY"]));
        let plan = crate::plan::Plan::parse(std::path::Path::new("init.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(plan.batches.len(), 2);
        assert!(
            text.contains("GID_ORDER_NOTIFY = [\"ORDER_PAID\"]"),
            "{text}"
        );
        assert!(text.contains("LONELY"));
    }
}
