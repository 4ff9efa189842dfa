//! The cluster checker. It sees the run through one hook, [`Checker::check`], fed with every
//! server step, every fsync completion and every message at the moment it leaves, and holds
//! the run against Zab's safety properties, named as in the Zab paper and ZooKeeper's TLA+
//! specs. In the liveness phase it says why the ensemble did not converge.
//!
//! Where each property is enforced:
//! - `election.rs`: ElectionQuorumMaximum;
//! - `history.rs`: Leadership, Integrity, ZxidUniqueness, LeaderCompleteness,
//!   PrefixConsistency, AcknowledgedDurability, MessageLegality (the committed history);
//! - `durability.rs`: LocalMonotonicity and CommittedDurability (what disks hold);
//! - `promises.rs`: what a departing message promises durable (ACKEPOCH and LEADERINFO:
//!   AcceptedEpochDurability; proposal and NEWLEADER ACKs: CommittedDurability);
//! - `order.rs`: the order of each leader-learner conversation (MessageLegality);
//! - `replicas.rs`: ReplicaAgreement (the data trees of servers with one history);
//! - `liveness.rs`: Liveness (the phase after the last fault);
//! - `clients.rs`: the client guarantees (ClientFifoOrder, ClientMonotonicView,
//!   LinearizableWrites, SyncFreshness) and the lock recipe's LockExclusion;
//! - `timely.rs`: Liveness's sharper reasons, held in every calm stretch of the run
//!   (`join-overdue`, `stale-leader`, `needless-give-up`).
//!
//! The core is one canonical committed history `committed` (TigerBeetle's approach, the
//! specs' ghost "ever committed" sequence): it grows only when an established leader commits
//! or establishes its epoch, and every server's delivered sequence is compared against it.
//! Agreement, total order, local and global primary order and prefix consistency all follow
//! from "every delivered sequence is a prefix of one strictly zxid-ordered history".

mod clients;
mod committed_tree;
mod durability;
mod election;
mod history;
mod liveness;
mod order;
mod promises;
mod replicas;
mod timely;

pub use clients::ClientChecker;
pub(crate) use clients::ReplySeen;
pub use liveness::{converged, refused_members, LivenessReason, LivenessWatch};
pub use order::Rule;
pub use timely::{Surroundings, TimelyBounds, TimelyBreach};

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use zabsim_protocol::{DiskWrite, DurableState, Epoch, Message, Node, NodeId, Output, Round, Txn, Vote, WriteId, Zxid};

/// The properties the checker enforces, named after the Zab paper's properties and the
/// invariants of ZooKeeper's TLA+ specifications (zookeeper-specifications, and the Remix specs
/// of Ouyang et al.). A closed list: the report lists them in this order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
pub enum Invariant {
    /// At most one server establishes leadership (a NEWLEADER quorum) per epoch (spec
    /// `Leadership`; the Zab paper's "one primary per epoch").
    Leadership,
    /// A vote decided by a LOOKING quorum is at least the initial vote (currentEpoch, last
    /// zxid, sid) every member counted through its LOOKING vote had when it sent that vote.
    ElectionQuorumMaximum,
    /// No two different txns carry one zxid (ZOOKEEPER-335 broke it).
    ZxidUniqueness,
    /// Every log's zxids strictly increase; acceptedEpoch >= currentEpoch, neither decreases.
    LocalMonotonicity,
    /// Every committed txn is in the initial history of every later established leader
    /// (Remix `leaderLogCompleteness`).
    LeaderCompleteness,
    /// A committed txn stays durable on a quorum: a TRUNC or SNAP cuts it from a server only
    /// while a quorum of the others holds it durably, a NEWLEADER ACK leaves only once the
    /// synced history is durable, and a learner's currentEpoch becomes durable only with the
    /// history it adopted (Remix `committedLogDurability`, ZOOKEEPER-4646, ZOOKEEPER-4643).
    CommittedDurability,
    /// A server tells others of an epoch it accepted (a counted ACKEPOCH; a leader's
    /// LEADERINFO) only once that acceptedEpoch is durable (`Learner.registerWithLeader`,
    /// `Leader.getEpochToPropose`, ZOOKEEPER-1291), so no epoch is promised twice.
    AcceptedEpochDurability,
    /// Every server delivers a prefix of the one committed history: the Zab paper's agreement,
    /// total order, local and global primary order (Remix `prefixConsistency`).
    PrefixConsistency,
    /// Servers that applied the same txns hold the same data tree (ZooKeeper's digest check,
    /// ZOOKEEPER-3114): the state machine follows the order Zab agreed on.
    ReplicaAgreement,
    /// Every committed txn was proposed by the established leader of its epoch (the Zab
    /// paper's integrity and primary integrity).
    Integrity,
    /// A client write acknowledged as committed is in the committed history.
    AcknowledgedDurability,
    /// No server receives a packet its role should never see, and every leader-learner
    /// conversation keeps ZooKeeper's order (Remix `messageLegal`, `ackConsistent`,
    /// `commitConsistent`).
    MessageLegality,
    /// After the last fault, a connected quorum converges on one established leader with
    /// every member synced, within the bound.
    Liveness,
    /// A client's requests are answered in the order it sent them (ZooKeeper's "FIFO client
    /// order").
    ClientFifoOrder,
    /// No reply shows a client an older state than one it has already seen, across
    /// reconnects too ("a client will never see an older view").
    ClientMonotonicView,
    /// A write invoked after another write was acknowledged is ordered after it
    /// ("linearizable writes").
    LinearizableWrites,
    /// A sync answers with a state at least as new as every write acknowledged before it was
    /// invoked.
    SyncFreshness,
    /// A client is shown committed state only: no reply carries a zxid beyond the committed
    /// history when the client receives it.
    CommittedReads,
    /// A read answered at zxid Z shows exactly the node the committed history leaves at Z:
    /// its data, stat and children, or its absence.
    ReadContents,
    /// A client receives a watch event before any reply that shows a state past the change
    /// that fired it, and only for a committed change to something it watches.
    WatchOrder,
    /// Two clients with live sessions never hold the lock recipe's lock at once (nor lead at
    /// once, in the election recipe).
    LockExclusion,
    /// A queue item is taken (its delete succeeds) by one consumer at most.
    QueueAtMostOnce,
}

impl Invariant {
    /// Whether it is a client guarantee, checked only in runs with clients.
    pub fn is_client_guarantee(self) -> bool {
        matches!(
            self,
            Invariant::ClientFifoOrder
                | Invariant::ClientMonotonicView
                | Invariant::LinearizableWrites
                | Invariant::SyncFreshness
                | Invariant::CommittedReads
                | Invariant::ReadContents
                | Invariant::WatchOrder
                | Invariant::LockExclusion
                | Invariant::QueueAtMostOnce
        )
    }
}

impl Invariant {
    /// Every invariant, in report order.
    pub const ALL: &'static [Invariant] = <Invariant as strum::VariantArray>::VARIANTS;

    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A broken property: which, where, when, who, and what exactly.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// The property.
    pub invariant: Invariant,
    /// Index of the event after which it was detected.
    pub event: u64,
    /// Virtual time in microseconds.
    pub time_us: u64,
    /// Servers involved.
    pub servers: Vec<u8>,
    /// What was seen.
    pub detail: String,
    /// Why liveness failed, for Liveness violations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LivenessReason>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let servers: Vec<String> = self.servers.iter().map(|s| format!("s{s}")).collect();
        write!(
            f,
            "{} violated at event {} ({}) on [{}]: {}",
            self.invariant,
            self.event,
            crate::format_time(self.time_us),
            servers.join(","),
            self.detail
        )
    }
}

/// A property broken by one event, before the engine stamps it with the event's index and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    /// The property.
    pub invariant: Invariant,
    /// Servers involved.
    pub servers: Vec<u8>,
    /// What was seen.
    pub detail: String,
}

impl Breach {
    /// A breach of `invariant` by `servers`.
    pub fn new(invariant: Invariant, servers: Vec<u8>, detail: String) -> Breach {
        Breach { invariant, servers, detail }
    }
}

/// One thing that happened, as the checker sees it. The engine hands every one of these to
/// [`Checker::check`], whatever code path produced it.
pub enum Seen<'a> {
    /// A server took one step; seen before any message the step produced leaves, so the
    /// checker knows what each of them promises.
    Step {
        /// The server.
        id: NodeId,
        /// Its state after the step.
        server: &'a Node,
        /// What the step produced.
        output: &'a Output,
        /// How many txns it had delivered before the step.
        delivered_before: usize,
        /// The log its disk holds durably (the step's own writes are still pending).
        durable_log: &'a [Txn],
    },
    /// An fsync completed.
    Fsync {
        /// The server whose disk it was.
        id: NodeId,
        /// Its last durable zxid before these writes.
        last_before: Zxid,
        /// The writes that became durable, in order.
        writes: &'a [DiskWrite],
        /// The disk's durable state after them.
        durable: &'a DurableState,
        /// The id of the last write the fsync covered.
        through: WriteId,
    },
    /// A message leaves a server now.
    Departure {
        /// The sender.
        from: NodeId,
        /// The receiver.
        to: NodeId,
        /// The message.
        msg: &'a Message,
        /// The sender's disk queue: writes not yet durable.
        pending: &'a VecDeque<(WriteId, DiskWrite)>,
        /// The sender's initial vote, if it is LOOKING.
        looking_initial: Option<Vote>,
    },
}

/// Checker state: ghost variables about the whole run.
pub struct Checker {
    n: usize,
    /// Epoch -> the server that established it.
    established: BTreeMap<Epoch, NodeId>,
    /// The canonical committed history.
    committed: Vec<Txn>,
    /// For each entry of `committed`, the epoch whose leader committed it.
    committed_in: Vec<Epoch>,
    /// zxid -> (value, proposer): every txn ever proposed.
    bindings: BTreeMap<Zxid, (u64, NodeId)>,
    /// (server, round, vote sent) -> the server's weakest initial vote when it sent that vote
    /// in a LOOKING notification of that round.
    initial_votes: BTreeMap<election::SentVote, Vote>,
    /// Per learner: how long the committed history was when its leader chose how to sync it.
    sync_decided_at: Vec<usize>,
    /// Durable epochs last seen per server, for monotonicity.
    epochs: Vec<(Epoch, Epoch)>,
    /// Per server process: its writes and the promises of its messages not yet departed.
    ledgers: Vec<promises::Ledger>,
    /// Per server: its latest leadership.
    terms: Vec<order::Term>,
    /// Per (sender, receiver): the leader-learner conversation so far.
    talks: Vec<order::Talk>,
    /// Per rule: how many messages passed it.
    exercised: Vec<u64>,
    /// Per server: the log its disk holds durably, replayed from fsync completions.
    durable_logs: Vec<Vec<Txn>>,
    /// ReplicaAgreement's view of every server's applied history and tree.
    replicas: replicas::ReplicaTrees,
    /// The liveness phase, once it started.
    pub liveness: Option<LivenessWatch>,
    /// The timely checks' view of who holds which role since when.
    timely: timely::Timely,
}

impl Checker {
    /// The newest state a client may be shown: the last committed txn, or the epoch marker of
    /// the newest established epoch (a new leader's lastProcessedZxid before its first
    /// commit), whichever is higher.
    pub fn committed_frontier(&self) -> Zxid {
        let last = self.committed.last().map_or(Zxid::ZERO, |t| t.zxid);
        let marker = self.established.keys().next_back().map_or(Zxid::ZERO, |e| Zxid::epoch_marker(*e));
        last.max(marker)
    }

    /// The newest epoch a leader has established so far.
    pub fn newest_established_epoch(&self) -> Option<Epoch> {
        self.established.keys().next_back().copied()
    }

    /// A checker for `n` servers.
    pub fn new(n: usize) -> Checker {
        Checker {
            n,
            established: BTreeMap::new(),
            committed: Vec::new(),
            committed_in: Vec::new(),
            bindings: BTreeMap::new(),
            initial_votes: BTreeMap::new(),
            epochs: vec![(Epoch(0), Epoch(0)); n + 1],
            durable_logs: vec![Vec::new(); n + 1],
            sync_decided_at: vec![usize::MAX; n + 1],
            ledgers: vec![promises::Ledger::default(); n + 1],
            terms: vec![order::Term::default(); n + 1],
            talks: vec![order::Talk::default(); (n + 1) * (n + 1)],
            exercised: vec![0; Rule::ALL.len()],
            replicas: replicas::ReplicaTrees::new(n),
            liveness: None,
            timely: timely::Timely::new(n),
        }
    }

    /// A txn that was on a server's disk before the run began: proposed by nobody we saw.
    pub fn preload(&mut self, txn: Txn) {
        self.bindings.entry(txn.zxid).or_insert((txn.value, NodeId(0)));
    }

    /// The canonical committed history so far.
    pub fn committed(&self) -> &[Txn] {
        &self.committed
    }

    /// The one hook: holds the run against every safety property after `seen`.
    pub fn check(&mut self, seen: &Seen<'_>) -> Result<(), Breach> {
        match *seen {
            Seen::Step { id, server, output, delivered_before, durable_log } => {
                let replaces =
                    output.writes.iter().any(|w| matches!(w, DiskWrite::Truncate(_) | DiskWrite::Snapshot { .. }));
                if replaces {
                    self.check_replace(id, durable_log, &server.disk_view().log)?;
                }
                self.note_promises(id, server, output)?;
                self.note_term(id, server, output)?;
                self.check_observations(id, server, &output.observations, delivered_before)?;
                self.check_replica(id, server)
            }
            Seen::Fsync { id, last_before, writes, durable, through } => {
                self.check_durable(id, last_before, writes, durable)?;
                self.check_adoption(id, through)
            }
            Seen::Departure { from, to, msg, pending, looking_initial } => {
                if let (Some(initial), Message::Notification(n)) = (looking_initial, msg) {
                    if n.state == zabsim_protocol::ServerState::Looking {
                        self.note_looking_vote(from, n, initial);
                    }
                }
                self.check_promise(from, to, msg, pending)?;
                self.check_order(from, to, msg)
            }
        }
    }
}
