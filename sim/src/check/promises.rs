//! Promises made by messages, checked at the moment the message leaves: a NEWLEADER ACK
//! promises that the synced history it acknowledges is durable (CommittedDurability).

use super::*;

impl Checker {
    /// Server `id` took a step that wrote currentEpoch: in ZooKeeper only a learner handling
    /// NEWLEADER does that before it acknowledges (`Learner.syncWithLeader`), so its next ACK
    /// of that epoch promises every log write issued up to the end of this step, whatever
    /// order the step issued them in.
    pub(super) fn note_promise(&mut self, id: NodeId, output: &Output) {
        let epoch = output.writes.iter().rev().find_map(|w| match w {
            DiskWrite::CurrentEpoch(e) => Some(*e),
            _ => None,
        });
        if let Some(epoch) = epoch {
            let through = output.first_write_id + output.writes.len() as WriteId - 1;
            self.newleader_promises[id.index()] = Some((epoch, through));
        }
    }

    /// A message leaves `id`. The NEWLEADER ACK (the first ACK of the epoch's marker zxid after
    /// currentEpoch was written) promises that the synced history is durable, since the leader
    /// counts it towards committing the new epoch's initial history (ZOOKEEPER-4646 broke
    /// exactly this). The ACK a learner sends after UPTODATE carries the same zxid and
    /// promises nothing. `pending` is the sender's disk queue of writes not yet synced.
    pub(super) fn check_ack_promise(
        &mut self,
        id: NodeId,
        msg: &Message,
        pending: &VecDeque<(WriteId, DiskWrite)>,
    ) -> Result<(), Breach> {
        let Message::Quorum(zabsim_protocol::QuorumPacket::Ack { zxid }) = msg else { return Ok(()) };
        if !zxid.is_epoch_marker() {
            return Ok(());
        }
        let Some((epoch, through)) = self.newleader_promises[id.index()] else { return Ok(()) };
        if epoch != zxid.epoch {
            return Ok(());
        }
        self.newleader_promises[id.index()] = None;
        let log_writes: Vec<String> = pending
            .iter()
            .filter(|(w_id, w)| {
                *w_id <= through && matches!(w, DiskWrite::Append(_) | DiskWrite::Truncate(_) | DiskWrite::Snapshot(_))
            })
            .map(|(w_id, w)| format!("w{w_id} {w}"))
            .collect();
        match log_writes.first() {
            None => Ok(()),
            Some(first) => Err(Breach::new(
                Invariant::CommittedDurability,
                vec![id.0],
                format!(
                    "{id} acknowledged NEWLEADER {} before its synced history was durable ({} log writes pending, first {first})",
                    zxid.epoch,
                    log_writes.len()
                ),
            )),
        }
    }
}
