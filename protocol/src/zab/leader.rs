//! The leader side: `Leader.lead()` with its three initLimit-bounded waits
//! (`getEpochToPropose`, `waitForEpochAck`, `waitForNewLeaderAck`), one `LearnerHandler` per
//! connected learner, the broadcast pipeline (`propose`, `processAck`, `tryToCommit`) and the
//! heartbeat loop that steps down when a quorum of synced followers is gone.
//!
//! Each region ZooKeeper runs under one lock is one atomic step here, in particular
//! `syncFollower` + `startForwarding`, so no commit slips between the diff and forwarding.

use crate::ids::{Epoch, NodeId, NodeSet, Zxid};
use crate::io::{DiskWrite, LeaveReason, Observation, TimerKind, WriteId, ZabPhase};
use crate::message::{Message, QuorumPacket, Txn};
use crate::node::{Cx, Node, Role};
use crate::zab::sync::plan_sync;
use std::collections::VecDeque;
use std::sync::Arc;

/// Where one `LearnerHandler` thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HandlerStage {
    /// Connected; the first packet must be FOLLOWERINFO.
    AwaitFollowerInfo,
    /// Blocked in getEpochToPropose until a quorum of FOLLOWERINFOs.
    AwaitEpoch,
    /// LEADERINFO sent; the next packet must be ACKEPOCH.
    AwaitAckEpoch,
    /// Blocked in waitForEpochAck until a quorum of ACKEPOCHs.
    AwaitEpochQuorum {
        /// The learner's last logged zxid from its ACKEPOCH.
        peer_last_zxid: Zxid,
    },
    /// Sync data and NEWLEADER queued; the next packet must be the NEWLEADER ACK.
    AwaitNewLeaderAck,
    /// Blocked until the leader has a NEWLEADER quorum and has started.
    AwaitStartup,
    /// UPTODATE sent; broadcast.
    Serving,
}

/// One learner connection (`LearnerHandler`).
#[derive(Clone, Debug)]
pub(crate) struct Handler {
    pub(crate) sid: NodeId,
    pub(crate) stage: HandlerStage,
    /// `tickOfNextAckDeadline`.
    pub(crate) deadline_tick: u64,
    /// Last time anything arrived from the learner (socket read timeout).
    pub(crate) last_heard_us: u64,
    /// Proposals sent to the learner and not yet acknowledged by it, with when they were
    /// sent (`SyncLimitCheck`).
    pub(crate) unacked: VecDeque<(Zxid, u64)>,
}

/// A proposal waiting for its quorum (`Leader.outstandingProposals`).
#[derive(Clone, Debug)]
pub(crate) struct Outstanding {
    pub(crate) txn: Txn,
    pub(crate) acks: NodeSet,
    /// The leader acks itself once this write (its own log append) is durable.
    pub(crate) self_ack_after: WriteId,
}

/// State of `Leader.lead()`.
#[derive(Clone, Debug)]
pub struct Leader {
    /// The negotiated epoch, once a quorum of FOLLOWERINFOs arrived.
    pub(crate) epoch: Option<Epoch>,
    /// Running `max(acceptedEpoch + 1)` over the callers of getEpochToPropose.
    pub(crate) proposed_epoch: Epoch,
    pub(crate) connecting: NodeSet,
    pub(crate) electing: NodeSet,
    pub(crate) election_finished: bool,
    pub(crate) newleader_acks: NodeSet,
    /// The leader counts its own NEWLEADER ack once its currentEpoch write is durable.
    pub(crate) self_newleader_ack_after: Option<WriteId>,
    /// A NEWLEADER quorum was reached and the leader started serving (startZkServer).
    pub(crate) started: bool,
    /// `leaderStateSummary`: (currentEpoch, last zxid) when lead() began.
    pub(crate) summary: (Epoch, Zxid),
    pub(crate) handlers: Vec<Option<Handler>>,
    /// Heartbeat ticks since BROADCAST began (`Leader.self.tick`).
    pub(crate) tick: u64,
    /// Half-tick parity of the heartbeat loop (ticks advance every second wake-up).
    pub(crate) half_tick: bool,
    pub(crate) outstanding: VecDeque<Outstanding>,
    pub(crate) last_proposed: Zxid,
    /// The committed prefix of the leader's history.
    pub(crate) committed_len: usize,
}

impl Leader {
    /// Whether the leader is established and serving (BROADCAST).
    pub(crate) fn is_serving(&self) -> bool {
        self.started
    }

    pub(crate) fn phase(&self) -> ZabPhase {
        if self.started {
            ZabPhase::Broadcast
        } else if self.election_finished {
            ZabPhase::Synchronization
        } else {
            ZabPhase::Discovery
        }
    }

    pub(crate) fn learner_ids(&self) -> Vec<NodeId> {
        self.handlers.iter().flatten().map(|h| h.sid).collect()
    }

    fn handler(&mut self, sid: NodeId) -> Option<&mut Handler> {
        self.handlers.get_mut(sid.index()).and_then(|h| h.as_mut())
    }
}

impl Node {
    fn leader(&mut self) -> &mut Leader {
        match &mut self.role {
            Role::Leading(l) => l,
            _ => unreachable!("{}: leader handler outside LEADING", self.id),
        }
    }

    /// `Leader.lead()` begins: open the learner port and call getEpochToPropose for ourselves.
    pub(crate) fn start_leading(&mut self, cx: &mut Cx<'_>) {
        let slots = self.ensemble.size() + 1;
        let summary = (self.disk.current_epoch, self.disk.last_zxid());
        self.role = Role::Leading(Box::new(Leader {
            epoch: None,
            proposed_epoch: Epoch(0),
            connecting: NodeSet::EMPTY,
            electing: NodeSet::EMPTY,
            election_finished: false,
            newleader_acks: NodeSet::EMPTY,
            self_newleader_ack_after: None,
            started: false,
            summary,
            handlers: vec![None; slots],
            tick: 0,
            half_tick: false,
            outstanding: VecDeque::new(),
            last_proposed: Zxid::ZERO,
            committed_len: 0,
        }));
        self.set_timer(cx, TimerKind::LeaderWait, self.config.init_limit_us());
        let (me, accepted) = (self.id, self.disk.accepted_epoch);
        self.get_epoch_to_propose(cx, me, accepted);
    }

    /// `getEpochToPropose(sid, lastAcceptedEpoch)`: the new epoch is one more than the largest
    /// acceptedEpoch of a quorum that includes the leader.
    fn get_epoch_to_propose(&mut self, cx: &mut Cx<'_>, sid: NodeId, accepted: Epoch) {
        let ensemble = self.ensemble;
        let me = self.id;
        let leader = self.leader();
        if leader.epoch.is_some() {
            return;
        }
        leader.proposed_epoch = leader.proposed_epoch.max(accepted.next());
        leader.connecting.insert(sid);
        if !(leader.connecting.contains(me) && ensemble.is_quorum(&leader.connecting)) {
            return;
        }
        let epoch = leader.proposed_epoch;
        leader.epoch = Some(epoch);
        leader.last_proposed = Zxid::epoch_marker(epoch);
        cx.out.observations.push(Observation::EpochProposed { epoch });
        // ZOOKEEPER-1291: the leader persists acceptedEpoch before anyone learns the epoch.
        self.write(cx, DiskWrite::AcceptedEpoch(epoch));
        let waiting: Vec<NodeId> = self
            .leader()
            .handlers
            .iter()
            .flatten()
            .filter(|h| h.stage == HandlerStage::AwaitEpoch)
            .map(|h| h.sid)
            .collect();
        for sid in waiting {
            self.send_leader_info(cx, sid, epoch);
        }
        // The leader thread moves on to waitForEpochAck with its own state summary.
        self.set_timer(cx, TimerKind::LeaderWait, self.config.init_limit_us());
        let summary = self.leader().summary;
        self.wait_for_epoch_ack(cx, me, Some(summary.0), summary.1);
    }

    fn send_leader_info(&mut self, cx: &mut Cx<'_>, sid: NodeId, epoch: Epoch) {
        if let Some(h) = self.leader().handler(sid) {
            h.stage = HandlerStage::AwaitAckEpoch;
        }
        self.send_after_writes(cx, sid, Message::Quorum(QuorumPacket::LeaderInfo { epoch }));
    }

    /// `waitForEpochAck(sid, ss)`: count promises from voters whose state is not more recent
    /// than ours; on a quorum, persist currentEpoch and sync every waiting learner.
    fn wait_for_epoch_ack(&mut self, cx: &mut Cx<'_>, sid: NodeId, current: Option<Epoch>, last: Zxid) {
        let ensemble = self.ensemble;
        let me = self.id;
        let leader = self.leader();
        if leader.election_finished {
            self.sync_learner(cx, sid, last);
            return;
        }
        if let Some(current) = current {
            if (current, last) > leader.summary {
                // The election should have picked a leader at least as recent as every member
                // of its quorum; this learner proves otherwise, so drop it (ZooKeeper throws
                // in its handler; the leader keeps waiting and may time out).
                self.drop_learner(cx, sid);
                return;
            }
            leader.electing.insert(sid);
        }
        if sid != me {
            if let Some(h) = leader.handler(sid) {
                h.stage = HandlerStage::AwaitEpochQuorum { peer_last_zxid: last };
            }
        }
        if !(leader.electing.contains(me) && ensemble.is_quorum(&leader.electing)) {
            return;
        }
        leader.election_finished = true;
        let epoch = leader.epoch.expect("epoch negotiated before epoch acks");
        let waiting: Vec<(NodeId, Zxid)> = leader
            .handlers
            .iter()
            .flatten()
            .filter_map(|h| match h.stage {
                HandlerStage::AwaitEpochQuorum { peer_last_zxid } => Some((h.sid, peer_last_zxid)),
                _ => None,
            })
            .collect();
        // Leader.lead(): currentEpoch := epoch, then waitForNewLeaderAck for itself.
        let write = self.write(cx, DiskWrite::CurrentEpoch(epoch));
        self.leader().self_newleader_ack_after = Some(write);
        self.set_timer(cx, TimerKind::LeaderWait, self.config.init_limit_us());
        for (sid, last) in waiting {
            self.sync_learner(cx, sid, last);
        }
    }

    /// The leader's committed history and lastProcessedZxid, as `syncFollower` sees them:
    /// before the leader starts, its whole log (the initial history of the new epoch); after,
    /// the committed prefix, with the epoch marker until the first commit of the epoch.
    fn sync_source(&mut self) -> (usize, Zxid) {
        let log_len = self.disk.log.len();
        let last_logged = self.disk.last_zxid();
        let leader = self.leader();
        if !leader.started {
            return (log_len, last_logged);
        }
        let epoch = leader.epoch.expect("started leaders have an epoch");
        let committed = leader.committed_len;
        let last = if committed == 0 { Zxid::ZERO } else { self.disk.log[committed - 1].zxid };
        let marker = Zxid::epoch_marker(epoch);
        (committed, if last > marker { last } else { marker })
    }

    /// `syncFollower` + `startForwarding` + queueing NEWLEADER, atomically.
    fn sync_learner(&mut self, cx: &mut Cx<'_>, sid: NodeId, peer_last: Zxid) {
        let (history_len, last_processed) = self.sync_source();
        let window = self.config.commit_log_count as usize;
        let plan = plan_sync(&self.disk.log[..history_len], window, last_processed, peer_last);
        cx.out.observations.push(Observation::SyncChosen { learner: sid, mode: plan.mode });
        let first = match plan.mode {
            crate::io::SyncMode::Diff => QuorumPacket::Diff { last_zxid: plan.packet_zxid },
            crate::io::SyncMode::Trunc => QuorumPacket::Trunc { zxid: plan.packet_zxid },
            crate::io::SyncMode::Snap => QuorumPacket::Snap { history: Arc::from(&self.disk.log[..history_len]) },
        };
        self.send(cx, sid, Message::Quorum(first));
        // The last zxid the learner will hold once the queued packets are applied; outstanding
        // proposals above it follow (startForwarding's lastZxidQueued).
        let mut queued_up_to = match plan.mode {
            crate::io::SyncMode::Snap => last_processed,
            crate::io::SyncMode::Trunc if plan.send.is_empty() => plan.packet_zxid,
            _ => peer_last,
        };
        for i in plan.send.clone() {
            let txn = self.disk.log[i];
            self.send(cx, sid, Message::Quorum(QuorumPacket::Proposal { txn }));
            self.send(cx, sid, Message::Quorum(QuorumPacket::Commit { zxid: txn.zxid }));
            queued_up_to = queued_up_to.max(txn.zxid);
        }
        // startForwarding: outstanding proposals above what was queued, PROPOSAL only.
        let pending: Vec<Txn> =
            self.leader().outstanding.iter().map(|p| p.txn).filter(|t| t.zxid > queued_up_to).collect();
        for txn in &pending {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Proposal { txn: *txn }));
        }
        let leader = self.leader();
        let epoch = leader.epoch.expect("sync happens after the epoch is negotiated");
        if let Some(h) = leader.handler(sid) {
            // SyncLimitCheck only starts once the NEWLEADER ACK is in (LearnerHandler.run):
            // a syncing learner is bounded by initLimit alone.
            h.stage = HandlerStage::AwaitNewLeaderAck;
        }
        self.send(cx, sid, Message::Quorum(QuorumPacket::NewLeader { epoch }));
    }

    /// `waitForNewLeaderAck(sid, zxid)`.
    fn wait_for_newleader_ack(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        let ensemble = self.ensemble;
        let me = self.id;
        let leader = self.leader();
        if leader.started {
            if sid != me {
                self.send_uptodate(cx, sid);
            }
            return;
        }
        leader.newleader_acks.insert(sid);
        if sid != me {
            if let Some(h) = leader.handler(sid) {
                h.stage = HandlerStage::AwaitStartup;
            }
        }
        if !(leader.newleader_acks.contains(me) && ensemble.is_quorum(&leader.newleader_acks)) {
            return;
        }
        self.start_zk_server(cx);
    }

    /// `startZkServer`: the epoch is established; its initial history is committed; every
    /// waiting handler sends UPTODATE; the heartbeat loop starts.
    fn start_zk_server(&mut self, cx: &mut Cx<'_>) {
        let log_len = self.disk.log.len();
        let leader = self.leader();
        leader.started = true;
        leader.committed_len = log_len;
        let epoch = leader.epoch.expect("established leaders have an epoch");
        let quorum = leader.newleader_acks;
        let waiting: Vec<NodeId> =
            leader.handlers.iter().flatten().filter(|h| h.stage == HandlerStage::AwaitStartup).map(|h| h.sid).collect();
        cx.out.observations.push(Observation::Established { epoch, quorum });
        self.cancel_timer(cx, TimerKind::LeaderWait);
        // updateElectionVote (ZOOKEEPER-1732): advertise the new epoch to LOOKING servers.
        self.current_vote.peer_epoch = epoch;
        self.deliver_through(cx, log_len);
        for sid in waiting {
            self.send_uptodate(cx, sid);
        }
        self.set_timer(cx, TimerKind::Heartbeat, self.config.tick_us() / 2);
    }

    fn send_uptodate(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        if let Some(h) = self.leader().handler(sid) {
            h.stage = HandlerStage::Serving;
        }
        self.send(cx, sid, Message::Quorum(QuorumPacket::UpToDate));
    }

    // ----- inputs -------------------------------------------------------------------------

    pub(crate) fn leader_on_learner_connected(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        if !self.ensemble.is_voter(sid) || sid == self.id {
            cx.out.net.push(crate::io::NetCmd::Close(sid));
            return;
        }
        let now = cx.now_us;
        let leader = self.leader();
        let deadline_tick = leader.tick + (self.config.init_limit_ticks + self.config.sync_limit_ticks) as u64;
        let leader = self.leader();
        if leader.handlers[sid.index()].is_some() {
            // A learner reconnecting replaces its old handler, whose socket is dead.
            leader.handlers[sid.index()] = None;
        }
        leader.handlers[sid.index()] = Some(Handler {
            sid,
            stage: HandlerStage::AwaitFollowerInfo,
            deadline_tick,
            last_heard_us: now,
            unacked: VecDeque::new(),
        });
    }

    pub(crate) fn leader_on_learner_disconnected(&mut self, _cx: &mut Cx<'_>, sid: NodeId) {
        if let Some(slot) = self.leader().handlers.get_mut(sid.index()) {
            *slot = None;
        }
    }

    fn drop_learner(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        if let Some(slot) = self.leader().handlers.get_mut(sid.index()) {
            if slot.take().is_some() {
                cx.out.net.push(crate::io::NetCmd::Close(sid));
            }
        }
    }

    pub(crate) fn leader_on_packet(&mut self, cx: &mut Cx<'_>, from: NodeId, packet: QuorumPacket) {
        let now = cx.now_us;
        let sync_limit = self.config.sync_limit_ticks as u64;
        let leader = self.leader();
        let tick = leader.tick;
        let Some(handler) = leader.handler(from) else {
            // A packet from a learner whose handler is gone: its connection is closed.
            return;
        };
        handler.last_heard_us = now;
        let stage = handler.stage;
        // LearnerHandler refreshes the ack deadline in its post-UPTODATE read loop only.
        if stage == HandlerStage::Serving {
            handler.deadline_tick = tick + sync_limit;
        }
        match (stage, packet) {
            (HandlerStage::AwaitFollowerInfo, QuorumPacket::FollowerInfo { accepted_epoch }) => {
                handler.stage = HandlerStage::AwaitEpoch;
                let epoch = leader.epoch;
                match epoch {
                    Some(epoch) => self.send_leader_info(cx, from, epoch),
                    None => {
                        self.get_epoch_to_propose(cx, from, accepted_epoch);
                        // If this FOLLOWERINFO completed the quorum, the handler was woken above.
                    }
                }
            }
            (HandlerStage::AwaitAckEpoch, QuorumPacket::AckEpoch { current_epoch, last_zxid }) => {
                self.wait_for_epoch_ack(cx, from, current_epoch, last_zxid);
            }
            (HandlerStage::AwaitNewLeaderAck, QuorumPacket::Ack { zxid }) => {
                let epoch = self.leader().epoch;
                if epoch.map(Zxid::epoch_marker) == Some(zxid) {
                    self.wait_for_newleader_ack(cx, from);
                } else {
                    // waitForNewLeaderAck only logs a wrong zxid; the handler carries on.
                    if let Some(h) = self.leader().handler(from) {
                        h.stage = HandlerStage::AwaitStartup;
                    }
                    if self.leader().started {
                        self.send_uptodate(cx, from);
                    }
                }
            }
            (HandlerStage::Serving, QuorumPacket::Ack { zxid }) => self.process_ack(cx, from, zxid),
            (HandlerStage::AwaitStartup, QuorumPacket::Ack { .. }) => {}
            (s, QuorumPacket::Ping { .. }) if s >= HandlerStage::AwaitNewLeaderAck => {}
            (HandlerStage::Serving, QuorumPacket::Request { value }) => self.leader_propose(cx, value),
            (stage, packet) => {
                // LearnerHandler treats an unexpected packet as a broken stream: it closes the
                // connection.
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("leader {} got {packet} from {from} in {stage:?}", self.id),
                });
                self.drop_learner(cx, from);
            }
        }
    }

    pub(crate) fn leader_on_durable(&mut self, cx: &mut Cx<'_>, through: WriteId) {
        let me = self.id;
        let leader = self.leader();
        if leader.self_newleader_ack_after.is_some_and(|w| w <= through) {
            leader.self_newleader_ack_after = None;
            self.wait_for_newleader_ack(cx, me);
        }
        let leader = self.leader();
        let newly: Vec<Zxid> = leader
            .outstanding
            .iter_mut()
            .filter(|p| p.self_ack_after <= through && !p.acks.contains(me))
            .map(|p| p.txn.zxid)
            .collect();
        for zxid in newly {
            self.process_ack(cx, me, zxid);
        }
    }

    pub(crate) fn leader_on_wait_timeout(&mut self, cx: &mut Cx<'_>) {
        if !self.leader().started {
            self.leave(cx, LeaveReason::WaitTimedOut);
        }
    }

    /// Every tickTime/2: ping every learner past sync; every second time advance the tick
    /// and step down unless the synced followers plus the leader are a quorum.
    pub(crate) fn leader_on_heartbeat(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now_us;
        let init_limit_us = self.config.init_limit_us();
        let sync_limit_us = self.config.sync_limit_us();
        let me = self.id;
        let ensemble = self.ensemble;
        let leader = self.leader();
        let last_proposed = leader.last_proposed;
        // Socket read timeouts and SyncLimitCheck drop silent or lagging learners.
        let mut dead = Vec::new();
        for h in leader.handlers.iter().flatten() {
            let read_timeout = if h.stage >= HandlerStage::AwaitStartup { sync_limit_us } else { init_limit_us };
            let stalled = h.unacked.front().is_some_and(|(_, sent)| now - sent > sync_limit_us);
            if now.saturating_sub(h.last_heard_us) > read_timeout || stalled {
                dead.push(h.sid);
            }
        }
        for sid in dead {
            self.drop_learner(cx, sid);
        }
        let leader = self.leader();
        let pingable: Vec<NodeId> = leader
            .handlers
            .iter()
            .flatten()
            .filter(|h| h.stage >= HandlerStage::AwaitNewLeaderAck)
            .map(|h| h.sid)
            .collect();
        leader.half_tick = !leader.half_tick;
        let check = !leader.half_tick;
        if check {
            leader.tick += 1;
        }
        let tick = leader.tick;
        let mut synced = NodeSet::EMPTY;
        synced.insert(me);
        for h in leader.handlers.iter().flatten() {
            if tick <= h.deadline_tick {
                synced.insert(h.sid);
            }
        }
        for sid in pingable {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Ping { zxid: last_proposed }));
        }
        if check && !ensemble.is_quorum(&synced) {
            self.leave(cx, LeaveReason::QuorumLost);
            return;
        }
        self.set_timer(cx, TimerKind::Heartbeat, self.config.tick_us() / 2);
    }

    // ----- broadcast ------------------------------------------------------------------------

    /// `Leader.propose`: next zxid, log it, send PROPOSAL to every forwarding learner.
    pub(crate) fn leader_propose(&mut self, cx: &mut Cx<'_>, value: u64) {
        let leader = self.leader();
        if !leader.started {
            return;
        }
        let last = leader.last_proposed;
        if last.counter == u32::MAX - 1 {
            // ZOOKEEPER-1277: the counter would roll over; shut down to force a new epoch.
            self.leave(cx, LeaveReason::ZxidRollover);
            return;
        }
        let txn = Txn { zxid: Zxid::new(last.epoch, last.counter + 1), value };
        let write = self.write(cx, DiskWrite::Append(txn));
        let now = cx.now_us;
        let leader = self.leader();
        leader.last_proposed = txn.zxid;
        leader.outstanding.push_back(Outstanding { txn, acks: NodeSet::EMPTY, self_ack_after: write });
        let mut targets = Vec::new();
        for h in leader.handlers.iter_mut().flatten() {
            if h.stage >= HandlerStage::AwaitNewLeaderAck {
                if h.stage >= HandlerStage::AwaitStartup {
                    h.unacked.push_back((txn.zxid, now));
                }
                targets.push(h.sid);
            }
        }
        cx.out.observations.push(Observation::Proposed { txn });
        for sid in targets {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Proposal { txn }));
        }
    }

    /// `processAck` + `tryToCommit`: in zxid order only, on a quorum of voter acks.
    fn process_ack(&mut self, cx: &mut Cx<'_>, sid: NodeId, zxid: Zxid) {
        let ensemble = self.ensemble;
        let leader = self.leader();
        if let Some(h) = leader.handler(sid) {
            while h.unacked.front().is_some_and(|(z, _)| *z <= zxid) {
                h.unacked.pop_front();
            }
        }
        if zxid.is_epoch_marker() {
            return;
        }
        let Some(pos) = leader.outstanding.iter().position(|p| p.txn.zxid == zxid) else {
            // Already committed, or a future proposal: ZooKeeper ignores both.
            return;
        };
        leader.outstanding[pos].acks.insert(sid);
        // In-order commit: zxid - 1 must not be outstanding.
        if pos != 0 || !ensemble.is_quorum(&leader.outstanding[0].acks) {
            return;
        }
        let committed = leader.outstanding.pop_front().expect("checked non-empty");
        leader.committed_len += 1;
        let committed_len = leader.committed_len;
        let targets: Vec<NodeId> = leader
            .handlers
            .iter()
            .flatten()
            .filter(|h| h.stage >= HandlerStage::AwaitNewLeaderAck)
            .map(|h| h.sid)
            .collect();
        let epoch = leader.epoch;
        debug_assert_eq!(
            self.disk.log.get(committed_len - 1).map(|t| t.zxid),
            Some(committed.txn.zxid),
            "{} epoch {epoch:?}: committed zxid is not next in the log",
            self.id,
        );
        cx.out.observations.push(Observation::Committed { zxid, acks: committed.acks });
        for sid in targets {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Commit { zxid }));
        }
        self.deliver_through(cx, committed_len);
    }
}
