//! The interaction environment: real protocol `Node`s with every queue between them in the
//! test's hands, in the manner of etcd-io/raft's `InteractionEnv`. Nothing moves on its own:
//! messages wait per (from, to) until delivered, disk writes wait until fsynced, sends gated
//! on a write wait until that write is durable (persist before send, as the simulator does),
//! learner connection attempts wait until resolved, and timers fire only when told.
//!
//! Connections follow the simulator's transport: election notifications always get through
//! (QuorumCnxManager reconnects on demand); a quorum packet travels only on the learner
//! connection its sender knows, a close drops what was in flight on that connection both
//! ways and sends a FIN, and a crash closes every connection of the dead process.

use crate::render::{input_line, net_line, note_line, send_line, timer_set_line, write_line};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use zabsim_protocol::{
    Channel, DiskWrite, DurableState, Ensemble, Input, Message, NetCmd, Node, NodeId, Output, ProtocolConfig, Send,
    TimerCmd, TimerKind, WriteId,
};

/// What travels on a (from, to) queue.
#[derive(Clone, Debug)]
pub enum Packet {
    /// A message; `conn` is the learner connection it travels on (0: election port).
    Msg { msg: Message, conn: u32 },
    /// The sender closed learner connection `conn`.
    Fin { conn: u32 },
}

/// One server's disk: what survives a crash, and the writes still waiting for an fsync.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// Durable state.
    pub durable: DurableState,
    /// Issued, not yet durable, in issue order.
    pub pending: Vec<(WriteId, DiskWrite)>,
}

/// The whole test cluster.
pub struct Env {
    /// Configuration every server gets.
    pub config: ProtocolConfig,
    /// Voters 1..=n.
    pub ensemble: Ensemble,
    /// Virtual time.
    pub now_us: u64,
    /// Running processes by id (index 0 unused); None: crashed.
    pub nodes: Vec<Option<Node>>,
    /// Whether each process has had its `Input::Start`.
    pub started: Vec<bool>,
    /// Disks by id.
    pub disks: Vec<Disk>,
    /// Durable-through as each process has been told.
    pub told_durable: Vec<Option<WriteId>>,
    /// Sends waiting for a write, with the learner connection they belong to.
    pub held: Vec<Vec<(Send, u32)>>,
    /// Undelivered packets per (from, to).
    pub queues: BTreeMap<(u8, u8), VecDeque<Packet>>,
    /// Open learner connections by unordered pair (low id, high id): their incarnation.
    pub conns: BTreeMap<(u8, u8), u32>,
    /// The connection each process knows of, per (process, peer).
    pub known: BTreeMap<(u8, u8), u32>,
    next_conn: u32,
    /// Learner connection attempts (learner, leader) awaiting `connect`, in issue order.
    pub connecting: Vec<(u8, u8)>,
    /// Armed timers per server, indexed by `TimerKind::index`.
    pub timers: Vec<[Option<u64>; TimerKind::COUNT]>,
    /// Text of the command being run.
    pub out: String,
    /// Print step outputs (off for `quiet` set-up commands).
    pub verbose: bool,
}

fn pair(a: NodeId, b: NodeId) -> (u8, u8) {
    (a.0.min(b.0), a.0.max(b.0))
}

impl Env {
    /// `n` servers, not started, with the given configuration and disks.
    pub fn new(config: ProtocolConfig, disks: Vec<DurableState>) -> Env {
        let n = disks.len();
        let ensemble = Ensemble::new(n as u8);
        let mut env = Env {
            ensemble,
            now_us: 0,
            nodes: vec![None; n + 1],
            started: vec![false; n + 1],
            disks: vec![Disk::default(); n + 1],
            told_durable: vec![None; n + 1],
            held: vec![Vec::new(); n + 1],
            queues: BTreeMap::new(),
            conns: BTreeMap::new(),
            known: BTreeMap::new(),
            next_conn: 1,
            connecting: Vec::new(),
            timers: vec![[None; TimerKind::COUNT]; n + 1],
            out: String::new(),
            verbose: true,
            config,
        };
        for (id, durable) in ensemble.members().zip(disks) {
            env.disks[id.index()].durable = durable.clone();
            env.nodes[id.index()] = Some(Node::new(id, ensemble, env.config.clone(), durable));
        }
        env
    }

    /// Appends a line to the command's output.
    pub fn say(&mut self, line: impl AsRef<str>) {
        self.out.push_str(line.as_ref());
        self.out.push('\n');
    }

    fn detail(&mut self, line: impl AsRef<str>) {
        if self.verbose {
            let _ = writeln!(self.out, "  {}", line.as_ref());
        }
    }

    /// Every server id.
    pub fn ids(&self) -> Vec<NodeId> {
        self.ensemble.members().collect()
    }

    /// Checks that `id` is a server of the ensemble.
    pub fn check_id(&self, id: u8) -> Result<NodeId, String> {
        let id = NodeId(id);
        if self.ensemble.is_voter(id) {
            Ok(id)
        } else {
            Err(format!("no server {id} in an ensemble of {}", self.ensemble.size()))
        }
    }

    // ----- one step --------------------------------------------------------------------------

    /// Hands `input` to server `id` and applies what it produced, printing both.
    pub fn step(&mut self, id: NodeId, input: Input) {
        let header = format!("{id} <- {}", input_line(&input));
        // Input::Start itself is the only thing a process that has not started can take.
        let why = match self.nodes[id.index()] {
            None => Some("down"),
            Some(_) if !self.started[id.index()] && input != Input::Start => Some("not started"),
            Some(_) => None,
        };
        if let Some(why) = why {
            if self.verbose {
                self.say(format!("{header} ({why}: dropped)"));
            }
            return;
        }
        if self.verbose {
            self.say(header);
        }
        if let Input::WritesDurable { through } = input {
            self.release_held(id, through);
        }
        let node = self.nodes[id.index()].as_mut().expect("checked up");
        let out = node.step(self.now_us, input);
        self.apply(id, out);
    }

    fn apply(&mut self, id: NodeId, out: Output) {
        for (k, write) in out.writes.iter().enumerate() {
            self.disks[id.index()].pending.push((out.first_write_id + k as u64, write.clone()));
        }
        let durable = self.told_durable[id.index()];
        for send in out.sends {
            let gated = send.after_write.is_some_and(|w| durable.is_none_or(|d| d < w));
            if gated {
                self.detail(send_line(send.to, &send.msg, send.after_write, "held"));
                let conn = self.known.get(&(id.0, send.to.0)).copied().unwrap_or(0);
                self.held[id.index()].push((send, conn));
            } else {
                let fate = if self.transmit(id, send.to, send.msg.clone()) { "" } else { "dropped: no connection" };
                self.detail(send_line(send.to, &send.msg, send.after_write, fate));
            }
        }
        for (k, write) in out.writes.iter().enumerate() {
            self.detail(write_line(out.first_write_id + k as u64, write));
        }
        for timer in &out.timers {
            match *timer {
                TimerCmd::Set { kind, at_us } => {
                    // Re-arming at the same deadline (the poll timeout restarted at the same
                    // instant) changes nothing, so it is not printed.
                    let slot = &mut self.timers[id.index()][kind.index()];
                    if slot.replace(at_us) != Some(at_us) {
                        self.detail(timer_set_line(kind, at_us));
                    }
                }
                TimerCmd::Cancel(kind) => self.timers[id.index()][kind.index()] = None,
            }
        }
        for cmd in &out.net {
            self.detail(net_line(cmd));
            match *cmd {
                NetCmd::Connect(leader) => self.connecting.push((id.0, leader.0)),
                NetCmd::Close(peer) => self.close(id, peer),
            }
        }
        for o in &out.observations {
            self.detail(note_line(o));
        }
        // A server's own work (role shutdown, set-up, start-up) is done at once here: the
        // scripts pin the protocol's order of steps; how long the work takes is the
        // simulator's business (scenario `costs`).
        if let Some(work) = out.work {
            self.detail(format!("work {} (done at once)", work.name()));
            self.step(id, Input::Timer(TimerKind::Work));
        }
    }

    /// Puts a message on its queue; false when a quorum packet has no connection to go on.
    fn transmit(&mut self, from: NodeId, to: NodeId, msg: Message) -> bool {
        let conn = match msg.channel() {
            Channel::Election => 0,
            Channel::Quorum => match self.known.get(&(from.0, to.0)) {
                Some(c) if self.conns.get(&pair(from, to)) == Some(c) => *c,
                _ => return false,
            },
        };
        self.queues.entry((from.0, to.0)).or_default().push_back(Packet::Msg { msg, conn });
        true
    }

    fn release_held(&mut self, id: NodeId, through: WriteId) {
        self.told_durable[id.index()] = Some(through);
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held[id.index()])
            .into_iter()
            .partition(|(s, _)| s.after_write.is_some_and(|w| w <= through));
        self.held[id.index()] = waiting;
        for (send, conn) in ready {
            // A packet for a learner connection that closed meanwhile never leaves.
            let closed = send.msg.channel() == Channel::Quorum && self.known.get(&(id.0, send.to.0)) != Some(&conn);
            let fate = if closed || !self.transmit(id, send.to, send.msg.clone()) { " (dropped: closed)" } else { "" };
            self.detail(format!("release {} {}{fate}", send.to, send.msg));
        }
    }

    // ----- the network -----------------------------------------------------------------------

    /// Number of packets waiting on (from, to).
    pub fn queued(&self, from: u8, to: u8) -> usize {
        self.queues.get(&(from, to)).map_or(0, |q| q.len())
    }

    /// Delivers the oldest packet of (from, to).
    pub fn deliver_one(&mut self, from: NodeId, to: NodeId) {
        let Some(packet) = self.queues.get_mut(&(from.0, to.0)).and_then(|q| q.pop_front()) else { return };
        match packet {
            Packet::Msg { msg, conn: 0 } => self.step(to, Input::Message { from, msg }),
            Packet::Msg { msg, conn } => {
                if self.known.get(&(to.0, from.0)) == Some(&conn) {
                    self.step(to, Input::Message { from, msg });
                } else if self.verbose {
                    self.say(format!("{to} <- recv {from} {msg} (ignored: connection not known)"));
                }
            }
            Packet::Fin { conn } => {
                if self.known.get(&(to.0, from.0)) == Some(&conn) {
                    self.known.remove(&(to.0, from.0));
                    self.step(to, Input::QuorumDisconnected { peer: from });
                } else if self.verbose {
                    self.say(format!("{to} <- FIN from {from} (stale connection: ignored)"));
                }
            }
        }
    }

    /// Drops the oldest packet of (from, to); returns its text.
    pub fn drop_one(&mut self, from: NodeId, to: NodeId) -> Option<String> {
        let packet = self.queues.get_mut(&(from.0, to.0))?.pop_front()?;
        Some(match packet {
            Packet::Msg { msg, .. } => msg.to_string(),
            Packet::Fin { .. } => "FIN".to_string(),
        })
    }

    /// `NetCmd::Close` from `from`: what was in flight on the connection is lost both ways and
    /// a FIN goes to the peer.
    fn close(&mut self, from: NodeId, peer: NodeId) {
        let known = self.known.remove(&(from.0, peer.0));
        let Some(conn) = known else { return };
        if self.conns.get(&pair(from, peer)) != Some(&conn) {
            return;
        }
        self.conns.remove(&pair(from, peer));
        self.purge_conn(from, peer, conn);
        self.queues.entry((from.0, peer.0)).or_default().push_back(Packet::Fin { conn });
    }

    fn purge_conn(&mut self, a: NodeId, b: NodeId, conn: u32) {
        for key in [(a.0, b.0), (b.0, a.0)] {
            if let Some(q) = self.queues.get_mut(&key) {
                q.retain(|p| !matches!(p, Packet::Msg { conn: c, .. } if *c == conn));
            }
        }
    }

    /// Resolves the oldest connection attempt of `learner` (any learner if None). It succeeds
    /// when the leader accepts learners (a `Leader` exists) unless `refuse`; both ends then
    /// hear of it, the leader first, as in the simulator.
    pub fn resolve_connect(&mut self, learner: Option<NodeId>, refuse: bool) -> Result<(), String> {
        let pos = self
            .connecting
            .iter()
            .position(|(l, _)| learner.is_none_or(|id| id.0 == *l))
            .ok_or_else(|| "no connection attempt pending".to_string())?;
        let (l, leader) = self.connecting.remove(pos);
        let (learner, leader) = (NodeId(l), NodeId(leader));
        if self.nodes[learner.index()].is_none() {
            return Ok(());
        }
        let accepting = self.nodes[leader.index()].as_ref().is_some_and(|n| n.accepts_learners());
        if accepting && !refuse {
            let conn = self.next_conn;
            self.next_conn += 1;
            self.conns.insert(pair(learner, leader), conn);
            self.known.insert((leader.0, learner.0), conn);
            self.step(leader, Input::QuorumConnected { peer: learner });
            self.known.insert((learner.0, leader.0), conn);
            self.step(learner, Input::QuorumConnected { peer: leader });
        } else {
            self.step(learner, Input::QuorumConnectFailed { peer: leader });
        }
        Ok(())
    }

    /// The learner connection between `a` and `b` breaks (a reset): in-flight packets are
    /// lost and each end that knows the connection is told.
    pub fn disconnect(&mut self, a: NodeId, b: NodeId) -> Result<(), String> {
        let conn = self.conns.remove(&pair(a, b)).ok_or_else(|| format!("no connection between {a} and {b}"))?;
        self.purge_conn(a, b, conn);
        for (x, y) in [(a, b), (b, a)] {
            if self.known.get(&(x.0, y.0)) == Some(&conn) {
                self.known.remove(&(x.0, y.0));
                self.step(x, Input::QuorumDisconnected { peer: y });
            }
        }
        Ok(())
    }

    // ----- disks, timers, processes -------------------------------------------------------------

    /// Makes the pending writes of `id` durable (all, or those up to `upto`), then tells the
    /// process. A partial fsync is a disk that synced some writes before others.
    pub fn fsync(&mut self, id: NodeId, upto: Option<WriteId>) -> bool {
        let disk = &mut self.disks[id.index()];
        let split = disk.pending.partition_point(|(w, _)| upto.is_none_or(|u| *w <= u));
        let rest = disk.pending.split_off(split);
        let done = std::mem::replace(&mut disk.pending, rest);
        let Some((through, _)) = done.last().cloned() else { return false };
        for (_, write) in &done {
            disk.durable.apply(write);
        }
        self.step(id, Input::WritesDurable { through });
        true
    }

    /// Fires the timer `kind` of `id`, moving the clock to its deadline if that is later.
    pub fn fire(&mut self, id: NodeId, kind: TimerKind) -> Result<(), String> {
        let slot = &mut self.timers[id.index()][kind.index()];
        let at = slot.take().ok_or_else(|| format!("{id} has no {} timer set", crate::render::timer_name(kind)))?;
        if at > self.now_us {
            self.now_us = at;
            self.say(format!("clock {}", zabsim_sim::format_time(at)));
        }
        self.step(id, Input::Timer(kind));
        Ok(())
    }

    /// The earliest armed timer, among `among` (every server if empty); ties go to the lower id,
    /// then to the timer kind's order.
    pub fn next_timer(&self, among: &[NodeId]) -> Option<(NodeId, TimerKind, u64)> {
        let mut best: Option<(NodeId, TimerKind, u64)> = None;
        for id in self.ids() {
            if !among.is_empty() && !among.contains(&id) {
                continue;
            }
            for kind in TimerKind::ALL {
                if let Some(at) = self.timers[id.index()][kind.index()] {
                    if best.is_none_or(|(_, _, b)| at < b) {
                        best = Some((id, kind, at));
                    }
                }
            }
        }
        best
    }

    /// The process dies: pending writes, held sends, timers and connection attempts are lost;
    /// its election traffic in flight is gone; its learner connections close with a FIN.
    pub fn crash(&mut self, id: NodeId) -> Result<(), String> {
        if self.nodes[id.index()].take().is_none() {
            return Err(format!("{id} is already down"));
        }
        let lost = std::mem::take(&mut self.disks[id.index()].pending);
        self.say(format!("{id} crashed"));
        for (w, write) in &lost {
            self.say(format!("  lost w{w} {write}"));
        }
        self.told_durable[id.index()] = None;
        self.held[id.index()].clear();
        self.timers[id.index()] = [None; TimerKind::COUNT];
        self.connecting.retain(|(l, _)| *l != id.0);
        for (key, q) in self.queues.iter_mut() {
            if key.0 == id.0 || key.1 == id.0 {
                q.retain(|p| matches!(p, Packet::Fin { .. }));
            }
        }
        for peer in self.ids() {
            self.known.remove(&(id.0, peer.0));
            if let Some(conn) = self.conns.remove(&pair(id, peer)) {
                self.purge_conn(id, peer, conn);
                self.queues.entry((id.0, peer.0)).or_default().push_back(Packet::Fin { conn });
            }
        }
        Ok(())
    }

    /// A new process on the durable state only, started at once.
    pub fn restart(&mut self, id: NodeId) -> Result<(), String> {
        if self.nodes[id.index()].is_some() {
            return Err(format!("{id} is running: crash it first"));
        }
        let durable = self.disks[id.index()].durable.clone();
        self.nodes[id.index()] = Some(Node::new(id, self.ensemble, self.config.clone(), durable));
        self.started[id.index()] = true;
        self.step(id, Input::Start);
        Ok(())
    }

    /// Whether anything could still move without a timer, fsyncs of the `slow` disks aside.
    pub fn busy(&self, slow: &[NodeId]) -> bool {
        self.queues.values().any(|q| !q.is_empty())
            || self.ids().iter().any(|id| !slow.contains(id) && !self.disks[id.index()].pending.is_empty())
            || !self.connecting.is_empty()
    }
}
