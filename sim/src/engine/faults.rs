//! Faults as the scenario schedules them: crash, restart from the durable state, partitions
//! and one-way cuts, heal, pause (the kernel still accepts data; the process reads it on
//! resume), slow fsync, chaos and heal-all.

use super::*;
use zabsim_protocol::QuorumPacket;

impl Sim {
    pub(super) fn apply_fault(&mut self, i: usize) {
        let fault = self.scenario.faults[i].fault.clone();
        self.disturb();
        self.stats.note_fault(fault.kind());
        if !matches!(fault, Fault::CrashAt { .. }) {
            self.stats.fault_log.push((self.now_us, fault.describe()));
        }
        self.trace_fault(i);
        match fault {
            Fault::Crash { node } => self.crash(NodeId(node)),
            Fault::Restart { node } => self.restart(NodeId(node)),
            Fault::Partition { groups } => {
                let mut group_of = vec![usize::MAX; self.n + 1];
                for (g, members) in groups.iter().enumerate() {
                    for m in members {
                        group_of[*m as usize] = g;
                    }
                }
                for a in self.ensemble.members() {
                    for b in self.ensemble.members() {
                        if a != b && group_of[a.index()] != group_of[b.index()] {
                            self.network.set_cut(a, b, true);
                        }
                    }
                }
            }
            Fault::Cut { from, to } => self.network.set_cut(NodeId(from), NodeId(to), true),
            Fault::Heal => self.heal(),
            Fault::Pause { node, duration_ms } => {
                let id = NodeId(node);
                if self.nodes[id.index()].is_some() {
                    self.paused[id.index()] = true;
                    self.queue.push(self.now_us + duration_ms * 1000, Event::FaultEnd(i));
                }
            }
            Fault::SlowFsync { node, factor, duration_ms } => {
                self.disks[node as usize].slow_factor = factor.max(1);
                self.queue.push(self.now_us + duration_ms * 1000, Event::FaultEnd(i));
            }
            Fault::Chaos { chaos } => {
                self.chaos_ever |= chaos.is_on();
                self.network.set_chaos(chaos)
            }
            Fault::CrashAt { node, point, .. } => self.arm_target(NodeId(node), i, point),
            Fault::HealAll => {
                self.disarm_all_targets();
                self.heal();
                let members: Vec<NodeId> = self.ensemble.members().collect();
                for id in &members {
                    self.resume(*id);
                    self.disks[id.index()].slow_factor = 1;
                }
                self.network.set_chaos(Default::default());
                for id in members {
                    // A server whose process has not started yet (start_ms) is not crashed.
                    let started = self.now_us >= self.scenario.start_of(id.0) * 1000;
                    if self.nodes[id.index()].is_none() && started {
                        self.restart(id);
                    }
                }
            }
        }
    }

    pub(super) fn end_fault(&mut self, i: usize) {
        self.disturb();
        match self.scenario.faults[i].fault {
            Fault::Pause { node, .. } => {
                self.stats.fault_log.push((self.now_us, format!("resume s{node}")));
                self.trace_note(crate::trace::Note::Resume { node }, format!("resume s{node}"));
                self.resume(NodeId(node));
            }
            Fault::SlowFsync { node, .. } => {
                self.stats.fault_log.push((self.now_us, format!("s{node} fsyncs at speed")));
                self.disks[node as usize].slow_factor = 1
            }
            // Instantaneous faults have no end: nothing schedules one.
            Fault::Crash { .. }
            | Fault::Restart { .. }
            | Fault::Partition { .. }
            | Fault::Cut { .. }
            | Fault::Heal
            | Fault::Chaos { .. }
            | Fault::HealAll => {}
            // The supervisor's restart, unless the fault phase is over (heal_all restarted it).
            Fault::CrashAt { node, .. } => {
                if self.stats.liveness_start_us.is_none() {
                    self.stats.fault_log.push((self.now_us, format!("restart s{node}")));
                    self.trace_note(
                        crate::trace::Note::Restart { node },
                        format!("restart s{node} (after its targeted crash)"),
                    );
                    self.restart(NodeId(node));
                }
            }
        }
    }

    pub(super) fn heal(&mut self) {
        for (at, from, to) in self.network.heal(self.now_us) {
            self.queue.push(at, Event::Drain { from, to });
        }
    }

    pub(super) fn resume(&mut self, id: NodeId) {
        if !self.paused[id.index()] {
            return;
        }
        self.paused[id.index()] = false;
        // What queued up while frozen is handled now, in arrival order: late timers included.
        for work in std::mem::take(&mut self.deferred[id.index()]) {
            if self.stop {
                break;
            }
            match work {
                Deferred::Input(input, tag) => self.deliver_tagged(id, input, tag),
                Deferred::Timer(kind, gen) => self.on_timer(id, kind, gen),
            }
        }
    }

    pub(super) fn crash(&mut self, id: NodeId) {
        if self.nodes[id.index()].take().is_none() {
            return;
        }
        self.disturb();
        self.cover_persistence_windows(id);
        self.disks[id.index()].crash();
        self.node_durable[id.index()] = None;
        self.held[id.index()].clear();
        self.timers[id.index()] = [TimerSlot::default(); TimerKind::COUNT];
        self.paused[id.index()] = false;
        self.deferred[id.index()].clear();
        self.forget_cpu(id);
        self.backlog.retain(|&(leader, learner, _)| leader != id && learner != id);
        // The kernel closes every socket of the dead process, even ones the process had not
        // accepted yet, once it has torn the process down (`costs.process_exit`): peers see the
        // connection end.
        for peer in self.ensemble.members() {
            self.app_conn[id.index() * (self.n + 1) + peer.index()] = 0;
        }
        let exit = self.scenario.costs.process_exit;
        let exit_us = self.costs_rng.between(exit.min_us, exit.max_us);
        for (peer, inc) in self.network.forget_process(id) {
            self.send_on_link_after(id, peer, inc, Payload::Fin, exit_us);
        }
        if let Some(watch) = self.checker.liveness.as_mut() {
            watch.forget(id);
        }
        self.break_client_connections(id);
        // Its clients lose their connection: their writes are answered with an error.
        let lost: Vec<u64> = (1..=self.stats.write_state.len() as u64)
            .filter(|v| self.stats.write_state[*v as usize - 1] == WriteState::Pending(id.0))
            .collect();
        for value in lost {
            self.stats.resolve(value, WriteState::Rejected);
        }
    }

    /// The windows between local persistence steps a crash of `id` now falls into.
    fn cover_persistence_windows(&mut self, id: NodeId) {
        let pending = &self.disks[id.index()].pending;
        let windows = [
            (
                Coverage::CrashBeforeAcceptedEpochDurable,
                pending.iter().any(|(_, w)| matches!(w, DiskWrite::AcceptedEpoch(_))),
            ),
            (
                Coverage::CrashBeforeCurrentEpochDurable,
                pending.iter().any(|(_, w)| matches!(w, DiskWrite::CurrentEpoch(_))),
            ),
            (Coverage::CrashBetweenAppendAndFsync, pending.iter().any(|(_, w)| matches!(w, DiskWrite::Append(_)))),
            (
                Coverage::CrashBeforeSnapshotDurable,
                pending.iter().any(|(_, w)| matches!(w, DiskWrite::Snapshot { .. })),
            ),
            (
                Coverage::CrashWithProposalAckHeld,
                self.held[id.index()].iter().any(
                    |(s, _)| matches!(s.msg, Message::Quorum(QuorumPacket::Ack { zxid }) if !zxid.is_epoch_marker()),
                ),
            ),
        ];
        for (window, hit) in windows {
            if hit {
                self.stats.cover(window);
            }
        }
    }

    pub(super) fn restart(&mut self, id: NodeId) {
        if self.nodes[id.index()].is_some() {
            return;
        }
        self.disturb();
        let durable = self.disks[id.index()].durable.clone();
        self.nodes[id.index()] = Some(Node::new(id, self.ensemble, self.scenario.protocol.clone(), durable));
        self.young[id.index()] = true;
        self.synced_a_learner[id.index()] = false;
        self.step(id, Input::Start);
    }
}
