//! The assertions a server checks on itself after every step (debug builds only).

use crate::node::{Node, Role};

impl Node {
    /// What must hold after every step, whatever a peer sent (TigerBeetle's habit: dense
    /// assertions inside the replica). Checked only with debug assertions on (`--profile ci`),
    /// so the release build pays nothing. Each message names the server, its epochs and its
    /// last zxid.
    pub(crate) fn assert_invariants(&self) {
        let at = || {
            format!(
                "{} (acceptedEpoch {}, currentEpoch {}, last zxid {})",
                self.id,
                self.disk.accepted_epoch,
                self.disk.current_epoch,
                self.disk.last_zxid()
            )
        };
        // Learner.registerWithLeader writes acceptedEpoch before it acknowledges an epoch,
        // and currentEpoch only once that epoch's NEWLEADER arrives: a promise precedes its
        // adoption.
        debug_assert!(
            self.disk.accepted_epoch >= self.disk.current_epoch,
            "{}: acceptedEpoch below currentEpoch",
            at()
        );
        // Txns come only from the leader of an epoch this server promised to follow (or led):
        // none of its log is from an epoch it never accepted. (zk-335 keeps no epoch files.)
        let epoch_files = self.keeps_epoch_files();
        debug_assert!(
            !epoch_files || self.disk.last_zxid().epoch <= self.disk.accepted_epoch,
            "{}: logged a txn of an epoch it never accepted",
            at()
        );
        debug_assert!(
            self.delivered <= self.db.history().len(),
            "{}: delivered {} txns but the database holds {}",
            at(),
            self.delivered,
            self.db.history().len()
        );
        match &self.role {
            Role::Leading(leader) => {
                // Leader.propose appends each proposal to the log before it joins
                // outstandingProposals, and tryToCommit commits in zxid order: the
                // outstanding proposals are the log's tail, and (the database fast-forwarded
                // from the log when the last role ended) the log holds nothing else above
                // the committed history. zk-2845 may leave an old uncommitted txn between.
                if leader.started {
                    let tail = self.disk.log.len().checked_sub(leader.outstanding.len());
                    debug_assert!(
                        self.config.variants.zk_2845 || tail == Some(self.db.history().len()),
                        "{}: {} applied and {} outstanding proposals, but {} txns in the log",
                        at(),
                        self.db.history().len(),
                        leader.outstanding.len(),
                        self.disk.log.len()
                    );
                    let logged = tail.map_or(&[][..], |t| &self.disk.log[t..]);
                    debug_assert!(
                        leader.outstanding.iter().zip(logged).all(|(o, t)| o.txn.zxid == t.zxid),
                        "{}: an outstanding proposal is not in the log tail",
                        at()
                    );
                    if let Some(last) = leader.outstanding.back() {
                        debug_assert_eq!(
                            last.txn.zxid,
                            leader.last_proposed,
                            "{}: the last outstanding proposal is not the last proposed zxid",
                            at()
                        );
                    }
                    debug_assert!(
                        !epoch_files || leader.epoch == Some(self.disk.current_epoch),
                        "{}: an established leader leads an epoch other than its currentEpoch",
                        at()
                    );
                    debug_assert_eq!(
                        Some(leader.last_proposed.epoch),
                        leader.epoch,
                        "{}: the leader proposes in an epoch other than its own",
                        at()
                    );
                }
            }
            Role::Following(learner) => {
                // Follower.logRequest appends before pendingTxns grows and commit() pops the
                // head: the proposals awaiting COMMIT are the log's tail, in order.
                let tail = self.disk.log.len().checked_sub(learner.pending_txns.len());
                debug_assert!(
                    tail.is_some_and(|t| learner
                        .pending_txns
                        .iter()
                        .zip(&self.disk.log[t..])
                        .all(|(p, t)| *p == t.zxid)),
                    "{}: {} proposals await COMMIT but are not the tail of the {} logged txns",
                    at(),
                    learner.pending_txns.len(),
                    self.disk.log.len()
                );
                if let Some(epoch) = learner.serving_epoch().filter(|_| epoch_files) {
                    debug_assert_eq!(
                        epoch,
                        self.disk.current_epoch,
                        "{}: a follower in BROADCAST of an epoch other than its currentEpoch",
                        at()
                    );
                }
            }
            Role::Looking(_) | Role::Down | Role::Leaving(_) => {}
        }
    }
}
