//! One server step: the input handed to the process, the checker run on what it produced
//! before any of it leaves, and the output applied (disk writes, sends held behind their
//! writes, timers, work, connections, packets to clients).

use super::*;

impl Sim {
    pub(super) fn step(&mut self, id: NodeId, input: Input) {
        let Some(node) = self.nodes[id.index()].as_mut() else { return };
        let delivered_before = node.delivered().len();
        // What an armed targeted crash may wait for; nothing to look at when none is armed.
        let received = match &input {
            Input::Message { msg, .. } if !self.armed[id.index()].is_empty() => Some(PacketKind::of(msg)),
            _ => None,
        };
        if let Input::Message { from, msg: Message::Notification(n) } = &input {
            if n.state == ServerState::Looking {
                self.checker.timely_asked(self.now_us, self.calm_since_us, *from, id);
            }
        }
        // Only a traced run keeps a copy of the input (fuzzing has no tracer).
        let traced_input = self.tracer.as_ref().map(|_| input.clone());
        let mut out = std::mem::take(&mut self.out);
        node.step_into(self.now_us, input, &mut out);
        self.events += 1;
        if self.now_us >= self.instant_us + LIVELOCK_WINDOW_US {
            self.instant_us = self.now_us;
            self.steps_at_instant = 0;
        }
        self.steps_at_instant += 1;
        // The checker sees the step before any message it produced leaves, so it knows which
        // writes each of them promises and what the sender had established.
        let server = self.nodes[id.index()].as_ref().expect("stepped node is up");
        let durable_log = &self.disks[id.index()].durable.log;
        let checked = self.checker.check(&Seen::Step { id, server, output: &out, delivered_before, durable_log });
        let failed = checked.is_err();
        if let Err(breach) = checked {
            self.fail(breach);
        }
        self.apply_output(id, &out);
        if self.young[id.index()] && server_reached_broadcast(self.nodes[id.index()].as_ref()) {
            self.young[id.index()] = false;
        }
        if self.backlog.iter().any(|b| b.0 == id) {
            self.settle_backlog(id);
        }
        if self.fleet.is_some() {
            self.apply_client_cmds(id, &out.clients);
        }
        if let Some(input) = traced_input {
            self.trace_step(id, &input, &out);
        }
        self.stats.observe(self.now_us, id, &out.observations, &self.submit_times);
        let target = match self.armed[id.index()].is_empty() {
            true => None,
            false => self.target_reached_by_step(id, received, &out.writes),
        };
        self.out = out;
        if failed {
            return;
        }
        if let Some(fault) = target {
            self.fire_target(id, fault);
            return;
        }
        if self.checker.watch_liveness(self.now_us, &self.nodes, Some(id), self.stats.writes_tracked_pending) {
            self.note_convergence();
        }
        self.check_timely(id);
        if self.stop {
            return;
        }
        if self.steps_at_instant > MAX_STEPS_IN_WINDOW {
            let detail = format!(
                "livelock: {} server steps between {} and {} (last: {})",
                self.steps_at_instant,
                crate::format_time(self.instant_us),
                crate::format_time(self.now_us),
                self.nodes[id.index()].as_ref().map_or(String::new(), |n| n.describe())
            );
            self.fail_liveness(LivenessReason::Livelock, vec![id.0], detail);
        }
    }

    pub(super) fn apply_output(&mut self, id: NodeId, out: &Output) {
        for (k, write) in out.writes.iter().enumerate() {
            self.disks[id.index()].issue(out.first_write_id + k as u64, write.clone());
            // An idle disk starts syncing at once; writes issued meanwhile wait for the next
            // fsync (group commit). So two writes of one step can become durable apart, and a
            // crash can fall between them.
            self.start_fsync(id);
        }
        let durable = self.node_durable[id.index()];
        for send in &out.sends {
            let gated = send.after_write.is_some_and(|w| durable.is_none_or(|d| d < w));
            if gated {
                let conn = self.app_conn(id, send.to);
                self.held[id.index()].push((send.clone(), conn));
            } else {
                self.transmit(id, send.to, send.msg.clone());
            }
        }
        for timer in &out.timers {
            match *timer {
                TimerCmd::Set { kind, at_us } => self.set_timer(id, kind, at_us),
                TimerCmd::Cancel(kind) => {
                    self.timers[id.index()][kind.index()].deadline_us = None;
                    if kind == TimerKind::Work {
                        self.drop_cpu_work(id);
                    }
                }
            }
        }
        if let Some(work) = out.work {
            let young = self.young[id.index()];
            let costs = &self.scenario.costs;
            let span = costs.on(id.0, work, young);
            let mut took_us = self.costs_rng.between(span.min_us, span.max_us);
            // A replayed end, and bind, at a fixed virtual time.
            let fixed = costs.override_of(id.0, work, young).map(|o| (o.ends_at_ms, o.bind_at_ms));
            let until_fixed = |at_ms: u64| (at_ms * 1000).saturating_sub(self.now_us);
            if let Some((Some(end), _)) = fixed {
                took_us = until_fixed(end);
            }
            let mut bind_us = None;
            if work == zabsim_protocol::Work::LeaderSetup {
                let bind = costs.bind_on(young);
                let mut us = self.costs_rng.between(bind.min_us, bind.max_us);
                if let Some((_, Some(at))) = fixed {
                    us = until_fixed(at);
                }
                let us = us.min(took_us);
                self.bound_at_us[id.index()] = self.now_us + us;
                bind_us = Some(us);
            }
            let until = if self.cpu.is_some() {
                self.drop_cpu_work(id);
                let replayed = self.scenario.costs.replays(id.0, work, young);
                match bind_us {
                    // The bind is part of the set-up's work: it comes when that much is done.
                    Some(us) if !replayed => {
                        self.bound_at_us[id.index()] = u64::MAX;
                        let rest_us = took_us - us;
                        self.run_on_cpu(id, us, false, cpu::JobEnd::Bound { rest_us }) + rest_us
                    }
                    _ => self.run_on_cpu(id, took_us, replayed, cpu::JobEnd::Work),
                }
            } else {
                let until = self.now_us + took_us;
                self.set_timer(id, TimerKind::Work, until);
                until
            };
            self.work_until[id.index()] = until;
        }
        for cmd in &out.net {
            match *cmd {
                NetCmd::Connect(leader) => {
                    let rtt = self.network.sample_delay(id, leader) + self.network.sample_delay(leader, id);
                    let started_us = self.now_us;
                    let process = self.disks[id.index()].incarnation;
                    let attempt = Event::QuorumConnect { learner: id, leader, started_us, syn: 0, process };
                    self.queue.push(started_us + rtt, attempt);
                }
                NetCmd::Close(peer) => self.close_quorum(id, peer),
            }
        }
    }
}

/// Whether the server's process is in BROADCAST (its code has run every path of a join).
fn server_reached_broadcast(node: Option<&Node>) -> bool {
    node.is_some_and(|n| n.role_view().phase == zabsim_protocol::ZabPhase::Broadcast)
}
