//! The committed history: one canonical sequence that grows only when an established leader
//! commits or establishes its epoch, with every proposal, commit, establishment, delivery and
//! client acknowledgement held against it.

use super::*;
use zabsim_protocol::Observation;

impl Checker {
    /// Checks what server `id` observed in one step; `delivered_before` is how many txns it
    /// had delivered before the step.
    pub(super) fn check_observations(
        &mut self,
        id: NodeId,
        node: &Node,
        observations: &[Observation],
        delivered_before: usize,
    ) -> Result<(), Breach> {
        let mut delivered_seen = 0usize;
        for obs in observations {
            match obs {
                Observation::Decided { vote, round, agreeing: Some(set) } => {
                    self.check_decision(id, *vote, *round, *set)?
                }
                Observation::Established { epoch, .. } => self.on_established(id, node, *epoch)?,
                Observation::Proposed { txn } => self.on_proposed(id, txn)?,
                Observation::Committed { zxid, .. } => self.on_committed(id, node, *zxid)?,
                Observation::Delivered { .. } => delivered_seen += 1,
                Observation::SyncChosen { learner, .. } => {
                    self.sync_decided_at[learner.index()] = self.committed.len();
                }
                Observation::ClientAcked { value, zxid } => {
                    let found = Txn::find_in(&self.committed, *zxid).ok();
                    if found.map(|i| self.committed[i].value) != Some(*value) {
                        return Err(Breach::new(
                            Invariant::AcknowledgedDurability,
                            vec![id.0],
                            format!("{id} acknowledged write {value} at {zxid}, which is not committed"),
                        ));
                    }
                }
                Observation::IllegalMessage { what } => {
                    return Err(Breach::new(Invariant::MessageLegality, vec![id.0], what.clone()));
                }
                _ => {}
            }
        }
        if delivered_seen > 0 {
            let delivered = node.delivered();
            let from = delivered_before.min(delivered.len());
            for (i, txn) in delivered.iter().enumerate().skip(from) {
                if self.committed.get(i) != Some(txn) {
                    let expected = match self.committed.get(i) {
                        Some(t) => format!("committed history has {t} there"),
                        None => format!("committed history has only {} txns", self.committed.len()),
                    };
                    return Err(Breach::new(
                        Invariant::PrefixConsistency,
                        vec![id.0],
                        format!("{id} delivered {txn} as txn #{}; {expected}", i + 1),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn on_established(&mut self, id: NodeId, node: &Node, epoch: Epoch) -> Result<(), Breach> {
        if let Some(other) = self.established.get(&epoch) {
            if *other != id {
                return Err(Breach::new(
                    Invariant::Leadership,
                    vec![other.0, id.0],
                    format!("{id} established {epoch}, which {other} had already established"),
                ));
            }
        }
        let newest = self.established.keys().next_back().copied();
        self.established.insert(epoch, id);
        // The leader's initial history is its in-memory database (what `syncFollower` sends),
        // not its log: under zk-2845 the log can hold an uncommitted txn the database lacks,
        // and under zk-790 proposals made before this moment.
        let history = node.history();
        // Zab orders leaders by epoch, not by time: an older epoch can complete its NEWLEADER
        // quorum after a newer one did (ZooKeeper keeps the NEWLEADER ACK of a learner that
        // has since moved on). Its history must still hold everything committed in earlier
        // epochs, and must not add anything the newer leaders lack.
        for (i, txn) in self.committed.iter().enumerate() {
            if self.committed_in[i] >= epoch {
                continue;
            }
            if history.get(i) != Some(txn) {
                return Err(Breach::new(
                    Invariant::LeaderCompleteness,
                    vec![id.0],
                    format!(
                        "{id} established {epoch} without {txn}, committed in {} (position {})",
                        self.committed_in[i],
                        i + 1
                    ),
                ));
            }
        }
        let shared = history.len().min(self.committed.len());
        if history[..shared] != self.committed[..shared] {
            let i = (0..shared).find(|i| history[*i] != self.committed[*i]).unwrap_or(0);
            return Err(Breach::new(
                Invariant::PrefixConsistency,
                vec![id.0],
                format!(
                    "{id} established {epoch} with {} where the committed history has {}",
                    history[i], self.committed[i]
                ),
            ));
        }
        if history.len() > self.committed.len() {
            if let Some(newest) = newest.filter(|n| *n > epoch) {
                let txn = &history[self.committed.len()];
                return Err(Breach::new(
                    Invariant::LeaderCompleteness,
                    vec![id.0],
                    format!("{id} established {epoch} committing {txn}, which the leader of the later {newest} lacks"),
                ));
            }
            for txn in &history[self.committed.len()..] {
                self.check_integrity(id, txn)?;
            }
            let added = history.len() - self.committed.len();
            self.committed.extend_from_slice(&history[self.committed.len()..]);
            self.committed_in.extend(std::iter::repeat_n(epoch, added));
        }
        Ok(())
    }

    pub(super) fn on_proposed(&mut self, id: NodeId, txn: &Txn) -> Result<(), Breach> {
        if self.established.get(&txn.zxid.epoch) != Some(&id) {
            return Err(Breach::new(
                Invariant::Integrity,
                vec![id.0],
                format!("{id} proposed {txn} without having established {}", txn.zxid.epoch),
            ));
        }
        if let Some((value, by)) = self.bindings.get(&txn.zxid) {
            if *value != txn.value {
                return Err(Breach::new(
                    Invariant::ZxidUniqueness,
                    vec![by.0, id.0],
                    format!("{id} proposed {txn} but {by} proposed {}={value}", txn.zxid),
                ));
            }
        }
        self.bindings.insert(txn.zxid, (txn.value, id));
        Ok(())
    }

    pub(super) fn on_committed(&mut self, id: NodeId, node: &Node, zxid: Zxid) -> Result<(), Breach> {
        let log = &node.disk_view().log;
        let Ok(pos) = Txn::find_in(log, zxid) else {
            return Err(Breach::new(
                Invariant::Integrity,
                vec![id.0],
                format!("{id} committed {zxid}, which it has not logged"),
            ));
        };
        let txn = log[pos].clone();
        match self.committed.last() {
            Some(last) if last.zxid >= zxid => {
                let known = Txn::find_in(&self.committed, zxid).ok();
                if known.map(|i| &self.committed[i]) != Some(&txn) {
                    return Err(Breach::new(
                        Invariant::PrefixConsistency,
                        vec![id.0],
                        format!("{id} committed {txn} behind the committed history's last txn {last}"),
                    ));
                }
            }
            _ => {
                self.check_integrity(id, &txn)?;
                self.committed.push(txn);
                self.committed_in.push(zxid.epoch);
            }
        }
        Ok(())
    }

    pub(super) fn check_integrity(&self, id: NodeId, txn: &Txn) -> Result<(), Breach> {
        match self.bindings.get(&txn.zxid) {
            Some((value, _)) if *value == txn.value => Ok(()),
            Some((value, by)) => Err(Breach::new(
                Invariant::ZxidUniqueness,
                vec![by.0, id.0],
                format!("{id} holds {txn} but {by} proposed {}={value}", txn.zxid),
            )),
            None => Err(Breach::new(
                Invariant::Integrity,
                vec![id.0],
                format!("{id} holds {txn}, which no leader proposed"),
            )),
        }
    }
}
