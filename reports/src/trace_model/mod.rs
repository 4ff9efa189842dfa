//! Reads a zabsim JSON-lines trace (schema 2, `trace_records`) into what the trace charts
//! draw: role intervals per server, pauses, fault markers, and delivered messages matched
//! send-to-receive.
//!
//! Matching: a `send` output of server X to Y is queued on the link (X, Y, message) at the
//! time it leaves (with `after_write` K, when X's write K is durable, i.e. at X's next
//! `writes_durable` with `through` >= K); a later `message` input at Y from X takes the oldest
//! queued send of the same message, FIFO. What was queued to or from a crashed server, or on a
//! quorum connection that closed (`quorum_disconnected`, or an end leaving FOLLOWING /
//! LEADING), is counted as lost. A receive with no queued send (the election transport
//! re-sending its last notification on a new connection, or chaos-mode duplicates) is counted
//! and not drawn.

use crate::error::ReportError;
use crate::trace_records::{End, Input, Msg, Observation, Output, Record, Role, TRACE_SCHEMA};
use std::collections::{BTreeMap, VecDeque};
use std::hash::Hasher;

pub(crate) use crate::trace_records::Header;

mod builder;
mod links;

use builder::{value_text, Builder};

/// Whether the trace is whole and unmodified, checked against its closing line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Integrity {
    /// Line count and running hash match the closing line.
    Verified(String),
    /// No closing line: the run was cut short or the file truncated.
    NoEndLine,
    /// The closing line disagrees with the content.
    Mismatch(String),
}

/// LOOKING / FOLLOWING / LEADING, as drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoleKind {
    /// Electing.
    Looking,
    /// Following a leader.
    Following,
    /// Leading.
    Leading,
    /// A state this viewer does not know.
    Other,
    /// Crashed (from a crash fault to the next step of the server).
    Down,
}

/// The Zab phase within FOLLOWING or LEADING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not following or leading.
    None,
    /// Epoch negotiation.
    Discovery,
    /// Synchronization.
    Synchronization,
    /// Broadcast.
    Broadcast,
}

/// A stretch of time during which a server had one role string and one epoch.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    /// Start, µs.
    pub(crate) start: u64,
    /// End, µs.
    pub(crate) end: u64,
    /// Role kind.
    pub(crate) kind: RoleKind,
    /// Phase.
    pub(crate) phase: Phase,
    /// The role as the trace spells it ("FOLLOWING s5 BROADCAST"), or "down".
    pub(crate) role: String,
    /// The leader followed or led.
    pub(crate) leader: Option<u8>,
    /// currentEpoch.
    pub(crate) epoch: Option<u32>,
    /// Last zxid at the start.
    pub(crate) zxid_first: Option<String>,
    /// Last zxid at the end.
    pub(crate) zxid_last: Option<String>,
}

/// The message families, for colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MsgClass {
    /// NOTIFICATION.
    Election,
    /// FOLLOWERINFO, LEADERINFO, ACKEPOCH, NEWLEADER, DIFF, TRUNC, SNAP, UPTODATE...
    Sync,
    /// REQUEST, PROPOSAL, ACK, COMMIT, INFORM.
    Broadcast,
    /// PING.
    Ping,
}

impl MsgClass {
    /// The family of a message `type`.
    fn of(kind: &str) -> MsgClass {
        match kind {
            "notification" => MsgClass::Election,
            "request" | "proposal" | "ack" | "commit" | "inform" | "commit_and_activate" => MsgClass::Broadcast,
            "ping" => MsgClass::Ping,
            _ => MsgClass::Sync,
        }
    }
}

/// A message from send to receive.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    /// Sender.
    pub(crate) from: u8,
    /// Receiver.
    pub(crate) to: u8,
    /// Family.
    pub(crate) class: MsgClass,
    /// When it left, µs.
    pub(crate) sent: u64,
    /// When it was received, µs.
    pub(crate) received: u64,
}

/// A message that left and was never received: dropped with a crash or a closed connection,
/// superseded in the election transport's one-slot queue, or still travelling at the end.
#[derive(Clone, Debug)]
pub(crate) struct Lost {
    /// Sender.
    pub(crate) from: u8,
    /// Addressee.
    pub(crate) to: u8,
    /// When it left, µs.
    pub(crate) sent: u64,
}

/// A record without a server: a fault, a resume.
#[derive(Clone, Debug)]
pub(crate) struct Marker {
    /// When, µs.
    pub(crate) t_us: u64,
    /// What ("crash s4", "heal all", "resume s2").
    pub(crate) text: String,
}

/// A leader established, from a `note established ...` output.
#[derive(Clone, Debug)]
pub(crate) struct Established {
    /// When, µs.
    pub(crate) t_us: u64,
    /// The leader.
    pub(crate) node: u8,
    /// The note ("established e1 by {s1,s2}").
    pub(crate) text: String,
}

/// Everything the trace charts and page need.
pub(crate) struct TraceModel {
    /// The header.
    pub(crate) header: Header,
    /// Closing-line check.
    pub(crate) integrity: Integrity,
    /// Event records.
    pub(crate) events: usize,
    /// Time of the last record, µs.
    pub(crate) end_us: u64,
    /// Role segments per server (index 0 is s1).
    pub(crate) segments: Vec<Vec<Segment>>,
    /// Pauses: (server, start, end) µs.
    pub(crate) pauses: Vec<(u8, u64, u64)>,
    /// Faults and other server-less records.
    pub(crate) markers: Vec<Marker>,
    /// Delivered messages between different servers, by send time.
    pub(crate) deliveries: Vec<Delivery>,
    /// Messages sent and never received, by send time.
    pub(crate) lost: Vec<Lost>,
    /// Of those, the ones still travelling when the trace ends.
    pub(crate) in_flight_at_end: usize,
    /// Receives with no matching send.
    pub(crate) unmatched_receives: usize,
    /// Messages a server sent to itself (matched, not drawn).
    pub(crate) self_messages: usize,
    /// Leaders established.
    pub(crate) established: Vec<Established>,
}

fn line_err(line: usize, message: impl Into<String>) -> ReportError {
    ReportError::bad(format!("trace line {line}"), message)
}

/// Deserializes a JSON value; the error names the field ("t_us: invalid type...").
fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        }
    })
}

/// Parses and checks a trace. Errors name the line and what was expected.
pub(crate) fn parse(trace: &str) -> Result<TraceModel, ReportError> {
    let mut lines = trace.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((first_no, first)) = lines.next() else {
        return Err(ReportError::bad("trace", "empty input, expected a zabsim JSON-lines trace"));
    };
    let expected = "expected the header {\"kind\":\"zabsim-trace\",\"schema\":2,...}";
    let value: serde_json::Value = serde_json::from_str(first)
        .map_err(|e| line_err(first_no + 1, format!("{expected}, got text that is not JSON: {e}")))?;
    let header: Header = from_value(value).map_err(|e| line_err(first_no + 1, format!("{expected}: {e}")))?;
    if header.kind != "zabsim-trace" {
        return Err(line_err(first_no + 1, format!("kind is \"{}\", expected \"zabsim-trace\"", header.kind)));
    }
    if header.schema != TRACE_SCHEMA {
        return Err(line_err(
            first_no + 1,
            format!(
                "trace schema {} is not supported, expected {TRACE_SCHEMA} (run the scenario again with this \
                 zabsim to get a schema-{TRACE_SCHEMA} trace)",
                header.schema
            ),
        ));
    }
    if header.nodes == 0 {
        return Err(line_err(first_no + 1, "nodes is 0, expected at least one server"));
    }
    let n = header.nodes;
    // The simulator's running FNV-1a hash over every line before the closing one.
    let mut hash = fnv::FnvHasher::default();
    hash.write(first.as_bytes());
    hash.write_u8(b'\n');
    let mut hashed_lines: u64 = 1;
    let mut end: Option<(usize, End)> = None;

    let mut b = Builder::new(n);
    for (no, line) in lines {
        let no = no + 1;
        if let Some((end_no, _)) = &end {
            return Err(line_err(no, format!("content after the closing line (line {end_no})")));
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| line_err(no, format!("not valid JSON: {e}")))?;
        let Some(obj) = value.as_object() else {
            return Err(line_err(no, "expected a JSON object"));
        };
        match obj.get("kind").map(|k| k.as_str()) {
            None => {}
            Some(Some("end")) => {
                let e: End = from_value(value).map_err(|e| line_err(no, format!("bad closing line: {e}")))?;
                end = Some((no, e));
                continue;
            }
            Some(other) => {
                return Err(line_err(
                    no,
                    format!("unexpected kind {}, expected an event record or the closing line", value_text(other)),
                ))
            }
        }
        let rec: Record = from_value(value).map_err(|e| line_err(no, format!("bad event record: {e}")))?;
        hash.write(line.as_bytes());
        hash.write_u8(b'\n');
        hashed_lines += 1;
        if rec.t_us < b.now {
            return Err(line_err(no, format!("time goes backwards: t_us {} after {}", rec.t_us, b.now)));
        }
        if let Some(node) = rec.node {
            if node == 0 || node > n {
                return Err(line_err(no, format!("node {node} is not a server of this {n}-server trace")));
            }
        }
        b.record(rec);
    }
    let integrity = match end {
        None => Integrity::NoEndLine,
        Some((_, e)) => {
            let ours = format!("{:016x}", hash.finish());
            if e.lines != hashed_lines {
                Integrity::Mismatch(format!("the closing line counts {} lines, the file has {hashed_lines}", e.lines))
            } else if e.hash != ours {
                Integrity::Mismatch(format!("the closing line's hash is {}, the content hashes to {ours}", e.hash))
            } else {
                Integrity::Verified(ours)
            }
        }
    };
    Ok(b.finish(header, integrity))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        r#"{"kind":"zabsim-trace","schema":2,"version":"0.1.0","seed":1,"scenario_hash":"x","nodes":2,"variants":[]}"#;
    const PING: &str = r#"{"channel":"quorum","type":"ping","zxid":{"epoch":1,"counter":0}}"#;
    const ACK: &str = r#"{"channel":"quorum","type":"ack","zxid":{"epoch":1,"counter":1}}"#;

    fn role(state: &str, leader: u8, text: &str) -> String {
        let phase = if state == "looking" { "election" } else { "broadcast" };
        format!(r#""role":{{"state":"{state}","phase":"{phase}","leader":{leader},"round":1,"text":"{text}"}}"#)
    }

    fn step(i: u64, t: u64, node: u8, input: &str, outputs: &str, role: &str, counter: u32) -> String {
        format!(
            r#"{{"i":{i},"t_us":{t},"node":{node},"input":{input},"outputs":[{outputs}],{role},"epoch":1,"last_zxid":{{"epoch":1,"counter":{counter}}}}}"#
        )
    }

    #[test]
    fn matches_fifo_and_gated_sends() {
        let leading = role("leading", 1, "LEADING BROADCAST");
        let following = role("following", 1, "FOLLOWING s1 BROADCAST");
        let trace = [
            HEADER.to_string(),
            step(
                1,
                0,
                1,
                r#"{"type":"start","text":"start"}"#,
                &format!(
                    r#"{{"type":"send","to":2,"msg":{PING},"text":"send s2 PING 1:0"}},{{"type":"send","to":2,"msg":{ACK},"after_write":3,"text":"send s2 ACK 1:1 after w3"}}"#
                ),
                &leading,
                0,
            ),
            step(2, 100, 2, &format!(r#"{{"type":"message","from":1,"msg":{PING},"text":"recv s1 PING 1:0"}}"#), "", &following, 0),
            step(3, 500, 1, r#"{"type":"writes_durable","through":3,"text":"fsync done through w3"}"#, "", &leading, 1),
            step(4, 700, 2, &format!(r#"{{"type":"message","from":1,"msg":{ACK},"text":"recv s1 ACK 1:1"}}"#), "", &following, 0),
            r#"{"i":5,"t_us":900,"input":{"type":"fault","at_ms":0,"fault":"crash","node":2,"text":"fault: crash s2"}}"#
                .to_string(),
            step(
                5,
                1000,
                1,
                r#"{"type":"quorum_disconnected","peer":2,"text":"disconnected s2"}"#,
                "",
                &role("looking", 1, "LOOKING r2"),
                1,
            ),
        ]
        .join("\n");
        let m = parse(&trace).unwrap();
        assert_eq!(m.integrity, Integrity::NoEndLine);
        assert_eq!(m.deliveries.len(), 2);
        assert_eq!((m.deliveries[0].sent, m.deliveries[0].received), (0, 100));
        assert_eq!((m.deliveries[1].sent, m.deliveries[1].received), (500, 700));
        assert_eq!(m.deliveries[1].class, MsgClass::Broadcast);
        // LEADING from 0 to 1000 (the LOOKING that starts at the last event has no length).
        assert_eq!(m.segments[0].len(), 1);
        assert_eq!((m.segments[0][0].start, m.segments[0][0].end), (0, 1000));
        assert_eq!(m.segments[0][0].zxid_first.as_deref(), Some("1:0"));
        assert_eq!(m.segments[0][0].zxid_last.as_deref(), Some("1:1"));
        let down = m.segments[1].last().unwrap();
        assert_eq!((down.kind, down.start, down.end), (RoleKind::Down, 900, 1000));
        assert_eq!(m.markers[0].text, "crash s2");
    }

    #[test]
    fn refuses_schema_1_naming_the_schema_it_expects() {
        let old = HEADER.replace("\"schema\":2", "\"schema\":1");
        let e = parse(&old).err().expect("schema 1 is refused").to_string();
        assert!(e.contains("trace schema 1 is not supported, expected 2"), "{e}");
    }
}
