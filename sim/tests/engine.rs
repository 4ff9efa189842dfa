//! Claims about the engine itself, beside the protocol: stepping a run in pieces is the same
//! run as running it whole.

use zabsim_sim::scenario::random::{self, Profile};
use zabsim_sim::{Sim, TraceMode};

/// The report and trace hash of a run, as one comparable string.
fn fingerprint(report: &zabsim_sim::RunReport) -> String {
    serde_json::to_string(report).expect("reports serialize")
}

/// The library's leader crash, cut short: the run's nominal end falls inside the liveness
/// phase, so the run goes on past `duration_ms` until the ensemble converges.
fn crash_near_the_end() -> zabsim_sim::Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/leader-crash.json");
    let mut scenario = zabsim_sim::cli::load_scenario(&path).expect("library scenario loads");
    scenario.faults.truncate(1);
    scenario.duration_ms = scenario.faults[0].at_ms + 50;
    scenario
}

#[test]
fn run_until_then_run_is_the_same_run_as_run() {
    let profile = Profile { nodes_min: 3, nodes_max: 7, writes_per_sec: 50, ..Profile::default() };
    let scenarios =
        std::iter::once(crash_near_the_end()).chain((0..40u64).map(|seed| random::scenario(seed, &profile)));
    for (seed, scenario) in scenarios.enumerate() {
        let whole = Sim::new(scenario.clone(), TraceMode::Hash).run();
        // Stop at many points, including past the scenario's end (where the liveness phase may
        // still extend the run), and resume.
        let end_us = scenario.duration_ms * 1000;
        let mut pieces = Sim::new(scenario, TraceMode::Hash);
        for k in 1..=12u64 {
            let bound = end_us * k / 8;
            pieces.run_until(|s| s.now_us() >= bound);
        }
        let resumed = pieces.run();
        assert_eq!(fingerprint(&whole), fingerprint(&resumed), "scenario {seed}: stepping in pieces changed the run");
    }
}
