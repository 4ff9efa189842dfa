//! What disks hold: logs that only grow in zxid order, epoch files that never go back
//! (LocalMonotonicity), and committed txns never cut from a disk that holds them
//! (CommittedDurability).

use super::*;

impl Checker {
    /// A server decided to truncate or replace its history (TRUNC, SNAP, or the snapshot at
    /// NEWLEADER): every committed txn it holds durably must survive in the new history
    /// (Zab's committed-durability; the TLA+ specs' `committedLogDurability`). Judged when the decision is made, against
    /// what was committed when the leader chose the sync: ZooKeeper's leader keeps the ACKs a
    /// learner sent before it restarted, so a txn can become committed while the TRUNC that
    /// cuts it from that learner is in flight (it is re-sent right after). That window is
    /// ZooKeeper's behaviour, not a zabsim verdict; losing the txn for good still fails
    /// LeaderCompleteness or PrefixConsistency.
    pub(super) fn check_replace(&self, id: NodeId, durable: &[Txn], new_history: &[Txn]) -> Result<(), Breach> {
        let held = durable
            .iter()
            .zip(&self.committed)
            .take_while(|(a, b)| a == b)
            .count()
            .min(self.sync_decided_at[id.index()]);
        if new_history.get(..held) == Some(&self.committed[..held]) {
            return Ok(());
        }
        let lost =
            self.committed[..held].iter().find(|t| !new_history.contains(t)).copied().unwrap_or(self.committed[0]);
        Err(Breach::new(
            Invariant::CommittedDurability,
            vec![id.0],
            format!("{id} is cutting committed txn {lost} from its disk"),
        ))
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
        for write in writes {
            match write {
                DiskWrite::Append(txn) => {
                    self.check_integrity(id, *txn)?;
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
                DiskWrite::Snapshot(history) => {
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
