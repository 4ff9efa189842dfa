//! The lines of a schema-2 zabsim trace, as the trace charts read them: only the fields they
//! draw from, every input and output by its `type` tag. Types and fields the charts do not use
//! are skipped, so the reader needs no copy of the simulator's types.

use serde::Deserialize;
use std::fmt;

/// The trace schema this reader understands (`zabsim_sim::trace::TRACE_SCHEMA`).
pub(crate) const TRACE_SCHEMA: u32 = 2;

/// The first line.
#[derive(Deserialize)]
pub(crate) struct Header {
    /// "zabsim-trace".
    pub(crate) kind: String,
    /// `TRACE_SCHEMA`.
    pub(crate) schema: u32,
    /// zabsim version that wrote it.
    pub(crate) version: String,
    /// Seed.
    pub(crate) seed: u64,
    /// Hash of the scenario.
    pub(crate) scenario_hash: String,
    /// Cluster size.
    pub(crate) nodes: u8,
    /// Enabled known-bug variants.
    #[serde(default)]
    pub(crate) variants: Vec<String>,
}

/// The closing line.
#[derive(Deserialize)]
pub(crate) struct End {
    /// Lines before it.
    pub(crate) lines: u64,
    /// Running FNV-1a hash, 16 hex digits.
    pub(crate) hash: String,
}

/// A zxid as the trace writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub(crate) struct Zxid {
    epoch: u32,
    counter: u32,
}

impl fmt::Display for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch, self.counter)
    }
}

/// An item with its human line.
#[derive(Deserialize)]
pub(crate) struct Texted<T> {
    /// The typed part.
    #[serde(flatten)]
    pub(crate) item: T,
    /// The line `zabsim run --describe` prints.
    pub(crate) text: String,
}

/// What a record is about.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Input {
    /// A server (re)starts.
    Start,
    /// A message arrived.
    Message {
        /// Sender.
        from: u8,
        /// The message, compared whole to find its send.
        msg: Msg,
    },
    /// An fsync completed.
    WritesDurable {
        /// Last durable write id.
        through: u64,
    },
    /// The quorum connection with `peer` ended.
    QuorumDisconnected {
        /// The other end.
        peer: u8,
    },
    /// A scheduled fault (the scenario's fields).
    Fault {
        /// Fault kind ("crash", "pause", "heal_all", ...).
        fault: String,
        /// The server it hits, for per-server faults.
        node: Option<u8>,
    },
    /// A paused server runs again.
    Resume {
        /// The server.
        node: u8,
    },
    /// Anything else (timers, client writes, connects, the verdict).
    #[serde(other)]
    Other,
}

/// A message: its channel and type, and the whole object as the identity a receive is matched
/// on (a send and its receive serialize the same message identically).
#[derive(Clone, Deserialize)]
#[serde(from = "serde_json::Value")]
pub(crate) struct Msg {
    /// "election" or "quorum".
    pub(crate) channel: String,
    /// "notification", "proposal", "ack", ...
    pub(crate) kind: String,
    /// The object, serialized.
    pub(crate) identity: String,
}

impl From<serde_json::Value> for Msg {
    fn from(v: serde_json::Value) -> Msg {
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        Msg { channel: field("channel"), kind: field("type"), identity: v.to_string() }
    }
}

/// One output of a step.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Output {
    /// A message sent, maybe only once a write is durable.
    Send {
        /// Addressee.
        to: u8,
        /// The message.
        msg: Msg,
        /// The write that must be durable first.
        #[serde(default)]
        after_write: Option<u64>,
    },
    /// An observation.
    Note {
        /// What was observed.
        observation: Observation,
    },
    /// Writes, timers, connection commands.
    #[serde(other)]
    Other,
}

/// The observations the charts mark.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Observation {
    /// A leader established its epoch.
    Established {
        /// The epoch.
        epoch: u32,
        /// The servers whose NEWLEADER ACKs formed the quorum.
        quorum: Vec<u8>,
    },
    /// Anything else.
    #[serde(other)]
    Other,
}

/// A server's role after a step.
#[derive(Deserialize)]
pub(crate) struct Role {
    /// "looking", "following", "leading".
    pub(crate) state: String,
    /// "election", "discovery", "synchronization", "broadcast".
    pub(crate) phase: String,
    /// The leader followed or led.
    pub(crate) leader: Option<u8>,
    /// "FOLLOWING s5 BROADCAST".
    pub(crate) text: String,
}

/// One event line.
#[derive(Deserialize)]
pub(crate) struct Record {
    /// Virtual time, µs.
    pub(crate) t_us: u64,
    /// The server that stepped; None for faults, resumes and the verdict.
    pub(crate) node: Option<u8>,
    /// What happened.
    pub(crate) input: Texted<Input>,
    /// What the server did.
    #[serde(default)]
    pub(crate) outputs: Vec<Output>,
    /// Role after the step.
    pub(crate) role: Option<Role>,
    /// currentEpoch after the step.
    pub(crate) epoch: Option<u32>,
    /// Last logged zxid after the step.
    pub(crate) last_zxid: Option<Zxid>,
}
