//! `zabsim conform --recorded FILE --out DIR`: the comparison drawn as the reports crate's
//! conformance page, the chart byte-identical whatever the output folder.

use std::path::Path;
use std::process::Command;

const RECORDING: &str = r#"{"case": {"nodes": 3, "action": "kill_leader"}, "zookeeper": "3.8.0-test",
  "environment": "test", "trials": [
  {"leader_before": 3, "leader_after": 2, "servers": [
    {"sid": 1, "looking_ms": 63, "decided_ms": 498, "broadcast_ms": 719, "sync": "DIFF"},
    {"sid": 2, "looking_ms": 40, "decided_ms": 499, "broadcast_ms": 714}]},
  {"leader_before": 2, "leader_after": 3, "servers": [
    {"sid": 1, "looking_ms": 55, "decided_ms": 470, "broadcast_ms": 690, "sync": "DIFF"},
    {"sid": 3, "looking_ms": 48, "decided_ms": 468, "broadcast_ms": 688}]}]}"#;

fn zabsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zabsim")).args(args).env("RUST_BACKTRACE", "0").output().expect("zabsim runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn a_recorded_comparison_is_drawn_as_a_page_and_a_cdf() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rec = dir.path().join("rec.json");
    std::fs::write(&rec, RECORDING).expect("recording written");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = zabsim(&["conform", "--recorded", s(&rec), "--seeds", "20", "--out", s(out)]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains(&format!("report: {}", out.join("index.html").display())), "{stdout}");
    }
    for f in ["conform-recovery-cdf.svg", "conform-recovery-cdf.png"] {
        let one = std::fs::read(a.join(f)).expect("chart written");
        assert!(one == std::fs::read(b.join(f)).expect("chart written"), "{f} differs between runs");
    }
    let html = std::fs::read_to_string(a.join("index.html")).expect("page written");
    assert!(html.contains("<h2 id=\"kill-leader-3\">kill-leader-3</h2>"));
    assert!(html.contains("ZooKeeper (3.8.0-test)"));
    assert!(html.contains("recovery, sim free (20 seeds)"));
    // A row per real trial, with its syncs.
    assert_eq!(html.matches("<tr><td class=\"n\">").count(), 2);
    assert!(html.contains("<td>s1:DIFF</td>"));
}
