//! A rehearsal of the operator's own plan (`demo --plan`): the plan's batches, topics and groups
//! on two simulated clusters, so the night's exact steps can be practised. Rates and instance
//! counts are invented (said in the scenario's header); nothing else of the plan is changed,
//! except that a batch naming no producer group gets a simulated one, since something has to
//! write its topics. Pure: the caller writes the two texts.

use crate::plan::{Batch, Plan};
use std::collections::BTreeSet;
use toml::{Table, Value};

/// Instances and rates the rehearsal invents for every group.
const CONSUMER_INSTANCES: i64 = 2;
const CONSUMER_RATE: f64 = 30.0;
const INITIAL_BACKLOG: i64 = 200;
const PRODUCER_INSTANCES: i64 = 2;
const PRODUCER_RATE: f64 = 5.0;

/// The producer group a batch without one gets in the rehearsal.
pub fn simulated_producer(batch: &Batch) -> String {
    format!(
        "PID_REHEARSAL_{}",
        batch.name.to_uppercase().replace('-', "_")
    )
}

fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(items.into_iter().cloned().map(Value::String).collect())
}

/// The rehearsal plan (both sides simulated, the scenario beside it) and its scenario.
pub fn rehearsal_of(plan: &Plan, source: &str) -> (String, String) {
    let mut out = Table::new();
    for (side, name) in [("source", "old (rehearsal)"), ("target", "new (rehearsal)")] {
        let mut c = Table::new();
        c.insert("kind".into(), "rehearsal".into());
        c.insert("name".into(), name.into());
        c.insert("scenario".into(), "scenario.toml".into());
        out.insert(side.into(), Value::Table(c));
    }
    let g = &plan.gates;
    let mut gates = Table::new();
    gates.insert("max_backlog".into(), Value::Integer(g.max_backlog as i64));
    for (k, d) in [
        ("settle_window", g.settle_window),
        ("stale_after", g.stale_after),
        ("poll_interval", g.poll_interval),
    ] {
        gates.insert(k.into(), humantime::format_duration(d).to_string().into());
    }
    out.insert("gates".into(), Value::Table(gates));

    let mut scenario = Table::new();
    let (mut topics, mut producers, mut consumers) = (vec![], vec![], vec![]);
    let mut batches = vec![];
    for b in &plan.batches {
        let mut t = Table::new();
        t.insert("name".into(), b.name.clone().into());
        t.insert("topics".into(), strings(&b.topics));
        t.insert(
            "consumer_groups".into(),
            strings(b.groups.iter().map(|g| &g.name)),
        );
        let producer_groups = if b.producer_groups.is_empty() {
            vec![simulated_producer(b)]
        } else {
            b.producer_groups.clone()
        };
        t.insert("producer_groups".into(), strings(&producer_groups));
        let all: BTreeSet<&String> = b.topics.iter().collect();
        let subs: Table = (b.groups.iter())
            .filter(|g| g.topics.iter().collect::<BTreeSet<_>>() != all)
            .map(|g| (g.name.clone(), strings(&g.topics)))
            .collect();
        if !subs.is_empty() {
            t.insert("subscriptions".into(), Value::Table(subs));
        }
        if !b.left_behind.is_empty() {
            let left: Table = (b.left_behind.iter())
                .map(|(g, why)| (g.clone(), why.clone().into()))
                .collect();
            t.insert("left_behind".into(), Value::Table(left));
        }
        if !b.topic_types.is_empty() {
            let types: Table = (b.topic_types.iter())
                .map(|(t, k)| (t.clone(), k.name().into()))
                .collect();
            t.insert("topic_types".into(), Value::Table(types));
        }
        batches.push(Value::Table(t));

        for name in &b.topics {
            let mut s = Table::new();
            s.insert("name".into(), name.clone().into());
            topics.push(Value::Table(s));
        }
        for p in &producer_groups {
            let mut s = Table::new();
            s.insert("group".into(), p.clone().into());
            s.insert("topics".into(), strings(&b.topics));
            s.insert("instances".into(), Value::Integer(PRODUCER_INSTANCES));
            s.insert("rate".into(), Value::Float(PRODUCER_RATE));
            producers.push(Value::Table(s));
        }
        for group in &b.groups {
            let mut s = Table::new();
            s.insert("group".into(), group.name.clone().into());
            s.insert("topics".into(), strings(&group.topics));
            s.insert("instances".into(), Value::Integer(CONSUMER_INSTANCES));
            s.insert("rate".into(), Value::Float(CONSUMER_RATE));
            s.insert("initial_backlog".into(), Value::Integer(INITIAL_BACKLOG));
            consumers.push(Value::Table(s));
        }
    }
    out.insert("batch".into(), Value::Array(batches));
    scenario.insert("topic".into(), Value::Array(topics));
    scenario.insert("producer".into(), Value::Array(producers));
    scenario.insert("consumer".into(), Value::Array(consumers));

    let plan_text = format!(
        "# A rehearsal of {source}: its batches, topics and groups on two simulated clusters.\n# Nothing here touches a real cluster.\n\n{}",
        toml::to_string(&out).unwrap_or_default()
    );
    let scenario_text = format!(
        "# The simulated applications of {source}'s groups. Rates and instance counts are\n# invented ({CONSUMER_INSTANCES} instances of each consumer group at {CONSUMER_RATE} msg/s, {INITIAL_BACKLOG} messages\n# of backlog; {PRODUCER_INSTANCES} instances of each producer group at {PRODUCER_RATE} msg/s per topic): edit them to match yours.\n\n{}",
        toml::to_string(&scenario).unwrap_or_default()
    );
    (plan_text, scenario_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::rehearsal::Scenario;
    use std::path::Path;

    const PLAN: &str = "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.9.0.1:9876\"]\n[gates]\nsettle_window = \"2m\"\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\", \"T_PAY\"]\nconsumer_groups = [\"G_A\", \"G_B\"]\nproducer_groups = [\"P_ORDER\"]\n[batch.subscriptions]\nG_B = [\"T_PAY\"]\n[batch.left_behind]\nG_AUDIT = \"reads the archive\"\n[batch.topic_types]\nT_PAY = \"TRANSACTION\"\n[[batch]]\nname = \"stock-sync\"\ntopics = [\"T_STOCK\"]\nconsumer_groups = [\"G_S\"]\n";

    #[test]
    fn the_rehearsal_keeps_the_plans_batches_and_invents_only_the_applications() {
        let plan = Plan::parse(Path::new("migration.toml"), PLAN).unwrap();
        let (plan_text, scenario_text) = rehearsal_of(&plan, "migration.toml");
        let r = Plan::parse(Path::new("rehearsal/migration.toml"), &plan_text)
            .unwrap_or_else(|e| panic!("{e}\n{plan_text}"));
        assert_eq!(r.source.kind.name(), "rehearsal");
        assert_eq!(r.gates.settle_window, plan.gates.settle_window);
        let (orders, stock) = (&r.batches[0], &r.batches[1]);
        assert_eq!(orders.topics, plan.batches[0].topics);
        assert_eq!(orders.groups, plan.batches[0].groups);
        assert_eq!(orders.producer_groups, ["P_ORDER"]);
        assert_eq!(orders.left_behind, plan.batches[0].left_behind);
        assert_eq!(orders.topic_types, plan.batches[0].topic_types);
        // A batch without producer groups gets a simulated one, named as such.
        assert_eq!(stock.producer_groups, ["PID_REHEARSAL_STOCK_SYNC"]);

        let s = Scenario::parse("scenario.toml", &scenario_text)
            .unwrap_or_else(|e| panic!("{e}\n{scenario_text}"));
        let names: Vec<&str> = s.topics.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["T_ORDER", "T_PAY", "T_STOCK"]);
        let b = s.consumers.iter().find(|c| c.group == "G_B").unwrap();
        assert_eq!(
            (b.topics.as_slice(), b.instances),
            (&["T_PAY".to_string()][..], 2)
        );
        assert!(scenario_text.contains("invented"));
    }
}
