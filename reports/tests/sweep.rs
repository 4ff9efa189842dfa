//! render_sweep: every chart in SVG and PNG plus index.html, byte-identical across renders,
//! self-contained HTML, and sensible output for degenerate sweeps.

mod common;

use common::{assert_same_dirs, png_size, read_dir, sweep};
use zabsim_reports::render_sweep;
use zabsim_reports::schema::SweepResults;

const CHARTS: [&str; 7] = [
    "election-cdf",
    "election-vs-delay",
    "election-vs-finalize-wait",
    "messages-vs-size",
    "unavailability-by-fault",
    "commit-latency-timeline",
    "client-timeline",
];

#[test]
fn writes_every_chart_twice_and_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let files = render_sweep(&sweep(4), dir.path()).unwrap();
    let mut expected: Vec<String> = CHARTS.iter().flat_map(|c| [format!("{c}.svg"), format!("{c}.png")]).collect();
    expected.push("index.html".into());
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, expected);
    for f in &files {
        assert!(f.starts_with(dir.path()), "{} is inside the output directory", f.display());
    }
    let out = read_dir(dir.path());
    for c in CHARTS {
        let svg = String::from_utf8(out[&format!("{c}.svg")].clone()).unwrap();
        assert!(svg.starts_with("<svg"), "{c}.svg is an SVG");
        assert!(svg.contains("DejaVu Sans"), "{c}.svg names the bundled font");
        let (w, h) = png_size(&out[&format!("{c}.png")]);
        assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")), "{c}: same size");
        assert!(w >= 1000 && h >= 400, "{c} is {w}x{h}");
    }
}

#[test]
fn same_input_gives_byte_identical_files() {
    let results = sweep(4);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render_sweep(&results, a.path()).unwrap();
    render_sweep(&results, b.path()).unwrap();
    assert_same_dirs(a.path(), b.path());
    // And through a JSON round trip, as `zabsim report` would read it.
    let json = serde_json::to_string(&results).unwrap();
    let again = zabsim_reports::parse_sweep(&json).unwrap();
    let c = tempfile::tempdir().unwrap();
    render_sweep(&again, c.path()).unwrap();
    assert_same_dirs(a.path(), c.path());
}

#[test]
fn the_page_is_self_contained_and_reproducible() {
    let results = sweep(4);
    let dir = tempfile::tempdir().unwrap();
    render_sweep(&results, dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for banned in ["<script", "http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(banned), "index.html contains {banned}");
    }
    assert!(html.contains("zabsim sweep report: fixture"));
    for c in CHARTS {
        assert!(html.contains(&format!("<img src=\"{c}.svg\"")), "embeds {c}");
    }
    // The command and the grid under every chart.
    let cmd = "<code>zabsim sweep scenarios/sweeps/fixture.json --out results.json</code> (grid <code>fixture</code>)";
    assert_eq!(html.matches(cmd).count(), CHARTS.len() + 1, "under every chart and at the top");
    // Summary: 4 fault kinds x 3 sizes.
    assert_eq!(html.matches("<tr><td>").count(), 12);
    // The 7-server partition run with seed 3 never recovered, at three delays x three waits.
    assert!(
        html.contains("<td>leader_partition</td><td class=\"n\">7</td><td class=\"n\">36</td><td class=\"n\">27</td>")
    );
    assert!(html.contains("<td class=\"n bad\">9</td>"));
}

#[test]
fn html_escapes_names() {
    let mut results = sweep(1);
    results.grid_name = "<b>grid</b> & co".into();
    results.command = "zabsim sweep \"a b.json\"".into();
    let dir = tempfile::tempdir().unwrap();
    render_sweep(&results, dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(!html.contains("<b>grid</b>"));
    assert!(html.contains("&lt;b&gt;grid&lt;/b&gt; &amp; co"));
    assert!(html.contains("zabsim sweep &quot;a b.json&quot;"));
}

#[test]
fn degenerate_sweeps_still_render() {
    // Cold starts only, one size, one delay: placeholders where there is nothing to compare.
    let mut cold = sweep(2);
    cold.runs.retain(|r| r.fault == "none" && r.nodes == 3 && r.delay_us == 1_000 && r.finalize_wait_ms == 200);
    assert_eq!(cold.runs.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(render_sweep(&cold, dir.path()).unwrap().len(), 15);

    // A single run that never elected and kept no timeline.
    let mut one = sweep(1);
    one.runs.retain(|r| r.fault == "follower_crash" && r.nodes == 5 && r.delay_us == 100 && r.finalize_wait_ms == 50);
    one.runs[0].commit_timeline.clear();
    one.runs[0].fault_windows.clear();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(render_sweep(&one, dir.path()).unwrap().len(), 15);

    // Every measurement missing.
    let bare = SweepResults {
        schema: zabsim_reports::schema::SWEEP_SCHEMA,
        command: "c".into(),
        grid_name: "g".into(),
        seeds: 1,
        runs: vec![zabsim_reports::schema::RunMetrics { nodes: 3, fault: "leader_crash".into(), ..Default::default() }],
    };
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(render_sweep(&bare, dir.path()).unwrap().len(), 15);
}

#[test]
fn creates_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/report");
    render_sweep(&sweep(1), &nested).unwrap();
    assert!(nested.join("index.html").is_file());
}
