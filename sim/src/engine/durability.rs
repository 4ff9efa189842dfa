//! The disk as the engine drives it: fsyncs as their own events (group commit); a completion
//! is checked, then handed to the process as `WritesDurable` (delivery.rs releases the sends
//! held behind those writes).

use super::*;

impl Sim {
    pub(super) fn on_fsync(&mut self, node: NodeId, incarnation: u32, through: WriteId) {
        let disk = &mut self.disks[node.index()];
        if disk.incarnation != incarnation {
            return;
        }
        let last_before = disk.durable.last_zxid();
        let done = disk.complete_fsync(through);
        let durable = &self.disks[node.index()].durable;
        if let Err(breach) = self.checker.check(&Seen::Fsync { id: node, last_before, writes: &done, durable, through })
        {
            self.fail(breach);
            return;
        }
        self.start_fsync(node);
        self.deliver_local(node, Input::WritesDurable { through });
    }

    pub(super) fn start_fsync(&mut self, node: NodeId) {
        let disk = &mut self.disks[node.index()];
        if let Some(through) = disk.start_fsync() {
            let model = self.scenario.disk;
            let latency = self.disk_rng.between(model.fsync_min_us, model.fsync_max_us) * disk.slow_factor as u64;
            let incarnation = disk.incarnation;
            if disk.slow_factor > 1 {
                // A slowed fsync stalls its disk until it completes, fault over or not.
                self.calm_since_us = self.calm_since_us.max(self.now_us + latency);
            }
            self.queue.push(self.now_us + latency, Event::Fsync { node, incarnation, through });
        }
    }
}
