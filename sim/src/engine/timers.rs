//! Protocol timers: one slot per (server, timer kind). Setting a timer later than the queued
//! event re-arms lazily; a paused process sees its timers fire late, when it resumes.

use super::*;

impl Sim {
    pub(super) fn on_timer(&mut self, node: NodeId, kind: TimerKind, gen: u64) {
        let slot = &mut self.timers[node.index()][kind.index()];
        if slot.live_gen != Some(gen) {
            return;
        }
        if self.paused[node.index()] {
            self.deferred[node.index()].push(Deferred::Timer(kind, gen));
            return;
        }
        slot.live_gen = None;
        match slot.deadline_us {
            None => {}
            Some(at) if at > self.now_us => {
                self.timer_gen += 1;
                let gen = self.timer_gen;
                let slot = &mut self.timers[node.index()][kind.index()];
                slot.live_gen = Some(gen);
                slot.live_at_us = at;
                self.queue.push(at, Event::Timer { node, kind, gen });
            }
            Some(_) => {
                slot.deadline_us = None;
                self.step(node, Input::Timer(kind));
            }
        }
    }

    pub(super) fn set_timer(&mut self, node: NodeId, kind: TimerKind, at_us: u64) {
        let slot = &mut self.timers[node.index()][kind.index()];
        slot.deadline_us = Some(at_us);
        if slot.live_gen.is_none() || at_us < slot.live_at_us {
            self.timer_gen += 1;
            slot.live_gen = Some(self.timer_gen);
            slot.live_at_us = at_us;
            self.queue.push(at_us, Event::Timer { node, kind, gen: self.timer_gen });
        }
    }
}
