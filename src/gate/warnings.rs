//! Soft warnings: hazards that do not lose messages by themselves but that an operator must have
//! read. Each needs an acknowledgement, which the journal records.

use crate::model::{Expressions, Known, MessageModel, Snapshot, Warning, WarningKind, describe};
use crate::plan::{Batch, ClusterKind, Plan, Side, TdmqProduct};
use std::collections::{BTreeMap, BTreeSet};

fn warning(kind: WarningKind, text: String) -> Warning {
    Warning {
        kind,
        text,
        acknowledged: false,
    }
}

/// Clients older than 4.4.0 cannot sign ACL requests, which the target's AccessKey needs.
pub fn is_old_version(v: &str) -> bool {
    let digits: Vec<u32> = v
        .trim_start_matches(['V', 'v'])
        .split(['_', '.'])
        .map_while(|p| p.parse().ok())
        .collect();
    match digits.as_slice() {
        [major, minor, ..] => (*major, *minor) < (4, 4),
        [major] => *major < 4,
        [] => false,
    }
}

/// Ordered topics and groups, broadcasting groups, very old clients: read on the source before
/// the first consumers move.
pub fn before_first_consumers(batch: &Batch, source: &Snapshot) -> Vec<Warning> {
    let mut out = vec![];
    for t in &batch.topics {
        if source
            .topics
            .get(t)
            .and_then(|s| s.config.as_ref())
            .is_some_and(|c| c.order)
        {
            out.push(warning(WarningKind::OrderedTopic { topic: t.clone() }, format!("topic {t} is ordered: message order is not kept across the switch, and one queue may be consumed on both clusters at once")));
        }
    }
    for g in &batch.groups {
        let Some(state) = source.groups.get(&g.name) else {
            continue;
        };
        let cfg = state.config.as_ref();
        if cfg.is_some_and(|c| c.orderly) {
            out.push(warning(WarningKind::OrderlyGroup { group: g.name.clone() }, format!("group {} consumes orderly: order is not guaranteed while it reads from both clusters", g.name)));
        }
        let clients = state.consumers.known().map(Vec::as_slice).unwrap_or(&[]);
        // How its clients consume, not `consumeBroadcastEnable` (allowed, and on by default).
        if clients
            .iter()
            .any(|c| c.message_model == Some(MessageModel::Broadcasting))
        {
            out.push(warning(WarningKind::BroadcastGroup { group: g.name.clone() }, format!("group {} consumes in broadcasting mode: its offsets live in the clients, so no broker shows its backlog; before the last ones move you attest each instance drained. An instance starting on the target begins at the last offset: it does not receive what the target held before it started", g.name)));
        }
        let old: Vec<&str> = clients
            .iter()
            .filter_map(|c| c.version.as_deref())
            .filter(|v| is_old_version(v))
            .collect();
        if let Some(v) = old.first() {
            out.push(warning(WarningKind::OldClient { group: g.name.clone() }, format!("{} consumer(s) of {} run client {v} (older than 4.4.0, without ACL support): upgrade them before they connect to the target", old.len(), g.name)));
        }
    }
    out
}

/// A group consuming in broadcasting mode keeps its offsets in each client: no broker shows what
/// an instance has left to consume, so the operator attests it, instance by instance (client
/// ids from the live connections). With none online, one attestation covers every instance
/// that consumed on the cluster. Instances that share a client id (broadcasting clients keep
/// the instance name `DEFAULT`, so those on one host do) are one attestation naming how many.
pub fn broadcast_drained(group: &str, snap: &Snapshot) -> Vec<Warning> {
    let mut clients: BTreeMap<String, usize> = BTreeMap::new();
    for c in (snap.groups.get(group))
        .and_then(|g| g.consumers.known())
        .into_iter()
        .flatten()
    {
        *clients.entry(c.client_id.clone()).or_default() += 1;
    }
    let side = snap.side;
    if clients.is_empty() {
        return vec![warning(
            WarningKind::BroadcastDrained {
                group: group.to_string(),
                client: "*".into(),
            },
            format!(
                "{group} consumes in broadcasting mode and no instance is online on {side}: attest that every instance that consumed there drained before it left (its offsets lived in the client)"
            ),
        )];
    }
    clients
        .into_iter()
        .map(|(client, n)| {
            let text = if n == 1 {
                format!("instance {client} of {group} consumes in broadcasting mode on {side}: no broker shows its backlog; attest that it consumed everything (its logs, its offset store) before it moves")
            } else {
                format!("{n} instances of {group} share the client id {client} (same host, default instance name) and consume in broadcasting mode on {side}: no broker shows their backlog; attest that each of the {n} consumed everything (its logs, its offset store) before they move")
            };
            warning(
                WarningKind::BroadcastDrained {
                    group: group.to_string(),
                    client,
                },
                text,
            )
        })
        .collect()
}

/// A cluster whose TLS certificates the plan says not to check: anyone on the way can read and
/// change the traffic, the AccessKey's signatures included.
pub fn tls_unverified(plan: &Plan) -> Vec<Warning> {
    [Side::Source, Side::Target]
        .into_iter()
        .filter(|side| match &plan.cluster(*side).kind {
            ClusterKind::Remoting(r) => r.tls.as_ref().is_some_and(|t| t.accept_any_certificate),
            _ => false,
        })
        .map(|side| {
            warning(
                WarningKind::TlsUnverified { side },
                format!("the {side} cluster's TLS certificates are not checked ({side}.tls.accept_any_certificate): anyone between the wizard and the cluster can read and change the traffic; trust its CA with {side}.tls.ca_file instead"),
            )
        })
        .collect()
}

/// A producer check the wizard cannot make, and why: the operator checks by hand. On the
/// source, the settle window (no new message on the batch's topics) still witnesses writes.
pub fn producers_unverified(batch: &Batch, side: Side, why: &str) -> Warning {
    let text = match side {
        Side::Source => format!(
            "producers of batch '{}' on source: not verified, {why}; only the settle window (no new message on its topics) shows whether one still writes there: name them in `producer_groups`, or check by hand",
            batch.name
        ),
        Side::Target => format!(
            "producers of batch '{}' on target: not verified, {why}; check by hand that they write to the new cluster",
            batch.name
        ),
    };
    warning(
        WarningKind::ProducersUnverified {
            side,
            batch: batch.name.clone(),
        },
        text,
    )
}

/// Subscription differences between the clusters, read before producers move.
pub fn before_producers(batch: &Batch, source: &Snapshot, target: &Snapshot) -> Vec<Warning> {
    let mut out = vec![];
    for g in &batch.groups {
        let subs = |s: &Snapshot| match s.groups.get(&g.name).map(|x| &x.subscriptions) {
            Some(Known::Known(subs)) => Some(subs.keys().cloned().collect::<BTreeSet<_>>()),
            _ => None,
        };
        for snap in [source, target] {
            let Some(Known::Known(subs)) = snap.groups.get(&g.name).map(|x| &x.subscriptions)
            else {
                continue;
            };
            for (topic, filters) in subs {
                if let Expressions::Seen(f) = filters
                    && f.len() > 1
                {
                    out.push(warning(
                        WarningKind::ClientsDisagree {
                            side: snap.side,
                            group: g.name.clone(),
                            topic: topic.clone(),
                        },
                        format!(
                            "consumers of {} on {} subscribe {topic} with different expressions ({}): a broker keeps one expression per group (the newest client's) and filters every instance's share with it, so some may miss messages; make them subscribe alike",
                            g.name,
                            snap.side,
                            describe(f)
                        ),
                    ));
                }
            }
        }
        if let (Some(a), Some(b)) = (subs(source), subs(target))
            && !a.is_empty()
            && !b.is_empty()
            && a != b
        {
            let only_src: Vec<_> = a.difference(&b).cloned().collect();
            let only_dst: Vec<_> = b.difference(&a).cloned().collect();
            out.push(warning(
                WarningKind::SubscriptionDiff {
                    group: g.name.clone(),
                },
                format!(
                    "group {} subscribes differently: only on source [{}], only on target [{}]",
                    g.name,
                    only_src.join(", "),
                    only_dst.join(", ")
                ),
            ));
        }
    }
    out
}

/// The right to create on `snap`'s cluster the plan's topics and groups it lacks: no cluster
/// lets the wizard try it without creating (neither TDMQ API has a dry run, nor a broker), so
/// the metadata step is the first to use it. Nothing to create needs no line, nor a self-built
/// cluster read without credentials (no ACL stood in the way of the reads).
pub fn create_untried(plan: &Plan, snap: &Snapshot) -> Vec<Warning> {
    let side = snap.side;
    let right = match &plan.cluster(side).kind {
        ClusterKind::Tdmq(t) => match t.product {
            TdmqProduct::V4 { .. } => {
                "the CAM actions tdmq:CreateRocketMQTopic and tdmq:CreateRocketMQGroup"
            }
            TdmqProduct::V5 { .. } => {
                "the CAM actions trocket:CreateTopic and trocket:CreateConsumerGroup"
            }
        },
        ClusterKind::Remoting(r) if r.acl.is_some() => {
            "admin: true for the account (ACL 1.0), or the Create action on the topics and groups (ACL 2.0)"
        }
        _ => return vec![],
    };
    let scope = plan.scope();
    let lacking = |exists: Option<&Known<bool>>| !matches!(exists, Some(Known::Known(true)));
    let topics = (scope.topics.iter())
        .filter(|t| lacking(snap.topics.get(*t).map(|s| &s.exists)))
        .count();
    let groups = (scope.groups.iter())
        .filter(|g| lacking(snap.groups.get(&g.name).map(|s| &s.exists)))
        .count();
    if topics + groups == 0 {
        return vec![];
    }
    vec![warning(
        WarningKind::CreateUntried { side },
        format!(
            "the right to create the plan's {topics} topic(s) and {groups} group(s) that {} lacks is not tried before the metadata step uses it (no dry run there): the account needs {right}. Without it `sync-metadata` names the right it lacks and nothing moves until the metadata step passes",
            snap.cluster
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Client, GroupState};
    use crate::plan::Side;

    #[test]
    fn instances_sharing_a_client_id_are_one_attestation_that_counts_them() {
        let conn = |id: &str, addr: &str| Client {
            client_id: id.into(),
            addr: addr.into(),
            language: "RUST".into(),
            version: None,
            message_model: Some(MessageModel::Broadcasting),
        };
        let mut snap = Snapshot::unreachable(Side::Source, "old", "remoting", 0, "");
        snap.unreachable = None;
        let g = GroupState {
            exists: Known::Known(true),
            backlog: Known::unknown("broadcasting"),
            consumers: Known::Known(vec![
                conn("10.0.0.5@DEFAULT", "10.0.0.5:50001"),
                conn("10.0.0.5@DEFAULT", "10.0.0.5:50002"),
                conn("10.0.0.6@DEFAULT", "10.0.0.6:50003"),
            ]),
            subscriptions: Known::unknown("not needed"),
            config: None,
            consume_tps: None,
        };
        snap.groups.insert("G".into(), g);
        let w = broadcast_drained("G", &snap);
        let ids: Vec<String> = w.iter().map(Warning::id).collect();
        assert_eq!(
            ids,
            [
                "broadcast-drained:G/10.0.0.5@DEFAULT",
                "broadcast-drained:G/10.0.0.6@DEFAULT"
            ]
        );
        assert!(
            w[0].text
                .starts_with("2 instances of G share the client id 10.0.0.5@DEFAULT")
        );
        assert!(w[1].text.starts_with("instance 10.0.0.6@DEFAULT of G"));
    }

    #[test]
    fn old_versions_are_those_before_4_4() {
        assert!(is_old_version("V4_3_6"));
        assert!(is_old_version("V3_2_6"));
        assert!(!is_old_version("V4_4_0"));
        assert!(!is_old_version("V4_9_4"));
        assert!(!is_old_version("V5_3_3"));
        assert!(!is_old_version("5.1.0"));
        assert!(!is_old_version("unknown"));
    }
}
