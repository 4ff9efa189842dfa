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
