//! `zabsim sweep` then `zabsim report`, as a user runs them: the results are deterministic,
//! the charts byte-identical, a trace can be drawn, and a bad grid is a usage error.

use std::path::Path;
use std::process::Command;

fn zabsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zabsim")).args(args).env("RUST_BACKTRACE", "0").output().expect("zabsim runs")
}

fn temp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("zabsim-sweep-test-{name}-")).tempdir().expect("temp dir")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn a_small_sweep_is_measured_and_drawn_identically_twice() {
    let dir = temp("small");
    let grid = dir.path().join("grid.json");
    std::fs::write(
        &grid,
        r#"{ "nodes": [3, 5], "faults": ["leader_crash", "follower_crash"], "delay_us": [200, 2000],
             "finalize_wait_ms": [100, 200], "seeds": 3, "clients": { "count": 3 } }"#,
    )
    .expect("grid written");
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for out in [&a, &b] {
        let o = zabsim(&["sweep", s(&grid), "--out", s(out)]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let results: serde_json::Value = serde_json::from_slice(&std::fs::read(&a).expect("a")).expect("json");
    let again: serde_json::Value = serde_json::from_slice(&std::fs::read(&b).expect("b")).expect("json");
    // Only the recorded command (it names the output file) may differ.
    assert!(results["runs"] == again["runs"], "sweeps are deterministic");
    let runs = results["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2 * 2 * 2 * 2 * 3);
    let crash = runs.iter().find(|r| r["fault"] == "leader_crash").expect("a leader crash run");
    let new_leader = crash["new_leader_us"].as_u64().expect("a new leader was established");
    assert!((50_000..5_000_000).contains(&new_leader), "a new leader took {new_leader} µs");
    // The first FLE decision comes before the new leader is established, which comes before
    // (or with) every healthy server in broadcast.
    let decided = crash["fle_decision_us"].as_u64().expect("a survivor decided");
    let all_broadcast = crash["all_broadcast_us"].as_u64().expect("all in broadcast");
    assert!(decided < new_leader && new_leader <= all_broadcast, "{decided} < {new_leader} <= {all_broadcast}");
    // The client-visible window comes from the clients' operations, and the first seed of
    // each point keeps them for the timeline.
    let waited = crash["client_unavailable_us"].as_u64().expect("the grid has clients");
    assert!(waited > 0 && waited < 14_000_000, "a client waited {waited} µs");
    let first = runs.iter().find(|r| r["fault"] == "leader_crash" && r["seed"] == 0).expect("seed 0");
    let ops = first["client_ops"].as_array().expect("seed 0 keeps its client operations");
    assert!(ops.iter().any(|o| o["kind"] == "connect") && ops.iter().any(|o| o["outcome"] == "ok"), "{first}");
    assert_eq!(first["clients"], 3);
    // A follower crash in a 3-server cluster keeps its leader: nobody decides anything.
    let follower = runs.iter().find(|r| r["fault"] == "follower_crash" && r["nodes"] == 3).expect("a run");
    assert!(follower["fle_decision_us"].is_null() && follower["new_leader_us"].is_null(), "{follower}");
    let (r1, r2) = (dir.path().join("r1"), dir.path().join("r2"));
    for out in [&r1, &r2] {
        let o = zabsim(&["report", s(&a), "--out", s(out)]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for chart in
        ["election-cdf.svg", "election-cdf.png", "unavailability-by-fault.png", "client-timeline.svg", "index.html"]
    {
        let one = std::fs::read(r1.join(chart)).expect("chart written");
        assert!(one == std::fs::read(r2.join(chart)).expect("chart written"), "{chart} differs between renders");
    }
}

#[test]
fn without_clients_the_client_visible_window_is_not_measured() {
    let dir = temp("noclients");
    let grid = dir.path().join("grid.json");
    std::fs::write(&grid, r#"{ "nodes": [3], "faults": ["leader_crash"], "writes_per_sec": 0, "seeds": 2 }"#)
        .expect("grid written");
    let out = dir.path().join("r.json");
    let o = zabsim(&["sweep", s(&grid), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let results: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    for run in results["runs"].as_array().expect("runs") {
        assert!(run["client_unavailable_us"].is_null(), "no clients, no client-visible window: {run}");
        assert!(run["new_leader_us"].is_u64() && run["fle_decision_us"].is_u64(), "{run}");
    }
    // `--clients` adds them to every run, and the replay command of a run carries the flags.
    let o = zabsim(&["sweep", s(&grid), "--out", s(&out), "--clients", "2", "--recipe", "lock"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let results: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    assert!(
        results["command"].as_str().expect("command").contains("--clients 2 --recipe lock"),
        "{}",
        results["command"]
    );
    for run in results["runs"].as_array().expect("runs") {
        assert!(run["client_unavailable_us"].is_u64() && run["recipe"] == "lock", "{run}");
    }
}

#[test]
fn a_run_trace_is_drawn_as_a_timeline_and_a_message_diagram() {
    let dir = temp("trace");
    let trace = dir.path().join("run.jsonl");
    let o = zabsim(&["run", "--nodes", "3", "--seed", "4", "--faults", "random", "--trace", s(&trace)]);
    assert_eq!(o.status.code(), Some(0));
    let out = dir.path().join("report");
    let o = zabsim(&["report", s(&trace), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["trace-roles.svg", "trace-roles.png", "trace-messages.svg", "index.html"] {
        assert!(out.join(f).exists(), "{f} written");
    }
}

#[test]
fn a_bad_grid_or_report_input_is_a_usage_error() {
    let dir = temp("bad");
    let cases = [
        ("unknown-fault.json", r#"{ "nodes": [3], "faults": ["meteor"], "seeds": 1 }"#, "faults[0]"),
        ("no-seeds.json", r#"{ "nodes": [3], "faults": ["none"], "seeds": 0 }"#, "seeds"),
        ("typo.json", r#"{ "nodes": [3], "faults": ["none"], "seeds": 1, "sedes": 2 }"#, "sedes"),
        (
            "bad-recipe.json",
            r#"{ "nodes": [3], "faults": ["none"], "seeds": 1, "clients": { "count": 2, "recipe": "barrier" } }"#,
            "clients.recipe",
        ),
        (
            "negative-clients.json",
            r#"{ "nodes": [3], "faults": ["none"], "seeds": 1, "clients": { "count": -2 } }"#,
            "clients.count",
        ),
    ];
    for (name, text, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("written");
        let o = zabsim(&["sweep", s(&path), "--out", s(&dir.path().join("out.json"))]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(name) && stderr.contains(needle), "{name}: {stderr}");
    }
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"runs\": 5}").expect("written");
    let o = zabsim(&["report", s(&junk), "--out", s(&dir.path().join("r"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}
