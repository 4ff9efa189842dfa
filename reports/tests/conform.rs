//! render_conform: the recovery-time CDF in SVG and PNG plus index.html, byte-identical across
//! renders, and bad input named by its field.

mod common;

use common::{assert_same_dirs, png_size, read_dir};
use zabsim_reports::conform::{ConformCase, ConformReport, ConformRow, ConformSpread, ConformSummary};
use zabsim_reports::render_conform;

fn spread(values: &[f64]) -> ConformSpread {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    ConformSpread { n: v.len(), median_ms: v[v.len() / 2], min_ms: v[0], max_ms: v[v.len() - 1] }
}

/// Two cases: a kill of the leader of 3 servers (four real trials, one that never recovered)
/// and a cold start of 5.
fn report() -> ConformReport {
    let kill_real = vec![719.0, 650.5, 802.0];
    let kill_sim: Vec<f64> = (0..40).map(|k| 600.0 + f64::from(k * 37 % 300)).collect();
    let rows = (0..4)
        .map(|trial| ConformRow {
            trial,
            real_leader: Some(2),
            sim_leader: Some(if trial == 1 { 1 } else { 2 }),
            real_ms: kill_real.get(trial).copied(),
            sim_ms: Some(640.0 + trial as f64 * 10.0),
            real_decision_ms: vec![435.0, 459.0],
            real_syncs: vec!["s1:DIFF".into()],
        })
        .collect();
    let kill = ConformCase {
        name: "kill-leader-3".into(),
        measured: "from the SIGKILL of the leader until every survivor is in broadcast".into(),
        real_label: "ZooKeeper 3.8.0 (Debian)".into(),
        sim_label: "zabsim <free>".into(),
        real_runs: 4,
        sim_runs: 40,
        summary: ConformSummary {
            same_leader: 3,
            same_leader_pct: 75.0,
            real_recovery: spread(&kill_real),
            sim_recovery: spread(&kill_sim),
            ratio: 1.02,
            ..ConformSummary::default()
        },
        real_ms: kill_real,
        sim_ms: kill_sim,
        rows,
    };
    let cold_sim: Vec<f64> = (0..25).map(|k| 300.0 + f64::from(k * 13 % 120)).collect();
    let cold = ConformCase {
        name: "cold-start-5".into(),
        measured: "from the first server's start until all are in broadcast".into(),
        real_label: "ZooKeeper 3.8.0 (Debian)".into(),
        sim_label: "zabsim".into(),
        real_runs: 2,
        real_ms: vec![350.0, 410.0],
        sim_runs: 25,
        sim_ms: cold_sim,
        rows: Vec::new(),
        summary: ConformSummary::default(),
    };
    ConformReport { command: "zabsim conform --recorded rec.json --out report".into(), cases: vec![kill, cold] }
}

#[test]
fn writes_the_cdf_twice_and_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let files = render_conform(&report(), dir.path()).unwrap();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["conform-recovery-cdf.svg", "conform-recovery-cdf.png", "index.html"]);
    let out = read_dir(dir.path());
    let svg = String::from_utf8(out["conform-recovery-cdf.svg"].clone()).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("DejaVu Sans"));
    let (w, h) = png_size(&out["conform-recovery-cdf.png"]);
    assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")));
    assert!(svg.contains("3 of 4 recovered"), "the real line says one trial never recovered");
    let html = String::from_utf8(out["index.html"].clone()).unwrap();
    for banned in ["<script", "http://", "https://", "<link"] {
        assert!(!html.contains(banned), "index.html contains {banned}");
    }
    assert!(html.contains("<img src=\"conform-recovery-cdf.svg\""));
    assert!(html.contains("zabsim &lt;free&gt;"), "labels are escaped");
    // Four trials of the kill case; trial 1's replay chose another leader.
    assert_eq!(html.matches("<td class=\"n bad\">no</td>").count(), 1);
    assert_eq!(html.matches("<td class=\"n\">yes</td>").count(), 3);
    assert!(html.contains("<td class=\"n\">3</td><td>s2</td><td>s2</td><td class=\"n\">yes</td><td class=\"n\">–</td>"));
    assert!(html.contains("3 of 4 (75%)"));
    assert!(html.contains("from the SIGKILL of the leader until every survivor is in broadcast"));
}

#[test]
fn same_input_gives_byte_identical_files() {
    let r = report();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render_conform(&r, a.path()).unwrap();
    render_conform(&r, b.path()).unwrap();
    assert_same_dirs(a.path(), b.path());
    // Through a JSON round trip too.
    let again: ConformReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    let c = tempfile::tempdir().unwrap();
    render_conform(&again, c.path()).unwrap();
    assert_same_dirs(a.path(), c.path());
}

#[test]
fn bad_input_names_the_field() {
    let check = |r: ConformReport, fragments: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let msg = render_conform(&r, dir.path()).expect_err("bad input is an error").to_string();
        for f in fragments {
            assert!(msg.contains(f), "error {msg:?} should mention {f:?}");
        }
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written for bad input");
    };
    check(ConformReport { command: "c".into(), cases: Vec::new() }, &["cases", "no cases"]);
    let mut r = report();
    r.cases[1].sim_ms.clear();
    check(r, &["cases[1].sim_ms", "no recovery times"]);
    let mut r = report();
    r.cases[0].real_ms.clear();
    check(r, &["cases[0].real_ms", "no recovery times"]);
    let mut r = report();
    r.cases[0].sim_ms[7] = f64::NAN;
    check(r, &["cases[0].sim_ms[7]", "NaN"]);
    let mut r = report();
    r.cases[1].real_runs = 1;
    check(r, &["cases[1].real_runs", "fewer than the 2 values"]);
    let mut r = report();
    r.cases[0].name = " ".into();
    check(r, &["cases[0].name", "empty"]);
    let mut r = report();
    r.cases[0].rows[2].sim_ms = Some(-1.0);
    check(r, &["cases[0].rows[2].sim_ms", "-1"]);
}
