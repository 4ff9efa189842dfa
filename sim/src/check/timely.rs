//! Timely liveness: three checks sharper than the liveness phase's one bound, each held only
//! where ZooKeeper's own timeouts say the thing cannot happen, and only while the run is calm
//! (no fault began or ended, no slowed fsync outstanding, chaos never on) for the whole time
//! the check looks back on:
//! - `join-overdue`: a server whose LOOKING notification reached an established leader and
//!   enough of its BROADCAST followers to make a quorum joins that leader within one join;
//! - `stale-leader`: a server LEADING beside another leader's established, real quorum gives
//!   up within its own initLimit/syncLimit timeouts;
//! - `needless-give-up`: a leader does not give up while a quorum of followers stayed with it,
//!   healthy and reachable, for the whole time its failed check looks back on.
//!
//! The engine hands in what the protocol does not know ([`Surroundings`]); the bounds come
//! from the scenario's timeouts ([`TimelyBounds`]), each with the ZooKeeper class it follows.

use super::{Checker, LivenessReason};
use crate::scenario::costs::ColdCosts;
use crate::scenario::{Scenario, ServerCosts, Span};
use zabsim_protocol::{Ensemble, LeaveReason, Node, NodeId, NodeSet, ServerState, Work, ZabPhase};

/// The bounds of the three checks, in µs, derived from one scenario's timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelyBounds {
    /// From the moment a quorum of an established leader's ensemble (the leader included)
    /// has received a server's LOOKING notification to that server in BROADCAST with it.
    pub join_us: u64,
    /// From the moment a LEADING server stands beside another leader's real quorum (and
    /// nobody connected to it since) to it having left LEADING.
    pub stale_leader_us: u64,
    /// How far back a `QuorumLost` give-up must have had a quorum of followers in BROADCAST.
    pub quorum_lost_window_us: u64,
    /// How far back a `WaitTimedOut` give-up must have had a quorum of followers FOLLOWING it.
    pub wait_window_us: u64,
    /// The work ZooKeeper does not time out, in a calm run (round trips, fsyncs).
    pub slack_us: u64,
}

impl TimelyBounds {
    /// The bounds for `scenario`.
    ///
    /// `slack_us` covers the work ZooKeeper does not time out, in a calm run: ten one-way
    /// trips at the slowest delay of any link (tail and notification hand-off included), ten
    /// fsyncs at the slowest latency and a learner connection's `LearnerHandler` start-up,
    /// plus 100 ms.
    pub fn for_scenario(s: &Scenario) -> TimelyBounds {
        let p = &s.protocol;
        let tick = p.tick_us();
        let delays = std::iter::once(s.network.delay).chain(s.network.overrides.iter().map(|o| o.delay));
        // With shared host cores every cost can stretch by up to servers/cores.
        let share = s.costs.host_cores.map_or(1, |c| u64::from(s.nodes).div_ceil(u64::from(c.max(1))).max(1));
        let one_way = delays.map(|d| d.max_us + if d.tail_ppm > 0 { d.tail_max_us } else { 0 }).max().unwrap_or(0)
            + share * most_of(&s.costs, |c| c.notification_handoff, s.costs.notification_handoff);
        // The LearnerHandler's start-up on each connection (`costs.learner_*`), ZooKeeper
        // times neither out.
        let handler = share
            * (most_of(&s.costs, |c| c.learner_handler_start, s.costs.learner_handler_start)
                + most_of(&s.costs, |c| c.learner_sync_start, s.costs.learner_sync_start)
                + most_of(&s.costs, |c| c.learner_sender_start, s.costs.learner_sender_start));
        let slack_us = 10 * one_way + 10 * s.disk.fsync_max_us + handler + 100_000;
        let most = |work: Work| {
            let on = |id: u8, young: bool| s.costs.on(id, work, young).max_us;
            share * (1..=s.nodes).map(|id| on(id, true).max(on(id, false))).max().unwrap_or(0)
        };
        TimelyBounds {
            // FastLeaderElection.lookForLeader, case FOLLOWING/LEADING: a LOOKING server decides
            // as soon as the FOLLOWING/LEADING votes in `outofelection` agreeing with the
            // leader's are a quorum and the leader's own LEADING vote is among them
            // (checkLeader), with no finalizeWait; WorkerReceiver answers every LOOKING
            // notification at once with the current vote. So once a quorum of the ensemble,
            // the leader included, has the notification, the decision is a reply away. Then
            // Follower.followLeader: the set-up work, connectToLeader (the leader's port is
            // open), and registerWithLeader + syncWithLeader (the follower's startup work
            // included), whose every read before
            // NEWLEADER Learner bounds by initLimit·tickTime; an established leader answers
            // each at once (LearnerHandler sends LEADERINFO, the sync, NEWLEADER and, as it
            // has started, UPTODATE), so a healthy pair needs round trips and fsyncs, and
            // one initLimit without joining means a read timed out or nothing moves.
            join_us: p.init_limit_us() + most(Work::FollowerSetup) + most(Work::FollowerStartup) + slack_us,
            // Leader.lead: before the epoch is established each wait (getEpochToPropose,
            // waitForEpochAck, waitForNewLeaderAck) ends after initLimit·tickTime; in a calm
            // run a stage completes only on packets already under way (within the slack) or
            // from a learner that connects (the bound starts again then). Once established,
            // the ping loop counts a learner as synced while `tick` <= its
            // tickOfNextAckDeadline, set to tick + initLimit + syncLimit when its
            // LearnerHandler starts (tick stays 0 until the loop runs) and to tick +
            // syncLimit on each packet; `tick` advances once per tickTime, so without a quorum
            // of learners answering pings it steps down within initLimit + syncLimit + 2
            // ticks. Set-up (makeLeader) and startZkServer come on top.
            stale_leader_us: (p.init_limit_ticks + p.sync_limit_ticks + 2) as u64 * tick
                + most(Work::LeaderSetup)
                + most(Work::LeaderStartup)
                + slack_us,
            // Leader.lead's ping loop: a follower in BROADCAST answers every PING (sent each
            // tickTime/2) at once, and each packet moves its deadline to tick + syncLimit; its
            // ACKs wait for fsyncs, which in a calm run take far less than syncLimit
            // (LearnerHandler's SyncLimitCheck). A quorum that stayed in BROADCAST, healthy
            // and reachable, for syncLimit + 2 ticks cannot fail the check.
            quorum_lost_window_us: (p.sync_limit_ticks + 2) as u64 * tick,
            // Leader.getEpochToPropose, waitForEpochAck, waitForNewLeaderAck: each waits
            // initLimit·tickTime for a quorum of FOLLOWERINFO, ACKEPOCH, NEWLEADER ACK. A
            // follower that stays FOLLOWING the leader for the whole wait has sent its packet
            // (it leaves FOLLOWING when it refuses the epoch or the leader drops it), so a
            // quorum of them cannot let the wait run out.
            wait_window_us: p.init_limit_us(),
            slack_us,
        }
    }
}

/// The longest a non-`Work` cost can take, young or warm.
fn most_of(costs: &ServerCosts, pick: impl Fn(&ColdCosts) -> Span, warm: Span) -> u64 {
    costs.timed(true, pick, warm).max_us.max(warm.max_us)
}

/// What the engine knows and the protocol does not: the faults.
pub struct Surroundings<'a> {
    /// Virtual time now.
    pub now_us: u64,
    /// Since when no fault began or ended and no slowed fsync was outstanding; None when
    /// chaos was ever on (a message lost on a live connection can wedge a conversation).
    pub calm_since_us: Option<u64>,
    /// Servers running and not paused.
    pub healthy: NodeSet,
    /// Whether messages flow both ways between two servers.
    pub reachable: &'a dyn Fn(NodeId, NodeId) -> bool,
    /// Per server: when a learner last connected to its quorum port (0: never).
    pub learner_connected_us: &'a [u64],
}

/// Per server: since when it has held its current role, as seen after its steps.
#[derive(Clone, Copy, Debug, Default)]
struct Held {
    leading_since: Option<u64>,
    established_since: Option<u64>,
    /// The leader it follows, and since when.
    following: Option<(NodeId, u64)>,
    /// The leader whose BROADCAST it is in (itself for a leader), and since when.
    serving: Option<(NodeId, u64)>,
}

/// The trackers of the timely checks.
#[derive(Clone, Debug)]
pub struct Timely {
    n: usize,
    held: Vec<Held>,
    /// asked[s * (n + 1) + x]: when x, in BROADCAST with leader L, first received a LOOKING
    /// notification from s since x has been there and the run has been calm.
    asked: Vec<Option<(u64, NodeId)>>,
}

/// A timely check's verdict: the servers named, the reason and the detail.
pub type TimelyBreach = (Vec<u8>, LivenessReason, String);

fn t(us: u64) -> String {
    crate::format_time(us)
}

impl Timely {
    pub(super) fn new(n: usize) -> Timely {
        Timely { n, held: vec![Held::default(); n + 1], asked: vec![None; (n + 1) * (n + 1)] }
    }

    /// What server `s` asked each other server, indexed by that server.
    fn asked_row(&self, s: NodeId) -> std::ops::Range<usize> {
        s.index() * (self.n + 1)..(s.index() + 1) * (self.n + 1)
    }
}

/// When `need` of `times` had come, but not before `floor`: the moment a quorum stood, given
/// when each of its other members arrived (`need` = quorum size - 1). None if too few came.
fn quorum_time(mut times: Vec<u64>, need: usize, floor: u64) -> Option<u64> {
    times.sort_unstable();
    match need.checked_sub(1) {
        Some(i) => times.get(i).map(|t| (*t).max(floor)),
        None => Some(floor),
    }
}

impl Checker {
    /// Notes the role server `id` holds after a step at `now_us`.
    pub fn timely_step(&mut self, now_us: u64, id: NodeId, server: &Node) {
        let view = server.role_view();
        let tm = &mut self.timely;
        let h = &mut tm.held[id.index()];
        let keep = |was: Option<(NodeId, u64)>, now: Option<NodeId>| match (was, now) {
            (Some((l, since)), Some(now)) if l == now => Some((l, since)),
            (_, now) => now.map(|l| (l, now_us)),
        };
        let leading = view.state == ServerState::Leading && view.leader == Some(id);
        h.leading_since = if leading { h.leading_since.or(Some(now_us)) } else { None };
        let established = server.established_epoch().is_some();
        h.established_since = if established { h.established_since.or(Some(now_us)) } else { None };
        let following = (view.state == ServerState::Following).then_some(view.leader).flatten();
        h.following = keep(h.following, following);
        let serving = (view.phase == ZabPhase::Broadcast).then_some(view.leader).flatten();
        h.serving = keep(h.serving, serving);
        // A server that decided asked its question: what it asked another leader no longer
        // stands, and once in BROADCAST nothing it asked does.
        let row = tm.asked_row(id);
        let asked = &mut tm.asked[row];
        if serving.is_some() || leading {
            asked.iter_mut().for_each(|a| *a = None);
        } else if let Some(l) = following {
            asked.iter_mut().filter(|a| a.is_some_and(|(_, to)| to != l)).for_each(|a| *a = None);
        }
    }

    /// Server `x` is about to handle a LOOKING notification from `s` at `now_us`; it will answer
    /// with its current vote (`FastLeaderElection.WorkerReceiver`).
    pub fn timely_asked(&mut self, now_us: u64, calm_since_us: u64, s: NodeId, x: NodeId) {
        let tm = &mut self.timely;
        let Some((leader, since)) = tm.held[x.index()].serving else { return };
        let slot = &mut tm.asked[s.index() * (tm.n + 1) + x.index()];
        let stands = slot.is_some_and(|(at, l)| l == leader && at >= calm_since_us && at >= since);
        if !stands {
            *slot = Some((now_us, leader));
        }
    }

    /// The stale-leader and join-overdue checks at `s.now_us`.
    pub fn timely_verdict(
        &self,
        s: &Surroundings<'_>,
        nodes: &[Option<Node>],
        b: &TimelyBounds,
    ) -> Option<TimelyBreach> {
        let calm = s.calm_since_us?;
        let tm = &self.timely;
        let ensemble = Ensemble::new(tm.n as u8);
        let need = ensemble.quorum_size() - 1;
        let up = |id: NodeId| nodes[id.index()].as_ref().filter(|_| s.healthy.contains(id));
        // The leader with a real quorum: itself and healthy followers in its BROADCAST that
        // reach it. Two disjoint majorities cannot exist, so there is at most one.
        let (leader, node, quorum, quorum_since) = ensemble.members().find_map(|l| {
            let node = up(l)?;
            node.established_epoch()?;
            let established_since = tm.held[l.index()].established_since?;
            let sinces: Vec<(u64, NodeId)> = ensemble
                .members()
                .filter(|f| *f != l && up(*f).is_some() && (s.reachable)(*f, l))
                .filter_map(|f| match tm.held[f.index()].serving {
                    Some((to, since)) if to == l => Some((since, f)),
                    _ => None,
                })
                .collect();
            let since = quorum_time(sinces.iter().map(|(at, _)| *at).collect(), need, established_since)?;
            let quorum: NodeSet = sinces.iter().map(|(_, f)| *f).chain([l]).collect();
            Some((l, node, quorum, since))
        })?;
        let epoch = node.established_epoch()?;
        let names = |set: &NodeSet| set.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",");
        for x in ensemble.members().filter(|x| *x != leader) {
            let Some(server) = up(x) else { continue };
            let h = &tm.held[x.index()];
            // stale-leader
            if let Some(leading_since) = h.leading_since {
                let older = server.established_epoch().is_none_or(|e| e < epoch);
                if older && (s.reachable)(x, leader) {
                    let from = calm.max(quorum_since).max(leading_since).max(s.learner_connected_us[x.index()]);
                    let due = from + b.stale_leader_us;
                    if s.now_us > due {
                        return Some((
                            vec![x.0, leader.0],
                            LivenessReason::StaleLeader,
                            format!(
                                "{x} still LEADING ({}, since {}) beside {leader}'s established epoch {} with the \
                                 quorum {} in BROADCAST since {}, which it reaches; Leader.lead gives up within \
                                 initLimit+syncLimit+2 ticks plus set-up and slack ({}), due {}; {}",
                                server.role_view().phase.name(),
                                t(leading_since),
                                epoch.0,
                                names(&quorum),
                                t(quorum_since),
                                t(b.stale_leader_us),
                                t(due),
                                server.describe()
                            ),
                        ));
                    }
                }
                continue;
            }
            // join-overdue: not for a server ZooKeeper refuses (Learner.registerWithLeader: a
            // leader epoch below its acceptedEpoch), nor one that follows another leader (that
            // leader is the stale one).
            let joined = h.serving.is_some_and(|(l, _)| l == leader);
            let elsewhere = h.following.is_some_and(|(l, _)| l != leader);
            if joined || elsewhere || server.accepted_epoch() > epoch || !(s.reachable)(x, leader) {
                continue;
            }
            let row = &tm.asked[tm.asked_row(x)];
            let answered: Vec<u64> = quorum
                .iter()
                .filter(|to| *to != leader && (s.reachable)(x, *to))
                .filter_map(|to| match (row[to.index()], tm.held[to.index()].serving) {
                    (Some((at, l)), Some((_, since))) if l == leader && at >= calm && at >= since => Some(at),
                    _ => None,
                })
                .collect();
            let by_leader = match (row[leader.index()], tm.held[leader.index()].established_since) {
                (Some((at, l)), Some(since)) if l == leader && at >= calm && at >= since => at,
                _ => continue,
            };
            let Some(asked_at) = quorum_time(answered, need, by_leader) else { continue };
            let due = asked_at + b.join_us;
            if s.now_us > due {
                return Some((
                    vec![x.0, leader.0],
                    LivenessReason::JoinOverdue,
                    format!(
                        "{x} has not joined {leader}'s established epoch {}: by {} its LOOKING notification had \
                         reached {leader} and enough of the quorum {} in BROADCAST, which answer it at once, and \
                         it reaches them all; a join takes one election reply and one sync bounded by \
                         initLimit·tickTime plus set-up and slack ({}), due {}; {}",
                        epoch.0,
                        t(asked_at),
                        names(&quorum),
                        t(b.join_us),
                        t(due),
                        server.describe()
                    ),
                ));
            }
        }
        None
    }

    /// Leader `id` gives up now for `reason`: needless if ZooKeeper's own check could not have
    /// failed, with a quorum of followers that stayed with it, healthy and reachable, and a
    /// calm run, for as long as the check looks back.
    pub fn timely_give_up(
        &self,
        s: &Surroundings<'_>,
        nodes: &[Option<Node>],
        b: &TimelyBounds,
        id: NodeId,
        reason: LeaveReason,
    ) -> Option<TimelyBreach> {
        let calm = s.calm_since_us?;
        let (window, broadcast) = match reason {
            LeaveReason::QuorumLost => (b.quorum_lost_window_us, true),
            LeaveReason::WaitTimedOut => (b.wait_window_us, false),
            _ => return None,
        };
        // Where a stage's own round trips and fsyncs may take the whole window (a disk model
        // slower than initLimit·tickTime), ZooKeeper gives up for real: no verdict.
        if window <= b.slack_us {
            return None;
        }
        let from = s.now_us.checked_sub(window)?;
        if calm > from || !s.healthy.contains(id) {
            return None;
        }
        let tm = &self.timely;
        let ensemble = Ensemble::new(tm.n as u8);
        let stayed: NodeSet = ensemble
            .members()
            .filter(|f| *f != id && s.healthy.contains(*f) && nodes[f.index()].is_some() && (s.reachable)(*f, id))
            .filter(|f| {
                let h = &tm.held[f.index()];
                let with = if broadcast { h.serving } else { h.following };
                with.is_some_and(|(l, since)| l == id && since <= from)
            })
            .collect();
        let mut quorum = stayed;
        quorum.insert(id);
        if !ensemble.is_quorum(&quorum) {
            return None;
        }
        let names: Vec<String> = stayed.iter().map(|f| f.to_string()).collect();
        let how = if broadcast { "in BROADCAST with it" } else { "FOLLOWING it" };
        let mut servers = vec![id.0];
        servers.extend(stayed.iter().map(|f| f.0));
        Some((
            servers,
            LivenessReason::NeedlessGiveUp,
            format!(
                "{id} left LEADING ({}) while {} stayed {how}, running, unpaused and reachable, since {} or \
                 earlier, with no fault and no slow fsync since {}: with the leader a quorum for the whole {} \
                 the check looks back on",
                reason.name(),
                names.join(", "),
                t(from),
                t(calm),
                t(window)
            ),
        ))
    }
}
