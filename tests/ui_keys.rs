//! The wizard screen driven by random key streams against the rehearsal clusters: no sequence of
//! keys reaches an unsafe order. Producers never move before every group has a consumer on the
//! target; the last consumers never move while the source backlog is unknown or non-zero.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rocketmq_migrate::cluster::Cluster;
use rocketmq_migrate::cluster::rehearsal::{RehearsalCluster, World};
use rocketmq_migrate::journal::{Entry, Record};
use rocketmq_migrate::metadata;
use rocketmq_migrate::model::Known;
use rocketmq_migrate::plan::{Plan, Side};
use rocketmq_migrate::session::Applies;
use rocketmq_migrate::stage::{Stage, Step};
use rocketmq_migrate::ui::app::{App, Effect, Event};
use rocketmq_migrate::wizard::Wizard;
use std::cell::Cell;
use std::path::Path;

#[derive(Debug, Clone)]
enum Input {
    Key(KeyCode),
    /// The operator types the selected batch's name and presses Enter.
    TypeName,
    /// Time passes (milliseconds), then both clusters are polled.
    Wait(u64),
}

fn input() -> impl Strategy<Value = Input> {
    let keys = prop_oneof![
        6 => Just(KeyCode::Enter),
        3 => Just(KeyCode::Char('y')),
        1 => Just(KeyCode::Char('n')),
        2 => Just(KeyCode::Esc),
        2 => Just(KeyCode::Char('j')),
        1 => Just(KeyCode::Char('k')),
        1 => Just(KeyCode::Char('b')),
        2 => Just(KeyCode::Char('s')),
        1 => Just(KeyCode::Char('q')),
        1 => Just(KeyCode::Tab),
        1 => Just(KeyCode::Char('o')),
        1 => Just(KeyCode::Char('/')),
        1 => Just(KeyCode::Char('?')),
        1 => Just(KeyCode::Backspace),
        1 => Just(KeyCode::Char('r')),
    ];
    prop_oneof![6 => keys.prop_map(Input::Key), 1 => Just(Input::TypeName), 4 => (200u64..4000).prop_map(Input::Wait)]
}

struct Shell {
    app: App,
    records: Vec<Record>,
    source: RehearsalCluster,
    target: RehearsalCluster,
}

#[derive(Default)]
struct Reached {
    producers: Cell<usize>,
    remaining: Cell<usize>,
}

impl Shell {
    fn new() -> Shell {
        let plan = Plan::load(Path::new("tests/fixtures/fast/migration.toml")).unwrap();
        let world = World::load("scenario.toml", &plan).unwrap();
        let source = RehearsalCluster::new(world.clone(), &plan.source);
        let target = RehearsalCluster::new(world, &plan.target);
        Shell {
            app: App::new(Wizard::new(plan, &[]).unwrap(), "j".into(), "l".into()),
            records: vec![],
            source,
            target,
        }
    }

    fn commit(
        &mut self,
        entries: Vec<Entry>,
        now: u64,
        reached: &Reached,
    ) -> Result<(), TestCaseError> {
        for entry in entries {
            if let Entry::StageChanged { batch, to, .. } = &entry {
                self.check_move(batch, *to, now, reached)?;
            }
            let rec = Record {
                seq: self.records.len() as u64 + 1,
                at: now,
                entry,
            };
            self.app.apply(&rec).map_err(TestCaseError::fail)?;
            self.records.push(rec);
        }
        self.source.follow(&self.app.wizard.progress.timeline);
        self.target.follow(&self.app.wizard.progress.timeline);
        Ok(())
    }

    /// The invariant, checked against what the wizard saw when it decided.
    fn check_move(
        &self,
        batch: &str,
        to: Stage,
        now: u64,
        reached: &Reached,
    ) -> Result<(), TestCaseError> {
        let w = &self.app.wizard;
        let b = w.plan.batch(batch).unwrap();
        if to == Stage::DoubleWrite {
            reached.producers.set(reached.producers.get() + 1);
            let t = w
                .target
                .as_ref()
                .filter(|s| s.unreachable.is_none() && !s.is_partial() && now - s.taken_at <= 4000);
            prop_assert!(t.is_some(), "producers released without fresh target data");
            for g in &b.groups {
                let st = &t.unwrap().groups[&g.name];
                prop_assert!(
                    st.consumers.known().is_some_and(|c| !c.is_empty()),
                    "producers released with no target consumer of {}",
                    g.name
                );
            }
        }
        if to == Stage::TargetOnly {
            reached.remaining.set(reached.remaining.get() + 1);
            let s = w
                .source
                .as_ref()
                .filter(|s| s.unreachable.is_none() && !s.is_partial() && now - s.taken_at <= 4000);
            prop_assert!(
                s.is_some(),
                "remaining consumers released without fresh source data"
            );
            for g in b.group_names() {
                match &s.unwrap().groups[g].backlog {
                    Known::Known(bl) => prop_assert_eq!(bl.total, 0, "source backlog of {}", g),
                    Known::Unknown(_) => prop_assert!(false, "unknown source backlog of {}", g),
                }
            }
        }
        Ok(())
    }

    fn run(&mut self, inputs: &[Input], reached: &Reached) -> Result<(), TestCaseError> {
        let mut now = rocketmq_migrate::clock::now();
        let scope = self.app.wizard.plan.scope();
        for i in inputs {
            let events: Vec<Event> = match i {
                Input::Key(k) => vec![Event::Key(KeyEvent::new(*k, KeyModifiers::NONE))],
                Input::TypeName => {
                    let mut e: Vec<Event> = match self.app.selected_step() {
                        Step::Batch(b) => b
                            .chars()
                            .map(|c| {
                                Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
                            })
                            .collect(),
                        _ => vec![],
                    };
                    e.push(Event::Key(KeyEvent::new(
                        KeyCode::Enter,
                        KeyModifiers::NONE,
                    )));
                    e
                }
                Input::Wait(ms) => {
                    now += ms;
                    vec![
                        Event::Observed(Box::new(self.source.snapshot_at(&scope, now))),
                        Event::Observed(Box::new(self.target.snapshot_at(&scope, now))),
                        Event::Tick,
                    ]
                }
            };
            for ev in events {
                for effect in self.app.handle(ev, now) {
                    match effect {
                        Effect::Journal(entries) => self.commit(entries, now, reached)?,
                        // The clipboard is the terminal's: nothing to simulate.
                        Effect::Copy(_) => {}
                        Effect::ProposeSync => {
                            let p = metadata::propose(
                                &self.app.wizard.plan,
                                self.app.wizard.source.as_ref(),
                                self.app.wizard.target.as_ref(),
                                now,
                                |item| self.target.how_to_create(item),
                            );
                            let more = self.app.handle(Event::SyncProposed(Box::new(p)), now);
                            assert!(more.is_empty(), "a proposal only opens the dialog");
                        }
                        Effect::SyncMetadata(items) => {
                            let rt = tokio::runtime::Builder::new_current_thread()
                                .build()
                                .unwrap();
                            for item in items {
                                rt.block_on(self.target.create(&item))
                                    .map_err(TestCaseError::fail)?;
                                self.commit(
                                    vec![Entry::MetadataCreated {
                                        side: Side::Target,
                                        item,
                                    }],
                                    now,
                                    reached,
                                )?;
                            }
                        }
                        Effect::Quit => {}
                    }
                }
            }
        }
        let replayed = Wizard::new(self.app.wizard.plan.clone(), &self.records)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(&replayed.progress, &self.app.wizard.progress);
        Ok(())
    }
}

#[test]
fn no_key_sequence_reaches_an_unsafe_order() {
    let reached = Reached::default();
    let mut runner = TestRunner::new(Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(input(), 50..400), |inputs| {
            Shell::new().run(&inputs, &reached)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "walks that released producers: {}, remaining consumers: {}",
        reached.producers.get(),
        reached.remaining.get()
    );
    assert!(
        reached.producers.get() > 10,
        "too few walks released producers: {}",
        reached.producers.get()
    );
    assert!(
        reached.remaining.get() > 3,
        "too few walks released the remaining consumers: {}",
        reached.remaining.get()
    );
}
