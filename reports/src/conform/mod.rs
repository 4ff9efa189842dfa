//! The conformance page (`zabsim conform --out DIR`): real ZooKeeper beside zabsim on the same
//! schedule. The simulator fills a [`ConformReport`] from its comparison; this module checks it,
//! draws the recovery-time CDF of real against simulated runs ([`recovery_cdf`]) and writes the
//! page ([`page`]) with each case's per-trial table and summary.

mod page;
mod recovery_cdf;

use crate::error::ReportError;
use serde::{Deserialize, Serialize};

pub(crate) use recovery_cdf::RecoveryCdf;

/// What `zabsim conform` compared: one entry per case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConformReport {
    /// The command that produced it (shown under the chart).
    pub command: String,
    /// The cases, in the order they were compared; one chart panel each.
    pub cases: Vec<ConformCase>,
}

/// One case (a schedule such as "kill the leader of 3 servers") run by real ZooKeeper and by
/// zabsim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConformCase {
    /// Short name: `kill-leader-3`, `cold-start-5`.
    pub name: String,
    /// What the recovery time measures in this case, as a phrase: "from the SIGKILL of the
    /// leader until every survivor is in broadcast".
    pub measured: String,
    /// Who ran the real trials: "ZooKeeper 3.8.0 (Debian)".
    pub real_label: String,
    /// Who ran the simulated ones: "zabsim, default costs".
    pub sim_label: String,
    /// Real trials run (some may never have recovered: fewer values than trials).
    pub real_runs: usize,
    /// Recovery time of each real trial that recovered, ms.
    pub real_ms: Vec<f64>,
    /// Free-running simulated runs (seeds).
    pub sim_runs: usize,
    /// Recovery time of each simulated run that recovered, ms.
    pub sim_ms: Vec<f64>,
    /// Per real trial, the real outcome beside the model replaying that trial.
    pub rows: Vec<ConformRow>,
    /// The figures under the table.
    pub summary: ConformSummary,
}

/// One real trial beside the model replaying its measured start and shutdown times.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConformRow {
    /// Trial index (the replay's seed).
    pub trial: usize,
    /// The leader real ZooKeeper ended with.
    pub real_leader: Option<u8>,
    /// The leader the replay ended with.
    pub sim_leader: Option<u8>,
    /// Real recovery time, ms.
    pub real_ms: Option<f64>,
    /// The replay's recovery time, ms.
    pub sim_ms: Option<f64>,
    /// Real FLE decision time per counted server (LOOKING to FOLLOWING/LEADING), ms.
    pub real_decision_ms: Vec<f64>,
    /// How each real learner was synced: `s1:DIFF`.
    pub real_syncs: Vec<String>,
}

/// Median, smallest and largest of a set of times, ms (all zero when `n` is 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConformSpread {
    /// Values.
    pub n: usize,
    /// Median.
    pub median_ms: f64,
    /// Smallest.
    pub min_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// A case's summary: leader agreement, and recovery and decision times side by side.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConformSummary {
    /// Real trials whose leader the replay matched.
    pub same_leader: usize,
    /// The same, percent of the real trials.
    pub same_leader_pct: f64,
    /// Real trials that did not elect the highest surviving sid.
    pub real_not_highest: usize,
    /// Of those, how many the replay matched.
    pub not_highest_matched: usize,
    /// Real recovery time.
    pub real_recovery: ConformSpread,
    /// The model replaying each real trial.
    pub replay_recovery: ConformSpread,
    /// The model running free (the CDF's simulated line).
    pub sim_recovery: ConformSpread,
    /// Free simulated median / real median (0 when there is no real median).
    pub ratio: f64,
    /// Real FLE decision time per counted server.
    pub real_decision: ConformSpread,
    /// The same, model running free.
    pub sim_decision: ConformSpread,
    /// Share of free simulated runs whose new leader was not the highest surviving sid, percent.
    pub sim_not_highest_pct: f64,
}

/// Checks what the chart and page rely on, naming the case and field at fault.
pub(crate) fn validate(report: &ConformReport) -> Result<(), ReportError> {
    if report.cases.is_empty() {
        return Err(ReportError::bad("conform report: cases", "no cases, expected at least one"));
    }
    for (i, c) in report.cases.iter().enumerate() {
        let at = |field: &str| format!("cases[{i}].{field}");
        if c.name.trim().is_empty() {
            return Err(ReportError::bad(at("name"), "expected a case name (\"kill-leader-3\"), got an empty string"));
        }
        for (field, values, runs, runs_field) in
            [("real_ms", &c.real_ms, c.real_runs, "real_runs"), ("sim_ms", &c.sim_ms, c.sim_runs, "sim_runs")]
        {
            if values.is_empty() {
                return Err(ReportError::bad(at(field), "no recovery times, expected at least one"));
            }
            if let Some((k, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
                return Err(ReportError::bad(
                    format!("{}[{k}]", at(field)),
                    format!("expected a time of 0 ms or more, got {v}"),
                ));
            }
            if runs < values.len() {
                return Err(ReportError::bad(
                    at(runs_field),
                    format!("{runs} runs, fewer than the {} values of {field}", values.len()),
                ));
            }
        }
        for (k, r) in c.rows.iter().enumerate() {
            for (field, v) in [("real_ms", r.real_ms), ("sim_ms", r.sim_ms)] {
                if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
                    return Err(ReportError::bad(
                        format!("cases[{i}].rows[{k}].{field}"),
                        format!("expected a time of 0 ms or more, got {}", v.unwrap_or_default()),
                    ));
                }
            }
        }
    }
    Ok(())
}

pub(crate) use page::page;
