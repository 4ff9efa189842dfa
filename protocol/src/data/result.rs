//! What applying one txn produced: `OpResult`, the answer the client gets (as
//! `FinalRequestProcessor` builds it from `ProcessTxnResult`), and `Applied`, that answer
//! together with the watch events the txn triggers.

use super::error::ZkError;
use super::event::WatchEvent;
use super::path::ZPath;
use super::stat::Stat;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The result of one op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpResult {
    /// create succeeded; the actual path (with the sequence suffix for sequential nodes).
    Created(ZPath),
    /// delete succeeded.
    Deleted,
    /// setData succeeded; the node's new stat.
    Stat(Stat),
    /// check succeeded.
    Checked,
    /// multi: one result per op. When one op failed, every entry is an `Error`: the failed
    /// op's code, `Ok` before it and `RuntimeInconsistency` after it, as in ZooKeeper's
    /// `MultiResponse`.
    Multi(Vec<OpResult>),
    /// createSession was applied.
    SessionCreated,
    /// closeSession was applied.
    SessionClosed,
    /// The op failed and changed nothing.
    Error(ZkError),
}

impl OpResult {
    /// Whether the op succeeded; a multi succeeds when every op in it did.
    pub fn is_ok(&self) -> bool {
        match self {
            OpResult::Error(_) => false,
            OpResult::Multi(results) => results.iter().all(OpResult::is_ok),
            _ => true,
        }
    }

    /// The error a client sees: the op's own, or for a failed multi the failing op's
    /// (`ProcessTxnResult.err` is the first non-OK sub-result).
    pub fn error(&self) -> Option<ZkError> {
        match self {
            OpResult::Error(error) => Some(*error),
            OpResult::Multi(results) => results.iter().find_map(|result| match result {
                OpResult::Error(ZkError::Ok) => None,
                other => other.error(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for OpResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpResult::Created(path) => write!(f, "created {path}"),
            OpResult::Deleted => f.write_str("deleted"),
            OpResult::Stat(stat) => write!(f, "stat {stat}"),
            OpResult::Checked => f.write_str("checked"),
            OpResult::Multi(results) => {
                f.write_str("multi [")?;
                for (i, result) in results.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{result}")?;
                }
                f.write_str("]")
            }
            OpResult::SessionCreated => f.write_str("session-created"),
            OpResult::SessionClosed => f.write_str("session-closed"),
            OpResult::Error(error) => write!(f, "error {error}"),
        }
    }
}

/// What `DataTree::apply` returns: the client's result and, in order, the events whose
/// watches this txn fires (`DataTree.createNode`/`deleteNode`/`setData` call
/// `triggerWatch` in this order). A failed op triggers nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The answer for the client that sent the request.
    pub result: OpResult,
    /// The events, in the order ZooKeeper triggers them.
    pub events: Vec<WatchEvent>,
}
