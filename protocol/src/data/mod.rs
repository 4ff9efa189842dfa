//! ZooKeeper's data model, the state Zab replicates: znodes with versions and stats, sessions
//! and their ephemerals, one-shot watches, and session expiry. Pure and deterministic like
//! the rest of the crate: no clock (times are handed in), no randomness, no hash maps.
//!
//! # The model: requests applied as txns
//!
//! In ZooKeeper a write travels in two halves. On the leader, `PrepRequestProcessor` checks
//! the request against the tree as it will be once every outstanding txn is applied
//! (session live, parent exists, version matches, ...), names sequential nodes, and turns
//! the request into a txn: a `CreateTxn`, `SetDataTxn`, ..., or an `ErrorTxn` carrying the
//! failure code. Every server then applies the committed txn with `DataTree.processTxn`, and
//! `FinalRequestProcessor` answers the client.
//!
//! Here the committed txn *is* the request ([`Request`]), and [`DataTree::apply`] runs both
//! halves at once on each server: PrepRequestProcessor's checks, in its order, then
//! processTxn's changes. The two designs agree whenever every server applies the same
//! committed prefix in order, which Zab guarantees: the leader's view during prep is exactly
//! the tree after the txns before this one, so each check sees the state the leader would
//! have seen, and a deterministic apply yields identical trees and results everywhere.
//!
//! Where it differs from ZooKeeper:
//! - ZooKeeper decides failures once, at the leader, and ships an error txn. Here a failed
//!   conditional op (BadVersion, NodeExists, ...) is an ordinary txn whose application fails
//!   the same way on every server; either way it takes a zxid and changes nothing else.
//! - Session liveness is the tree's own session table, updated by createSession and
//!   closeSession txns. The leader's `SessionTracker` (here [`SessionTracker`], which decides
//!   *when* to expire) also marks a session closing before its closeSession commits; a
//!   request from a closing session is refused at the leader in ZooKeeper but would still
//!   apply here until the closeSession txn is ordered before it.
//! - ZooKeeper's closeSession txn names the ephemerals to delete as the leader saw them;
//!   here the session's ephemerals are read at apply time, which is the same set because
//!   nothing else can create or delete them between prep and apply in a committed order.
//! - Sequential names come from the parent's persisted cversion at apply time; ZooKeeper
//!   takes it at prep time, again the same value under in-order application.
//! - Out of scope: ACLs, quotas, containers and TTL nodes, `/zookeeper` and its children,
//!   persistent and recursive watches, local sessions, reconfig, wall-clock ctime/mtime.
//!
//! # Files
//!
//! - `path.rs`: [`ZPath`], validated like `PathUtils.validatePath`.
//! - `op.rs`: [`Op`], [`Request`], [`SessionId`], [`CreateMode`].
//! - `error.rs`: [`ZkError`], the `KeeperException.Code`s.
//! - `stat.rs`: [`Stat`]; `node.rs`: the stored node behind it.
//! - `tree.rs`: [`DataTree`], its reads and digest; `apply.rs`: how a txn changes it.
//! - `event.rs`, `result.rs`: what applying produces ([`WatchEvent`], [`OpResult`],
//!   [`Applied`]).
//! - `watches.rs`: [`WatchManager`], one server's one-shot watches.
//! - `session.rs`: [`SessionTracker`], expiry buckets after `ExpiryQueue`.

mod apply;
pub(crate) mod digest;
pub mod error;
pub mod event;
mod node;
pub mod op;
pub mod path;
pub mod result;
pub mod session;
pub mod stat;
pub mod tree;
pub mod watches;

pub use error::ZkError;
pub use event::{WatchEvent, WatchEventKind};
pub use op::{CreateMode, Op, Request, SessionId};
pub use path::{PathError, PathErrorKind, ZPath};
pub use result::{Applied, OpResult};
pub use session::SessionTracker;
pub use stat::Stat;
pub use tree::DataTree;
pub use watches::WatchManager;
