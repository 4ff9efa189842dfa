//! Properties of the data tree under random request sequences: applying is deterministic
//! (same prefix, same digest), a successful write always shows in the digest, a failed op
//! changes nothing but the last processed zxid, closeSession leaves no node owned by the
//! session, and children lists are sorted and agree with the stats.
//!
//! Generators stay small (paths over three names, mostly shallow; three sessions;
//! versions 0..2) so creates collide, parents go missing, versions match and mismatch, and
//! ephemerals get children requested under them often.

use proptest::prelude::*;
use zabsim_protocol::data::{CreateMode, DataTree, Op, OpResult, Request, SessionId, Stat, ZPath, ZkError};
use zabsim_protocol::{Epoch, Zxid};

/// Mostly shallow paths, so parents exist often; the root now and then.
fn any_path() -> impl Strategy<Value = ZPath> {
    let depth = prop_oneof![1 => Just(0usize), 6 => Just(1), 4 => Just(2), 2 => Just(3)];
    depth
        .prop_flat_map(|depth| prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), depth))
        .prop_map(|segments| ZPath::parse(&format!("/{}", segments.join("/"))).unwrap())
}

/// Sequential nodes get names no other request will hit, so they are the rarer modes.
fn any_mode() -> impl Strategy<Value = CreateMode> {
    prop_oneof![
        3 => Just(CreateMode::Persistent),
        2 => Just(CreateMode::Ephemeral),
        1 => Just(CreateMode::PersistentSequential),
        1 => Just(CreateMode::EphemeralSequential),
    ]
}

fn any_data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..3)
}

fn any_version() -> impl Strategy<Value = Option<i32>> {
    prop::option::of(0i32..2)
}

/// An op that may appear inside a multi.
fn any_node_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any_path(), any_data(), any_mode()).prop_map(|(path, data, mode)| Op::Create { path, data, mode }),
        3 => (any_path(), any_version()).prop_map(|(path, version)| Op::Delete { path, version }),
        2 => (any_path(), any_data(), any_version()).prop_map(|(path, data, version)| Op::SetData { path, data, version }),
        1 => (any_path(), 0i32..3).prop_map(|(path, version)| Op::Check { path, version }),
    ]
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => any_node_op(),
        2 => prop::collection::vec(any_node_op(), 0..4).prop_map(Op::Multi),
        1 => (1u32..4).prop_map(|ticks| Op::CreateSession { timeout_ms: ticks * 2000 }),
        1 => Just(Op::CloseSession),
        // The leader's error txn (a moved or closing session): it must change nothing.
        1 => prop_oneof![Just(ZkError::SessionMoved), Just(ZkError::SessionExpired)].prop_map(|error| Op::Error { error }),
    ]
}

/// Sessions 1 and 2 start live (session 3 has to be created), then random requests.
fn any_requests() -> impl Strategy<Value = Vec<Request>> {
    prop::collection::vec((1u64..=3, any_op()), 0..60).prop_map(|ops| {
        let opening = [1, 2].map(|session| (session, Op::CreateSession { timeout_ms: 4000 }));
        opening
            .into_iter()
            .chain(ops)
            .enumerate()
            .map(|(i, (session, op))| Request { session: SessionId(session), cxid: i as u64, op })
            .collect()
    })
}

fn zxid(index: usize) -> Zxid {
    Zxid::new(Epoch(1), index as u32 + 1)
}

/// Whether `op` writes nodes (as opposed to checking or changing sessions).
fn writes_nodes(op: &Op) -> bool {
    match op {
        Op::Create { .. } | Op::Delete { .. } | Op::SetData { .. } => true,
        Op::Multi(ops) => ops.iter().any(writes_nodes),
        Op::Check { .. } | Op::CreateSession { .. } | Op::CloseSession | Op::Error { .. } => false,
    }
}

/// Everything observable except `last_processed_zxid`.
#[derive(Debug, PartialEq)]
struct Snapshot {
    digest: u64,
    nodes: Vec<(ZPath, Stat, Vec<u8>)>,
    sessions: Vec<(SessionId, u32)>,
}

fn snapshot(tree: &DataTree) -> Snapshot {
    Snapshot {
        digest: tree.digest(),
        nodes: tree.nodes().map(|(path, stat)| (path.clone(), stat, tree.get_data(path).unwrap().0.to_vec())).collect(),
        sessions: tree.sessions().iter().map(|(session, timeout)| (*session, *timeout)).collect(),
    }
}

proptest! {
    #[test]
    fn the_same_requests_give_the_same_digest(requests in any_requests()) {
        let (mut one, mut two) = (DataTree::new(), DataTree::new());
        for (i, request) in requests.iter().enumerate() {
            let applied_one = one.apply(zxid(i), request);
            let applied_two = two.apply(zxid(i), request);
            prop_assert_eq!(applied_one, applied_two);
            prop_assert_eq!(one.digest(), two.digest());
        }
        prop_assert_eq!(one, two);
    }

    #[test]
    fn a_successful_write_changes_the_digest(requests in any_requests()) {
        let mut tree = DataTree::new();
        for (i, request) in requests.iter().enumerate() {
            let before = tree.digest();
            let applied = tree.apply(zxid(i), request);
            if applied.result.is_ok() && writes_nodes(&request.op) {
                prop_assert_ne!(tree.digest(), before, "{} -> {}", request, applied.result);
            }
        }
    }

    #[test]
    fn a_failed_op_changes_nothing_but_the_last_zxid(requests in any_requests()) {
        let mut tree = DataTree::new();
        for (i, request) in requests.iter().enumerate() {
            let before = snapshot(&tree);
            let applied = tree.apply(zxid(i), request);
            prop_assert_eq!(tree.last_processed_zxid(), zxid(i));
            if applied.result.error().is_some() {
                prop_assert!(applied.events.is_empty(), "{} -> {}", request, applied.result);
                prop_assert_eq!(snapshot(&tree), before, "{} -> {}", request, applied.result);
            }
        }
    }

    #[test]
    fn after_close_session_no_node_is_owned_by_it(requests in any_requests()) {
        let mut tree = DataTree::new();
        for (i, request) in requests.iter().enumerate() {
            tree.apply(zxid(i), request);
            if request.op == Op::CloseSession {
                prop_assert!(tree.ephemerals(request.session).is_empty());
                prop_assert!(tree.nodes().all(|(_, stat)| stat.ephemeral_owner != request.session));
                prop_assert!(!tree.is_live(request.session));
            }
        }
    }

    #[test]
    fn children_are_sorted_and_counted_in_the_stat(requests in any_requests()) {
        let mut tree = DataTree::new();
        for (i, request) in requests.iter().enumerate() {
            tree.apply(zxid(i), request);
            prop_assert_eq!(tree.check_invariants(), Ok(()));
        }
        for (path, stat) in tree.nodes() {
            let children = tree.get_children(path).unwrap();
            prop_assert!(children.windows(2).all(|pair| pair[0] < pair[1]), "{:?}", children);
            prop_assert_eq!(children.len(), stat.num_children as usize);
            for child in &children {
                prop_assert!(tree.exists(&path.child(child).unwrap()).is_some());
            }
        }
    }

    #[test]
    fn a_failed_multi_reports_ok_then_the_error_then_runtime_inconsistency(requests in any_requests()) {
        let mut tree = DataTree::new();
        for (i, request) in requests.iter().enumerate() {
            let applied = tree.apply(zxid(i), request);
            if let (Op::Multi(ops), OpResult::Multi(results)) = (&request.op, &applied.result) {
                prop_assert_eq!(ops.len(), results.len());
                if let Some(failed) = results.iter().position(|r| !matches!(r, OpResult::Error(e) if e.code() == 0) && !r.is_ok()) {
                    prop_assert!(results[..failed].iter().all(|r| matches!(r, OpResult::Error(e) if e.code() == 0)));
                    prop_assert!(results[failed + 1..].iter().all(|r| matches!(r, OpResult::Error(e) if e.code() == -2)));
                }
            }
        }
    }
}
