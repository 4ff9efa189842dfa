//! DISCOVERY on the leader: `getEpochToPropose` (a quorum of FOLLOWERINFOs fixes the new epoch)
//! and `waitForEpochAck` (a quorum of ACKEPOCHs, none more recent than the leader, ends it).

use super::learner_handler::HandlerStage;
use crate::ids::{Epoch, NodeId, Zxid};
use crate::io::{DiskWrite, Observation, TimerKind};
use crate::message::{Message, QuorumPacket};
use crate::node::{Cx, Node};

impl Node {
    /// `getEpochToPropose(sid, lastAcceptedEpoch)`: the new epoch is one more than the largest
    /// acceptedEpoch of a quorum that includes the leader.
    pub(super) fn get_epoch_to_propose(&mut self, cx: &mut Cx<'_>, sid: NodeId, accepted: Epoch) {
        let ensemble = self.ensemble;
        let me = self.id;
        let epoch_files = self.keeps_epoch_files();
        // ZOOKEEPER-335 restored (`Leader.lead`, 3.3): the epoch of the leader's own last
        // logged zxid + 1, whatever anyone promised. zabsim still waits for a quorum of
        // FOLLOWERINFOs here (3.3 waited for the NEWLEADER quorum only); the epoch is the same.
        // The last zxid as lead() began (`leaderStateSummary`): under zk-790 the leader may
        // have logged txns of the new epoch since.
        let leader = self.leader();
        let candidate = if epoch_files { accepted.next() } else { leader.summary.1.epoch.next() };
        if leader.epoch.is_some() {
            return;
        }
        leader.proposed_epoch = leader.proposed_epoch.max(candidate);
        leader.connecting.insert(sid);
        if !(leader.connecting.contains(me) && ensemble.is_quorum(&leader.connecting)) {
            return;
        }
        let epoch = leader.proposed_epoch;
        leader.epoch = Some(epoch);
        if leader.last_proposed.epoch != epoch {
            leader.last_proposed = Zxid::epoch_marker(epoch);
        }
        cx.out.observations.push(Observation::EpochProposed { epoch });
        // ZOOKEEPER-1291: the leader persists acceptedEpoch before anyone learns the epoch.
        if epoch_files {
            self.write(cx, DiskWrite::AcceptedEpoch(epoch));
        }
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

    /// The handler leaves getEpochToPropose and sends LEADERINFO once its writes are durable.
    pub(super) fn send_leader_info(&mut self, cx: &mut Cx<'_>, sid: NodeId, epoch: Epoch) {
        if let Some(h) = self.leader().handler(sid) {
            h.stage = HandlerStage::AwaitAckEpoch;
        }
        self.send_after_writes(cx, sid, Message::Quorum(QuorumPacket::LeaderInfo { epoch }));
    }

    /// `waitForEpochAck(sid, ss)`: count promises from voters whose state is not more recent
    /// than ours; on a quorum, persist currentEpoch and sync every waiting learner.
    pub(super) fn wait_for_epoch_ack(&mut self, cx: &mut Cx<'_>, sid: NodeId, current: Option<Epoch>, last: Zxid) {
        let ensemble = self.ensemble;
        let me = self.id;
        let epoch_files = self.keeps_epoch_files();
        let leader = self.leader();
        if leader.election_finished {
            self.sync_learner(cx, sid, last);
            return;
        }
        if let Some(current) = current {
            // Before 3.4 nothing compared the learner with the leader: one ahead got a TRUNC.
            if epoch_files && (current, last) > leader.summary {
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
        if epoch_files {
            let write = self.write(cx, DiskWrite::CurrentEpoch(epoch));
            self.leader().self_newleader_ack_after = Some(write);
        }
        self.set_timer(cx, TimerKind::LeaderWait, self.config.init_limit_us());
        for (sid, last) in waiting {
            self.sync_learner(cx, sid, last);
        }
        if !epoch_files {
            // zk-335: no currentEpoch to persist; the leader counts itself at once.
            self.wait_for_newleader_ack(cx, me);
        }
    }
}
