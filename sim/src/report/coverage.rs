//! The protocol paths a run can take that a campaign counts, so a green campaign says what it
//! exercised. A closed list: adding a path is one variant here plus what the compiler asks for.

use zabsim_protocol::{LeaveReason, SyncMode};

/// One path a run took (fault kinds are counted beside these under their own names).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Coverage {
    /// A learner was synced by DIFF.
    SyncDiff,
    /// A learner was synced by TRUNC (then DIFF).
    SyncTrunc,
    /// A learner was synced by SNAP.
    SyncSnap,
    /// A second (third, ...) epoch was established.
    LeaderChange,
    /// A server joined an established ensemble through FOLLOWING/LEADING notifications
    /// (`FastLeaderElection` out-of-election path).
    JoinedEstablishedEnsemble,
    /// An election among initial votes with equal zxids in one epoch (sid decides).
    ElectionWithEqualZxids,
    /// An election among initial votes with equal zxids but different peerEpochs.
    ElectionWithEqualZxidsAcrossEpochs,
    /// A crash dropped an acceptedEpoch write that was not yet durable (the ACKEPOCH or
    /// LEADERINFO behind it never left).
    CrashBeforeAcceptedEpochDurable,
    /// A crash dropped a currentEpoch write that was not yet durable.
    CrashBeforeCurrentEpochDurable,
    /// A crash dropped a log append that was written but not yet fsynced.
    CrashBetweenAppendAndFsync,
    /// A crash dropped a proposal's append while its ACK waited for it.
    CrashWithProposalAckHeld,
    /// A crash dropped a snapshot (SNAP, or the one taken at NEWLEADER) not yet durable.
    CrashBeforeSnapshotDurable,
    /// A targeted crash (`crash_at_write`, `crash_after_send`, `crash_on_receive`) reached its
    /// point and struck.
    TargetedCrash,
    /// A leader stepped down: its synced followers were no longer a quorum.
    LeaderLostQuorum,
    /// A leader gave up waiting (initLimit) for a quorum of followers or acknowledgements.
    LeaderWaitTimedOut,
    /// A follower heard nothing from its leader for syncLimit (or initLimit while syncing).
    FollowerReadTimeout,
    /// A follower's connection to its leader closed.
    FollowerLostLeader,
    /// A follower could not connect to the leader it elected.
    FollowerCannotConnect,
    /// A learner refused a leader whose epoch is below its acceptedEpoch.
    StaleLeaderEpoch,
    /// A server left its role on a protocol error.
    ProtocolError,
    /// A leader gave up because the zxid counter of its epoch would roll over.
    ZxidRollover,
    /// A server was left out at convergence: it promised an epoch that was never established.
    JoinRefusedEpochAhead,
    /// A client write was acknowledged.
    WriteAcked,
    /// A client write was refused or lost with its connection.
    WriteRejected,
    /// The liveness phase converged.
    ConvergedAfterHeal,
    /// A write came through a server its session had moved away from; the leader made it an
    /// error txn (SessionMoved, ZOOKEEPER-710).
    SessionMoved,
    /// A write of a closing or unknown session; the leader made it an error txn.
    DeadSessionWrite,
    /// A client acquired the lock while a holder whose session had expired still believed it
    /// held it (LockExclusion's caveat).
    LockCaveat,
    /// Of those, one where the acquirer itself had an expired session (its closeSession had
    /// committed) and read the lock's children on a stale server.
    LockCaveatExpiredAcquirer,
    /// A deposed leader that had not noticed yet answered a sync behind an acknowledged
    /// write (SyncFreshness's caveat).
    SyncCaveat,
}

impl Coverage {
    /// The snake_case name used in reports and summaries.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl From<SyncMode> for Coverage {
    fn from(mode: SyncMode) -> Coverage {
        match mode {
            SyncMode::Diff => Coverage::SyncDiff,
            SyncMode::Trunc => Coverage::SyncTrunc,
            SyncMode::Snap => Coverage::SyncSnap,
        }
    }
}

impl From<LeaveReason> for Coverage {
    fn from(reason: LeaveReason) -> Coverage {
        match reason {
            LeaveReason::QuorumLost => Coverage::LeaderLostQuorum,
            LeaveReason::WaitTimedOut => Coverage::LeaderWaitTimedOut,
            LeaveReason::LeaderReadTimeout => Coverage::FollowerReadTimeout,
            LeaveReason::LeaderConnectionLost => Coverage::FollowerLostLeader,
            LeaveReason::LeaderUnreachable => Coverage::FollowerCannotConnect,
            LeaveReason::StaleLeaderEpoch => Coverage::StaleLeaderEpoch,
            LeaveReason::ProtocolError => Coverage::ProtocolError,
            LeaveReason::ZxidRollover => Coverage::ZxidRollover,
        }
    }
}
