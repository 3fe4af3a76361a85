//! Drawing: a pure function of the app's state and the clock, so a frame can be tested on a
//! test backend. Meaning never depends on colour alone: every status carries a word or symbol.

mod dialog;
mod panels;

use super::app::{App, Watch};
use super::keymap;
use crate::plan::Side;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

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

/// Draws the app's screen model; nothing here evaluates a gate or reads the clock.
pub fn draw(f: &mut Frame, app: &App) {
    let t = Theme { color: app.color };
    let area = f.area();
    let log_h = if app.ui.show_log {
        6.min(area.height / 4)
    } else {
        0
    };
    // Watching: a line (two on a narrow screen) under the title says who drives.
    let top_h = match &app.watch {
        Some(w) => {
            1 + (banner(w).chars().count() as u16)
                .div_ceil(area.width.max(1))
                .min(2)
        }
        None => 1,
    };
    let [top, body, log, foot] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Min(0),
        Constraint::Length(log_h),
        Constraint::Length(1),
    ])
    .areas(area);
    title(f, app, top, t);
    // Wide enough at every size for a stage's code and its words: "  S_RW_D_NA double write".
    let rail_w = if area.width >= 120 { 34 } else { 26 };
    let [rail, right] =
        Layout::horizontal([Constraint::Length(rail_w), Constraint::Min(0)]).areas(body);
    panels::rail(f, app, rail, t);
    panels::right(f, app, right, t);
    if log_h > 0 {
        panels::log(f, app, log, t);
    }
    footer(f, app, foot, t);
    dialog::draw(f, app, t);
}

fn title(f: &mut Frame, app: &App, area: Rect, t: Theme) {
    let mut spans = vec![Span::styled("rocketmq-migrate ", t.title())];
    for side in [Side::Source, Side::Target] {
        let line = app.screen.cluster(side);
        let name = &app.wizard.plan.cluster(side).name;
        spans.push(Span::raw(format!(" {side} '{name}' ")));
        spans.push(Span::styled(
            format!("[{}]", line.word),
            t.status(line.status),
        ));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(w) = &app.watch {
        lines.push(Line::from(Span::styled(banner(w), t.unknown())));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

fn banner(w: &Watch) -> String {
    format!("{}   (read-only)", w.banner())
}

/// The keys that work now: the open popup's, or the main screen's.
fn footer(f: &mut Frame, app: &App, area: Rect, t: Theme) {
    let keys: Vec<(&str, &str)> = match &app.ui.dialog {
        Some(d) => d.commands().iter().map(|b| (b.shown, b.label)).collect(),
        None => keymap::shown(app.watch.is_some())
            .filter(|b| b.footer)
            .map(|b| (b.shown, b.label))
            .collect(),
    };
    let mut spans = vec![];
    for (shown, label) in keys {
        spans.push(Span::styled(format!(" {shown} "), t.selected()));
        spans.push(Span::raw(format!(" {label} ")));
    }
    if !app.ui.filter.is_empty() {
        spans.push(Span::styled(
            format!(" filter: {} ", app.ui.filter),
            t.unknown(),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
