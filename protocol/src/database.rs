//! A server's in-memory database (`ZKDatabase`): the txns applied to its data tree, in order,
//! and the data tree's `lastProcessedZxid`. It is volatile and separate from the durable files
//! ([`DurableState`]): a process restart rebuilds it from disk (`ZKDatabase.loadDataBase`:
//! snapshot plus every logged txn, committed or not), while a role change keeps it
//! (`ZooKeeperServer.shutdown(false)`, ZOOKEEPER-2678's retained database), fast-forwarded from
//! the txn log since ZOOKEEPER-2845 (`ZKDatabase.fastForwardDataBase`).
//!
//! The applied history doubles as the leader's committedLog (`LearnerHandler.syncFollower`
//! reads the window of it that `commitLogCount` keeps). A data tree will live here beside it,
//! changed by [`ZkDatabase::apply`], the one place a committed txn enters the database.

use crate::durable::DurableState;
use crate::ids::Zxid;
use crate::message::Txn;

/// `ZKDatabase`: what the server has applied, in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZkDatabase {
    /// Every txn applied to the data tree, in order.
    applied: Vec<Txn>,
    /// `DataTree.lastProcessedZxid`: the last applied txn, or a zxid set without a txn (a
    /// snapshot's zxid, the epoch marker a leader sets when it starts).
    last_processed_zxid: Zxid,
}

impl ZkDatabase {
    /// `loadDataBase`: the snapshot and every txn of the log, whether committed or not.
    pub fn load(disk: &DurableState) -> ZkDatabase {
        ZkDatabase { applied: disk.log.clone(), last_processed_zxid: disk.last_zxid() }
    }

    /// `fastForwardDataBase` (ZOOKEEPER-2845): apply every logged txn above
    /// lastProcessedZxid, so the database ends where the log does.
    pub fn fast_forward(&mut self, disk: &DurableState) {
        let from = disk.log.partition_point(|t| t.zxid <= self.last_processed_zxid);
        for txn in &disk.log[from..] {
            self.apply(*txn);
        }
        self.last_processed_zxid = self.last_processed_zxid.max(disk.last_zxid());
    }

    /// `processTxn`: apply one txn (on commit, or while loading).
    pub fn apply(&mut self, txn: Txn) {
        self.applied.push(txn);
        self.last_processed_zxid = txn.zxid;
    }

    /// `deserializeSnapshot` (SNAP), or a snapshot taken of the in-memory history at NEWLEADER:
    /// the database becomes that history at `zxid`.
    pub fn replace(&mut self, history: &[Txn], zxid: Zxid) {
        self.applied.clear();
        self.applied.extend_from_slice(history);
        self.last_processed_zxid = zxid.max(history.last().map_or(Zxid::ZERO, |t| t.zxid));
    }

    /// `setlastProcessedZxid`: a leader starting its epoch sets the epoch marker.
    pub fn set_last_processed_zxid(&mut self, zxid: Zxid) {
        self.last_processed_zxid = zxid;
    }

    /// `getDataTreeLastProcessedZxid`, which `QuorumPeer.getLastLoggedZxid` returns: what the
    /// vote, ACKEPOCH and the leader's state summary carry.
    #[inline]
    pub fn last_processed_zxid(&self) -> Zxid {
        self.last_processed_zxid
    }

    /// The applied txns, in order.
    #[inline]
    pub fn history(&self) -> &[Txn] {
        &self.applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Epoch;

    fn txn(epoch: u32, counter: u32) -> Txn {
        Txn { zxid: Zxid::new(Epoch(epoch), counter), value: counter as u64 }
    }

    #[test]
    fn a_retained_database_lags_a_logged_uncommitted_txn_until_fast_forwarded() {
        let mut disk = DurableState { log: vec![txn(1, 1)], ..DurableState::default() };
        let mut db = ZkDatabase::load(&disk);
        disk.log.push(txn(1, 2)); // logged, never committed
        assert_eq!(db.last_processed_zxid(), Zxid::new(Epoch(1), 1));
        db.fast_forward(&disk);
        assert_eq!(db.last_processed_zxid(), Zxid::new(Epoch(1), 2));
        assert_eq!(db.history(), &disk.log[..]);
    }

    #[test]
    fn loading_replays_every_logged_txn() {
        let disk = DurableState { log: vec![txn(1, 1), txn(1, 2)], ..DurableState::default() };
        assert_eq!(ZkDatabase::load(&disk).history(), &disk.log[..]);
    }
}
