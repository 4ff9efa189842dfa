//! What travels between a client and the server it is connected to (`ClientCnxn` <->
//! `ServerCnxn`): the client's packets, the server's answers, and the commands a server step
//! gives the simulator about client connections. Each has a one-line `Display` for traces.

use crate::data::{Op, OpResult, SessionId, Stat, WatchEvent, ZPath, ZkError};
use crate::ids::Zxid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One TCP connection from a client to a server, numbered by the simulator (unique within a
/// run). A client that moves to another server opens a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// A read, served from the local server's tree (`FinalRequestProcessor`'s getData, exists,
/// getChildren). `watch` leaves a one-shot watch behind, as the client's boolean does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "read", rename_all = "snake_case")]
pub enum Read {
    /// `getData(path, watch)`.
    GetData {
        /// The node.
        path: ZPath,
        /// Leave a data watch.
        watch: bool,
    },
    /// `exists(path, watch)`: a watch is left whether or not the node exists.
    Exists {
        /// The node.
        path: ZPath,
        /// Leave a data watch (fires on create, delete or set).
        watch: bool,
    },
    /// `getChildren(path, watch)`.
    GetChildren {
        /// The node.
        path: ZPath,
        /// Leave a child watch.
        watch: bool,
    },
}

impl Read {
    /// The node read.
    pub fn path(&self) -> &ZPath {
        match self {
            Read::GetData { path, .. } | Read::Exists { path, .. } | Read::GetChildren { path, .. } => path,
        }
    }

    /// Whether it leaves a watch.
    pub fn watch(&self) -> bool {
        match self {
            Read::GetData { watch, .. } | Read::Exists { watch, .. } | Read::GetChildren { watch, .. } => *watch,
        }
    }
}

/// What a client asks in one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClientOp {
    /// A write (or closeSession): ordered by the leader as a txn.
    Write {
        /// The op.
        op: Op,
    },
    /// A read from the local tree.
    Read {
        /// The read.
        read: Read,
    },
    /// `sync(path)`: answered once this server has applied everything the leader had
    /// proposed when the sync reached it (`Leader.processSync`).
    Sync {
        /// The path (ZooKeeper ignores it for ordering; kept for the log).
        path: ZPath,
    },
}

/// Client to server (`ClientCnxn`'s packets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientPacket {
    /// `ConnectRequest`: a new session (`session: None`) or a session moving here.
    Connect {
        /// The session to resume, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionId>,
        /// Requested session timeout.
        timeout_ms: u32,
        /// The highest zxid the client has seen (`lastZxidSeen`).
        last_zxid_seen: Zxid,
    },
    /// A request, numbered by the client (`RequestHeader.xid`).
    Request {
        /// The client's sequence number.
        cxid: u64,
        /// What it asks.
        op: ClientOp,
    },
    /// A heartbeat (`OpCode.ping`), sent when the connection has been idle.
    Ping,
}

/// What a read, sync or write returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The result of a write, as every server computed it when applying the txn.
    Write {
        /// The result.
        result: OpResult,
    },
    /// getData.
    Data {
        /// The node's data.
        data: Vec<u8>,
        /// Its stat.
        stat: Stat,
    },
    /// exists: the stat, or none.
    Exists {
        /// The stat if the node exists.
        stat: Option<Stat>,
    },
    /// getChildren: the names, sorted.
    Children {
        /// The children's names.
        children: Vec<String>,
    },
    /// A read failed (NoNode).
    Error {
        /// Why.
        error: ZkError,
    },
    /// sync is done.
    Synced,
}

/// Server to client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerPacket {
    /// `ConnectResponse`: the session is established on this connection.
    Connected {
        /// The session.
        session: SessionId,
        /// The negotiated timeout.
        timeout_ms: u32,
    },
    /// `ConnectResponse` with timeout 0: the session has expired (the client library turns
    /// it into `SessionExpired`); the server closes the connection after it.
    Expired {
        /// The session.
        session: SessionId,
    },
    /// The answer to request `cxid`; `zxid` is the reply header's (the txn's own for a write,
    /// the server's lastProcessedZxid for a read or sync).
    Reply {
        /// The request answered.
        cxid: u64,
        /// The reply header's zxid.
        zxid: Zxid,
        /// The answer.
        reply: Reply,
    },
    /// A watch fired (`WatcherEvent`, reply header xid -1).
    Watch {
        /// What changed.
        event: WatchEvent,
    },
    /// The answer to a ping.
    Pong {
        /// The server's lastProcessedZxid (`ReplyHeader(PING_XID, lastZxid, 0)`).
        zxid: Zxid,
    },
}

/// What a server step does with its client connections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientCmd {
    /// Send a packet on a connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The packet.
        packet: ServerPacket,
    },
    /// Close a connection (the client sees it drop).
    Close {
        /// The connection.
        conn: ConnId,
    },
}

impl fmt::Display for Read {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Read::GetData { .. } => "get",
            Read::Exists { .. } => "exists",
            Read::GetChildren { .. } => "children",
        };
        write!(f, "{name} {}{}", self.path(), if self.watch() { " watch" } else { "" })
    }
}

impl fmt::Display for ClientOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientOp::Write { op } => write!(f, "{op}"),
            ClientOp::Read { read } => write!(f, "{read}"),
            ClientOp::Sync { path } => write!(f, "sync {path}"),
        }
    }
}

impl fmt::Display for ClientPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientPacket::Connect { session: Some(s), timeout_ms, last_zxid_seen } => {
                write!(f, "CONNECT {s} {timeout_ms}ms seen={last_zxid_seen}")
            }
            ClientPacket::Connect { session: None, timeout_ms, last_zxid_seen } => {
                write!(f, "CONNECT new {timeout_ms}ms seen={last_zxid_seen}")
            }
            ClientPacket::Request { cxid, op } => write!(f, "#{cxid} {op}"),
            ClientPacket::Ping => f.write_str("PING"),
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Write { result } => write!(f, "{result}"),
            Reply::Data { data, stat } => write!(f, "data {}B {stat}", data.len()),
            Reply::Exists { stat: Some(stat) } => write!(f, "exists {stat}"),
            Reply::Exists { stat: None } => f.write_str("no node"),
            Reply::Children { children } => write!(f, "children [{}]", children.join(",")),
            Reply::Error { error } => write!(f, "error {error}"),
            Reply::Synced => f.write_str("synced"),
        }
    }
}

impl fmt::Display for ServerPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerPacket::Connected { session, timeout_ms } => write!(f, "CONNECTED {session} {timeout_ms}ms"),
            ServerPacket::Expired { session } => write!(f, "EXPIRED {session}"),
            ServerPacket::Reply { cxid, zxid, reply } => write!(f, "REPLY #{cxid} {zxid} {reply}"),
            ServerPacket::Watch { event } => write!(f, "WATCH {event}"),
            ServerPacket::Pong { .. } => f.write_str("PONG"),
        }
    }
}

impl fmt::Display for ClientCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCmd::Send { conn, packet } => write!(f, "{conn} <- {packet}"),
            ClientCmd::Close { conn } => write!(f, "close {conn}"),
        }
    }
}
