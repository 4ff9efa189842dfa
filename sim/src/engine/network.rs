//! The network between servers, as ZooKeeper sees it: TCP connections that are FIFO and lose
//! nothing while they live.
//!
//! - Each pair of servers has an election connection (`QuorumCnxManager`) and, while one
//!   follows the other, a quorum connection (`Learner` / `LearnerHandler`).
//! - A cut link (partition or one-way cut) stalls the data crossing it, as TCP does while it
//!   retransmits; it flows again, in order, when the link heals. A connection breaks only
//!   when an end closes it (a protocol timeout, leaving a role) or crashes: then what was in
//!   flight is gone and the other end learns of it when the FIN (or RST) can reach it.
//! - The election transport keeps the latest unsent notification per peer while there is no
//!   connection, and on every new connection each side re-sends that one or, if it has none,
//!   the last notification it sent (`QuorumCnxManager`'s 1-slot queue and `lastMessageSent`).
//! - Chaos mode breaks these guarantees on purpose (duplicates, reordering, loss).

use crate::engine::rng::{Purpose, Stream};
use crate::scenario::{Chaos, Delay, NetworkModel};
use std::collections::VecDeque;
use zabsim_protocol::{Channel, Message, NodeId};

/// State of a connection between two servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    /// No connection.
    Down,
    /// A connection attempt is under way.
    Connecting,
    /// Open; messages carry the incarnation so that traffic of an older connection is dropped.
    Up(u32),
}

/// A message handed to the network, waiting to arrive.
#[derive(Clone, Debug)]
pub struct InFlight {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Connection incarnation it was sent on.
    pub incarnation: u32,
    /// Payload: a message, or the close of a quorum connection.
    pub payload: Payload,
}

/// What travels on a connection.
#[derive(Clone, Debug)]
pub enum Payload {
    /// A protocol message.
    Message(Message),
    /// The sender closed (or crashed) the quorum connection.
    Fin,
}

impl InFlight {
    /// The connection it travels on.
    pub fn channel(&self) -> Channel {
        match &self.payload {
            Payload::Message(m) => m.channel(),
            Payload::Fin => Channel::Quorum,
        }
    }
}

/// Links, connections and delays of the whole cluster.
pub struct Network {
    n: usize,
    /// cut[from][to]: messages from `from` to `to` do not get through.
    cut: Vec<bool>,
    /// Earliest time the next message on (from, to, channel) may arrive (FIFO).
    next_free_us: Vec<u64>,
    /// Messages held at a cut link, in order, per (from, to).
    stalled: Vec<VecDeque<InFlight>>,
    /// Election and quorum connection per unordered pair.
    election: Vec<Conn>,
    quorum: Vec<Conn>,
    next_incarnation: u32,
    /// Latest unsent notification per (from, to).
    unsent: Vec<Option<Message>>,
    /// Last notification sent per (from, to).
    last_sent: Vec<Option<Message>>,
    delays: Vec<Delay>,
    /// Active chaos settings.
    chaos: Chaos,
    rng: Stream,
    chaos_rng: Stream,
}

impl Network {
    /// A fully connected network of `n` servers.
    pub fn new(n: usize, model: &NetworkModel, seed: u64) -> Network {
        let side = n + 1;
        let mut delays = vec![model.delay; side * side];
        for o in &model.overrides {
            delays[o.from as usize * side + o.to as usize] = o.delay;
        }
        Network {
            n,
            cut: vec![false; side * side],
            next_free_us: vec![0; side * side * 2],
            stalled: vec![VecDeque::new(); side * side],
            election: vec![Conn::Down; side * side],
            quorum: vec![Conn::Down; side * side],
            next_incarnation: 1,
            unsent: vec![None; side * side],
            last_sent: vec![None; side * side],
            delays,
            chaos: model.chaos,
            rng: Stream::new(seed, Purpose::Network),
            chaos_rng: Stream::new(seed, Purpose::Chaos),
        }
    }

    #[inline]
    fn link(&self, from: NodeId, to: NodeId) -> usize {
        from.index() * (self.n + 1) + to.index()
    }

    #[inline]
    fn pair(&self, a: NodeId, b: NodeId) -> usize {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        self.link(lo, hi)
    }

    /// Whether `from` can currently reach `to`.
    #[inline]
    pub fn reachable(&self, from: NodeId, to: NodeId) -> bool {
        !self.cut[self.link(from, to)]
    }

    /// Whether both directions work (TCP needs both to set up a connection).
    pub fn reachable_both(&self, a: NodeId, b: NodeId) -> bool {
        self.reachable(a, b) && self.reachable(b, a)
    }

    /// Cuts or heals one direction.
    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        let l = self.link(from, to);
        self.cut[l] = cut;
    }

    /// Every cut direction, as (from, to).
    pub fn cuts(&self) -> Vec<(NodeId, NodeId)> {
        let side = self.n + 1;
        (0..self.cut.len())
            .filter(|i| self.cut[*i])
            .map(|i| (NodeId((i / side) as u8), NodeId((i % side) as u8)))
            .collect()
    }

    /// A one-way delay sample for (from, to).
    pub fn sample_delay(&mut self, from: NodeId, to: NodeId) -> u64 {
        let d = self.delays[self.link(from, to)];
        sample(&d, &mut self.rng)
    }

    /// When a message sent now on (from, to, channel) arrives: after its delay, and not before
    /// the previous message on that connection (FIFO), unless chaos reorders it.
    pub fn arrival_us(&mut self, now_us: u64, from: NodeId, to: NodeId, channel: Channel) -> u64 {
        let delay = self.sample_delay(from, to);
        let slot = self.link(from, to) * 2 + channel as usize;
        if self.chaos.reorder_ppm > 0 && self.chaos_rng.chance_ppm(self.chaos.reorder_ppm) {
            return now_us + delay + self.chaos_rng.between(0, self.chaos.reorder_max_us);
        }
        let at = (now_us + delay).max(self.next_free_us[slot]);
        self.next_free_us[slot] = at;
        at
    }

    /// Chaos: whether to lose this message.
    pub fn chaos_drop(&mut self) -> bool {
        self.chaos.drop_ppm > 0 && self.chaos_rng.chance_ppm(self.chaos.drop_ppm)
    }

    /// Chaos: whether to deliver this message twice.
    pub fn chaos_duplicate(&mut self) -> bool {
        self.chaos.duplicate_ppm > 0 && self.chaos_rng.chance_ppm(self.chaos.duplicate_ppm)
    }

    /// Election connection state of a pair.
    pub fn election(&self, a: NodeId, b: NodeId) -> Conn {
        self.election[self.pair(a, b)]
    }

    /// Sets the election connection state of a pair.
    pub fn set_election(&mut self, a: NodeId, b: NodeId, conn: Conn) {
        let p = self.pair(a, b);
        self.election[p] = conn;
    }

    /// Quorum connection state of a pair.
    pub fn quorum(&self, a: NodeId, b: NodeId) -> Conn {
        self.quorum[self.pair(a, b)]
    }

    /// Sets the quorum connection state of a pair.
    pub fn set_quorum(&mut self, a: NodeId, b: NodeId, conn: Conn) {
        let p = self.pair(a, b);
        self.quorum[p] = conn;
    }

    /// A fresh connection incarnation.
    pub fn new_incarnation(&mut self) -> u32 {
        let i = self.next_incarnation;
        self.next_incarnation += 1;
        i
    }

    /// Whether a message sent on `incarnation` of (a, b, channel) is still on a live connection.
    pub fn is_live(&self, a: NodeId, b: NodeId, channel: Channel, incarnation: u32) -> bool {
        let conn = match channel {
            Channel::Election => self.election(a, b),
            Channel::Quorum => self.quorum(a, b),
        };
        conn == Conn::Up(incarnation)
    }

    /// What reaches the receiving end of its link now: `Some` to hand to the process, `None`
    /// if it belonged to a connection that has since closed (gone) or if it must wait behind a
    /// cut link or earlier stalled data (TCP keeps retransmitting; order is kept).
    pub fn arrive(&mut self, f: InFlight) -> Option<InFlight> {
        let (from, to) = (f.from, f.to);
        if from == to {
            return Some(f);
        }
        if let Payload::Message(m) = &f.payload {
            if !self.is_live(from, to, m.channel(), f.incarnation) {
                return None;
            }
        }
        // A FIN always arrives; the receiver ignores it if it belongs to a socket the process
        // already replaced.
        let link = self.link(from, to);
        if self.cut[link] || !self.stalled[link].is_empty() {
            self.stalled[link].push_back(f);
            return None;
        }
        Some(f)
    }

    /// The data stalled at (from, to), in order, once the link carries data again.
    pub fn take_stalled(&mut self, from: NodeId, to: NodeId) -> VecDeque<InFlight> {
        if !self.reachable(from, to) {
            return VecDeque::new();
        }
        let link = self.link(from, to);
        std::mem::take(&mut self.stalled[link])
    }

    /// Heals every cut link; returns when the data stalled at each one flows again (one delay
    /// after the heal, as TCP's retransmission gets through), as (time, from, to).
    pub fn heal(&mut self, now_us: u64) -> Vec<(u64, NodeId, NodeId)> {
        let mut drains = Vec::new();
        for (from, to) in self.cuts() {
            self.set_cut(from, to, false);
            if !self.stalled[self.link(from, to)].is_empty() {
                drains.push((now_us + self.sample_delay(from, to), from, to));
            }
        }
        drains
    }

    /// Replaces the chaos settings (`Chaos::default()` turns chaos off).
    pub fn set_chaos(&mut self, chaos: Chaos) {
        self.chaos = chaos;
    }

    /// The election transport takes a notification from `from` to `to`
    /// (`QuorumCnxManager.toSend`): on an open connection it leaves now and becomes the last
    /// one sent; otherwise it replaces the queued one (the 1-slot queue) and, with no connection
    /// attempt under way, the caller must dial.
    pub fn offer_notification(&mut self, from: NodeId, to: NodeId, msg: Message) -> Offer {
        let link = self.link(from, to);
        match self.election(from, to) {
            Conn::Up(inc) => {
                self.last_sent[link] = Some(msg.clone());
                Offer::Send(inc, msg)
            }
            Conn::Connecting => {
                self.unsent[link] = Some(msg);
                Offer::Wait
            }
            Conn::Down => {
                self.unsent[link] = Some(msg);
                self.set_election(from, to, Conn::Connecting);
                Offer::Dial
            }
        }
    }

    /// An election connection between `a` and `b` is up: its incarnation, and what each side's
    /// SendWorker sends first, for (a to b) and (b to a): the queued notification or else a
    /// re-send of the last one (`QuorumCnxManager.SendWorker.run`).
    pub fn election_connected(&mut self, a: NodeId, b: NodeId) -> (u32, [Option<Message>; 2]) {
        let inc = self.new_incarnation();
        self.set_election(a, b, Conn::Up(inc));
        let mut first = [None, None];
        for (k, (x, y)) in [(a, b), (b, a)].into_iter().enumerate() {
            let link = self.link(x, y);
            let msg = self.unsent[link].take().or_else(|| self.last_sent[link].clone());
            if let Some(msg) = &msg {
                self.last_sent[link] = Some(msg.clone());
            }
            first[k] = msg;
        }
        (inc, first)
    }

    /// A process died: the kernel closes every socket it had. Election connections go down
    /// with their queued and last notifications; returns the open quorum connections, as
    /// (peer, incarnation), whose FIN the peers will see.
    pub fn forget_process(&mut self, id: NodeId) -> Vec<(NodeId, u32)> {
        let mut closed = Vec::new();
        for peer in (1..=self.n as u8).map(NodeId) {
            if peer == id {
                continue;
            }
            self.set_election(id, peer, Conn::Down);
            let link = self.link(id, peer);
            self.unsent[link] = None;
            self.last_sent[link] = None;
            if let Conn::Up(inc) = self.quorum(id, peer) {
                self.set_quorum(id, peer, Conn::Down);
                closed.push((peer, inc));
            }
        }
        closed
    }
}

/// What the election transport does with a notification handed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offer {
    /// It leaves now on connection incarnation `.0`.
    Send(u32, Message),
    /// It waits in the 1-slot queue for the connection under way.
    Wait,
    /// It waits in the 1-slot queue, and a connection attempt must start.
    Dial,
}

/// One delay drawn from `d`: uniform in `[min_us, max_us]`, plus, with chance `tail_ppm`, a
/// uniform extra up to `tail_max_us`. Links between servers and client links alike.
pub(crate) fn sample(d: &Delay, rng: &mut Stream) -> u64 {
    let mut us = rng.between(d.min_us, d.max_us);
    if rng.chance_ppm(d.tail_ppm) {
        us += rng.between(0, d.tail_max_us);
    }
    us
}
