//! The pure pieces FLE and Zab count on: the vote order is a strict total order and is
//! ZooKeeper's `FastLeaderElection.totalOrderPredicate`; the ZOOKEEPER-1419 predicate is not an
//! order; majority quorums and the `NodeSet` bitset agree with naive models.
//!
//! Generators stay small (sids 1..=7, epochs 0..4, counters 0..4) so that equal epochs, equal
//! zxids and equal sids collide often: that is where the tie-breaks live.

use proptest::prelude::*;
use std::collections::BTreeSet;
use zabsim_protocol::{beats, Ensemble, Epoch, NodeId, NodeSet, Vote, Zxid};

/// `FastLeaderElection.totalOrderPredicate(newId, newZxid, newEpoch, curId, curZxid, curEpoch)`
/// written with the Java expression's shape, zxids compared as ZooKeeper's 64-bit longs.
fn java_total_order_predicate(new: &Vote, cur: &Vote) -> bool {
    let (new_id, new_zxid, new_epoch) = (new.leader.0 as i64, new.zxid.as_u64() as i64, new.peer_epoch.0 as i64);
    let (cur_id, cur_zxid, cur_epoch) = (cur.leader.0 as i64, cur.zxid.as_u64() as i64, cur.peer_epoch.0 as i64);
    new_epoch > cur_epoch
        || (new_epoch == cur_epoch && (new_zxid > cur_zxid || (new_zxid == cur_zxid && new_id > cur_id)))
}

fn vote(sid: u8, zxid_epoch: u32, counter: u32, peer_epoch: u32) -> Vote {
    Vote { leader: NodeId(sid), zxid: Zxid::new(Epoch(zxid_epoch), counter), peer_epoch: Epoch(peer_epoch) }
}

fn any_vote() -> impl Strategy<Value = Vote> {
    (1u8..=7, 0u32..4, 0u32..4, 0u32..4).prop_map(|(sid, ze, c, pe)| vote(sid, ze, c, pe))
}

/// Every vote of the small domain: 7 sids x 4 zxid epochs x 4 counters x 4 peer epochs.
fn every_small_vote() -> Vec<Vote> {
    let mut all = Vec::new();
    for sid in 1..=7 {
        for ze in 0..4 {
            for c in 0..4 {
                for pe in 0..4 {
                    all.push(vote(sid, ze, c, pe));
                }
            }
        }
    }
    all
}

proptest! {
    #[test]
    fn vote_order_is_irreflexive(a in any_vote()) {
        prop_assert!(!beats(&a, &a, false), "{a} beats itself");
    }

    #[test]
    fn vote_order_is_asymmetric(a in any_vote(), b in any_vote()) {
        prop_assert!(!(beats(&a, &b, false) && beats(&b, &a, false)), "{a} and {b} beat each other");
    }

    #[test]
    fn vote_order_is_transitive(a in any_vote(), b in any_vote(), c in any_vote()) {
        if beats(&a, &b, false) && beats(&b, &c, false) {
            prop_assert!(beats(&a, &c, false), "{a} beats {b} beats {c}, but not {a} beats {c}");
        }
    }

    #[test]
    fn vote_order_is_total_on_distinct_votes(a in any_vote(), b in any_vote()) {
        if a != b {
            prop_assert!(beats(&a, &b, false) || beats(&b, &a, false), "{a} and {b} are incomparable");
        }
    }

    #[test]
    fn vote_order_is_zookeepers_total_order_predicate(a in any_vote(), b in any_vote()) {
        prop_assert_eq!(beats(&a, &b, false), java_total_order_predicate(&a, &b), "{} vs {}", a, b);
    }

    #[test]
    fn the_best_of_a_set_of_votes_is_beaten_by_none_of_them(votes in prop::collection::vec(any_vote(), 1..8)) {
        let best = votes.iter().copied().reduce(|best, v| if beats(&v, &best, false) { v } else { best });
        let best = best.expect("non-empty");
        for v in &votes {
            prop_assert!(!beats(v, &best, false), "{v} beats the chosen best {best}");
        }
        // And it does not depend on the order the votes are looked at in.
        let reversed = votes.iter().rev().copied().reduce(|best, v| if beats(&v, &best, false) { v } else { best });
        prop_assert_eq!(reversed, Some(best));
    }
}

#[test]
fn vote_order_agrees_with_zookeeper_on_every_pair_of_small_votes() {
    let all = every_small_vote();
    for a in &all {
        for b in &all {
            let ours = beats(a, b, false);
            assert_eq!(ours, java_total_order_predicate(a, b), "{a} vs {b}");
            if a == b {
                assert!(!ours, "{a} beats itself");
            } else {
                assert!(ours != beats(b, a, false), "{a} vs {b}: exactly one must beat the other");
            }
        }
    }
}

#[test]
fn zk_1419_predicate_lets_two_votes_beat_each_other() {
    // Same zxid; s2 has the lower peerEpoch. The 3.4.3 predicate applies the sid tie-break
    // whenever the zxids are equal, so s2 beats s1 by sid while s1 beats s2 by epoch.
    let zxid = Zxid::new(Epoch(1), 3);
    let low_sid_high_epoch = Vote { leader: NodeId(1), zxid, peer_epoch: Epoch(2) };
    let high_sid_low_epoch = Vote { leader: NodeId(2), zxid, peer_epoch: Epoch(1) };
    assert!(beats(&high_sid_low_epoch, &low_sid_high_epoch, true), "s2 wins the sid tie-break");
    assert!(beats(&low_sid_high_epoch, &high_sid_low_epoch, true), "s1 wins on peerEpoch");
    // The correct predicate orders them: the higher peerEpoch wins, only.
    assert!(beats(&low_sid_high_epoch, &high_sid_low_epoch, false));
    assert!(!beats(&high_sid_low_epoch, &low_sid_high_epoch, false));
}

#[test]
fn zk_1419_predicate_differs_from_the_order_only_on_equal_zxids_across_epochs() {
    // The variant differs from the order only on pairs with equal zxids and different
    // peerEpochs, where the lower-epoch vote has the higher sid.
    let all = every_small_vote();
    for a in &all {
        for b in &all {
            let buggy_extra = a.zxid == b.zxid && a.peer_epoch < b.peer_epoch && a.leader > b.leader;
            assert_eq!(beats(a, b, true), beats(a, b, false) || buggy_extra, "{a} vs {b}");
        }
    }
}

fn naive_is_quorum(size: u8, members: &BTreeSet<u8>) -> bool {
    let voters = members.iter().filter(|id| (1..=size).contains(id)).count();
    2 * voters > size as usize
}

fn ensemble_and_subset() -> impl Strategy<Value = (u8, BTreeSet<u8>)> {
    (1u8..=9).prop_flat_map(|size| (Just(size), prop::collection::btree_set(1..=size, 0..=size as usize)))
}

proptest! {
    #[test]
    fn is_quorum_is_a_strict_majority_of_voters((size, members) in ensemble_and_subset()) {
        let ensemble = Ensemble::new(size);
        let set: NodeSet = members.iter().map(|id| NodeId(*id)).collect();
        prop_assert_eq!(ensemble.is_quorum(&set), naive_is_quorum(size, &members), "size {} set {}", size, set);
        prop_assert_eq!(ensemble.quorum_size(), (1..=size as usize).find(|k| 2 * k > size as usize).unwrap());
    }

    #[test]
    fn two_quorums_of_one_ensemble_intersect(
        (size, a) in ensemble_and_subset(),
        b_bits in any::<u16>(),
    ) {
        let ensemble = Ensemble::new(size);
        let a: NodeSet = a.iter().map(|id| NodeId(*id)).collect();
        let b: NodeSet = ensemble.members().filter(|id| b_bits & (1 << (id.0 - 1)) != 0).collect();
        if ensemble.is_quorum(&a) && ensemble.is_quorum(&b) {
            prop_assert!(!a.intersection(&b).is_empty(), "quorums {} and {} are disjoint", a, b);
        }
    }
}

/// One operation on a set of ids.
#[derive(Clone, Debug)]
enum SetOp {
    Insert(u8),
    Remove(u8),
}

fn small_or_any_id() -> impl Strategy<Value = u8> {
    // Small ids collide; any u8 crosses the 64-bit word boundaries of the bitset.
    prop_oneof![1u8..=7, any::<u8>()]
}

fn set_op() -> impl Strategy<Value = SetOp> {
    prop_oneof![3 => small_or_any_id().prop_map(SetOp::Insert), 1 => small_or_any_id().prop_map(SetOp::Remove)]
}

proptest! {
    #[test]
    fn node_set_behaves_like_a_btree_set(ops in prop::collection::vec(set_op(), 0..40), probes in prop::collection::vec(small_or_any_id(), 0..10)) {
        let mut set = NodeSet::EMPTY;
        let mut model = BTreeSet::new();
        for op in &ops {
            match *op {
                SetOp::Insert(id) => prop_assert_eq!(set.insert(NodeId(id)), model.insert(id), "insert {}", id),
                SetOp::Remove(id) => {
                    set.remove(NodeId(id));
                    model.remove(&id);
                }
            }
            prop_assert_eq!(set.len(), model.len());
            prop_assert_eq!(set.is_empty(), model.is_empty());
        }
        let listed: Vec<u8> = set.iter().map(|id| id.0).collect();
        let expected: Vec<u8> = model.iter().copied().collect();
        prop_assert_eq!(&listed, &expected, "iteration is in increasing id order");
        for id in probes.iter().chain(&expected) {
            prop_assert_eq!(set.contains(NodeId(*id)), model.contains(id), "contains {}", id);
        }
        let rebuilt: NodeSet = model.iter().map(|id| NodeId(*id)).collect();
        prop_assert_eq!(rebuilt, set, "FromIterator builds the same set");
    }

    #[test]
    fn node_set_intersection_is_set_intersection(
        a in prop::collection::btree_set(small_or_any_id(), 0..12),
        b in prop::collection::btree_set(small_or_any_id(), 0..12),
    ) {
        let sa: NodeSet = a.iter().map(|id| NodeId(*id)).collect();
        let sb: NodeSet = b.iter().map(|id| NodeId(*id)).collect();
        let both: Vec<u8> = sa.intersection(&sb).iter().map(|id| id.0).collect();
        let expected: Vec<u8> = a.intersection(&b).copied().collect();
        prop_assert_eq!(both, expected);
    }
}
