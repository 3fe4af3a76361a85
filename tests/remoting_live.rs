//! The remoting client and the `remoting` cluster kind against real RocketMQ servers on loopback,
//! with real producers and consumers of an independent client library. What `status` shows is
//! checked against what the clients did.

mod support;

use rocketmq_migrate::cluster::remoting::admin::{Admin, Settings};
use rocketmq_migrate::journal;
use rocketmq_migrate::model::{GroupConfig, TopicConfig};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::servers::{ADMIN_AND_READER, App, MqCluster};
use support::text;

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

struct Plan {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Plan {
    fn new(source: &str, target: &str, batches: &str) -> Plan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("migration.toml");
        std::fs::write(&path, format!("[source]\nname = \"old\"\n{source}\n[target]\nname = \"new\"\n{target}\n[gates]\nsettle_window = \"5s\"\nstale_after = \"20s\"\npoll_interval = \"1s\"\n{batches}")).unwrap();
        Plan { _dir: dir, path }
    }

    fn simple(a: &MqCluster, b: &MqCluster, batches: &str) -> Plan {
        Plan::new(
            &format!("kind = \"remoting\"\nnamesrv = [\"{}\"]", a.namesrv),
            &format!("kind = \"remoting\"\nnamesrv = [\"{}\"]", b.namesrv),
            batches,
        )
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("-c")
            .arg(&self.path)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn status(&self) -> Value {
        let o = self.run(&["status", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    /// Polls `status --json` until `f` holds (the brokers see clients with some delay).
    fn wait_status(&self, what: &str, within: Duration, f: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let s = self.status();
            if f(&s) {
                return s;
            }
            if start.elapsed() > within {
                panic!(
                    "{what}: not seen within {within:?}; last status:\n{}",
                    serde_json::to_string_pretty(&s).unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The `status --json` entry of a consumer group (`list` "groups") or producer group ("producers").
fn entry<'a>(s: &'a Value, list: &str, name: &str) -> &'a Value {
    s["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b[list].as_array().unwrap())
        .find(|g| g["group"] == name)
        .unwrap()
}

fn group<'a>(s: &'a Value, name: &str) -> &'a Value {
    entry(s, "groups", name)
}

fn producers<'a>(s: &'a Value, name: &str) -> &'a Value {
    entry(s, "producers", name)
}

fn admin() -> Admin {
    Admin::new(Settings::default(), None)
}

/// An admin client signing with an ACL account.
fn signed_as(access_key: &str, secret_key: &str) -> Admin {
    Admin::new(
        Settings::default(),
        Some((
            access_key.into(),
            rocketmq_migrate::plan::Secret::new(secret_key),
        )),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const ORDERS: &str = "[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_BILLING\"]\nproducer_groups = [\"P_ORDER\"]\n";

#[test]
fn status_follows_real_producers_and_consumers() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let rt = rt();
    let a = admin();
    rt.block_on(async {
        a.create_topic(
            &old.broker_addr,
            "T_ORDER",
            &TopicConfig {
                read_queues: 4,
                write_queues: 4,
                perm: 6,
                order: false,
                message_type: None,
            },
        )
        .await
        .unwrap();
        a.create_group(
            &old.broker_addr,
            "G_BILLING",
            &GroupConfig {
                broadcast: false,
                orderly: false,
                retry_queues: Some(1),
                retry_max_times: 16,
            },
        )
        .await
        .unwrap();
    });
    let plan = Plan::simple(&old, &new, ORDERS);

    // Before any consumption the topic's queues are empty: nothing waits for the group, and the
    // brokers' queues say so (a queue holding messages the group never consumed is unknown:
    // see the two-broker test).
    let s = plan.status();
    assert_eq!(s["clusters"][0]["state"], "fresh", "{s}");
    assert_eq!(s["clusters"][1]["state"], "fresh", "{s}");
    let g = group(&s, "G_BILLING");
    assert_eq!(g["source"]["backlog"], 0, "{g}");
    assert!(g["source"]["unknown"].is_null(), "{g}");
    assert_eq!(g["source"]["consumers"], 0);

    // A consumer connects: it shows up with its subscription.
    let c1 = App::consumer(&old.namesrv, "G_BILLING", "T_ORDER");
    plan.wait_status("one consumer on the source", Duration::from_secs(30), |s| {
        group(s, "G_BILLING")["source"]["consumers"] == 1
    });
    // A producer sends 20 messages; they are consumed; backlog reaches exactly zero.
    let p = App::producer(&old.namesrv, "P_ORDER", "T_ORDER", 20, 50.0, "a");
    p.wait_for("DONE", Duration::from_secs(30));
    assert_eq!(p.count("SENT"), 20);
    plan.wait_status("the producer is listed", Duration::from_secs(20), |s| {
        producers(s, "P_ORDER")["source"] == 1
    });
    c1.wait_count("RECV", 20, Duration::from_secs(30));
    plan.wait_status(
        "backlog zero after consumption",
        Duration::from_secs(30),
        |s| group(s, "G_BILLING")["source"]["backlog"] == 0,
    );
    let p_lines = p.stop();
    assert!(p_lines.iter().any(|l| l == "STOPPED"));
    plan.wait_status("the producer is gone", Duration::from_secs(20), |s| {
        producers(s, "P_ORDER")["source"] == 0
    });

    // The consumer stops: it disappears. Unconsumed sends raise the backlog to exactly their count.
    c1.stop();
    plan.wait_status("no consumer on the source", Duration::from_secs(30), |s| {
        group(s, "G_BILLING")["source"]["consumers"] == 0
    });
    let p = App::producer(&old.namesrv, "P_ORDER", "T_ORDER", 30, 100.0, "b");
    p.wait_for("DONE", Duration::from_secs(30));
    assert_eq!(p.count("SENT"), 30);
    p.stop();
    let s = plan.wait_status("backlog of 30", Duration::from_secs(20), |s| {
        group(s, "G_BILLING")["source"]["backlog"] == 30
    });
    assert_eq!(group(&s, "G_BILLING")["target"]["consumers"], 0);

    // Two consumers come back: both are counted, and they drain the backlog to exactly zero.
    let c2 = App::consumer(&old.namesrv, "G_BILLING", "T_ORDER");
    let c3 = App::consumer(&old.namesrv, "G_BILLING", "T_ORDER");
    plan.wait_status("two consumers", Duration::from_secs(30), |s| {
        group(s, "G_BILLING")["source"]["consumers"] == 2
    });
    plan.wait_status("drained to zero", Duration::from_secs(40), |s| {
        group(s, "G_BILLING")["source"]["backlog"] == 0
    });
    assert_eq!(c2.count("RECV") + c3.count("RECV"), 30);

    // Text status shows the same numbers.
    let o = plan.run(&["status"]);
    assert!(text(&o).contains("G_BILLING"), "{}", text(&o));

    // `init` drafts a plan from what the live cluster shows: who consumes what.
    let drafted = plan.path.with_file_name("drafted.toml");
    let o = Command::new(BIN)
        .arg("-c")
        .arg(&drafted)
        .args(["init", "--from", &old.namesrv])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let draft = rocketmq_migrate::plan::Plan::load(&drafted).unwrap_or_else(|e| panic!("{e}"));
    let b = draft
        .batch("billing")
        .unwrap_or_else(|| panic!("{:?}", draft.batches));
    assert_eq!(b.topics, ["T_ORDER"]);
    assert_eq!(b.groups[0].name, "G_BILLING");
    let o = Command::new(BIN)
        .arg("-c")
        .arg(&drafted)
        .args(["init", "--from", &old.namesrv])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "an existing plan is not overwritten: {}",
        text(&o)
    );

    // A rehearsal of the plan with its applications measured on the live source: the two
    // consumers of G_BILLING, the producer P_ORDER and the rate it writes at.
    let p = App::producer(&old.namesrv, "P_ORDER", "T_ORDER", 100_000, 20.0, "m");
    plan.wait_status("the producer is listed", Duration::from_secs(20), |s| {
        producers(s, "P_ORDER")["source"] == 1
    });
    let dir = plan.path.with_file_name("rehearsal");
    let o = Command::new(BIN)
        .args(["demo", "--measure", "--plan"])
        .arg(&plan.path)
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    p.stop();
    let scenario_text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    let scenario =
        rocketmq_migrate::cluster::rehearsal::Scenario::parse("scenario.toml", &scenario_text)
            .unwrap_or_else(|e| panic!("{e}\n{scenario_text}"));
    let billing = (scenario.consumers.iter())
        .find(|c| c.group == "G_BILLING")
        .unwrap();
    assert_eq!(billing.instances, 2, "{scenario_text}");
    let order = (scenario.producers.iter())
        .find(|c| c.group == "P_ORDER")
        .unwrap();
    assert_eq!(order.instances, 1, "{scenario_text}");
    assert!(
        (14.0..=26.0).contains(&order.rate),
        "20 msg/s measured as {}: {scenario_text}",
        order.rate
    );
    assert!(
        scenario_text.contains("#   G_BILLING: 2 instance(s)"),
        "{scenario_text}"
    );
    c2.stop();
    c3.stop();
}

#[test]
fn sync_metadata_creates_exactly_what_the_target_lacks() {
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    let rt = rt();
    let a = admin();
    let cfg = |q, order| TopicConfig {
        read_queues: q,
        write_queues: q,
        perm: 6,
        order,
        message_type: None,
    };
    let gcfg = |orderly, retries| GroupConfig {
        broadcast: false,
        orderly,
        retry_queues: Some(1),
        retry_max_times: retries,
    };
    rt.block_on(async {
        a.create_topic(&old.broker_addr, "T_A", &cfg(8, false))
            .await
            .unwrap();
        a.create_topic(&old.broker_addr, "T_B", &cfg(4, true))
            .await
            .unwrap();
        a.create_group(&old.broker_addr, "G_A", &gcfg(false, 16))
            .await
            .unwrap();
        a.create_group(&old.broker_addr, "G_B", &gcfg(true, 5))
            .await
            .unwrap();
        // The target already has T_A, with other settings: reported, never changed.
        a.create_topic(&new.broker_addr, "T_A", &cfg(2, false))
            .await
            .unwrap();
    });
    let plan = Plan::simple(
        &old,
        &new,
        "[[batch]]\nname = \"b\"\ntopics = [\"T_A\", \"T_B\"]\nconsumer_groups = [\"G_A\", \"G_B\"]\n",
    );
    let o = plan.run(&["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // What serves each cluster, as preflight will show it.
    for side in ["old", "new"] {
        let runs = format!("[ok] {side} runs 1 master broker: {side}-broker-a V");
        assert!(text(&o).contains(&runs), "{runs:?} in {}", text(&o));
    }
    let dry = plan.run(&["sync-metadata", "--dry-run"]);
    let out = text(&dry);
    assert_eq!(dry.status.code(), Some(0), "{out}");
    assert!(
        out.contains("would create topic T_B (4 read / 4 write queues, perm 6, ordered)"),
        "{out}"
    );
    assert!(out.contains("would create group G_A"), "{out}");
    assert!(
        out.contains(
            "would create group G_B (broadcast not allowed, orderly, 1 retry queue(s), 5 max retries)"
        ),
        "{out}"
    );
    assert!(!out.contains("would create topic T_A"), "{out}");
    assert!(
        out.contains("differs (left as it is): topic T_A: queues 8/8 on source, 2/2 on target"),
        "{out}"
    );
    assert!(
        !journal::journal_path(&plan.path).exists(),
        "a dry run writes nothing"
    );

    let real = plan.run(&["sync-metadata", "--yes"]);
    assert_eq!(real.status.code(), Some(0), "{}", text(&real));
    let created: Vec<String> = journal::read(&journal::journal_path(&plan.path))
        .unwrap()
        .records
        .iter()
        .filter(|r| r.entry.kind() == "metadata_created")
        .map(|r| serde_json::to_string(&r.entry).unwrap())
        .collect();
    assert_eq!(created.len(), 3, "{created:?}");
    let (topics, groups) = rt.block_on(async {
        (
            a.topic_configs(&new.broker_addr).await.unwrap(),
            a.subscription_groups(&new.broker_addr).await.unwrap(),
        )
    });
    assert_eq!(topics["T_B"].read_queues, 4);
    assert!(topics["T_B"].order);
    assert_eq!(topics["T_A"].read_queues, 2, "existing topic unchanged");
    assert!(groups["G_B"].orderly);
    assert_eq!(groups["G_B"].retry_max_times, 5);
    assert!(groups.contains_key("G_A"));

    let again = plan.run(&["sync-metadata", "--yes"]);
    assert!(
        text(&again).contains("nothing to create"),
        "idempotent: {}",
        text(&again)
    );
    let o = plan.run(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn acl_signatures_are_accepted_and_a_wrong_key_is_refused() {
    let secured = MqCluster::start_with("acl", &ADMIN_AND_READER);
    let other = MqCluster::start("other");
    let batch = "[[batch]]\nname = \"b\"\ntopics = [\"T_SEC\"]\nconsumer_groups = [\"G_SEC\"]\n";
    let target = format!("kind = \"remoting\"\nnamesrv = [\"{}\"]", other.namesrv);
    let plan_for = |ak: &str| {
        Plan::new(
            &format!(
                "kind = \"remoting\"\nnamesrv = [\"{}\"]\naccess_key = \"{ak}\"\nsecret_key_env = \"ACL_TEST_SK\"",
                secured.namesrv
            ),
            &target,
            batch,
        )
    };
    let status = |plan: &Plan, sk: &str| {
        let o = Command::new(BIN)
            .arg("-c")
            .arg(&plan.path)
            .args(["status", "--json"])
            .env("ACL_TEST_SK", sk)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(!text(&o).contains(sk), "the SecretKey leaked");
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    // The admin account can read everything and create on a secured broker.
    let admin_plan = plan_for("migrate-admin");
    let s = status(&admin_plan, "s3cret-admin-key");
    assert_eq!(s["clusters"][0]["state"], "fresh", "{s}");
    let rt = rt();
    let signed = signed_as("migrate-admin", "s3cret-admin-key");
    rt.block_on(signed.create_topic(
        &secured.broker_addr,
        "T_SEC",
        &TopicConfig {
            read_queues: 4,
            write_queues: 4,
            perm: 6,
            order: false,
            message_type: None,
        },
    ))
    .unwrap();
    // Unsigned and wrongly signed requests are refused, with the reason in words.
    let unsigned = rt
        .block_on(admin().topic_configs(&secured.broker_addr))
        .unwrap_err()
        .to_string();
    assert!(
        unsigned.contains("credentials") || unsigned.contains("no permission"),
        "{unsigned}"
    );
    let s = status(&plan_for("migrate-admin"), "wrong-key");
    let c = &s["clusters"][0];
    assert_ne!(c["state"], "fresh", "{s}");
    let errors = serde_json::to_string(c).unwrap();
    // The key is wrong, not a right missing: said so.
    assert!(
        errors.contains("the SecretKey (or the AccessKey) is wrong")
            || errors.contains("refused the credentials"),
        "{errors}"
    );
    assert!(!errors.contains("lacks the rights"), "{errors}");
    // A non-admin account lacks the rights to create topics.
    let reader = signed_as("reader", "reader-key-123");
    let e = rt
        .block_on(reader.create_topic(
            &secured.broker_addr,
            "T_NOPE",
            &TopicConfig {
                read_queues: 1,
                write_queues: 1,
                perm: 6,
                order: false,
                message_type: None,
            },
        ))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no permission") && e.contains("create topic T_NOPE"),
        "{e}"
    );
}

/// Preflight on ACL brokers, end to end: an account lacking a right the gates need is refused
/// at preflight, naming the broker and the right; the admin account passes with
/// the brokers' versions shown; and an ACL target the plan creates on asks to acknowledge the
/// right to create, which no broker lets the wizard try without creating.
#[test]
fn preflight_tries_the_accounts_rights_on_acl_brokers() {
    let secured = MqCluster::start_with("acl", &ADMIN_AND_READER);
    let plain = MqCluster::start("plain");
    let rt = rt();
    let signed = signed_as("migrate-admin", "s3cret-admin-key");
    let topic = TopicConfig {
        read_queues: 4,
        write_queues: 4,
        perm: 6,
        order: false,
        message_type: None,
    };
    let group = GroupConfig {
        broadcast: false,
        orderly: false,
        retry_queues: Some(1),
        retry_max_times: 16,
    };
    rt.block_on(signed.create_topic(&secured.broker_addr, "T_SEC", &topic))
        .unwrap();
    rt.block_on(signed.create_group(&secured.broker_addr, "G_SEC", &group))
        .unwrap();
    for t in ["T_SEC", "T_NEW"] {
        rt.block_on(admin().create_topic(&plain.broker_addr, t, &topic))
            .unwrap();
    }
    rt.block_on(admin().create_group(&plain.broker_addr, "G_SEC", &group))
        .unwrap();
    let acl = |mq: &MqCluster, ak: &str| {
        format!(
            "kind = \"remoting\"\nnamesrv = [\"{}\"]\naccess_key = \"{ak}\"\nsecret_key_env = \"ACL_TEST_SK\"",
            mq.namesrv
        )
    };
    let open = |mq: &MqCluster| format!("kind = \"remoting\"\nnamesrv = [\"{}\"]", mq.namesrv);
    let run = |plan: &Plan, sk: &str, args: &[&str]| {
        let o = Command::new(BIN)
            .arg("-c")
            .arg(&plan.path)
            .args(args)
            .env("ACL_TEST_SK", sk)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!text(&o).contains(sk), "the SecretKey leaked: {}", text(&o));
        o
    };
    let refused = |plan: &Plan, sk: &str| {
        let o = run(plan, sk, &["advance", "preflight", "--yes"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(3), "{out}");
        assert!(out.contains("REFUSED: complete preflight"), "{out}");
        out
    };
    let batch = "[[batch]]\nname = \"b\"\ntopics = [\"T_SEC\"]\nconsumer_groups = [\"G_SEC\"]\n";

    // A reader (no admin rights) on the source: refused, naming the broker and the right.
    let reader = Plan::new(&acl(&secured, "reader"), &open(&plain), batch);
    let out = refused(&reader, "reader-key-123");
    assert!(
        out.contains("source data is partial: broker acl-broker-a"),
        "{out}"
    );
    assert!(
        out.contains(
            "no permission: the AccessKey lacks the rights to list the consumers of G_SEC"
        ),
        "the right, in words: {out}"
    );

    // The admin account: preflight shows the brokers' versions and completes.
    let admin_plan = Plan::new(&acl(&secured, "migrate-admin"), &open(&plain), batch);
    let o = run(&admin_plan, "s3cret-admin-key", &["status", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let gate = serde_json::to_string(&s["next"]).unwrap();
    assert!(
        gate.contains("old runs 1 master broker: acl-broker-a V"),
        "versions in the preflight gate: {gate}"
    );
    let o = run(
        &admin_plan,
        "s3cret-admin-key",
        &["advance", "preflight", "--yes"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // An ACL target lacking T_NEW: the untried right to create is a line to acknowledge.
    let batch =
        "[[batch]]\nname = \"b\"\ntopics = [\"T_SEC\", \"T_NEW\"]\nconsumer_groups = [\"G_SEC\"]\n";
    let onto_acl = Plan::new(&open(&plain), &acl(&secured, "migrate-admin"), batch);
    let out = refused(&onto_acl, "s3cret-admin-key");
    assert!(out.contains("create-untried:target"), "{out}");
    assert!(
        out.contains("1 topic(s) and 0 group(s) that new lacks"),
        "{out}"
    );
    let o = run(
        &onto_acl,
        "s3cret-admin-key",
        &[
            "advance",
            "preflight",
            "--yes",
            "--ack",
            "create-untried:target",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// A server that accepts and then misbehaves in the given way.
fn bad_server(behaviour: &'static str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut s in l.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                match behaviour {
                    "garbage" => {
                        let _ = s.write_all(&[
                            0, 0, 0, 12, 9, 9, 9, 9, b'h', b'e', b'l', b'l', b'o', b'!', b'!', b'!',
                        ]);
                    }
                    "too-long" => {
                        let _ = s.write_all(&[0x7f, 0xff, 0xff, 0xff]);
                    }
                    _ => {}
                }
                std::thread::sleep(Duration::from_secs(30));
            });
        }
    });
    addr
}

#[test]
fn faults_end_in_clear_errors_without_hanging() {
    let new = MqCluster::start("new");
    let target = format!("kind = \"remoting\"\nnamesrv = [\"{}\"]", new.namesrv);
    let check = |source_addr: &str, expect: &str| {
        let plan = Plan::new(
            &format!("kind = \"remoting\"\nnamesrv = [\"{source_addr}\"]\ntimeout = \"1s\""),
            &target,
            ORDERS,
        );
        let start = Instant::now();
        let o = plan.run(&["check"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(out.contains(expect), "expected {expect:?} in:\n{out}");
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "took {:?}",
            start.elapsed()
        );
    };
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    check(
        &closed,
        "source cluster 'old' [remoting]: unreachable: NameServer",
    );
    check(&closed, "cannot connect to");
    check(&bad_server("garbage"), "unknown serialize type 9");
    check(&bad_server("too-long"), "longer than the limit");
    check(&bad_server("silent"), "did not answer within 1s");

    // A broker that dies: the snapshot turns partial; after a restart the next poll recovers.
    let mut old = MqCluster::start("old");
    let rt = rt();
    rt.block_on(admin().create_topic(
        &old.broker_addr,
        "T_ORDER",
        &TopicConfig {
            read_queues: 2,
            write_queues: 2,
            perm: 6,
            order: false,
            message_type: None,
        },
    ))
    .unwrap();
    let plan = Plan::new(
        &format!(
            "kind = \"remoting\"\nnamesrv = [\"{}\"]\ntimeout = \"1s\"",
            old.namesrv
        ),
        &target,
        ORDERS,
    );
    assert_eq!(plan.status()["clusters"][0]["state"], "fresh");
    old.kill_broker();
    let s = plan.status();
    let c = &s["clusters"][0];
    assert!(
        c["state"] == "partial" || c["state"] == "unreachable",
        "{c}"
    );
    assert!(
        group(&s, "G_BILLING")["source"]["backlog"].is_null(),
        "a dead broker's backlog is unknown, not 0"
    );
    old.start_broker();
    plan.wait_status(
        "recovered after the broker restarts",
        Duration::from_secs(40),
        |s| s["clusters"][0]["state"] == "fresh",
    );
}
