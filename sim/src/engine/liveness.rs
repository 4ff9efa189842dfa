//! The liveness phase as the engine runs it: when it starts, which connected quorums may
//! converge (the maximal sets of running servers that reach each other both ways), and what a
//! converged run notes about servers ZooKeeper refuses.

use super::*;

impl Sim {
    /// Whether the liveness phase is still waiting for convergence (the run goes on for it).
    pub(super) fn liveness_pending(&self) -> bool {
        let start_us = self.scenario.last_fault_ms() * 1000;
        match &self.checker.liveness {
            Some(watch) => watch.converged_at_us.is_none(),
            None => self.scenario.liveness.check && self.stats.liveness_start_us.is_none() && start_us > self.end_us,
        }
    }

    pub(super) fn on_liveness_start(&mut self) {
        // The phase starts once the fault phase is over, so after every pause or slow disk
        // that ends at this very instant. Their ends were queued when the faults began, before
        // this event, so going to the back of this instant's queue lets them all run first.
        if self.fault_ending_now() {
            self.queue.push(self.now_us, Event::LivenessStart);
            return;
        }
        // No fault strikes in the liveness phase, a targeted crash still armed included.
        self.disarm_all_targets();
        let quorums = self.connected_quorums();
        self.stats.liveness_start_us = Some(self.now_us);
        if quorums.is_empty() {
            self.stats.liveness_note = Some("no connected quorum after the last fault: liveness not required".into());
            return;
        }
        let deadline = self.now_us + self.scenario.liveness.within_ms * 1000;
        self.checker.start_liveness(self.now_us, deadline, quorums);
        self.queue.push(deadline, Event::LivenessDeadline);
        self.stats.track_pending_writes();
        if self.checker.watch_liveness(self.now_us, &self.nodes, None, self.stats.writes_tracked_pending) {
            self.note_convergence();
        }
    }

    /// Whether a pause or slow fsync that ends now has not ended yet. A fault with a duration
    /// that ends now began earlier, so its end is already queued; one that began now would
    /// end later, so a still-paused server (or a still-slow disk) is a fault ending now.
    fn fault_ending_now(&self) -> bool {
        self.scenario.faults.iter().any(|f| {
            let ends_now = (f.at_ms + f.fault.duration_ms()) * 1000 == self.now_us;
            match f.fault {
                Fault::Pause { node, duration_ms } => ends_now && duration_ms > 0 && self.paused[node as usize],
                Fault::SlowFsync { node, duration_ms, .. } => {
                    ends_now && duration_ms > 0 && self.disks[node as usize].slow_factor > 1
                }
                _ => false,
            }
        })
    }

    pub(super) fn note_convergence(&mut self) {
        self.stats.converged_at_us = Some(self.now_us);
        let refused = self.checker.liveness.as_ref().map_or(NodeSet::EMPTY, |w| w.refused);
        if !refused.is_empty() {
            self.stats.cover(Coverage::JoinRefusedEpochAhead);
            let who: Vec<String> = refused
                .iter()
                .filter_map(|id| self.node(id))
                .map(|n| format!("{} (acceptedEpoch {})", n.id(), n.accepted_epoch()))
                .collect();
            self.stats.liveness_note = Some(format!(
                "converged without {}: it promised an epoch that was never established, and ZooKeeper's \
                 Learner.registerWithLeader refuses the older established leader until leadership changes",
                who.join(", ")
            ));
        }
    }

    /// The servers running and not paused.
    fn healthy(&self) -> NodeSet {
        self.ensemble.members().filter(|id| self.nodes[id.index()].is_some() && !self.paused[id.index()]).collect()
    }

    /// The connected quorums that may be asked to converge: every maximal set of running,
    /// unpaused servers that all reach each other both ways and form a quorum. Zab promises
    /// that one such set gets an established leader, not which one: under a one-way cut two
    /// of them can overlap (s1-s4 with s6, s1-s4 with s5, while s5 cannot reach s6), and the
    /// side that elected a leader first keeps it while the server cut from that leader stays
    /// LOOKING, as it would in ZooKeeper. With every link whole it is the one set of all
    /// healthy servers.
    pub(super) fn connected_quorums(&self) -> Vec<NodeSet> {
        let up: Vec<NodeId> = self.healthy().iter().collect();
        let linked = |a: NodeId, b: NodeId| a == b || self.network.reachable_both(a, b);
        let connected = |set: &[NodeId]| set.iter().all(|a| set.iter().all(|b| linked(*a, *b)));
        let quorum = |set: Vec<NodeId>| -> Vec<NodeSet> {
            let set: NodeSet = set.into_iter().collect();
            if self.ensemble.is_quorum(&set) {
                vec![set]
            } else {
                Vec::new()
            }
        };
        if connected(&up) {
            return quorum(up);
        }
        if up.len() > 16 {
            // Large clusters: drop the server with the most broken links until the rest is whole.
            let mut set = up;
            while !connected(&set) {
                let worst = *set
                    .iter()
                    .max_by_key(|a| (set.iter().filter(|b| !linked(**a, **b)).count(), a.0))
                    .expect("non-empty while disconnected");
                set.retain(|x| *x != worst);
            }
            return quorum(set);
        }
        let mut quorums = Vec::new();
        for mask in 1u32..(1 << up.len()) {
            let set: Vec<NodeId> = (0..up.len()).filter(|i| mask & (1 << i) != 0).map(|i| up[i]).collect();
            let maximal = || up.iter().all(|x| set.contains(x) || !set.iter().all(|m| linked(*x, *m)));
            if connected(&set) && maximal() {
                quorums.extend(quorum(set));
            }
        }
        quorums
    }
}

/// How often, in virtual time, the timely checks look at the whole cluster: their bounds are
/// seconds, so a verdict comes at most this late.
const TIMELY_EVERY_US: u64 = 50_000;

impl Sim {
    /// A fault began or ended, or a server crashed or started: the run is not calm from now.
    pub(super) fn disturb(&mut self) {
        self.calm_since_us = self.calm_since_us.max(self.now_us);
    }

    /// After server `id`'s step: the timely checks note its role, judge a leader that just
    /// gave up, and now and then look at the whole cluster.
    pub(super) fn check_timely(&mut self, id: NodeId) {
        if !self.scenario.liveness.check {
            return;
        }
        let Some(server) = self.nodes[id.index()].as_ref() else { return };
        self.checker.timely_step(self.now_us, id, server);
        let gave_up = match server.state() {
            ServerState::Leading => self.out.observations.iter().find_map(|o| match o {
                Observation::Left { reason } => Some(*reason),
                _ => None,
            }),
            _ => None,
        };
        let due = self.now_us >= self.timely_next_us;
        if gave_up.is_none() && !due {
            return;
        }
        let healthy = self.healthy();
        let reachable = |a: NodeId, b: NodeId| self.network.reachable_both(a, b);
        let surroundings = crate::check::Surroundings {
            now_us: self.now_us,
            calm_since_us: (!self.chaos_ever).then_some(self.calm_since_us),
            healthy,
            reachable: &reachable,
            learner_connected_us: &self.learner_connected_us,
        };
        let mut breach = gave_up.and_then(|reason| {
            self.checker.timely_give_up(&surroundings, &self.nodes, &self.timely_bounds, id, reason)
        });
        if due {
            self.timely_next_us = self.now_us + TIMELY_EVERY_US;
            breach = breach.or_else(|| self.checker.timely_verdict(&surroundings, &self.nodes, &self.timely_bounds));
        }
        if let Some((servers, reason, detail)) = breach {
            self.fail_liveness(reason, servers, detail);
        }
    }
}
