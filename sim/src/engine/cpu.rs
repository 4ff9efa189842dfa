//! Servers sharing one host's cores (`costs.host_cores`): the reference ensembles of
//! `zabsim conform` run every JVM on one 2-core machine, so while more servers are busy than
//! there are cores, each one's work goes slower. Off by default: a fuzzed or charted cluster
//! has a machine per server.
//!
//! The model is processor sharing between processes: a server is busy while it has `Work` in
//! progress (`ServerCosts`), a notification in its election threads' hands
//! (`notification_handoff`) or a `LearnerHandler` at work (`learner_handler_start`,
//! `learner_sync_start`, `learner_sender_start`); with `b` busy servers on `c` cores every job runs at `min(1, c/b)`
//! of its own speed, so a 6 ms shutdown takes 12 ms while four servers shut down on two cores.
//! The costs themselves stay the times measured with a core per busy server (the 3-server
//! failovers: two survivors on two cores). A replayed measured time (`costs.overrides`) is
//! wall-clock time that already contains the sharing: it keeps its length and only counts as
//! busy. So does a server's boot: with `start_ms`, every JVM is taken as launched at 0 and
//! busy booting until its start.

use super::*;

/// Work is kept in nanoseconds of full-speed time, so that progress at a rate of `c/b` stays
/// exact enough in integers.
const NS: u64 = 1_000;

/// One piece of work in progress.
#[derive(Clone, Debug)]
struct Job {
    node: NodeId,
    /// Full-speed work left, ns; ignored for a fixed job.
    left_ns: u64,
    /// A replayed wall-clock time: the job ends then, whatever the sharing.
    fixed_end_us: Option<u64>,
    then: JobEnd,
}

/// The `CpuDone` to queue: when, and its generation.
pub(super) type NextEnd = Option<(u64, u64)>;

/// What happens when a job is done.
#[derive(Clone, Debug)]
pub(super) enum JobEnd {
    /// The server's `Work` ends: its Work timer fires.
    Work,
    /// A server's JVM has booted (`start_ms`): nothing to do, it no longer takes a share.
    Boot,
    /// A leader's set-up has bound the quorum port; `rest_us` of the set-up is left.
    Bound { rest_us: u64 },
    /// A message goes on: a notification out of the election threads onto its link, or
    /// (`incarnation` None) into the server's own receive queue; a quorum packet the
    /// `LearnerHandler` held, with the packets behind it.
    Send { from: NodeId, to: NodeId, incarnation: Option<u32>, msg: Message },
}

/// The host's cores and the jobs sharing them.
#[derive(Clone, Debug)]
pub(super) struct HostCpu {
    cores: u64,
    jobs: Vec<Job>,
    /// Progress is accounted up to here.
    updated_us: u64,
    /// The `CpuDone` event that is still current.
    gen: u64,
}

impl HostCpu {
    pub(super) fn new(cores: u32) -> HostCpu {
        HostCpu { cores: u64::from(cores.max(1)), jobs: Vec::new(), updated_us: 0, gen: 0 }
    }

    /// Servers with work in progress.
    fn busy(&self) -> u64 {
        let mut nodes: Vec<NodeId> = self.jobs.iter().map(|j| j.node).collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes.len() as u64
    }

    /// Accounts the progress every job made since the last update, at the sharing that held.
    fn advance(&mut self, now_us: u64) {
        let elapsed = now_us.saturating_sub(self.updated_us);
        self.updated_us = now_us;
        if elapsed == 0 {
            return;
        }
        let busy = self.busy().max(1);
        let done_ns = if busy > self.cores { elapsed * NS * self.cores / busy } else { elapsed * NS };
        for job in self.jobs.iter_mut().filter(|j| j.fixed_end_us.is_none()) {
            job.left_ns = job.left_ns.saturating_sub(done_ns);
        }
    }

    /// How long `work_ns` of full-speed work takes at today's sharing, µs.
    fn wall_us(&self, work_ns: u64) -> u64 {
        let busy = self.busy().max(1);
        if busy > self.cores {
            (work_ns * busy).div_ceil(NS * self.cores)
        } else {
            work_ns.div_ceil(NS)
        }
    }

    /// When the first job will be done at today's sharing.
    fn next_end_us(&self, now_us: u64) -> Option<u64> {
        self.jobs
            .iter()
            .map(|j| match j.fixed_end_us {
                Some(at) => at.max(now_us),
                None => now_us + self.wall_us(j.left_ns),
            })
            .min()
    }

    /// The event to queue for the next end, under a new generation (older ones go stale).
    fn reschedule(&mut self, now_us: u64) -> NextEnd {
        self.gen += 1;
        self.next_end_us(now_us).map(|at| (at, self.gen))
    }

    /// Starts `work_us` of full-speed work (or, `fixed`, exactly that much wall time) on
    /// `node`; returns the `CpuDone` to queue.
    pub(super) fn start(&mut self, now_us: u64, node: NodeId, work_us: u64, fixed: bool, then: JobEnd) -> NextEnd {
        self.advance(now_us);
        let fixed_end_us = fixed.then_some(now_us + work_us);
        self.jobs.push(Job { node, left_ns: work_us * NS, fixed_end_us, then });
        self.reschedule(now_us)
    }

    /// A `CpuDone` of generation `gen` came due: the jobs done by now, in the order they
    /// started, and the next `CpuDone` to queue. A stale generation does nothing.
    pub(super) fn finish(&mut self, now_us: u64, gen: u64) -> Option<(Vec<(NodeId, JobEnd)>, NextEnd)> {
        if gen != self.gen {
            return None;
        }
        self.advance(now_us);
        let (done, left): (Vec<Job>, Vec<Job>) = std::mem::take(&mut self.jobs)
            .into_iter()
            .partition(|j| j.fixed_end_us.map_or(j.left_ns == 0, |at| at <= now_us));
        self.jobs = left;
        let next = self.reschedule(now_us);
        Some((done.into_iter().map(|j| (j.node, j.then)).collect(), next))
    }

    /// `node`'s process is gone, and its work with it: its `Work` and the notifications still
    /// inside its election threads.
    pub(super) fn forget(&mut self, now_us: u64, node: NodeId) -> NextEnd {
        self.remove(now_us, |j| j.node == node)
    }

    /// `node`'s `Work` in progress, if any, is cancelled.
    pub(super) fn drop_work(&mut self, now_us: u64, node: NodeId) -> NextEnd {
        self.remove(now_us, |j| j.node == node && matches!(j.then, JobEnd::Work | JobEnd::Bound { .. }))
    }

    /// Drops the jobs `gone` picks; a new `CpuDone` if any went.
    fn remove(&mut self, now_us: u64, gone: impl Fn(&Job) -> bool) -> NextEnd {
        self.advance(now_us);
        let before = self.jobs.len();
        self.jobs.retain(|j| !gone(j));
        (self.jobs.len() != before).then(|| self.reschedule(now_us)).flatten()
    }
}

impl Sim {
    /// Runs `work_us` on `node` on the shared cores (`fixed`: a replayed wall-clock time) and
    /// returns when it would end at today's sharing.
    pub(super) fn run_on_cpu(&mut self, node: NodeId, work_us: u64, fixed: bool, then: JobEnd) -> u64 {
        let now = self.now_us;
        let Some(cpu) = self.cpu.as_mut() else { unreachable!("only with costs.host_cores") };
        let next = cpu.start(now, node, work_us, fixed, then);
        // The projection for the trace: as if nothing else started or ended meanwhile.
        let until = now + if fixed { work_us } else { cpu.wall_us(work_us * NS) };
        self.queue_cpu_done(next);
        until
    }

    /// `msg` onto its link (incarnation `inc`) once `us` of `on`'s work is done: on the
    /// shared cores if there are any, else after that much time.
    pub(super) fn send_after_work(&mut self, on: NodeId, from: NodeId, to: NodeId, inc: u32, msg: Message, us: u64) {
        if self.cpu.is_some() {
            self.run_on_cpu(on, us, false, JobEnd::Send { from, to, incarnation: Some(inc), msg });
        } else {
            self.send_on_link_after(from, to, inc, Payload::Message(msg), us);
        }
    }

    fn queue_cpu_done(&mut self, next: NextEnd) {
        if let Some((at, gen)) = next {
            self.queue.push(at, Event::CpuDone { gen });
        }
    }

    pub(super) fn on_cpu_done(&mut self, gen: u64) {
        let now = self.now_us;
        let Some((done, next)) = self.cpu.as_mut().and_then(|c| c.finish(now, gen)) else { return };
        self.queue_cpu_done(next);
        for (node, then) in done {
            if self.stop {
                break;
            }
            match then {
                JobEnd::Work => self.set_timer(node, TimerKind::Work, now),
                JobEnd::Boot => {}
                JobEnd::Bound { rest_us } => {
                    self.bound_at_us[node.index()] = now;
                    self.run_on_cpu(node, rest_us, false, JobEnd::Work);
                }
                JobEnd::Send { from, to, incarnation: Some(inc), msg } => match msg.channel() {
                    Channel::Quorum => self.release_quorum(from, to, inc, msg),
                    Channel::Election => self.send_on_link(from, to, inc, Payload::Message(msg)),
                },
                JobEnd::Send { from, to, incarnation: None, msg } => self
                    .queue
                    .push(now, Event::Arrive(InFlight { from, to, incarnation: 0, payload: Payload::Message(msg) })),
            }
        }
    }

    /// `node`'s process died: its work on the shared cores ends with it, and the packets its
    /// `LearnerHandler`s held (connections to it are gone too).
    pub(super) fn forget_cpu(&mut self, node: NodeId) {
        self.link_holds.retain(|h| h.from != node && h.to != node);
        let now = self.now_us;
        let next = self.cpu.as_mut().and_then(|c| c.forget(now, node));
        self.queue_cpu_done(next);
    }

    /// `node`'s `Work` was cancelled (its role changed).
    pub(super) fn drop_cpu_work(&mut self, node: NodeId) {
        let now = self.now_us;
        let next = self.cpu.as_mut().and_then(|c| c.drop_work(now, node));
        self.queue_cpu_done(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(cpu: &mut HostCpu, at: u64, node: u8, us: u64) -> NextEnd {
        cpu.start(at, NodeId(node), us, false, JobEnd::Work)
    }

    #[test]
    fn one_busy_server_per_core_runs_at_full_speed() {
        let mut cpu = HostCpu::new(2);
        work(&mut cpu, 0, 1, 6_000);
        let (at, _) = work(&mut cpu, 0, 2, 8_000).unwrap();
        assert_eq!(at, 6_000);
    }

    #[test]
    fn four_busy_servers_on_two_cores_take_twice_as_long() {
        let mut cpu = HostCpu::new(2);
        for node in 1..=3 {
            work(&mut cpu, 0, node, 6_000);
        }
        let (at, gen) = work(&mut cpu, 0, 4, 6_000).unwrap();
        assert_eq!(at, 12_000);
        let (done, next) = cpu.finish(at, gen).unwrap();
        assert_eq!(done.len(), 4);
        assert_eq!(next, None);
    }

    #[test]
    fn a_job_speeds_up_when_the_others_finish() {
        let mut cpu = HostCpu::new(1);
        work(&mut cpu, 0, 1, 2_000);
        let (at, gen) = work(&mut cpu, 0, 2, 6_000).unwrap();
        // Both at half speed until s1's 2 ms are done at 4 ms; s2 has 4 ms left, alone.
        assert_eq!(at, 4_000);
        let (done, next) = cpu.finish(at, gen).unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(next.map(|(at, _)| at), Some(8_000));
    }

    #[test]
    fn a_replayed_time_keeps_its_length_but_slows_the_others() {
        let mut cpu = HostCpu::new(1);
        cpu.start(0, NodeId(1), 10_000, true, JobEnd::Work);
        let (at, _) = work(&mut cpu, 0, 2, 4_000).unwrap();
        assert_eq!(at, 8_000);
    }

    #[test]
    fn a_stale_generation_does_nothing() {
        let mut cpu = HostCpu::new(1);
        let (_, old) = work(&mut cpu, 0, 1, 2_000).unwrap();
        work(&mut cpu, 1_000, 2, 2_000);
        assert!(cpu.finish(2_000, old).is_none());
    }
}
