//! Every stage and dialog of the wizard drawn from a fixed state, at 80x24 and 160x48, as text
//! snapshots; plus the styles meaning depends on, and NO_COLOR.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use rocketmq_migrate::plan::Side;
use rocketmq_migrate::stage::Stage;
use rocketmq_migrate::ui::app::{App, Event};
use rocketmq_migrate::ui::render;
use support::*;

const T0: u64 = 1_700_000_000_000;
const S: u64 = 1000;

/// The orders batch walked to `stage` through the real wizard; returns the harness and its clock.
fn at_stage(stage: Stage) -> (Harness, u64) {
    let mut h = Harness::ready(T0);
    let mut now = T0;
    let step = |h: &mut Harness, now: u64| {
        assert!(
            moved(&h.advance("orders", now)),
            "{:?}",
            h.w.progress.stage("orders")
        )
    };
    if stage >= Stage::DoubleRead {
        step(&mut h, now);
    }
    if stage >= Stage::DoubleWrite {
        h.observe(source_start(now).build(), now);
        h.observe(
            target_with_consumers(now).producers("P_ORDER", 2).build(),
            now,
        );
        step(&mut h, now);
    }
    if stage >= Stage::Draining {
        h.observe(source_start(now).producers("P_ORDER", 0).build(), now);
        step(&mut h, now);
    }
    if stage >= Stage::TargetOnly {
        for _ in 0..4 {
            now += 20 * S;
            h.observe(drained_source(now).build(), now);
            h.observe(target_with_consumers(now).build(), now);
        }
        step(&mut h, now);
    }
    if stage >= Stage::Done {
        h.observe(emptied_source(now).build(), now);
        step(&mut h, now);
    }
    (h, now)
}

fn app_from(h: &Harness, now: u64) -> App {
    let mut app = App::new(
        h.w.clone(),
        "plan.journal.jsonl".into(),
        "rocketmq-migrate.log".into(),
    );
    // A little history for the sparklines: backlog falling on the source.
    for (i, b) in [40u64, 32, 25, 18, 12, 6].iter().enumerate() {
        let at = now - (6 - i as u64) * 2 * S;
        let snap = source_start(at)
            .group(
                group("G_A")
                    .consumers(2)
                    .subscribed(&["T_ORDER", "T_PAY"])
                    .backlog(*b),
            )
            .build();
        app.ui.history.record(&snap);
    }
    app
}

fn select(app: &mut App, step: &str) {
    let i = app.steps().iter().position(|s| s.key() == step).unwrap();
    app.ui.selected = i;
}

fn key(app: &mut App, code: KeyCode, now: u64) {
    let effects = app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), now);
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, rocketmq_migrate::ui::app::Effect::Quit))
    );
}

/// The screen at `now`: the clock's tick recomputes the screen model, then it is drawn.
fn draw(app: &mut App, w: u16, h: u16, now: u64) -> Terminal<TestBackend> {
    app.handle(Event::Tick, now);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render::draw(f, app)).unwrap();
    t
}

fn snapshot_both(name: &str, app: &mut App, now: u64) {
    for (w, h) in [(80, 24), (160, 48)] {
        let t = draw(app, w, h, now);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend().to_string());
    }
}

#[test]
fn every_stage_of_a_batch() {
    for (stage, name) in [
        (Stage::NotStarted, "stage_not_started"),
        (Stage::DoubleRead, "stage_double_read"),
        (Stage::DoubleWrite, "stage_double_write"),
        (Stage::Draining, "stage_draining"),
        (Stage::TargetOnly, "stage_target_only"),
        (Stage::Done, "stage_done"),
    ] {
        let (h, now) = at_stage(stage);
        assert_eq!(h.w.progress.stage("orders"), stage);
        let mut app = app_from(&h, now);
        select(&mut app, "batch:orders");
        snapshot_both(name, &mut app, now + 3 * S);
    }
}

#[test]
fn preflight_metadata_and_finish_steps() {
    let mut h = Harness::new();
    h.observe(source_start(T0).build(), T0);
    h.observe(
        Snap::new(Side::Target, T0)
            .missing_topic("T_PAY")
            .unreachable()
            .build(),
        T0,
    );
    let mut app = app_from(&h, T0);
    snapshot_both("step_preflight_target_unreachable", &mut app, T0 + S);

    let (h, now) = at_stage(Stage::NotStarted);
    let mut app = app_from(&h, now);
    select(&mut app, "finish");
    snapshot_both("step_finish_blocked", &mut app, now + 40 * S);
}

#[test]
fn every_dialog() {
    // Confirm: the gate of release first consumers is open.
    let (h, now) = at_stage(Stage::NotStarted);
    let mut app = app_from(&h, now);
    select(&mut app, "batch:orders");
    key(&mut app, KeyCode::Enter, now);
    snapshot_both("dialog_confirm", &mut app, now);

    // Refused: producers before consumers on the target.
    let (mut h, now) = at_stage(Stage::DoubleRead);
    h.observe(Snap::new(Side::Target, now).build(), now);
    let mut app = app_from(&h, now);
    select(&mut app, "batch:orders");
    key(&mut app, KeyCode::Enter, now);
    snapshot_both("dialog_refused_producers_first", &mut app, now);

    // Typed confirmation for an irreversible step, half typed.
    let (mut h, mut now) = at_stage(Stage::Draining);
    for _ in 0..4 {
        now += 20 * S;
        h.observe(drained_source(now).build(), now);
        h.observe(target_with_consumers(now).build(), now);
    }
    let mut app = app_from(&h, now);
    select(&mut app, "batch:orders");
    key(&mut app, KeyCode::Enter, now);
    for c in "ord".chars() {
        key(&mut app, KeyCode::Char(c), now);
    }
    snapshot_both("dialog_type_batch_name", &mut app, now);

    // Acknowledge: the stock batch's ordered topic.
    let mut h = Harness::ready(T0);
    h.observe(source_start(T0).ordered("T_STOCK").build(), T0);
    let mut app = app_from(&h, T0);
    select(&mut app, "batch:stock");
    key(&mut app, KeyCode::Enter, T0);
    snapshot_both("dialog_acknowledge", &mut app, T0);

    // Quit while mid-migration, help, filter, message.
    let (h, now) = at_stage(Stage::DoubleWrite);
    let mut app = app_from(&h, now);
    key(&mut app, KeyCode::Char('q'), now);
    snapshot_both("dialog_quit_mid_migration", &mut app, now);
    let mut app = app_from(&h, now);
    key(&mut app, KeyCode::Char('?'), now);
    snapshot_both("dialog_help", &mut app, now);
    let mut app = app_from(&h, now);
    key(&mut app, KeyCode::Char('/'), now);
    key(&mut app, KeyCode::Char('g'), now);
    snapshot_both("dialog_filter", &mut app, now);
    let mut app = app_from(&h, now);
    select(&mut app, "preflight");
    key(&mut app, KeyCode::Enter, now);
    snapshot_both("dialog_message", &mut app, now);
}

#[test]
fn client_details_and_log_pane() {
    let (h, now) = at_stage(Stage::DoubleWrite);
    let mut app = app_from(&h, now);
    key(&mut app, KeyCode::Char('c'), now);
    key(&mut app, KeyCode::Char('l'), now);
    app.log(
        now,
        "target cluster 'target' unreachable: connection refused",
    );
    let t = draw(&mut app, 160, 48, now);
    insta::assert_snapshot!("details_and_log_160x48", t.backend().to_string());
}

/// Finds the first cell of `needle` in the frame.
fn find(t: &Terminal<TestBackend>, needle: &str) -> (u16, u16) {
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(i) = line.find(needle) {
            let col = line[..i].chars().count() as u16;
            return (col, y);
        }
    }
    panic!("{needle:?} not on screen");
}

#[test]
fn status_styles_carry_meaning_and_no_color_keeps_the_words() {
    let (mut h, now) = at_stage(Stage::DoubleRead);
    h.observe(Snap::new(Side::Target, now).build(), now);
    let mut app = app_from(&h, now);
    select(&mut app, "batch:orders");
    let t = draw(&mut app, 160, 48, now);
    let (x, y) = find(
        &t,
        "[no] consumer group G_A has no consumer online on target",
    );
    let cell = &t.backend().buffer()[(x, y)];
    assert_eq!(cell.fg, Color::Red);
    assert!(cell.modifier.contains(Modifier::BOLD));
    let (x, y) = find(&t, "[ok] source data is fresh");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Green);
    let (x, y) = find(&t, "[FRESH");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Green);

    app.color = false;
    let t = draw(&mut app, 160, 48, now);
    let (x, y) = find(
        &t,
        "[no] consumer group G_A has no consumer online on target",
    );
    assert_eq!(
        t.backend().buffer()[(x, y)].fg,
        Color::Reset,
        "no colour under NO_COLOR"
    );
    // Stale data says so in words, never by colour alone, and never shows as zero.
    let t = draw(&mut app, 160, 48, now + 45 * S);
    find(&t, "[STALE 45s]");
    find(&t, "target data is stale");
}

#[test]
fn a_key_breaks_each_groups_backlog_down_per_topic_and_broker() {
    let (mut h, now) = at_stage(Stage::Draining);
    h.observe(
        drained_source(now)
            .group(
                group("G_A")
                    .consumers(1)
                    .subscribed(&["T_ORDER", "T_PAY"])
                    .held("T_ORDER", "broker-b", 7)
                    .held("T_PAY", "broker-a", 3),
            )
            .build(),
        now,
    );
    let mut app = app_from(&h, now);
    let t = draw(&mut app, 160, 48, now);
    let screen = t.backend().to_string();
    assert!(!screen.contains("T_ORDER @ broker-b"), "collapsed at first");
    key(&mut app, KeyCode::Char('e'), now);
    let t = draw(&mut app, 160, 48, now);
    let (x, y) = find(&t, "T_ORDER @ broker-b");
    let line: String = (x..t.backend().buffer().area.width)
        .map(|x| t.backend().buffer()[(x, y)].symbol().to_string())
        .collect();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).collect();
    assert_eq!(numbers.first(), Some(&"7"), "{line}");
    find(&t, "T_PAY @ broker-a");
}

#[test]
fn a_broker_that_left_is_retired_by_typing_its_name() {
    let (mut h, mut now) = at_stage(Stage::Draining);
    let mut app = app_from(&h, now);
    key(&mut app, KeyCode::Char('R'), now);
    let t = draw(&mut app, 160, 48, now);
    find(&t, "no broker has left the route");
    key(&mut app, KeyCode::Esc, now);

    h.observe(
        drained_source(now)
            .route("T_ORDER", &["broker-a", "broker-b"])
            .build(),
        now,
    );
    now += 5 * S;
    h.observe(
        drained_source(now).route("T_ORDER", &["broker-a"]).build(),
        now,
    );
    let mut app = app_from(&h, now);
    key(&mut app, KeyCode::Char('R'), now);
    let t = draw(&mut app, 160, 48, now);
    find(&t, "Retire broker broker-b on the source cluster");
    find(&t, "Type the broker name (broker-b).");
    let mut journaled = vec![];
    for c in "broker-b".chars() {
        key(&mut app, KeyCode::Char(c), now);
    }
    for e in app.handle(
        Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        now,
    ) {
        if let rocketmq_migrate::ui::app::Effect::Journal(entries) = e {
            journaled.extend(entries);
        }
    }
    assert!(
        matches!(
            journaled.as_slice(),
            [rocketmq_migrate::journal::Entry::BrokerRetired { side: Side::Source, broker, .. }]
                if broker == "broker-b"
        ),
        "{journaled:?}"
    );
}

/// `p`: the selected batch's client settings for a TDMQ 4.x target, with the endpoints the API
/// reported and the namespace-qualified names; offered to the clipboard as well.
#[test]
fn client_settings_popup() {
    let plan = rocketmq_migrate::plan::Plan::parse(
        std::path::Path::new("p.toml"),
        "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[target]\nkind = \"tdmq\"\nname = \"tdmq-prod\"\nregion = \"ap-guangzhou\"\ncluster_id = \"rocketmq-x\"\nnamespace = \"prod\"\nsecret_id = \"AKIDX\"\nsecret_key_env = \"SK\"\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\", \"T_PAY\"]\nconsumer_groups = [\"G_A\", \"G_B\"]\nproducer_groups = [\"P_ORDER\"]\n",
    )
    .unwrap();
    let mut h = Harness::with(plan);
    let mut target = Snap::new(Side::Target, T0).build();
    target.endpoints = vec![
        rocketmq_migrate::model::Endpoint {
            network: "VPC".into(),
            address: "http://rocketmq-x.rocketmq.ap-gz.qcloud.tencenttdmq.com:5098".into(),
        },
        rocketmq_migrate::model::Endpoint {
            network: "PUBLIC".into(),
            address: "http://rocketmq-x.rocketmq.ap-gz.public.tencenttdmq.com:9876".into(),
        },
    ];
    h.observe(target, T0);
    let mut app = app_from(&h, T0);
    select(&mut app, "batch:orders");
    let effects = app.handle(
        Event::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)),
        T0,
    );
    let copied: Vec<&String> = effects
        .iter()
        .filter_map(|e| match e {
            rocketmq_migrate::ui::app::Effect::Copy(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 1);
    let text = copied[0];
    assert!(text.contains("namesrvAddr=http://rocketmq-x.rocketmq.ap-gz.qcloud.tencenttdmq.com:5098   # VPC network"), "{text}");
    assert!(text.contains("topics: prod%T_ORDER, prod%T_PAY"), "{text}");
    assert!(
        text.contains("consumer groups: prod%G_A, prod%G_B"),
        "{text}"
    );
    assert!(text.contains("producer groups: prod%P_ORDER"), "{text}");
    assert!(text.contains("AccessKey = the role's token"), "{text}");
    assert!(
        !text.contains("AKIDX") && !text.contains("SK\n"),
        "no API credential: {text}"
    );
    snapshot_both("dialog_client_settings", &mut app, T0);
}
