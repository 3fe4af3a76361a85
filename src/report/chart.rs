//! A batch's backlog and consumers over time, from the recorded series, as inline SVG drawn by
//! plotters: one line per group and cluster (source solid, target dashed), broken where a
//! value was unknown (never drawn as 0).

use crate::clock::{self, Millis};
use crate::plan::{Batch, Side};
use crate::series::Point;
use plotters::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Backlog,
    Consumers,
}

impl Measure {
    pub fn words(self) -> &'static str {
        match self {
            Measure::Backlog => "backlog",
            Measure::Consumers => "consumers online",
        }
    }

    fn of(self, p: &Point) -> Option<u64> {
        match self {
            Measure::Backlog => p.backlog,
            Measure::Consumers => p.consumers,
        }
    }
}

/// Points drawn per line at most: a chart is 760 pixels wide.
const MAX_DRAWN: usize = 600;

/// One line of a chart: a group on one cluster, and what its points say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub group: String,
    pub side: Side,
    /// (time, value) in time order; `None` where the poll could not read it.
    pub values: Vec<(Millis, Option<u64>)>,
}

impl Line {
    pub fn label(&self) -> String {
        format!("{} {}", self.group, self.side)
    }

    pub fn known(&self) -> impl Iterator<Item = u64> + '_ {
        self.values.iter().filter_map(|(_, v)| *v)
    }

    pub fn unknown(&self) -> usize {
        self.values.iter().filter(|(_, v)| v.is_none()).count()
    }

    /// Runs of known values, each drawn as a line of its own, with at most about `MAX_DRAWN`
    /// points in all: beyond that, consecutive values are taken together, at the first one's
    /// time, as their largest known one (a peak stays on the chart) or unknown if none was known.
    fn segments(&self) -> Vec<Vec<(Millis, u64)>> {
        let per = self.values.len().div_ceil(MAX_DRAWN).max(1);
        let drawn = self.values.chunks(per).map(|c| {
            let largest = c.iter().filter_map(|(_, v)| *v).max();
            (c[0].0, largest)
        });
        let mut out: Vec<Vec<(Millis, u64)>> = vec![];
        let mut run = vec![];
        for (at, v) in drawn {
            match v {
                Some(v) => run.push((at, v)),
                None if !run.is_empty() => out.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            out.push(run);
        }
        out
    }
}

/// The lines of a batch for one measure: its groups, source then target, from the series.
pub fn lines(batch: &Batch, points: &[Point], measure: Measure) -> Vec<Line> {
    let mut by: BTreeMap<(usize, Side), Line> = BTreeMap::new();
    let groups: BTreeMap<&str, usize> = (batch.group_names().enumerate())
        .map(|(i, g)| (g, i))
        .collect();
    for p in points {
        let Some(&i) = groups.get(p.group.as_str()) else {
            continue;
        };
        by.entry((i, p.side))
            .or_insert_with(|| Line {
                group: p.group.clone(),
                side: p.side,
                values: vec![],
            })
            .values
            .push((p.at, measure.of(p)));
    }
    let mut out: Vec<Line> = by.into_values().collect();
    for l in &mut out {
        l.values.sort_by_key(|(at, _)| *at);
    }
    out
}

/// Dark, distinct colours that read on white (and apart from one another).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// "HH:MM" (or "HH:MM:SS" over a short span) of a UTC time.
fn clock_label(at: Millis, span: Millis) -> String {
    let t = clock::rfc3339(at);
    let end = if span < 10 * 60_000 { 19 } else { 16 };
    t.get(11..end).unwrap_or(&t).to_string()
}

/// The chart as an SVG element to put in a page; `None` when no line has a known value.
pub fn svg(title: &str, lines: &[Line], measure: Measure) -> Result<Option<String>, String> {
    let times = lines
        .iter()
        .flat_map(|l| l.values.iter().map(|(at, _)| *at));
    let (Some(x0), Some(x1)) = (times.clone().min(), times.max()) else {
        return Ok(None);
    };
    let Some(top) = lines.iter().flat_map(Line::known).max() else {
        return Ok(None);
    };
    let x1 = x1.max(x0 + 1_000);
    let span = x1 - x0;
    let y1 = (top + top / 10).max(top + 1);
    let mut buf = String::new();
    {
        let err = |e: &dyn std::fmt::Display| format!("chart {title}: {e}");
        let root = SVGBackend::with_string(&mut buf, (760, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0u64..y1)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_labels(7)
            .y_labels(6)
            .x_label_formatter(&|x| clock_label(*x, span))
            .x_desc("time (UTC)")
            .y_desc(measure.words())
            .draw()
            .map_err(|e| err(&e))?;
        for (i, line) in lines.iter().enumerate() {
            // The same colour for a group on both clusters; the target dashed.
            let group_index = lines
                .iter()
                .position(|l| l.group == line.group)
                .unwrap_or(i);
            let color = PALETTE[group_index % PALETTE.len()];
            let style = color.stroke_width(2);
            let mut labelled = false;
            for seg in line.segments() {
                let drawn = match line.side {
                    Side::Source => chart.draw_series(LineSeries::new(seg.clone(), style)),
                    Side::Target => {
                        chart.draw_series(DashedLineSeries::new(seg.clone(), 6, 4, style))
                    }
                }
                .map_err(|e| err(&e))?;
                if !labelled {
                    let dashed = line.side == Side::Target;
                    drawn.label(line.label()).legend(move |(x, y)| {
                        let end = if dashed { x + 10 } else { x + 20 };
                        PathElement::new(vec![(x, y), (end, y)], style)
                    });
                    labelled = true;
                }
                // A point between two unknowns is a dot, not nothing.
                if seg.len() == 1 {
                    chart
                        .draw_series(seg.iter().map(|p| Circle::new(*p, 3, color.filled())))
                        .map_err(|e| err(&e))?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    // Inline SVG in HTML takes its namespace from the page: no URL left in it.
    Ok(Some(
        buf.replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(at: Millis, side: Side, group: &str, backlog: Option<u64>) -> Point {
        Point {
            at,
            side,
            group: group.into(),
            backlog,
            consumers: Some(1),
        }
    }

    #[test]
    fn unknown_values_break_the_line_and_the_svg_has_no_url() {
        let plan = crate::plan::Plan::parse(
            std::path::Path::new("p.toml"),
            "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n",
        )
        .unwrap();
        let pts = vec![
            p(60_000, Side::Source, "G", Some(40)),
            p(70_000, Side::Source, "G", Some(20)),
            p(80_000, Side::Source, "G", None),
            p(90_000, Side::Source, "G", Some(0)),
            p(60_000, Side::Target, "G", Some(0)),
            p(90_000, Side::Target, "OTHER", Some(9)),
        ];
        let l = lines(&plan.batches[0], &pts, Measure::Backlog);
        assert_eq!(l.len(), 2, "the batch's group only, on both clusters");
        assert_eq!(
            l[0].segments(),
            [vec![(60_000, 40), (70_000, 20)], vec![(90_000, 0)]]
        );
        assert_eq!(l[0].unknown(), 1);
        let drawn = svg("b: backlog", &l, Measure::Backlog).unwrap().unwrap();
        assert!(drawn.starts_with("<svg"), "{drawn}");
        assert!(!drawn.contains("http"), "{drawn}");
        assert!(
            drawn.contains("G source") && drawn.contains("G target"),
            "{drawn}"
        );
        assert!(drawn.matches("<polyline").count() >= 2, "{drawn}");
        // Nothing known: no chart.
        let none = lines(
            &plan.batches[0],
            &[p(1, Side::Source, "G", None)],
            Measure::Backlog,
        );
        assert_eq!(svg("b", &none, Measure::Backlog).unwrap(), None);
    }

    #[test]
    fn a_long_line_is_drawn_with_its_peaks_and_gaps_in_few_points() {
        let at = |i: usize| 1_000 * i as Millis;
        let mut values: Vec<(Millis, Option<u64>)> = (0..6_000).map(|i| (at(i), Some(1))).collect();
        values[1_234].1 = Some(900);
        for v in &mut values[3_000..3_100] {
            v.1 = None;
        }
        let line = Line {
            group: "G".into(),
            side: Side::Source,
            values,
        };
        let segs = line.segments();
        let drawn: Vec<(Millis, u64)> = segs.concat();
        assert!(drawn.len() <= MAX_DRAWN, "{}", drawn.len());
        assert_eq!(segs.len(), 2, "the unknown stretch stays a gap");
        assert_eq!(
            drawn.iter().map(|(_, v)| *v).max(),
            Some(900),
            "the peak stays"
        );
        assert_eq!(drawn[0].0, 0);
    }
}
