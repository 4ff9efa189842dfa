//! FLE votes, their order (`FastLeaderElection.totalOrderPredicate`) and their equality
//! (`Vote.equals`).

use crate::ids::{Epoch, NodeId, Round, Zxid};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `QuorumPeer.ServerState` (observers are out of scope).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// Running leader election.
    Looking,
    /// Following an elected leader.
    Following,
    /// Leading.
    Leading,
}

impl ServerState {
    /// The upper-case name ZooKeeper logs.
    pub fn name(self) -> &'static str {
        match self {
            ServerState::Looking => "LOOKING",
            ServerState::Following => "FOLLOWING",
            ServerState::Leading => "LEADING",
        }
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a server proposes as leader: the candidate's sid, its last logged zxid and its
/// currentEpoch. Ordered by (peerEpoch, zxid, sid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vote {
    /// Proposed leader.
    pub leader: NodeId,
    /// The proposed leader's last logged zxid.
    pub zxid: Zxid,
    /// The proposed leader's currentEpoch.
    pub peer_epoch: Epoch,
}

impl Vote {
    /// The key ZooKeeper's correct predicate compares lexicographically.
    #[inline]
    pub fn order_key(&self) -> (Epoch, Zxid, NodeId) {
        (self.peer_epoch, self.zxid, self.leader)
    }
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({} z={} {})", self.leader, self.zxid, self.peer_epoch)
    }
}

/// `FastLeaderElection.totalOrderPredicate(new, current)`: whether `new` is strictly better.
/// With `zk_1419` it is the 3.4.3 predicate whose sid tie-break ignores the epochs
/// (ZOOKEEPER-1419), which is not an order: two votes can each beat the other.
#[inline]
pub fn beats(new: &Vote, current: &Vote, zk_1419: bool) -> bool {
    if zk_1419 {
        new.peer_epoch > current.peer_epoch
            || (new.peer_epoch == current.peer_epoch && new.zxid > current.zxid)
            || (new.zxid == current.zxid && new.leader > current.leader)
    } else {
        new.order_key() > current.order_key()
    }
}

/// A vote as stored in `recvset`/`outofelection`: the vote plus the round it was cast in and
/// the sender's state (ZooKeeper `Vote` with electionEpoch and state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TalliedVote {
    /// The vote.
    pub vote: Vote,
    /// electionEpoch of the notification.
    pub round: Round,
    /// State of the server that cast it.
    pub state: ServerState,
}

impl TalliedVote {
    /// `Vote.equals`: LOOKING votes match on every field; two votes from established servers
    /// match on (leader, peerEpoch) only, because their zxid and round may be stale
    /// (ZOOKEEPER-1732/1805). All zabsim servers speak the same message version, so the
    /// mixed-version rule never applies.
    #[inline]
    pub fn agrees_with(&self, other: &TalliedVote) -> bool {
        if self.state == ServerState::Looking || other.state == ServerState::Looking {
            self.vote == other.vote && self.round == other.round
        } else {
            self.vote.leader == other.vote.leader && self.vote.peer_epoch == other.vote.peer_epoch
        }
    }
}
