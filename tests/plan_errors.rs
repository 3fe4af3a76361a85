//! Malformed plans: each error names the file, line and field, and says how to fix it.

use rocketmq_migrate::plan::{ClusterKind, Plan};
use std::path::Path;

const GOOD_TAIL: &str = r#"
[[batch]]
name = "orders"
topics = ["T_ORDER"]
consumer_groups = ["G_BILLING"]
"#;

const REHEARSAL: &str = r#"[source]
kind = "rehearsal"

[target]
kind = "rehearsal"
"#;

fn errors(text: &str) -> String {
    match Plan::parse(Path::new("plan.toml"), text) {
        Ok(_) => panic!("plan was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "expected {p:?} in:\n{msg}");
    }
}

#[test]
fn the_repository_example_and_the_rehearsal_plan_are_valid() {
    let text = std::fs::read_to_string("migration.toml").unwrap();
    let plan = Plan::parse(Path::new("migration.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(plan.source.kind, ClusterKind::Remoting(_)));
    assert!(matches!(plan.target.kind, ClusterKind::Tdmq(_)));
    assert_eq!(plan.batches.len(), 3);
    let orders = plan.batch("orders").unwrap();
    let search = orders
        .groups
        .iter()
        .find(|g| g.name == "GID_ORDER_SEARCH")
        .unwrap();
    assert_eq!(search.topics, ["ORDER_CREATED"]);
    let billing = orders
        .groups
        .iter()
        .find(|g| g.name == "GID_ORDER_BILLING")
        .unwrap();
    assert_eq!(billing.topics.len(), 3, "default: all batch topics");

    let demo = rocketmq_migrate::cluster::rehearsal::BUILTIN_PLAN;
    let plan = Plan::parse(Path::new("demo.toml"), demo).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.gates.settle_window.as_secs(), 30);
}

#[test]
fn defaults_are_safe() {
    let plan = Plan::parse(Path::new("p.toml"), &format!("{REHEARSAL}{GOOD_TAIL}")).unwrap();
    assert_eq!(plan.gates.max_backlog, 0);
    assert_eq!(plan.gates.settle_window.as_secs(), 60);
    assert_eq!(plan.gates.stale_after.as_secs(), 10);
    assert_eq!(plan.gates.poll_interval.as_secs(), 1);
}

#[test]
fn toml_syntax_error_names_line() {
    let msg = errors("[source]\nkind = \"rehearsal\n");
    assert_has(&msg, &["plan.toml:2", "fix: correct the TOML syntax"]);
}

#[test]
fn unknown_top_level_key_is_an_error() {
    let msg = errors(&format!(
        "{REHEARSAL}{GOOD_TAIL}\n[gate]\nmax_backlog = 0\n"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:12",
            "unknown field `gate`",
            "remove the key or correct its spelling",
            "`gates`",
        ],
    );
}

#[test]
fn unknown_key_in_gates_names_the_field() {
    let msg = errors(&format!(
        "{REHEARSAL}\n[gates]\nsettle = \"60s\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:8",
            "`gates.settle`",
            "unknown field `settle`",
            "settle_window",
        ],
    );
}

#[test]
fn unknown_key_in_a_batch_names_the_batch() {
    let msg = errors(&format!(
        "{REHEARSAL}{GOOD_TAIL}\n[[batch]]\nname = \"b\"\ntopics = [\"X\"]\nconsumer_groups = [\"Y\"]\ntopic = \"Z\"\n"
    ));
    assert_has(
        &msg,
        &["plan.toml:16", "`batch[2].topic`", "unknown field `topic`"],
    );
}

#[test]
fn a_literal_secret_is_refused_without_echoing_it() {
    let text = "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\naccess_key = \"ak\"\nsecret_key = \"Sup3rS3cretValue\"\n\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n".to_string() + GOOD_TAIL;
    let msg = errors(&text);
    assert_has(
        &msg,
        &[
            "plan.toml:5",
            "`source.secret_key`",
            "secret_key_env",
            "secret_key_file",
            "<value hidden>",
        ],
    );
    assert!(!msg.contains("Sup3rS3cretValue"), "secret echoed:\n{msg}");
}

#[test]
fn a_syntax_error_on_a_secret_line_does_not_echo_it() {
    let msg = errors("[source]\nkind = \"remoting\"\nsecret_key = \"Sup3rS3cretValue\n");
    assert!(!msg.contains("Sup3rS3cretValue"), "secret echoed:\n{msg}");
    assert_has(&msg, &["plan.toml:3"]);
}

#[test]
fn unknown_cluster_kind() {
    let msg = errors(&format!(
        "[source]\nkind = \"kafka\"\n[target]\nkind = \"rehearsal\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:2",
            "`source.kind`",
            "unknown cluster kind \"kafka\"",
            "\"remoting\"",
            "\"tdmq\"",
            "\"rehearsal\"",
        ],
    );
}

#[test]
fn missing_source_and_target_tables() {
    let msg = errors(GOOD_TAIL);
    assert_has(
        &msg,
        &[
            "2 problems",
            "no [source] table",
            "no [target] table",
            "add a [source] table",
        ],
    );
}

#[test]
fn remoting_without_namesrv() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "`source.namesrv`",
            "needs `namesrv`",
            "namesrv = [\"10.0.0.1:9876\"",
        ],
    );
}

#[test]
fn bad_namesrv_address() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1\", \"h:99999\"]\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:3:12",
            "\"10.0.0.1\" is not a NameServer address: the port is missing",
            "plan.toml:3:24",
            "\"h:99999\"",
            "1 to 65535",
            "host:port",
        ],
    );
}

#[test]
fn tdmq_without_required_fields() {
    let msg = errors(&format!(
        "{}[target]\nkind = \"tdmq\"\nregion = \"ap-guangzhou\"\n{GOOD_TAIL}",
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n"
    ));
    assert_has(
        &msg,
        &[
            "`target.cluster_id`",
            "`target.namespace`",
            "`target.secret_id`",
            "`target.secret_key_env`",
            "no SecretKey is referenced",
        ],
    );
}

#[test]
fn a_key_of_another_kind() {
    let msg = errors(&format!(
        "[source]\nkind = \"rehearsal\"\nregion = \"ap-guangzhou\"\n[target]\nkind = \"rehearsal\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:3",
            "`source.region`",
            "does not apply to a cluster of kind \"rehearsal\"",
        ],
    );
}

#[test]
fn access_key_without_secret_and_secret_without_access_key() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\naccess_key = \"ak\"\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\nsecret_key_env = \"DST_SK\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:4",
            "AccessKey is given without its SecretKey",
            "plan.toml:8",
            "SecretKey is referenced without an AccessKey",
        ],
    );
}

#[test]
fn both_secret_sources() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\naccess_key = \"ak\"\nsecret_key_env = \"SK\"\nsecret_key_file = \"sk.txt\"\n[target]\nkind = \"rehearsal\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:6",
            "both secret_key_env and secret_key_file",
            "keep one",
        ],
    );
}

#[test]
fn secret_env_holding_a_value_instead_of_a_name() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\naccess_key = \"ak\"\nsecret_key_env = \"abc/def+ghi==\"\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:5",
            "is not an environment variable name",
            "never the secret itself",
        ],
    );
}

#[test]
fn only_one_side_rehearsal() {
    let msg = errors(&format!(
        "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "`target.kind`",
            "only one side is a rehearsal",
            "on both sides",
        ],
    );
}

#[test]
fn source_and_target_are_the_same_cluster() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &["share the NameServer 10.0.0.1:9876", "different cluster"],
    );
}

#[test]
fn no_batches() {
    let msg = errors(REHEARSAL);
    assert_has(&msg, &["no [[batch]]", "add at least one [[batch]]"]);
}

#[test]
fn batch_missing_consumer_groups() {
    let msg = errors(&format!(
        "{REHEARSAL}\n[[batch]]\nname = \"a\"\ntopics = [\"T\"]\n"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:7",
            "missing field `consumer_groups`",
            "add `consumer_groups`",
        ],
    );
}

#[test]
fn duplicate_and_reserved_batch_names() {
    let msg = errors(&format!(
        "{REHEARSAL}{GOOD_TAIL}\n[[batch]]\nname = \"orders\"\ntopics = [\"T2\"]\nconsumer_groups = [\"G2\"]\n\n[[batch]]\nname = \"finish\"\ntopics = [\"T3\"]\nconsumer_groups = [\"G3\"]\n"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:13",
            "`batch[2].name`",
            "used twice",
            "plan.toml:18",
            "\"finish\" is the name of a wizard step",
        ],
    );
}

#[test]
fn a_topic_and_a_group_in_two_batches() {
    let msg = errors(&format!(
        "{REHEARSAL}{GOOD_TAIL}\n[[batch]]\nname = \"b\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_BILLING\"]\n"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:14",
            "topic \"T_ORDER\" is already in batch \"orders\"",
            "plan.toml:15",
            "consumer group \"G_BILLING\" is already in batch \"orders\"",
            "exactly one batch",
        ],
    );
}

#[test]
fn invalid_names() {
    let msg = errors(&format!(
        "{REHEARSAL}\n[[batch]]\nname = \"my batch\"\ntopics = [\"%RETRY%G\", \"bad.topic\", \"T\", \"T\"]\nconsumer_groups = []\n"
    ));
    assert_has(
        &msg,
        &[
            "`batch[1].name`",
            "letters, digits",
            "retry or dead-letter topic",
            "contains '.'",
            "listed twice",
            "no consumer groups are listed",
        ],
    );
}

#[test]
fn subscriptions_must_fit_the_batch() {
    let msg = errors(&format!(
        "{REHEARSAL}{GOOD_TAIL}[batch.subscriptions]\nG_OTHER = [\"T_ORDER\"]\nG_BILLING = [\"T_NOPE\"]\n"
    ));
    assert_has(
        &msg,
        &[
            "`batch[1].subscriptions.G_OTHER`",
            "not one of this batch's consumer_groups",
            "plan.toml:13",
            "topic \"T_NOPE\" is not one of this batch's topics",
        ],
    );
}

#[test]
fn bad_durations_and_thresholds() {
    let msg = errors(&format!(
        "{REHEARSAL}\n[gates]\nmax_backlog = -1\nsettle_window = \"sixty\"\nstale_after = \"0s\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:8",
            "`gates.max_backlog`",
            "negative",
            "plan.toml:9",
            "\"sixty\" is not a duration",
            "plan.toml:10",
            "the duration is zero",
        ],
    );
}

#[test]
fn stale_limit_must_exceed_poll_interval() {
    let msg = errors(&format!(
        "{REHEARSAL}\n[gates]\nstale_after = \"5s\"\npoll_interval = \"10s\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:8",
            "`gates.stale_after`",
            "not longer than poll_interval",
            "at least twice",
        ],
    );
}

#[test]
fn wrong_value_type() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = \"10.0.0.1:9876\"\n[target]\nkind = \"rehearsal\"\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:3",
            "`source.namesrv`",
            "invalid type",
            "expected form",
        ],
    );
}

#[test]
fn unreadable_plan_file_says_what_to_do() {
    let e = Plan::load(Path::new("/nonexistent/plan.toml"))
        .unwrap_err()
        .to_string();
    assert_has(
        &e,
        &[
            "/nonexistent/plan.toml",
            "cannot read the plan",
            "-c/--config",
            "demo",
        ],
    );
}

#[test]
fn connect_via_must_map_addresses() {
    let msg = errors(&format!(
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[source.connect_via]\n\"10.0.0.5:10911\" = \"localhost\"\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &[
            "plan.toml:5",
            "`source.connect_via`",
            "is not a pair of addresses",
            "host:port",
        ],
    );
    let ok = Plan::parse(Path::new("p.toml"), &format!("[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[source.connect_via]\n\"10.0.0.5:10911\" = \"127.0.0.1:20911\"\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}")).unwrap();
    let ClusterKind::Remoting(r) = &ok.source.kind else {
        panic!()
    };
    assert_eq!(r.connect_via["10.0.0.5:10911"], "127.0.0.1:20911");
}

#[test]
fn tls_settings_that_contradict_or_are_half_given_are_refused() {
    let remoting = |tls: &str| {
        format!(
            "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[source.tls]\n{tls}\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.2:9876\"]\n{GOOD_TAIL}"
        )
    };
    let msg = errors(&remoting(
        "ca_file = \"ca.pem\"\naccept_any_certificate = true",
    ));
    assert_has(
        &msg,
        &["`source.tls`", "contradict each other", "trust the CA file"],
    );
    let msg = errors(&remoting("client_cert_file = \"me.pem\""));
    assert_has(
        &msg,
        &[
            "`source.tls`",
            "needs both `client_cert_file` and `client_key_file`",
        ],
    );
    let msg = errors(&remoting("ca_file = \"ca.pem\"\nverify = false"));
    assert_has(&msg, &["unknown field `verify`"]);
    let plan = Plan::parse(
        Path::new("p.toml"),
        &remoting("ca_file = \"ca.pem\"\nserver_name = \"mq.internal\""),
    )
    .unwrap();
    let ClusterKind::Remoting(r) = &plan.source.kind else {
        panic!("remoting")
    };
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.ca_file.as_deref(), Some(Path::new("ca.pem")));
    assert_eq!(tls.server_name.as_deref(), Some("mq.internal"));
    assert!(!tls.accept_any_certificate);
}

const REMOTING_SOURCE: &str = "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n";
const CREDENTIALS: &str =
    "region = \"ap-guangzhou\"\nsecret_id = \"AKID\"\nsecret_key_env = \"SK\"\n";

#[test]
fn a_5x_instance_is_named_by_version_and_instance_id() {
    let text = format!(
        "{REMOTING_SOURCE}[target]\nkind = \"tdmq\"\nversion = 5\ninstance_id = \"rmq-abc\"\n{CREDENTIALS}{GOOD_TAIL}topic_types = {{ T_ORDER = \"fifo\" }}\n"
    );
    let plan = Plan::parse(Path::new("p.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let ClusterKind::Tdmq(t) = &plan.target.kind else {
        panic!("not tdmq")
    };
    assert_eq!(
        t.product,
        rocketmq_migrate::plan::TdmqProduct::V5 {
            instance_id: "rmq-abc".into()
        }
    );
    assert_eq!(
        plan.batches[0].topic_types["T_ORDER"],
        rocketmq_migrate::model::TopicMessageType::Fifo
    );

    // An instance id without the version: the plan's guess is said and how to fix it.
    let msg = errors(&format!(
        "{REMOTING_SOURCE}[target]\nkind = \"tdmq\"\ninstance_id = \"rmq-abc\"\n{CREDENTIALS}{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &["`target.instance_id`", "5.x instance", "`version = 5`"],
    );
    // A 5.x instance has no cluster id or namespace.
    let msg = errors(&format!(
        "{REMOTING_SOURCE}[target]\nkind = \"tdmq\"\nversion = 5\ninstance_id = \"rmq-abc\"\nnamespace = \"ns\"\n{CREDENTIALS}{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &["`target.namespace`", "does not apply", "tdmq version 5"],
    );
    let msg = errors(&format!(
        "{REMOTING_SOURCE}[target]\nkind = \"tdmq\"\nversion = 6\n{CREDENTIALS}{GOOD_TAIL}"
    ));
    assert_has(
        &msg,
        &["`target.version`", "`version = 4`", "`version = 5`"],
    );
    // A topic type that does not exist, for a topic the batch does not have.
    let msg = errors(&format!(
        "{REMOTING_SOURCE}[target]\nkind = \"tdmq\"\nversion = 5\ninstance_id = \"rmq-abc\"\n{CREDENTIALS}{GOOD_TAIL}topic_types = {{ T_ORDER = \"ORDERED\", T_OTHER = \"DELAY\" }}\n"
    ));
    assert_has(
        &msg,
        &[
            "`batch[1].topic_types.T_ORDER`",
            "\"ORDERED\" is not a topic type",
            "FIFO",
            "`batch[1].topic_types.T_OTHER`",
            "not one of this batch's topics",
        ],
    );
}
