//! Targeted crashes (`Fault::CrashAt`): armed when their fault starts, they crash a server at
//! a point in its own work (a write of a kind, a message sent or received) rather than at a
//! time, so the windows between local persistence steps are hit on purpose. Each strikes once;
//! until then it stays armed across crashes and restarts of its server, until `heal_all` or the
//! start of the liveness phase disarms every one.

use super::*;
use crate::scenario::{CrashPoint, PacketKind, WriteKind};

impl Sim {
    pub(super) fn arm_target(&mut self, node: NodeId, fault: usize, point: CrashPoint) {
        self.armed[node.index()].push((fault, point));
    }

    pub(super) fn disarm_all_targets(&mut self) {
        self.armed.iter_mut().for_each(Vec::clear);
    }

    /// The armed fault, if any, that the step `id` just took reaches: one that handled a
    /// message of kind `received`, or issued `writes`.
    pub(super) fn target_reached_by_step(
        &self,
        id: NodeId,
        received: Option<PacketKind>,
        writes: &[DiskWrite],
    ) -> Option<usize> {
        self.armed[id.index()].iter().find_map(|(fault, point)| {
            let hit = match *point {
                CrashPoint::Write(kind) => writes.iter().any(|w| WriteKind::of(w) == kind),
                CrashPoint::OnReceive(kind) => received == Some(kind),
                CrashPoint::AfterSend(_) => false,
            };
            hit.then_some(*fault)
        })
    }

    /// After a message of `kind` from `from` was handed to its receiver: the armed fault it
    /// reaches, if any.
    pub(super) fn target_reached_by_arrival(&self, from: NodeId, kind: PacketKind) -> Option<usize> {
        self.armed[from.index()]
            .iter()
            .find_map(|(fault, point)| (*point == CrashPoint::AfterSend(kind)).then_some(*fault))
    }

    /// The targeted crash of scenario fault `fault` strikes `id` now.
    pub(super) fn fire_target(&mut self, id: NodeId, fault: usize) {
        self.armed[id.index()].retain(|(f, _)| *f != fault);
        self.stats.cover(Coverage::TargetedCrash);
        self.stats.fault_log.push((self.now_us, format!("crash s{} (targeted)", id.0)));
        if self.tracer.is_some() {
            let point = match &self.scenario.faults[fault].fault {
                Fault::CrashAt { point, .. } => point.describe(),
                other => unreachable!("fault {fault} armed a target but is {}", other.describe()),
            };
            let text = format!("targeted crash s{} reached: {point}", id.0);
            self.trace_note(crate::trace::Note::TargetedCrash { node: id.0, fault }, text);
        }
        self.crash(id);
        if let Fault::CrashAt { restart_after_ms: Some(ms), .. } = self.scenario.faults[fault].fault {
            self.queue.push(self.now_us + ms * 1000, Event::FaultEnd(fault));
        }
    }
}
