//! A TDMQ for RocketMQ 5.x instance (`version = 5`) end to end against the local API server,
//! which checks every TC3 signature and answers the trocket actions with bodies built from the
//! published examples and SDK models (tests/fixtures/trocket/SOURCES.md): status, check,
//! sync-metadata with topic types, a batch through every stage with the refusals 5.x evidence
//! gives, paging past 100, rate limits, wrong keys and ids. Secrets never show.

mod support;

use rocketmq_migrate::cluster::tdmq::instance::InstanceCluster;
use rocketmq_migrate::cluster::{Cluster, Outcome};
use rocketmq_migrate::metadata::MetadataItem;
use rocketmq_migrate::model::{CheckKind, Counted, Known, Snapshot, TopicMessageType};
use rocketmq_migrate::plan::{ClusterKind, Plan, Secret, Side, TdmqProduct};
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use support::servers::MqCluster;
use support::tdmq_server::{SECRET_ID, SECRET_KEY, Server};
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");
const INSTANCE: &str = "rmq-5xtest";

fn target(server: &Server, instance_id: &str) -> String {
    format!(
        "[target]\nkind = \"tdmq\"\nname = \"tdmq5\"\nversion = 5\nregion = \"ap-guangzhou\"\ninstance_id = \"{instance_id}\"\nsecret_id = \"{SECRET_ID}\"\nsecret_key_env = \"TDMQ_TEST_SK\"\nendpoint = \"{}\"\ntimeout = \"3s\"\n",
        server.url
    )
}

fn run(plan: &std::path::Path, sk: &str, args: &[&str]) -> Output {
    let o = Command::new(BIN)
        .arg("-c")
        .arg(plan)
        .args(args)
        .env("TDMQ_TEST_SK", sk)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = text(&o);
    assert!(
        !out.contains(SECRET_KEY),
        "the SecretKey never shows: {out}"
    );
    o
}

/// The plan's 5.x target as a client of the local server, and a runtime to drive it.
fn client(plan: &Plan) -> (InstanceCluster, tokio::runtime::Runtime) {
    let ClusterKind::Tdmq(spec) = &plan.target.kind else {
        panic!("the target is not TDMQ")
    };
    let TdmqProduct::V5 { instance_id } = &spec.product else {
        panic!("the target is not a 5.x instance")
    };
    let c = InstanceCluster::new(&plan.target, spec, instance_id, Secret::new(SECRET_KEY)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (c, rt)
}

/// The gate test plan (support::PLAN: batches orders and stock) with the 5.x target.
fn gate_plan(server: &Server) -> Plan {
    let text = format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:1\"]\n{}[gates]\nmax_backlog = 0\nsettle_window = \"60s\"\nstale_after = \"30s\"\npoll_interval = \"5s\"\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\", \"T_PAY\"]\nconsumer_groups = [\"G_A\", \"G_B\"]\nproducer_groups = [\"P_ORDER\"]\n[batch.subscriptions]\nG_B = [\"T_PAY\"]\n[[batch]]\nname = \"stock\"\ntopics = [\"T_STOCK\"]\nconsumer_groups = [\"G_S\"]\n",
        target(server, INSTANCE)
    );
    Plan::parse(std::path::Path::new("t5.toml"), &text).unwrap()
}

/// A snapshot of the instance stamped at `now` (the harness's clock, ahead of the real one).
fn observe(
    h: &mut Harness,
    c: &InstanceCluster,
    rt: &tokio::runtime::Runtime,
    plan: &Plan,
    now: u64,
) {
    let mut s: Snapshot = rt.block_on(c.snapshot(&plan.scope()));
    assert_eq!(s.unreachable, None);
    assert_eq!(s.errors, vec![], "a complete snapshot");
    (s.started_at, s.taken_at) = (now, now);
    h.observe(s, now);
}

/// The verdict of the move just made, as journaled.
fn passed(h: &Harness) -> &rocketmq_migrate::model::Verdict {
    use rocketmq_migrate::journal::Entry;
    h.entries()
        .filter_map(|e| match e {
            Entry::StepCompleted { verdict, .. } | Entry::StageChanged { verdict, .. } => {
                Some(verdict)
            }
            _ => None,
        })
        .last()
        .expect("a move was journaled")
}

/// The target's line of `status --json`.
fn target_view(o: &Output) -> Value {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)));
    (v["clusters"].as_array().into_iter().flatten())
        .find(|c| c["side"] == "target")
        .cloned()
        .unwrap_or_else(|| panic!("no target in {v}"))
}

/// One batch through every stage on 5.x evidence: consumers and their expressions, producers per
/// topic arriving on the target, capacity at preflight.
#[test]
fn a_batch_moves_through_every_stage_on_5x_evidence() {
    let server = Server::start_instance(INSTANCE);
    {
        let mut st = server.state.lock().unwrap();
        for t in ["T_ORDER", "T_PAY", "T_STOCK"] {
            st.add_instance_topic(t, "NORMAL", 8, 10);
        }
        st.add_instance_group("G_A", &[], 0);
        st.add_instance_group("G_B", &[], 0);
        st.add_instance_group("G_S", &[], 0);
        // 250 more groups: the group list takes three pages of 100.
        for i in 0..250 {
            st.add_instance_group(&format!("G_OTHER_{i:03}"), &[], 0);
        }
    }
    let plan = gate_plan(&server);
    let (c, rt) = client(&plan);
    let mut h = Harness::with(plan.clone());
    let mut now = rocketmq_migrate::clock::now();

    // Preflight: the instance has room (its limits are evidence); metadata is complete.
    h.observe(source_start(now).build(), now);
    observe(&mut h, &c, &rt, &plan, now);
    let o = h.advance("preflight", now);
    assert!(moved(&o), "{}", reasons(&o));
    let v = passed(&h);
    let room = check(
        v,
        &CheckKind::Capacity {
            side: Side::Target,
            of: Counted::Groups,
        },
    );
    assert!(
        room.summary.contains("253 of 1000 used, 0 to create"),
        "{}",
        room.summary
    );
    assert!(moved(&h.advance("metadata", now)));
    assert!(moved(&h.advance("orders", now)));

    // Producers are refused until 5.x shows consumers subscribed on the target...
    let r = reasons(&h.advance("orders", now));
    assert!(
        r.contains("consumer group G_A has no consumer online on target"),
        "{r}"
    );
    {
        let mut st = server.state.lock().unwrap();
        st.add_instance_group("G_A", &[("T_ORDER", "TagA", 0), ("T_PAY", "*", 0)], 2);
        st.add_instance_group("G_B", &[("T_PAY", "*", 0)], 1);
    }
    observe(&mut h, &c, &rt, &plan, now);
    // ... and while a target expression receives less than the source's (5.x shows them).
    let r = reasons(&h.advance("orders", now));
    assert!(
        r.contains("G_A subscribes T_ORDER with tag TagA on the target but tag * on the source"),
        "{r}"
    );
    server.state.lock().unwrap().add_instance_group(
        "G_A",
        &[("T_ORDER", "*", 0), ("T_PAY", "*", 0)],
        2,
    );
    observe(&mut h, &c, &rt, &plan, now);
    let o = h.advance("orders", now);
    assert!(moved(&o), "producers released: {}", reasons(&o));

    // Drain: no producer writes the batch's topics on the target yet (a line to acknowledge
    // per topic), and the source still has P_ORDER's producers (a refusal).
    let r = reasons(&h.advance("orders", now));
    assert!(
        r.contains("no producer writes T_ORDER on target now"),
        "{r}"
    );
    assert!(
        r.contains("2 producer(s) of P_ORDER still connected to source"),
        "{r}"
    );
    {
        let mut st = server.state.lock().unwrap();
        st.set_producers("T_ORDER", 2);
        st.set_producers("T_PAY", 1);
    }
    observe(&mut h, &c, &rt, &plan, now);
    h.observe(drained_source(now).build(), now);
    let o = h.advance("orders", now);
    assert!(moved(&o), "drain: {}", reasons(&o));
    let v = passed(&h);
    let arrived = check(
        v,
        &CheckKind::TopicProducersOnline {
            side: Side::Target,
            topic: "T_ORDER".into(),
        },
    );
    assert_eq!(
        arrived.summary,
        "2 producer(s) of topic T_ORDER online on target"
    );
    assert_eq!(arrived.evidence[0].cluster, "tdmq5");

    // Remaining consumers: the source has drained and held still for the settle window.
    let r = reasons(&h.advance("orders", now));
    assert!(r.contains("settle") || r.contains("quiet"), "{r}");
    now += 61_000;
    h.observe(drained_source(now).build(), now);
    observe(&mut h, &c, &rt, &plan, now);
    let o = h.advance("orders", now);
    assert!(moved(&o), "remaining consumers: {}", reasons(&o));
    h.observe(emptied_source(now).build(), now);
    observe(&mut h, &c, &rt, &plan, now);
    let o = h.advance("orders", now);
    assert!(moved(&o), "done: {}", reasons(&o));

    let calls = &server.state.lock().unwrap().calls;
    let pages = calls
        .iter()
        .filter(|(a, _)| a == "DescribeConsumerGroupList")
        .count();
    assert!(pages >= 3, "the group list is read in pages: {pages}");
    assert!(calls.iter().all(|(_, p)| {
        p.get("Limit")
            .is_none_or(|l| l.as_u64().unwrap_or(0) <= 100)
    }));
}

/// A plan larger than the instance's limits is refused at preflight, with the numbers.
#[test]
fn preflight_refuses_a_plan_larger_than_the_instance() {
    let server = Server::start_instance(INSTANCE);
    {
        let mut st = server.state.lock().unwrap();
        st.instance.topic_num_limit = 2;
        st.add_instance_topic("T_ORDER", "NORMAL", 8, 0);
        st.add_instance_topic("T_OTHER", "NORMAL", 8, 0);
    }
    let plan = gate_plan(&server);
    let (c, rt) = client(&plan);
    let mut h = Harness::with(plan.clone());
    let now = rocketmq_migrate::clock::now();
    h.observe(source_start(now).build(), now);
    observe(&mut h, &c, &rt, &plan, now);
    let r = reasons(&h.advance("preflight", now));
    assert!(
        r.contains("tdmq5 holds 2 of at most 2 topics and the plan creates 2 more"),
        "{r}"
    );
}

fn source_with_topics(source: &MqCluster) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = rocketmq_migrate::cluster::remoting::admin::Admin::new(Default::default(), None);
    rt.block_on(async {
        for (t, order) in [("T_FIFO", true), ("T_PLAIN", false), ("T_DELAY", false)] {
            let cfg = rocketmq_migrate::model::TopicConfig {
                read_queues: 4,
                write_queues: 4,
                perm: 6,
                order,
                message_type: None,
            };
            admin
                .create_topic(&source.broker_addr, t, &cfg)
                .await
                .unwrap();
        }
        let g = rocketmq_migrate::model::GroupConfig {
            broadcast: false,
            orderly: true,
            retry_queues: Some(1),
            retry_max_times: 7,
        };
        admin
            .create_group(&source.broker_addr, "G_FIFO", &g)
            .await
            .unwrap();
    });
}

/// status, check and sync-metadata against the instance, with a real source cluster.
#[test]
fn status_check_and_sync_metadata_on_a_5x_instance() {
    let source = MqCluster::start("src5");
    source_with_topics(&source);
    let server = Server::start_instance(INSTANCE);
    server.state.lock().unwrap().rate_limited = 2;
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("migration.toml");
    let write_plan = |types: &str| {
        std::fs::write(
            &plan,
            format!(
                "[source]\nkind = \"remoting\"\nnamesrv = [\"{}\"]\ntimeout = \"2s\"\n\n{}\n[[batch]]\nname = \"orders\"\ntopics = [\"T_FIFO\", \"T_PLAIN\", \"T_DELAY\"]\nconsumer_groups = [\"G_FIFO\"]\n{types}",
                source.namesrv,
                target(&server, INSTANCE)
            ),
        )
        .unwrap()
    };
    write_plan("topic_types = { T_DELAY = \"DELAY\" }\n");

    // status: the instance is read (rate limits retried), its topics are missing.
    let o = run(&plan, SECRET_KEY, &["status", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = target_view(&o);
    assert_eq!(t["state"], "fresh", "{t}");
    assert_eq!(t["kind"], "tdmq 5.x", "{t}");
    assert_eq!(server.state.lock().unwrap().rate_limited, 0);

    // A dry run shows each call with the topic's type, and the one it cannot create.
    let o = run(&plan, SECRET_KEY, &["sync-metadata", "--dry-run"]);
    let out = text(&o);
    assert!(
        out.contains("\"TopicType\":\"FIFO\""),
        "the ordered topic is FIFO: {out}"
    );
    assert!(
        out.contains("\"TopicType\":\"DELAY\""),
        "the plan's type: {out}"
    );
    assert!(
        out.contains("cannot be created: the source does not show whether topic T_PLAIN carries delayed or transactional messages: say what it carries in batch 'orders': topic_types = { T_PLAIN = \"NORMAL\" }"),
        "{out}"
    );
    assert!(out.contains("CreateConsumerGroup"), "{out}");
    assert!(out.contains("\"ConsumeMessageOrderly\":true"), "{out}");
    assert!(
        !(server.state.lock().unwrap().calls.iter()).any(|(a, _)| a.starts_with("Create")),
        "a dry run creates nothing"
    );

    // For real: what it can create is created with its type; T_PLAIN fails with the reason.
    let o = run(&plan, SECRET_KEY, &["sync-metadata", "--yes"]);
    let out = text(&o);
    assert_ne!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("NOT CREATED topic T_PLAIN"), "{out}");
    {
        let st = server.state.lock().unwrap();
        assert_eq!(st.instance.topics["T_FIFO"]["TopicType"], "FIFO");
        assert_eq!(st.instance.topics["T_FIFO"]["QueueNum"], 4);
        assert_eq!(st.instance.topics["T_DELAY"]["TopicType"], "DELAY");
        assert!(!st.instance.topics.contains_key("T_PLAIN"));
        assert_eq!(st.instance.groups["G_FIFO"]["ConsumeMessageOrderly"], true);
        assert_eq!(st.instance.groups["G_FIFO"]["MaxRetryTimes"], 7);
    }
    // The operator says what T_PLAIN carries: it is created; a second run has nothing to do.
    write_plan("topic_types = { T_DELAY = \"DELAY\", T_PLAIN = \"NORMAL\" }\n");
    let o = run(&plan, SECRET_KEY, &["sync-metadata", "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        server.state.lock().unwrap().instance.topics["T_PLAIN"]["TopicType"],
        "NORMAL"
    );
    let o = run(&plan, SECRET_KEY, &["sync-metadata", "--yes"]);
    let out = text(&o);
    assert!(out.contains("nothing to create"), "{out}");

    // check reads the instance and names it.
    let o = run(&plan, SECRET_KEY, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // An item that appeared meanwhile is "already there", not an error.
    let p = Plan::load(&plan).unwrap();
    let (c, rt) = client(&p);
    let item = MetadataItem::Topic {
        name: "T_FIFO".into(),
        config: None,
        message_type: Known::Known(TopicMessageType::Fifo),
    };
    assert_eq!(rt.block_on(c.create(&item)), Ok(Outcome::AlreadyThere));
}

/// The errors an operator must understand: a wrong SecretKey, an instance that does not exist,
/// and an id of the other product line.
#[test]
fn wrong_keys_ids_and_products_say_what_to_fix() {
    let server = Server::start_instance(INSTANCE);
    server.state.lock().unwrap().cluster_id = "rocketmq-4x".into();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: String| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!(
                "[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:1\"]\ntimeout = \"1s\"\n\n{body}\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n"
            ),
        )
        .unwrap();
        p
    };
    let target_of = |o: &Output| -> String {
        target_view(o)["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    let good = write("good.toml", target(&server, INSTANCE));
    let wrong = "wrong-SecretKey-also-never-printed";
    let o = run(&good, wrong, &["status", "--json"]);
    let why = target_of(&o);
    assert!(
        why.contains("the SecretKey does not belong to SecretId")
            && why.contains("target.secret_key_env"),
        "{why}"
    );
    assert!(!text(&o).contains(wrong));

    let nosuch = write("nosuch.toml", target(&server, "rmq-nosuch"));
    let why = target_of(&run(&nosuch, SECRET_KEY, &["status", "--json"]));
    assert!(
        why.contains("ResourceNotFound.Instance")
            && why.contains("instance_id rmq-nosuch and region ap-guangzhou"),
        "{why}"
    );

    // A 4.x cluster id named as a 5.x instance, and the reverse: check says which it is.
    let four_as_five = write("45.toml", target(&server, "rocketmq-4x"));
    let o = run(&four_as_five, SECRET_KEY, &["check"]);
    let out = text(&o);
    assert!(
        out.contains(
            "rocketmq-4x is a TDMQ 4.x cluster, not a 5.x instance: in the plan write `version = 4`"
        ),
        "{out}"
    );
    let five_as_four = write(
        "54.toml",
        format!(
            "[target]\nkind = \"tdmq\"\nregion = \"ap-guangzhou\"\ncluster_id = \"{INSTANCE}\"\nnamespace = \"ns\"\nsecret_id = \"{SECRET_ID}\"\nsecret_key_env = \"TDMQ_TEST_SK\"\nendpoint = \"{}\"\ntimeout = \"3s\"\n",
            server.url
        ),
    );
    let o = run(&five_as_four, SECRET_KEY, &["check"]);
    let out = text(&o);
    assert!(
        out.contains(&format!(
            "{INSTANCE} is a TDMQ 5.x instance, not a 4.x cluster: in the plan write `version = 5`"
        )),
        "{out}"
    );
}

/// The smooth-migration task with a 5.x target: its health reasons in words gate the batch, and
/// the move advances it.
#[test]
fn a_migration_task_follows_a_batch_onto_a_5x_instance() {
    let source = MqCluster::start("src5t");
    source.create(&["T_ORDER"], &["G_A"]);
    let server = Server::start_instance(INSTANCE);
    {
        let mut st = server.state.lock().unwrap();
        st.add_instance_topic("T_ORDER", "NORMAL", 8, 0);
        st.add_instance_group("G_A", &[], 0);
        st.task_id = "task-5".into();
        st.add_task_topic(
            "T_ORDER",
            "S_RW_D_NA",
            &["SourceTopicHasUnconsumedMessages"],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("migration.toml");
    std::fs::write(
        &plan,
        format!(
            "[source]\nkind = \"remoting\"\nnamesrv = [\"{}\"]\ntimeout = \"2s\"\n\n{}migration_task_id = \"task-5\"\n\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_A\"]\n",
            source.namesrv,
            target(&server, INSTANCE)
        ),
    )
    .unwrap();
    for step in ["preflight", "metadata"] {
        let o = run(&plan, SECRET_KEY, &["advance", step, "--yes"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let o = run(&plan, SECRET_KEY, &["advance", "orders", "--yes"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("the health check of T_ORDER did not pass (the source topic still has unconsumed messages (SourceTopicHasUnconsumedMessages))"),
        "{out}"
    );
    server
        .state
        .lock()
        .unwrap()
        .add_task_topic("T_ORDER", "S_RW_D_NA", &[]);
    let o = run(&plan, SECRET_KEY, &["advance", "orders", "--yes"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("migration task task-5: T_ORDER now at S_RW_D_R"),
        "{out}"
    );
    assert_eq!(
        server.state.lock().unwrap().task_stage("T_ORDER"),
        "S_RW_D_R"
    );
}
