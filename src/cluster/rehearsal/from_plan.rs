//! A rehearsal of the operator's own plan (`demo --plan`): the plan's batches, topics and groups
//! on two simulated clusters, so the night's exact steps can be practised. Rates, instance
//! counts, backlogs and client versions are measured on the source where a reading is given, and
//! invented otherwise (the scenario's header says which); nothing else of the plan is changed,
//! except that a batch naming no producer group gets a simulated one, since something has to
//! write its topics. Pure: the caller writes the two texts.

use super::measured::Measured;
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

/// The groups writing a batch's topics in the rehearsal.
pub fn writers(b: &Batch) -> Vec<String> {
    if b.producer_groups.is_empty() {
        vec![simulated_producer(b)]
    } else {
        b.producer_groups.clone()
    }
}

/// A figure measured, or the invented one; `said` collects what was measured, in words.
fn figure<T: Copy + std::fmt::Display>(
    measured: Option<T>,
    invented: T,
    said: &mut Vec<String>,
    words: impl Fn(T) -> String,
) -> T {
    match measured {
        Some(v) => {
            said.push(words(v));
            v
        }
        None => invented,
    }
}

/// The rehearsal plan (both sides simulated, the scenario beside it) and its scenario, with the
/// applications' figures from `measured` where it has them.
pub fn rehearsal_of(plan: &Plan, source: &str, measured: Option<&Measured>) -> (String, String) {
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
    // Per group, what was measured (in words).
    let mut account: Vec<(String, Vec<String>)> = vec![];
    for b in &plan.batches {
        let mut t = Table::new();
        t.insert("name".into(), b.name.clone().into());
        t.insert("topics".into(), strings(&b.topics));
        t.insert(
            "consumer_groups".into(),
            strings(b.groups.iter().map(|g| &g.name)),
        );
        let producer_groups = writers(b);
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
            let m = measured.and_then(|m| m.producers.get(p)).cloned();
            let m = m.unwrap_or_default();
            let mut said = vec![];
            let instances = figure(m.instances, PRODUCER_INSTANCES as u32, &mut said, |n| {
                format!("{n} instance(s)")
            });
            let rate = figure(m.rate, PRODUCER_RATE, &mut said, |r| {
                format!("{r:.2} msg/s per instance and topic")
            });
            let mut s = Table::new();
            s.insert("group".into(), p.clone().into());
            s.insert("topics".into(), strings(&b.topics));
            s.insert("instances".into(), Value::Integer(i64::from(instances)));
            s.insert("rate".into(), Value::Float(rate));
            if let Some(v) = m.version {
                said.push(format!("client {v}"));
                s.insert("version".into(), v.into());
            }
            account.push((p.clone(), said));
            producers.push(Value::Table(s));
        }
        for group in &b.groups {
            let m = measured.and_then(|m| m.consumers.get(&group.name)).cloned();
            let m = m.unwrap_or_default();
            let mut said = vec![];
            let instances = figure(m.instances, CONSUMER_INSTANCES as u32, &mut said, |n| {
                format!("{n} instance(s)")
            });
            let rate = figure(m.rate, CONSUMER_RATE, &mut said, |r| {
                format!("{r:.2} msg/s per instance")
            });
            let backlog = figure(m.backlog, INITIAL_BACKLOG as u64, &mut said, |n| {
                format!("backlog {n}")
            });
            let mut s = Table::new();
            s.insert("group".into(), group.name.clone().into());
            s.insert("topics".into(), strings(&group.topics));
            s.insert("instances".into(), Value::Integer(i64::from(instances)));
            s.insert("rate".into(), Value::Float(rate));
            s.insert(
                "initial_backlog".into(),
                Value::Integer(i64::try_from(backlog).unwrap_or(i64::MAX)),
            );
            if let Some(v) = m.version {
                said.push(format!("client {v}"));
                s.insert("version".into(), v.into());
            }
            account.push((group.name.clone(), said));
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
    let invented = format!(
        "{CONSUMER_INSTANCES} instances of each consumer group at {CONSUMER_RATE} msg/s, {INITIAL_BACKLOG} messages\n# of backlog; {PRODUCER_INSTANCES} instances of each producer group at {PRODUCER_RATE} msg/s per topic"
    );
    let header = match measured {
        None => format!(
            "Rates and instance counts are\n# invented ({invented}): edit them to match yours."
        ),
        Some(m) => {
            let lines: Vec<String> = (account.iter())
                .map(|(g, said)| match said.as_slice() {
                    [] => format!("#   {g}: nothing measured"),
                    said => format!("#   {g}: {}", said.join(", ")),
                })
                .collect();
            format!(
                "{}:\n{}\n# Everything else is invented ({invented}): edit it to match yours.",
                m.header(),
                lines.join("\n")
            )
        }
    };
    let scenario_text = format!(
        "# The simulated applications of {source}'s groups. {header}\n\n{}",
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
        let (plan_text, scenario_text) = rehearsal_of(&plan, "migration.toml", None);
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

    #[test]
    fn measured_figures_replace_the_invented_ones_and_the_header_says_which() {
        use super::super::measured::{ConsumerFigures, ProducerFigures};
        let plan = Plan::parse(Path::new("migration.toml"), PLAN).unwrap();
        let measured = Measured {
            cluster: "old".into(),
            from: 0,
            to: 10_000,
            consumers: [(
                "G_A".to_string(),
                ConsumerFigures {
                    instances: Some(3),
                    rate: Some(12.5),
                    backlog: Some(40),
                    version: Some("V5_3_1".into()),
                },
            )]
            .into(),
            producers: [(
                "P_ORDER".to_string(),
                ProducerFigures {
                    instances: Some(4),
                    rate: None,
                    version: None,
                },
            )]
            .into(),
        };
        let (_, scenario_text) = rehearsal_of(&plan, "migration.toml", Some(&measured));
        let s = Scenario::parse("scenario.toml", &scenario_text)
            .unwrap_or_else(|e| panic!("{e}\n{scenario_text}"));
        let a = s.consumers.iter().find(|c| c.group == "G_A").unwrap();
        assert_eq!(
            (a.instances, a.rate, a.initial_backlog, a.version.as_str()),
            (3, 12.5, 40, "V5_3_1")
        );
        let b = s.consumers.iter().find(|c| c.group == "G_B").unwrap();
        assert_eq!((b.instances, b.rate), (2, CONSUMER_RATE));
        let p = s.producers.iter().find(|p| p.group == "P_ORDER").unwrap();
        assert_eq!((p.instances, p.rate), (4, PRODUCER_RATE));
        for line in [
            "# The simulated applications of migration.toml's groups. Measured on old between 1970-01-01T00:00:00",
            "#   P_ORDER: 4 instance(s)\n",
            "#   G_A: 3 instance(s), 12.50 msg/s per instance, backlog 40, client V5_3_1\n",
            "#   G_B: nothing measured\n",
            "# Everything else is invented (2 instances of each consumer group",
        ] {
            assert!(scenario_text.contains(line), "{line:?} in\n{scenario_text}");
        }
    }
}
