//! ZooKeeper's Fast Leader Election and Zab 1.0 as pure, deterministic state machines.
//!
//! One server is a [`Node`]; everything that happens to it is an [`Input`] handed to
//! [`Node::step`], and everything it does is returned as data in an [`Output`]: messages,
//! disk writes, timers, connection commands and observations. No clock, no randomness, no
//! I/O, no threads and no hash maps live here; the simulator in `zabsim-sim` supplies time,
//! network and disks.
//!
//! The behaviour follows ZooKeeper 3.8/3.9 (`FastLeaderElection`, `Leader`, `LearnerHandler`,
//! `Learner`, `Follower`); comments name the Java class or JIRA a decision follows.

pub mod config;
pub mod data;
pub mod database;
pub mod durable;
pub mod fle;
pub mod ids;
mod invariants;
pub mod io;
pub mod message;
pub mod node;
pub mod serve;
pub mod vote;
pub mod zab;

pub use config::{ProtocolConfig, Variants};
pub use database::ZkDatabase;
pub use durable::DurableState;
pub use ids::{Ensemble, Epoch, NodeId, NodeSet, Round, Zxid};
pub use io::{
    DiskWrite, Input, LeaveReason, NetCmd, Observation, Output, RoleView, Send, SyncMode, TimerCmd, TimerKind, Work,
    WriteId, ZabPhase,
};
pub use message::{Channel, Message, Notification, QuorumPacket, Txn};
pub use node::Node;
pub use serve::wire::{ClientCmd, ClientOp, ClientPacket, ConnId, Read, Reply, ServerPacket};
pub use vote::{beats, ServerState, TalliedVote, Vote};
