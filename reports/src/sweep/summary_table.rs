//! The summary table under the sweep charts: one row per fault kind and cluster size.

use super::View;
use crate::schema::RunMetrics;
use crate::stats::Sample;

/// One row of the summary table: a fault kind at one cluster size.
pub(crate) struct SummaryRow {
    /// Fault kind.
    pub(crate) fault: String,
    /// Cluster size.
    pub(crate) nodes: u8,
    /// Runs.
    pub(crate) runs: usize,
    /// Runs that established a new leader.
    pub(crate) elected: usize,
    /// Median FLE decision time of the runs that had one, µs.
    pub(crate) median_fle_decision_us: Option<u64>,
    /// Median time to a new leader of the runs that had one, µs.
    pub(crate) median_new_leader_us: Option<u64>,
    /// Median time until every healthy server is in broadcast, µs.
    pub(crate) median_all_broadcast_us: Option<u64>,
    /// Median client unavailability, µs.
    pub(crate) median_client_unavailable_us: Option<u64>,
    /// Median over runs of each run's p99 commit latency, µs.
    pub(crate) p99_commit_us: Option<u64>,
    /// Runs that never recovered (`RunMetrics::recovered` false).
    pub(crate) never_recovered: usize,
}

/// Summary rows: fault kinds in grid order, cluster sizes ascending.
pub(crate) fn summary(view: &View<'_>) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for fault in &view.faults {
        for &nodes in &view.sizes {
            let runs: Vec<&RunMetrics> = view.runs().filter(|r| &r.fault == fault && r.nodes == nodes).collect();
            if runs.is_empty() {
                continue;
            }
            let decision = Sample::new(runs.iter().filter_map(|r| r.fle_decision_us).collect());
            let new_leader = Sample::new(runs.iter().filter_map(|r| r.new_leader_us).collect());
            let all_broadcast = Sample::new(runs.iter().filter_map(|r| r.all_broadcast_us).collect());
            let unavailable = Sample::new(runs.iter().filter_map(|r| r.client_unavailable_us).collect());
            let p99 = Sample::new(runs.iter().filter_map(|r| r.commit_latency_p99_us).collect());
            rows.push(SummaryRow {
                fault: fault.clone(),
                nodes,
                runs: runs.len(),
                elected: new_leader.len(),
                median_fle_decision_us: decision.median(),
                median_new_leader_us: new_leader.median(),
                median_all_broadcast_us: all_broadcast.median(),
                median_client_unavailable_us: unavailable.median(),
                p99_commit_us: p99.median(),
                never_recovered: runs.iter().filter(|r| !r.recovered()).count(),
            });
        }
    }
    rows
}
