//! Pairs each received message with the step that sent it, for the exports' arrows and vector
//! clocks.
//!
//! A message leaves at the step that sent it, or, when it waits for a write
//! (`after_write`), at the sender's step that made that write durable (`writes_durable`).
//! Both connections are TCP, so per (from, to, channel) messages arrive in the order they
//! left: a receive takes the oldest queued message equal to it, and the older ones it passes
//! were lost (a crash or a closed connection). A receive with no equal message queued (the
//! election transport re-sending its last notification on a new connection) stays unpaired.
//! Chaos mode's reordering and duplication break the FIFO assumption, so with chaos a few
//! messages can be paired with the wrong send.

use super::read::{Line, Trace, What};
use std::collections::{BTreeMap, VecDeque};
use zabsim_protocol::{Channel, Input, Message, NodeId};

/// A message from the step that sent it to the step that received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Numbered from 1 in order of receipt.
    pub id: u64,
    /// Sender.
    pub from: u8,
    /// Receiver.
    pub to: u8,
    /// Index (into `Trace::lines`) of the step it left at.
    pub sent_at: usize,
    /// Index of the step that received it.
    pub received_at: usize,
    /// The message type ("notification", "proposal", ...).
    pub kind: String,
}

type Queue = VecDeque<(usize, Message)>;

/// Every paired message of `trace`, in order of receipt.
pub fn pair(trace: &Trace) -> Vec<Flow> {
    let n = usize::from(trace.header.nodes);
    let mut queues: BTreeMap<(u8, u8, Channel), Queue> = BTreeMap::new();
    // Per server: messages waiting for a write to be durable (write id, to, message).
    let mut gated: Vec<Vec<(u64, NodeId, Message)>> = vec![Vec::new(); n + 1];
    let mut flows = Vec::new();
    for (idx, line) in trace.lines.iter().enumerate() {
        match (&line.what, line.node) {
            (What::Fault { kind, node: Some(p) }, _) if kind == "crash" => {
                // What was in flight to or from a crashed server is gone.
                queues.retain(|(from, to, _), _| from != p && to != p);
                if let Some(g) = gated.get_mut(usize::from(*p)) {
                    g.clear();
                }
            }
            (What::Step(input), Some(node)) => step(&mut queues, &mut gated, &mut flows, idx, node, input, line),
            _ => {}
        }
    }
    flows
}

fn step(
    queues: &mut BTreeMap<(u8, u8, Channel), Queue>,
    gated: &mut [Vec<(u64, NodeId, Message)>],
    flows: &mut Vec<Flow>,
    idx: usize,
    node: u8,
    input: &Input,
    line: &Line,
) {
    let me = usize::from(node);
    match input {
        Input::Message { from, msg } => {
            if let Some(q) = queues.get_mut(&(from.0, node, msg.channel())) {
                if let Some(pos) = q.iter().position(|(_, m)| m == msg) {
                    // Under FIFO, what left before it and is not it was lost.
                    let (sent_at, _) = q.drain(..=pos).next_back().expect("position is in range");
                    let kind = message_kind(msg);
                    flows.push(Flow {
                        id: flows.len() as u64 + 1,
                        from: from.0,
                        to: node,
                        sent_at,
                        received_at: idx,
                        kind,
                    });
                }
            }
        }
        Input::WritesDurable { through } => {
            let (ready, waiting): (Vec<_>, Vec<_>) =
                std::mem::take(&mut gated[me]).into_iter().partition(|(w, _, _)| w <= through);
            gated[me] = waiting;
            for (_, to, msg) in ready {
                queues.entry((node, to.0, msg.channel())).or_default().push_back((idx, msg));
            }
        }
        // A restarted process: writes of the earlier incarnation never become durable.
        Input::Start => gated[me].clear(),
        Input::QuorumDisconnected { peer } => {
            for key in [(node, peer.0, Channel::Quorum), (peer.0, node, Channel::Quorum)] {
                queues.remove(&key);
            }
        }
        _ => {}
    }
    for s in &line.sends {
        match s.after_write {
            Some(w) => gated[me].push((w, s.to, s.msg.clone())),
            None => queues.entry((node, s.to.0, s.msg.channel())).or_default().push_back((idx, s.msg.clone())),
        }
    }
}

/// The message's `type` as the trace spells it.
pub fn message_kind(msg: &Message) -> String {
    let v = serde_json::to_value(msg).unwrap_or_default();
    v.get("type").and_then(|t| t.as_str()).unwrap_or("message").to_string()
}
