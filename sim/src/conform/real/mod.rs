//! The real side of `zabsim conform`: runs an ensemble of real ZooKeeper 3.8 servers
//! (Debian's `zookeeper` package) on 127.0.0.1, applies a schedule of kills, pauses and
//! restarts, and reads what each server logged into timed events ([`RealTrial`]).
//!
//! This is not a simulation path: it reads the wall clock (Unix time, the clock the servers
//! stamp their logs with) and runs processes. Every JVM it starts is killed when the trial
//! ends, fails or panics, when the harness dies, and on Ctrl-C (see [`install_ctrlc_cleanup`]
//! and [`kill_all_live`]).
//!
//! ```no_run
//! use zabsim_sim::conform::real::{run_trial, Action, EnsembleSpec, TrialSpec};
//! let spec = TrialSpec::kill_leader(EnsembleSpec::together(3));
//! let trial = run_trial(&spec, std::path::Path::new("target/conform/t1")).expect("a trial");
//! println!("{:?} -> {:?} in {:?} ms", trial.leader_before, trial.leader_after(), trial.recovery_ms());
//! ```

mod ensemble;
mod logparse;
mod result;
mod trial;

pub use ensemble::{install_ctrlc_cleanup, kill_all_live, preflight, Ports, ZkInstall};
pub use logparse::{parse_log, EventKind, ServerEvent, SyncMode};
pub use result::{ActionRecord, Applied, JvmStart, RealTrial, ServerRecord};
pub use trial::run_trial;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// The ensemble: size, ZooKeeper timing, and when each JVM starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleSpec {
    /// Servers, with sids 1..=nodes.
    pub nodes: u8,
    /// `tickTime`.
    pub tick_time_ms: u32,
    /// `initLimit`, in ticks.
    pub init_limit: u32,
    /// `syncLimit`, in ticks.
    pub sync_limit: u32,
    /// Per server (index 0 is sid 1): when its JVM starts, in ms after the first start.
    pub start_offsets_ms: Vec<u64>,
}

impl EnsembleSpec {
    /// `nodes` servers started together with ZooKeeper's sample timing (tickTime 2000,
    /// initLimit 10, syncLimit 5).
    pub fn together(nodes: u8) -> EnsembleSpec {
        EnsembleSpec {
            nodes,
            tick_time_ms: 2000,
            init_limit: 10,
            sync_limit: 5,
            start_offsets_ms: vec![0; usize::from(nodes)],
        }
    }
}

/// A fault applied to the real ensemble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// SIGKILL the server that is leading when the action runs.
    KillLeader,
    /// SIGKILL server N.
    Kill(u8),
    /// SIGSTOP server `node`, SIGCONT it `duration_ms` later.
    Pause {
        /// The sid.
        node: u8,
        /// How long it stays stopped.
        duration_ms: u64,
    },
    /// [`Action::Pause`] of the server leading when the action runs.
    PauseLeader {
        /// How long it stays stopped.
        duration_ms: u64,
    },
    /// Start server N's JVM again on its data directory.
    Restart(u8),
}

/// One trial: an ensemble, how long to wait for it to settle, the faults, how long to watch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialSpec {
    /// The servers.
    pub ensemble: EnsembleSpec,
    /// The longest wait, after the last JVM start, for one leader with every server in
    /// broadcast; the actions' clock starts when that is seen.
    pub settle_ms: u64,
    /// (ms after settling, action), in any order.
    pub actions: Vec<(u64, Action)>,
    /// The longest watch after the last action; the trial ends earlier once every running
    /// server is in broadcast under one running leader (plus a short grace).
    pub observe_ms: u64,
}

impl TrialSpec {
    /// Settle (30 s at most), SIGKILL the leader 1 s later, watch for 30 s at most.
    pub fn kill_leader(ensemble: EnsembleSpec) -> TrialSpec {
        TrialSpec { ensemble, settle_ms: 30_000, actions: vec![(1000, Action::KillLeader)], observe_ms: 30_000 }
    }

    /// Checks the spec before anything is started.
    pub fn validate(&self) -> Result<(), RealError> {
        let e = &self.ensemble;
        let bad = |detail: String| Err(RealError::BadSpec { detail });
        if !(2..=15).contains(&e.nodes) {
            return bad(format!("ensemble.nodes: expected 2..=15 servers, got {}", e.nodes));
        }
        if e.start_offsets_ms.len() != usize::from(e.nodes) {
            return bad(format!(
                "ensemble.start_offsets_ms: expected one offset per server ({}), got {}",
                e.nodes,
                e.start_offsets_ms.len()
            ));
        }
        if e.tick_time_ms == 0 || e.init_limit == 0 || e.sync_limit == 0 {
            return bad("ensemble: tick_time_ms, init_limit and sync_limit must be positive".to_string());
        }
        for (i, (_, action)) in self.actions.iter().enumerate() {
            let sid = match *action {
                Action::Kill(n) | Action::Restart(n) | Action::Pause { node: n, .. } => n,
                Action::KillLeader | Action::PauseLeader { .. } => continue,
            };
            if sid == 0 || sid > e.nodes {
                return bad(format!("actions[{i}]: server {sid} is not in 1..={}", e.nodes));
            }
        }
        Ok(())
    }
}

/// Why a trial could not run. The caller maps all of these to exit code 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RealError {
    /// No `java` on PATH.
    JavaMissing,
    /// ZooKeeper or its log4j binding is not installed.
    JarsMissing {
        /// The files not found.
        missing: Vec<PathBuf>,
    },
    /// The spec is unusable (field and reason in `detail`).
    BadSpec {
        /// What is wrong.
        detail: String,
    },
    /// No free port could be had.
    CannotBind {
        /// The port tried (0: any).
        port: u16,
        /// The OS error.
        error: String,
    },
    /// A port chosen for a server was taken by someone else before the server bound it.
    PortInUse {
        /// The server.
        sid: u8,
        /// The port.
        port: u16,
        /// The OS error or ZooKeeper's complaint.
        error: String,
    },
    /// A file or directory of the trial could not be written or read.
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        error: String,
    },
    /// The JVM could not be spawned.
    SpawnFailed {
        /// The server.
        sid: u8,
        /// The OS error.
        error: String,
    },
    /// A signal could not be delivered.
    SignalFailed {
        /// The server.
        sid: u8,
        /// The OS error.
        error: String,
    },
    /// A server's JVM exited on its own (it never started, or died).
    ServerExited {
        /// The server.
        sid: u8,
        /// Its log.
        log: PathBuf,
        /// The last lines of its log and stdout.
        last_lines: String,
    },
    /// No single leader with every server in broadcast within `settle_ms`.
    NoLeader {
        /// How long it waited.
        waited_ms: u64,
        /// Each server's last state, e.g. `s1 looking, s2 following s3 (not broadcast)`.
        states: String,
        /// Where the logs are.
        workdir: PathBuf,
    },
    /// A leader-targeted action found no leader.
    NoLeaderToAct {
        /// The action.
        action: Action,
        /// Each server's state at the time.
        states: String,
    },
    /// The Ctrl-C handler could not be installed (one is already set).
    CtrlcHandler {
        /// ctrlc's error.
        error: String,
    },
}

impl fmt::Display for RealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const INSTALL: &str = "install Debian's ZooKeeper 3.8 and its JRE: apt-get install -y zookeeper";
        match self {
            RealError::JavaMissing => write!(f, "no `java` on PATH; {INSTALL}"),
            RealError::JarsMissing { missing } => {
                let list: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
                write!(f, "ZooKeeper jars missing: {}; {INSTALL}", list.join(", "))
            }
            RealError::BadSpec { detail } => write!(f, "bad trial spec: {detail}"),
            RealError::CannotBind { port, error } => write!(f, "cannot bind 127.0.0.1:{port}: {error}"),
            RealError::PortInUse { sid, port, error } => {
                write!(f, "server {sid}: port {port} is already in use ({error}); run the trial again")
            }
            RealError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            RealError::SpawnFailed { sid, error } => write!(f, "server {sid}: cannot start the JVM: {error}"),
            RealError::SignalFailed { sid, error } => write!(f, "server {sid}: cannot signal the JVM: {error}"),
            RealError::ServerExited { sid, log, last_lines } => {
                write!(f, "server {sid} exited on its own; its log is {}; last lines:\n{last_lines}", log.display())
            }
            RealError::NoLeader { waited_ms, states, workdir } => write!(
                f,
                "no leader with every server in broadcast after {waited_ms} ms ({states}); logs in {}",
                workdir.display()
            ),
            RealError::NoLeaderToAct { action, states } => {
                write!(f, "{action:?}: no server is leading ({states})")
            }
            RealError::CtrlcHandler { error } => write!(f, "cannot install the Ctrl-C handler: {error}"),
        }
    }
}

impl std::error::Error for RealError {}
