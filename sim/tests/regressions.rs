//! Every false alarm the checker once raised stays fixed: each scenario in
//! scenarios/regressions/ replays a run that used to fail on the correct protocol and must now
//! meet its own `expect` (its description says what it pins and what the old verdict was).

use std::path::PathBuf;
use zabsim_sim::cli::load_scenario;

fn regression_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/regressions/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_regression_meets_its_expectation() {
    let files = regression_files();
    assert!(!files.is_empty(), "no regression scenarios found");
    for path in files {
        let scenario = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!scenario.description.is_empty(), "{}: every regression says what it pins", path.display());
        assert!(scenario.expect.leaders.is_some(), "{}: expect.leaders is missing", path.display());
        let report = zabsim_sim::run(scenario.clone());
        if let Err(why) = scenario.expect.check(&report) {
            panic!("{}: {why}\nreplay: zabsim run {} --describe", path.display(), path.display());
        }
    }
}
