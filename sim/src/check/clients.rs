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
//! - LockExclusion: two clients never believe they hold the lock at once while both their
//!   sessions are live. A holder whose session has expired (its closeSession committed) may
//!   still believe it holds the lock until it hears of the expiry: ZooKeeper's documented
//!   caveat, counted apart (`lock_caveats`), not a violation.
//!
//! Each check needs only the order of events at the clients and the commit time of each
//! closeSession, which the engine hands in.

use super::{Breach, Invariant};
use std::collections::BTreeMap;
use zabsim_protocol::data::SessionId;
use zabsim_protocol::{ClientOp, Reply, Zxid};

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
    /// Lock acquisitions while an expired holder still believed it held the lock.
    pub(crate) lock_caveats: u64,
    /// Lock acquisitions.
    pub(crate) lock_acquisitions: u64,
    /// Syncs answered by a server behind the newest established epoch: (client, cxid).
    deposed_syncs: std::collections::BTreeSet<(usize, u64)>,
    /// Syncs behind an acknowledged write, answered by a deposed leader (the caveat).
    pub(crate) sync_caveats: u64,
}

impl ClientChecker {
    /// A request leaves `client`.
    pub(crate) fn on_invoke(&mut self, client: usize, cxid: u64, op: &ClientOp) {
        if matches!(op, ClientOp::Write { .. } | ClientOp::Sync { .. }) {
            self.floors.insert((client, cxid), self.acked_write_max);
        }
    }

    /// A request failed with ConnectionLoss: its outcome is unknown, nothing to hold it to.
    pub(crate) fn on_lost(&mut self, client: usize, cxid: u64) {
        self.floors.remove(&(client, cxid));
        self.deposed_syncs.remove(&(client, cxid));
    }

    /// A server behind the newest established epoch answered `client`'s sync `cxid`.
    pub(crate) fn on_deposed_sync(&mut self, client: usize, cxid: u64) {
        self.deposed_syncs.insert((client, cxid));
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
            Reply::Synced if zxid < floor && deposed => self.sync_caveats += 1,
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
mod tests {
    //! One canary per check: a hand-built history that breaks exactly that property.
    use super::*;
    use zabsim_protocol::data::{Op, OpResult, ZPath};
    use zabsim_protocol::{Epoch, Read};

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

    #[test]
    fn a_sync_behind_an_acknowledged_write_breaks_sync_freshness() {
        let mut c = ClientChecker::default();
        c.on_invoke(0, 1, &write());
        c.on_reply(&seen(0, 1, z(0), 1, z(9), &written())).unwrap();
        let sync = ClientOp::Sync { path: ZPath::parse("/a").unwrap() };
        c.on_invoke(1, 4, &sync);
        let err = c.on_reply(&seen(1, 4, z(0), 4, z(8), &Reply::Synced)).unwrap_err();
        assert_eq!(err.invariant, Invariant::SyncFreshness);
        c.on_invoke(1, 5, &sync);
        assert!(c.on_reply(&seen(1, 5, z(0), 5, z(9), &Reply::Synced)).is_ok());
        // Reads are not held to it: a read may be stale.
        let read = ClientOp::Read { read: Read::GetData { path: ZPath::parse("/a").unwrap(), watch: false } };
        c.on_invoke(1, 6, &read);
        assert!(c.on_reply(&seen(1, 6, z(0), 6, z(1), &Reply::Exists { stat: None })).is_ok());
    }

    #[test]
    fn a_stale_sync_from_a_deposed_leader_is_the_caveat_not_a_violation() {
        let mut c = ClientChecker::default();
        c.on_invoke(0, 1, &write());
        c.on_reply(&seen(0, 1, z(0), 1, z(9), &written())).unwrap();
        let sync = ClientOp::Sync { path: ZPath::parse("/a").unwrap() };
        c.on_invoke(1, 4, &sync);
        c.on_deposed_sync(1, 4);
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
        assert_eq!(c.lock_caveats, 1);
        // Released first: no overlap at all.
        let mut c = ClientChecker::default();
        c.on_lock_acquired(0, SessionId(10), 1_000).unwrap();
        c.on_lock_released(0, 1_200);
        c.on_lock_acquired(1, SessionId(11), 2_000).unwrap();
        assert_eq!(c.lock_caveats, 0);
    }
}
