//! Drawing: a pure function of the app's state and the clock, so a frame can be tested on a
//! test backend. Meaning never depends on colour alone: every status carries a word or symbol.

mod dialog;
mod panels;

use super::app::App;
use super::keymap::BINDINGS;
use crate::clock::{self, Millis};
use crate::plan::Side;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Colours, or none under NO_COLOR.
#[derive(Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn unknown(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn title(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn status(self, s: crate::model::Status) -> Style {
        match s {
            crate::model::Status::Pass => self.ok(),
            crate::model::Status::Blocked => self.bad(),
            crate::model::Status::Unknown => self.unknown(),
        }
    }
}

/// "FRESH 2s", "STALE 45s", "UNREACHABLE", "PARTIAL", "NO DATA": the freshness word always shows.
pub fn freshness(app: &App, side: Side, now: Millis) -> (String, crate::model::Status) {
    use crate::model::Status;
    let snap = match side {
        Side::Source => app.wizard.source.as_ref(),
        Side::Target => app.wizard.target.as_ref(),
    };
    let Some(s) = snap else {
        return ("NO DATA".into(), Status::Unknown);
    };
    let age = clock::age(s.age(now));
    if s.unreachable.is_some() {
        (format!("UNREACHABLE {age}"), Status::Blocked)
    } else if s.age(now) > clock::ms(app.wizard.plan.gates.stale_after) {
        (format!("STALE {age}"), Status::Unknown)
    } else if s.is_partial() {
        (format!("PARTIAL {age}"), Status::Unknown)
    } else {
        (format!("FRESH {age}"), Status::Pass)
    }
}

pub fn draw(f: &mut Frame, app: &App, now: Millis) {
    let t = Theme { color: app.color };
    let area = f.area();
    let log_h = if app.ui.show_log {
        6.min(area.height / 4)
    } else {
        0
    };
    let [top, body, log, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(log_h),
        Constraint::Length(1),
    ])
    .areas(area);
    title(f, app, top, now, t);
    let rail_w = if area.width >= 120 { 34 } else { 24 };
    let [rail, right] =
        Layout::horizontal([Constraint::Length(rail_w), Constraint::Min(0)]).areas(body);
    panels::rail(f, app, rail, t);
    panels::right(f, app, right, now, t);
    if log_h > 0 {
        panels::log(f, app, log, t);
    }
    footer(f, app, foot, t);
    dialog::draw(f, app, now, t);
}

fn title(f: &mut Frame, app: &App, area: Rect, now: Millis, t: Theme) {
    let mut spans = vec![Span::styled("rocketmq-migrate ", t.title())];
    for side in [Side::Source, Side::Target] {
        let (word, status) = freshness(app, side, now);
        let name = &app.wizard.plan.cluster(side).name;
        spans.push(Span::raw(format!(" {side} '{name}' ")));
        spans.push(Span::styled(format!("[{word}]"), t.status(status)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn footer(f: &mut Frame, app: &App, area: Rect, t: Theme) {
    let mut spans = vec![];
    for b in BINDINGS.iter().filter(|b| b.footer) {
        spans.push(Span::styled(format!(" {} ", b.shown), t.selected()));
        spans.push(Span::raw(format!(" {} ", b.label)));
    }
    if !app.ui.filter.is_empty() {
        spans.push(Span::styled(
            format!(" filter: {} ", app.ui.filter),
            t.unknown(),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
