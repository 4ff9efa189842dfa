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

    /// Always `us`.
    pub const fn fixed(us: u64) -> Span {
        Span { min_us: us, max_us: us }
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
    /// The part of `leader_setup` before `new Leader` binds the quorum port (`makeLeader`
    /// builds the `LeaderZooKeeperServer` first): a learner connecting earlier is refused,
    /// one connecting later waits in the kernel's backlog until the acceptor runs.
    pub leader_bind: Span,
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
    /// The leader's `LearnerHandler` thread starting for a newly accepted learner connection
    /// (`LearnerCnxAcceptor` starts it; `LearnerHandler.run` builds its streams and reads
    /// FOLLOWERINFO): the leader reads the learner's first packet this much later.
    pub learner_handler_start: Span,
    /// The `LearnerHandler`'s own time before it chooses how to sync a learner: its JMX bean
    /// (`registerLearnerHandlerBean`), `waitForEpochAck` and `syncFollower`, which reads the
    /// txn log to choose DIFF, TRUNC or SNAP. The leader reads the learner's ACKEPOCH this
    /// much later, so the choice sees the leader as it is then.
    pub learner_sync_start: Span,
    /// From that choice to the sync packets on the wire: `startSendingPackets` starts the
    /// handler's packet sender thread; the first sync packet and every later one on the
    /// connection leave this much later.
    pub learner_sender_start: Span,
    /// A young JVM is slow: until a process first reaches BROADCAST its code is cold (classes
    /// load, nothing is JIT-compiled yet) and these spans replace the ones above. `null`: no
    /// difference.
    pub cold: Option<ColdCosts>,
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

/// The spans of a young process (before its first BROADCAST): the first cold start of
/// 3-server ensembles, where three JVMs shared two cores, times 2/3 wherever all three were
/// busy (the model's `host_cores` puts the sharing back; measured 2026-12-04 from the server
/// logs of the 16 cold starts that began the kill-the-leader trials, `zabsim conform
/// --workdir`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColdCosts {
    /// Measured "Peer state changed: leading" to the first "Snapshot taken": 35-72 ms
    /// (median 44), every server busy.
    pub leader_setup: Span,
    /// Measured to "Created server with tickTime": 22-49 ms (median 26.5), every server busy,
    /// and the bind 4-11 ms later (learners' first attempts refused up to 11 ms after it,
    /// connected from 4 ms).
    pub leader_bind: Span,
    /// Measured "Peer state changed: following" to the first connection attempt's result:
    /// 32-73 ms (median 44), every server busy.
    pub follower_setup: Span,
    /// Measured "Have quorum of supporters" to "leading - broadcast": 25-50 ms (median 36),
    /// the learners idle, waiting for UPTODATE.
    pub leader_startup: Span,
    /// Measured "Learner received NEWLEADER" to the leader's quorum: 23-46 ms (median 33.5),
    /// every server busy, less the currentEpoch fsync and the ACK's trip.
    pub follower_startup: Span,
    /// Measured a server's "New election" to its own notification coming back: 3-48 ms
    /// (median 26.5), every server busy (the first connections between peers too).
    pub notification_handoff: Span,
    /// Measured as the warm one: 7-33 ms (median 12.5), the learners idle. The `LearnerHandler`
    /// spans are cold only until the process has synced its first learner.
    pub learner_handler_start: Span,
    /// Measured as the warm one: 5.6-13.6 ms (10th-90th percentile, median 8.6).
    pub learner_sync_start: Span,
    /// Measured as the warm one: 5.8-17.8 ms (median 10.8).
    pub learner_sender_start: Span,
}

impl Default for ColdCosts {
    fn default() -> Self {
        ColdCosts {
            leader_setup: Span::new(23_000, 48_000),
            leader_bind: Span::new(17_000, 40_000),
            follower_setup: Span::new(21_000, 49_000),
            leader_startup: Span::new(25_000, 50_000),
            follower_startup: Span::new(14_000, 30_000),
            notification_handoff: Span::new(2_000, 32_000),
            learner_handler_start: Span::new(7_000, 30_000),
            learner_sync_start: Span::new(5_000, 14_000),
            learner_sender_start: Span::new(6_000, 18_000),
        }
    }
}

impl ColdCosts {
    /// The cold span of one kind of work; None for a shutdown (a process never leaves a role
    /// before it first reached one, and its first role's shutdown is what `shutdown` measures).
    pub fn of(&self, work: Work) -> Option<Span> {
        match work {
            Work::Shutdown => None,
            Work::LeaderSetup => Some(self.leader_setup),
            Work::FollowerSetup => Some(self.follower_setup),
            Work::LeaderStartup => Some(self.leader_startup),
            Work::FollowerStartup => Some(self.follower_startup),
        }
    }
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
    /// Only while the server's process is young (before its first BROADCAST): the cold
    /// start's work, not a later role's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub young: bool,
    /// Instead of `span`: the work ends at this virtual time, ms (or at once, if it starts
    /// later): `zabsim conform` replays when a real server's set-up ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at_ms: Option<u64>,
    /// With `leader_setup` and `ends_at_ms`: when the quorum port binds, virtual ms
    /// (`leader_bind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_at_ms: Option<u64>,
}

impl Default for ServerCosts {
    fn default() -> Self {
        ServerCosts {
            // Measured on 127.0.0.1, Debian's ZooKeeper 3.8.0, OpenJDK 17, an idle 2-core
            // machine (README "Fidelity"; scenarios/conform/).
            shutdown: Span::new(4_000, 11_000),
            leader_setup: Span::new(10_000, 18_000),
            // "Peer state changed: leading" to ZooKeeperServer's "Created server with
            // tickTime" (the LeaderZooKeeperServer the Leader constructor is given) took 4-8 ms
            // in 30 warm failovers; the constructor then builds the first Leader of the JVM
            // and binds: learners' first attempts up to 4 ms after that line were refused,
            // from 5 ms on connected. (Leader's "TCP NoDelay set to" comes earlier: the `new`
            // of makeLeader loads the class before it evaluates the arguments.)
            leader_bind: Span::new(8_000, 13_000),
            follower_setup: Span::new(3_000, 8_000),
            leader_startup: Span::new(6_000, 14_000),
            // NEWLEADER received -> the leader's NEWLEADER quorum took 3-9 ms in ten warm
            // 3-server failovers (2026-12-04), less the currentEpoch fsync and the ACK's trip.
            follower_startup: Span::new(2_000, 8_000),
            process_exit: Span::new(6_000, 14_000),
            notification_handoff: Span::new(2_000, 7_000),
            // Warm 3-server failovers (2026-12-04): the learner's "Successfully connected" to
            // the leader's "Follower sid" took 5-12 ms (median 6, ten failovers); "Follower
            // sid" to "Sending DIFF" 3.6-7.6 ms once the model's two fsyncs and two trips
            // there (~1.4 ms) are taken off, "Sending DIFF" to the learner's "Learner received
            // NEWLEADER" 2.8-5.8 ms (10th-90th percentiles of 39 failovers).
            learner_handler_start: Span::new(4_000, 9_000),
            learner_sync_start: Span::new(3_000, 8_000),
            learner_sender_start: Span::new(3_000, 6_000),
            cold: Some(ColdCosts::default()),
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
        leader_bind: Span::new(0, 0),
        follower_setup: Span::new(0, 0),
        leader_startup: Span::new(0, 0),
        follower_startup: Span::new(0, 0),
        process_exit: Span::new(0, 0),
        notification_handoff: Span::new(0, 0),
        learner_handler_start: Span::new(0, 0),
        learner_sync_start: Span::new(0, 0),
        learner_sender_start: Span::new(0, 0),
        cold: None,
        host_cores: None,
        overrides: Vec::new(),
    };

    /// The span of one kind of work on server `node`, `young` (before its process first
    /// reached BROADCAST) or not.
    pub fn on(&self, node: u8, work: Work, young: bool) -> Span {
        let cold = || self.cold.as_ref().filter(|_| young).and_then(|c| c.of(work));
        self.override_of(node, work, young).map(|o| o.span).or_else(cold).unwrap_or_else(|| self.of(work))
    }

    /// When in `node`'s leader set-up the quorum port binds.
    pub fn bind_on(&self, young: bool) -> Span {
        self.timed(young, |c| c.leader_bind, self.leader_bind)
    }

    /// The override for `node`'s `work`, if one applies (a later entry wins).
    pub fn override_of(&self, node: u8, work: Work, young: bool) -> Option<&CostOverride> {
        self.overrides.iter().rev().find(|o| o.node == node && o.work == work && (young || !o.young))
    }

    /// A span that is not `Work`, cold or warm: `pick` chooses the field.
    pub fn timed(&self, young: bool, pick: impl Fn(&ColdCosts) -> Span, warm: Span) -> Span {
        self.cold.as_ref().filter(|_| young).map_or(warm, pick)
    }

    /// The spans that are not `Work`, by field name (for validation).
    pub fn other_spans(&self) -> Vec<(String, Span)> {
        let mut spans = vec![
            ("leader_bind".to_string(), self.leader_bind),
            ("process_exit".to_string(), self.process_exit),
            ("notification_handoff".to_string(), self.notification_handoff),
            ("learner_handler_start".to_string(), self.learner_handler_start),
            ("learner_sync_start".to_string(), self.learner_sync_start),
            ("learner_sender_start".to_string(), self.learner_sender_start),
        ];
        if let Some(cold) = &self.cold {
            for work in Work::ALL.into_iter().filter(|w| *w != Work::Shutdown) {
                spans.push((format!("cold.{}", work.name()), cold.of(work).unwrap_or(self.of(work))));
            }
            spans.push(("cold.leader_bind".to_string(), cold.leader_bind));
            spans.push(("cold.notification_handoff".to_string(), cold.notification_handoff));
            spans.push(("cold.learner_handler_start".to_string(), cold.learner_handler_start));
            spans.push(("cold.learner_sync_start".to_string(), cold.learner_sync_start));
            spans.push(("cold.learner_sender_start".to_string(), cold.learner_sender_start));
        }
        spans
    }

    /// Whether `node`'s `work` replays a measured wall-clock time (an override).
    pub fn replays(&self, node: u8, work: Work, young: bool) -> bool {
        self.override_of(node, work, young).is_some()
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
