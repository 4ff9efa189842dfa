//! The configuration recipe (ZooKeeper's "configuration management" use of watches): client
//! 0 publishes a new configuration in `/config` after every think time; every other client
//! reads it with a data watch and reads it again each time the watch fires, and after every
//! reconnect (a watch goes with its connection). ReadContents and WatchOrder hold each read
//! and each notification to the committed history; ClientMonotonicView keeps a reader from
//! seeing an older configuration than one it has seen.

use super::recipe::{Outbox, RecipeEvent};
use zabsim_protocol::data::{CreateMode, Op, WatchEventKind, ZPath, ZkError};
use zabsim_protocol::{ClientOp, Read, Reply};

const PATH: &str = "/config";

/// One client's configuration recipe.
#[derive(Clone, Debug)]
pub(crate) struct ConfigRecipe {
    writer: bool,
    think_ms: u32,
    /// The request in flight.
    waiting: Option<u64>,
    /// Configurations published so far (the writer).
    version: u64,
    /// The writer knows `/config` exists.
    created: bool,
}

impl ConfigRecipe {
    pub(crate) fn new(client: usize, think_ms: u32) -> ConfigRecipe {
        ConfigRecipe { writer: client == 0, think_ms, waiting: None, version: 0, created: false }
    }

    pub(crate) fn on_event(&mut self, event: RecipeEvent<'_>, out: &mut Outbox<'_>) {
        match event {
            RecipeEvent::Connected { .. } => {
                self.waiting = None;
                match self.writer {
                    true => self.publish(out),
                    false => self.read(out),
                }
            }
            RecipeEvent::Lost | RecipeEvent::Expired => self.waiting = None,
            RecipeEvent::Reply { cxid, reply } if self.waiting == Some(cxid) => {
                self.waiting = None;
                match (self.writer, reply) {
                    (true, Reply::Write { result }) if result.error() == Some(ZkError::NoNode) => {
                        self.created = false;
                        self.publish(out);
                    }
                    (true, Reply::Write { result }) if result.error() == Some(ZkError::NodeExists) => {
                        self.created = true;
                        self.publish(out);
                    }
                    (true, _) => {
                        self.created = true;
                        let think = out.think_us(self.think_ms);
                        out.wake_after(think);
                    }
                    // Not published yet: watch for its creation with exists.
                    (false, Reply::Error { .. }) => {
                        let read = Read::Exists { path: path(), watch: true };
                        self.waiting = Some(out.submit(ClientOp::Read { read }));
                    }
                    (false, _) => {}
                }
            }
            RecipeEvent::Watch(event) if !self.writer && event.path == path() => match event.kind {
                WatchEventKind::NodeCreated | WatchEventKind::NodeDataChanged => self.read(out),
                _ => {}
            },
            RecipeEvent::Wake if self.writer && self.waiting.is_none() && out.session.is_some() => self.publish(out),
            _ => {}
        }
    }

    fn publish(&mut self, out: &mut Outbox<'_>) {
        self.version += 1;
        let data = format!("config-{}", self.version).into_bytes();
        // The first publication creates the node; later ones set it (any version: there is
        // one writer).
        let op = match self.created {
            false => Op::Create { path: path(), data, mode: CreateMode::Persistent },
            true => Op::SetData { path: path(), data, version: None },
        };
        self.waiting = Some(out.submit(ClientOp::Write { op }));
    }

    fn read(&mut self, out: &mut Outbox<'_>) {
        let read = Read::GetData { path: path(), watch: true };
        self.waiting = Some(out.submit(ClientOp::Read { read }));
    }
}

fn path() -> ZPath {
    ZPath::parse(PATH).expect("valid path")
}
