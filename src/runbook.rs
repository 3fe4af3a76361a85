//! What the operator does now, in the applications, for the selected step: a checklist of the
//! application instances to move, built from the live connections and ticked as each leaves the
//! source or appears on the target, and what the wizard waits to observe, as sentences. Pure:
//! the now box and `status` render it.

use crate::model::{CheckKind, Client, Known, Snapshot, Verdict};
use crate::plan::{Batch, Plan, Side};
use crate::stage::{Stage, Step};
use crate::wizard::Wizard;
use serde::Serialize;

/// The selected step's runbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Now {
    /// What to do, in sentences.
    pub instruction: String,
    /// How to stop an instance, where instances are restarted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how_to_stop: Option<String>,
    /// The instances to move, group by group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<GroupTodo>,
    /// What the wizard waits to observe before the step can be taken, as a sentence.
    pub waiting: String,
}

impl Now {
    /// The runbook as plain text, each line after `indent` (for `status`).
    pub fn text(&self, indent: &str) -> String {
        let mut o = format!("{indent}now: {}\n", self.instruction);
        if let Some(stop) = &self.how_to_stop {
            o.push_str(&format!("{indent}     {stop}\n"));
        }
        for g in &self.checklist {
            let mark = if g.done { "[x]" } else { "[ ]" };
            o.push_str(&format!("{indent}  {mark} {}\n", g.summary));
            for i in &g.instances {
                o.push_str(&format!("{indent}      {}\n", i.line()));
            }
        }
        o.push_str(&format!("{indent}  {}\n", self.waiting));
        o
    }
}

/// Where a group's instances should end up for this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// At least one instance on the target, the rest left on the source (first consumers).
    SomeOnTarget,
    /// Every instance off the source (producers, remaining consumers).
    AllOffSource,
}

/// What kind of clients a checklist entry counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Consumer,
    Producer,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupTodo {
    pub group: String,
    pub role: Role,
    pub goal: Goal,
    /// Whether the group's instances are where the step wants them.
    pub done: bool,
    /// "2 of 3 instances of G still on the source: 10.1.0.11, 10.1.0.12".
    pub summary: String,
    /// Each instance seen, and whether it is where it should be.
    pub instances: Vec<Instance>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub side: Side,
    pub client_id: String,
    pub addr: String,
    pub version: Option<String>,
    /// Where the step wants it (ticked).
    pub placed: bool,
}

impl Instance {
    /// "[x] 10.1.0.13 on the target (10.1.0.13@1, V5_1_0)".
    pub fn line(&self) -> String {
        let mark = if self.placed { "[x]" } else { "[ ]" };
        let version = self
            .version
            .as_deref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default();
        format!(
            "{mark} {} on the {} ({}{version})",
            host(&self.addr),
            self.side,
            self.client_id
        )
    }
}

/// The address without its port: what an operator finds a host by.
fn host(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h)
}

/// Offsets a consumer has not committed yet are lost to a kill -9 and read again.
const STOP_GRACEFULLY: &str = "Stop gracefully (never kill -9): offsets commit.";

/// The runbook of `step` for a watcher (`run --watch`): what the driver and the applications
/// do, since the watcher presses nothing.
pub fn watched(wizard: &Wizard, step: &Step, verdict: Option<&Verdict>) -> Now {
    let mut n = now(wizard, step, verdict);
    n.instruction = n
        .instruction
        .replace("Press Enter", "The driver presses Enter")
        .replace("press Enter", "the driver presses Enter")
        .replace("press s", "the driver presses s");
    if let Some(v) = verdict.filter(|v| v.opens()) {
        n.waiting = format!("Nothing: the gate is open; the driver can {}.", v.action);
    }
    n
}

/// The runbook of `step`, from the wizard's state and the step's gate (`None`: complete).
pub fn now(wizard: &Wizard, step: &Step, verdict: Option<&Verdict>) -> Now {
    let p = &wizard.progress;
    let waiting = waiting(verdict);
    let plain = |instruction: String| Now {
        instruction,
        how_to_stop: None,
        checklist: vec![],
        waiting: waiting.clone(),
    };
    match step {
        Step::Preflight if p.preflight.is_some() => plain("Preflight is complete.".into()),
        Step::Preflight => plain(
            "Check that both clusters answer with fresh data and read the preflight lines; then press Enter to complete preflight.".into(),
        ),
        Step::Metadata if p.metadata.is_some() => plain("Metadata is complete.".into()),
        Step::Metadata => plain(
            "Create the plan's topics and groups on the target (press s, read the list, confirm); then press Enter to confirm metadata.".into(),
        ),
        Step::Finish if p.finished.is_some() => plain("The migration is finished.".into()),
        Step::Finish => plain("When every batch is done, press Enter to finish the migration.".into()),
        Step::Batch(name) => {
            let Some(batch) = wizard.plan.batch(name) else {
                return plain(format!("Batch '{name}' is not in the plan."));
            };
            batch_now(wizard, batch, p.stage(name), waiting)
        }
    }
}

fn batch_now(wizard: &Wizard, b: &Batch, stage: Stage, waiting: String) -> Now {
    let (src, dst) = (wizard.source.as_ref(), wizard.target.as_ref());
    let consumers = |goal| -> Vec<GroupTodo> {
        b.group_names()
            .map(|g| todo(g, Role::Consumer, goal, src, dst))
            .collect()
    };
    let producers = || -> Vec<GroupTodo> {
        b.producer_groups
            .iter()
            .map(|g| todo(g, Role::Producer, Goal::AllOffSource, src, dst))
            .collect()
    };
    let name = &b.name;
    let (instruction, checklist, stop) = match stage {
        Stage::NotStarted => (
            format!(
                "Restart SOME consumers of batch '{name}' on the new cluster (one or more per group; the rest stay). Then press Enter."
            ),
            consumers(Goal::SomeOnTarget),
            true,
        ),
        Stage::DoubleRead => (
            format!(
                "Restart EVERY producer of batch '{name}' on the new cluster (in rounds if you like); consumers read both clusters. Then press Enter."
            ),
            producers(),
            true,
        ),
        Stage::DoubleWrite => (
            format!(
                "Keep the remaining consumers of batch '{name}' running on the source: they drain it. Press Enter once no producer is left there."
            ),
            producers(),
            false,
        ),
        Stage::Draining => (
            format!(
                "When the source has drained for the settle window, restart the REMAINING consumers of batch '{name}' on the new cluster. Then press Enter."
            ),
            consumers(Goal::AllOffSource),
            true,
        ),
        Stage::TargetOnly => (
            format!(
                "Every client of batch '{name}' uses the new cluster. Press Enter to mark it done once nothing is left on the source."
            ),
            consumers(Goal::AllOffSource),
            false,
        ),
        Stage::Done => (format!("Batch '{name}' is complete."), vec![], false),
    };
    Now {
        instruction,
        how_to_stop: (stop && !checklist.is_empty()).then(|| STOP_GRACEFULLY.to_string()),
        checklist,
        waiting,
    }
}

/// A group's instances on both clusters, against where the step wants them.
fn todo(
    group: &str,
    role: Role,
    goal: Goal,
    source: Option<&Snapshot>,
    target: Option<&Snapshot>,
) -> GroupTodo {
    let seen = |snap: Option<&Snapshot>| -> Option<Vec<Client>> {
        let s = snap.filter(|s| s.unreachable.is_none())?;
        let k = match role {
            Role::Consumer => s.groups.get(group).map(|g| &g.consumers),
            Role::Producer => s.producers.groups.get(group),
        };
        match k {
            Some(Known::Known(c)) => Some(c.clone()),
            _ => None,
        }
    };
    let noun = match role {
        Role::Consumer => "consumer",
        Role::Producer => "producer",
    };
    let (on_source, on_target) = (seen(source), seen(target));
    let mut instances = vec![];
    for (side, clients) in [(Side::Source, &on_source), (Side::Target, &on_target)] {
        for c in clients.iter().flatten() {
            instances.push(Instance {
                side,
                client_id: c.client_id.clone(),
                addr: c.addr.clone(),
                version: c.version.clone(),
                placed: side == Side::Target,
            });
        }
    }
    let (Some(src), Some(dst)) = (&on_source, &on_target) else {
        let unknown: Vec<&str> = [(Side::Source, &on_source), (Side::Target, &on_target)]
            .iter()
            .filter(|(_, c)| c.is_none())
            .map(|(s, _)| s.name())
            .collect();
        return GroupTodo {
            group: group.to_string(),
            role,
            goal,
            done: false,
            summary: format!(
                "{noun}s of {group} on the {} are not known yet",
                unknown.join(" and the ")
            ),
            instances,
        };
    };
    let hosts = |cs: &[Client]| {
        cs.iter()
            .map(|c| host(&c.addr).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let total = src.len() + dst.len();
    let (done, summary) = match goal {
        Goal::SomeOnTarget if dst.is_empty() => (
            false,
            format!(
                "{group}: none on the target yet; {} on the source: {}",
                src.len(),
                hosts(src)
            ),
        ),
        Goal::SomeOnTarget => (
            true,
            format!(
                "{} of {total} instances of {group} on the target: {}",
                dst.len(),
                hosts(dst)
            ),
        ),
        Goal::AllOffSource if src.is_empty() => (
            true,
            format!(
                "no instance of {group} left on the source ({} on the target)",
                dst.len()
            ),
        ),
        Goal::AllOffSource => (
            false,
            format!(
                "{} of {total} instances of {group} still on the source: {}",
                src.len(),
                hosts(src)
            ),
        ),
    };
    GroupTodo {
        group: group.to_string(),
        role,
        goal,
        done,
        summary,
        instances,
    }
}

/// What the wizard waits to observe, as a sentence.
pub fn waiting(verdict: Option<&Verdict>) -> String {
    let Some(v) = verdict else {
        return "Nothing: this step is complete.".into();
    };
    if v.opens() {
        return format!("Nothing: the gate is open. Press Enter to {}.", v.action);
    }
    // The sentence only: the gate panel (and `status`) shows the check with its evidence.
    if let Some(c) = v.failing().next() {
        return format!("Waiting for {}.", observe(&c.kind));
    }
    match v.unacknowledged().next() {
        Some(w) => format!("Waiting for you to acknowledge (press a): {}", w.text),
        None => "Waiting for the gate's next evaluation.".into(),
    }
}

/// What a check waits to observe, in words.
fn observe(kind: &CheckKind) -> String {
    use CheckKind::*;
    match kind {
        Fresh { side } => format!("fresh data from the {side} cluster"),
        StepDone { step } => format!("the {} step to be completed first", step.name()),
        BatchDone { batch } => format!("batch '{batch}' to be done"),
        TopicExists { side, topic } => format!("topic {topic} to exist on the {side}"),
        GroupExists { side, group } => format!("group {group} to exist on the {side}"),
        ConsumersSubscribed { side, group } => {
            format!("a consumer of {group} on the {side}, subscribed to its topics")
        }
        NoConsumers { side, group } => format!("the last consumer of {group} to leave the {side}"),
        ProducersOnline { side, group } => format!("a producer of {group} on the {side}"),
        NoProducers { side, group } => format!("every producer of {group} to leave the {side}"),
        TopicProducersOnline { side, topic } => {
            format!("a producer of topic {topic} on the {side}")
        }
        NoTopicProducers { side, topic } => {
            format!("every producer of topic {topic} to leave the {side}")
        }
        BacklogAtMost { side, group } => format!("the backlog of {group} on the {side} to drain"),
        Settled { side, batch } => {
            format!("batch '{batch}' to stay quiet on the {side} for the settle window")
        }
        BrokerInRoute { side, broker } => {
            format!("broker {broker} to serve the batch on the {side} again (or to be retired, R)")
        }
        NothingPending { side, broker } => {
            format!("the messages broker {broker} holds for later on the {side} to be delivered")
        }
        HalfResolved { side, broker } => {
            format!("the transactions broker {broker} holds on the {side} to resolve")
        }
        PendingRead { side } => format!("the {side}'s pending messages to be readable"),
        OnlyPlannedConsumers { side, topic } => {
            format!("only the plan's groups to consume {topic} on the {side}")
        }
        OnlyBatchTopics { side, group } => {
            format!("{group} to consume only its batch's topics on the {side}")
        }
        FiltersCover { group, topic } => {
            format!(
                "the target consumers of {group} to receive every message of {topic} the source ones do"
            )
        }
        Capacity { side, of } => format!("room on the {side} for the plan's {}", of.name()),
        ClockAgrees { side } => format!("the local clock to agree with the {side}'s API"),
        ReadsAnswered { side } => format!("every read the gates need to be answered on the {side}"),
        Servers { side } => format!("what serves the {side} (brokers and versions) to be known"),
        TaskStage { topic } => format!("the migration task to hold {topic} at the batch's stage"),
    }
}

/// The runbook of every batch of the plan that is under way (for `status`).
pub fn batches(wizard: &Wizard, now_ms: crate::clock::Millis) -> Vec<(String, Now)> {
    let plan: &Plan = &wizard.plan;
    plan.batches
        .iter()
        .filter(|b| !matches!(wizard.progress.stage(&b.name), Stage::Done))
        .map(|b| {
            let step = Step::Batch(b.name.clone());
            let v = wizard.forward_verdict(&step, now_ms).map(|(_, v)| v);
            (b.name.clone(), now(wizard, &step, v.as_ref()))
        })
        .collect()
}

/// What the applications of a batch need to reach the new cluster, ready to paste: the address
/// (the plan's NameServers, or the endpoints the TDMQ API reports), the names they must use, and
/// which credentials (never a secret: the wizard does not hold the applications' ones).
pub fn client_settings(plan: &Plan, target: Option<&Snapshot>, batch: &Batch) -> String {
    use crate::plan::{ClusterKind, TdmqProduct};
    let spec = &plan.target;
    let mut o = format!(
        "# Clients of batch '{}' on the new cluster '{}'\n",
        batch.name, spec.name
    );
    let reported = || -> Vec<String> {
        match target.filter(|s| s.unreachable.is_none()) {
            None => {
                vec!["# address: not known until the target is read (the API reports it)".into()]
            }
            Some(s) if s.endpoints.is_empty() => {
                vec!["# address: the API reported none; see the cluster's access points in the TDMQ console".into()]
            }
            Some(s) => s
                .endpoints
                .iter()
                .map(|e| format!("namesrvAddr={}   # {} network", e.address, e.network))
                .collect(),
        }
    };
    let (addresses, credentials): (Vec<String>, String) = match &spec.kind {
        ClusterKind::Remoting(r) => (
            vec![
                format!("namesrvAddr={}", r.namesrv.join(";")),
                if r.tls.is_some() {
                    "# TLS: on (in the client: setUseTLS(true), or -Dtls.enable=true)"
                        .into()
                } else {
                    "# TLS: off".into()
                },
            ],
            match &r.acl {
                Some(_) => "# credentials: each application's own ACL account (AccessKey and SecretKey) with the rights to produce or consume these topics and groups".into(),
                None => "# credentials: none (the plan names no ACL account for this cluster)".into(),
            },
        ),
        ClusterKind::Tdmq(t) => match &t.product {
            TdmqProduct::V4 { .. } => (
                reported(),
                "# credentials: a role of the cluster with produce/consume permission on the namespace: AccessKey = the role's token, SecretKey = the role name (TDMQ console, role management)".into(),
            ),
            TdmqProduct::V5 { .. } => (
                reported(),
                "# credentials: if the instance has ACL on, a role's AccessKey and SecretKey with produce/consume permission (TDMQ console, access management)".into(),
            ),
        },
        ClusterKind::Rehearsal(_) => (
            vec!["# the rehearsal's simulated applications move by themselves".into()],
            String::new(),
        ),
    };
    for a in addresses {
        o.push_str(&format!("{a}\n"));
    }
    let named = |n: &String| crate::plan::client_name(spec.kind.namespace(), n);
    let list = |names: Vec<String>| names.join(", ");
    o.push_str(&format!(
        "topics: {}\n",
        list(batch.topics.iter().map(named).collect())
    ));
    o.push_str(&format!(
        "consumer groups: {}\n",
        list(batch.groups.iter().map(|g| named(&g.name)).collect())
    ));
    if !batch.producer_groups.is_empty() {
        o.push_str(&format!(
            "producer groups: {}\n",
            list(batch.producer_groups.iter().map(named).collect())
        ));
    }
    if !credentials.is_empty() {
        o.push_str(&format!("{credentials}\n"));
    }
    o
}
