//! A server's in-memory database (`ZKDatabase`): the txns applied to its data tree, in order,
//! and the data tree's `lastProcessedZxid`. It is volatile and separate from the durable files
//! ([`DurableState`]): a process restart rebuilds it from disk (`ZKDatabase.loadDataBase`:
//! snapshot plus every logged txn, committed or not), while a role change mostly keeps it
//! (ZOOKEEPER-2678's retained database; what each kind of role end does is
//! `Node::end_role_database`).
//!
//! The applied history doubles as the leader's committedLog (`LearnerHandler.syncFollower`
//! reads the window of it that `commitLogCount` keeps). The data tree lives beside it,
//! changed by [`ZkDatabase::apply`], the one place a txn enters the database: a committed one,
//! or a logged one while loading or fast-forwarding.

use crate::data::digest::WordHash;
use crate::data::{Applied, DataTree, Op};
use crate::durable::DurableState;
use crate::ids::Zxid;
use crate::message::{Txn, TxnBody};

/// `ZKDatabase`: what the server has applied, in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkDatabase {
    /// Every txn applied to the data tree, in order.
    applied: Vec<Txn>,
    /// `DataTree.lastProcessedZxid`: the last applied txn, or a zxid set without a txn (a
    /// snapshot's zxid, the epoch marker a leader sets when it starts).
    last_processed_zxid: Zxid,
    /// The znodes and sessions the applied requests built; None while no txn carried a
    /// request (the root alone), so the plain workload's servers allocate and clone no tree.
    tree: Option<Box<DataTree>>,
    /// A hash of the applied txns (zxid and value of each, in order): two databases with the
    /// same one applied the same history, so their trees must be equal.
    history_digest: u64,
    /// The seeded mistake `mistake-keep-ephemerals` is on for this server.
    skips_close_session: bool,
}

impl Default for ZkDatabase {
    /// Empty: nothing applied, the root alone.
    fn default() -> ZkDatabase {
        ZkDatabase {
            applied: Vec::new(),
            last_processed_zxid: Zxid::ZERO,
            tree: None,
            history_digest: WordHash::new().finish(),
            skips_close_session: false,
        }
    }
}

impl ZkDatabase {
    /// `loadDataBase`: the snapshot and every txn of the log, whether committed or not.
    pub fn load(disk: &DurableState) -> ZkDatabase {
        let mut db = ZkDatabase::default();
        db.replace(&disk.log, disk.last_zxid());
        db
    }

    /// `fastForwardDataBase` (ZOOKEEPER-2845): apply every logged txn above
    /// lastProcessedZxid, so the database ends where the log does.
    pub fn fast_forward(&mut self, disk: &DurableState) {
        let from = disk.log.partition_point(|t| t.zxid <= self.last_processed_zxid);
        for txn in &disk.log[from..] {
            self.apply(txn.clone());
        }
        self.last_processed_zxid = self.last_processed_zxid.max(disk.last_zxid());
    }

    /// `processTxn`: apply one txn (on commit, or while loading). A txn carrying a request
    /// changes the tree and says what its client gets back; a plain workload write changes
    /// nothing there.
    pub fn apply(&mut self, txn: Txn) -> Option<Applied> {
        let applied = match &txn.body {
            // The seeded mistake `mistake-keep-ephemerals`: this server skips closeSession.
            TxnBody::Request(request) if self.skips_close_session && request.op == Op::CloseSession => None,
            TxnBody::Request(request) => Some(self.tree.get_or_insert_with(Box::default).apply(txn.zxid, request)),
            TxnBody::Opaque => None,
        };
        // DataTree.processTxn only moves lastProcessedZxid forward.
        self.last_processed_zxid = self.last_processed_zxid.max(txn.zxid);
        let mut hash = WordHash::resume(self.history_digest);
        hash.u64(txn.zxid.as_u64());
        hash.u64(txn.value);
        self.history_digest = hash.finish();
        self.applied.push(txn);
        applied
    }

    /// `deserializeSnapshot` (SNAP), or loading a snapshot and log: the database becomes
    /// that history at `zxid`. A snapshot carries a data tree; the model carries the history
    /// it was built from and builds the same tree again.
    pub fn replace(&mut self, history: &[Txn], zxid: Zxid) {
        self.applied.clear();
        self.tree = None;
        self.history_digest = WordHash::new().finish();
        for txn in history {
            self.apply(txn.clone());
        }
        self.last_processed_zxid = zxid.max(history.last().map_or(Zxid::ZERO, |t| t.zxid));
    }

    /// Turns on the seeded mistake `mistake-keep-ephemerals` for this server's database.
    pub fn skip_close_session(&mut self) {
        self.skips_close_session = true;
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

    /// A hash of the applied history (see `history_digest`).
    #[inline]
    pub fn history_digest(&self) -> u64 {
        self.history_digest
    }

    /// The data tree (reads are served from it); None while it holds the root alone because
    /// no applied txn carried a request.
    #[inline]
    pub fn tree(&self) -> Option<&DataTree> {
        self.tree.as_deref()
    }

    /// `DataTree::digest` of the tree, the root-only tree's when there is none.
    pub fn tree_digest(&self) -> u64 {
        static EMPTY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        match &self.tree {
            Some(tree) => tree.digest(),
            None => *EMPTY.get_or_init(|| DataTree::new().digest()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Epoch;

    fn txn(epoch: u32, counter: u32) -> Txn {
        Txn::opaque(Zxid::new(Epoch(epoch), counter), counter as u64)
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

    fn request(counter: u32, op: crate::data::Op) -> Txn {
        let request = crate::data::Request { session: crate::data::SessionId(5), cxid: u64::from(counter), op };
        let body = TxnBody::Request(std::sync::Arc::new(request));
        Txn { zxid: Zxid::new(Epoch(1), counter), value: u64::from(counter), body }
    }

    #[test]
    fn applying_loading_and_a_snapshot_build_the_same_tree_and_history_digest() {
        use crate::data::{CreateMode, Op, ZPath};
        let path = ZPath::parse("/lock").expect("valid");
        let log = vec![
            request(1, Op::CreateSession { timeout_ms: 6000 }),
            txn(1, 2),
            request(3, Op::Create { path: path.clone(), data: b"x".to_vec(), mode: CreateMode::Ephemeral }),
        ];
        let mut applied = ZkDatabase::default();
        let results: Vec<bool> = log.iter().map(|t| applied.apply(t.clone()).is_some()).collect();
        assert_eq!(results, [true, false, true], "only txns carrying a request reach the tree");
        assert!(applied.tree().and_then(|t| t.exists(&path)).is_some());
        let disk = DurableState { log: log.clone(), ..DurableState::default() };
        let loaded = ZkDatabase::load(&disk);
        let mut snapped = ZkDatabase::default();
        snapped.replace(&log, Zxid::new(Epoch(2), 0));
        for other in [&loaded, &snapped] {
            assert_eq!(other.tree_digest(), applied.tree_digest());
            assert_eq!(other.history_digest(), applied.history_digest());
        }
        assert_eq!(snapped.last_processed_zxid(), Zxid::new(Epoch(2), 0), "the snapshot's zxid");
        assert_ne!(
            ZkDatabase::load(&DurableState { log: log[..2].to_vec(), ..disk }).history_digest(),
            loaded.history_digest()
        );
    }

    #[test]
    fn loading_replays_every_logged_txn() {
        let disk = DurableState { log: vec![txn(1, 1), txn(1, 2)], ..DurableState::default() };
        assert_eq!(ZkDatabase::load(&disk).history(), &disk.log[..]);
    }
}
