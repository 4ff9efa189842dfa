//! Protocol configuration, with ZooKeeper's own names on the wire format (`tickTime`,
//! `initLimit`, ...) and units in the Rust field names. Known-bug variants are switches here,
//! off by default: never a second copy of the protocol.

use serde::{Deserialize, Serialize};

/// Timing and sizing knobs of one ZooKeeper ensemble. Defaults follow `conf/zoo_sample.cfg`
/// and the constants in `FastLeaderElection`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolConfig {
    /// `tickTime`: the heartbeat unit (zoo_sample.cfg: 2000 ms).
    #[serde(rename = "tickTime")]
    pub tick_time_ms: u32,
    /// `initLimit`, in ticks: bound on each discovery/sync wait and on learner reads before
    /// NEWLEADER.
    #[serde(rename = "initLimit")]
    pub init_limit_ticks: u32,
    /// `syncLimit`, in ticks: bound on learner reads after NEWLEADER and on a learner's silence
    /// before the leader stops counting it as synced.
    #[serde(rename = "syncLimit")]
    pub sync_limit_ticks: u32,
    /// `FastLeaderElection.finalizeWait`: quiet time after a quorum agrees before deciding.
    #[serde(rename = "finalizeWait")]
    pub finalize_wait_ms: u32,
    /// `zookeeper.fastleader.minNotificationInterval`: first notification timeout.
    #[serde(rename = "minNotificationInterval")]
    pub min_notification_interval_ms: u32,
    /// `zookeeper.fastleader.maxNotificationInterval`: cap of the doubling back-off.
    #[serde(rename = "maxNotificationInterval")]
    pub max_notification_interval_ms: u32,
    /// `Learner.connectToLeader`: attempts before giving up (hard-coded 5 in ZooKeeper).
    #[serde(rename = "leaderConnectAttempts")]
    pub leader_connect_attempts: u32,
    /// `zookeeper.leaderConnectDelayDuringRetryMs`: pause between attempts.
    #[serde(rename = "leaderConnectDelayDuringRetryMs")]
    pub leader_connect_delay_ms: u32,
    /// `zookeeper.commitLogCount`: how many committed txns a leader keeps in memory for DIFF
    /// sync; a follower further behind gets a SNAP. ZooKeeper raises values below 500 to 500
    /// (`ZKDatabase`); zabsim accepts smaller ones on purpose, as a modelling knob that makes
    /// SNAP reachable in short runs.
    #[serde(rename = "commitLogCount")]
    pub commit_log_count: u32,
    /// Known-bug switches.
    pub variants: Variants,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            tick_time_ms: 2000,
            init_limit_ticks: 10,
            sync_limit_ticks: 5,
            finalize_wait_ms: 200,
            min_notification_interval_ms: 200,
            max_notification_interval_ms: 60_000,
            leader_connect_attempts: 5,
            leader_connect_delay_ms: 100,
            commit_log_count: 500,
            variants: Variants::default(),
        }
    }
}

impl ProtocolConfig {
    /// tickTime in microseconds.
    pub fn tick_us(&self) -> u64 {
        self.tick_time_ms as u64 * 1000
    }
    /// tickTime·initLimit in microseconds.
    pub fn init_limit_us(&self) -> u64 {
        self.tick_us() * self.init_limit_ticks as u64
    }
    /// tickTime·syncLimit in microseconds.
    pub fn sync_limit_us(&self) -> u64 {
        self.tick_us() * self.sync_limit_ticks as u64
    }

    /// Checks the values ZooKeeper itself would refuse, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("tickTime", self.tick_time_ms),
            ("initLimit", self.init_limit_ticks),
            ("syncLimit", self.sync_limit_ticks),
            ("minNotificationInterval", self.min_notification_interval_ms),
            ("leaderConnectAttempts", self.leader_connect_attempts),
            ("commitLogCount", self.commit_log_count),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("{name}: expected a positive number, got 0"));
            }
        }
        if self.tick_time_ms < 2 {
            return Err("tickTime: expected at least 2 ms (pings go out every tickTime/2)".into());
        }
        if self.max_notification_interval_ms < self.min_notification_interval_ms {
            return Err(format!(
                "maxNotificationInterval: expected at least minNotificationInterval ({} ms), got {}",
                self.min_notification_interval_ms, self.max_notification_interval_ms
            ));
        }
        Ok(())
    }
}

/// Known-bug variants: real ZooKeeper bugs restored on purpose, each named after its JIRA.
/// Each is a switch read at the one place the JIRA describes, never a copy of the protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Variants {
    /// ZOOKEEPER-1419: the vote comparison lets the sid tie-break apply whenever zxids are
    /// equal, whatever the peerEpochs; the relation stops being an order and elections cycle.
    #[serde(rename = "zk-1419")]
    pub zk_1419: bool,
    /// ZOOKEEPER-4646: at NEWLEADER the follower writes currentEpoch and ACKs before the synced
    /// txns reach its disk (3.8.0-3.8.4); a crash then loses a txn the leader counts committed.
    #[serde(rename = "zk-4646")]
    pub zk_4646: bool,
    /// ZOOKEEPER-1154: the leader chooses DIFF by range alone (`LearnerHandler.run` before
    /// 3.3.4): a learner whose last zxid lies inside the leader's committedLog window but is
    /// not one of its txns (an old epoch's uncommitted tail) keeps that txn under the DIFF.
    #[serde(rename = "zk-1154")]
    pub zk_1154: bool,
    /// ZOOKEEPER-4643: at NEWLEADER the follower writes currentEpoch before the synced txns
    /// (`Learner.syncWithLeader` before 3.9.2); the ACK still waits for both. A crash between
    /// the two writes leaves a vote with the new epoch over the old history, which can win an
    /// election and truncate a committed txn.
    #[serde(rename = "zk-4643")]
    pub zk_4643: bool,
    /// ZOOKEEPER-335 (with 1081/1082): the pre-3.4 epoch choice. A leader takes the epoch of
    /// its own last logged zxid + 1 (`Leader.lead`, 3.3) and asks nobody; no server keeps the
    /// acceptedEpoch and currentEpoch files, so votes carry no peerEpoch and FLE compares
    /// (zxid, sid) only; a learner refuses only a leader whose epoch is below its own last
    /// zxid's (`Follower.followLeader`). An epoch that left no txn can be chosen twice.
    #[serde(rename = "zk-335")]
    pub zk_335: bool,
    /// ZOOKEEPER-2845: a server leaving FOLLOWING or LEADING keeps its in-memory database
    /// without fast-forwarding it from the txn log (`ZooKeeperServer.shutdown(false)`, 3.4.10
    /// and 3.5.3, after ZOOKEEPER-2678). It then votes and reports (ACKEPOCH) its
    /// lastProcessedZxid, below a logged txn that never got its COMMIT; the next leader sends
    /// an empty DIFF instead of a TRUNC, and the txn stays in the log until a restart replays
    /// it into the database.
    #[serde(rename = "zk-2845")]
    pub zk_2845: bool,
    /// ZOOKEEPER-790: a new leader starts serving before a quorum acknowledged it
    /// (`Leader.lead`, 3.3.0-3.3.1: `zk.startup()` and lastProcessedZxid = (epoch, 0) at the
    /// start of lead()), so it logs and proposes txns of an epoch nobody agreed to. The bug
    /// only ever existed with the pre-3.4 epoch choice, so this switch brings the zk-335
    /// epoch logic with it (3.3.1 = the 3.3 epochs + early start; 3.3.2 = zk-335 alone).
    #[serde(rename = "zk-790")]
    pub zk_790: bool,
    /// A seeded mistake, not a ZooKeeper bug: servers answer reads from their log, uncommitted
    /// proposals included, as if every logged txn were committed. The client checks must
    /// catch it (CommittedReads).
    #[serde(rename = "mistake-read-uncommitted", skip_serializing_if = "is_off")]
    pub mistake_read_uncommitted: bool,
    /// A seeded mistake, not a ZooKeeper bug: server s1 skips closeSession txns, so a closed or
    /// expired session and its ephemerals live on there alone. The replica check must catch
    /// it (ReplicaAgreement).
    #[serde(rename = "mistake-keep-ephemerals", skip_serializing_if = "is_off")]
    pub mistake_keep_ephemerals: bool,
}

fn is_off(on: &bool) -> bool {
    !*on
}

impl Variants {
    /// Every variant name the command line and scenarios accept, in the order of the fields.
    pub const NAMES: [&'static str; 7] = ["zk-1419", "zk-4646", "zk-1154", "zk-4643", "zk-335", "zk-2845", "zk-790"];

    /// Seeded mistakes in the data model's server side, for showing that the client checks
    /// catch them; accepted wherever a variant name is, listed apart from the real bugs.
    pub const MISTAKES: [&'static str; 2] = ["mistake-read-uncommitted", "mistake-keep-ephemerals"];

    /// Every name `enable` accepts: the known bugs, then the seeded mistakes.
    pub const ALL_NAMES: [&'static str; 9] = [
        "zk-1419",
        "zk-4646",
        "zk-1154",
        "zk-4643",
        "zk-335",
        "zk-2845",
        "zk-790",
        "mistake-read-uncommitted",
        "mistake-keep-ephemerals",
    ];

    /// The switches, in the order of [`Variants::NAMES`].
    fn switches(&mut self) -> [&mut bool; Variants::ALL_NAMES.len()] {
        [
            &mut self.zk_1419,
            &mut self.zk_4646,
            &mut self.zk_1154,
            &mut self.zk_4643,
            &mut self.zk_335,
            &mut self.zk_2845,
            &mut self.zk_790,
            &mut self.mistake_read_uncommitted,
            &mut self.mistake_keep_ephemerals,
        ]
    }

    /// Whether the pre-3.4 epoch logic runs (no acceptedEpoch/currentEpoch files, the epoch of
    /// the leader's own last zxid + 1): zk-335, and zk-790, which only existed on top of it.
    pub fn pre_zab_1_0(&self) -> bool {
        self.zk_335 || self.zk_790
    }

    /// Turns on the variant called `name`; errs with the list of known names.
    pub fn enable(&mut self, name: &str) -> Result<(), String> {
        match Variants::ALL_NAMES.iter().position(|n| *n == name) {
            Some(i) => *self.switches()[i] = true,
            None => {
                return Err(format!(
                    "unknown variant '{name}': expected one of {} (known bugs) or {} (seeded mistakes)",
                    Variants::NAMES.join(", "),
                    Variants::MISTAKES.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// Names of the variants that are on, for reports.
    pub fn enabled(&self) -> Vec<&'static str> {
        let mut copy = *self;
        let on = copy.switches().map(|s| *s);
        Variants::ALL_NAMES.iter().zip(on).filter(|(_, on)| *on).map(|(name, _)| *name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_the_scenario_field_of_its_switch() {
        for name in Variants::ALL_NAMES {
            let mut v = Variants::default();
            v.enable(name).expect("a known name");
            assert_eq!(v.enabled(), vec![name]);
            let json = serde_json::to_value(v).expect("serializes");
            assert_eq!(json[name], true, "{name}: the serde name differs");
        }
        let json = serde_json::to_value(Variants::default()).expect("serializes");
        assert_eq!(json.as_object().map(|o| o.len()), Some(Variants::NAMES.len()), "a switch without a name");
    }

    #[test]
    fn all_names_are_the_known_bugs_then_the_mistakes() {
        let joined: Vec<&str> = Variants::NAMES.iter().chain(Variants::MISTAKES.iter()).copied().collect();
        assert_eq!(joined, Variants::ALL_NAMES);
    }

    #[test]
    fn an_unknown_name_lists_every_variant() {
        let err = Variants::default().enable("zk-9999").expect_err("unknown");
        for name in Variants::NAMES {
            assert!(err.contains(name), "{err}");
        }
    }
}
