//! Process hygiene without Java: a shell script stands in for the JVM.

use super::*;
use std::os::unix::fs::PermissionsExt;

/// An install whose `java` is a script that ignores its arguments and runs `body`.
fn fake_install(dir: &Path, body: &str) -> ZkInstall {
    let java = dir.join("java");
    fs::write(&java, format!("#!/bin/sh\n{body}\n")).expect("write the fake java");
    fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).expect("chmod");
    ZkInstall { java, classpath: vec![], setpriv: find_in_path("setpriv") }
}

fn alive(pid: u32) -> bool {
    // A reaped pid has no /proc entry; a zombie would still have one, so reaping is checked too.
    Path::new(&format!("/proc/{pid}")).exists()
}

fn ensemble(dir: &Path, body: &str, nodes: u8) -> Ensemble {
    let ports = free_ports(nodes).expect("free ports");
    write_configs(dir, &ports, Timing { tick_time_ms: 2000, init_limit: 10, sync_limit: 5 }).expect("configs");
    Ensemble::new(fake_install(dir, body), dir, nodes)
}

fn pid_of(e: &Ensemble, sid: u8) -> u32 {
    e.children[usize::from(sid) - 1].as_ref().expect("running").id()
}

#[test]
fn dropping_the_ensemble_kills_and_reaps_every_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut e = ensemble(dir.path(), "exec sleep 60", 3);
    for sid in 1..=3 {
        e.start(sid).expect("start");
    }
    let pids: Vec<u32> = (1..=3).map(|sid| pid_of(&e, sid)).collect();
    assert!(pids.iter().all(|p| live().contains(p)), "registered while running");
    e.freeze(2, true).expect("SIGSTOP");
    drop(e);
    for pid in pids {
        assert!(!alive(pid), "pid {pid} survived the guard");
        assert!(!live().contains(&pid), "pid {pid} left in the registry");
    }
}

#[test]
fn a_server_that_exits_on_its_own_is_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut e = ensemble(dir.path(), "exit 3", 2);
    e.start(1).expect("start");
    let mut gone = Vec::new();
    for _ in 0..100 {
        gone = e.exited();
        if !gone.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(gone, vec![1]);
    assert!(e.exited().is_empty());
    assert!(!e.is_running(1));
    e.start(1).expect("a stopped server can be started again");
}

#[test]
fn starting_a_running_server_or_an_unknown_sid_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut e = ensemble(dir.path(), "exec sleep 60", 2);
    e.start(1).expect("start");
    assert!(matches!(e.start(1), Err(RealError::BadSpec { .. })));
    assert!(matches!(e.start(0), Err(RealError::BadSpec { .. })));
    assert!(matches!(e.kill(3), Err(RealError::BadSpec { .. })));
}

#[test]
fn a_taken_port_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let ports = Ports { client: port, quorum: port, election: port };
    match check_ports_free(2, &ports) {
        Err(RealError::PortInUse { sid: 2, port: p, .. }) => assert_eq!(p, port),
        other => panic!("expected PortInUse, got {other:?}"),
    }
}
