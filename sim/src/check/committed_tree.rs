//! The committed history replayed into one reference data tree, remembering every state each
//! znode passed through and every watch event each txn made. It answers the two questions
//! the read and watch checks ask: what did the tree look like at zxid Z (a read answered
//! at Z must show exactly that), and which changes to a path fell between two zxids (a watch
//! set at R must reach its client before any reply at a zxid past the first of them).
//!
//! Every state change of a node produces a watch event (NodeCreated, NodeDeleted,
//! NodeDataChanged for the node, NodeChildrenChanged for its parent), so recording the state
//! of each path an event names, after each txn, records every state a read can see.

use std::collections::BTreeMap;
use zabsim_protocol::data::{DataTree, Stat, WatchEventKind, ZPath};
use zabsim_protocol::message::TxnBody;
use zabsim_protocol::{Txn, Zxid};

/// What a read can see of one znode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NodeView {
    pub(crate) data: Vec<u8>,
    pub(crate) stat: Stat,
    pub(crate) children: Vec<String>,
}

/// The reference tree and the history of every path it has touched.
#[derive(Clone, Debug, Default)]
pub(crate) struct CommittedTree {
    tree: DataTree,
    /// How many txns of the committed history are applied.
    applied: usize,
    /// Per path, each state it took and the zxid of the txn that made it (`None`: deleted).
    states: BTreeMap<ZPath, Vec<(Zxid, Option<NodeView>)>>,
    /// Per path, the watch events committed txns made there, in zxid order.
    events: BTreeMap<ZPath, Vec<(Zxid, WatchEventKind)>>,
    /// The root as a fresh tree has it: what a path no txn touched looks like (every other
    /// untouched path does not exist).
    fresh_root: Option<NodeView>,
}

impl CommittedTree {
    /// Applies the txns of `history` not yet applied. `history` only ever grows.
    pub(crate) fn catch_up(&mut self, history: &[Txn]) {
        if self.fresh_root.is_none() {
            self.fresh_root = view_of(&DataTree::new(), &ZPath::root());
        }
        for txn in &history[self.applied.min(history.len())..] {
            let TxnBody::Request(request) = &txn.body else { continue };
            let applied = self.tree.apply(txn.zxid, request);
            for event in applied.events {
                self.events.entry(event.path.clone()).or_default().push((txn.zxid, event.kind));
                let view = view_of(&self.tree, &event.path);
                let states = self.states.entry(event.path).or_default();
                match states.last_mut() {
                    // Several events of one txn at one path (a multi): keep the final state.
                    Some((zxid, last)) if *zxid == txn.zxid => *last = view,
                    _ => states.push((txn.zxid, view)),
                }
            }
        }
        self.applied = history.len();
    }

    /// The node at `path` as the committed history left it after zxid `at`.
    pub(crate) fn node_at(&self, path: &ZPath, at: Zxid) -> Option<NodeView> {
        let touched = self.states.get(path).map_or(0, |states| states.partition_point(|(zxid, _)| *zxid <= at));
        match touched {
            // Not touched by then: as in a fresh tree (the root alone).
            0 => self.fresh_root.clone().filter(|_| path.is_root()),
            i => self.states[path][i - 1].1.clone(),
        }
    }

    /// The first committed event at `path` after `after` and at or before `through` that
    /// `fires` selects.
    pub(crate) fn first_event(
        &self,
        path: &ZPath,
        after: Zxid,
        through: Zxid,
        fires: impl Fn(WatchEventKind) -> bool,
    ) -> Option<(Zxid, WatchEventKind)> {
        let events = self.events.get(path)?;
        let from = events.partition_point(|(zxid, _)| *zxid <= after);
        events[from..].iter().take_while(|(zxid, _)| *zxid <= through).find(|(_, kind)| fires(*kind)).copied()
    }
}

fn view_of(tree: &DataTree, path: &ZPath) -> Option<NodeView> {
    let (data, stat) = tree.get_data(path).ok()?;
    let children = tree.get_children(path).unwrap_or_default();
    Some(NodeView { data: data.to_vec(), stat, children })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zabsim_protocol::data::{CreateMode, Op, Request, SessionId};
    use zabsim_protocol::Epoch;

    fn txn(counter: u32, op: Op) -> Txn {
        let body = TxnBody::Request(std::sync::Arc::new(Request { session: SessionId(1), cxid: 0, op }));
        Txn { zxid: Zxid::new(Epoch(1), counter), value: body.value(), body }
    }

    fn path(p: &str) -> ZPath {
        ZPath::parse(p).unwrap()
    }

    #[test]
    fn a_node_is_seen_as_it_was_at_each_zxid() {
        let history = vec![
            txn(1, Op::CreateSession { timeout_ms: 4000 }),
            txn(2, Op::Create { path: path("/a"), data: b"x".to_vec(), mode: CreateMode::Persistent }),
            txn(3, Op::SetData { path: path("/a"), data: b"y".to_vec(), version: None }),
            txn(4, Op::Delete { path: path("/a"), version: None }),
        ];
        let mut tree = CommittedTree::default();
        tree.catch_up(&history[..1]);
        tree.catch_up(&history);
        let at = |c| tree.node_at(&path("/a"), Zxid::new(Epoch(1), c)).map(|v| v.data);
        assert_eq!([at(1), at(2), at(3), at(4)], [None, Some(b"x".to_vec()), Some(b"y".to_vec()), None]);
        let root = |c| tree.node_at(&ZPath::root(), Zxid::new(Epoch(1), c)).unwrap().children;
        assert_eq!(root(2), vec!["a".to_string()]);
        assert!(root(0).is_empty() && root(4).is_empty());
        let changed = tree.first_event(&path("/a"), Zxid::new(Epoch(1), 2), Zxid::new(Epoch(1), 4), |k| {
            k == WatchEventKind::NodeDataChanged
        });
        assert_eq!(changed, Some((Zxid::new(Epoch(1), 3), WatchEventKind::NodeDataChanged)));
    }
}
