//! `Stat`: a znode's metadata as a client sees it (`org.apache.zookeeper.data.Stat`, without
//! the wall-clock ctime/mtime and the ACL version, which this model does not keep).

use super::op::SessionId;
use crate::ids::Zxid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A znode's metadata, as returned by exists, getData and setData.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    /// The txn that created the node.
    pub czxid: Zxid,
    /// The txn that last set its data (the creating txn until then).
    pub mzxid: Zxid,
    /// The txn that last added or removed a child (the creating txn until then).
    pub pzxid: Zxid,
    /// Number of setData calls on it.
    pub version: i32,
    /// Number of child creations plus deletions (`DataNode.copyStat`'s "v3 semantics").
    pub cversion: i32,
    /// The owning session of an ephemeral node; [`SessionId::NONE`] for a persistent one.
    pub ephemeral_owner: SessionId,
    /// Length of its data in bytes.
    pub data_length: u32,
    /// Number of children.
    pub num_children: u32,
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "czxid={} mzxid={} pzxid={} v={} cv={} owner={} len={} children={}",
            self.czxid,
            self.mzxid,
            self.pzxid,
            self.version,
            self.cversion,
            self.ephemeral_owner,
            self.data_length,
            self.num_children
        )
    }
}
