//! The faults zabsim injects, and their flat JSON shape in the scenario format. `FaultKind` is
//! the closed list of their names: the scenario format, random schedules and the run's fault
//! counts all use it, so adding a fault is one variant plus what the compiler then asks for.

use super::target::{CrashPoint, PacketKind, WriteKind};
use super::Chaos;
use serde::{Deserialize, Serialize};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    write: Option<WriteKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<PacketKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restart_after_ms: Option<u64>,
}

/// The `fault` names of the scenario format, also the keys of a run's fault counts and
/// coverage. The serde and strum names are the same snake_case words.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FaultKind {
    /// `Fault::Crash`.
    #[default]
    Crash,
    /// `Fault::Restart`.
    Restart,
    /// `Fault::Partition`.
    Partition,
    /// `Fault::Cut`.
    Cut,
    /// `Fault::Heal`.
    Heal,
    /// `Fault::Pause`.
    Pause,
    /// `Fault::SlowFsync`.
    SlowFsync,
    /// `Fault::Chaos`.
    Chaos,
    /// `Fault::HealAll`.
    HealAll,
    /// `Fault::CrashAt` at a write (`CrashPoint::Write`).
    CrashAtWrite,
    /// `Fault::CrashAt` after a send (`CrashPoint::AfterSend`).
    CrashAfterSend,
    /// `Fault::CrashAt` on a receive (`CrashPoint::OnReceive`).
    CrashOnReceive,
}

impl FaultKind {
    /// The name in scenario files, fault counts and coverage (`slow_fsync`).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl TryFrom<RawTimedFault> for TimedFault {
    type Error = String;

    fn try_from(raw: RawTimedFault) -> Result<Self, String> {
        let kind = raw.fault;
        let name = kind.name();
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
            FaultKind::CrashAtWrite => {
                need("node", raw.node.is_some())?;
                need("write", raw.write.is_some())?;
                used.push("restart_after_ms");
                let point = CrashPoint::Write(raw.write.unwrap_or(WriteKind::Append));
                Fault::CrashAt { node: raw.node.unwrap_or_default(), point, restart_after_ms: raw.restart_after_ms }
            }
            FaultKind::CrashAfterSend | FaultKind::CrashOnReceive => {
                need("node", raw.node.is_some())?;
                need("message", raw.message.is_some())?;
                let packet = raw.message.unwrap_or(PacketKind::Ack);
                let point = match kind {
                    FaultKind::CrashAfterSend => CrashPoint::AfterSend(packet),
                    _ => CrashPoint::OnReceive(packet),
                };
                used.push("restart_after_ms");
                Fault::CrashAt { node: raw.node.unwrap_or_default(), point, restart_after_ms: raw.restart_after_ms }
            }
        };
        let present = [
            ("node", raw.node.is_some()),
            ("groups", raw.groups.is_some()),
            ("from", raw.from.is_some()),
            ("to", raw.to.is_some()),
            ("duration_ms", raw.duration_ms.is_some()),
            ("factor", raw.factor.is_some()),
            ("chaos", raw.chaos.is_some()),
            ("write", raw.write.is_some()),
            ("message", raw.message.is_some()),
            ("restart_after_ms", raw.restart_after_ms.is_some()),
        ];
        if let Some((field, _)) = present.iter().find(|(f, p)| *p && !used.contains(f)) {
            return Err(format!("the field `{field}` does not apply to a `{name}` fault"));
        }
        Ok(TimedFault { at_ms: raw.at_ms, fault })
    }
}

impl From<TimedFault> for RawTimedFault {
    fn from(t: TimedFault) -> Self {
        let mut raw = RawTimedFault { at_ms: t.at_ms, fault: t.fault.kind(), ..RawTimedFault::default() };
        match t.fault {
            Fault::Crash { node } | Fault::Restart { node } => raw.node = Some(node),
            Fault::Partition { groups } => raw.groups = Some(groups),
            Fault::Cut { from, to } => (raw.from, raw.to) = (Some(from), Some(to)),
            Fault::Pause { node, duration_ms } => (raw.node, raw.duration_ms) = (Some(node), Some(duration_ms)),
            Fault::SlowFsync { node, factor, duration_ms } => {
                (raw.node, raw.factor, raw.duration_ms) = (Some(node), Some(factor), Some(duration_ms))
            }
            Fault::Chaos { chaos } => raw.chaos = Some(chaos),
            Fault::CrashAt { node, point, restart_after_ms } => {
                (raw.node, raw.restart_after_ms) = (Some(node), restart_after_ms);
                match point {
                    CrashPoint::Write(w) => raw.write = Some(w),
                    CrashPoint::AfterSend(p) | CrashPoint::OnReceive(p) => raw.message = Some(p),
                }
            }
            Fault::Heal | Fault::HealAll => {}
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
    /// A targeted crash: armed now, the server crashes at the first `point` it reaches
    /// afterwards, once (it stays armed while the server is down; `heal_all` and the start of
    /// the liveness phase disarm it).
    CrashAt {
        /// Server.
        node: u8,
        /// Where in its work it dies.
        point: CrashPoint,
        /// If set, the server restarts this long after it was struck (while the fault phase
        /// lasts), as a process supervisor would restart it.
        restart_after_ms: Option<u64>,
    },
}

impl Fault {
    /// How long the fault lasts by itself (pauses and slow fsyncs end on their own).
    pub fn duration_ms(&self) -> u64 {
        match self {
            Fault::Pause { duration_ms, .. } | Fault::SlowFsync { duration_ms, .. } => *duration_ms,
            Fault::Crash { .. }
            | Fault::Restart { .. }
            | Fault::Partition { .. }
            | Fault::Cut { .. }
            | Fault::Heal
            | Fault::Chaos { .. }
            | Fault::HealAll
            | Fault::CrashAt { .. } => 0,
        }
    }

    /// Its kind, for coverage, reports and random schedules.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Crash { .. } => FaultKind::Crash,
            Fault::Restart { .. } => FaultKind::Restart,
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::Cut { .. } => FaultKind::Cut,
            Fault::Heal => FaultKind::Heal,
            Fault::Pause { .. } => FaultKind::Pause,
            Fault::SlowFsync { .. } => FaultKind::SlowFsync,
            Fault::Chaos { .. } => FaultKind::Chaos,
            Fault::HealAll => FaultKind::HealAll,
            Fault::CrashAt { point: CrashPoint::Write(_), .. } => FaultKind::CrashAtWrite,
            Fault::CrashAt { point: CrashPoint::AfterSend(_), .. } => FaultKind::CrashAfterSend,
            Fault::CrashAt { point: CrashPoint::OnReceive(_), .. } => FaultKind::CrashOnReceive,
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
            Fault::CrashAt { node, point, restart_after_ms } => {
                let restart = restart_after_ms.map_or(String::new(), |ms| format!(", restarting {ms} ms later"));
                format!("targeted crash s{node} {}{restart}", point.describe())
            }
        }
    }
}
