//! Reading a ZooKeeper 3.8 server log (log4j pattern `%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n`,
//! timestamps in UTC) into the events the conformance comparison needs. Pure: text in, events
//! out; lines it does not know (stack traces, other messages) are skipped.

use serde::{Deserialize, Serialize};

/// How a learner was brought in sync with its leader (`Leader.DIFF`, `Leader.TRUNC`,
/// `Leader.SNAP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SyncMode {
    /// The missing txns (possibly none).
    Diff,
    /// Truncate the learner's log back to the leader's.
    Trunc,
    /// A full snapshot.
    Snap,
}

/// One thing a server logged that the comparison cares about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// `QuorumPeer`: `LOOKING` (the peer enters leader election).
    Looking,
    /// `FastLeaderElection`: `New election. My id = N, proposed zxid=0x...`.
    NewElection {
        /// The zxid of the server's initial vote.
        proposed_zxid: u64,
    },
    /// `FastLeaderElection.lookForLeader`: `Notification time out: N ms`, logged when a poll
    /// of the notification queue found nothing.
    NotificationTimeout {
        /// The timeout of the NEXT poll, already doubled (capped at maxNotificationInterval):
        /// the poll that expired waited half of this (the first one finalizeWait, 200 ms).
        ms: u64,
    },
    /// `QuorumPeer`: `FOLLOWING`; `leader` is filled from the address the follower then
    /// connects to (`Learner`: `connecting to` / `Successfully connected to leader`).
    Following {
        /// The leader's sid, when the log names its address.
        leader: Option<u8>,
    },
    /// `QuorumPeer`: `LEADING`.
    Leading,
    /// `Follower` / `Leader`: `... - LEADER ELECTION TOOK - N MS`.
    ElectionTook {
        /// What ZooKeeper measured from `LOOKING` to the role.
        ms: u64,
    },
    /// `Learner.connectToLeader`: `Unexpected exception, tries=N, ...` (a refused connection,
    /// retried after `leaderConnectDelayDuringRetryMs`).
    LeaderConnectRetry {
        /// The attempt that failed, from 0.
        tries: u32,
    },
    /// `Learner.connectToLeader` gave up (`connectToLeader exceeded` / `retries exceeded`).
    LeaderConnectFailed,
    /// `Learner`: `Successfully connected to leader` (the TCP connection, accepted or held in
    /// the leader's backlog).
    LeaderConnected,
    /// `ZooKeeperServer`: `Created server with tickTime ...`, the end of the role's server
    /// object; a leader's `new Leader` binds the quorum port right after it.
    ServerCreated,
    /// `ZooKeeperServer`: `Snapshot taken in N ms`, a leader's `zk.loadData` just before
    /// `Leader.lead` starts the `LearnerCnxAcceptor`.
    SnapshotTaken,
    /// `Learner.syncWithLeader`: the learner was told how to sync.
    Sync {
        /// DIFF, TRUNC or SNAP.
        mode: SyncMode,
    },
    /// `LearnerHandler.syncFollower`: the leader chose a sync mode for a learner.
    SyncSent {
        /// DIFF, TRUNC or SNAP.
        mode: SyncMode,
        /// The learner's sid (not logged for SNAP).
        peer: Option<u8>,
    },
    /// `Learner`: `Learner received UPTODATE message`.
    UpToDate,
    /// `Leader.startZkServer`: `Have quorum of supporters, sids: [...]`.
    QuorumOfSupporters {
        /// The sids that acked NEWLEADER.
        sids: Vec<u8>,
    },
    /// `QuorumPeer`: `Peer state changed: following - broadcast` or `leading - broadcast`.
    Broadcast,
    /// `Follower`: `Exception when following the leader` (the leader connection broke).
    ConnectionLost,
}

/// An event with its time in ms after the trial's t0 (the first JVM spawn).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerEvent {
    /// Milliseconds after t0 (negative only if the clock stepped back).
    pub at_ms: f64,
    /// What happened.
    pub kind: EventKind,
}

/// Parses a whole log. `t0_unix_us` is the trial's t0 in microseconds since the Unix epoch;
/// `quorum_ports` maps each server's quorum port to its sid, so a follower's leader can be
/// named from the address it connects to.
pub fn parse_log(text: &str, t0_unix_us: u64, quorum_ports: &[(u16, u8)]) -> Vec<ServerEvent> {
    let mut events: Vec<ServerEvent> = Vec::new();
    // Index of the `Following` event still waiting for its leader's address.
    let mut following_open: Option<usize> = None;
    for line in text.lines() {
        let Some((unix_ms, class, message)) = split_line(line) else { continue };
        let Some(kind) = classify(class, message) else { continue };
        let kind = match kind {
            Parsed::Event(kind) => kind,
            Parsed::LeaderAddress(port) => {
                if let Some(i) = following_open.take() {
                    let leader = quorum_ports.iter().find(|(p, _)| *p == port).map(|(_, sid)| *sid);
                    events[i].kind = EventKind::Following { leader };
                }
                EventKind::LeaderConnected
            }
            Parsed::RetryTo(tries, port) => {
                if let Some(i) = following_open {
                    let leader = quorum_ports.iter().find(|(p, _)| *p == port).map(|(_, sid)| *sid);
                    events[i].kind = EventKind::Following { leader };
                }
                EventKind::LeaderConnectRetry { tries }
            }
        };
        match kind {
            EventKind::Following { .. } => following_open = Some(events.len()),
            EventKind::Looking | EventKind::Leading => following_open = None,
            _ => {}
        }
        let at_ms = (unix_ms as f64 * 1000.0 - t0_unix_us as f64) / 1000.0;
        events.push(ServerEvent { at_ms, kind });
    }
    events
}

enum Parsed {
    Event(EventKind),
    /// A follower's successful connection to the leader's quorum port.
    LeaderAddress(u16),
    /// A refused connection attempt (tries, port).
    RetryTo(u32, u16),
}

fn classify(class: &str, message: &str) -> Option<Parsed> {
    use EventKind as K;
    let event = |k| Some(Parsed::Event(k));
    match (class, message) {
        ("QuorumPeer", "LOOKING") => event(K::Looking),
        ("QuorumPeer", "FOLLOWING") => event(K::Following { leader: None }),
        ("QuorumPeer", "LEADING") => event(K::Leading),
        ("QuorumPeer", m) => {
            let state = m.strip_prefix("Peer state changed: ")?;
            (state.starts_with("following - broadcast") || state.starts_with("leading - broadcast"))
                .then_some(Parsed::Event(K::Broadcast))
        }
        ("Follower" | "Leader", m) if m.contains("LEADER ELECTION TOOK - ") => {
            let rest = m.split("LEADER ELECTION TOOK - ").nth(1)?;
            event(K::ElectionTook { ms: leading_number(rest)? })
        }
        ("FastLeaderElection", m) => {
            if let Some(rest) = m.strip_prefix("Notification time out: ") {
                event(K::NotificationTimeout { ms: leading_number(rest)? })
            } else if m.starts_with("New election. My id = ") {
                let hex = m.split("proposed zxid=0x").nth(1)?;
                event(K::NewElection { proposed_zxid: u64::from_str_radix(hex.trim(), 16).ok()? })
            } else {
                None
            }
        }
        ("Learner", m) => {
            if let Some(rest) = m.strip_prefix("Unexpected exception, tries=") {
                Some(Parsed::RetryTo(leading_number(rest)? as u32, port_at_end(m)?))
            } else if m.starts_with("Unexpected exception, connectToLeader exceeded")
                || m.starts_with("Unexpected exception, retries exceeded")
            {
                event(K::LeaderConnectFailed)
            } else if let Some(address) = m.strip_prefix("Successfully connected to leader, using address: ") {
                Some(Parsed::LeaderAddress(port_at_end(address)?))
            } else if m.starts_with("Getting a diff from the leader") {
                event(K::Sync { mode: SyncMode::Diff })
            } else if m.starts_with("Getting a snapshot from leader") {
                event(K::Sync { mode: SyncMode::Snap })
            } else if m.starts_with("Truncating log to get in sync with the leader") {
                event(K::Sync { mode: SyncMode::Trunc })
            } else if m == "Learner received UPTODATE message" {
                event(K::UpToDate)
            } else {
                None
            }
        }
        ("LearnerHandler", m) => {
            let mode = if m.starts_with("Sending DIFF ") {
                SyncMode::Diff
            } else if m.starts_with("Sending TRUNC ") {
                SyncMode::Trunc
            } else if m.starts_with("Sending snapshot ") {
                SyncMode::Snap
            } else {
                return None;
            };
            let peer = m.split("for peer sid: ").nth(1).and_then(leading_number).and_then(|n| u8::try_from(n).ok());
            event(K::SyncSent { mode, peer })
        }
        ("Leader", m) if m.starts_with("Have quorum of supporters, sids: ") => {
            let list = m.split("sids: ").nth(1)?.split(';').next()?;
            let sids = list.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u8>().ok()).collect();
            event(K::QuorumOfSupporters { sids })
        }
        ("Follower", "Exception when following the leader") => event(K::ConnectionLost),
        ("ZooKeeperServer", m) if m.starts_with("Created server with tickTime") => event(K::ServerCreated),
        ("ZooKeeperServer", m) if m.starts_with("Snapshot taken in") => event(K::SnapshotTaken),
        _ => None,
    }
}

/// The digits at the start of `text`.
fn leading_number(text: &str) -> Option<u64> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text[..end].parse().ok()
}

/// The port of an address printed by Java (`/127.0.0.1:22882`, `localhost/127.0.0.1:22882`)
/// at the end of `text`.
fn port_at_end(text: &str) -> Option<u16> {
    let text = text.trim_end();
    let start = text.rfind(':')? + 1;
    text[start..].parse().ok()
}

/// Splits a log line into (Unix ms, class, message); `None` for continuation lines.
fn split_line(line: &str) -> Option<(u64, &str, &str)> {
    let unix_ms = parse_timestamp(line.get(..23)?)?;
    // The thread name may contain anything, so find the first `@<digits>] - ` and take the
    // class name that ends there.
    let mut from = 0;
    while let Some(offset) = line[from..].find("] - ") {
        let close = from + offset;
        let head = &line[..close];
        if let Some(at) = head.rfind('@') {
            if at + 1 < close && head[at + 1..].bytes().all(|b| b.is_ascii_digit()) {
                let class_start = head[..at].rfind([':', '[']).map_or(0, |i| i + 1);
                // An inner class (`Learner$LeaderConnector`) counts as its outer class.
                let class = head[class_start..at].split('$').next().unwrap_or_default();
                return Some((unix_ms, class, &line[close + 4..]));
            }
        }
        from = close + 4;
    }
    None
}

/// `2026-12-02 15:53:39,462` (UTC) as milliseconds since the Unix epoch.
fn parse_timestamp(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 23
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b',';
    if !shape_ok {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = text.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second, milli) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year as i64, month as i64, day as i64);
    let secs = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(secs * 1000 + milli)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[path = "logparse_tests.rs"]
mod tests;
