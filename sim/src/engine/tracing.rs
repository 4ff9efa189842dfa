//! Writing the run's trace: one record per server step, and notes for faults and verdicts.

use super::*;

impl Sim {
    pub(super) fn trace_step(&mut self, id: NodeId, input: &str, out: &Output) {
        let Some(tracer) = self.tracer.as_mut() else { return };
        let node = self.nodes[id.index()].as_ref().expect("traced node is up");
        let mut outputs = Vec::new();
        for s in &out.sends {
            match s.after_write {
                Some(w) => outputs.push(format!("send {} {} after w{w}", s.to, s.msg)),
                None => outputs.push(format!("send {} {}", s.to, s.msg)),
            }
        }
        for (k, w) in out.writes.iter().enumerate() {
            outputs.push(format!("write w{} {w}", out.first_write_id + k as u64));
        }
        for t in &out.timers {
            match t {
                TimerCmd::Set { kind, at_us } => {
                    outputs.push(format!("timer {kind:?} at {}", crate::format_time(*at_us)))
                }
                TimerCmd::Cancel(_) => {}
            }
        }
        for c in &out.net {
            match c {
                NetCmd::Connect(p) => outputs.push(format!("connect {p}")),
                NetCmd::Close(p) => outputs.push(format!("close {p}")),
            }
        }
        for o in &out.observations {
            outputs.push(format!("note {o}"));
        }
        let view = node.role_view();
        let role = match (view.state, view.leader) {
            (ServerState::Following, Some(l)) => format!("FOLLOWING {l} {}", view.phase.name()),
            (ServerState::Leading, _) => format!("LEADING {}", view.phase.name()),
            _ => format!("LOOKING {}", node.logicalclock()),
        };
        let last = node.last_zxid().to_string();
        tracer.record(&Record {
            i: self.events,
            t_us: self.now_us,
            node: Some(id.0),
            input,
            outputs: &outputs,
            role: Some(&role),
            epoch: Some(node.current_epoch().0),
            last_zxid: Some(last),
        });
    }

    pub(super) fn trace_note(&mut self, text: &str) {
        if let Some(tracer) = self.tracer.as_mut() {
            tracer.record(&Record {
                i: self.events,
                t_us: self.now_us,
                node: None,
                input: text,
                outputs: &[],
                role: None,
                epoch: None,
                last_zxid: None,
            });
        }
    }
}
