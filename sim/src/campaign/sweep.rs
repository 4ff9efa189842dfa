//! `zabsim sweep`: run a grid of (cluster size, delay, fault kind, fsync latency, tickTime,
//! finalizeWait) x seeds and measure what users ask about: how long the ensemble is without a
//! leader, how long until everyone is synced, how long no write could commit, commit latency,
//! and how long it takes to converge after the heal. The output is the reports crate's
//! `SweepResults`; `zabsim report` draws it. The checker runs in every sweep run: a safety
//! violation is recorded with the run, with the command that replays that one run.

use crate::check::converged;
use crate::engine::{Sim, TraceMode};
use crate::report::RunReport;
use crate::scenario::{Delay, DiskModel, Fault, Scenario, WriteTarget};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zabsim_protocol::Variants;
use zabsim_protocol::{NodeId, NodeSet};
use zabsim_reports::schema::{RunMetrics, SweepResults, SweepViolation, SWEEP_SCHEMA};

/// A sweep grid (JSON, unknown fields rejected). Every list is one axis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// What the sweep is for.
    #[serde(default)]
    pub description: String,
    /// Cluster sizes.
    pub nodes: Vec<u8>,
    /// Fault kinds (an unknown name is refused when the grid is read).
    pub faults: Vec<SweepFault>,
    /// Mean one-way delays, µs (uniform in [delay/2, 3·delay/2]).
    #[serde(default = "default_delay")]
    pub delay_us: Vec<u64>,
    /// finalizeWait values, ms.
    #[serde(default = "default_finalize_wait")]
    pub finalize_wait_ms: Vec<u32>,
    /// Mean fsync latencies, µs (uniform in [fsync/2, 3·fsync/2]).
    #[serde(default = "default_fsync")]
    pub fsync_us: Vec<u64>,
    /// tickTime values, ms.
    #[serde(default = "default_tick")]
    pub tick_time_ms: Vec<u32>,
    /// Client writes per second, sent to the leader.
    #[serde(default = "default_writes")]
    pub writes_per_sec: u32,
    /// Seeds per grid point.
    pub seeds: u64,
    /// When the fault strikes, ms.
    #[serde(default = "default_fault_at")]
    pub fault_at_ms: u64,
    /// How long it lasts before the heal, restart or resume, ms.
    #[serde(default = "default_fault_duration")]
    pub fault_duration_ms: u64,
    /// Run length, ms.
    #[serde(default = "default_duration")]
    pub duration_ms: u64,
    /// Known-bug variants on in every run (any of `Variants::NAMES`): what a bug costs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

fn default_delay() -> Vec<u64> {
    vec![300]
}
fn default_finalize_wait() -> Vec<u32> {
    vec![200]
}
fn default_fsync() -> Vec<u64> {
    vec![5_000]
}
fn default_tick() -> Vec<u32> {
    vec![2_000]
}
fn default_writes() -> u32 {
    20
}
fn default_fault_at() -> u64 {
    2_000
}
fn default_fault_duration() -> u64 {
    4_000
}
fn default_duration() -> u64 {
    14_000
}

/// The faults a grid may name: each hits the leader or a follower found at `fault_at_ms`.
/// The names are the `fault` of the results (`RunMetrics::fault`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SweepFault {
    /// No fault: the cold start alone.
    None,
    /// The leader crashes and restarts after `fault_duration_ms`.
    LeaderCrash,
    /// A follower crashes and restarts after `fault_duration_ms`.
    FollowerCrash,
    /// The leader is partitioned from everyone until the heal.
    LeaderPartition,
    /// The leader pauses for `fault_duration_ms`.
    LeaderPause,
    /// The leader's fsyncs are 20x slower for `fault_duration_ms`.
    SlowFsyncLeader,
}

impl SweepFault {
    /// The name in grid files and results.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether the fault takes the leader away, so a new one must be established before the
    /// ensemble counts as synced again.
    fn needs_new_leader(self) -> bool {
        matches!(self, SweepFault::LeaderCrash | SweepFault::LeaderPartition | SweepFault::LeaderPause)
    }
}

/// One grid point. As text (`Point::key`, the `--run` of `zabsim sweep`):
/// `nodes=5,fault=leader_crash,delay_us=300,finalize_wait_ms=200,fsync_us=5000,tick_time_ms=2000`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    nodes: u8,
    fault: SweepFault,
    delay_us: u64,
    finalize_wait_ms: u32,
    fsync_us: u64,
    tick_time_ms: u32,
}

impl Point {
    /// The point and a seed as the text `zabsim sweep GRID --run` reads.
    pub fn key(&self, seed: u64) -> String {
        format!(
            "nodes={},fault={},delay_us={},finalize_wait_ms={},fsync_us={},tick_time_ms={},seed={seed}",
            self.nodes,
            self.fault.name(),
            self.delay_us,
            self.finalize_wait_ms,
            self.fsync_us,
            self.tick_time_ms
        )
    }

    /// Reads `Point::key`'s text back: every field once, in any order.
    pub fn parse_key(text: &str) -> Result<(Point, u64), String> {
        let mut fields = std::collections::BTreeMap::new();
        for part in text.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("expected name=value, got '{part}'"))?;
            if fields.insert(k.trim(), v.trim()).is_some() {
                return Err(format!("{} is given twice", k.trim()));
            }
        }
        let mut take = |name: &str| fields.remove(name).ok_or_else(|| format!("{name}: missing"));
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
            v.parse().map_err(|_| format!("{name}: expected a non-negative integer, got '{v}'"))
        }
        let fault_name = take("fault")?;
        let fault = <SweepFault as strum::IntoEnumIterator>::iter()
            .find(|f| f.name() == fault_name)
            .ok_or_else(|| format!("fault: unknown fault kind '{fault_name}'"))?;
        let point = Point {
            nodes: num("nodes", take("nodes")?)?,
            fault,
            delay_us: num("delay_us", take("delay_us")?)?,
            finalize_wait_ms: num("finalize_wait_ms", take("finalize_wait_ms")?)?,
            fsync_us: num("fsync_us", take("fsync_us")?)?,
            tick_time_ms: num("tick_time_ms", take("tick_time_ms")?)?,
        };
        let seed = num("seed", take("seed")?)?;
        if let Some(k) = fields.keys().next() {
            return Err(format!("{k}: not a field of a grid point"));
        }
        if point.nodes < 2 {
            return Err(format!("nodes: expected a cluster of at least 2 servers, got {}", point.nodes));
        }
        if point.tick_time_ms < 2 {
            return Err(format!("tick_time_ms: expected at least 2 ms, got {}", point.tick_time_ms));
        }
        Ok((point, seed))
    }
}

impl Grid {
    /// The variants the grid turns on.
    fn variants(&self) -> Result<Variants, String> {
        let mut variants = Variants::default();
        for (i, v) in self.variants.iter().enumerate() {
            variants.enable(v).map_err(|e| format!("variants[{i}]: {e}"))?;
        }
        Ok(variants)
    }

    /// Checks the grid, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        self.variants()?;
        for (name, empty) in [
            ("nodes", self.nodes.is_empty()),
            ("faults", self.faults.is_empty()),
            ("delay_us", self.delay_us.is_empty()),
            ("finalize_wait_ms", self.finalize_wait_ms.is_empty()),
            ("fsync_us", self.fsync_us.is_empty()),
            ("tick_time_ms", self.tick_time_ms.is_empty()),
        ] {
            if empty {
                return Err(format!("{name}: expected at least one value"));
            }
        }
        if let Some((i, n)) = self.nodes.iter().enumerate().find(|(_, n)| **n < 2) {
            return Err(format!("nodes[{i}]: expected a cluster of at least 2 servers, got {n}"));
        }
        if let Some((i, t)) = self.tick_time_ms.iter().enumerate().find(|(_, t)| **t < 2) {
            return Err(format!("tick_time_ms[{i}]: expected at least 2 ms, got {t}"));
        }
        if self.seeds == 0 {
            return Err("seeds: expected at least 1".into());
        }
        if self.fault_at_ms + self.fault_duration_ms >= self.duration_ms {
            return Err(format!(
                "duration_ms: expected more than fault_at_ms + fault_duration_ms ({}), got {}",
                self.fault_at_ms + self.fault_duration_ms,
                self.duration_ms
            ));
        }
        Ok(())
    }

    /// Every grid point, in a fixed order.
    pub fn points(&self) -> Vec<Point> {
        let mut out = Vec::new();
        for &nodes in &self.nodes {
            for &fault in &self.faults {
                for &delay_us in &self.delay_us {
                    for &finalize_wait_ms in &self.finalize_wait_ms {
                        for &fsync_us in &self.fsync_us {
                            for &tick_time_ms in &self.tick_time_ms {
                                out.push(Point { nodes, fault, delay_us, finalize_wait_ms, fsync_us, tick_time_ms });
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// Runs the whole grid on every core; results are in grid order whatever the thread count.
/// `replay_prefix` is how a command line names this grid (`zabsim sweep GRID.json`): a run
/// that breaks a safety property records `{replay_prefix} --run KEY`, which runs it alone.
pub fn sweep(grid: &Grid, grid_name: &str, command: &str, replay_prefix: &str) -> SweepResults {
    let jobs: Vec<(Point, u64)> =
        grid.points().into_iter().flat_map(|p| (0..grid.seeds).map(move |s| (p.clone(), s))).collect();
    let runs: Vec<RunMetrics> = jobs
        .par_iter()
        .map(|(p, seed)| {
            let (mut m, report) = measure(grid, p, *seed, TraceMode::Off);
            m.violation = report.violation.map(|v| SweepViolation {
                invariant: v.invariant.name().to_string(),
                detail: v.to_string(),
                replay: format!("{replay_prefix} --run {}", p.key(*seed)),
            });
            m
        })
        .collect();
    SweepResults {
        schema: SWEEP_SCHEMA,
        command: command.to_string(),
        grid_name: grid_name.to_string(),
        seeds: grid.seeds,
        runs,
    }
}

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

/// One run of one grid point, driven step by step so the fault hits the actual leader: its
/// measurements and the run's report (with the violation, if the checker found one).
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
        ..RunMetrics::default()
    };
    if p.fault == SweepFault::None {
        let all: NodeSet = (1..=n).map(NodeId).collect();
        if sim.run_until(|s| converged(s.nodes(), &all)) {
            m.election_time_us = sim.leaders().first().map(|l| l.at_us);
            m.sync_time_us = Some(sim.now_us());
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
    // Until the fault ends: a new leader, and everyone healthy synced with it.
    let mut synced_at = None;
    let mut established_at = None;
    sim.run_until(|s| {
        if established_at.is_none() && s.leaders().len() > epochs_before {
            established_at = Some(s.now_us());
        }
        // Synced: the leader of the newest epoch (a new one if the fault took the old one
        // away) has every server it can reach in BROADCAST.
        let new_leader_needed = p.fault.needs_new_leader();
        if synced_at.is_none() && (established_at.is_some() || !new_leader_needed) {
            if let Some(l) = newest_leader(s) {
                if converged(s.nodes(), &healthy(s, n, l)) {
                    synced_at = Some(s.now_us());
                }
            }
        }
        s.now_us() >= fault_end
    });
    if let Some(t) = established_at {
        m.election_time_us = Some(t - m.fault_at_us);
        m.election_rounds = sim.elections_started() - rounds_before;
        m.election_messages = sim.messages_sent() - messages_before;
    }
    m.sync_time_us = synced_at.map(|t| t - m.fault_at_us);
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

fn finish(m: &mut RunMetrics, report: &crate::RunReport, fault_at_us: u64) {
    m.commit_latency_p50_us = report.commit_latency_p50_us;
    m.commit_latency_p99_us = report.commit_latency_p99_us;
    // The longest stretch after the fault with no commit (to the end of the run at most).
    let mut last = fault_at_us;
    let mut longest = 0;
    for t in report.commit_times.iter().copied().filter(|t| *t >= fault_at_us) {
        longest = longest.max(t - last);
        last = t;
    }
    longest = longest.max(report.end_us.saturating_sub(last));
    m.unavailability_us = (m.fault != "none").then_some(longest);
    if m.seed == 0 {
        m.commit_timeline = report.ack_timeline.clone();
        if let Some(end) = m.fault_end_us {
            m.fault_windows = vec![(m.fault_at_us, end)];
        }
    }
}
