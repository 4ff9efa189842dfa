//! The links a trace's messages travel on, as the charts pair them: per (from, to, channel
//! identity, message kind), the sends still in flight, oldest first.

use super::*;

/// Who a server is on the quorum connections: Some(None) while leading, Some(leader) while
/// following, None otherwise (no quorum connection).
pub(super) fn quorum_identity(seg: &Segment) -> Option<Option<u8>> {
    match seg.kind {
        RoleKind::Leading => Some(None),
        RoleKind::Following => Some(seg.leader),
        _ => None,
    }
}

/// A queued message: its channel and its serialized identity.
pub(super) type LinkKey = (u8, u8, bool, String);

/// Queued messages per (from, to, election channel?, message): send times in order.
#[derive(Default)]
pub(super) struct Links {
    pub(super) queued: BTreeMap<LinkKey, VecDeque<u64>>,
    pub(super) lost: Vec<Lost>,
}

impl Links {
    pub(super) fn send(&mut self, from: u8, to: u8, msg: &crate::trace_records::Msg, t: u64) {
        let key = (from, to, msg.channel == "election", msg.identity.clone());
        self.queued.entry(key).or_default().push_back(t);
    }

    /// Drops what is queued between `a` and `b` (`b` None: every peer of `a`); quorum-only
    /// keeps the election channel.
    pub(super) fn drop_between(&mut self, a: u8, b: Option<u8>, quorum_only: bool) {
        for ((from, to, election, _), q) in self.queued.iter_mut() {
            let touches = match b {
                Some(b) => (*from == a && *to == b) || (*from == b && *to == a),
                None => *from == a || *to == a,
            };
            if touches && !(quorum_only && *election) {
                for sent in q.drain(..) {
                    if from != to {
                        self.lost.push(Lost { from: *from, to: *to, sent });
                    }
                }
            }
        }
    }
}
