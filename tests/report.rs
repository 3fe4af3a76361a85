//! The report end to end: a whole rehearsal migration driven headless by real processes (as in
//! tests/cli.rs), then its summary read back from the journal, its Markdown, and its HTML page
//! opened in a real headless browser (Debian's chromium, which scripts/test.sh installs).

use rocketmq_migrate::journal::Entry;
use rocketmq_migrate::plan::Plan;
use rocketmq_migrate::report::summarize;
use rocketmq_migrate::report::summary::{Attestation, Drained, Operator};
use rocketmq_migrate::series;
use rocketmq_migrate::stage::{STAGES, Stage};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "support/headless.rs"]
mod headless;
use headless::{By, Rehearsal, text};

const ALICE: By = By {
    operator: Some("alice"),
    user: Some("root"),
};

/// Advances as alice until the gate opens (the rehearsal's apps take a moment to move).
fn advance_until(r: &Rehearsal, step: &str) {
    let o = r.advance_until(step, &[], Duration::from_secs(40));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{step} never opened: {}",
        text(&o)
    );
}

/// Drives the whole rehearsal: preflight by an operator named by `USER` only (bob), metadata
/// with nobody named, the rest by alice (`--operator`), refusals and an acknowledgement included.
fn migrate(r: &Rehearsal) {
    let by = |operator, user| By { operator, user };
    let o = r.run_as(by(None, Some("bob")), &["advance", "preflight", "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = r.run_as(by(None, None), &["advance", "metadata", "--yes"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "refused: nothing on the target yet"
    );
    r.ok(&["sync-metadata", "--yes"]);
    r.ok(&["advance", "metadata", "--yes"]);
    r.ok(&["advance", "orders", "--yes"]);
    // Producers at once: refused, no consumer on the target yet.
    assert_eq!(
        r.run(&["advance", "orders", "--yes"]).status.code(),
        Some(3)
    );
    for _ in 0..4 {
        advance_until(r, "orders");
    }
    // The ordered topic is refused until acknowledged.
    assert_eq!(r.run(&["advance", "stock", "--yes"]).status.code(), Some(3));
    r.ok(&[
        "advance",
        "stock",
        "--yes",
        "--ack",
        "ordered-topic:T_STOCK",
    ]);
    for _ in 0..4 {
        advance_until(r, "stock");
    }
    r.ok(&["advance", "finish", "--yes"]);
}

/// Chromium, or a failure that says how to get it: this test is never skipped.
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("chromium is not installed: run scripts/test.sh, which installs it (apt-get install -y chromium)")
        })
}

/// The page as a real browser parsed and rendered it.
fn rendered_dom(page: &Path, profile: &Path) -> String {
    let o = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args(["--headless", "--disable-gpu", "--no-sandbox"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "chromium failed: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The rendered figure of one batch's chart.
fn figure<'d>(dom: &'d str, batch: &str, measure: &str) -> &'d str {
    let key = format!("data-batch=\"{batch}\" data-measure=\"{measure}\"");
    let start = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no {measure} chart of {batch} in the DOM:\n{dom}"));
    let end = dom[start..]
        .find("</figure>")
        .map_or(dom.len(), |e| start + e);
    &dom[start..end]
}

#[test]
fn the_report_of_a_rehearsal_summarizes_it_and_its_page_renders_the_charts() {
    let r = Rehearsal::new().run_by(ALICE);
    migrate(&r);
    let records = r.journal().records;
    let plan = Plan::load(&r.plan).unwrap();

    // The summary, straight from the journal.
    let s = summarize(&plan, &records);
    assert_eq!(
        s.operator,
        Operator::Journaled(vec!["bob".into(), "alice".into()]),
        "USER names bob; --operator names alice; the command with neither names nobody"
    );
    assert_eq!(
        (s.source.name.as_str(), s.source.kind.as_str()),
        ("old", "rehearsal")
    );
    assert_eq!(
        (s.target.name.as_str(), s.target.kind.as_str()),
        ("new", "rehearsal")
    );
    let (start, end) = (records[0].at, records[records.len() - 1].at);
    assert_eq!((s.start, s.end), (Some(start), Some(end)));
    assert!(s.finished.is_some());
    for b in &s.batches {
        assert_eq!(b.stage, Stage::Done, "{}", b.name);
        let stages: Vec<Stage> = b.stages.iter().map(|t| t.stage).collect();
        assert_eq!(stages, STAGES, "{}: every stage once", b.name);
        // Each stage lasted from the record that entered it to the one that left it.
        let moves: Vec<u64> = (records.iter())
            .filter(
                |rec| matches!(&rec.entry, Entry::StageChanged { batch, .. } if *batch == b.name),
            )
            .map(|rec| rec.at)
            .collect();
        assert_eq!(moves.len(), 5, "{}", b.name);
        let bounds: Vec<u64> = [start].into_iter().chain(moves).chain([end]).collect();
        for (t, w) in b.stages.iter().zip(bounds.windows(2)) {
            assert_eq!(t.ms, w[1] - w[0], "{}: {}", b.name, t.stage);
            assert_eq!(t.visits, 1);
            assert_eq!(t.still, t.stage == Stage::Done, "{}: {}", b.name, t.stage);
        }
        assert_eq!(b.stages.iter().map(|t| t.ms).sum::<u64>(), end - start);
        // The drain gate's evidence shows each group's source backlog at 0.
        for g in &b.drained {
            assert!(
                matches!(g.drained, Drained::ToZero { .. }),
                "{}: {:?}",
                g.group,
                g.drained
            );
        }
    }
    let refused = (records.iter())
        .filter(|rec| matches!(rec.entry, Entry::Refused { .. }))
        .count();
    assert!(refused >= 3);
    assert_eq!(s.refusals.count, refused);
    let reasons = |step: &str, action: &str| {
        (s.refusals.per_step.iter())
            .find(|x| x.step == step && x.action == action)
            .unwrap_or_else(|| panic!("no refusal of {action} for {step}: {:?}", s.refusals))
            .reasons
            .clone()
    };
    assert!(
        reasons("metadata", "confirm metadata")
            .contains(&"[no] topic T_ORDER does not exist on target: create it with sync-metadata (s in the wizard)".into())
    );
    let producers = reasons("batch:orders", "release producers");
    assert!(
        producers
            .contains(&"[no] consumer group G_BILLING has no consumer online on target".into()),
        "the reason without its evidence's age: {producers:?}"
    );
    assert!(
        reasons("batch:stock", "release first consumers")[0]
            .contains("--ack ordered-topic:T_STOCK")
    );
    assert_eq!(s.acknowledgements.len(), 1);
    let ack = &s.acknowledgements[0];
    assert_eq!(
        (ack.step.as_str(), ack.warning.as_str()),
        ("batch:stock", "ordered-topic:T_STOCK")
    );
    assert_eq!(ack.said.by.as_deref(), Some("alice"));
    let ack_at = (records.iter())
        .find(|rec| matches!(rec.entry, Entry::Acknowledged { .. }))
        .map(|rec| rec.at);
    assert_eq!(Some(ack.said.at), ack_at);
    assert!(
        !s.attestations
            .iter()
            .any(|a| matches!(a, Attestation::BrokerRetired { .. }))
    );

    // The Markdown: the summary first, then the condensed timeline in words.
    let md = r.ok(&["report"]);
    let timeline = md.find("## Timeline").expect("a timeline");
    for part in [
        "| operator | bob, alice |",
        "| source | old (rehearsal): a rehearsal cluster, simulated in this process |",
        "| orders | DONE |",
        &format!("### Refusals: {refused}"),
        "- batch orders: release producers, refused",
        "### Acknowledgements: 1",
        "by alice, for batch stock: ordered-topic:T_STOCK",
        "| orders | G_BILLING |",
    ] {
        let at = md
            .find(part)
            .unwrap_or_else(|| panic!("no {part:?}:\n{md}"));
        assert!(at < timeline, "{part:?} is in the summary");
    }
    assert!(md.contains("opened by an unnamed operator"), "{md}");
    assert!(md.contains(" flipped "), "repeated flips are folded:\n{md}");
    assert!(md.contains("topic exists: yes on"), "{md}");
    assert!(!md.contains("= 0") && !md.contains("= 1"), "{md}");

    // The page, as a browser renders it: per batch a chart of backlog and one of consumers,
    // each with a line per group on both clusters.
    let mut points = vec![];
    let skipped = series::each_point(&series::series_path(&r.plan), |p| points.push(p)).unwrap();
    assert!(skipped.is_some(), "no series file beside the journal");
    assert!(points.len() >= 6, "{points:?}");
    let page = r.dir.path().join("report.html");
    r.ok(&["report", "--html", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    for external in ["http://", "https://", "src=", "<link", "<script", "url("] {
        assert!(
            !html.contains(external),
            "{external} in a self-contained page"
        );
    }
    let profile = tempfile::tempdir().unwrap();
    let dom = rendered_dom(&page, profile.path());
    assert!(
        dom.contains("<td>alice") || dom.contains("bob, alice"),
        "{dom}"
    );
    for (batch, groups) in [
        ("orders", &["G_BILLING", "G_NOTIFY"][..]),
        ("stock", &["G_STOCK"]),
    ] {
        for measure in ["backlog", "consumers online"] {
            let f = figure(&dom, batch, measure);
            assert!(f.contains("<svg"), "{batch} {measure}: {f}");
            assert!(f.contains("<polyline"), "{batch} {measure}: {f}");
            for g in groups {
                for side in ["source", "target"] {
                    assert!(
                        f.contains(&format!("{g} {side}")),
                        "{batch} {measure}: {g} {side}: {f}"
                    );
                }
            }
        }
    }
    assert!(dom.contains("Backlog and consumers over time"));
    assert!(dom.contains("<ol class=\"timeline\">"));

    // Without a series file the page says so instead of drawing.
    std::fs::remove_file(series::series_path(&r.plan)).unwrap();
    r.ok(&["report", "--html", page.to_str().unwrap()]);
    let dom = rendered_dom(&page, profile.path());
    assert!(dom.contains("no series recorded"), "{dom}");
    assert!(!dom.contains("<figure"), "{dom}");
}
