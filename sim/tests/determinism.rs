//! One seed, one run: traces are identical byte for byte across runs, thread counts and the
//! `run`/`replay` commands, and a divergence would be named by its first line.

use rayon::prelude::*;
use std::process::Command;
use zabsim_sim::campaign::determinism::{check, trace_of};
use zabsim_sim::scenario::random::{self, Profile};

#[test]
fn two_hundred_random_seeds_replay_identically() {
    let profile = Profile { nodes_min: 3, nodes_max: 7, writes_per_sec: 50, ..Profile::default() };
    let diverged: Vec<String> = (0..200u64)
        .into_par_iter()
        .filter_map(|seed| check(&random::scenario(seed, &profile)).err().map(|d| format!("seed {seed}: {d}")))
        .collect();
    assert!(diverged.is_empty(), "{}", diverged.join("\n"));
}

#[test]
fn traces_do_not_depend_on_the_thread_that_runs_them() {
    let profile = Profile::default();
    let serial: Vec<Vec<u8>> = (0..16u64).map(|s| trace_of(&random::scenario(s, &profile))).collect();
    let parallel: Vec<Vec<u8>> = (0..16u64).into_par_iter().map(|s| trace_of(&random::scenario(s, &profile))).collect();
    assert!(serial == parallel, "a trace changed with the thread that ran it");
}

#[test]
fn trace_starts_with_a_header_and_ends_with_the_running_hash() {
    let trace = trace_of(&random::scenario(3, &Profile::default()));
    let text = String::from_utf8(trace).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    let header: serde_json::Value = serde_json::from_str(lines[0]).expect("json header");
    assert_eq!(header["kind"], "zabsim-trace");
    assert_eq!(header["seed"], 3);
    assert!(header["schema"].is_u64() && header["version"].is_string() && header["scenario_hash"].is_string());
    let record: serde_json::Value = serde_json::from_str(lines[1]).expect("json record");
    assert!(record["t_us"].is_u64() && record["input"].is_object());
    assert!(record["input"]["type"].is_string() && record["input"]["text"].is_string());
    let end: serde_json::Value = serde_json::from_str(lines[lines.len() - 1]).expect("json end");
    assert_eq!(end["kind"], "end");
    assert!(end["hash"].as_str().is_some_and(|h| h.len() == 16));
}

#[test]
fn run_and_replay_write_the_same_trace_bytes() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/zk-4646-newleader-ack-before-flush.json");
    let dir = tempfile::Builder::new().prefix("zabsim-determinism-").tempdir().expect("temp dir");
    let mut traces = Vec::new();
    for (i, verb) in ["run", "run", "replay"].iter().enumerate() {
        let out = dir.path().join(format!("trace-{i}.jsonl"));
        let status = Command::new(env!("CARGO_BIN_EXE_zabsim"))
            .args([verb, scenario.to_str().expect("utf-8"), "--trace", out.to_str().expect("utf-8")])
            .output()
            .expect("zabsim runs")
            .status;
        assert_eq!(status.code(), Some(0), "{verb}: the scenario's expectation holds");
        traces.push(std::fs::read(&out).expect("trace written"));
    }
    assert!(traces[0].len() > 1000);
    assert!(traces[0] == traces[1] && traces[1] == traces[2], "run, run and replay wrote different traces");
}
