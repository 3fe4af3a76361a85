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
use crate::journal::Entry;
use crate::metadata::{self, MetadataItem};
use crate::model::Snapshot;
use crate::plan::{Scope, Side};
use crate::poll;
use crate::session::{self, Follow, Mode, Session, SessionError};
use app::{App, Effect, Event};
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
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

/// Creates on the target what it lacks, reporting each item.
fn spawn_sync(app: &App, clusters: &Clusters, tx: mpsc::Sender<Report>) {
    let (Some(src), Some(dst)) = (app.wizard.source.clone(), app.wizard.target.clone()) else {
        let _ = tx.try_send(Report::Log(
            "sync metadata: no data from both clusters yet".into(),
        ));
        return;
    };
    let diff = metadata::diff(&app.wizard.plan, &src, &dst);
    let clusters = clusters.clone();
    tokio::spawn(async move {
        for u in &diff.unknown {
            let _ = tx
                .send(Report::Log(format!("sync metadata: unknown: {u}")))
                .await;
        }
        if !diff.unknown.is_empty() {
            let _ = tx
                .send(Report::Log(
                    "sync metadata: nothing created while part of the metadata is unknown".into(),
                ))
                .await;
            return;
        }
        if diff.missing.is_empty() {
            let _ = tx
                .send(Report::Log(
                    "sync metadata: the target has every topic and group of the plan".into(),
                ))
                .await;
        }
        for d in &diff.differing {
            let _ = tx
                .send(Report::Log(format!(
                    "sync metadata: differs (left as it is): {d}"
                )))
                .await;
        }
        for item in diff.missing {
            match clusters.create_on_target(&item).await {
                Ok(_) => {
                    let _ = tx.send(Report::Created(item)).await;
                }
                Err(e) => {
                    let _ = tx
                        .send(Report::Log(format!(
                            "sync metadata: FAILED to create {}: {e}",
                            item.describe()
                        )))
                        .await;
                }
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

pub async fn run(plan: &Path, log_file: &Path, operator: Option<&str>) -> Result<u8, UiError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(UiError::NotATerminal);
    }
    let Session {
        wizard,
        journal,
        journal_path,
        clusters,
        mut series,
    } = Session::open(
        plan,
        Mode::Drive {
            command: "run",
            operator,
        },
    )?;
    let Some(mut journal) = journal else {
        return Err(SessionError::Replay("the journal is not open for writing".into()).into());
    };
    let gates = wizard.plan.gates.clone();
    let scope = wizard.plan.scope();
    let mut app = App::new(
        wizard,
        journal_path.display().to_string(),
        log_file.display().to_string(),
    );
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
                    if let Err(e) = session::record(&mut journal, &mut app, &clusters, vec![entry]) {
                        app.log(clock::now(), format!("journal: {e}"));
                    }
                    Event::Log(line)
                }
                Some(Report::Created(item)) => {
                    let line = format!("created on target: {}", item.describe());
                    if let Err(e) = session::record(&mut journal, &mut app, &clusters, vec![Entry::MetadataCreated { side: Side::Target, item }]) {
                        app.log(clock::now(), format!("journal: {e}"));
                    }
                    Event::Log(line)
                }
                None => continue,
            },
            _ = tick.tick() => Event::Tick,
        };
        dirty = true;
        let mut quit = false;
        for effect in app.handle(event, clock::now()) {
            match effect {
                Effect::Journal(entries) => {
                    match session::record(&mut journal, &mut app, &clusters, entries) {
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
                Effect::SyncMetadata => spawn_sync(&app, &clusters, tx.clone()),
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
