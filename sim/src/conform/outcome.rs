//! What one trial showed, in the same terms for real ZooKeeper (read off its logs) and for
//! zabsim (read off the simulated servers). Times are ms from the trial's reference instant:
//! the kill for `kill_leader`, the first server's start for `cold_start`.

use serde::{Deserialize, Serialize};

/// One server's milestones in a trial, ms from the reference instant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerTimes {
    /// Server id.
    pub sid: u8,
    /// Its process started (cold start only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<f64>,
    /// It went LOOKING (after the kill: the end of its role's shutdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub looking_ms: Option<f64>,
    /// FLE decided: it went FOLLOWING or LEADING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_ms: Option<f64>,
    /// It reached broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast_ms: Option<f64>,
    /// The end of its role's set-up: a learner's first connection attempt answered (refused
    /// or connected), a leader's acceptor starting (`Snapshot taken`). Recorded for the cold
    /// start before a kill, whose races decide who is SNAPped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_ms: Option<f64>,
    /// A learner's first connection attempt of the role was refused (the leader had not yet
    /// bound its quorum port): it retried 100 ms later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<bool>,
    /// A leader's `Created server with tickTime` line: `new Leader` binds the quorum port
    /// some ms later (the model replays 5 ms: learners' first attempts 4 ms after the line were
    /// refused, 5 ms after connected, in warm failovers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_ms: Option<f64>,
    /// How it was synced: DIFF, TRUNC or SNAP (the leader has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<String>,
}

/// One trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The leader before the kill (kill_leader only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_before: Option<u8>,
    /// The leader the trial ended with.
    pub leader_after: Option<u8>,
    /// Per server, by id.
    pub servers: Vec<ServerTimes>,
    /// kill_leader: how the ensemble first came up, every server, ms from the first LOOKING
    /// line. It decides which survivor has the newest zxid after the kill: a learner that
    /// synced after the leader's NEWLEADER quorum got SNAP and the leader's lastProcessedZxid
    /// (README "Fidelity"), so the replay starts each server when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start: Option<Vec<ServerTimes>>,
}

impl Outcome {
    /// The servers that count: every server for a cold start, the survivors after a kill.
    pub fn counted(&self) -> impl Iterator<Item = &ServerTimes> {
        self.servers.iter().filter(move |s| Some(s.sid) != self.leader_before)
    }

    /// Until every counted server is in broadcast: the recovery time after a kill, the
    /// cold-start time from the first start.
    pub fn recovery_ms(&self) -> Option<f64> {
        self.counted().map(|s| s.broadcast_ms).try_fold(0.0f64, |acc, b| b.map(|b| acc.max(b)))
    }

    /// Per counted server, the FLE decision time: LOOKING to FOLLOWING/LEADING.
    pub fn decision_ms(&self) -> Vec<f64> {
        self.counted().filter_map(|s| Some(s.decided_ms? - s.looking_ms?)).collect()
    }

    /// From the first decision to the last server in broadcast: the work after the election.
    pub fn after_decision_ms(&self) -> Option<f64> {
        let first = self.counted().filter_map(|s| s.decided_ms).reduce(f64::min)?;
        Some(self.recovery_ms()? - first)
    }

    /// The highest sid among the counted servers.
    pub fn highest_counted(&self) -> Option<u8> {
        self.counted().map(|s| s.sid).max()
    }
}
