//! The learner's `syncWithLeader`: DIFF, TRUNC or SNAP, then NEWLEADER, then UPTODATE, with
//! the follower's own server startup where each version runs it.
//!
//! NEWLEADER persistence follows ZooKeeper 3.9.3+ (ZOOKEEPER-4394/4785): the txns already
//! known committed are appended and fsynced, then currentEpoch is written, then NEWLEADER is
//! acknowledged; proposals not yet committed go through the normal log-then-ACK pipeline after
//! UPTODATE. The `zk-4646` variant restores the 3.8.0-3.8.4 order, where the ACK leaves before
//! the synced txns are on disk; `zk-4643` only the order of the two writes (currentEpoch before
//! the txns), with the ACK still after both.

use super::Stage;
use crate::ids::{Epoch, NodeId, Zxid};
use crate::io::{DiskWrite, LeaveReason, Observation, SyncMode, TimerKind, Work};
use crate::message::{Message, QuorumPacket, Txn};
use crate::node::{Cx, Node, Role};
use std::collections::VecDeque;
use std::sync::Arc;

/// `syncWithLeader`'s locals.
#[derive(Clone, Debug)]
pub(crate) struct SyncState {
    pub(crate) epoch: Epoch,
    pub(crate) mode: SyncMode,
    /// SNAP and TRUNC rebuild the database in memory (commits before NEWLEADER are applied
    /// to it, not logged) and snapshot it at NEWLEADER; DIFF writes to the txn log directly.
    pub(crate) snapshot_needed: bool,
    /// `packetsNotLogged`.
    pub(crate) not_logged: VecDeque<Txn>,
    /// `packetsCommitted`.
    pub(crate) committed: VecDeque<Zxid>,
    /// Last proposal queued (`enforceContinuousProposal`, ZOOKEEPER-4925).
    pub(crate) last_queued: Option<Zxid>,
    pub(crate) got_newleader: bool,
    /// UPTODATE came and was acknowledged; the 3.9.3+ `zk.startup()` runs before BROADCAST.
    pub(crate) got_uptodate: bool,
    /// The follower's `Work::FollowerStartup` is running: the learner thread reads nothing
    /// until it ends. Packets that arrive meanwhile are taken as sync packets; after the
    /// 3.9.3+ UPTODATE ZooKeeper reads them later as broadcast packets instead, so it would
    /// answer a PING late (the model ignores it) and only warn at a gap in the proposals (the
    /// model leaves, as in a sync).
    pub(crate) starting_up: bool,
    /// 3.8.0-3.8.4 order: the synced txns `logRequest` hands to the log after the startup,
    /// right before the NEWLEADER ACK.
    pub(crate) synced_after_startup: Vec<Txn>,
}

impl Node {
    /// First packet of `syncWithLeader`: DIFF, TRUNC or SNAP.
    pub(super) fn on_sync_start(&mut self, cx: &mut Cx<'_>, epoch: Epoch, first: QuorumPacket) {
        let (mode, snapshot_needed) = match first {
            QuorumPacket::Diff { .. } => (SyncMode::Diff, false),
            QuorumPacket::Trunc { zxid } => {
                // ZKDatabase.truncateLog cuts the on-disk log at once and reloads from it;
                // the data tree then takes the TRUNC's zxid (Learner.syncWithLeader).
                self.write(cx, DiskWrite::Truncate(zxid));
                self.reload_database();
                self.db.set_last_processed_zxid(zxid);
                self.delivered = self.delivered.min(self.db.history().len());
                (SyncMode::Trunc, true)
            }
            QuorumPacket::Snap { history, zxid } => {
                // Learner.syncWithLeader: deserializeSnapshot clears the database and loads
                // the leader's, then the data tree takes the leader's lastProcessedZxid, all
                // on arrival; the snapshot reaches the disk only at NEWLEADER.
                self.db.replace(&history, zxid);
                self.delivered = self.delivered.min(self.db.history().len());
                (SyncMode::Snap, true)
            }
            other => {
                // ZooKeeper exits the process on an unexpected first sync packet.
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("learner {} got {other} as first sync packet", self.id),
                });
                self.leave(cx, LeaveReason::ProtocolError);
                return;
            }
        };
        self.learner().stage = Stage::Syncing(Box::new(SyncState {
            epoch,
            mode,
            snapshot_needed,
            not_logged: VecDeque::new(),
            committed: VecDeque::new(),
            last_queued: None,
            got_newleader: false,
            got_uptodate: false,
            starting_up: false,
            synced_after_startup: Vec::new(),
        }));
    }

    pub(super) fn on_sync_packet(
        &mut self,
        cx: &mut Cx<'_>,
        leader: NodeId,
        mut sync: Box<SyncState>,
        packet: QuorumPacket,
    ) {
        match packet {
            QuorumPacket::Proposal { txn } => {
                if let Some(last) = sync.last_queued {
                    let contiguous = txn.zxid == Zxid::new(last.epoch, last.counter + 1);
                    if !contiguous && txn.zxid.epoch <= last.epoch {
                        // ZOOKEEPER-4925: a hole in the synced history aborts the sync.
                        cx.out.observations.push(Observation::IllegalMessage {
                            what: format!("learner {} sync got {} after {last}", self.id, txn.zxid),
                        });
                        self.leave(cx, LeaveReason::ProtocolError);
                        return;
                    }
                }
                sync.last_queued = Some(txn.zxid);
                sync.not_logged.push_back(txn);
            }
            QuorumPacket::Commit { zxid } => {
                if sync.snapshot_needed && !sync.got_newleader {
                    // Before NEWLEADER in SNAP/TRUNC mode: zk.processTxn applies it to the
                    // database only; the snapshot at NEWLEADER makes it durable.
                    if sync.not_logged.front().is_some_and(|t| t.zxid == zxid) {
                        let txn = sync.not_logged.pop_front().expect("checked");
                        self.db.apply(txn);
                    }
                } else {
                    sync.committed.push_back(zxid);
                }
            }
            QuorumPacket::NewLeader { epoch } if epoch == sync.epoch && !sync.got_newleader => {
                self.on_newleader(cx, leader, &mut sync);
            }
            // The leader sends UPTODATE only after this learner's NEWLEADER ACK, which leaves
            // once the startup before it (3.8.0-3.8.4) is over.
            QuorumPacket::UpToDate if sync.got_newleader && !sync.got_uptodate && !sync.starting_up => {
                self.on_uptodate(cx, leader, sync);
                return;
            }
            // Pings during sync are not answered (Learner.syncWithLeader ignores them).
            QuorumPacket::Ping { .. } => {}
            other => {
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("learner {} got {other} during {} sync", self.id, sync.mode.name()),
                });
                self.leave(cx, LeaveReason::ProtocolError);
                return;
            }
        }
        self.learner().stage = Stage::Syncing(sync);
    }

    /// NEWLEADER: persist the initial history, then currentEpoch, then acknowledge.
    fn on_newleader(&mut self, cx: &mut Cx<'_>, leader: NodeId, sync: &mut SyncState) {
        sync.got_newleader = true;
        let epoch = sync.epoch;
        if sync.snapshot_needed {
            // zk.takeSnapshot: the database as the sync has built it.
            let history: Arc<[Txn]> = Arc::from(self.db.history());
            let zxid = self.db.last_processed_zxid();
            self.write(cx, DiskWrite::Snapshot { history, zxid });
        }
        let mut to_log = Vec::new();
        while let Some(zxid) = sync.committed.pop_front() {
            match sync.not_logged.front() {
                Some(t) if t.zxid == zxid => to_log.push(sync.not_logged.pop_front().expect("checked")),
                // Learner logs a warning and skips a commit without its proposal.
                _ => continue,
            }
        }
        if !self.keeps_epoch_files() {
            // zk-335: no currentEpoch file before 3.4; the ACK follows the synced txns.
            self.log_synced(cx, to_log);
            let ack = QuorumPacket::Ack { zxid: Zxid::epoch_marker(epoch) };
            self.send_after_writes(cx, leader, Message::Quorum(ack));
        } else if self.starts_before_newleader_ack() {
            // The 3.8.0-3.8.4 learner (Learner.syncWithLeader, 3.8.0 lines 749-769):
            // setCurrentEpoch, then `zk.startupWithoutServing()`, then the synced txns to the
            // log, then the ACK; `learner_on_startup_done` takes it from the startup on.
            // ZOOKEEPER-4643 is the currentEpoch write before the txns' (3.9.0-3.9.1 too).
            self.write(cx, DiskWrite::CurrentEpoch(epoch));
            sync.synced_after_startup = to_log;
            sync.starting_up = true;
            cx.out.work = Some(Work::FollowerStartup);
        } else {
            self.log_synced(cx, to_log);
            self.write(cx, DiskWrite::CurrentEpoch(epoch));
            let ack = QuorumPacket::Ack { zxid: Zxid::epoch_marker(epoch) };
            self.send_after_writes(cx, leader, Message::Quorum(ack));
        }
        self.set_timer(cx, TimerKind::LearnerRead, self.config.sync_limit_us());
    }

    /// Appends the synced txns known committed and applies them to the database
    /// (ZOOKEEPER-4785: logged, flushed and applied before the NEWLEADER ACK).
    fn log_synced(&mut self, cx: &mut Cx<'_>, txns: Vec<Txn>) {
        for txn in txns {
            self.write(cx, DiskWrite::Append(txn.clone()));
            self.db.apply(txn);
        }
    }

    /// `Work::FollowerStartup` is over. Before the NEWLEADER ACK (3.8.0-3.8.4): log the synced
    /// txns and acknowledge NEWLEADER, under ZOOKEEPER-4646 without waiting for those txns
    /// to be durable. After the UPTODATE ACK (3.9.3+): serve.
    pub(super) fn learner_on_startup_done(&mut self, cx: &mut Cx<'_>, leader: NodeId, mut sync: Box<SyncState>) {
        sync.starting_up = false;
        if sync.got_uptodate {
            self.start_serving(cx, leader, *sync);
            return;
        }
        let ack = Message::Quorum(QuorumPacket::Ack { zxid: Zxid::epoch_marker(sync.epoch) });
        let to_log = std::mem::take(&mut sync.synced_after_startup);
        if self.config.variants.zk_4646 {
            // ZOOKEEPER-4646: the ACK waits for currentEpoch only; the synced txns follow on
            // the asynchronous log path, so a crash can lose them after the ACK.
            self.send_after_writes(cx, leader, ack);
            self.log_synced(cx, to_log);
        } else {
            // ZOOKEEPER-4643 alone: the ACK still waits for both writes, as the ZOOKEEPER-4646
            // fix has it; what remains is a crash between them, which leaves a server whose
            // vote carries the new epoch over an old history.
            self.log_synced(cx, to_log);
            self.send_after_writes(cx, leader, ack);
        }
        self.learner().stage = Stage::Syncing(sync);
    }

    /// UPTODATE: acknowledge it. The 3.8.0-3.8.4 learner started its server before the
    /// NEWLEADER ACK and serves at once; from 3.9.3 `zk.startup()` runs first.
    fn on_uptodate(&mut self, cx: &mut Cx<'_>, leader: NodeId, mut sync: Box<SyncState>) {
        let epoch = sync.epoch;
        self.send(cx, leader, Message::Quorum(QuorumPacket::Ack { zxid: Zxid::epoch_marker(epoch) }));
        if self.starts_before_newleader_ack() {
            self.start_serving(cx, leader, *sync);
        } else {
            sync.got_uptodate = true;
            sync.starting_up = true;
            cx.out.work = Some(Work::FollowerStartup);
            self.learner().stage = Stage::Syncing(sync);
        }
    }

    /// Whether this learner runs its server's startup between NEWLEADER and its ACK (the
    /// 3.8.0-3.8.4 `syncWithLeader` that the `zk-4646` and `zk-4643` variants restore).
    fn starts_before_newleader_ack(&self) -> bool {
        self.keeps_epoch_files() && (self.config.variants.zk_4646 || self.config.variants.zk_4643)
    }

    /// The end of `syncWithLeader`: start serving, log the proposals still in flight, commit
    /// the ones known committed, and advertise the new epoch to LOOKING servers
    /// (`updateElectionVote`, ZOOKEEPER-1732).
    fn start_serving(&mut self, cx: &mut Cx<'_>, leader: NodeId, mut sync: SyncState) {
        let epoch = sync.epoch;
        if self.keeps_epoch_files() {
            self.current_vote.peer_epoch = epoch;
        }
        self.learner().stage = Stage::Serving { epoch };
        // The database holds the committed history now; deliver it. (Under zk-2845 a logged
        // txn the empty DIFF left in place is not in it: it waits for a restart's replay.)
        self.deliver_applied(cx);
        for txn in std::mem::take(&mut sync.not_logged) {
            self.log_proposal(cx, leader, txn);
        }
        for zxid in sync.committed {
            if !matches!(self.role, Role::Following(_)) {
                break; // a mismatched commit made us leave
            }
            self.commit_pending(cx, zxid);
        }
    }
}
