//! One real trial, start to end: configs, JVM starts at their offsets, waiting for a settled
//! ensemble by polling the logs, the actions at their times, the watch, and the records.

use super::ensemble::{check_ports_free, free_ports, log_path, preflight, server_dir, write_configs, Ensemble, Timing};
use super::logparse::parse_log;
use super::result::{
    describe_roles, established_leader, role_at, ActionRecord, Applied, JvmStart, RealTrial, Role, ServerRecord,
};
use super::{Action, RealError, TrialSpec};
use crate::wallclock::unix_now_us;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// How often the logs are read while waiting.
const POLL_MS: u64 = 50;
/// After the last action, the watch lasts at least this long (a follower notices a killed
/// leader only when its socket read fails).
const OBSERVE_MIN_MS: f64 = 300.0;
/// Once converged, keep the servers this much longer so late lines reach the logs.
const GRACE_MS: u64 = 500;

struct Clock {
    t0_unix_us: u64,
}

impl Clock {
    fn now_ms(&self) -> f64 {
        (unix_now_us() as f64 - self.t0_unix_us as f64) / 1000.0
    }

    fn sleep_until(&self, at_ms: f64) {
        let left = at_ms - self.now_ms();
        if left > 0.0 {
            std::thread::sleep(Duration::from_micros((left * 1000.0) as u64));
        }
    }
}

/// Runs one trial in `workdir` (created if needed; the server logs stay there). Every JVM is
/// killed before this returns, whatever happens. Blocks for the whole trial (seconds); the
/// parent-death signal is tied to the calling thread, so call it from a thread that outlives
/// the call (any ordinary caller does).
pub fn run_trial(spec: &TrialSpec, workdir: &Path) -> Result<RealTrial, RealError> {
    spec.validate()?;
    let install = preflight()?;
    let e = &spec.ensemble;
    fs::create_dir_all(workdir).map_err(|err| RealError::Io { path: workdir.to_path_buf(), error: err.to_string() })?;
    let ports = free_ports(e.nodes)?;
    let timing = Timing { tick_time_ms: e.tick_time_ms, init_limit: e.init_limit, sync_limit: e.sync_limit };
    write_configs(workdir, &ports, timing)?;
    let quorum_ports: Vec<(u16, u8)> = ports.iter().zip(1..).map(|(p, sid)| (p.quorum, sid)).collect();
    let sids: Vec<u8> = (1..=e.nodes).collect();
    let mut run = Run {
        ensemble: Ensemble::new(install, workdir, e.nodes),
        workdir,
        quorum_ports,
        sids,
        clock: Clock { t0_unix_us: unix_now_us() },
    };

    let mut starts = Vec::new();
    let mut order: Vec<(u64, u8)> = e.start_offsets_ms.iter().copied().zip(1..).collect();
    order.sort();
    for (offset_ms, sid) in order {
        run.clock.sleep_until(offset_ms as f64);
        check_ports_free(sid, &ports[usize::from(sid) - 1])?;
        let at_ms = run.clock.now_ms();
        run.ensemble.start(sid)?;
        starts.push(JvmStart { sid, at_ms });
    }

    let settle_from = run.clock.now_ms();
    let (settled_at_ms, leader_before) = loop {
        run.check_no_exit()?;
        let roles = run.roles();
        if let Some(leader) = established_leader(&roles) {
            break (run.clock.now_ms(), leader);
        }
        if run.clock.now_ms() - settle_from > spec.settle_ms as f64 {
            return Err(RealError::NoLeader {
                waited_ms: spec.settle_ms,
                states: describe_roles(&roles),
                workdir: workdir.to_path_buf(),
            });
        }
        run.clock.sleep_until(run.clock.now_ms() + POLL_MS as f64);
    };

    // Pending operations: (ms after settling, action, resolved target for a pause's SIGCONT).
    let mut pending: Vec<(u64, Action, Option<u8>)> = spec.actions.iter().map(|&(at, a)| (at, a, None)).collect();
    let mut actions = Vec::new();
    while !pending.is_empty() {
        let next = (0..pending.len()).min_by_key(|&i| pending[i].0).unwrap_or(0);
        let (at, action, cont_of) = pending.remove(next);
        run.clock.sleep_until(settled_at_ms + at as f64);
        if let Some(sid) = cont_of {
            actions.push(run.apply(action, sid, Applied::Cont)?);
            continue;
        }
        let record = match action {
            Action::Kill(sid) => run.apply(action, sid, Applied::Kill)?,
            Action::KillLeader => {
                let sid = run.leader_now(action)?;
                run.apply(action, sid, Applied::Kill)?
            }
            Action::Restart(sid) => run.apply(action, sid, Applied::Restart)?,
            Action::Pause { node, duration_ms } => {
                pending.push((at + duration_ms, action, Some(node)));
                run.apply(action, node, Applied::Stop)?
            }
            Action::PauseLeader { duration_ms } => {
                let sid = run.leader_now(action)?;
                pending.push((at + duration_ms, action, Some(sid)));
                run.apply(action, sid, Applied::Stop)?
            }
        };
        actions.push(record);
    }

    let last_action_ms = actions.last().map_or(settled_at_ms, |a: &ActionRecord| a.at_ms);
    let converged = loop {
        let now = run.clock.now_ms();
        if now - last_action_ms >= OBSERVE_MIN_MS && established_leader(&run.roles()).is_some() {
            run.clock.sleep_until(now + GRACE_MS as f64);
            break true;
        }
        if now - last_action_ms > spec.observe_ms as f64 {
            break false;
        }
        run.clock.sleep_until(now + POLL_MS as f64);
    };

    let running: Vec<bool> = run.sids.clone().into_iter().map(|sid| run.ensemble.is_running(sid)).collect();
    let stop_at_ms = run.clock.now_ms();
    run.ensemble.stop_all();
    let ended_at_ms = run.clock.now_ms();
    let servers = run
        .sids
        .iter()
        .zip(running)
        .map(|(&sid, running_at_end)| ServerRecord {
            sid,
            log: log_path(workdir, sid),
            running_at_end,
            events: run.events(sid),
        })
        .collect();
    Ok(RealTrial {
        spec: spec.clone(),
        t0_unix_ms: run.clock.t0_unix_us / 1000,
        starts,
        settled_at_ms,
        leader_before,
        actions,
        converged,
        stop_at_ms,
        ended_at_ms,
        servers,
    })
}

struct Run<'a> {
    ensemble: Ensemble,
    workdir: &'a Path,
    quorum_ports: Vec<(u16, u8)>,
    sids: Vec<u8>,
    clock: Clock,
}

impl Run<'_> {
    fn events(&self, sid: u8) -> Vec<super::ServerEvent> {
        let text = fs::read_to_string(log_path(self.workdir, sid)).unwrap_or_default();
        parse_log(&text, self.clock.t0_unix_us, &self.quorum_ports)
    }

    /// (sid, running, role now) for every server.
    fn roles(&mut self) -> Vec<(u8, bool, Role)> {
        let sids = self.sids.clone();
        sids.into_iter().map(|sid| (sid, self.ensemble.is_running(sid), role_at(&self.events(sid), f64::MAX))).collect()
    }

    fn leader_now(&mut self, action: Action) -> Result<u8, RealError> {
        let roles = self.roles();
        let leading: Vec<u8> = roles
            .iter()
            .filter(|(_, running, role)| *running && matches!(role, Role::Leading { .. }))
            .map(|r| r.0)
            .collect();
        match leading[..] {
            [sid] => Ok(sid),
            _ => Err(RealError::NoLeaderToAct { action, states: describe_roles(&roles) }),
        }
    }

    fn apply(&mut self, action: Action, sid: u8, applied: Applied) -> Result<ActionRecord, RealError> {
        let at_ms = self.clock.now_ms();
        match applied {
            Applied::Kill => self.ensemble.kill(sid)?,
            Applied::Stop => self.ensemble.freeze(sid, true)?,
            Applied::Cont => self.ensemble.freeze(sid, false)?,
            Applied::Restart => self.ensemble.start(sid)?,
        }
        Ok(ActionRecord { at_ms, action, sid, applied })
    }

    /// Fails with the server's last log lines if a JVM exited on its own.
    fn check_no_exit(&mut self) -> Result<(), RealError> {
        let Some(&sid) = self.ensemble.exited().first() else { return Ok(()) };
        let log = log_path(self.workdir, sid);
        let mut tail = String::new();
        for path in [log.clone(), server_dir(self.workdir, sid).join("stdout.log")] {
            let text = fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(15);
            tail.push_str(&format!("--- {}\n{}\n", path.display(), lines[from..].join("\n")));
        }
        if tail.contains("Address already in use") {
            return Err(RealError::PortInUse { sid, port: 0, error: format!("the JVM could not bind:\n{tail}") });
        }
        Err(RealError::ServerExited { sid, log, last_lines: tail })
    }
}
