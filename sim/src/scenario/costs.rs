//! How long a server's own work takes: the `Work` the protocol names (shutting a role down,
//! building a leader or follower, starting the request processors) happens on ZooKeeper's
//! `QuorumPeer` thread and takes real time that the protocol logic does not. Each is uniform
//! in its span; the defaults are measured on Debian's ZooKeeper 3.8.0 under OpenJDK 17
//! (`zabsim conform`, recorded under `scenarios/conform/`; README "Fidelity").

use serde::{Deserialize, Serialize};
use zabsim_protocol::Work;

/// A uniform span of time, in microseconds: `{"min_us": 8000, "max_us": 35000}`, or a single
/// number for a fixed time (`0` turns the cost off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SpanRepr")]
pub struct Span {
    /// Shortest.
    pub min_us: u64,
    /// Longest.
    pub max_us: u64,
}

/// The two ways to write a `Span`.
#[derive(Deserialize)]
#[serde(untagged, expecting = "a number of µs or {\"min_us\": .., \"max_us\": ..}")]
enum SpanRepr {
    Fixed(u64),
    Range { min_us: u64, max_us: u64 },
}

impl From<SpanRepr> for Span {
    fn from(r: SpanRepr) -> Span {
        match r {
            SpanRepr::Fixed(us) => Span { min_us: us, max_us: us },
            SpanRepr::Range { min_us, max_us } => Span { min_us, max_us },
        }
    }
}

impl Span {
    const fn new(min_us: u64, max_us: u64) -> Span {
        Span { min_us, max_us }
    }
}

/// The time each kind of `Work` takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerCosts {
    /// `Follower.shutdown` / `Leader.shutdown` until `updateServerState` (LOOKING).
    pub shutdown: Span,
    /// `makeLeader` + `Leader.lead` until the learner acceptor runs.
    pub leader_setup: Span,
    /// `makeFollower` + `followLeader` until `connectToLeader`.
    pub follower_setup: Span,
    /// `Leader.startZkServer`, between the NEWLEADER quorum and the first UPTODATE.
    pub leader_startup: Span,
    /// A follower's `startupWithoutServing` before its NEWLEADER ACK (3.8.0-3.8.4) or
    /// `startup` after its UPTODATE ACK (3.9.3+): the same `startupWithServerState` as the
    /// leader's.
    pub follower_startup: Span,
    /// From SIGKILL until the kernel has torn the dead JVM down and closed its sockets: its
    /// peers see the connections end this much later (not a `Work`: nothing runs any more).
    pub process_exit: Span,
    /// A notification's thread hand-offs between `sendNotifications` and `lookForLeader`
    /// taking it (`WorkerSender`, `QuorumCnxManager`'s `SendWorker` and `RecvWorker`,
    /// `WorkerReceiver`), added to each election message's network delay, a server's own
    /// vote included.
    pub notification_handoff: Span,
    /// The cores of one host every server runs on (`zabsim conform`: the reference ensembles
    /// run all JVMs on one machine). While more servers are busy (`Work`, notification
    /// hand-offs) than there are cores, each runs at cores/busy of its speed (`engine/cpu.rs`).
    /// None, the default: a machine per server, the costs as measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_cores: Option<u32>,
    /// One server's work of one kind taking its own time (`zabsim conform` replays a real
    /// trial's measured times this way); a later entry for the same pair wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<CostOverride>,
}

/// `{"node": 2, "work": "shutdown", "span": 12000}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostOverride {
    /// Server id.
    pub node: u8,
    /// Which work.
    pub work: Work,
    /// Its time on that server.
    pub span: Span,
}

impl Default for ServerCosts {
    fn default() -> Self {
        ServerCosts {
            // Measured on 127.0.0.1, Debian's ZooKeeper 3.8.0, OpenJDK 17, an idle 2-core
            // machine (README "Fidelity"; scenarios/conform/).
            shutdown: Span::new(4_000, 11_000),
            leader_setup: Span::new(10_000, 18_000),
            follower_setup: Span::new(3_000, 8_000),
            leader_startup: Span::new(6_000, 14_000),
            // NEWLEADER received -> the leader's NEWLEADER quorum took 3-9 ms in ten warm
            // 3-server failovers (2026-12-04), less the currentEpoch fsync and the ACK's trip.
            follower_startup: Span::new(2_000, 8_000),
            process_exit: Span::new(6_000, 14_000),
            notification_handoff: Span::new(2_000, 7_000),
            host_cores: None,
            overrides: Vec::new(),
        }
    }
}

impl ServerCosts {
    /// Every cost zero: the protocol's work takes no time (the model before `Work` existed).
    pub const ZERO: ServerCosts = ServerCosts {
        shutdown: Span::new(0, 0),
        leader_setup: Span::new(0, 0),
        follower_setup: Span::new(0, 0),
        leader_startup: Span::new(0, 0),
        follower_startup: Span::new(0, 0),
        process_exit: Span::new(0, 0),
        notification_handoff: Span::new(0, 0),
        host_cores: None,
        overrides: Vec::new(),
    };

    /// The span of one kind of work on server `node`.
    pub fn on(&self, node: u8, work: Work) -> Span {
        let own = self.overrides.iter().rev().find(|o| o.node == node && o.work == work);
        own.map_or_else(|| self.of(work), |o| o.span)
    }

    /// Whether `node`'s `work` replays a measured wall-clock time (an override).
    pub fn replays(&self, node: u8, work: Work) -> bool {
        self.overrides.iter().any(|o| o.node == node && o.work == work)
    }

    /// The span of one kind of work.
    pub fn of(&self, work: Work) -> Span {
        match work {
            Work::Shutdown => self.shutdown,
            Work::LeaderSetup => self.leader_setup,
            Work::FollowerSetup => self.follower_setup,
            Work::LeaderStartup => self.leader_startup,
            Work::FollowerStartup => self.follower_startup,
        }
    }
}
