//! Moving bytes between processes: messages handed to the network, arrivals, stalls at cut
//! links and their drain after a heal, election connections (`QuorumCnxManager`: connect on
//! demand, SYN retries across a cut, the 1-slot queue re-sent on every new connection) and
//! learner connections (`Learner.connectToLeader`), each bound to the incarnation its process
//! knows.

use super::*;
use zabsim_protocol::QuorumPacket;

impl Sim {
    pub(super) fn on_arrive(&mut self, f: InFlight) {
        let Some(f) = self.network.arrive(f) else { return };
        let (from, to) = (f.from, f.to);
        let tag = if f.channel() == Channel::Quorum { f.incarnation } else { 0 };
        // A targeted crash after a send strikes once the receiver has the message.
        let sent = match &f.payload {
            Payload::Message(msg) if !self.armed[from.index()].is_empty() && self.nodes[to.index()].is_some() => {
                Some(PacketKind::of(msg))
            }
            _ => None,
        };
        let input = match f.payload {
            Payload::Message(msg) => Input::Message { from, msg },
            Payload::Fin => Input::QuorumDisconnected { peer: from },
        };
        self.deliver_tagged(to, input, tag);
        if let Some(fault) = sent.and_then(|kind| self.target_reached_by_arrival(from, kind)) {
            if !self.stop {
                self.fire_target(from, fault);
            }
        }
    }

    pub(super) fn on_drain(&mut self, from: NodeId, to: NodeId) {
        for f in self.network.take_stalled(from, to) {
            if self.stop {
                break;
            }
            self.on_arrive(f);
        }
    }

    /// When the next SYN of a connection attempt started at `started_us` goes out, or None if
    /// the socket's connect timeout comes first. Linux retransmits SYNs 1, 3, 7, 15, 31 s after
    /// the first, so an attempt blocked by a partition completes soon after the heal.
    pub(super) fn next_syn_us(started_us: u64, syn: u32, timeout_us: u64) -> Option<u64> {
        let at = started_us + ((1u64 << (syn + 1).min(20)) - 1) * 1_000_000;
        (at < started_us + timeout_us).then_some(at)
    }

    pub(super) fn on_election_connect(&mut self, a: NodeId, b: NodeId, started_us: u64, syn: u32) {
        if self.network.election(a, b) != Conn::Connecting {
            return;
        }
        if self.nodes[a.index()].is_none() || self.nodes[b.index()].is_none() {
            // Refused (no process listening) or the dialer died: the attempt ends.
            self.network.set_election(a, b, Conn::Down);
            return;
        }
        // A frozen process cannot run QuorumCnxManager's handshake: like an unanswered SYN.
        let frozen = self.paused[a.index()] || self.paused[b.index()];
        if frozen || !self.network.reachable_both(a, b) {
            // QuorumCnxManager connects with cnxTimeout (5 s).
            match Self::next_syn_us(started_us, syn, ELECTION_CONNECT_TIMEOUT_US) {
                Some(at) => self.queue.push(at, Event::ElectionConnect { a, b, started_us, syn: syn + 1 }),
                None => self.network.set_election(a, b, Conn::Down),
            }
            return;
        }
        let (inc, first) = self.network.election_connected(a, b);
        for ((x, y), msg) in [(a, b), (b, a)].into_iter().zip(first) {
            if let Some(msg) = msg {
                // Through the same threads as any notification: SendWorker, RecvWorker,
                // WorkerReceiver (for each side, the new connection's first).
                let handoff_us = self.notification_handoff_us(x);
                self.send_after_work(x, x, y, inc, msg, handoff_us);
            }
        }
    }

    /// One notification's hand-off time on `from` (`costs.notification_handoff`).
    fn notification_handoff_us(&mut self, from: NodeId) -> u64 {
        let costs = &self.scenario.costs;
        let span = costs.timed(self.young[from.index()], |c| c.notification_handoff, costs.notification_handoff);
        self.costs_rng.between(span.min_us, span.max_us)
    }

    pub(super) fn on_quorum_connect(
        &mut self,
        learner: NodeId,
        leader: NodeId,
        started_us: u64,
        syn: u32,
        process: u32,
    ) {
        if !self.dialer_alive(learner, process) {
            return;
        }
        if !self.network.reachable_both(learner, leader) {
            // The SYN goes unanswered; Learner.sockConnect waits up to initLimit.
            let timeout = self.scenario.protocol.init_limit_us();
            match Self::next_syn_us(started_us, syn, timeout) {
                Some(at) => {
                    self.queue.push(at, Event::QuorumConnect { learner, leader, started_us, syn: syn + 1, process })
                }
                None => {
                    self.queue.push(started_us + timeout, Event::QuorumConnectTimedOut { learner, leader, process })
                }
            }
            return;
        }
        let at_leader = self.nodes[leader.index()].as_ref();
        let accepting = at_leader.is_some_and(|n| n.accepts_learners());
        // `QuorumPeer.makeLeader` binds the port in `new Leader`, `Leader.lead` starts the
        // `LearnerCnxAcceptor` only after `zk.loadData`: in between the kernel completes the
        // handshake and keeps the connection in the listen backlog.
        let bound = at_leader.is_some_and(|n| n.setting_up_leader()) && self.now_us >= self.bound_at_us[leader.index()];
        if accepting {
            let inc = self.network.new_incarnation();
            self.network.set_quorum(learner, leader, Conn::Up(inc));
            self.learner_connected_us[leader.index()] = self.now_us;
            self.deliver_tagged(leader, Input::QuorumConnected { peer: learner }, inc);
            self.deliver_tagged(learner, Input::QuorumConnected { peer: leader }, inc);
        } else if bound {
            let inc = self.network.new_incarnation();
            self.network.set_quorum(learner, leader, Conn::Up(inc));
            self.backlog.push((leader, learner, inc));
            // What the learner sends waits in the socket until the acceptor hands it over.
            self.link_holds.push(LinkHold { from: learner, to: leader, incarnation: inc, behind: Vec::new() });
            self.deliver_tagged(learner, Input::QuorumConnected { peer: leader }, inc);
        } else {
            // Nothing listens on the quorum port: connection refused.
            self.deliver_local(learner, Input::QuorumConnectFailed { peer: leader });
        }
    }

    /// `Learner.sockConnect` gave up after initLimit.
    pub(super) fn on_quorum_connect_timed_out(&mut self, learner: NodeId, leader: NodeId, process: u32) {
        if self.dialer_alive(learner, process) {
            self.deliver_local(learner, Input::QuorumConnectFailed { peer: leader });
        }
    }

    /// Whether the process incarnation that dialed still runs. One that died took its socket,
    /// SYN retries and all, with it: a restarted process never learns of an attempt it did not
    /// make.
    fn dialer_alive(&self, learner: NodeId, process: u32) -> bool {
        self.nodes[learner.index()].is_some() && self.disks[learner.index()].incarnation == process
    }

    /// `msg` leaves `from` now: the checker sees it, then the network takes it.
    pub(super) fn transmit(&mut self, from: NodeId, to: NodeId, msg: Message) {
        self.stats.messages += 1;
        let looking_initial = match &msg {
            Message::Notification(_) => self.nodes[from.index()]
                .as_ref()
                .filter(|n| n.state() == ServerState::Looking)
                .map(|n| n.initial_vote()),
            Message::Quorum(_) => None,
        };
        let pending = &self.disks[from.index()].pending;
        let departure = Seen::Departure { from, to, msg: &msg, pending, looking_initial };
        if let Err(breach) = self.checker.check(&departure) {
            // The message still leaves, as it did in the run being judged; the run stops after
            // this event.
            self.fail(breach);
        }
        let handoff_us = match msg.channel() {
            Channel::Election => self.notification_handoff_us(from),
            Channel::Quorum => 0,
        };
        let shared_cores = self.cpu.is_some() && msg.channel() == Channel::Election;
        if from == to {
            // Loopback: QuorumCnxManager puts messages to itself straight on its own queue,
            // still through the WorkerSender and WorkerReceiver threads.
            if shared_cores {
                self.run_on_cpu(from, handoff_us, false, cpu::JobEnd::Send { from, to, incarnation: None, msg });
                return;
            }
            self.queue.push(
                self.now_us + handoff_us,
                Event::Arrive(InFlight { from, to, incarnation: 0, payload: Payload::Message(msg) }),
            );
            return;
        }
        match msg.channel() {
            Channel::Election => match self.network.offer_notification(from, to, msg) {
                Offer::Send(inc, msg) => self.send_after_work(from, from, to, inc, msg, handoff_us),
                Offer::Wait => {}
                Offer::Dial => {
                    let rtt = self.network.sample_delay(from, to) + self.network.sample_delay(to, from);
                    let started_us = self.now_us;
                    self.queue.push(started_us + rtt, Event::ElectionConnect { a: from, b: to, started_us, syn: 0 });
                }
            },
            Channel::Quorum => {
                // Only on the connection this process knows; a socket it has not yet seen
                // close is gone, and a newer one it has not yet accepted is not its to use.
                if let Conn::Up(inc) = self.app_conn(from, to) {
                    if self.network.quorum(from, to) == Conn::Up(inc) {
                        self.send_quorum(from, to, inc, msg);
                    }
                }
            }
        }
    }

    /// A quorum packet onto its connection, after the `LearnerHandler`'s own time where the
    /// packet waits for it (`costs.learner_handler_start`, `learner_sync_start`,
    /// `learner_sender_start`): TCP keeps the order, so every later packet on the connection
    /// waits behind it.
    fn send_quorum(&mut self, from: NodeId, to: NodeId, inc: u32, msg: Message) {
        if let Some(i) = self.hold_of(from, to, inc) {
            self.link_holds[i].behind.push(msg);
            return;
        }
        let costs = &self.scenario.costs;
        // The handler's code is cold until its process has synced a learner.
        let cold = |leader: NodeId| self.young[leader.index()] && !self.synced_a_learner[leader.index()];
        let handler_time = match &msg {
            // The leader's side reads it: the handler thread starts first.
            Message::Quorum(QuorumPacket::FollowerInfo { .. }) => {
                Some((to, costs.timed(cold(to), |c| c.learner_handler_start, costs.learner_handler_start)))
            }
            // Read when the handler has done its own work before choosing the sync.
            Message::Quorum(QuorumPacket::AckEpoch { .. }) => {
                Some((to, costs.timed(cold(to), |c| c.learner_sync_start, costs.learner_sync_start)))
            }
            Message::Quorum(QuorumPacket::Diff { .. } | QuorumPacket::Trunc { .. } | QuorumPacket::Snap { .. }) => {
                let span = costs.timed(cold(from), |c| c.learner_sender_start, costs.learner_sender_start);
                self.synced_a_learner[from.index()] = true;
                Some((from, span))
            }
            _ => None,
        };
        let Some((on, span)) = handler_time else {
            self.send_on_link(from, to, inc, Payload::Message(msg));
            return;
        };
        let took_us = self.costs_rng.between(span.min_us, span.max_us);
        if self.cpu.is_some() {
            // Off the shared cores the link's own order keeps later packets behind.
            self.link_holds.push(LinkHold { from, to, incarnation: inc, behind: Vec::new() });
        }
        self.send_after_work(on, from, to, inc, msg, took_us);
    }

    /// Which of `link_holds` holds this connection's packets.
    fn hold_of(&self, from: NodeId, to: NodeId, inc: u32) -> Option<usize> {
        self.link_holds.iter().position(|h| (h.from, h.to, h.incarnation) == (from, to, inc))
    }

    /// Ends the hold on a connection: the packets that waited behind it.
    fn unhold(&mut self, from: NodeId, to: NodeId, inc: u32) -> Vec<Message> {
        self.hold_of(from, to, inc).map(|i| self.link_holds.remove(i).behind).unwrap_or_default()
    }

    /// After a step of leader `id` with connections in its backlog: once its acceptor runs
    /// it accepts them, in order; if it left the role instead, closing the port resets them.
    pub(super) fn settle_backlog(&mut self, id: NodeId) {
        let Some(node) = self.nodes[id.index()].as_ref() else { return };
        let (accepting, bound) = (node.accepts_learners(), node.setting_up_leader());
        if bound {
            return;
        }
        let (queued, rest) = std::mem::take(&mut self.backlog).into_iter().partition(|b| b.0 == id);
        self.backlog = rest;
        for (leader, learner, inc) in queued {
            let behind = self.unhold(learner, leader, inc);
            if self.network.quorum(learner, leader) != Conn::Up(inc) {
                // The learner closed it meanwhile.
                continue;
            }
            if accepting {
                self.learner_connected_us[leader.index()] = self.now_us;
                self.deliver_tagged(leader, Input::QuorumConnected { peer: learner }, inc);
                for msg in behind {
                    self.send_quorum(learner, leader, inc, msg);
                }
            } else {
                self.network.set_quorum(learner, leader, Conn::Down);
                self.send_on_link(leader, learner, inc, Payload::Fin);
            }
        }
    }

    /// A packet held for `LearnerHandler` time leaves, and the packets queued behind it.
    pub(super) fn release_quorum(&mut self, from: NodeId, to: NodeId, inc: u32, msg: Message) {
        self.send_on_link(from, to, inc, Payload::Message(msg));
        for msg in self.unhold(from, to, inc) {
            self.send_on_link(from, to, inc, Payload::Message(msg));
        }
    }

    pub(super) fn send_on_link(&mut self, from: NodeId, to: NodeId, incarnation: u32, payload: Payload) {
        self.send_on_link_after(from, to, incarnation, payload, 0);
    }

    /// `send_on_link`, leaving `after_us` from now (a dead process's FIN, once the kernel has
    /// torn it down).
    pub(super) fn send_on_link_after(
        &mut self,
        from: NodeId,
        to: NodeId,
        incarnation: u32,
        payload: Payload,
        after_us: u64,
    ) {
        let now_us = self.now_us + after_us;
        let is_data = matches!(payload, Payload::Message(_));
        if is_data && self.network.chaos_drop() {
            return;
        }
        let f = InFlight { from, to, incarnation, payload };
        let channel = f.channel();
        if is_data && self.network.chaos_duplicate() {
            let at = self.network.arrival_us(now_us, from, to, channel);
            self.queue.push(at, Event::Arrive(f.clone()));
        }
        let at = self.network.arrival_us(now_us, from, to, channel);
        self.queue.push(at, Event::Arrive(f));
    }

    /// The quorum connection `node`'s process believes it has with `peer`.
    pub(super) fn app_conn(&self, node: NodeId, peer: NodeId) -> Conn {
        match self.app_conn[node.index() * (self.n + 1) + peer.index()] {
            0 => Conn::Down,
            inc => Conn::Up(inc),
        }
    }

    pub(super) fn close_quorum(&mut self, from: NodeId, peer: NodeId) {
        let known = self.app_conn(from, peer);
        self.app_conn[from.index() * (self.n + 1) + peer.index()] = 0;
        if self.network.quorum(from, peer) != known {
            return;
        }
        if let Conn::Up(inc) = known {
            self.network.set_quorum(from, peer, Conn::Down);
            self.send_on_link(from, peer, inc, Payload::Fin);
        }
    }
}
