//! ElectionQuorumMaximum: a vote decided by a LOOKING quorum is at least the initial vote
//! (currentEpoch, last zxid, sid) of every server in that quorum when it voted, as
//! `FastLeaderElection.totalOrderPredicate` orders votes.

use super::*;
use zabsim_protocol::NodeSet;

impl Checker {
    /// A LOOKING server sent a notification in `round` while its initial vote was `initial`.
    /// Rounds restart at 1 when a server restarts, so one (server, round) can name votes of
    /// several process lifetimes; the weakest initial vote is kept, so the check never blames
    /// a decision on a vote from another lifetime.
    pub(super) fn note_looking_vote(&mut self, from: NodeId, round: Round, initial: Vote) {
        let entry = self.initial_votes.entry((from, round)).or_insert(initial);
        if initial.order_key() < entry.order_key() {
            *entry = initial;
        }
    }

    /// `id` decided `vote` in `round`, counting `agreeing`.
    pub(super) fn check_decision(&self, id: NodeId, vote: Vote, round: Round, agreeing: NodeSet) -> Result<(), Breach> {
        for voter in agreeing.iter() {
            if let Some(initial) = self.initial_votes.get(&(voter, round)) {
                if vote.order_key() < initial.order_key() {
                    return Err(Breach::new(
                        Invariant::ElectionQuorumMaximum,
                        vec![id.0, voter.0],
                        format!("{id} decided {vote} in {round} counting {voter}, whose own vote {initial} is better"),
                    ));
                }
            }
        }
        Ok(())
    }
}
