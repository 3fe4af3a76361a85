//! The stage rail and the panels: what to do now, backlog, connections, the gate, the log.

use super::Theme;
use crate::clock;
use crate::model::{CheckKind, Known, Snapshot, Status, Verdict};
use crate::plan::Side;
use crate::runbook::Now;
use crate::stage::{Stage, Step};
use crate::ui::app::{App, Focus, SortKey};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use std::collections::BTreeSet;

fn block(title: String, focused: bool, t: Theme) -> Block<'static> {
    let title = if focused {
        format!(" > {title} ")
    } else {
        format!(" {title} ")
    };
    Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, t.title()))
}

/// The now box's lines, wrapped to `width`, at most `max` (at least 2): what to do, how to stop
/// instances, the checklist (each instance under its group, ticked where the step wants it; only
/// the groups' summaries, which name the hosts still to move, when that does not fit), and
/// always last what the wizard waits for. What does not fit is counted, never dropped silently:
/// `status` shows all of it.
fn now_lines(now: &Now, width: u16, max: usize, t: Theme) -> Vec<Line<'static>> {
    let w = usize::from(width.max(10));
    let plain = ratatui::style::Style::default();
    let lines = |text: &str, style, indent: usize| -> Vec<Line<'static>> {
        (wrap(text, w.saturating_sub(indent + 2))
            .into_iter()
            .enumerate())
        .map(|(i, l)| {
            let pad = if i == 0 { indent } else { indent + 2 };
            Line::from(Span::styled(format!("{}{l}", " ".repeat(pad)), style))
        })
        .collect()
    };
    let body = |instances: bool| {
        let mut body = lines(&now.instruction, t.title(), 0);
        if let Some(stop) = &now.how_to_stop {
            body.extend(lines(stop, t.dim(), 0));
        }
        for g in &now.checklist {
            let mark = if g.done { "[x]" } else { "[ ]" };
            body.extend(lines(&format!("{mark} {}", g.summary), plain, 0));
            for i in g.instances.iter().filter(|_| instances) {
                body.extend(lines(&i.line(), t.dim(), 4));
            }
        }
        body
    };
    let waiting = lines(&now.waiting, plain, 0);
    let room = max.max(2).saturating_sub(waiting.len()).max(1);
    let mut out = body(true);
    if out.len() > room {
        out = body(false);
    }
    if out.len() > room {
        let hidden = out.len() - room + 1;
        out.truncate(room - 1);
        out.push(Line::from(Span::styled(
            format!("... {hidden} more: see `status`"),
            t.dim(),
        )));
    }
    out.extend(waiting);
    out
}

/// Words wrapped to `width` columns (a word longer than the line stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let options = textwrap::Options::new(width.max(1)).break_words(false);
    textwrap::wrap(text, options)
        .into_iter()
        .map(|l| l.into_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn step_label(app: &App, step: &Step, wide: bool) -> (String, String) {
    let p = &app.wizard.progress;
    let done = |d: bool| if d { "[x]" } else { "[ ]" };
    match step {
        Step::Preflight => (
            format!("{} preflight", done(p.preflight.is_some())),
            String::new(),
        ),
        Step::Metadata => (
            format!("{} metadata", done(p.metadata.is_some())),
            String::new(),
        ),
        Step::Finish => (
            format!("{} finish", done(p.finished.is_some())),
            String::new(),
        ),
        Step::Batch(b) => {
            let s = p.stage(b);
            let mark = match s {
                Stage::Done => "[x]",
                Stage::NotStarted => "[ ]",
                _ => "[>]",
            };
            let indent = if wide { "    " } else { "  " };
            (
                format!("{mark} {b}"),
                format!("{indent}{} {}", s.code(), short_meaning(s)),
            )
        }
    }
}

fn short_meaning(s: Stage) -> &'static str {
    match s {
        Stage::NotStarted => "not started",
        Stage::DoubleRead => "double read",
        Stage::DoubleWrite => "double write",
        Stage::Draining => "draining",
        Stage::TargetOnly => "target only",
        Stage::Done => "done",
    }
}

pub fn rail(f: &mut Frame, app: &App, area: Rect, t: Theme) {
    let mut lines = vec![];
    for (i, step) in app.steps().iter().enumerate() {
        let (head, sub) = step_label(app, step, area.width >= 30);
        let style = if i == app.ui.selected {
            t.selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(Span::styled(head, style)));
        if !sub.is_empty() {
            lines.push(Line::from(Span::styled(sub, t.dim())));
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(block("steps".into(), false, t)),
        area,
    );
}

pub fn right(f: &mut Frame, app: &App, area: Rect, t: Theme) {
    let small = area.height < 30;
    let inner = area.width.saturating_sub(2);
    // The runbook comes first: up to 8 lines of text on a small screen (leaving the backlog,
    // connections and gate a few rows each), 18 on a big one.
    // (On a small screen: what the three panels' 4 rows each and its own borders leave.)
    let max = if small {
        usize::from(area.height.saturating_sub(14)).clamp(2, 8)
    } else {
        18
    };
    let lines = now_lines(&app.screen.now, inner, max, t);
    let now_h = lines.len() as u16 + 2;
    let [now_box, backlog, conns, gate] = if small {
        Layout::vertical([
            Constraint::Length(now_h),
            Constraint::Min(4),
            Constraint::Length(4),
            Constraint::Length(4),
        ])
        .areas(area)
    } else {
        Layout::vertical([
            Constraint::Length(now_h),
            Constraint::Percentage(30),
            Constraint::Percentage(22),
            Constraint::Min(6),
        ])
        .areas(area)
    };
    f.render_widget(
        Paragraph::new(lines).block(block("now".into(), false, t)),
        now_box,
    );
    let groups = rows(app);
    backlog_panel(f, app, backlog, &groups, t);
    connections_panel(f, app, conns, &groups, t);
    gate_panel(f, app, gate, app.screen.verdict.as_ref(), t);
}

/// Groups of the plan, filtered and sorted as the operator asked.
pub fn rows(app: &App) -> Vec<(String, String)> {
    let backlog = |side: Side, g: &str| -> Option<u64> {
        let snap = match side {
            Side::Source => app.wizard.source.as_ref(),
            Side::Target => app.wizard.target.as_ref(),
        }?;
        snap.groups.get(g)?.backlog.known().map(|b| b.total)
    };
    let mut rows: Vec<(String, String)> = app
        .wizard
        .plan
        .batches
        .iter()
        .flat_map(|b| {
            b.groups
                .iter()
                .map(move |g| (b.name.clone(), g.name.clone()))
        })
        .filter(|(_, g)| {
            app.ui.filter.is_empty() || g.to_lowercase().contains(&app.ui.filter.to_lowercase())
        })
        .collect();
    match app.ui.sort {
        SortKey::Name => rows.sort_by(|a, b| a.1.cmp(&b.1)),
        SortKey::SourceBacklog => {
            rows.sort_by_key(|r| std::cmp::Reverse(backlog(Side::Source, &r.1)))
        }
        SortKey::TargetBacklog => {
            rows.sort_by_key(|r| std::cmp::Reverse(backlog(Side::Target, &r.1)))
        }
    }
    rows
}

fn snap(app: &App, side: Side) -> Option<&Snapshot> {
    match side {
        Side::Source => app.wizard.source.as_ref(),
        Side::Target => app.wizard.target.as_ref(),
    }
    .filter(|s| s.unreachable.is_none())
}

fn sparkline(values: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0).max(1);
    tail.iter()
        .map(|v| BARS[((*v as f64 / max as f64) * 7.0).round() as usize])
        .collect()
}

/// The rows a scrolled table shows, and the index of the first.
fn visible<T>(items: &[T], scroll: usize, height: usize) -> (&[T], usize) {
    let start = scroll.min(items.len().saturating_sub(height));
    (&items[start..(start + height).min(items.len())], start)
}

/// A line of the backlog panel: a group, or (expanded) the part of its backlog on one topic
/// and broker.
struct BacklogLine<'a> {
    batch: &'a str,
    group: &'a str,
    part: Option<(String, String)>,
}

/// The group's backlog on `topic` on `broker`, from one cluster: "-" where it holds none.
fn part_cell(app: &App, side: Side, group: &str, topic: &str, broker: &str) -> String {
    let Some(st) = snap(app, side).and_then(|s| s.groups.get(group)) else {
        return "?".into();
    };
    match &st.backlog {
        Known::Known(b) => (b.per_topic.get(topic))
            .and_then(|l| l.per_broker.get(broker))
            .map_or("-".into(), u64::to_string),
        Known::Unknown(_) => "?".into(),
    }
}

/// Where a group's backlog is, on either cluster: (topic, broker) pairs.
fn parts(app: &App, group: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for side in [Side::Source, Side::Target] {
        let b = snap(app, side)
            .and_then(|s| s.groups.get(group))
            .and_then(|g| g.backlog.known());
        for (topic, lag) in b.into_iter().flat_map(|b| &b.per_topic) {
            out.extend(lag.per_broker.keys().map(|br| (topic.clone(), br.clone())));
        }
    }
    out
}

fn backlog_panel(f: &mut Frame, app: &App, area: Rect, rows: &[(String, String)], t: Theme) {
    let wide = area.width >= 100;
    let height = area.height.saturating_sub(3) as usize;
    let focused = app.ui.focus == Focus::Backlog;
    let scroll = if focused { app.ui.scroll } else { 0 };
    let mut lines = vec![];
    for (batch, group) in rows {
        lines.push(BacklogLine {
            batch,
            group,
            part: None,
        });
        if app.ui.expanded {
            lines.extend(parts(app, group).into_iter().map(|p| BacklogLine {
                batch,
                group,
                part: Some(p),
            }));
        }
    }
    let total = lines.len();
    let (shown, start) = visible(&lines, scroll, height);
    let cell = |side: Side, g: &str| -> (String, String) {
        let Some(s) = snap(app, side) else {
            return ("?".into(), "-".into());
        };
        match s.groups.get(g) {
            Some(st) => {
                let b = match &st.backlog {
                    Known::Known(b) if b.retry() > 0 => format!("{} ({}r)", b.total, b.retry()),
                    Known::Known(b) => b.total.to_string(),
                    Known::Unknown(_) => "?".into(),
                };
                (
                    b,
                    st.consume_tps.map_or("-".into(), |x| format!("{x:.0}/s")),
                )
            }
            None => ("?".into(), "-".into()),
        }
    };
    let body: Vec<Row> = shown
        .iter()
        .map(|line| {
            let g = line.group;
            if let Some((topic, broker)) = &line.part {
                let mut cells = vec![Cell::from(format!("  {topic} @ {broker}"))];
                if wide {
                    cells.push(Cell::from(""));
                }
                cells.extend([
                    Cell::from(part_cell(app, Side::Source, g, topic, broker)),
                    Cell::from(""),
                ]);
                if wide {
                    cells.push(Cell::from(""));
                }
                cells.push(Cell::from(part_cell(app, Side::Target, g, topic, broker)));
                return Row::new(cells).style(t.dim());
            }
            let (sb, stps) = cell(Side::Source, g);
            let (tb, ttps) = cell(Side::Target, g);
            let eta = app
                .ui
                .history
                .eta_ms(g, Side::Source)
                .map_or("-".into(), clock::age);
            let mut cells = vec![Cell::from(g.to_string())];
            if wide {
                cells.push(Cell::from(line.batch.to_string()));
            }
            cells.extend([Cell::from(sb), Cell::from(stps)]);
            if wide {
                cells.push(Cell::from(sparkline(
                    &app.ui.history.values(g, Side::Source),
                    16,
                )));
            }
            cells.extend([Cell::from(tb), Cell::from(ttps)]);
            if wide {
                cells.push(Cell::from(eta));
            }
            Row::new(cells)
        })
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "group",
                "batch",
                "src backlog",
                "src rate",
                "src trend",
                "dst backlog",
                "dst rate",
                "drain ETA",
            ],
            vec![
                Constraint::Min(18),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(8),
                Constraint::Length(16),
                Constraint::Length(12),
                Constraint::Length(8),
                Constraint::Length(9),
            ],
        )
    } else {
        (
            vec![
                "group",
                "src backlog",
                "src rate",
                "dst backlog",
                "dst rate",
            ],
            vec![
                Constraint::Min(14),
                Constraint::Length(11),
                Constraint::Length(8),
                Constraint::Length(11),
                Constraint::Length(8),
            ],
        )
    };
    let sw = &app.screen.source.word;
    let tw = &app.screen.target.word;
    let title = format!(
        "backlog {}-{}/{total}  source {sw}  target {tw}",
        (start + 1).min(total),
        start + shown.len()
    );
    let table = Table::new(body, widths)
        .header(Row::new(header).style(t.title()))
        .block(block(title, focused, t));
    f.render_widget(table, area);
}

/// A line of the connections panel, materialised only when visible.
enum ConnRow<'a> {
    Group(&'a str),
    Producer(&'a str),
    Client(&'a str, Side, &'a crate::model::Client),
}

fn connections_panel(f: &mut Frame, app: &App, area: Rect, groups: &[(String, String)], t: Theme) {
    let focused = app.ui.focus == Focus::Connections;
    let count = |side: Side, g: &str| -> String {
        snap(app, side)
            .and_then(|s| s.groups.get(g))
            .and_then(|st| st.consumers.known())
            .map_or("?".into(), |c| c.len().to_string())
    };
    let mut lines: Vec<ConnRow> = vec![];
    if app.ui.details {
        for (_, g) in groups {
            for side in [Side::Source, Side::Target] {
                let clients = snap(app, side)
                    .and_then(|s| s.groups.get(g))
                    .and_then(|st| st.consumers.known());
                lines.extend(
                    clients
                        .into_iter()
                        .flatten()
                        .map(|c| ConnRow::Client(g, side, c)),
                );
            }
        }
    } else {
        lines.extend(groups.iter().map(|(_, g)| ConnRow::Group(g)));
        lines.extend(
            app.wizard
                .plan
                .batches
                .iter()
                .flat_map(|b| b.producer_groups.iter().map(|p| ConnRow::Producer(p))),
        );
    }
    let row = |line: &ConnRow| -> Row {
        match *line {
            ConnRow::Client(g, side, c) => Row::new(vec![
                g.to_string(),
                side.name().into(),
                c.client_id.clone(),
                c.addr.clone(),
                c.version.clone().unwrap_or_else(|| "?".into()),
            ]),
            ConnRow::Group(g) => {
                let (s, d) = (count(Side::Source, g), count(Side::Target, g));
                let both = if s != "0" && s != "?" && d != "0" && d != "?" {
                    "both"
                } else {
                    ""
                };
                Row::new(vec![
                    Cell::from(g.to_string()),
                    Cell::from(s),
                    Cell::from(d),
                    Cell::from(both),
                ])
            }
            ConnRow::Producer(p) => {
                let n = |side: Side| {
                    snap(app, side)
                        .and_then(|s| s.producers.groups.get(p))
                        .and_then(|k| k.known())
                        .map_or("?".into(), |c| c.len().to_string())
                };
                Row::new(vec![
                    Cell::from(format!("producer {p}")),
                    Cell::from(n(Side::Source)),
                    Cell::from(n(Side::Target)),
                    Cell::from(""),
                ])
            }
        }
    };
    let height = area.height.saturating_sub(3) as usize;
    let total = lines.len();
    let (shown, start) = visible(&lines, if focused { app.ui.scroll } else { 0 }, height);
    let shown: Vec<Row> = shown.iter().map(row).collect();
    let (header, widths) = if app.ui.details {
        (
            vec!["group", "cluster", "client id", "address", "version"],
            vec![
                Constraint::Min(16),
                Constraint::Length(7),
                Constraint::Min(18),
                Constraint::Length(22),
                Constraint::Length(10),
            ],
        )
    } else {
        (
            vec!["group", "on source", "on target", ""],
            vec![
                Constraint::Min(18),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(5),
            ],
        )
    };
    let title = format!(
        "connections {}-{}/{total}{}",
        (start + 1).min(total),
        start + shown.len(),
        if app.ui.details {
            "  (c: counts)"
        } else {
            "  (c: clients)"
        }
    );
    f.render_widget(
        Table::new(shown, widths)
            .header(Row::new(header).style(t.title()))
            .block(block(title, focused, t)),
        area,
    );
}

fn gate_panel(f: &mut Frame, app: &App, area: Rect, verdict: Option<&Verdict>, t: Theme) {
    let focused = app.ui.focus == Focus::Gate;
    let Some(v) = verdict else {
        f.render_widget(
            Paragraph::new("This step is complete.").block(block("gate".into(), focused, t)),
            area,
        );
        return;
    };
    let status = v.status();
    let word = if v.opens() {
        "OPEN"
    } else if status == Status::Pass {
        "WAITING FOR ACKNOWLEDGEMENT"
    } else {
        status.word()
    };
    let mut lines: Vec<Line> = vec![];
    for c in &v.checks {
        let age = match c.evidence.first() {
            Some(e) if !matches!(c.kind, CheckKind::Fresh { .. }) => {
                format!(" ({} old)", clock::age(e.age_ms))
            }
            _ => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", c.status.symbol()), t.status(c.status)),
            Span::raw(format!("{}{age}", c.summary)),
        ]));
    }
    if let Some(s) = v.settle
        && s.remaining_ms() > 0
    {
        lines.push(Line::from(Span::styled(s.describe(), t.unknown())));
    }
    for w in &v.warnings {
        let (sym, st) = if w.acknowledged {
            ("[ack]", t.ok())
        } else {
            ("[!!]", t.unknown())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{sym} "), st),
            Span::raw(format!("warning {}: {}", w.id(), w.text)),
        ]));
    }
    let skip = if focused {
        app.ui.scroll.min(lines.len().saturating_sub(1))
    } else {
        0
    };
    let title = format!("gate: {} ({}) {}", v.action, v.step, word.to_uppercase());
    let block = block(title, focused, t).title_style(t.status(status));
    f.render_widget(
        Paragraph::new(lines)
            .scroll((skip as u16, 0))
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

pub fn log(f: &mut Frame, app: &App, area: Rect, t: Theme) {
    let focused = app.ui.focus == Focus::Log;
    let h = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = app
        .ui
        .log
        .iter()
        .rev()
        .take(h)
        .rev()
        .map(|(at, l)| Line::from(format!("{} {l}", clock::rfc3339(*at))))
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(block(format!("log (also in {})", app.log_file), focused, t)),
        area,
    );
}
