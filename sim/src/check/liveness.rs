//! The liveness phase: after the last fault, one of the maximal connected sets of running
//! servers that are a quorum must converge on one established leader with every member of
//! that set synced, within the bound; when none does, the verdict says why.

use super::*;
use zabsim_protocol::{NodeSet, ServerState, ZabPhase};

/// Why a liveness phase failed: the closed list of verdicts, named in failure fingerprints
/// (`Liveness/vote-cycle`) so that distinct causes are kept apart when a campaign dedups.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum LivenessReason {
    /// Servers stepped without virtual time advancing (messages answered forever over loopback).
    Livelock,
    /// A server kept changing its vote (FLE never settles).
    VoteCycle,
    /// No member is LEADING.
    NoLeader,
    /// A leader exists but never got its NEWLEADER quorum.
    NeverEstablished,
    /// Some members are not in BROADCAST.
    Stuck,
    /// Everyone is synced, but client writes from before the heal were never answered.
    NeverAnswered,
    /// Everyone is in BROADCAST, but not with one leader.
    DifferentLeaders,
    /// A server asked a healthy established quorum it reaches (its LOOKING notification
    /// reached the leader and enough followers) and did not join within one join's bound.
    JoinOverdue,
    /// A server stayed LEADING beside another leader's real established quorum longer than
    /// its own initLimit/syncLimit timeouts allow.
    StaleLeader,
    /// A leader gave up while a quorum of its followers stayed with it, healthy and
    /// reachable, for the whole time its failed check looks back on.
    NeedlessGiveUp,
}

impl LivenessReason {
    /// The kebab-case name used in fingerprints and JSON.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The liveness phase being watched.
#[derive(Clone, Debug)]
pub struct LivenessWatch {
    /// Start of the phase (last fault healed).
    pub start_us: u64,
    /// Convergence is due by then.
    pub deadline_us: u64,
    /// The connected quorums, one of which must converge (one set unless links are cut).
    pub quorums: Vec<NodeSet>,
    /// When it converged, if it did.
    pub converged_at_us: Option<u64>,
    /// Per server, the most proposal changes it made within one election round during the
    /// phase (a vote cycle shows up here). A new election is not a vote change, and changes
    /// of different rounds do not add up: a leader that keeps failing DISCOVERY sends its
    /// followers through one short election after another, each with a change or two, and
    /// that is no vote cycle.
    pub proposal_changes: Vec<u32>,
    /// Per server, the proposal changes within its current round.
    changes_this_round: Vec<u32>,
    /// Client writes from before the phase still unanswered at the last check.
    pub writes_pending: usize,
    /// Members left out at convergence because ZooKeeper refuses them (see `refused_members`).
    pub refused: NodeSet,
    /// Per server: its round and proposal when last seen LOOKING.
    last_proposal: Vec<Option<(Round, Vote)>>,
}

impl Checker {
    /// Starts the liveness phase: one of `quorums` must converge.
    pub fn start_liveness(&mut self, start_us: u64, deadline_us: u64, quorums: Vec<NodeSet>) {
        self.liveness = Some(LivenessWatch {
            start_us,
            deadline_us,
            quorums,
            converged_at_us: None,
            proposal_changes: vec![0; self.n + 1],
            changes_this_round: vec![0; self.n + 1],
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
                // A vote change is a new proposal within one `lookForLeader` round. Entering a
                // new election (a new round, or LOOKING again after leaving a role) starts from
                // the server's own vote: that is a new election, not a vote changing, so a
                // leader that keeps failing DISCOVERY is not taken for a vote cycle.
                let seen = node.proposal().map(|p| (node.logicalclock(), p));
                let last = &mut watch.last_proposal[id.index()];
                let this_round = &mut watch.changes_this_round[id.index()];
                match (seen, *last) {
                    (Some((round, p)), Some((last_round, last_p))) if round == last_round => {
                        if p != last_p {
                            *this_round += 1;
                            let most = &mut watch.proposal_changes[id.index()];
                            *most = (*most).max(*this_round);
                        }
                    }
                    // A new election (or none): its count starts afresh.
                    _ => *this_round = 0,
                }
                *last = seen;
            }
        }
        watch.writes_pending = writes_pending;
        if writes_pending == 0 {
            if let Some(refused) = watch.quorums.iter().find_map(|q| refused_members(nodes, q)) {
                watch.converged_at_us = Some(now_us);
                watch.refused = refused;
                return true;
            }
        }
        false
    }

    /// The liveness deadline passed: explain why the ensemble did not converge, if it did not.
    pub fn liveness_verdict(&self, nodes: &[Option<Node>]) -> Option<(Vec<u8>, LivenessReason, String)> {
        let watch = self.liveness.as_ref()?;
        if watch.converged_at_us.is_some() {
            return None;
        }
        Some(diagnose(nodes, watch))
    }
}

impl LivenessWatch {
    /// Every server of the quorums: the ones a verdict names.
    pub fn members(&self) -> NodeSet {
        self.quorums.iter().flat_map(|q| q.iter()).collect()
    }

    /// A server crashed during the phase: no quorum waits for it any more.
    pub fn forget(&mut self, id: NodeId) {
        for quorum in &mut self.quorums {
            quorum.remove(id);
        }
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

fn diagnose(nodes: &[Option<Node>], watch: &LivenessWatch) -> (Vec<u8>, LivenessReason, String) {
    let members: Vec<NodeId> = watch.members().iter().collect();
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
        .map(|id| format!("{id} changed its vote {} times in one round", watch.proposal_changes[id.index()]))
        .collect();
    let (why, reason) = if !cycling.is_empty() {
        (LivenessReason::VoteCycle, format!("vote cycle: {}", cycling.join(", ")))
    } else if leaders.is_empty() {
        (LivenessReason::NoLeader, "no leader elected".to_string())
    } else if leaders.iter().all(|l| l.established_epoch().is_none()) {
        (LivenessReason::NeverEstablished, format!("leader {} never established its epoch", leaders[0].id()))
    } else {
        let stuck: Vec<String> = members
            .iter()
            .filter_map(|id| nodes[id.index()].as_ref())
            .filter(|n| n.role_view().phase != ZabPhase::Broadcast)
            .map(|n| format!("{} stuck in {}", n.id(), n.role_view().phase.name()))
            .collect();
        if stuck.is_empty() && watch.quorums.iter().any(|q| converged(nodes, q)) {
            (
                LivenessReason::NeverAnswered,
                format!("{} client writes submitted before the heal were never answered", watch.writes_pending),
            )
        } else if stuck.is_empty() {
            (LivenessReason::DifferentLeaders, "servers follow different leaders".to_string())
        } else {
            (LivenessReason::Stuck, stuck.join(", "))
        }
    };
    (
        members.iter().map(|id| id.0).collect(),
        why,
        format!("the connected quorum did not converge within {within}: {reason}; states: {}", states.join("; ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zabsim_protocol::{Ensemble, Input, Notification, ProtocolConfig};

    fn looking(leader: u8, round: u64) -> Input {
        let vote = Vote { leader: NodeId(leader), zxid: Zxid::ZERO, peer_epoch: Epoch(0) };
        let msg = Message::Notification(Notification { state: ServerState::Looking, vote, round: Round(round) });
        Input::Message { from: NodeId(leader), msg }
    }

    #[test]
    fn a_new_round_is_a_new_election_not_a_vote_change() {
        let mut checker = Checker::new(3);
        let mut nodes: Vec<Option<Node>> = vec![None; 4];
        let mut s2 = Node::new(NodeId(2), Ensemble::new(3), ProtocolConfig::default(), DurableState::default());
        s2.step_into(0, Input::Start, &mut Output::default());
        nodes[2] = Some(s2);
        checker.start_liveness(0, 10_000_000, vec![[NodeId(1), NodeId(2), NodeId(3)].into_iter().collect()]);
        checker.watch_liveness(0, &nodes, Some(NodeId(2)), 0);
        let mut step = |nodes: &mut Vec<Option<Node>>, input: Input| {
            nodes[2].as_mut().expect("up").step_into(1, input, &mut Output::default());
            checker.watch_liveness(1, nodes, Some(NodeId(2)), 0);
            checker.liveness.as_ref().expect("watching").proposal_changes[2]
        };
        // s3's vote beats s2's own in round 1: one vote change.
        assert_eq!(step(&mut nodes, looking(3, 1)), 1);
        // s1 in round 2 pulls s2 up, which re-judges against its initial vote and proposes
        // itself again: a new election, not a vote change.
        assert_eq!(step(&mut nodes, looking(1, 2)), 1);
        // s3's vote beats it within round 2: a vote change, the first of round 2, so the most
        // in one round is still 1 (changes of different rounds do not add up).
        assert_eq!(step(&mut nodes, looking(3, 2)), 1);
    }
}
