//! Hand-written log excerpts in ZooKeeper 3.8's format (not copied from a real run).

use super::*;

const PORTS: &[(u16, u8)] = &[(4001, 1), (4002, 2), (4003, 3)];

/// 2026-12-02 15:53:39,000 UTC in Unix microseconds.
const T0_US: u64 = 1_796_226_819_000_000;

fn kinds(text: &str) -> Vec<EventKind> {
    parse_log(text, T0_US, PORTS).into_iter().map(|e| e.kind).collect()
}

#[test]
fn timestamps_are_utc_unix_milliseconds() {
    assert_eq!(parse_timestamp("1970-01-01 00:00:00,000"), Some(0));
    assert_eq!(parse_timestamp("2000-03-01 00:00:01,250"), Some(951_868_801_250));
    assert_eq!(parse_timestamp("2026-12-02 15:53:39,000"), Some(T0_US / 1000));
    assert_eq!(parse_timestamp("2026-13-02 15:53:39,000"), None);
    assert_eq!(parse_timestamp("2026-12-02T15:53:39.000"), None);
}

#[test]
fn event_times_are_relative_to_t0() {
    let log = "2026-12-02 15:53:39,462 INFO  [QuorumPeer[myid=1](plain=[0:0:0:0:0:0:0:0]:4101)(secure=disabled):QuorumPeer@1455] - LOOKING\n";
    let events = parse_log(log, T0_US, PORTS);
    assert_eq!(events, vec![ServerEvent { at_ms: 462.0, kind: EventKind::Looking }]);
}

#[test]
fn a_follower_election_names_its_leader_from_the_address_it_connects_to() {
    let log = "\
2026-12-02 15:53:39,100 INFO  [main:QuorumPeer@1455] - LOOKING
2026-12-02 15:53:39,101 INFO  [main:FastLeaderElection@946] - New election. My id = 1, proposed zxid=0x1a
2026-12-02 15:53:39,310 INFO  [main:FastLeaderElection@996] - Notification time out: 400 ms
2026-12-02 15:53:39,540 INFO  [main:QuorumPeer@1537] - FOLLOWING
2026-12-02 15:53:39,541 INFO  [main:Follower@77] - FOLLOWING - LEADER ELECTION TOOK - 439 MS
2026-12-02 15:53:39,542 WARN  [main:Learner@448] - Unexpected exception, tries=0, remaining init limit=19999, connecting to /127.0.0.1:4003
java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)
2026-12-02 15:53:39,650 INFO  [LeaderConnector-/127.0.0.1:4003:Learner$LeaderConnector@384] - Successfully connected to leader, using address: /127.0.0.1:4003
2026-12-02 15:53:39,700 INFO  [main:Learner@565] - Getting a diff from the leader 0x0
2026-12-02 15:53:39,701 INFO  [main:QuorumPeer@922] - Peer state changed: following - synchronization - diff
2026-12-02 15:53:39,750 INFO  [main:Learner@721] - Learner received UPTODATE message
2026-12-02 15:53:39,752 INFO  [main:QuorumPeer@917] - Peer state changed: following - broadcast
";
    assert_eq!(
        kinds(log),
        vec![
            EventKind::Looking,
            EventKind::NewElection { proposed_zxid: 0x1a },
            EventKind::NotificationTimeout { ms: 400 },
            EventKind::Following { leader: Some(3) },
            EventKind::ElectionTook { ms: 439 },
            EventKind::LeaderConnectRetry { tries: 0 },
            EventKind::LeaderConnected,
            EventKind::Sync { mode: SyncMode::Diff },
            EventKind::UpToDate,
            EventKind::Broadcast,
        ]
    );
}

#[test]
fn a_leader_logs_its_sync_choices_and_its_quorum() {
    let log = "\
2026-12-02 15:53:40,000 INFO  [main:QuorumPeer@1549] - LEADING
2026-12-02 15:53:40,001 INFO  [main:Leader@588] - LEADING - LEADER ELECTION TOOK - 476 MS
2026-12-02 15:53:40,100 INFO  [LearnerHandler-/127.0.0.1:50312:LearnerHandler@851] - Sending DIFF zxid=0x0 for peer sid: 1
2026-12-02 15:53:40,101 INFO  [LearnerHandler-/127.0.0.1:50314:LearnerHandler@1006] - Sending TRUNC zxid=0x100000003  for peer sid: 2
2026-12-02 15:53:40,102 INFO  [LearnerHandler-/127.0.0.1:50316:LearnerHandler@572] - Sending snapshot last zxid of peer is 0x0, zxid of leader is 0x100000004, send zxid of db as 0x100000004, 1 concurrent snapshot sync, snapshot sync was not exempt from throttle
2026-12-02 15:53:40,200 INFO  [main:Leader@1519] - Have quorum of supporters, sids: [[1, 3]]; starting up and setting last processed zxid: 0x200000000
2026-12-02 15:53:40,260 INFO  [main:QuorumPeer@917] - Peer state changed: leading - broadcast
";
    assert_eq!(
        kinds(log),
        vec![
            EventKind::Leading,
            EventKind::ElectionTook { ms: 476 },
            EventKind::SyncSent { mode: SyncMode::Diff, peer: Some(1) },
            EventKind::SyncSent { mode: SyncMode::Trunc, peer: Some(2) },
            EventKind::SyncSent { mode: SyncMode::Snap, peer: None },
            EventKind::QuorumOfSupporters { sids: vec![1, 3] },
            EventKind::Broadcast,
        ]
    );
}

#[test]
fn a_lost_leader_shows_as_connection_lost_then_looking() {
    let log = "\
2026-12-02 15:53:41,000 WARN  [main:Follower@128] - Exception when following the leader
java.io.EOFException
2026-12-02 15:53:41,020 INFO  [main:Follower@286] - shutdown Follower
2026-12-02 15:53:41,030 INFO  [main:QuorumPeer@1455] - LOOKING
2026-12-02 15:53:41,500 WARN  [main:Learner@599] - Truncating log to get in sync with the leader 0x100000002
2026-12-02 15:53:41,600 INFO  [main:Learner@576] - Getting a snapshot from leader 0x100000009
2026-12-02 15:53:41,700 ERROR [main:Learner@441] - Unexpected exception, retries exceeded. tries=4, remaining init limit=1000, connecting to /127.0.0.1:4001
";
    assert_eq!(
        kinds(log),
        vec![
            EventKind::ConnectionLost,
            EventKind::Looking,
            EventKind::Sync { mode: SyncMode::Trunc },
            EventKind::Sync { mode: SyncMode::Snap },
            EventKind::LeaderConnectFailed,
        ]
    );
}

#[test]
fn an_unknown_leader_port_leaves_the_leader_unnamed() {
    let log = "\
2026-12-02 15:53:39,540 INFO  [main:QuorumPeer@1537] - FOLLOWING
2026-12-02 15:53:39,650 INFO  [x:Learner@384] - Successfully connected to leader, using address: /127.0.0.1:9999
";
    assert_eq!(kinds(log), vec![EventKind::Following { leader: None }, EventKind::LeaderConnected]);
}

#[test]
fn garbage_never_panics_and_yields_nothing() {
    let inputs = [
        "",
        "\n\n",
        "2026-12-02 15:53:39,540",
        "2026-12-02 15:53:39,540 INFO  [main:QuorumPeer@] - LOOKING",
        "2026-12-02 15:53:39,540 INFO  [main:QuorumPeer@1537] - ",
        "2026-12-02 15:53:39,540 INFO  [main:Learner@1] - Unexpected exception, tries=x",
        "2026-12-02 15:53:39,540 INFO  [main:Leader@1] - Have quorum of supporters, sids: ",
        "2026-12-02 15:53:39,540 INFO  [main:FastLeaderElection@1] - New election. My id = 1, proposed zxid=0xZZ",
        "ü2026-12-02 15:53:39,540 INFO  [main:QuorumPeer@1537] - LOOKING",
        "2026-12-02 15:53:39,54ü INFO",
    ];
    for input in inputs {
        let events = parse_log(input, T0_US, PORTS);
        assert!(
            events.is_empty()
                || events == vec![ServerEvent { at_ms: 540.0, kind: EventKind::QuorumOfSupporters { sids: vec![] } }],
            "{input:?} gave {events:?}"
        );
    }
}

#[test]
fn a_leaders_server_object_and_its_snapshot_are_read() {
    let log = "\
2026-12-02 15:53:39,540 INFO  [main:QuorumPeer@1549] - LEADING
2026-12-02 15:53:39,560 INFO  [main:ZooKeeperServer@365] - Created server with tickTime 2000 ms minSessionTimeout 4000 ms
2026-12-02 15:53:39,580 INFO  [main:ZooKeeperServer@547] - Snapshot taken in 0 ms
";
    assert_eq!(kinds(log), vec![EventKind::Leading, EventKind::ServerCreated, EventKind::SnapshotTaken]);
}
