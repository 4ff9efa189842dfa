//! The simulated clients in the event loop: their wake-ups, their packets to servers (a down
//! server's host refusing a connect), the servers' packets and connection closes to them, and
//! crashes breaking their connections. The clients themselves live in `crate::clients`.

use super::*;
use crate::clients::Action;
use zabsim_protocol::{ClientCmd, ConnId, ServerPacket};

impl Sim {
    /// Queues what the clients asked for, and traces what they did.
    pub(super) fn schedule_client_actions(&mut self, actions: Vec<Action>) {
        if self.tracer.is_some() {
            let lines = self.fleet.as_mut().map(|f| f.take_log()).unwrap_or_default();
            for (client, text) in lines {
                self.trace_note(crate::trace::Note::Client { client }, format!("client {client} {text}"));
            }
        }
        for action in actions {
            match action {
                Action::ToServer { at_us, server, input } => {
                    self.queue.push(at_us, Event::FromClient(Box::new((server, input))))
                }
                Action::ToClient { at_us, conn, packet } => {
                    self.queue.push(at_us, Event::ToClient(Box::new((conn, packet))))
                }
                Action::Wake { at_us, client } => self.queue.push(at_us, Event::ClientWake(client)),
            }
        }
    }

    /// A client's packet reaches `server`. A crashed server's host refuses a new connection
    /// (nothing listens on the client port: the kernel answers the SYN with a reset), as the
    /// quorum port does in `transport.rs`; the client learns it one way later, as `ClientCnxn`
    /// does from its failed `SocketChannel.connect`. A paused server's kernel accepts, and the
    /// handshake waits for the process.
    pub(super) fn on_from_client(&mut self, server: NodeId, input: Input) {
        if self.nodes[server.index()].is_none() {
            if let (Some(fleet), Input::FromClient { conn, packet }) = (self.fleet.as_mut(), &input) {
                if matches!(**packet, zabsim_protocol::ClientPacket::Connect { .. }) {
                    let actions = fleet.refuse(*conn, self.now_us);
                    self.schedule_client_actions(actions);
                }
            }
            return;
        }
        self.deliver_local(server, input);
    }

    pub(super) fn on_client_wake(&mut self, client: usize) {
        let Some(fleet) = self.fleet.as_mut() else { return };
        let (actions, checked) = fleet.on_wake(client, self.now_us, &self.checker);
        self.schedule_client_actions(actions);
        if let Err(breach) = checked {
            self.fail(breach);
        }
    }

    pub(super) fn on_to_client(&mut self, conn: ConnId, packet: Option<ServerPacket>) {
        let Some(fleet) = self.fleet.as_mut() else { return };
        let (actions, checked) = fleet.on_arrival(conn, packet, self.now_us, &self.checker);
        self.schedule_client_actions(actions);
        if let Err(breach) = checked {
            self.fail(breach);
        }
    }

    /// Server `id`'s packets to clients and connection closes, from one step. Whether `id`
    /// is behind the newest established epoch goes with them: a deposed leader that has not
    /// noticed yet answers syncs without the new epoch (SyncFreshness's caveat).
    pub(super) fn apply_client_cmds(&mut self, id: NodeId, cmds: &[ClientCmd]) {
        let Some(fleet) = self.fleet.as_mut().filter(|_| !cmds.is_empty()) else { return };
        let newest = self.checker.newest_established_epoch();
        let epoch = self.nodes[id.index()].as_ref().map(|n| n.current_epoch());
        let deposed = epoch.filter(|e| newest.is_some_and(|newest| *e < newest));
        let mut actions = Vec::new();
        for cmd in cmds {
            actions.extend(match cmd {
                ClientCmd::Send { conn, packet } => {
                    fleet.server_sent(*conn, Some(packet.clone()), self.now_us, deposed)
                }
                ClientCmd::Close { conn } => fleet.server_sent(*conn, None, self.now_us, deposed),
            });
        }
        self.schedule_client_actions(actions);
    }

    /// Server `id` died: its clients' connections break.
    pub(super) fn break_client_connections(&mut self, id: NodeId) {
        let Some(fleet) = self.fleet.as_mut() else { return };
        let actions = fleet.server_crashed(id, self.now_us);
        self.schedule_client_actions(actions);
    }
}
