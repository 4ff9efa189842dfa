//! The simulator: a cluster of protocol `Node`s, their disks and the network between them,
//! driven by one event queue in virtual time, with faults from the scenario and the checker
//! run after every event.

mod clients;
mod cpu;
mod delivery;
pub mod disk;
mod durability;
mod faults;
mod liveness;
pub mod network;
pub mod queue;
mod record;
pub mod rng;
mod stats;
mod step;
mod targets;
mod timers;
mod transport;
mod view;
mod workload;

use crate::check::{Breach, Checker, Invariant, LivenessReason, Seen, Violation};
use crate::engine::disk::Disk;
use crate::engine::network::{Conn, InFlight, Network, Offer, Payload};
use crate::engine::queue::EventQueue;
use crate::engine::rng::{Purpose, Stream};
use crate::report::{Coverage, RunReport, Stats, WriteState};
use crate::scenario::{CrashPoint, Fault, PacketKind, Scenario, WriteTarget};
use crate::trace::{Header, Record, Sink, Tracer};
use zabsim_protocol::{
    Channel, DiskWrite, DurableState, Ensemble, Input, Message, NetCmd, Node, NodeId, NodeSet, Observation, Output,
    Send, ServerState, TimerCmd, TimerKind, WriteId,
};

/// Server steps within one `LIVELOCK_WINDOW_US` of virtual time before the run is declared
/// livelocked: only a protocol that answers its own messages forever (a vote cycle whose
/// notifications beget more notifications) gets there; a correct ensemble under 100,000
/// writes/s takes about a fifth of it.
const MAX_STEPS_IN_WINDOW: u64 = 100_000;
/// The window `MAX_STEPS_IN_WINDOW` counts in: 10 ms.
const LIVELOCK_WINDOW_US: u64 = 10_000;

/// `zookeeper.cnxTimeout`: how long QuorumCnxManager waits for an election connection.
const ELECTION_CONNECT_TIMEOUT_US: u64 = 5_000_000;

/// Something that will happen at a virtual time.
#[derive(Clone, Debug)]
enum Event {
    /// A message (or a FIN) reaches the receiving end of its link.
    Arrive(InFlight),
    /// Data stalled at a cut link may flow again.
    Drain { from: NodeId, to: NodeId },
    /// An election connection attempt from `a` to `b` gets its answer (or its SYN is retried).
    ElectionConnect { a: NodeId, b: NodeId, started_us: u64, syn: u32 },
    /// A learner's connection attempt to its leader gets its answer (or its SYN is retried).
    /// `process` is the learner's process incarnation that dialed: a process that died took its
    /// socket with it, so the attempt ends there and never reaches a restarted process.
    QuorumConnect { learner: NodeId, leader: NodeId, started_us: u64, syn: u32, process: u32 },
    /// A learner's connection attempt timed out (`Learner.sockConnect`'s initLimit), if the
    /// process that dialed still runs.
    QuorumConnectTimedOut { learner: NodeId, leader: NodeId, process: u32 },
    /// A protocol timer.
    Timer { node: NodeId, kind: TimerKind, gen: u64 },
    /// An fsync completes.
    Fsync { node: NodeId, incarnation: u32, through: WriteId },
    /// A server's process starts for the first time (`start_ms`).
    ProcessStart(NodeId),
    /// Scenario fault number `i` starts.
    Fault(usize),
    /// A pause or slow fsync ends.
    FaultEnd(usize),
    /// The workload submits its next write.
    Workload,
    /// The liveness phase starts.
    LivenessStart,
    /// Convergence is due.
    LivenessDeadline,
    /// A simulated client's wake-up.
    ClientWake(usize),
    /// A client's packet (or its closing of a connection) reaches a server.
    FromClient(Box<(NodeId, Input)>),
    /// A server's packet (or, with None, the close) reaches a client's end of a connection.
    ToClient(Box<(zabsim_protocol::ConnId, Option<zabsim_protocol::ServerPacket>)>),
    /// Work on the shared host cores may be done (`costs.host_cores`); generation `gen`.
    CpuDone { gen: u64 },
}

/// A quorum connection (`from` to `to`, incarnation) whose packet waits on the shared cores,
/// with the packets sent behind it.
#[derive(Clone, Debug)]
struct LinkHold {
    from: NodeId,
    to: NodeId,
    incarnation: u32,
    behind: Vec<Message>,
}

/// Work a paused server will do when it resumes: inputs already received by its kernel, and
/// timers that came due.
#[derive(Clone, Debug)]
enum Deferred {
    /// An input, tagged with the quorum connection it came on (0: none).
    Input(Input, u32),
    Timer(TimerKind, u64),
}

#[derive(Clone, Copy, Default)]
struct TimerSlot {
    deadline_us: Option<u64>,
    live_gen: Option<u64>,
    live_at_us: u64,
}

/// How much of the trace to keep.
pub enum TraceMode {
    /// Nothing (fastest; fuzzing).
    Off,
    /// Only the running hash.
    Hash,
    /// Lines to a sink.
    To(Sink),
}

/// A running simulation.
pub struct Sim {
    scenario: Scenario,
    ensemble: Ensemble,
    n: usize,
    now_us: u64,
    end_us: u64,
    queue: EventQueue<Event>,
    nodes: Vec<Option<Node>>,
    disks: Vec<Disk>,
    /// Durable-through as the node has been told.
    node_durable: Vec<Option<WriteId>>,
    /// The quorum connection each server's process knows of, per peer (index from*(n+1)+to):
    /// the incarnation it was last told is connected. Its sends go on that one only.
    app_conn: Vec<u32>,
    /// Sends waiting for a write to be durable, with the quorum connection they belong to.
    held: Vec<Vec<(Send, Conn)>>,
    timers: Vec<[TimerSlot; TimerKind::COUNT]>,
    timer_gen: u64,
    paused: Vec<bool>,
    deferred: Vec<Vec<Deferred>>,
    /// Targeted crashes armed per server: (index of the fault in the scenario, its point).
    armed: Vec<Vec<(usize, CrashPoint)>>,
    network: Network,
    disk_rng: Stream,
    workload_rng: Stream,
    /// How long each server's `Work` takes (`scenario.costs`).
    costs_rng: Stream,
    /// When each server's current `Work` ends (for the trace; with shared cores, as projected
    /// when it starts).
    work_until: Vec<u64>,
    /// The host's cores, when the servers share them (`costs.host_cores`).
    cpu: Option<cpu::HostCpu>,
    /// Per server: whether its process has yet to reach BROADCAST for the first time (its
    /// code is cold: `costs.cold`).
    young: Vec<bool>,
    /// Per server: whether its process has synced a learner yet (its `LearnerHandler` code is
    /// warm from then on).
    synced_a_learner: Vec<bool>,
    /// Per server: when its current leader set-up binds the quorum port (`costs.leader_bind`).
    bound_at_us: Vec<u64>,
    /// Learner connections a leader's bound port holds in the kernel's backlog until its
    /// acceptor runs: (leader, learner, connection incarnation).
    backlog: Vec<(NodeId, NodeId, u32)>,
    /// Quorum connections whose next packet waits for `LearnerHandler` time on the shared
    /// cores, with the packets sent behind it.
    link_holds: Vec<LinkHold>,
    checker: Checker,
    stats: Stats,
    tracer: Option<Tracer>,
    out: Output,
    events: u64,
    violation: Option<Violation>,
    next_value: u64,
    submit_times: Vec<u64>,
    stop: bool,
    /// Steps since `instant_us`, the start of the current livelock window.
    steps_at_instant: u64,
    instant_us: u64,
    /// The timely checks (`check/timely.rs`): their bounds, since when the run has been calm,
    /// whether chaos was ever on, per server when a learner last connected to it, and when
    /// they are next evaluated.
    timely_bounds: crate::check::TimelyBounds,
    calm_since_us: u64,
    chaos_ever: bool,
    learner_connected_us: Vec<u64>,
    timely_next_us: u64,
    /// The simulated clients, when the scenario has any.
    fleet: Option<Box<crate::clients::Fleet>>,
}

impl Sim {
    /// Builds the cluster for `scenario` (which must have passed validation), every server
    /// starting from an empty disk.
    pub fn new(scenario: Scenario, trace: TraceMode) -> Sim {
        let disks = vec![DurableState::default(); scenario.nodes as usize];
        Sim::with_disks(scenario, trace, disks)
    }

    /// Builds the cluster with server `i + 1` starting from `disks[i]` (for tests and
    /// scenarios that start from an existing history).
    pub fn with_disks(scenario: Scenario, trace: TraceMode, disks: Vec<DurableState>) -> Sim {
        assert_eq!(disks.len(), scenario.nodes as usize, "one durable state per server");
        let n = scenario.nodes as usize;
        let seed = scenario.seed;
        // The run lasts duration_ms, longer only while the liveness phase still waits.
        let end_us = scenario.duration_ms * 1000;
        let tracer = match trace {
            TraceMode::Off => None,
            TraceMode::Hash => Some(Tracer::new(Sink::Hash)),
            TraceMode::To(sink) => Some(Tracer::new(sink)),
        };
        let mut sim = Sim {
            ensemble: Ensemble::new(scenario.nodes),
            n,
            now_us: 0,
            end_us,
            queue: EventQueue::default(),
            nodes: vec![None; n + 1],
            disks: vec![Disk::new(); n + 1],
            node_durable: vec![None; n + 1],
            held: vec![Vec::new(); n + 1],
            app_conn: vec![0; (n + 1) * (n + 1)],
            timers: vec![[TimerSlot::default(); TimerKind::COUNT]; n + 1],
            timer_gen: 0,
            paused: vec![false; n + 1],
            deferred: vec![Vec::new(); n + 1],
            armed: vec![Vec::new(); n + 1],
            network: Network::new(n, &scenario.network, seed),
            disk_rng: Stream::new(seed, Purpose::Disk),
            workload_rng: Stream::new(seed, Purpose::Workload),
            costs_rng: Stream::new(seed, Purpose::Costs),
            work_until: vec![0; n + 1],
            cpu: scenario.costs.host_cores.map(cpu::HostCpu::new),
            link_holds: Vec::new(),
            young: vec![true; n + 1],
            synced_a_learner: vec![false; n + 1],
            bound_at_us: vec![0; n + 1],
            backlog: Vec::new(),
            checker: Checker::new(n),
            stats: Stats::new(n),
            tracer,
            out: Output::default(),
            events: 0,
            violation: None,
            next_value: 1,
            submit_times: Vec::new(),
            stop: false,
            steps_at_instant: 0,
            instant_us: 0,
            timely_bounds: crate::check::TimelyBounds::for_scenario(&scenario),
            calm_since_us: 0,
            chaos_ever: scenario.network.chaos.is_on(),
            learner_connected_us: vec![0; n + 1],
            timely_next_us: 0,
            fleet: None,
            scenario,
        };
        if let Some(tracer) = sim.tracer.as_mut() {
            tracer.header(&Header {
                kind: "zabsim-trace",
                schema: crate::trace::TRACE_SCHEMA,
                version: env!("CARGO_PKG_VERSION"),
                seed,
                scenario_hash: format!("{:016x}", crate::scenario_hash(&sim.scenario)),
                nodes: sim.scenario.nodes,
                variants: sim.scenario.protocol.variants.enabled(),
            });
        }
        for (i, f) in sim.scenario.faults.iter().enumerate() {
            sim.queue.push(f.at_ms * 1000, Event::Fault(i));
        }
        if sim.scenario.workload.writes_per_sec > 0 {
            sim.queue.push(sim.scenario.workload.start_ms * 1000, Event::Workload);
        }
        if sim.scenario.liveness.check {
            sim.queue.push(sim.scenario.last_fault_ms() * 1000, Event::LivenessStart);
        }
        if sim.scenario.clients.enabled() {
            let s = &sim.scenario;
            let mut fleet = crate::clients::Fleet::new(s.clients.clone(), s.nodes, s.network.delay, seed);
            if sim.tracer.is_some() {
                fleet.keep_log();
            }
            let actions = fleet.start();
            sim.fleet = Some(Box::new(fleet));
            sim.schedule_client_actions(actions);
        }
        for (id, durable) in sim.ensemble.members().zip(disks) {
            sim.checker.preload_disk(id, &durable);
            sim.disks[id.index()].durable = durable.clone();
            let node = Node::new(id, sim.ensemble, sim.scenario.protocol.clone(), durable);
            sim.nodes[id.index()] = Some(node);
        }
        for id in sim.ensemble.members() {
            match sim.scenario.start_of(id.0) {
                0 => sim.step(id, Input::Start),
                // Until its process starts a server is as good as crashed: nothing listens.
                at_ms => {
                    sim.nodes[id.index()] = None;
                    sim.queue.push(at_ms * 1000, Event::ProcessStart(id));
                    if sim.cpu.is_some() {
                        // Every JVM was launched at 0; until its start it boots, on the
                        // shared cores like everything else.
                        sim.run_on_cpu(id, at_ms * 1000, true, cpu::JobEnd::Boot);
                    }
                }
            }
        }
        sim
    }

    /// Runs to the end (or the first violation) and reports.
    pub fn run(mut self) -> RunReport {
        while self.advance() {}
        self.finish()
    }

    /// Runs until `pred` holds after an event, or the run ends; for tests and sweeps that
    /// inspect the cluster mid-run. `run_until` followed by `run` is the same run as `run`.
    pub fn run_until(&mut self, mut pred: impl FnMut(&Sim) -> bool) -> bool {
        while self.advance() {
            if pred(self) {
                return true;
            }
        }
        false
    }

    /// Handles the next event if the run is not over; returns whether it did. The run ends at
    /// the first violation, when nothing is left to happen, or at `duration_ms`, later only
    /// while the liveness phase still waits for convergence. An event past the end stays
    /// queued.
    fn advance(&mut self) -> bool {
        if self.stop {
            return false;
        }
        let Some(at_us) = self.queue.peek_time() else { return false };
        if at_us > self.end_us && !self.liveness_pending() {
            return false;
        }
        let (at_us, event) = self.queue.pop().expect("peeked");
        self.now_us = at_us;
        self.handle(event);
        true
    }

    /// The first violation, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// Injects a fault now (for tests and interactive use).
    pub fn inject(&mut self, fault: Fault) {
        self.scenario.faults.push(crate::scenario::TimedFault { at_ms: self.now_us / 1000, fault });
        let i = self.scenario.faults.len() - 1;
        self.apply_fault(i);
    }

    // ----- event handling -------------------------------------------------------------------

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive(f) => self.on_arrive(f),
            Event::Drain { from, to } => self.on_drain(from, to),
            Event::ElectionConnect { a, b, started_us, syn } => self.on_election_connect(a, b, started_us, syn),
            Event::QuorumConnect { learner, leader, started_us, syn, process } => {
                self.on_quorum_connect(learner, leader, started_us, syn, process)
            }
            Event::QuorumConnectTimedOut { learner, leader, process } => {
                self.on_quorum_connect_timed_out(learner, leader, process)
            }
            Event::Timer { node, kind, gen } => self.on_timer(node, kind, gen),
            Event::Fsync { node, incarnation, through } => self.on_fsync(node, incarnation, through),
            Event::ProcessStart(id) => self.restart(id),
            Event::Fault(i) => self.apply_fault(i),
            Event::FaultEnd(i) => self.end_fault(i),
            Event::Workload => self.on_workload(),
            Event::LivenessStart => self.on_liveness_start(),
            Event::ClientWake(client) => self.on_client_wake(client),
            Event::FromClient(delivery) => {
                let (server, input) = *delivery;
                self.on_from_client(server, input);
            }
            Event::ToClient(delivery) => {
                let (conn, packet) = *delivery;
                self.on_to_client(conn, packet);
            }
            Event::CpuDone { gen } => self.on_cpu_done(gen),
            Event::LivenessDeadline => {
                if let Some((servers, reason, detail)) = self.checker.liveness_verdict(&self.nodes) {
                    self.fail_liveness(reason, servers, detail);
                }
            }
        }
    }

    // ----- reporting --------------------------------------------------------------------------------

    fn fail(&mut self, breach: Breach) {
        self.record_violation(breach, None);
    }

    fn fail_liveness(&mut self, reason: LivenessReason, servers: Vec<u8>, detail: String) {
        self.record_violation(Breach::new(Invariant::Liveness, servers, detail), Some(reason));
    }

    fn record_violation(&mut self, breach: Breach, reason: Option<LivenessReason>) {
        if self.violation.is_none() {
            let Breach { invariant, servers, detail } = breach;
            // A server named twice (one server on both sides of a breach) is named once, first
            // place kept.
            let mut named = Vec::with_capacity(servers.len());
            for s in servers {
                if !named.contains(&s) {
                    named.push(s);
                }
            }
            let servers = named;
            self.violation =
                Some(Violation { invariant, event: self.events, time_us: self.now_us, servers, detail, reason });
        }
        self.stop = true;
    }

    fn finish(mut self) -> RunReport {
        self.trace_violation();
        if let Some(tracer) = self.tracer.as_mut() {
            tracer.finish();
        }
        let final_states = self
            .ensemble
            .members()
            .map(|id| match self.node(id) {
                Some(n) => n.describe(),
                None => format!("{id} DOWN"),
            })
            .collect();
        RunReport::build(
            &self.scenario,
            self.stats,
            &self.checker,
            self.violation,
            self.events,
            self.now_us,
            self.tracer.as_ref().map(|t| t.hash()),
            final_states,
            self.tracer.as_mut().and_then(|t| t.error.take()).map(|e| e.to_string()),
            self.fleet.as_ref().map(|f| f.report()),
        )
    }
}
