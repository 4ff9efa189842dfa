//! The failover figures read off a hand-built trial: s3 leads, is killed at 1000 ms, s2 wins.

use super::*;
use crate::conform::real::{EnsembleSpec, SyncMode};

fn ev(at_ms: f64, kind: EventKind) -> ServerEvent {
    ServerEvent { at_ms, kind }
}

fn follower_then(sid: u8, new_leader: u8, took_ms: u64, broadcast_at: f64) -> ServerRecord {
    use EventKind as K;
    let events = vec![
        ev(100.0, K::Looking),
        ev(300.0, K::Following { leader: Some(3) }),
        ev(400.0, K::Broadcast),
        ev(1010.0, K::ConnectionLost),
        ev(1020.0, K::Looking),
        ev(1240.0, K::Following { leader: Some(new_leader) }),
        ev(1241.0, K::ElectionTook { ms: took_ms }),
        ev(1300.0, K::Sync { mode: SyncMode::Diff }),
        ev(broadcast_at, K::Broadcast),
    ];
    ServerRecord { sid, log: PathBuf::new(), running_at_end: true, events }
}

fn trial() -> RealTrial {
    use EventKind as K;
    let mut s2 = follower_then(2, 2, 230, 1330.0);
    s2.events.truncate(5);
    s2.events.extend([
        ev(1240.0, K::Leading),
        ev(1241.0, K::ElectionTook { ms: 220 }),
        ev(1310.0, K::QuorumOfSupporters { sids: vec![1, 2] }),
        ev(1330.0, K::Broadcast),
    ]);
    let s3 = ServerRecord {
        sid: 3,
        log: PathBuf::new(),
        running_at_end: false,
        events: vec![ev(100.0, K::Looking), ev(300.0, K::Leading), ev(420.0, K::Broadcast)],
    };
    RealTrial {
        spec: TrialSpec::kill_leader(EnsembleSpec::together(3)),
        t0_unix_ms: 0,
        starts: (1..=3).map(|sid| JvmStart { sid, at_ms: 0.0 }).collect(),
        settled_at_ms: 500.0,
        leader_before: 3,
        actions: vec![ActionRecord { at_ms: 1000.0, action: Action::KillLeader, sid: 3, applied: Applied::Kill }],
        converged: true,
        stop_at_ms: 2000.0,
        ended_at_ms: 2100.0,
        servers: vec![follower_then(1, 2, 240, 1350.0), s2, s3],
    }
}

#[test]
fn failover_figures_count_from_the_kill() {
    let t = trial();
    assert_eq!(t.survivors(), vec![1, 2]);
    assert_eq!(t.leader_after(), Some(2));
    assert_eq!(t.leader_after_is_highest_survivor(), Some(true));
    assert_eq!(t.election_ms(), vec![(1, Some(240)), (2, Some(220))]);
    assert_eq!(t.recovery_ms(), Some(350.0));
    assert_eq!(t.cold_start_ms(), Some(420.0));
}

#[test]
fn an_established_leader_needs_every_running_server_in_broadcast_under_it() {
    let t = trial();
    let roles_at = |ms: f64| -> Vec<(u8, bool, Role)> {
        t.servers.iter().map(|s| (s.sid, s.sid != 3 || ms < 1000.0, role_at(&s.events, ms))).collect()
    };
    assert_eq!(established_leader(&roles_at(450.0)), Some(3));
    assert_eq!(established_leader(&roles_at(1100.0)), None);
    assert_eq!(established_leader(&roles_at(1340.0)), None, "s1 is not in broadcast yet");
    assert_eq!(established_leader(&roles_at(1400.0)), Some(2));
    assert_eq!(describe_roles(&roles_at(1100.0)), "s1 looking, s2 looking, s3 not running");
}
