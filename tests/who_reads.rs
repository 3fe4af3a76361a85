//! Everyone on the batch's topics, on real servers run as production runs them
//! (`autoCreateTopicEnable=false`, `autoCreateSubscriptionGroup=false`, groups and topics only
//! where created): a group the plan forgot that consumes a batch topic (refused at preflight,
//! then either fix), a target consumer subscribing more narrowly than the source's at "release
//! producers", a planned group that also reads a topic outside its batch at "release remaining
//! consumers", broadcasting judged by how clients consume (not by what the group allows) and
//! attested instance by instance, and first consumers rolled back while their target group
//! never committed.
//!
//! Not here: clients of one group that subscribe a topic differently. The rocketmq-rust 1.0.0
//! broker (like the Java one) keeps one subscription per group and topic and replaces it only
//! with a higher `subVersion` (when the client subscribed), whatever the heartbeat order
//! (`ConsumerGroupInfo::update_subscription`): every broker of a two-broker source ends up
//! holding the newer client's expression, so no broker shows the disagreement.
//! tests/protocol.rs merges two Java-form connection answers that disagree, as the snapshot
//! merges the brokers' answers, and checks both expressions are kept.

mod support;

use rocketmq_migrate::stage::Stage;
use serde_json::Value;
use std::time::Duration;
use support::servers::{App, MqCluster};
use support::staged::{ORDERS, Staged, consume_as, poll, send};

const MINUTE: Duration = Duration::from_secs(60);

fn production(name: &str) -> MqCluster {
    MqCluster::start_production(name, &[])
}

/// `status --json`.
fn status(s: &Staged) -> Value {
    let o = s.run(&["status", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", support::text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A group's row of batch "orders" in `status --json`, on `side` ("source", "target").
fn group_row(s: &Value, group: &str, side: &str) -> Value {
    let groups = s["batches"][0]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (groups.iter())
        .find(|g| g["group"] == group)
        .map(|g| g[side].clone())
        .unwrap_or(Value::Null)
}

/// Waits until `status --json` shows `n` consumers of `group` on `side`.
fn wait_consumers(s: &Staged, group: &str, side: &str, n: u64) {
    poll(MINUTE, || {
        let row = group_row(&status(s), group, side);
        (row["consumers"] == n)
            .then_some(())
            .ok_or(format!("{group} on {side}: {row}"))
    });
}

/// The status of check `id` in the verdict `status --json` shows for the next step.
fn check_status(s: &Value, id: &str) -> Option<String> {
    let next = s["next"].as_array()?;
    next.iter()
        .flat_map(|v| v["checks"].as_array().cloned().unwrap_or_default())
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str().map(str::to_string))
}

/// A consumer of `group` subscribing `topics` with `extra` options (`--tags`, `--broadcast`).
fn consumer(namesrv: &str, group: &str, topics: &[&str], extra: &[&str]) -> App {
    let mut args = vec!["consume", "--group", group];
    for t in topics {
        args.extend(["--topic", *t]);
    }
    args.extend(extra);
    App::start(namesrv, &args)
}

#[test]
fn a_group_the_plan_forgot_is_refused_at_preflight_until_the_plan_leaves_it_behind_or_takes_it() {
    let old = production("old");
    old.create(&["T_ORDER"], &["G_BILLING", "G_AUDIT"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING", "G_AUDIT"]);
    // Who consumes a topic is read from the offsets committed on its brokers: G_AUDIT reads
    // three messages and stays connected (its offsets go when its last consumer leaves).
    send(&old.namesrv, "a", 3);
    let _audit = consume_as(&old, &old.namesrv, "G_AUDIT", 3);

    let s = Staged::plan(&[&old.namesrv], &new, ORDERS);
    let out = s.until_on(
        "preflight",
        "G_AUDIT consumes T_ORDER on source but is not in batch 'orders'",
        MINUTE,
    );
    assert!(out.contains("REFUSED"), "{out}");
    assert!(out.contains("`left_behind`"), "names both fixes: {out}");

    // Fix (a): the plan leaves it behind, with its reason; preflight passes and journals it.
    s.rewrite(&format!(
        "{ORDERS}[batch.left_behind]\nG_AUDIT = \"reads the archive until the old cluster goes\"\n"
    ));
    let (code, out) = s.advance("preflight", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        s.journal_text()
            .contains("G_AUDIT stays behind (reads the archive until the old cluster goes)"),
        "the journal keeps the reason:\n{}",
        s.journal_text()
    );

    // Fix (b), on a fresh journal: the plan takes G_AUDIT into the batch.
    let t = Staged::plan(
        &[&old.namesrv],
        &new,
        &(ORDERS.replace("[\"G_BILLING\"]", "[\"G_BILLING\", \"G_AUDIT\"]")
            + "[batch.subscriptions]\nG_AUDIT = [\"T_ORDER\"]\n"),
    );
    let (code, out) = t.advance("preflight", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("consumes T_ORDER on source but"), "{out}");
}

#[test]
fn a_target_consumer_with_a_narrower_tag_keeps_producers_on_the_source() {
    let old = production("old");
    old.create(&["T_ORDER"], &["G_BILLING"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    let _source = consumer(&old.namesrv, "G_BILLING", &["T_ORDER"], &[]);
    let narrow = consumer(&new.namesrv, "G_BILLING", &["T_ORDER"], &["--tags", "TagA"]);
    let s = Staged::at(&old, &new, ORDERS, Stage::DoubleRead);
    let line = "G_BILLING subscribes T_ORDER with tag TagA on the target but tag * on the source";
    let out = s.until(line, MINUTE);
    assert!(out.contains("REFUSED: release producers"), "{out}");
    assert!(s.journal_text().contains(line), "the refusal is journaled");

    // Redeployed with `*`, the first target consumer receives what the source's does.
    narrow.stop();
    let _wide = consumer(&new.namesrv, "G_BILLING", &["T_ORDER"], &[]);
    let out = poll(MINUTE, || {
        let (code, out) = s.advance("orders", &[]);
        (code == Some(0)).then_some(out.clone()).ok_or(out)
    });
    assert!(
        out.contains("release producers done (S_RW_D_R -> S_RW_D_RW)"),
        "{out}"
    );
}

#[test]
fn the_last_consumers_stay_while_their_group_also_reads_a_topic_outside_the_batch() {
    let old = production("old");
    old.create(&["T_ORDER", "T_AUDIT"], &["G_BILLING"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    let both = consumer(&old.namesrv, "G_BILLING", &["T_ORDER", "T_AUDIT"], &[]);
    let _target = consumer(&new.namesrv, "G_BILLING", &["T_ORDER"], &[]);
    let s = Staged::at(&old, &new, ORDERS, Stage::Draining);
    let out = s.until(
        "G_BILLING also consumes T_AUDIT on source, outside batch 'orders'",
        MINUTE,
    );
    assert!(
        out.contains("REFUSED: release remaining consumers"),
        "{out}"
    );

    // The remaining instance redeployed to read T_ORDER only: the check passes (the broker
    // drops T_AUDIT from the group with the next heartbeat of a consumer without it).
    let _only = consumer(&old.namesrv, "G_BILLING", &["T_ORDER"], &[]);
    both.stop();
    poll(MINUTE, || {
        let st = status(&s);
        let c = check_status(&st, "source-other-topics:G_BILLING");
        (c.as_deref() == Some("pass"))
            .then_some(())
            .ok_or(format!("{c:?}: {}", st["next"]))
    });
    let out = s.refusal();
    assert!(!out.contains("also consumes"), "{out}");
}

#[test]
fn clustering_clients_raise_no_broadcast_warning_whatever_the_group_allows() {
    let old = production("old");
    old.create(&["T_ORDER"], &["G_BILLING"]);
    // G_NOTIFY allows broadcasting (consumeBroadcastEnable, the Java default) but its clients
    // consume clustering; G_BILLING is created as the harness creates groups.
    old.create_broadcast_groups(&["G_NOTIFY"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    new.create_broadcast_groups(&["G_NOTIFY"]);
    let _billing = consumer(&old.namesrv, "G_BILLING", &["T_ORDER"], &[]);
    let _notify = consumer(&old.namesrv, "G_NOTIFY", &["T_ORDER"], &[]);
    let batch = ORDERS.replace("[\"G_BILLING\"]", "[\"G_BILLING\", \"G_NOTIFY\"]");
    let s = Staged::at(&old, &new, &batch, Stage::NotStarted);
    // Their clients are seen: the warning's absence is not for want of data.
    wait_consumers(&s, "G_BILLING", "source", 1);
    wait_consumers(&s, "G_NOTIFY", "source", 1);
    let (code, out) = s.advance("orders", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("broadcast"), "{out}");
    assert!(
        out.contains("release first consumers done (S_RW_D_NA -> S_RW_D_R)"),
        "{out}"
    );
}

/// The client ids a refusal asks to attest for `group` (`--ack broadcast-drained:G/<id>`).
fn attestations(out: &str, group: &str) -> Vec<String> {
    let marker = format!("--ack broadcast-drained:{group}/");
    let mut ids: Vec<String> = out
        .split(&marker)
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(str::to_string)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn broadcasting_clients_are_warned_of_and_attested_instance_by_instance() {
    let old = production("old");
    old.create(&["T_ORDER"], &[]);
    old.create_broadcast_groups(&["G_BCAST"]);
    let new = production("new");
    new.create(&["T_ORDER"], &[]);
    new.create_broadcast_groups(&["G_BCAST"]);
    let batch = ORDERS.replace("G_BILLING", "G_BCAST");
    // Each sets its instance name: broadcasting clients otherwise keep `DEFAULT`, and two on
    // one host share the client id `ip@DEFAULT`, which this broker lists once (a Java broker
    // lists each connection; the snapshot counts both, see src/cluster/remoting/mod.rs).
    let sources = ["bcast-1", "bcast-2"].map(|name| {
        consumer(
            &old.namesrv,
            "G_BCAST",
            &["T_ORDER"],
            &["--broadcast", "--instance", name],
        )
    });
    send(&old.namesrv, "a", 4);
    for c in &sources {
        c.wait_count("RECV", 4, MINUTE);
    }

    // Release first consumers: a warning saying what broadcasting means, acknowledged.
    let first = Staged::at(&old, &new, &batch, Stage::NotStarted);
    wait_consumers(&first, "G_BCAST", "source", 2);
    let out = first.until("(acknowledge with --ack broadcast-group:G_BCAST)", MINUTE);
    assert!(
        out.contains("group G_BCAST consumes in broadcasting mode"),
        "{out}"
    );
    let (code, out) = first.advance("orders", &["broadcast-group:G_BCAST"]);
    assert_eq!(code, Some(0), "{out}");

    // Release remaining consumers: no broker shows a broadcasting group's backlog, so each
    // source instance is attested by its client id (`ip@instance`).
    let _target = consumer(&new.namesrv, "G_BCAST", &["T_ORDER"], &["--broadcast"]);
    let last = Staged::at(&old, &new, &batch, Stage::Draining);
    wait_consumers(&last, "G_BCAST", "target", 1);
    let out = last.until("--ack broadcast-drained:G_BCAST/", MINUTE);
    let ids = attestations(&out, "G_BCAST");
    assert_eq!(ids.len(), 2, "one per source instance: {out}");
    assert!(
        ids[0].ends_with("@bcast-1") && ids[1].ends_with("@bcast-2"),
        "{ids:?}"
    );
    assert!(!out.contains("backlog of G_BCAST"), "{out}");

    // One attestation leaves the other asked for; both let the move through.
    let one = format!("broadcast-drained:G_BCAST/{}", ids[0]);
    let (code, out) = last.advance("orders", &[&one]);
    assert_eq!(code, Some(3), "{out}");
    assert_eq!(attestations(&out, "G_BCAST"), [ids[1].clone()], "{out}");
    let both: Vec<String> = ids
        .iter()
        .map(|id| format!("broadcast-drained:G_BCAST/{id}"))
        .collect();
    let acks: Vec<&str> = both.iter().map(String::as_str).collect();
    // Without --no-wait: once only the settle window stands in the way, advance waits for it.
    let out = poll(MINUTE, || {
        let mut args = vec!["advance", "orders", "--yes"];
        for a in &acks {
            args.extend(["--ack", *a]);
        }
        let o = last.run(&args);
        let out = support::text(&o);
        (o.status.code() == Some(0))
            .then_some(out.clone())
            .ok_or(out)
    });
    assert!(
        out.contains("release remaining consumers done (S_R_D_RW -> S_NA_D_RW)"),
        "{out}"
    );
    let journal = last.journal_text();
    for ack in &both {
        assert!(
            journal
                .lines()
                .any(|l| l.contains("\"acknowledged\"") && l.contains(ack.as_str())),
            "{ack} journaled as acknowledged:\n{journal}"
        );
    }
}

/// The target group has no committed offset while its topic holds messages (a smoke test wrote
/// them before). A consumer online there that consumed nothing cannot be had on these
/// servers: a new group's first pull starts at offset 0 while the messages are in memory (the
/// broker's rule, whatever the client's consume-from-where), so it reads them and commits; and
/// with an empty topic the backlog is a true 0 (empty queues hold nothing, whoever consumed
/// them), which never needed the topics' judgement; and a group whose first consumer read and
/// committed there, then left (gracefully or killed), kept its offsets (a known 0). So here the
/// first consumers never reached the target (or left before their first pull).
#[test]
fn first_consumers_whose_target_group_never_committed_roll_back_once_nothing_was_written() {
    let old = production("old");
    old.create(&["T_ORDER"], &["G_BILLING"]);
    let new = production("new");
    new.create(&["T_ORDER"], &["G_BILLING"]);
    send(&new.namesrv, "smoke", 3);
    let _source = consumer(&old.namesrv, "G_BILLING", &["T_ORDER"], &[]);
    let s = Staged::at(&old, &new, ORDERS, Stage::DoubleRead);
    let row = group_row(&status(&s), "G_BILLING", "target");
    assert!(
        row["backlog"].is_null()
            && row["unknown"]
                .as_str()
                .is_some_and(|w| w.contains("has never consumed T_ORDER")),
        "unknown, not 0: {row}"
    );

    // Nothing written to the target since: judged by its topics, the window holds (2 s).
    let o = s.run(&["rollback", "orders", "--yes"]);
    let out = support::text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("roll back first consumers done (S_RW_D_R -> S_RW_D_NA)"),
        "{out}"
    );
    assert!(!out.contains("G_BILLING on target is 0"), "{out}");
    assert!(
        s.journal_text()
            .contains("judged by its topics instead, nothing written to them"),
        "the verdict journaled says how it was judged:\n{}",
        s.journal_text()
    );
}
