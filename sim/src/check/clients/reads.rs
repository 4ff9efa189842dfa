//! ReadContents and WatchOrder: what a client reads and the watch events it receives, held to
//! the committed history replayed into a reference tree (`check/committed_tree.rs`).

use super::{ClientChecker, ReplySeen};
use crate::check::committed_tree::NodeView;
use crate::check::{Breach, Invariant};
use zabsim_protocol::data::{WatchEvent, WatchEventKind, ZkError};
use zabsim_protocol::{Read, Reply, Zxid};

/// The two kinds of watch a read leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum WatchType {
    /// Set by getData or exists.
    Data,
    /// Set by getChildren.
    Child,
}

impl WatchType {
    /// `WatchManager.triggerWatch`'s rule (see `zabsim_protocol::data::WatchManager`).
    fn fired_by(self, kind: WatchEventKind) -> bool {
        use WatchEventKind::*;
        match self {
            WatchType::Data => matches!(kind, NodeCreated | NodeDataChanged | NodeDeleted),
            WatchType::Child => matches!(kind, NodeChildrenChanged | NodeDeleted),
        }
    }

    fn name(self) -> &'static str {
        match self {
            WatchType::Data => "data",
            WatchType::Child => "child",
        }
    }
}

impl ClientChecker {
    /// `client` received a watch event from `server`: it must be for a watch it set, and the
    /// first committed change since that fires it must be this one.
    pub(crate) fn on_watch(
        &mut self,
        client: usize,
        server: u8,
        event: &WatchEvent,
        committed: Zxid,
    ) -> Result<(), Breach> {
        let watches = self.watches.entry(client).or_default();
        let fired: Vec<(WatchType, Zxid)> = watches
            .iter()
            .filter(|((path, kind), _)| *path == event.path && kind.fired_by(event.kind))
            .map(|((_, kind), set_at)| (*kind, *set_at))
            .collect();
        if fired.is_empty() {
            return Err(Breach::new(
                Invariant::WatchOrder,
                vec![server],
                format!("client {client} got {event} from s{server}, but it has no watch that event fires"),
            ));
        }
        for (kind, set_at) in fired {
            watches.remove(&(event.path.clone(), kind));
            let first = self.tree.first_event(&event.path, set_at, committed, |k| kind.fired_by(k));
            if first.map(|(_, k)| k) != Some(event.kind) {
                let first = first.map_or("none".to_string(), |(zxid, k)| format!("{k} at {zxid}"));
                return Err(Breach::new(
                    Invariant::WatchOrder,
                    vec![server],
                    format!(
                        "client {client} got {event} from s{server} for the {} watch it set at {set_at}, but the \
                         first committed change since that fires it is {first}",
                        kind.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A pong at `zxid` from `server`: every watch fired at or below it must have arrived.
    pub(crate) fn on_pong(&self, client: usize, server: u8, zxid: Zxid) -> Result<(), Breach> {
        self.check_watches_delivered(client, server, zxid)
    }

    /// Every watch `client` still waits on must not have been fired by a committed change at
    /// or before `zxid`, the state the reply in hand shows.
    pub(super) fn check_watches_delivered(&self, client: usize, server: u8, zxid: Zxid) -> Result<(), Breach> {
        let Some(watches) = self.watches.get(&client) else { return Ok(()) };
        for ((path, kind), set_at) in watches {
            if let Some((at, event)) = self.tree.first_event(path, *set_at, zxid, |k| kind.fired_by(k)) {
                return Err(Breach::new(
                    Invariant::WatchOrder,
                    vec![server],
                    format!(
                        "client {client} got a reply at {zxid} from s{server} before the {event} of {path} at {at}, \
                         which fires the {} watch it set at {set_at}",
                        kind.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A read answered at `zxid` must show what the committed history leaves there; a read
    /// that succeeded leaves the watch it asked for.
    pub(super) fn check_read(&mut self, got: &ReplySeen<'_>, read: &Read) -> Result<(), Breach> {
        let &ReplySeen { client, server, cxid, zxid, reply, .. } = got;
        let path = read.path();
        let expected = self.tree.node_at(path, zxid);
        let matches = match (read, reply, &expected) {
            (Read::GetData { .. }, Reply::Data { data, stat }, Some(node)) => node.data == *data && node.stat == *stat,
            (Read::Exists { .. }, Reply::Exists { stat }, node) => *stat == node.as_ref().map(|n| n.stat),
            (Read::GetChildren { .. }, Reply::Children { children }, Some(node)) => node.children == *children,
            (Read::GetData { .. } | Read::GetChildren { .. }, Reply::Error { error: ZkError::NoNode }, None) => true,
            _ => false,
        };
        if !matches {
            return Err(Breach::new(
                Invariant::ReadContents,
                vec![server],
                format!(
                    "client {client}'s #{cxid} {read} at s{server} answered {reply} at {zxid}, but the committed \
                     history has {} there",
                    describe(expected.as_ref())
                ),
            ));
        }
        let registered = !matches!(reply, Reply::Error { .. });
        if read.watch() && registered {
            let kind = if matches!(read, Read::GetChildren { .. }) { WatchType::Child } else { WatchType::Data };
            self.watches.entry(client).or_default().entry((path.clone(), kind)).or_insert(zxid);
        }
        Ok(())
    }
}

/// A node as a failure report names it.
fn describe(node: Option<&NodeView>) -> String {
    match node {
        None => "no node".to_string(),
        Some(n) => format!("{}B {:?} children {:?}", n.data.len(), n.stat, n.children),
    }
}
