//! The `zabsim` binary as a user meets it: bad arguments and malformed scenario files exit 2
//! with a message that says what was wrong (and never a panic), a run prints its replay
//! command, and `--json` output is JSON with the documented fields.

use std::process::{Command, Output};

fn zabsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zabsim"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the zabsim binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a usage error: exit code 2, a message on stderr containing every needle, no panic.
fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let out = zabsim(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "zabsim {args:?}: exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "zabsim {args:?} panicked: {err}");
    assert!(!err.trim().is_empty(), "zabsim {args:?}: says what was wrong");
    for needle in needles {
        assert!(err.contains(needle), "zabsim {args:?}: expected {needle:?} in: {err}");
    }
}

/// A scenario file in the temp dir, removed when dropped.
struct TempScenario(tempfile::NamedTempFile);

impl TempScenario {
    fn new(name: &str, text: &str) -> TempScenario {
        let mut file = tempfile::Builder::new()
            .prefix(&format!("zabsim-cli-test-{name}-"))
            .suffix(".json")
            .tempfile()
            .expect("temp file created");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("temp file written");
        TempScenario(file)
    }

    fn path(&self) -> &str {
        self.0.path().to_str().expect("utf-8 temp path")
    }

    fn file_name(&self) -> String {
        self.0.path().file_name().expect("file name").to_string_lossy().into_owned()
    }
}

#[test]
fn zero_servers_is_a_usage_error() {
    assert_usage_error(&["run", "--nodes", "0"], &["--nodes", "0"]);
}

#[test]
fn more_than_255_servers_is_a_usage_error() {
    assert_usage_error(&["run", "--nodes", "256"], &["--nodes", "256"]);
}

#[test]
fn a_seed_that_is_not_a_number_is_a_usage_error() {
    assert_usage_error(&["run", "--seed", "abc"], &["--seed", "abc"]);
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    assert_usage_error(&["run", "--no-such-flag"], &["--no-such-flag"]);
    assert_usage_error(&["--no-such-flag"], &["--no-such-flag"]);
}

#[test]
fn a_run_prints_the_command_that_replays_it() {
    let out = zabsim(&["run", "--nodes", "3", "--seed", "1"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "stdout: {text}\nstderr: {}", stderr(&out));
    assert!(text.contains("replay: zabsim run --nodes 3 --seed 1"), "{text}");
    assert!(text.contains("result: ok"), "{text}");
}

#[test]
fn a_json_run_report_has_seed_leader_counts_and_replay() {
    let out = zabsim(&["run", "--nodes", "3", "--seed", "1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(report["seed"], 1);
    assert_eq!(report["nodes"], 3);
    assert_eq!(report["first_leader"], 3, "three empty servers elect s3");
    assert!(report["messages"].as_u64().is_some_and(|m| m > 0), "{report}");
    assert!(report["max_round"].as_u64().is_some_and(|r| r >= 1), "{report}");
    assert_eq!(report["replay"], "zabsim run --nodes 3 --seed 1");
    assert!(report["violation"].is_null(), "{report}");
}

#[test]
fn json_bench_reports_event_and_election_rates() {
    let out = zabsim(&["bench", "--json", "--seconds", "0.05"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    for key in ["events_per_sec", "elections_per_sec_3", "elections_per_sec_5", "elections_per_sec_7"] {
        assert!(figures[key].as_f64().is_some_and(|v| v > 0.0), "{key} in {figures}");
    }
}

#[test]
fn a_scenario_with_an_unknown_field_names_the_file_and_the_field() {
    let file = TempScenario::new("unknown-field", r#"{ "nodes": 3, "colour": "blue" }"#);
    assert_usage_error(&["run", file.path()], &[&file.file_name(), "colour", "unknown field"]);
}

#[test]
fn a_scenario_of_zero_servers_names_the_file_and_the_field() {
    let file = TempScenario::new("zero-nodes", r#"{ "nodes": 0 }"#);
    assert_usage_error(&["run", file.path()], &[&file.file_name(), "nodes", "got 0"]);
}

#[test]
fn a_crash_of_a_server_outside_the_cluster_names_the_fault() {
    let file = TempScenario::new(
        "crash-server-9",
        r#"{ "nodes": 3, "faults": [ { "at_ms": 1000, "fault": "crash", "node": 9 } ] }"#,
    );
    assert_usage_error(&["run", file.path()], &[&file.file_name(), "faults[0].node", "got 9"]);
}

#[test]
fn a_restart_of_a_running_server_is_refused() {
    let file = TempScenario::new(
        "restart-running",
        r#"{ "nodes": 3, "faults": [ { "at_ms": 1000, "fault": "restart", "node": 2 } ] }"#,
    );
    assert_usage_error(&["run", file.path()], &[&file.file_name(), "faults[0].node", "expected a crashed server"]);
}

#[test]
fn a_well_formed_scenario_file_runs() {
    let file = TempScenario::new(
        "crash-and-restart",
        r#"{ "description": "s1 crashes and comes back", "nodes": 3, "seed": 5, "duration_ms": 6000,
             "faults": [ { "at_ms": 1000, "fault": "crash", "node": 1 },
                         { "at_ms": 2000, "fault": "restart", "node": 1 } ] }"#,
    );
    let out = zabsim(&["run", file.path(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["seed"], 5);
    assert_eq!(report["replay"], format!("zabsim run {}", file.path()));
}
