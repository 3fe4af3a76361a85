//! The wizard screen's state machine: events in, effects out, no I/O. The TUI holds no rules of
//! its own: every move goes through the core's wizard (and so its gates), and every change the
//! wizard decides comes back as journal entries the shell writes before they take effect.

use super::history::History;
use super::keymap::{self, Action, DialogAction, DialogBinding, action_for, dialog_action};
use super::screen::Screen;
use crate::clock::Millis;
use crate::journal::{Entry, Holder, Record};
use crate::metadata::{MetadataItem, Proposal};
use crate::model::{Snapshot, Verdict, Warning};
use crate::plan::Side;
use crate::runbook::{self, Reader};
use crate::session::Applies;
use crate::stage::{Stage, Step};
use crate::wizard::{BrokerState, Command, Confirmation, Outcome, Timeline, Wizard};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Observed(Box<Snapshot>),
    /// A clock on screen moved.
    Tick,
    /// Messages from work the shell did (metadata sync, errors).
    Log(String),
    /// The shell's answer to [`Effect::ProposeSync`]: what creating the target's missing
    /// metadata would do, from the latest data.
    SyncProposed(Box<Proposal>),
    /// Watching: who holds the plan's lock now (`None`: nobody drives it).
    Driver(Option<Holder>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write these to the journal, then apply them (`App::apply`).
    Journal(Vec<Entry>),
    /// List what creating the target's missing metadata would do; the shell answers with
    /// [`Event::SyncProposed`].
    ProposeSync,
    /// Create exactly these on the target: the operator confirmed them, listed.
    SyncMetadata(Vec<MetadataItem>),
    /// Offer this text to the terminal's clipboard (OSC 52).
    Copy(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Backlog,
    Connections,
    Gate,
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    SourceBacklog,
    TargetBacklog,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// The gate is open: confirm (typing the batch name for irreversible steps).
    Confirm {
        step: Step,
        ask: Ask,
        action: String,
        verdict: Verdict,
        type_name: Option<String>,
        typed: String,
    },
    /// The gate is closed: what is missing, instead of a prompt.
    Refused {
        step: Step,
        action: String,
        reasons: Vec<String>,
    },
    /// Soft warnings to acknowledge one by one before the step is offered.
    Acknowledge {
        step: Step,
        warnings: Vec<Warning>,
        index: usize,
        acked: Vec<String>,
    },
    Quit,
    Help,
    Filter {
        text: String,
    },
    Message(String),
    /// Text to paste (client settings), shown whole.
    Settings(String),
    /// What creating the target's missing metadata would do: confirmed, exactly that is created.
    Sync(Box<Proposal>),
    /// Watching: a key that would change the plan was pressed.
    ReadOnly(String),
}

/// What a confirmation asks the wizard again, confirmed.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    Forward,
    Back,
    /// Retire a broker that left the route on a cluster.
    Retire(Side, String),
}

impl Dialog {
    /// The popup's keys: its handler, its hint line and the footer read this one list.
    pub fn commands(&self) -> &'static [DialogBinding] {
        match self {
            Dialog::Confirm {
                type_name: Some(_), ..
            } => keymap::CONFIRM_TYPED,
            Dialog::Confirm { .. } => keymap::CONFIRM,
            Dialog::Acknowledge { .. } => keymap::ACKNOWLEDGE,
            Dialog::Quit => keymap::QUIT,
            Dialog::Filter { .. } => keymap::FILTER,
            Dialog::Sync(p) if p.unknown.is_empty() && !p.create.is_empty() => keymap::SYNC,
            Dialog::Refused { .. }
            | Dialog::Help
            | Dialog::Message(_)
            | Dialog::Settings(_)
            | Dialog::Sync(_)
            | Dialog::ReadOnly(_) => keymap::CLOSE,
        }
    }
}

/// The wizard opened to watch while another process drives the plan (`run --watch`): it
/// polls and follows the journal, and writes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watch {
    /// The lock's holder, as last read; `None`: nobody drives the plan now.
    pub driver: Option<Holder>,
}

impl Watch {
    /// The line under the title.
    pub fn banner(&self) -> String {
        match &self.driver {
            Some(h) => format!("watching — driven by {}", h.describe()),
            None => "watching — nobody drives this plan now".into(),
        }
    }

    /// What a key that would change the plan says instead.
    pub fn refusal(&self) -> String {
        match &self.driver {
            Some(h) => format!("read-only: {} drives this plan", h.describe()),
            None => "read-only: nobody drives this plan now; quit and start `run` (without --watch) to drive it".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ui {
    pub selected: usize,
    pub focus: Focus,
    pub scroll: usize,
    pub sort: SortKey,
    pub filter: String,
    pub details: bool,
    /// The backlog panel shows each group's backlog per topic and broker.
    pub expanded: bool,
    pub show_log: bool,
    pub dialog: Option<Dialog>,
    pub log: VecDeque<(Millis, String)>,
    pub history: History,
    /// Rows a page scrolls (set by the renderer's last layout).
    pub page: usize,
}

pub struct App {
    pub wizard: Wizard,
    pub ui: Ui,
    /// What the screen shows, recomputed after every event.
    pub screen: Screen,
    pub journal: String,
    pub log_file: String,
    /// False under NO_COLOR: meaning is carried by text and symbols either way.
    pub color: bool,
    /// Watching another process drive: `Some`, and nothing is written.
    pub watch: Option<Watch>,
}

const LOG_KEEP: usize = 200;

impl App {
    pub fn new(wizard: Wizard, journal: String, log_file: String) -> App {
        let screen = Screen::build(&wizard, &Step::Preflight, 0, false);
        let mut app = App {
            screen,
            wizard,
            ui: Ui {
                selected: 0,
                focus: Focus::Backlog,
                scroll: 0,
                sort: SortKey::Name,
                filter: String::new(),
                details: false,
                expanded: false,
                show_log: false,
                dialog: None,
                log: VecDeque::new(),
                history: History::default(),
                page: 10,
            },
            journal,
            log_file,
            color: true,
            watch: None,
        };
        app.select_pending();
        app
    }

    /// The same screen, watching another process drive: it writes nothing.
    pub fn watching(mut self, driver: Option<Holder>) -> App {
        self.watch = Some(Watch { driver });
        self.refresh(self.screen.at);
        self
    }

    /// Recomputes the screen model: after every event, and whenever the journal changed state.
    pub fn refresh(&mut self, now: Millis) {
        let watching = self.watch.is_some();
        self.screen = Screen::build(&self.wizard, &self.selected_step(), now, watching);
    }

    /// The rail: preflight, metadata, each batch, finish.
    pub fn steps(&self) -> Vec<Step> {
        let mut s = vec![Step::Preflight, Step::Metadata];
        s.extend(
            self.wizard
                .plan
                .batches
                .iter()
                .map(|b| Step::Batch(b.name.clone())),
        );
        s.push(Step::Finish);
        s
    }

    pub fn selected_step(&self) -> Step {
        let steps = self.steps();
        steps[self.ui.selected.min(steps.len() - 1)].clone()
    }

    /// Points the rail at the first step the wizard waits on.
    pub fn select_pending(&mut self) {
        if let Some(p) = self.wizard.pending_steps().first()
            && let Some(i) = self.steps().iter().position(|s| s == p)
        {
            self.ui.selected = i;
        }
    }

    /// Whether some batch is between its first and last stage.
    pub fn mid_migration(&self) -> bool {
        self.wizard.plan.batches.iter().any(|b| {
            !matches!(
                self.wizard.progress.stage(&b.name),
                Stage::NotStarted | Stage::Done
            )
        })
    }

    pub fn log(&mut self, now: Millis, line: impl Into<String>) {
        self.ui.log.push_back((now, line.into()));
        while self.ui.log.len() > LOG_KEEP {
            self.ui.log.pop_front();
        }
    }

    pub fn handle(&mut self, event: Event, now: Millis) -> Vec<Effect> {
        let effects = self.event(event, now);
        self.refresh(now);
        effects
    }

    fn event(&mut self, event: Event, now: Millis) -> Vec<Effect> {
        match event {
            Event::Observed(snap) => {
                if let Some(e) = &snap.unreachable {
                    let line = format!("{} cluster '{}' unreachable: {e}", snap.side, snap.cluster);
                    self.log(now, line);
                } else if snap.is_partial() {
                    let line = format!(
                        "{} cluster '{}': {} item(s) could not be read, first: {}: {}",
                        snap.side,
                        snap.cluster,
                        snap.errors.len(),
                        snap.errors[0].item,
                        snap.errors[0].error
                    );
                    self.log(now, line);
                }
                self.ui.history.record(&snap);
                let d = self.wizard.handle(Command::Observe(snap), now);
                // Watching: the driver journals what it observes; the watcher only reads.
                if self.watch.is_some() {
                    return vec![];
                }
                journal(d.entries)
            }
            Event::Tick => vec![],
            Event::Log(line) => {
                self.log(now, line);
                vec![]
            }
            Event::SyncProposed(p) => {
                if self.watch.is_none() {
                    self.ui.dialog = Some(Dialog::Sync(p));
                }
                vec![]
            }
            Event::Driver(driver) => {
                if let Some(w) = &mut self.watch
                    && w.driver != driver
                {
                    let line = match &driver {
                        Some(h) => format!("{} drives this plan now", h.describe()),
                        None => "nobody drives this plan now".into(),
                    };
                    w.driver = driver;
                    self.log(now, line);
                }
                vec![]
            }
            Event::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollDown => self.scroll(3),
                    MouseEventKind::ScrollUp => self.scroll(-3),
                    _ => {}
                }
                vec![]
            }
            // Terminals on Windows report releases too: act on presses only.
            Event::Key(k) if k.kind != KeyEventKind::Press => vec![],
            Event::Key(k)
                if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                vec![Effect::Quit]
            }
            Event::Key(k) => match self.ui.dialog.take() {
                Some(d) => self.dialog_key(d, k, now),
                None => self.key(k, now),
            },
        }
    }

    fn scroll(&mut self, by: isize) {
        self.ui.scroll = self.ui.scroll.saturating_add_signed(by);
    }

    fn key(&mut self, k: KeyEvent, now: Millis) -> Vec<Effect> {
        let Some(action) = action_for(&k) else {
            return vec![];
        };
        if let Some(w) = &self.watch {
            if keymap::writes(action) {
                self.ui.dialog = Some(Dialog::ReadOnly(w.refusal()));
                return vec![];
            }
            // Nothing to lose: a watcher quits at once.
            if action == Action::Quit {
                return vec![Effect::Quit];
            }
        }
        let n = self.steps().len();
        match action {
            Action::Up => self.ui.selected = self.ui.selected.saturating_sub(1),
            Action::Down => self.ui.selected = (self.ui.selected + 1).min(n - 1),
            Action::ScrollUp => self.scroll(-1),
            Action::ScrollDown => self.scroll(1),
            Action::PageUp => self.scroll(-(self.ui.page as isize)),
            Action::PageDown => self.scroll(self.ui.page as isize),
            Action::NextPanel => {
                self.ui.focus = match self.ui.focus {
                    Focus::Backlog => Focus::Connections,
                    Focus::Connections => Focus::Gate,
                    Focus::Gate if self.ui.show_log => Focus::Log,
                    _ => Focus::Backlog,
                };
                self.ui.scroll = 0;
            }
            Action::Sort => {
                self.ui.sort = match self.ui.sort {
                    SortKey::Name => SortKey::SourceBacklog,
                    SortKey::SourceBacklog => SortKey::TargetBacklog,
                    SortKey::TargetBacklog => SortKey::Name,
                }
            }
            Action::Filter => {
                self.ui.dialog = Some(Dialog::Filter {
                    text: self.ui.filter.clone(),
                })
            }
            Action::Details => self.ui.details = !self.ui.details,
            Action::Expand => self.ui.expanded = !self.ui.expanded,
            Action::Log => self.ui.show_log = !self.ui.show_log,
            Action::Help => self.ui.dialog = Some(Dialog::Help),
            Action::Quit => {
                if self.mid_migration() {
                    self.ui.dialog = Some(Dialog::Quit);
                } else {
                    return vec![Effect::Quit];
                }
            }
            Action::SyncMetadata => return vec![Effect::ProposeSync],
            Action::ClientSettings => match self.selected_step() {
                Step::Batch(b) => {
                    let Some(batch) = self.wizard.plan.batch(&b) else {
                        return vec![];
                    };
                    let text = runbook::client_settings(
                        &self.wizard.plan,
                        self.wizard.target.as_ref(),
                        batch,
                    );
                    self.ui.dialog = Some(Dialog::Settings(text.clone()));
                    return vec![Effect::Copy(text)];
                }
                other => {
                    self.ui.dialog = Some(Dialog::Message(format!(
                        "{other} has no client settings; select a batch"
                    )))
                }
            },
            Action::RetireBroker => {
                // The first broker that left, on either cluster: once retired, the next.
                let left = (self.wizard.progress.brokers.iter())
                    .find(|(_, r)| matches!(r.state, BrokerState::Left { .. }));
                match left {
                    Some(((side, broker), _)) => {
                        let ask = Ask::Retire(*side, broker.clone());
                        return self.attempt(Step::Finish, ask, Confirmation::None, vec![], now);
                    }
                    None => {
                        self.ui.dialog = Some(Dialog::Message(
                            "no broker has left the route: there is nothing to retire".into(),
                        ))
                    }
                }
            }
            Action::Advance => {
                return self.attempt(
                    self.selected_step(),
                    Ask::Forward,
                    Confirmation::None,
                    vec![],
                    now,
                );
            }
            Action::Rollback => match self.selected_step() {
                step @ Step::Batch(_) => {
                    return self.attempt(step, Ask::Back, Confirmation::None, vec![], now);
                }
                other => {
                    self.ui.dialog = Some(Dialog::Message(format!(
                        "{other} cannot be rolled back; select a batch"
                    )))
                }
            },
        }
        vec![]
    }

    /// Asks the wizard for a move and turns its answer into a dialog or journal entries.
    fn attempt(
        &mut self,
        step: Step,
        ask: Ask,
        confirmation: Confirmation,
        acks: Vec<String>,
        now: Millis,
    ) -> Vec<Effect> {
        let command = match (&step, &ask) {
            (Step::Batch(b), Ask::Back) => Command::Rollback {
                batch: b.clone(),
                confirmation,
            },
            (_, Ask::Retire(side, broker)) => Command::RetireBroker {
                side: *side,
                broker: broker.clone(),
                confirmation,
            },
            _ => Command::Advance {
                step: step.clone(),
                confirmation,
                acks,
            },
        };
        let d = self.wizard.handle(command, now);
        match d.outcome {
            Outcome::Moved { step, made } => {
                let w = &self.wizard;
                let next = runbook::after_move(&w.plan, &w.progress, &step, made, Reader::Driver);
                self.log(now, next.clone());
                self.ui.dialog = Some(Dialog::Message(next));
            }
            Outcome::NeedsConfirmation {
                step,
                action,
                type_name,
                verdict,
            } => {
                self.ui.dialog = Some(Dialog::Confirm {
                    step,
                    ask,
                    action,
                    verdict,
                    type_name,
                    typed: String::new(),
                });
            }
            Outcome::Refused {
                step,
                action,
                reasons,
                verdict,
            } => {
                let only_warnings = verdict.as_ref().is_some_and(|v| {
                    v.status() == crate::model::Status::Pass && v.unacknowledged().next().is_some()
                });
                self.ui.dialog = match verdict {
                    Some(v) if only_warnings => Some(Dialog::Acknowledge {
                        step,
                        warnings: v.unacknowledged().cloned().collect(),
                        index: 0,
                        acked: vec![],
                    }),
                    _ => Some(Dialog::Refused {
                        step,
                        action,
                        reasons,
                    }),
                };
            }
            Outcome::Nothing(msg) | Outcome::NoSuch(msg) | Outcome::Recorded(msg) => {
                self.ui.dialog = Some(Dialog::Message(msg))
            }
            Outcome::Observed => {}
        }
        journal(d.entries)
    }

    fn dialog_key(&mut self, d: Dialog, k: KeyEvent, now: Millis) -> Vec<Effect> {
        let Some(action) = dialog_action(d.commands(), &k) else {
            // A key the popup does not use: it stays open.
            self.ui.dialog = Some(d);
            return vec![];
        };
        match (d, action) {
            (
                Dialog::Confirm {
                    step,
                    ask,
                    type_name: None,
                    ..
                },
                DialogAction::Confirm,
            ) => {
                return self.attempt(step, ask, Confirmation::Yes, vec![], now);
            }
            (
                Dialog::Confirm {
                    step,
                    ask,
                    type_name: Some(name),
                    typed,
                    ..
                },
                DialogAction::Confirm,
            ) if typed.trim() == name => {
                return self.attempt(step, ask, Confirmation::Typed(typed), vec![], now);
            }
            (
                Dialog::Confirm {
                    mut typed,
                    step,
                    ask,
                    action,
                    verdict,
                    type_name,
                },
                DialogAction::Edit,
            ) => {
                edit(&mut typed, k.code);
                self.ui.dialog = Some(Dialog::Confirm {
                    step,
                    ask,
                    action,
                    verdict,
                    type_name,
                    typed,
                });
            }
            (
                Dialog::Acknowledge {
                    step,
                    warnings,
                    index,
                    mut acked,
                },
                DialogAction::Acknowledge,
            ) => {
                acked.push(warnings[index].id());
                if index + 1 < warnings.len() {
                    self.ui.dialog = Some(Dialog::Acknowledge {
                        step,
                        warnings,
                        index: index + 1,
                        acked,
                    });
                } else {
                    return self.attempt(step, Ask::Forward, Confirmation::None, acked, now);
                }
            }
            (Dialog::Quit, DialogAction::Quit) => return vec![Effect::Quit],
            (Dialog::Sync(p), DialogAction::Confirm) => {
                let items = p.items();
                let line = format!(
                    "sync metadata: creating {} on the target",
                    crate::metadata::these_items(items.len())
                );
                self.log(now, line);
                return vec![Effect::SyncMetadata(items)];
            }
            (Dialog::Sync(_), DialogAction::Cancel) => {
                self.log(now, "sync metadata: cancelled, nothing created");
            }
            (Dialog::Filter { text }, DialogAction::Apply) => {
                self.ui.filter = text;
                self.ui.scroll = 0;
            }
            (Dialog::Filter { .. }, DialogAction::Clear) => self.ui.filter.clear(),
            (Dialog::Filter { mut text }, DialogAction::Edit) => {
                edit(&mut text, k.code);
                self.ui.dialog = Some(Dialog::Filter { text });
            }
            // A wrong batch name: the confirmation stays open.
            (d @ Dialog::Confirm { .. }, DialogAction::Confirm) => self.ui.dialog = Some(d),
            // Cancel, decline, stay, close: the popup closes.
            _ => {}
        }
        vec![]
    }

    /// Watching: the records the driver journaled since the last poll, applied in order; the
    /// log says what moved.
    pub fn follow(&mut self, records: &[Record], now: Millis) -> Result<(), String> {
        for r in records {
            self.apply(r)?;
            let line = match &r.entry {
                Entry::StepCompleted { step, .. } => format!("the driver completed {step}"),
                Entry::StageChanged {
                    batch, from, to, ..
                } => format!("the driver moved batch {batch}: {from} -> {to}"),
                Entry::MetadataCreated { item, .. } => {
                    format!("the driver created on target: {}", item.describe())
                }
                Entry::BrokerRetired { side, broker, .. } => {
                    format!("the driver retired broker {broker} on the {side} cluster")
                }
                _ => continue,
            };
            self.log(now, line);
        }
        self.refresh(now);
        Ok(())
    }
}

impl Applies for App {
    /// A journaled record takes effect.
    fn apply(&mut self, r: &Record) -> Result<(), String> {
        self.wizard.apply(r)?;
        // After preflight or metadata the rail moves on to what is next.
        if matches!(r.entry, Entry::StepCompleted { .. }) {
            self.select_pending();
        }
        self.refresh(self.screen.at);
        Ok(())
    }

    fn timeline(&self) -> &Timeline {
        &self.wizard.progress.timeline
    }
}

/// Typing into a dialog's text field.
fn edit(text: &mut String, code: KeyCode) {
    match code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) => text.push(c),
        _ => {}
    }
}

fn journal(entries: Vec<Entry>) -> Vec<Effect> {
    if entries.is_empty() {
        vec![]
    } else {
        vec![Effect::Journal(entries)]
    }
}
