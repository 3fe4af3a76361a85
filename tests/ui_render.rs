//! Every stage and dialog of the wizard drawn from a fixed state, at 80x24 and 160x48, as text
//! snapshots; plus the styles meaning depends on, and NO_COLOR.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use rocketmq_migrate::journal::Holder;
use rocketmq_migrate::metadata::{self, MetadataItem, Proposal};
use rocketmq_migrate::model::Known;
use rocketmq_migrate::plan::Side;
use rocketmq_migrate::stage::Stage;
use rocketmq_migrate::ui::app::{App, Dialog, Effect, Event};
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

/// The target lacks T_PAY, T_STOCK, G_B and G_S, and has T_ORDER with fewer queues; the target
/// fixes a topic's type at creation (as TDMQ 5.x does), and nobody said what T_PAY carries.
fn lacking_metadata() -> (App, u64) {
    let mut h = Harness::new();
    h.observe(source_start(T0).ordered("T_STOCK").build(), T0);
    let mut target = Snap::new(Side::Target, T0)
        .missing_topic("T_PAY")
        .missing_topic("T_STOCK")
        .missing_group("G_B")
        .missing_group("G_S")
        .build();
    if let Some(c) = target
        .topics
        .get_mut("T_ORDER")
        .and_then(|t| t.config.as_mut())
    {
        c.read_queues = 4;
        c.write_queues = 4;
    }
    h.observe(target, T0);
    (app_from(&h, T0), T0)
}

/// How a target that fixes the type at creation says it creates an item, or why it cannot.
fn typed_target(item: &MetadataItem) -> Result<String, String> {
    match item {
        MetadataItem::Topic {
            name,
            message_type: Known::Known(t),
            ..
        } => Ok(format!(
            "CreateTopic {{\"Topic\":\"{name}\",\"TopicType\":\"{}\"}}",
            t.name()
        )),
        MetadataItem::Topic {
            message_type: Known::Unknown(why),
            ..
        } => Err(why.clone()),
        MetadataItem::Group { .. } => Ok(item.describe()),
    }
}

fn proposal(app: &App, now: u64) -> Proposal {
    let w = &app.wizard;
    metadata::propose(
        &w.plan,
        w.source.as_ref(),
        w.target.as_ref(),
        now,
        typed_target,
    )
}

fn press(app: &mut App, code: KeyCode, now: u64) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), now)
}

/// `s`, and the shell's answer: the proposal from the app's latest data at `now`.
fn press_s(app: &mut App, now: u64) -> Proposal {
    assert_eq!(
        press(app, KeyCode::Char('s'), now),
        vec![Effect::ProposeSync]
    );
    let p = proposal(app, now);
    let more = app.handle(Event::SyncProposed(Box::new(p.clone())), now);
    assert!(more.is_empty(), "{more:?}");
    p
}

#[test]
fn sync_lists_what_it_will_create_and_asks() {
    let (mut app, now) = lacking_metadata();
    let p = press_s(&mut app, now + S);
    let names: Vec<&str> = p.create.iter().map(|c| c.item.name()).collect();
    assert_eq!(names, ["T_STOCK", "G_B", "G_S"]);
    assert_eq!(p.cannot.len(), 1, "T_PAY's type is not known: {p:?}");
    assert_eq!(p.differing.len(), 1, "{p:?}");
    snapshot_both("dialog_sync", &mut app, now + S);
    let t = draw(&mut app, 160, 48, now + S);
    find(&t, "Create these 3 items on the target 'target'?");
    find(
        &t,
        "[+] topic T_STOCK (8 read / 8 write queues, perm 6, ordered): CreateTopic",
    );
    find(
        &t,
        "[no] topic T_PAY (8 read / 8 write queues, perm 6): cannot be created: the source does not",
    );
    find(
        &t,
        "differs (left as it is): topic T_ORDER: queues 8/8 on source, 4/4 on target",
    );
    find(&t, "Enter/y: create them   Esc/n: cancel");
}

#[test]
fn sync_creates_nothing_until_confirmed_and_then_exactly_the_list() {
    let (mut app, now) = lacking_metadata();
    // s then Esc (or n): the dialog closes, nothing is created.
    for cancel in [KeyCode::Esc, KeyCode::Char('n')] {
        press_s(&mut app, now);
        assert!(matches!(app.ui.dialog, Some(Dialog::Sync(_))));
        assert_eq!(press(&mut app, cancel, now), vec![]);
        assert!(app.ui.dialog.is_none());
    }
    // A key the dialog does not use leaves it open.
    press_s(&mut app, now);
    assert_eq!(press(&mut app, KeyCode::Char('x'), now), vec![]);
    assert!(matches!(app.ui.dialog, Some(Dialog::Sync(_))));
    press(&mut app, KeyCode::Esc, now);
    // Enter (or y) creates exactly what was listed: not T_PAY, which cannot be created.
    for confirm in [KeyCode::Enter, KeyCode::Char('y')] {
        let p = press_s(&mut app, now);
        let effects = press(&mut app, confirm, now);
        assert_eq!(effects, vec![Effect::SyncMetadata(p.items())]);
        let names: Vec<String> = p.items().iter().map(|i| i.name().to_string()).collect();
        assert_eq!(names, ["T_STOCK", "G_B", "G_S"]);
        assert!(app.ui.dialog.is_none());
    }
}

#[test]
fn sync_on_stale_data_compares_nothing_and_offers_nothing() {
    let (mut app, now) = lacking_metadata();
    let later = now + 45 * S;
    let p = press_s(&mut app, later);
    assert!(p.create.is_empty() && p.cannot.is_empty(), "{p:?}");
    assert_eq!(
        p.unknown,
        [
            "source data is stale: 45s old, limit 30s",
            "target data is stale: 45s old, limit 30s"
        ]
    );
    let t = draw(&mut app, 160, 48, later);
    find(&t, "Nothing can be compared yet: nothing is offered.");
    find(&t, "[??] source data is stale: 45s old, limit 30s");
    // Enter only closes it.
    assert_eq!(press(&mut app, KeyCode::Enter, later), vec![]);
    assert!(app.ui.dialog.is_none());
    // No data at all: the same.
    let p = metadata::propose(&app.wizard.plan, None, None, later, typed_target);
    assert_eq!(
        p.unknown,
        [
            "no data from the source cluster yet",
            "no data from the target cluster yet"
        ]
    );
}

fn driver() -> Holder {
    Holder {
        pid: 4242,
        host: "bastion-1".into(),
        user: "ops".into(),
        since: T0 - 600 * S,
        command: "advance".into(),
        operator: None,
    }
}

#[test]
fn watching_refuses_every_key_that_writes_and_names_the_driver() {
    let (h, now) = at_stage(Stage::DoubleWrite);
    let mut app = app_from(&h, now).watching(Some(driver()));
    select(&mut app, "batch:orders");
    let said = "read-only: advance (pid 4242 on bastion-1, user ops) since 2023-11-14T22:03:20Z drives this plan";
    for code in [
        KeyCode::Enter,
        KeyCode::Char('a'),
        KeyCode::Char('b'),
        KeyCode::Char('s'),
        KeyCode::Char('R'),
    ] {
        let effects = press(&mut app, code, now);
        assert_eq!(effects, vec![], "{code:?}");
        assert_eq!(
            app.ui.dialog,
            Some(Dialog::ReadOnly(said.into())),
            "{code:?}"
        );
        let t = draw(&mut app, 160, 48, now);
        find(&t, said);
        press(&mut app, KeyCode::Esc, now);
        assert!(app.ui.dialog.is_none());
    }
    // What it observes is the driver's to journal, not the watcher's.
    let effects = app.handle(
        Event::Observed(Box::new(Snap::new(Side::Target, now).build())),
        now,
    );
    assert_eq!(effects, vec![]);
    // Mid-migration, and still nothing to lose: q quits at once.
    assert!(app.mid_migration());
    assert_eq!(press(&mut app, KeyCode::Char('q'), now), vec![Effect::Quit]);

    // The banner names the driver; the footer and the help have no key that writes.
    let mut app = app_from(&h, now).watching(Some(driver()));
    snapshot_both("watching", &mut app, now);
    let t = draw(&mut app, 160, 48, now);
    find(
        &t,
        "watching — driven by advance (pid 4242 on bastion-1, user ops) since 2023-11-14T22:03:20Z",
    );
    let screen = t.backend().to_string();
    for absent in ["next step", "roll back", "sync metadata", "press Enter"] {
        assert!(
            !screen.contains(absent),
            "{absent:?} on a watcher's screen:\n{screen}"
        );
    }
    press(&mut app, KeyCode::Char('?'), now);
    let help = draw(&mut app, 160, 48, now).backend().to_string();
    for absent in [
        "Try the selected step",
        "Retire a broker",
        "Move the selected batch",
    ] {
        assert!(
            !help.contains(absent),
            "{absent:?} in the watcher's help:\n{help}"
        );
    }
    assert!(help.contains("Show this help."), "{help}");
    assert!(
        help.contains("read-only, no key changes the plan"),
        "{help}"
    );
    press(&mut app, KeyCode::Esc, now);

    // The driver goes: nobody drives; a key that writes says so.
    app.handle(Event::Driver(None), now);
    let t = draw(&mut app, 160, 48, now);
    find(&t, "watching — nobody drives this plan now");
    press(&mut app, KeyCode::Enter, now);
    let t = draw(&mut app, 160, 48, now);
    find(&t, "read-only: nobody drives this plan now");
}

#[test]
fn watching_follows_the_drivers_journal() {
    let (h, now) = at_stage(Stage::DoubleRead);
    // The watcher opened when the driver was at double read...
    let opened_at = h.records.len();
    let mut app = App::new(
        rocketmq_migrate::wizard::Wizard::new(h.w.plan.clone(), &h.records[..opened_at]).unwrap(),
        "j".into(),
        "l".into(),
    )
    .watching(Some(driver()));
    // ...then the driver released the producers.
    let mut driven = h;
    driven.observe(source_start(now).build(), now);
    driven.observe(
        target_with_consumers(now).producers("P_ORDER", 2).build(),
        now,
    );
    assert!(moved(&driven.advance("orders", now)));
    app.follow(&driven.records[opened_at..], now).unwrap();
    assert_eq!(app.wizard.progress.stage("orders"), Stage::DoubleWrite);
    assert!(
        app.ui
            .log
            .iter()
            .any(|(_, l)| l == "the driver moved batch orders: S_RW_D_R -> S_RW_D_RW"),
        "{:?}",
        app.ui.log
    );
}
