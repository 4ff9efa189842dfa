//! What a server step reports besides its commands: `Observation`s for the checker, metrics
//! and traces, with the `SyncMode` and `LeaveReason` they carry.

use crate::ids::{Epoch, NodeId, NodeSet, Round, Zxid};
use crate::message::Txn;
use crate::vote::Vote;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a learner was brought up to date (`QuorumPeer.SyncMode`), serialized by the name
/// ZooKeeper logs (`Leader.DIFF`, `Leader.TRUNC`, `Leader.SNAP`), in traces, reports and
/// scenario expectations alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SyncMode {
    /// Missing committed txns sent as proposals.
    Diff,
    /// Truncate the learner's uncommitted tail, then diff.
    Trunc,
    /// Replace the learner's history with a snapshot.
    Snap,
}

impl SyncMode {
    /// Every mode, in the order of their discriminants.
    pub const ALL: [SyncMode; 3] = [SyncMode::Diff, SyncMode::Trunc, SyncMode::Snap];

    /// The name ZooKeeper logs.
    pub fn name(self) -> &'static str {
        match self {
            SyncMode::Diff => "DIFF",
            SyncMode::Trunc => "TRUNC",
            SyncMode::Snap => "SNAP",
        }
    }
}

/// Why a server left FOLLOWING or LEADING.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// The connection to the leader closed or broke.
    LeaderConnectionLost,
    /// No packet from the leader within initLimit/syncLimit.
    LeaderReadTimeout,
    /// Could not connect to the leader.
    LeaderUnreachable,
    /// The leader offered an epoch older than our acceptedEpoch.
    StaleLeaderEpoch,
    /// A discovery or sync wait of the leader timed out (initLimit).
    WaitTimedOut,
    /// The leader no longer hears from a quorum of synced followers.
    QuorumLost,
    /// A protocol error in the leader's stream (ZooKeeper exits or drops the connection).
    ProtocolError,
    /// The zxid counter of the epoch would roll over (ZOOKEEPER-1277).
    ZxidRollover,
}

impl LeaveReason {
    /// Short name for traces.
    pub fn name(self) -> &'static str {
        match self {
            LeaveReason::LeaderConnectionLost => "leader connection lost",
            LeaveReason::LeaderReadTimeout => "leader read timeout",
            LeaveReason::LeaderUnreachable => "leader unreachable",
            LeaveReason::StaleLeaderEpoch => "leader epoch older than acceptedEpoch",
            LeaveReason::WaitTimedOut => "initLimit wait timed out",
            LeaveReason::QuorumLost => "lost quorum of synced followers",
            LeaveReason::ProtocolError => "protocol error",
            LeaveReason::ZxidRollover => "zxid counter exhausted",
        }
    }
}

/// Facts the checker, metrics and trace consume. The protocol reports them; it never reads
/// them back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Observation {
    /// lookForLeader started with this round and initial vote.
    ElectionStarted {
        /// logicalclock after the increment.
        round: Round,
        /// (myid, lastLoggedZxid, currentEpoch).
        initial: Vote,
    },
    /// FLE decided.
    Decided {
        /// The end vote.
        vote: Vote,
        /// Round of the decision.
        round: Round,
        /// The LOOKING votes that agreed (path B3), or None when joining an established
        /// ensemble through FOLLOWING/LEADING notifications (path B5).
        agreeing: Option<NodeSet>,
    },
    /// Left FOLLOWING or LEADING.
    Left {
        /// Why.
        reason: LeaveReason,
    },
    /// Leader: a quorum of FOLLOWERINFOs arrived; the new epoch is chosen.
    EpochProposed {
        /// The epoch.
        epoch: Epoch,
    },
    /// Leader: a quorum acknowledged NEWLEADER; leadership of `epoch` is established.
    Established {
        /// The epoch.
        epoch: Epoch,
        /// The voters whose NEWLEADER ACK formed the quorum (leader included).
        quorum: NodeSet,
    },
    /// Leader chose how to sync a learner.
    SyncChosen {
        /// The learner.
        learner: NodeId,
        /// How.
        mode: SyncMode,
    },
    /// Leader: a txn was proposed.
    Proposed {
        /// The txn.
        txn: Txn,
    },
    /// Leader: a quorum acknowledged `zxid`; it is committed.
    Committed {
        /// The zxid.
        zxid: Zxid,
        /// Voters whose ACKs formed the quorum.
        acks: NodeSet,
    },
    /// This server applied (delivered) a txn, in order.
    Delivered {
        /// The txn.
        txn: Txn,
    },
    /// The client write `value` got its reply: it is committed.
    ClientAcked {
        /// The write.
        value: u64,
        /// Its zxid.
        zxid: Zxid,
    },
    /// A client write could not be accepted (no leader to forward to).
    ClientRejected {
        /// The write.
        value: u64,
    },
    /// A packet a server in its current role should never receive (Remix `messageIllegal`).
    IllegalMessage {
        /// What was wrong.
        what: String,
    },
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observation::ElectionStarted { round, initial } => write!(f, "election {round} initial={initial}"),
            Observation::Decided { vote, round, agreeing: Some(set) } => {
                write!(f, "decided {vote} in {round} by {set}")
            }
            Observation::Decided { vote, round, agreeing: None } => write!(f, "joined {vote} in {round}"),
            Observation::Left { reason } => write!(f, "left: {}", reason.name()),
            Observation::EpochProposed { epoch } => write!(f, "epoch {epoch} proposed"),
            Observation::Established { epoch, quorum } => write!(f, "established {epoch} by {quorum}"),
            Observation::SyncChosen { learner, mode } => write!(f, "sync {learner} by {}", mode.name()),
            Observation::Proposed { txn } => write!(f, "proposed {txn}"),
            Observation::Committed { zxid, acks } => write!(f, "committed {zxid} by {acks}"),
            Observation::Delivered { txn } => write!(f, "delivered {txn}"),
            Observation::ClientAcked { value, zxid } => write!(f, "client write {value} acked at {zxid}"),
            Observation::ClientRejected { value } => write!(f, "client write {value} rejected"),
            Observation::IllegalMessage { what } => write!(f, "illegal message: {what}"),
        }
    }
}
