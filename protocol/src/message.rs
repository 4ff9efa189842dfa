//! Everything one server sends another: FLE notifications on the election port and Zab
//! `QuorumPacket`s on the leader-learner connection, each with a one-line `Display` for
//! traces and failure reports.

use crate::data::{Request, SessionId};
use crate::ids::{Epoch, Round, Zxid};
use crate::vote::{ServerState, Vote};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A transaction: its zxid, the value naming the client write it came from (so the checker can
/// tell two different txns with one zxid apart), and what it asks of the data tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Txn {
    /// Its zxid.
    pub zxid: Zxid,
    /// Unique per client write.
    pub value: u64,
    /// The request it carries (`TxnHeader` + the txn record, in ZooKeeper); none for the
    /// plain workload's writes, which traces then show exactly as before the data model.
    #[serde(default, skip_serializing_if = "TxnBody::is_opaque")]
    pub body: TxnBody,
}

impl Txn {
    /// A txn of the plain workload: a write with no data-tree content.
    pub fn opaque(zxid: Zxid, value: u64) -> Txn {
        Txn { zxid, value, body: TxnBody::Opaque }
    }

    /// Where txn `zxid` sits in `log`, a history in zxid order (`Err`: where it would go), as
    /// `binary_search` answers. An ACK or a COMMIT almost always names one of the newest
    /// txns, so the last few are searched before the whole log.
    pub fn find_in(log: &[Txn], zxid: Zxid) -> Result<usize, usize> {
        const RECENT: usize = 8;
        let tail = log.len().saturating_sub(RECENT);
        if log.get(tail).is_some_and(|t| t.zxid <= zxid) {
            let found = log[tail..].binary_search_by_key(&zxid, |t| t.zxid);
            return found.map(|i| i + tail).map_err(|i| i + tail);
        }
        log[..tail].binary_search_by_key(&zxid, |t| t.zxid)
    }
}

/// What a txn asks of the data tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxnBody {
    /// A write of the plain workload (a scenario's `workload`): it changes nothing in the tree
    /// but lastProcessedZxid, as an error txn does in ZooKeeper.
    #[default]
    Opaque,
    /// A client's request, applied by `DataTree::apply` on every server that commits it.
    Request(Arc<Request>),
}

impl TxnBody {
    /// Whether it carries no request.
    pub fn is_opaque(&self) -> bool {
        matches!(self, TxnBody::Opaque)
    }

    /// The `Txn::value` a request's txn gets: a hash of the request with the top bit set, so
    /// it never meets the plain workload's counter values, and two proposals of one zxid
    /// carrying different requests differ in value (what the checker's ZxidUniqueness
    /// compares). An opaque body has no value of its own.
    pub fn value(&self) -> u64 {
        match self {
            TxnBody::Opaque => 0,
            TxnBody::Request(request) => {
                let mut hash = crate::data::digest::Fnv1a64::new();
                hash.u64(request.session.0);
                hash.u64(request.cxid);
                hash.display(&request.op);
                hash.finish() | 1 << 63
            }
        }
    }
}

impl fmt::Display for Txn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.body {
            TxnBody::Opaque => write!(f, "{}={}", self.zxid, self.value),
            // The value is a hash of the request, which names the txn better itself.
            TxnBody::Request(request) => write!(f, "{} {request}", self.zxid),
        }
    }
}

/// An FLE notification (`FastLeaderElection.Notification` / `ToSend`). The sender's sid comes
/// from the connection, as in `QuorumCnxManager`. Serialized with `"type": "notification"`,
/// like the quorum packets' own type tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "notification")]
pub struct Notification {
    /// Sender's state.
    pub state: ServerState,
    /// The vote: proposed leader, its zxid and peerEpoch.
    pub vote: Vote,
    /// Sender's round (electionEpoch).
    pub round: Round,
}

/// Leader-learner packets (`Leader.java` packet types), with the fields zabsim models.
/// Serialized as `{"type": "proposal", "txn": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuorumPacket {
    /// F->L: first packet, carries acceptedEpoch.
    FollowerInfo {
        /// The learner's acceptedEpoch.
        accepted_epoch: Epoch,
    },
    /// L->F: the proposed new epoch (paper NEWEPOCH).
    LeaderInfo {
        /// New epoch.
        epoch: Epoch,
    },
    /// F->L: promise for the new epoch; `current_epoch: None` is ZooKeeper's -1, "already
    /// promised this epoch", which the leader does not count.
    AckEpoch {
        /// The learner's currentEpoch, or None.
        current_epoch: Option<Epoch>,
        /// The learner's last logged zxid.
        last_zxid: Zxid,
    },
    /// L->F: sync by sending the missing committed txns (as PROPOSAL+COMMIT pairs).
    Diff {
        /// Last zxid the diff covers.
        last_zxid: Zxid,
    },
    /// L->F: drop every logged txn after `zxid`, then receive a diff.
    Trunc {
        /// Truncation point.
        zxid: Zxid,
    },
    /// L->F: replace the whole history with the leader's committed prefix (a snapshot).
    Snap {
        /// The leader's committed history at the time of the snapshot.
        history: Arc<[Txn]>,
        /// The leader's lastProcessedZxid (`SNAP`'s packet zxid), which the learner's data
        /// tree takes over: the epoch marker once the leader has started, even with no txn.
        zxid: Zxid,
    },
    /// L->F: end of the initial history of the new epoch.
    NewLeader {
        /// The new epoch.
        epoch: Epoch,
    },
    /// L->F: a quorum acknowledged NEWLEADER; start serving (paper COMMIT-LD).
    UpToDate,
    /// F->L: acknowledges a proposal, or NEWLEADER/UPTODATE with an epoch-marker zxid.
    Ack {
        /// What is acknowledged.
        zxid: Zxid,
    },
    /// L->F: a proposal.
    Proposal {
        /// The txn.
        txn: Txn,
    },
    /// L->F: commit a proposal.
    Commit {
        /// Its zxid.
        zxid: Zxid,
    },
    /// Both ways: heartbeat; the leader's carries lastProposed, a learner's the sessions its
    /// clients touched since the last one (`LearnerSessionTracker.snapshot`).
    Ping {
        /// Leader's lastProposed (followers send ZERO).
        zxid: Zxid,
        /// Learner: (session, timeout) of each session touched.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        touched: Vec<(SessionId, u32)>,
    },
    /// F->L: a client write forwarded to the leader (`Leader.REQUEST`).
    Request {
        /// The client write's value.
        value: u64,
        /// The request it carries; none for the plain workload.
        #[serde(default, skip_serializing_if = "TxnBody::is_opaque")]
        body: TxnBody,
    },
    /// F->L: a client of the learner asked for sync (`Leader.REQUEST` of type sync).
    SyncRequest,
    /// L->F: everything proposed before the learner's oldest sync is committed
    /// (`Leader.SYNC`).
    Sync,
    /// F->L: a session moved to the learner; is it still valid (`Leader.REVALIDATE`)?
    Revalidate {
        /// The session.
        session: SessionId,
        /// Its timeout.
        timeout_ms: u32,
    },
    /// L->F: the answer to `Revalidate` (`Leader.REVALIDATE` back).
    RevalidateAnswer {
        /// The session.
        session: SessionId,
        /// Whether the leader's tracker still holds it, not closing.
        valid: bool,
    },
}

/// A message between servers, tagged with the connection it travels on:
/// `{"channel": "election", "type": "notification", ...}` or `{"channel": "quorum", "type":
/// "ack", ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Message {
    /// Election port.
    #[serde(rename = "election")]
    Notification(Notification),
    /// Quorum port (leader-learner connection).
    Quorum(QuorumPacket),
}

impl Message {
    /// The connection the message travels on.
    pub fn channel(&self) -> Channel {
        match self {
            Message::Notification(_) => Channel::Election,
            Message::Quorum(_) => Channel::Quorum,
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Notification(n) => write!(f, "NOTIFICATION {} vote={} {}", n.state, n.vote, n.round),
            Message::Quorum(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for QuorumPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuorumPacket::FollowerInfo { accepted_epoch } => write!(f, "FOLLOWERINFO accepted={accepted_epoch}"),
            QuorumPacket::LeaderInfo { epoch } => write!(f, "LEADERINFO {epoch}"),
            QuorumPacket::AckEpoch { current_epoch: Some(e), last_zxid } => {
                write!(f, "ACKEPOCH current={e} last={last_zxid}")
            }
            QuorumPacket::AckEpoch { current_epoch: None, last_zxid } => {
                write!(f, "ACKEPOCH current=-1 last={last_zxid}")
            }
            QuorumPacket::Diff { last_zxid } => write!(f, "DIFF {last_zxid}"),
            QuorumPacket::Trunc { zxid } => write!(f, "TRUNC {zxid}"),
            QuorumPacket::Snap { history, zxid } => write!(f, "SNAP {} txns at {zxid}", history.len()),
            QuorumPacket::NewLeader { epoch } => write!(f, "NEWLEADER {epoch}"),
            QuorumPacket::UpToDate => write!(f, "UPTODATE"),
            QuorumPacket::Ack { zxid } => write!(f, "ACK {zxid}"),
            QuorumPacket::Proposal { txn } => write!(f, "PROPOSAL {txn}"),
            QuorumPacket::Commit { zxid } => write!(f, "COMMIT {zxid}"),
            QuorumPacket::Ping { zxid, touched } if touched.is_empty() => write!(f, "PING {zxid}"),
            QuorumPacket::Ping { zxid, touched } => write!(f, "PING {zxid} touched={}", touched.len()),
            QuorumPacket::Request { value, body: TxnBody::Opaque } => write!(f, "REQUEST {value}"),
            QuorumPacket::Request { body: TxnBody::Request(request), .. } => write!(f, "REQUEST {request}"),
            QuorumPacket::SyncRequest => write!(f, "SYNC?"),
            QuorumPacket::Sync => write!(f, "SYNC"),
            QuorumPacket::Revalidate { session, timeout_ms } => write!(f, "REVALIDATE {session} {timeout_ms}ms"),
            QuorumPacket::RevalidateAnswer { session, valid } => write!(f, "REVALIDATE {session} valid={valid}"),
        }
    }
}

/// The two TCP connections a pair of servers may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// `QuorumCnxManager`'s election connection.
    Election,
    /// The leader-learner connection (`LearnerHandler` / `Learner`).
    Quorum,
}
