//! The terminal wizard. `app` is the pure state machine, `render` draws it, `keymap` lists the
//! keys; this module is the shell: terminal, pollers feeding snapshots over a channel, the
//! journal, metadata creation. The UI never waits on the network.

pub mod app;
pub mod history;
pub mod keymap;
pub mod render;
pub mod screen;
mod terminal;

use crate::clock;
use crate::cluster::Clusters;
use crate::journal::{self, Entry, Follower};
use crate::metadata::MetadataItem;
use crate::model::Snapshot;
use crate::plan::{Scope, Side};
use crate::poll;
use crate::session::{self, Applies, Follow, Mode, Session, SessionError};
use app::{App, Effect, Event};
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// Why the wizard could not run or had to stop.
#[derive(Debug)]
pub enum UiError {
    NotATerminal,
    Session(SessionError),
    /// The terminal could not be set up, drawn on or read.
    Terminal(std::io::Error),
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UiError::NotATerminal => f.write_str(
                "the wizard needs a terminal; use `status`, `advance` and `report` in scripts",
            ),
            UiError::Session(e) => write!(f, "{e}"),
            UiError::Terminal(e) => write!(f, "the terminal failed: {e}"),
        }
    }
}

impl std::error::Error for UiError {}

impl From<SessionError> for UiError {
    fn from(e: SessionError) -> UiError {
        UiError::Session(e)
    }
}

/// What background work reports to the loop.
enum Report {
    Snapshot(Snapshot),
    Created(MetadataItem),
    Log(String),
    /// Something failed that the journal must keep (a migration task that did not follow).
    Failed(Entry),
}

/// Polls both clusters every interval; a slow cluster delays only its own snapshot.
fn spawn_pollers(
    clusters: &Clusters,
    scope: Scope,
    interval: Duration,
    deadline: Duration,
    tx: mpsc::Sender<Report>,
) -> Vec<tokio::task::JoinHandle<()>> {
    [clusters.source.clone(), clusters.target.clone()]
        .into_iter()
        .map(|c| {
            let (scope, tx) = (scope.clone(), tx.clone());
            tokio::spawn(async move {
                loop {
                    let s = poll::snapshot_with_deadline(c.as_ref(), &scope, deadline).await;
                    if tx.send(Report::Snapshot(s)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            })
        })
        .collect()
}

/// Creates on the target exactly the items the operator confirmed, reporting each.
fn spawn_sync(items: Vec<MetadataItem>, clusters: &Clusters, tx: mpsc::Sender<Report>) {
    let clusters = clusters.clone();
    tokio::spawn(async move {
        for item in items {
            let report = match clusters.create_on_target(&item).await {
                Ok(_) => Report::Created(item),
                Err(e) => Report::Failed(Entry::Error {
                    context: format!("sync metadata {}", item.name()),
                    message: format!("could not create {}: {e}", item.describe()),
                }),
            };
            if tx.send(report).await.is_err() {
                return;
            }
        }
    });
}

/// The target's migration task follows a batch move, in the background.
fn spawn_follow(app: &App, clusters: &Clusters, f: Follow, tx: mpsc::Sender<Report>) {
    let (clusters, plan) = (clusters.clone(), app.wizard.plan.clone());
    tokio::spawn(async move {
        let report = match session::follow_move(&clusters, &plan, &f).await {
            Ok(Some(done)) => Report::Log(done),
            Ok(None) => return,
            Err(failed) => Report::Failed(failed),
        };
        let _ = tx.send(report).await;
    });
}

/// The wizard on a terminal, driving as `operator` (`--operator`). `watch`: read-only while
/// another process drives the plan; it takes no lock, follows the journal the driver appends
/// to, and says who drives.
pub async fn run(
    plan: &Path,
    log_file: &Path,
    watch: bool,
    operator: Option<&str>,
) -> Result<u8, UiError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(UiError::NotATerminal);
    }
    let mode = if watch {
        Mode::ReadOnly
    } else {
        Mode::Drive {
            command: "run",
            operator,
        }
    };
    let Session {
        wizard,
        mut journal,
        journal_path,
        clusters,
        mut series,
    } = Session::open(plan, mode)?;
    if journal.is_none() && !watch {
        return Err(SessionError::Replay("the journal is not open for writing".into()).into());
    }
    let gates = wizard.plan.gates.clone();
    let scope = wizard.plan.scope();
    let mut app = App::new(
        wizard,
        journal_path.display().to_string(),
        log_file.display().to_string(),
    );
    let mut follower = None;
    if watch {
        app = app.watching(journal::driver(&journal_path));
        follower = Some(Follower::new(&journal_path, app.wizard.progress.last_seq));
    }
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (tx, mut rx) = mpsc::channel(64);
    let pollers = spawn_pollers(
        &clusters,
        scope,
        gates.poll_interval,
        gates.stale_after.min(Duration::from_secs(20)),
        tx.clone(),
    );
    let mut guard = terminal::enter().map_err(UiError::Terminal)?;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dirty = true;
    let outcome = loop {
        if dirty {
            let size = guard.terminal.size().map(|s| s.height).unwrap_or(24);
            app.ui.page = (size / 4).max(1) as usize;
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::BeginSynchronizedUpdate
            );
            let drawn = guard.terminal.draw(|f| render::draw(f, &app));
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::EndSynchronizedUpdate
            );
            if let Err(e) = drawn {
                break Err(UiError::Terminal(e));
            }
            dirty = false;
        }
        let event = tokio::select! {
            e = events.next() => match e {
                Some(Ok(TermEvent::Key(k))) => Event::Key(k),
                Some(Ok(TermEvent::Mouse(m))) => Event::Mouse(m),
                Some(Ok(TermEvent::Resize(..))) => { dirty = true; continue }
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(UiError::Terminal(e)),
                None => break Ok(0),
            },
            r = rx.recv() => match r {
                Some(Report::Snapshot(s)) => {
                    session::observe_series(&mut series, &app.wizard.plan, &s);
                    Event::Observed(Box::new(s))
                }
                Some(Report::Log(l)) => Event::Log(l),
                Some(Report::Failed(entry)) => {
                    let line = match &entry {
                        Entry::Error { context, message } => format!("FAILED: {context}: {message}"),
                        _ => "FAILED".into(),
                    };
                    if let Some(j) = journal.as_mut()
                        && let Err(e) = session::record(j, &mut app, &clusters, vec![entry])
                    {
                        app.log(clock::now(), format!("journal: {e}"));
                    }
                    Event::Log(line)
                }
                Some(Report::Created(item)) => {
                    let line = format!("created on target: {}", item.describe());
                    let entry = Entry::MetadataCreated { side: Side::Target, item };
                    if let Some(j) = journal.as_mut()
                        && let Err(e) = session::record(j, &mut app, &clusters, vec![entry])
                    {
                        app.log(clock::now(), format!("journal: {e}"));
                    }
                    Event::Log(line)
                }
                None => continue,
            },
            _ = tick.tick() => match follower.as_mut() {
                // Watching: what the driver journaled since, and who drives now.
                Some(f) => {
                    if let Err(e) = follow(f, &mut app, &clusters) {
                        app.log(clock::now(), format!("journal: {e}; no longer following it"));
                        follower = None;
                    }
                    Event::Driver(journal::driver(&journal_path))
                }
                None => Event::Tick,
            },
        };
        dirty = true;
        let mut quit = false;
        let mut effects: VecDeque<Effect> = app.handle(event, clock::now()).into();
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Journal(entries) => {
                    let Some(j) = journal.as_mut() else { continue };
                    match session::record(j, &mut app, &clusters, entries) {
                        Ok(follow) => {
                            for f in follow {
                                spawn_follow(&app, &clusters, f, tx.clone());
                            }
                        }
                        Err(e) => {
                            tracing::error!("journal: {e}");
                            app.log(
                                clock::now(),
                                format!("journal write failed, nothing changed: {e}"),
                            );
                            app.ui.dialog = Some(app::Dialog::Message(format!(
                                "The journal could not be written, so nothing changed: {e}"
                            )));
                        }
                    }
                }
                Effect::ProposeSync => {
                    let p = clusters.propose_sync(&app.wizard, clock::now());
                    effects.extend(app.handle(Event::SyncProposed(Box::new(p)), clock::now()));
                }
                Effect::SyncMetadata(items) => spawn_sync(items, &clusters, tx.clone()),
                Effect::Copy(text) => terminal::copy(&text),
                Effect::Quit => quit = true,
            }
        }
        if quit {
            break Ok(0);
        }
    };
    drop(guard);
    for p in pollers {
        p.abort();
    }
    eprintln!("journal: {}\nlog: {}", app.journal, app.log_file);
    outcome
}

/// Watching: applies what the driver journaled since the last poll; the rehearsal's simulated
/// applications follow it as they do in the driver.
fn follow(f: &mut Follower, app: &mut App, clusters: &Clusters) -> Result<(), String> {
    let records = f.poll().map_err(|e| e.to_string())?;
    if records.is_empty() {
        return Ok(());
    }
    app.follow(&records, clock::now())?;
    clusters.follow(app.timeline());
    Ok(())
}
