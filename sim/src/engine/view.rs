//! Read-only views of a running simulation, for tests, sweeps and `zabsim conform` that drive
//! a run step by step and look at the cluster between events.

use super::*;

impl Sim {
    /// Virtual time now.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// A server, if it is running.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index()).and_then(|n| n.as_ref())
    }

    /// The disk of a server.
    pub fn disk(&self, id: NodeId) -> &Disk {
        &self.disks[id.index()]
    }

    /// Every server slot (index = id; 0 unused; None = crashed), for convergence checks.
    pub fn nodes(&self) -> &[Option<Node>] {
        &self.nodes
    }

    /// Messages sent so far.
    pub fn messages_sent(&self) -> u64 {
        self.stats.messages
    }

    /// lookForLeader calls so far, all servers.
    pub fn elections_started(&self) -> u64 {
        self.stats.elections_started
    }

    /// Epochs established so far.
    pub fn leaders(&self) -> &[crate::report::LeaderRecord] {
        &self.stats.leaders
    }

    /// Learner syncs chosen so far.
    pub fn syncs(&self) -> &[crate::report::SyncRecord] {
        &self.stats.syncs
    }

    /// Whether messages flow both ways between two servers.
    pub fn reachable_both(&self, a: NodeId, b: NodeId) -> bool {
        self.network.reachable_both(a, b)
    }

    /// Whether a server is paused.
    pub fn is_paused(&self, id: NodeId) -> bool {
        self.paused[id.index()]
    }

    /// The checker (for tests).
    pub fn checker(&self) -> &Checker {
        &self.checker
    }
}
