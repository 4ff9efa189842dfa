//! `DataTree`: one server's copy of the replicated state (ZooKeeper's `DataTree` plus the
//! session table `ZKDatabase.sessionsWithTimeouts`): the znodes, each session's ephemerals,
//! the live sessions, and the last txn applied. This file holds the state, the reads and the
//! digest; how a txn changes the state is in `apply.rs`.

use super::digest::WordHash;
use super::error::ZkError;
use super::node::ZNode;
use super::op::SessionId;
use super::path::ZPath;
use super::stat::Stat;
use crate::ids::Zxid;
use std::collections::{BTreeMap, BTreeSet};

/// The znode tree with its sessions. Starts with the root `/` alone (a real server also
/// holds `/zookeeper` and its quota and config children, which this model leaves out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataTree {
    /// Every node by path; the root is always present.
    pub(super) nodes: BTreeMap<ZPath, ZNode>,
    /// `DataTree.ephemerals`: the ephemeral paths each session owns. A session with none has
    /// no entry, so two trees with equal nodes have equal indexes.
    pub(super) ephemerals: BTreeMap<SessionId, BTreeSet<ZPath>>,
    /// Live sessions and their negotiated timeouts (`ZKDatabase.sessionsWithTimeouts`).
    pub(super) sessions: BTreeMap<SessionId, u32>,
    /// `DataTree.lastProcessedZxid`.
    pub(super) last_processed_zxid: Zxid,
    /// The wrapping sum of every node's digest, kept as nodes change (ZooKeeper's
    /// `DigestCalculator` adds and subtracts node digests the same way, ZOOKEEPER-3114), so
    /// the tree digest costs the same however large the tree.
    pub(super) nodes_digest: u64,
}

impl Default for DataTree {
    fn default() -> DataTree {
        DataTree::new()
    }
}

impl DataTree {
    /// An empty database: the root only, no sessions, nothing applied.
    pub fn new() -> DataTree {
        let root = ZNode::root();
        DataTree {
            nodes_digest: node_digest(&ZPath::root(), &root),
            nodes: BTreeMap::from([(ZPath::root(), root)]),
            ephemerals: BTreeMap::new(),
            sessions: BTreeMap::new(),
            last_processed_zxid: Zxid::ZERO,
        }
    }

    /// `getData`: the node's data and stat.
    pub fn get_data(&self, path: &ZPath) -> Result<(&[u8], Stat), ZkError> {
        let node = self.nodes.get(path).ok_or(ZkError::NoNode)?;
        Ok((&node.data, node.stat()))
    }

    /// `exists`: the node's stat, if it exists.
    pub fn exists(&self, path: &ZPath) -> Option<Stat> {
        self.nodes.get(path).map(ZNode::stat)
    }

    /// `getChildren`: the children's names, sorted. (ZooKeeper returns them in hash-set
    /// order and clients sort; sorted is the deterministic choice.)
    pub fn get_children(&self, path: &ZPath) -> Result<Vec<String>, ZkError> {
        let node = self.nodes.get(path).ok_or(ZkError::NoNode)?;
        Ok(node.children.iter().cloned().collect())
    }

    /// `getEphemerals(session)`: the paths the session owns, in path order.
    pub fn ephemerals(&self, session: SessionId) -> Vec<ZPath> {
        self.ephemerals.get(&session).map(|paths| paths.iter().cloned().collect()).unwrap_or_default()
    }

    /// Live sessions with their timeouts, in id order.
    pub fn sessions(&self) -> &BTreeMap<SessionId, u32> {
        &self.sessions
    }

    /// Whether `session` has been created and not closed.
    pub fn is_live(&self, session: SessionId) -> bool {
        self.sessions.contains_key(&session)
    }

    /// The zxid of the last txn applied; `Zxid::ZERO` before any.
    pub fn last_processed_zxid(&self) -> Zxid {
        self.last_processed_zxid
    }

    /// Number of znodes, the root included.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every path with its stat, in path order (for checkers and dumps).
    pub fn nodes(&self) -> impl Iterator<Item = (&ZPath, Stat)> + '_ {
        self.nodes.iter().map(|(path, node)| (path, node.stat()))
    }

    /// A hash of the whole replicated state: every path with its data and persisted stat,
    /// then every live session with its timeout. Two servers that applied the same txns
    /// have the same digest. `last_processed_zxid` is left out, so a txn that failed changes
    /// nothing here. (ZooKeeper's `DataTree.getTreeDigest` covers the nodes only; sessions
    /// are included so that a diverging createSession is caught too.)
    pub fn digest(&self) -> u64 {
        let mut hash = WordHash::new();
        hash.u64(self.nodes.len() as u64);
        hash.u64(self.nodes_digest);
        hash.u64(self.sessions.len() as u64);
        for (session, timeout_ms) in &self.sessions {
            hash.u64(session.0);
            hash.u64(u64::from(*timeout_ms));
        }
        hash.finish()
    }

    /// Checks the tree's internal consistency: every node but the root has its parent, the
    /// parent lists it, children lists name existing nodes, no ephemeral has children, and
    /// the ephemeral index matches the owners, and
    /// every owner is a live session. Returns the first inconsistency found.
    pub fn check_invariants(&self) -> Result<(), String> {
        let summed = self.nodes.iter().fold(0u64, |sum, (path, node)| sum.wrapping_add(node_digest(path, node)));
        if summed != self.nodes_digest {
            return Err(format!("the kept node digest {:016x} is not the nodes' {summed:016x}", self.nodes_digest));
        }
        if !self.nodes.contains_key(&ZPath::root()) {
            return Err("the root is missing".into());
        }
        let mut owned: BTreeMap<SessionId, BTreeSet<ZPath>> = BTreeMap::new();
        for (path, node) in &self.nodes {
            if let Some(parent) = path.parent() {
                let listed = self.nodes.get(&parent).is_some_and(|p| p.children.contains(path.name()));
                if !listed {
                    return Err(format!("{path} is not listed by its parent {parent}"));
                }
            }
            for child in &node.children {
                let child_path = path.child(child).map_err(|e| format!("{path} lists a bad child: {e}"))?;
                if !self.nodes.contains_key(&child_path) {
                    return Err(format!("{path} lists the missing child {child}"));
                }
            }
            if node.is_ephemeral() {
                if !node.children.is_empty() {
                    return Err(format!("ephemeral {path} has children"));
                }
                owned.entry(node.ephemeral_owner).or_default().insert(path.clone());
            }
        }
        if let Some(owner) = owned.keys().find(|owner| !self.sessions.contains_key(owner)) {
            return Err(format!("session {owner} owns ephemerals but is not live"));
        }
        if owned != self.ephemerals {
            return Err("the ephemeral index does not match the nodes' owners".into());
        }
        Ok(())
    }
}

/// One node's share of the tree digest: its path, data and persisted stat.
pub(super) fn node_digest(path: &ZPath, node: &ZNode) -> u64 {
    let mut hash = WordHash::new();
    hash.bytes(path.as_str().as_bytes());
    hash.bytes(&node.data);
    hash.u64(node.czxid.as_u64());
    hash.u64(node.mzxid.as_u64());
    hash.u64(node.pzxid.as_u64());
    hash.u64(u64::from(node.version as u32) << 32 | u64::from(node.child_creations as u32));
    hash.u64(node.ephemeral_owner.0);
    hash.finish()
}
