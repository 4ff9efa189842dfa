//! The step contract: what goes into a server (`Input`) and what comes out (`Output`). Output
//! is data; the simulator applies it. "Persist before send" is part of the type: a `Send` can
//! name the write that must be durable first, and the simulator holds it until then.

use crate::ids::{Epoch, NodeId, Zxid};
use crate::message::{Message, Txn};
use crate::serve::wire::{ClientCmd, ClientPacket, ConnId};
use crate::vote::ServerState;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

mod observation;
pub use observation::{LeaveReason, Observation, SyncMode};

/// Everything that can happen to a running server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Input {
    /// The process starts (first boot or restart); the durable state was handed to
    /// `Node::new`, nothing else survives.
    Start,
    /// A message from a peer arrived (or from itself: FLE loops its own vote back).
    Message {
        /// Sender.
        from: NodeId,
        /// The message.
        msg: Message,
    },
    /// A timer set earlier fired.
    Timer(TimerKind),
    /// Every disk write up to and including `through` is durable (an fsync completed).
    WritesDurable {
        /// Last durable write.
        through: WriteId,
    },
    /// A client of the plain workload submitted a write to this server.
    ClientWrite {
        /// Unique value identifying the write.
        value: u64,
    },
    /// A packet from a client on its connection to this server.
    FromClient {
        /// The connection.
        conn: ConnId,
        /// The packet (boxed: it is the largest input, and every input is moved on the
        /// simulator's hot path).
        packet: Box<ClientPacket>,
    },
    /// A client connection closed from the client's side, or broke.
    ClientGone {
        /// The connection.
        conn: ConnId,
    },
    /// The learner connection to `peer` is open (both ends get this).
    QuorumConnected {
        /// The other end.
        peer: NodeId,
    },
    /// A connection attempt to `peer` was refused or timed out.
    QuorumConnectFailed {
        /// The leader we tried.
        peer: NodeId,
    },
    /// The learner connection to `peer` was closed by the other end or broke.
    QuorumDisconnected {
        /// The other end.
        peer: NodeId,
    },
}

/// The timers a server may have running; one of each at most (set replaces, like quinn's
/// timer table). Serialized as `{"kind": "heartbeat"}`, so the enums that carry a bare
/// `TimerKind` (`Input::Timer`, `TimerCmd::Cancel`) can still be internally tagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimerKind {
    /// FLE: no notification within notTimeout (back-off 200 ms doubling to 60 s).
    NotificationTimeout,
    /// FLE: finalizeWait of quiet after a quorum agreed.
    FinalizeWait,
    /// Learner: retry connecting to the leader (100 ms).
    ConnectRetry,
    /// Learner: socket read timeout (initLimit before NEWLEADER, syncLimit after).
    LearnerRead,
    /// Leader: deadline of the current discovery/sync wait (initLimit).
    LeaderWait,
    /// Leader: heartbeat every tickTime/2 in BROADCAST.
    Heartbeat,
    /// The `Work` the server started is done (the simulator chose how long it took).
    Work,
    /// Leader: the session tracker's earliest expiry bucket is due.
    SessionExpiry,
}

impl TimerKind {
    /// Number of timer kinds (size of the simulator's per-node timer table).
    pub const COUNT: usize = 8;

    /// Index into a timer table.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name traces and describe lines show (`NotificationTimeout`), spelled out so that no
    /// Debug output reaches a hashed trace or a golden file.
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::NotificationTimeout => "NotificationTimeout",
            TimerKind::FinalizeWait => "FinalizeWait",
            TimerKind::ConnectRetry => "ConnectRetry",
            TimerKind::LearnerRead => "LearnerRead",
            TimerKind::LeaderWait => "LeaderWait",
            TimerKind::Heartbeat => "Heartbeat",
            TimerKind::Work => "Work",
            TimerKind::SessionExpiry => "SessionExpiry",
        }
    }

    /// Every kind, in index order.
    pub const ALL: [TimerKind; TimerKind::COUNT] = [
        TimerKind::NotificationTimeout,
        TimerKind::FinalizeWait,
        TimerKind::ConnectRetry,
        TimerKind::LearnerRead,
        TimerKind::LeaderWait,
        TimerKind::Heartbeat,
        TimerKind::Work,
        TimerKind::SessionExpiry,
    ];
}

/// Work a ZooKeeper server does on its `QuorumPeer` thread between protocol steps, which takes
/// real time that the protocol logic itself does not: objects built, threads started and
/// joined, a snapshot written. The protocol names the work and waits for `TimerKind::Work`;
/// the simulator decides how long it takes (`ServerCosts`, measured against ZooKeeper 3.8).
/// While it runs the server answers election notifications in the state `QuorumPeer` still
/// reports, exactly as ZooKeeper does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// Leaving FOLLOWING or LEADING: `Follower.shutdown` / `Leader.shutdown` and
    /// `ZooKeeperServer.shutdown` join the request-processor threads; only then does
    /// `QuorumPeer.run` call `updateServerState` and go LOOKING (until then the peer still
    /// answers as FOLLOWING or LEADING).
    Shutdown,
    /// `QuorumPeer.makeLeader` (a `LeaderZooKeeperServer`, then `new Leader`, which binds the
    /// quorum port) and `Leader.lead` up to `cnxAcceptor.start()` (`zk.loadData` takes a
    /// snapshot). Learners that connect before it ends are refused.
    LeaderSetup,
    /// `QuorumPeer.makeFollower` (a `FollowerZooKeeperServer`) and `Follower.followLeader` up to
    /// `connectToLeader`.
    FollowerSetup,
    /// `Leader.startZkServer` after the NEWLEADER quorum: `zk.startup()` starts the session
    /// tracker and request processors; `LearnerHandler`s block in `waitForStartup` and send
    /// UPTODATE only after it.
    LeaderStartup,
    /// The follower's `ZooKeeperServer.startupWithServerState` (session tracker, request
    /// processor threads, JMX): `startupWithoutServing` between NEWLEADER and its ACK
    /// (`Learner.syncWithLeader`) through 3.8.x and 3.9.0-3.9.2, which the model runs under
    /// the 3.8.0-3.8.4 variants (`zk-4646`, `zk-4643`; 3.8.5+ and 3.9.2, the startup there
    /// with the fixed write order, have no variant); from 3.9.3 on `zk.startup()` after the
    /// UPTODATE ACK, the default. Either way the follower reaches BROADCAST only after it.
    FollowerStartup,
}

impl Work {
    /// Every kind.
    pub const ALL: [Work; 5] =
        [Work::Shutdown, Work::LeaderSetup, Work::FollowerSetup, Work::LeaderStartup, Work::FollowerStartup];

    /// The name traces, describe lines and scenario `costs` use.
    pub fn name(self) -> &'static str {
        match self {
            Work::Shutdown => "shutdown",
            Work::LeaderSetup => "leader_setup",
            Work::FollowerSetup => "follower_setup",
            Work::LeaderStartup => "leader_startup",
            Work::FollowerStartup => "follower_startup",
        }
    }
}

/// Sequence number of a disk write, per process lifetime.
pub type WriteId = u64;

/// A durable write. Epoch files are replaced atomically (temp file + rename); log writes are
/// appended and become durable at the next fsync. Adjacently tagged (`{"type": "append",
/// "data": {...}}`) because most variants carry a bare number or a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum DiskWrite {
    /// Replace the `acceptedEpoch` file.
    AcceptedEpoch(Epoch),
    /// Replace the `currentEpoch` file.
    CurrentEpoch(Epoch),
    /// Append a txn to the log.
    Append(Txn),
    /// Drop every logged txn after `zxid` (TRUNC).
    Truncate(Zxid),
    /// Replace the whole history with a snapshot (SNAP, or the snapshot taken at NEWLEADER).
    Snapshot {
        /// The txns the snapshot holds.
        history: Arc<[Txn]>,
        /// The data tree's lastProcessedZxid when it was taken (the file's name,
        /// `snapshot.<zxid>`): the leader's epoch marker when a learner is SNAPped before the
        /// epoch's first txn, above every txn of `history`.
        zxid: Zxid,
    },
}

impl fmt::Display for DiskWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskWrite::AcceptedEpoch(e) => write!(f, "acceptedEpoch:={e}"),
            DiskWrite::CurrentEpoch(e) => write!(f, "currentEpoch:={e}"),
            DiskWrite::Append(t) => write!(f, "append {t}"),
            DiskWrite::Truncate(z) => write!(f, "truncate after {z}"),
            DiskWrite::Snapshot { history, zxid } => write!(f, "snapshot of {} txns at {zxid}", history.len()),
        }
    }
}

/// A message to send now, or once a write is durable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Send {
    /// Destination.
    pub to: NodeId,
    /// The message.
    pub msg: Message,
    /// The write that must be durable before the message may leave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_write: Option<WriteId>,
}

/// A timer command: `{"type": "set", "kind": "heartbeat", "at_us": 1000}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimerCmd {
    /// Fire `kind` at virtual time `at_us` (replaces a running one).
    Set {
        /// Which timer.
        #[serde(flatten)]
        kind: TimerKind,
        /// When, in virtual microseconds.
        at_us: u64,
    },
    /// Stop `kind` if it runs.
    Cancel(TimerKind),
}

/// Connection management on the quorum port: `{"type": "connect", "peer": 2}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "peer", rename_all = "snake_case")]
pub enum NetCmd {
    /// Learner: open a connection to the leader.
    Connect(NodeId),
    /// Close the quorum connection with a peer (what was in flight towards us is lost).
    Close(NodeId),
}

/// Everything one step produced, in the order it was produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Messages to send.
    pub sends: Vec<Send>,
    /// Disk writes, in issue order; the first gets id `first_write_id`.
    pub writes: Vec<DiskWrite>,
    /// Id of `writes[0]`.
    pub first_write_id: WriteId,
    /// Timer commands.
    pub timers: Vec<TimerCmd>,
    /// Connection commands.
    pub net: Vec<NetCmd>,
    /// Observations.
    pub observations: Vec<Observation>,
    /// Work started by this step; `TimerKind::Work` fires when the simulator says it is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<Work>,
    /// Packets to clients and connections closed, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientCmd>,
}

impl Output {
    /// Empties every list, keeping the allocations (the simulator reuses one Output).
    pub fn clear(&mut self) {
        self.sends.clear();
        self.writes.clear();
        self.first_write_id = 0;
        self.timers.clear();
        self.net.clear();
        self.observations.clear();
        self.work = None;
        self.clients.clear();
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Start => write!(f, "start"),
            Input::Message { from, msg } => write!(f, "recv {from} {msg}"),
            Input::Timer(kind) => write!(f, "timer {}", kind.name()),
            Input::WritesDurable { through } => write!(f, "fsync done through w{through}"),
            Input::ClientWrite { value } => write!(f, "client write {value}"),
            Input::FromClient { conn, packet } => write!(f, "{conn} -> {packet}"),
            Input::ClientGone { conn } => write!(f, "{conn} gone"),
            Input::QuorumConnected { peer } => write!(f, "connected {peer}"),
            Input::QuorumConnectFailed { peer } => write!(f, "connect to {peer} failed"),
            Input::QuorumDisconnected { peer } => write!(f, "disconnected {peer}"),
        }
    }
}

/// The server's role as the outside world sees it (for traces and the checker).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    /// LOOKING/FOLLOWING/LEADING.
    pub state: ServerState,
    /// Zab phase within FOLLOWING/LEADING.
    pub phase: ZabPhase,
    /// The leader it follows or leads as, if any.
    pub leader: Option<NodeId>,
}

/// `QuorumPeer.ZabState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZabPhase {
    /// Leader election.
    Election,
    /// Epoch negotiation.
    Discovery,
    /// History sync.
    Synchronization,
    /// Serving.
    Broadcast,
}

impl ZabPhase {
    /// The upper-case name ZooKeeper logs.
    pub fn name(self) -> &'static str {
        match self {
            ZabPhase::Election => "ELECTION",
            ZabPhase::Discovery => "DISCOVERY",
            ZabPhase::Synchronization => "SYNCHRONIZATION",
            ZabPhase::Broadcast => "BROADCAST",
        }
    }
}
