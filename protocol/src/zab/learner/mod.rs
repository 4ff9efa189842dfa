//! The follower side: `Learner.connectToLeader`, `registerWithLeader` (discovery) and
//! `Follower.processPacket` (broadcast); `syncWithLeader` (DIFF/TRUNC/SNAP up to UPTODATE) is
//! in `synchronization`.

mod synchronization;

pub(crate) use synchronization::SyncState;

use crate::ids::{Epoch, NodeId, Zxid};
use crate::io::{DiskWrite, LeaveReason, NetCmd, Observation, SyncMode, TimerKind, Work, ZabPhase};
use crate::message::{Message, QuorumPacket, Txn};
use crate::node::{Cx, Node, Role};
use std::collections::VecDeque;

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
