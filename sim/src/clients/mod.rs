//! Simulated ZooKeeper clients: each a session over one connection at a time to one server,
//! running a recipe (`lock.rs`, `mixed.rs`) or a scenario's script (`script.rs`) through the interface in `recipe.rs`, with the
//! connection logic of ZooKeeper's `ClientCnxn` in `session.rs`. The [`Fleet`] owns them and
//! the client-server links, and tells the engine what to schedule ([`Action`]).
//!
//! The links: one-way delays drawn from the scenario's default link delay, FIFO per
//! connection and direction. Clients stand outside the servers' network faults (a partition
//! cuts servers from each other, not from their clients); a crashed or paused server's
//! clients see what a real client would (a closed connection; silence until their read
//! timeout).

mod config;
mod history;
mod lock;
mod mixed;
mod queue;
mod recipe;
mod script;
mod session;

use crate::check::{Breach, Checker, ClientChecker};
use crate::engine::rng::{Purpose, Stream};
use crate::scenario::{Clients, Delay, Recipe};
use config::ConfigRecipe;
pub use history::{longest_wait, waits, OpSpan};
use lock::{Exclusive, LockRecipe};
use mixed::MixedRecipe;
use queue::QueueRecipe;
use recipe::{Outbox, RecipeEvent};
use script::ScriptRecipe;
use session::{Client, Env};
use std::collections::BTreeMap;
use zabsim_protocol::{ConnId, Input, NodeId, Reply, ServerPacket};

/// What the engine must schedule for the clients.
#[derive(Debug)]
pub(crate) enum Action {
    /// An input (a client packet, or a connection closed by the client) for a server.
    ToServer { at_us: u64, server: NodeId, input: Input },
    /// A packet (or, with `None`, the close) reaches the client end of `conn`.
    ToClient { at_us: u64, conn: ConnId, packet: Option<ServerPacket> },
    /// Wake `client` at `at_us`.
    Wake { at_us: u64, client: usize },
}

/// A recipe's state.
#[derive(Clone, Debug)]
pub(crate) enum RecipeState {
    Lock(LockRecipe),
    Mixed(MixedRecipe),
    Queue(QueueRecipe),
    Config(ConfigRecipe),
    Script(ScriptRecipe),
}

impl RecipeState {
    fn on_event(&mut self, event: RecipeEvent<'_>, out: &mut Outbox<'_>) {
        match self {
            RecipeState::Lock(r) => r.on_event(event, out),
            RecipeState::Mixed(r) => r.on_event(event, out),
            RecipeState::Queue(r) => r.on_event(event, out),
            RecipeState::Config(r) => r.on_event(event, out),
            RecipeState::Script(r) => r.on_event(event, out),
        }
    }

    /// What the recipe's Acquired and Released notes are about, for log lines.
    fn exclusive(&self) -> &'static str {
        match self {
            RecipeState::Lock(r) => r.exclusive().name(),
            _ => "lock",
        }
    }
}

/// One client-server connection.
#[derive(Clone, Copy, Debug)]
struct Link {
    client: usize,
    server: NodeId,
    open: bool,
    /// The server's host refused it (the process is down).
    refused: bool,
    /// FIFO: the next packet each way arrives no earlier than the previous one.
    up_free_us: u64,
    down_free_us: u64,
}

/// Every connection of the run and the delays on them.
pub(crate) struct Links {
    links: BTreeMap<ConnId, Link>,
    next_conn: u64,
    delay: Delay,
    rng: Stream,
}

impl Links {
    fn sample(&mut self) -> u64 {
        crate::engine::network::sample(&self.delay, &mut self.rng)
    }

    /// A new connection from `client` to `server`.
    pub(crate) fn open(&mut self, client: usize, server: NodeId) -> ConnId {
        self.next_conn += 1;
        let conn = ConnId(self.next_conn);
        self.links.insert(conn, Link { client, server, open: true, refused: false, up_free_us: 0, down_free_us: 0 });
        conn
    }

    /// When a packet sent now by the client arrives at the server.
    pub(crate) fn arrival_at_server(&mut self, conn: ConnId, now_us: u64) -> u64 {
        let delay = self.sample();
        let link = self.links.get_mut(&conn).expect("known connection");
        link.up_free_us = link.up_free_us.max(now_us + delay);
        link.up_free_us
    }

    /// When a packet sent now by the server arrives at the client.
    fn arrival_at_client(&mut self, conn: ConnId, now_us: u64) -> u64 {
        let delay = self.sample();
        let link = self.links.get_mut(&conn).expect("known connection");
        link.down_free_us = link.down_free_us.max(now_us + delay);
        link.down_free_us
    }

    /// The connection is closed (no more packets either way once in flight ones land).
    pub(crate) fn close(&mut self, conn: ConnId) {
        if let Some(link) = self.links.get_mut(&conn) {
            link.open = false;
        }
    }
}

/// What the clients did, for the run report.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientReport {
    /// Clients in the run.
    pub clients: u32,
    /// Of those, the ones running a script of the scenario.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub scripted: u32,
    /// The recipe they ran.
    pub recipe: String,
    /// Requests by kind, then outcome ("ok", an error name, or "lost": ConnectionLoss, outcome
    /// unknown).
    pub ops: BTreeMap<String, BTreeMap<String, u64>>,
    /// Sessions created.
    pub sessions_created: u64,
    /// Sessions that expired (as their clients learned on reconnecting).
    pub sessions_expired: u64,
    /// Connections opened.
    pub connects: u64,
    /// Watch notifications received.
    pub watches_fired: u64,
    /// Lock recipe: acquisitions.
    pub lock_acquisitions: u64,
    /// Lock recipe: acquisitions while a client whose session had expired still believed it
    /// held the lock (ZooKeeper's documented caveat, not a violation).
    pub lock_caveats: u64,
    /// Of those, acquisitions by a client whose own session had expired (it read a stale
    /// server).
    #[serde(default)]
    pub lock_caveats_expired_acquirer: u64,
    /// Syncs answered behind an acknowledged write by a deposed leader that had not noticed
    /// yet (the caveat of ZooKeeper's sync: not a violation).
    pub sync_caveats: u64,
    /// Queue recipe: items taken by consumers.
    #[serde(default)]
    pub queue_items_taken: u64,
    /// Steps the clients took: a wake-up that came due, or a packet or a close reaching a
    /// client. With the servers' steps (`RunReport::events`) they are every step of a
    /// simulated actor.
    #[serde(default)]
    pub steps: u64,
    /// Every operation, invocation to completion, client by client (for sweeps and charts;
    /// not in the JSON report).
    #[serde(skip)]
    pub history: Vec<OpSpan>,
}

/// The clients of a run.
pub(crate) struct Fleet {
    config: Clients,
    clients: Vec<Client>,
    links: Links,
    rng: Stream,
    pub(crate) checker: ClientChecker,
    actions: Vec<Action>,
    /// Client log lines for the trace (client, text); None when the run is not traced.
    log: Option<Vec<(usize, String)>>,
    /// Steps the clients took (see `ClientReport::steps`).
    steps: u64,
}

impl Fleet {
    /// `config.count` recipe clients, then one client per script, over servers `1..=nodes`,
    /// each with its own shuffled host list.
    pub(crate) fn new(config: Clients, nodes: u8, delay: Delay, seed: u64) -> Fleet {
        let mut rng = Stream::new(seed, Purpose::Clients);
        let links = Links { links: BTreeMap::new(), next_conn: 0, delay, rng: Stream::new(seed, Purpose::ClientLinks) };
        let mut clients = Vec::with_capacity(config.total());
        for i in 0..config.total() {
            let mut hosts: Vec<NodeId> = (1..=nodes).map(NodeId).collect();
            session::shuffle(&mut hosts, &mut rng);
            let (recipe, start_us) = match i.checked_sub(config.count as usize).and_then(|k| config.scripts.get(k)) {
                Some(script) => (RecipeState::Script(ScriptRecipe::new(&script.ops)), script.start_ms * 1000),
                None => {
                    let recipe = match config.recipe {
                        Recipe::Lock => {
                            RecipeState::Lock(LockRecipe::new(Exclusive::Lock, i, config.hold_ms, config.think_ms))
                        }
                        // A leader keeps its leadership 25 times as long as a lock is held.
                        Recipe::Election => RecipeState::Lock(LockRecipe::new(
                            Exclusive::Leadership,
                            i,
                            config.hold_ms.saturating_mul(25),
                            config.think_ms,
                        )),
                        Recipe::Queue => RecipeState::Queue(QueueRecipe::new(i, config.think_ms)),
                        Recipe::Config => RecipeState::Config(ConfigRecipe::new(i, config.think_ms)),
                        Recipe::Mixed => RecipeState::Mixed(MixedRecipe::new(config.think_ms)),
                    };
                    // Staggered starts, 1 ms apart, so the first connects do not all coincide.
                    (recipe, config.start_ms * 1000 + i as u64 * 1000)
                }
            };
            clients.push(Client::new(i, hosts, config.session_timeout_ms, recipe, start_us));
        }
        Fleet {
            config,
            clients,
            links,
            rng,
            checker: ClientChecker::default(),
            actions: Vec::new(),
            log: None,
            steps: 0,
        }
    }

    /// Keeps client log lines for the trace from now on.
    pub(crate) fn keep_log(&mut self) {
        self.log = Some(Vec::new());
    }

    /// The log lines since the last call.
    pub(crate) fn take_log(&mut self) -> Vec<(usize, String)> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Runs `f` on client `i` with the fleet's shared state.
    fn with_client<T>(
        &mut self,
        i: usize,
        now_us: u64,
        checker: &Checker,
        f: impl FnOnce(&mut Client, &mut Env<'_>) -> T,
    ) -> T {
        self.steps += 1;
        self.checker.catch_up(checker.committed(), now_us);
        let mut env = Env {
            now_us,
            committed: checker.committed_frontier(),
            rng: &mut self.rng,
            links: &mut self.links,
            actions: &mut self.actions,
            checker: &mut self.checker,
            log: &mut self.log,
        };
        f(&mut self.clients[i], &mut env)
    }

    /// The first wake-ups.
    pub(crate) fn start(&mut self) -> Vec<Action> {
        for i in 0..self.clients.len() {
            self.reschedule(i, 0);
        }
        std::mem::take(&mut self.actions)
    }

    fn reschedule(&mut self, i: usize, now_us: u64) {
        let client = &mut self.clients[i];
        // A recipe wake-up that came due while the client was not connected is delivered
        // now, not in the past.
        let next = client.next_wake_us().map(|t| t.max(now_us));
        if next != client.wake_queued_us {
            client.wake_queued_us = next;
            if let Some(at_us) = next {
                self.actions.push(Action::Wake { at_us, client: i });
            }
        }
    }

    /// A client's wake-up came due (ignored unless it is the one last queued).
    pub(crate) fn on_wake(&mut self, i: usize, now_us: u64, checker: &Checker) -> (Vec<Action>, Result<(), Breach>) {
        if self.clients[i].wake_queued_us != Some(now_us) {
            return (Vec::new(), Ok(()));
        }
        self.clients[i].wake_queued_us = None;
        let result = self.with_client(i, now_us, checker, |client, env| client.on_wake(env));
        self.reschedule(i, now_us);
        (std::mem::take(&mut self.actions), result)
    }

    /// A server's step said something to a client, or closed its connection. `deposed`: the
    /// server's epoch, when it is behind the newest established epoch.
    pub(crate) fn server_sent(
        &mut self,
        conn: ConnId,
        packet: Option<ServerPacket>,
        now_us: u64,
        deposed: Option<zabsim_protocol::Epoch>,
    ) -> Vec<Action> {
        if let (Some(link), Some(ServerPacket::Reply { cxid, reply: Reply::Synced, .. })) =
            (self.links.links.get(&conn), &packet)
        {
            if let Some(epoch) = deposed {
                self.checker.on_deposed_sync(link.client, *cxid, epoch);
            }
        }
        if self.links.links.get(&conn).is_some_and(|l| l.open) {
            let at_us = self.links.arrival_at_client(conn, now_us);
            if packet.is_none() {
                self.links.close(conn);
            }
            self.actions.push(Action::ToClient { at_us, conn, packet });
        }
        std::mem::take(&mut self.actions)
    }

    /// `conn`'s connect reached a server whose process is down: its host refuses it (the
    /// kernel resets the SYN; nothing listens on the client port), and the client learns it
    /// one way later.
    pub(crate) fn refuse(&mut self, conn: ConnId, now_us: u64) -> Vec<Action> {
        if let Some(link) = self.links.links.get_mut(&conn) {
            link.refused = true;
        }
        self.server_sent(conn, None, now_us, None)
    }

    /// A server process died: its connections break (the clients see them close).
    pub(crate) fn server_crashed(&mut self, server: NodeId, now_us: u64) -> Vec<Action> {
        let broken: Vec<ConnId> =
            self.links.links.iter().filter(|(_, l)| l.open && l.server == server).map(|(c, _)| *c).collect();
        for conn in broken {
            let at_us = self.links.arrival_at_client(conn, now_us);
            self.links.close(conn);
            self.actions.push(Action::ToClient { at_us, conn, packet: None });
        }
        std::mem::take(&mut self.actions)
    }

    /// Something reached the client end of `conn`.
    pub(crate) fn on_arrival(
        &mut self,
        conn: ConnId,
        packet: Option<ServerPacket>,
        now_us: u64,
        checker: &Checker,
    ) -> (Vec<Action>, Result<(), Breach>) {
        let Some(link) = self.links.links.get(&conn).copied() else { return (Vec::new(), Ok(())) };
        let i = link.client;
        let result = self.with_client(i, now_us, checker, |client, env| match &packet {
            None => client.on_closed(env, conn, link.refused),
            Some(packet) => client.on_packet(env, conn, packet),
        });
        // A packet on a connection the client has given up on: tell the server it is gone.
        if packet.is_some() && self.clients[i].link.is_none_or(|l| l.conn != conn) && link.open {
            let at_us = self.links.arrival_at_server(conn, now_us);
            self.links.close(conn);
            self.actions.push(Action::ToServer { at_us, server: link.server, input: Input::ClientGone { conn } });
        }
        self.reschedule(i, now_us);
        (std::mem::take(&mut self.actions), result)
    }

    /// The report's client section.
    pub(crate) fn report(&self) -> ClientReport {
        let mut report = ClientReport {
            clients: self.config.total() as u32,
            scripted: self.config.scripts.len() as u32,
            recipe: if self.config.count > 0 { self.config.recipe.to_string() } else { "none".to_string() },
            lock_acquisitions: self.checker.lock_acquisitions,
            lock_caveats: self.checker.lock_caveats,
            lock_caveats_expired_acquirer: self.checker.expired_acquirer_caveats,
            sync_caveats: self.checker.sync_caveats,
            queue_items_taken: self.checker.items_taken(),
            connects: self.links.next_conn,
            steps: self.steps,
            ..ClientReport::default()
        };
        for client in &self.clients {
            let c = &client.counts;
            report.sessions_created += c.sessions_created;
            report.sessions_expired += c.sessions_expired;
            report.watches_fired += c.watches_fired;
            for ((kind, outcome), n) in &c.ops {
                *report.ops.entry(kind.to_string()).or_default().entry(outcome.to_string()).or_default() += n;
            }
            report.history.extend(client.history.iter().cloned().chain(client.pending()));
        }
        report
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
