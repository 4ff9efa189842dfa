//! `ZNode`: one node as the tree stores it (ZooKeeper's `DataNode` with its `StatPersisted`),
//! and how its persisted counters turn into the `Stat` a client sees.

use super::op::SessionId;
use super::stat::Stat;
use crate::ids::Zxid;
use std::collections::BTreeSet;

/// A stored znode. Its path is the key in the tree's map; `children` holds the names (last
/// segments) of its children, sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ZNode {
    pub(super) data: Vec<u8>,
    pub(super) czxid: Zxid,
    pub(super) mzxid: Zxid,
    pub(super) pzxid: Zxid,
    pub(super) version: i32,
    /// `StatPersisted.cversion`: the number of children ever created here. It names the next
    /// sequential child; deletions do not move it.
    pub(super) child_creations: i32,
    pub(super) ephemeral_owner: SessionId,
    pub(super) children: BTreeSet<String>,
}

impl ZNode {
    /// A node created by txn `zxid` (`DataTree.createStat`: all three zxids start at it).
    pub(super) fn new(data: Vec<u8>, zxid: Zxid, ephemeral_owner: SessionId) -> ZNode {
        ZNode {
            data,
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            version: 0,
            child_creations: 0,
            ephemeral_owner,
            children: BTreeSet::new(),
        }
    }

    /// The root as `DataTree`'s constructor makes it: no data, every zxid zero.
    pub(super) fn root() -> ZNode {
        ZNode::new(Vec::new(), Zxid::ZERO, SessionId::NONE)
    }

    pub(super) fn is_ephemeral(&self) -> bool {
        self.ephemeral_owner != SessionId::NONE
    }

    /// The client's view (`DataNode.copyStat`).
    pub(super) fn stat(&self) -> Stat {
        let num_children = self.children.len() as i32;
        Stat {
            czxid: self.czxid,
            mzxid: self.mzxid,
            pzxid: self.pzxid,
            version: self.version,
            // DataNode.copyStat: the persisted cversion counts creations only; every child
            // not still present was deleted once, so creations + deletions is
            // 2 * creations - present. Java int arithmetic, hence wrapping.
            cversion: self.child_creations.wrapping_mul(2).wrapping_sub(num_children),
            ephemeral_owner: self.ephemeral_owner,
            data_length: self.data.len() as u32,
            num_children: num_children as u32,
        }
    }
}
