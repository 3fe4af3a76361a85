//! The report as one self-contained HTML page: the same summary and timeline as the Markdown,
//! and per batch a chart of its groups' backlog and consumers on both clusters. Inline CSS and
//! SVG only: nothing is fetched, so it opens the same from a ticket attachment.

use super::chart::{self, Measure};
use super::{Charts, Report, acknowledgement_words, attestation_words, overview, stage_cell};
use crate::clock::{self, Millis};
use crate::stage::STAGES;
use std::fmt::Write;

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 0; background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin-top: 0; }
h2 { font-size: 18px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 15px; margin-top: 22px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fff4d6; border-left: 4px solid #d4a72c; padding: 6px 10px; }
figure.chart { margin: 12px 0; }
figure.chart svg { max-width: 100%; height: auto; border: 1px solid #e2e5e9; }
figcaption { color: #57606a; font-size: 12px; }
.no-series { color: #57606a; font-style: italic; }
ol.timeline { list-style: none; padding-left: 0; }
ol.timeline > li { margin: 4px 0; }
ol.timeline time { color: #57606a; font-variant-numeric: tabular-nums; margin-right: 6px; }
ol.timeline ul { margin: 2px 0 6px; color: #3d444d; }
";

pub fn render(r: &Report<'_>, charts: &Charts) -> String {
    let s = &r.summary;
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>RocketMQ migration report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>RocketMQ migration report: {}</h1>\n",
        escape(&s.plan),
        escape(&s.plan)
    );

    o.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"overview\">\n");
    for (label, value) in overview(r) {
        let _ = writeln!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(label),
            escape(&value)
        );
    }
    o.push_str("</table>\n");
    for n in &r.notes {
        let _ = writeln!(o, "<p class=\"note\">Note: {}</p>", escape(n));
    }

    o.push_str(
        "<h3>Time in each stage</h3>\n<table class=\"stages\">\n<tr><th>batch</th><th>now</th>",
    );
    for st in STAGES {
        let _ = write!(
            o,
            "<th title=\"{}\">{}</th>",
            escape(st.meaning()),
            st.code()
        );
    }
    o.push_str("</tr>\n");
    for b in &s.batches {
        let _ = write!(
            o,
            "<tr data-batch=\"{}\"><td>{}</td><td title=\"{}\">{}</td>",
            escape(&b.name),
            escape(&b.name),
            escape(b.stage.meaning()),
            b.stage.code()
        );
        for st in STAGES {
            let _ = write!(o, "<td class=\"num\">{}</td>", escape(&stage_cell(b, st)));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n<p>A first stage counts from the journal's first record; \"still\" counts to its last.</p>\n");

    o.push_str("<h3>Messages drained from the source</h3>\n<table class=\"drained\">\n<tr><th>batch</th><th>group</th><th>drained</th></tr>\n");
    for b in &s.batches {
        for g in &b.drained {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&b.name),
                escape(&g.group),
                escape(&g.drained.words())
            );
        }
    }
    o.push_str("</table>\n");

    let _ = writeln!(
        o,
        "<h3>Refusals: {}</h3>\n<ul class=\"refusals\">",
        s.refusals.count
    );
    for step in &s.refusals.per_step {
        let _ = write!(
            o,
            "<li>{}: {}, refused {} time(s):<ul>",
            escape(&super::timeline::step_words(&step.step)),
            escape(&step.action),
            step.count
        );
        for reason in &step.reasons {
            let _ = write!(o, "<li>{}</li>", escape(reason));
        }
        o.push_str("</ul></li>\n");
    }
    o.push_str("</ul>\n");
    let _ = writeln!(
        o,
        "<h3>Acknowledgements: {}</h3>\n<ul class=\"acknowledgements\">",
        s.acknowledgements.len()
    );
    for a in &s.acknowledgements {
        let _ = writeln!(o, "<li>{}</li>", escape(&acknowledgement_words(a)));
    }
    let _ = writeln!(
        o,
        "</ul>\n<h3>Attestations: {}</h3>\n<ul class=\"attestations\">",
        s.attestations.len()
    );
    for a in &s.attestations {
        let _ = writeln!(o, "<li>{}</li>", escape(&attestation_words(a)));
    }
    o.push_str("</ul>\n</section>\n");

    o.push_str("<section id=\"charts\">\n<h2>Backlog and consumers over time</h2>\n");
    charts_section(r, charts, &mut o);
    o.push_str("</section>\n");

    o.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n<ol class=\"timeline\">\n");
    for l in &r.timeline {
        let text = escape(&l.text);
        let _ = write!(
            o,
            "<li><time>{}</time> {}",
            clock::rfc3339(l.at),
            if l.strong {
                format!("<strong>{text}</strong>")
            } else {
                text
            }
        );
        details(&l.details, &mut o);
        o.push_str("</li>\n");
    }
    o.push_str("</ol>\n</section>\n</main>\n</body>\n</html>\n");
    o
}

/// Checks (depth 0) with their evidence (depth 1) as nested lists.
fn details(items: &[(usize, String)], o: &mut String) {
    if items.is_empty() {
        return;
    }
    o.push_str("<ul>");
    let mut nested = false;
    for (i, (depth, text)) in items.iter().enumerate() {
        if *depth == 0 {
            if nested {
                o.push_str("</ul>");
                nested = false;
            }
            if i > 0 {
                o.push_str("</li>");
            }
            let _ = write!(o, "<li>{}", escape(text));
        } else {
            if !nested {
                if i == 0 {
                    o.push_str("<li>");
                }
                o.push_str("<ul>");
                nested = true;
            }
            let _ = write!(o, "<li>{}</li>", escape(text));
        }
    }
    if nested {
        o.push_str("</ul>");
    }
    o.push_str("</li></ul>");
}

fn charts_section(r: &Report<'_>, charts: &Charts, o: &mut String) {
    let series = match charts {
        Charts::NotRecorded => {
            o.push_str("<p class=\"no-series\">no series recorded: no process driving this plan recorded the backlog series beside its journal</p>\n");
            return;
        }
        Charts::Unreadable(why) => {
            let _ = writeln!(o, "<p class=\"no-series\">no series: {}</p>", escape(why));
            return;
        }
        Charts::Recorded(s) => s,
    };
    let _ = writeln!(
        o,
        "<p>One point per group and cluster at most every {} (source solid, target dashed); a gap is a value the poll could not read, never a 0.{}</p>",
        clock::age(crate::series::SAMPLE_EVERY_MS),
        if series.skipped > 0 {
            format!(
                " {} damaged line(s) of the series file were skipped.",
                series.skipped
            )
        } else {
            String::new()
        }
    );
    for batch in &r.plan.batches {
        let _ = writeln!(
            o,
            "<article class=\"batch\" data-batch=\"{}\">\n<h3>batch {}</h3>",
            escape(&batch.name),
            escape(&batch.name)
        );
        let mut any = false;
        // Each measure's lines once: the chart and the table of numbers read the same.
        let backlog = series.lines(batch, Measure::Backlog);
        let consumers = series.lines(batch, Measure::Consumers);
        for (measure, lines) in [
            (Measure::Backlog, &backlog),
            (Measure::Consumers, &consumers),
        ] {
            let title = format!("{}: {}", batch.name, measure.words());
            match chart::svg(&title, lines, measure) {
                Ok(Some(svg)) => {
                    any = true;
                    let _ = writeln!(
                        o,
                        "<figure class=\"chart\" data-batch=\"{}\" data-measure=\"{}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
                        escape(&batch.name),
                        escape(measure.words()),
                        escape(&format!(
                            "{title}: {}",
                            lines
                                .iter()
                                .map(|l| l.label())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    );
                }
                Ok(None) => {
                    let _ = writeln!(
                        o,
                        "<p class=\"no-series\">{}: no known value recorded</p>",
                        escape(&title)
                    );
                }
                Err(e) => {
                    let _ = writeln!(
                        o,
                        "<p class=\"no-series\">{}: the chart could not be drawn: {}</p>",
                        escape(&title),
                        escape(&e)
                    );
                }
            }
        }
        if any {
            series_table(&backlog, &consumers, o);
        }
        o.push_str("</article>\n");
    }
}

/// The numbers behind the charts, for a reader who cannot see them.
fn series_table(backlog: &[&chart::Line], consumers: &[&chart::Line], o: &mut String) {
    o.push_str("<table class=\"series\">\n<tr><th>group</th><th>cluster</th><th>points</th><th>from</th><th>to</th><th>backlog (largest, last)</th><th>consumers (last)</th></tr>\n");
    for (b, c) in backlog.iter().zip(consumers) {
        let known =
            |v: Option<u64>| v.map_or("unknown (never read)".to_string(), |v| v.to_string());
        let unknown = |l: &chart::Line| match l.unknown {
            0 => String::new(),
            n => format!("; {n} unknown (not read)"),
        };
        let time = |at: Option<Millis>| at.map(clock::rfc3339).unwrap_or_default();
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}, {}{}</td><td>{}{}</td></tr>",
            escape(&b.group),
            b.side,
            b.points,
            time(b.first),
            time(b.last),
            known(b.largest),
            known(b.last_known),
            unknown(b),
            known(c.last_known),
            unknown(c)
        );
    }
    o.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_nest_evidence_under_its_check() {
        let mut o = String::new();
        details(
            &[
                (0, "[ok] a".into()),
                (1, "e1".into()),
                (1, "e2".into()),
                (0, "[no] b<".into()),
            ],
            &mut o,
        );
        assert_eq!(
            o,
            "<ul><li>[ok] a<ul><li>e1</li><li>e2</li></ul></li><li>[no] b&lt;</li></ul>"
        );
    }
}
