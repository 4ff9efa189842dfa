//! What disks hold: logs that only grow in zxid order, epoch files that never go back
//! (LocalMonotonicity), and committed txns that stay durable on a quorum (CommittedDurability).

use super::*;

impl Checker {
    /// Server `id` starts the run from `durable` (a scenario that begins with a history).
    pub fn preload_disk(&mut self, id: NodeId, durable: &DurableState) {
        for txn in &durable.log {
            self.preload(txn.clone());
        }
        self.durable_logs[id.index()] = durable.log.clone();
    }

    /// A server decided to truncate or replace its history (TRUNC, SNAP, or the snapshot at
    /// NEWLEADER). Zab's committed-durability, as its papers and the TLA+ specs use it: a txn
    /// is committed once a quorum holds it durably, and it must stay so, because quorum
    /// intersection is what carries it into every later established leader's history
    /// (LeaderCompleteness; Remix `committedLogDurability`, judged against one leader's view
    /// there). So a sync may cut a committed txn from one server only while a quorum of the
    /// others still holds it durably.
    ///
    /// Cutting is not itself the loss. A stale leader resuming from a long pause still runs
    /// `LearnerHandler.syncFollower` and TRUNCs a learner that joined it back to its own last
    /// committed zxid, though a newer epoch committed more meanwhile; the learner never
    /// promised that newer epoch (`Learner.registerWithLeader` would refuse the stale one), so
    /// the newer epoch's quorum still holds the txn.
    ///
    /// Judged against what was committed when the leader chose the sync: ZooKeeper's leader
    /// keeps the ACKs a learner sent before it restarted, so a txn can become committed,
    /// counting that learner, while the TRUNC that cuts it from that learner is in flight (it
    /// is re-sent right after). That window is ZooKeeper's behaviour, not a zabsim verdict;
    /// losing the txn for good still fails LeaderCompleteness or PrefixConsistency.
    pub(super) fn check_replace(&self, id: NodeId, durable: &[Txn], new_history: &[Txn]) -> Result<(), Breach> {
        debug_assert_eq!(durable, &self.durable_logs[id.index()][..], "{id}: the checker's copy of its disk");
        let held = durable
            .iter()
            .zip(&self.committed)
            .take_while(|(a, b)| a == b)
            .count()
            .min(self.sync_decided_at[id.index()]);
        let kept = new_history.iter().zip(&self.committed[..held]).take_while(|(a, b)| a == b).count();
        let quorum = self.n / 2 + 1;
        for txn in &self.committed[kept..held] {
            let holders: Vec<NodeId> = (1..=self.n as u8)
                .map(NodeId)
                .filter(|j| *j != id && holds(&self.durable_logs[j.index()], txn))
                .collect();
            if holders.len() < quorum {
                let names: Vec<String> = holders.iter().map(|j| j.to_string()).collect();
                return Err(Breach::new(
                    Invariant::CommittedDurability,
                    vec![id.0],
                    format!(
                        "{id} is cutting committed txn {txn} from its disk, which leaves it durable on [{}] only, \
                         not a quorum of {quorum}",
                        names.join(",")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Writes of server `id` became durable: check the log's order, that every logged txn was
    /// proposed as it is, and that the epoch files only grow. `last_before` is the server's
    /// last durable zxid before these writes; only what they add is looked at.
    pub(super) fn check_durable(
        &mut self,
        id: NodeId,
        last_before: Zxid,
        writes: &[DiskWrite],
        after: &DurableState,
    ) -> Result<(), Breach> {
        let mut last = last_before;
        let log = &mut self.durable_logs[id.index()];
        for write in writes {
            match write {
                DiskWrite::Append(txn) => log.push(txn.clone()),
                DiskWrite::Truncate(z) => log.truncate(log.partition_point(|t| t.zxid <= *z)),
                DiskWrite::Snapshot { history, .. } => *log = history.to_vec(),
                DiskWrite::AcceptedEpoch(_) | DiskWrite::CurrentEpoch(_) => {}
            }
        }
        debug_assert_eq!(self.durable_logs[id.index()], after.log, "{id}: the checker's copy of its disk");
        for write in writes {
            match write {
                DiskWrite::Append(txn) => {
                    self.check_integrity(id, txn)?;
                    // Strictly increasing, and without holes inside one epoch: a leader numbers
                    // its proposals consecutively (ZxidUtils, Leader.propose).
                    let hole = txn.zxid.epoch == last.epoch && txn.zxid.counter != last.counter + 1;
                    if txn.zxid <= last || (hole && last != Zxid::ZERO) {
                        return Err(Breach::new(
                            Invariant::LocalMonotonicity,
                            vec![id.0],
                            format!("{id} logged {} right after {last}", txn.zxid),
                        ));
                    }
                    last = txn.zxid;
                }
                DiskWrite::Truncate(z) => last = last.min(*z),
                DiskWrite::Snapshot { history, .. } => {
                    if let Some(w) = history.windows(2).find(|w| w[0].zxid >= w[1].zxid) {
                        return Err(Breach::new(
                            Invariant::LocalMonotonicity,
                            vec![id.0],
                            format!("{id}'s snapshot has {} before {}", w[0].zxid, w[1].zxid),
                        ));
                    }
                    last = history.last().map_or(Zxid::ZERO, |t| t.zxid);
                }
                _ => {}
            }
        }
        let (accepted, current) = (after.accepted_epoch, after.current_epoch);
        let (was_accepted, was_current) = self.epochs[id.index()];
        if accepted < current || accepted < was_accepted || current < was_current {
            return Err(Breach::new(
                Invariant::LocalMonotonicity,
                vec![id.0],
                format!(
                    "{id} epochs went from accepted={was_accepted} current={was_current} to accepted={accepted} current={current}"
                ),
            ));
        }
        self.epochs[id.index()] = (accepted, current);
        Ok(())
    }
}

/// Whether `log` (in zxid order) holds `txn`.
fn holds(log: &[Txn], txn: &Txn) -> bool {
    Txn::find_in(log, txn.zxid).is_ok_and(|i| log[i] == *txn)
}
