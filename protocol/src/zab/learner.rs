//! The follower side: `Learner.connectToLeader`, `registerWithLeader` (discovery),
//! `syncWithLeader` (DIFF/TRUNC/SNAP up to UPTODATE) and `Follower.processPacket`
//! (broadcast).
//!
//! NEWLEADER persistence follows ZooKeeper 3.9.3+ (ZOOKEEPER-4394/4785): the txns already
//! known committed are appended and fsynced, then currentEpoch is written, then NEWLEADER is
//! acknowledged; proposals not yet committed go through the normal log-then-ACK pipeline after
//! UPTODATE. The `zk-4646` variant restores the 3.8.0-3.8.4 order, where the ACK leaves before
//! the synced txns are on disk; `zk-4643` only the order of the two writes (currentEpoch before
//! the txns), with the ACK still after both.

use crate::ids::{Epoch, NodeId, Zxid};
use crate::io::{DiskWrite, LeaveReason, NetCmd, Observation, SyncMode, TimerKind, Work, ZabPhase};
use crate::message::{Message, QuorumPacket, Txn};
use crate::node::{Cx, Node, Role};
use std::collections::VecDeque;
use std::sync::Arc;

/// Where the learner is in its conversation with the leader.
#[derive(Clone, Debug)]
pub(crate) enum Stage {
    /// `makeFollower` and `followLeader` before `connectToLeader` (`Work::FollowerSetup`).
    SettingUp,
    /// Connecting; `attempt` counts tries (`connectToLeader` makes 5, 100 ms apart).
    Connecting { attempt: u32, since_us: u64 },
    /// FOLLOWERINFO sent; waiting for LEADERINFO.
    AwaitLeaderInfo,
    /// ACKEPOCH sent; waiting for DIFF, TRUNC or SNAP.
    AwaitSyncMode { epoch: Epoch },
    /// Receiving the initial history until UPTODATE.
    Syncing(Box<SyncState>),
    /// BROADCAST.
    Serving { epoch: Epoch },
}

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

/// State of `Follower.followLeader()`.
#[derive(Clone, Debug)]
pub struct Learner {
    /// The leader followed.
    pub leader: NodeId,
    pub(crate) stage: Stage,
    /// Logged proposals awaiting COMMIT (`FollowerZooKeeperServer.pendingTxns`).
    pub(crate) pending_txns: VecDeque<Zxid>,
}

impl Learner {
    pub(crate) fn is_serving(&self) -> bool {
        matches!(self.stage, Stage::Serving { .. })
    }

    /// A SNAP sync not yet past NEWLEADER (`QuorumPeer.SyncMode.SNAP` until then).
    pub(crate) fn snap_sync_unfinished(&self) -> bool {
        matches!(&self.stage, Stage::Syncing(sync) if sync.mode == SyncMode::Snap && !sync.got_newleader)
    }

    /// In the 3.8 order, between the currentEpoch write and the NEWLEADER ACK, with synced
    /// txns still to be logged after the startup.
    pub(crate) fn synced_txns_deferred(&self) -> bool {
        matches!(&self.stage, Stage::Syncing(sync) if sync.starting_up && !sync.synced_after_startup.is_empty())
    }

    /// UPTODATE acknowledged, the startup before BROADCAST still running.
    pub(crate) fn acknowledged_uptodate(&self) -> bool {
        matches!(&self.stage, Stage::Syncing(sync) if sync.got_uptodate)
    }

    /// The epoch followed in BROADCAST.
    pub(crate) fn serving_epoch(&self) -> Option<Epoch> {
        match self.stage {
            Stage::Serving { epoch } => Some(epoch),
            _ => None,
        }
    }

    pub(crate) fn phase(&self) -> ZabPhase {
        match self.stage {
            Stage::SettingUp | Stage::Connecting { .. } | Stage::AwaitLeaderInfo | Stage::AwaitSyncMode { .. } => {
                ZabPhase::Discovery
            }
            Stage::Syncing(_) => ZabPhase::Synchronization,
            Stage::Serving { .. } => ZabPhase::Broadcast,
        }
    }
}

impl Node {
    fn learner(&mut self) -> &mut Learner {
        match &mut self.role {
            Role::Following(l) => l,
            _ => unreachable!("{}: learner handler outside FOLLOWING", self.id),
        }
    }

    /// `makeFollower`, then `followLeader` (`Work::FollowerSetup`).
    pub(crate) fn start_following(&mut self, cx: &mut Cx<'_>, leader: NodeId) {
        self.role =
            Role::Following(Box::new(Learner { leader, stage: Stage::SettingUp, pending_txns: VecDeque::new() }));
        cx.out.work = Some(Work::FollowerSetup);
    }

    /// The learner's `Work` is over: the set-up (`connectToLeader` next, whose initLimit
    /// budget starts now) or the startup during the sync.
    pub(crate) fn learner_on_work_done(&mut self, cx: &mut Cx<'_>) {
        let now_us = cx.now_us;
        let learner = self.learner();
        let leader = learner.leader;
        match std::mem::replace(&mut learner.stage, Stage::AwaitLeaderInfo) {
            Stage::SettingUp => {
                learner.stage = Stage::Connecting { attempt: 1, since_us: now_us };
                cx.out.net.push(NetCmd::Connect(leader));
            }
            Stage::Syncing(sync) if sync.starting_up => self.learner_on_startup_done(cx, leader, sync),
            other => learner.stage = other,
        }
    }

    pub(crate) fn learner_on_connect_failed(&mut self, cx: &mut Cx<'_>, peer: NodeId) {
        let attempts = self.config.leader_connect_attempts;
        let delay_us = self.config.leader_connect_delay_ms as u64 * 1000;
        let limit_us = self.config.init_limit_us();
        let now = cx.now_us;
        let learner = self.learner();
        let Stage::Connecting { attempt, since_us } = learner.stage else { return };
        if peer != learner.leader {
            return;
        }
        if attempt >= attempts || now + delay_us >= since_us + limit_us {
            self.leave(cx, LeaveReason::LeaderUnreachable);
            return;
        }
        learner.stage = Stage::Connecting { attempt: attempt + 1, since_us };
        self.set_timer(cx, TimerKind::ConnectRetry, delay_us);
    }

    pub(crate) fn learner_on_connect_retry(&mut self, cx: &mut Cx<'_>) {
        let learner = self.learner();
        if let Stage::Connecting { .. } = learner.stage {
            let leader = learner.leader;
            cx.out.net.push(NetCmd::Connect(leader));
        }
    }

    /// Connected: `registerWithLeader` sends FOLLOWERINFO with our acceptedEpoch.
    pub(crate) fn learner_on_connected(&mut self, cx: &mut Cx<'_>, peer: NodeId) {
        let accepted_epoch = self.disk.accepted_epoch;
        let learner = self.learner();
        if peer != learner.leader || !matches!(learner.stage, Stage::Connecting { .. }) {
            cx.out.net.push(NetCmd::Close(peer));
            return;
        }
        learner.stage = Stage::AwaitLeaderInfo;
        self.send(cx, peer, Message::Quorum(QuorumPacket::FollowerInfo { accepted_epoch }));
        self.set_timer(cx, TimerKind::LearnerRead, self.config.init_limit_us());
    }

    pub(crate) fn learner_on_disconnected(&mut self, cx: &mut Cx<'_>, peer: NodeId) {
        if peer == self.learner().leader {
            self.leave(cx, LeaveReason::LeaderConnectionLost);
        }
    }

    pub(crate) fn learner_on_packet(&mut self, cx: &mut Cx<'_>, from: NodeId, packet: QuorumPacket) {
        if from != self.learner().leader {
            return;
        }
        // Every packet from the leader resets the socket read timeout.
        let read_timeout_us = match self.learner().stage {
            Stage::Serving { .. } => self.config.sync_limit_us(),
            Stage::Syncing(ref s) if s.got_newleader => self.config.sync_limit_us(),
            _ => self.config.init_limit_us(),
        };
        self.set_timer(cx, TimerKind::LearnerRead, read_timeout_us);
        let stage = std::mem::replace(&mut self.learner().stage, Stage::AwaitLeaderInfo);
        match (stage, packet) {
            (Stage::AwaitLeaderInfo, QuorumPacket::LeaderInfo { epoch }) => self.on_leader_info(cx, from, epoch),
            (Stage::AwaitSyncMode { epoch }, first) => self.on_sync_start(cx, epoch, first),
            (Stage::Syncing(sync), packet) => self.on_sync_packet(cx, from, sync, packet),
            (Stage::Serving { epoch }, packet) => {
                self.learner().stage = Stage::Serving { epoch };
                self.on_broadcast_packet(cx, from, packet);
            }
            (stage, packet) => {
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("learner {} got {packet} in {}", self.id, stage_name(&stage)),
                });
                self.learner().stage = stage;
                self.leave(cx, LeaveReason::ProtocolError);
            }
        }
    }

    /// `registerWithLeader`: promise the new epoch, persisting it before the ACKEPOCH leaves.
    fn on_leader_info(&mut self, cx: &mut Cx<'_>, leader: NodeId, epoch: Epoch) {
        let accepted = self.disk.accepted_epoch;
        // getLastLoggedZxid: the database's lastProcessedZxid (lags the log under zk-2845).
        let last_zxid = self.db.last_processed_zxid();
        if !self.keeps_epoch_files() {
            // ZOOKEEPER-335 restored (`Follower.followLeader`, 3.3): only a leader whose epoch
            // is below that of our own last zxid is refused; nothing is promised on disk.
            if epoch < last_zxid.epoch {
                self.leave(cx, LeaveReason::StaleLeaderEpoch);
                return;
            }
            self.learner().stage = Stage::AwaitSyncMode { epoch };
            let ack = QuorumPacket::AckEpoch { current_epoch: Some(self.disk.current_epoch), last_zxid };
            self.send(cx, leader, Message::Quorum(ack));
            return;
        }
        if epoch < accepted {
            self.leave(cx, LeaveReason::StaleLeaderEpoch);
            return;
        }
        let current_epoch = if epoch > accepted {
            self.write(cx, DiskWrite::AcceptedEpoch(epoch));
            Some(self.disk.current_epoch)
        } else {
            // Already promised this epoch number (to this leader or another): an ACKEPOCH the
            // leader will not count.
            None
        };
        self.learner().stage = Stage::AwaitSyncMode { epoch };
        let ack = QuorumPacket::AckEpoch { current_epoch, last_zxid };
        self.send_after_writes(cx, leader, Message::Quorum(ack));
    }

    /// First packet of `syncWithLeader`: DIFF, TRUNC or SNAP.
    fn on_sync_start(&mut self, cx: &mut Cx<'_>, epoch: Epoch, first: QuorumPacket) {
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

    fn on_sync_packet(&mut self, cx: &mut Cx<'_>, leader: NodeId, mut sync: Box<SyncState>, packet: QuorumPacket) {
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
    fn learner_on_startup_done(&mut self, cx: &mut Cx<'_>, leader: NodeId, mut sync: Box<SyncState>) {
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

    /// PROPOSAL/COMMIT/PING in BROADCAST (`Follower.processPacket`).
    fn on_broadcast_packet(&mut self, cx: &mut Cx<'_>, leader: NodeId, packet: QuorumPacket) {
        match packet {
            QuorumPacket::Proposal { txn } => self.log_proposal(cx, leader, txn),
            QuorumPacket::Commit { zxid } => self.commit_pending(cx, zxid),
            QuorumPacket::Ping { .. } => {
                let touched = self.take_touched_sessions();
                self.send(cx, leader, Message::Quorum(QuorumPacket::Ping { zxid: Zxid::ZERO, touched }))
            }
            QuorumPacket::Sync => self.learner_on_sync(cx),
            QuorumPacket::RevalidateAnswer { session, valid } => self.finish_session_revalidate(cx, session, valid),
            other => {
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("follower {} got {other} in BROADCAST", self.id),
                });
                self.leave(cx, LeaveReason::ProtocolError);
            }
        }
    }

    /// SyncRequestProcessor + SendAckRequestProcessor: append, and ACK once durable.
    fn log_proposal(&mut self, cx: &mut Cx<'_>, leader: NodeId, txn: Txn) {
        // Follower.processPacket only warns when a proposal is not lastQueued + 1 and logs it
        // anyway; the checker's log-order invariant then names the problem.
        let zxid = txn.zxid;
        self.write(cx, DiskWrite::Append(txn));
        self.learner().pending_txns.push_back(zxid);
        self.send_after_writes(cx, leader, Message::Quorum(QuorumPacket::Ack { zxid }));
    }

    /// `FollowerZooKeeperServer.commit`: the head of pendingTxns must be the committed zxid.
    fn commit_pending(&mut self, cx: &mut Cx<'_>, zxid: Zxid) {
        let learner = self.learner();
        match learner.pending_txns.front() {
            None => {}
            Some(head) if *head == zxid => {
                learner.pending_txns.pop_front();
                // FinalRequestProcessor applies the committed txn to the database.
                if let Ok(i) = Txn::find_in(&self.disk.log, zxid) {
                    let txn = self.disk.log[i].clone();
                    let applied = self.db.apply(txn.clone());
                    self.serve_applied(cx, &txn, applied);
                }
                self.deliver_applied(cx);
            }
            Some(head) => {
                // UNMATCHED_TXN_COMMIT: ZooKeeper exits the process.
                let head = *head;
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("follower {} got COMMIT {zxid} but next pending is {head}", self.id),
                });
                self.leave(cx, LeaveReason::ProtocolError);
            }
        }
    }
}

fn stage_name(stage: &Stage) -> &'static str {
    match stage {
        Stage::SettingUp => "setting up",
        Stage::Connecting { .. } => "connecting",
        Stage::AwaitLeaderInfo => "awaiting LEADERINFO",
        Stage::AwaitSyncMode { .. } => "awaiting DIFF/TRUNC/SNAP",
        Stage::Syncing(_) => "sync",
        Stage::Serving { .. } => "BROADCAST",
    }
}
