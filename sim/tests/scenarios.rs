//! Every scenario in scenarios/ runs and shows what it says it shows. A scenario written for a
//! known-bug variant must also pass, on the same schedule, with the variant off: the bug is
//! the variant's, not the schedule's. Every false alarm the checker once raised stays fixed:
//! each scenario in scenarios/regressions/ replays a run that used to fail on the correct
//! protocol and must now meet its own `expect`.

use std::path::PathBuf;
use zabsim_protocol::Variants;
use zabsim_sim::cli::load_scenario;
use zabsim_sim::{Fault, Scenario};

fn scenario_files() -> Vec<PathBuf> {
    json_files_in("scenarios")
}

/// The JSON files of a folder under the repository's top, sorted.
fn json_files_in(folder: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{folder}/: {e}"))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Runs every scenario of `files` and holds it to its expectation and its story.
fn meets_expectations(files: Vec<PathBuf>) {
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
fn every_scenario_meets_its_expectations() {
    meets_expectations(scenario_files());
}

#[test]
fn every_regression_meets_its_expectation() {
    let files = json_files_in("scenarios/regressions");
    for path in &files {
        let scenario = load_scenario(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(scenario.expect.leaders.is_some(), "{}: expect.leaders is missing", path.display());
    }
    meets_expectations(files);
}

/// Every scenario pins more than a cold start shows: the epochs it establishes, and either a
/// sync, a coverage path, a commit count or a violation.
#[test]
fn every_scenario_pins_its_story() {
    for path in scenario_files() {
        let e = load_scenario(&path).unwrap_or_else(|e| panic!("{e}")).expect;
        assert!(e.leaders.is_some(), "{}: expect.leaders is missing", path.display());
        assert!(
            !e.syncs.is_empty() || !e.covered.is_empty() || e.min_commits.is_some() || e.violation.is_some(),
            "{}: the expectation pins nothing beyond the leaders",
            path.display()
        );
    }
}

fn library(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name);
    load_scenario(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The scenario with some faults taken out must fail its own expectation, with a reason that
/// names what went missing.
fn fails_without(name: &str, keep: impl Fn(&Fault) -> bool, why: &str) {
    let mut scenario = library(name);
    scenario.faults.retain(|f| keep(&f.fault));
    let report = zabsim_sim::run(scenario.clone());
    match scenario.expect.check(&report) {
        Ok(()) => panic!("{name}: the expectation holds without the fault, so it does not pin the story"),
        Err(e) => assert!(e.contains(why), "{name}: expected {why:?} in: {e}"),
    }
}

#[test]
fn late_joiner_snap_fails_when_the_joiner_is_never_behind() {
    fails_without("late-joiner-snap.json", |_| false, "expected the sync s3 SNAP s1 after 10000 ms");
}

#[test]
fn leader_crash_fails_without_the_crash() {
    fails_without("leader-crash.json", |_| false, "expected the established epochs [s5 epoch 1, s4 epoch 2]");
}

#[test]
fn crash_leader_during_sync_fails_when_the_new_leader_survives() {
    fails_without(
        "crash-leader-during-sync.json",
        |f| !matches!(f, Fault::Crash { node: 4 } | Fault::Restart { node: 4 }),
        "expected the established epochs",
    );
}

#[test]
fn highest_zxid_down_fails_when_the_tail_is_never_cut_off() {
    // Without the cuts, s3's epoch-2 proposals reach s1 and s2: nothing is left to TRUNC.
    fails_without("highest-zxid-down-during-election.json", |f| !matches!(f, Fault::Cut { .. }), "TRUNC");
}

#[test]
fn mixed_faults_fail_when_an_outage_outlasts_sync_limit() {
    // The same faults, healed at 16 s instead of 6 s: the cut s5->s2 now outlasts
    // syncLimit*tickTime (10 s), so s2 gives up on its leader, which the story rules out.
    let mut scenario = library("mixed-faults-heal-all.json");
    let heal_all = scenario.faults.iter_mut().find(|f| f.fault == Fault::HealAll).expect("a heal_all");
    heal_all.at_ms = 16_000;
    scenario.duration_ms = 20_000;
    let report = zabsim_sim::run(scenario.clone());
    assert!(report.coverage.contains_key("follower_read_timeout"), "s2 timed out");
    scenario.expect.check(&report).expect_err("an outage past syncLimit breaks the story");
}

#[test]
fn zk_1419_fails_its_expectation_with_the_correct_vote_order() {
    let mut scenario = library("zk-1419-vote-cycle.json");
    scenario.protocol.variants = Variants::default();
    let report = zabsim_sim::run(scenario.clone());
    let why = scenario.expect.check(&report).expect_err("the correct predicate converges");
    assert!(why.contains("expected a Liveness violation, the run passed"), "{why}");
}

/// The variant's scenario run with every variant off: the expected violation is gone, with
/// the reason `why`; returns the report for claims about what the correct protocol did.
fn correct_protocol_misses(name: &str, why: &str) -> zabsim_sim::RunReport {
    let mut scenario = library(name);
    scenario.protocol.variants = Variants::default();
    let report = zabsim_sim::run(scenario.clone());
    let err = scenario.expect.check(&report).expect_err("the correct protocol does not fail");
    assert!(err.contains(why), "{name}: expected {why:?} in: {err}");
    report
}

#[test]
fn zk_1154_correct_sync_sends_a_snap_where_the_range_test_sent_a_diff() {
    let report = correct_protocol_misses(
        "zk-1154-diff-without-trunc.json",
        "expected a PrefixConsistency violation, the run passed",
    );
    let rejoin = report.syncs.iter().find(|s| s.learner == 3 && s.at_us >= 3_000_000).expect("s3 rejoins");
    assert_eq!((rejoin.leader, rejoin.mode), (2, zabsim_protocol::SyncMode::Snap), "the walk finds s3's tail");
}

#[test]
fn zk_4643_correct_order_keeps_the_committed_txns_and_s3_leads_again() {
    let report = correct_protocol_misses(
        "zk-4643-current-epoch-before-txns.json",
        "expected a CommittedDurability violation, the run passed",
    );
    let epoch_3 = report.leaders.iter().find(|l| l.epoch == 3).expect("an epoch-3 leader");
    assert_eq!(epoch_3.leader, 3, "s1 came back with currentEpoch 1, so s3's newer zxid wins");
}

#[test]
fn zk_335_negotiated_epochs_never_repeat() {
    let report =
        correct_protocol_misses("zk-335-epoch-from-last-zxid.json", "expected a Leadership violation, the run passed");
    let epochs: Vec<u32> = report.leaders.iter().map(|l| l.epoch).collect();
    assert!(epochs.windows(2).all(|w| w[0] < w[1]), "epochs {epochs:?}");
    assert!(epochs.contains(&3), "s1's acceptedEpoch 2 makes the next leader pick 3: {epochs:?}");
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
