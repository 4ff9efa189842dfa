//! The mixed workload: after its think time a client picks one of a few operations on four
//! znodes under `/m` (create persistent or ephemeral, set, conditional set, delete, getData or
//! exists with a watch, getChildren with a watch, sync then getData, or closing its session
//! and starting a new one). It exercises every request kind and watch type, so the client
//! guarantees are checked under a general load.

use super::recipe::{Outbox, RecipeEvent};
use zabsim_protocol::data::{CreateMode, Op, OpResult, ZPath};
use zabsim_protocol::{ClientOp, Read, Reply};

const DIR: &str = "/m";
const KEYS: u64 = 4;

/// One client's mixed workload.
#[derive(Clone, Debug)]
pub(crate) struct MixedRecipe {
    think_ms: u32,
    /// The request in flight, if any (one at a time, so think times mean something).
    waiting: Option<u64>,
    /// A sync was answered; read the same key next.
    read_after_sync: Option<ZPath>,
    /// The key the request in flight is about.
    key: usize,
    /// The last version seen per key, for conditional sets.
    versions: [Option<i32>; KEYS as usize],
}

impl MixedRecipe {
    pub(crate) fn new(think_ms: u32) -> MixedRecipe {
        MixedRecipe { think_ms, waiting: None, read_after_sync: None, key: 0, versions: [None; KEYS as usize] }
    }

    pub(crate) fn on_event(&mut self, event: RecipeEvent<'_>, out: &mut Outbox<'_>) {
        match event {
            RecipeEvent::Connected { new_session } => {
                self.waiting = None;
                if new_session {
                    let op = Op::Create { path: dir(), data: Vec::new(), mode: CreateMode::Persistent };
                    self.waiting = Some(out.submit(ClientOp::Write { op }));
                } else {
                    self.pause(out);
                }
            }
            RecipeEvent::Lost | RecipeEvent::Expired => {
                self.waiting = None;
                self.read_after_sync = None;
            }
            RecipeEvent::Reply { cxid, reply, .. } if self.waiting == Some(cxid) => {
                self.waiting = None;
                match reply {
                    Reply::Data { stat, .. } | Reply::Write { result: OpResult::Stat(stat) } => {
                        self.versions[self.key] = Some(stat.version)
                    }
                    _ => {}
                }
                match self.read_after_sync.take() {
                    Some(path) if *reply == Reply::Synced => {
                        let read = Read::GetData { path, watch: false };
                        self.waiting = Some(out.submit(ClientOp::Read { read }));
                    }
                    _ => self.pause(out),
                }
            }
            RecipeEvent::Wake if self.waiting.is_none() && out.session.is_some() => self.next(out),
            RecipeEvent::Reply { .. } | RecipeEvent::Watch(_) | RecipeEvent::Wake => {}
        }
    }

    fn pause(&mut self, out: &mut Outbox<'_>) {
        let think = out.think_us(self.think_ms);
        out.wake_after(think);
    }

    fn next(&mut self, out: &mut Outbox<'_>) {
        let k = out.rng.below(KEYS as usize);
        self.key = k;
        let path = key(k);
        let op = match out.rng.below(10) {
            0 => ClientOp::Write { op: Op::Create { path, data: vec![k as u8], mode: CreateMode::Persistent } },
            1 => ClientOp::Write { op: Op::Create { path, data: Vec::new(), mode: CreateMode::Ephemeral } },
            2 => ClientOp::Write { op: Op::SetData { path, data: vec![out.rng.below(256) as u8], version: None } },
            3 => {
                let version = self.versions[k].unwrap_or(0);
                ClientOp::Write { op: Op::SetData { path, data: vec![1], version: Some(version) } }
            }
            4 => ClientOp::Write { op: Op::Delete { path, version: None } },
            5 => ClientOp::Read { read: Read::GetData { path, watch: true } },
            6 => ClientOp::Read { read: Read::Exists { path, watch: true } },
            7 => ClientOp::Read { read: Read::GetChildren { path: dir(), watch: true } },
            8 => {
                self.read_after_sync = Some(path.clone());
                ClientOp::Sync { path }
            }
            // End the session (its ephemerals go with it); the client starts a new one.
            _ => ClientOp::Write { op: Op::CloseSession },
        };
        self.waiting = Some(out.submit(op));
    }
}

fn dir() -> ZPath {
    ZPath::parse(DIR).expect("valid path")
}

fn key(k: usize) -> ZPath {
    ZPath::parse(&format!("{DIR}/k{k}")).expect("valid path")
}
