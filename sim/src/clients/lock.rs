//! The lock recipe (ZooKeeper's "Locks" recipe; Curator's `InterProcessMutex`), and the
//! leader election recipe, which is the same protocol under `/election` (ZooKeeper's
//! "Leader Election" recipe; Curator's `LeaderLatch`): the leader is the client whose node
//! is lowest, each other client watches the node just below its own. Here a leader abdicates
//! after a while (it deletes its node) so that leadership keeps moving.
//! 1. create `/lock/<prefix>` EPHEMERAL_SEQUENTIAL, where the prefix names the client and
//!    its session (Curator's protected mode: after a ConnectionLoss on the create, the client
//!    finds its node by the prefix instead of creating a second one);
//! 2. getChildren(`/lock`); if its node has the lowest sequence number, it holds the lock;
//! 3. otherwise exists(predecessor, watch) and wait for the predecessor's deletion, then 2;
//! 4. hold for `hold_ms`, delete its node, think, start over.
//!
//! A ConnectionLoss redoes the current step after reconnecting; a session expiry loses the
//! node (and the lock, if held) and starts over with the new session.
//!
//! A create lost to a ConnectionLoss can still commit after the lookup that did not find it
//! (the server it went through forwards it late): the client then owns two nodes. Waiting on
//! its own older node would wait forever (Curator's `LockInternals` does exactly that), so
//! every lookup takes the client's lowest node as its own and deletes the others.

use super::recipe::{Outbox, RecipeEvent, RecipeNote};
use zabsim_protocol::data::{CreateMode, Op, OpResult, WatchEventKind, ZPath, ZkError};
use zabsim_protocol::{ClientOp, Read, Reply};

/// What the recipe grants one client at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exclusive {
    /// The lock, under `/lock`.
    Lock,
    /// Leadership, under `/election`.
    Leadership,
}

impl Exclusive {
    fn dir(self) -> &'static str {
        match self {
            Exclusive::Lock => "/lock",
            Exclusive::Leadership => "/election",
        }
    }

    /// Its name in log lines.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Exclusive::Lock => "lock",
            Exclusive::Leadership => "leadership",
        }
    }
}

/// Where the client is in the recipe.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Waiting to be connected, or thinking before the next round.
    Idle,
    /// create `/lock` (NodeExists is fine), then our node.
    MakeDir(u64),
    /// create the ephemeral sequential node.
    Create(u64),
    /// getChildren.
    List(u64),
    /// exists(predecessor, watch).
    CheckPredecessor(u64, ZPath),
    /// Waiting for the predecessor's deletion.
    AwaitPredecessor(ZPath),
    /// Holding the lock until the wake-up.
    Holding,
    /// delete own node.
    Release(u64),
}

/// One client's lock recipe.
#[derive(Clone, Debug)]
pub(crate) struct LockRecipe {
    exclusive: Exclusive,
    client: usize,
    hold_ms: u32,
    think_ms: u32,
    step: Step,
    /// Own node's name under `/lock`, once created.
    mine: Option<String>,
    /// Sessions started so far (part of the node prefix).
    sessions: u32,
    /// The step was interrupted by a ConnectionLoss; redo it once connected.
    interrupted: bool,
}

impl LockRecipe {
    pub(crate) fn new(exclusive: Exclusive, client: usize, hold_ms: u32, think_ms: u32) -> LockRecipe {
        LockRecipe {
            exclusive,
            client,
            hold_ms,
            think_ms,
            step: Step::Idle,
            mine: None,
            sessions: 0,
            interrupted: false,
        }
    }

    pub(crate) fn exclusive(&self) -> Exclusive {
        self.exclusive
    }

    fn prefix(&self) -> String {
        format!("c{}s{}-", self.client, self.sessions)
    }

    fn dir(&self) -> ZPath {
        ZPath::parse(self.exclusive.dir()).expect("valid path")
    }

    fn child(&self, name: &str) -> ZPath {
        ZPath::parse(&format!("{}/{name}", self.exclusive.dir())).expect("valid child path")
    }

    pub(crate) fn on_event(&mut self, event: RecipeEvent<'_>, out: &mut Outbox<'_>) {
        match event {
            RecipeEvent::Connected { new_session } => {
                if new_session {
                    self.sessions += 1;
                    self.mine = None;
                    self.create(out);
                } else if self.interrupted || matches!(self.step, Step::AwaitPredecessor(_)) {
                    // The watch went with the old connection; look again.
                    self.interrupted = false;
                    self.redo(out);
                }
            }
            RecipeEvent::Lost => self.interrupted = true,
            RecipeEvent::Expired => {
                if self.step == Step::Holding {
                    out.note(RecipeNote::Released);
                }
                self.step = Step::Idle;
                self.mine = None;
                self.interrupted = false;
            }
            RecipeEvent::Wake => match self.step {
                Step::Holding => self.release(out),
                Step::Idle if out.session.is_some() => self.create(out),
                _ => {}
            },
            RecipeEvent::Watch(event) => {
                if let Step::AwaitPredecessor(path) = &self.step {
                    if event.kind == WatchEventKind::NodeDeleted && &event.path == path {
                        self.list(out);
                    }
                }
            }
            RecipeEvent::Reply { cxid, reply, .. } => self.on_reply(cxid, reply, out),
        }
    }

    fn make_dir(&mut self, out: &mut Outbox<'_>) {
        self.step = Step::MakeDir(out.submit(ClientOp::Write {
            op: Op::Create { path: self.dir(), data: Vec::new(), mode: CreateMode::Persistent },
        }));
    }

    /// A new round: create our node (the directory first if it is missing, as Curator's
    /// `creatingParentContainersIfNeeded` does on NoNode).
    fn create(&mut self, out: &mut Outbox<'_>) {
        let path = self.child(&self.prefix());
        let op = Op::Create { path, data: Vec::new(), mode: CreateMode::EphemeralSequential };
        self.step = Step::Create(out.submit(ClientOp::Write { op }));
    }

    fn list(&mut self, out: &mut Outbox<'_>) {
        let read = Read::GetChildren { path: self.dir(), watch: false };
        self.step = Step::List(out.submit(ClientOp::Read { read }));
    }

    fn release(&mut self, out: &mut Outbox<'_>) {
        out.note(RecipeNote::Released);
        let Some(mine) = &self.mine else {
            self.step = Step::Idle;
            return;
        };
        let op = Op::Delete { path: self.child(mine), version: None };
        self.step = Step::Release(out.submit(ClientOp::Write { op }));
    }

    /// After a ConnectionLoss: the step's request may or may not have happened.
    fn redo(&mut self, out: &mut Outbox<'_>) {
        match self.step.clone() {
            Step::Idle | Step::Holding => {}
            Step::MakeDir(_) => self.make_dir(out),
            // Protected mode: look for our node before creating another.
            Step::Create(_) | Step::List(_) | Step::CheckPredecessor(..) | Step::AwaitPredecessor(_) => self.list(out),
            Step::Release(_) => {
                let mine = self.mine.clone().expect("releasing a node we have");
                let op = Op::Delete { path: self.child(&mine), version: None };
                self.step = Step::Release(out.submit(ClientOp::Write { op }));
            }
        }
    }

    fn on_reply(&mut self, cxid: u64, reply: &Reply, out: &mut Outbox<'_>) {
        match (&self.step, reply) {
            (Step::MakeDir(c), _) if *c == cxid => self.create(out),
            (Step::Create(c), Reply::Write { result: OpResult::Created(path) }) if *c == cxid => {
                self.mine = Some(path.name().to_string());
                self.list(out);
            }
            (Step::Create(c), _) if *c == cxid => self.make_dir(out),
            (Step::List(c), Reply::Children { children }) if *c == cxid => self.on_children(children, out),
            (Step::CheckPredecessor(c, path), Reply::Exists { stat }) if *c == cxid => match stat {
                None => self.list(out),
                Some(_) => self.step = Step::AwaitPredecessor(path.clone()),
            },
            (Step::Release(c), Reply::Write { result }) if *c == cxid => {
                debug_assert!(
                    result.is_ok() || matches!(result.error(), Some(ZkError::NoNode | ZkError::SessionExpired)),
                    "{result}"
                );
                self.mine = None;
                self.step = Step::Idle;
                let think = out.think_us(self.think_ms);
                out.wake_after(think);
            }
            _ => {}
        }
    }

    fn on_children(&mut self, children: &[String], out: &mut Outbox<'_>) {
        let mut sorted: Vec<&String> = children.iter().collect();
        sorted.sort_by_key(|name| sequence_of(name));
        // Protected mode: our nodes carry our prefix, whether or not we saw their create
        // succeed. The lowest is ours; any other is an orphan of a lost create.
        let prefix = self.prefix();
        let mut own = (0..sorted.len()).filter(|&i| sorted[i].starts_with(&prefix));
        let Some(at) = own.next() else {
            // None yet (or ours is gone, which a live session cannot see): create it.
            self.mine = None;
            self.create(out);
            return;
        };
        for orphan in own {
            out.submit(ClientOp::Write { op: Op::Delete { path: self.child(sorted[orphan]), version: None } });
        }
        self.mine = Some(sorted[at].clone());
        if at == 0 {
            self.step = Step::Holding;
            out.note(RecipeNote::Acquired);
            out.wake_after(u64::from(self.hold_ms) * 1000);
        } else {
            let predecessor = self.child(sorted[at - 1]);
            let read = Read::Exists { path: predecessor.clone(), watch: true };
            self.step = Step::CheckPredecessor(out.submit(ClientOp::Read { read }), predecessor);
        }
    }
}

/// The sequence number a sequential node's name ends with (ten digits).
fn sequence_of(name: &str) -> u64 {
    let digits = &name[name.len().saturating_sub(10)..];
    digits.parse().unwrap_or(u64::MAX)
}
