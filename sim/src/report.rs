//! What a run measured and concluded, for the command line (text and JSON) and for sweeps.

use crate::check::{Checker, Invariant, Violation};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;

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
    pub mode: &'static str,
}

/// What became of one client write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteState {
    /// Not answered yet; submitted to this server.
    Pending(u8),
    /// Committed and acknowledged.
    Acked,
    /// Refused, or its connection was lost.
    Rejected,
}

/// Counters collected while the run goes.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub(crate) messages: u64,
    pub(crate) max_round: u64,
    pub(crate) elections_started: u64,
    pub(crate) decisions: u64,
    pub(crate) first_decided_us: Option<u64>,
    pub(crate) first_leader: Option<u8>,
    pub(crate) leaders: Vec<LeaderRecord>,
    pub(crate) commits: u64,
    pub(crate) writes_submitted: u64,
    pub(crate) writes_acked: u64,
    pub(crate) writes_rejected: u64,
    pub(crate) commit_latencies_us: Vec<u64>,
    pub(crate) sync_modes: [u64; 3],
    pub(crate) syncs: Vec<SyncRecord>,
    /// Per write value (from 1): its state.
    pub(crate) write_state: Vec<WriteState>,
    /// Writes pending when the liveness phase began, and whether each still is.
    pub(crate) writes_tracked: Vec<u64>,
    pub(crate) writes_tracked_pending: usize,
    pub(crate) acked_values: Vec<u64>,
    pub(crate) faults: BTreeMap<&'static str, u64>,
    pub(crate) liveness_start_us: Option<u64>,
    pub(crate) converged_at_us: Option<u64>,
    pub(crate) liveness_note: Option<String>,
    /// Path coverage counters (see `RunReport::coverage`).
    pub(crate) coverage: BTreeMap<&'static str, u64>,
    /// When leaders committed, µs (for unavailability windows).
    pub(crate) commit_times: Vec<u64>,
    /// (acknowledgement time, latency) of each acknowledged write, µs.
    pub(crate) ack_timeline: Vec<(u64, u64)>,
    /// Each server's initial vote in its latest election.
    pub(crate) latest_initial: Vec<Option<zabsim_protocol::Vote>>,
}

impl Stats {
    pub(crate) fn new(n: usize) -> Stats {
        Stats { latest_initial: vec![None; n + 1], ..Stats::default() }
    }

    /// Records the answer to write `value` (the first answer counts).
    pub(crate) fn resolve(&mut self, value: u64, state: WriteState) {
        let Some(slot) = self.write_state.get_mut(value as usize - 1) else { return };
        if !matches!(slot, WriteState::Pending(_)) {
            return;
        }
        *slot = state;
        match state {
            WriteState::Acked => self.writes_acked += 1,
            _ => self.writes_rejected += 1,
        }
        if self.writes_tracked.binary_search(&value).is_ok() {
            self.writes_tracked_pending -= 1;
        }
    }

    /// The liveness phase begins: every write still unanswered must be answered before the
    /// ensemble counts as converged.
    pub(crate) fn track_pending_writes(&mut self) {
        self.writes_tracked = (1..=self.write_state.len() as u64)
            .filter(|v| matches!(self.write_state[*v as usize - 1], WriteState::Pending(_)))
            .collect();
        self.writes_tracked_pending = self.writes_tracked.len();
    }

    /// Counts one occurrence of a covered path.
    pub(crate) fn cover(&mut self, what: &'static str) {
        *self.coverage.entry(what).or_default() += 1;
    }

    pub(crate) fn note_fault(&mut self, kind: &'static str) {
        *self.faults.entry(kind).or_default() += 1;
    }
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
    /// When leaders committed, µs.
    #[serde(skip)]
    pub commit_times: Vec<u64>,
    /// (acknowledgement time, latency) of each acknowledged write, µs.
    #[serde(skip)]
    pub ack_timeline: Vec<(u64, u64)>,
    /// Values of the client writes acknowledged as committed, in acknowledgement order.
    #[serde(skip)]
    pub acked_values: Vec<u64>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
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
    ) -> RunReport {
        stats.commit_latencies_us.sort_unstable();
        let pct = |p: usize| {
            let v = &stats.commit_latencies_us;
            (!v.is_empty()).then(|| v[((v.len() - 1) * p) / 100])
        };
        let liveness_checked = checker.liveness.is_some();
        let invariants = Invariant::ALL
            .iter()
            .map(|inv| InvariantStatus {
                name: inv.name(),
                status: if violation.as_ref().is_some_and(|v| v.invariant == *inv) {
                    "violated"
                } else if *inv == Invariant::Liveness && !liveness_checked {
                    "not checked"
                } else if violation.is_some() {
                    "held until the run stopped"
                } else {
                    "held"
                },
            })
            .collect();
        let sync_modes: BTreeMap<&'static str, u64> =
            ["DIFF", "TRUNC", "SNAP"].iter().zip(stats.sync_modes).map(|(k, v)| (*k, v)).collect();
        let mut coverage = std::mem::take(&mut stats.coverage);
        for (kind, n) in &stats.faults {
            coverage.insert(kind, *n);
        }
        for (mode, n) in &sync_modes {
            if *n > 0 {
                coverage.insert(
                    ["sync_diff", "sync_trunc", "sync_snap"]
                        [["DIFF", "TRUNC", "SNAP"].iter().position(|m| m == mode).unwrap_or(0)],
                    *n,
                );
            }
        }
        if stats.leaders.len() > 1 {
            coverage.insert("leader_change", stats.leaders.len() as u64 - 1);
        }
        for (key, n) in [("write_acked", stats.writes_acked), ("write_rejected", stats.writes_rejected)] {
            if n > 0 {
                coverage.insert(key, n);
            }
        }
        if stats.converged_at_us.is_some() {
            coverage.insert("converged_after_heal", 1);
        }
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
            commit_times: stats.commit_times,
            ack_timeline: stats.ack_timeline,
            faults: stats.faults,
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
        }
    }

    /// Whether every checked invariant held.
    pub fn passed(&self) -> bool {
        self.violation.is_none()
    }
}
