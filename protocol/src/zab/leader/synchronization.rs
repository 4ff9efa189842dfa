//! SYNCHRONIZATION on the leader: `syncFollower` + `startForwarding` per learner, then
//! `waitForNewLeaderAck` and `startZkServer`. The DIFF/TRUNC/SNAP decision itself is
//! [`crate::zab::sync::plan_sync`].

use super::learner_handler::HandlerStage;
use crate::ids::{NodeId, Zxid};
use crate::io::{Observation, TimerKind, Work};
use crate::message::{Message, QuorumPacket, Txn};
use crate::node::{Cx, Node};
use crate::zab::sync::plan_sync;
use std::sync::Arc;

impl Node {
    /// `syncFollower` + `startForwarding` + queueing NEWLEADER, atomically.
    pub(super) fn sync_learner(&mut self, cx: &mut Cx<'_>, sid: NodeId, peer_last: Zxid) {
        // syncFollower reads the database's lastProcessedZxid: the leader's initial history
        // before it starts, the epoch marker once `startZkServer` set it, then its commits.
        let last_processed = self.db.last_processed_zxid();
        let window = self.config.commit_log_count as usize;
        let zk_1154 = self.config.variants.zk_1154;
        let plan = plan_sync(self.db.history(), window, last_processed, peer_last, zk_1154);
        cx.out.observations.push(Observation::SyncChosen { learner: sid, mode: plan.mode });
        let first = match plan.mode {
            crate::io::SyncMode::Diff => QuorumPacket::Diff { last_zxid: plan.packet_zxid },
            crate::io::SyncMode::Trunc => QuorumPacket::Trunc { zxid: plan.packet_zxid },
            // The snapshot carries lastProcessedZxid (LearnerHandler: SNAP's packet zxid).
            crate::io::SyncMode::Snap => {
                QuorumPacket::Snap { history: Arc::from(self.db.history()), zxid: last_processed }
            }
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
            let txn = self.db.history()[i].clone();
            let zxid = txn.zxid;
            self.send(cx, sid, Message::Quorum(QuorumPacket::Proposal { txn }));
            self.send(cx, sid, Message::Quorum(QuorumPacket::Commit { zxid }));
            queued_up_to = queued_up_to.max(zxid);
        }
        // startForwarding: outstanding proposals above what was queued, PROPOSAL only.
        let pending: Vec<Txn> =
            self.leader().outstanding.iter().filter(|p| p.txn.zxid > queued_up_to).map(|p| p.txn.clone()).collect();
        for txn in pending {
            self.send(cx, sid, Message::Quorum(QuorumPacket::Proposal { txn }));
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
    pub(super) fn wait_for_newleader_ack(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
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
        // While startZkServer runs, a late ACK's handler waits in waitForStartup like the rest.
        if leader.starting || !(leader.newleader_acks.contains(me) && ensemble.is_quorum(&leader.newleader_acks)) {
            return;
        }
        self.start_zk_server(cx);
    }

    /// "Have quorum of supporters": the epoch is established; `startZkServer` begins
    /// (`Work::LeaderStartup`) and the handlers wait for it before sending UPTODATE.
    fn start_zk_server(&mut self, cx: &mut Cx<'_>) {
        let leader = self.leader();
        leader.starting = true;
        let epoch = leader.epoch.expect("established leaders have an epoch");
        let quorum = leader.newleader_acks;
        cx.out.observations.push(Observation::Established { epoch, quorum });
        self.cancel_timer(cx, TimerKind::LeaderWait);
        cx.out.work = Some(Work::LeaderStartup);
    }

    /// `startZkServer` is done (`zk.startup()` returned): the initial history is committed,
    /// every waiting handler sends UPTODATE, and the heartbeat loop starts.
    pub(super) fn finish_zk_server_startup(&mut self, cx: &mut Cx<'_>) {
        let leader = self.leader();
        leader.started = true;
        let epoch = leader.epoch.expect("established leaders have an epoch");
        // Leader.startZkServer: setlastProcessedZxid(zk.getZxid()), the new epoch's marker (no
        // proposal exists before this, except under zk-790). A leader that steps down before
        // its first commit keeps it (fast-forwarding applies only txns above it) and votes
        // with it.
        let zk_zxid = leader.last_proposed;
        let waiting: Vec<NodeId> =
            leader.handlers.iter().flatten().filter(|h| h.stage == HandlerStage::AwaitStartup).map(|h| h.sid).collect();
        // updateElectionVote (ZOOKEEPER-1732): advertise the new epoch to LOOKING servers.
        if self.keeps_epoch_files() {
            self.current_vote.peer_epoch = epoch;
        }
        if !self.config.variants.zk_790 {
            // (zk-790 set it at set-up, as 3.3.1's lead() did; it has no startZkServer.)
            self.db.set_last_processed_zxid(zk_zxid);
        }
        self.deliver_applied(cx);
        self.start_session_tracker(cx);
        for sid in waiting {
            self.send_uptodate(cx, sid);
        }
        self.set_timer(cx, TimerKind::Heartbeat, self.config.tick_us() / 2);
    }

    /// The handler sends UPTODATE and starts serving.
    pub(super) fn send_uptodate(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        if let Some(h) = self.leader().handler(sid) {
            h.stage = HandlerStage::Serving;
        }
        self.send(cx, sid, Message::Quorum(QuorumPacket::UpToDate));
    }
}
