//! Recording the run into its trace: one record per server step, and records for faults,
//! resumes and the verdict. Only called when a tracer exists, so fuzzing (no tracer) builds nothing.

use super::*;
use crate::trace::{Event, Note, Out, Role, Texted};

impl Sim {
    pub(super) fn trace_step(&mut self, id: NodeId, input: &Input, out: &Output) {
        let Some(tracer) = self.tracer.as_mut() else { return };
        let node = self.nodes[id.index()].as_ref().expect("traced node is up");
        let mut outputs = Vec::new();
        for s in &out.sends {
            let text = match s.after_write {
                Some(w) => format!("send {} {} after w{w}", s.to, s.msg),
                None => format!("send {} {}", s.to, s.msg),
            };
            outputs.push(Texted::new(Out::Send { send: s }, text));
        }
        for (k, w) in out.writes.iter().enumerate() {
            let id = out.first_write_id + k as u64;
            outputs.push(Texted::new(Out::Write { id, write: w }, format!("write w{id} {w}")));
        }
        for t in &out.timers {
            match *t {
                // The text keeps the CamelCase name `--describe` has always shown.
                TimerCmd::Set { kind, at_us } => outputs.push(Texted::new(
                    Out::Timer { kind, at_us },
                    format!("timer {} at {}", kind.name(), crate::format_time(at_us)),
                )),
                TimerCmd::Cancel(_) => {}
            }
        }
        if let Some(work) = out.work {
            let until_us = self.work_until[id.index()];
            let text = format!("work {} until {}", work.name(), crate::format_time(until_us));
            outputs.push(Texted::new(Out::Work { work, until_us }, text));
        }
        for c in &out.net {
            match *c {
                NetCmd::Connect(peer) => outputs.push(Texted::new(Out::Connect { peer }, format!("connect {peer}"))),
                NetCmd::Close(peer) => outputs.push(Texted::new(Out::Close { peer }, format!("close {peer}"))),
            }
        }
        for o in &out.observations {
            outputs.push(Texted::new(Out::Note { observation: o }, format!("note {o}")));
        }
        for cmd in &out.clients {
            outputs.push(Texted::new(Out::Client { cmd }, format!("client {cmd}")));
        }
        let view = node.role_view();
        let text = match (view.state, view.leader) {
            // Shutting the old role down: QuorumPeer still reports it.
            (state, None) if state != ServerState::Looking => format!("{} SHUTTING DOWN", state.name()),
            (ServerState::Following, Some(l)) => format!("FOLLOWING {l} {}", view.phase.name()),
            (ServerState::Leading, _) => format!("LEADING {}", view.phase.name()),
            _ => format!("LOOKING {}", node.logicalclock()),
        };
        let role = Role { state: view.state, phase: view.phase, leader: view.leader, round: node.logicalclock(), text };
        let input_text = input.to_string();
        tracer.record(&Record {
            i: self.events,
            t_us: self.now_us,
            node: Some(id.0),
            input: Texted::new(Event::Input(input), input_text),
            outputs: &outputs,
            role: Some(role),
            epoch: Some(node.current_epoch()),
            last_zxid: Some(node.last_zxid()),
        });
    }

    /// A record without a server step.
    pub(super) fn trace_note(&mut self, note: Note<'_>, text: String) {
        if let Some(tracer) = self.tracer.as_mut() {
            tracer.record(&Record {
                i: self.events,
                t_us: self.now_us,
                node: None,
                input: Texted::new(Event::Note(note), text),
                outputs: &[],
                role: None,
                epoch: None,
                last_zxid: None,
            });
        }
    }

    /// The record of scenario fault number `i` starting.
    pub(super) fn trace_fault(&mut self, i: usize) {
        if self.tracer.is_some() {
            let fault = self.scenario.faults[i].clone();
            let text = format!("fault: {}", fault.fault.describe());
            self.trace_note(Note::Fault { fault: &fault }, text);
        }
    }

    /// The verdict record, when the checker found a violation.
    pub(super) fn trace_violation(&mut self) {
        if let (Some(v), true) = (self.violation.clone(), self.tracer.is_some()) {
            let text = format!("violation: {v}");
            let note =
                Note::Violation { invariant: v.invariant, event: v.event, servers: &v.servers, detail: &v.detail };
            self.trace_note(note, text);
        }
    }
}
