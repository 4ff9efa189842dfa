//! The JVMs of one real ensemble: finding Java and ZooKeeper, free ports, one directory per
//! server, starting, signalling and stopping the processes, and a process-wide registry of
//! live JVMs so that a Ctrl-C handler can kill them.
//!
//! Hygiene, in three layers: the [`Ensemble`] guard kills (SIGKILL) and reaps every JVM when
//! it is dropped (trial end, error, panic); each JVM is started through `setpriv
//! --pdeathsig KILL`, so the kernel kills it if the harness dies (the workspace forbids
//! `unsafe`, which rules out `prctl` in `pre_exec`); and [`kill_all_live`] kills every
//! registered JVM from a signal handler.

use super::RealError;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// Where Debian's `zookeeper` package puts what a server needs.
const JARS: [&str; 3] =
    ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"];
const CONF_DIR: &str = "/etc/zookeeper/conf";
const MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// A usable Java and ZooKeeper installation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkInstall {
    /// The `java` launcher.
    pub java: PathBuf,
    /// The JVM classpath: the config dir, ZooKeeper, and the log4j binding (without which
    /// ZooKeeper logs nothing).
    pub classpath: Vec<PathBuf>,
    /// `setpriv`, to give each JVM a parent-death signal; `None` if util-linux is missing
    /// (then only the guard and the Ctrl-C registry protect against stray JVMs).
    pub setpriv: Option<PathBuf>,
}

/// Finds Java and the ZooKeeper jars; the error names what is missing and what to install.
pub fn preflight() -> Result<ZkInstall, RealError> {
    let java = find_in_path("java").ok_or(RealError::JavaMissing)?;
    let missing: Vec<PathBuf> = JARS.iter().map(PathBuf::from).filter(|p| !p.is_file()).collect();
    if !missing.is_empty() {
        return Err(RealError::JarsMissing { missing });
    }
    let mut classpath = vec![PathBuf::from(CONF_DIR)];
    classpath.extend(JARS.iter().map(PathBuf::from));
    Ok(ZkInstall { java, classpath, setpriv: find_in_path("setpriv") })
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// The three ports of one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    /// Clients.
    pub client: u16,
    /// Followers connect to the leader here (`server.N=host:QUORUM:ELECTION`).
    pub quorum: u16,
    /// Leader election (FLE) connections.
    pub election: u16,
}

/// Distinct free ports for `nodes` servers: all listeners are held at once, so the kernel
/// cannot hand out one port twice, then released for ZooKeeper to bind.
pub fn free_ports(nodes: u8) -> Result<Vec<Ports>, RealError> {
    let mut held = Vec::new();
    for _ in 0..usize::from(nodes) * 3 {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| RealError::CannotBind { port: 0, error: e.to_string() })?;
        let port = listener.local_addr().map_err(|e| RealError::CannotBind { port: 0, error: e.to_string() })?.port();
        held.push((listener, port));
    }
    let ports: Vec<u16> = held.iter().map(|(_, p)| *p).collect();
    Ok(ports.chunks(3).map(|c| Ports { client: c[0], quorum: c[1], election: c[2] }).collect())
}

/// Fails with [`RealError::PortInUse`] if someone took one of `ports` since it was chosen.
pub fn check_ports_free(sid: u8, ports: &Ports) -> Result<(), RealError> {
    for port in [ports.client, ports.quorum, ports.election] {
        if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
            return Err(RealError::PortInUse { sid, port, error: e.to_string() });
        }
    }
    Ok(())
}

/// ZooKeeper timing for every server's zoo.cfg.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// `tickTime`.
    pub tick_time_ms: u32,
    /// `initLimit` in ticks.
    pub init_limit: u32,
    /// `syncLimit` in ticks.
    pub sync_limit: u32,
}

/// Writes `workdir/sN/{zoo.cfg, log4j.properties, data/myid}` for every server.
pub fn write_configs(workdir: &Path, ports: &[Ports], timing: Timing) -> Result<(), RealError> {
    let io = |path: &Path, e: std::io::Error| RealError::Io { path: path.to_path_buf(), error: e.to_string() };
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("server.{}=127.0.0.1:{}:{}\n", i + 1, p.quorum, p.election))
        .collect();
    for (i, p) in ports.iter().enumerate() {
        let dir = server_dir(workdir, i as u8 + 1);
        let data = dir.join("data");
        fs::create_dir_all(&data).map_err(|e| io(&data, e))?;
        let myid = data.join("myid");
        fs::write(&myid, format!("{}\n", i + 1)).map_err(|e| io(&myid, e))?;
        let cfg = format!(
            "tickTime={}\ninitLimit={}\nsyncLimit={}\ndataDir={}\nclientPort={}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n4lw.commands.whitelist=*\n{servers}",
            timing.tick_time_ms,
            timing.init_limit,
            timing.sync_limit,
            data.display(),
            p.client
        );
        let cfg_path = dir.join("zoo.cfg");
        fs::write(&cfg_path, cfg).map_err(|e| io(&cfg_path, e))?;
        let log4j = "log4j.rootLogger=INFO, FILE\n\
                     log4j.appender.FILE=org.apache.log4j.FileAppender\n\
                     log4j.appender.FILE.File=${zk.logfile}\n\
                     log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n\
                     log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n";
        let log4j_path = dir.join("log4j.properties");
        fs::write(&log4j_path, log4j).map_err(|e| io(&log4j_path, e))?;
    }
    Ok(())
}

/// `workdir/sN`.
pub fn server_dir(workdir: &Path, sid: u8) -> PathBuf {
    workdir.join(format!("s{sid}"))
}

/// `workdir/sN/server.log` (appended to across restarts).
pub fn log_path(workdir: &Path, sid: u8) -> PathBuf {
    server_dir(workdir, sid).join("server.log")
}

/// Pids of JVMs started and not yet reaped, for [`kill_all_live`]. A pid leaves only after
/// `wait` has reaped it, so a pid here never names a recycled process.
static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

fn live() -> std::sync::MutexGuard<'static, BTreeSet<u32>> {
    // A panic while holding the lock leaves the set intact; keep using it.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// SIGKILLs every JVM any trial in this process has started and not yet reaped. Safe to
/// call from a Ctrl-C handler (ctrlc runs handlers on an ordinary thread), and the thing to
/// call from the caller's own handler, since a process may set only one.
pub fn kill_all_live() {
    for &pid in live().iter() {
        let _ = send(pid, Signal::SIGKILL);
    }
}

/// Installs a Ctrl-C (SIGINT/SIGTERM) handler that kills every live JVM and exits with 130.
/// For a binary that has no handler of its own; one that has calls [`kill_all_live`] from it.
pub fn install_ctrlc_cleanup() -> Result<(), RealError> {
    ctrlc::set_handler(|| {
        kill_all_live();
        std::process::exit(130);
    })
    .map_err(|e| RealError::CtrlcHandler { error: e.to_string() })
}

fn send(pid: u32, signal: Signal) -> nix::Result<()> {
    let pid = i32::try_from(pid).map_err(|_| nix::errno::Errno::ESRCH)?;
    kill(Pid::from_raw(pid), signal)
}

/// The running servers of one trial; dropping it kills and reaps them all.
pub struct Ensemble {
    install: ZkInstall,
    workdir: PathBuf,
    children: Vec<Option<Child>>,
}

impl Ensemble {
    /// An ensemble of `nodes` servers, none running yet.
    pub fn new(install: ZkInstall, workdir: &Path, nodes: u8) -> Ensemble {
        Ensemble { install, workdir: workdir.to_path_buf(), children: (0..nodes).map(|_| None).collect() }
    }

    /// Starts server `sid`'s JVM on its directory (a restart keeps the data dir and appends to
    /// the log).
    pub fn start(&mut self, sid: u8) -> Result<(), RealError> {
        if self.slot(sid)?.is_some() {
            return Err(RealError::BadSpec { detail: format!("server {sid} is already running") });
        }
        let dir = server_dir(&self.workdir, sid);
        let io = |path: &Path, e: std::io::Error| RealError::Io { path: path.to_path_buf(), error: e.to_string() };
        let out_path = dir.join("stdout.log");
        let out = fs::OpenOptions::new().create(true).append(true).open(&out_path).map_err(|e| io(&out_path, e))?;
        let err = out.try_clone().map_err(|e| io(&out_path, e))?;
        let classpath = std::env::join_paths(&self.install.classpath)
            .map_err(|e| RealError::Io { path: dir.clone(), error: e.to_string() })?;
        let mut command = match &self.install.setpriv {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.arg("--pdeathsig").arg("KILL").arg(&self.install.java);
                c
            }
            None => Command::new(&self.install.java),
        };
        command
            // Log timestamps in UTC, so they compare with the harness's clock without a zone.
            .arg("-Duser.timezone=UTC")
            .arg(format!("-Dzk.logfile={}", log_path(&self.workdir, sid).display()))
            .arg(format!("-Dlog4j.configuration=file:{}", dir.join("log4j.properties").display()))
            .arg("-cp")
            .arg(classpath)
            .arg(MAIN_CLASS)
            .arg(dir.join("zoo.cfg"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group: a terminal's Ctrl-C reaches the harness only, which then
            // kills the JVMs itself (rather than racing their shutdown hooks).
            .process_group(0);
        let slot = self.slot(sid)?;
        let mut registry = live();
        let child = command.spawn().map_err(|e| RealError::SpawnFailed { sid, error: e.to_string() })?;
        registry.insert(child.id());
        *slot = Some(child);
        Ok(())
    }

    /// SIGKILLs server `sid` and reaps it; a server that is not running is left alone.
    pub fn kill(&mut self, sid: u8) -> Result<(), RealError> {
        if let Some(mut child) = self.slot(sid)?.take() {
            reap(&mut child);
        }
        Ok(())
    }

    /// SIGSTOP (`stop`) or SIGCONT (`!stop`) to server `sid`.
    pub fn freeze(&mut self, sid: u8, stop: bool) -> Result<(), RealError> {
        let signal = if stop { Signal::SIGSTOP } else { Signal::SIGCONT };
        if let Some(child) = self.slot(sid)? {
            send(child.id(), signal).map_err(|e| RealError::SignalFailed { sid, error: e.to_string() })?;
        }
        Ok(())
    }

    /// Whether server `sid` has a JVM that has not exited.
    pub fn is_running(&mut self, sid: u8) -> bool {
        match self.slot(sid) {
            Ok(Some(child)) => matches!(child.try_wait(), Ok(None)),
            _ => false,
        }
    }

    /// The sids whose JVM has exited on its own since it was started (reaped here).
    pub fn exited(&mut self) -> Vec<u8> {
        let mut gone = Vec::new();
        for (i, slot) in self.children.iter_mut().enumerate() {
            if let Some(child) = slot {
                if !matches!(child.try_wait(), Ok(None)) {
                    live().remove(&child.id());
                    *slot = None;
                    gone.push(i as u8 + 1);
                }
            }
        }
        gone
    }

    /// Kills and reaps every server.
    pub fn stop_all(&mut self) {
        for child in self.children.iter_mut().filter_map(Option::take).collect::<Vec<_>>().iter_mut() {
            reap(child);
        }
    }

    fn slot(&mut self, sid: u8) -> Result<&mut Option<Child>, RealError> {
        let nodes = self.children.len();
        usize::from(sid)
            .checked_sub(1)
            .and_then(|i| self.children.get_mut(i))
            .ok_or(RealError::BadSpec { detail: format!("server {sid} is not in 1..={nodes}") })
    }
}

fn reap(child: &mut Child) {
    // SIGKILL ends even a stopped (paused) JVM.
    let _ = child.kill();
    let _ = child.wait();
    live().remove(&child.id());
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[cfg(test)]
#[path = "ensemble_tests.rs"]
mod tests;
