//! `zabsim run --nodes N --seed S --faults swarm`, the `found_by` line of every saved failure,
//! runs exactly the scenario the fuzz campaign ran for that seed, and that scenario passes the
//! validation every hand-written file passes: one set of rules for the generator and the files.

use std::process::Command;
use zabsim_sim::campaign::fuzz::{CampaignSpec, Failure};
use zabsim_sim::cli::scenario_of_run_command;
use zabsim_sim::scenario::random;
use zabsim_sim::scenario::validate::validate;
use zabsim_sim::{Invariant, Sim, TraceMode};

/// The `found_by` command of `seed` in a campaign of `spec`, and the scenario it ran.
fn found_by(spec: &CampaignSpec, seed: u64) -> (String, zabsim_sim::Scenario) {
    let scenario = random::scenario(seed, &spec.profile().expect("known variants"));
    let failure = Failure {
        seed,
        nodes: scenario.nodes,
        invariant: Invariant::Leadership,
        fingerprint: String::new(),
        detail: String::new(),
    };
    (failure.found_by(spec), scenario)
}

#[test]
fn the_found_by_command_builds_the_scenario_the_fuzzer_ran_for_every_seed() {
    let campaigns = [
        (vec![3, 5], vec![]),
        ((3..=7).collect(), vec![]),
        ((1..=9).collect(), vec![]),
        ((3..=7).collect(), vec!["zk-4646".to_string()]),
        (vec![3], vec!["zk-1419".to_string(), "zk-4646".to_string()]),
    ];
    let mut checked = 0;
    for (nodes, variants) in campaigns {
        let spec = CampaignSpec { nodes, variants, first_seed: 0, clients: Default::default() };
        for seed in 0..3_000 {
            let (command, fuzzed) = found_by(&spec, seed);
            if let Err(e) = validate(&fuzzed) {
                panic!("seed {seed} of {spec:?}: the generated schedule fails validation: {e}");
            }
            let run = scenario_of_run_command(&command).unwrap_or_else(|e| panic!("`{command}` is refused: {e}"));
            assert!(run == fuzzed, "`{command}` builds another scenario than the fuzzer ran");
            checked += 1;
        }
    }
    assert_eq!(checked, 15_000);
}

#[test]
fn the_random_profile_draws_only_valid_schedules_at_every_size() {
    for nodes in 1..=9 {
        for seed in 0..1_000 {
            let command = format!("zabsim run --nodes {nodes} --seed {seed} --faults random");
            if let Err(e) = scenario_of_run_command(&command) {
                panic!("`{command}` is refused: {e}");
            }
        }
    }
}

/// Seeds whose schedule pauses a server while it is crashed (the engine does nothing), and a
/// lone server (no link to cut): both used to be refused or to panic on the command line.
#[test]
fn the_command_line_runs_what_the_fuzzer_ran() {
    let spec = CampaignSpec { nodes: vec![3], variants: Vec::new(), first_seed: 0, clients: Default::default() };
    for (nodes, seed) in [(3u8, 0u64), (3, 1), (3, 22), (1, 0), (1, 3)] {
        let spec = CampaignSpec { nodes: vec![nodes], ..spec.clone() };
        let (command, fuzzed) = found_by(&spec, seed);
        let mut words: Vec<&str> = command.split_whitespace().skip(1).collect();
        words.push("--json");
        let out = Command::new(env!("CARGO_BIN_EXE_zabsim")).args(&words).output().expect("zabsim runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "`{command}`: exit {:?}: {stderr}", out.status.code());
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        let library = Sim::new(fuzzed, TraceMode::Hash).run();
        assert_eq!(report["trace_hash"], serde_json::json!(library.trace_hash), "`{command}`: same run");
        assert_eq!(report["replay"], command.as_str(), "the run prints the command that reproduces it");
    }
}
