//! The state a server keeps on disk: the two epoch files and the txn log (a snapshot is modelled
//! as a committed prefix of the log, as `FileTxnSnapLog` restores one). Everything else a
//! server knows is volatile and lost on restart.

use crate::ids::{Epoch, Zxid};
use crate::io::DiskWrite;
use crate::message::Txn;
use serde::{Deserialize, Serialize};

/// Durable state of one server. A restart hands over exactly this.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurableState {
    /// The `acceptedEpoch` file: highest epoch promised in discovery.
    pub accepted_epoch: Epoch,
    /// The `currentEpoch` file: epoch of the last NEWLEADER whose history was adopted.
    pub current_epoch: Epoch,
    /// Snapshot plus txn log, as one history in zxid order.
    pub log: Vec<Txn>,
    /// The zxid of the newest snapshot (its file name): it can stand above every logged txn,
    /// when a SNAP carried the leader's epoch marker.
    #[serde(default)]
    pub snapshot_zxid: Zxid,
}

impl DurableState {
    /// Last logged zxid (`QuorumPeer.getLastLoggedZxid`: the data tree's lastProcessedZxid
    /// once the database is loaded): the last txn, or the snapshot's zxid if that is newer;
    /// ZERO for an empty database.
    #[inline]
    pub fn last_zxid(&self) -> Zxid {
        let logged = self.log.last().map_or(Zxid::ZERO, |t| t.zxid);
        logged.max(self.snapshot_zxid)
    }

    /// Applies one write, as the disk does when it becomes durable and as the server's own
    /// view does when it issues it.
    pub fn apply(&mut self, write: &DiskWrite) {
        match write {
            DiskWrite::AcceptedEpoch(e) => self.accepted_epoch = *e,
            DiskWrite::CurrentEpoch(e) => self.current_epoch = *e,
            DiskWrite::Append(txn) => self.log.push(txn.clone()),
            DiskWrite::Truncate(zxid) => {
                let keep = self.log.partition_point(|t| t.zxid <= *zxid);
                self.log.truncate(keep);
                self.snapshot_zxid = self.snapshot_zxid.min(*zxid);
            }
            DiskWrite::Snapshot { history, zxid } => {
                self.log.clear();
                self.log.extend_from_slice(history);
                self.snapshot_zxid = *zxid;
            }
        }
    }
}
