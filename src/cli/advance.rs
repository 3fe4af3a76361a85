//! advance and rollback: the gate decides; the operator confirms; the journal records.

use super::{EXIT_BAD_INPUT, EXIT_REFUSED, Exit, ask, is_yes};
use crate::clock;
use crate::journal::Entry;
use crate::model::Verdict;
use crate::plan::Side;
use crate::runbook::{self, Reader};
use crate::session::{self, Mode, Session};
use crate::stage::Step;
use crate::wizard::{Command, Confirmation, Outcome};
use std::path::Path;

fn print_verdict(v: &Verdict) {
    for c in &v.checks {
        eprintln!("  {} {}", c.status.symbol(), c.summary);
    }
    for w in &v.warnings {
        eprintln!(
            "  {} warning {}: {}",
            if w.acknowledged { "[ack]" } else { "[!!]" },
            w.id(),
            w.text
        );
    }
}

/// Runs one advance or rollback to its end.
/// What the operator asked for.
enum Request {
    Advance(Step),
    Rollback(String),
    RetireBroker(Side, String),
}

/// Runs one request to its end: the gate (or the wizard) decides, the operator confirms.
async fn drive(
    s: &mut Session,
    request: Request,
    mut yes: bool,
    mut acks: Vec<String>,
    wait: bool,
) -> Result<u8, Exit> {
    let mut confirmation = Confirmation::None;
    let started = clock::now();
    let patience = s.wizard.plan.gates.settle_window + s.wizard.plan.gates.stale_after * 2;
    loop {
        if yes {
            confirmation = Confirmation::Yes;
        }
        let command = match &request {
            Request::Rollback(batch) => Command::Rollback {
                batch: batch.clone(),
                confirmation: confirmation.clone(),
            },
            Request::Advance(step) => Command::Advance {
                step: step.clone(),
                confirmation: confirmation.clone(),
                acks: std::mem::take(&mut acks),
            },
            Request::RetireBroker(side, broker) => Command::RetireBroker {
                side: *side,
                broker: broker.clone(),
                confirmation: confirmation.clone(),
            },
        };
        let decision = s.handle(command);
        match decision.outcome {
            Outcome::Moved { step, made } => {
                let follow = s.commit(decision.entries)?;
                let w = &s.wizard;
                println!(
                    "{}",
                    runbook::after_move(&w.plan, &w.progress, &step, made, Reader::Command)
                );
                for f in follow {
                    match session::follow_move(&s.clusters, &s.wizard.plan, &f).await {
                        Ok(Some(done)) => println!("{done}"),
                        Ok(None) => {}
                        Err(failed) => {
                            if let Entry::Error { context, message } = &failed {
                                eprintln!("WARNING: {context}: {message}");
                            }
                            s.commit(vec![failed])?;
                        }
                    }
                }
                return Ok(0);
            }
            Outcome::NeedsConfirmation {
                step,
                action,
                type_name,
                verdict,
            } => {
                s.commit(decision.entries)?;
                eprintln!("{action} for {step}: the gate is open.");
                print_verdict(&verdict);
                let answer = match &type_name {
                    Some(name) => ask(&format!(
                        "This cannot be undone by the wizard. Type {name} to confirm: "
                    )),
                    None => ask("Proceed? [y/N] "),
                };
                match (answer, &type_name) {
                    (None, _) => {
                        return Err(Exit::new(
                            EXIT_BAD_INPUT,
                            format!(
                                "{action} for {step} needs confirmation: run again with --yes, or in a terminal"
                            ),
                        ));
                    }
                    (Some(a), Some(_)) => confirmation = Confirmation::Typed(a),
                    (Some(a), None) if is_yes(&a) => yes = true,
                    (Some(_), None) => {
                        println!("not confirmed: nothing changed");
                        return Ok(0);
                    }
                }
                if let (Confirmation::Typed(t), Some(name)) = (&confirmation, &type_name)
                    && t != name
                {
                    println!("\"{t}\" is not \"{name}\": not confirmed, nothing changed");
                    return Ok(0);
                }
                // The operator may have taken a while: the move is decided on fresh data.
                s.poll().await?;
            }
            Outcome::Refused {
                step,
                action,
                reasons,
                verdict,
            } => {
                let waiting = wait
                    && verdict.as_ref().is_some_and(Verdict::only_settling)
                    && clock::now().saturating_sub(started) < clock::ms(patience);
                if waiting {
                    if let Some(st) = verdict.as_ref().and_then(|v| v.settle) {
                        eprintln!("{action} for {step}: waiting, {}...", st.describe());
                    }
                    tokio::time::sleep(s.wizard.plan.gates.poll_interval).await;
                    s.poll().await?;
                    continue;
                }
                s.commit(decision.entries)?;
                println!("REFUSED: {action} for {step}");
                for r in &reasons {
                    println!("  {r}");
                }
                return Ok(EXIT_REFUSED);
            }
            Outcome::Nothing(msg) => {
                println!("{msg}");
                return Ok(0);
            }
            Outcome::NoSuch(msg) => return Err(Exit::new(EXIT_BAD_INPUT, msg)),
            Outcome::Recorded(msg) => {
                s.commit(decision.entries)?;
                println!("{msg}");
                return Ok(0);
            }
            Outcome::Observed => return Ok(0),
        }
    }
}

/// Refuses a batch the plan does not have, naming those it has.
pub(super) fn known_step(s: &Session, step: &Step) -> Result<(), Exit> {
    if let Step::Batch(b) = step
        && s.wizard.plan.batch(b).is_none()
    {
        let names: Vec<&str> = s
            .wizard
            .plan
            .batches
            .iter()
            .map(|b| b.name.as_str())
            .collect();
        return Err(Exit::new(
            EXIT_BAD_INPUT,
            format!(
                "the plan has no batch \"{b}\"; its batches are {}, and the other steps are preflight, metadata and finish",
                names.join(", ")
            ),
        ));
    }
    Ok(())
}

pub async fn advance(
    plan: &Path,
    step: &str,
    yes: bool,
    acks: Vec<String>,
    no_wait: bool,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let command = "advance";
    let mut s = Session::open(plan, Mode::Drive { command, operator })?;
    let step = Step::parse(step);
    known_step(&s, &step)?;
    s.poll().await?;
    drive(&mut s, Request::Advance(step), yes, acks, !no_wait).await
}

pub async fn rollback(
    plan: &Path,
    batch: &str,
    yes: bool,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let command = "rollback";
    let mut s = Session::open(plan, Mode::Drive { command, operator })?;
    let step = Step::Batch(batch.to_string());
    known_step(&s, &step)?;
    s.poll().await?;
    drive(
        &mut s,
        Request::Rollback(batch.to_string()),
        yes,
        vec![],
        true,
    )
    .await
}

pub async fn retire_broker(
    plan: &Path,
    broker: &str,
    side: Side,
    yes: bool,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let command = "retire-broker";
    let mut s = Session::open(plan, Mode::Drive { command, operator })?;
    s.poll().await?;
    let request = Request::RetireBroker(side, broker.to_string());
    drive(&mut s, request, yes, vec![], false).await
}
