//! Fast Leader Election (`FastLeaderElection.lookForLeader` and its `WorkerReceiver`), as
//! ZooKeeper 3.8/3.9 run it, turned inside out: the blocking `recvqueue.poll(timeout)` loop
//! becomes a handler per notification plus two timers (the poll timeout with its back-off, and
//! finalizeWait).

use crate::ids::{NodeId, NodeSet, Round};
use crate::io::{Observation, TimerKind};
use crate::message::Notification;
use crate::node::{Cx, Node, Role};
use crate::vote::{beats, ServerState, TalliedVote, Vote};

/// State of one `lookForLeader` call.
#[derive(Clone, Debug)]
pub struct Election {
    /// Votes of the current round, by sender sid.
    pub(crate) recvset: Vec<Option<TalliedVote>>,
    /// FOLLOWING/LEADING votes from any round, by sender sid.
    pub(crate) outofelection: Vec<Option<TalliedVote>>,
    /// The vote this server currently proposes.
    pub proposal: Vote,
    /// The poll timeout, doubling from minNotificationInterval to maxNotificationInterval.
    pub(crate) not_timeout_ms: u32,
    /// Set while draining the queue for finalizeWait after a quorum agreed: the agreeing set.
    pub(crate) finalizing: Option<NodeSet>,
}

impl Node {
    /// Entry of `lookForLeader`: new round, own vote, broadcast to every voter and itself.
    pub(crate) fn start_election(&mut self, cx: &mut Cx<'_>) {
        let slots = self.ensemble.size() + 1;
        self.logicalclock = Round(self.logicalclock.0 + 1);
        let initial = self.initial_vote();
        self.role = Role::Looking(Box::new(Election {
            recvset: vec![None; slots],
            outofelection: vec![None; slots],
            proposal: initial,
            not_timeout_ms: self.config.min_notification_interval_ms,
            finalizing: None,
        }));
        cx.out.observations.push(Observation::ElectionStarted { round: self.logicalclock, initial });
        self.broadcast_proposal(cx);
        self.arm_poll_timeout(cx);
    }

    fn election(&mut self) -> &mut Election {
        match &mut self.role {
            Role::Looking(e) => e,
            _ => unreachable!("{}: FLE handler outside LOOKING", self.id),
        }
    }

    /// `sendNotifications`: the proposal to every voter, including this server (loopback),
    /// so its own vote is tallied through the same path as everybody else's.
    fn broadcast_proposal(&self, cx: &mut Cx<'_>) {
        let proposal = match &self.role {
            Role::Looking(e) => e.proposal,
            _ => return,
        };
        let msg = self.notification(ServerState::Looking, proposal, self.logicalclock);
        for to in self.ensemble.members() {
            self.send(cx, to, msg.clone());
        }
    }

    /// `recvqueue.poll(notTimeout)`: every notification taken from the queue restarts the wait.
    fn arm_poll_timeout(&mut self, cx: &mut Cx<'_>) {
        let after_us = self.election().not_timeout_ms as u64 * 1000;
        self.set_timer(cx, TimerKind::NotificationTimeout, after_us);
    }

    /// A notification arrived, in any role (`WorkerReceiver.run`).
    pub(crate) fn on_notification(&mut self, cx: &mut Cx<'_>, from: NodeId, n: Notification) {
        if !self.ensemble.is_voter(from) {
            // Only voters exist in a zabsim ensemble; a message from anyone else is dropped.
            return;
        }
        match self.role {
            Role::Looking(_) => {
                // A LOOKING peer in an older round gets our proposal at once, before
                // lookForLeader even sees its notification.
                if n.state == ServerState::Looking && n.round < self.logicalclock {
                    let proposal = self.election().proposal;
                    let reply = self.notification(ServerState::Looking, proposal, self.logicalclock);
                    self.send(cx, from, reply);
                }
                self.look_for_leader_receive(cx, from, n);
            }
            Role::Following(_) | Role::Leading(_) | Role::Leaving(_) => {
                // Established servers answer LOOKING ones with their current vote, its round
                // and their own state (still the old one while shutting down: QuorumPeer's
                // state changes only after the shutdown); other notifications are ignored.
                if n.state == ServerState::Looking {
                    let reply = self.notification(self.state(), self.current_vote, self.current_vote_round);
                    self.send(cx, from, reply);
                }
            }
            Role::Down => {}
        }
    }

    /// lookForLeader taking `n` off the queue.
    fn look_for_leader_receive(&mut self, cx: &mut Cx<'_>, from: NodeId, n: Notification) {
        let zk_1419 = self.config.variants.zk_1419;
        let election = self.election();
        if election.finalizing.is_some() {
            // The finalizeWait drain loop: a better vote (by the predicate alone, whatever its
            // round or state) goes back to the main loop; anything else is discarded and the
            // 200 ms wait starts over.
            if beats(&n.vote, &election.proposal, zk_1419) {
                election.finalizing = None;
                self.cancel_timer(cx, TimerKind::FinalizeWait);
            } else {
                let after_us = self.config.finalize_wait_ms as u64 * 1000;
                self.set_timer(cx, TimerKind::FinalizeWait, after_us);
                return;
            }
        }
        self.arm_poll_timeout(cx);
        if !self.ensemble.is_voter(n.vote.leader) {
            return;
        }
        match n.state {
            ServerState::Looking => self.receive_looking(cx, from, n),
            ServerState::Following | ServerState::Leading => self.receive_established(cx, from, n),
        }
    }

    /// Case LOOKING of lookForLeader: round rules, proposal update, tally, quorum test.
    fn receive_looking(&mut self, cx: &mut Cx<'_>, from: NodeId, n: Notification) {
        let zk_1419 = self.config.variants.zk_1419;
        let initial = self.initial_vote();
        let clock = self.logicalclock;
        if n.round > clock {
            // A higher round pulls us up, clears the tally and re-judges the sender's vote
            // against our *initial* vote, not our previous proposal.
            self.logicalclock = n.round;
            let election = self.election();
            election.recvset.iter_mut().for_each(|v| *v = None);
            election.proposal = if beats(&n.vote, &initial, zk_1419) { n.vote } else { initial };
            self.broadcast_proposal(cx);
        } else if n.round < clock {
            return;
        } else {
            let election = self.election();
            if beats(&n.vote, &election.proposal, zk_1419) {
                election.proposal = n.vote;
                self.broadcast_proposal(cx);
            }
        }
        let clock = self.logicalclock;
        let ensemble = self.ensemble;
        let election = self.election();
        election.recvset[from.index()] =
            Some(TalliedVote { vote: n.vote, round: n.round, state: ServerState::Looking });
        let mine = TalliedVote { vote: election.proposal, round: clock, state: ServerState::Looking };
        let agreeing = agreeing_with(&election.recvset, &mine);
        if ensemble.is_quorum(&agreeing) {
            election.finalizing = Some(agreeing);
            self.cancel_timer(cx, TimerKind::NotificationTimeout);
            let after_us = self.config.finalize_wait_ms as u64 * 1000;
            self.set_timer(cx, TimerKind::FinalizeWait, after_us);
        }
    }

    /// Cases FOLLOWING and LEADING (`receivedFollowingNotification`): join an ensemble whose
    /// quorum already follows a leader that itself says LEADING (`checkLeader`).
    fn receive_established(&mut self, cx: &mut Cx<'_>, from: NodeId, n: Notification) {
        let ensemble = self.ensemble;
        let me = self.id;
        let clock = self.logicalclock;
        let theirs = TalliedVote { vote: n.vote, round: n.round, state: n.state };
        let election = self.election();
        if n.round == clock {
            election.recvset[from.index()] = Some(theirs);
            let agreeing = agreeing_with(&election.recvset, &theirs);
            if ensemble.is_quorum(&agreeing) && check_leader(&election.recvset, n.vote.leader, n.round, me, clock) {
                self.decide(cx, n.vote, n.round, None);
                return;
            }
        }
        let election = self.election();
        // outofelection also keeps votes of the current round (ZOOKEEPER-1732).
        election.outofelection[from.index()] = Some(theirs);
        let agreeing = agreeing_with(&election.outofelection, &theirs);
        if ensemble.is_quorum(&agreeing) && check_leader(&election.outofelection, n.vote.leader, n.round, me, clock) {
            self.logicalclock = n.round;
            self.decide(cx, n.vote, n.round, None);
        }
    }

    /// The poll timed out: resend (the transport reconnects as needed) and back off.
    pub(crate) fn fle_on_notification_timeout(&mut self, cx: &mut Cx<'_>) {
        if self.election().finalizing.is_some() {
            return;
        }
        self.broadcast_proposal(cx);
        let max = self.config.max_notification_interval_ms;
        let election = self.election();
        election.not_timeout_ms = election.not_timeout_ms.saturating_mul(2).min(max);
        self.arm_poll_timeout(cx);
    }

    /// finalizeWait passed with no better vote: decide the proposal.
    pub(crate) fn fle_on_finalize_wait(&mut self, cx: &mut Cx<'_>) {
        let election = self.election();
        let Some(agreeing) = election.finalizing else { return };
        let proposal = election.proposal;
        let round = self.logicalclock;
        self.decide(cx, proposal, round, Some(agreeing));
    }

    /// `setPeerState` + `leaveInstance`: become LEADING or FOLLOWING with `vote` as the end vote.
    fn decide(&mut self, cx: &mut Cx<'_>, vote: Vote, round: Round, agreeing: Option<NodeSet>) {
        self.cancel_timer(cx, TimerKind::NotificationTimeout);
        self.cancel_timer(cx, TimerKind::FinalizeWait);
        self.current_vote = vote;
        self.current_vote_round = round;
        cx.out.observations.push(Observation::Decided { vote, round, agreeing });
        if vote.leader == self.id {
            self.start_leading(cx);
        } else {
            self.start_following(cx, vote.leader);
        }
    }
}

/// The senders whose tallied vote equals `target` (`getVoteTracker` with `Vote.equals`).
fn agreeing_with(votes: &[Option<TalliedVote>], target: &TalliedVote) -> NodeSet {
    votes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some_and(|v| v.agrees_with(target)))
        .map(|(sid, _)| NodeId(sid as u8))
        .collect()
}

/// `checkLeader`: another server may be followed only if it told us itself that it is
/// LEADING; we may lead only if the agreement is about our current round.
fn check_leader(votes: &[Option<TalliedVote>], leader: NodeId, round: Round, me: NodeId, clock: Round) -> bool {
    if leader != me {
        matches!(votes.get(leader.index()), Some(Some(v)) if v.state == ServerState::Leading)
    } else {
        clock == round
    }
}
