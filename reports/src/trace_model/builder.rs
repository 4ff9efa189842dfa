//! Builds the trace model record by record: role segments, pauses, fault markers, and
//! sends matched to receives on their links.

use super::links::*;
use super::*;

pub(super) fn role_kind(role: &Role) -> (RoleKind, Phase) {
    let kind = match role.state.as_str() {
        "looking" => RoleKind::Looking,
        "following" => RoleKind::Following,
        "leading" => RoleKind::Leading,
        _ => RoleKind::Other,
    };
    let phase = match (kind, role.phase.as_str()) {
        (RoleKind::Following | RoleKind::Leading, "discovery") => Phase::Discovery,
        (RoleKind::Following | RoleKind::Leading, "synchronization") => Phase::Synchronization,
        (RoleKind::Following | RoleKind::Leading, "broadcast") => Phase::Broadcast,
        _ => Phase::None,
    };
    (kind, phase)
}

pub(super) fn value_text(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("\"{s}\""),
        None => "(not a string)".to_string(),
    }
}

pub(super) struct Builder {
    pub(super) n: u8,
    pub(super) now: u64,
    pub(super) events: usize,
    pub(super) open: Vec<Option<Segment>>,
    pub(super) segments: Vec<Vec<Segment>>,
    pub(super) pause_open: Vec<Option<u64>>,
    pub(super) pauses: Vec<(u8, u64, u64)>,
    pub(super) markers: Vec<Marker>,
    pub(super) links: Links,
    /// Per server: sends waiting for a write to be durable (write id, to, message).
    pub(super) gated: Vec<Vec<(u64, u8, Msg)>>,
    pub(super) deliveries: Vec<Delivery>,
    pub(super) unmatched: usize,
    pub(super) self_messages: usize,
    pub(super) established: Vec<Established>,
}

impl Builder {
    pub(super) fn new(n: u8) -> Builder {
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

    pub(super) fn close(&mut self, node: u8, t: u64) {
        let i = usize::from(node - 1);
        if let Some(mut seg) = self.open[i].take() {
            seg.end = t;
            if seg.end > seg.start {
                self.segments[i].push(seg);
            }
        }
    }

    pub(super) fn end_pause(&mut self, node: u8, t: u64) {
        if let Some(start) = self.pause_open[usize::from(node - 1)].take() {
            self.pauses.push((node, start, t));
        }
    }

    pub(super) fn record(&mut self, rec: Record) {
        self.now = rec.t_us;
        self.events += 1;
        let t = rec.t_us;
        let Some(node) = rec.node else {
            self.marker(t, rec.input.item, rec.input.text);
            return;
        };
        let i = usize::from(node - 1);
        let quorum_before = self.open[i].as_ref().and_then(quorum_identity);
        // Role segments.
        if let Some(role) = &rec.role {
            let zxid = rec.last_zxid.map(|z| z.to_string());
            let same = self.open[i].as_ref().is_some_and(|s| s.role == role.text && s.epoch == rec.epoch);
            if same {
                if let Some(s) = self.open[i].as_mut() {
                    s.zxid_last = zxid;
                }
            } else {
                self.close(node, t);
                let (kind, phase) = role_kind(role);
                self.open[i] = Some(Segment {
                    start: t,
                    end: t,
                    kind,
                    phase,
                    role: role.text.clone(),
                    leader: role.leader,
                    epoch: rec.epoch,
                    zxid_first: zxid.clone(),
                    zxid_last: zxid,
                });
            }
        }
        // Messages in.
        match rec.input.item {
            Input::Message { from, msg } => {
                if (1..=self.n).contains(&from) {
                    self.receive(from, node, &msg, t);
                } else {
                    self.unmatched += 1;
                }
            }
            Input::WritesDurable { through } => {
                let (ready, waiting): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut self.gated[i]).into_iter().partition(|(w, _, _)| *w <= through);
                self.gated[i] = waiting;
                for (_, to, msg) in ready {
                    self.links.send(node, to, &msg, t);
                }
            }
            Input::Start => {
                // A (re)start: writes of an earlier incarnation never become durable. What
                // was in flight to or from it went with the crash.
                self.gated[i].clear();
            }
            Input::QuorumDisconnected { peer } => self.links.drop_between(node, Some(peer), true),
            _ => {}
        }
        // Leaving FOLLOWING or LEADING (or following someone else) closes the quorum
        // connections: what was in flight on them is gone, gated sends never leave.
        if quorum_before.is_some() {
            let quorum_after = self.open[i].as_ref().and_then(quorum_identity);
            if quorum_after != quorum_before {
                self.links.drop_between(node, None, true);
                self.gated[i].retain(|(_, _, msg)| msg.channel == "election");
            }
        }
        // Messages out, notes.
        for out in rec.outputs {
            match out {
                Output::Send { to, msg, after_write } => {
                    if !(1..=self.n).contains(&to) {
                        continue;
                    }
                    match after_write {
                        Some(w) => self.gated[i].push((w, to, msg)),
                        None => self.links.send(node, to, &msg, t),
                    }
                }
                Output::Note { observation: Observation::Established { epoch, quorum } } => {
                    let members: Vec<String> = quorum.iter().map(|s| format!("s{s}")).collect();
                    let text = format!("established e{epoch} by {{{}}}", members.join(","));
                    self.established.push(Established { t_us: t, node, text });
                }
                _ => {}
            }
        }
    }

    pub(super) fn receive(&mut self, from: u8, to: u8, msg: &Msg, t: u64) {
        let class = MsgClass::of(&msg.kind);
        let key = (from, to, msg.channel == "election", msg.identity.clone());
        match self.links.queued.get_mut(&key).and_then(|q| q.pop_front()) {
            Some(_) if from == to => self.self_messages += 1,
            Some(sent) => self.deliveries.push(Delivery { from, to, class, sent, received: t }),
            None => self.unmatched += 1,
        }
    }

    /// A record without a server: faults, resumes, the verdict. `text` is what the page shows
    /// ("crash s4", without the log's "fault: ").
    pub(super) fn marker(&mut self, t: u64, input: Input, text: String) {
        let text = text.strip_prefix("fault: ").map(str::to_string).unwrap_or(text);
        let server = |p: Option<u8>| p.filter(|p| (1..=self.n).contains(p));
        match input {
            Input::Fault { fault, node } if fault == "crash" => {
                if let Some(p) = server(node) {
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
                        leader: None,
                        epoch: None,
                        zxid_first: None,
                        zxid_last: None,
                    });
                }
            }
            Input::Fault { fault, node } if fault == "pause" => {
                if let Some(p) = server(node) {
                    let i = usize::from(p - 1);
                    let down = self.open[i].as_ref().is_some_and(|s| s.kind == RoleKind::Down);
                    if !down && self.pause_open[i].is_none() {
                        self.pause_open[i] = Some(t);
                    }
                }
            }
            Input::Resume { node } => {
                if let Some(p) = server(Some(node)) {
                    self.end_pause(p, t);
                }
            }
            Input::Fault { fault, .. } if fault == "heal_all" => {
                for p in 1..=self.n {
                    self.end_pause(p, t);
                }
            }
            _ => {}
        }
        self.markers.push(Marker { t_us: t, text });
    }

    pub(super) fn finish(mut self, header: Header, integrity: Integrity) -> TraceModel {
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
        for ((from, to, _, _), q) in queued {
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
