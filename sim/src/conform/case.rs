//! A conformance case: the schedule that both real ZooKeeper and zabsim run. The same values
//! go into each real server's zoo.cfg and into the simulated scenario.

use serde::{Deserialize, Serialize};

/// What happens to the ensemble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Start every server (at its `start_ms`) and wait until all are in broadcast.
    ColdStart,
    /// Once all are in broadcast, SIGKILL the leader and wait until every survivor is back in
    /// broadcast.
    KillLeader,
}

/// One schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Servers, ids 1..=nodes.
    pub nodes: u8,
    /// What happens.
    pub action: Action,
    /// zoo.cfg `tickTime`, ms.
    #[serde(rename = "tickTime", default = "tick")]
    pub tick_time_ms: u32,
    /// zoo.cfg `initLimit`, ticks.
    #[serde(rename = "initLimit", default = "init")]
    pub init_limit: u32,
    /// zoo.cfg `syncLimit`, ticks.
    #[serde(rename = "syncLimit", default = "sync")]
    pub sync_limit: u32,
    /// One-way loopback delay the model uses, µs (measured: 50..150 on 127.0.0.1).
    #[serde(default = "delay")]
    pub delay_us: (u64, u64),
    /// Fsync latency the model uses, µs.
    #[serde(default = "fsync")]
    pub fsync_us: (u64, u64),
    /// Cores of the machine the real ensemble ran on, every JVM on the same one; the model
    /// shares them the same way (`costs.host_cores`). Absent: a core per busy server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cores: Option<u32>,
}

fn tick() -> u32 {
    2000
}
fn init() -> u32 {
    10
}
fn sync() -> u32 {
    5
}
fn delay() -> (u64, u64) {
    (50, 150)
}
fn fsync() -> (u64, u64) {
    (200, 800)
}

impl Case {
    /// The case with zoo_sample.cfg timing and loopback delays.
    pub fn new(nodes: u8, action: Action) -> Case {
        Case {
            nodes,
            action,
            tick_time_ms: tick(),
            init_limit: init(),
            sync_limit: sync(),
            delay_us: delay(),
            fsync_us: fsync(),
            host_cores: None,
        }
    }

    /// A short name: `kill-leader-3`, `cold-start-5`.
    pub fn name(&self) -> String {
        let what = match self.action {
            Action::ColdStart => "cold-start",
            Action::KillLeader => "kill-leader",
        };
        format!("{what}-{}", self.nodes)
    }
}
