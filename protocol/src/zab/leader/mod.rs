//! The leader side: `Leader.lead()` with its three initLimit-bounded waits
//! (`getEpochToPropose`, `waitForEpochAck`, `waitForNewLeaderAck`), one `LearnerHandler` per
//! connected learner, the broadcast pipeline (`propose`, `processAck`, `tryToCommit`) and the
//! heartbeat loop that steps down when a quorum of synced followers is gone.
//!
//! Each region ZooKeeper runs under one lock is one atomic step here, in particular
//! `syncFollower` + `startForwarding`, so no commit slips between the diff and forwarding.
//!
//! `Leader.lead()` is a state machine over three phases, one file each: `discovery`
//! (getEpochToPropose, waitForEpochAck), `synchronization` (syncFollower, startForwarding,
//! waitForNewLeaderAck, startZkServer) and `broadcast` (propose, processAck, the ping loop).
//! `learner_handler` is the per-learner read loop that feeds them. This file holds the state
//! they share and the inputs that span phases.

mod broadcast;
mod discovery;
mod learner_handler;
mod synchronization;

use crate::ids::{Epoch, NodeId, NodeSet, Zxid};
use crate::io::{LeaveReason, TimerKind, Work, WriteId, ZabPhase};
use crate::node::{Cx, Node, Role};
use broadcast::Outstanding;
use learner_handler::Handler;
use std::collections::VecDeque;

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
    /// `makeLeader` and `lead()` up to `cnxAcceptor.start()` are still running
    /// (`Work::LeaderSetup`): the quorum port refuses learners.
    pub(crate) setting_up: bool,
    /// A NEWLEADER quorum was reached and `startZkServer` is running (`Work::LeaderStartup`).
    pub(crate) starting: bool,
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
}

impl Leader {
    /// The learners whose handlers have sent NEWLEADER: `Leader.forwardingFollowers`, which
    /// get proposals, commits and pings.
    pub(crate) fn forwarding_to(&self) -> Vec<NodeId> {
        self.handlers
            .iter()
            .flatten()
            .filter(|h| h.stage >= learner_handler::HandlerStage::AwaitNewLeaderAck)
            .map(|h| h.sid)
            .collect()
    }

    /// Whether the leader is established and serving (BROADCAST).
    pub(crate) fn is_serving(&self) -> bool {
        self.started
    }

    /// Whether the request pipeline takes writes: once started, or, under zk-790, as soon as
    /// set-up is over (3.3.1's `lead()` calls `zk.startup()` before waiting for any follower).
    /// zabsim has no sessions yet, so a client write stands in for the session tracker's
    /// closeSession that triggered the JIRA; once sessions exist, an expiry here is the trigger.
    pub(crate) fn accepts_writes(&self, variants: &crate::config::Variants) -> bool {
        self.started || (variants.zk_790 && !self.setting_up)
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
    /// The leader state; every caller runs only while LEADING.
    fn leader(&mut self) -> &mut Leader {
        match &mut self.role {
            Role::Leading(l) => l,
            _ => unreachable!("{}: leader handler outside LEADING", self.id),
        }
    }

    /// `Leader.lead()` begins: open the learner port and call getEpochToPropose for ourselves.
    pub(crate) fn start_leading(&mut self, cx: &mut Cx<'_>) {
        let slots = self.ensemble.size() + 1;
        let summary = (self.disk.current_epoch, self.db.last_processed_zxid());
        self.role = Role::Leading(Box::new(Leader {
            epoch: None,
            proposed_epoch: Epoch(0),
            connecting: NodeSet::EMPTY,
            electing: NodeSet::EMPTY,
            election_finished: false,
            newleader_acks: NodeSet::EMPTY,
            self_newleader_ack_after: None,
            setting_up: true,
            starting: false,
            started: false,
            summary,
            handlers: vec![None; slots],
            tick: 0,
            half_tick: false,
            outstanding: VecDeque::new(),
            last_proposed: Zxid::ZERO,
        }));
        cx.out.work = Some(Work::LeaderSetup);
    }

    /// The leader's `Work` is done: set-up (the learner port opens and `lead()` proceeds) or
    /// `startZkServer`.
    pub(crate) fn leader_on_work_done(&mut self, cx: &mut Cx<'_>) {
        let leader = self.leader();
        if leader.setting_up {
            leader.setting_up = false;
            if self.config.variants.zk_790 {
                // ZOOKEEPER-790 (3.3.1 `Leader.lead`): zk.setZxid(epoch << 32) with the epoch
                // of the last zxid + 1, and the pipeline started, before anyone follows.
                // 3.3.1 also sets the database's lastProcessedZxid to it there.
                let leader = self.leader();
                let marker = Zxid::epoch_marker(leader.summary.1.epoch.next());
                leader.last_proposed = marker;
                self.db.set_last_processed_zxid(marker);
            }
            self.set_timer(cx, TimerKind::LeaderWait, self.config.init_limit_us());
            let (me, accepted) = (self.id, self.disk.accepted_epoch);
            self.get_epoch_to_propose(cx, me, accepted);
        } else if leader.starting && !leader.started {
            self.finish_zk_server_startup(cx);
        }
    }

    /// A write became durable: it may complete the leader's own NEWLEADER ack (its currentEpoch)
    /// and its own ACK of proposals it logged.
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

    /// An initLimit wait ran out before a NEWLEADER quorum: `Leader.lead()` gives up.
    pub(crate) fn leader_on_wait_timeout(&mut self, cx: &mut Cx<'_>) {
        let leader = self.leader();
        if !(leader.starting || leader.started) {
            self.leave(cx, LeaveReason::WaitTimedOut);
        }
    }
}
