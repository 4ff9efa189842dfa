//! The queue recipe (ZooKeeper's "Queues" recipe): producers add items as PERSISTENT_SEQUENTIAL
//! children of `/queue`; consumers list the children with a watch, read the lowest and delete
//! it at the version they read. The delete decides who takes an item: it succeeds for exactly
//! one consumer (QueueAtMostOnce holds the tree to that), and a consumer that gets NoNode
//! moves on to the next item. An empty queue leaves the consumer waiting on its child watch.
//!
//! Even-numbered clients produce, odd-numbered ones consume; a producer thinks three times as
//! long as a consumer, so the queue stays short instead of growing for the whole run. A
//! producer's create lost to a
//! ConnectionLoss is not retried: the item may or may not be in the queue, as for a real
//! producer without protected mode.

use super::recipe::{Outbox, RecipeEvent, RecipeNote};
use zabsim_protocol::data::{CreateMode, Op, OpResult, WatchEventKind, ZPath};
use zabsim_protocol::{ClientOp, Read, Reply};

const DIR: &str = "/queue";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Thinking, or not connected yet.
    Idle,
    /// Creating `/queue` (NodeExists is fine).
    MakeDir(u64),
    /// Producer: creating an item.
    Produce(u64),
    /// Consumer: listing the items with a watch.
    List(u64),
    /// Consumer: waiting for the child watch on an empty queue.
    AwaitItems,
    /// Consumer: reading an item (the rest of the listing kept for the next tries).
    Read(u64, String, Vec<String>),
    /// Consumer: deleting the item it read (named by its node name and czxid).
    Take(u64, String, Vec<String>),
}

/// One client's queue recipe.
#[derive(Clone, Debug)]
pub(crate) struct QueueRecipe {
    producer: bool,
    client: usize,
    think_ms: u32,
    step: Step,
    produced: u64,
}

impl QueueRecipe {
    pub(crate) fn new(client: usize, think_ms: u32) -> QueueRecipe {
        QueueRecipe { producer: client.is_multiple_of(2), client, think_ms, step: Step::Idle, produced: 0 }
    }

    pub(crate) fn on_event(&mut self, event: RecipeEvent<'_>, out: &mut Outbox<'_>) {
        match event {
            // Whatever was in flight is redone from the start of a round: a consumer lists
            // again (its watch went with the connection), a producer makes its next item.
            RecipeEvent::Connected { .. } => self.start(out),
            RecipeEvent::Lost | RecipeEvent::Expired => self.step = Step::Idle,
            RecipeEvent::Wake if self.step == Step::Idle && out.session.is_some() => self.start(out),
            RecipeEvent::Watch(event) => {
                if self.step == Step::AwaitItems && event.kind == WatchEventKind::NodeChildrenChanged {
                    self.list(out);
                }
            }
            RecipeEvent::Reply { cxid, reply } => self.on_reply(cxid, reply, out),
            RecipeEvent::Wake => {}
        }
    }

    fn start(&mut self, out: &mut Outbox<'_>) {
        match self.producer {
            true => self.produce(out),
            false => self.list(out),
        }
    }

    fn produce(&mut self, out: &mut Outbox<'_>) {
        self.produced += 1;
        let data = format!("c{}-{}", self.client, self.produced).into_bytes();
        let op = Op::Create { path: child("qn-"), data, mode: CreateMode::PersistentSequential };
        self.step = Step::Produce(out.submit(ClientOp::Write { op }));
    }

    fn list(&mut self, out: &mut Outbox<'_>) {
        let read = Read::GetChildren { path: dir(), watch: true };
        self.step = Step::List(out.submit(ClientOp::Read { read }));
    }

    /// Reads the lowest of `items` (sorted), or lists again when none is left.
    fn next_item(&mut self, mut items: Vec<String>, out: &mut Outbox<'_>) {
        if items.is_empty() {
            self.list(out);
            return;
        }
        let item = items.remove(0);
        let read = Read::GetData { path: child(&item), watch: false };
        self.step = Step::Read(out.submit(ClientOp::Read { read }), item, items);
    }

    fn pause(&mut self, out: &mut Outbox<'_>) {
        self.step = Step::Idle;
        let mean_ms = if self.producer { self.think_ms.saturating_mul(3) } else { self.think_ms };
        let think = out.think_us(mean_ms);
        out.wake_after(think);
    }

    fn on_reply(&mut self, cxid: u64, reply: &Reply, out: &mut Outbox<'_>) {
        match (std::mem::replace(&mut self.step, Step::Idle), reply) {
            (Step::MakeDir(c), _) if c == cxid => self.start(out),
            (Step::Produce(c), Reply::Write { result: OpResult::Created(_) }) if c == cxid => self.pause(out),
            // No `/queue` yet: make it, then produce.
            (Step::Produce(c), _) if c == cxid => self.make_dir(out),
            (Step::List(c), Reply::Children { children }) if c == cxid => match children.is_empty() {
                true => self.step = Step::AwaitItems,
                false => self.next_item(children.clone(), out),
            },
            (Step::List(c), _) if c == cxid => self.make_dir(out),
            (Step::Read(c, item, rest), Reply::Data { stat, .. }) if c == cxid => {
                let op = Op::Delete { path: child(&item), version: Some(stat.version) };
                // A name can come back if `/queue` is deleted and made again; with its
                // czxid it names one item for good.
                let item = format!("{item}@{}", stat.czxid);
                self.step = Step::Take(out.submit(ClientOp::Write { op }), item, rest);
            }
            // Gone already: another consumer took it.
            (Step::Read(c, _, rest), _) if c == cxid => self.next_item(rest, out),
            (Step::Take(c, item, _), Reply::Write { result: OpResult::Deleted }) if c == cxid => {
                out.note(RecipeNote::Consumed { item });
                self.pause(out);
            }
            (Step::Take(c, _, rest), _) if c == cxid => self.next_item(rest, out),
            (step, _) => self.step = step,
        }
    }

    fn make_dir(&mut self, out: &mut Outbox<'_>) {
        let op = Op::Create { path: dir(), data: Vec::new(), mode: CreateMode::Persistent };
        self.step = Step::MakeDir(out.submit(ClientOp::Write { op }));
    }
}

fn dir() -> ZPath {
    ZPath::parse(DIR).expect("valid path")
}

fn child(name: &str) -> ZPath {
    ZPath::parse(&format!("{DIR}/{name}")).expect("valid child path")
}
