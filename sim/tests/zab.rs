//! Zab's claims, each on a concrete schedule: discovery, sync (DIFF, TRUNC, SNAP), broadcast and
//! the disk model, with the checker watching every event.

use rayon::prelude::*;
use zabsim_protocol::{DurableState, Epoch, Txn, Zxid};
use zabsim_sim::scenario::random::{self, Profile};
use zabsim_sim::scenario::WriteTarget;
use zabsim_sim::{Fault, RunReport, Scenario, Sim, TimedFault, TraceMode};

fn fault(at_ms: u64, fault: Fault) -> TimedFault {
    TimedFault { at_ms, fault }
}

fn assert_passed(report: &RunReport) {
    if let Some(v) = &report.violation {
        panic!("seed {}: {v}\nfinal states: {:#?}", report.seed, report.final_states);
    }
}

fn txn(epoch: u32, counter: u32) -> Txn {
    Txn::opaque(Zxid::new(Epoch(epoch), counter), 1_000_000 + (epoch as u64) * 1000 + counter as u64)
}

fn disk(accepted: u32, current: u32, log: &[(u32, u32)]) -> DurableState {
    DurableState {
        accepted_epoch: Epoch(accepted),
        current_epoch: Epoch(current),
        log: log.iter().map(|(e, c)| txn(*e, *c)).collect(),
        ..DurableState::default()
    }
}

/// A 5-server ensemble with steady writes whose leader crashes mid-broadcast.
fn leader_crash_mid_broadcast(seed: u64) -> Scenario {
    let mut s = Scenario::new(5, seed);
    s.duration_ms = 8_000;
    s.workload.writes_per_sec = 300;
    s.workload.target = WriteTarget::Any;
    // s5 wins the cold start (equal histories, highest sid).
    s.faults = vec![fault(1_500, Fault::Crash { node: 5 }), fault(4_000, Fault::Restart { node: 5 })];
    s
}

#[test]
fn committed_txn_survives_leader_crash_mid_broadcast() {
    for seed in 0..20 {
        let report = zabsim_sim::run(leader_crash_mid_broadcast(seed));
        assert_passed(&report);
        assert!(report.leaders.len() >= 2, "seed {seed}: a new leader took over: {:?}", report.leaders);
        assert!(report.leaders[1].epoch > report.leaders[0].epoch);
        assert!(report.writes_acked > 100, "seed {seed}: writes were acknowledged before and after the crash");
        // Every acknowledged write is in the history every server delivered by the end.
        let mut sim = Sim::new(leader_crash_mid_broadcast(seed), TraceMode::Off);
        sim.run_until(|_| false);
        let committed: Vec<u64> = sim.checker().committed().iter().map(|t| t.value).collect();
        for value in &report.acked_values {
            assert!(committed.contains(value), "seed {seed}: acknowledged write {value} lost");
        }
    }
}

#[test]
fn follower_with_uncommitted_tail_from_an_old_epoch_gets_trunc() {
    // s1 and s2 established epoch 2 without writing in it; s3 missed that and holds (1,3),
    // proposed in epoch 1 but never committed. s2 wins (epoch 2, highest sid of the two) and
    // must cut s3 back to (1,2).
    let disks =
        vec![disk(2, 2, &[(1, 1), (1, 2)]), disk(2, 2, &[(1, 1), (1, 2)]), disk(1, 1, &[(1, 1), (1, 2), (1, 3)])];
    let mut s = Scenario::new(3, 1);
    s.duration_ms = 3_000;
    let mut sim = Sim::with_disks(s, TraceMode::Off, disks);
    sim.run_until(|_| false);
    let report = sim_report(sim);
    assert_passed(&report);
    assert_eq!(report.leaders[0].leader, 2);
    let to_s3: Vec<&str> = report.syncs.iter().filter(|r| r.learner == 3).map(|r| r.mode.name()).collect();
    assert_eq!(to_s3, ["TRUNC"], "s3's uncommitted tail is truncated");
    assert!(report.final_states[2].contains("last=2:0") || report.final_states[2].contains("last=1:2"));
}

fn sim_report(sim: Sim) -> RunReport {
    sim.run()
}

#[test]
fn lagging_follower_gets_diff_and_far_behind_follower_gets_snap() {
    // s1 is down while the others commit; a short window (commitLogCount = 20) decides
    // whether what it missed still fits a DIFF.
    for (down_ms, expected) in [(200, "DIFF"), (3_000, "SNAP")] {
        let mut s = Scenario::new(3, 4);
        s.duration_ms = 8_000;
        s.protocol.commit_log_count = 20;
        s.workload.writes_per_sec = 50;
        s.workload.target = WriteTarget::Server(3);
        s.workload.stop_ms = 6_000;
        s.faults = vec![fault(1_000, Fault::Crash { node: 1 }), fault(1_000 + down_ms, Fault::Restart { node: 1 })];
        let report = zabsim_sim::run(s);
        assert_passed(&report);
        let rejoin: Vec<&str> =
            report.syncs.iter().filter(|r| r.learner == 1 && r.at_us > 1_000_000).map(|r| r.mode.name()).collect();
        assert_eq!(rejoin, [expected], "s1 down for {down_ms} ms");
    }
}

#[test]
fn leader_cut_off_in_a_minority_is_replaced_in_a_new_epoch_and_nothing_committed_is_lost() {
    for seed in 0..10 {
        let mut s = Scenario::new(5, seed);
        s.duration_ms = 30_000;
        s.workload.writes_per_sec = 100;
        s.faults = vec![
            fault(1_000, Fault::Partition { groups: vec![vec![5, 4], vec![1, 2, 3]] }),
            fault(20_000, Fault::Heal),
        ];
        let report = zabsim_sim::run(s);
        assert_passed(&report);
        let (first, second) = (&report.leaders[0], &report.leaders[1]);
        assert_eq!(first.leader, 5);
        assert!([1, 2, 3].contains(&second.leader), "seed {seed}: the majority elects one of its own");
        assert!(second.epoch > first.epoch);
        assert!(second.at_us < 20_000_000, "seed {seed}: replaced while the partition lasts");
        assert!(report.converged_at_us.is_some(), "seed {seed}: everyone rejoins after the heal");
    }
}

#[test]
fn crash_between_log_append_and_fsync_loses_only_unacknowledged_txns() {
    let mut lost_somewhere = false;
    for seed in 0..20 {
        let mut s = Scenario::new(3, seed);
        s.duration_ms = 10_000;
        s.disk.fsync_min_us = 20_000;
        s.disk.fsync_max_us = 80_000;
        s.workload.writes_per_sec = 400;
        s.workload.stop_ms = 2_000;
        // The whole ensemble dies at once while appends are in flight, then comes back.
        s.faults = (1..=3)
            .map(|n| fault(1_500, Fault::Crash { node: n }))
            .chain((1..=3).map(|n| fault(2_500, Fault::Restart { node: n })))
            .collect();
        let scenario = s.clone();
        let report = zabsim_sim::run(s);
        assert_passed(&report);
        let mut sim = Sim::new(scenario, TraceMode::Off);
        sim.run_until(|_| false);
        let committed: Vec<u64> = sim.checker().committed().iter().map(|t| t.value).collect();
        for value in &report.acked_values {
            assert!(committed.contains(value), "seed {seed}: acknowledged write {value} lost in the crash");
        }
        // The crash found appends still waiting for their fsync, and dropped them.
        lost_somewhere |= report.coverage.get("crash_between_append_and_fsync").is_some_and(|n| *n > 0);
    }
    assert!(lost_somewhere, "some crash fell between append and fsync");
}

#[test]
fn ten_thousand_random_seeds_hold_every_invariant() {
    let profile = Profile { nodes_min: 3, nodes_max: 7, ..Profile::default() };
    let failures: Vec<String> = (0..10_000u64)
        .into_par_iter()
        .filter_map(|seed| {
            let scenario = random::scenario(seed, &profile);
            let nodes = scenario.nodes;
            let report = zabsim_sim::run(scenario);
            report.violation.map(|v| {
                format!(
                    "seed {seed}: {v}\n  replay: zabsim run --nodes {nodes} --seed {seed} --faults random --describe"
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
}
