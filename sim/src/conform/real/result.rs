//! What a real trial recorded, and the figures the comparison reads off it. All times are ms
//! after t0, the first JVM spawn, in the servers' own clock (Unix time).

use super::logparse::{EventKind, ServerEvent};
use super::{Action, TrialSpec};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A JVM spawn (the first start or a restart).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JvmStart {
    /// The server.
    pub sid: u8,
    /// When it was spawned.
    pub at_ms: f64,
}

/// What the harness did to a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// SIGKILL.
    Kill,
    /// SIGSTOP (a pause begins).
    Stop,
    /// SIGCONT (a pause ends).
    Cont,
    /// A new JVM on the old data dir.
    Restart,
}

/// One action as applied, with its target resolved (`KillLeader` names the leader it killed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// When the signal was sent or the JVM spawned.
    pub at_ms: f64,
    /// The action of the spec this comes from.
    pub action: Action,
    /// The server it hit.
    pub sid: u8,
    /// What was done.
    pub applied: Applied,
}

/// One server's log, parsed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerRecord {
    /// The server.
    pub sid: u8,
    /// Its log file (kept in the workdir).
    pub log: PathBuf,
    /// Whether its JVM was running when the trial ended.
    pub running_at_end: bool,
    /// What it logged, in log order.
    pub events: Vec<ServerEvent>,
}

/// A finished real trial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealTrial {
    /// What was asked.
    pub spec: TrialSpec,
    /// t0 in ms since the Unix epoch (UTC), for reading the raw logs.
    pub t0_unix_ms: u64,
    /// Every JVM spawn.
    pub starts: Vec<JvmStart>,
    /// When one leader and every server in broadcast was first seen.
    pub settled_at_ms: f64,
    /// The leader at that moment.
    pub leader_before: u8,
    /// The actions as applied, in time order.
    pub actions: Vec<ActionRecord>,
    /// Whether, when the watch ended, every running server was in broadcast under one
    /// running leader.
    pub converged: bool,
    /// When the harness began killing every JVM to end the trial: events after this are
    /// caused by the teardown, not by the schedule.
    pub stop_at_ms: f64,
    /// When the last JVM was killed.
    pub ended_at_ms: f64,
    /// Per server, sid order.
    pub servers: Vec<ServerRecord>,
}

/// A server's role as its log shows it at some point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Nothing logged yet, or looking.
    Looking,
    /// Following the given leader (if named); `broadcast` once it logged the broadcast phase.
    Following { leader: Option<u8>, broadcast: bool },
    /// Leading; `broadcast` once established.
    Leading { broadcast: bool },
}

/// The role after the events that happened before `until_ms` (all of them for `f64::MAX`).
pub(crate) fn role_at(events: &[ServerEvent], until_ms: f64) -> Role {
    let mut role = Role::Looking;
    for e in events.iter().take_while(|e| e.at_ms <= until_ms) {
        role = match (&e.kind, role) {
            (EventKind::Looking, _) => Role::Looking,
            (EventKind::Following { leader }, _) => Role::Following { leader: *leader, broadcast: false },
            (EventKind::Leading, _) => Role::Leading { broadcast: false },
            (EventKind::Broadcast, Role::Following { leader, .. }) => Role::Following { leader, broadcast: true },
            (EventKind::Broadcast, Role::Leading { .. }) => Role::Leading { broadcast: true },
            (_, role) => role,
        };
    }
    role
}

/// `s1 looking, s2 following s3 (broadcast), ...` for error messages.
pub(crate) fn describe_roles(roles: &[(u8, bool, Role)]) -> String {
    let one = |(sid, running, role): &(u8, bool, Role)| {
        let what = match role {
            _ if !running => "not running".to_string(),
            Role::Looking => "looking".to_string(),
            Role::Following { leader, broadcast } => format!(
                "following {}{}",
                leader.map_or("?".to_string(), |l| format!("s{l}")),
                if *broadcast { " (broadcast)" } else { "" }
            ),
            Role::Leading { broadcast } => format!("leading{}", if *broadcast { " (broadcast)" } else { "" }),
        };
        format!("s{sid} {what}")
    };
    roles.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// The one leader if every running server is in broadcast under it and it is running.
pub(crate) fn established_leader(roles: &[(u8, bool, Role)]) -> Option<u8> {
    let running: Vec<&(u8, bool, Role)> = roles.iter().filter(|r| r.1).collect();
    let leaders: Vec<u8> = running
        .iter()
        .filter(|(_, _, role)| matches!(role, Role::Leading { broadcast: true }))
        .map(|(sid, _, _)| *sid)
        .collect();
    let [leader] = leaders[..] else { return None };
    let all_follow = running.iter().all(|(sid, _, role)| match role {
        Role::Leading { .. } => *sid == leader,
        Role::Following { leader: l, broadcast } => *broadcast && l.unwrap_or(leader) == leader,
        Role::Looking => false,
    });
    all_follow.then_some(leader)
}

impl RealTrial {
    /// The first action that takes a server away (kill or stop), if any: the instant the
    /// failover figures count from.
    pub fn disruption(&self) -> Option<&ActionRecord> {
        self.actions.iter().find(|a| matches!(a.applied, Applied::Kill | Applied::Stop))
    }

    /// The servers running at the end that were not the disrupted one.
    pub fn survivors(&self) -> Vec<u8> {
        let hit = self.disruption().map(|a| a.sid);
        self.servers.iter().filter(|s| s.running_at_end && Some(s.sid) != hit).map(|s| s.sid).collect()
    }

    /// The server that first reached leading-broadcast after the disruption.
    pub fn leader_after(&self) -> Option<u8> {
        let from = self.disruption()?.at_ms;
        self.servers
            .iter()
            .filter_map(|s| {
                let at = s.events.iter().find(|e| {
                    e.at_ms >= from
                        && e.kind == EventKind::Broadcast
                        && matches!(role_at(&s.events, e.at_ms), Role::Leading { .. })
                })?;
                Some((at.at_ms, s.sid))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, sid)| sid)
    }

    /// Whether the new leader is the highest sid among the survivors (FLE's tie-break when
    /// every survivor has the same zxid and epoch).
    pub fn leader_after_is_highest_survivor(&self) -> Option<bool> {
        Some(Some(self.leader_after()?) == self.survivors().into_iter().max())
    }

    /// Per survivor, the first `LEADER ELECTION TOOK` after the disruption.
    pub fn election_ms(&self) -> Vec<(u8, Option<u64>)> {
        let Some(from) = self.disruption().map(|a| a.at_ms) else { return Vec::new() };
        self.survivors()
            .into_iter()
            .map(|sid| {
                let ms = self.events(sid).iter().find_map(|e| match e.kind {
                    EventKind::ElectionTook { ms } if e.at_ms >= from => Some(ms),
                    _ => None,
                });
                (sid, ms)
            })
            .collect()
    }

    /// From the disruption until every survivor logged broadcast again; `None` if one never did.
    pub fn recovery_ms(&self) -> Option<f64> {
        let from = self.disruption()?.at_ms;
        let mut last: f64 = from;
        for sid in self.survivors() {
            let at = self.events(sid).iter().find(|e| e.at_ms >= from && e.kind == EventKind::Broadcast)?.at_ms;
            last = last.max(at);
        }
        Some(last - from)
    }

    /// From t0 until every server was first in broadcast.
    pub fn cold_start_ms(&self) -> Option<f64> {
        let mut last: f64 = 0.0;
        for s in &self.servers {
            last = last.max(s.events.iter().find(|e| e.kind == EventKind::Broadcast)?.at_ms);
        }
        Some(last)
    }

    /// Server `sid`'s events (empty for an unknown sid).
    pub fn events(&self, sid: u8) -> &[ServerEvent] {
        self.servers.iter().find(|s| s.sid == sid).map_or(&[], |s| &s.events)
    }
}

#[cfg(test)]
#[path = "result_tests.rs"]
mod tests;
