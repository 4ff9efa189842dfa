//! Zab 1.0 as ZooKeeper implements it: discovery (epoch negotiation), synchronization
//! (DIFF/TRUNC/SNAP, NEWLEADER, UPTODATE) and broadcast (PROPOSAL/ACK/COMMIT), split by side.

pub mod leader;
pub mod learner;
pub mod sync;
