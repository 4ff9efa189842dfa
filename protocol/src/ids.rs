//! Identifiers with their own types, so a server id, an epoch and an election round can never
//! be mixed up: `NodeId`, `Epoch`, `Zxid`, `Round`, and the small `NodeSet` used for quorums.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A server id (`myid` / sid). ZooKeeper's admin guide recommends 1..=255; zabsim numbers the
/// servers of an N-server ensemble 1..=N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u8);

impl NodeId {
    /// The id as an index into per-server tables sized `ensemble size + 1`.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// A Zab epoch: the high 32 bits of a zxid, and the value of the `acceptedEpoch` and
/// `currentEpoch` files (ZooKeeper `ZxidUtils`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Epoch(pub u32);

impl Epoch {
    /// The epoch after this one.
    #[inline]
    pub fn next(self) -> Epoch {
        Epoch(self.0 + 1)
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

/// A ZooKeeper transaction id: (epoch, counter), ordered lexicographically, which is the same as
/// comparing ZooKeeper's 64-bit value. Counter 0 is an epoch marker, never a real transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Zxid {
    /// The epoch of the leader that proposed it.
    pub epoch: Epoch,
    /// Position within the epoch, from 1.
    pub counter: u32,
}

impl Zxid {
    /// The zxid of an empty database.
    pub const ZERO: Zxid = Zxid { epoch: Epoch(0), counter: 0 };

    /// `ZxidUtils.makeZxid(epoch, counter)`.
    #[inline]
    pub fn new(epoch: Epoch, counter: u32) -> Zxid {
        Zxid { epoch, counter }
    }

    /// The epoch marker `(epoch, 0)`: NEWLEADER's zxid and a freshly established leader's
    /// lastProcessedZxid.
    #[inline]
    pub fn epoch_marker(epoch: Epoch) -> Zxid {
        Zxid { epoch, counter: 0 }
    }

    /// Whether this is an epoch marker rather than a real transaction.
    #[inline]
    pub fn is_epoch_marker(self) -> bool {
        self.counter == 0
    }

    /// ZooKeeper's 64-bit encoding, for display and hashing.
    #[inline]
    pub fn as_u64(self) -> u64 {
        ((self.epoch.0 as u64) << 32) | self.counter as u64
    }
}

impl fmt::Display for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch.0, self.counter)
    }
}

/// An FLE round: `logicalclock` on the server, `electionEpoch` in a notification. Volatile: it
/// restarts from 0 when the process restarts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Round(pub u64);

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// A set of server ids (1..=255) as a 256-bit bitset: cheap to copy, iterated in id order, so
/// quorum bookkeeping never depends on hash order. Serialized as the list of its sids
/// (`[1, 3]`), not as the bitset words.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "Vec<NodeId>", from = "Vec<NodeId>")]
pub struct NodeSet([u64; 4]);

impl From<NodeSet> for Vec<NodeId> {
    fn from(set: NodeSet) -> Vec<NodeId> {
        set.iter().collect()
    }
}

impl From<Vec<NodeId>> for NodeSet {
    fn from(ids: Vec<NodeId>) -> NodeSet {
        ids.into_iter().collect()
    }
}

impl NodeSet {
    /// The empty set.
    pub const EMPTY: NodeSet = NodeSet([0; 4]);

    /// Adds `id`; returns whether it was new.
    #[inline]
    pub fn insert(&mut self, id: NodeId) -> bool {
        let (word, bit) = (id.index() / 64, id.index() % 64);
        let was = self.0[word] & (1 << bit) != 0;
        self.0[word] |= 1 << bit;
        !was
    }

    /// Removes `id`.
    #[inline]
    pub fn remove(&mut self, id: NodeId) {
        self.0[id.index() / 64] &= !(1 << (id.index() % 64));
    }

    /// Whether `id` is in the set.
    #[inline]
    pub fn contains(&self, id: NodeId) -> bool {
        self.0[id.index() / 64] & (1 << (id.index() % 64)) != 0
    }

    /// Number of members.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Members in increasing id order.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.0.iter().enumerate().flat_map(|(word, bits)| {
            let mut rest = *bits;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(NodeId((word as u32 * 64 + bit) as u8))
            })
        })
    }

    /// Set intersection.
    pub fn intersection(&self, other: &NodeSet) -> NodeSet {
        let mut out = NodeSet::EMPTY;
        for i in 0..4 {
            out.0[i] = self.0[i] & other.0[i];
        }
        out
    }
}

impl FromIterator<NodeId> for NodeSet {
    fn from_iter<I: IntoIterator<Item = NodeId>>(iter: I) -> Self {
        let mut set = NodeSet::EMPTY;
        for id in iter {
            set.insert(id);
        }
        set
    }
}

impl fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, id) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{id}")?;
        }
        f.write_str("}")
    }
}

/// The static voter set: servers 1..=size, majority quorums (ZooKeeper `QuorumMaj`). Weights,
/// hierarchical quorums, observers and dynamic reconfiguration are out of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ensemble {
    size: u8,
}

impl Ensemble {
    /// An ensemble of `size` voters, 1..=255.
    pub fn new(size: u8) -> Ensemble {
        assert!(size >= 1, "an ensemble needs at least one server");
        Ensemble { size }
    }

    /// Number of voters.
    #[inline]
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// Every voter, in id order.
    pub fn members(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.size).map(NodeId)
    }

    /// Whether `id` is a voter (`FastLeaderElection.validVoter`).
    #[inline]
    pub fn is_voter(&self, id: NodeId) -> bool {
        id.0 >= 1 && id.0 <= self.size
    }

    /// Smallest number of voters that forms a quorum: a strict majority.
    #[inline]
    pub fn quorum_size(&self) -> usize {
        self.size as usize / 2 + 1
    }

    /// `QuorumMaj.containsQuorum`: whether the voters in `set` are a strict majority.
    #[inline]
    pub fn is_quorum(&self, set: &NodeSet) -> bool {
        // Ids outside 1..=size are never inserted by the protocol, so a popcount suffices.
        debug_assert!(set.iter().all(|id| self.is_voter(id)), "non-voter in {set}");
        set.len() >= self.quorum_size()
    }
}
