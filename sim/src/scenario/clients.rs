//! Simulated ZooKeeper clients: how many run a recipe, which clients run a script of their
//! own (a fixed list of operations), and their session and pacing settings. Off by default,
//! so a scenario without a `clients` section runs exactly as before the data model.
//!
//! A script in a scenario file:
//!
//! ```json
//! "clients": { "scripts": [ { "start_ms": 500, "ops": [
//!     { "op": "create", "path": "/app", "data": "v1" },
//!     { "op": "get", "path": "/app", "watch": true },
//!     { "op": "think", "ms": 200 },
//!     { "op": "set", "path": "/app", "data": "v2", "version": 0 },
//!     { "op": "sync", "path": "/app" },
//!     { "op": "children", "path": "/", "watch": true },
//!     { "op": "exists", "path": "/gone", "watch": true },
//!     { "op": "delete", "path": "/app" },
//!     { "op": "close_session" } ] } ] }
//! ```

use serde::{Deserialize, Serialize};
use zabsim_protocol::data::{CreateMode, Op, ZPath};
use zabsim_protocol::{ClientOp, Read};

/// What every client runs.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Recipe {
    /// Random creates, sets, deletes, reads with watches and syncs over a few znodes: the
    /// client guarantees under a general workload.
    #[default]
    Mixed,
    /// The distributed lock of ZooKeeper's recipes page (and Curator's `InterProcessMutex`):
    /// an ephemeral sequential child of `/lock`, a watch on the predecessor, hold, delete.
    Lock,
    /// Leader election (ZooKeeper's recipe, Curator's `LeaderLatch`): the lock's protocol
    /// under `/election`; the lowest node leads, and abdicates after 25 times `hold_ms`.
    Election,
    /// A distributed queue: even clients produce persistent sequential children of `/queue`,
    /// odd ones list them with a watch and take the lowest by deleting it.
    Queue,
    /// Configuration: client 0 publishes `/config` after every think time, the others read
    /// it with a data watch and read again when it fires.
    Config,
}

/// The clients of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Clients {
    /// How many clients run the recipe; 0: none.
    pub count: u32,
    /// What each runs.
    pub recipe: Recipe,
    /// The session timeout each requests; servers grant it within 2 to 20 tickTimes.
    pub session_timeout_ms: u32,
    /// Pause between a client's operations, uniform in `[0, 2 * think_ms]`.
    pub think_ms: u32,
    /// Lock recipe: how long a client holds the lock before releasing it.
    pub hold_ms: u32,
    /// When the recipe clients start (each a little later than the one before).
    pub start_ms: u64,
    /// Clients that each run a script instead of the recipe, after the recipe clients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<Script>,
}

/// One scripted client: its operations, run in order, each after the previous one's answer
/// (or its ConnectionLoss: the client moves on, the outcome unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// When it starts, ms.
    #[serde(default)]
    pub start_ms: u64,
    /// What it does.
    pub ops: Vec<ScriptOp>,
}

/// One step of a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScriptOp {
    /// `create(path, data, mode)`; mode defaults to persistent.
    Create {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
        /// The data, as text.
        #[serde(default)]
        data: String,
        /// Persistent (the default), ephemeral, or a sequential mode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<CreateMode>,
    },
    /// `delete(path, version)`; any version when absent.
    Delete {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
        /// The version the node must have.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<i32>,
    },
    /// `setData(path, data, version)`; any version when absent.
    Set {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
        /// The data, as text.
        #[serde(default)]
        data: String,
        /// The version the node must have.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<i32>,
    },
    /// `getData(path, watch)`.
    Get {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
        /// Leave a watch.
        #[serde(default)]
        watch: bool,
    },
    /// `exists(path, watch)`.
    Exists {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
        /// Leave a watch.
        #[serde(default)]
        watch: bool,
    },
    /// `getChildren(path, watch)`.
    Children {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
        /// Leave a watch.
        #[serde(default)]
        watch: bool,
    },
    /// `sync(path)`.
    Sync {
        /// The znode.
        #[serde(deserialize_with = "path_field")]
        path: ZPath,
    },
    /// Close the session (the client then starts a new one).
    CloseSession,
    /// Wait this long before the next step.
    Think {
        /// How long.
        ms: u64,
    },
}

impl ScriptOp {
    /// The request this step sends; `None` for a pause.
    pub fn request(&self) -> Option<ClientOp> {
        let write = |op| Some(ClientOp::Write { op });
        let read = |read| Some(ClientOp::Read { read });
        match self.clone() {
            ScriptOp::Create { path, data, mode } => {
                write(Op::Create { path, data: data.into_bytes(), mode: mode.unwrap_or(CreateMode::Persistent) })
            }
            ScriptOp::Delete { path, version } => write(Op::Delete { path, version }),
            ScriptOp::Set { path, data, version } => write(Op::SetData { path, data: data.into_bytes(), version }),
            ScriptOp::Get { path, watch } => read(Read::GetData { path, watch }),
            ScriptOp::Exists { path, watch } => read(Read::Exists { path, watch }),
            ScriptOp::Children { path, watch } => read(Read::GetChildren { path, watch }),
            ScriptOp::Sync { path } => Some(ClientOp::Sync { path }),
            ScriptOp::CloseSession => write(Op::CloseSession),
            ScriptOp::Think { .. } => None,
        }
    }
}

impl Default for Clients {
    fn default() -> Clients {
        Clients {
            count: 0,
            recipe: Recipe::Mixed,
            session_timeout_ms: 4_000,
            think_ms: 50,
            hold_ms: 20,
            start_ms: 0,
            scripts: Vec::new(),
        }
    }
}

impl Clients {
    /// Whether the run has clients.
    pub fn enabled(&self) -> bool {
        self.count > 0 || !self.scripts.is_empty()
    }

    /// Every client: the recipe's, then the scripted ones.
    pub fn total(&self) -> usize {
        self.count as usize + self.scripts.len()
    }

    /// Whether the run has none (the scenario file then leaves the section out).
    pub fn is_off(&self) -> bool {
        !self.enabled()
    }
}

/// A script's `path`: the error names the field, which serde cannot do inside an internally
/// tagged enum (it buffers the fields before it knows the variant).
fn path_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<ZPath, D::Error> {
    let text = String::deserialize(deserializer)?;
    ZPath::parse(&text).map_err(|e| serde::de::Error::custom(format!("path: {e}")))
}
