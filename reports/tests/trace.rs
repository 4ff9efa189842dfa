//! render_trace: role timeline and message diagram of a real trace, deterministic output,
//! the arrow cap and the window, and the integrity check against the closing line.

mod common;

use common::{assert_same_dirs, png_size, read_dir, synthetic_trace, REAL_TRACE};
use zabsim_reports::{render_trace, render_trace_with, TraceOptions};

fn page(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("index.html")).unwrap()
}

fn svg(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// The message diagram's first subtitle line, for assertion messages.
fn showing(svg: &str) -> &str {
    svg.find("Showing").map_or("(no subtitle)", |i| &svg[i..svg[i..].find('<').map_or(svg.len(), |j| i + j)])
}

#[test]
fn renders_a_real_trace() {
    let dir = tempfile::tempdir().unwrap();
    let files = render_trace(REAL_TRACE, dir.path()).unwrap();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["trace-roles.svg", "trace-roles.png", "trace-messages.svg", "trace-messages.png", "index.html"]);
    let out = read_dir(dir.path());
    assert_eq!(png_size(&out["trace-roles.png"]).0, 1400);
    let html = page(dir.path());
    assert!(html.contains("zabsim trace: seed 2, 3 servers"));
    assert!(html.contains("verified: line count and hash <code>9086075c1a3f987d</code> match"), "{html}");
    assert!(html.contains("<img src=\"trace-roles.svg\"") && html.contains("<img src=\"trace-messages.svg\""));
    assert!(!html.contains("<script") && !html.contains("http"));
    // Every fault in the table, both leaders.
    assert_eq!(html.matches("<td>crash s").count(), 3);
    assert!(html.contains("<td>pause s3 for 1996 ms</td>") && html.contains("<td>heal all</td>"));
    assert!(html.contains("established e1 by") && html.contains("established e2 by"));
    let roles = svg(dir.path(), "trace-roles.svg");
    assert!(roles.contains("LEADING BROADCAST · e1 · 0:0→1:4"), "labelled with epoch and zxids");
    assert!(roles.contains("down (crashed)") && roles.contains("paused"));
    let messages = svg(dir.path(), "trace-messages.svg");
    assert!(messages.contains("Showing all 253 delivered messages"), "all arrows fit under the default cap");
}

#[test]
fn same_trace_gives_byte_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render_trace(REAL_TRACE, a.path()).unwrap();
    render_trace(REAL_TRACE, b.path()).unwrap();
    assert_same_dirs(a.path(), b.path());
}

#[test]
fn caps_arrows_and_says_so() {
    // The cap thins routine traffic over the whole trace, keeping election and sync messages.
    let dir = tempfile::tempdir().unwrap();
    let opts = TraceOptions { max_arrows: 120, window_us: None };
    render_trace_with(REAL_TRACE, dir.path(), &opts).unwrap();
    let messages = svg(dir.path(), "trace-messages.svg");
    assert!(
        messages.contains("of 253 delivered messages (arrow cap 120): all "),
        "the cap is on the chart: {}",
        showing(&messages)
    );
    assert!(messages.contains("election, sync and delayed"));
    assert!(messages.contains("of the broadcast and PING ones"));
    assert!(messages.contains("sent in 0–15,752.5 ms"), "over the whole trace");
    assert!(page(dir.path()).contains("arrow cap 120"), "and on the page");
    assert!(!svg(dir.path(), "trace-roles.svg").contains("the window of the message diagram"));

    // A cap below the key messages: the window ends where the cap cuts, and the role chart
    // shades it.
    let dir = tempfile::tempdir().unwrap();
    let opts = TraceOptions { max_arrows: 5, window_us: None };
    render_trace_with(REAL_TRACE, dir.path(), &opts).unwrap();
    let messages = svg(dir.path(), "trace-messages.svg");
    assert!(messages.contains("Showing the first 5 election, sync and delayed messages of 253 delivered"));
    assert!(svg(dir.path(), "trace-roles.svg").contains("the window of the message diagram"));
}

#[test]
fn a_time_window() {
    let dir = tempfile::tempdir().unwrap();
    let opts = TraceOptions { max_arrows: 600, window_us: Some((5_000_000, 7_000_000)) };
    render_trace_with(REAL_TRACE, dir.path(), &opts).unwrap();
    let messages = svg(dir.path(), "trace-messages.svg");
    assert!(messages.contains("sent in 5,000–7,000 ms"), "the window is named");
}

#[test]
fn thousands_of_events_stay_readable() {
    let trace = synthetic_trace(5, 900);
    assert!(trace.lines().count() > 10_000);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render_trace(&trace, a.path()).unwrap();
    render_trace(&trace, b.path()).unwrap();
    assert_same_dirs(a.path(), b.path());
    let messages = svg(a.path(), "trace-messages.svg");
    assert!(messages.contains("(arrow cap 600)"), "capped at the default 600 arrows");
    assert!(messages.contains("and every "), "routine traffic thinned");
    assert!(messages.len() < 1_500_000, "the SVG stays small: {} bytes", messages.len());
    // The synthetic trace's closing line has no valid hash: the page says so.
    assert!(page(a.path()).contains("does not match its closing line"));
}

#[test]
fn a_truncated_trace_renders_and_is_flagged() {
    let cut: String = REAL_TRACE.lines().take(200).map(|l| format!("{l}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    render_trace(&cut, dir.path()).unwrap();
    assert!(page(dir.path()).contains("no closing line"));
}

#[test]
fn an_edited_trace_is_flagged() {
    let edited = REAL_TRACE.replacen("\"t_us\":2723000", "\"t_us\":2723001", 1);
    assert_ne!(edited, REAL_TRACE);
    let dir = tempfile::tempdir().unwrap();
    render_trace(&edited, dir.path()).unwrap();
    assert!(page(dir.path()).contains("the content hashes to"));
}

#[test]
fn odd_clusters_render() {
    // One server, no messages.
    let one = concat!(
        r#"{"kind":"zabsim-trace","schema":2,"version":"0.1.0","seed":5,"scenario_hash":"h","nodes":1,"variants":[]}"#,
        "\n",
        r#"{"i":1,"t_us":0,"node":1,"input":{"type":"start","text":"start"},"role":{"state":"looking","phase":"election","round":1,"text":"LOOKING r1"},"epoch":0,"last_zxid":{"epoch":0,"counter":0}}"#,
        "\n",
        r#"{"i":2,"t_us":200000,"node":1,"input":{"type":"timer","kind":"finalize_wait","text":"timer FinalizeWait"},"role":{"state":"leading","phase":"broadcast","leader":1,"round":1,"text":"LEADING BROADCAST"},"epoch":1,"last_zxid":{"epoch":1,"counter":0}}"#,
        "\n"
    );
    let dir = tempfile::tempdir().unwrap();
    render_trace(one, dir.path()).unwrap();
    assert!(svg(dir.path(), "trace-messages.svg").contains("Showing all 0 delivered messages"));

    // A header only.
    let dir = tempfile::tempdir().unwrap();
    render_trace(one.lines().next().unwrap(), dir.path()).unwrap();

    // Many servers: rows shrink, the picture stays a sensible size.
    let many = synthetic_trace(60, 30);
    let dir = tempfile::tempdir().unwrap();
    render_trace(&many, dir.path()).unwrap();
    let (_, h) = png_size(&std::fs::read(dir.path().join("trace-messages.png")).unwrap());
    assert!(h < 1_500, "60 servers in {h} px");
}
