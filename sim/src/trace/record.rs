//! The records of a schema-2 trace: every input and output is a JSON object with a `type` and
//! its fields, plus `text`, the human line `--describe` prints. Field order is fixed by these
//! structs, so the serialized bytes (and the running hash over them) are canonical.

use crate::check::Invariant;
use crate::scenario::TimedFault;
use serde::Serialize;
use zabsim_protocol::{
    DiskWrite, Epoch, Input, NodeId, Observation, Round, Send, ServerState, TimerKind, Work, WriteId, ZabPhase, Zxid,
};

/// An item of the trace with its human line: the item's own fields, then `text`.
#[derive(Serialize)]
pub struct Texted<T> {
    /// The structured item (its `type` and fields).
    #[serde(flatten)]
    pub item: T,
    /// What `--describe` prints for it.
    pub text: String,
}

impl<T> Texted<T> {
    /// `item` with its line.
    pub fn new(item: T, text: String) -> Texted<T> {
        Texted { item, text }
    }
}

/// What a record is about: a server's input, or something the simulator itself did.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Event<'a> {
    /// The input of a server step (`start`, `message`, `timer`, `writes_durable`, ...).
    Input(&'a Input),
    /// A fault, a resume or the verdict.
    Note(Note<'a>),
}

/// Records without a server step.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Note<'a> {
    /// A scheduled fault starts; its fields are the scenario's own (`at_ms`, `fault`, `node`,
    /// ...).
    Fault {
        /// The fault as the scenario states it.
        #[serde(flatten)]
        fault: &'a TimedFault,
    },
    /// A paused server runs again.
    Resume {
        /// The server.
        node: u8,
    },
    /// A targeted crash reached its point: the server dies now.
    TargetedCrash {
        /// The server.
        node: u8,
        /// The scenario's fault that armed it (its index in `faults`).
        fault: usize,
    },
    /// A server struck by a targeted crash restarts (its `restart_after_ms`).
    Restart {
        /// The server.
        node: u8,
    },
    /// The checker found a violation; the run stops here.
    Violation {
        /// The broken property.
        invariant: Invariant,
        /// Event index after which it was seen.
        event: u64,
        /// Servers involved.
        servers: &'a [u8],
        /// What was seen.
        detail: &'a str,
    },
    /// Something a simulated client did or heard; the line's text says what.
    Client {
        /// The client's number (from 0).
        client: usize,
    },
}

/// One output of a server step, in the order `Output` lists them (sends, writes, timers set,
/// connection commands, observations). Timer cancellations are not traced.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Out<'a> {
    /// A message to `to`; `after_write` names the write that must be durable first.
    Send {
        /// The send (`to`, `msg`, `after_write`).
        #[serde(flatten)]
        send: &'a Send,
    },
    /// A disk write with its id.
    Write {
        /// Write id (per process lifetime).
        id: WriteId,
        /// The write.
        write: &'a DiskWrite,
    },
    /// A timer set to fire at `at_us`.
    Timer {
        /// Which timer (`"kind": "heartbeat"`).
        #[serde(flatten)]
        kind: TimerKind,
        /// When, virtual µs.
        at_us: u64,
    },
    /// Work on the server's own thread (`Work`), done at `until_us`.
    Work {
        /// Which work.
        work: Work,
        /// When it ends, virtual µs.
        until_us: u64,
    },
    /// Open the learner connection to the leader.
    Connect {
        /// The leader.
        peer: NodeId,
    },
    /// Close the quorum connection with a peer.
    Close {
        /// The peer.
        peer: NodeId,
    },
    /// A fact for the checker and metrics.
    Note {
        /// The observation.
        observation: &'a Observation,
    },
    /// A packet to a client, or a client connection closed.
    Client {
        /// The command.
        cmd: &'a zabsim_protocol::ClientCmd,
    },
}

/// A server's role after a step (`QuorumPeer.ServerState` and `ZabState`).
#[derive(Serialize)]
pub struct Role {
    /// looking, following or leading.
    pub state: ServerState,
    /// The Zab phase.
    pub phase: ZabPhase,
    /// The leader followed or led, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader: Option<NodeId>,
    /// logicalclock.
    pub round: Round,
    /// "LOOKING r3", "FOLLOWING s5 BROADCAST", "LEADING DISCOVERY".
    pub text: String,
}

/// One line per event.
#[derive(Serialize)]
pub struct Record<'a> {
    /// Event index.
    pub i: u64,
    /// Virtual time, microseconds.
    pub t_us: u64,
    /// The server that stepped (absent for faults and the verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u8>,
    /// What happened.
    pub input: Texted<Event<'a>>,
    /// What the server did.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub outputs: &'a [Texted<Out<'a>>],
    /// Role after the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// currentEpoch after the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<Epoch>,
    /// Last logged zxid after the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_zxid: Option<Zxid>,
}
