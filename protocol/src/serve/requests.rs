//! Requests on a client connection: writes sent on to the leader as txns, reads answered from
//! the local tree, syncs, pings, and the answers a server gives when it applies a committed
//! txn (`FinalRequestProcessor`): watch notifications first, then the reply, in the order the
//! session sent its requests (`CommitProcessor`).

use super::wire::{ClientCmd, ClientOp, ClientPacket, ConnId, Read, Reply, ServerPacket};
use super::{ConnState, Queued};
use crate::data::{Applied, DataTree, Op, Request, WatchManager, ZkError};
use crate::ids::{NodeId, Zxid};
use crate::message::{Message, QuorumPacket, Txn, TxnBody};
use crate::node::{Cx, Node, Role};
use std::sync::Arc;

impl Node {
    /// Whether this server's `ZooKeeperServer` is running: a leader after `startZkServer`, a
    /// learner after UPTODATE. Only then are clients served.
    pub(crate) fn serves_clients(&self) -> bool {
        match &self.role {
            Role::Leading(leader) => leader.is_serving(),
            Role::Following(learner) => learner.is_serving(),
            _ => false,
        }
    }

    /// A packet on client connection `conn`.
    pub(crate) fn on_client_packet(&mut self, cx: &mut Cx<'_>, conn: ConnId, packet: ClientPacket) {
        match packet {
            ClientPacket::Connect { session, timeout_ms, last_zxid_seen } => {
                self.on_client_connect(cx, conn, session, timeout_ms, last_zxid_seen)
            }
            ClientPacket::Request { cxid, op } => self.on_client_request(cx, conn, cxid, op),
            ClientPacket::Ping => {
                if self.touch_open_session(cx, conn) {
                    self.enqueue(cx, conn, Queued::Ping);
                }
            }
        }
    }

    /// The client closed the connection, or it broke: its watches go (`removeWatcher`); its
    /// session lives on until it expires or moves elsewhere.
    pub(crate) fn on_client_gone(&mut self, conn: ConnId) {
        if let Some(c) = self.port.conns.remove(&conn) {
            let session = c.state.session();
            if self.port.by_session.get(&session) == Some(&conn) {
                self.port.by_session.remove(&session);
            }
            self.port.watches.remove_watcher(conn.0);
        }
    }

    fn on_client_request(&mut self, cx: &mut Cx<'_>, conn: ConnId, cxid: u64, op: ClientOp) {
        if !self.touch_open_session(cx, conn) {
            return;
        }
        let session = self.port.conns[&conn].state.session();
        match op {
            ClientOp::Write { op } => {
                self.port.conns.get_mut(&conn).expect("open").queue.push_back(Queued::Write { cxid });
                self.submit_request(cx, Request { session, cxid, op });
            }
            ClientOp::Read { read } => self.enqueue(cx, conn, Queued::Read { cxid, read }),
            ClientOp::Sync { .. } => {
                self.port.conns.get_mut(&conn).expect("open").queue.push_back(Queued::Sync { cxid, done: false });
                self.submit_sync(cx, conn, cxid);
            }
        }
    }

    /// Touches the session open on `conn`; false (and the packet is dropped) if there is none.
    fn touch_open_session(&mut self, cx: &mut Cx<'_>, conn: ConnId) -> bool {
        let Some(c) = self.port.conns.get(&conn) else { return false };
        let ConnState::Open(session) = c.state else { return false };
        let timeout_ms = c.timeout_ms;
        self.touch_session(cx, session, timeout_ms);
        true
    }

    fn enqueue(&mut self, cx: &mut Cx<'_>, conn: ConnId, item: Queued) {
        if let Some(c) = self.port.conns.get_mut(&conn) {
            c.queue.push_back(item);
        }
        self.drain_conn(cx, conn);
    }

    /// A write or session change for the leader to order: proposed here when leading, sent on
    /// as `Leader.REQUEST` when following.
    pub(crate) fn submit_request(&mut self, cx: &mut Cx<'_>, request: Request) {
        let body = TxnBody::Request(Arc::new(request));
        let value = body.value();
        match &self.role {
            Role::Leading(_) => self.leader_propose(cx, self.id, value, body),
            Role::Following(learner) => {
                let leader = learner.leader;
                self.send(cx, leader, Message::Quorum(QuorumPacket::Request { value, body }));
            }
            _ => {}
        }
    }

    fn submit_sync(&mut self, cx: &mut Cx<'_>, conn: ConnId, cxid: u64) {
        match &self.role {
            // The leader's own client: its CommitProcessor does not match syncs
            // (`matchSyncs` is false on the leader, ProposalRequestProcessor passes the sync
            // on), so it is answered like a read, after the session's earlier requests.
            Role::Leading(_) => self.sync_done(cx, conn, cxid),
            Role::Following(learner) => {
                let leader = learner.leader;
                self.port.learner_syncs.push_back((conn, cxid));
                self.send(cx, leader, Message::Quorum(QuorumPacket::SyncRequest));
            }
            _ => {}
        }
    }

    /// `Leader.processSync` for a learner's sync: answered with SYNC at once when nothing is
    /// outstanding, else once the last proposal so far commits.
    pub(crate) fn leader_sync(&mut self, cx: &mut Cx<'_>, from: NodeId) {
        let Role::Leading(leader) = &self.role else { return };
        match leader.outstanding.is_empty() {
            true => self.send(cx, from, Message::Quorum(QuorumPacket::Sync)),
            false => {
                let after = leader.last_proposed;
                self.port.leader_syncs.push_back((after, from));
            }
        }
    }

    /// `Leader.commit` then `sendSync`: the syncs waiting for `zxid` are answered.
    pub(crate) fn leader_commit_syncs(&mut self, cx: &mut Cx<'_>, zxid: Zxid) {
        while self.port.leader_syncs.front().is_some_and(|(after, _)| *after <= zxid) {
            let (_, from) = self.port.leader_syncs.pop_front().expect("checked");
            self.send(cx, from, Message::Quorum(QuorumPacket::Sync));
        }
    }

    /// A learner's handler is gone: the syncs it asked for die with it (`Leader.sendSync`
    /// queues the answer on the old `LearnerHandler`, whose socket is closed).
    pub(crate) fn forget_learner_syncs(&mut self, sid: NodeId) {
        self.port.leader_syncs.retain(|(_, from)| *from != sid);
    }

    /// Learner: the leader's SYNC answers the oldest sync sent (`FollowerZooKeeperServer.sync`).
    pub(crate) fn learner_on_sync(&mut self, cx: &mut Cx<'_>) {
        if let Some((conn, cxid)) = self.port.learner_syncs.pop_front() {
            self.sync_done(cx, conn, cxid);
        }
    }

    fn sync_done(&mut self, cx: &mut Cx<'_>, conn: ConnId, cxid: u64) {
        let Some(c) = self.port.conns.get_mut(&conn) else { return };
        for item in c.queue.iter_mut() {
            if let Queued::Sync { cxid: c, done } = item {
                if *c == cxid {
                    *done = true;
                }
            }
        }
        self.drain_conn(cx, conn);
    }

    /// Answers the requests at the head of `conn`'s queue that need no commit: reads, pings
    /// and finished syncs, until a write is at the head.
    pub(crate) fn drain_conn(&mut self, cx: &mut Cx<'_>, conn: ConnId) {
        let mut zxid = self.db.last_processed_zxid();
        let Some(c) = self.port.conns.get_mut(&conn) else { return };
        loop {
            let packet = match c.queue.front() {
                Some(Queued::Read { cxid, read }) if self.config.variants.mistake_read_uncommitted => {
                    // The seeded mistake: the tree as if every logged txn were committed.
                    let mut tree = self.db.tree().cloned().unwrap_or_default();
                    let from = self.disk.log.partition_point(|t| t.zxid <= self.db.last_processed_zxid());
                    for txn in &self.disk.log[from..] {
                        if let TxnBody::Request(request) = &txn.body {
                            tree.apply(txn.zxid, request);
                        }
                        zxid = zxid.max(txn.zxid);
                    }
                    let reply = serve_read(&tree, &mut self.port.watches, conn, read);
                    ServerPacket::Reply { cxid: *cxid, zxid, reply }
                }
                Some(Queued::Read { cxid, read }) => {
                    let reply = match self.db.tree() {
                        Some(tree) => serve_read(tree, &mut self.port.watches, conn, read),
                        None => serve_read(&DataTree::new(), &mut self.port.watches, conn, read),
                    };
                    ServerPacket::Reply { cxid: *cxid, zxid, reply }
                }
                Some(Queued::Sync { cxid, done: true }) => {
                    ServerPacket::Reply { cxid: *cxid, zxid, reply: Reply::Synced }
                }
                Some(Queued::Ping) => ServerPacket::Pong { zxid },
                Some(Queued::Write { .. } | Queued::Sync { done: false, .. }) | None => return,
            };
            c.queue.pop_front();
            cx.out.clients.push(ClientCmd::Send { conn, packet });
        }
    }

    /// A committed txn was applied to this server's tree while it serves: fire the watches it
    /// triggers, answer its client if that client is connected here, and act on session
    /// changes (`FinalRequestProcessor.processRequest`).
    pub(crate) fn serve_applied(&mut self, cx: &mut Cx<'_>, txn: &Txn, applied: Option<Applied>) {
        let (TxnBody::Request(request), Some(applied)) = (&txn.body, applied) else { return };
        for event in &applied.events {
            for (watcher, event) in self.port.watches.trigger(event) {
                let packet = ServerPacket::Watch { event };
                cx.out.clients.push(ClientCmd::Send { conn: ConnId(watcher), packet });
            }
        }
        let conn = self.port.by_session.get(&request.session).copied();
        match &request.op {
            Op::CreateSession { timeout_ms } => {
                if let Some(conn) = conn {
                    self.finish_session_create(cx, conn, request.session, *timeout_ms);
                }
            }
            Op::CloseSession => {
                self.session_closed(request.session);
                if let Some(conn) = conn {
                    self.answer_write(cx, conn, txn.zxid, request.cxid, applied.result.into());
                    // The session is over: its connection closes (`closeSession` ->
                    // `ServerCnxnFactory.closeSession`), whichever server it is on.
                    self.close_client(cx, conn);
                }
            }
            Op::Error { error: ZkError::SessionMoved } => {
                // A connection-level error (FinalRequestProcessor, ZOOKEEPER-710): the
                // connection that sent it is closed instead of answered.
                if let Some(conn) = conn.filter(|c| self.is_next_write(*c, request.cxid)) {
                    self.close_client(cx, conn);
                }
            }
            _ => {
                if let Some(conn) = conn {
                    self.answer_write(cx, conn, txn.zxid, request.cxid, applied.result.into());
                }
            }
        }
    }

    /// Whether write `cxid` is the next request `conn` waits on: the connection sent it.
    fn is_next_write(&self, conn: ConnId, cxid: u64) -> bool {
        self.port.conns.get(&conn).is_some_and(|c| c.queue.front() == Some(&Queued::Write { cxid }))
    }

    fn answer_write(&mut self, cx: &mut Cx<'_>, conn: ConnId, zxid: Zxid, cxid: u64, reply: Reply) {
        if !self.is_next_write(conn, cxid) {
            return; // not a request of this connection (an expiry's closeSession)
        }
        let c = self.port.conns.get_mut(&conn).expect("checked");
        c.queue.pop_front();
        cx.out.clients.push(ClientCmd::Send { conn, packet: ServerPacket::Reply { cxid, zxid, reply } });
        self.drain_conn(cx, conn);
    }

    /// Closes one client connection from the server's side.
    pub(crate) fn close_client(&mut self, cx: &mut Cx<'_>, conn: ConnId) {
        self.on_client_gone(conn);
        cx.out.clients.push(ClientCmd::Close { conn });
    }

    /// The role ended: every client connection closes and the port starts afresh for the next
    /// role (the session id counter lives on with the process).
    pub(crate) fn close_client_port(&mut self, cx: &mut Cx<'_>) {
        for conn in self.port.conns.keys() {
            cx.out.clients.push(ClientCmd::Close { conn: *conn });
        }
        let next_session = self.port.next_session;
        self.port = super::ClientPort { next_session, ..super::ClientPort::default() };
    }
}

impl From<crate::data::OpResult> for Reply {
    fn from(result: crate::data::OpResult) -> Reply {
        Reply::Write { result }
    }
}

/// One read against `tree` (`FinalRequestProcessor`'s getData / exists / getChildren), leaving
/// the watch it asks for as `DataTree` does: exists always, getData and getChildren only on
/// a node that exists.
fn serve_read(tree: &DataTree, watches: &mut WatchManager, conn: ConnId, read: &Read) -> Reply {
    match read {
        Read::GetData { path, watch } => match tree.get_data(path) {
            Ok((data, stat)) => {
                if *watch {
                    watches.add_data_watch(path, conn.0);
                }
                Reply::Data { data: data.to_vec(), stat }
            }
            Err(error) => Reply::Error { error },
        },
        Read::Exists { path, watch } => {
            if *watch {
                watches.add_data_watch(path, conn.0);
            }
            Reply::Exists { stat: tree.exists(path) }
        }
        Read::GetChildren { path, watch } => match tree.get_children(path) {
            Ok(children) => {
                if *watch {
                    watches.add_child_watch(path, conn.0);
                }
                Reply::Children { children }
            }
            Err(error) => Reply::Error { error },
        },
    }
}
