//! What the operator does now, in the applications, for the selected step: a checklist of the
//! application instances to move, built from the live connections and ticked as each leaves the
//! source or appears on the target, and what the wizard waits to observe, as sentences. Pure:
//! the now box and `status` render it.

use crate::gate::Move;
use crate::model::{CheckKind, Client, Known, Snapshot, Verdict};
use crate::plan::{Batch, Plan, Side};
use crate::stage::{Stage, Step};
use crate::wizard::{Progress, Wizard};
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

/// Who reads the runbook: it says how they take each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The operator at the wizard's keys.
    Driver,
    /// A shift lead beside the driver (`run --watch`), who presses nothing.
    Watcher,
    /// An operator at the command line (`status`, `advance`).
    Command,
}

impl Reader {
    /// How the step is taken, as the middle of a sentence: "press Enter".
    fn take(self, step: &Step) -> String {
        match self {
            Reader::Driver => "press Enter".into(),
            Reader::Watcher => "the driver presses Enter".into(),
            Reader::Command => format!("run `rocketmq-migrate advance {}`", step.arg()),
        }
    }

    /// Where the target's client settings for a batch are, to follow "on the new cluster"
    /// (short on screen, where the checklist needs the lines).
    fn settings(self, step: &Step) -> String {
        match self {
            Reader::Driver | Reader::Watcher => " (settings: p)".into(),
            Reader::Command => format!(
                ", with the settings `rocketmq-migrate client-settings {}` prints",
                step.arg()
            ),
        }
    }

    /// How the plan's metadata is created on the target.
    fn sync(self) -> &'static str {
        match self {
            Reader::Driver => "press s, read the list, confirm",
            Reader::Watcher => "the driver presses s, reads the list, confirms",
            Reader::Command => "run `rocketmq-migrate sync-metadata`, read the list, confirm",
        }
    }
}

/// The sentence-initial form of a phrase.
fn capitalised(phrase: &str) -> String {
    let mut c = phrase.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// What to do for `step` in the state `progress` describes, in sentences: the runbook's
/// instruction, without the checklist (which needs the clusters).
pub fn instruction(plan: &Plan, progress: &Progress, step: &Step, reader: Reader) -> String {
    let take = reader.take(step);
    match step {
        Step::Preflight if progress.preflight.is_some() => "Preflight is complete.".into(),
        Step::Preflight => format!(
            "Check that both clusters answer with fresh data and read the preflight lines; then {take} to complete preflight."
        ),
        Step::Metadata if progress.metadata.is_some() => "Metadata is complete.".into(),
        Step::Metadata => format!(
            "Create the plan's topics and groups on the target ({}); then {take} to confirm metadata.",
            reader.sync()
        ),
        Step::Finish if progress.finished.is_some() => FINISHED.into(),
        Step::Finish => {
            format!("When every batch is done, {take} to finish the migration.")
        }
        Step::Batch(name) if plan.batch(name).is_none() => {
            format!("Batch '{name}' is not in the plan.")
        }
        Step::Batch(name) => batch_instruction(name, progress.stage(name), reader, step),
    }
}

const FINISHED: &str = "The migration is finished.";

/// What to do for a batch at `stage`, as `reader` takes its step.
fn batch_instruction(name: &str, stage: Stage, reader: Reader, step: &Step) -> String {
    let (take, settings) = (reader.take(step), reader.settings(step));
    match stage {
        Stage::NotStarted => format!(
            "Restart SOME consumers of batch '{name}' (one or more per group; the rest stay) on the new cluster{settings}. Then {take}."
        ),
        Stage::DoubleRead => format!(
            "Restart EVERY producer of batch '{name}' on the new cluster{settings}, in rounds if you like; consumers read both clusters. Then {take}."
        ),
        Stage::DoubleWrite => format!(
            "Keep the remaining consumers of batch '{name}' running on the source: they drain it. Once no producer is left there, {take}."
        ),
        Stage::Draining => format!(
            "Once the source is drained for the settle window, move the REMAINING consumers of batch '{name}' to the new cluster{settings}. Then {take}."
        ),
        Stage::TargetOnly => format!(
            "Every client of batch '{name}' uses the new cluster. Once nothing is left on the source, {take} to mark it done."
        ),
        Stage::Done => format!("Batch '{name}' is complete."),
    }
}

/// What was done and what to do next, once `made` has taken `step`, for the progress before
/// or after the move (the move changes nothing this reads: the stage reached is `made`'s). A
/// forward move is followed by the runbook of where it leads; a rewind by its own words, since
/// the runbook walks forward only.
pub fn after_move(
    plan: &Plan,
    progress: &Progress,
    step: &Step,
    made: Move,
    reader: Reader,
) -> String {
    match (step, made.stages()) {
        (Step::Batch(b), Some((from, to))) => {
            let next = match made.rewind_instruction(b) {
                Some(back) => format!("Next: {back}"),
                None if to == Stage::Done => batch_instruction(b, to, reader, step),
                None => format!("Next: {}", batch_instruction(b, to, reader, step)),
            };
            format!("{step}: {} done ({from} -> {to}). {next}", made.name())
        }
        (Step::Preflight, _) => format!(
            "Preflight complete. Next: {}",
            instruction(plan, progress, &Step::Metadata, reader)
        ),
        (Step::Metadata, _) => {
            let open = (plan.batches.iter()).find(|b| progress.stage(&b.name) != Stage::Done);
            let next = open.map_or(Step::Finish, |b| Step::Batch(b.name.clone()));
            format!(
                "Metadata complete. Next: {}",
                instruction(plan, progress, &next, reader)
            )
        }
        _ => "Migration finished: nothing of the plan is connected to the source any more.".into(),
    }
}

/// The runbook of `step`, from the wizard's state and the step's gate (`None`: complete).
pub fn now(wizard: &Wizard, step: &Step, verdict: Option<&Verdict>, reader: Reader) -> Now {
    let instruction = instruction(&wizard.plan, &wizard.progress, step, reader);
    let waiting = waiting(step, verdict, reader);
    let (checklist, stop) = match step {
        Step::Batch(name) => match wizard.plan.batch(name) {
            Some(b) => checklist(wizard, b, wizard.progress.stage(name)),
            None => (vec![], false),
        },
        _ => (vec![], false),
    };
    Now {
        instruction,
        how_to_stop: (stop && !checklist.is_empty()).then(|| STOP_GRACEFULLY.to_string()),
        checklist,
        waiting,
    }
}

/// The instances a batch's stage moves, and whether they are restarted (so stopped first).
fn checklist(wizard: &Wizard, b: &Batch, stage: Stage) -> (Vec<GroupTodo>, bool) {
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
    match stage {
        Stage::NotStarted => (consumers(Goal::SomeOnTarget), true),
        Stage::DoubleRead => (producers(), true),
        Stage::DoubleWrite => (producers(), false),
        Stage::Draining => (consumers(Goal::AllOffSource), true),
        Stage::TargetOnly => (consumers(Goal::AllOffSource), false),
        Stage::Done => (vec![], false),
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

/// What the wizard waits to observe before `step` can be taken, as a sentence.
pub fn waiting(step: &Step, verdict: Option<&Verdict>, reader: Reader) -> String {
    let Some(v) = verdict else {
        return "Nothing: this step is complete.".into();
    };
    if v.opens() {
        return match reader {
            Reader::Watcher => format!("Nothing: the gate is open; the driver can {}.", v.action),
            _ => format!(
                "Nothing: the gate is open. {} to {}.",
                capitalised(&reader.take(step)),
                v.action
            ),
        };
    }
    // The sentence only: the gate panel (and `status`) shows the check with its evidence.
    if let Some(c) = v.failing().next() {
        return format!("Waiting for {}.", observe(&c.kind));
    }
    match v.unacknowledged().next() {
        Some(w) => match reader {
            Reader::Driver => format!("Waiting for you to acknowledge (press a): {}", w.text),
            Reader::Watcher => format!("Waiting for the driver to acknowledge: {}", w.text),
            Reader::Command => format!(
                "Waiting for you to acknowledge (--ack {}): {}",
                w.id(),
                w.text
            ),
        },
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
