//! How a leader brings a learner up to date: DIFF, TRUNC or SNAP, decided from the leader's
//! in-memory window of committed txns (`LearnerHandler.syncFollower` and
//! `queueCommittedProposals`). Pure: history in, plan out.
//!
//! Modelling choice: ZooKeeper can also DIFF from the on-disk txn log when the learner is
//! older than the window (`zookeeper.snapshotSizeFactor`); zabsim leaves that path out, so a
//! learner behind the window always gets a SNAP, which `commitLogCount` steers.

use crate::ids::Zxid;
use crate::io::SyncMode;
use crate::message::Txn;

/// What the leader queues for one learner before NEWLEADER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncPlan {
    /// DIFF, TRUNC or SNAP.
    pub mode: SyncMode,
    /// The zxid carried by the DIFF or TRUNC packet (unused for SNAP).
    pub packet_zxid: Zxid,
    /// Range of `history` to stream as PROPOSAL+COMMIT pairs after the DIFF/TRUNC packet.
    pub send: std::ops::Range<usize>,
}

/// Chooses how to sync a learner whose last logged zxid is `peer`.
/// `history` is the leader's committed history, `window` its `commitLogCount`, and
/// `last_processed` the leader's `lastProcessedZxid` (an epoch marker right after it
/// established its epoch). With `zk_1154` a learner inside the window gets a DIFF by range
/// alone, as before ZOOKEEPER-1154, even when its last zxid is not in the leader's history.
pub fn plan_sync(history: &[Txn], window: usize, last_processed: Zxid, peer: Zxid, zk_1154: bool) -> SyncPlan {
    let start = history.len().saturating_sub(window);
    let committed_log = &history[start..];
    let (min_committed, max_committed) = match (committed_log.first(), committed_log.last()) {
        (Some(first), Some(last)) => (first.zxid, last.zxid),
        // An empty committedLog: both bounds become lastProcessedZxid (syncFollower).
        _ => (last_processed, last_processed),
    };
    let nothing = history.len()..history.len();
    let peer_is_epoch_marker = peer.is_epoch_marker();

    if last_processed == peer {
        return SyncPlan { mode: SyncMode::Diff, packet_zxid: peer, send: nothing };
    }
    if peer > max_committed && !peer_is_epoch_marker {
        // The learner has txns the leader never committed (typically an old leader's
        // uncommitted tail): cut it back to the leader's last committed txn.
        return SyncPlan { mode: SyncMode::Trunc, packet_zxid: max_committed, send: nothing };
    }
    if min_committed <= peer && peer <= max_committed && !committed_log.is_empty() {
        if zk_1154 {
            // ZOOKEEPER-1154 restored (`LearnerHandler.run`, 3.3.3): inside
            // [minCommittedLog, maxCommittedLog] the leader streams every txn above the
            // learner's zxid without asking whether that zxid is one of its own; a learner
            // whose tail is an old epoch's uncommitted txn keeps it under the new history.
            let above = committed_log.partition_point(|t| t.zxid <= peer);
            return SyncPlan { mode: SyncMode::Diff, packet_zxid: max_committed, send: start + above..history.len() };
        }
        if let Some(plan) = walk_committed_log(committed_log, start, peer, max_committed) {
            return plan;
        }
    }
    snap()
}

fn snap() -> SyncPlan {
    SyncPlan { mode: SyncMode::Snap, packet_zxid: Zxid::ZERO, send: 0..0 }
}

/// `queueCommittedProposals`: find where the learner's history leaves the leader's. Returns
/// None when the only fix would be a TRUNC across an epoch boundary, which ZooKeeper refuses
/// (the learner would crash); the caller then falls back to SNAP.
fn walk_committed_log(committed_log: &[Txn], offset: usize, peer: Zxid, max_committed: Zxid) -> Option<SyncPlan> {
    let mut op: Option<(SyncMode, Zxid)> = None;
    let mut previous: Option<Zxid> = None;
    let mut first_to_send: Option<usize> = None;
    for (i, txn) in committed_log.iter().enumerate() {
        if txn.zxid < peer {
            previous = Some(txn.zxid);
            continue;
        }
        if op.is_none() {
            if txn.zxid == peer {
                op = Some((SyncMode::Diff, max_committed));
                continue;
            }
            if peer.is_epoch_marker() {
                op = Some((SyncMode::Diff, max_committed));
            } else {
                // The learner holds a txn the leader lacks, between `previous` and `txn`.
                if txn.zxid.epoch != peer.epoch {
                    return None;
                }
                op = Some((SyncMode::Trunc, previous.unwrap_or(Zxid::ZERO)));
            }
        }
        first_to_send.get_or_insert(offset + i);
    }
    if op.is_none() && peer.is_epoch_marker() {
        op = Some((SyncMode::Diff, max_committed));
    }
    let (mode, packet_zxid) = op?;
    let end = offset + committed_log.len();
    Some(SyncPlan { mode, packet_zxid, send: first_to_send.unwrap_or(end)..end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Epoch;

    fn txn(epoch: u32, counter: u32) -> Txn {
        Txn::opaque(Zxid::new(Epoch(epoch), counter), (epoch as u64) << 32 | counter as u64)
    }

    fn z(epoch: u32, counter: u32) -> Zxid {
        Zxid::new(Epoch(epoch), counter)
    }

    #[test]
    fn learner_in_sync_gets_empty_diff() {
        let h = [txn(1, 1), txn(1, 2)];
        let plan = plan_sync(&h, 500, z(1, 2), z(1, 2), false);
        assert_eq!(plan.mode, SyncMode::Diff);
        assert!(plan.send.is_empty());
    }

    #[test]
    fn lagging_learner_gets_diff_of_the_missing_txns() {
        let h = [txn(1, 1), txn(1, 2), txn(2, 1)];
        let plan = plan_sync(&h, 500, z(2, 1), z(1, 1), false);
        assert_eq!((plan.mode, plan.packet_zxid, plan.send), (SyncMode::Diff, z(2, 1), 1..3));
    }

    #[test]
    fn uncommitted_tail_beyond_history_gets_trunc() {
        let h = [txn(1, 1), txn(1, 2)];
        let plan = plan_sync(&h, 500, z(1, 2), z(1, 4), false);
        assert_eq!((plan.mode, plan.packet_zxid), (SyncMode::Trunc, z(1, 2)));
    }

    #[test]
    fn old_epoch_tail_inside_history_gets_trunc_then_diff() {
        // ZOOKEEPER-1154: the learner's (7,4) is not in the leader's (7,3),(8,1).
        let h = [txn(7, 3), txn(7, 5), txn(8, 1)];
        let plan = plan_sync(&h, 500, z(8, 1), z(7, 4), false);
        assert_eq!((plan.mode, plan.packet_zxid, plan.send), (SyncMode::Trunc, z(7, 3), 1..3));
    }

    #[test]
    fn zk_1154_old_epoch_tail_inside_history_gets_a_diff_on_top_of_it() {
        // The JIRA's case: the learner's (7,4) is not in the leader's (7,3),(8,1), yet the
        // 3.3.3 range test sends DIFF (8,1) and the learner keeps (7,4) under it.
        let h = [txn(7, 3), txn(8, 1)];
        let plan = plan_sync(&h, 500, z(8, 1), z(7, 4), true);
        assert_eq!((plan.mode, plan.packet_zxid, plan.send), (SyncMode::Diff, z(8, 1), 1..2));
        let h = [txn(7, 3), txn(7, 5), txn(8, 1)];
        let plan = plan_sync(&h, 500, z(8, 1), z(7, 4), true);
        assert_eq!((plan.mode, plan.send), (SyncMode::Diff, 1..3));
    }

    #[test]
    fn zk_1154_leaves_the_other_decisions_alone() {
        let h = [txn(1, 1), txn(1, 2), txn(2, 1)];
        for (last, peer) in [(z(2, 1), z(2, 1)), (z(2, 1), z(1, 1)), (z(2, 1), z(2, 3)), (z(2, 1), z(2, 0))] {
            assert_eq!(plan_sync(&h, 500, last, peer, true), plan_sync(&h, 500, last, peer, false), "peer {peer}");
        }
    }

    #[test]
    fn trunc_never_crosses_an_epoch_boundary() {
        let h = [txn(7, 3), txn(8, 1)];
        let plan = plan_sync(&h, 500, z(8, 1), z(7, 4), false);
        assert_eq!(plan.mode, SyncMode::Snap);
    }

    #[test]
    fn learner_behind_the_window_gets_snap() {
        let h: Vec<Txn> = (1..=10).map(|c| txn(1, c)).collect();
        let plan = plan_sync(&h, 3, z(1, 10), z(1, 2), false);
        assert_eq!(plan.mode, SyncMode::Snap);
    }

    #[test]
    fn new_epoch_marker_gets_diff() {
        let h = [txn(1, 1), txn(2, 1)];
        let plan = plan_sync(&h, 500, z(2, 1), z(2, 0), false);
        assert_eq!((plan.mode, plan.send), (SyncMode::Diff, 1..2));
    }
}
