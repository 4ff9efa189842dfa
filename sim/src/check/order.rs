//! Message order on the leader-learner connection, checked at departure (the Remix specs'
//! `ackConsistent`, `commitConsistent` and `messageLegal`, held where the message is made
//! rather than where it lands: each connection is one TCP stream, so what leaves in order
//! arrives in order or not at all). Only what ZooKeeper's code guarantees is a rule:
//!
//! - a learner's conversation opens with FOLLOWERINFO and sends one ACKEPOCH
//!   (`Learner.registerWithLeader`), then the NEWLEADER ACK, the UPTODATE ACK
//!   (`Learner.syncWithLeader`), and proposal ACKs only after the NEWLEADER ACK, in strictly
//!   increasing zxid order, each for a txn it has logged (`SendAckRequestProcessor` acks in
//!   log order; ZOOKEEPER-4685 let them pass the NEWLEADER ACK);
//! - a leader's conversation opens with LEADERINFO; one DIFF/TRUNC/SNAP follows only once the
//!   leader has its ACKEPOCH quorum (`LearnerHandler.run` after `waitForEpochAck`); PROPOSALs,
//!   COMMITs and one NEWLEADER only after it (`syncFollower` queues the sync packet first);
//!   a PROPOSAL of the leader's own epoch only once it is established (`Leader.propose` runs
//!   after `startZkServer`); a COMMIT only for the oldest proposal sent on the connection and
//!   not yet committed on it (`startForwarding` + in-order `tryToCommit`; the leader-side
//!   mirror of `Follower`'s UNMATCHED_TXN_COMMIT); one UPTODATE, after NEWLEADER, only once
//!   the NEWLEADER quorum established the epoch (`LearnerHandler` waits in `waitForStartup`).
//!
//! Broken rules are MessageLegality.

use super::*;
use zabsim_protocol::{Observation, QuorumPacket};

/// Every promise and order rule the checker holds at departure; counted as exercised each
/// time a message passes it, so tests can show the correct protocol walks each path.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr, strum::Display, strum::VariantArray,
)]
pub enum Rule {
    /// A counted ACKEPOCH leaves only once acceptedEpoch is durable.
    AcceptedEpochBeforeAckEpoch,
    /// LEADERINFO leaves only once the leader's acceptedEpoch is durable (ZOOKEEPER-1291).
    AcceptedEpochBeforeLeaderInfo,
    /// A proposal ACK leaves only once that txn's append is durable.
    TxnBeforeAck,
    /// The NEWLEADER ACK leaves only once the synced history and currentEpoch are durable.
    HistoryBeforeNewLeaderAck,
    /// One ACKEPOCH per conversation, after FOLLOWERINFO.
    AckEpochOnce,
    /// The NEWLEADER ACK after ACKEPOCH; proposal ACKs only after the NEWLEADER ACK.
    AckAfterNewLeaderAck,
    /// Proposal ACKs on one conversation strictly increase.
    AcksIncrease,
    /// A proposal ACK only for a txn the learner has logged.
    AckOfLoggedTxn,
    /// One DIFF/TRUNC/SNAP per conversation, once the leader has its ACKEPOCH quorum.
    SyncAfterEpochQuorum,
    /// One NEWLEADER of the conversation's epoch, after the sync packet.
    NewLeaderAfterSync,
    /// PROPOSALs and COMMITs only after the sync packet.
    ProposalAfterSync,
    /// A PROPOSAL of the leader's own epoch only once the epoch is established.
    OwnProposalAfterEstablished,
    /// A COMMIT only for the oldest proposal sent on the conversation and not yet committed.
    CommitOfProposed,
    /// One UPTODATE, after NEWLEADER, once the leader established its epoch.
    UpToDateAfterQuorum,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: &'static [Rule] = <Rule as strum::VariantArray>::VARIANTS;
}

/// A server's latest leadership, as its observations and writes show it; reset when it
/// decides an election.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Term {
    leading: bool,
    epoch: Option<Epoch>,
    /// The ACKEPOCH quorum is in: the leader wrote currentEpoch := epoch (`Leader.lead`).
    epoch_acked: bool,
    established: bool,
}

/// One direction of one leader-learner connection, as its departures show it.
#[derive(Clone, Debug, Default)]
pub(super) enum Talk {
    /// Nothing opened a conversation yet.
    #[default]
    None,
    /// Opened by the learner's FOLLOWERINFO.
    Learner { ack_epoch: bool, newleader_ack: bool, uptodate_ack: bool, last_ack: Option<Zxid> },
    /// Opened by the leader's LEADERINFO.
    Leader { epoch: Epoch, sync: bool, newleader: bool, uptodate: bool, proposed: VecDeque<Zxid> },
}

impl Checker {
    pub(super) fn exercise(&mut self, rule: Rule) {
        self.exercised[rule as usize] += 1;
    }

    /// How many messages passed `rule` so far.
    pub fn exercised(&self, rule: Rule) -> u64 {
        self.exercised[rule as usize]
    }

    /// Server `id` took a step: track its leadership, and check that every proposal ACK it
    /// produced is for a txn it holds (Remix `ackConsistent`).
    pub(super) fn note_term(&mut self, id: NodeId, server: &Node, output: &Output) -> Result<(), Breach> {
        let term = &mut self.terms[id.index()];
        for obs in &output.observations {
            match obs {
                Observation::Decided { vote, .. } => {
                    *term = Term { leading: vote.leader == id, ..Term::default() };
                }
                Observation::EpochProposed { epoch } => term.epoch = Some(*epoch),
                Observation::Established { epoch, .. } => {
                    term.epoch = Some(*epoch);
                    term.established = true;
                }
                _ => {}
            }
        }
        for write in &output.writes {
            if let DiskWrite::CurrentEpoch(e) = write {
                if term.leading && term.epoch == Some(*e) {
                    term.epoch_acked = true;
                }
            }
        }
        // zk-335 keeps no currentEpoch file: the leader's move to SYNCHRONIZATION marks the quorum.
        let phase = server.role_view().phase;
        if term.leading && !server.keeps_epoch_files() && phase >= zabsim_protocol::ZabPhase::Synchronization {
            term.epoch_acked = true;
        }
        for send in &output.sends {
            let Message::Quorum(QuorumPacket::Ack { zxid }) = send.msg else { continue };
            if zxid.is_epoch_marker() {
                continue;
            }
            self.exercise(Rule::AckOfLoggedTxn);
            if Txn::find_in(&server.disk_view().log, zxid).is_err() {
                return Err(Breach::new(
                    Invariant::MessageLegality,
                    vec![id.0],
                    format!("{id} acknowledged proposal {zxid}, which it has not logged"),
                ));
            }
        }
        Ok(())
    }

    /// A message leaves `from` for `to`: hold it against the conversation so far.
    pub(super) fn check_order(&mut self, from: NodeId, to: NodeId, msg: &Message) -> Result<(), Breach> {
        let Message::Quorum(packet) = msg else { return Ok(()) };
        let term = self.terms[from.index()];
        let slot = from.index() * (self.n + 1) + to.index();
        let talk = &mut self.talks[slot];
        let (rule, legal) = match (packet, &mut *talk) {
            (QuorumPacket::FollowerInfo { .. }, _) => {
                *talk = Talk::Learner { ack_epoch: false, newleader_ack: false, uptodate_ack: false, last_ack: None };
                return Ok(());
            }
            (QuorumPacket::LeaderInfo { epoch }, _) => {
                *talk = Talk::Leader {
                    epoch: *epoch,
                    sync: false,
                    newleader: false,
                    uptodate: false,
                    proposed: VecDeque::new(),
                };
                return Ok(());
            }
            (QuorumPacket::AckEpoch { .. }, Talk::Learner { ack_epoch, .. }) => {
                (Rule::AckEpochOnce, !std::mem::replace(ack_epoch, true))
            }
            (QuorumPacket::AckEpoch { .. }, _) => (Rule::AckEpochOnce, false),
            (QuorumPacket::Ack { zxid }, Talk::Learner { ack_epoch, newleader_ack, uptodate_ack, last_ack }) => {
                if zxid.is_epoch_marker() {
                    let legal = if !*newleader_ack {
                        *newleader_ack = true;
                        *ack_epoch
                    } else {
                        !std::mem::replace(uptodate_ack, true)
                    };
                    (Rule::AckAfterNewLeaderAck, legal)
                } else if !*newleader_ack {
                    (Rule::AckAfterNewLeaderAck, false)
                } else {
                    let increases = last_ack.is_none_or(|last| last < *zxid);
                    *last_ack = Some(*zxid);
                    (Rule::AcksIncrease, increases)
                }
            }
            (QuorumPacket::Ack { .. }, _) => (Rule::AckAfterNewLeaderAck, false),
            (QuorumPacket::Diff { .. } | QuorumPacket::Trunc { .. } | QuorumPacket::Snap { .. }, talk) => {
                let legal = match talk {
                    Talk::Leader { epoch, sync, .. } => {
                        let ready = term.leading && term.epoch == Some(*epoch) && term.epoch_acked;
                        ready && !std::mem::replace(sync, true)
                    }
                    _ => false,
                };
                (Rule::SyncAfterEpochQuorum, legal)
            }
            (QuorumPacket::NewLeader { epoch: e }, Talk::Leader { epoch, sync, newleader, .. }) => {
                (Rule::NewLeaderAfterSync, *sync && e == epoch && !std::mem::replace(newleader, true))
            }
            (QuorumPacket::NewLeader { .. }, _) => (Rule::NewLeaderAfterSync, false),
            (QuorumPacket::Proposal { txn }, Talk::Leader { epoch, sync, proposed, .. }) => {
                if !*sync {
                    (Rule::ProposalAfterSync, false)
                } else {
                    proposed.push_back(txn.zxid);
                    let own = txn.zxid.epoch == *epoch;
                    (Rule::OwnProposalAfterEstablished, !own || (term.established && term.epoch == Some(*epoch)))
                }
            }
            (QuorumPacket::Commit { zxid }, Talk::Leader { sync, proposed, .. }) => {
                if !*sync {
                    (Rule::ProposalAfterSync, false)
                } else {
                    let head = proposed.pop_front();
                    (Rule::CommitOfProposed, head == Some(*zxid))
                }
            }
            (QuorumPacket::Proposal { .. } | QuorumPacket::Commit { .. }, _) => (Rule::ProposalAfterSync, false),
            (QuorumPacket::UpToDate, Talk::Leader { epoch, newleader, uptodate, .. }) => {
                let established = term.established && term.epoch == Some(*epoch);
                (Rule::UpToDateAfterQuorum, *newleader && established && !std::mem::replace(uptodate, true))
            }
            (QuorumPacket::UpToDate, _) => (Rule::UpToDateAfterQuorum, false),
            (
                QuorumPacket::Ping { .. }
                | QuorumPacket::Request { .. }
                | QuorumPacket::SyncRequest
                | QuorumPacket::Sync
                | QuorumPacket::Revalidate { .. }
                | QuorumPacket::RevalidateAnswer { .. },
                _,
            ) => return Ok(()),
        };
        if legal {
            self.exercise(rule);
            if matches!(packet, QuorumPacket::Proposal { .. } | QuorumPacket::Commit { .. }) {
                self.exercise(Rule::ProposalAfterSync);
            }
            return Ok(());
        }
        Err(Breach::new(
            Invariant::MessageLegality,
            vec![from.0, to.0],
            format!("{from} sent {msg} to {to} out of order ({rule})"),
        ))
    }
}
