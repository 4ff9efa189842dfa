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

use super::committed_tree::{CommittedTree, NodeView};
use super::{Breach, Invariant};
use std::collections::BTreeMap;
use zabsim_protocol::data::{SessionId, WatchEvent, WatchEventKind, ZPath, ZkError};
use zabsim_protocol::{ClientOp, Epoch, Read, Reply, Txn, Zxid};

/// The two kinds of watch a read leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum WatchType {
    /// Set by getData or exists.
    Data,
    /// Set by getChildren.
    Child,
}

impl WatchType {
    /// `WatchManager.triggerWatch`'s rule (see `zabsim_protocol::data::WatchManager`).
    fn fired_by(self, kind: WatchEventKind) -> bool {
        use WatchEventKind::*;
        match self {
            WatchType::Data => matches!(kind, NodeCreated | NodeDataChanged | NodeDeleted),
            WatchType::Child => matches!(kind, NodeChildrenChanged | NodeDeleted),
        }
    }

    fn name(self) -> &'static str {
        match self {
            WatchType::Data => "data",
            WatchType::Child => "child",
        }
    }
}

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
    /// The committed history itself (`Checker::committed`).
    pub(crate) history: &'a [Txn],
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

    /// `client` received a watch event from `server`: it must be for a watch it set, and the
    /// first committed change since that fires it must be this one.
    pub(crate) fn on_watch(
        &mut self,
        client: usize,
        server: u8,
        event: &WatchEvent,
        history: &[Txn],
        committed: Zxid,
    ) -> Result<(), Breach> {
        self.tree.catch_up(history);
        let watches = self.watches.entry(client).or_default();
        let fired: Vec<(WatchType, Zxid)> = watches
            .iter()
            .filter(|((path, kind), _)| *path == event.path && kind.fired_by(event.kind))
            .map(|((_, kind), set_at)| (*kind, *set_at))
            .collect();
        if fired.is_empty() {
            return Err(Breach::new(
                Invariant::WatchOrder,
                vec![server],
                format!("client {client} got {event} from s{server}, but it has no watch that event fires"),
            ));
        }
        for (kind, set_at) in fired {
            watches.remove(&(event.path.clone(), kind));
            let first = self.tree.first_event(&event.path, set_at, committed, |k| kind.fired_by(k));
            if first.map(|(_, k)| k) != Some(event.kind) {
                let first = first.map_or("none".to_string(), |(zxid, k)| format!("{k} at {zxid}"));
                return Err(Breach::new(
                    Invariant::WatchOrder,
                    vec![server],
                    format!(
                        "client {client} got {event} from s{server} for the {} watch it set at {set_at}, but the \
                         first committed change since that fires it is {first}",
                        kind.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A pong at `zxid` from `server`: every watch fired at or below it must have arrived.
    pub(crate) fn on_pong(&mut self, client: usize, server: u8, zxid: Zxid, history: &[Txn]) -> Result<(), Breach> {
        self.tree.catch_up(history);
        self.check_watches_delivered(client, server, zxid)
    }

    /// Every watch `client` still waits on must not have been fired by a committed change at
    /// or before `zxid`, the state the reply in hand shows.
    fn check_watches_delivered(&self, client: usize, server: u8, zxid: Zxid) -> Result<(), Breach> {
        let Some(watches) = self.watches.get(&client) else { return Ok(()) };
        for ((path, kind), set_at) in watches {
            if let Some((at, event)) = self.tree.first_event(path, *set_at, zxid, |k| kind.fired_by(k)) {
                return Err(Breach::new(
                    Invariant::WatchOrder,
                    vec![server],
                    format!(
                        "client {client} got a reply at {zxid} from s{server} before the {event} of {path} at {at}, \
                         which fires the {} watch it set at {set_at}",
                        kind.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A read answered at `zxid` must show what the committed history leaves there; a read
    /// that succeeded leaves the watch it asked for.
    fn check_read(&mut self, got: &ReplySeen<'_>, read: &Read) -> Result<(), Breach> {
        let &ReplySeen { client, server, cxid, zxid, reply, .. } = got;
        let (path, watch) = match read {
            Read::GetData { path, watch } | Read::Exists { path, watch } | Read::GetChildren { path, watch } => {
                (path, *watch)
            }
        };
        let expected = self.tree.node_at(path, zxid);
        let matches = match (read, reply, &expected) {
            (Read::GetData { .. }, Reply::Data { data, stat }, Some(node)) => node.data == *data && node.stat == *stat,
            (Read::Exists { .. }, Reply::Exists { stat }, node) => *stat == node.as_ref().map(|n| n.stat),
            (Read::GetChildren { .. }, Reply::Children { children }, Some(node)) => node.children == *children,
            (Read::GetData { .. } | Read::GetChildren { .. }, Reply::Error { error: ZkError::NoNode }, None) => true,
            _ => false,
        };
        if !matches {
            return Err(Breach::new(
                Invariant::ReadContents,
                vec![server],
                format!(
                    "client {client}'s #{cxid} {read} at s{server} answered {reply} at {zxid}, but the committed \
                     history has {} there",
                    describe(expected.as_ref())
                ),
            ));
        }
        let registered = !matches!(reply, Reply::Error { .. });
        if watch && registered {
            let kind = if matches!(read, Read::GetChildren { .. }) { WatchType::Child } else { WatchType::Data };
            self.watches.entry(client).or_default().entry((path.clone(), kind)).or_insert(zxid);
        }
        Ok(())
    }

    /// A server in `epoch`, behind the newest established epoch, answered `client`'s sync
    /// `cxid`.
    pub(crate) fn on_deposed_sync(&mut self, client: usize, cxid: u64, epoch: Epoch) {
        self.deposed_syncs.insert((client, cxid), epoch);
    }

    /// A client received a reply.
    pub(crate) fn on_reply(&mut self, got: &ReplySeen<'_>) -> Result<(), Breach> {
        let &ReplySeen { client, server, expected, seen, cxid, zxid, reply, committed, history } = got;
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
        self.tree.catch_up(history);
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

/// A node as a failure report names it.
fn describe(node: Option<&NodeView>) -> String {
    match node {
        None => "no node".to_string(),
        Some(n) => format!("{}B {:?} children {:?}", n.data.len(), n.stat, n.children),
    }
}

#[cfg(test)]
mod tests {
    //! One canary per check: a hand-built history that breaks exactly that property.
    use super::*;
    use zabsim_protocol::data::{Op, OpResult};
    use zabsim_protocol::Read;

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
        ReplySeen {
            client,
            server: 1,
            expected: Some(expected),
            seen,
            cxid,
            zxid,
            reply,
            committed: z(100),
            history: &[],
        }
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
        assert!(c.on_reply(&seen(1, 6, z(0), 6, z(1), &Reply::Error { error: ZkError::NoNode })).is_ok());
    }

    #[test]
    fn a_stale_sync_from_a_deposed_leader_is_the_caveat_not_a_violation() {
        let mut c = ClientChecker::default();
        c.on_invoke(0, 1, &write());
        c.on_reply(&seen(0, 1, z(0), 1, z(9), &written())).unwrap();
        let sync = ClientOp::Sync { path: ZPath::parse("/a").unwrap() };
        c.on_invoke(1, 4, &sync);
        c.on_deposed_sync(1, 4, Epoch(0));
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

    fn txn(counter: u32, op: Op) -> Txn {
        let request = zabsim_protocol::data::Request { session: SessionId(1), cxid: 0, op };
        let body = zabsim_protocol::message::TxnBody::Request(std::sync::Arc::new(request));
        Txn { zxid: z(counter), value: body.value(), body }
    }

    fn path(p: &str) -> ZPath {
        ZPath::parse(p).unwrap()
    }

    /// Session 1 created at 1:1; /a created with "x" at 1:2, set to "y" at 1:3.
    fn a_history() -> Vec<Txn> {
        let create =
            Op::Create { path: path("/a"), data: b"x".to_vec(), mode: zabsim_protocol::data::CreateMode::Persistent };
        let set = Op::SetData { path: path("/a"), data: b"y".to_vec(), version: None };
        vec![txn(1, Op::CreateSession { timeout_ms: 4000 }), txn(2, create), txn(3, set)]
    }

    #[test]
    fn a_read_showing_another_state_than_the_committed_one_at_its_zxid_breaks_read_contents() {
        let history = a_history();
        let mut reference = super::CommittedTree::default();
        reference.catch_up(&history);
        let at_2 = reference.node_at(&path("/a"), z(2)).unwrap();
        let get = ClientOp::Read { read: Read::GetData { path: path("/a"), watch: false } };
        let mut c = ClientChecker::default();
        // "x" at 1:2 is right; "x" with the stat of 1:2 but claimed at 1:3 is not.
        c.on_invoke(0, 1, &get);
        let right = Reply::Data { data: b"x".to_vec(), stat: at_2.stat };
        assert!(c.on_reply(&ReplySeen { history: &history, ..seen(0, 1, z(0), 1, z(2), &right) }).is_ok());
        c.on_invoke(0, 2, &get);
        let err = c.on_reply(&ReplySeen { history: &history, ..seen(0, 2, z(2), 2, z(3), &right) }).unwrap_err();
        assert_eq!(err.invariant, Invariant::ReadContents);
        // Before the create, the node does not exist.
        let mut c = ClientChecker::default();
        c.on_invoke(0, 1, &get);
        let none = Reply::Error { error: ZkError::NoNode };
        assert!(c.on_reply(&ReplySeen { history: &history, ..seen(0, 1, z(0), 1, z(1), &none) }).is_ok());
    }

    #[test]
    fn a_reply_past_a_change_before_its_watch_event_breaks_watch_order() {
        let history = a_history();
        let exists = ClientOp::Read { read: Read::Exists { path: path("/a"), watch: true } };
        let mut c = ClientChecker::default();
        // exists /a with a watch at 1:0 (no node); /a is created at 1:2.
        c.on_invoke(0, 1, &exists);
        let absent = Reply::Exists { stat: None };
        c.on_reply(&ReplySeen { history: &history, ..seen(0, 1, z(0), 1, z(0), &absent) }).unwrap();
        // A reply at 1:3 before the NodeCreated arrived: the client saw past the change.
        let other = ClientOp::Sync { path: path("/a") };
        c.on_invoke(0, 2, &other);
        let err =
            c.on_reply(&ReplySeen { history: &history, ..seen(0, 2, z(0), 2, z(3), &Reply::Synced) }).unwrap_err();
        assert_eq!(err.invariant, Invariant::WatchOrder);
        // With the NodeCreated first, the same reply is fine, and the watch is used up.
        let mut c = ClientChecker::default();
        c.on_invoke(0, 1, &exists);
        c.on_reply(&ReplySeen { history: &history, ..seen(0, 1, z(0), 1, z(0), &absent) }).unwrap();
        let created = WatchEvent::new(WatchEventKind::NodeCreated, path("/a"));
        c.on_watch(0, 1, &created, &history, z(3)).unwrap();
        c.on_invoke(0, 2, &other);
        assert!(c.on_reply(&ReplySeen { history: &history, ..seen(0, 2, z(0), 2, z(3), &Reply::Synced) }).is_ok());
        // A second NodeCreated has no watch left to fire.
        let err = c.on_watch(0, 1, &created, &history, z(3)).unwrap_err();
        assert_eq!(err.invariant, Invariant::WatchOrder);
    }

    #[test]
    fn a_watch_event_for_another_change_than_the_first_committed_one_breaks_watch_order() {
        let history = a_history();
        let get = ClientOp::Read { read: Read::GetData { path: path("/a"), watch: true } };
        let mut reference = super::CommittedTree::default();
        reference.catch_up(&history);
        let at_2 = reference.node_at(&path("/a"), z(2)).unwrap();
        let mut c = ClientChecker::default();
        c.on_invoke(0, 1, &get);
        let x = Reply::Data { data: b"x".to_vec(), stat: at_2.stat };
        c.on_reply(&ReplySeen { history: &history, ..seen(0, 1, z(0), 1, z(2), &x) }).unwrap();
        // The change after 1:2 is a NodeDataChanged, not a NodeDeleted.
        let deleted = WatchEvent::new(WatchEventKind::NodeDeleted, path("/a"));
        assert_eq!(c.on_watch(0, 1, &deleted, &history, z(3)).unwrap_err().invariant, Invariant::WatchOrder);
    }

    #[test]
    fn a_queue_item_taken_twice_breaks_queue_at_most_once() {
        let mut c = ClientChecker::default();
        c.on_consumed(1, "qn-0000000003").unwrap();
        c.on_consumed(3, "qn-0000000004").unwrap();
        let err = c.on_consumed(3, "qn-0000000003").unwrap_err();
        assert_eq!(err.invariant, Invariant::QueueAtMostOnce);
        assert_eq!(c.items_taken(), 2);
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
