//! A run, as data: cluster size, protocol configuration, network and disk models, client
//! workload, fault schedule, duration and seed. The same structure is the JSON scenario
//! format (unknown fields are rejected) and what the fuzzer generates.

pub mod random;
pub mod strategies;
pub mod validate;

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
    /// Client writes.
    #[serde(default)]
    pub workload: Workload,
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

/// What a saved failure recorded about the run that found it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    /// Running hash of the original trace.
    pub trace_hash: String,
    /// The violation, as reported.
    #[serde(default)]
    pub violation: String,
    /// The command that found it.
    #[serde(default)]
    pub found_by: String,
}

/// Expectations of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Expect {
    /// The invariant the run must violate; absent: the run must violate nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<crate::check::Invariant>,
    /// A leader must be established within this many ms of the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_within_ms: Option<u64>,
    /// The server that must lead the first established epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_leader: Option<u8>,
}

impl Expect {
    /// Checks a finished run against the expectations; the error says what differed.
    pub fn check(&self, report: &crate::report::RunReport) -> Result<(), String> {
        match (&self.violation, &report.violation) {
            (None, Some(v)) => return Err(format!("expected no violation, got {v}")),
            (Some(want), None) => return Err(format!("expected a {want} violation, the run passed")),
            (Some(want), Some(got)) if *want != got.invariant => {
                return Err(format!("expected a {want} violation, got {got}"))
            }
            _ => {}
        }
        if let Some(within) = self.leader_within_ms {
            match report.leaders.first() {
                Some(l) if l.at_us <= within * 1000 => {}
                Some(l) => {
                    return Err(format!(
                        "expected a leader within {within} ms, the first was established at {}",
                        crate::format_time(l.at_us)
                    ))
                }
                None => return Err(format!("expected a leader within {within} ms, none was established")),
            }
        }
        if let Some(want) = self.first_leader {
            match report.leaders.first() {
                Some(l) if l.leader == want => {}
                Some(l) => return Err(format!("expected s{want} to lead first, s{} did", l.leader)),
                None => return Err(format!("expected s{want} to lead first, nobody led")),
            }
        }
        Ok(())
    }
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
            workload: Workload::default(),
            faults: Vec::new(),
            liveness: Liveness::default(),
            expect: Expect::default(),
            recorded: None,
        }
    }

    /// Time of the last scheduled fault, in ms (0 without faults).
    pub fn last_fault_ms(&self) -> u64 {
        self.faults.iter().map(|f| f.at_ms + f.fault.duration_ms()).max().unwrap_or(0)
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
    /// A LAN: 0.1 to 0.5 ms one way (ZAB_FLE_REFERENCE.md section 5.3).
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
    /// An SSD: 1 to 10 ms (ZAB_FLE_REFERENCE.md section 5.3).
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

/// A fault at a fixed virtual time. In JSON it is one flat object:
/// `{ "at_ms": 1000, "fault": "crash", "node": 3 }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTimedFault", into = "RawTimedFault")]
pub struct TimedFault {
    /// When, in virtual ms from the start.
    pub at_ms: u64,
    /// What.
    pub fault: Fault,
}

/// The flat JSON shape of a `TimedFault`: serde cannot combine a flattened tagged enum with
/// `deny_unknown_fields`, so the fields are listed once here and checked per kind.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimedFault {
    at_ms: u64,
    fault: FaultKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<Vec<u8>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    factor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chaos: Option<Chaos>,
}

/// The `fault` names of the scenario format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultKind {
    #[default]
    Crash,
    Restart,
    Partition,
    Cut,
    Heal,
    Pause,
    SlowFsync,
    Chaos,
    HealAll,
}

impl TryFrom<RawTimedFault> for TimedFault {
    type Error = String;

    fn try_from(raw: RawTimedFault) -> Result<Self, String> {
        let kind = raw.fault;
        let name = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let mut used: Vec<&str> = Vec::new();
        let mut need = |field: &'static str, present: bool| -> Result<(), String> {
            used.push(field);
            if present {
                Ok(())
            } else {
                Err(format!("a `{name}` fault needs the field `{field}`"))
            }
        };
        let fault = match kind {
            FaultKind::Crash => {
                need("node", raw.node.is_some())?;
                Fault::Crash { node: raw.node.unwrap_or_default() }
            }
            FaultKind::Restart => {
                need("node", raw.node.is_some())?;
                Fault::Restart { node: raw.node.unwrap_or_default() }
            }
            FaultKind::Partition => {
                need("groups", raw.groups.is_some())?;
                Fault::Partition { groups: raw.groups.clone().unwrap_or_default() }
            }
            FaultKind::Cut => {
                need("from", raw.from.is_some())?;
                need("to", raw.to.is_some())?;
                Fault::Cut { from: raw.from.unwrap_or_default(), to: raw.to.unwrap_or_default() }
            }
            FaultKind::Heal => Fault::Heal,
            FaultKind::Pause => {
                need("node", raw.node.is_some())?;
                need("duration_ms", raw.duration_ms.is_some())?;
                Fault::Pause { node: raw.node.unwrap_or_default(), duration_ms: raw.duration_ms.unwrap_or_default() }
            }
            FaultKind::SlowFsync => {
                need("node", raw.node.is_some())?;
                need("factor", raw.factor.is_some())?;
                need("duration_ms", raw.duration_ms.is_some())?;
                Fault::SlowFsync {
                    node: raw.node.unwrap_or_default(),
                    factor: raw.factor.unwrap_or_default(),
                    duration_ms: raw.duration_ms.unwrap_or_default(),
                }
            }
            FaultKind::Chaos => {
                need("chaos", raw.chaos.is_some())?;
                Fault::Chaos { chaos: raw.chaos.unwrap_or_default() }
            }
            FaultKind::HealAll => Fault::HealAll,
        };
        let present = [
            ("node", raw.node.is_some()),
            ("groups", raw.groups.is_some()),
            ("from", raw.from.is_some()),
            ("to", raw.to.is_some()),
            ("duration_ms", raw.duration_ms.is_some()),
            ("factor", raw.factor.is_some()),
            ("chaos", raw.chaos.is_some()),
        ];
        if let Some((field, _)) = present.iter().find(|(f, p)| *p && !used.contains(f)) {
            return Err(format!("the field `{field}` does not apply to a `{name}` fault"));
        }
        Ok(TimedFault { at_ms: raw.at_ms, fault })
    }
}

impl From<TimedFault> for RawTimedFault {
    fn from(t: TimedFault) -> Self {
        let mut raw = RawTimedFault { at_ms: t.at_ms, ..RawTimedFault::default() };
        match t.fault {
            Fault::Crash { node } => (raw.fault, raw.node) = (FaultKind::Crash, Some(node)),
            Fault::Restart { node } => (raw.fault, raw.node) = (FaultKind::Restart, Some(node)),
            Fault::Partition { groups } => (raw.fault, raw.groups) = (FaultKind::Partition, Some(groups)),
            Fault::Cut { from, to } => (raw.fault, raw.from, raw.to) = (FaultKind::Cut, Some(from), Some(to)),
            Fault::Heal => raw.fault = FaultKind::Heal,
            Fault::Pause { node, duration_ms } => {
                (raw.fault, raw.node, raw.duration_ms) = (FaultKind::Pause, Some(node), Some(duration_ms))
            }
            Fault::SlowFsync { node, factor, duration_ms } => {
                (raw.fault, raw.node, raw.factor, raw.duration_ms) =
                    (FaultKind::SlowFsync, Some(node), Some(factor), Some(duration_ms))
            }
            Fault::Chaos { chaos } => (raw.fault, raw.chaos) = (FaultKind::Chaos, Some(chaos)),
            Fault::HealAll => raw.fault = FaultKind::HealAll,
        }
        raw
    }
}

/// The faults zabsim injects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The process dies: volatile state and un-fsynced writes are lost, connections close.
    Crash {
        /// Server.
        node: u8,
    },
    /// A crashed server starts again from its durable state.
    Restart {
        /// Server.
        node: u8,
    },
    /// Split the servers into groups that cannot reach each other; the servers no group
    /// lists together form one more group.
    Partition {
        /// The groups.
        groups: Vec<Vec<u8>>,
    },
    /// Messages from `from` to `to` stop; the other direction still works.
    Cut {
        /// Sender side.
        from: u8,
        /// Receiver side.
        to: u8,
    },
    /// Every partition and cut ends.
    Heal,
    /// The process freezes: it reads nothing and its timers fire late, at the end.
    Pause {
        /// Server.
        node: u8,
        /// How long.
        duration_ms: u64,
    },
    /// Fsyncs of one server take `factor` times longer for a while.
    SlowFsync {
        /// Server.
        node: u8,
        /// Latency multiplier.
        factor: u32,
        /// How long.
        duration_ms: u64,
    },
    /// Switch chaos mode (message duplication, reordering, loss) to these settings.
    Chaos {
        /// The new chaos settings (all zero turns it off).
        chaos: Chaos,
    },
    /// End of the fault phase: heal, resume and restart everything.
    HealAll,
}

impl Fault {
    /// How long the fault lasts by itself (pauses and slow fsyncs end on their own).
    pub fn duration_ms(&self) -> u64 {
        match self {
            Fault::Pause { duration_ms, .. } | Fault::SlowFsync { duration_ms, .. } => *duration_ms,
            _ => 0,
        }
    }

    /// Short kind name, for coverage and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::Partition { .. } => "partition",
            Fault::Cut { .. } => "cut",
            Fault::Heal => "heal",
            Fault::Pause { .. } => "pause",
            Fault::SlowFsync { .. } => "slow_fsync",
            Fault::Chaos { .. } => "chaos",
            Fault::HealAll => "heal_all",
        }
    }

    /// One line for traces.
    pub fn describe(&self) -> String {
        match self {
            Fault::Crash { node } => format!("crash s{node}"),
            Fault::Restart { node } => format!("restart s{node}"),
            Fault::Partition { groups } => {
                let parts: Vec<String> =
                    groups.iter().map(|g| g.iter().map(|n| format!("s{n}")).collect::<Vec<_>>().join(",")).collect();
                format!("partition {{{}}}", parts.join("} | {"))
            }
            Fault::Cut { from, to } => format!("cut s{from}->s{to}"),
            Fault::Heal => "heal".to_string(),
            Fault::Pause { node, duration_ms } => format!("pause s{node} for {duration_ms} ms"),
            Fault::SlowFsync { node, factor, duration_ms } => {
                format!("slow fsync s{node} x{factor} for {duration_ms} ms")
            }
            Fault::Chaos { chaos } => {
                format!("chaos dup={} reorder={} drop={} ppm", chaos.duplicate_ppm, chaos.reorder_ppm, chaos.drop_ppm)
            }
            Fault::HealAll => "heal all".to_string(),
        }
    }
}
