//! Counters collected while a run goes, and what became of each client write.

use super::{Coverage, LeaderRecord, SyncRecord};
use crate::scenario::FaultKind;
use std::collections::BTreeMap;

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
    pub(crate) syncs: Vec<SyncRecord>,
    /// Per write value (from 1): its state.
    pub(crate) write_state: Vec<WriteState>,
    /// Writes pending when the liveness phase began, and whether each still is.
    pub(crate) writes_tracked: Vec<u64>,
    pub(crate) writes_tracked_pending: usize,
    pub(crate) acked_values: Vec<u64>,
    pub(crate) faults: BTreeMap<FaultKind, u64>,
    /// What the faults did and when, µs (for charts of one run).
    pub(crate) fault_log: Vec<(u64, String)>,
    pub(crate) liveness_start_us: Option<u64>,
    pub(crate) converged_at_us: Option<u64>,
    pub(crate) liveness_note: Option<String>,
    /// Path coverage counters (see `RunReport::coverage`).
    pub(crate) coverage: BTreeMap<Coverage, u64>,
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
    pub(crate) fn cover(&mut self, what: Coverage) {
        *self.coverage.entry(what).or_default() += 1;
    }

    pub(crate) fn note_fault(&mut self, kind: FaultKind) {
        *self.faults.entry(kind).or_default() += 1;
    }
}
