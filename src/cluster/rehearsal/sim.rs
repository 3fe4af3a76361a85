//! The simulated world, as a pure function of the scenario, the operator's timeline and the
//! clock: stepping one second at a time from the rehearsal's start. Every process computes the
//! same world, so a restarted wizard sees what the previous one saw.

use super::scenario::Scenario;
use crate::clock::Millis;
use crate::plan::Side;
use crate::stage::Stage;
use crate::wizard::Timeline;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Where an application instance is at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    On(Side),
    /// Being redeployed.
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Consumer,
    Producer,
}

const SIDES: [Side; 2] = [Side::Source, Side::Target];
const START_OFFSET: f64 = 100_000.0;
/// Beyond this the rehearsal starts its simulation later, to bound the work.
const MAX_STEPS: u64 = 7 * 24 * 3600;

fn ix(side: Side) -> usize {
    match side {
        Side::Source => 0,
        Side::Target => 1,
    }
}

/// What one group consumed in one second on one cluster: (cluster, group, per topic, retry).
type Consumption = (usize, String, Vec<(String, f64)>, f64);

#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    pub max: BTreeMap<String, f64>,
    pub consumed: BTreeMap<(String, String), f64>,
    pub committed: BTreeMap<(String, String), f64>,
    pub retry_max: BTreeMap<String, f64>,
    pub retry_consumed: BTreeMap<String, f64>,
    pub retry_committed: BTreeMap<String, f64>,
    pub tps: BTreeMap<String, f64>,
    /// (due second, group, count) of failed messages on their way to the retry topic.
    retry_pending: VecDeque<(u64, String, f64)>,
}

#[derive(Debug, Clone)]
pub struct Sim {
    pub scenario: Scenario,
    /// Which batch moves a consumer group / producer group (from the plan).
    batch_of_group: HashMap<String, String>,
    batch_of_producer: HashMap<String, String>,
    pub t0: Millis,
    pub timeline: Timeline,
    /// Seconds simulated since t0.
    pub step: u64,
    pub clusters: [ClusterState; 2],
}

impl Sim {
    pub fn new(
        scenario: Scenario,
        batch_of_group: HashMap<String, String>,
        batch_of_producer: HashMap<String, String>,
        t0: Millis,
    ) -> Sim {
        let mut sim = Sim {
            scenario,
            batch_of_group,
            batch_of_producer,
            t0,
            timeline: Timeline::default(),
            step: 0,
            clusters: Default::default(),
        };
        sim.reset(t0);
        sim
    }

    fn reset(&mut self, t0: Millis) {
        self.t0 = t0;
        self.step = 0;
        let mut src = ClusterState::default();
        for (i, t) in self.scenario.topics.iter().enumerate() {
            src.max
                .insert(t.name.clone(), START_OFFSET * (i + 1) as f64);
        }
        for c in &self.scenario.consumers {
            let n = c.topics.len().max(1) as f64;
            for t in &c.topics {
                let max = src.max.get(t).copied().unwrap_or(0.0);
                let at = max - (c.initial_backlog as f64 / n).floor();
                src.consumed.insert((c.group.clone(), t.clone()), at);
                src.committed.insert((c.group.clone(), t.clone()), at);
            }
        }
        self.clusters = [src, ClusterState::default()];
    }

    /// Replaces the operator's timeline; recomputes when it changes what was already simulated.
    pub fn follow(&mut self, timeline: &Timeline) {
        if &self.timeline == timeline {
            return;
        }
        let simulated_until = self.t0 + self.step * 1000;
        let rewrites_past = timeline
            .stage_changes
            .iter()
            .any(|c| c.at < simulated_until && !self.timeline.stage_changes.contains(c))
            || timeline
                .created
                .iter()
                .any(|c| c.at < simulated_until && !self.timeline.created.contains(c));
        let t0 = timeline.started_at.unwrap_or(self.t0);
        self.timeline = timeline.clone();
        if rewrites_past || t0 != self.t0 {
            self.reset(t0);
        }
    }

    fn stage_history(&self, batch: &str, t: Millis) -> Option<(Millis, Stage, Stage)> {
        self.timeline
            .stage_changes
            .iter()
            .rfind(|c| c.batch == batch && c.at <= t)
            .map(|c| (c.at, c.from, c.to))
    }

    fn home(role: Role, stage: Stage, idx: u32, n: u32) -> Side {
        let first = idx < (n / 2).max(1);
        let on_target = match (role, first) {
            (Role::Consumer, true) => stage >= Stage::DoubleRead,
            (Role::Consumer, false) => stage >= Stage::TargetOnly,
            // Producers all move during double write: the first half at once, the rest after them.
            (Role::Producer, _) => stage >= Stage::DoubleWrite,
        };
        if on_target {
            Side::Target
        } else {
            Side::Source
        }
    }

    fn redeploy_ms(&self, role: Role, group: &str, idx: u32, n: u32) -> Millis {
        let base = self.scenario.timing.redeploy.as_millis() as Millis;
        let second_round = if role == Role::Producer && idx >= (n / 2).max(1) {
            base
        } else {
            0
        };
        let straggle = match role {
            Role::Producer if n > 1 && idx == n - 1 => self
                .scenario
                .producers
                .iter()
                .find(|p| p.group == group)
                .and_then(|p| p.straggler_delay)
                .map_or(0, |d| d.as_millis() as Millis),
            _ => 0,
        };
        base + second_round + straggle
    }

    /// Where instance `idx` of `n` of a group is at `t`. During a redeploy the instance keeps
    /// running where it was for the first half, then is offline until it comes up on the other side.
    pub fn place(&self, role: Role, group: &str, idx: u32, n: u32, t: Millis) -> Place {
        let batches = match role {
            Role::Consumer => &self.batch_of_group,
            Role::Producer => &self.batch_of_producer,
        };
        let Some((at, from, to)) = batches.get(group).and_then(|b| self.stage_history(b, t)) else {
            return Place::On(Side::Source);
        };
        let before = Self::home(role, from, idx, n);
        let after = Self::home(role, to, idx, n);
        let delay = self.redeploy_ms(role, group, idx, n);
        if before == after || t >= at + delay {
            Place::On(after)
        } else if t < at + delay / 2 {
            Place::On(before)
        } else {
            Place::Offline
        }
    }

    /// Whether group membership on `side` changed within the rebalance pause before `t`.
    fn rebalancing(&self, group: &str, n: u32, side: Side, t: Millis) -> bool {
        let pause = self.scenario.timing.rebalance.as_millis() as Millis;
        let Some(batch) = self.batch_of_group.get(group) else {
            return false;
        };
        let Some((at, from, to)) = self.stage_history(batch, t) else {
            return false;
        };
        (0..n).any(|i| {
            let (a, b) = (
                Self::home(Role::Consumer, from, i, n),
                Self::home(Role::Consumer, to, i, n),
            );
            if a == b || (a != side && b != side) {
                return false;
            }
            let delay = self.redeploy_ms(Role::Consumer, group, i, n);
            let event = if a == side {
                at + delay / 2
            } else {
                at + delay
            };
            t >= event && t < event + pause
        })
    }

    pub fn exists_on(&self, side: Side, name: &str, scenario_says: bool, t: Millis) -> bool {
        side == Side::Source && scenario_says
            || side == Side::Target
                && (scenario_says
                    || self
                        .timeline
                        .created
                        .iter()
                        .any(|c| c.side == side && c.item.name() == name && c.at <= t))
    }

    pub fn topic_exists(&self, side: Side, topic: &str, t: Millis) -> bool {
        match self.scenario.topics.iter().find(|x| x.name == topic) {
            Some(ts) => self.exists_on(side, topic, side == Side::Source || ts.on_target, t),
            None => self.exists_on(side, topic, false, t),
        }
    }

    /// Whether the group's batch had its first consumers moved back from the target by `t`.
    pub fn first_consumers_rolled_back(&self, group: &str, t: Millis) -> bool {
        let Some(batch) = self.batch_of_group.get(group) else {
            return false;
        };
        self.timeline.stage_changes.iter().any(|c| {
            &c.batch == batch
                && c.at <= t
                && c.from == Stage::DoubleRead
                && c.to == Stage::NotStarted
        })
    }

    pub fn group_exists(&self, side: Side, group: &str, t: Millis) -> bool {
        match self.scenario.consumers.iter().find(|c| c.group == group) {
            Some(c) => self.exists_on(side, group, side == Side::Source || c.on_target, t),
            None => self.exists_on(side, group, false, t),
        }
    }

    /// Simulates up to `now` (whole seconds).
    pub fn advance_to(&mut self, now: Millis) {
        let target_step = now.saturating_sub(self.t0) / 1000;
        if target_step > MAX_STEPS && self.step == 0 {
            self.reset(now - MAX_STEPS * 1000);
        }
        while self.step < target_step.min(self.step + MAX_STEPS) {
            self.tick();
        }
    }

    fn tick(&mut self) {
        let k = self.step + 1;
        let t = self.t0 + k * 1000;
        let timing = self.scenario.timing.clone();
        let retry_delay_s = timing.retry_delay.as_secs().max(1);
        let commit_s = timing.offset_commit.as_secs().max(1);
        // Produce.
        let mut produced: [BTreeMap<String, f64>; 2] = Default::default();
        for p in &self.scenario.producers {
            for i in 0..p.instances {
                if let Place::On(side) = self.place(Role::Producer, &p.group, i, p.instances, t) {
                    for topic in p.topics.iter().filter(|tp| self.topic_exists(side, tp, t)) {
                        *produced[ix(side)].entry(topic.clone()).or_default() += p.rate;
                    }
                }
            }
        }
        // Consume, per cluster and group.
        let mut consumption: Vec<Consumption> = vec![];
        for side in SIDES {
            let c = ix(side);
            for (topic, n) in &produced[c] {
                *self.clusters[c].max.entry(topic.clone()).or_default() += n;
            }
            let st = &self.clusters[c];
            for g in &self.scenario.consumers {
                let online = (0..g.instances)
                    .filter(|i| {
                        self.place(Role::Consumer, &g.group, *i, g.instances, t) == Place::On(side)
                    })
                    .count();
                if online == 0 || self.rebalancing(&g.group, g.instances, side, t) {
                    consumption.push((c, g.group.clone(), vec![], 0.0));
                    continue;
                }
                let mut cap = online as f64 * g.rate;
                let mut takes = vec![];
                for topic in g.topics.iter().filter(|tp| self.topic_exists(side, tp, t)) {
                    let max = st.max.get(topic).copied().unwrap_or(0.0);
                    let done = st
                        .consumed
                        .get(&(g.group.clone(), topic.clone()))
                        .copied()
                        .unwrap_or(0.0);
                    let take = (max - done).max(0.0).min(cap);
                    cap -= take;
                    takes.push((topic.clone(), take));
                }
                let rmax = st.retry_max.get(&g.group).copied().unwrap_or(0.0);
                let rdone = st.retry_consumed.get(&g.group).copied().unwrap_or(0.0);
                let retry_take = (rmax - rdone).max(0.0).min(cap);
                consumption.push((c, g.group.clone(), takes, retry_take));
            }
        }
        for (c, group, takes, retry_take) in consumption {
            let ratio = self
                .scenario
                .consumers
                .iter()
                .find(|g| g.group == group)
                .map_or(0.0, |g| g.retry_ratio);
            let st = &mut self.clusters[c];
            let mut total = retry_take;
            let mut failed = 0.0;
            for (topic, take) in takes {
                *st.consumed.entry((group.clone(), topic)).or_default() += take;
                failed += take * ratio;
                total += take;
            }
            *st.retry_consumed.entry(group.clone()).or_default() += retry_take;
            if failed > 0.0 {
                st.retry_pending
                    .push_back((k + retry_delay_s, group.clone(), failed));
            }
            st.tps.insert(group, total);
        }
        for st in &mut self.clusters {
            while st
                .retry_pending
                .front()
                .is_some_and(|(due, _, _)| *due <= k)
            {
                if let Some((_, g, n)) = st.retry_pending.pop_front() {
                    *st.retry_max.entry(g).or_default() += n;
                }
            }
            if k.is_multiple_of(commit_s) {
                st.committed = st.consumed.clone();
                st.retry_committed = st.retry_consumed.clone();
            }
        }
        self.step = k;
    }
}
