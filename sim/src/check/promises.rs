//! Promises made by messages, checked at the moment the message leaves, against exactly the
//! writes each one promises:
//! - a counted ACKEPOCH, and a leader's LEADERINFO, promise that acceptedEpoch is durable
//!   (`Learner.registerWithLeader` writes it before replying; `Leader.getEpochToPropose`
//!   before any handler sends LEADERINFO, ZOOKEEPER-1291): AcceptedEpochDurability;
//! - a proposal ACK promises that its txn is durable (`Follower` logs through
//!   `SyncRequestProcessor`, and `SendAckRequestProcessor` acks after the flush):
//!   CommittedDurability, since the leader counts it towards a commit;
//! - the NEWLEADER ACK promises the synced history and currentEpoch = e (`Learner.syncWithLeader`,
//!   ZOOKEEPER-4646/4643/1282): CommittedDurability;
//! - a durable currentEpoch = e is itself a promise, made to every later election through the
//!   vote's peerEpoch, that the history synced for e is durable: the fsync that makes the
//!   NEWLEADER step's currentEpoch durable must cover the log writes that history takes, in
//!   that step or, before the NEWLEADER ACK, a later one (the 3.8.0-3.8.4 learner logs them
//!   after its startup work) (ZOOKEEPER-4643; Zab adopts the epoch and its history together):
//!   CommittedDurability.
//!
//! The checker sees each step before its messages leave, so it notes there which writes of
//! the server's process (by `WriteId`) each promise-bearing message covers; at departure it
//! looks only at those in the sender's queue of writes not yet durable. Write ids count per
//! process lifetime: a step whose first write id is below the ledger's next one belongs to a
//! restarted process, and the ledger starts over.

use super::*;
use zabsim_protocol::{QuorumPacket, ServerState, ZabPhase};

/// What one message promises durable, by write id of its sender's process.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Covers {
    /// The acceptedEpoch write (counted ACKEPOCH, LEADERINFO).
    AcceptedEpoch(WriteId),
    /// The append of the acknowledged txn.
    Txn(Zxid, WriteId),
    /// Every log write up to `log_through` and the currentEpoch write (NEWLEADER ACK), which
    /// the sender holds until `gate` is durable.
    History { epoch: Epoch, log_through: Option<WriteId>, epoch_write: Option<WriteId>, gate: Option<WriteId> },
}

/// One server process's writes as far as promises need them, and its promise-bearing
/// messages that have not left yet.
#[derive(Clone, Debug, Default)]
pub(super) struct Ledger {
    /// Id the process's next write gets.
    next_write: WriteId,
    /// Latest acceptedEpoch write of this lifetime.
    accepted_write: Option<WriteId>,
    /// Latest currentEpoch write of this lifetime.
    epoch_write: Option<WriteId>,
    /// Latest log write (append, truncate, snapshot) of this lifetime.
    log_through: Option<WriteId>,
    /// zxid -> latest append of it in this lifetime, sorted by zxid. A Vec, not a map: a log
    /// grows at its end, so nearly every append is a push and every lookup a short search.
    appends: Vec<(Zxid, WriteId)>,
    /// Messages produced and not yet departed, with what each promises; held ones wait here.
    unsent: Vec<(NodeId, Message, Covers)>,
    /// A learner in SYNCHRONIZATION wrote currentEpoch and has not acknowledged NEWLEADER yet:
    /// (epoch, the currentEpoch write, whether synced txns are still to be logged). Log writes
    /// until the ACK belong to the history it adopts with that epoch (the 3.8.0-3.8.4 learner
    /// writes them after its startup work).
    open_adoption: Option<(Epoch, WriteId, bool)>,
    /// currentEpoch written before some of the history adopted with it: (epoch, the
    /// currentEpoch write, the last log write of that history so far).
    adoption: Option<(Epoch, WriteId, WriteId)>,
}

impl Ledger {
    /// Write `w` appended `zxid`; a zxid appended again (after a truncation) keeps the newer write.
    fn note_append(&mut self, zxid: Zxid, w: WriteId) {
        match self.appends.last() {
            Some(&(last, _)) if last >= zxid => match self.appends.binary_search_by_key(&zxid, |&(z, _)| z) {
                Ok(i) => self.appends[i].1 = w,
                Err(i) => self.appends.insert(i, (zxid, w)),
            },
            _ => self.appends.push((zxid, w)),
        }
    }

    /// The latest append of `zxid` in this lifetime. An ACK is nearly always for one of the
    /// last txns logged, so the newest few are looked at before a search of the whole log.
    fn append_of(&self, zxid: Zxid) -> Option<WriteId> {
        for &(z, w) in self.appends.iter().rev().take(8) {
            if z <= zxid {
                return (z == zxid).then_some(w);
            }
        }
        self.appends.binary_search_by_key(&zxid, |&(z, _)| z).ok().map(|i| self.appends[i].1)
    }
}

impl Checker {
    /// Server `id` took a step: note its writes, and what each promise-bearing message it
    /// produced covers. A NEWLEADER ACK must also come from a server whose currentEpoch is the
    /// acknowledged epoch (ZOOKEEPER-1282 set it only at UPTODATE).
    pub(super) fn note_promises(&mut self, id: NodeId, server: &Node, output: &Output) -> Result<(), Breach> {
        let ledger = &mut self.ledgers[id.index()];
        if output.first_write_id < ledger.next_write {
            *ledger = Ledger::default();
        }
        for (k, write) in output.writes.iter().enumerate() {
            let w = output.first_write_id + k as WriteId;
            match write {
                DiskWrite::AcceptedEpoch(_) => ledger.accepted_write = Some(w),
                DiskWrite::CurrentEpoch(_) => ledger.epoch_write = Some(w),
                DiskWrite::Append(txn) => {
                    ledger.note_append(txn.zxid, w);
                    ledger.log_through = Some(w);
                }
                DiskWrite::Truncate(_) | DiskWrite::Snapshot { .. } => ledger.log_through = Some(w),
            }
        }
        ledger.next_write = output.first_write_id + output.writes.len() as WriteId;
        let view = server.role_view();
        let adopting = view.state == ServerState::Following && view.phase == ZabPhase::Synchronization;
        let first = output.first_write_id;
        let epoch_write = output.writes.iter().position(|w| matches!(w, DiskWrite::CurrentEpoch(_)));
        let last_log = output
            .writes
            .iter()
            .rposition(|w| matches!(w, DiskWrite::Append(_) | DiskWrite::Truncate(_) | DiskWrite::Snapshot { .. }));
        if !adopting {
            // A learner that leaves with its synced txns unwritten keeps the window open: the
            // currentEpoch write may still become durable over the old history.
            ledger.open_adoption = ledger.open_adoption.filter(|&(_, _, deferred)| deferred);
        } else if let Some(e) = epoch_write {
            ledger.open_adoption = Some((server.current_epoch(), first + e as WriteId, server.synced_txns_deferred()));
        }
        if let (Some((epoch, epoch_write, _)), Some(l)) = (ledger.open_adoption, last_log) {
            if first + l as WriteId > epoch_write {
                ledger.adoption = Some((epoch, epoch_write, first + l as WriteId));
                ledger.open_adoption = Some((epoch, epoch_write, false));
            }
        }
        for send in &output.sends {
            let Message::Quorum(packet) = &send.msg else { continue };
            let covers = match packet {
                QuorumPacket::AckEpoch { current_epoch: Some(_), .. } | QuorumPacket::LeaderInfo { .. } => {
                    ledger.accepted_write.map(Covers::AcceptedEpoch)
                }
                QuorumPacket::Ack { zxid } if !zxid.is_epoch_marker() => {
                    ledger.append_of(*zxid).map(|w| Covers::Txn(*zxid, w))
                }
                // The ACK of NEWLEADER leaves from SYNCHRONIZATION; the one of UPTODATE, with
                // the same zxid, promises nothing (it leaves before the 3.9.3+ startup, still
                // in SYNCHRONIZATION, or from BROADCAST).
                QuorumPacket::Ack { zxid }
                    if view.state == ServerState::Following
                        && view.phase == ZabPhase::Synchronization
                        && !server.acknowledged_uptodate() =>
                {
                    // zk-335 keeps no currentEpoch file: the ACK promises the history only.
                    if server.keeps_epoch_files() && server.current_epoch() != zxid.epoch {
                        return Err(Breach::new(
                            Invariant::CommittedDurability,
                            vec![id.0],
                            format!(
                                "{id} acknowledged NEWLEADER {} with currentEpoch {}",
                                zxid.epoch,
                                server.current_epoch()
                            ),
                        ));
                    }
                    Some(Covers::History {
                        epoch: zxid.epoch,
                        log_through: ledger.log_through,
                        epoch_write: ledger.epoch_write,
                        gate: send.after_write,
                    })
                }
                _ => None,
            };
            if let Some(covers) = covers {
                if matches!(covers, Covers::History { .. }) {
                    ledger.open_adoption = None;
                }
                ledger.unsent.push((send.to, send.msg.clone(), covers));
            }
        }
        Ok(())
    }

    /// A message leaves `id`: if it carries a promise, the writes it covers must not be in
    /// `pending`, the sender's queue of writes not yet durable.
    pub(super) fn check_promise(
        &mut self,
        id: NodeId,
        to: NodeId,
        msg: &Message,
        pending: &VecDeque<(WriteId, DiskWrite)>,
    ) -> Result<(), Breach> {
        let ledger = &mut self.ledgers[id.index()];
        let covers = match msg {
            // A new connection: what was held for the old one to that peer never leaves
            // (ZooKeeper shuts that processor chain down with the socket).
            Message::Quorum(QuorumPacket::FollowerInfo { .. }) => {
                ledger.unsent.retain(|(t, _, _)| *t != to);
                return Ok(());
            }
            Message::Quorum(
                QuorumPacket::AckEpoch { .. } | QuorumPacket::LeaderInfo { .. } | QuorumPacket::Ack { .. },
            ) => {
                // Copies of one message to one peer leave in the order they were made.
                let Some(i) = ledger.unsent.iter().position(|(t, m, _)| *t == to && m == msg) else { return Ok(()) };
                let (_, _, covers) = ledger.unsent.remove(i);
                if let Message::Quorum(QuorumPacket::LeaderInfo { .. }) = msg {
                    ledger.unsent.retain(|(t, _, _)| *t != to);
                }
                covers
            }
            _ => return Ok(()),
        };
        let is_pending = |w: WriteId| pending.iter().find(|(p, _)| *p == w).map(|(_, write)| write);
        match covers {
            Covers::AcceptedEpoch(w) => {
                let rule = match msg {
                    Message::Quorum(QuorumPacket::LeaderInfo { .. }) => Rule::AcceptedEpochBeforeLeaderInfo,
                    _ => Rule::AcceptedEpochBeforeAckEpoch,
                };
                self.exercise(rule);
                match is_pending(w) {
                    None => Ok(()),
                    Some(write) => Err(Breach::new(
                        Invariant::AcceptedEpochDurability,
                        vec![id.0],
                        format!("{id} sent {msg} to {to} before w{w} {write} was durable"),
                    )),
                }
            }
            Covers::Txn(zxid, w) => {
                self.exercise(Rule::TxnBeforeAck);
                match is_pending(w) {
                    None => Ok(()),
                    Some(_) => Err(Breach::new(
                        Invariant::CommittedDurability,
                        vec![id.0],
                        format!("{id} acknowledged proposal {zxid} before its append w{w} was durable"),
                    )),
                }
            }
            Covers::History { epoch, log_through, epoch_write, .. } => {
                self.exercise(Rule::HistoryBeforeNewLeaderAck);
                let log_writes: Vec<String> = pending
                    .iter()
                    .filter(|(w, write)| {
                        log_through.is_some_and(|t| *w <= t)
                            && matches!(
                                write,
                                DiskWrite::Append(_) | DiskWrite::Truncate(_) | DiskWrite::Snapshot { .. }
                            )
                    })
                    .map(|(w, write)| format!("w{w} {write}"))
                    .collect();
                if let Some(first) = log_writes.first() {
                    return Err(Breach::new(
                        Invariant::CommittedDurability,
                        vec![id.0],
                        format!(
                            "{id} acknowledged NEWLEADER {epoch} before its synced history was durable ({} log writes pending, first {first})",
                            log_writes.len()
                        ),
                    ));
                }
                match epoch_write.and_then(|w| is_pending(w).map(|write| (w, write))) {
                    None => Ok(()),
                    Some((w, write)) => Err(Breach::new(
                        Invariant::CommittedDurability,
                        vec![id.0],
                        format!("{id} acknowledged NEWLEADER {epoch} before w{w} {write} was durable"),
                    )),
                }
            }
        }
    }

    /// An fsync of `id`'s disk made every write through `through` durable: a currentEpoch it
    /// covers must not leave the history adopted with it behind, nor synced txns the learner
    /// has yet to log (the 3.8.0-3.8.4 learner logs them after its startup work). When a NEWLEADER ACK that
    /// promises that history leaves now (ZOOKEEPER-4646 acks right after currentEpoch), its
    /// departure names the breach instead.
    pub(super) fn check_adoption(&mut self, id: NodeId, through: WriteId) -> Result<(), Breach> {
        let ledger = &mut self.ledgers[id.index()];
        if let Some((epoch, epoch_write, true)) = ledger.open_adoption {
            if through >= epoch_write {
                // The synced txns are not even written yet: a crash now leaves this epoch over
                // the old history.
                ledger.open_adoption = None;
                return Err(Breach::new(
                    Invariant::CommittedDurability,
                    vec![id.0],
                    format!(
                        "{id} made currentEpoch {epoch} (w{epoch_write}) durable before it logged the txns synced with it: a crash now leaves a vote of epoch {epoch} over an older history"
                    ),
                ));
            }
        }
        let Some((epoch, epoch_write, history_through)) = ledger.adoption else { return Ok(()) };
        if through >= history_through {
            ledger.adoption = None;
            return Ok(());
        }
        if through < epoch_write {
            return Ok(());
        }
        ledger.adoption = None;
        let acked_early = ledger.unsent.iter().any(|(_, _, c)| {
            matches!(c, Covers::History { epoch: e, gate, .. } if *e == epoch && gate.is_none_or(|g| g <= through))
        });
        if acked_early {
            return Ok(());
        }
        Err(Breach::new(
            Invariant::CommittedDurability,
            vec![id.0],
            format!(
                "{id} made currentEpoch {epoch} (w{epoch_write}) durable before the history it adopted with it (through w{history_through}): a crash now leaves a vote of epoch {epoch} over an older history"
            ),
        ))
    }
}
