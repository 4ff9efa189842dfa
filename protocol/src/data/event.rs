//! `WatchEvent`: a change a txn makes that a watch can observe, named as in ZooKeeper's
//! `Watcher.Event.EventType`.

use super::path::ZPath;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The node-level event types of `Watcher.Event.EventType` (not `None`, which reports
/// connection state, nor the persistent-watch and removal types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatchEventKind {
    /// A node was created at the path (fires data watches set by exists).
    NodeCreated,
    /// The node at the path was deleted (fires its data and child watches).
    NodeDeleted,
    /// The node's data was set (fires data watches).
    NodeDataChanged,
    /// A child of the node at the path was created or deleted (fires child watches).
    NodeChildrenChanged,
}

/// One event at one path. For `NodeChildrenChanged` the path is the parent's, as in the
/// `WatchedEvent` a ZooKeeper client receives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WatchEvent {
    /// What happened.
    pub kind: WatchEventKind,
    /// Where.
    pub path: ZPath,
}

impl WatchEvent {
    /// An event of `kind` at `path`.
    pub fn new(kind: WatchEventKind, path: ZPath) -> WatchEvent {
        WatchEvent { kind, path }
    }
}

impl fmt::Display for WatchEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WatchEventKind::NodeCreated => "NodeCreated",
            WatchEventKind::NodeDeleted => "NodeDeleted",
            WatchEventKind::NodeDataChanged => "NodeDataChanged",
            WatchEventKind::NodeChildrenChanged => "NodeChildrenChanged",
        })
    }
}

impl fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path)
    }
}
