//! What the simulator hands the reports: a sweep's per-run measurements. The simulator writes
//! it (`zabsim sweep`), the reports read it (`zabsim report`); neither needs the other's code.

use serde::{Deserialize, Serialize};

/// Schema version of `SweepResults`. Version 1 grew the optional `RunMetrics::violation`
/// compatibly. Version 2 renamed the times after what they measure and added one:
/// `election_time_us` became `new_leader_us`, `sync_time_us` became `all_broadcast_us`,
/// `unavailability_us` became `client_unavailable_us` (now None in a run without writes), and
/// `fle_decision_us` is new. Version 3 measures `client_unavailable_us` from the simulated
/// clients' operations (it was the longest gap between commits, which depends on the write
/// rate) and adds the clients and their operations. An older file is refused, not misread.
pub const SWEEP_SCHEMA: u32 = 3;

/// The output of `zabsim sweep GRID.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepResults {
    /// `SWEEP_SCHEMA`.
    pub schema: u32,
    /// The command that produced these results (shown under every chart).
    pub command: String,
    /// The grid file's name.
    pub grid_name: String,
    /// Seeds per grid point.
    pub seeds: u64,
    /// One entry per (grid point, seed), in a fixed order.
    pub runs: Vec<RunMetrics>,
}

/// One run's parameters and measurements. Times are virtual microseconds; a measurement is
/// None when the run never reached that point (no new leader, never converged...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunMetrics {
    /// Cluster size.
    pub nodes: u8,
    /// Fault kind injected: "none", "leader_crash", "follower_crash", "leader_partition",
    /// "minority_partition", "leader_pause", "slow_fsync_leader", ...
    pub fault: String,
    /// Mean one-way message delay, µs.
    pub delay_us: u64,
    /// finalizeWait, ms.
    pub finalize_wait_ms: u32,
    /// Mean fsync latency, µs.
    pub fsync_us: u64,
    /// tickTime, ms.
    pub tick_time_ms: u32,
    /// Seed.
    pub seed: u64,
    /// When the fault was injected.
    pub fault_at_us: u64,
    /// When it ended (healed, restarted, resumed), if it did.
    pub fault_end_us: Option<u64>,
    /// FLE decision time: from the fault (cold start: from 0) until the first server that went
    /// LOOKING after it decides, i.e. goes FOLLOWING or LEADING. None when no server went
    /// LOOKING and decided while the fault lasted (a follower crash in a cluster that keeps its
    /// quorum, a slow disk).
    pub fle_decision_us: Option<u64>,
    /// From the fault until a newly established leader: one that has a quorum of NEWLEADER
    /// ACKs in a new epoch (cold start: from 0 to the first). None when none was established
    /// while the fault lasted.
    pub new_leader_us: Option<u64>,
    /// lookForLeader calls from the fault to that new leader, all servers.
    pub election_rounds: u64,
    /// Messages sent from the fault to that new leader.
    pub election_messages: u64,
    /// From the fault until every healthy server (running, unpaused, reachable both ways from
    /// the newest leader) is in broadcast with that leader (cold start: from 0 until all are).
    pub all_broadcast_us: Option<u64>,
    /// Simulated ZooKeeper clients in the run (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clients: u32,
    /// The recipe they ran (`mixed`, `lock`...); empty without clients.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub recipe: String,
    /// The client-visible window: the longest time, after the fault, that one client waited
    /// for the service (`ClientWait`), to the end of the run at most; 0 when no client waited
    /// after the fault. Measured from the clients' operations, so it does not depend on how
    /// often they write as long as they keep trying (a client with nothing outstanding is not
    /// waiting). None without clients and in a cold start.
    pub client_unavailable_us: Option<u64>,
    /// Commit latency percentiles over the run, µs.
    pub commit_latency_p50_us: Option<u64>,
    /// 99th percentile.
    pub commit_latency_p99_us: Option<u64>,
    /// From the heal to convergence.
    pub converge_after_heal_us: Option<u64>,
    /// (commit time, latency) of every acknowledged write, µs; kept for the first seed of each
    /// grid point only, for the latency-over-time chart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commit_timeline: Vec<(u64, u64)>,
    /// Every client operation of the run, invocation to completion (a Jepsen-style history);
    /// kept for the first seed of each grid point only, for the client timeline chart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_ops: Vec<ClientOpSpan>,
    /// The stretches in which a client waited for the service (the client-visible windows,
    /// unclipped), kept with `client_ops`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_waits: Vec<ClientWait>,
    /// Fault windows (start, end) in µs, for shading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fault_windows: Vec<(u64, u64)>,
    /// The safety property the run broke, if any: the run stopped there, so its measurements
    /// are not those of a correct ensemble.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<SweepViolation>,
}

/// One client operation as a history entry: who, what, from invocation to completion, and
/// how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientOpSpan {
    /// The client (0-based).
    pub client: u32,
    /// The request kind: `create`, `get_data`, `sync`...
    pub kind: String,
    /// When the client invoked it, µs.
    pub invoked_us: u64,
    /// When its outcome reached the client; None if it was still pending when the run ended.
    pub completed_us: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// Whether the service answered it: any reply but ConnectionLoss, SessionExpired,
    /// SessionMoved or UnknownSession, or a connection attempt that succeeded. A NodeExists is
    /// failed but served; a lost connection is neither.
    pub served: bool,
}

/// A stretch in which one client waited for the service: an operation from its invocation to
/// its answer if it was served (`ClientOpSpan::served`), and one that was not (a lost request,
/// a refused or failed connection attempt, a lost connection) on until the client was next
/// served; overlapping or touching stretches of one client merged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientWait {
    /// The client.
    pub client: u32,
    /// From, µs.
    pub from_us: u64,
    /// To, µs (the run's end when it never was served).
    pub to_us: u64,
}

/// How a client operation ended, in Jepsen's terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpOutcome {
    /// Answered without an error (`:ok`).
    #[default]
    Ok,
    /// Definitely did not take effect (`:fail`): an error reply (NodeExists, BadVersion,
    /// SessionExpired...), or a read or sync whose connection was lost.
    Failed,
    /// May or may not have taken effect (`:info`): a write whose connection was lost
    /// (ConnectionLoss), or an operation still pending when the run ended.
    Unknown,
}

impl OpOutcome {
    /// The name charts and tables print.
    pub fn name(self) -> &'static str {
        match self {
            OpOutcome::Ok => "ok",
            OpOutcome::Failed => "failed",
            OpOutcome::Unknown => "unknown",
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A safety violation in one sweep run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepViolation {
    /// The invariant's name (`CommittedDurability`, ...).
    pub invariant: String,
    /// The violation as the checker reported it.
    pub detail: String,
    /// The command that runs this one run again and prints it.
    pub replay: String,
}

impl RunMetrics {
    /// Whether a fault was injected (any kind but "none").
    pub fn has_fault(&self) -> bool {
        self.fault != "none"
    }

    /// Whether the ensemble came back: a fault run converged after the heal, a cold start
    /// (no fault) got every server in broadcast with a leader.
    pub fn recovered(&self) -> bool {
        if self.has_fault() {
            self.converge_after_heal_us.is_some()
        } else {
            self.all_broadcast_us.is_some()
        }
    }
}

/// A fuzz campaign as the default campaign's report page shows it beside its sweep (not a
/// file format: the simulator fills it in memory).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CampaignSummary {
    /// The command that ran the campaign.
    pub command: String,
    /// Seeds run.
    pub seeds: u64,
    /// Server steps, all seeds.
    pub events: u64,
    /// Virtual time simulated, all seeds, µs.
    pub simulated_us: u64,
    /// Wall seconds the seeds took (shrinking excluded): the one figure that depends on the
    /// machine.
    pub wall_seconds: f64,
    /// Fault kinds and protocol paths with the number of seeds that took each, in the order
    /// the campaign lists them (zero when never taken).
    pub coverage: Vec<(String, u64)>,
    /// The failures worth reading: one per fingerprint.
    pub failures: Vec<CampaignFailure>,
    /// Failing seeds in all.
    pub failing_seeds: u64,
}

/// One distinct failure of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CampaignFailure {
    /// Invariant plus a coarse cause.
    pub fingerprint: String,
    /// The first seed that showed it.
    pub seed: u64,
    /// Its cluster size.
    pub nodes: u8,
    /// The violation as reported.
    pub detail: String,
    /// The command that replays the saved (shrunk) failure.
    pub replay: String,
}
