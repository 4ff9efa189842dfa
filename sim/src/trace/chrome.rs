//! The trace in Chrome's trace event format (a JSON object with `traceEvents`), which
//! Perfetto (ui.perfetto.dev) and chrome://tracing open.
//!
//! Layout: one process per server, pid = sid, named "s1".."sN" by `M` metadata events. Its
//! thread 1 ("steps") has one complete (`X`) event per server step, named by the input's line
//! and carrying the outputs and role as args; its thread 2 ("role") has one slice per role
//! (LOOKING r3, FOLLOWING s5 BROADCAST, down), so role changes read as slice boundaries.
//! Faults, resumes and the verdict are global instant events of process 0 ("cluster"). Each
//! paired message (`flows`) is a flow from the sending step to the receiving step: an `s`
//! and an `f` event with one id, both bound to the enclosing step slice (`"bp": "e"`).
//!
//! Timestamps are virtual µs. Steps of one server at one virtual instant run one after the
//! other, so the k-th of them starts k ns later and lasts 1 ns: every step keeps its own
//! slice and the flows bind to the right one.

use super::flows::{pair, Flow};
use super::read::{Trace, What};
use serde_json::{json, Value};

/// Thread of the step slices.
const STEPS_TID: u64 = 1;
/// Thread of the role slices.
const ROLE_TID: u64 = 2;
/// One step's slice length, µs (1 ns).
const STEP_US: f64 = 0.001;
/// Steps at one instant spread over at most this many ns, so they never reach the next µs.
const MAX_SPREAD: u64 = 999;

/// The Chrome trace event JSON of `trace`.
pub fn export(trace: &Trace) -> Value {
    let n = trace.header.nodes;
    let mut events = Vec::new();
    events.push(json!({"ph": "M", "name": "process_name", "pid": 0, "tid": 0, "args": {"name": "cluster"}}));
    events.push(json!({"ph": "M", "name": "process_sort_index", "pid": 0, "tid": 0, "args": {"sort_index": 0}}));
    for s in 1..=n {
        let pid = u64::from(s);
        events
            .push(json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": format!("s{s}")}}));
        events
            .push(json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}}));
        events.push(json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": STEPS_TID, "args": {"name": "steps"}}));
        events.push(json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": ROLE_TID, "args": {"name": "role"}}));
    }
    let ts = step_times(trace);
    let flows = pair(trace);
    // Flows by the line they start and end at.
    let mut starting: Vec<Vec<&Flow>> = vec![Vec::new(); trace.lines.len()];
    let mut ending: Vec<Vec<&Flow>> = vec![Vec::new(); trace.lines.len()];
    for f in &flows {
        starting[f.sent_at].push(f);
        ending[f.received_at].push(f);
    }
    let mut roles = RoleTrack::new(n);
    for (idx, line) in trace.lines.iter().enumerate() {
        let Some(node) = line.node else {
            if let What::Fault { kind, node: Some(p) } = &line.what {
                if kind == "crash" {
                    roles.set(*p, "down", line.t_us as f64, &mut events);
                }
            }
            events.push(json!({
                "ph": "i", "s": "g", "name": line.text, "cat": "fault", "pid": 0, "tid": 0,
                "ts": line.t_us, "args": {"i": line.i, "event": line.input},
            }));
            continue;
        };
        let pid = u64::from(node);
        let t = ts[idx];
        // Flow ends first: a step receives its message, then sends.
        for f in &ending[idx] {
            events.push(json!({
                "ph": "f", "bp": "e", "id": f.id, "name": f.kind, "cat": "message",
                "pid": pid, "tid": STEPS_TID, "ts": t,
            }));
        }
        let cat = line.input.get("type").cloned().unwrap_or(Value::Null);
        events.push(json!({
            "ph": "X", "name": line.text, "cat": cat, "pid": pid, "tid": STEPS_TID, "ts": t, "dur": STEP_US,
            "args": {"i": line.i, "input": line.input, "outputs": line.outputs, "role": line.role},
        }));
        for f in &starting[idx] {
            events.push(json!({
                "ph": "s", "bp": "e", "id": f.id, "name": f.kind, "cat": "message",
                "pid": pid, "tid": STEPS_TID, "ts": t,
            }));
        }
        if let Some(role) = &line.role {
            roles.set(node, role, t, &mut events);
        }
    }
    let end = trace.lines.last().map_or(0.0, |l| l.t_us as f64 + 1.0);
    roles.close_all(end, &mut events);
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "generator": "zabsim",
            "seed": trace.header.seed,
            "nodes": n,
            "scenario_hash": trace.header.scenario_hash,
            "trace_hash": trace.hash,
        },
    })
}

/// Start of each line's slice, µs: virtual time plus k ns for the k-th step of its server at
/// that instant.
fn step_times(trace: &Trace) -> Vec<f64> {
    let mut last: Vec<(u64, u64)> = vec![(u64::MAX, 0); usize::from(trace.header.nodes) + 1];
    trace
        .lines
        .iter()
        .map(|line| {
            let Some(node) = line.node else { return line.t_us as f64 };
            let (t, k) = &mut last[usize::from(node)];
            if *t == line.t_us {
                *k = (*k + 1).min(MAX_SPREAD);
            } else {
                (*t, *k) = (line.t_us, 0);
            }
            line.t_us as f64 + *k as f64 * STEP_US
        })
        .collect()
}

/// The open role slice of each server.
struct RoleTrack {
    open: Vec<Option<(String, f64)>>,
}

impl RoleTrack {
    fn new(n: u8) -> RoleTrack {
        RoleTrack { open: vec![None; usize::from(n) + 1] }
    }

    /// `node` has `role` from `t`: closes its slice if the role changed.
    fn set(&mut self, node: u8, role: &str, t: f64, events: &mut Vec<Value>) {
        let slot = &mut self.open[usize::from(node)];
        if slot.as_ref().is_some_and(|(r, _)| r == role) {
            return;
        }
        if let Some((r, start)) = slot.take() {
            events.push(role_slice(node, &r, start, t));
        }
        *slot = Some((role.to_string(), t));
    }

    fn close_all(&mut self, end: f64, events: &mut Vec<Value>) {
        for node in 1..self.open.len() {
            if let Some((r, start)) = self.open[node].take() {
                events.push(role_slice(node as u8, &r, start, end.max(start)));
            }
        }
    }
}

fn role_slice(node: u8, role: &str, start: f64, end: f64) -> Value {
    json!({
        "ph": "X", "name": role, "cat": "role", "pid": u64::from(node), "tid": ROLE_TID,
        "ts": start, "dur": end - start,
    })
}
