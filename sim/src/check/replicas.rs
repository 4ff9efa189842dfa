//! ReplicaAgreement: servers that applied the same txns hold the same data tree, the digest
//! check ZooKeeper itself runs since ZOOKEEPER-3114 (`DataTree` digests compared across
//! servers at the same zxid). Zab orders the txns; this holds the state machine to them: a
//! server that applied a txn differently or skipped part of one (an expired session's
//! ephemerals left behind) ends with another tree. Trees are compared each time a server's
//! applied history changes, which in the model is the only time a tree changes.
//!
//! The check is keyed by a hash of the applied history (each txn's zxid and value, in order,
//! kept by `ZkDatabase`), not by zxid alone: two servers at one zxid may hold different
//! histories, which PrefixConsistency judges. Trees are compared by `DataTree::digest`.

use super::*;

/// One server's database as last seen: (txns applied, history hash).
pub(super) type AppliedHistory = (usize, u64);

/// The check's state: per server the applied history last compared, and the tree digest first
/// seen after each applied history, with the server it was seen on. Almost every history
/// length is reached by one history only, so the first one seen at each length sits in a
/// vector indexed by length, and only a diverging one (which PrefixConsistency judges) goes to
/// the map: no allocation per committed txn.
pub(super) struct ReplicaTrees {
    seen: Vec<Option<AppliedHistory>>,
    by_len: Vec<Option<(u64, u64, NodeId)>>,
    diverging: BTreeMap<AppliedHistory, (u64, NodeId)>,
}

impl ReplicaTrees {
    /// For `n` servers.
    pub(super) fn new(n: usize) -> ReplicaTrees {
        ReplicaTrees { seen: vec![None; n + 1], by_len: Vec::new(), diverging: BTreeMap::new() }
    }

    /// The digest first seen after `applied` (and by whom); records `digest` if it is the first.
    fn first_or_record(&mut self, applied: AppliedHistory, digest: u64, id: NodeId) -> (u64, NodeId) {
        let (len, hash) = applied;
        if self.by_len.len() <= len {
            self.by_len.resize(len + 1, None);
        }
        match self.by_len[len] {
            None => {
                self.by_len[len] = Some((hash, digest, id));
                (digest, id)
            }
            Some((h, first, by)) if h == hash => (first, by),
            Some(_) => *self.diverging.entry(applied).or_insert((digest, id)),
        }
    }
}

impl Checker {
    /// After server `id`'s step: if its database applied something new, its tree must match
    /// the tree every other server had after the same history.
    pub(super) fn check_replica(&mut self, id: NodeId, server: &Node) -> Result<(), Breach> {
        let db = server.database();
        let applied = (db.history().len(), db.history_digest());
        let seen = &mut self.replicas.seen[id.index()];
        if *seen == Some(applied) {
            return Ok(());
        }
        *seen = Some(applied);
        let digest = db.tree_digest();
        let (first, by) = self.replicas.first_or_record(applied, digest, id);
        if first == digest {
            return Ok(());
        }
        let last = db.history().last().map_or(Zxid::ZERO, |t| t.zxid);
        Err(Breach::new(
            Invariant::ReplicaAgreement,
            vec![by.0, id.0],
            format!(
                "{id} and {by} applied the same {} txns (through {last}) but their data trees differ: \
                 digest {digest:016x} on {id}, {first:016x} on {by}",
                applied.0
            ),
        ))
    }
}
