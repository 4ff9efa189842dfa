//! The guarantees ZooKeeper gives its clients (the Programmer's Guide, "ZooKeeper
//! guarantees"), held against what the simulated clients saw, and the lock recipe's mutual
//! exclusion:
//! - ClientFifoOrder: a client's requests are answered in the order it sent them;
//! - ClientMonotonicView: no reply shows a client an older state than one it has seen, across
//!   reconnects too (a server refuses a client that has seen a zxid it has not). It holds per
//!   handle: after an expiry the client starts a new handle, whose last seen zxid is zero, as
//!   a new `ZooKeeper` object's is;
//! - LinearizableWrites: a write invoked after another write's reply reached any client is
//!   ordered after it (its zxid is higher);
//! - CommittedReads: every reply shows committed state (its zxid is within the committed
//!   history when it arrives);
//! - SyncFreshness: a sync answers with a state at least as new as every write whose reply
//!   reached any client before the sync was invoked. Its caveat, counted apart
//!   (`sync_caveats`): a leader that has lost its quorum but not noticed yet (it checks once
//!   per tickTime, `Leader.lead`) answers its own clients' syncs at once, since its
//!   CommitProcessor does not match syncs, while a new leader may already have acknowledged
//!   writes. The Zookeeper paper (Hunt et al., 2010, section 4.2) relies on timeouts for this
//!   ("leaders realize they are not leaders before followers abandon them"), which a
//!   follower that crashes and restarts does not wait for;
//! - ReadContents: a read answered at zxid Z shows exactly what the committed history leaves
//!   at Z (data, stat, children, or no node), replayed into a reference tree
//!   (`committed_tree.rs`): every server that applied the same prefix shows the same tree;
//! - WatchOrder: a watch event reaches its client before any reply showing a state past the
//!   change that fired it ("a client will see a watch event for a znode it is watching before
//!   it sees the new data"), and only for the first committed change to what it watches;
//! - QueueAtMostOnce: a queue item is taken by one consumer at most (the delete at the version
//!   read decides, so a second success means the tree let one node be deleted twice);
//! - LockExclusion: two clients never believe they hold the lock at once while both their
//!   sessions are live. A holder whose session has expired (its closeSession committed) may
//!   still believe it holds the lock until it hears of the expiry: ZooKeeper's documented
//!   caveat, counted apart (`lock_caveats`), not a violation.
//!
//! Each check needs only the order of events at the clients, the committed history and the
//! commit time of each closeSession, which the engine hands in.

mod reads;

use super::committed_tree::CommittedTree;
use super::{Breach, Invariant};
use reads::WatchType;
use std::collections::BTreeMap;
use zabsim_protocol::data::{Op, SessionId, ZPath};
use zabsim_protocol::message::TxnBody;
use zabsim_protocol::{ClientOp, Epoch, Read, Reply, Txn, Zxid};

/// One client's belief that it holds the lock.
#[derive(Clone, Copy, Debug)]
struct Hold {
    client: usize,
    session: SessionId,
    since_us: u64,
    /// When it stopped using the lock; None while it still believes it holds it.
    until_us: Option<u64>,
}

/// One reply as its client received it.
pub(crate) struct ReplySeen<'a> {
    pub(crate) client: usize,
    /// The server that answered.
    pub(crate) server: u8,
    /// The client's oldest outstanding request.
    pub(crate) expected: Option<u64>,
    /// The highest zxid the client had seen before.
    pub(crate) seen: Zxid,
    pub(crate) cxid: u64,
    /// The reply header's zxid.
    pub(crate) zxid: Zxid,
    pub(crate) reply: &'a Reply,
    /// The committed history's frontier when the reply arrives (`Checker::committed_frontier`).
    pub(crate) committed: Zxid,
}

/// The client-side checker.
#[derive(Clone, Debug, Default)]
pub struct ClientChecker {
    /// Highest zxid of a write reply any client has received so far.
    acked_write_max: Zxid,
    /// For each write or sync in flight, (client, cxid): `acked_write_max` when invoked.
    floors: BTreeMap<(usize, u64), Zxid>,
    holds: Vec<Hold>,
    /// When each closed session's closeSession committed, µs.
    closed_at_us: BTreeMap<SessionId, u64>,
    /// How much of the committed history has been searched for closeSessions.
    closes_seen: usize,
    /// Lock acquisitions while an expired holder still believed it held the lock.
    pub(crate) lock_caveats: u64,
    /// Of those, acquisitions by a client whose own session had expired.
    pub(crate) expired_acquirer_caveats: u64,
    /// Lock acquisitions.
    pub(crate) lock_acquisitions: u64,
    /// Syncs answered by a server behind the newest established epoch: (client, cxid) and
    /// that server's epoch.
    deposed_syncs: BTreeMap<(usize, u64), Epoch>,
    /// Syncs behind an acknowledged write, answered by a deposed leader (the caveat).
    pub(crate) sync_caveats: u64,
    /// The committed history replayed, for ReadContents and WatchOrder.
    tree: CommittedTree,
    /// Reads in flight, (client, cxid).
    reads: BTreeMap<(usize, u64), Read>,
    /// Queue items taken so far, and by which client.
    taken: BTreeMap<String, usize>,
    /// Per client, the watches it has set on its current connection and not yet seen fire,
    /// with the zxid of the state they were set on (the earliest, if set twice).
    watches: BTreeMap<usize, BTreeMap<(ZPath, WatchType), Zxid>>,
}

impl ClientChecker {
    /// Replays the committed txns not yet in the reference tree: called before the clients
    /// handle anything, so every check below sees the history as it stands.
    pub(crate) fn catch_up(&mut self, history: &[Txn], now_us: u64) {
        // Sessions end when their closeSession joins the committed history: committed by a
        // leader's quorum of ACKs, or by a new leader's establishment (a closeSession proposed
        // in the old epoch and synced in the new one is committed without any COMMIT).
        for txn in &history[self.closes_seen.min(history.len())..] {
            if let TxnBody::Request(request) = &txn.body {
                if request.op == Op::CloseSession {
                    self.on_session_closed(request.session, now_us);
                }
            }
        }
        self.closes_seen = history.len();
        self.tree.catch_up(history);
    }

    /// A request leaves `client`.
    pub(crate) fn on_invoke(&mut self, client: usize, cxid: u64, op: &ClientOp) {
        match op {
            ClientOp::Write { .. } | ClientOp::Sync { .. } => {
                self.floors.insert((client, cxid), self.acked_write_max);
            }
            ClientOp::Read { read } => {
                self.reads.insert((client, cxid), read.clone());
            }
        }
    }

    /// A request failed with ConnectionLoss: its outcome is unknown, nothing to hold it to.
    pub(crate) fn on_lost(&mut self, client: usize, cxid: u64) {
        self.floors.remove(&(client, cxid));
        self.deposed_syncs.remove(&(client, cxid));
        self.reads.remove(&(client, cxid));
    }

    /// `client`'s connection is gone, and with it every watch it set through it (the server
    /// drops them, and the model has no `SetWatches`).
    pub(crate) fn on_disconnected(&mut self, client: usize) {
        self.watches.remove(&client);
    }

    /// A server in `epoch`, behind the newest established epoch, answered `client`'s sync
    /// `cxid`.
    pub(crate) fn on_deposed_sync(&mut self, client: usize, cxid: u64, epoch: Epoch) {
        self.deposed_syncs.insert((client, cxid), epoch);
    }

    /// A client received a reply.
    pub(crate) fn on_reply(&mut self, got: &ReplySeen<'_>) -> Result<(), Breach> {
        let &ReplySeen { client, server, expected, seen, cxid, zxid, reply, committed } = got;
        if expected != Some(cxid) {
            let expected = expected.map_or("none outstanding".to_string(), |c| format!("#{c} first"));
            return Err(Breach::new(
                Invariant::ClientFifoOrder,
                vec![server],
                format!("client {client} got the reply to #{cxid} from s{server}, but it sent {expected}"),
            ));
        }
        if zxid < seen {
            return Err(Breach::new(
                Invariant::ClientMonotonicView,
                vec![server],
                format!("client {client} got #{cxid} from s{server} at {zxid}, after it had seen {seen}"),
            ));
        }
        if zxid > committed {
            return Err(Breach::new(
                Invariant::CommittedReads,
                vec![server],
                format!(
                    "client {client} got #{cxid} ({reply}) from s{server} at {zxid}, beyond the committed history, \
                     which ends at {committed}"
                ),
            ));
        }
        self.check_watches_delivered(client, server, zxid)?;
        if let Some(read) = self.reads.remove(&(client, cxid)) {
            self.check_read(got, &read)?;
        }
        let deposed = self.deposed_syncs.remove(&(client, cxid));
        let Some(floor) = self.floors.remove(&(client, cxid)) else { return Ok(()) };
        match reply {
            Reply::Write { .. } => {
                if zxid <= floor {
                    return Err(Breach::new(
                        Invariant::LinearizableWrites,
                        vec![server],
                        format!(
                            "client {client}'s write #{cxid} was ordered at {zxid}, not after {floor}, a write \
                             acknowledged before #{cxid} was invoked"
                        ),
                    ));
                }
                self.acked_write_max = self.acked_write_max.max(zxid);
            }
            // Only writes of a newer epoch than the deposed server's can be missing for that
            // reason: it applied everything acknowledged in its own epoch.
            Reply::Synced if zxid < floor && deposed.is_some_and(|epoch| floor.epoch > epoch) => self.sync_caveats += 1,
            Reply::Synced if zxid < floor => {
                return Err(Breach::new(
                    Invariant::SyncFreshness,
                    vec![server],
                    format!(
                        "client {client}'s sync #{cxid} at s{server} answered at {zxid}, behind {floor}, a write \
                         acknowledged before the sync was invoked"
                    ),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// The closeSession of `session` committed at `now_us`.
    pub(crate) fn on_session_closed(&mut self, session: SessionId, now_us: u64) {
        self.closed_at_us.entry(session).or_insert(now_us);
    }

    /// `client` (on `session`) now believes it holds the lock.
    pub(crate) fn on_lock_acquired(&mut self, client: usize, session: SessionId, now_us: u64) -> Result<(), Breach> {
        self.lock_acquisitions += 1;
        // The acquirer's own session already expired (its closeSession committed) while it
        // reads a stale server: the same documented caveat, from the other side.
        if self.closed_at_us.contains_key(&session) {
            self.lock_caveats += 1;
            self.expired_acquirer_caveats += 1;
            self.holds.push(Hold { client, session, since_us: now_us, until_us: None });
            return Ok(());
        }
        for hold in self.holds.iter().filter(|h| h.until_us.is_none() && h.client != client) {
            match self.closed_at_us.get(&hold.session) {
                Some(_) => self.lock_caveats += 1,
                None => {
                    return Err(Breach::new(
                        Invariant::LockExclusion,
                        vec![],
                        format!(
                            "client {client} (session {session}) acquired the lock while client {} (session {}, \
                             live) has held it since {}",
                            hold.client,
                            hold.session,
                            crate::format_time(hold.since_us)
                        ),
                    ))
                }
            }
        }
        self.holds.push(Hold { client, session, since_us: now_us, until_us: None });
        Ok(())
    }

    /// `client` took queue item `item`.
    pub(crate) fn on_consumed(&mut self, client: usize, item: &str) -> Result<(), Breach> {
        if let Some(first) = self.taken.insert(item.to_string(), client) {
            return Err(Breach::new(
                Invariant::QueueAtMostOnce,
                vec![],
                format!("client {client} took queue item {item}, which client {first} had already taken"),
            ));
        }
        Ok(())
    }

    /// Queue items taken.
    pub(crate) fn items_taken(&self) -> u64 {
        self.taken.len() as u64
    }

    /// `client` stopped using the lock.
    pub(crate) fn on_lock_released(&mut self, client: usize, now_us: u64) {
        for hold in self.holds.iter_mut().filter(|h| h.client == client && h.until_us.is_none()) {
            hold.until_us = Some(now_us);
        }
        // Finished holds can never overlap a later acquisition again.
        self.holds.retain(|h| h.until_us.is_none());
    }
}

#[cfg(test)]
mod tests;
