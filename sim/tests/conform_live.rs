//! Real ZooKeeper 3.8 failover, measured by hand (needs `apt-get install -y zookeeper`):
//!
//! ```text
//! cargo test --release -p zabsim-sim --test conform_live -- --ignored --nocapture
//! CONFORM_TRIALS=2 CONFORM_NODES=3 cargo test ... (fewer trials, one size)
//! ```
//!
//! Per trial: the leader before and after a SIGKILL of the leader, each survivor's `LEADER
//! ELECTION TOOK`, recovery (kill until every survivor logs broadcast), whether the new
//! leader is the highest surviving sid, and the cold start; then the distributions the
//! simulator's timing model needs. Each trial's record and logs stay under
//! target/tmp/conform-live/.

use zabsim_sim::conform::real::{
    install_ctrlc_cleanup, preflight, run_trial, EnsembleSpec, EventKind, RealTrial, ServerEvent, TrialSpec,
};

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or("?".into(), |s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[test]
#[ignore = "starts real ZooKeeper JVMs (apt-get install -y zookeeper); run by hand"]
fn kill_leader_trials() {
    if let Err(e) = preflight() {
        panic!("{e}");
    }
    // One handler per process: it kills every live JVM, then exits.
    let _ = install_ctrlc_cleanup();
    let trials: usize = env_or("CONFORM_TRIALS", "5").parse().expect("CONFORM_TRIALS is a number");
    let sizes: Vec<u8> =
        env_or("CONFORM_NODES", "3,5").split(',').map(|n| n.trim().parse().expect("CONFORM_NODES: 3,5")).collect();
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("conform-live");
    let mut all = Vec::new();
    for &nodes in &sizes {
        println!("\n== {nodes} servers, started together, settle, SIGKILL the leader");
        println!("trial  load(1/5/15)    cold_ms  before after highest  recovery_ms  election_ms per survivor");
        for i in 0..trials {
            let dir = root.join(format!("n{nodes}-t{i}"));
            let _ = std::fs::remove_dir_all(&dir);
            let load_before = load();
            let trial = match run_trial(&TrialSpec::kill_leader(EnsembleSpec::together(nodes)), &dir) {
                Ok(t) => t,
                Err(e) => panic!("trial {i} of {nodes}: {e}"),
            };
            let json = serde_json::to_string_pretty(&trial).expect("serializes");
            std::fs::write(dir.join("trial.json"), json).expect("write trial.json");
            let elections: Vec<String> = trial
                .election_ms()
                .iter()
                .map(|(sid, ms)| format!("s{sid}={}", ms.map_or("-".into(), |m| m.to_string())))
                .collect();
            println!(
                "{i:>5}  {load_before:<14} {:>8}  {:>6} {:>5} {:>7}  {:>11}  {}{}\n       {}",
                fmt(trial.cold_start_ms()),
                format!("s{}", trial.leader_before),
                trial.leader_after().map_or("-".into(), |l| format!("s{l}")),
                trial.leader_after_is_highest_survivor().map_or("-".into(), |b| b.to_string()),
                fmt(trial.recovery_ms()),
                elections.join(" "),
                if trial.converged { "" } else { "  (did not converge)" },
                failover_detail(&trial)
            );
            all.push(trial);
        }
    }
    distributions(&all);
}

fn fmt(ms: Option<f64>) -> String {
    ms.map_or("-".into(), |m| format!("{m:.0}"))
}

/// Cold start is everything before the disruption; failover everything after it, up to the
/// teardown (whose kills would count as more failovers).
fn split(t: &RealTrial, events: &[ServerEvent]) -> (Vec<ServerEvent>, Vec<ServerEvent>) {
    let cut = t.disruption().map_or(f64::MAX, |a| a.at_ms);
    events.iter().filter(|e| e.at_ms < t.stop_at_ms).cloned().partition(|e| e.at_ms < cut)
}

/// The failover's facts the columns above leave out: survivors whose first vote carried a
/// nonzero zxid (FLE orders by zxid before sid) and the sync modes learners were given.
fn failover_detail(t: &RealTrial) -> String {
    let mut zxids = Vec::new();
    let mut syncs = Vec::new();
    for s in &t.servers {
        let (_, failover) = split(t, &s.events);
        if let Some(z) = failover.iter().find_map(|e| match e.kind {
            EventKind::NewElection { proposed_zxid } => Some(proposed_zxid),
            _ => None,
        }) {
            if z != 0 {
                zxids.push(format!("s{}=0x{z:x}", s.sid));
            }
        }
        syncs.extend(failover.iter().filter_map(|e| match e.kind {
            EventKind::Sync { mode } => Some(format!("s{}:{mode:?}", s.sid)),
            _ => None,
        }));
    }
    let zxids = if zxids.is_empty() { "all 0".to_string() } else { zxids.join(" ") };
    format!("zxid {zxids}; sync {}", syncs.join(" "))
}

fn distributions(all: &[RealTrial]) {
    let mut first_refused = [(0usize, 0usize); 2]; // (followers refused at least once, followers), cold / failover
    let mut retries = [Vec::new(), Vec::new()];
    let mut lost_to_looking = Vec::new();
    let mut leading_to_quorum = [Vec::new(), Vec::new()];
    let mut quorum_to_broadcast = [Vec::new(), Vec::new()];
    let mut timeouts_per_failover = Vec::new();
    let mut timeout_values = Vec::new();
    for t in all {
        let mut failover_timeouts = 0;
        for s in &t.servers {
            let (cold, failover) = split(t, &s.events);
            for (phase, events) in [cold, failover].iter().enumerate() {
                for stint in stints(events) {
                    let Some(first) = stint.first() else { continue };
                    match first.kind {
                        EventKind::Following { .. } => {
                            let n =
                                stint.iter().filter(|e| matches!(e.kind, EventKind::LeaderConnectRetry { .. })).count();
                            first_refused[phase].1 += 1;
                            first_refused[phase].0 += usize::from(n > 0);
                            retries[phase].push(n as f64);
                        }
                        EventKind::Leading => {
                            let quorum = stint.iter().find(|e| matches!(e.kind, EventKind::QuorumOfSupporters { .. }));
                            let broadcast = stint.iter().find(|e| e.kind == EventKind::Broadcast);
                            if let Some(q) = quorum {
                                leading_to_quorum[phase].push(q.at_ms - first.at_ms);
                                if let Some(b) = broadcast {
                                    quorum_to_broadcast[phase].push(b.at_ms - q.at_ms);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                for (i, e) in events.iter().enumerate() {
                    if e.kind == EventKind::ConnectionLost {
                        if let Some(l) = events[i..].iter().find(|l| l.kind == EventKind::Looking) {
                            lost_to_looking.push(l.at_ms - e.at_ms);
                        }
                    }
                    if let (1, EventKind::NotificationTimeout { ms }) = (phase, &e.kind) {
                        failover_timeouts += 1;
                        timeout_values.push(*ms as f64);
                    }
                }
            }
        }
        timeouts_per_failover.push(failover_timeouts as f64);
    }
    println!("\n== distributions over {} trials (ms unless noted)", all.len());
    for (phase, name) in ["cold start", "failover"].iter().enumerate() {
        println!(
            "(a) {name}: followers whose first leader connection was refused: {} of {}; retries per follower {}",
            first_refused[phase].0,
            first_refused[phase].1,
            summary(&retries[phase])
        );
    }
    println!("(b) follower 'Exception when following the leader' -> LOOKING: {}", summary(&lost_to_looking));
    for (phase, name) in ["cold start", "failover"].iter().enumerate() {
        println!("(c) {name}: leader LEADING -> 'Have quorum of supporters': {}", summary(&leading_to_quorum[phase]));
        println!(
            "(c) {name}: 'Have quorum of supporters' -> leading - broadcast: {}",
            summary(&quorum_to_broadcast[phase])
        );
    }
    println!(
        "(d) failover 'Notification time out' lines per trial (all servers): {}; timeouts logged: {}",
        summary(&timeouts_per_failover),
        summary(&timeout_values)
    );
}

/// Splits a server's events into role stints, each starting at Looking / Following / Leading.
fn stints(events: &[ServerEvent]) -> Vec<&[ServerEvent]> {
    let starts: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, EventKind::Looking | EventKind::Following { .. } | EventKind::Leading))
        .map(|(i, _)| i)
        .collect();
    starts.iter().enumerate().map(|(k, &s)| &events[s..starts.get(k + 1).copied().unwrap_or(events.len())]).collect()
}

fn summary(values: &[f64]) -> String {
    if values.is_empty() {
        return "n=0".into();
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
    format!("n={} min {:.0} median {:.1} max {:.0}", v.len(), v[0], median, v[v.len() - 1])
}

fn jvms_under(dir: &std::path::Path) -> usize {
    let out = std::process::Command::new("pgrep").arg("-f").arg(dir.to_string_lossy().as_ref()).output();
    out.map_or(0, |o| String::from_utf8_lossy(&o.stdout).lines().count())
}

#[test]
#[ignore = "starts real ZooKeeper JVMs (apt-get install -y zookeeper); run by hand"]
fn a_settle_timeout_is_an_error_and_leaves_no_jvm() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("conform-live/settle-timeout");
    let _ = std::fs::remove_dir_all(&dir);
    let spec = TrialSpec { settle_ms: 300, ..TrialSpec::kill_leader(EnsembleSpec::together(3)) };
    let err = run_trial(&spec, &dir).expect_err("no ensemble settles in 300 ms");
    println!("{err}");
    assert!(err.to_string().starts_with("no leader with every server in broadcast after 300 ms"), "{err}");
    assert_eq!(jvms_under(&dir), 0, "the guard killed every JVM");
}

#[test]
#[ignore = "starts real ZooKeeper JVMs (apt-get install -y zookeeper); run by hand"]
fn pauses_kills_and_restarts() {
    use zabsim_sim::conform::real::Action;
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("conform-live");
    // tickTime 500 x syncLimit 2: a follower gives up on a silent leader after 1 s.
    let fast = EnsembleSpec { tick_time_ms: 500, init_limit: 10, sync_limit: 2, ..EnsembleSpec::together(3) };
    let staggered = EnsembleSpec { start_offsets_ms: vec![3000, 1500, 0], ..fast.clone() };
    let cases = [
        ("staggered-start", staggered, vec![]),
        ("pause-leader-3s", fast.clone(), vec![(500, Action::PauseLeader { duration_ms: 3000 })]),
        ("pause-follower-3s", fast.clone(), vec![(500, Action::Pause { node: 1, duration_ms: 3000 })]),
        ("kill-1-restart", fast.clone(), vec![(500, Action::Kill(1)), (2500, Action::Restart(1))]),
    ];
    for (name, ensemble, actions) in cases {
        let dir = root.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let spec = TrialSpec { ensemble, settle_ms: 30_000, actions, observe_ms: 15_000 };
        let t = run_trial(&spec, &dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let applied: Vec<String> = t
            .actions
            .iter()
            .map(|a| format!("{:?} s{} at {:.0}", a.applied, a.sid, a.at_ms - t.settled_at_ms))
            .collect();
        println!(
            "{name}: starts [{}]; cold start {} ms; leader s{} -> {:?}; applied [{}]; recovery {} ms; converged {}",
            t.starts.iter().map(|s| format!("s{} at {:.0}", s.sid, s.at_ms)).collect::<Vec<_>>().join(", "),
            fmt(t.cold_start_ms()),
            t.leader_before,
            t.leader_after(),
            applied.join(", "),
            fmt(t.recovery_ms()),
            t.converged
        );
        std::fs::write(dir.join("trial.json"), serde_json::to_string_pretty(&t).expect("serializes")).expect("write");
        assert!(t.converged, "{name}: the ensemble came back");
        assert_eq!(jvms_under(&dir), 0);
    }
}
