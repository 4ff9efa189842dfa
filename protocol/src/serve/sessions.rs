//! Sessions on a server: a client's connect (a new session becomes a createSession txn; a
//! session moving here is revalidated with the leader), session ids, the touches that keep a
//! session alive (the leader's own clients directly, a learner's through its PING replies),
//! and the leader's expiry, which proposes closeSession.

use super::wire::{ClientCmd, ConnId, ServerPacket};
use super::{ClientConn, ConnState};
use crate::data::{Op, Request, SessionId, SessionTracker};
use crate::ids::{NodeId, Zxid};
use crate::io::TimerKind;
use crate::message::{Message, QuorumPacket, TxnBody};
use crate::node::{Cx, Node, Role};
use std::collections::VecDeque;

impl Node {
    /// `ZooKeeperServer.processConnectRequest`.
    pub(crate) fn on_client_connect(
        &mut self,
        cx: &mut Cx<'_>,
        conn: ConnId,
        session: Option<SessionId>,
        timeout_ms: u32,
        last_zxid_seen: Zxid,
    ) {
        // Not serving ("ZooKeeperServer not running"), or the client has seen a zxid this
        // server has not ("Refusing session request for client ... as it has seen zxid ...
        // our last zxid is ..."): the connection is closed and the client tries another server.
        if !self.serves_clients() || last_zxid_seen > self.db.last_processed_zxid() {
            cx.out.clients.push(ClientCmd::Close { conn });
            return;
        }
        let timeout_ms = SessionTracker::negotiate_timeout(timeout_ms, self.tick_ms());
        let new = session.is_none();
        let session = session.unwrap_or_else(|| self.next_session_id(cx));
        // The session's previous connection here, if any, is replaced.
        if let Some(old) = self.port.by_session.get(&session).copied() {
            self.close_client(cx, old);
        }
        let state = if new { ConnState::Creating(session) } else { ConnState::Revalidating(session) };
        self.port.conns.insert(conn, ClientConn { state, timeout_ms, queue: VecDeque::new() });
        self.port.by_session.insert(session, conn);
        if new {
            // createSession is a txn like any write (`PrepRequestProcessor` on the leader
            // tracks the session when it prepares it).
            self.submit_request(cx, Request { session, cxid: 0, op: Op::CreateSession { timeout_ms } });
            return;
        }
        // reopenSession -> revalidateSession: the leader's tracker decides.
        match &self.role {
            Role::Leading(_) => {
                // `LeaderZooKeeperServer.revalidateSession`: the leader owns it now.
                let valid = self.leader_touch(cx, session);
                self.set_session_owner(session, self.id);
                self.finish_session_revalidate(cx, session, valid);
            }
            Role::Following(learner) => {
                let leader = learner.leader;
                self.send(cx, leader, Message::Quorum(QuorumPacket::Revalidate { session, timeout_ms }));
            }
            _ => unreachable!("serves_clients checked"),
        }
    }

    /// The createSession txn of `conn` was applied here: the session is open.
    pub(crate) fn finish_session_create(&mut self, cx: &mut Cx<'_>, conn: ConnId, session: SessionId, timeout_ms: u32) {
        let Some(c) = self.port.conns.get_mut(&conn) else { return };
        if c.state != ConnState::Creating(session) {
            return;
        }
        c.state = ConnState::Open(session);
        cx.out.clients.push(ClientCmd::Send { conn, packet: ServerPacket::Connected { session, timeout_ms } });
    }

    /// The leader's answer to a session moving here (`finishSessionInit`): open, or expired
    /// and closed.
    pub(crate) fn finish_session_revalidate(&mut self, cx: &mut Cx<'_>, session: SessionId, valid: bool) {
        let Some(conn) = self.port.by_session.get(&session).copied() else { return };
        let c = self.port.conns.get_mut(&conn).expect("by_session names live connections");
        if c.state != ConnState::Revalidating(session) {
            return;
        }
        if valid {
            c.state = ConnState::Open(session);
            let timeout_ms = c.timeout_ms;
            cx.out.clients.push(ClientCmd::Send { conn, packet: ServerPacket::Connected { session, timeout_ms } });
        } else {
            cx.out.clients.push(ClientCmd::Send { conn, packet: ServerPacket::Expired { session } });
            self.close_client(cx, conn);
        }
    }

    /// Leader: a learner's REVALIDATE (`LearnerHandler` -> `Leader.zk.checkIfValidGlobalSession`
    /// -> `touchSession`).
    /// A valid session is now owned by that learner (`Leader.revalidateSession` -> `setOwner`).
    pub(crate) fn leader_on_revalidate(&mut self, cx: &mut Cx<'_>, from: NodeId, session: SessionId) {
        let valid = self.leader_touch(cx, session);
        self.set_session_owner(session, from);
        self.send(cx, from, Message::Quorum(QuorumPacket::RevalidateAnswer { session, valid }));
    }

    fn set_session_owner(&mut self, session: SessionId, owner: NodeId) {
        if let Some(tracker) = self.port.tracker.as_mut() {
            tracker.set_owner(session, owner);
        }
    }

    /// Activity of `session` (any packet from its client): the leader touches its tracker; a
    /// learner remembers it for its next PING reply.
    pub(crate) fn touch_session(&mut self, cx: &mut Cx<'_>, session: SessionId, timeout_ms: u32) {
        match &self.role {
            Role::Leading(_) => {
                self.leader_touch(cx, session);
            }
            Role::Following(_) => {
                self.port.touched.insert(session, timeout_ms);
            }
            _ => {}
        }
    }

    /// `SessionTrackerImpl.touchSession` on the leader: false if unknown or closing.
    pub(crate) fn leader_touch(&mut self, cx: &mut Cx<'_>, session: SessionId) -> bool {
        let now_ms = cx.now_us / 1000;
        let Some(tracker) = self.port.tracker.as_mut() else { return false };
        let valid = tracker.touch(session, now_ms);
        self.arm_session_expiry(cx);
        valid
    }

    /// Learner: the sessions touched since the last ping, for the PING reply
    /// (`Learner.ping` writes `LearnerSessionTracker.snapshot()`).
    pub(crate) fn take_touched_sessions(&mut self) -> Vec<(SessionId, u32)> {
        std::mem::take(&mut self.port.touched).into_iter().collect()
    }

    /// Leader: a learner's PING reply with its touches (`LearnerHandler`, `Leader.touch`).
    pub(crate) fn leader_on_touches(&mut self, cx: &mut Cx<'_>, touched: &[(SessionId, u32)]) {
        if touched.is_empty() {
            return;
        }
        let now_ms = cx.now_us / 1000;
        if let Some(tracker) = self.port.tracker.as_mut() {
            for (session, _) in touched {
                tracker.touch(*session, now_ms);
            }
        }
        self.arm_session_expiry(cx);
    }

    /// Leader: `startZkServer` -> `zk.startup()` -> `createSessionTracker`: every session of
    /// the tree is tracked, due one timeout from now.
    pub(crate) fn start_session_tracker(&mut self, cx: &mut Cx<'_>) {
        let now_ms = cx.now_us / 1000;
        let mut tracker = SessionTracker::new(self.tick_ms());
        if let Some(tree) = self.db.tree() {
            for (session, timeout_ms) in tree.sessions() {
                tracker.add(*session, *timeout_ms, now_ms);
            }
        }
        self.port.tracker = Some(tracker);
        self.arm_session_expiry(cx);
    }

    /// Leader, preparing a request that came through server `owner` (`PrepRequestProcessor`):
    /// createSession starts tracking the session there, closeSession marks it closing, and a
    /// write of a session that is unknown, closing or owned by another server becomes an
    /// error txn (`checkSession`; ZOOKEEPER-710: a write left behind on the server a client
    /// moved away from must not apply).
    /// Returns the error txn that replaces a rejected request.
    pub(crate) fn prep_request(&mut self, cx: &mut Cx<'_>, owner: NodeId, body: &TxnBody) -> Option<TxnBody> {
        let TxnBody::Request(request) = body else { return None };
        let now_ms = cx.now_us / 1000;
        let tracker = self.port.tracker.as_mut()?;
        match request.op {
            Op::CreateSession { timeout_ms } => {
                tracker.add(request.session, timeout_ms, now_ms);
                tracker.set_owner(request.session, owner);
            }
            Op::CloseSession => tracker.set_closing(request.session),
            _ => {
                let error = tracker.check(request.session, owner).err()?;
                let rejected = Request { op: Op::Error { error }, ..(**request).clone() };
                return Some(TxnBody::Request(std::sync::Arc::new(rejected)));
            }
        }
        self.arm_session_expiry(cx);
        None
    }

    /// A closeSession txn was applied: the leader stops tracking the session
    /// (`SessionTrackerImpl.removeSession`).
    pub(crate) fn session_closed(&mut self, session: SessionId) {
        if let Some(tracker) = self.port.tracker.as_mut() {
            tracker.remove(session);
        }
    }

    /// Leader: the expiry timer fired (`SessionTrackerImpl.run`): every session due now is
    /// marked closing and its closeSession proposed (`ZooKeeperServer.expire`).
    pub(crate) fn leader_on_session_expiry(&mut self, cx: &mut Cx<'_>) {
        self.port.expiry_armed_ms = None;
        let now_ms = cx.now_us / 1000;
        let Some(tracker) = self.port.tracker.as_mut() else { return };
        let expired = tracker.expired(now_ms);
        for session in expired {
            if !matches!(self.role, Role::Leading(_)) {
                break; // a proposal made us leave (zxid rollover)
            }
            self.submit_request(cx, Request { session, cxid: 0, op: Op::CloseSession });
        }
        self.arm_session_expiry(cx);
    }

    /// Sets the expiry timer for the tracker's earliest bucket, when that changed.
    fn arm_session_expiry(&mut self, cx: &mut Cx<'_>) {
        let next = self.port.tracker.as_ref().and_then(SessionTracker::next_expiry_ms);
        if next == self.port.expiry_armed_ms {
            return;
        }
        self.port.expiry_armed_ms = next;
        match next {
            Some(at_ms) => {
                let after_us = (at_ms * 1000).saturating_sub(cx.now_us);
                self.set_timer(cx, TimerKind::SessionExpiry, after_us);
            }
            None => self.cancel_timer(cx, TimerKind::SessionExpiry),
        }
    }

    /// `SessionTrackerImpl.initializeNextSessionId`: the server id in the top byte, the
    /// elapsed milliseconds below it, then one more per session. Kept across roles of one
    /// process so that ids never repeat.
    fn next_session_id(&mut self, cx: &Cx<'_>) -> SessionId {
        let now_ms = cx.now_us / 1000;
        let initial = ((now_ms << 24) >> 8) | (u64::from(self.id.0) << 56);
        let id = self.port.next_session.max(initial);
        self.port.next_session = id + 1;
        SessionId(id)
    }

    fn tick_ms(&self) -> u32 {
        (self.config.tick_us() / 1000) as u32
    }
}
