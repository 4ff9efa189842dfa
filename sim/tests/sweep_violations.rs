//! A sweep runs the checker in every run: a run that breaks a safety property is recorded in
//! the results with its invariant, detail and replay command, printed, listed first on the
//! report page, and makes `zabsim sweep` exit 1; the replay command runs that one run again.

use std::path::Path;
use std::process::Command;

fn zabsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zabsim")).args(args).env("RUST_BACKTRACE", "0").output().expect("zabsim runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn a_sweep_with_a_known_bug_records_prints_and_fails_on_its_violations() {
    let dir = tempfile::Builder::new().prefix("zabsim-sweep-violations-").tempdir().expect("temp dir");
    let grid = dir.path().join("grid.json");
    std::fs::write(
        &grid,
        r#"{ "nodes": [3], "faults": ["none", "follower_crash"], "seeds": 6, "variants": ["zk-4646"] }"#,
    )
    .expect("grid written");
    let results_path = dir.path().join("results.json");
    let o = zabsim(&["sweep", s(&grid), "--out", s(&results_path)]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "a violation fails the sweep: {stdout}");
    assert!(stdout.contains("SAFETY VIOLATIONS"), "{stdout}");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&results_path).expect("results written")).expect("json");
    let runs = results["runs"].as_array().expect("runs");
    let broken: Vec<&serde_json::Value> = runs.iter().filter(|r| !r["violation"].is_null()).collect();
    assert!(!broken.is_empty(), "zk-4646 breaks a follower crash sweep");
    assert!(runs.iter().any(|r| r["violation"].is_null()), "runs without a violation carry no violation field");
    let v = &broken[0]["violation"];
    assert_eq!(v["invariant"], "CommittedDurability");
    let detail = v["detail"].as_str().expect("detail");
    let replay = v["replay"].as_str().expect("replay");
    assert!(stdout.contains(detail) && stdout.contains(replay), "printed: {stdout}");
    assert!(replay.starts_with(&format!("zabsim sweep {} --run nodes=3,fault=", s(&grid))), "{replay}");

    // The replay command runs that one run again: the same violation, exit 1.
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let o = zabsim(&args);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("VIOLATION: {detail}")), "the same violation: {text}");
    assert!(text.contains(&format!("replay: {replay}")), "{text}");

    // The report page lists the broken runs before any chart.
    let report = dir.path().join("report");
    let o = zabsim(&["report", s(&results_path), "--out", s(&report)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(report.join("index.html")).expect("page written");
    let listed = html.find("Safety violations").expect("violations listed");
    assert!(listed < html.find("<h2>Charts").expect("charts"), "violations come first");
}

#[test]
fn a_bad_run_key_or_variant_is_a_usage_error() {
    let dir = tempfile::Builder::new().prefix("zabsim-sweep-violations-").tempdir().expect("temp dir");
    let grid = dir.path().join("grid.json");
    std::fs::write(&grid, r#"{ "nodes": [3], "faults": ["none"], "seeds": 1 }"#).expect("grid written");
    for (key, needle) in [
        ("nodes=3,fault=meteor", "unknown fault kind 'meteor'"),
        ("nodes=3,fault=none,delay_us=300,finalize_wait_ms=200,fsync_us=5000,tick_time_ms=2000", "seed: missing"),
        ("nodes=3,fault=none,delay_us=x,finalize_wait_ms=200,fsync_us=5000,tick_time_ms=2000,seed=1", "delay_us"),
        (
            "nodes=3,fault=none,delay_us=1,finalize_wait_ms=200,fsync_us=5000,tick_time_ms=2000,seed=1,colour=red",
            "colour",
        ),
    ] {
        let o = zabsim(&["sweep", s(&grid), "--run", key]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains("--run") && stderr.contains(needle), "{key}: {stderr}");
    }
    let bad = dir.path().join("bad-variant.json");
    std::fs::write(&bad, r#"{ "nodes": [3], "faults": ["none"], "seeds": 1, "variants": ["zk-1"] }"#).expect("written");
    let o = zabsim(&["sweep", s(&bad), "--out", s(&dir.path().join("r.json"))]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad-variant.json") && stderr.contains("variants[0]"), "{stderr}");
}
