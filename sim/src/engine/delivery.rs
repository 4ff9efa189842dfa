//! Handing an input to a server's process: dropped when the process is down, deferred while
//! it is paused (its kernel still accepts data), ignored when it belongs to a connection the
//! process has already replaced, and, on an fsync completion, releasing the sends held
//! behind the writes that just became durable.

use super::*;

impl Sim {
    /// Hands an input to a server now, unless it is paused (then later) or down (then never).
    pub(super) fn deliver_local(&mut self, node: NodeId, input: Input) {
        self.deliver_tagged(node, input, 0);
    }

    /// `deliver_local` for an input that belongs to quorum connection `tag` (0: none). The
    /// process sees a connection's news only while it is the connection it knows: data or a
    /// close on a socket it already replaced goes nowhere.
    pub(super) fn deliver_tagged(&mut self, node: NodeId, input: Input, tag: u32) {
        if self.nodes[node.index()].is_none() {
            if let Input::ClientWrite { value } = input {
                self.stats.resolve(value, WriteState::Rejected);
            }
            return;
        }
        if self.paused[node.index()] {
            // The kernel has it; the frozen process reads it when it resumes.
            self.deferred[node.index()].push(Deferred::Input(input, tag));
            return;
        }
        if tag != 0 {
            let (peer, connects) = match &input {
                Input::QuorumConnected { peer } => (*peer, true),
                Input::QuorumDisconnected { peer } => (*peer, false),
                Input::Message { from, .. } => (*from, false),
                _ => unreachable!("only connection news and messages carry a connection tag"),
            };
            let slot = node.index() * (self.n + 1) + peer.index();
            if connects {
                self.app_conn[slot] = tag;
            } else if self.app_conn[slot] != tag {
                return;
            }
            if let Input::QuorumDisconnected { .. } = input {
                self.app_conn[slot] = 0;
            }
        }
        if let Input::WritesDurable { through } = input {
            self.node_durable[node.index()] = Some(through);
            let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held[node.index()])
                .into_iter()
                .partition(|(s, _)| s.after_write.is_some_and(|w| w <= through));
            self.held[node.index()] = waiting;
            for (s, conn) in ready {
                // A packet queued for a learner connection that has since closed never leaves:
                // ZooKeeper shuts that processor chain down with the connection.
                if s.msg.channel() == Channel::Quorum && self.app_conn(node, s.to) != conn {
                    continue;
                }
                self.transmit(node, s.to, s.msg);
            }
            if self.stop {
                return;
            }
        }
        self.step(node, input);
    }
}
