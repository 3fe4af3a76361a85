//! A batch's backlog and consumers over time, from the recorded series, as inline SVG drawn by
//! plotters: one line per group and cluster (source solid, target dashed), broken where a
//! value was unknown (never drawn as 0).

use crate::clock::{self, Millis};
use crate::plan::{Batch, Plan, Side};
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
}

/// Values drawn per line at most: a chart is 760 pixels wide.
const MAX_DRAWN: usize = 600;

/// One line of a chart: a group on one cluster, built a point at a time from the series file,
/// in the order it was recorded (time order), holding at most `MAX_DRAWN` values however long
/// the night: beyond that, neighbouring points are taken together, at the first one's time, as
/// their largest known value (a peak stays on the chart) or unknown if none was known. The
/// table's figures are kept over every point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub group: String,
    pub side: Side,
    /// (time, value) to draw; `None` where the poll could not read it.
    drawn: Vec<(Millis, Option<u64>)>,
    /// Points each drawn value takes together (a power of two).
    per: usize,
    /// Points recorded, and of them unknown (not read).
    pub points: usize,
    pub unknown: usize,
    pub first: Option<Millis>,
    pub last: Option<Millis>,
    pub largest: Option<u64>,
    pub last_known: Option<u64>,
}

impl Line {
    fn new(group: &str, side: Side) -> Line {
        Line {
            group: group.to_string(),
            side,
            drawn: vec![],
            per: 1,
            points: 0,
            unknown: 0,
            first: None,
            last: None,
            largest: None,
            last_known: None,
        }
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.group, self.side)
    }

    /// Takes in the next point of the line.
    fn push(&mut self, at: Millis, value: Option<u64>) {
        let larger = |a: Option<u64>, b: Option<u64>| a.max(b);
        if self.points.is_multiple_of(self.per) {
            self.drawn.push((at, value));
        } else if let Some(d) = self.drawn.last_mut() {
            d.1 = larger(d.1, value);
        }
        if self.drawn.len() > MAX_DRAWN {
            self.drawn = (self.drawn.chunks(2))
                .map(|pair| (pair[0].0, pair.iter().map(|d| d.1).fold(None, larger)))
                .collect();
            self.per *= 2;
        }
        self.points += 1;
        self.first.get_or_insert(at);
        self.last = Some(at);
        match value {
            Some(v) => {
                self.largest = larger(self.largest, Some(v));
                self.last_known = Some(v);
            }
            None => self.unknown += 1,
        }
    }

    /// Runs of known values, each drawn as a line of its own.
    fn segments(&self) -> Vec<Vec<(Millis, u64)>> {
        let mut out: Vec<Vec<(Millis, u64)>> = vec![];
        let mut run = vec![];
        for (at, v) in &self.drawn {
            match v {
                Some(v) => run.push((*at, *v)),
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

/// The lines of every group of the plan on both clusters, for both measures, taken in from the
/// series file a point at a time (the file is not held: its size is bounded per group, the
/// lines per chart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// group -> cluster -> its backlog line and its consumers line.
    lines: BTreeMap<String, BTreeMap<Side, (Line, Line)>>,
    /// Lines of the file that could not be read and were skipped.
    pub skipped: usize,
}

impl Recorded {
    /// Ready for the groups of `plan`; points of other groups are left out.
    pub fn new(plan: &Plan) -> Recorded {
        let lines = (plan.batches.iter())
            .flat_map(|b| b.group_names())
            .map(|g| {
                let both = [Side::Source, Side::Target]
                    .map(|side| (side, (Line::new(g, side), Line::new(g, side))));
                (g.to_string(), BTreeMap::from(both))
            })
            .collect();
        Recorded { lines, skipped: 0 }
    }

    /// Takes in the next point of the file.
    pub fn add(&mut self, p: &Point) {
        let group = self.lines.get_mut(p.group.as_str());
        if let Some((backlog, consumers)) = group.and_then(|g| g.get_mut(&p.side)) {
            backlog.push(p.at, p.backlog);
            consumers.push(p.at, p.consumers);
        }
    }

    /// The lines of a batch for one measure: its groups in the plan's order, source then
    /// target, those with a point recorded.
    pub fn lines(&self, batch: &Batch, measure: Measure) -> Vec<&Line> {
        (batch.group_names())
            .filter_map(|g| self.lines.get(g))
            .flat_map(|sides| sides.values())
            .map(|(backlog, consumers)| match measure {
                Measure::Backlog => backlog,
                Measure::Consumers => consumers,
            })
            .filter(|l| l.points > 0)
            .collect()
    }
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
pub fn svg(title: &str, lines: &[&Line], measure: Measure) -> Result<Option<String>, String> {
    let x0 = lines.iter().filter_map(|l| l.first).min();
    let x1 = lines.iter().filter_map(|l| l.last).max();
    let top = lines.iter().filter_map(|l| l.largest).max();
    let (Some(x0), Some(x1), Some(top)) = (x0, x1, top) else {
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

    fn plan() -> Plan {
        Plan::parse(
            std::path::Path::new("p.toml"),
            "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\", \"H\"]\n",
        )
        .unwrap()
    }

    fn recorded(plan: &Plan, points: &[Point]) -> Recorded {
        let mut r = Recorded::new(plan);
        points.iter().for_each(|p| r.add(p));
        r
    }

    #[test]
    fn unknown_values_break_the_line_and_the_svg_has_no_url() {
        let plan = plan();
        let r = recorded(
            &plan,
            &[
                p(60_000, Side::Target, "G", Some(0)),
                p(60_000, Side::Source, "G", Some(40)),
                p(70_000, Side::Source, "G", Some(20)),
                p(80_000, Side::Source, "G", None),
                p(90_000, Side::Source, "G", Some(0)),
                p(90_000, Side::Target, "OTHER", Some(9)),
            ],
        );
        let l = r.lines(&plan.batches[0], Measure::Backlog);
        assert_eq!(
            l.iter().map(|l| l.label()).collect::<Vec<_>>(),
            ["G source", "G target"],
            "the batch's groups with a point, source first; H had none, OTHER is not the plan's"
        );
        assert_eq!(
            l[0].segments(),
            [vec![(60_000, 40), (70_000, 20)], vec![(90_000, 0)]]
        );
        let g = l[0];
        assert_eq!((g.points, g.unknown), (4, 1));
        assert_eq!((g.first, g.last), (Some(60_000), Some(90_000)));
        assert_eq!((g.largest, g.last_known), (Some(40), Some(0)));
        let drawn = svg("b: backlog", &l, Measure::Backlog).unwrap().unwrap();
        assert!(drawn.starts_with("<svg"), "{drawn}");
        assert!(!drawn.contains("http"), "{drawn}");
        assert!(
            drawn.contains("G source") && drawn.contains("G target"),
            "{drawn}"
        );
        assert!(drawn.matches("<polyline").count() >= 2, "{drawn}");
        // Nothing known: no chart.
        let none = recorded(&plan, &[p(1, Side::Source, "G", None)]);
        let none = none.lines(&plan.batches[0], Measure::Backlog);
        assert_eq!(none[0].largest, None);
        assert_eq!(svg("b", &none, Measure::Backlog).unwrap(), None);
    }

    #[test]
    fn a_long_line_is_drawn_with_its_peaks_and_gaps_in_few_points() {
        let mut line = Line::new("G", Side::Source);
        for i in 0..6_000u64 {
            let v = match i {
                1_234 => Some(900),
                3_000..3_100 => None,
                _ => Some(1),
            };
            line.push(1_000 * i, v);
        }
        let segs = line.segments();
        let drawn: Vec<(Millis, u64)> = segs.concat();
        assert!(drawn.len() <= MAX_DRAWN, "{}", drawn.len());
        assert!(drawn.len() > MAX_DRAWN / 4, "{}", drawn.len());
        assert_eq!(segs.len(), 2, "the unknown stretch stays a gap");
        assert_eq!(
            drawn.iter().map(|(_, v)| *v).max(),
            Some(900),
            "the peak stays"
        );
        assert_eq!(drawn[0].0, 0);
        // The table's figures are over every point, not the drawn ones.
        assert_eq!((line.points, line.unknown), (6_000, 100));
        assert_eq!(line.last, Some(5_999_000));
        assert_eq!(line.largest, Some(900));
    }
}
