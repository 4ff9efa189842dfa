//! One `LearnerHandler` per connected learner: its stage, its deadlines, and the read loop that
//! checks each packet against the stage and hands it to discovery, synchronization or broadcast.

use crate::ids::{NodeId, Zxid};
use crate::io::Observation;
use crate::message::QuorumPacket;
use crate::node::{Cx, Node};
use std::collections::VecDeque;

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

impl HandlerStage {
    /// What the handler is waiting for, for messages about a packet it did not expect.
    fn name(&self) -> &'static str {
        match self {
            HandlerStage::AwaitFollowerInfo => "awaiting FOLLOWERINFO",
            HandlerStage::AwaitEpoch => "awaiting the epoch quorum",
            HandlerStage::AwaitAckEpoch => "awaiting ACKEPOCH",
            HandlerStage::AwaitEpochQuorum { .. } => "awaiting the ACKEPOCH quorum",
            HandlerStage::AwaitNewLeaderAck => "awaiting the NEWLEADER ACK",
            HandlerStage::AwaitStartup => "awaiting the NEWLEADER quorum",
            HandlerStage::Serving => "serving",
        }
    }
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

impl Node {
    /// A learner connected: a new handler, bounded by initLimit + syncLimit ticks.
    pub(crate) fn leader_on_learner_connected(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        if !self.ensemble.is_voter(sid) || sid == self.id {
            cx.out.net.push(crate::io::NetCmd::Close(sid));
            return;
        }
        // A learner reconnecting replaces its old handler (below); syncs asked on the old one die.
        self.forget_learner_syncs(sid);
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

    /// The learner's socket closed: its handler is gone.
    pub(crate) fn leader_on_learner_disconnected(&mut self, _cx: &mut Cx<'_>, sid: NodeId) {
        if let Some(slot) = self.leader().handlers.get_mut(sid.index()) {
            *slot = None;
        }
        self.forget_learner_syncs(sid);
    }

    /// The leader gives up on a learner: drop its handler and close its socket.
    pub(super) fn drop_learner(&mut self, cx: &mut Cx<'_>, sid: NodeId) {
        if let Some(slot) = self.leader().handlers.get_mut(sid.index()) {
            if slot.take().is_some() {
                cx.out.net.push(crate::io::NetCmd::Close(sid));
            }
        }
        self.forget_learner_syncs(sid);
    }

    /// The handler's read loop: one packet, checked against the stage it expects.
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
            (s, QuorumPacket::Ping { touched, .. }) if s >= HandlerStage::AwaitNewLeaderAck => {
                self.leader_on_touches(cx, &touched)
            }
            (HandlerStage::Serving, QuorumPacket::Request { value, body }) => {
                self.leader_propose(cx, from, value, body)
            }
            (HandlerStage::Serving, QuorumPacket::SyncRequest) => self.leader_sync(cx, from),
            (HandlerStage::Serving, QuorumPacket::Revalidate { session, .. }) => {
                self.leader_on_revalidate(cx, from, session)
            }
            (stage, packet) => {
                // LearnerHandler treats an unexpected packet as a broken stream: it closes the
                // connection.
                cx.out.observations.push(Observation::IllegalMessage {
                    what: format!("leader {} got {packet} from {from} while {}", self.id, stage.name()),
                });
                self.drop_learner(cx, from);
            }
        }
    }
}
