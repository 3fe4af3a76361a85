//! Reading and appending the series file. Only the process that holds the plan's lock (the one
//! driving it) appends; readers never lock.

use super::Point;
use super::sample::{MAX_POINTS_PER_GROUP, SAMPLE_EVERY_MS, Sampler, Thinning};
use crate::model::Snapshot;
use crate::plan::{Plan, Side};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct SeriesError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for SeriesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "backlog series {}: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for SeriesError {}

/// Hands each point of the file to `f`, in order, a line at a time (the file is not held in
/// memory); returns how many lines could not be read, or `None` when there is no file.
pub fn each_point(path: &Path, mut f: impl FnMut(Point)) -> Result<Option<usize>, SeriesError> {
    let io = |error| SeriesError {
        path: path.to_path_buf(),
        error,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut lines = BufReader::new(file);
    let (mut line, mut skipped) = (Vec::new(), 0);
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).map_err(io)? == 0 {
            return Ok(Some(skipped));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Point>(&line) {
            Ok(p) => f(p),
            Err(_) => skipped += 1,
        }
    }
}

/// Appends the sampled points of each snapshot the driving process observes.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: File,
    sampler: Sampler,
    counts: BTreeMap<(Side, String), usize>,
    max: usize,
}

impl Recorder {
    /// Opens (or creates) the file and takes in what it holds, so that the pace and the bound
    /// go on across processes.
    pub fn open(path: &Path) -> Result<Recorder, SeriesError> {
        Recorder::with_limits(path, SAMPLE_EVERY_MS, MAX_POINTS_PER_GROUP)
    }

    fn with_limits(path: &Path, every: u64, max: usize) -> Result<Recorder, SeriesError> {
        let io = |error| SeriesError {
            path: path.to_path_buf(),
            error,
        };
        let mut r = Recorder {
            path: path.to_path_buf(),
            file: OpenOptions::new()
                .append(true)
                .create(true)
                .read(true)
                .open(path)
                .map_err(io)?,
            sampler: Sampler::new(every),
            counts: BTreeMap::new(),
            max,
        };
        each_point(path, |p| r.take_in(&p))?;
        // A last line cut short by a crash is ended, so the next point starts a line of its own.
        let len = r.file.metadata().map_err(io)?.len();
        if len > 0 {
            let mut last = [0u8];
            r.file.seek(SeekFrom::Start(len - 1)).map_err(io)?;
            r.file.read_exact(&mut last).map_err(io)?;
            if last != *b"\n" {
                r.file.write_all(b"\n").map_err(io)?;
            }
        }
        Ok(r)
    }

    /// Takes in a point the file holds: the pace and the bound go on from it.
    fn take_in(&mut self, p: &Point) {
        self.sampler.recorded(p);
        *self.counts.entry((p.side, p.group.clone())).or_default() += 1;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records what the sampler keeps of this snapshot; returns how many points were added.
    pub fn observe(&mut self, plan: &Plan, snap: &Snapshot) -> Result<usize, SeriesError> {
        let points = self.sampler.sample(plan, snap);
        if points.is_empty() {
            return Ok(0);
        }
        let mut text = String::new();
        for p in &points {
            // A point is plain numbers and names: it always encodes.
            if let Ok(line) = serde_json::to_string(p) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        self.file
            .write_all(text.as_bytes())
            .map_err(|error| SeriesError {
                path: self.path.clone(),
                error,
            })?;
        let mut over = false;
        for p in &points {
            let n = self.counts.entry((p.side, p.group.clone())).or_default();
            *n += 1;
            over |= *n > self.max;
        }
        if over {
            self.compact()?;
        }
        Ok(points.len())
    }

    /// Rewrites the file thinned (see [`Thinning`]) a point at a time: written beside it, then
    /// renamed over it, so a crash leaves either the old file or the new one.
    fn compact(&mut self) -> Result<(), SeriesError> {
        let io = |error| SeriesError {
            path: self.path.clone(),
            error,
        };
        let mut counts = BTreeMap::new();
        each_point(&self.path, |p| {
            *counts.entry((p.side, p.group)).or_default() += 1
        })?;
        let mut thinning = Thinning::new(&counts, self.max);
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut out = std::io::BufWriter::new(File::create(&tmp).map_err(io)?);
        let (mut written, mut failed) = (BTreeMap::new(), None);
        each_point(&self.path, |p| {
            if failed.is_some() || !thinning.keeps(&p) {
                return;
            }
            // A point is plain numbers and names: it always encodes.
            let line = serde_json::to_vec(&p).unwrap_or_default();
            match out.write_all(&line).and_then(|()| out.write_all(b"\n")) {
                Ok(()) => *written.entry((p.side, p.group)).or_default() += 1,
                Err(e) => failed = Some(e),
            }
        })?;
        if let Some(e) = failed {
            return Err(io(e));
        }
        out.into_inner().map_err(|e| io(e.into_error()))?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        self.file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(io)?;
        self.counts = written;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the file holds: its points in order, and how many lines were skipped.
    #[derive(Debug, PartialEq)]
    struct Series {
        points: Vec<Point>,
        skipped: usize,
    }

    fn read(path: &Path) -> Result<Option<Series>, SeriesError> {
        let mut points = vec![];
        let skipped = each_point(path, |p| points.push(p))?;
        Ok(skipped.map(|skipped| Series { points, skipped }))
    }

    #[test]
    fn a_missing_file_is_no_series_and_damaged_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.series.jsonl");
        assert_eq!(read(&p).unwrap(), None);
        std::fs::write(
            &p,
            "{\"at\":1,\"side\":\"source\",\"group\":\"G\",\"backlog\":3}\ngarbage\n{\"at\":2,\"side\":\"target\",\"group\":\"G\"}\n{\"at\":3,\"si",
        )
        .unwrap();
        let s = read(&p).unwrap().unwrap();
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.skipped, 2);
        assert_eq!(s.points[0].backlog, Some(3));
        assert_eq!((s.points[1].backlog, s.points[1].consumers), (None, None));
        // Opening ends the torn line: the next point reads again.
        let r = Recorder::open(&p).unwrap();
        assert!(std::fs::read_to_string(r.path()).unwrap().ends_with('\n'));
    }

    #[test]
    fn the_file_stays_bounded_across_processes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.series.jsonl");
        let plan = Plan::parse(
            Path::new("p.toml"),
            "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n[[batch]]\nname = \"b\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\"]\n",
        )
        .unwrap();
        let snap = |at| crate::model::Snapshot::unreachable(Side::Target, "new", "x", at, "down");
        for round in 0..3u64 {
            let mut r = Recorder::with_limits(&p, 10, 20).unwrap();
            for i in 0..30u64 {
                // Twice per interval: every other observation is sampled.
                r.observe(&plan, &snap(round * 1_000 + i * 5)).unwrap();
            }
        }
        let s = read(&p).unwrap().unwrap();
        assert!(s.points.len() <= 20, "{}", s.points.len());
        assert_eq!(s.skipped, 0);
        assert!(s.points.windows(2).all(|w| w[0].at < w[1].at));
        assert_eq!(s.points.last().map(|p| p.at), Some(2_000 + 29 * 5 - 5));
    }
}
