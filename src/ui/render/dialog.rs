//! Popups: confirmations, refusals, acknowledgements, quit, filter, messages and help.

use super::Theme;
use crate::ui::app::{App, Ask, Dialog};
use crate::ui::keymap::{hint, shown};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn popup(f: &mut Frame, title: &str, lines: Vec<Line>, t: Theme) {
    let area = f.area();
    let width = (area.width * 4 / 5).max(40).min(area.width);
    // Wrapped height, so the frame fits what it shows.
    let inner = width.saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16 + 2).min(area.height);
    let r = centered(area, width, height);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), t.title()));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}

pub fn draw(f: &mut Frame, app: &App, t: Theme) {
    let Some(d) = &app.ui.dialog else { return };
    // Every popup shows the keys it answers to, from the list its handler reads.
    let keys = Line::from(hint(d.commands()));
    match d {
        Dialog::Confirm {
            step,
            ask,
            action,
            verdict,
            type_name,
            typed,
        } => {
            // The prompt comes first: on a small screen the checks are what gets cut.
            let (said, what) = match ask {
                Ask::Retire(side, broker) => (
                    format!(
                        "Retire broker {broker} on the {side} cluster: the gates stop waiting for it. Only once its messages are accounted for."
                    ),
                    "broker",
                ),
                Ask::Forward | Ask::Back => {
                    (format!("The gate is open: {action} for {step}."), "batch")
                }
            };
            let mut lines = vec![Line::from(Span::styled(said, t.ok()))];
            if let Some(name) = type_name {
                lines.push(Line::from(Span::styled(
                    "This step cannot be undone by the wizard.",
                    t.bad(),
                )));
                lines.push(Line::from(format!("Type the {what} name ({name}).")));
                lines.push(Line::from(vec![
                    Span::raw("> "),
                    Span::styled(format!("{typed}_"), t.title()),
                ]));
            }
            lines.push(keys);
            lines.push(Line::from(""));
            for c in &verdict.checks {
                lines.push(Line::from(vec![
                    Span::styled(format!("{} ", c.status.symbol()), t.status(c.status)),
                    Span::raw(c.summary.clone()),
                ]));
            }
            popup(f, "confirm", lines, t);
        }
        Dialog::Refused {
            step,
            action,
            reasons,
        } => {
            let mut lines = vec![
                Line::from(Span::styled(
                    format!("Not offered: {action} for {step}. What is missing:"),
                    t.bad(),
                )),
                Line::from(""),
            ];
            lines.extend(reasons.iter().map(|r| Line::from(r.clone())));
            lines.push(Line::from(""));
            lines.push(keys);
            popup(f, "gate closed", lines, t);
        }
        Dialog::Acknowledge {
            step,
            warnings,
            index,
            ..
        } => {
            let w = &warnings[*index];
            let lines = vec![
                Line::from(format!(
                    "{step}: warning {} of {}",
                    index + 1,
                    warnings.len()
                )),
                Line::from(""),
                Line::from(Span::styled(w.text.clone(), t.unknown())),
                Line::from(""),
                Line::from(format!("Acknowledge \"{}\"?", w.id())),
                keys,
            ];
            popup(f, "acknowledge", lines, t);
        }
        Dialog::Quit => {
            let lines = vec![
                Line::from(
                    "A batch is mid-migration. The journal keeps its state: starting the wizard again resumes here.",
                ),
                Line::from(""),
                Line::from("Quit?"),
                keys,
            ];
            popup(f, "quit", lines, t);
        }
        Dialog::Filter { text } => popup(
            f,
            "filter groups",
            vec![Line::from(format!("> {text}_")), keys],
            t,
        ),
        Dialog::Message(m) => popup(
            f,
            "done",
            vec![Line::from(m.clone()), Line::from(""), keys],
            t,
        ),
        Dialog::Settings(text) => {
            let mut lines: Vec<Line> = text.lines().map(|l| Line::from(l.to_string())).collect();
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Offered to the clipboard (OSC 52) where the terminal allows; else select and copy.",
                t.dim(),
            )));
            lines.push(keys);
            popup(f, "client settings", lines, t);
        }
        Dialog::ReadOnly(m) => popup(
            f,
            "read-only",
            vec![Line::from(Span::styled(m.clone(), t.unknown())), keys],
            t,
        ),
        Dialog::Sync(p) => {
            let target = &app.wizard.plan.target.name;
            // The question and its keys first: on a small screen the lists are what gets cut.
            let mut lines = vec![];
            if !p.unknown.is_empty() {
                lines.push(Line::from(Span::styled(
                    "Nothing can be compared yet: nothing is offered. Wait for fresh data from both clusters.",
                    t.unknown(),
                )));
                lines.push(keys);
                lines.push(Line::from(""));
                for u in &p.unknown {
                    lines.push(Line::from(vec![
                        Span::styled("[??] ", t.unknown()),
                        Span::raw(u.clone()),
                    ]));
                }
            } else {
                let head = match (p.create.is_empty(), p.cannot.is_empty()) {
                    (false, _) => Span::styled(p.question(target), t.ok()),
                    (true, true) => Span::raw(format!(
                        "The target '{target}' has every topic and group of the plan: nothing to create."
                    )),
                    (true, false) => Span::styled(
                        format!(
                            "Nothing the target '{target}' lacks can be created as it is: see below."
                        ),
                        t.bad(),
                    ),
                };
                lines.push(Line::from(head));
                lines.push(keys);
                lines.push(Line::from(""));
                for c in &p.create {
                    lines.push(Line::from(vec![
                        Span::styled("[+] ", t.ok()),
                        Span::raw(c.line()),
                    ]));
                }
                for c in &p.cannot {
                    lines.push(Line::from(vec![
                        Span::styled("[no] ", t.bad()),
                        Span::raw(c.line()),
                    ]));
                }
                for d in &p.differing {
                    lines.push(Line::from(vec![
                        Span::styled("[!=] ", t.unknown()),
                        Span::raw(format!("differs (left as it is): {d}")),
                    ]));
                }
            }
            popup(f, "sync metadata", lines, t);
        }
        Dialog::Help => {
            let mut lines: Vec<Line> = shown(app.watch.is_some())
                .map(|b| {
                    Line::from(vec![
                        Span::styled(format!("{:>7}  ", b.shown), t.title()),
                        Span::raw(b.help),
                    ])
                })
                .collect();
            if let Some(w) = &app.watch {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(
                    format!(
                        "{}: read-only, no key changes the plan, q quits at once.",
                        w.banner()
                    ),
                    t.unknown(),
                )));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(format!(
                "journal: {}   log: {}",
                app.journal, app.log_file
            )));
            lines.push(Line::from("Symbols: [ok] pass  [no] blocked  [??] unknown (never counts as pass)  [!!] warning to acknowledge"));
            lines.push(keys);
            popup(f, "help", lines, t);
        }
    }
}
