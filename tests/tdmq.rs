//! The `tdmq` cluster kind end to end against a local API server that checks every TC3
//! signature and answers with the API spec's documented shapes: status, check, sync-metadata,
//! the gates, and the errors an operator must understand. Secrets never show.

mod support;

use rocketmq_migrate::cluster::Cluster;
use rocketmq_migrate::cluster::tdmq::TdmqCluster;
use rocketmq_migrate::plan::{ClusterKind, Plan, Secret, TdmqProduct};
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use support::servers::MqCluster;
use support::tdmq_server::{SECRET_ID, SECRET_KEY, Server};
use support::text;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

fn plan_file(
    dir: &std::path::Path,
    source_namesrv: &str,
    server: &Server,
    cluster_id: &str,
    batch: &str,
) -> std::path::PathBuf {
    let p = dir.join("migration.toml");
    std::fs::write(
        &p,
        format!(
            "[source]\nkind = \"remoting\"\nnamesrv = [\"{source_namesrv}\"]\ntimeout = \"1s\"\n\n[target]\nkind = \"tdmq\"\nname = \"tdmq-test\"\nregion = \"ap-guangzhou\"\ncluster_id = \"{cluster_id}\"\nnamespace = \"test_ns\"\nsecret_id = \"{SECRET_ID}\"\nsecret_key_env = \"TDMQ_TEST_SK\"\nendpoint = \"{}\"\ntimeout = \"3s\"\n\n{batch}",
            server.url
        ),
    )
    .unwrap();
    p
}

fn run(plan: &std::path::Path, sk: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("-c")
        .arg(plan)
        .args(args)
        .env("TDMQ_TEST_SK", sk)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The plan's TDMQ target as a client of the local server, and a runtime to drive it.
fn target_client(plan: &Plan) -> (TdmqCluster, tokio::runtime::Runtime) {
    let ClusterKind::Tdmq(spec) = &plan.target.kind else {
        panic!("the target is not TDMQ")
    };
    let TdmqProduct::V4 {
        cluster_id,
        namespace,
    } = &spec.product
    else {
        panic!("the target is not a 4.x cluster")
    };
    let tdmq = TdmqCluster::new(
        &plan.target,
        spec,
        cluster_id,
        namespace,
        Secret::new(SECRET_KEY),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (tdmq, rt)
}

const BATCH: &str = "[[batch]]\nname = \"orders\"\ntopics = [\"test_topic\", \"T_NEW\"]\nconsumer_groups = [\"test_group\", \"G_NEW\"]\n";

#[test]
fn status_check_and_sync_metadata_against_the_api() {
    let source = MqCluster::start("src");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = rocketmq_migrate::cluster::remoting::admin::Admin::new(Default::default(), None);
    rt.block_on(async {
        let cfg = rocketmq_migrate::model::TopicConfig {
            read_queues: 4,
            write_queues: 4,
            perm: 6,
            order: false,
            message_type: None,
        };
        admin
            .create_topic(&source.broker_addr, "test_topic", &cfg)
            .await
            .unwrap();
        admin
            .create_topic(&source.broker_addr, "T_NEW", &cfg)
            .await
            .unwrap();
        let g = rocketmq_migrate::model::GroupConfig {
            broadcast: false,
            orderly: false,
            retry_queues: Some(1),
            retry_max_times: 7,
        };
        admin
            .create_group(&source.broker_addr, "test_group", &g)
            .await
            .unwrap();
        admin
            .create_group(&source.broker_addr, "G_NEW", &g)
            .await
            .unwrap();
    });
    let server = Server::start("rocketmq-4k4orqgq", "test_ns");
    {
        let mut st = server.state.lock().unwrap();
        st.add_topic("test_topic", 3, 100);
        st.add_group("test_group", 380, &["test_topic"], 1);
        st.rate_limited = 1;
        st.gateway_errors = 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_file(
        dir.path(),
        &source.namesrv,
        &server,
        "rocketmq-4k4orqgq",
        BATCH,
    );

    let o = run(&plan, SECRET_KEY, &["status", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["clusters"][1]["kind"], "tdmq");
    assert_eq!(s["clusters"][1]["state"], "fresh", "{s}");
    let g = &s["batches"][0]["groups"][0];
    assert_eq!(g["group"], "test_group");
    // The API's total is not said to include the retry topic: no number, the figure in the why.
    assert_eq!(g["target"]["backlog"], Value::Null, "{g}");
    assert_eq!(g["target"]["retry_backlog"], Value::Null, "{g}");
    assert!(
        g["target"]["unknown"].as_str().is_some_and(|w| w.contains(
            "backlog: the API gives no retry backlog for group test_group: its TotalAccumulative 380"
        )),
        "{g}"
    );
    assert_eq!(g["target"]["consumers"], 1);
    let st = server.state.lock().unwrap();
    assert_eq!(
        (st.rate_limited, st.gateway_errors),
        (0, 0),
        "rate-limited and gateway-failed calls were retried"
    );
    drop(st);
    // A gateway that keeps failing: its status in words, not "unreadable answer".
    server.state.lock().unwrap().gateway_errors = 1000;
    let o = run(&plan, SECRET_KEY, &["status", "--json"]);
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let target = serde_json::to_string(&s["clusters"][1]).unwrap();
    assert!(
        target.contains("HTTP 502 Bad Gateway with a body that is not the API's JSON"),
        "{target}"
    );
    server.state.lock().unwrap().gateway_errors = 0;

    let o = run(&plan, SECRET_KEY, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("missing on target: topic T_NEW"),
        "{}",
        text(&o)
    );

    let o = run(&plan, SECRET_KEY, &["sync-metadata", "--dry-run"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("CreateRocketMQTopic {"), "{out}");
    assert!(out.contains("\"Namespaces\":[\"test_ns\"]"), "{out}");
    assert!(out.contains("\"PartitionNum\":4"), "source settings: {out}");
    assert!(out.contains("clients use test_ns%T_NEW"), "{out}");
    assert!(out.contains("CreateRocketMQGroup {"), "{out}");
    assert!(
        server
            .state
            .lock()
            .unwrap()
            .calls
            .iter()
            .all(|(a, _)| !a.starts_with("Create")),
        "a dry run creates nothing"
    );

    let o = run(&plan, SECRET_KEY, &["sync-metadata", "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    {
        let st = server.state.lock().unwrap();
        assert_eq!(st.topics["T_NEW"]["PartitionNum"], 4);
        assert!(st.groups.contains_key("G_NEW"));
        let creates: Vec<&String> = st
            .calls
            .iter()
            .map(|(a, _)| a)
            .filter(|a| a.starts_with("Create"))
            .collect();
        assert_eq!(creates.len(), 2, "{creates:?}");
        assert_eq!(st.bad_signatures, 0);
    }
    let o = run(&plan, SECRET_KEY, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let all = format!(
        "{}{}",
        text(&o),
        std::fs::read_to_string(dir.path().join("rocketmq-migrate.log")).unwrap_or_default()
    );
    assert!(!all.contains(SECRET_KEY));
}

#[test]
fn signature_clock_and_cluster_errors_say_what_to_fix() {
    let server = Server::start("rocketmq-4k4orqgq", "test_ns");
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_file(
        dir.path(),
        "127.0.0.1:1",
        &server,
        "rocketmq-4k4orqgq",
        BATCH,
    );
    let target_error = |o: &Output| -> String {
        let s: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(o)));
        s["clusters"][1]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // A wrong SecretKey.
    let wrong = "wrong-secret-value-42";
    let o = run(&plan, wrong, &["status", "--json"]);
    let e = target_error(&o);
    assert!(e.contains("AuthFailure.SignatureFailure"), "{e}");
    assert!(
        e.contains(&format!(
            "the SecretKey does not belong to SecretId {SECRET_ID}"
        )),
        "{e}"
    );
    assert!(
        !text(&o).contains(wrong) && !text(&o).contains(SECRET_KEY),
        "a secret leaked"
    );
    // A clock ten minutes off: said so, with the offset.
    server.state.lock().unwrap().date_skew = -600;
    let o = run(&plan, wrong, &["status", "--json"]);
    let e = target_error(&o);
    assert!(e.contains("more than 5 minutes") && e.contains("+6"), "{e}");
    // An unknown cluster: the id and the region are named.
    server.state.lock().unwrap().date_skew = 0;
    let plan = plan_file(dir.path(), "127.0.0.1:1", &server, "rocketmq-nosuch", BATCH);
    let o = run(&plan, SECRET_KEY, &["status", "--json"]);
    let e = target_error(&o);
    assert!(
        e.contains("ResourceNotFound.Cluster")
            && e.contains("cluster_id rocketmq-nosuch")
            && e.contains("region ap-guangzhou"),
        "{e}"
    );
    // The journal, the report and the log never hold the secret either.
    let _ = run(&plan, SECRET_KEY, &["advance", "preflight", "--yes"]);
    let o = run(&plan, SECRET_KEY, &["report"]);
    let mut all = text(&o);
    all.push_str(
        &std::fs::read_to_string(dir.path().join("migration.journal.jsonl")).unwrap_or_default(),
    );
    all.push_str(
        &std::fs::read_to_string(dir.path().join("rocketmq-migrate.log")).unwrap_or_default(),
    );
    assert!(all.contains("REFUSED") || all.contains("refused"), "{all}");
    assert!(!all.contains(SECRET_KEY) && !all.contains(wrong));
}

/// The gates on a TDMQ target: producers are refused until TDMQ shows consumers subscribed.
#[test]
fn gates_read_the_tdmq_target() {
    let server = Server::start("rocketmq-x", "ns");
    {
        let mut st = server.state.lock().unwrap();
        for t in ["T_ORDER", "T_PAY", "T_STOCK"] {
            st.add_topic(t, 8, 10);
        }
        for g in ["G_A", "G_B", "G_S"] {
            st.add_group(g, 0, &[], 0);
        }
        // 250 more groups: the listing takes three pages.
        for i in 0..250 {
            st.add_group(&format!("G_OTHER_{i:03}"), 1, &[], 0);
        }
    }
    let plan = support::plan();
    let tplan = Plan::parse(
        std::path::Path::new("t.toml"),
        &format!("[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:1\"]\n[target]\nkind = \"tdmq\"\nregion = \"ap-guangzhou\"\ncluster_id = \"rocketmq-x\"\nnamespace = \"ns\"\nsecret_id = \"{SECRET_ID}\"\nsecret_key_env = \"X\"\nendpoint = \"{}\"\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n", server.url),
    )
    .unwrap();
    let (tdmq, rt) = target_client(&tplan);
    let scope = plan.scope();
    let now = rocketmq_migrate::clock::now();
    let mut h = Harness::new();
    h.observe(source_start(now).build(), now);
    h.observe(rt.block_on(tdmq.snapshot(&scope)), now);
    assert_eq!(
        h.w.target.as_ref().unwrap().errors,
        vec![],
        "complete snapshot"
    );
    assert!(moved(&h.advance("preflight", now)));
    assert!(moved(&h.advance("metadata", now)));
    assert!(moved(&h.advance("orders", now)));
    let r = reasons(&h.advance("orders", now));
    assert!(
        r.contains("consumer group G_A has no consumer online on target"),
        "{r}"
    );
    assert!(r.contains("on target 'target'"), "{r}");
    {
        let mut st = server.state.lock().unwrap();
        st.add_group("G_A", 0, &["T_ORDER", "T_PAY"], 2);
        st.add_group("G_B", 0, &["T_PAY"], 1);
    }
    h.observe(rt.block_on(tdmq.snapshot(&scope)), now);
    // The 4.x API lists a group's topics, not its expressions: the operator compares them.
    let r = reasons(&h.advance("orders", now));
    assert!(
        r.contains("the TDMQ 4.x API lists a group's topics, not its expressions"),
        "{r}"
    );
    let acks = [
        "filter-unchecked:G_A/T_ORDER",
        "filter-unchecked:G_A/T_PAY",
        "filter-unchecked:G_B/T_PAY",
    ];
    let o = h.advance_ack("orders", &acks, now);
    assert!(moved(&o), "{o:?}");
    let calls = &server.state.lock().unwrap().calls;
    let pages = calls
        .iter()
        .filter(|(a, p)| a == "DescribeRocketMQGroups" && p.get("FilterTopic").is_none())
        .count();
    assert!(pages >= 6, "three pages per listing, two listings: {pages}");
    assert!(calls.iter().all(|(_, p)| {
        p.get("Limit")
            .is_none_or(|l| l.as_u64().unwrap_or(0) <= 100)
    }));
}

/// A TDMQ plan of one batch (topic T, groups G and G_IDLE) against the local server.
fn one_batch_plan(server: &Server) -> Plan {
    Plan::parse(
        std::path::Path::new("t.toml"),
        &format!("[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:1\"]\n[target]\nkind = \"tdmq\"\nregion = \"ap-guangzhou\"\ncluster_id = \"rocketmq-x\"\nnamespace = \"ns\"\nsecret_id = \"{SECRET_ID}\"\nsecret_key_env = \"X\"\nendpoint = \"{}\"\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\", \"G_IDLE\"]\n", server.url),
    )
    .unwrap()
}

/// Groups the API lists without `ConsumerNum` and without any retry figure: the snapshot says
/// their consumers and backlog are unknown and which field is missing, never 0 or "no consumer".
#[test]
fn a_group_answer_without_counts_leaves_consumers_and_backlog_unknown() {
    use rocketmq_migrate::model::{Known, ProducerSource};
    let server = Server::start("rocketmq-x", "ns");
    {
        let mut st = server.state.lock().unwrap();
        st.add_topic("T", 8, 10);
        st.add_group("G", 0, &["T"], 2);
        st.add_group("G_IDLE", 5, &["T"], 0);
        let g = st
            .groups
            .get_mut("G")
            .and_then(Value::as_object_mut)
            .unwrap();
        g.remove("ConsumerNum");
        g.remove("RetryPartitionNum");
        g.remove("TotalAccumulative");
        // G_IDLE keeps its counts, but the API never gives a retry backlog.
        let idle = st
            .groups
            .get_mut("G_IDLE")
            .and_then(Value::as_object_mut)
            .unwrap();
        idle.remove("RetryPartitionNum");
    }
    let plan = one_batch_plan(&server);
    let (tdmq, rt) = target_client(&plan);
    let snap = rt.block_on(tdmq.snapshot(&plan.scope()));
    assert_eq!(snap.unreachable, None);
    assert_eq!(snap.errors, vec![], "nothing failed: fields were missing");

    let g = &snap.groups["G"];
    assert_eq!(g.exists, Known::Known(true));
    assert_eq!(
        g.consumers,
        Known::unknown("the API gives no ConsumerNum for group G")
    );
    assert_eq!(
        g.backlog,
        Known::unknown("the API gives no TotalAccumulative for group G")
    );
    // Without RetryPartitionNum no setting is made up.
    assert_eq!(g.config, None);
    assert_eq!(
        g.subscriptions
            .known()
            .map(|s| s.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["T".to_string()])
    );

    let idle = &snap.groups["G_IDLE"];
    // A ConsumerNum of 0 the API gave is a real 0.
    assert_eq!(idle.consumers, Known::Known(vec![]));
    assert_eq!(
        idle.backlog,
        Known::unknown(
            "the API gives no retry backlog for group G_IDLE: its TotalAccumulative 5 is not said to include %RETRY%G_IDLE"
        )
    );
    // The 4.x API lists no producers: the snapshot says it cannot, not that there are none.
    assert_eq!(snap.producers.via, ProducerSource::Unavailable);

    // Neither group was asked for connections: one has none, the other no count.
    let st = server.state.lock().unwrap();
    assert!(
        st.calls
            .iter()
            .all(|(a, _)| a != "DescribeRocketMQConsumerConnections"),
        "{:?}",
        st.calls
    );
}

/// A trocket smooth-migration task named in the plan follows the batch: its stage and health
/// check gate the move, the move advances it, and a task out of step closes the gate.
#[test]
fn a_migration_task_follows_the_batch() {
    let source = MqCluster::start("src");
    source.create(&["T_ORDER"], &["G_A"]);
    let server = Server::start("rocketmq-x", "test_ns");
    {
        let mut st = server.state.lock().unwrap();
        st.add_topic("T_ORDER", 8, 0);
        st.add_group("G_A", 0, &[], 0);
        st.task_id = "task-1".into();
        st.add_task_topic(
            "T_ORDER",
            "S_RW_D_NA",
            &["SourceTopicHasNewMessagesIn5Minutes"],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_file(
        dir.path(),
        &source.namesrv,
        &server,
        "rocketmq-x",
        "[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_A\"]\n",
    );
    let text_plan = std::fs::read_to_string(&plan).unwrap().replace(
        "timeout = \"3s\"\n",
        "timeout = \"3s\"\nmigration_task_id = \"task-1\"\n",
    );
    std::fs::write(&plan, text_plan).unwrap();
    for step in ["preflight", "metadata"] {
        let o = run(&plan, SECRET_KEY, &["advance", step, "--yes"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }

    let set_task = |stage: &str, found: &[&str]| {
        server
            .state
            .lock()
            .unwrap()
            .add_task_topic("T_ORDER", stage, found)
    };
    let advance = |exit: i32| {
        let o = run(&plan, SECRET_KEY, &["advance", "orders", "--yes"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(exit), "{out}");
        assert!(!out.contains(SECRET_KEY), "the SecretKey never shows");
        out
    };

    // The task's health check has not passed: the wizard does not move the batch.
    let out = advance(3);
    assert!(
        out.contains("migration task task-1: the health check of T_ORDER did not pass (the source topic got new messages in the last 5 minutes: a producer still writes there (SourceTopicHasNewMessagesIn5Minutes))"),
        "{out}"
    );
    assert!(
        out.contains("migration task task-1 topic T_ORDER stage: S_RW_D_NA on target 'tdmq-test'"),
        "the task's stage is evidence: {out}"
    );
    let calls = |action: &str| -> Vec<serde_json::Value> {
        let st = server.state.lock().unwrap();
        st.calls
            .iter()
            .filter(|(a, _)| a == action)
            .map(|(_, p)| p.clone())
            .collect()
    };
    assert!(calls("ChangeMigratingTopicToNextStage").is_empty());

    // Passed: the batch moves and the task with it.
    set_task("S_RW_D_NA", &[]);
    let out = advance(0);
    assert!(
        out.contains("migration task task-1: T_ORDER now at S_RW_D_R"),
        "{out}"
    );
    assert_eq!(
        server.state.lock().unwrap().task_stage("T_ORDER"),
        "S_RW_D_R"
    );
    let moved = calls("ChangeMigratingTopicToNextStage");
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["TaskId"], "task-1");
    assert_eq!(moved[0]["TopicNameList"], serde_json::json!(["T_ORDER"]));

    // Someone moved the task on in the console: out of step, so no gate of the batch opens.
    set_task("S_RW_D_RW", &[]);
    let out = advance(3);
    assert!(
        out.contains("migration task task-1 holds T_ORDER at S_RW_D_RW, the batch is at S_RW_D_R"),
        "{out}"
    );

    // A task that cannot be read keeps the gates closed; a rollback moves the task back.
    let tplan = Plan::load(&plan).unwrap();
    let (tdmq, rt) = target_client(&tplan);
    use rocketmq_migrate::gate::Move;
    let back = Move::RollBackProducers;
    let said = rt
        .block_on(tdmq.follow_move(&["T_ORDER".to_string()], back))
        .unwrap();
    assert_eq!(
        said.as_deref(),
        Some("migration task task-1: T_ORDER now at S_RW_D_R")
    );
    assert_eq!(
        server.state.lock().unwrap().task_stage("T_ORDER"),
        "S_RW_D_R"
    );
    // A task that refuses to move on: the wizard hears why.
    server.state.lock().unwrap().refuse_next_stage = true;
    let on = Move::ReleaseProducers;
    let e = rt
        .block_on(tdmq.follow_move(&["T_ORDER".to_string()], on))
        .unwrap_err();
    assert_eq!(e, "migration task task-1 did not move T_ORDER to S_RW_D_RW");
    server.state.lock().unwrap().task_id = "another-task".into();
    let snap = rt.block_on(tdmq.snapshot(&tplan.scope()));
    let t = &snap.migration.unwrap().topics["T_ORDER"];
    assert!(
        t.reason()
            .is_some_and(|r| r.contains("ResourceNotFound.MigrationTask")
                && r.contains("check migration_task_id in the plan")),
        "{t:?}"
    );
    let report = text(&run(&plan, SECRET_KEY, &["report"]));
    assert!(!report.contains(SECRET_KEY));
}

/// Preflight on a 4.x target: the cluster's limits (MaxTopicNum) against what the plan creates.
#[test]
fn preflight_refuses_a_plan_larger_than_the_cluster() {
    let server = Server::start("rocketmq-x", "ns");
    {
        let mut st = server.state.lock().unwrap();
        st.add_topic("T_OLD", 8, 0);
        st.max_topic_num = Some(2);
    }
    let plan = support::plan();
    let tplan = Plan::parse(
        std::path::Path::new("t.toml"),
        &format!("[source]\nkind = \"remoting\"\nnamesrv = [\"127.0.0.1:1\"]\n[target]\nkind = \"tdmq\"\nname = \"tdmq-prod\"\nregion = \"ap-guangzhou\"\ncluster_id = \"rocketmq-x\"\nnamespace = \"ns\"\nsecret_id = \"{SECRET_ID}\"\nsecret_key_env = \"X\"\nendpoint = \"{}\"\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n", server.url),
    )
    .unwrap();
    let (tdmq, rt) = target_client(&tplan);
    let now = rocketmq_migrate::clock::now();
    let mut h = Harness::new();
    h.observe(source_start(now).build(), now);
    h.observe(rt.block_on(tdmq.snapshot(&plan.scope())), now);
    // The test plan's three topics are missing: 1 held + 3 > 2.
    let r = reasons(&h.advance("preflight", now));
    assert!(
        r.contains("tdmq-prod holds 1 of at most 2 topics and the plan creates 3 more"),
        "{r}"
    );
    // Room made, but the local clock is 2 minutes behind the API's: refused until it is set.
    {
        let mut st = server.state.lock().unwrap();
        st.max_topic_num = Some(10);
        st.date_skew = 120;
    }
    h.observe(rt.block_on(tdmq.snapshot(&plan.scope())), now);
    let r = reasons(&h.advance("preflight", now));
    assert!(
        r.contains("the local clock is -1")
            && r.contains("s from tdmq-prod's API: signed requests fail once it is 5 minutes off"),
        "{r}"
    );
    server.state.lock().unwrap().date_skew = 0;
    h.observe(rt.block_on(tdmq.snapshot(&plan.scope())), now);
    assert!(moved(&h.advance("preflight", now)));
}
