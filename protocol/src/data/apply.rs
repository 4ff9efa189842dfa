//! `DataTree::apply`: one committed request changes the tree. Each op first runs the checks
//! `PrepRequestProcessor.pRequest2Txn` runs at the leader, in the same order, against the
//! same state, and then makes the changes `DataTree.processTxn` makes on every server. A
//! multi records what it overwrites so a failing op can undo the ops before it.

use super::error::ZkError;
use super::event::{WatchEvent, WatchEventKind};
use super::node::ZNode;
use super::op::{CreateMode, Op, Request, SessionId};
use super::path::ZPath;
use super::result::{Applied, OpResult};
use super::tree::{node_digest, DataTree};
use crate::ids::Zxid;
use std::collections::BTreeMap;

/// The state of every node a multi touched before it touched it: `None` for a node that did
/// not exist. Outside a multi nothing is recorded.
struct Undo {
    recording: bool,
    before: BTreeMap<ZPath, Option<ZNode>>,
}

impl Undo {
    fn off() -> Undo {
        Undo { recording: false, before: BTreeMap::new() }
    }

    fn recording() -> Undo {
        Undo { recording: true, before: BTreeMap::new() }
    }
}

impl DataTree {
    /// Applies the committed txn `zxid`, which carries `request`, and says what the client
    /// gets back and which watch events fire. Deterministic: the same tree and the same
    /// `(zxid, request)` give the same tree and the same `Applied` on every server. An op
    /// that fails changes nothing but `last_processed_zxid`: in ZooKeeper the leader turns it
    /// into an error txn, which still takes a zxid.
    pub fn apply(&mut self, zxid: Zxid, request: &Request) -> Applied {
        debug_assert!(
            zxid > self.last_processed_zxid,
            "txn {zxid} ({request}) applied after txn {}",
            self.last_processed_zxid
        );
        let mut events = Vec::new();
        let session = request.session;
        let result = match &request.op {
            Op::Multi(ops) => self.apply_multi(zxid, session, ops, &mut events),
            Op::CreateSession { timeout_ms } => self.create_session(session, *timeout_ms),
            Op::CloseSession => self.close_session(zxid, session, &mut events),
            Op::Error { error } => OpResult::Error(*error),
            op => self.apply_write(zxid, session, op, &mut Undo::off(), &mut events).unwrap_or_else(OpResult::Error),
        };
        // DataTree.processTxn only ever moves lastProcessedZxid forward.
        self.last_processed_zxid = self.last_processed_zxid.max(zxid);
        Applied { result, events }
    }

    /// One create, delete, setData or check. On error nothing has changed (outside a multi)
    /// or the changes are recorded in `undo` (inside one).
    fn apply_write(
        &mut self,
        zxid: Zxid,
        session: SessionId,
        op: &Op,
        undo: &mut Undo,
        events: &mut Vec<WatchEvent>,
    ) -> Result<OpResult, ZkError> {
        match op {
            Op::Create { path, data, mode } => self.create(zxid, session, path, data, *mode, undo, events),
            Op::Delete { path, version } => self.delete(zxid, session, path, *version, undo, events),
            Op::SetData { path, data, version } => self.set_data(zxid, session, path, data, *version, undo, events),
            Op::Check { path, version } => self.check(session, path, *version),
            Op::Multi(_) | Op::CreateSession { .. } | Op::CloseSession | Op::Error { .. } => {
                Err(ZkError::MarshallingError)
            }
        }
    }

    /// `SessionTracker.checkSession` as PrepRequestProcessor calls it before every write.
    /// ZooKeeper says UnknownSession for an id it never saw and SessionExpired for one that
    /// is closing; the tree forgets closed sessions, so both are SessionExpired here, which
    /// is what a client whose session ended sees.
    fn check_session(&self, session: SessionId) -> Result<(), ZkError> {
        if self.sessions.contains_key(&session) {
            Ok(())
        } else {
            Err(ZkError::SessionExpired)
        }
    }

    /// `pRequest2TxnCreate` then `DataTree.createNode`.
    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        zxid: Zxid,
        session: SessionId,
        requested: &ZPath,
        data: &[u8],
        mode: CreateMode,
        undo: &mut Undo,
        events: &mut Vec<WatchEvent>,
    ) -> Result<OpResult, ZkError> {
        self.check_session(session)?;
        // validatePathForCreate cuts at the last '/': the parent of "/" is the root itself,
        // and a sequential name goes next to the prefix ("/a/n-" -> "/a/n-0000000003").
        let (parent, parent_node) =
            self.nodes.get_key_value(requested.parent_str().unwrap_or("/")).ok_or(ZkError::NoNode)?;
        let parent = parent.clone();
        let path = if mode.is_sequential() {
            // The suffix is the parent's persisted cversion, the number of children ever
            // created under it, so names never repeat even after deletions.
            requested.with_sequence_suffix(parent_node.child_creations)
        } else {
            requested.clone()
        };
        if self.nodes.contains_key(&path) {
            return Err(ZkError::NodeExists);
        }
        // Checked after NodeExists, as in pRequest2TxnCreate.
        if parent_node.is_ephemeral() {
            return Err(ZkError::NoChildrenForEphemerals);
        }
        let owner = if mode.is_ephemeral() { session } else { SessionId::NONE };
        self.remember(undo, &parent);
        self.remember(undo, &path);
        self.edit_node(&parent, |parent_node| {
            parent_node.child_creations = parent_node.child_creations.wrapping_add(1);
            parent_node.pzxid = zxid;
            parent_node.children.insert(path.name().to_string());
        });
        self.put_node(path.clone(), ZNode::new(data.to_vec(), zxid, owner));
        self.index_ephemeral(&path, owner);
        events.push(WatchEvent::new(WatchEventKind::NodeCreated, path.clone()));
        events.push(WatchEvent::new(WatchEventKind::NodeChildrenChanged, parent));
        Ok(OpResult::Created(path))
    }

    /// PrepRequestProcessor's delete case then `DataTree.deleteNode`.
    fn delete(
        &mut self,
        zxid: Zxid,
        session: SessionId,
        path: &ZPath,
        version: Option<i32>,
        undo: &mut Undo,
        events: &mut Vec<WatchEvent>,
    ) -> Result<OpResult, ZkError> {
        self.check_session(session)?;
        // getParentPathAndValidate refuses the special paths, the root among them.
        if path.is_root() {
            return Err(ZkError::BadArguments);
        }
        let node = self.nodes.get(path).ok_or(ZkError::NoNode)?;
        check_version(node.version, version)?;
        if !node.children.is_empty() {
            return Err(ZkError::NotEmpty);
        }
        self.remove_node(zxid, path, undo, events);
        Ok(OpResult::Deleted)
    }

    /// PrepRequestProcessor's setData case then `DataTree.setData`.
    #[allow(clippy::too_many_arguments)]
    fn set_data(
        &mut self,
        zxid: Zxid,
        session: SessionId,
        path: &ZPath,
        data: &[u8],
        version: Option<i32>,
        undo: &mut Undo,
        events: &mut Vec<WatchEvent>,
    ) -> Result<OpResult, ZkError> {
        self.check_session(session)?;
        let node = self.nodes.get(path).ok_or(ZkError::NoNode)?;
        check_version(node.version, version)?;
        self.remember(undo, path);
        let stat = self.edit_node(path, |node| {
            // checkAndIncVersion: Java int arithmetic.
            node.version = node.version.wrapping_add(1);
            node.mzxid = zxid;
            node.data = data.to_vec();
            node.stat()
        });
        events.push(WatchEvent::new(WatchEventKind::NodeDataChanged, path.clone()));
        Ok(OpResult::Stat(stat))
    }

    /// PrepRequestProcessor's check case; applying it changes nothing.
    fn check(&self, session: SessionId, path: &ZPath, version: i32) -> Result<OpResult, ZkError> {
        self.check_session(session)?;
        let node = self.nodes.get(path).ok_or(ZkError::NoNode)?;
        check_version(node.version, Some(version))?;
        Ok(OpResult::Checked)
    }

    /// PrepRequestProcessor's multi case with `DataTree.processTxn`'s multi branch: the ops
    /// run in order, each seeing the ones before; the first failure undoes them all.
    fn apply_multi(&mut self, zxid: Zxid, session: SessionId, ops: &[Op], events: &mut Vec<WatchEvent>) -> OpResult {
        if !ops.iter().all(Op::allowed_in_multi) {
            return OpResult::Error(ZkError::MarshallingError);
        }
        let mut undo = Undo::recording();
        let mut multi_events = Vec::new();
        let mut results = Vec::with_capacity(ops.len());
        for (index, op) in ops.iter().enumerate() {
            match self.apply_write(zxid, session, op, &mut undo, &mut multi_events) {
                Ok(result) => results.push(result),
                Err(error) => {
                    self.roll_back(undo);
                    // processTxn: OK for the ops before the failed one (they were undone),
                    // RUNTIMEINCONSISTENCY for those after (never tried).
                    let mut results = vec![OpResult::Error(ZkError::Ok); index];
                    results.push(OpResult::Error(error));
                    results.resize(ops.len(), OpResult::Error(ZkError::RuntimeInconsistency));
                    return OpResult::Multi(results);
                }
            }
        }
        events.extend(multi_events);
        OpResult::Multi(results)
    }

    /// The createSession txn (`ZooKeeperServer.processTxnForSessionEvents` commits the
    /// session with its timeout). Session 0 is reserved for "no owner".
    fn create_session(&mut self, session: SessionId, timeout_ms: u32) -> OpResult {
        if session == SessionId::NONE {
            return OpResult::Error(ZkError::BadArguments);
        }
        self.sessions.insert(session, timeout_ms);
        OpResult::SessionCreated
    }

    /// The closeSession txn (`DataTree.killSession`): deletes every ephemeral the session
    /// owns, in path order (ZooKeeper walks a hash set; any fixed order gives the same tree),
    /// and forgets the session. Closing a session that is not live changes nothing.
    fn close_session(&mut self, zxid: Zxid, session: SessionId, events: &mut Vec<WatchEvent>) -> OpResult {
        let owned = self.ephemerals.get(&session).cloned().unwrap_or_default();
        for path in &owned {
            self.remove_node(zxid, path, &mut Undo::off(), events);
        }
        debug_assert!(!self.ephemerals.contains_key(&session), "session {session} still owns nodes after close");
        self.sessions.remove(&session);
        OpResult::SessionClosed
    }

    /// `DataTree.deleteNode` for a node already checked to exist and have no children.
    fn remove_node(&mut self, zxid: Zxid, path: &ZPath, undo: &mut Undo, events: &mut Vec<WatchEvent>) {
        let parent_text = path.parent_str().expect("the root is never removed");
        let parent = self.nodes.get_key_value(parent_text).expect("a node's parent exists").0.clone();
        self.remember(undo, path);
        self.remember(undo, &parent);
        let node = self.take_node(path).expect("removed node exists");
        debug_assert!(node.children.is_empty(), "removing {path} which has children");
        self.unindex_ephemeral(path, node.ephemeral_owner);
        self.edit_node(&parent, |parent_node| {
            parent_node.children.remove(path.name());
            // deleteNode moves pzxid only forward; zxids are applied in order, so it always does.
            parent_node.pzxid = parent_node.pzxid.max(zxid);
        });
        // deleteNode triggers data watches and the node's child watches with NodeDeleted,
        // then the parent's child watches with NodeChildrenChanged.
        events.push(WatchEvent::new(WatchEventKind::NodeDeleted, path.clone()));
        events.push(WatchEvent::new(WatchEventKind::NodeChildrenChanged, parent));
    }

    /// Records the node at `path` as it is now, the first time a multi touches it.
    fn remember(&self, undo: &mut Undo, path: &ZPath) {
        if undo.recording && !undo.before.contains_key(path) {
            undo.before.insert(path.clone(), self.nodes.get(path).cloned());
        }
    }

    /// Puts every node a failed multi touched back as it was, with the ephemeral index.
    fn roll_back(&mut self, undo: Undo) {
        for (path, before) in undo.before {
            if let Some(now) = self.take_node(&path) {
                self.unindex_ephemeral(&path, now.ephemeral_owner);
            }
            if let Some(before) = before {
                self.index_ephemeral(&path, before.ephemeral_owner);
                self.put_node(path, before);
            }
        }
    }

    /// Inserts a node that is not there, keeping the nodes' digest.
    fn put_node(&mut self, path: ZPath, node: ZNode) {
        self.nodes_digest = self.nodes_digest.wrapping_add(node_digest(&path, &node));
        let replaced = self.nodes.insert(path, node);
        debug_assert!(replaced.is_none(), "put_node over an existing node");
    }

    /// Removes a node, keeping the nodes' digest.
    fn take_node(&mut self, path: &ZPath) -> Option<ZNode> {
        let node = self.nodes.remove(path)?;
        self.nodes_digest = self.nodes_digest.wrapping_sub(node_digest(path, &node));
        Some(node)
    }

    /// Changes an existing node in place, keeping the nodes' digest.
    fn edit_node<T>(&mut self, path: &ZPath, change: impl FnOnce(&mut ZNode) -> T) -> T {
        let node = self.nodes.get_mut(path).expect("edited node exists");
        let before = node_digest(path, node);
        let out = change(node);
        let after = node_digest(path, node);
        self.nodes_digest = self.nodes_digest.wrapping_sub(before).wrapping_add(after);
        out
    }

    fn index_ephemeral(&mut self, path: &ZPath, owner: SessionId) {
        if owner != SessionId::NONE {
            self.ephemerals.entry(owner).or_default().insert(path.clone());
        }
    }

    fn unindex_ephemeral(&mut self, path: &ZPath, owner: SessionId) {
        if let Some(paths) = self.ephemerals.get_mut(&owner) {
            paths.remove(path);
            if paths.is_empty() {
                self.ephemerals.remove(&owner);
            }
        }
    }
}

/// `PrepRequestProcessor.checkAndIncVersion`'s check: `None` matches any version, and so
/// does `Some(-1)`, which is how the client library says "any" on the wire.
fn check_version(current: i32, expected: Option<i32>) -> Result<(), ZkError> {
    match expected {
        Some(expected) if expected != -1 && expected != current => Err(ZkError::BadVersion),
        _ => Ok(()),
    }
}
