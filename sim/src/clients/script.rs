//! A scripted client (`clients.scripts` in a scenario): its operations in order, one at a
//! time. Each step waits for the previous request's answer; a ConnectionLoss leaves that
//! request's outcome unknown and the script moves on (the next request waits in the
//! client's queue until it is connected again). A session expiry does not stop the script:
//! it goes on with the new session.

use super::recipe::{Outbox, RecipeEvent};
use crate::scenario::ScriptOp;
use std::sync::Arc;

/// One scripted client's progress.
#[derive(Clone, Debug)]
pub(crate) struct ScriptRecipe {
    ops: Arc<[ScriptOp]>,
    /// The next step to run.
    next: usize,
    /// The request in flight.
    waiting: Option<u64>,
    /// In a `think` pause.
    thinking: bool,
    /// The session was closed: the next step waits for the new one (the server has dropped
    /// the connection, so a request sent on it now would be lost).
    closed: bool,
}

impl ScriptRecipe {
    pub(crate) fn new(ops: &[ScriptOp]) -> ScriptRecipe {
        ScriptRecipe { ops: ops.into(), next: 0, waiting: None, thinking: false, closed: false }
    }

    pub(crate) fn on_event(&mut self, event: RecipeEvent<'_>, out: &mut Outbox<'_>) {
        match event {
            // The first connection starts the script; later ones find it under way.
            RecipeEvent::Connected { .. } if self.next == 0 && self.waiting.is_none() => self.step(out),
            RecipeEvent::Connected { new_session: true } if self.closed => {
                self.closed = false;
                self.step(out);
            }
            RecipeEvent::Reply { cxid, .. } if self.waiting == Some(cxid) => {
                self.waiting = None;
                match self.ops.get(self.next - 1) {
                    Some(ScriptOp::CloseSession) => self.closed = true,
                    _ => self.step(out),
                }
            }
            RecipeEvent::Lost if self.waiting.is_some() => {
                self.waiting = None;
                self.step(out);
            }
            RecipeEvent::Wake if self.thinking => {
                self.thinking = false;
                self.step(out);
            }
            _ => {}
        }
    }

    /// Runs steps until one sends a request or pauses, or the script ends.
    fn step(&mut self, out: &mut Outbox<'_>) {
        while let Some(op) = self.ops.get(self.next) {
            self.next += 1;
            if let ScriptOp::Think { ms } = op {
                self.thinking = true;
                out.wake_after(ms * 1000);
                return;
            }
            if let Some(request) = op.request() {
                self.waiting = Some(out.submit(request));
                return;
            }
        }
    }
}
