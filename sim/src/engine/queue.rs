//! The event queue: a binary heap ordered by (virtual microseconds, sequence number). The
//! sequence number breaks ties in push order, so equal-time events never depend on heap
//! internals. The heap holds one 128-bit key per event (time, then sequence number, then
//! the slot where the event waits beside the heap), so sifting compares and moves 16 bytes
//! instead of the whole event.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bits of a key below the time: the sequence number's, then the slot's.
const SLOT_BITS: u32 = 24;
const SEQ_BITS: u32 = 64 - SLOT_BITS;

/// Pending events in virtual-time order.
pub struct EventQueue<E> {
    /// `Reverse` because BinaryHeap is a max-heap and the earliest event comes first.
    heap: BinaryHeap<Reverse<u128>>,
    /// The events, by slot; a popped event's slot is free for the next push.
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `at_us`.
    #[inline]
    pub fn push(&mut self, at_us: u64, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        assert!(seq < 1 << SEQ_BITS, "fewer than 2^{SEQ_BITS} events pushed in one run");
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slab.push(Some(event));
                let slot = self.slab.len() - 1;
                assert!(slot < 1 << SLOT_BITS, "fewer than 2^{SLOT_BITS} events pending at once");
                slot as u32
            }
        };
        let key = u128::from(at_us) << 64 | u128::from(seq << SLOT_BITS | u64::from(slot));
        self.heap.push(Reverse(key));
    }

    /// The earliest event and its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let Reverse(key) = self.heap.pop()?;
        let slot = (key as u64 & ((1 << SLOT_BITS) - 1)) as u32;
        self.free.push(slot);
        let event = self.slab[slot as usize].take().expect("a queued slot holds its event");
        Some(((key >> 64) as u64, event))
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(key)| (key >> 64) as u64)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_push_order() {
        let mut q = EventQueue::default();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn interleaved_pushes_and_pops_reuse_slots_and_keep_the_order() {
        let mut q = EventQueue::default();
        let mut popped = Vec::new();
        for i in 0..200u64 {
            // Times out of order, with ties, pushed while earlier events leave.
            q.push((i * 37) % 50, i);
            if i % 3 == 0 {
                popped.push(q.pop().expect("something is queued"));
            }
        }
        while let Some(next) = q.pop() {
            popped.push(next);
        }
        assert_eq!(popped.len(), 200);
        assert!(q.slab.len() < 200, "popped slots are reused: {} slots", q.slab.len());
        // Every pop after the pushes stopped is in (time, push order) order.
        let tail = &popped[67..];
        assert!(tail.windows(2).all(|w| w[0] <= w[1]), "{tail:?}");
    }
}
