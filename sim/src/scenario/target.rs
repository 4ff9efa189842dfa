//! Where a targeted crash strikes: not at a time but at a point in a server's own work, inside
//! the windows between local persistence steps that a crash at a random time rarely hits
//! (KNOWN_BUGS.md section 0, capability 3). A targeted crash is armed at its `at_ms`; the
//! engine (engine/targets.rs) crashes the server at the first matching point after that.

use serde::{Deserialize, Serialize};
use zabsim_protocol::{DiskWrite, Message, QuorumPacket};

/// The point a targeted crash waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// Right after the step that issues a write of this kind: the write (and every write not
    /// yet fsynced) is lost, and so is every send held behind it.
    Write(WriteKind),
    /// Right after a message of this kind from the server has reached its receiver and been
    /// handed to it: the peer acts on it, the sender is gone.
    AfterSend(PacketKind),
    /// Right after the step that handles a received message of this kind: what that step
    /// wrote is still pending, what it sent on a connection dies with it.
    OnReceive(PacketKind),
}

impl CrashPoint {
    /// The point as `--describe` and traces print it.
    pub fn describe(self) -> String {
        match self {
            CrashPoint::Write(w) => format!("at its next {} write, before it is durable", w.label()),
            CrashPoint::AfterSend(p) => format!("right after its next {} reaches the peer", p.label()),
            CrashPoint::OnReceive(p) => format!("right after it handles its next {}", p.label()),
        }
    }
}

/// The kinds of disk write (`zabsim_protocol::DiskWrite`), as a scenario names them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WriteKind {
    /// The acceptedEpoch file (before ACKEPOCH, or a leader's before LEADERINFO).
    AcceptedEpoch,
    /// The currentEpoch file (before the NEWLEADER ACK).
    CurrentEpoch,
    /// A txn appended to the log (synced history, or a proposal before its ACK).
    Append,
    /// A TRUNC cutting the log.
    Truncate,
    /// A snapshot replacing the history (SNAP, or the one taken at NEWLEADER).
    Snapshot,
}

impl WriteKind {
    /// The kind of `write`.
    pub fn of(write: &DiskWrite) -> WriteKind {
        match write {
            DiskWrite::AcceptedEpoch(_) => WriteKind::AcceptedEpoch,
            DiskWrite::CurrentEpoch(_) => WriteKind::CurrentEpoch,
            DiskWrite::Append(_) => WriteKind::Append,
            DiskWrite::Truncate(_) => WriteKind::Truncate,
            DiskWrite::Snapshot { .. } => WriteKind::Snapshot,
        }
    }

    /// The snake_case name of the scenario format.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The name in ZooKeeper's own words, for traces.
    fn label(self) -> &'static str {
        match self {
            WriteKind::AcceptedEpoch => "acceptedEpoch",
            WriteKind::CurrentEpoch => "currentEpoch",
            WriteKind::Append => "log append",
            WriteKind::Truncate => "log truncation",
            WriteKind::Snapshot => "snapshot",
        }
    }
}

/// The kinds of message a targeted crash can wait for, named as ZooKeeper's packet types (an
/// ACK split in two: the one of NEWLEADER and UPTODATE, and the one of a proposal).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PacketKind {
    /// An FLE notification.
    Notification,
    /// FOLLOWERINFO.
    Followerinfo,
    /// LEADERINFO.
    Leaderinfo,
    /// ACKEPOCH.
    Ackepoch,
    /// DIFF.
    Diff,
    /// TRUNC.
    Trunc,
    /// SNAP.
    Snap,
    /// NEWLEADER.
    Newleader,
    /// An ACK with an epoch-marker zxid: a learner's first acknowledges NEWLEADER, the next
    /// one UPTODATE.
    NewleaderAck,
    /// UPTODATE.
    Uptodate,
    /// A proposal's ACK.
    Ack,
    /// PROPOSAL.
    Proposal,
    /// COMMIT.
    Commit,
    /// PING.
    Ping,
    /// REQUEST (a forwarded client write).
    Request,
    /// A learner's sync request, or the leader's SYNC answer.
    Sync,
    /// REVALIDATE, either way (a session moving to a learner).
    Revalidate,
}

impl PacketKind {
    /// The kind of `msg`.
    pub fn of(msg: &Message) -> PacketKind {
        match msg {
            Message::Notification(_) => PacketKind::Notification,
            Message::Quorum(p) => match p {
                QuorumPacket::FollowerInfo { .. } => PacketKind::Followerinfo,
                QuorumPacket::LeaderInfo { .. } => PacketKind::Leaderinfo,
                QuorumPacket::AckEpoch { .. } => PacketKind::Ackepoch,
                QuorumPacket::Diff { .. } => PacketKind::Diff,
                QuorumPacket::Trunc { .. } => PacketKind::Trunc,
                QuorumPacket::Snap { .. } => PacketKind::Snap,
                QuorumPacket::NewLeader { .. } => PacketKind::Newleader,
                QuorumPacket::UpToDate => PacketKind::Uptodate,
                QuorumPacket::Ack { zxid } if zxid.counter == 0 => PacketKind::NewleaderAck,
                QuorumPacket::Ack { .. } => PacketKind::Ack,
                QuorumPacket::Proposal { .. } => PacketKind::Proposal,
                QuorumPacket::Commit { .. } => PacketKind::Commit,
                QuorumPacket::Ping { .. } => PacketKind::Ping,
                QuorumPacket::Request { .. } => PacketKind::Request,
                QuorumPacket::SyncRequest | QuorumPacket::Sync => PacketKind::Sync,
                QuorumPacket::Revalidate { .. } | QuorumPacket::RevalidateAnswer { .. } => PacketKind::Revalidate,
            },
        }
    }

    /// The snake_case name of the scenario format.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The packet's name as ZooKeeper logs it, for traces.
    fn label(self) -> &'static str {
        match self {
            PacketKind::Notification => "notification",
            PacketKind::Followerinfo => "FOLLOWERINFO",
            PacketKind::Leaderinfo => "LEADERINFO",
            PacketKind::Ackepoch => "ACKEPOCH",
            PacketKind::Diff => "DIFF",
            PacketKind::Trunc => "TRUNC",
            PacketKind::Snap => "SNAP",
            PacketKind::Newleader => "NEWLEADER",
            PacketKind::NewleaderAck => "ACK of NEWLEADER",
            PacketKind::Uptodate => "UPTODATE",
            PacketKind::Ack => "proposal ACK",
            PacketKind::Proposal => "PROPOSAL",
            PacketKind::Commit => "COMMIT",
            PacketKind::Ping => "PING",
            PacketKind::Request => "REQUEST",
            PacketKind::Sync => "SYNC",
            PacketKind::Revalidate => "REVALIDATE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zabsim_protocol::{Epoch, Zxid};

    #[test]
    fn an_epoch_marker_ack_is_the_newleader_ack_and_a_txn_ack_a_proposal_ack() {
        let marker = Message::Quorum(QuorumPacket::Ack { zxid: Zxid::epoch_marker(Epoch(2)) });
        let txn = Message::Quorum(QuorumPacket::Ack { zxid: Zxid::new(Epoch(2), 1) });
        assert_eq!(PacketKind::of(&marker), PacketKind::NewleaderAck);
        assert_eq!(PacketKind::of(&txn), PacketKind::Ack);
    }
}
