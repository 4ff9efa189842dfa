//! The zabsim side of a conformance case: the same schedule as a scenario, run step by step so
//! that the kill hits the actual leader, and read off as an [`Outcome`]. Given a real trial,
//! the run replays what that trial measured and the model cannot know in advance: when each
//! server's JVM reached LOOKING (cold start), and how long each survivor took to shut its
//! role down after the kill.

use super::case::{Action, Case};
use super::outcome::{Outcome, ServerTimes};
use crate::check::converged;
use crate::scenario::costs::{CostOverride, Span};
use crate::scenario::{Delay, DiskModel, Fault, Scenario};
use crate::{Sim, TraceMode};
use zabsim_protocol::{NodeId, NodeSet, ServerState, Work, ZabPhase};

/// How long the ensemble stays quiet in broadcast before the kill.
const SETTLE_US: u64 = 1_000_000;
/// Give up on a trial after this much virtual time.
const LIMIT_US: u64 = 120_000_000;

/// The scenario a case runs as, with `seed`.
pub fn scenario(case: &Case, seed: u64) -> Scenario {
    let mut s = Scenario::new(case.nodes, seed);
    s.description = format!("zabsim conform: {}", case.name());
    s.protocol.tick_time_ms = case.tick_time_ms;
    s.protocol.init_limit_ticks = case.init_limit;
    s.protocol.sync_limit_ticks = case.sync_limit;
    s.network.delay = Delay { min_us: case.delay_us.0, max_us: case.delay_us.1, ..Delay::default() };
    s.disk = DiskModel { fsync_min_us: case.fsync_us.0, fsync_max_us: case.fsync_us.1 };
    s.costs.host_cores = case.host_cores;
    s.duration_ms = LIMIT_US / 1000;
    s.liveness.check = false;
    s
}

/// Runs `case` with `seed`; with `real`, replays that trial's start times and shutdown times.
pub fn run(case: &Case, seed: u64, real: Option<&Outcome>) -> Outcome {
    let mut s = scenario(case, seed);
    if let Some(real) = real {
        replay_measured(&mut s, case, real);
    }
    let n = case.nodes;
    let mut sim = Sim::new(s.clone(), TraceMode::Off);
    let all: NodeSet = (1..=n).map(NodeId).collect();
    match case.action {
        Action::ColdStart => {
            let first_start = (1..=n).map(|id| s.start_of(id)).min().unwrap_or(0) * 1000;
            let mut watch = Watch::new(n, first_start);
            for id in 1..=n {
                watch.times[id as usize - 1].start_ms = Some(ms_between(first_start, s.start_of(id) * 1000));
            }
            sim.run_until(|sim| {
                watch.look(sim);
                converged(sim.nodes(), &all) || sim.now_us() > LIMIT_US
            });
            watch.outcome(None, &sim)
        }
        Action::KillLeader => {
            sim.run_until(|sim| converged(sim.nodes(), &all) || sim.now_us() > LIMIT_US);
            let settle = sim.now_us() + SETTLE_US;
            sim.run_until(|sim| sim.now_us() >= settle);
            let leader = (1..=n).find(|id| sim.node(NodeId(*id)).is_some_and(|x| x.established_epoch().is_some()));
            let Some(leader) = leader else { return Outcome::default() };
            let kill_at = sim.now_us();
            sim.inject(Fault::Crash { node: leader });
            let survivors: NodeSet = (1..=n).filter(|id| *id != leader).map(NodeId).collect();
            let mut watch = Watch::new(n, kill_at);
            sim.run_until(|sim| {
                watch.look(sim);
                let elected = sim.leaders().last().is_some_and(|l| l.leader != leader);
                (elected && converged(sim.nodes(), &survivors)) || sim.now_us() > kill_at + LIMIT_US
            });
            let mut outcome = watch.outcome(Some(leader), &sim);
            outcome.servers.retain(|t| t.sid != leader);
            outcome
        }
    }
}

/// Puts what a real trial measured into the scenario: start offsets (cold start) or each
/// survivor's shutdown time, from the kill to its LOOKING line (kill leader).
fn replay_measured(s: &mut Scenario, case: &Case, real: &Outcome) {
    match case.action {
        Action::ColdStart => {
            let starts: Vec<u64> = (1..=case.nodes)
                .map(|id| real.servers.iter().find(|t| t.sid == id).and_then(|t| t.looking_ms).unwrap_or(0.0))
                .map(|ms| (ms.max(0.0)) as u64)
                .collect();
            let first = starts.iter().copied().min().unwrap_or(0);
            s.start_ms = starts.iter().map(|t| t - first).collect();
        }
        Action::KillLeader => {
            // A real survivor's LOOKING time counts from the kill, so it already holds the
            // dead JVM's teardown before its sockets closed: with the teardown left in, the
            // replayed LOOKING would come that much (6-14 ms) late.
            s.costs.process_exit = Span { min_us: 0, max_us: 0 };
            for t in &real.servers {
                if let Some(looking) = t.looking_ms {
                    let us = (looking.max(0.0) * 1000.0) as u64;
                    s.costs.overrides.push(CostOverride {
                        node: t.sid,
                        work: Work::Shutdown,
                        span: Span { min_us: us, max_us: us },
                    });
                }
            }
        }
    }
}

/// Milestones of every server, read after each event.
struct Watch {
    from_us: u64,
    times: Vec<ServerTimes>,
}

impl Watch {
    fn new(n: u8, from_us: u64) -> Watch {
        Watch { from_us, times: (1..=n).map(|sid| ServerTimes { sid, ..ServerTimes::default() }).collect() }
    }

    fn look(&mut self, sim: &Sim) {
        let now = ms_between(self.from_us, sim.now_us());
        for t in &mut self.times {
            let Some(node) = sim.node(NodeId(t.sid)) else { continue };
            let view = node.role_view();
            if t.looking_ms.is_none() {
                if view.state == ServerState::Looking {
                    t.looking_ms = Some(now);
                }
            } else if t.decided_ms.is_none() {
                if view.state != ServerState::Looking {
                    t.decided_ms = Some(now);
                }
            } else if t.broadcast_ms.is_none() && view.phase == ZabPhase::Broadcast {
                t.broadcast_ms = Some(now);
            }
        }
    }

    fn outcome(mut self, leader_before: Option<u8>, sim: &Sim) -> Outcome {
        let leader_after = sim.leaders().last().map(|l| l.leader).filter(|l| Some(*l) != leader_before);
        for rec in sim.syncs() {
            if rec.at_us >= self.from_us {
                if let Some(t) = self.times.iter_mut().find(|t| t.sid == rec.learner) {
                    t.sync = Some(rec.mode.name().to_string());
                }
            }
        }
        Outcome { leader_before, leader_after, servers: self.times }
    }
}

fn ms_between(from_us: u64, to_us: u64) -> f64 {
    to_us.saturating_sub(from_us) as f64 / 1000.0
}
