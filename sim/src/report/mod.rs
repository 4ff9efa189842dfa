//! What a run measured and concluded, for the command line (text and JSON) and for sweeps.

mod coverage;
mod stats;

pub use coverage::Coverage;
pub use stats::{Stats, WriteState};

use crate::check::{Checker, Invariant, Violation};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;
use zabsim_protocol::SyncMode;

/// An epoch established by a leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeaderRecord {
    /// The epoch.
    pub epoch: u32,
    /// Its leader.
    pub leader: u8,
    /// When it was established, virtual µs.
    pub at_us: u64,
}

/// How a learner was synced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncRecord {
    /// Virtual µs of the leader's decision.
    pub at_us: u64,
    /// The leader.
    pub leader: u8,
    /// The learner.
    pub learner: u8,
    /// DIFF, TRUNC or SNAP.
    pub mode: SyncMode,
}

/// Status of one invariant at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvariantStatus {
    /// Its name.
    pub name: &'static str,
    /// "held", "violated" or "not checked".
    pub status: &'static str,
}

/// The outcome of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Seed.
    pub seed: u64,
    /// Cluster size.
    pub nodes: u8,
    /// Enabled variants.
    pub variants: Vec<&'static str>,
    /// Virtual time reached, µs.
    pub end_us: u64,
    /// Server steps executed.
    pub events: u64,
    /// Messages sent (loopback included).
    pub messages: u64,
    /// Highest FLE round any server reached.
    pub max_round: u64,
    /// lookForLeader calls.
    pub elections_started: u64,
    /// FLE decisions.
    pub decisions: u64,
    /// First server elected, and when the first decision happened.
    pub first_leader: Option<u8>,
    /// Virtual µs of the first FLE decision.
    pub first_decided_us: Option<u64>,
    /// Every established epoch, in order.
    pub leaders: Vec<LeaderRecord>,
    /// Txns committed by leaders.
    pub commits: u64,
    /// Client writes submitted, acknowledged, rejected.
    pub writes_submitted: u64,
    /// Acknowledged writes.
    pub writes_acked: u64,
    /// Rejected writes (no leader reachable from the server the client used).
    pub writes_rejected: u64,
    /// Commit latency percentiles (submit to acknowledgement), µs.
    pub commit_latency_p50_us: Option<u64>,
    /// 99th percentile.
    pub commit_latency_p99_us: Option<u64>,
    /// How learners were synced: DIFF, TRUNC, SNAP counts.
    pub sync_modes: BTreeMap<&'static str, u64>,
    /// Every sync decision, in order.
    pub syncs: Vec<SyncRecord>,
    /// (acknowledgement time, latency) of each acknowledged write, µs.
    #[serde(skip)]
    pub ack_timeline: Vec<(u64, u64)>,
    /// Values of the client writes acknowledged as committed, in acknowledgement order.
    #[serde(skip)]
    pub acked_values: Vec<u64>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
    /// What the faults did and when (a crash, its restart, a pause and its end, a targeted
    /// crash when it strikes), µs; for charts of one run.
    #[serde(skip)]
    pub fault_log: Vec<(u64, String)>,
    /// Which interesting paths the run took, and how often: fault kinds, sync modes, leader
    /// changes, elections between votes with equal zxids across epochs, crashes that dropped
    /// un-fsynced appends, step-downs... so a green campaign can be trusted.
    pub coverage: BTreeMap<&'static str, u64>,
    /// When the liveness phase began, µs.
    pub liveness_start_us: Option<u64>,
    /// When the connected quorum converged, µs.
    pub converged_at_us: Option<u64>,
    /// Why liveness was not required, if it was not.
    pub liveness_note: Option<String>,
    /// Time from the liveness phase start to an established leader with everyone synced, µs.
    pub time_to_converge_us: Option<u64>,
    /// Every invariant and whether it held.
    pub invariants: Vec<InvariantStatus>,
    /// The first violation.
    pub violation: Option<Violation>,
    /// Running hash of the trace, when traced.
    pub trace_hash: Option<String>,
    /// Each server's state at the end.
    pub final_states: Vec<String>,
    /// A trace file could not be written.
    pub trace_error: Option<String>,
    /// What the simulated clients did, in runs with clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<crate::clients::ClientReport>,
}

impl RunReport {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        scenario: &Scenario,
        mut stats: Stats,
        checker: &Checker,
        violation: Option<Violation>,
        events: u64,
        end_us: u64,
        trace_hash: Option<u64>,
        final_states: Vec<String>,
        trace_error: Option<String>,
        clients: Option<crate::clients::ClientReport>,
    ) -> RunReport {
        // One percentile definition for runs, sweeps and charts: nearest rank.
        let latencies = zabsim_reports::stats::Sample::new(std::mem::take(&mut stats.commit_latencies_us));
        let pct = |p: u32| latencies.percentile(p);
        let liveness_checked = checker.liveness.is_some();
        let invariants = Invariant::ALL
            .iter()
            .map(|inv| InvariantStatus {
                name: inv.name(),
                status: if violation.as_ref().is_some_and(|v| v.invariant == *inv) {
                    "violated"
                } else if (*inv == Invariant::Liveness && !liveness_checked)
                    || (inv.is_client_guarantee() && clients.is_none())
                {
                    "not checked"
                } else if violation.is_some() {
                    "held until the run stopped"
                } else {
                    "held"
                },
            })
            .collect();
        let sync_counts: Vec<u64> =
            SyncMode::ALL.iter().map(|mode| stats.syncs.iter().filter(|r| r.mode == *mode).count() as u64).collect();
        let sync_modes: BTreeMap<&'static str, u64> =
            SyncMode::ALL.iter().zip(&sync_counts).map(|(mode, n)| (mode.name(), *n)).collect();
        let mut paths = std::mem::take(&mut stats.coverage);
        for (mode, n) in SyncMode::ALL.into_iter().zip(sync_counts) {
            if n > 0 {
                paths.insert(Coverage::from(mode), n);
            }
        }
        if stats.leaders.len() > 1 {
            paths.insert(Coverage::LeaderChange, stats.leaders.len() as u64 - 1);
        }
        for (path, n) in [(Coverage::WriteAcked, stats.writes_acked), (Coverage::WriteRejected, stats.writes_rejected)]
        {
            if n > 0 {
                paths.insert(path, n);
            }
        }
        if stats.converged_at_us.is_some() {
            paths.insert(Coverage::ConvergedAfterHeal, 1);
        }
        if let Some(c) = &clients {
            for (path, n) in [
                (Coverage::LockCaveat, c.lock_caveats),
                (Coverage::LockCaveatExpiredAcquirer, c.lock_caveats_expired_acquirer),
                (Coverage::SyncCaveat, c.sync_caveats),
            ] {
                if n > 0 {
                    paths.insert(path, n);
                }
            }
        }
        let faults: BTreeMap<&'static str, u64> = stats.faults.iter().map(|(kind, n)| (kind.name(), *n)).collect();
        let mut coverage = faults.clone();
        coverage.extend(paths.into_iter().map(|(path, n)| (path.name(), n)));
        RunReport {
            seed: scenario.seed,
            nodes: scenario.nodes,
            variants: scenario.protocol.variants.enabled(),
            end_us,
            events,
            messages: stats.messages,
            max_round: stats.max_round,
            elections_started: stats.elections_started,
            decisions: stats.decisions,
            first_leader: stats.first_leader,
            first_decided_us: stats.first_decided_us,
            leaders: stats.leaders,
            commits: stats.commits,
            writes_submitted: stats.writes_submitted,
            writes_acked: stats.writes_acked,
            writes_rejected: stats.writes_rejected,
            commit_latency_p50_us: pct(50),
            commit_latency_p99_us: pct(99),
            sync_modes,
            syncs: stats.syncs,
            acked_values: stats.acked_values,
            ack_timeline: stats.ack_timeline,
            faults,
            fault_log: stats.fault_log,
            coverage,
            liveness_start_us: stats.liveness_start_us,
            converged_at_us: stats.converged_at_us,
            liveness_note: stats.liveness_note,
            time_to_converge_us: match (stats.liveness_start_us, stats.converged_at_us) {
                (Some(s), Some(c)) => Some(c - s),
                _ => None,
            },
            invariants,
            violation,
            trace_hash: trace_hash.map(|h| format!("{h:016x}")),
            final_states,
            trace_error,
            clients,
        }
    }

    /// Whether every checked invariant held.
    pub fn passed(&self) -> bool {
        self.violation.is_none()
    }
}
