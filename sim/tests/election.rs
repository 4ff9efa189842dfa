//! Fast Leader Election's claims on whole simulated ensembles: who wins a cold start, who takes
//! over from a crashed leader, that a minority never establishes an epoch, that a restarted
//! server rejoins without an election, that a seed is a run, and that random faults break no
//! invariant. The checker watches every event of every run.

use rayon::prelude::*;
use std::io::Write;
use std::sync::{Arc, Mutex};
use zabsim_protocol::{beats, DurableState, Epoch, NodeId, ServerState, Txn, Vote, ZabPhase, Zxid};
use zabsim_sim::check::converged;
use zabsim_sim::scenario::random::{self, Profile};
use zabsim_sim::scenario::WriteTarget;
use zabsim_sim::trace::Sink;
use zabsim_sim::{Fault, RunReport, Scenario, Sim, TimedFault, TraceMode};

// ----- helpers ------------------------------------------------------------------------------

fn assert_passed(report: &RunReport, context: &str) {
    if let Some(v) = &report.violation {
        panic!("{context}: seed {}: {v}\nfinal states: {:#?}", report.seed, report.final_states);
    }
}

fn members(n: u8) -> Vec<NodeId> {
    (1..=n).map(NodeId).collect()
}

/// The best of some votes by the correct order (`totalOrderPredicate`).
fn best_vote(votes: impl IntoIterator<Item = Vote>) -> Vote {
    votes.into_iter().reduce(|best, v| if beats(&v, &best, false) { v } else { best }).expect("at least one vote")
}

/// The leader every one of `ids` follows (or is) in BROADCAST, the leader having established
/// its epoch; None while that is not so.
fn broadcasting_leader(sim: &Sim, ids: &[NodeId]) -> Option<NodeId> {
    let leader = ids.iter().copied().find(|id| sim.node(*id).is_some_and(|n| n.established_epoch().is_some()))?;
    ids.iter()
        .all(|id| {
            sim.node(*id).is_some_and(|n| {
                let view = n.role_view();
                view.phase == ZabPhase::Broadcast && view.leader == Some(leader)
            })
        })
        .then_some(leader)
}

/// The checker's own convergence test over `ids`, on a snapshot of the servers.
fn checker_says_converged(sim: &Sim, n: u8, ids: &[NodeId]) -> bool {
    let table: Vec<_> = (0..=n).map(|i| if i == 0 { None } else { sim.node(NodeId(i)).cloned() }).collect();
    converged(&table, &ids.iter().copied().collect())
}

/// Runs until `ids` converge on one established leader; panics with `context` if the run
/// ends first.
fn run_until_converged(sim: &mut Sim, ids: &[NodeId], context: &str) -> NodeId {
    let mut leader = None;
    let reached = sim.run_until(|sim| {
        leader = broadcasting_leader(sim, ids);
        leader.is_some()
    });
    assert!(reached, "{context}: {ids:?} never converged; violation: {:?}", sim.violation());
    leader.expect("converged")
}

/// Runs until the first event at or after `at_ms` of virtual time.
fn run_past_ms(sim: &mut Sim, at_ms: u64, context: &str) {
    let reached = sim.run_until(|sim| sim.now_us() >= at_ms * 1000);
    assert!(reached, "{context}: the run ended before {at_ms} ms; violation: {:?}", sim.violation());
}

/// Runs every event up to the scenario's end, keeping the servers for inspection.
fn run_to_end(sim: &mut Sim) {
    sim.run_until(|_| false);
}

/// A small deterministic generator for test data (splitmix64).
struct TestRng(u64);

impl TestRng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One value per zxid, the same on every server.
fn txn(epoch: u32, counter: u32) -> Txn {
    Txn::opaque(Zxid::new(Epoch(epoch), counter), 7_000_000 + epoch as u64 * 1_000 + counter as u64)
}

/// Durable states of `n` servers that could have come out of earlier epochs: one global
/// history (1 to 3 epochs of 1 to 4 txns each) of which every server logged a prefix, a
/// currentEpoch at least the epoch of its last txn, and acceptedEpoch >= currentEpoch.
fn prefix_compatible_disks(n: u8, seed: u64) -> Vec<DurableState> {
    let mut rng = TestRng(seed.wrapping_mul(1_000_003).wrapping_add(n as u64));
    let mut history = Vec::new();
    for epoch in 1..=1 + rng.below(3) as u32 {
        for counter in 1..=1 + rng.below(4) as u32 {
            history.push(txn(epoch, counter));
        }
    }
    let mut disks: Vec<DurableState> = (0..n)
        .map(|_| {
            let len = rng.below(history.len() as u64 + 1) as usize;
            let log: Vec<Txn> = history[..len].to_vec();
            let last_epoch = log.last().map_or(0, |t| t.zxid.epoch.0);
            let current = last_epoch + rng.below(2) as u32;
            let accepted = current + rng.below(2) as u32;
            DurableState {
                accepted_epoch: Epoch(accepted),
                current_epoch: Epoch(current),
                log,
                ..DurableState::default()
            }
        })
        .collect();
    // No acceptedEpoch beyond the best server's: a server that promised a newer epoch than the
    // new leader will pick could not join it (`Learner.registerWithLeader` refuses an older
    // epoch) until the leadership changes, which is another story. The cap keeps every
    // acceptedEpoch >= currentEpoch, since the best server has the highest currentEpoch.
    let best = best_vote(members(n).into_iter().map(|id| initial_vote(id, &disks[id.index() - 1])));
    let cap = disks[best.leader.index() - 1].accepted_epoch;
    for disk in &mut disks {
        disk.accepted_epoch = disk.accepted_epoch.min(cap);
    }
    disks
}

/// The vote a server with this disk starts an election with.
fn initial_vote(id: NodeId, disk: &DurableState) -> Vote {
    Vote { leader: id, zxid: disk.last_zxid(), peer_epoch: disk.current_epoch }
}

/// A shared in-memory trace sink.
#[derive(Clone, Default)]
struct SharedBytes(Arc<Mutex<Vec<u8>>>);

impl SharedBytes {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("trace buffer").clone()
    }
}

impl Write for SharedBytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("trace buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn json_trace(scenario: Scenario) -> (RunReport, Vec<u8>) {
    let buffer = SharedBytes::default();
    let report = Sim::new(scenario, TraceMode::To(Sink::Json(Box::new(buffer.clone())))).run();
    (report, buffer.bytes())
}

/// (node, t_us, observation) for every `note` output in a JSON-lines trace.
fn trace_notes(trace: &[u8]) -> Vec<(u8, u64, serde_json::Value)> {
    let text = std::str::from_utf8(trace).expect("utf-8 trace");
    let mut notes = Vec::new();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let (Some(node), Some(t_us)) = (record["node"].as_u64(), record["t_us"].as_u64()) else { continue };
        for output in record["outputs"].as_array().into_iter().flatten() {
            if output["type"] == "note" {
                notes.push((node as u8, t_us, output["observation"].clone()));
            }
        }
    }
    notes
}

// ----- cold start -----------------------------------------------------------------------------

#[test]
fn cold_start_of_3_5_7_servers_elects_the_best_vote() {
    let (mut runs, mut best_is_not_highest_sid, mut sid_breaks_a_tie) = (0, 0, 0);
    for n in [3u8, 5, 7] {
        for seed in 0..30u64 {
            let disks = prefix_compatible_disks(n, seed);
            let ids = members(n);
            let votes: Vec<Vote> = ids.iter().map(|id| initial_vote(*id, &disks[id.index() - 1])).collect();
            let best = best_vote(votes.iter().copied());
            runs += 1;
            best_is_not_highest_sid += usize::from(best.leader != NodeId(n));
            sid_breaks_a_tie += usize::from(
                votes.iter().any(|v| v.leader != best.leader && (v.peer_epoch, v.zxid) == (best.peer_epoch, best.zxid)),
            );
            let context = format!("{n} servers, seed {seed}, best vote {best}, disks {disks:?}");
            let mut scenario = Scenario::new(n, seed);
            scenario.duration_ms = 4_000;
            let mut sim = Sim::with_disks(scenario, TraceMode::Off, disks.clone());
            run_to_end(&mut sim);
            assert!(sim.violation().is_none(), "{context}: {:?}", sim.violation());
            for id in &ids {
                let node = sim.node(*id).expect("no server crashed");
                let view = node.role_view();
                assert_eq!(view.leader, Some(best.leader), "{context}: {} ends with {view:?}", node.describe());
                assert_eq!(view.phase, ZabPhase::Broadcast, "{context}: {}", node.describe());
                let role = if *id == best.leader { ServerState::Leading } else { ServerState::Following };
                assert_eq!(view.state, role, "{context}: {}", node.describe());
            }
            assert!(checker_says_converged(&sim, n, &ids), "{context}: the checker agrees it converged");
            let leader_log = sim.node(best.leader).expect("leader up").disk_view().log.clone();
            for id in &ids {
                let log = &sim.node(*id).expect("up").disk_view().log;
                assert_eq!(log, &leader_log, "{context}: {id} is synced to the winner's history");
            }
            let report = sim.run();
            assert_passed(&report, &context);
            assert_eq!(report.first_leader, Some(best.leader.0), "{context}: first FLE decision");
            let first = report.leaders.first().unwrap_or_else(|| panic!("{context}: nobody established an epoch"));
            assert_eq!(first.leader, best.leader.0, "{context}: leaders {:?}", report.leaders);
            assert_eq!(report.leaders.len(), 1, "{context}: a fault-free start establishes one epoch");
            let max_accepted = disks.iter().map(|d| d.accepted_epoch.0).max().unwrap_or(0);
            assert_eq!(first.epoch, max_accepted + 1, "{context}: the new epoch is one past every acceptedEpoch");
        }
    }
    // The histories are varied enough to test something.
    assert!(best_is_not_highest_sid > runs / 4, "{best_is_not_highest_sid} of {runs} runs");
    assert!(sid_breaks_a_tie > runs / 10, "{sid_breaks_a_tie} of {runs} runs");
}

#[test]
fn cold_start_of_an_empty_ensemble_elects_the_highest_sid() {
    for n in 1u8..=7 {
        for seed in 0..5u64 {
            let report = zabsim_sim::run(Scenario::new(n, seed));
            let context = format!("{n} empty servers, seed {seed}");
            assert_passed(&report, &context);
            assert_eq!(report.first_leader, Some(n), "{context}");
            assert_eq!(report.leaders.len(), 1, "{context}: {:?}", report.leaders);
            assert_eq!((report.leaders[0].leader, report.leaders[0].epoch), (n, 1), "{context}");
            assert!(report.converged_at_us.is_some(), "{context}: everyone follows s{n}");
        }
    }
}

// ----- leader crash -----------------------------------------------------------------------------

/// What happened around a leader crash.
struct LeaderCrash {
    sim: Sim,
    /// The leader that was crashed.
    old_leader: NodeId,
    /// The best vote among the survivors when the leader crashed, from their disks.
    best_at_crash: Vote,
    /// The votes the survivors started their elections with, for those that did.
    started: Vec<Vote>,
    /// The first survivor to establish a newer epoch.
    new_leader: NodeId,
}

/// Runs a 5-server ensemble until it converges, then crashes its leader at `crash_at_ms`
/// (after the workload stopped and settled, so the survivors' logs no longer move) and runs
/// until a survivor establishes a newer epoch.
fn crash_the_leader(mut scenario: Scenario, crash_at_ms: u64) -> LeaderCrash {
    let ids = members(5);
    let context = format!("seed {}", scenario.seed);
    scenario.duration_ms = 40_000;
    // A follower cut off from the leader rejoins only after its read timeout (syncLimit).
    scenario.liveness.within_ms = 30_000;
    let mut sim = Sim::new(scenario, TraceMode::Off);
    let old_leader = run_until_converged(&mut sim, &ids, &context);
    let old_epoch = sim.node(old_leader).and_then(|n| n.established_epoch()).expect("established");
    run_past_ms(&mut sim, crash_at_ms, &context);
    let survivors: Vec<NodeId> = ids.iter().copied().filter(|id| *id != old_leader).collect();
    let best_at_crash = best_vote(survivors.iter().map(|id| {
        // From the disk, not `initial_vote()`: a follower's in-memory database may lag its log
        // until the role ends and it is fast-forwarded (ZKDatabase.fastForwardDataBase).
        let node = sim.node(*id).expect("survivor up");
        Vote { leader: *id, zxid: node.last_zxid(), peer_epoch: node.current_epoch() }
    }));
    sim.inject(Fault::Crash { node: old_leader.0 });
    let mut started: Vec<Option<Vote>> = vec![None; 6];
    let mut new_leader = None;
    let reached = sim.run_until(|sim| {
        for id in &survivors {
            let node = sim.node(*id).expect("survivor up");
            if node.state() == ServerState::Looking && started[id.index()].is_none() {
                started[id.index()] = Some(node.initial_vote());
            }
        }
        new_leader = survivors
            .iter()
            .copied()
            .find(|id| sim.node(*id).and_then(|n| n.established_epoch()).is_some_and(|e| e > old_epoch));
        new_leader.is_some()
    });
    assert!(reached, "{context}: no new leader after crashing {old_leader}; violation: {:?}", sim.violation());
    LeaderCrash {
        sim,
        old_leader,
        best_at_crash,
        started: started.into_iter().flatten().collect(),
        new_leader: new_leader.expect("found"),
    }
}

fn five_servers_writing_until_2s(seed: u64) -> Scenario {
    let mut scenario = Scenario::new(5, seed);
    scenario.workload.writes_per_sec = 100;
    scenario.workload.target = WriteTarget::Any;
    scenario.workload.stop_ms = 2_000;
    scenario
}

#[test]
fn leader_crash_elects_the_next_best() {
    for seed in 0..10u64 {
        let context = format!("seed {seed}");
        let crash = crash_the_leader(five_servers_writing_until_2s(seed), 2_500);
        let LeaderCrash { mut sim, old_leader, best_at_crash, started, new_leader } = crash;
        assert_eq!(old_leader, NodeId(5), "{context}: the empty ensemble was led by the highest sid");
        assert_eq!(started.len(), 4, "{context}: every survivor noticed the crash and looked");
        assert_eq!(best_vote(started.iter().copied()), best_at_crash, "{context}: no log moved after the crash");
        assert_eq!(new_leader, best_at_crash.leader, "{context}: best survivor vote {best_at_crash}");
        let survivors: Vec<NodeId> = members(4);
        assert_eq!(run_until_converged(&mut sim, &survivors, &context), new_leader);
        let report = sim.run();
        assert_passed(&report, &context);
        assert_eq!(report.leaders.len(), 2, "{context}: {:?}", report.leaders);
        assert!(report.leaders[1].epoch > report.leaders[0].epoch);
        assert!(report.writes_acked > 50, "{context}: the ensemble served writes before the crash");
    }
}

#[test]
fn leader_crash_passes_over_a_higher_sid_whose_log_lags() {
    // s5 leads; its link to s4 is cut one way while writes go on, so s4's log falls behind
    // (s4 still reaches s5, so nobody notices). When s5 dies the best survivor vote is s3's:
    // same currentEpoch, a longer log than s4's.
    for seed in 0..10u64 {
        let context = format!("seed {seed}");
        let mut scenario = five_servers_writing_until_2s(seed);
        scenario.faults = vec![TimedFault { at_ms: 1_000, fault: Fault::Cut { from: 5, to: 4 } }];
        let LeaderCrash { mut sim, old_leader, best_at_crash, new_leader, .. } = crash_the_leader(scenario, 2_500);
        assert_eq!(old_leader, NodeId(5), "{context}");
        let (s3, s4) = (sim.node(NodeId(3)).expect("up"), sim.node(NodeId(4)).expect("up"));
        assert!(s4.last_zxid() < s3.last_zxid(), "{context}: s4 lags: {} vs {}", s4.describe(), s3.describe());
        assert_eq!(best_at_crash.leader, NodeId(3), "{context}: best survivor vote {best_at_crash}");
        assert_eq!(new_leader, NodeId(3), "{context}: s3 leads, not the higher sid s4");
        // s4 learns of the crash only by its read timeout (the FIN waits at the cut), then
        // joins s3 and is synced.
        assert_eq!(run_until_converged(&mut sim, &members(4), &context), NodeId(3));
        let report = sim.run();
        assert_passed(&report, &context);
        assert_eq!(report.leaders.len(), 2, "{context}: {:?}", report.leaders);
    }
}

// ----- partitions -------------------------------------------------------------------------------

/// Runs `scenario` to `until_ms`, asserting after every event that no server of `minority`
/// leads or establishes an epoch other than `allowed` (the epoch it led before the
/// partition, if any).
fn watch_minority(sim: &mut Sim, minority: &[NodeId], allowed: Option<Epoch>, until_ms: u64, context: &str) {
    let mut seen = Vec::new();
    let reached = sim.run_until(|sim| {
        for id in minority {
            if let Some(node) = sim.node(*id) {
                let epoch = node.established_epoch();
                let leads_new = node.state() == ServerState::Leading && (allowed.is_none() || epoch != allowed);
                if leads_new && epoch.is_some() {
                    seen.push(format!("{} at {} us", node.describe(), sim.now_us()));
                }
            }
        }
        sim.now_us() >= until_ms * 1000
    });
    assert!(reached, "{context}: the run stopped early; violation: {:?}", sim.violation());
    assert!(seen.is_empty(), "{context}: a minority server established an epoch: {seen:?}");
}

#[test]
fn minority_partition_never_elects() {
    let (minority, majority) = ([NodeId(1), NodeId(2)], [NodeId(3), NodeId(4), NodeId(5)]);
    for seed in 0..6u64 {
        // Split from the first instant: {1,2} never see a quorum.
        let context = format!("partition from the start, seed {seed}");
        let mut scenario = Scenario::new(5, seed);
        scenario.duration_ms = 20_000;
        scenario.workload.writes_per_sec = 20;
        scenario.faults = vec![
            TimedFault { at_ms: 0, fault: Fault::Partition { groups: vec![vec![1, 2], vec![3, 4, 5]] } },
            TimedFault { at_ms: 8_000, fault: Fault::Heal },
        ];
        let mut sim = Sim::new(scenario, TraceMode::Off);
        let mut minority_led = false;
        let reached = sim.run_until(|sim| {
            minority_led |= minority.iter().any(|id| sim.node(*id).is_some_and(|n| n.state() == ServerState::Leading));
            sim.now_us() >= 7_999_000
        });
        assert!(reached, "{context}: violation: {:?}", sim.violation());
        assert!(!minority_led, "{context}: a server of {{1,2}} decided to lead");
        assert_eq!(broadcasting_leader(&sim, &majority), Some(NodeId(5)), "{context}: the majority elected s5");
        for id in minority {
            let node = sim.node(id).expect("up");
            assert_eq!(node.state(), ServerState::Looking, "{context}: {}", node.describe());
        }
        // After the heal the minority joins the established epoch; nobody starts a new one.
        let all = members(5);
        assert_eq!(run_until_converged(&mut sim, &all, &context), NodeId(5));
        let report = sim.run();
        assert_passed(&report, &context);
        assert_eq!(report.leaders.len(), 1, "{context}: {:?}", report.leaders);

        // Split after s5 established epoch 1: the followers cut off lose their leader and
        // look, forever, until the heal.
        let context = format!("partition after the election, seed {seed}");
        let mut scenario = Scenario::new(5, seed);
        scenario.duration_ms = 25_000;
        scenario.workload.writes_per_sec = 20;
        scenario.faults = vec![
            TimedFault { at_ms: 1_500, fault: Fault::Partition { groups: vec![vec![1, 2], vec![3, 4, 5]] } },
            TimedFault { at_ms: 15_000, fault: Fault::Heal },
        ];
        let mut sim = Sim::new(scenario, TraceMode::Off);
        assert_eq!(run_until_converged(&mut sim, &all, &context), NodeId(5));
        watch_minority(&mut sim, &minority, None, 14_999, &context);
        for id in minority {
            let node = sim.node(id).expect("up");
            assert_eq!(node.state(), ServerState::Looking, "{context}: {}", node.describe());
        }
        assert_eq!(run_until_converged(&mut sim, &all, &context), NodeId(5));
        let report = sim.run();
        assert_passed(&report, &context);
        assert_eq!(report.leaders.len(), 1, "{context}: {:?}", report.leaders);
    }
}

#[test]
fn leader_cut_off_in_a_minority_never_establishes_a_new_epoch() {
    let minority = [NodeId(4), NodeId(5)];
    for seed in 0..6u64 {
        let context = format!("seed {seed}");
        let mut scenario = Scenario::new(5, seed);
        scenario.duration_ms = 40_000;
        scenario.liveness.within_ms = 20_000;
        scenario.workload.writes_per_sec = 20;
        scenario.faults = vec![
            TimedFault { at_ms: 1_500, fault: Fault::Partition { groups: vec![vec![4, 5], vec![1, 2, 3]] } },
            TimedFault { at_ms: 25_000, fault: Fault::Heal },
        ];
        let mut sim = Sim::new(scenario, TraceMode::Off);
        let all = members(5);
        assert_eq!(run_until_converged(&mut sim, &all, &context), NodeId(5));
        let first_epoch = sim.node(NodeId(5)).and_then(|n| n.established_epoch());
        // s5 may go on leading its old epoch until it misses its quorum; never a new one.
        watch_minority(&mut sim, &minority, first_epoch, 24_999, &context);
        assert_eq!(
            broadcasting_leader(&sim, &[NodeId(1), NodeId(2), NodeId(3)]),
            Some(NodeId(3)),
            "{context}: the majority elected its best vote"
        );
        assert_eq!(run_until_converged(&mut sim, &all, &context), NodeId(3));
        let report = sim.run();
        assert_passed(&report, &context);
        let leaders: Vec<(u8, u32)> = report.leaders.iter().map(|l| (l.leader, l.epoch)).collect();
        assert_eq!(leaders, [(5, 1), (3, 2)], "{context}");
    }
}

// ----- restart ----------------------------------------------------------------------------------

#[test]
fn restarted_server_joins_established_ensemble_without_new_election() {
    for seed in 0..8u64 {
        for crashed in [1u8, 4] {
            let context = format!("seed {seed}, s{crashed} crashed and restarted");
            let (crash_ms, restart_ms) = (2_000, 3_000);
            let mut scenario = Scenario::new(5, seed);
            scenario.duration_ms = 8_000;
            scenario.workload.writes_per_sec = 50;
            scenario.faults = vec![
                TimedFault { at_ms: crash_ms, fault: Fault::Crash { node: crashed } },
                TimedFault { at_ms: restart_ms, fault: Fault::Restart { node: crashed } },
            ];
            let (report, trace) = json_trace(scenario.clone());
            assert_passed(&report, &context);
            assert_eq!(report.leaders.len(), 1, "{context}: one epoch for the whole run: {:?}", report.leaders);
            assert_eq!(report.leaders[0].leader, 5, "{context}");
            assert!(report.leaders[0].at_us < crash_ms * 1000, "{context}");
            let notes = trace_notes(&trace);
            let late: Vec<&(u8, u64, serde_json::Value)> = notes
                .iter()
                .filter(|(_, t, note)| *t >= crash_ms * 1000 && (note["type"] == "decided" || note["type"] == "left"))
                .collect();
            assert_eq!(late.len(), 1, "{context}: only the restarted server decides, once: {late:?}");
            let (node, t_us, note) = late[0];
            assert_eq!(*node, crashed, "{context}: {late:?}");
            assert!(*t_us >= restart_ms * 1000, "{context}: {late:?}");
            // It joined through the FOLLOWING/LEADING answers (no LOOKING quorum agreed).
            assert!(note["type"] == "decided" && note["agreeing"].is_null(), "{context}: {note}");
            assert_eq!(note["vote"]["leader"], 5, "{context}: {note}");
            assert_eq!(report.decisions, notes.iter().filter(|(_, _, n)| n["type"] == "decided").count() as u64);
            // It ends following s5 in BROADCAST, like everyone else.
            let mut sim = Sim::new(scenario, TraceMode::Off);
            run_past_ms(&mut sim, restart_ms + 500, &context);
            let all = members(5);
            assert_eq!(run_until_converged(&mut sim, &all, &context), NodeId(5));
            assert_eq!(sim.node(NodeId(5)).and_then(|n| n.established_epoch()), Some(Epoch(report.leaders[0].epoch)));
            let node = sim.node(NodeId(crashed)).expect("restarted");
            assert_eq!(node.state(), ServerState::Following, "{context}: {}", node.describe());
        }
    }
}

// ----- determinism ------------------------------------------------------------------------------

#[test]
fn same_seed_gives_identical_trace() {
    let profile = Profile::default();
    for seed in [0u64, 7, 42] {
        let scenario = random::scenario(seed, &profile);
        let a = Sim::new(scenario.clone(), TraceMode::Hash).run();
        let b = Sim::new(scenario.clone(), TraceMode::Hash).run();
        assert!(a.trace_hash.is_some(), "seed {seed}: hashing mode reports a hash");
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed}");
        assert_eq!((a.events, a.messages, a.end_us), (b.events, b.messages, b.end_us), "seed {seed}");

        let (ra, ta) = json_trace(scenario.clone());
        let (rb, tb) = json_trace(scenario.clone());
        assert!(ta.len() > 1_000, "seed {seed}: a real trace was written");
        assert!(ta == tb, "seed {seed}: two runs wrote different trace bytes");
        assert_eq!(ra.trace_hash, a.trace_hash, "seed {seed}: writing the trace does not change the run");
        assert_eq!(rb.trace_hash, a.trace_hash);
        // The trace's closing line carries the same running hash as the report.
        let text = String::from_utf8(ta).expect("utf-8");
        let end: serde_json::Value = serde_json::from_str(text.lines().last().expect("lines")).expect("json");
        assert_eq!(end["hash"].as_str(), a.trace_hash.as_deref(), "seed {seed}");

        let other = Sim::new(random::scenario(seed + 1, &profile), TraceMode::Hash).run();
        assert_ne!(other.trace_hash, a.trace_hash, "seeds {seed} and {} gave the same trace", seed + 1);
    }
}

// ----- random faults ----------------------------------------------------------------------------

/// Runs `seeds` random scenarios in parallel; returns one line per failing seed, with the
/// command that replays it.
fn failing_seeds(seeds: std::ops::Range<u64>, profile: &Profile, replay_flags: &str) -> Vec<String> {
    seeds
        .into_par_iter()
        .filter_map(|seed| {
            let scenario = random::scenario(seed, profile);
            let nodes = scenario.nodes;
            let report = zabsim_sim::run(scenario);
            report.violation.map(|v| {
                format!("seed {seed}: {v}\n  replay: zabsim run --nodes {nodes} --seed {seed} --faults random{replay_flags}")
            })
        })
        .collect()
}

#[test]
fn thousand_random_seeds_hold_every_invariant() {
    let profile = Profile { nodes_min: 3, nodes_max: 7, ..Profile::default() };
    let failures = failing_seeds(0..1_000, &profile, "");
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn two_hundred_election_only_random_seeds_hold_every_invariant() {
    // No writes: every zxid ties across epochs, where vote comparison bugs live.
    let profile = Profile { nodes_min: 3, nodes_max: 7, writes_per_sec: 0, ..Profile::default() };
    let failures = failing_seeds(0..200, &profile, " --writes 0");
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
}
