//! A run, as data: cluster size, protocol configuration, network and disk models, client
//! workload, fault schedule, duration and seed. The same structure is the JSON scenario
//! format (unknown fields are rejected) and what the fuzzer generates.

pub mod clients;
pub mod costs;
pub mod expect;
pub mod fault;
pub mod random;
pub mod strategies;
pub mod target;
pub mod validate;

pub use clients::{Clients, Recipe, Script, ScriptOp};
pub use costs::{ServerCosts, Span};
pub use expect::Expect;
pub use fault::{Fault, FaultKind, TimedFault};
pub use target::{CrashPoint, PacketKind, WriteKind};

use serde::{Deserialize, Serialize};
use zabsim_protocol::ProtocolConfig;

/// Everything that determines a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What story this scenario pins (free text, first thing a reader sees).
    #[serde(default)]
    pub description: String,
    /// Number of servers, 1..=255; ids are 1..=nodes.
    pub nodes: u8,
    /// The one seed every random stream derives from.
    #[serde(default)]
    pub seed: u64,
    /// Virtual run length in milliseconds (extended to fit the liveness bound).
    #[serde(default = "default_duration_ms")]
    pub duration_ms: u64,
    /// ZooKeeper timing and variant switches.
    #[serde(default)]
    pub protocol: ProtocolConfig,
    /// Message delays and chaos mode.
    #[serde(default)]
    pub network: NetworkModel,
    /// Fsync latency.
    #[serde(default)]
    pub disk: DiskModel,
    /// How long each server's own work takes (role shutdown, set-up, start-up).
    #[serde(default)]
    pub costs: ServerCosts,
    /// When each server's process starts, in ms, by id order (`[0, 120, 340]`); empty: all
    /// at 0. Real ensembles start their JVMs tens to hundreds of ms apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_ms: Vec<u64>,
    /// Client writes.
    #[serde(default)]
    pub workload: Workload,
    /// Simulated ZooKeeper clients with sessions, running a recipe; none by default.
    #[serde(default, skip_serializing_if = "Clients::is_off")]
    pub clients: Clients,
    /// Faults at fixed virtual times.
    #[serde(default)]
    pub faults: Vec<TimedFault>,
    /// The liveness requirement after the last fault.
    #[serde(default)]
    pub liveness: Liveness,
    /// What the run must show; checked by `zabsim run` (exit 1 when unmet) and the tests.
    #[serde(default)]
    pub expect: Expect,
    /// For a saved failure: what the original run recorded, so a replay can prove it is the
    /// same run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Recorded>,
}

/// What a saved failure recorded about the run that found it. A saved failure's `expect` is
/// the protocol's own promise (no violation), so `zabsim run` and `zabsim replay` fail (exit
/// 1) while the recorded violation still reproduces and pass once it is fixed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    /// Running hash of the original trace.
    pub trace_hash: String,
    /// The invariant the run broke (absent in failures saved before it was recorded: then
    /// the first word of `violation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariant: Option<crate::check::Invariant>,
    /// The violation, as reported.
    #[serde(default)]
    pub violation: String,
    /// The command that found it.
    #[serde(default)]
    pub found_by: String,
}

fn default_duration_ms() -> u64 {
    10_000
}

impl Scenario {
    /// A fault-free run of `nodes` servers with defaults everywhere else.
    pub fn new(nodes: u8, seed: u64) -> Scenario {
        Scenario {
            description: String::new(),
            nodes,
            seed,
            duration_ms: default_duration_ms(),
            protocol: ProtocolConfig::default(),
            network: NetworkModel::default(),
            disk: DiskModel::default(),
            costs: ServerCosts::default(),
            start_ms: Vec::new(),
            workload: Workload::default(),
            clients: Clients::default(),
            faults: Vec::new(),
            liveness: Liveness::default(),
            expect: Expect::default(),
            recorded: None,
        }
    }

    /// End of the fault phase, in ms: the last scheduled fault (with its duration) or the
    /// last server start, whichever is later (0 without either).
    pub fn last_fault_ms(&self) -> u64 {
        let faults = self.faults.iter().map(|f| f.at_ms + f.fault.duration_ms());
        faults.chain(self.start_ms.iter().copied()).max().unwrap_or(0)
    }

    /// When server `id` (1-based) starts, in ms.
    pub fn start_of(&self, id: u8) -> u64 {
        self.start_ms.get(id as usize - 1).copied().unwrap_or(0)
    }
}

/// One-way message delay: uniform in `[min_us, max_us]`, plus with probability `tail_ppm` an
/// extra uniform delay up to `tail_max_us` (a slow path, a GC pause on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delay {
    /// Smallest delay.
    pub min_us: u64,
    /// Largest regular delay.
    pub max_us: u64,
    /// Chance of a tail delay, parts per million.
    pub tail_ppm: u32,
    /// Largest extra tail delay.
    pub tail_max_us: u64,
}

impl Default for Delay {
    /// A LAN: 0.1 to 0.5 ms one way.
    fn default() -> Self {
        Delay { min_us: 100, max_us: 500, tail_ppm: 0, tail_max_us: 0 }
    }
}

/// A link with its own delay distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// Sender.
    pub from: u8,
    /// Receiver.
    pub to: u8,
    /// Delay on this link.
    pub delay: Delay,
}

/// The network: per-pair FIFO TCP connections with a delay distribution. Chaos mode breaks
/// TCP's guarantees on purpose, as a named assumption violation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkModel {
    /// Default delay of every link.
    pub delay: Delay,
    /// Per-link delays.
    pub overrides: Vec<LinkOverride>,
    /// Chaos from the start of the run (faults can switch it later).
    pub chaos: Chaos,
}

/// Message faults TCP would never produce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Chaos {
    /// Chance a message is delivered twice, ppm.
    pub duplicate_ppm: u32,
    /// Chance a message ignores FIFO order and takes up to `reorder_max_us` extra, ppm.
    pub reorder_ppm: u32,
    /// Extra delay of a reordered message.
    pub reorder_max_us: u64,
    /// Chance a message is silently lost on a live connection, ppm.
    pub drop_ppm: u32,
}

impl Chaos {
    /// Whether any chaos is on.
    pub fn is_on(&self) -> bool {
        self.duplicate_ppm > 0 || self.reorder_ppm > 0 || self.drop_ppm > 0
    }
}

/// Fsync latency, uniform in `[fsync_min_us, fsync_max_us]` (group commit: one fsync covers
/// every write queued when it starts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskModel {
    /// Fastest fsync.
    pub fsync_min_us: u64,
    /// Slowest fsync.
    pub fsync_max_us: u64,
}

impl Default for DiskModel {
    /// An SSD with a real fsync: 1 to 10 ms.
    fn default() -> Self {
        DiskModel { fsync_min_us: 1_000, fsync_max_us: 10_000 }
    }
}

/// Which server a client write goes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteTarget {
    /// A uniformly random server (followers forward to the leader).
    #[default]
    Any,
    /// Whichever server currently leads (clients that found the leader).
    Leader,
    /// Always this server.
    Server(u8),
}

/// Client writes: Poisson-like arrivals at `writes_per_sec`, optionally in bursts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workload {
    /// Mean arrival rate; 0 disables the workload.
    pub writes_per_sec: u32,
    /// Writes per arrival (1 when 0).
    pub burst: u32,
    /// Where writes go.
    pub target: WriteTarget,
    /// First write no earlier than this.
    pub start_ms: u64,
    /// No writes after this (0: until the end of the run).
    pub stop_ms: u64,
}

/// When the run must have converged after its faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Liveness {
    /// Whether to check liveness at all.
    pub check: bool,
    /// From the last fault (or the start), the ensemble must converge within this.
    pub within_ms: u64,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness { check: true, within_ms: 10_000 }
    }
}
