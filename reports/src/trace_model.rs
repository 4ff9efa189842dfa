//! Reads a zabsim JSON-lines trace into what the trace charts draw: role intervals per
//! server, pauses, fault markers, and delivered messages matched send-to-receive.
//!
//! Matching: a `send sY MSG` output of server X is queued on the link (X, Y, MSG text) at the
//! time it leaves (for `... after wK`, when X's write K is durable, i.e. at X's next
//! `fsync done through wJ` with J >= K); a later `recv sX MSG` input at Y takes the oldest
//! queued send with that text, FIFO. What was queued to or from a crashed server, or on a
//! quorum connection that closed (`disconnected`, or an end leaving FOLLOWING / LEADING), is
//! counted as lost. A receive with no queued send (the election transport re-sending its last
//! notification on a new connection, or chaos-mode duplicates) is counted and not drawn.

use crate::error::ReportError;
use serde::Deserialize;
use std::collections::{BTreeMap, VecDeque};

/// The trace schema this reader understands (`zabsim_sim::trace::TRACE_SCHEMA`).
pub(crate) const TRACE_SCHEMA: u32 = 1;

/// The first line.
#[derive(Deserialize)]
pub(crate) struct Header {
    kind: String,
    schema: u32,
    /// zabsim version that wrote it.
    pub(crate) version: String,
    /// Seed.
    pub(crate) seed: u64,
    /// Hash of the scenario.
    pub(crate) scenario_hash: String,
    /// Cluster size.
    pub(crate) nodes: u8,
    /// Enabled known-bug variants.
    #[serde(default)]
    pub(crate) variants: Vec<String>,
}

#[derive(Deserialize)]
struct Record {
    #[allow(dead_code)]
    i: u64,
    t_us: u64,
    node: Option<u8>,
    input: String,
    #[serde(default)]
    outputs: Vec<String>,
    role: Option<String>,
    epoch: Option<u32>,
    last_zxid: Option<String>,
}

#[derive(Deserialize)]
struct End {
    lines: u64,
    hash: String,
}

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
    fn of(text: &str) -> MsgClass {
        match text.split_whitespace().next().unwrap_or("") {
            "NOTIFICATION" => MsgClass::Election,
            "REQUEST" | "PROPOSAL" | "ACK" | "COMMIT" | "INFORM" | "COMMITANDACTIVATE" => MsgClass::Broadcast,
            "PING" => MsgClass::Ping,
            _ => MsgClass::Sync,
        }
    }

    fn is_election(self) -> bool {
        self == MsgClass::Election
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

/// "s5" → 5.
fn peer(word: &str) -> Option<u8> {
    word.strip_prefix('s')?.parse().ok()
}

/// FNV-1a, 64 bits: the simulator's running trace hash.
struct Fnv(u64);

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn role_kind(role: &str) -> (RoleKind, Phase) {
    let mut words = role.split_whitespace();
    let kind = match words.next().unwrap_or("") {
        "LOOKING" => RoleKind::Looking,
        "FOLLOWING" => RoleKind::Following,
        "LEADING" => RoleKind::Leading,
        _ => RoleKind::Other,
    };
    let phase = match role.split_whitespace().last().unwrap_or("") {
        "DISCOVERY" => Phase::Discovery,
        "SYNCHRONIZATION" => Phase::Synchronization,
        "BROADCAST" => Phase::Broadcast,
        _ => Phase::None,
    };
    (kind, phase)
}

/// Who a server is on the quorum connections: "L" while leading, "F s5" while following s5,
/// None otherwise (no quorum connection).
fn quorum_identity(role: &str) -> Option<String> {
    let mut words = role.split_whitespace();
    match words.next()? {
        "LEADING" => Some("L".to_string()),
        "FOLLOWING" => Some(format!("F {}", words.next().unwrap_or(""))),
        _ => None,
    }
}

/// Queued messages per (from, to, text): send times in order.
#[derive(Default)]
struct Links {
    queued: BTreeMap<(u8, u8, String), VecDeque<u64>>,
    lost: Vec<Lost>,
}

impl Links {
    fn send(&mut self, from: u8, to: u8, text: String, t: u64) {
        self.queued.entry((from, to, text)).or_default().push_back(t);
    }

    /// Drops what is queued between `a` and `b` (`b` None: every peer of `a`); quorum-only
    /// keeps the election channel.
    fn drop_between(&mut self, a: u8, b: Option<u8>, quorum_only: bool) {
        for ((from, to, text), q) in self.queued.iter_mut() {
            let touches = match b {
                Some(b) => (*from == a && *to == b) || (*from == b && *to == a),
                None => *from == a || *to == a,
            };
            if touches && !(quorum_only && MsgClass::of(text).is_election()) {
                for sent in q.drain(..) {
                    if from != to {
                        self.lost.push(Lost { from: *from, to: *to, sent });
                    }
                }
            }
        }
    }
}

/// Parses and checks a trace. Errors name the line and what was expected.
pub(crate) fn parse(trace: &str) -> Result<TraceModel, ReportError> {
    let mut lines = trace.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((first_no, first)) = lines.next() else {
        return Err(ReportError::bad("trace", "empty input, expected a zabsim JSON-lines trace"));
    };
    let expected = "expected the header {\"kind\":\"zabsim-trace\",\"schema\":1,...}";
    let value: serde_json::Value = serde_json::from_str(first)
        .map_err(|e| line_err(first_no + 1, format!("{expected}, got text that is not JSON: {e}")))?;
    let header: Header = from_value(value).map_err(|e| line_err(first_no + 1, format!("{expected}: {e}")))?;
    if header.kind != "zabsim-trace" {
        return Err(line_err(first_no + 1, format!("kind is \"{}\", expected \"zabsim-trace\"", header.kind)));
    }
    if header.schema != TRACE_SCHEMA {
        return Err(line_err(
            first_no + 1,
            format!("trace schema {} is not supported, expected {TRACE_SCHEMA}", header.schema),
        ));
    }
    if header.nodes == 0 {
        return Err(line_err(first_no + 1, "nodes is 0, expected at least one server"));
    }
    let n = header.nodes;
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    hash.write(first.as_bytes());
    hash.write(b"\n");
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
        hash.write(b"\n");
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
            let ours = format!("{:016x}", hash.0);
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

fn value_text(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("\"{s}\""),
        None => "(not a string)".to_string(),
    }
}

struct Builder {
    n: u8,
    now: u64,
    events: usize,
    open: Vec<Option<Segment>>,
    segments: Vec<Vec<Segment>>,
    pause_open: Vec<Option<u64>>,
    pauses: Vec<(u8, u64, u64)>,
    markers: Vec<Marker>,
    links: Links,
    /// Per server: sends waiting for a write to be durable (write id, to, text).
    gated: Vec<Vec<(u64, u8, String)>>,
    deliveries: Vec<Delivery>,
    unmatched: usize,
    self_messages: usize,
    established: Vec<Established>,
}

impl Builder {
    fn new(n: u8) -> Builder {
        let k = usize::from(n);
        Builder {
            n,
            now: 0,
            events: 0,
            open: vec![None; k],
            segments: vec![Vec::new(); k],
            pause_open: vec![None; k],
            pauses: Vec::new(),
            markers: Vec::new(),
            links: Links::default(),
            gated: vec![Vec::new(); k],
            deliveries: Vec::new(),
            unmatched: 0,
            self_messages: 0,
            established: Vec::new(),
        }
    }

    fn close(&mut self, node: u8, t: u64) {
        let i = usize::from(node - 1);
        if let Some(mut seg) = self.open[i].take() {
            seg.end = t;
            if seg.end > seg.start {
                self.segments[i].push(seg);
            }
        }
    }

    fn end_pause(&mut self, node: u8, t: u64) {
        if let Some(start) = self.pause_open[usize::from(node - 1)].take() {
            self.pauses.push((node, start, t));
        }
    }

    fn record(&mut self, rec: Record) {
        self.now = rec.t_us;
        self.events += 1;
        let t = rec.t_us;
        let Some(node) = rec.node else {
            self.marker(t, &rec.input);
            return;
        };
        let i = usize::from(node - 1);
        let quorum_before = self.open[i].as_ref().and_then(|s| quorum_identity(&s.role));
        // Role segments.
        if let Some(role) = &rec.role {
            let same = self.open[i].as_ref().is_some_and(|s| &s.role == role && s.epoch == rec.epoch);
            if same {
                if let Some(s) = self.open[i].as_mut() {
                    s.zxid_last.clone_from(&rec.last_zxid);
                }
            } else {
                self.close(node, t);
                let (kind, phase) = role_kind(role);
                self.open[i] = Some(Segment {
                    start: t,
                    end: t,
                    kind,
                    phase,
                    role: role.clone(),
                    epoch: rec.epoch,
                    zxid_first: rec.last_zxid.clone(),
                    zxid_last: rec.last_zxid.clone(),
                });
            }
        }
        // Messages in.
        let mut words = rec.input.split_whitespace();
        match (words.next(), words.next()) {
            (Some("recv"), Some(from)) => {
                let text = rec.input.splitn(3, ' ').nth(2).unwrap_or("").to_string();
                match peer(from).filter(|f| (1..=self.n).contains(f)) {
                    Some(from) => self.receive(from, node, text, t),
                    None => self.unmatched += 1,
                }
            }
            (Some("fsync"), _) => {
                if let Some(through) = rec.input.rsplit_once(" w").and_then(|(_, w)| w.parse::<u64>().ok()) {
                    let (ready, waiting): (Vec<_>, Vec<_>) =
                        std::mem::take(&mut self.gated[i]).into_iter().partition(|(w, _, _)| *w <= through);
                    self.gated[i] = waiting;
                    for (_, to, text) in ready {
                        self.links.send(node, to, text, t);
                    }
                }
            }
            (Some("start"), _) => {
                // A (re)start: writes of an earlier incarnation never become durable. What
                // was in flight to or from it went with the crash.
                self.gated[i].clear();
            }
            (Some("disconnected"), Some(p)) => {
                if let Some(p) = peer(p) {
                    self.links.drop_between(node, Some(p), true);
                }
            }
            _ => {}
        }
        // Leaving FOLLOWING or LEADING (or following someone else) closes the quorum
        // connections: what was in flight on them is gone, gated sends never leave.
        if quorum_before.is_some() {
            let quorum_after = self.open[i].as_ref().and_then(|s| quorum_identity(&s.role));
            if quorum_after != quorum_before {
                self.links.drop_between(node, None, true);
                self.gated[i].retain(|(_, _, text)| MsgClass::of(text).is_election());
            }
        }
        // Messages out, notes.
        for out in &rec.outputs {
            if let Some(rest) = out.strip_prefix("send ") {
                let Some((to, text)) = rest.split_once(' ') else { continue };
                let Some(to) = peer(to).filter(|p| (1..=self.n).contains(p)) else { continue };
                match text.rsplit_once(" after w").and_then(|(m, w)| w.parse::<u64>().ok().map(|w| (m, w))) {
                    Some((msg, w)) => self.gated[i].push((w, to, msg.to_string())),
                    None => self.links.send(node, to, text.to_string(), t),
                }
            } else if let Some(note) = out.strip_prefix("note ") {
                if note.starts_with("established") {
                    self.established.push(Established { t_us: t, node, text: note.to_string() });
                }
            }
        }
    }

    fn receive(&mut self, from: u8, to: u8, text: String, t: u64) {
        let class = MsgClass::of(&text);
        let key = (from, to, text);
        match self.links.queued.get_mut(&key).and_then(|q| q.pop_front()) {
            Some(sent) if from == to => {
                let _ = sent;
                self.self_messages += 1;
            }
            Some(sent) => self.deliveries.push(Delivery { from, to, class, sent, received: t }),
            None => self.unmatched += 1,
        }
    }

    fn marker(&mut self, t: u64, input: &str) {
        let text = input.strip_prefix("fault: ").unwrap_or(input).to_string();
        let mut words = text.split_whitespace();
        match (words.next(), words.next()) {
            (Some("crash"), Some(p)) => {
                if let Some(p) = peer(p).filter(|p| (1..=self.n).contains(p)) {
                    self.close(p, t);
                    self.end_pause(p, t);
                    self.gated[usize::from(p - 1)].clear();
                    self.links.drop_between(p, None, false);
                    self.open[usize::from(p - 1)] = Some(Segment {
                        start: t,
                        end: t,
                        kind: RoleKind::Down,
                        phase: Phase::None,
                        role: "down".to_string(),
                        epoch: None,
                        zxid_first: None,
                        zxid_last: None,
                    });
                }
            }
            (Some("pause"), Some(p)) => {
                if let Some(p) = peer(p).filter(|p| (1..=self.n).contains(p)) {
                    let i = usize::from(p - 1);
                    let down = self.open[i].as_ref().is_some_and(|s| s.kind == RoleKind::Down);
                    if !down && self.pause_open[i].is_none() {
                        self.pause_open[i] = Some(t);
                    }
                }
            }
            (Some("resume"), Some(p)) => {
                if let Some(p) = peer(p).filter(|p| (1..=self.n).contains(p)) {
                    self.end_pause(p, t);
                }
            }
            (Some("heal"), Some("all")) => {
                for p in 1..=self.n {
                    self.end_pause(p, t);
                }
            }
            _ => {}
        }
        self.markers.push(Marker { t_us: t, text });
    }

    fn finish(mut self, header: Header, integrity: Integrity) -> TraceModel {
        let end = self.now;
        for p in 1..=self.n {
            self.close(p, end);
            self.end_pause(p, end);
        }
        self.pauses.retain(|(_, s, e)| e > s);
        self.pauses.sort();
        let in_flight_at_end = self.links.queued.values().map(VecDeque::len).sum::<usize>();
        // Still queued at the end: never received either.
        let queued = std::mem::take(&mut self.links.queued);
        let mut lost = std::mem::take(&mut self.links.lost);
        for ((from, to, _), q) in queued {
            if from != to {
                lost.extend(q.into_iter().map(|sent| Lost { from, to, sent }));
            }
        }
        lost.sort_by_key(|l| (l.sent, l.from, l.to));
        // Stable sort: equal send times keep the trace's order.
        self.deliveries.sort_by_key(|d| d.sent);
        TraceModel {
            header,
            integrity,
            events: self.events,
            end_us: end,
            segments: self.segments,
            pauses: self.pauses,
            markers: self.markers,
            deliveries: self.deliveries,
            lost,
            in_flight_at_end,
            unmatched_receives: self.unmatched,
            self_messages: self.self_messages,
            established: self.established,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        r#"{"kind":"zabsim-trace","schema":1,"version":"0.1.0","seed":1,"scenario_hash":"x","nodes":2,"variants":[]}"#;

    #[test]
    fn matches_fifo_and_gated_sends() {
        let trace = [
            HEADER,
            r#"{"i":1,"t_us":0,"node":1,"input":"start","outputs":["send s2 PING 1:0","send s2 ACK 1:1 after w3"],"role":"LEADING BROADCAST","epoch":1,"last_zxid":"1:0"}"#,
            r#"{"i":2,"t_us":100,"node":2,"input":"recv s1 PING 1:0","role":"FOLLOWING s1 BROADCAST","epoch":1,"last_zxid":"1:0"}"#,
            r#"{"i":3,"t_us":500,"node":1,"input":"fsync done through w3","role":"LEADING BROADCAST","epoch":1,"last_zxid":"1:1"}"#,
            r#"{"i":4,"t_us":700,"node":2,"input":"recv s1 ACK 1:1","role":"FOLLOWING s1 BROADCAST","epoch":1,"last_zxid":"1:0"}"#,
            r#"{"i":5,"t_us":900,"input":"fault: crash s2"}"#,
            r#"{"i":5,"t_us":1000,"node":1,"input":"disconnected s2","role":"LOOKING r2","epoch":1,"last_zxid":"1:1"}"#,
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
}
