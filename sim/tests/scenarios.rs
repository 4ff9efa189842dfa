//! Every scenario in scenarios/ runs and shows what it says it shows. A scenario written for a
//! known-bug variant must also pass, on the same schedule, with the variant off: the bug is
//! the variant's, not the schedule's.

use std::path::PathBuf;
use zabsim_protocol::Variants;
use zabsim_sim::cli::load_scenario;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_scenario_meets_its_expectations() {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios found");
    for path in files {
        let scenario = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!scenario.description.is_empty(), "{}: every scenario opens with its story", path.display());
        let report = zabsim_sim::run(scenario.clone());
        if let Err(why) = scenario.expect.check(&report) {
            panic!("{}: {why}\nreplay: zabsim run {} --describe", path.display(), path.display());
        }
    }
}

#[test]
fn variant_scenarios_pass_with_the_variant_off() {
    for path in scenario_files() {
        let mut scenario = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
        if scenario.protocol.variants == Variants::default() {
            continue;
        }
        scenario.protocol.variants = Variants::default();
        let report = zabsim_sim::run(scenario);
        assert!(
            report.violation.is_none(),
            "{}: the correct protocol fails on the variant's schedule: {}",
            path.display(),
            report.violation.as_ref().map(|v| v.to_string()).unwrap_or_default()
        );
    }
}
