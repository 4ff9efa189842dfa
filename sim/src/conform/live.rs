//! Live trials: the `Case` as a real-ZooKeeper `TrialSpec`, each `RealTrial` read into the
//! same `Outcome` the model produces, and the trials gathered into a `Recording`.

use super::case::{Action, Case};
use super::compare::Recording;
use super::outcome::{Outcome, ServerTimes};
use super::real::{self, EnsembleSpec, EventKind, RealTrial, TrialSpec};
use std::path::Path;

/// Runs `trials` real trials of `case` (Ctrl-C stops every JVM started); `workdir` keeps the
/// servers' data and logs, else a temporary dir is used and removed.
pub fn record(case: &Case, trials: usize, workdir: Option<&Path>) -> Result<Recording, String> {
    real::preflight().map_err(|e| e.to_string())?;
    real::install_ctrlc_cleanup().map_err(|e| e.to_string())?;
    let temp = match workdir {
        Some(_) => None,
        None => Some(tempfile::tempdir().map_err(|e| format!("cannot create a temporary dir: {e}"))?),
    };
    let root = workdir.map_or_else(|| temp.as_ref().expect("made above").path().to_path_buf(), Path::to_path_buf);
    let spec = spec(case);
    let mut outcomes = Vec::with_capacity(trials);
    for i in 0..trials {
        let dir = root.join(format!("{}-{i:03}", case.name()));
        let trial = real::run_trial(&spec, &dir).map_err(|e| format!("trial {i}: {e}"))?;
        let outcome = outcome(case, &trial);
        eprintln!(
            "trial {i}: leader {:?} -> {:?}, {} ms",
            outcome.leader_before,
            outcome.leader_after,
            outcome.recovery_ms().map_or("-".to_string(), |v| format!("{v:.0}"))
        );
        outcomes.push(outcome);
    }
    Ok(Recording { case: case.clone(), zookeeper: package_version(), environment: environment(), trials: outcomes })
}

/// The real side of a case.
fn spec(case: &Case) -> TrialSpec {
    let ensemble = EnsembleSpec {
        nodes: case.nodes,
        tick_time_ms: case.tick_time_ms,
        init_limit: case.init_limit,
        sync_limit: case.sync_limit,
        start_offsets_ms: vec![0; case.nodes as usize],
    };
    match case.action {
        Action::KillLeader => TrialSpec::kill_leader(ensemble),
        Action::ColdStart => TrialSpec { ensemble, settle_ms: 30_000, actions: Vec::new(), observe_ms: 0 },
    }
}

/// A real trial in the model's terms: ms from the kill (kill_leader) or from the first
/// server's LOOKING line (cold start: the first JVM that finished booting).
pub fn outcome(case: &Case, trial: &RealTrial) -> Outcome {
    let first = trial.servers.iter().filter_map(|s| s.events.iter().find(|e| e.kind == EventKind::Looking));
    let first_looking = first.map(|e| e.at_ms).reduce(f64::min).unwrap_or(0.0);
    let (from, leader_before) = match case.action {
        Action::KillLeader => match trial.disruption() {
            Some(kill) => (kill.at_ms, Some(kill.sid)),
            None => return Outcome::default(),
        },
        Action::ColdStart => (first_looking, None),
    };
    let cold_start = leader_before.map(|_| milestones(trial, first_looking, from, None));
    let servers = milestones(trial, from, f64::INFINITY, leader_before);
    let leader_after = match case.action {
        Action::KillLeader => trial.leader_after(),
        Action::ColdStart => Some(trial.leader_before),
    };
    Outcome { leader_before, leader_after, servers, cold_start }
}

/// Each server's first LOOKING, decision, sync and broadcast in `from..until`, ms from
/// `from`; `skip` (the killed leader) left out.
fn milestones(trial: &RealTrial, from: f64, until: f64, skip: Option<u8>) -> Vec<ServerTimes> {
    let mut servers = Vec::new();
    for s in &trial.servers {
        if Some(s.sid) == skip {
            continue;
        }
        let mut t = ServerTimes { sid: s.sid, ..ServerTimes::default() };
        let mut led = false;
        for e in s.events.iter().filter(|e| e.at_ms >= from && e.at_ms < until) {
            let at = Some(e.at_ms - from);
            match &e.kind {
                EventKind::Looking if t.looking_ms.is_none() => t.looking_ms = at,
                EventKind::Following { .. } | EventKind::Leading
                    if t.looking_ms.is_some() && t.decided_ms.is_none() =>
                {
                    t.decided_ms = at;
                    led = e.kind == EventKind::Leading;
                }
                EventKind::LeaderConnectRetry { .. } | EventKind::LeaderConnected
                    if t.decided_ms.is_some() && t.setup_ms.is_none() =>
                {
                    t.setup_ms = at;
                    t.refused = Some(e.kind != EventKind::LeaderConnected);
                }
                EventKind::ServerCreated if t.decided_ms.is_some() && t.bound_ms.is_none() => t.bound_ms = at,
                EventKind::SnapshotTaken if t.decided_ms.is_some() && t.setup_ms.is_none() => t.setup_ms = at,
                EventKind::Sync { mode } if t.decided_ms.is_some() && t.sync.is_none() => {
                    t.sync = Some(format!("{mode:?}").to_uppercase())
                }
                EventKind::Broadcast if t.decided_ms.is_some() && t.broadcast_ms.is_none() => t.broadcast_ms = at,
                _ => {}
            }
        }
        if !led {
            // A follower's server object binds no quorum port.
            t.bound_ms = None;
        }
        servers.push(t);
    }
    servers
}

/// Java version and load, for the recording.
fn environment() -> String {
    let java = std::process::Command::new("java")
        .arg("-version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stderr).lines().next().map(str::to_string))
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!("{java}; 127.0.0.1; loadavg {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// The installed package, as dpkg names it (`zookeeper 3.8.0-11+deb12u2`).
fn package_version() -> String {
    std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Package} ${Version}", "zookeeper"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "zookeeper (version unknown)".to_string(), |o| String::from_utf8_lossy(&o.stdout).into_owned())
}
