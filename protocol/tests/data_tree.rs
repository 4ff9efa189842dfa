//! The data tree applies committed requests as ZooKeeper's PrepRequestProcessor +
//! DataTree.processTxn would: sequential names from the parent's cversion, versions checked
//! and bumped, ephemerals tied to their session, multi all-or-nothing, and the watch events
//! each txn triggers, in ZooKeeper's order.

use zabsim_protocol::data::{
    CreateMode, DataTree, Op, OpResult, Request, SessionId, WatchEvent, WatchEventKind, ZPath, ZkError,
};
use zabsim_protocol::{Epoch, Zxid};

const ALICE: SessionId = SessionId(0xa);
const BOB: SessionId = SessionId(0xb);

fn path(text: &str) -> ZPath {
    ZPath::parse(text).unwrap()
}

/// A tree and the next zxid to apply with.
struct Cluster {
    tree: DataTree,
    counter: u32,
}

impl Cluster {
    /// A tree where ALICE and BOB are live sessions.
    fn new() -> Cluster {
        let mut cluster = Cluster { tree: DataTree::new(), counter: 0 };
        cluster.run(ALICE, Op::CreateSession { timeout_ms: 4000 });
        cluster.run(BOB, Op::CreateSession { timeout_ms: 6000 });
        cluster
    }

    fn next_zxid(&mut self) -> Zxid {
        self.counter += 1;
        Zxid::new(Epoch(1), self.counter)
    }

    fn apply(&mut self, session: SessionId, op: Op) -> zabsim_protocol::data::Applied {
        let zxid = self.next_zxid();
        let applied = self.tree.apply(zxid, &Request { session, cxid: u64::from(self.counter), op });
        self.tree.check_invariants().unwrap();
        assert_eq!(self.tree.last_processed_zxid(), zxid);
        applied
    }

    fn run(&mut self, session: SessionId, op: Op) -> OpResult {
        self.apply(session, op).result
    }

    fn create(&mut self, session: SessionId, at: &str, mode: CreateMode) -> OpResult {
        self.run(session, create_op(at, mode))
    }
}

fn create_op(at: &str, mode: CreateMode) -> Op {
    Op::Create { path: path(at), data: b"x".to_vec(), mode }
}

fn created(at: &str) -> OpResult {
    OpResult::Created(path(at))
}

fn event(kind: WatchEventKind, at: &str) -> WatchEvent {
    WatchEvent::new(kind, path(at))
}

#[test]
fn a_new_tree_holds_only_the_root() {
    let tree = DataTree::new();
    assert_eq!(tree.node_count(), 1);
    assert_eq!(tree.get_children(&ZPath::root()).unwrap(), Vec::<String>::new());
    assert_eq!(tree.last_processed_zxid(), Zxid::ZERO);
    assert!(tree.exists(&ZPath::root()).is_some());
}

#[test]
fn create_stamps_the_stat_and_updates_the_parent() {
    let mut c = Cluster::new();
    let zxid = Zxid::new(Epoch(1), c.counter + 1);
    assert_eq!(c.create(ALICE, "/a", CreateMode::Persistent), created("/a"));
    let (data, stat) = c.tree.get_data(&path("/a")).unwrap();
    assert_eq!(data, b"x");
    assert_eq!((stat.czxid, stat.mzxid, stat.pzxid), (zxid, zxid, zxid));
    assert_eq!((stat.version, stat.cversion, stat.data_length, stat.num_children), (0, 0, 1, 0));
    assert_eq!(stat.ephemeral_owner, SessionId::NONE);
    let root = c.tree.exists(&ZPath::root()).unwrap();
    assert_eq!((root.pzxid, root.cversion, root.num_children), (zxid, 1, 1));
}

#[test]
fn create_fires_node_created_then_parent_children_changed() {
    let mut c = Cluster::new();
    c.create(ALICE, "/a", CreateMode::Persistent);
    let applied = c.apply(ALICE, create_op("/a/b", CreateMode::Persistent));
    assert_eq!(
        applied.events,
        vec![event(WatchEventKind::NodeCreated, "/a/b"), event(WatchEventKind::NodeChildrenChanged, "/a")]
    );
}

#[test]
fn create_needs_an_existing_parent_and_a_free_name() {
    let mut c = Cluster::new();
    assert_eq!(c.create(ALICE, "/a/b", CreateMode::Persistent), OpResult::Error(ZkError::NoNode));
    c.create(ALICE, "/a", CreateMode::Persistent);
    assert_eq!(c.create(BOB, "/a", CreateMode::Persistent), OpResult::Error(ZkError::NodeExists));
    assert_eq!(c.create(BOB, "/", CreateMode::Persistent), OpResult::Error(ZkError::NodeExists));
}

#[test]
fn sequential_names_come_from_the_parent_cversion_and_never_repeat() {
    let mut c = Cluster::new();
    c.create(ALICE, "/lock", CreateMode::Persistent);
    assert_eq!(c.create(ALICE, "/lock/n-", CreateMode::EphemeralSequential), created("/lock/n-0000000000"));
    assert_eq!(c.create(BOB, "/lock/n-", CreateMode::EphemeralSequential), created("/lock/n-0000000001"));
    c.create(ALICE, "/lock/other", CreateMode::Persistent);
    c.run(ALICE, Op::Delete { path: path("/lock/n-0000000001"), version: None });
    // Three children were ever created; the deletion does not give number 1 back.
    assert_eq!(c.create(BOB, "/lock/n-", CreateMode::PersistentSequential), created("/lock/n-0000000003"));
    // Under the root the prefix may be empty.
    assert_eq!(c.create(BOB, "/", CreateMode::PersistentSequential), created("/0000000001"));
}

#[test]
fn cversion_counts_creations_and_deletions() {
    let mut c = Cluster::new();
    c.create(ALICE, "/p", CreateMode::Persistent);
    c.create(ALICE, "/p/a", CreateMode::Persistent);
    c.create(ALICE, "/p/b", CreateMode::Persistent);
    c.run(ALICE, Op::Delete { path: path("/p/a"), version: None });
    let stat = c.tree.exists(&path("/p")).unwrap();
    // DataNode.copyStat: 2 creations + 1 deletion.
    assert_eq!((stat.cversion, stat.num_children), (3, 1));
}

#[test]
fn ephemerals_belong_to_their_session_and_cannot_have_children() {
    let mut c = Cluster::new();
    c.create(ALICE, "/e", CreateMode::Ephemeral);
    assert_eq!(c.tree.exists(&path("/e")).unwrap().ephemeral_owner, ALICE);
    assert_eq!(c.tree.ephemerals(ALICE), vec![path("/e")]);
    assert_eq!(c.create(BOB, "/e/child", CreateMode::Persistent), OpResult::Error(ZkError::NoChildrenForEphemerals));
    assert_eq!(
        c.create(ALICE, "/e/n-", CreateMode::PersistentSequential),
        OpResult::Error(ZkError::NoChildrenForEphemerals)
    );
}

#[test]
fn a_session_that_is_not_live_cannot_write() {
    let mut c = Cluster::new();
    let stranger = SessionId(0x5);
    assert_eq!(c.create(stranger, "/a", CreateMode::Ephemeral), OpResult::Error(ZkError::SessionExpired));
    assert_eq!(c.create(stranger, "/a", CreateMode::Persistent), OpResult::Error(ZkError::SessionExpired));
    c.run(ALICE, Op::CloseSession);
    assert_eq!(c.create(ALICE, "/a", CreateMode::Persistent), OpResult::Error(ZkError::SessionExpired));
    assert_eq!(
        c.run(ALICE, Op::Delete { path: ZPath::root(), version: None }),
        OpResult::Error(ZkError::SessionExpired)
    );
}

#[test]
fn close_session_deletes_its_ephemerals_in_path_order() {
    let mut c = Cluster::new();
    c.create(ALICE, "/p", CreateMode::Persistent);
    c.create(ALICE, "/p/z", CreateMode::Ephemeral);
    c.create(ALICE, "/b", CreateMode::Ephemeral);
    c.create(BOB, "/p/bob", CreateMode::Ephemeral);
    c.create(ALICE, "/p/keep", CreateMode::Persistent);
    let before = c.tree.node_count();
    let applied = c.apply(ALICE, Op::CloseSession);
    assert_eq!(applied.result, OpResult::SessionClosed);
    assert_eq!(
        applied.events,
        vec![
            event(WatchEventKind::NodeDeleted, "/b"),
            event(WatchEventKind::NodeChildrenChanged, "/"),
            event(WatchEventKind::NodeDeleted, "/p/z"),
            event(WatchEventKind::NodeChildrenChanged, "/p"),
        ]
    );
    assert_eq!(c.tree.node_count(), before - 2);
    assert!(c.tree.ephemerals(ALICE).is_empty());
    assert!(!c.tree.is_live(ALICE));
    assert_eq!(c.tree.ephemerals(BOB), vec![path("/p/bob")]);
    assert_eq!(c.tree.get_children(&path("/p")).unwrap(), vec!["bob", "keep"]);
}

#[test]
fn closing_an_unknown_session_changes_nothing_but_the_zxid() {
    let mut c = Cluster::new();
    let digest = c.tree.digest();
    assert_eq!(c.run(SessionId(0x77), Op::CloseSession), OpResult::SessionClosed);
    assert_eq!(c.tree.digest(), digest);
}

#[test]
fn sessions_are_registered_with_their_timeouts() {
    let c = Cluster::new();
    let sessions: Vec<(SessionId, u32)> = c.tree.sessions().iter().map(|(s, t)| (*s, *t)).collect();
    assert_eq!(sessions, vec![(ALICE, 4000), (BOB, 6000)]);
    let mut c = Cluster::new();
    assert_eq!(c.run(SessionId::NONE, Op::CreateSession { timeout_ms: 4000 }), OpResult::Error(ZkError::BadArguments));
}

#[test]
fn set_data_checks_and_bumps_the_version() {
    let mut c = Cluster::new();
    c.create(ALICE, "/a", CreateMode::Persistent);
    let set = |version| Op::SetData { path: path("/a"), data: b"yy".to_vec(), version };
    assert_eq!(c.run(BOB, set(Some(3))), OpResult::Error(ZkError::BadVersion));
    let zxid = Zxid::new(Epoch(1), c.counter + 1);
    let applied = c.apply(BOB, set(Some(0)));
    let OpResult::Stat(stat) = applied.result else { panic!("expected a stat, got {}", applied.result) };
    assert_eq!((stat.version, stat.mzxid, stat.data_length), (1, zxid, 2));
    assert_eq!(applied.events, vec![event(WatchEventKind::NodeDataChanged, "/a")]);
    assert!(matches!(c.run(BOB, set(None)), OpResult::Stat(s) if s.version == 2));
    assert!(matches!(c.run(BOB, set(Some(-1))), OpResult::Stat(s) if s.version == 3), "-1 is any version");
    assert_eq!(
        c.run(BOB, Op::SetData { path: path("/nope"), data: vec![], version: None }),
        OpResult::Error(ZkError::NoNode)
    );
}

#[test]
fn delete_checks_the_version_then_emptiness() {
    let mut c = Cluster::new();
    c.create(ALICE, "/a", CreateMode::Persistent);
    c.create(ALICE, "/a/b", CreateMode::Persistent);
    let delete = |at: &str, version| Op::Delete { path: path(at), version };
    // BadVersion is checked before NotEmpty, as in PrepRequestProcessor.
    assert_eq!(c.run(ALICE, delete("/a", Some(5))), OpResult::Error(ZkError::BadVersion));
    assert_eq!(c.run(ALICE, delete("/a", Some(0))), OpResult::Error(ZkError::NotEmpty));
    assert_eq!(c.run(ALICE, delete("/a/missing", None)), OpResult::Error(ZkError::NoNode));
    assert_eq!(c.run(ALICE, delete("/", None)), OpResult::Error(ZkError::BadArguments));
    let applied = c.apply(ALICE, delete("/a/b", Some(0)));
    assert_eq!(applied.result, OpResult::Deleted);
    assert_eq!(
        applied.events,
        vec![event(WatchEventKind::NodeDeleted, "/a/b"), event(WatchEventKind::NodeChildrenChanged, "/a")]
    );
    assert_eq!(c.run(ALICE, delete("/a", None)), OpResult::Deleted);
    assert_eq!(c.tree.node_count(), 1);
}

#[test]
fn check_compares_the_version_and_changes_nothing() {
    let mut c = Cluster::new();
    c.create(ALICE, "/a", CreateMode::Persistent);
    let digest = c.tree.digest();
    assert_eq!(c.run(ALICE, Op::Check { path: path("/a"), version: 0 }), OpResult::Checked);
    assert_eq!(c.run(ALICE, Op::Check { path: path("/a"), version: 1 }), OpResult::Error(ZkError::BadVersion));
    assert_eq!(c.run(ALICE, Op::Check { path: path("/b"), version: 0 }), OpResult::Error(ZkError::NoNode));
    assert_eq!(c.tree.digest(), digest);
}

#[test]
fn multi_applies_all_ops_under_one_zxid_each_seeing_the_last() {
    let mut c = Cluster::new();
    let zxid = Zxid::new(Epoch(1), c.counter + 1);
    let applied = c.apply(
        ALICE,
        Op::Multi(vec![
            create_op("/a", CreateMode::Persistent),
            create_op("/a/b", CreateMode::Ephemeral),
            Op::SetData { path: path("/a"), data: vec![], version: Some(0) },
            Op::Check { path: path("/a"), version: 1 },
        ]),
    );
    assert!(applied.result.is_ok(), "{}", applied.result);
    assert_eq!(applied.events.len(), 5);
    assert_eq!(c.tree.exists(&path("/a/b")).unwrap().czxid, zxid);
    assert_eq!(c.tree.exists(&path("/a")).unwrap().mzxid, zxid);
    assert_eq!(c.tree.ephemerals(ALICE), vec![path("/a/b")]);
}

#[test]
fn a_failed_multi_applies_nothing_and_names_the_failing_op() {
    let mut c = Cluster::new();
    c.create(ALICE, "/a", CreateMode::Persistent);
    let before = c.tree.clone();
    let applied = c.apply(
        ALICE,
        Op::Multi(vec![
            create_op("/a/e", CreateMode::Ephemeral),
            Op::SetData { path: path("/a"), data: vec![9], version: None },
            Op::Delete { path: path("/a"), version: Some(7) },
            create_op("/c", CreateMode::Persistent),
        ]),
    );
    assert_eq!(
        applied.result,
        OpResult::Multi(vec![
            OpResult::Error(ZkError::Ok),
            OpResult::Error(ZkError::Ok),
            OpResult::Error(ZkError::BadVersion),
            OpResult::Error(ZkError::RuntimeInconsistency),
        ])
    );
    assert_eq!(applied.result.error(), Some(ZkError::BadVersion));
    assert!(applied.events.is_empty());
    assert_eq!(c.tree.digest(), before.digest());
    assert!(c.tree.ephemerals(ALICE).is_empty());
    assert_eq!(c.tree.exists(&path("/a")), before.exists(&path("/a")));
}

#[test]
fn a_multi_may_hold_only_create_delete_set_data_and_check() {
    let mut c = Cluster::new();
    let nested = Op::Multi(vec![Op::Multi(vec![])]);
    assert_eq!(c.run(ALICE, nested), OpResult::Error(ZkError::MarshallingError));
    let closing = Op::Multi(vec![create_op("/a", CreateMode::Persistent), Op::CloseSession]);
    assert_eq!(c.run(ALICE, closing), OpResult::Error(ZkError::MarshallingError));
    assert!(c.tree.exists(&path("/a")).is_none());
    assert_eq!(c.run(ALICE, Op::Multi(vec![])), OpResult::Multi(vec![]));
}

#[test]
fn applied_results_serialize_for_traces() {
    let mut c = Cluster::new();
    let applied = c.apply(ALICE, create_op("/a", CreateMode::Persistent));
    let json = serde_json::to_string(&applied).unwrap();
    assert_eq!(serde_json::from_str::<zabsim_protocol::data::Applied>(&json).unwrap(), applied);
    assert_eq!(applied.result.to_string(), "created /a");
    assert_eq!(applied.events[1].to_string(), "NodeChildrenChanged /");
}
