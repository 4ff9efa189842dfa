//! `WatchManager`: the one-shot watches one server holds for its clients (ZooKeeper's
//! `DataTree.dataWatches` and `childWatches`, each a `watch.WatchManager`), and which of them
//! a watch event fires. Persistent and recursive watches (`addWatch`, 3.6+) are out of scope.

use super::event::{WatchEvent, WatchEventKind};
use super::path::ZPath;
use std::collections::{BTreeMap, BTreeSet};

/// Data and child watches by path. A watcher is an opaque id chosen by the server (ZooKeeper
/// registers the client connection, `ServerCnxn`, as the `Watcher`); one watcher watches a
/// path at most once per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchManager {
    /// Set by exists and getData; fired by NodeCreated, NodeDataChanged and NodeDeleted.
    data_watches: BTreeMap<ZPath, BTreeSet<u64>>,
    /// Set by getChildren; fired by NodeChildrenChanged and NodeDeleted.
    child_watches: BTreeMap<ZPath, BTreeSet<u64>>,
}

impl WatchManager {
    /// No watches.
    pub fn new() -> WatchManager {
        WatchManager::default()
    }

    /// Registers a data watch. The server calls this for `exists` whether or not the node
    /// exists (`DataTree.statNode` adds the watch before looking the node up, so exists on a
    /// missing node learns of its creation), and for `getData` only when the node exists
    /// (`DataTree.getData` throws NoNode first).
    pub fn add_data_watch(&mut self, path: &ZPath, watcher: u64) {
        self.data_watches.entry(path.clone()).or_default().insert(watcher);
    }

    /// Registers a child watch; the server calls this for `getChildren` on an existing node
    /// (`DataTree.getChildren` throws NoNode before adding it).
    pub fn add_child_watch(&mut self, path: &ZPath, watcher: u64) {
        self.child_watches.entry(path.clone()).or_default().insert(watcher);
    }

    /// Fires and removes the watches `event` triggers, and returns one notification per
    /// watcher, ordered by watcher id. `WatchManager.triggerWatch` semantics: NodeCreated and
    /// NodeDataChanged fire the path's data watches, NodeChildrenChanged the path's child
    /// watches, and NodeDeleted both; a watcher holding both on a deleted node is notified
    /// once (`DataTree.deleteNode` passes the data watchers as the suppress set), and both
    /// of its watches are gone.
    pub fn trigger(&mut self, event: &WatchEvent) -> Vec<(u64, WatchEvent)> {
        let mut fired = BTreeSet::new();
        let (data, child) = match event.kind {
            WatchEventKind::NodeCreated | WatchEventKind::NodeDataChanged => (true, false),
            WatchEventKind::NodeChildrenChanged => (false, true),
            WatchEventKind::NodeDeleted => (true, true),
        };
        if data {
            fired.extend(self.data_watches.remove(&event.path).unwrap_or_default());
        }
        if child {
            fired.extend(self.child_watches.remove(&event.path).unwrap_or_default());
        }
        fired.into_iter().map(|watcher| (watcher, event.clone())).collect()
    }

    /// Drops every watch of `watcher`, as `WatchManager.removeWatcher` does when its
    /// connection closes.
    pub fn remove_watcher(&mut self, watcher: u64) {
        for table in [&mut self.data_watches, &mut self.child_watches] {
            table.retain(|_, watchers| {
                watchers.remove(&watcher);
                !watchers.is_empty()
            });
        }
    }

    /// Whether `watcher` has a data watch on `path`.
    pub fn has_data_watch(&self, path: &ZPath, watcher: u64) -> bool {
        self.data_watches.get(path).is_some_and(|watchers| watchers.contains(&watcher))
    }

    /// Whether `watcher` has a child watch on `path`.
    pub fn has_child_watch(&self, path: &ZPath, watcher: u64) -> bool {
        self.child_watches.get(path).is_some_and(|watchers| watchers.contains(&watcher))
    }

    /// Number of registered watches, data and child.
    pub fn watch_count(&self) -> usize {
        self.data_watches.values().chain(self.child_watches.values()).map(BTreeSet::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> ZPath {
        ZPath::parse(text).unwrap()
    }

    fn event(kind: WatchEventKind, at: &str) -> WatchEvent {
        WatchEvent::new(kind, path(at))
    }

    fn watchers(fired: &[(u64, WatchEvent)]) -> Vec<u64> {
        fired.iter().map(|(watcher, _)| *watcher).collect()
    }

    #[test]
    fn a_watch_fires_once() {
        let mut watches = WatchManager::new();
        watches.add_data_watch(&path("/a"), 1);
        let changed = event(WatchEventKind::NodeDataChanged, "/a");
        assert_eq!(watches.trigger(&changed), vec![(1, changed.clone())]);
        assert!(watches.trigger(&changed).is_empty());
        assert_eq!(watches.watch_count(), 0);
    }

    #[test]
    fn notifications_come_in_watcher_order() {
        let mut watches = WatchManager::new();
        for watcher in [9, 2, 5] {
            watches.add_data_watch(&path("/a"), watcher);
        }
        assert_eq!(watchers(&watches.trigger(&event(WatchEventKind::NodeCreated, "/a"))), vec![2, 5, 9]);
    }

    #[test]
    fn created_and_data_changed_fire_data_watches_only() {
        let mut watches = WatchManager::new();
        watches.add_child_watch(&path("/a"), 1);
        assert!(watches.trigger(&event(WatchEventKind::NodeCreated, "/a")).is_empty());
        assert!(watches.trigger(&event(WatchEventKind::NodeDataChanged, "/a")).is_empty());
        assert!(watches.has_child_watch(&path("/a"), 1));
    }

    #[test]
    fn children_changed_fires_child_watches_only() {
        let mut watches = WatchManager::new();
        watches.add_data_watch(&path("/a"), 1);
        watches.add_child_watch(&path("/a"), 2);
        assert_eq!(watchers(&watches.trigger(&event(WatchEventKind::NodeChildrenChanged, "/a"))), vec![2]);
        assert!(watches.has_data_watch(&path("/a"), 1));
    }

    #[test]
    fn deleted_fires_data_and_child_watches_once_per_watcher() {
        let mut watches = WatchManager::new();
        watches.add_data_watch(&path("/a"), 1);
        watches.add_child_watch(&path("/a"), 1);
        watches.add_child_watch(&path("/a"), 3);
        watches.add_data_watch(&path("/b"), 4);
        assert_eq!(watchers(&watches.trigger(&event(WatchEventKind::NodeDeleted, "/a"))), vec![1, 3]);
        assert_eq!(watches.watch_count(), 1);
    }

    #[test]
    fn removing_a_watcher_drops_all_its_watches() {
        let mut watches = WatchManager::new();
        watches.add_data_watch(&path("/a"), 1);
        watches.add_child_watch(&path("/b"), 1);
        watches.add_data_watch(&path("/a"), 2);
        watches.remove_watcher(1);
        assert_eq!(watches.watch_count(), 1);
        assert_eq!(watchers(&watches.trigger(&event(WatchEventKind::NodeDeleted, "/a"))), vec![2]);
    }
}
