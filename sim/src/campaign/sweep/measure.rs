//! One sweep run, driven step by step so that the fault hits the actual leader, and what it
//! measures. Every time is from the fault (a cold start: from 0):
//! - `fle_decision_us`: until the first server that went LOOKING decides (FOLLOWING or LEADING),
//!   watched on the servers' roles after every event, as `conform::model`'s Watch does;
//! - `new_leader_us`: until a new leader is established (a quorum acknowledged its NEWLEADER);
//! - `all_broadcast_us`: until every healthy server is in broadcast with the newest leader;
//! - `client_unavailable_us`: the client-visible window, measured from the simulated clients'
//!   operations (`clients::longest_wait`), only when the grid has clients.

use super::{Grid, Point, SweepFault};
use crate::check::converged;
use crate::engine::{Sim, TraceMode};
use crate::report::RunReport;
use crate::scenario::DiskModel;
use crate::scenario::{Delay, Fault, Scenario, WriteTarget};
use zabsim_protocol::{NodeId, NodeSet, ServerState};
use zabsim_reports::schema::RunMetrics;

fn scenario_for(grid: &Grid, p: &Point, seed: u64) -> Scenario {
    let mut s = Scenario::new(p.nodes, seed);
    s.duration_ms = grid.duration_ms;
    s.liveness.check = false;
    s.network.delay = Delay { min_us: p.delay_us / 2, max_us: p.delay_us * 3 / 2, ..Delay::default() };
    s.disk = DiskModel { fsync_min_us: p.fsync_us / 2, fsync_max_us: p.fsync_us * 3 / 2 };
    s.protocol.tick_time_ms = p.tick_time_ms;
    s.protocol.finalize_wait_ms = p.finalize_wait_ms;
    s.protocol.min_notification_interval_ms = p.finalize_wait_ms.max(1);
    s.workload.writes_per_sec = grid.writes_per_sec;
    s.workload.target = WriteTarget::Leader;
    s.protocol.variants = grid.variants().unwrap_or_default();
    s.clients = grid.clients.clone();
    s
}

/// The running, unpaused servers that `leader` reaches both ways.
fn healthy(sim: &Sim, n: u8, leader: NodeId) -> NodeSet {
    (1..=n)
        .map(NodeId)
        .filter(|id| {
            sim.node(*id).is_some() && !sim.is_paused(*id) && (*id == leader || sim.reachable_both(leader, *id))
        })
        .collect()
}

/// The leader of the newest established epoch.
fn newest_leader(sim: &Sim) -> Option<NodeId> {
    sim.leaders().last().map(|l| NodeId(l.leader))
}

/// The first FLE decision since the watch began: the first time a server seen LOOKING is seen
/// FOLLOWING or LEADING. A server that never went LOOKING (a follower that kept its leader)
/// decided nothing.
struct FirstDecision {
    looked: Vec<bool>,
    at_us: Option<u64>,
}

impl FirstDecision {
    fn new(n: u8) -> FirstDecision {
        FirstDecision { looked: vec![false; usize::from(n)], at_us: None }
    }

    /// Reads every server's role after an event.
    fn look(&mut self, sim: &Sim) {
        if self.at_us.is_some() {
            return;
        }
        for (i, looked) in self.looked.iter_mut().enumerate() {
            let Some(node) = sim.node(NodeId(i as u8 + 1)) else { continue };
            if node.role_view().state == ServerState::Looking {
                *looked = true;
            } else if *looked {
                self.at_us = Some(sim.now_us());
                return;
            }
        }
    }
}

/// One run of one grid point: its measurements and the run's report (with the violation, if
/// the checker found one).
pub fn measure(grid: &Grid, p: &Point, seed: u64, trace: TraceMode) -> (RunMetrics, RunReport) {
    let scenario = scenario_for(grid, p, seed);
    let n = p.nodes;
    let mut sim = Sim::new(scenario, trace);
    let mut m = RunMetrics {
        nodes: n,
        fault: p.fault.name().to_string(),
        delay_us: p.delay_us,
        finalize_wait_ms: p.finalize_wait_ms,
        fsync_us: p.fsync_us,
        tick_time_ms: p.tick_time_ms,
        seed,
        clients: grid.clients.total() as u32,
        recipe: if grid.clients.count > 0 { grid.clients.recipe.to_string() } else { String::new() },
        ..RunMetrics::default()
    };
    if p.fault == SweepFault::None {
        let all: NodeSet = (1..=n).map(NodeId).collect();
        let mut decision = FirstDecision::new(n);
        let converged_all = sim.run_until(|s| {
            decision.look(s);
            converged(s.nodes(), &all)
        });
        m.fle_decision_us = decision.at_us;
        if converged_all {
            m.new_leader_us = sim.leaders().first().map(|l| l.at_us);
            m.all_broadcast_us = Some(sim.now_us());
        }
        m.election_rounds = sim.elections_started();
        m.election_messages = sim.messages_sent();
        let report = sim.run();
        finish(&mut m, &report, 0);
        return (m, report);
    }
    let fault_at = grid.fault_at_ms * 1000;
    sim.run_until(|s| s.now_us() >= fault_at);
    let leader = (1..=n).map(NodeId).find(|id| sim.node(*id).is_some_and(|x| x.established_epoch().is_some()));
    let Some(leader) = leader else {
        let report = sim.run();
        finish(&mut m, &report, fault_at);
        return (m, report);
    };
    let follower = (1..=n).map(NodeId).find(|id| *id != leader).expect("a cluster of 2+ servers");
    m.fault_at_us = sim.now_us();
    let (fault, heal) = match p.fault {
        SweepFault::None => unreachable!("a fault-free point returned above"),
        SweepFault::LeaderCrash => (Fault::Crash { node: leader.0 }, Some(Fault::Restart { node: leader.0 })),
        SweepFault::FollowerCrash => (Fault::Crash { node: follower.0 }, Some(Fault::Restart { node: follower.0 })),
        SweepFault::LeaderPartition => {
            let rest: Vec<u8> = (1..=n).filter(|i| *i != leader.0).collect();
            (Fault::Partition { groups: vec![vec![leader.0], rest] }, Some(Fault::Heal))
        }
        SweepFault::LeaderPause => (Fault::Pause { node: leader.0, duration_ms: grid.fault_duration_ms }, None),
        SweepFault::SlowFsyncLeader => {
            (Fault::SlowFsync { node: leader.0, factor: 20, duration_ms: grid.fault_duration_ms }, None)
        }
    };
    let epochs_before = sim.leaders().len();
    let (messages_before, rounds_before) = (sim.messages_sent(), sim.elections_started());
    sim.inject(fault);
    let fault_end = m.fault_at_us + grid.fault_duration_ms * 1000;
    // Until the fault ends: the first decision, a new leader, and everyone healthy in
    // broadcast with it.
    let mut decision = FirstDecision::new(n);
    let mut all_broadcast_at = None;
    let mut established_at = None;
    sim.run_until(|s| {
        decision.look(s);
        if established_at.is_none() && s.leaders().len() > epochs_before {
            established_at = Some(s.now_us());
        }
        // The leader of the newest epoch (a new one if the fault took the old one away) has
        // every server it can reach in BROADCAST.
        let new_leader_needed = p.fault.needs_new_leader();
        if all_broadcast_at.is_none() && (established_at.is_some() || !new_leader_needed) {
            if let Some(l) = newest_leader(s) {
                if converged(s.nodes(), &healthy(s, n, l)) {
                    all_broadcast_at = Some(s.now_us());
                }
            }
        }
        s.now_us() >= fault_end
    });
    m.fle_decision_us = decision.at_us.map(|t| t - m.fault_at_us);
    if let Some(t) = established_at {
        m.new_leader_us = Some(t - m.fault_at_us);
        m.election_rounds = sim.elections_started() - rounds_before;
        m.election_messages = sim.messages_sent() - messages_before;
    }
    m.all_broadcast_us = all_broadcast_at.map(|t| t - m.fault_at_us);
    if let Some(heal) = heal {
        sim.inject(heal);
    }
    m.fault_end_us = Some(sim.now_us());
    let healed_at = sim.now_us();
    let all: NodeSet = (1..=n).map(NodeId).collect();
    if sim.run_until(|s| converged(s.nodes(), &all)) {
        m.converge_after_heal_us = Some(sim.now_us() - healed_at);
    }
    let report = sim.run();
    let fault_at_us = m.fault_at_us;
    finish(&mut m, &report, fault_at_us);
    (m, report)
}

fn finish(m: &mut RunMetrics, report: &RunReport, fault_at_us: u64) {
    m.commit_latency_p50_us = report.commit_latency_p50_us;
    m.commit_latency_p99_us = report.commit_latency_p99_us;
    let history = report.clients.as_ref().map_or(&[][..], |c| &c.history[..]);
    if m.has_fault() && m.clients > 0 {
        // No client waited after the fault: a window of 0, not a missing measurement.
        m.client_unavailable_us = Some(crate::clients::longest_wait(history, fault_at_us, report.end_us).unwrap_or(0));
    }
    if m.seed == 0 {
        m.client_ops = history.iter().map(|s| s.to_schema()).collect();
        m.client_waits = crate::clients::waits(history, report.end_us);
        m.commit_timeline = report.ack_timeline.clone();
        if let Some(end) = m.fault_end_us {
            m.fault_windows = vec![(m.fault_at_us, end)];
        }
    }
}
