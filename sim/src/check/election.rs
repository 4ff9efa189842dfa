//! ElectionQuorumMaximum: a vote decided by a LOOKING quorum is at least the initial vote
//! (currentEpoch, last zxid, sid) that each LOOKING member of that quorum had when it sent
//! the vote counted, as `FastLeaderElection.totalOrderPredicate` orders votes.

use super::*;
use zabsim_protocol::{NodeSet, Notification};

/// A vote as sent: (sender, round, the vote's order key).
pub(super) type SentVote = (NodeId, Round, (Epoch, Zxid, NodeId));

impl Checker {
    /// A LOOKING server sent notification `n` while its initial vote was `initial`. Rounds
    /// restart at 1 when a server restarts, so one (server, round, vote) can name votes of
    /// several process lifetimes; the weakest initial vote is kept, so the check never blames
    /// a decision on a vote from another lifetime.
    pub(super) fn note_looking_vote(&mut self, from: NodeId, n: &Notification, initial: Vote) {
        let entry = self.initial_votes.entry((from, n.round, n.vote.order_key())).or_insert(initial);
        if initial.order_key() < entry.order_key() {
            *entry = initial;
        }
    }

    /// `id` decided `vote` in `round`, counting `agreeing`.
    ///
    /// The tally `lookForLeader` counts in its LOOKING case is `recvset`, which also holds the
    /// FOLLOWING/LEADING notifications of the same round, and `Vote.equals` matches a LOOKING
    /// vote with an established one. A server that joined a leader through those notifications
    /// (`receivedFollowingNotification`, `outofelection`) answers with its end vote and that
    /// round, and this vote may be below the initial vote it had sent LOOKING in the same
    /// round: it joined an ensemble that already had a quorum, which FLE allows. The rule
    /// therefore holds a member only to the LOOKING notification whose vote was counted: the
    /// same round and the same vote as the decision (`Vote.equals` on a LOOKING vote). A member
    /// that never sent that vote LOOKING in that round was counted through its FOLLOWING or
    /// LEADING vote, which says nothing about its initial vote.
    pub(super) fn check_decision(&self, id: NodeId, vote: Vote, round: Round, agreeing: NodeSet) -> Result<(), Breach> {
        for voter in agreeing.iter() {
            if let Some(initial) = self.initial_votes.get(&(voter, round, vote.order_key())) {
                if vote.order_key() < initial.order_key() {
                    let mut servers = vec![id.0, voter.0];
                    servers.dedup();
                    return Err(Breach::new(
                        Invariant::ElectionQuorumMaximum,
                        servers,
                        format!("{id} decided {vote} in {round} counting {voter}, whose own vote {initial} is better"),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zabsim_protocol::ServerState;

    fn vote(leader: u8) -> Vote {
        Vote { leader: NodeId(leader), zxid: Zxid::ZERO, peer_epoch: Epoch(0) }
    }

    fn send(checker: &mut Checker, from: u8, state: ServerState, v: Vote, initial: Option<Vote>) {
        let msg = Message::Notification(Notification { state, vote: v, round: Round(1) });
        let pending = VecDeque::new();
        let seen = Seen::Departure {
            from: NodeId(from),
            to: NodeId(3),
            msg: &msg,
            pending: &pending,
            looking_initial: initial,
        };
        checker.check(&seen).expect("a departure alone breaks nothing here");
    }

    /// 5 servers, cold start: s5 voted for itself LOOKING in round 1, then joined leader s4
    /// through FOLLOWING/LEADING notifications and answers with FOLLOWING (s4) of round 1.
    /// s3 counts that FOLLOWING vote in its LOOKING tally (`Vote.equals`), with s3's and s4's
    /// LOOKING votes for s4: FLE allows it, s5's own LOOKING vote was never counted.
    #[test]
    fn a_following_vote_counted_in_a_looking_tally_is_not_held_to_its_looking_vote() {
        let mut checker = Checker::new(5);
        send(&mut checker, 5, ServerState::Looking, vote(5), Some(vote(5)));
        send(&mut checker, 4, ServerState::Looking, vote(4), Some(vote(4)));
        send(&mut checker, 3, ServerState::Looking, vote(4), Some(vote(3)));
        send(&mut checker, 5, ServerState::Following, vote(4), None);
        let agreeing: NodeSet = [NodeId(3), NodeId(4), NodeId(5)].into_iter().collect();
        checker.check_decision(NodeId(3), vote(4), Round(1), agreeing).expect("s5 was counted as FOLLOWING");
    }

    /// The same tally where s2 sent (s4) LOOKING though its own initial vote was better: a
    /// LOOKING vote below the sender's initial vote is still caught.
    #[test]
    fn a_looking_vote_below_its_senders_initial_vote_is_caught() {
        let mut checker = Checker::new(5);
        let better = Vote { leader: NodeId(2), zxid: Zxid { epoch: Epoch(1), counter: 3 }, peer_epoch: Epoch(1) };
        send(&mut checker, 2, ServerState::Looking, vote(4), Some(better));
        send(&mut checker, 4, ServerState::Looking, vote(4), Some(vote(4)));
        send(&mut checker, 3, ServerState::Looking, vote(4), Some(vote(3)));
        let agreeing: NodeSet = [NodeId(2), NodeId(3), NodeId(4)].into_iter().collect();
        let breach = checker.check_decision(NodeId(3), vote(4), Round(1), agreeing).expect_err("s2's vote is better");
        assert_eq!(breach.invariant, Invariant::ElectionQuorumMaximum);
        assert_eq!(breach.servers, vec![3, 2]);
    }
}
