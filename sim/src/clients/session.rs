//! One simulated client: its connection and session, as ZooKeeper's `ClientCnxn` runs them.
//! - It connects to the servers of its shuffled host list in turn (`StaticHostProvider`),
//!   sleeping a random 0-1 s before an attempt once the handle has primed a connection
//!   (`ClientCnxn.startConnect` sleeps unless `isFirstConnect`, which `primeConnection` clears
//!   when a socket first connects: attempts refused by a down host do not sleep), and 1 s
//!   more when it comes back round to the server it last connected to
//!   (`StaticHostProvider.next(1000)`'s spin delay).
//! - Requests submitted while it is not connected wait and go out once it is
//!   (`outgoingQueue`); a connection that fails fails them too (`cleanup`).
//! - A connect attempt that gets no answer within `sessionTimeout / servers` is abandoned.
//! - Connected, it pings when it has sent nothing for a third of the session timeout and
//!   drops the connection when it has heard nothing for two thirds (`readTimeout`).
//! - A dropped connection fails every outstanding request with ConnectionLoss; the session
//!   moves to the next server, which refuses it if it has not seen the client's last zxid.
//! - A session expired while the client was away is reported on reconnecting; the client then
//!   starts a new one with a new handle, as Curator does: a fresh shuffled host list, a last
//!   seen zxid of zero and no sleep before its first attempt (a new `ClientCnxn`). A session
//!   the client closed itself is followed by a new handle too: a closed `ZooKeeper` handle
//!   never reconnects.

use super::history::OpSpan;
use super::recipe::{Outbox, RecipeEvent, RecipeNote};
use super::{Action, Links, RecipeState};
use crate::check::{Breach, ClientChecker, ReplySeen};
use crate::engine::rng::Stream;
use std::collections::VecDeque;
use zabsim_protocol::data::SessionId;
use zabsim_protocol::{ClientOp, ClientPacket, ConnId, Input, NodeId, Reply, ServerPacket, Zxid};

/// The connection a client has open or is opening.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientLink {
    pub(crate) conn: ConnId,
    pub(crate) server: NodeId,
    /// The server answered the connect.
    established: bool,
    opened_us: u64,
}

/// How a connection ended, which decides what the client does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Its host refused it (nothing listens: the server process is down). The socket never
    /// connected, so the handle is not primed by it.
    Refused,
    /// Closed by the server or given up by the client, after the socket connected.
    Closed,
    /// The session is over (expired, or closed by the client): a new handle takes over.
    NewHandle,
}

/// A request sent and not yet answered.
#[derive(Clone, Debug)]
struct Outstanding {
    cxid: u64,
    kind: &'static str,
    invoked_us: u64,
    /// A write (a lost write's outcome is unknown; a lost read or sync had no effect).
    write: bool,
}

/// What one client did, for the run report.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientCounts {
    pub(crate) sessions_created: u64,
    pub(crate) sessions_expired: u64,
    pub(crate) watches_fired: u64,
    /// Requests by (kind, outcome): "ok", an error name, or "lost" (ConnectionLoss: unknown).
    pub(crate) ops: std::collections::BTreeMap<(&'static str, &'static str), u64>,
}

/// One client.
pub(crate) struct Client {
    pub(crate) index: usize,
    hosts: Vec<NodeId>,
    /// `StaticHostProvider.currentIndex`: the host tried last; None before the first try.
    current_host: Option<usize>,
    /// `StaticHostProvider.lastIndex`: the host last connected to (the first one tried,
    /// before any connection); coming back round to it costs the spin delay.
    last_connected_host: Option<usize>,
    pub(crate) link: Option<ClientLink>,
    session: Option<(SessionId, u32)>,
    requested_timeout_ms: u32,
    pub(crate) last_zxid_seen: Zxid,
    next_cxid: u64,
    outstanding: VecDeque<Outstanding>,
    /// Requests submitted while not connected, sent once connected (their cxids are in
    /// `outstanding` already).
    unsent: Vec<ClientPacket>,
    last_heard_us: u64,
    last_sent_us: u64,
    reconnect_at_us: Option<u64>,
    recipe_wake_us: Option<u64>,
    recipe: RecipeState,
    /// When a `Wake` is queued for (to push one only when the next wake-up moves).
    pub(crate) wake_queued_us: Option<u64>,
    pub(crate) counts: ClientCounts,
    /// Every operation that ended, in the order it ended; connection attempts and lost
    /// connections among them.
    pub(crate) history: Vec<OpSpan>,
    /// `!ClientCnxn.isFirstConnect`: a socket of this handle has connected, so every later
    /// attempt sleeps first.
    primed: bool,
}

/// What a client's handlers work with: the time, the fleet's random stream, the links, the
/// actions for the engine, the checker, and the trace log when the run is traced.
pub(crate) struct Env<'a> {
    pub(crate) now_us: u64,
    /// The committed history's frontier now (for CommittedReads).
    pub(crate) committed: Zxid,
    pub(crate) rng: &'a mut Stream,
    pub(crate) links: &'a mut Links,
    pub(crate) actions: &'a mut Vec<Action>,
    pub(crate) checker: &'a mut ClientChecker,
    /// Log lines for the trace, only when traced.
    pub(crate) log: &'a mut Option<Vec<(usize, String)>>,
}

impl Env<'_> {
    fn log(&mut self, client: usize, line: impl FnOnce() -> String) {
        if let Some(log) = self.log.as_mut() {
            log.push((client, line()));
        }
    }
}

impl Client {
    pub(crate) fn new(index: usize, hosts: Vec<NodeId>, timeout_ms: u32, recipe: RecipeState, start_us: u64) -> Client {
        Client {
            index,
            hosts,
            current_host: None,
            last_connected_host: None,
            link: None,
            session: None,
            requested_timeout_ms: timeout_ms,
            last_zxid_seen: Zxid::ZERO,
            next_cxid: 0,
            outstanding: VecDeque::new(),
            unsent: Vec::new(),
            last_heard_us: 0,
            last_sent_us: 0,
            reconnect_at_us: Some(start_us),
            recipe_wake_us: None,
            recipe,
            wake_queued_us: None,
            counts: ClientCounts::default(),
            history: Vec::new(),
            primed: false,
        }
    }

    fn timeout_ms(&self) -> u32 {
        self.session.map_or(self.requested_timeout_ms, |(_, t)| t)
    }

    fn read_timeout_us(&self) -> u64 {
        u64::from(self.timeout_ms()) * 1000 * 2 / 3
    }

    fn connect_timeout_us(&self) -> u64 {
        u64::from(self.requested_timeout_ms) * 1000 / self.hosts.len().max(1) as u64
    }

    /// The next time this client must be woken.
    pub(crate) fn next_wake_us(&self) -> Option<u64> {
        let mut next = self.reconnect_at_us;
        let mut consider = |t: u64| next = Some(next.map_or(t, |n: u64| n.min(t)));
        match self.link {
            Some(link) if !link.established => consider(link.opened_us + self.connect_timeout_us()),
            Some(_) => {
                consider(self.last_heard_us + self.read_timeout_us());
                consider(self.last_sent_us + self.read_timeout_us() / 2);
                if let Some(t) = self.recipe_wake_us {
                    consider(t);
                }
            }
            None => {}
        }
        next
    }

    fn send(&mut self, env: &mut Env<'_>, packet: ClientPacket) {
        let Some(link) = self.link else { return };
        self.last_sent_us = env.now_us;
        let at_us = env.links.arrival_at_server(link.conn, env.now_us);
        let input = Input::FromClient { conn: link.conn, packet: Box::new(packet) };
        env.actions.push(Action::ToServer { at_us, server: link.server, input });
    }

    /// The host `StaticHostProvider.next` picks next.
    fn next_host(&self) -> usize {
        self.current_host.map_or(0, |i| (i + 1) % self.hosts.len())
    }

    /// Opens a connection to the next server.
    fn connect(&mut self, env: &mut Env<'_>) {
        self.reconnect_at_us = None;
        let next = self.next_host();
        self.current_host = Some(next);
        // "We don't want to sleep on the first ever connect attempt."
        self.last_connected_host.get_or_insert(0);
        let server = self.hosts[next];
        let conn = env.links.open(self.index, server);
        self.link = Some(ClientLink { conn, server, established: false, opened_us: env.now_us });
        let packet = ClientPacket::Connect {
            session: self.session.map(|(s, _)| s),
            timeout_ms: self.requested_timeout_ms,
            last_zxid_seen: self.last_zxid_seen,
        };
        env.log(self.index, || format!("connect {server} on {conn}: {packet}"));
        self.send(env, packet);
    }

    /// The connection is gone (refused, closed by either side, or given up): fail what is
    /// outstanding and reconnect, after `ClientCnxn`'s random sleep once the handle is primed
    /// and the spin delay when the next host is the one it last connected to; or, when the
    /// session is over, with a new handle at once.
    fn disconnected(&mut self, env: &mut Env<'_>, ended: Ended) -> Result<(), Breach> {
        // Connection attempts are operations of the history too: a "connect" that failed
        // (refused, timed out, or told the session expired) ends here. A live session's client
        // that loses an established connection is cut off from now on ("disconnect", an
        // instant), through its back-off, until it is served again; a closed session's client
        // waits for nothing until its next handle connects.
        match self.link.take() {
            Some(link) if !link.established => {
                self.history.push(OpSpan::lost(self.index, "connect", link.opened_us, env.now_us, false))
            }
            Some(_) if self.session.is_some() => {
                self.history.push(OpSpan::lost(self.index, "disconnect", env.now_us, env.now_us, false))
            }
            _ => {}
        }
        env.checker.on_disconnected(self.index);
        self.unsent.clear();
        for Outstanding { cxid, kind, invoked_us, write } in std::mem::take(&mut self.outstanding) {
            *self.counts.ops.entry((kind, "lost")).or_default() += 1;
            self.history.push(OpSpan::lost(self.index, kind, invoked_us, env.now_us, write));
            env.checker.on_lost(self.index, cxid);
            env.log(self.index, || format!("#{cxid} {kind} lost (ConnectionLoss)"));
            self.act(env, RecipeEvent::Lost)?;
        }
        if ended == Ended::NewHandle {
            self.new_handle(env);
            return Ok(());
        }
        self.primed |= ended == Ended::Closed;
        let spin_us = if self.last_connected_host == Some(self.next_host()) { 1_000_000 } else { 0 };
        let sleep_us = if self.primed { env.rng.between(0, 1_000_000) } else { 0 };
        self.reconnect_at_us = Some(env.now_us + spin_us + sleep_us);
        Ok(())
    }

    /// A new handle (a new `ZooKeeper` object): a freshly shuffled host list, no zxid seen, not
    /// primed; it connects at once.
    fn new_handle(&mut self, env: &mut Env<'_>) {
        shuffle(&mut self.hosts, env.rng);
        self.current_host = None;
        self.last_connected_host = None;
        self.last_zxid_seen = Zxid::ZERO;
        self.primed = false;
        self.reconnect_at_us = Some(env.now_us);
    }

    /// The client gives up on its connection: it closes it (the server sees it go).
    fn drop_link(&mut self, env: &mut Env<'_>, why: &str) -> Result<(), Breach> {
        if let Some(link) = self.link {
            let at_us = env.links.arrival_at_server(link.conn, env.now_us);
            env.links.close(link.conn);
            let input = Input::ClientGone { conn: link.conn };
            env.actions.push(Action::ToServer { at_us, server: link.server, input });
            env.log(self.index, || format!("gives up {} on {}: {why}", link.server, link.conn));
        }
        let ended = self.ended_by_close();
        self.disconnected(env, ended)
    }

    /// The operations still waiting for an answer (at the run's end), a connection attempt
    /// first.
    pub(crate) fn pending(&self) -> impl Iterator<Item = OpSpan> + '_ {
        let connecting =
            self.link.filter(|l| !l.established).map(|l| OpSpan::pending(self.index, "connect", l.opened_us));
        connecting.into_iter().chain(self.outstanding.iter().map(|o| OpSpan::pending(self.index, o.kind, o.invoked_us)))
    }

    /// Its timer fired.
    pub(crate) fn on_wake(&mut self, env: &mut Env<'_>) -> Result<(), Breach> {
        let now_us = env.now_us;
        if self.reconnect_at_us.is_some_and(|t| t <= now_us) {
            self.connect(env);
            return Ok(());
        }
        let Some(link) = self.link else { return Ok(()) };
        if !link.established {
            if now_us >= link.opened_us + self.connect_timeout_us() {
                self.drop_link(env, "connect timeout")?;
            }
            return Ok(());
        }
        if now_us >= self.last_heard_us + self.read_timeout_us() {
            return self.drop_link(env, "read timeout");
        }
        if now_us >= self.last_sent_us + self.read_timeout_us() / 2 {
            self.send(env, ClientPacket::Ping);
        }
        if self.recipe_wake_us.is_some_and(|t| t <= now_us) {
            self.recipe_wake_us = None;
            self.act(env, RecipeEvent::Wake)?;
        }
        Ok(())
    }

    /// The server closed the connection (or the link broke).
    pub(crate) fn on_closed(&mut self, env: &mut Env<'_>, conn: ConnId, refused: bool) -> Result<(), Breach> {
        if let Some(link) = self.link.filter(|l| l.conn == conn) {
            if refused {
                env.log(self.index, || format!("{conn} refused: {} is down", link.server));
                self.disconnected(env, Ended::Refused)?;
            } else {
                env.log(self.index, || format!("{conn} closed"));
                self.disconnected(env, self.ended_by_close())?;
            }
        }
        Ok(())
    }

    /// How a connection that connected and then closed ended: the session's end when the
    /// client had closed it (a closed handle never reconnects), else a plain close.
    fn ended_by_close(&self) -> Ended {
        match self.link {
            Some(link) if link.established && self.session.is_none() => Ended::NewHandle,
            _ => Ended::Closed,
        }
    }

    /// A packet from the server on `conn`.
    pub(crate) fn on_packet(&mut self, env: &mut Env<'_>, conn: ConnId, packet: &ServerPacket) -> Result<(), Breach> {
        let Some(link) = self.link.filter(|l| l.conn == conn) else { return Ok(()) };
        self.last_heard_us = env.now_us;
        if !matches!(packet, ServerPacket::Pong { .. }) {
            env.log(self.index, || format!("{conn} <- {packet}"));
        }
        match packet {
            ServerPacket::Connected { session, timeout_ms } => {
                let new_session = self.session.map(|(s, _)| s) != Some(*session);
                if new_session {
                    self.counts.sessions_created += 1;
                }
                self.session = Some((*session, *timeout_ms));
                self.link = Some(ClientLink { established: true, ..link });
                self.history.push(OpSpan::connected(self.index, link.opened_us, env.now_us));
                self.last_connected_host = self.current_host;
                for packet in std::mem::take(&mut self.unsent) {
                    env.log(self.index, || format!("sends {packet}"));
                    self.send(env, packet);
                }
                self.act(env, RecipeEvent::Connected { new_session })?;
            }
            ServerPacket::Expired { .. } => {
                self.counts.sessions_expired += 1;
                self.session = None;
                // The server closes this connection; a new handle takes over.
                self.disconnected(env, Ended::NewHandle)?;
                self.act(env, RecipeEvent::Expired)?;
            }
            ServerPacket::Reply { cxid, zxid, reply } => {
                env.checker.on_reply(&ReplySeen {
                    client: self.index,
                    server: link.server.0,
                    expected: self.outstanding.front().map(|o| o.cxid),
                    seen: self.last_zxid_seen,
                    cxid: *cxid,
                    zxid: *zxid,
                    reply,
                    committed: env.committed,
                })?;
                if let Some(done) = self.outstanding.pop_front() {
                    *self.counts.ops.entry((done.kind, outcome_of(reply))).or_default() += 1;
                    self.history.push(OpSpan::answered(self.index, done.kind, done.invoked_us, env.now_us, reply));
                    if done.kind == "close_session" {
                        // The session is over; the server closes the connection next, and a
                        // new handle connects for a new session.
                        self.session = None;
                    }
                }
                self.last_zxid_seen = self.last_zxid_seen.max(*zxid);
                self.act(env, RecipeEvent::Reply { cxid: *cxid, reply })?;
            }
            ServerPacket::Watch { event } => {
                self.counts.watches_fired += 1;
                env.checker.on_watch(self.index, link.server.0, event, env.committed)?;
                self.act(env, RecipeEvent::Watch(event))?;
            }
            // A ping is answered in order after every notification the server sent before it,
            // so a watch fired at or below the pong's zxid must have arrived already. (The
            // client does not take the pong's zxid as seen: `ClientCnxn` skips ping replies.)
            ServerPacket::Pong { zxid } => env.checker.on_pong(self.index, link.server.0, *zxid)?,
        }
        Ok(())
    }

    /// Hands an event to the recipe and sends what it submits.
    fn act(&mut self, env: &mut Env<'_>, event: RecipeEvent<'_>) -> Result<(), Breach> {
        let ops = self.recipe_event(env, event)?;
        for (cxid, op) in ops {
            env.checker.on_invoke(self.index, cxid, &op);
            let write = matches!(op, ClientOp::Write { .. });
            self.outstanding.push_back(Outstanding { cxid, kind: kind_of(&op), invoked_us: env.now_us, write });
            let packet = ClientPacket::Request { cxid, op };
            match self.link {
                Some(link) if link.established => {
                    env.log(self.index, || format!("sends {packet}"));
                    self.send(env, packet)
                }
                _ => {
                    env.log(self.index, || format!("queues {packet} until it is connected"));
                    self.unsent.push(packet)
                }
            }
        }
        Ok(())
    }

    /// Runs the recipe on one event; returns the requests it submitted.
    fn recipe_event(&mut self, env: &mut Env<'_>, event: RecipeEvent<'_>) -> Result<Vec<(u64, ClientOp)>, Breach> {
        let session = self.session.map(|(s, _)| s);
        let mut out = Outbox {
            now_us: env.now_us,
            session,
            rng: env.rng,
            next_cxid: &mut self.next_cxid,
            ops: Vec::new(),
            wake_at: None,
            notes: Vec::new(),
        };
        self.recipe.on_event(event, &mut out);
        let (ops, wake_at, notes) = (out.ops, out.wake_at, out.notes);
        if let Some(at) = wake_at {
            self.recipe_wake_us = Some(at);
        }
        for note in notes {
            match note {
                RecipeNote::Acquired => {
                    env.log(self.index, || format!("holds the {}", self.recipe.exclusive()));
                    env.checker.on_lock_acquired(self.index, session.unwrap_or_default(), env.now_us)?
                }
                RecipeNote::Released => {
                    env.log(self.index, || format!("lets go of the {}", self.recipe.exclusive()));
                    env.checker.on_lock_released(self.index, env.now_us)
                }
                RecipeNote::Consumed { item } => {
                    env.log(self.index, || format!("took queue item {item}"));
                    env.checker.on_consumed(self.index, &item)?
                }
            }
        }
        Ok(ops)
    }
}

/// Shuffles a host list (`StaticHostProvider` shuffles the connect string).
pub(crate) fn shuffle(hosts: &mut [NodeId], rng: &mut Stream) {
    for k in (1..hosts.len()).rev() {
        hosts.swap(k, rng.below(k + 1));
    }
}

/// The name an op is counted under in reports.
fn kind_of(op: &ClientOp) -> &'static str {
    use zabsim_protocol::data::Op;
    use zabsim_protocol::Read;
    match op {
        ClientOp::Write { op: Op::Create { .. } } => "create",
        ClientOp::Write { op: Op::Delete { .. } } => "delete",
        ClientOp::Write { op: Op::SetData { .. } } => "set_data",
        ClientOp::Write { op: Op::Check { .. } } => "check",
        ClientOp::Write { op: Op::Multi(_) } => "multi",
        ClientOp::Write { op: Op::CreateSession { .. } } => "create_session",
        ClientOp::Write { op: Op::CloseSession } => "close_session",
        ClientOp::Write { op: Op::Error { .. } } => "error",
        ClientOp::Read { read: Read::GetData { .. } } => "get_data",
        ClientOp::Read { read: Read::Exists { .. } } => "exists",
        ClientOp::Read { read: Read::GetChildren { .. } } => "get_children",
        ClientOp::Sync { .. } => "sync",
    }
}

/// How a reply counts: ok, or the error's name.
fn outcome_of(reply: &Reply) -> &'static str {
    super::history::error_of(reply).map_or("ok", |e| e.name())
}
