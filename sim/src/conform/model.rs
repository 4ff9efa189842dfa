//! The zabsim side of a conformance case: the same schedule as a scenario, run step by step so
//! that the kill hits the actual leader, and read off as an [`Outcome`]. Given a real trial,
//! the run replays what that trial measured and the model cannot know in advance: when each
//! server's JVM reached LOOKING (the cold start, and the one before a kill), and how long
//! each survivor took to shut its role down after the kill.

use super::case::{Action, Case};
use super::outcome::{Outcome, ServerTimes};
use crate::check::converged;
use crate::scenario::costs::{CostOverride, Span};
use crate::scenario::{Delay, DiskModel, Fault, Scenario};
use crate::{Sim, TraceMode};
use zabsim_protocol::{NodeId, NodeSet, ServerState, Work, ZabPhase};

/// From a leader's "Created server with tickTime" line to `new Leader` binding the quorum
/// port: the learners' first attempts up to 4 ms after the line were refused, from 5 ms on
/// connected (warm failovers, 2026-12-04).
const BIND_AFTER_SERVER_MS: u64 = 5;

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
    // The reference is ZooKeeper 3.8.0, whose learner runs its server's startup between
    // NEWLEADER and the ACK (Learner.syncWithLeader at release-3.8.0, line 760): the order
    // the zk-4646 variant restores. With no client writes its bug has nothing to lose; the
    // placement decides when the NEWLEADER quorum forms, and so whether a learner that syncs
    // later gets DIFF or SNAP.
    s.protocol.variants.zk_4646 = true;
    s.duration_ms = LIMIT_US / 1000;
    s.liveness.check = false;
    s
}

/// Runs `case` with `seed`; with `real`, replays that trial's start times and shutdown times.
pub fn run(case: &Case, seed: u64, real: Option<&Outcome>) -> Outcome {
    run_keeping(case, seed, real).0
}

/// The run of `run` as a scenario file `zabsim run` replays exactly: the kill, which the
/// model aims at whichever server leads, written down as the crash it was.
pub fn replay_scenario(case: &Case, seed: u64, real: Option<&Outcome>) -> Scenario {
    let mut s = run_keeping(case, seed, real).1;
    s.description = match real {
        Some(_) => format!("zabsim conform: {}, replaying real trial {seed}", case.name()),
        None => format!("zabsim conform: {}, seed {seed}", case.name()),
    };
    s.duration_ms = s.faults.last().map_or(s.duration_ms, |f| f.at_ms + 5_000).min(s.duration_ms);
    s
}

fn run_keeping(case: &Case, seed: u64, real: Option<&Outcome>) -> (Outcome, Scenario) {
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
            (watch.outcome(None, &sim), s)
        }
        Action::KillLeader => {
            sim.run_until(|sim| converged(sim.nodes(), &all) || sim.now_us() > LIMIT_US);
            // On a whole ms, so that a scenario file's crash lands on the same instant.
            let settle = (sim.now_us() + SETTLE_US).div_ceil(1000) * 1000;
            sim.run_until(|sim| sim.now_us() >= settle);
            let leader = (1..=n).find(|id| sim.node(NodeId(*id)).is_some_and(|x| x.established_epoch().is_some()));
            let Some(leader) = leader else { return (Outcome::default(), s) };
            let kill_at = sim.now_us();
            let mut cold_start: Vec<ServerTimes> =
                (1..=n).map(|sid| ServerTimes { sid, ..ServerTimes::default() }).collect();
            for rec in sim.syncs() {
                let t = &mut cold_start[rec.learner as usize - 1];
                t.sync.get_or_insert_with(|| rec.mode.name().to_string());
            }
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
            outcome.cold_start = Some(cold_start);
            s.faults.push(crate::scenario::TimedFault { at_ms: kill_at / 1000, fault: Fault::Crash { node: leader } });
            (outcome, s)
        }
    }
}

/// Puts what a real trial measured into the scenario: start offsets (cold start) or each
/// survivor's shutdown time, from the kill to its LOOKING line (kill leader).
fn replay_measured(s: &mut Scenario, case: &Case, real: &Outcome) {
    // When each JVM reached its first LOOKING line: the model's servers start then.
    let replay_starts = |s: &mut Scenario, servers: &[ServerTimes]| {
        let starts: Vec<u64> = (1..=case.nodes)
            .map(|id| servers.iter().find(|t| t.sid == id).and_then(|t| t.looking_ms).unwrap_or(0.0))
            .map(|ms| (ms.max(0.0)) as u64)
            .collect();
        let first = starts.iter().copied().min().unwrap_or(0);
        s.start_ms = starts.iter().map(|t| t - first).collect();
    };
    match case.action {
        // The start offsets only: how long the ensemble then takes is the model's to say.
        Action::ColdStart => replay_starts(s, &real.servers),
        Action::KillLeader => {
            if let Some(cold) = &real.cold_start {
                replay_starts(s, cold);
                replay_setups(s, cold);
            }
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
                        span: Span::fixed(us),
                        young: false,
                        ends_at_ms: None,
                        bind_at_ms: None,
                    });
                }
            }
        }
    }
}

/// The cold start's set-up times, where the trial recorded them: whether a learner's first
/// connection attempt came before the leader bound its port (refused: it retries 100 ms later
/// and, once the leader has its NEWLEADER quorum, gets SNAP) is a race of a few ms between
/// JVMs that the model's spans cannot call trial by trial. Each replays for the process's
/// first join only (`young`).
fn replay_setups(s: &mut Scenario, servers: &[ServerTimes]) {
    // The times count from the first LOOKING line, where the replayed run's clock starts too
    // (the first server starts at 0); the model's own FLE decides a few ms differently, and
    // the race is between the set-ups' ends, so they replay as points in time.
    let ms = |t: Option<f64>| t.map(|t| t.max(0.0).round() as u64);
    let replay = |s: &mut Scenario, node: u8, work: Work, end: u64, bind_at_ms: Option<u64>| {
        let o = CostOverride { node, work, span: Span::fixed(0), young: true, ends_at_ms: Some(end), bind_at_ms };
        s.costs.overrides.push(o);
    };
    // The learners' first attempts: (answered at, refused).
    let attempts: Vec<(u64, bool)> = servers.iter().filter_map(|t| Some((ms(t.setup_ms)?, t.refused?))).collect();
    for t in servers {
        let (Some(_), Some(end)) = (t.decided_ms, ms(t.setup_ms)) else { continue };
        let Some(created) = ms(t.bound_ms) else {
            // A learner's attempt is answered a round trip (under 1 ms) after its set-up.
            replay(s, t.sid, Work::FollowerSetup, end, None);
            continue;
        };
        // The bind is not logged: 5 ms after "Created server", moved past every attempt the
        // trial saw refused and before every one it saw connected.
        let mut bind = created + BIND_AFTER_SERVER_MS;
        for &(at, refused) in &attempts {
            if refused && bind <= at {
                bind = at + 1;
            } else if !refused && bind > at {
                bind = at;
            }
        }
        replay(s, t.sid, Work::LeaderSetup, end, Some(bind.min(end)));
        // The leader's startup ends as it did: whether a learner that connects late still
        // gets DIFF or already SNAP (the started leader's lastProcessedZxid) is a race of ms.
        if let Some(started) = ms(t.broadcast_ms) {
            replay(s, t.sid, Work::LeaderStartup, started, None);
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
        Outcome { leader_before, leader_after, servers: self.times, cold_start: None }
    }
}

fn ms_between(from_us: u64, to_us: u64) -> f64 {
    to_us.saturating_sub(from_us) as f64 / 1000.0
}
