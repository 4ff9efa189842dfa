//! One server's disk: the durable state plus a queue of writes waiting for their fsync. An
//! fsync covers every write queued when it starts (group commit, like ZooKeeper's
//! SyncRequestProcessor); its completion is its own event, so a crash can fall between a write
//! being issued and it becoming durable. A crash drops the whole pending queue; epoch files
//! are replaced atomically, so they are either old or new, never torn.

use std::collections::VecDeque;
use zabsim_protocol::{DiskWrite, DurableState, WriteId};

/// Durable state and pending writes of one server.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// What survives a crash.
    pub durable: DurableState,
    /// Issued, not yet durable.
    pub pending: VecDeque<(WriteId, DiskWrite)>,
    /// The fsync in flight covers writes up to this id.
    pub fsync_in_flight: Option<WriteId>,
    /// Bumped on every crash, so completions of a dead process's fsyncs are ignored.
    pub incarnation: u32,
    /// Latency multiplier while a slow-fsync fault is active (1 = normal).
    pub slow_factor: u32,
}

impl Disk {
    /// A fresh, empty disk.
    pub fn new() -> Disk {
        Disk { slow_factor: 1, ..Disk::default() }
    }

    /// Queues a write.
    pub fn issue(&mut self, id: WriteId, write: DiskWrite) {
        self.pending.push_back((id, write));
    }

    /// If no fsync runs and writes are pending, starts one; returns the id it covers.
    pub fn start_fsync(&mut self) -> Option<WriteId> {
        if self.fsync_in_flight.is_some() {
            return None;
        }
        let through = self.pending.back()?.0;
        self.fsync_in_flight = Some(through);
        Some(through)
    }

    /// The fsync covering `through` completed: those writes are durable, in order. Returns
    /// them so the caller can check them.
    pub fn complete_fsync(&mut self, through: WriteId) -> Vec<DiskWrite> {
        self.fsync_in_flight = None;
        let mut done = Vec::new();
        while self.pending.front().is_some_and(|(id, _)| *id <= through) {
            let (_, write) = self.pending.pop_front().expect("checked");
            self.durable.apply(&write);
            done.push(write);
        }
        done
    }

    /// The process died: pending writes are lost, in-flight fsyncs will be ignored.
    pub fn crash(&mut self) {
        self.pending.clear();
        self.fsync_in_flight = None;
        self.incarnation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zabsim_protocol::{Epoch, Txn, Zxid};

    fn txn(c: u32) -> Txn {
        Txn::opaque(Zxid::new(Epoch(1), c), c as u64)
    }

    #[test]
    fn crash_between_append_and_fsync_loses_only_the_pending_tail() {
        let mut disk = Disk::new();
        disk.issue(0, DiskWrite::Append(txn(1)));
        let through = disk.start_fsync().unwrap();
        disk.issue(1, DiskWrite::Append(txn(2)));
        disk.complete_fsync(through);
        disk.crash();
        assert_eq!(disk.durable.log, vec![txn(1)]);
        assert!(disk.pending.is_empty());
    }
}
