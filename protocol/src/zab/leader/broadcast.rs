//! BROADCAST on the leader: `propose`, `processAck` + `tryToCommit` in zxid order, and the
//! heartbeat loop that pings learners and steps down without a synced quorum.

use super::learner_handler::HandlerStage;
use crate::ids::{NodeId, NodeSet, Zxid};
use crate::io::{DiskWrite, LeaveReason, Observation, TimerKind, WriteId};
use crate::message::{Message, QuorumPacket, Txn, TxnBody};
use crate::node::{Cx, Node};

/// A proposal waiting for its quorum (`Leader.outstandingProposals`).
#[derive(Clone, Debug)]
pub(crate) struct Outstanding {
    pub(crate) txn: Txn,
    pub(crate) acks: NodeSet,
    /// The leader acks itself once this write (its own log append) is durable.
    pub(crate) self_ack_after: WriteId,
}

impl Node {
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
        let pingable = leader.forwarding_to();
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
            self.send(cx, sid, Message::Quorum(QuorumPacket::Ping { zxid: last_proposed, touched: Vec::new() }));
        }
        if check && !ensemble.is_quorum(&synced) {
            self.leave(cx, LeaveReason::QuorumLost);
            return;
        }
        self.set_timer(cx, TimerKind::Heartbeat, self.config.tick_us() / 2);
    }

    /// `Leader.propose`: next zxid, log it, send PROPOSAL to every forwarding learner.
    /// `owner` is the server the request came through (the leader itself for its own
    /// clients and for its own writes).
    pub(crate) fn leader_propose(&mut self, cx: &mut Cx<'_>, owner: NodeId, value: u64, body: TxnBody) {
        let variants = self.config.variants;
        let leader = self.leader();
        if !leader.accepts_writes(&variants) {
            return;
        }
        let last = leader.last_proposed;
        if last.counter == u32::MAX - 1 {
            // ZOOKEEPER-1277: the counter would roll over; shut down to force a new epoch.
            self.leave(cx, LeaveReason::ZxidRollover);
            return;
        }
        // A rejected request is a different txn (an ErrorTxn), with its own value.
        let (value, body) = match self.prep_request(cx, owner, &body) {
            Some(rejected) => (rejected.value(), rejected),
            None => (value, body),
        };
        let txn = Txn { zxid: Zxid::new(last.epoch, last.counter + 1), value, body };
        let write = self.write(cx, DiskWrite::Append(txn.clone()));
        let now = cx.now_us;
        let leader = self.leader();
        let zxid = txn.zxid;
        leader.last_proposed = zxid;
        leader.outstanding.push_back(Outstanding { txn: txn.clone(), acks: NodeSet::EMPTY, self_ack_after: write });
        let mut targets = Vec::new();
        for h in leader.handlers.iter_mut().flatten() {
            if h.stage >= HandlerStage::AwaitNewLeaderAck {
                if h.stage >= HandlerStage::AwaitStartup {
                    h.unacked.push_back((zxid, now));
                }
                targets.push(h.sid);
            }
        }
        for sid in targets {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Proposal { txn: txn.clone() }));
        }
        cx.out.observations.push(Observation::Proposed { txn });
    }

    /// `processAck` + `tryToCommit`: in zxid order only, on a quorum of voter acks.
    pub(super) fn process_ack(&mut self, cx: &mut Cx<'_>, sid: NodeId, zxid: Zxid) {
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
        let targets = leader.forwarding_to();
        let epoch = leader.epoch;
        debug_assert!(
            Txn::find_in(&self.disk.log, zxid).is_ok(),
            "{} epoch {epoch:?}: committed {zxid}, which is not in its log",
            self.id,
        );
        cx.out.observations.push(Observation::Committed { zxid, acks: committed.acks });
        for sid in targets {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Commit { zxid }));
        }
        // CommitProcessor -> FinalRequestProcessor: the txn enters the database, and its
        // client and watchers connected here hear of it.
        let applied = self.db.apply(committed.txn.clone());
        self.serve_applied(cx, &committed.txn, applied);
        self.leader_commit_syncs(cx, zxid);
        self.deliver_applied(cx);
    }
}
