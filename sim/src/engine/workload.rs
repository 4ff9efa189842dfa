//! Clients: writes submitted at the scenario's rate, to a chosen server, the leader or any.

use super::*;

impl Sim {
    pub(super) fn on_workload(&mut self) {
        let w = self.scenario.workload;
        if w.stop_ms > 0 && self.now_us > w.stop_ms * 1000 {
            return;
        }
        for _ in 0..w.burst.max(1) {
            let target = match w.target {
                WriteTarget::Any => NodeId(1 + self.workload_rng.below(self.n) as u8),
                WriteTarget::Server(s) => NodeId(s),
                WriteTarget::Leader => self
                    .ensemble
                    .members()
                    .find(|id| self.node(*id).is_some_and(|n| n.established_epoch().is_some()))
                    .unwrap_or(NodeId(1 + self.workload_rng.below(self.n) as u8)),
            };
            self.submit_write(target);
        }
        let mean_us = 1_000_000 / w.writes_per_sec.max(1) as u64;
        let next = self.now_us + self.workload_rng.between(1, 2 * mean_us);
        self.queue.push(next, Event::Workload);
    }

    /// Submits a client write to `node` now.
    pub fn submit_write(&mut self, node: NodeId) -> u64 {
        let value = self.next_value;
        self.next_value += 1;
        self.submit_times.push(self.now_us);
        self.stats.writes_submitted += 1;
        self.stats.write_state.push(WriteState::Pending(node.0));
        self.deliver_local(node, Input::ClientWrite { value });
        value
    }
}
