//! Which observations become points, and how the series stays bounded. Pure: no clock, no file.

use super::Point;
use crate::clock::Millis;
use crate::model::Snapshot;
use crate::plan::{Plan, Side};
use std::collections::BTreeMap;

/// At most one point per batch group and cluster this often: the polls run every second, a
/// chart of a night's migration needs far fewer.
pub const SAMPLE_EVERY_MS: Millis = 10_000;

/// Points kept per group and cluster before the oldest are thinned (see [`thin`]): about 14
/// hours at one point per 10 s, and a bounded file however long the migration runs.
pub const MAX_POINTS_PER_GROUP: usize = 5_000;

/// Remembers when each group's last point was taken.
#[derive(Debug, Clone)]
pub struct Sampler {
    every: Millis,
    last: BTreeMap<(Side, String), Millis>,
}

impl Sampler {
    pub fn new(every: Millis) -> Sampler {
        Sampler {
            every,
            last: BTreeMap::new(),
        }
    }

    /// Takes in a point already recorded (by this or an earlier process), so that a restarted
    /// process keeps the pace instead of adding a point at once.
    pub fn recorded(&mut self, p: &Point) {
        let last = self.last.entry((p.side, p.group.clone())).or_insert(p.at);
        *last = (*last).max(p.at);
    }

    /// The points this snapshot adds: one per batch group of the plan whose last point is at
    /// least `every` away (a clock stepped back starts the pace again rather than stopping it).
    /// A group the snapshot could not read gets a point with its values absent: a gap in the
    /// chart, never a 0.
    pub fn sample(&mut self, plan: &Plan, snap: &Snapshot) -> Vec<Point> {
        let at = snap.started_at;
        let mut out = vec![];
        for group in plan.batches.iter().flat_map(|b| b.group_names()) {
            let key = (snap.side, group.to_string());
            if self
                .last
                .get(&key)
                .is_some_and(|last| last.abs_diff(at) < self.every)
            {
                continue;
            }
            let state = (snap.unreachable.is_none())
                .then(|| snap.groups.get(group))
                .flatten();
            out.push(Point {
                at,
                side: snap.side,
                group: group.to_string(),
                backlog: state.and_then(|g| g.backlog.known()).map(|b| b.total),
                consumers: state
                    .and_then(|g| g.consumers.known())
                    .map(|c| c.len() as u64),
            });
            self.last.insert(key, at);
        }
        out
    }
}

/// Keeps every group's series within `max` points, deciding a point at a time in the file's
/// order (the order they were recorded in, which is their time order), so a file of any size is
/// thinned without being held. A series over the limit loses every other point of its older
/// half (so it shrinks to about three quarters of the limit): recent points keep their full
/// resolution, older ones halve theirs each time the limit is reached again, and the first and
/// last points always stay. Other series and the order of the points are kept as they are.
#[derive(Debug, Clone)]
pub struct Thinning {
    /// Per series over the limit (by cluster, then group): the size of its older half, and its
    /// points seen so far.
    over: BTreeMap<Side, BTreeMap<String, (usize, usize)>>,
}

impl Thinning {
    /// `counts`: each series' points in the file.
    pub fn new(counts: &BTreeMap<(Side, String), usize>, max: usize) -> Thinning {
        let mut over: BTreeMap<Side, BTreeMap<String, (usize, usize)>> = BTreeMap::new();
        for ((side, group), n) in counts.iter().filter(|(_, n)| **n > max) {
            over.entry(*side)
                .or_default()
                .insert(group.clone(), (n / 2, 0));
        }
        Thinning { over }
    }

    /// Whether the next point of the file stays.
    pub fn keeps(&mut self, p: &Point) -> bool {
        let series = self.over.get_mut(&p.side);
        let Some((old_half, seen)) = series.and_then(|s| s.get_mut(p.group.as_str())) else {
            return true;
        };
        let ordinal = *seen;
        *seen += 1;
        // Odd positions of the older half go: the first point stays.
        !(ordinal < *old_half && ordinal % 2 == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Backlog, GroupState, Known};
    use std::path::Path;

    /// The thinning of a whole list, as the file's compaction applies it.
    fn thin(points: Vec<Point>, max: usize) -> Vec<Point> {
        let mut counts = BTreeMap::new();
        for p in &points {
            *counts.entry((p.side, p.group.clone())).or_default() += 1;
        }
        let mut thinning = Thinning::new(&counts, max);
        points.into_iter().filter(|p| thinning.keeps(p)).collect()
    }

    fn plan() -> Plan {
        let text = "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n[[batch]]\nname = \"orders\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\", \"H\"]\n";
        Plan::parse(Path::new("p.toml"), text).unwrap()
    }

    fn snap(at: Millis) -> Snapshot {
        let mut s = Snapshot::unreachable(Side::Source, "old", "rehearsal", at, "x");
        s.unreachable = None;
        let mut g = GroupState::unknown("broker-a did not answer");
        g.backlog = Known::Known(Backlog {
            total: 7,
            per_topic: Default::default(),
        });
        g.consumers = Known::Known(vec![]);
        s.groups.insert("G".into(), g);
        s.groups
            .insert("H".into(), GroupState::unknown("broker-a did not answer"));
        s
    }

    #[test]
    fn one_point_per_group_per_interval_and_unknown_stays_absent() {
        let (plan, mut s) = (plan(), Sampler::new(10_000));
        let first = s.sample(&plan, &snap(100_000));
        assert_eq!(first.len(), 2);
        assert_eq!((first[0].backlog, first[0].consumers), (Some(7), Some(0)));
        assert_eq!(first[1].group, "H");
        assert_eq!((first[1].backlog, first[1].consumers), (None, None));
        assert!(s.sample(&plan, &snap(105_000)).is_empty());
        assert_eq!(s.sample(&plan, &snap(110_000)).len(), 2);
        // An unreachable cluster: every value absent.
        let down = Snapshot::unreachable(Side::Source, "old", "rehearsal", 125_000, "refused");
        let pts = s.sample(&plan, &down);
        assert!(
            pts.iter()
                .all(|p| p.backlog.is_none() && p.consumers.is_none())
        );
        // A restarted process goes on at the recorded pace.
        let mut again = Sampler::new(10_000);
        pts.iter().for_each(|p| again.recorded(p));
        assert!(again.sample(&plan, &snap(130_000)).is_empty());
        assert_eq!(again.sample(&plan, &snap(135_000)).len(), 2);
    }

    fn point(at: Millis, side: Side, group: &str) -> Point {
        Point {
            at,
            side,
            group: group.into(),
            backlog: Some(at),
            consumers: None,
        }
    }

    #[test]
    fn thinning_halves_the_older_half_of_a_series_over_the_limit_only() {
        let mut pts: Vec<Point> = (0..10).map(|i| point(i, Side::Source, "G")).collect();
        pts.extend((0..4).map(|i| point(i, Side::Target, "G")));
        let out = thin(pts, 8);
        let source: Vec<Millis> = (out.iter())
            .filter(|p| p.side == Side::Source)
            .map(|p| p.at)
            .collect();
        // Older half 0..5: 1 and 3 go; the newer half stays whole.
        assert_eq!(source, [0, 2, 4, 5, 6, 7, 8, 9]);
        assert_eq!(out.iter().filter(|p| p.side == Side::Target).count(), 4);
        // Under the limit nothing changes.
        let again = thin(out.clone(), 8);
        assert_eq!(again, out);
    }

    #[test]
    fn thinning_keeps_a_long_series_bounded() {
        let mut pts = vec![];
        for at in 0..20_000 {
            pts.push(point(at, Side::Source, "G"));
            if pts.len() > 100 {
                pts = thin(pts, 100);
            }
        }
        assert!(pts.len() <= 100);
        assert_eq!(pts.first().map(|p| p.at), Some(0), "the first point stays");
        assert_eq!(pts.last().map(|p| p.at), Some(19_999));
        // Recent points keep full resolution.
        let tail: Vec<Millis> = pts[pts.len() - 10..].iter().map(|p| p.at).collect();
        assert_eq!(tail, (19_990..20_000).collect::<Vec<_>>());
    }
}
