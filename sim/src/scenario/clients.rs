//! Simulated ZooKeeper clients: how many, what each runs (a recipe), and their session and
//! pacing settings. Off (`count: 0`) by default, so a scenario without a `clients` section
//! runs exactly as before the data model.

use serde::{Deserialize, Serialize};

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
}

/// The clients of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Clients {
    /// How many clients; 0: none.
    pub count: u32,
    /// What each runs.
    pub recipe: Recipe,
    /// The session timeout each requests; servers grant it within 2 to 20 tickTimes.
    pub session_timeout_ms: u32,
    /// Pause between a client's operations, uniform in `[0, 2 * think_ms]`.
    pub think_ms: u32,
    /// Lock recipe: how long a client holds the lock before releasing it.
    pub hold_ms: u32,
    /// When the clients start (each a little later than the one before).
    pub start_ms: u64,
}

impl Default for Clients {
    fn default() -> Clients {
        Clients { count: 0, recipe: Recipe::Mixed, session_timeout_ms: 4_000, think_ms: 50, hold_ms: 20, start_ms: 0 }
    }
}

impl Clients {
    /// Whether the run has clients.
    pub fn enabled(&self) -> bool {
        self.count > 0
    }

    /// Whether the run has none (the scenario file then leaves the section out).
    pub fn is_off(&self) -> bool {
        !self.enabled()
    }
}
