//! Random scenarios drawn from a seed, swarm-style (Groce et al., "Swarm Testing"): each seed
//! first draws a profile (which fault kinds are on at all, how often they strike, cluster
//! size, delays, fsync latency, workload, ZooKeeper timing), then a concrete schedule. The
//! fault phase ends with everything healed, restarted and resumed at once; the liveness phase
//! follows. Switching whole fault kinds off per seed leaves room for rare combinations of the
//! rest (a crash storm without partitions, a write-free run where zxids tie across epochs).

use crate::engine::rng::{Purpose, Stream};
use crate::scenario::{
    CrashPoint, Delay, DiskModel, Fault, FaultKind, PacketKind, Scenario, TimedFault, WriteKind, WriteTarget,
};
use zabsim_protocol::Variants;

/// What a family of random runs may contain: the user's knobs. Everything else is drawn per
/// seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Cluster sizes to draw from; empty: every size in `nodes_min..=nodes_max`.
    pub nodes_choices: Vec<u8>,
    /// Smallest cluster.
    pub nodes_min: u8,
    /// Largest cluster.
    pub nodes_max: u8,
    /// Length of the fault phase, ms.
    pub fault_phase_ms: u64,
    /// Most faults in the fault phase.
    pub max_faults: u32,
    /// Client writes per second (the swarm draws its own).
    pub writes_per_sec: u32,
    /// Draw the workload, delays, disk and timing per seed (swarm) rather than using defaults.
    pub swarm: bool,
    /// Liveness bound after the heal, ms (initLimit·tickTime is added: a server that decided to
    /// lead but that nobody follows waits that long before it looks again).
    pub liveness_ms: u64,
    /// Variants on.
    pub variants: Variants,
    /// Simulated clients in every run (none by default; drawing them takes no random draws, so
    /// a seed's schedule is the same with or without them).
    pub clients: crate::scenario::Clients,
}

impl Default for Profile {
    /// The campaign profile of the issues: 3-5 servers, 6 s of faults, 10 writes/s.
    fn default() -> Self {
        Profile {
            nodes_choices: Vec::new(),
            nodes_min: 3,
            nodes_max: 5,
            fault_phase_ms: 6_000,
            max_faults: 8,
            writes_per_sec: 10,
            swarm: false,
            liveness_ms: 10_000,
            variants: Variants::default(),
            clients: crate::scenario::Clients::default(),
        }
    }
}

impl Profile {
    /// The fuzzer's profile: everything drawn per seed.
    pub fn swarm(nodes_min: u8, nodes_max: u8, variants: Variants) -> Profile {
        Profile { nodes_min, nodes_max, max_faults: 12, swarm: true, variants, ..Profile::default() }
    }
}

/// Fault kinds the generator draws, in a fixed order (the order draws are made in). Heals
/// follow their own rule below and the fault phase always ends with a heal_all; chaos breaks
/// TCP's guarantees, an assumption violation a campaign on the correct protocol never draws.
pub const FAULT_KINDS: [FaultKind; 6] = [
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Cut,
    FaultKind::Pause,
    FaultKind::SlowFsync,
    FaultKind::Restart,
];

/// A random scenario for `seed` under `profile`. Every schedule it draws passes
/// `validate` (the rules of hand-written files); `tests/cli_agreement.rs` checks that over
/// thousands of seeds and every cluster size from 1 to 9. A pause may strike a server that
/// is crashed at the time: validation accepts it and the engine does nothing, as a real
/// `kill -STOP` of a dead process does nothing.
pub fn scenario(seed: u64, profile: &Profile) -> Scenario {
    let mut rng = Stream::new(seed, Purpose::Faults);
    // Always one draw, whatever the range, so `--nodes N` with the drawn N replays the very
    // same schedule.
    let draw = rng.next_u64();
    let nodes = match profile.nodes_choices.as_slice() {
        [] => profile.nodes_min + (draw % ((profile.nodes_max - profile.nodes_min) as u64 + 1)) as u8,
        choices => choices[(draw % choices.len() as u64) as usize],
    };
    let mut s = Scenario::new(nodes, seed);
    s.protocol.variants = profile.variants;
    s.workload.writes_per_sec = profile.writes_per_sec;
    s.workload.target = WriteTarget::Any;
    let mut fault_phase_ms = profile.fault_phase_ms;
    if profile.swarm {
        draw_environment(&mut Stream::new(seed, Purpose::Profile), &mut s, &mut fault_phase_ms);
    }
    // Swarm testing: each run switches whole fault kinds off.
    let enabled: Vec<FaultKind> = FAULT_KINDS.iter().copied().filter(|_| rng.chance_ppm(700_000)).collect();
    let count = if enabled.is_empty() { 0 } else { rng.between(0, profile.max_faults as u64) as usize };
    let mut times: Vec<u64> = (0..count).map(|_| rng.between(1, fault_phase_ms - 1)).collect();
    times.sort_unstable();
    let mut down = vec![false; nodes as usize + 1];
    let random_node = |rng: &mut Stream| 1 + rng.below(nodes as usize) as u8;
    for at_ms in times {
        let kind = enabled[rng.below(enabled.len())];
        let fault = match kind {
            FaultKind::Crash => {
                let node = random_node(&mut rng);
                if down[node as usize] {
                    down[node as usize] = false;
                    Fault::Restart { node }
                } else {
                    down[node as usize] = true;
                    Fault::Crash { node }
                }
            }
            FaultKind::Restart => match (1..=nodes).find(|n| down[*n as usize]) {
                Some(node) => {
                    down[node as usize] = false;
                    Fault::Restart { node }
                }
                None => Fault::Heal,
            },
            FaultKind::Partition => {
                let mut groups = vec![Vec::new(), Vec::new()];
                for id in 1..=nodes {
                    groups[rng.below(2)].push(id);
                }
                Fault::Partition { groups }
            }
            // A lone server has no link to cut.
            FaultKind::Cut if nodes == 1 => Fault::Heal,
            FaultKind::Cut => {
                let from = random_node(&mut rng);
                let to = 1 + (from as usize + rng.below(nodes as usize - 1)) % nodes as usize;
                Fault::Cut { from, to: to as u8 }
            }
            FaultKind::Pause => Fault::Pause { node: random_node(&mut rng), duration_ms: rng.between(50, 4_000) },
            FaultKind::SlowFsync => Fault::SlowFsync {
                node: random_node(&mut rng),
                factor: rng.between(2, 200) as u32,
                duration_ms: rng.between(100, 3_000),
            },
            FaultKind::Heal
            | FaultKind::Chaos
            | FaultKind::HealAll
            | FaultKind::CrashAtWrite
            | FaultKind::CrashAfterSend
            | FaultKind::CrashOnReceive => {
                unreachable!("{} is not in FAULT_KINDS", kind.name())
            }
        };
        s.faults.push(TimedFault { at_ms, fault });
        if rng.chance_ppm(250_000) {
            s.faults.push(TimedFault { at_ms: at_ms + rng.between(1, 500), fault: Fault::Heal });
        }
    }
    if profile.swarm {
        draw_targeted_crashes(&mut Stream::new(seed, Purpose::Targets), nodes, fault_phase_ms, &mut s.faults);
    }
    s.faults.retain(|f| f.at_ms < fault_phase_ms);
    s.faults.push(TimedFault { at_ms: fault_phase_ms, fault: Fault::HealAll });
    s.liveness.within_ms = liveness_bound_ms(profile.liveness_ms, &s.protocol);
    s.duration_ms = fault_phase_ms + profile.liveness_ms;
    s.clients = profile.clients.clone();
    s
}

/// How long a healed ensemble may take to converge under ZooKeeper's own timers: the base
/// bound, plus initLimit·tickTime (a server that decided to lead but that nobody follows waits
/// that long), plus twice maxNotificationInterval: FLE's back-off can leave a LOOKING server
/// silent that long while its peers' notifications keep resetting its poll, so a better vote
/// reaches the others only at its next timeout (found by the fuzzer, see README).
pub fn liveness_bound_ms(base_ms: u64, protocol: &zabsim_protocol::ProtocolConfig) -> u64 {
    base_ms + protocol.init_limit_us() / 1000 + 2 * protocol.max_notification_interval_ms as u64
}

/// The scenario `zabsim run --nodes N --seed S --faults swarm [--variant V]...` runs: the
/// one a fuzz campaign with these variants ran for `seed` when it drew `nodes` servers (the
/// node draw is always one draw, whatever the range, so the rest of the schedule is the same).
pub fn swarm_scenario(nodes: u8, seed: u64, variants: Variants) -> Scenario {
    scenario(seed, &Profile::swarm(nodes, nodes, variants))
}

/// The points the swarm's targeted crashes wait for, with their weights: each window between
/// local persistence steps (KNOWN_BUGS.md section 0, capability 3) and the messages on either
/// side of one. A point a run reaches rarely (a snapshot needs a SNAP or TRUNC sync after the
/// crash is armed) weighs more, so that every window is reached in at least 5% of the seeds.
pub const TARGET_POINTS: [(CrashPoint, u64); 10] = [
    (CrashPoint::Write(WriteKind::AcceptedEpoch), 3),
    (CrashPoint::Write(WriteKind::CurrentEpoch), 2),
    (CrashPoint::Write(WriteKind::Append), 2),
    (CrashPoint::Write(WriteKind::Snapshot), 3),
    (CrashPoint::Write(WriteKind::Truncate), 1),
    (CrashPoint::AfterSend(PacketKind::Ackepoch), 1),
    (CrashPoint::AfterSend(PacketKind::NewleaderAck), 1),
    (CrashPoint::OnReceive(PacketKind::Newleader), 1),
    (CrashPoint::OnReceive(PacketKind::Proposal), 1),
    (CrashPoint::AfterSend(PacketKind::Proposal), 1),
];

/// Targeted crashes for 60% of the swarm's seeds: one to four, each armed either during the
/// first election (when every server writes both epoch files) or at a random time of the
/// fault phase, most restarting their server soon, kept in time order with the rest of the
/// schedule.
fn draw_targeted_crashes(rng: &mut Stream, nodes: u8, fault_phase_ms: u64, faults: &mut Vec<TimedFault>) {
    if !rng.chance_ppm(600_000) {
        return;
    }
    let total: u64 = TARGET_POINTS.iter().map(|(_, w)| w).sum();
    let mut last_node = None;
    for _ in 0..rng.between(1, 4) {
        let at_ms = if rng.chance_ppm(500_000) { rng.between(1, 200) } else { rng.between(1, fault_phase_ms - 1) };
        // Half the time the server struck before: once restarted it rejoins by a sync (often
        // a SNAP), whose writes are the next windows.
        let node = match last_node {
            Some(node) if rng.chance_ppm(500_000) => node,
            _ => 1 + rng.below(nodes as usize) as u8,
        };
        last_node = Some(node);
        let mut pick = rng.between(0, total - 1);
        let (point, _) = TARGET_POINTS
            .iter()
            .find(|(_, w)| {
                pick < *w || {
                    pick -= w;
                    false
                }
            })
            .expect("pick < total");
        // Most struck servers come back soon, to rejoin (and be synced) while faults go on.
        let restart_after_ms = rng.chance_ppm(700_000).then(|| rng.between(50, 2_000));
        if *point == CrashPoint::Write(WriteKind::Snapshot) {
            // A snapshot is written only while a learner syncs by SNAP or TRUNC: make the
            // server rejoin first, struck at a ping and restarted soon.
            let rejoin = CrashPoint::OnReceive(PacketKind::Ping);
            let restart_after_ms = Some(rng.between(50, 1_000));
            faults.push(TimedFault { at_ms, fault: Fault::CrashAt { node, point: rejoin, restart_after_ms } });
        }
        faults.push(TimedFault { at_ms, fault: Fault::CrashAt { node, point: *point, restart_after_ms } });
    }
    faults.sort_by_key(|f| f.at_ms);
}

/// The swarm's per-seed environment: workload, delays, disk and ZooKeeper timing.
fn draw_environment(rng: &mut Stream, s: &mut Scenario, fault_phase_ms: &mut u64) {
    // A third of the runs write nothing: zxids then tie across epochs, which is where vote
    // comparison bugs (ZOOKEEPER-1419) live.
    s.workload.writes_per_sec = [0, 0, 0, 5, 10, 10, 50, 200][rng.below(8)];
    s.workload.target = if rng.chance_ppm(500_000) { WriteTarget::Any } else { WriteTarget::Leader };
    let min_us = rng.between(50, 500);
    s.network.delay = Delay {
        min_us,
        max_us: min_us + rng.between(0, 2_000),
        tail_ppm: if rng.chance_ppm(200_000) { 10_000 } else { 0 },
        tail_max_us: rng.between(1_000, 200_000),
    };
    let fsync_min_us = rng.between(100, 2_000);
    s.disk = DiskModel { fsync_min_us, fsync_max_us: fsync_min_us + rng.between(0, 20_000) };
    s.protocol.tick_time_ms = [200, 500, 1_000, 2_000][rng.below(4)];
    s.protocol.init_limit_ticks = rng.between(5, 10) as u32;
    s.protocol.sync_limit_ticks = rng.between(2, 5) as u32;
    s.protocol.commit_log_count = [20, 100, 500][rng.below(3)];
    *fault_phase_ms = rng.between(2_000, 8_000);
}
