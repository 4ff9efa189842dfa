//! The client-facing half of a server (`ZooKeeperServer` and its request processors, with
//! `ServerCnxn` for each client connection): sessions established and moved, requests
//! ordered per session, writes turned into txns through the leader, reads answered from the
//! local tree, syncs, watches, and the leader's session expiry.
//!
//! A server serves clients only while its `ZooKeeperServer` runs: a leader after
//! `startZkServer`, a learner after UPTODATE. Leaving FOLLOWING or LEADING closes every client
//! connection (`Learner.shutdown` / `Leader.shutdown` -> `closeAllConnections`); the clients
//! reconnect elsewhere with their session. Sessions survive that: they are replicated state
//! (createSession and closeSession txns), and a new leader starts its `SessionTracker` from
//! the sessions in its tree, each due one timeout after it starts
//! (`ZooKeeperServer.startup` -> `createSessionTracker`).
//!
//! Files: `wire.rs` (what travels between client and server), `requests.rs` (connect,
//! requests, per-session order, answers), `sessions.rs` (session ids, revalidation, touches,
//! expiry).
//!
//! Left out, and why: ACLs and passwords (no recipe here depends on them); local sessions
//! (off by default in 3.8); `SetWatches` on reconnect (the shipped recipes read again after a
//! reconnect, as Curator's do). The owner of a session is a server id, where ZooKeeper keeps
//! the `LearnerHandler` object: the same thing here, since one learner's requests and
//! revalidations reach the leader in order and a learner that reconnects has closed its
//! clients first.

mod requests;
mod sessions;
pub mod wire;

use crate::data::{SessionId, SessionTracker, WatchManager};
use crate::ids::{NodeId, Zxid};
use std::collections::{BTreeMap, VecDeque};
use wire::{ConnId, Read};

/// Where a client connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// A new session's createSession txn is on its way; answered when it is applied here.
    Creating(SessionId),
    /// A session moving here: the leader is asked whether it is still valid (`REVALIDATE`).
    Revalidating(SessionId),
    /// The session is established on this connection.
    Open(SessionId),
}

impl ConnState {
    pub(crate) fn session(self) -> SessionId {
        match self {
            ConnState::Creating(s) | ConnState::Revalidating(s) | ConnState::Open(s) => s,
        }
    }
}

/// A request waiting its turn in its session's queue. `CommitProcessor` answers a session's
/// requests in the order they arrived: a read or ping waits for the session's earlier
/// writes to be committed and applied here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Queued {
    /// A write sent on as a txn; answered when this server applies it.
    Write { cxid: u64 },
    /// A read, answered from the local tree when it reaches the head.
    Read { cxid: u64, read: Read },
    /// A sync; `done` once the leader's SYNC for it arrived (at once on the leader itself).
    Sync { cxid: u64, done: bool },
    /// A ping, answered in order like a read.
    Ping,
}

/// One client connection.
#[derive(Clone, Debug)]
pub(crate) struct ClientConn {
    pub(crate) state: ConnState,
    /// The negotiated session timeout.
    pub(crate) timeout_ms: u32,
    pub(crate) queue: VecDeque<Queued>,
}

/// The client side of one server process, for the current role; a role end drops it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientPort {
    pub(crate) conns: BTreeMap<ConnId, ClientConn>,
    /// The connection each session is established on (or being set up on) here.
    pub(crate) by_session: BTreeMap<SessionId, ConnId>,
    /// This server's one-shot watches; a watcher is a connection id.
    pub(crate) watches: WatchManager,
    /// `SessionTrackerImpl.nextSessionId`; 0 until the first session is created.
    pub(crate) next_session: u64,
    /// Learner: sessions touched since the last ping (`LearnerSessionTracker.touchTable`),
    /// reported to the leader in the next PING reply.
    pub(crate) touched: BTreeMap<SessionId, u32>,
    /// Learner: syncs sent to the leader, answered in order (`FollowerZooKeeperServer
    /// .pendingSyncs`).
    pub(crate) learner_syncs: VecDeque<(ConnId, u64)>,
    /// Leader: the session tracker, from `startZkServer` on.
    pub(crate) tracker: Option<SessionTracker>,
    /// Leader: learners' syncs waiting for a proposal to commit (`Leader.pendingSyncs`), by
    /// the zxid last proposed when they arrived.
    pub(crate) leader_syncs: VecDeque<(Zxid, NodeId)>,
    /// Leader: when the session expiry timer is set for (the tracker's earliest bucket).
    pub(crate) expiry_armed_ms: Option<u64>,
}
