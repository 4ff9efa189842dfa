//! The interface between a client's connection logic (`session.rs`) and the recipe it runs:
//! what a recipe hears ([`RecipeEvent`]) and how it acts ([`Outbox`]: submit a request, ask
//! to be woken, note a lock acquired or released for the checker).

use crate::engine::rng::Stream;
use zabsim_protocol::data::{SessionId, WatchEvent};
use zabsim_protocol::{ClientOp, Reply};

/// What happened to the client, as its recipe sees it.
#[derive(Debug)]
pub(crate) enum RecipeEvent<'a> {
    /// Connected: with a new session (the previous one, if any, is gone with its ephemerals
    /// and watches), or with the same session on another connection (watches set through the
    /// old connection are gone: the model has no `SetWatches`).
    Connected {
        /// A new session.
        new_session: bool,
    },
    /// The answer to request `cxid`.
    Reply {
        /// The request.
        cxid: u64,
        /// The answer.
        reply: &'a Reply,
    },
    /// A request failed with ConnectionLoss: it may or may not have taken effect.
    Lost,
    /// A watch fired.
    Watch(&'a WatchEvent),
    /// The session expired (learned on reconnecting); a new one is being created.
    Expired,
    /// The wake-up the recipe asked for.
    Wake,
}

/// A recipe event the checker holds against the other clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RecipeNote {
    /// The client now believes it holds the lock (or leads, in the election recipe).
    Acquired,
    /// The client stopped using the lock (it asked to delete its node, or learned that its
    /// session expired).
    Released,
    /// A queue consumer deleted queue item `item` with its version: it took it.
    Consumed {
        /// The item's node name under `/queue`.
        item: String,
    },
}

/// How a recipe acts in response to one event.
pub(crate) struct Outbox<'a> {
    /// Virtual time now.
    pub(crate) now_us: u64,
    /// The session, once connected.
    pub(crate) session: Option<SessionId>,
    /// The client's random stream (think times, op choice).
    pub(crate) rng: &'a mut Stream,
    pub(crate) next_cxid: &'a mut u64,
    /// Requests to send, in order, with their cxids.
    pub(crate) ops: Vec<(u64, ClientOp)>,
    /// When to deliver the next `Wake` (replaces the previous request).
    pub(crate) wake_at: Option<u64>,
    /// Lock events for the checker.
    pub(crate) notes: Vec<RecipeNote>,
}

impl Outbox<'_> {
    /// Submits a request; returns its cxid.
    pub(crate) fn submit(&mut self, op: ClientOp) -> u64 {
        *self.next_cxid += 1;
        let cxid = *self.next_cxid;
        self.ops.push((cxid, op));
        cxid
    }

    /// Asks for a `Wake` after `after_us`.
    pub(crate) fn wake_after(&mut self, after_us: u64) {
        self.wake_at = Some(self.now_us + after_us);
    }

    /// A think time: uniform in `[0, 2 * mean_ms]` ms.
    pub(crate) fn think_us(&mut self, mean_ms: u32) -> u64 {
        self.rng.between(0, 2 * u64::from(mean_ms) * 1000)
    }

    /// Notes a lock event.
    pub(crate) fn note(&mut self, note: RecipeNote) {
        self.notes.push(note);
    }
}
