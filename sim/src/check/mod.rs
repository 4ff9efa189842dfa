//! The cluster checker. After every event it holds the run against Zab's safety properties,
//! named as in the Zab paper and ZooKeeper's TLA+ specs (ZAB_FLE_REFERENCE.md section 4), and
//! in the liveness phase it says why the ensemble did not converge.
//!
//! The core is one canonical committed history `committed` (TigerBeetle's approach, the
//! specs' ghost "ever committed" sequence): it grows only when an established leader commits
//! or establishes its epoch, and every server's delivered sequence is compared against it.
//! Agreement, total order, local and global primary order and prefix consistency all follow
//! from "every delivered sequence is a prefix of one strictly zxid-ordered history".

use std::collections::BTreeMap;
use std::fmt;
use zabsim_protocol::{
    DiskWrite, Epoch, Node, NodeId, NodeSet, Observation, Round, ServerState, Txn, Vote, ZabPhase, Zxid,
};

/// The properties the checker enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Invariant {
    /// At most one server establishes leadership (a NEWLEADER quorum) per epoch
    /// (spec `Leadership2`, KNOWN_BUGS I1).
    Leadership,
    /// A vote decided by a LOOKING quorum is at least the initial vote (currentEpoch, last
    /// zxid, sid) of every server in that quorum when it voted.
    ElectionQuorumMaximum,
    /// No two different txns carry one zxid (I2).
    ZxidUniqueness,
    /// Every log's zxids strictly increase; acceptedEpoch >= currentEpoch, neither decreases.
    LocalMonotonicity,
    /// Every committed txn is in the initial history of every later established leader
    /// (Remix `leaderLogCompleteness`, I3).
    LeaderCompleteness,
    /// A committed txn durable at a server is never truncated or replaced away
    /// (`committedLogDurability`, I3).
    CommittedDurability,
    /// Every server delivers a prefix of the one committed history: agreement, total order,
    /// local and global primary order, prefix consistency (I4, I5).
    PrefixConsistency,
    /// Every committed txn was proposed by the established leader of its epoch (Integrity,
    /// primary integrity).
    Integrity,
    /// A client write acknowledged as committed is in the committed history.
    AcknowledgedDurability,
    /// No server receives a packet its role should never see (Remix `messageLegal`, I7).
    MessageLegality,
    /// After the last fault, a connected quorum converges on one established leader with
    /// every member synced, within the bound (L1-L3).
    Liveness,
}

impl Invariant {
    /// Every invariant, in report order.
    pub const ALL: [Invariant; 11] = [
        Invariant::Leadership,
        Invariant::ElectionQuorumMaximum,
        Invariant::ZxidUniqueness,
        Invariant::LocalMonotonicity,
        Invariant::LeaderCompleteness,
        Invariant::CommittedDurability,
        Invariant::PrefixConsistency,
        Invariant::Integrity,
        Invariant::AcknowledgedDurability,
        Invariant::MessageLegality,
        Invariant::Liveness,
    ];

    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::Leadership => "Leadership",
            Invariant::ElectionQuorumMaximum => "ElectionQuorumMaximum",
            Invariant::ZxidUniqueness => "ZxidUniqueness",
            Invariant::LocalMonotonicity => "LocalMonotonicity",
            Invariant::LeaderCompleteness => "LeaderCompleteness",
            Invariant::CommittedDurability => "CommittedDurability",
            Invariant::PrefixConsistency => "PrefixConsistency",
            Invariant::Integrity => "Integrity",
            Invariant::AcknowledgedDurability => "AcknowledgedDurability",
            Invariant::MessageLegality => "MessageLegality",
            Invariant::Liveness => "Liveness",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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

/// The liveness phase being watched.
#[derive(Clone, Debug)]
pub struct LivenessWatch {
    /// Start of the phase (last fault healed).
    pub start_us: u64,
    /// Convergence is due by then.
    pub deadline_us: u64,
    /// The connected quorum that must converge.
    pub members: NodeSet,
    /// When it converged, if it did.
    pub converged_at_us: Option<u64>,
    /// Proposal changes per server during the phase (a vote cycle shows up here).
    pub proposal_changes: Vec<u32>,
    /// Client writes from before the phase still unanswered at the last check.
    pub writes_pending: usize,
    /// Members left out at convergence because ZooKeeper refuses them (see `refused_members`).
    pub refused: NodeSet,
    last_proposal: Vec<Option<Vote>>,
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
    /// (server, round) -> the server's initial vote when it last sent a LOOKING notification
    /// in that round.
    initial_votes: BTreeMap<(NodeId, Round), Vote>,
    /// Per learner: how long the committed history was when its leader chose how to sync it.
    sync_decided_at: Vec<usize>,
    /// Durable epochs last seen per server, for monotonicity.
    epochs: Vec<(Epoch, Epoch)>,
    /// The liveness phase, once it started.
    pub liveness: Option<LivenessWatch>,
}

impl Checker {
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
            sync_decided_at: vec![usize::MAX; n + 1],
            liveness: None,
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

    /// Epochs established so far, with their leaders.
    pub fn established(&self) -> &BTreeMap<Epoch, NodeId> {
        &self.established
    }

    /// A LOOKING server sent a notification in `round` while its initial vote was `initial`.
    /// Rounds restart at 1 when a server restarts, so one (server, round) can name votes of
    /// several process lifetimes; the weakest initial vote is kept, so the check never blames
    /// a decision on a vote from another lifetime.
    pub fn note_looking_vote(&mut self, from: NodeId, round: Round, initial: Vote) {
        let entry = self.initial_votes.entry((from, round)).or_insert(initial);
        if initial.order_key() < entry.order_key() {
            *entry = initial;
        }
    }

    /// Checks what server `id` reported in one step; `delivered_before` is how many txns it
    /// had delivered before the step.
    pub fn after_step(
        &mut self,
        id: NodeId,
        node: &Node,
        observations: &[Observation],
        delivered_before: usize,
    ) -> Result<(), (Invariant, Vec<u8>, String)> {
        let mut delivered_seen = 0usize;
        for obs in observations {
            match obs {
                Observation::Decided { vote, round, agreeing: Some(set) } => {
                    for voter in set.iter() {
                        if let Some(initial) = self.initial_votes.get(&(voter, *round)) {
                            if vote.order_key() < initial.order_key() {
                                return Err((
                                    Invariant::ElectionQuorumMaximum,
                                    vec![id.0, voter.0],
                                    format!(
                                        "{id} decided {vote} in {round} counting {voter}, whose own vote {initial} is better"
                                    ),
                                ));
                            }
                        }
                    }
                }
                Observation::Established { epoch, .. } => self.on_established(id, node, *epoch)?,
                Observation::Proposed { txn } => self.on_proposed(id, *txn)?,
                Observation::Committed { zxid, .. } => self.on_committed(id, node, *zxid)?,
                Observation::Delivered { .. } => delivered_seen += 1,
                Observation::SyncChosen { learner, .. } => {
                    self.sync_decided_at[learner.index()] = self.committed.len();
                }
                Observation::ClientAcked { value, zxid } => {
                    let found = self.committed.binary_search_by_key(zxid, |t| t.zxid).ok();
                    if found.map(|i| self.committed[i].value) != Some(*value) {
                        return Err((
                            Invariant::AcknowledgedDurability,
                            vec![id.0],
                            format!("{id} acknowledged write {value} at {zxid}, which is not committed"),
                        ));
                    }
                }
                Observation::IllegalMessage { what } => {
                    return Err((Invariant::MessageLegality, vec![id.0], what.clone()));
                }
                _ => {}
            }
        }
        if delivered_seen > 0 {
            let delivered = node.delivered();
            let from = delivered_before.min(delivered.len());
            for (i, txn) in delivered.iter().enumerate().skip(from) {
                if self.committed.get(i) != Some(txn) {
                    let expected = match self.committed.get(i) {
                        Some(t) => format!("committed history has {t} there"),
                        None => format!("committed history has only {} txns", self.committed.len()),
                    };
                    return Err((
                        Invariant::PrefixConsistency,
                        vec![id.0],
                        format!("{id} delivered {txn} as txn #{}; {expected}", i + 1),
                    ));
                }
            }
        }
        Ok(())
    }

    fn on_established(&mut self, id: NodeId, node: &Node, epoch: Epoch) -> Result<(), (Invariant, Vec<u8>, String)> {
        if let Some(other) = self.established.get(&epoch) {
            if *other != id {
                return Err((
                    Invariant::Leadership,
                    vec![other.0, id.0],
                    format!("{id} established {epoch}, which {other} had already established"),
                ));
            }
        }
        let newest = self.established.keys().next_back().copied();
        self.established.insert(epoch, id);
        let history = &node.disk_view().log;
        // Zab orders leaders by epoch, not by time: an older epoch can complete its NEWLEADER
        // quorum after a newer one did (ZooKeeper keeps the NEWLEADER ACK of a learner that
        // has since moved on). Its history must still hold everything committed in earlier
        // epochs, and must not add anything the newer leaders lack.
        for (i, txn) in self.committed.iter().enumerate() {
            if self.committed_in[i] >= epoch {
                continue;
            }
            if history.get(i) != Some(txn) {
                return Err((
                    Invariant::LeaderCompleteness,
                    vec![id.0],
                    format!(
                        "{id} established {epoch} without {txn}, committed in {} (position {})",
                        self.committed_in[i],
                        i + 1
                    ),
                ));
            }
        }
        let shared = history.len().min(self.committed.len());
        if history[..shared] != self.committed[..shared] {
            let i = (0..shared).find(|i| history[*i] != self.committed[*i]).unwrap_or(0);
            return Err((
                Invariant::PrefixConsistency,
                vec![id.0],
                format!(
                    "{id} established {epoch} with {} where the committed history has {}",
                    history[i], self.committed[i]
                ),
            ));
        }
        if history.len() > self.committed.len() {
            if let Some(newest) = newest.filter(|n| *n > epoch) {
                let txn = history[self.committed.len()];
                return Err((
                    Invariant::LeaderCompleteness,
                    vec![id.0],
                    format!("{id} established {epoch} committing {txn}, which the leader of the later {newest} lacks"),
                ));
            }
            for txn in &history[self.committed.len()..] {
                self.check_integrity(id, *txn)?;
            }
            let added = history.len() - self.committed.len();
            self.committed.extend_from_slice(&history[self.committed.len()..]);
            self.committed_in.extend(std::iter::repeat_n(epoch, added));
        }
        Ok(())
    }

    fn on_proposed(&mut self, id: NodeId, txn: Txn) -> Result<(), (Invariant, Vec<u8>, String)> {
        if self.established.get(&txn.zxid.epoch) != Some(&id) {
            return Err((
                Invariant::Integrity,
                vec![id.0],
                format!("{id} proposed {txn} without having established {}", txn.zxid.epoch),
            ));
        }
        if let Some((value, by)) = self.bindings.get(&txn.zxid) {
            if *value != txn.value {
                return Err((
                    Invariant::ZxidUniqueness,
                    vec![by.0, id.0],
                    format!("{id} proposed {txn} but {by} proposed {}={value}", txn.zxid),
                ));
            }
        }
        self.bindings.insert(txn.zxid, (txn.value, id));
        Ok(())
    }

    fn on_committed(&mut self, id: NodeId, node: &Node, zxid: Zxid) -> Result<(), (Invariant, Vec<u8>, String)> {
        let log = &node.disk_view().log;
        let Ok(pos) = log.binary_search_by_key(&zxid, |t| t.zxid) else {
            return Err((Invariant::Integrity, vec![id.0], format!("{id} committed {zxid}, which it has not logged")));
        };
        let txn = log[pos];
        match self.committed.last() {
            Some(last) if last.zxid >= zxid => {
                let known = self.committed.binary_search_by_key(&zxid, |t| t.zxid).ok();
                if known.map(|i| self.committed[i]) != Some(txn) {
                    return Err((
                        Invariant::PrefixConsistency,
                        vec![id.0],
                        format!("{id} committed {txn} behind the committed history's last txn {last}"),
                    ));
                }
            }
            _ => {
                self.check_integrity(id, txn)?;
                self.committed.push(txn);
                self.committed_in.push(zxid.epoch);
            }
        }
        Ok(())
    }

    fn check_integrity(&self, id: NodeId, txn: Txn) -> Result<(), (Invariant, Vec<u8>, String)> {
        match self.bindings.get(&txn.zxid) {
            Some((value, _)) if *value == txn.value => Ok(()),
            Some((value, by)) => Err((
                Invariant::ZxidUniqueness,
                vec![by.0, id.0],
                format!("{id} holds {txn} but {by} proposed {}={value}", txn.zxid),
            )),
            None => Err((Invariant::Integrity, vec![id.0], format!("{id} holds {txn}, which no leader proposed"))),
        }
    }

    /// A server decided to truncate or replace its history (TRUNC, SNAP, or the snapshot at
    /// NEWLEADER): every committed txn it holds durably must survive in the new history
    /// (ZAB_FLE_REFERENCE.md section 4.3, item 4). Judged when the decision is made, against
    /// what was committed when the leader chose the sync: ZooKeeper's leader keeps the ACKs a
    /// learner sent before it restarted, so a txn can become committed while the TRUNC that
    /// cuts it from that learner is in flight (it is re-sent right after). That window is
    /// ZooKeeper's behaviour, not a zabsim verdict; losing the txn for good still fails
    /// LeaderCompleteness or PrefixConsistency.
    pub fn on_replace(
        &self,
        id: NodeId,
        durable: &[Txn],
        new_history: &[Txn],
    ) -> Result<(), (Invariant, Vec<u8>, String)> {
        let held = durable
            .iter()
            .zip(&self.committed)
            .take_while(|(a, b)| a == b)
            .count()
            .min(self.sync_decided_at[id.index()]);
        if new_history.get(..held) == Some(&self.committed[..held]) {
            return Ok(());
        }
        let lost =
            self.committed[..held].iter().find(|t| !new_history.contains(t)).copied().unwrap_or(self.committed[0]);
        Err((Invariant::CommittedDurability, vec![id.0], format!("{id} is cutting committed txn {lost} from its disk")))
    }

    /// Writes of server `id` became durable: check the log's order, that every logged txn was
    /// proposed as it is, and that the epoch files only grow. `last_before` is the server's
    /// last durable zxid before these writes; only what they add is looked at.
    pub fn on_durable(
        &mut self,
        id: NodeId,
        last_before: Zxid,
        writes: &[DiskWrite],
        after: &zabsim_protocol::DurableState,
    ) -> Result<(), (Invariant, Vec<u8>, String)> {
        let mut last = last_before;
        for write in writes {
            match write {
                DiskWrite::Append(txn) => {
                    self.check_integrity(id, *txn)?;
                    // Strictly increasing, and without holes inside one epoch
                    // (ZAB_FLE_REFERENCE.md section 4.3, item 2).
                    let hole = txn.zxid.epoch == last.epoch && txn.zxid.counter != last.counter + 1;
                    if txn.zxid <= last || (hole && last != Zxid::ZERO) {
                        return Err((
                            Invariant::LocalMonotonicity,
                            vec![id.0],
                            format!("{id} logged {} right after {last}", txn.zxid),
                        ));
                    }
                    last = txn.zxid;
                }
                DiskWrite::Truncate(z) => last = last.min(*z),
                DiskWrite::Snapshot(history) => {
                    if let Some(w) = history.windows(2).find(|w| w[0].zxid >= w[1].zxid) {
                        return Err((
                            Invariant::LocalMonotonicity,
                            vec![id.0],
                            format!("{id}'s snapshot has {} before {}", w[0].zxid, w[1].zxid),
                        ));
                    }
                    last = history.last().map_or(Zxid::ZERO, |t| t.zxid);
                }
                _ => {}
            }
        }
        let (accepted, current) = (after.accepted_epoch, after.current_epoch);
        let (was_accepted, was_current) = self.epochs[id.index()];
        if accepted < current || accepted < was_accepted || current < was_current {
            return Err((
                Invariant::LocalMonotonicity,
                vec![id.0],
                format!(
                    "{id} epochs went from accepted={was_accepted} current={was_current} to accepted={accepted} current={current}"
                ),
            ));
        }
        self.epochs[id.index()] = (accepted, current);
        Ok(())
    }

    /// A learner's ACK leaves: ZAB_FLE_REFERENCE.md section 4.3, item 6 wants a NEWLEADER ACK
    /// only once the synced history is durable, since the leader counts it towards committing
    /// the new epoch's initial history (ZOOKEEPER-4646 broke exactly this). `pending` is the
    /// sender's disk queue of writes not yet synced.
    pub fn on_ack_sent(
        &self,
        id: NodeId,
        msg: &zabsim_protocol::Message,
        pending: &std::collections::VecDeque<(zabsim_protocol::WriteId, DiskWrite)>,
    ) -> Result<(), (Invariant, Vec<u8>, String)> {
        let zabsim_protocol::Message::Quorum(zabsim_protocol::QuorumPacket::Ack { zxid }) = msg else { return Ok(()) };
        if !zxid.is_epoch_marker() {
            return Ok(());
        }
        let log_writes: Vec<String> = pending
            .iter()
            .filter(|(_, w)| matches!(w, DiskWrite::Append(_) | DiskWrite::Truncate(_) | DiskWrite::Snapshot(_)))
            .map(|(w_id, w)| format!("w{w_id} {w}"))
            .collect();
        match log_writes.first() {
            None => Ok(()),
            Some(first) => Err((
                Invariant::CommittedDurability,
                vec![id.0],
                format!(
                    "{id} acknowledged NEWLEADER {} before its synced history was durable ({} log writes pending, first {first})",
                    zxid.epoch,
                    log_writes.len()
                ),
            )),
        }
    }

    /// Starts the liveness phase.
    pub fn start_liveness(&mut self, start_us: u64, deadline_us: u64, members: NodeSet) {
        self.liveness = Some(LivenessWatch {
            start_us,
            deadline_us,
            members,
            converged_at_us: None,
            proposal_changes: vec![0; self.n + 1],
            writes_pending: 0,
            refused: NodeSet::EMPTY,
            last_proposal: vec![None; self.n + 1],
        });
    }

    /// Tracks convergence after an event; returns whether it just converged.
    /// `writes_pending` counts client writes submitted before the phase began that are still
    /// unanswered; convergence also needs them answered (committed, or refused to a client
    /// whose server left its role).
    pub fn watch_liveness(
        &mut self,
        now_us: u64,
        nodes: &[Option<Node>],
        stepped: Option<NodeId>,
        writes_pending: usize,
    ) -> bool {
        let Some(watch) = self.liveness.as_mut() else { return false };
        if watch.converged_at_us.is_some() {
            return false;
        }
        if let Some(id) = stepped {
            if let Some(node) = &nodes[id.index()] {
                let p = node.proposal();
                if p.is_some() && p != watch.last_proposal[id.index()] {
                    watch.proposal_changes[id.index()] += 1;
                }
                watch.last_proposal[id.index()] = p;
            }
        }
        watch.writes_pending = writes_pending;
        if writes_pending == 0 {
            if let Some(refused) = refused_members(nodes, &watch.members) {
                watch.converged_at_us = Some(now_us);
                watch.refused = refused;
                return true;
            }
        }
        false
    }

    /// The liveness deadline passed: explain why the ensemble did not converge, if it did not.
    pub fn liveness_verdict(&self, nodes: &[Option<Node>]) -> Option<(Vec<u8>, String)> {
        let watch = self.liveness.as_ref()?;
        if watch.converged_at_us.is_some() {
            return None;
        }
        Some(diagnose(nodes, watch))
    }
}

/// One established leader in BROADCAST with every member following it in BROADCAST.
pub fn converged(nodes: &[Option<Node>], members: &NodeSet) -> bool {
    refused_members(nodes, members).is_some()
}

/// When the members have converged: the members that are not synced only because ZooKeeper
/// refuses them (empty when all are synced); None when they have not converged.
///
/// ZooKeeper's `Learner.registerWithLeader` refuses a leader whose epoch is below the
/// learner's acceptedEpoch. A server that promised a newer epoch which never got established
/// (its would-be leader lost the race) can therefore not join the established leader until
/// the leadership changes: it loops between LOOKING and a refused DISCOVERY. zabsim found
/// this (see README); it counts as converged, and the report names the refused servers.
pub fn refused_members(nodes: &[Option<Node>], members: &NodeSet) -> Option<NodeSet> {
    // The leader of the newest established epoch among the members.
    let leader = members
        .iter()
        .filter_map(|id| nodes[id.index()].as_ref().and_then(|n| n.established_epoch().map(|e| (e, id))))
        .max()?;
    let (epoch, leader) = leader;
    let mut refused = NodeSet::EMPTY;
    let mut synced = NodeSet::EMPTY;
    for id in members.iter() {
        let node = nodes[id.index()].as_ref()?;
        let view = node.role_view();
        if view.phase == ZabPhase::Broadcast && view.leader == Some(leader) {
            synced.insert(id);
        } else if node.accepted_epoch() > epoch
            && view.phase <= ZabPhase::Discovery
            && view.state != ServerState::Leading
        {
            refused.insert(id);
        } else {
            return None;
        }
    }
    // Sparing the refused ones is only fair while the synced servers are a quorum of the
    // whole ensemble (the node count is the highest possible id in the slots).
    let ensemble = nodes.len() - 1;
    (synced.len() > ensemble / 2).then_some(refused)
}

fn diagnose(nodes: &[Option<Node>], watch: &LivenessWatch) -> (Vec<u8>, String) {
    let members: Vec<NodeId> = watch.members.iter().collect();
    let within = crate::format_time(watch.deadline_us - watch.start_us);
    let states: Vec<String> = members
        .iter()
        .filter_map(|id| nodes[id.index()].as_ref())
        .map(|n| match n.proposal() {
            Some(p) => format!("{} LOOKING {} proposing {p}", n.id(), n.logicalclock()),
            None => n.describe(),
        })
        .collect();
    let leaders: Vec<&Node> = members
        .iter()
        .filter_map(|id| nodes[id.index()].as_ref())
        .filter(|n| n.state() == ServerState::Leading)
        .collect();
    let cycling: Vec<String> = members
        .iter()
        .filter(|id| watch.proposal_changes[id.index()] as usize > 2 * members.len())
        .map(|id| format!("{id} changed its vote {} times", watch.proposal_changes[id.index()]))
        .collect();
    let reason = if !cycling.is_empty() {
        format!("vote cycle: {}", cycling.join(", "))
    } else if leaders.is_empty() {
        "no leader elected".to_string()
    } else if leaders.iter().all(|l| l.established_epoch().is_none()) {
        format!("leader {} never established its epoch", leaders[0].id())
    } else {
        let stuck: Vec<String> = members
            .iter()
            .filter_map(|id| nodes[id.index()].as_ref())
            .filter(|n| n.role_view().phase != ZabPhase::Broadcast)
            .map(|n| format!("{} stuck in {}", n.id(), n.role_view().phase.name()))
            .collect();
        if stuck.is_empty() && converged(nodes, &watch.members) {
            format!("{} client writes submitted before the heal were never answered", watch.writes_pending)
        } else if stuck.is_empty() {
            "servers follow different leaders".to_string()
        } else {
            stuck.join(", ")
        }
    };
    (
        members.iter().map(|id| id.0).collect(),
        format!("the connected quorum did not converge within {within}: {reason}; states: {}", states.join("; ")),
    )
}
