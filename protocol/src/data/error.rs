//! `ZkError`: the `KeeperException.Code`s a client of the simulated data tree can receive,
//! named as in ZooKeeper and carrying ZooKeeper's integer codes for traces and conformance.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A ZooKeeper result code (`KeeperException.Code`). Only the codes this model can produce
/// are listed; ACLs, quotas, reconfiguration and TTL nodes are out of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ZkError {
    /// `OK`. Appears only inside a failed multi: the op before the failing one would have
    /// succeeded and was rolled back (`DataTree.processTxn` gives those ops `Code.OK`).
    Ok,
    /// A multi op after the failing one, never attempted (`RUNTIMEINCONSISTENCY`).
    RuntimeInconsistency,
    /// The request could not be decoded: a multi holding an op that may not appear in one
    /// (`PrepRequestProcessor.pRequest` turns the decoding failure into `MARSHALLINGERROR`).
    MarshallingError,
    /// An argument is invalid: a bad path, deleting the root, session id 0 (`BADARGUMENTS`).
    BadArguments,
    /// The session is not known to the server (`UNKNOWNSESSION`).
    UnknownSession,
    /// The node, or the parent of a node to create, does not exist (`NONODE`).
    NoNode,
    /// The expected version does not match the node's (`BADVERSION`).
    BadVersion,
    /// The parent of a node to create is ephemeral (`NOCHILDRENFOREPHEMERALS`).
    NoChildrenForEphemerals,
    /// The node to create already exists (`NODEEXISTS`).
    NodeExists,
    /// The node to delete has children (`NOTEMPTY`).
    NotEmpty,
    /// The session has expired or is closing (`SESSIONEXPIRED`).
    SessionExpired,
    /// The session is attached to another server (`SESSIONMOVED`).
    SessionMoved,
    /// The client lost its connection before the result arrived (`CONNECTIONLOSS`).
    ConnectionLoss,
}

impl ZkError {
    /// ZooKeeper's integer code (`KeeperException.Code.intValue`).
    pub fn code(self) -> i32 {
        match self {
            ZkError::Ok => 0,
            ZkError::RuntimeInconsistency => -2,
            ZkError::ConnectionLoss => -4,
            ZkError::MarshallingError => -5,
            ZkError::BadArguments => -8,
            ZkError::UnknownSession => -12,
            ZkError::NoNode => -101,
            ZkError::BadVersion => -103,
            ZkError::NoChildrenForEphemerals => -108,
            ZkError::NodeExists => -110,
            ZkError::NotEmpty => -111,
            ZkError::SessionExpired => -112,
            ZkError::SessionMoved => -118,
        }
    }

    /// The name ZooKeeper prints for the code (`KeeperException.getCodeMessage`'s subject).
    pub fn name(self) -> &'static str {
        match self {
            ZkError::Ok => "Ok",
            ZkError::RuntimeInconsistency => "RuntimeInconsistency",
            ZkError::ConnectionLoss => "ConnectionLoss",
            ZkError::MarshallingError => "MarshallingError",
            ZkError::BadArguments => "BadArguments",
            ZkError::UnknownSession => "UnknownSession",
            ZkError::NoNode => "NoNode",
            ZkError::BadVersion => "BadVersion",
            ZkError::NoChildrenForEphemerals => "NoChildrenForEphemerals",
            ZkError::NodeExists => "NodeExists",
            ZkError::NotEmpty => "NotEmpty",
            ZkError::SessionExpired => "SessionExpired",
            ZkError::SessionMoved => "SessionMoved",
        }
    }
}

impl fmt::Display for ZkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for ZkError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_keeper_exception() {
        assert_eq!(ZkError::NoNode.code(), -101);
        assert_eq!(ZkError::NodeExists.code(), -110);
        assert_eq!(ZkError::SessionExpired.code(), -112);
        assert_eq!(ZkError::RuntimeInconsistency.code(), -2);
        assert_eq!(ZkError::NotEmpty.to_string(), "NotEmpty");
    }
}
