//! What a client asks the replicated tree to do: `Op` (one write or session change),
//! `Request` (an op stamped with its session and client sequence number), and the
//! `SessionId` and `CreateMode` they use. All serialize for scenarios and traces and print as
//! one line for logs.

use super::error::ZkError;
use super::path::ZPath;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A client session id. 0 means "no session": it is the `ephemeralOwner` of persistent nodes
/// (`DataTree.createNode` records owner 0 for them), so no real session may use it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub u64);

impl SessionId {
    /// The owner of persistent nodes.
    pub const NONE: SessionId = SessionId(0);
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ZooKeeper logs session ids in hex (`0x...`, `Long.toHexString`).
        write!(f, "0x{:x}", self.0)
    }
}

/// How a node is created (`org.apache.zookeeper.CreateMode`, without containers and TTLs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateMode {
    /// Lives until deleted.
    Persistent,
    /// Deleted when its session closes or expires.
    Ephemeral,
    /// Persistent, with the parent's sequence number appended to the name.
    PersistentSequential,
    /// Ephemeral, with the parent's sequence number appended to the name.
    EphemeralSequential,
}

impl CreateMode {
    /// Whether the node belongs to its creator's session.
    pub fn is_ephemeral(self) -> bool {
        matches!(self, CreateMode::Ephemeral | CreateMode::EphemeralSequential)
    }

    /// Whether the name gets a sequence suffix.
    pub fn is_sequential(self) -> bool {
        matches!(self, CreateMode::PersistentSequential | CreateMode::EphemeralSequential)
    }
}

impl fmt::Display for CreateMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CreateMode::Persistent => "persistent",
            CreateMode::Ephemeral => "ephemeral",
            CreateMode::PersistentSequential => "persistent-sequential",
            CreateMode::EphemeralSequential => "ephemeral-sequential",
        })
    }
}

/// One write against the tree, or a session's start or end. Versions are ZooKeeper's: `None`
/// is the client's `-1`, "any version".
///
/// Serialized with an `op` tag: `{"op":"create","path":"/a","data":[],"mode":"persistent"}`,
/// `{"op":"multi","ops":[...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "OpWire", from = "OpWire")]
pub enum Op {
    /// `create(path, data, mode)`; for sequential modes `path` is the prefix of the name.
    Create {
        /// The node, or the name prefix for a sequential node.
        path: ZPath,
        /// Its initial data.
        data: Vec<u8>,
        /// Persistent or ephemeral, sequential or not.
        mode: CreateMode,
    },
    /// `delete(path, version)`.
    Delete {
        /// The node.
        path: ZPath,
        /// The version it must have; `None` for any.
        version: Option<i32>,
    },
    /// `setData(path, data, version)`.
    SetData {
        /// The node.
        path: ZPath,
        /// The new data.
        data: Vec<u8>,
        /// The version it must have; `None` for any.
        version: Option<i32>,
    },
    /// `check(path, version)`: succeeds only if the node has this version (multi's guard).
    Check {
        /// The node.
        path: ZPath,
        /// The version it must have.
        version: i32,
    },
    /// `multi(ops)`: all of them or none, under one zxid. May hold only create, delete,
    /// setData and check.
    Multi(Vec<Op>),
    /// The createSession txn: registers the request's session with its negotiated timeout.
    CreateSession {
        /// Negotiated session timeout.
        timeout_ms: u32,
    },
    /// The closeSession txn, from the client or from expiry: deletes the session's ephemerals.
    CloseSession,
    /// `ErrorTxn`: a write the leader rejected while preparing it, on state only the leader
    /// has (its `SessionTracker`: the session moved to another server, or is closing). It
    /// takes a zxid like any txn and changes nothing; its client gets `error`.
    Error {
        /// What the leader found.
        error: ZkError,
    },
}

/// `Op` as it appears on the wire. Serde cannot put a tag inside a bare list, so `Multi`
/// travels as `{"op":"multi","ops":[...]}` while the Rust API keeps `Multi(Vec<Op>)`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum OpWire {
    Create { path: ZPath, data: Vec<u8>, mode: CreateMode },
    Delete { path: ZPath, version: Option<i32> },
    SetData { path: ZPath, data: Vec<u8>, version: Option<i32> },
    Check { path: ZPath, version: i32 },
    Multi { ops: Vec<Op> },
    CreateSession { timeout_ms: u32 },
    CloseSession,
    Error { error: ZkError },
}

impl From<Op> for OpWire {
    fn from(op: Op) -> OpWire {
        match op {
            Op::Create { path, data, mode } => OpWire::Create { path, data, mode },
            Op::Delete { path, version } => OpWire::Delete { path, version },
            Op::SetData { path, data, version } => OpWire::SetData { path, data, version },
            Op::Check { path, version } => OpWire::Check { path, version },
            Op::Multi(ops) => OpWire::Multi { ops },
            Op::CreateSession { timeout_ms } => OpWire::CreateSession { timeout_ms },
            Op::CloseSession => OpWire::CloseSession,
            Op::Error { error } => OpWire::Error { error },
        }
    }
}

impl From<OpWire> for Op {
    fn from(op: OpWire) -> Op {
        match op {
            OpWire::Create { path, data, mode } => Op::Create { path, data, mode },
            OpWire::Delete { path, version } => Op::Delete { path, version },
            OpWire::SetData { path, data, version } => Op::SetData { path, data, version },
            OpWire::Check { path, version } => Op::Check { path, version },
            OpWire::Multi { ops } => Op::Multi(ops),
            OpWire::CreateSession { timeout_ms } => Op::CreateSession { timeout_ms },
            OpWire::CloseSession => Op::CloseSession,
            OpWire::Error { error } => Op::Error { error },
        }
    }
}

impl Op {
    /// Whether the op may appear inside a multi (`MultiOperationRecord` accepts create,
    /// delete, setData and check).
    pub fn allowed_in_multi(&self) -> bool {
        matches!(self, Op::Create { .. } | Op::Delete { .. } | Op::SetData { .. } | Op::Check { .. })
    }
}

/// Prints the data size rather than the bytes: traces stay one short line.
struct Size(usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}B", self.0)
    }
}

/// ` v3` for an expected version, nothing for "any".
struct ExpectedVersion(Option<i32>);

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(version) => write!(f, " v{version}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Create { path, data, mode } if data.is_empty() => write!(f, "create {path} {mode}"),
            Op::Create { path, data, mode } => write!(f, "create {path} {mode} {}", Size(data.len())),
            Op::Delete { path, version } => write!(f, "delete {path}{}", ExpectedVersion(*version)),
            Op::SetData { path, data, version } => {
                write!(f, "set {path} {}{}", Size(data.len()), ExpectedVersion(*version))
            }
            Op::Check { path, version } => write!(f, "check {path} v{version}"),
            Op::Multi(ops) => {
                f.write_str("multi [")?;
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{op}")?;
                }
                f.write_str("]")
            }
            Op::CreateSession { timeout_ms } => write!(f, "create-session {timeout_ms}ms"),
            Op::CloseSession => f.write_str("close-session"),
            Op::Error { error } => write!(f, "error {}", error.name()),
        }
    }
}

/// An op from one session: what a server turns into a txn. `cxid` is the client's own
/// request counter (`RequestHeader.xid`), kept so results can be matched to requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The session that sent it.
    pub session: SessionId,
    /// The client's sequence number for it.
    pub cxid: u64,
    /// What it asks for.
    pub op: Op,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} {}", self.session, self.cxid, self.op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> ZPath {
        ZPath::parse(text).unwrap()
    }

    #[test]
    fn ops_print_as_one_line() {
        let lock = Op::Create { path: path("/lock/n-"), data: vec![], mode: CreateMode::EphemeralSequential };
        assert_eq!(lock.to_string(), "create /lock/n- ephemeral-sequential");
        let set = Op::SetData { path: path("/a"), data: vec![1, 2, 3], version: Some(2) };
        assert_eq!(set.to_string(), "set /a 3B v2");
        let multi =
            Op::Multi(vec![Op::Check { path: path("/a"), version: 1 }, Op::Delete { path: path("/b"), version: None }]);
        assert_eq!(multi.to_string(), "multi [check /a v1; delete /b]");
        let request = Request { session: SessionId(0x1f), cxid: 7, op: Op::CloseSession };
        assert_eq!(request.to_string(), "0x1f#7 close-session");
    }

    #[test]
    fn ops_serialize_with_an_op_tag_and_round_trip() {
        let op = Op::Multi(vec![
            Op::Create { path: path("/a"), data: vec![7], mode: CreateMode::PersistentSequential },
            Op::Check { path: path("/a"), version: 0 },
        ]);
        let json = serde_json::to_string(&op).unwrap();
        assert!(json.starts_with(r#"{"op":"multi","ops":[{"op":"create","path":"/a""#), "{json}");
        assert!(json.contains(r#""mode":"persistent_sequential""#), "{json}");
        assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), op);
        let close = serde_json::to_string(&Op::CloseSession).unwrap();
        assert_eq!(close, r#"{"op":"close_session"}"#);
        let request = Request { session: SessionId(3), cxid: 1, op: Op::CreateSession { timeout_ms: 4000 } };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
    }

    #[test]
    fn a_bad_path_in_json_is_rejected_with_what_was_expected() {
        let err = serde_json::from_str::<Op>(r#"{"op":"delete","path":"a","version":null}"#).unwrap_err();
        assert!(err.to_string().contains("expected a znode path starting with '/'"), "{err}");
    }
}
