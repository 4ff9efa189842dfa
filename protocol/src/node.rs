//! One ZooKeeper server as a pure state machine: `Node::step(now, input) -> Output`. The
//! role-specific logic lives in `fle.rs` (LOOKING), `zab/leader/` (LEADING) and
//! `zab/learner/` (FOLLOWING); this file holds what they share.

use crate::config::ProtocolConfig;
use crate::database::ZkDatabase;
use crate::durable::DurableState;
use crate::fle::Election;
use crate::ids::{Ensemble, Epoch, NodeId, Round, Zxid};
use crate::io::{
    DiskWrite, Input, NetCmd, Observation, Output, RoleView, Send, TimerCmd, TimerKind, Work, WriteId, ZabPhase,
};
use crate::message::{Message, Notification, QuorumPacket, Txn};
use crate::vote::{ServerState, Vote};
use crate::zab::leader::Leader;
use crate::zab::learner::Learner;
use std::collections::BTreeSet;

/// What a server is doing.
#[derive(Clone, Debug)]
pub(crate) enum Role {
    /// Not started yet (before `Input::Start`).
    Down,
    /// Running FLE.
    Looking(Box<Election>),
    /// Following a leader.
    Following(Box<Learner>),
    /// Leading.
    Leading(Box<Leader>),
    /// Shutting down the role it left (`Work::Shutdown`); `QuorumPeer` still reports the old
    /// state, FOLLOWING or LEADING, until `updateServerState` makes it LOOKING.
    Leaving(ServerState),
}

/// One server. Durable state is only ever changed through `DiskWrite`s, so the view here is
/// always "the disk once every issued write lands"; the simulator's disk model decides what
/// actually survives a crash.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) id: NodeId,
    pub(crate) ensemble: Ensemble,
    pub(crate) config: ProtocolConfig,
    /// Durable state as this process sees it: every issued write applied.
    pub(crate) disk: DurableState,
    /// The in-memory database (`ZKDatabase`): rebuilt from disk by a restart, kept across a
    /// role change.
    pub(crate) db: ZkDatabase,
    /// Id the next disk write gets.
    pub(crate) next_write_id: WriteId,
    /// Highest write id reported durable.
    pub(crate) durable_through: Option<WriteId>,
    /// FLE `logicalclock`: volatile, grows across elections within one process lifetime.
    pub(crate) logicalclock: Round,
    /// `QuorumPeer.currentVote`: the end vote of the last election, advertised to LOOKING
    /// servers while FOLLOWING or LEADING.
    pub(crate) current_vote: Vote,
    /// Round of `current_vote`.
    pub(crate) current_vote_round: Round,
    pub(crate) role: Role,
    /// How many txns of the database's applied history this process has delivered (shown to
    /// clients as committed): a restart replays the log into the database, but what it holds
    /// is delivered only once the server serves again.
    pub(crate) delivered: usize,
    /// Client writes submitted here that still await their reply.
    pub(crate) client_writes: BTreeSet<u64>,
    /// Client connections, sessions and watches (`serve/`).
    pub(crate) port: crate::serve::ClientPort,
}

impl Node {
    /// A server process that has not started: it knows its id, the ensemble, the
    /// configuration and its durable state, and nothing else.
    pub fn new(id: NodeId, ensemble: Ensemble, config: ProtocolConfig, durable: DurableState) -> Node {
        // QuorumPeer.start: loadDataBase, so the first vote carries the last logged zxid.
        let db = Node::load_database(id, &config, &durable);
        let initial = Vote { leader: id, zxid: db.last_processed_zxid(), peer_epoch: durable.current_epoch };
        Node {
            id,
            ensemble,
            config,
            disk: durable,
            db,
            next_write_id: 0,
            durable_through: None,
            logicalclock: Round(0),
            current_vote: initial,
            current_vote_round: Round(0),
            role: Role::Down,
            delivered: 0,
            client_writes: BTreeSet::new(),
            port: crate::serve::ClientPort::default(),
        }
    }

    /// The step function: same state and same input give the same output, always.
    pub fn step(&mut self, now_us: u64, input: Input) -> Output {
        let mut out = Output::default();
        self.step_into(now_us, input, &mut out);
        out
    }

    /// `step` writing into a caller-owned `Output` (cleared first), so the simulator's hot
    /// loop reuses one allocation.
    pub fn step_into(&mut self, now_us: u64, input: Input, out: &mut Output) {
        out.clear();
        out.first_write_id = self.next_write_id;
        let mut cx = Cx { now_us, out };
        match input {
            Input::Start => self.start_election(&mut cx),
            Input::Message { from, msg } => match msg {
                Message::Notification(n) => self.on_notification(&mut cx, from, n),
                Message::Quorum(packet) => self.on_quorum_packet(&mut cx, from, packet),
            },
            Input::Timer(kind) => self.on_timer(&mut cx, kind),
            Input::WritesDurable { through } => {
                self.durable_through = Some(through);
                if let Role::Leading(_) = self.role {
                    self.leader_on_durable(&mut cx, through);
                }
            }
            Input::ClientWrite { value } => self.on_client_write(&mut cx, value),
            Input::FromClient { conn, packet } => self.on_client_packet(&mut cx, conn, *packet),
            Input::ClientGone { conn } => self.on_client_gone(conn),
            Input::QuorumConnected { peer } => match self.role {
                Role::Leading(_) => self.leader_on_learner_connected(&mut cx, peer),
                Role::Following(_) => self.learner_on_connected(&mut cx, peer),
                // A stale connection completing after we moved on: close it.
                _ => cx.out.net.push(NetCmd::Close(peer)),
            },
            Input::QuorumConnectFailed { peer } => {
                if let Role::Following(_) = self.role {
                    self.learner_on_connect_failed(&mut cx, peer);
                }
            }
            Input::QuorumDisconnected { peer } => match self.role {
                Role::Leading(_) => self.leader_on_learner_disconnected(&mut cx, peer),
                Role::Following(_) => self.learner_on_disconnected(&mut cx, peer),
                _ => {}
            },
        }
        if cfg!(debug_assertions) {
            self.assert_invariants();
        }
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>, kind: TimerKind) {
        match (&self.role, kind) {
            (Role::Looking(_), TimerKind::NotificationTimeout) => self.fle_on_notification_timeout(cx),
            (Role::Looking(_), TimerKind::FinalizeWait) => self.fle_on_finalize_wait(cx),
            (Role::Following(_), TimerKind::ConnectRetry) => self.learner_on_connect_retry(cx),
            (Role::Following(_), TimerKind::LearnerRead) => self.leave(cx, crate::io::LeaveReason::LeaderReadTimeout),
            (Role::Leading(_), TimerKind::LeaderWait) => self.leader_on_wait_timeout(cx),
            (Role::Leading(_), TimerKind::Heartbeat) => self.leader_on_heartbeat(cx),
            (Role::Leading(_), TimerKind::Work) => self.leader_on_work_done(cx),
            (Role::Leading(_), TimerKind::SessionExpiry) => self.leader_on_session_expiry(cx),
            (Role::Following(_), TimerKind::Work) => self.learner_on_work_done(cx),
            // updateServerState: the shutdown is over, LOOKING again.
            (Role::Leaving(_), TimerKind::Work) => self.start_election(cx),
            // A timer of a role we already left: the simulator cancels them on role changes,
            // but a restart-free race is harmless to ignore.
            _ => {}
        }
    }

    fn on_quorum_packet(&mut self, cx: &mut Cx<'_>, from: NodeId, packet: QuorumPacket) {
        match self.role {
            Role::Leading(_) => self.leader_on_packet(cx, from, packet),
            Role::Following(_) => self.learner_on_packet(cx, from, packet),
            // A packet on a connection we no longer own (it was in flight when we left).
            Role::Looking(_) | Role::Down | Role::Leaving(_) => {}
        }
    }

    fn on_client_write(&mut self, cx: &mut Cx<'_>, value: u64) {
        match &self.role {
            Role::Leading(leader) if leader.accepts_writes(&self.config.variants) => {
                self.client_writes.insert(value);
                self.leader_propose(cx, self.id, value, crate::message::TxnBody::Opaque);
            }
            Role::Following(learner) if learner.is_serving() => {
                self.client_writes.insert(value);
                let leader = learner.leader;
                let body = crate::message::TxnBody::Opaque;
                self.send(cx, leader, Message::Quorum(QuorumPacket::Request { value, body }));
            }
            // ZooKeeper closes client connections while not serving; the client retries.
            _ => cx.out.observations.push(Observation::ClientRejected { value }),
        }
    }

    // ----- shared helpers ---------------------------------------------------------------

    /// This server's own vote (`getInitId`, `getInitLastLoggedZxid`, `getPeerEpoch`):
    /// `getLastLoggedZxid` is the database's lastProcessedZxid, which equals the last logged
    /// zxid (pending log tail included) since leaving FOLLOWING/LEADING fast-forwards the
    /// database from the log (ZOOKEEPER-2845); under `zk-2845` it can lag the log.
    pub fn initial_vote(&self) -> Vote {
        Vote { leader: self.id, zxid: self.db.last_processed_zxid(), peer_epoch: self.disk.current_epoch }
    }

    /// `ZKDatabase.loadDataBase` again, from this process's disk (the seeded mistake
    /// `mistake-keep-ephemerals` stays with s1's database).
    pub(crate) fn reload_database(&mut self) {
        self.db = Node::load_database(self.id, &self.config, &self.disk);
    }

    fn load_database(id: NodeId, config: &ProtocolConfig, disk: &DurableState) -> ZkDatabase {
        let mut db = ZkDatabase::load(disk);
        if config.variants.mistake_keep_ephemerals && id == NodeId(1) {
            db.skip_close_session();
        }
        db
    }

    /// What the end of a role does to the in-memory database (`Learner.shutdown` /
    /// `Leader.shutdown` -> `ZooKeeperServer.shutdown(fullyShutDown)`, 3.8.0):
    /// - a learner in the middle of a SNAP sync shuts down fully (ZOOKEEPER-3642, 3.5.7+): the
    ///   database is cleared and `QuorumPeer.getLastLoggedZxid` reloads it from disk;
    /// - a server whose ZooKeeperServer is RUNNING (a leader past `startZkServer`'s
    ///   `zk.startup()`, a learner past UPTODATE's `startServing()`) keeps it (ZOOKEEPER-2678)
    ///   and fast-forwards it from the txn log (`ZKDatabase.fastForwardDataBase`,
    ///   ZOOKEEPER-2845), so it holds every logged txn, committed or not, and a TRUNC from the
    ///   next leader removes an uncommitted one;
    /// - one that is not (`canShutdown` is false: a learner between NEWLEADER's
    ///   `startupWithoutServing`, which leaves the state INITIAL, and UPTODATE, or any role
    ///   before that) keeps it untouched.
    ///
    /// Variants: `zk-2845` (3.4.10/3.5.3) never fast-forwards and has no SNAP rule; the pre-3.4
    /// variants (`zk-335`, `zk-790`) clear it at every role end, as 3.3's
    /// `ZooKeeperServer.shutdown` did (`zkDb.clear()`), so it is reloaded from disk.
    ///
    /// Done as the role ends rather than when the shutdown's `Work` is over: nothing writes
    /// to this process's log in between, so the result is the same.
    fn end_role_database(&mut self) {
        let variants = &self.config.variants;
        let (running, snap_unfinished) = match &self.role {
            // Its pipeline runs from startZkServer (under zk-790, from its set-up: 3.3.1's lead()
            // calls zk.startup() first).
            Role::Leading(leader) => (leader.accepts_writes(variants), false),
            Role::Following(learner) => (learner.is_serving(), learner.snap_sync_unfinished()),
            // `leave` returns before calling this for these roles.
            Role::Looking(_) | Role::Down | Role::Leaving(_) => return,
        };
        if !self.keeps_epoch_files() || (snap_unfinished && !variants.zk_2845) {
            self.reload_database();
        } else if running && !variants.zk_2845 {
            self.db.fast_forward(&self.disk);
        }
        self.delivered = self.delivered.min(self.db.history().len());
    }

    pub(crate) fn send(&self, cx: &mut Cx<'_>, to: NodeId, msg: Message) {
        cx.out.sends.push(Send { to, msg, after_write: None });
    }

    /// Sends `msg` once every write issued so far is durable.
    pub(crate) fn send_after_writes(&self, cx: &mut Cx<'_>, to: NodeId, msg: Message) {
        let after_write = self.next_write_id.checked_sub(1);
        cx.out.sends.push(Send { to, msg, after_write });
    }

    /// Issues a disk write, applies it to this process's view, and returns its id.
    pub(crate) fn write(&mut self, cx: &mut Cx<'_>, write: DiskWrite) -> WriteId {
        self.disk.apply(&write);
        cx.out.writes.push(write);
        let id = self.next_write_id;
        self.next_write_id += 1;
        id
    }

    pub(crate) fn set_timer(&self, cx: &mut Cx<'_>, kind: TimerKind, after_us: u64) {
        cx.out.timers.push(TimerCmd::Set { kind, at_us: cx.now_us + after_us });
    }

    pub(crate) fn cancel_timer(&self, cx: &mut Cx<'_>, kind: TimerKind) {
        cx.out.timers.push(TimerCmd::Cancel(kind));
    }

    pub(crate) fn cancel_all_timers(&self, cx: &mut Cx<'_>) {
        for kind in TimerKind::ALL {
            cx.out.timers.push(TimerCmd::Cancel(kind));
        }
    }

    /// Delivers the database's applied history up to its end, in order, answering the
    /// clients that wrote those txns here.
    pub(crate) fn deliver_applied(&mut self, cx: &mut Cx<'_>) {
        let upto = self.db.history().len();
        while self.delivered < upto {
            let txn = self.db.history()[self.delivered].clone();
            self.delivered += 1;
            let (value, zxid) = (txn.value, txn.zxid);
            cx.out.observations.push(Observation::Delivered { txn });
            if self.client_writes.remove(&value) {
                cx.out.observations.push(Observation::ClientAcked { value, zxid });
            }
        }
    }

    /// Leaves FOLLOWING or LEADING for a new election (`QuorumPeer.run` loop).
    pub(crate) fn leave(&mut self, cx: &mut Cx<'_>, reason: crate::io::LeaveReason) {
        match &self.role {
            Role::Leading(leader) => {
                for sid in leader.learner_ids() {
                    cx.out.net.push(NetCmd::Close(sid));
                }
            }
            Role::Following(learner) => cx.out.net.push(NetCmd::Close(learner.leader)),
            Role::Looking(_) | Role::Down | Role::Leaving(_) => return,
        }
        cx.out.observations.push(Observation::Left { reason });
        self.cancel_all_timers(cx);
        // Writes of the old role that never completed stay pending on the disk; the clients
        // connected here lose their session and retry elsewhere.
        for value in std::mem::take(&mut self.client_writes) {
            cx.out.observations.push(Observation::ClientRejected { value });
        }
        self.close_client_port(cx);
        // QuorumPeer.run's finally block: shut the role down, then updateServerState.
        self.end_role_database();
        self.role = Role::Leaving(self.state());
        cx.out.work = Some(Work::Shutdown);
    }

    // ----- read-only views for the simulator, checker and traces -------------------------

    /// Server id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// LOOKING / FOLLOWING / LEADING. A process that has not handled `Input::Start` yet says
    /// LOOKING, as `QuorumPeer` starts in that state; a crashed server has no `Node` at all
    /// (the simulator reports it DOWN), so it can never be taken for a LOOKING one.
    pub fn state(&self) -> ServerState {
        match self.role {
            Role::Down | Role::Looking(_) => ServerState::Looking,
            Role::Following(_) => ServerState::Following,
            Role::Leading(_) => ServerState::Leading,
            Role::Leaving(was) => was,
        }
    }

    /// Role, Zab phase and leader.
    pub fn role_view(&self) -> RoleView {
        match &self.role {
            Role::Down | Role::Looking(_) => {
                RoleView { state: ServerState::Looking, phase: ZabPhase::Election, leader: None }
            }
            Role::Following(l) => RoleView { state: ServerState::Following, phase: l.phase(), leader: Some(l.leader) },
            Role::Leading(l) => RoleView { state: ServerState::Leading, phase: l.phase(), leader: Some(self.id) },
            // Out of every Zab phase, but not yet LOOKING.
            Role::Leaving(was) => RoleView { state: *was, phase: ZabPhase::Election, leader: None },
        }
    }

    /// Whether this server is a learner that has acknowledged UPTODATE and is still starting
    /// its server (3.9.3+): an ACK it sends in SYNCHRONIZATION is then UPTODATE's, not
    /// NEWLEADER's.
    pub fn acknowledged_uptodate(&self) -> bool {
        matches!(&self.role, Role::Following(l) if l.acknowledged_uptodate())
    }

    /// Whether this server is a learner that wrote currentEpoch for a NEWLEADER and logs the
    /// synced txns only after its startup work (the 3.8.0-3.8.4 learner, ZOOKEEPER-4643).
    pub fn synced_txns_deferred(&self) -> bool {
        matches!(&self.role, Role::Following(l) if l.synced_txns_deferred())
    }

    /// Whether the quorum port accepts learner connections: a `Leader` object exists and its
    /// set-up is over (`Work::LeaderSetup`).
    pub fn accepts_learners(&self) -> bool {
        matches!(&self.role, Role::Leading(l) if !l.setting_up)
    }

    /// Whether this server is a leader still in its set-up `Work` (`makeLeader`, `Leader.lead`
    /// before the `LearnerCnxAcceptor` starts): once `new Leader` has bound the quorum port,
    /// connections wait in the backlog.
    pub fn setting_up_leader(&self) -> bool {
        matches!(&self.role, Role::Leading(l) if l.setting_up)
    }

    /// Durable state as this process sees it (every issued write applied).
    pub fn disk_view(&self) -> &DurableState {
        &self.disk
    }

    /// Whether this server keeps the acceptedEpoch and currentEpoch files (Zab 1.0, ZooKeeper
    /// 3.4+); false under the pre-3.4 variants zk-335 and zk-790, where neither exists and
    /// both stay 0.
    pub fn keeps_epoch_files(&self) -> bool {
        !self.config.variants.pre_zab_1_0()
    }

    /// acceptedEpoch.
    pub fn accepted_epoch(&self) -> Epoch {
        self.disk.accepted_epoch
    }

    /// currentEpoch.
    pub fn current_epoch(&self) -> Epoch {
        self.disk.current_epoch
    }

    /// Last logged zxid.
    pub fn last_zxid(&self) -> Zxid {
        self.disk.last_zxid()
    }

    /// The history entries this process has delivered, in order.
    pub fn delivered(&self) -> &[Txn] {
        let applied = self.db.history();
        &applied[..self.delivered.min(applied.len())]
    }

    /// The in-memory database (`ZKDatabase`): applied history, data tree, lastProcessedZxid.
    pub fn database(&self) -> &crate::database::ZkDatabase {
        &self.db
    }

    /// The in-memory database's applied history: a leader's initial history and committedLog.
    pub fn history(&self) -> &[Txn] {
        self.db.history()
    }

    /// The database's lastProcessedZxid (`QuorumPeer.getLastLoggedZxid`).
    pub fn last_processed_zxid(&self) -> Zxid {
        self.db.last_processed_zxid()
    }

    /// FLE round.
    pub fn logicalclock(&self) -> Round {
        self.logicalclock
    }

    /// The current FLE proposal while LOOKING.
    pub fn proposal(&self) -> Option<Vote> {
        match &self.role {
            Role::Looking(e) => Some(e.proposal),
            _ => None,
        }
    }

    /// The established epoch if this server is a leader in BROADCAST.
    pub fn established_epoch(&self) -> Option<Epoch> {
        match &self.role {
            Role::Leading(l) if l.is_serving() => l.epoch,
            _ => None,
        }
    }

    /// One line describing the server's state, for traces and failure reports.
    pub fn describe(&self) -> String {
        let view = self.role_view();
        let role = match (&self.role, view.leader) {
            // Not started: no election runs yet, so no round to show.
            (Role::Down, _) => "NOT STARTED".to_string(),
            (Role::Following(_), Some(l)) => format!("FOLLOWING {l} {}", view.phase.name()),
            (Role::Leading(_), _) => format!("LEADING {}", view.phase.name()),
            (Role::Leaving(was), _) => format!("{} SHUTTING DOWN", was.name()),
            _ => format!("LOOKING {}", self.logicalclock),
        };
        format!(
            "{} {role} accepted={} current={} last={} delivered={}",
            self.id,
            self.disk.accepted_epoch,
            self.disk.current_epoch,
            self.disk.last_zxid(),
            self.delivered
        )
    }

    /// The notification this server sends in its current state: its proposal while LOOKING,
    /// its current vote otherwise.
    pub(crate) fn notification(&self, state: ServerState, vote: Vote, round: Round) -> Message {
        Message::Notification(Notification { state, vote, round })
    }
}

/// Per-step context: the time and the output being built.
pub(crate) struct Cx<'a> {
    pub(crate) now_us: u64,
    pub(crate) out: &'a mut Output,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_has_not_started_is_not_described_as_looking() {
        let mut node = Node::new(NodeId(2), Ensemble::new(3), ProtocolConfig::default(), DurableState::default());
        assert_eq!(node.describe(), "s2 NOT STARTED accepted=e0 current=e0 last=0:0 delivered=0");
        node.step(0, Input::Start);
        assert!(node.describe().starts_with("s2 LOOKING r1 "), "{}", node.describe());
    }
}
