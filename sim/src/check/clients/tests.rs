//! One canary per check: a hand-built history that breaks exactly that property.

use super::*;
use zabsim_protocol::data::{Op, OpResult, WatchEvent, WatchEventKind, ZkError};
use zabsim_protocol::Read;

fn z(counter: u32) -> Zxid {
    Zxid::new(Epoch(1), counter)
}

fn write() -> ClientOp {
    ClientOp::Write { op: Op::Delete { path: ZPath::parse("/a").unwrap(), version: None } }
}

fn written() -> Reply {
    Reply::Write { result: OpResult::Deleted }
}

fn seen<'a>(client: usize, expected: u64, seen: Zxid, cxid: u64, zxid: Zxid, reply: &'a Reply) -> ReplySeen<'a> {
    ReplySeen { client, server: 1, expected: Some(expected), seen, cxid, zxid, reply, committed: z(100) }
}

#[test]
fn a_reply_out_of_order_breaks_client_fifo_order() {
    let mut c = ClientChecker::default();
    let reply = written();
    let err = c.on_reply(&seen(0, 1, z(0), 2, z(3), &reply)).unwrap_err();
    assert_eq!(err.invariant, Invariant::ClientFifoOrder);
    assert!(err.detail.contains("reply to #2") && err.detail.contains("#1 first"), "{}", err.detail);
}

#[test]
fn an_older_state_than_seen_breaks_client_monotonic_view() {
    let mut c = ClientChecker::default();
    let reply = Reply::Exists { stat: None };
    let err = c.on_reply(&seen(0, 1, z(5), 1, z(4), &reply)).unwrap_err();
    assert_eq!(err.invariant, Invariant::ClientMonotonicView);
    // The same zxid again is fine.
    assert!(c.on_reply(&seen(0, 1, z(5), 1, z(5), &reply)).is_ok());
}

#[test]
fn a_write_ordered_before_an_acknowledged_one_breaks_linearizable_writes() {
    let mut c = ClientChecker::default();
    let reply = written();
    // Client 0's write is acknowledged at 1:7; client 1 then writes, and it lands at 1:6.
    c.on_invoke(0, 1, &write());
    c.on_reply(&seen(0, 1, z(0), 1, z(7), &reply)).unwrap();
    c.on_invoke(1, 1, &write());
    let err = c.on_reply(&seen(1, 1, z(0), 1, z(6), &reply)).unwrap_err();
    assert_eq!(err.invariant, Invariant::LinearizableWrites);
    // Invoked before the acknowledgement, the same order is allowed (concurrent writes).
    let mut c = ClientChecker::default();
    c.on_invoke(1, 1, &write());
    c.on_invoke(0, 1, &write());
    c.on_reply(&seen(0, 1, z(0), 1, z(7), &reply)).unwrap();
    assert!(c.on_reply(&seen(1, 1, z(0), 1, z(6), &reply)).is_ok());
}

/// Client 0's write acknowledged at 1:9, then client 1's sync #4 invoked; returns the sync.
fn sync_invoked_after_a_write_acknowledged_at_9() -> (ClientChecker, ClientOp) {
    let mut c = ClientChecker::default();
    c.on_invoke(0, 1, &write());
    c.on_reply(&seen(0, 1, z(0), 1, z(9), &written())).unwrap();
    let sync = ClientOp::Sync { path: ZPath::parse("/a").unwrap() };
    c.on_invoke(1, 4, &sync);
    (c, sync)
}

#[test]
fn a_sync_behind_an_acknowledged_write_breaks_sync_freshness() {
    let (mut c, sync) = sync_invoked_after_a_write_acknowledged_at_9();
    let err = c.on_reply(&seen(1, 4, z(0), 4, z(8), &Reply::Synced)).unwrap_err();
    assert_eq!(err.invariant, Invariant::SyncFreshness);
    c.on_invoke(1, 5, &sync);
    assert!(c.on_reply(&seen(1, 5, z(0), 5, z(9), &Reply::Synced)).is_ok());
    // Reads are not held to it: a read may be stale.
    let read = ClientOp::Read { read: Read::GetData { path: ZPath::parse("/a").unwrap(), watch: false } };
    c.on_invoke(1, 6, &read);
    assert!(c.on_reply(&seen(1, 6, z(0), 6, z(1), &Reply::Error { error: ZkError::NoNode })).is_ok());
}

#[test]
fn a_stale_sync_from_a_deposed_leader_is_the_caveat_not_a_violation() {
    let (mut c, sync) = sync_invoked_after_a_write_acknowledged_at_9();
    c.on_deposed_sync(1, 4, Epoch(0));
    assert!(c.on_reply(&seen(1, 4, z(0), 4, z(8), &Reply::Synced)).is_ok());
    assert_eq!(c.sync_caveats, 1);
    // The mark is for that sync only: the next stale one, from a current server, breaks it.
    c.on_invoke(1, 5, &sync);
    let err = c.on_reply(&seen(1, 5, z(0), 5, z(8), &Reply::Synced)).unwrap_err();
    assert_eq!(err.invariant, Invariant::SyncFreshness);
}

#[test]
fn a_reply_beyond_the_committed_history_breaks_committed_reads() {
    let mut c = ClientChecker::default();
    let reply = Reply::Exists { stat: None };
    let got = ReplySeen { committed: z(4), ..seen(0, 1, z(0), 1, z(5), &reply) };
    assert_eq!(c.on_reply(&got).unwrap_err().invariant, Invariant::CommittedReads);
    let got = ReplySeen { committed: z(5), ..seen(0, 1, z(0), 1, z(5), &reply) };
    assert!(c.on_reply(&got).is_ok());
}

fn txn(counter: u32, op: Op) -> Txn {
    let request = zabsim_protocol::data::Request { session: SessionId(1), cxid: 0, op };
    let body = zabsim_protocol::message::TxnBody::Request(std::sync::Arc::new(request));
    Txn { zxid: z(counter), value: body.value(), body }
}

fn path(p: &str) -> ZPath {
    ZPath::parse(p).unwrap()
}

/// Session 1 created at 1:1; /a created with "x" at 1:2, set to "y" at 1:3.
fn a_history() -> Vec<Txn> {
    let create =
        Op::Create { path: path("/a"), data: b"x".to_vec(), mode: zabsim_protocol::data::CreateMode::Persistent };
    let set = Op::SetData { path: path("/a"), data: b"y".to_vec(), version: None };
    vec![txn(1, Op::CreateSession { timeout_ms: 4000 }), txn(2, create), txn(3, set)]
}

#[test]
fn a_read_showing_another_state_than_the_committed_one_at_its_zxid_breaks_read_contents() {
    let history = a_history();
    let mut reference = super::CommittedTree::default();
    reference.catch_up(&history);
    let at_2 = reference.node_at(&path("/a"), z(2)).unwrap();
    let get = ClientOp::Read { read: Read::GetData { path: path("/a"), watch: false } };
    let mut c = ClientChecker::default();
    c.catch_up(&history, 0);
    // "x" at 1:2 is right; "x" with the stat of 1:2 but claimed at 1:3 is not.
    c.on_invoke(0, 1, &get);
    let right = Reply::Data { data: b"x".to_vec(), stat: at_2.stat };
    assert!(c.on_reply(&seen(0, 1, z(0), 1, z(2), &right)).is_ok());
    c.on_invoke(0, 2, &get);
    let err = c.on_reply(&seen(0, 2, z(2), 2, z(3), &right)).unwrap_err();
    assert_eq!(err.invariant, Invariant::ReadContents);
    // Before the create, the node does not exist.
    let mut c = ClientChecker::default();
    c.catch_up(&history, 0);
    c.on_invoke(0, 1, &get);
    let none = Reply::Error { error: ZkError::NoNode };
    assert!(c.on_reply(&seen(0, 1, z(0), 1, z(1), &none)).is_ok());
}

#[test]
fn a_reply_past_a_change_before_its_watch_event_breaks_watch_order() {
    let history = a_history();
    let exists = ClientOp::Read { read: Read::Exists { path: path("/a"), watch: true } };
    let mut c = ClientChecker::default();
    c.catch_up(&history, 0);
    // exists /a with a watch at 1:0 (no node); /a is created at 1:2.
    c.on_invoke(0, 1, &exists);
    let absent = Reply::Exists { stat: None };
    c.on_reply(&seen(0, 1, z(0), 1, z(0), &absent)).unwrap();
    // A reply at 1:3 before the NodeCreated arrived: the client saw past the change.
    let other = ClientOp::Sync { path: path("/a") };
    c.on_invoke(0, 2, &other);
    let err = c.on_reply(&seen(0, 2, z(0), 2, z(3), &Reply::Synced)).unwrap_err();
    assert_eq!(err.invariant, Invariant::WatchOrder);
    // With the NodeCreated first, the same reply is fine, and the watch is used up.
    let mut c = ClientChecker::default();
    c.catch_up(&history, 0);
    c.on_invoke(0, 1, &exists);
    c.on_reply(&seen(0, 1, z(0), 1, z(0), &absent)).unwrap();
    let created = WatchEvent::new(WatchEventKind::NodeCreated, path("/a"));
    c.on_watch(0, 1, &created, z(3)).unwrap();
    c.on_invoke(0, 2, &other);
    assert!(c.on_reply(&seen(0, 2, z(0), 2, z(3), &Reply::Synced)).is_ok());
    // A second NodeCreated has no watch left to fire.
    let err = c.on_watch(0, 1, &created, z(3)).unwrap_err();
    assert_eq!(err.invariant, Invariant::WatchOrder);
}

#[test]
fn a_watch_event_for_another_change_than_the_first_committed_one_breaks_watch_order() {
    let history = a_history();
    let get = ClientOp::Read { read: Read::GetData { path: path("/a"), watch: true } };
    let mut reference = super::CommittedTree::default();
    reference.catch_up(&history);
    let at_2 = reference.node_at(&path("/a"), z(2)).unwrap();
    let mut c = ClientChecker::default();
    c.catch_up(&history, 0);
    c.on_invoke(0, 1, &get);
    let x = Reply::Data { data: b"x".to_vec(), stat: at_2.stat };
    c.on_reply(&seen(0, 1, z(0), 1, z(2), &x)).unwrap();
    // The change after 1:2 is a NodeDataChanged, not a NodeDeleted.
    let deleted = WatchEvent::new(WatchEventKind::NodeDeleted, path("/a"));
    assert_eq!(c.on_watch(0, 1, &deleted, z(3)).unwrap_err().invariant, Invariant::WatchOrder);
}

#[test]
fn a_queue_item_taken_twice_breaks_queue_at_most_once() {
    let mut c = ClientChecker::default();
    c.on_consumed(1, "qn-0000000003").unwrap();
    c.on_consumed(3, "qn-0000000004").unwrap();
    let err = c.on_consumed(3, "qn-0000000003").unwrap_err();
    assert_eq!(err.invariant, Invariant::QueueAtMostOnce);
    assert_eq!(c.items_taken(), 2);
}

#[test]
fn two_live_holders_break_lock_exclusion_but_an_expired_holder_is_the_caveat() {
    let mut c = ClientChecker::default();
    c.on_lock_acquired(0, SessionId(10), 1_000).unwrap();
    let err = c.on_lock_acquired(1, SessionId(11), 2_000).unwrap_err();
    assert_eq!(err.invariant, Invariant::LockExclusion);
    // Client 0's session expired (its closeSession committed) while it still believes it
    // holds the lock: client 1 acquiring is ZooKeeper's documented caveat.
    let mut c = ClientChecker::default();
    c.on_lock_acquired(0, SessionId(10), 1_000).unwrap();
    c.on_session_closed(SessionId(10), 1_500);
    c.on_lock_acquired(1, SessionId(11), 2_000).unwrap();
    assert_eq!((c.lock_caveats, c.expired_acquirer_caveats), (1, 0));
    // The acquirer's own session expired and it reads a stale server: the caveat too.
    let mut c = ClientChecker::default();
    c.on_lock_acquired(1, SessionId(11), 1_000).unwrap();
    c.on_session_closed(SessionId(10), 1_500);
    c.on_lock_acquired(0, SessionId(10), 2_000).unwrap();
    assert_eq!((c.lock_caveats, c.expired_acquirer_caveats), (1, 1));
    // Released first: no overlap at all.
    let mut c = ClientChecker::default();
    c.on_lock_acquired(0, SessionId(10), 1_000).unwrap();
    c.on_lock_released(0, 1_200);
    c.on_lock_acquired(1, SessionId(11), 2_000).unwrap();
    assert_eq!(c.lock_caveats, 0);
}

#[test]
fn a_close_session_committed_by_a_new_leaders_sync_ends_the_holders_session() {
    // Found by the lock campaign at seed 244301 (a false alarm): the closeSession of the
    // holder's session was proposed in epoch 1 and committed by the next leader's
    // establishment, with no COMMIT; the checker only learnt of closes from COMMITs.
    let mut c = ClientChecker::default();
    c.on_lock_acquired(2, SessionId(1), 1_000).unwrap();
    c.catch_up(&[txn(1, Op::CloseSession)], 5_000);
    c.on_lock_acquired(4, SessionId(6), 5_000).unwrap();
    assert_eq!((c.lock_caveats, c.expired_acquirer_caveats), (1, 0));
}
