//! The runbook of each stage: what the operator does in the applications, built from the live
//! connections and ticked as instances move, and what the wizard waits for, in sentences.

mod support;

use rocketmq_migrate::plan::Side;
use rocketmq_migrate::runbook::{self, Goal, Now, Reader, Role};
use rocketmq_migrate::stage::{Stage, Step};
use rocketmq_migrate::wizard::Outcome;
use support::*;

const T0: u64 = 1_700_000_000_000;

fn now_of(h: &Harness, at: u64) -> Now {
    read_by(h, at, Reader::Driver)
}

fn read_by(h: &Harness, at: u64, reader: Reader) -> Now {
    let step = Step::Batch("orders".into());
    let v = h.w.forward_verdict(&step, at).map(|(_, v)| v);
    runbook::now(&h.w, &step, v.as_ref(), reader)
}

/// The words that follow a move the harness just made.
fn after(h: &Harness, o: &Outcome, reader: Reader) -> String {
    let Outcome::Moved { step, made } = o else {
        panic!("not moved: {o:?}")
    };
    runbook::after_move(&h.w.plan, &h.w.progress, step, *made, reader)
}

#[test]
fn first_consumers_list_every_instance_to_restart_and_tick_those_on_the_target() {
    let mut h = Harness::ready(T0);
    let n = now_of(&h, T0);
    assert!(
        n.instruction
            .starts_with("Restart SOME consumers of batch 'orders' (one or more per group; the rest stay) on the new cluster (settings: p).")
    );
    assert_eq!(
        n.how_to_stop.as_deref(),
        Some("Stop gracefully (never kill -9): offsets commit.")
    );
    let a = &n.checklist[0];
    assert_eq!(
        (a.group.as_str(), a.role, a.goal, a.done),
        ("G_A", Role::Consumer, Goal::SomeOnTarget, false)
    );
    assert_eq!(
        a.summary,
        "G_A: none on the target yet; 2 on the source: G_A-source-0, G_A-source-1"
    );
    assert_eq!(
        a.instances.iter().map(|i| i.line()).collect::<Vec<_>>(),
        [
            "[ ] G_A-source-0 on the source (G_A-source-0, V4_9_4)",
            "[ ] G_A-source-1 on the source (G_A-source-1, V4_9_4)"
        ]
    );
    assert_eq!(
        n.waiting,
        "Nothing: the gate is open. Press Enter to release first consumers."
    );

    // One instance of G_A restarted on the target: G_A is ticked, G_B not yet.
    h.observe(
        Snap::new(Side::Target, T0)
            .group(group("G_A").consumers(1).subscribed(&["T_ORDER", "T_PAY"]))
            .build(),
        T0,
    );
    let n = now_of(&h, T0);
    assert!(n.checklist[0].done);
    assert_eq!(
        n.checklist[0].summary,
        "1 of 3 instances of G_A on the target: G_A-target-0"
    );
    assert!(
        n.checklist[0]
            .instances
            .iter()
            .any(|i| i.line() == "[x] G_A-target-0 on the target (G_A-target-0, V4_9_4)")
    );
    assert!(!n.checklist[1].done);
}

#[test]
fn each_stage_says_what_to_move_and_what_it_waits_for() {
    let mut h = Harness::ready(T0);
    h.observe(target_with_consumers(T0).build(), T0);
    assert!(moved(&h.advance("orders", T0)));
    assert_eq!(h.w.progress.stage("orders"), Stage::DoubleRead);

    // Producers next: the plan's producer group, every instance off the source.
    let n = now_of(&h, T0);
    assert!(
        n.instruction
            .starts_with("Restart EVERY producer of batch 'orders'"),
        "{}",
        n.instruction
    );
    let p = &n.checklist[0];
    assert_eq!(
        (p.group.as_str(), p.role, p.goal),
        ("P_ORDER", Role::Producer, Goal::AllOffSource)
    );
    assert_eq!(
        p.summary,
        "2 of 2 instances of P_ORDER still on the source: P_ORDER-source-0, P_ORDER-source-1"
    );
    assert_eq!(
        n.waiting,
        "Nothing: the gate is open. Press Enter to release producers."
    );

    // A group with no consumer on the target: the sentence says what the wizard waits to see.
    h.observe(target_with_consumers(T0).group(group("G_B")).build(), T0);
    let n = now_of(&h, T0);
    assert_eq!(
        n.waiting,
        "Waiting for a consumer of G_B on the target, subscribed to its topics."
    );

    // The remaining consumers: ticked as they leave the source.
    h.observe(
        target_with_consumers(T0).producers("P_ORDER", 2).build(),
        T0,
    );
    assert!(moved(&h.advance("orders", T0)));
    h.observe(source_start(T0).producers("P_ORDER", 0).build(), T0);
    assert!(moved(&h.advance("orders", T0)));
    assert_eq!(h.w.progress.stage("orders"), Stage::Draining);
    let n = now_of(&h, T0);
    let a = &n.checklist[0];
    assert_eq!(a.goal, Goal::AllOffSource);
    assert_eq!(
        a.summary,
        "2 of 3 instances of G_A still on the source: G_A-source-0, G_A-source-1"
    );
    assert_eq!(
        n.waiting,
        "Waiting for the backlog of G_A on the source to drain."
    );
    let text = n.text("  ");
    assert!(
        text.contains("  now: Once the source is drained for the settle window"),
        "{text}"
    );
    assert!(
        text.contains("[ ] 2 of 3 instances of G_A still on the source"),
        "{text}"
    );
    assert!(text.contains("[x] G_A-target-0 on the target"), "{text}");
}

#[test]
fn instances_nobody_could_read_are_not_known_never_none() {
    let mut h = Harness::ready(T0);
    h.observe(source_start(T0).unknown_consumers("G_A").build(), T0);
    let n = now_of(&h, T0);
    assert_eq!(
        n.checklist[0].summary,
        "consumers of G_A on the source are not known yet"
    );
    assert!(!n.checklist[0].done);
}

#[test]
fn client_settings_of_a_self_built_target_name_its_nameservers_and_never_a_secret() {
    let plan = rocketmq_migrate::plan::Plan::parse(
        std::path::Path::new("p.toml"),
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[target]\nkind = \"remoting\"\nname = \"new-idc\"\nnamesrv = [\"10.9.0.1:9876\", \"10.9.0.2:9876\"]\naccess_key = \"migrate-admin\"\nsecret_key_env = \"TARGET_SK\"\n[target.tls]\naccept_any_certificate = true\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_A\"]\n",
    )
    .unwrap();
    let text = runbook::client_settings(&plan, None, &plan.batches[0]);
    assert!(
        text.contains("namesrvAddr=10.9.0.1:9876;10.9.0.2:9876\n"),
        "{text}"
    );
    assert!(text.contains("# TLS: on"), "{text}");
    assert!(
        text.contains("topics: T_ORDER\nconsumer groups: G_A\n"),
        "{text}"
    );
    assert!(
        text.contains("each application's own ACL account"),
        "{text}"
    );
    assert!(
        !text.contains("migrate-admin") && !text.contains("TARGET_SK"),
        "{text}"
    );
}

#[test]
fn what_follows_a_move_is_what_the_now_box_then_says() {
    let mut h = Harness::new();
    h.observe(source_start(T0).build(), T0);
    h.observe(Snap::new(Side::Target, T0).build(), T0);
    let o = h.advance("preflight", T0);
    let said = after(&h, &o, Reader::Driver);
    let metadata = runbook::now(&h.w, &Step::Metadata, None, Reader::Driver);
    assert_eq!(
        said,
        format!("Preflight complete. Next: {}", metadata.instruction)
    );
    assert!(said.contains("press s, read the list, confirm"), "{said}");

    let o = h.advance("metadata", T0);
    assert_eq!(
        after(&h, &o, Reader::Driver),
        format!("Metadata complete. Next: {}", now_of(&h, T0).instruction)
    );

    // Each forward move of the batch: the words after it are the now box's of the stage it
    // reached, never a second text that could disagree with it.
    h.observe(target_with_consumers(T0).build(), T0);
    let o = h.advance("orders", T0);
    let said = after(&h, &o, Reader::Driver);
    assert_eq!(
        said,
        format!(
            "batch 'orders': release first consumers done (S_RW_D_NA -> S_RW_D_R). Next: {}",
            now_of(&h, T0).instruction
        )
    );
    assert!(said.contains("Restart EVERY producer"), "{said}");

    // A rewind says what to undo in the applications: the runbook walks forward only. Its
    // gate waits for the target to stay quiet for the settle window.
    let mut now = T0;
    for _ in 0..4 {
        now += 20_000;
        h.observe(source_start(now).build(), now);
        h.observe(target_with_consumers(now).build(), now);
    }
    let o = h.rollback("orders", now);
    let said = after(&h, &o, Reader::Driver);
    assert!(
        said.contains("Move the first consumers of batch 'orders' back to the source cluster"),
        "{said}"
    );
    assert_eq!(h.w.progress.stage("orders"), Stage::NotStarted);
}

#[test]
fn each_reader_is_told_how_they_take_the_step() {
    let mut h = Harness::ready(T0);
    h.observe(target_with_consumers(T0).build(), T0);
    let driver = read_by(&h, T0, Reader::Driver);
    assert!(
        driver.instruction.ends_with("Then press Enter."),
        "{driver:?}"
    );
    assert_eq!(
        driver.waiting,
        "Nothing: the gate is open. Press Enter to release first consumers."
    );
    let watcher = read_by(&h, T0, Reader::Watcher);
    assert!(
        watcher
            .instruction
            .ends_with("Then the driver presses Enter."),
        "{watcher:?}"
    );
    assert_eq!(
        watcher.waiting,
        "Nothing: the gate is open; the driver can release first consumers."
    );
    // At the command line, the command to run, never a key.
    let command = read_by(&h, T0, Reader::Command);
    assert!(
        command
            .instruction
            .ends_with("Then run `rocketmq-migrate advance orders`."),
        "{command:?}"
    );
    assert_eq!(
        command.waiting,
        "Nothing: the gate is open. Run `rocketmq-migrate advance orders` to release first consumers."
    );
    assert_eq!(command.checklist, driver.checklist);
    let metadata = runbook::instruction(
        &h.w.plan,
        &Default::default(),
        &Step::Metadata,
        Reader::Command,
    );
    assert!(
        metadata.contains("run `rocketmq-migrate sync-metadata`, read the list, confirm")
            && metadata
                .ends_with("then run `rocketmq-migrate advance metadata` to confirm metadata."),
        "{metadata}"
    );
}
