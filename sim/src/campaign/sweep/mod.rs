//! `zabsim sweep`: run a grid of (cluster size, delay, fault kind, fsync latency, tickTime,
//! finalizeWait) x seeds and measure what users ask about: how long until the first server
//! decides an election, until a new leader is established, until every healthy server is in
//! broadcast, how long clients could not write, commit latency, and how long it takes to
//! converge after the heal ([`measure`] says exactly what each time measures). The output is the reports crate's
//! `SweepResults`; `zabsim report` draws it. The checker runs in every sweep run: a safety
//! violation is recorded with the run, with the command that replays that one run.

mod measure;

pub use measure::measure;

use crate::engine::TraceMode;
use crate::scenario::Clients;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zabsim_protocol::Variants;
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
    /// Simulated ZooKeeper clients in every run, as a scenario's `clients` section
    /// (`{"count": 5, "recipe": "lock"}`); the client-visible window is measured from their
    /// operations. None by default.
    #[serde(default)]
    pub clients: Clients,
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
