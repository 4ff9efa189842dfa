//! Random scenarios drawn from a seed: which fault kinds are on, how often they strike, the
//! cluster size, and a concrete schedule; a fault phase that ends with everything healed, then
//! the liveness phase. The default campaign and the random-seed tests use it.

use crate::rng::{Purpose, Stream};
use crate::scenario::{Fault, Scenario, TimedFault, WriteTarget};
use zabsim_protocol::Variants;

/// What a random run may contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Smallest cluster.
    pub nodes_min: u8,
    /// Largest cluster.
    pub nodes_max: u8,
    /// Length of the fault phase, ms.
    pub fault_phase_ms: u64,
    /// Most faults in the fault phase.
    pub max_faults: u32,
    /// Client writes per second (0 for an election-only run).
    pub writes_per_sec: u32,
    /// Liveness bound after the heal, ms.
    pub liveness_ms: u64,
    /// Variants on.
    pub variants: Variants,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            nodes_min: 3,
            nodes_max: 5,
            fault_phase_ms: 6_000,
            max_faults: 8,
            writes_per_sec: 10,
            liveness_ms: 10_000,
            variants: Variants::default(),
        }
    }
}

const KINDS: [&str; 6] = ["crash", "partition", "cut", "pause", "slow_fsync", "restart"];

/// A random scenario for `seed` under `profile`.
pub fn scenario(seed: u64, profile: &Profile) -> Scenario {
    let mut rng = Stream::new(seed, Purpose::Faults);
    // Always one draw, whatever the range, so `--nodes N` with the drawn N replays the very
    // same schedule.
    let span = (profile.nodes_max - profile.nodes_min) as u64 + 1;
    let nodes = profile.nodes_min + (rng.next_u64() % span) as u8;
    let mut s = Scenario::new(nodes, seed);
    s.protocol.variants = profile.variants;
    s.workload.writes_per_sec = profile.writes_per_sec;
    s.workload.target = WriteTarget::Any;
    // Swarm testing: each run switches whole fault kinds off, so rare combinations of the
    // remaining ones get room to happen.
    let enabled: Vec<&str> = KINDS.iter().copied().filter(|_| rng.chance_ppm(700_000)).collect();
    let count = if enabled.is_empty() { 0 } else { rng.between(0, profile.max_faults as u64) as usize };
    let mut times: Vec<u64> = (0..count).map(|_| rng.between(1, profile.fault_phase_ms - 1)).collect();
    times.sort_unstable();
    let mut down = vec![false; nodes as usize + 1];
    let random_node = |rng: &mut Stream| 1 + rng.below(nodes as usize) as u8;
    for at_ms in times {
        let kind = enabled[rng.below(enabled.len())];
        let fault = match kind {
            "crash" => {
                let node = random_node(&mut rng);
                if down[node as usize] {
                    Fault::Restart { node }
                } else {
                    down[node as usize] = true;
                    Fault::Crash { node }
                }
            }
            "restart" => match (1..=nodes).find(|n| down[*n as usize]) {
                Some(node) => {
                    down[node as usize] = false;
                    Fault::Restart { node }
                }
                None => Fault::Heal,
            },
            "partition" => {
                let mut groups = vec![Vec::new(), Vec::new()];
                for id in 1..=nodes {
                    groups[rng.below(2)].push(id);
                }
                Fault::Partition { groups }
            }
            "cut" => {
                let from = random_node(&mut rng);
                let to = 1 + (from as usize + rng.below(nodes as usize - 1)) % nodes as usize;
                Fault::Cut { from, to: to as u8 }
            }
            "pause" => Fault::Pause { node: random_node(&mut rng), duration_ms: rng.between(50, 4_000) },
            _ => Fault::SlowFsync {
                node: random_node(&mut rng),
                factor: rng.between(2, 50) as u32,
                duration_ms: rng.between(100, 3_000),
            },
        };
        s.faults.push(TimedFault { at_ms, fault });
        if rng.chance_ppm(250_000) {
            s.faults.push(TimedFault { at_ms: at_ms + rng.between(1, 500), fault: Fault::Heal });
        }
    }
    s.faults.retain(|f| f.at_ms < profile.fault_phase_ms);
    s.faults.push(TimedFault { at_ms: profile.fault_phase_ms, fault: Fault::HealAll });
    // The bound must cover ZooKeeper's own waits: a server that decided to lead but that
    // nobody follows holds on for initLimit before it looks again.
    s.liveness.within_ms = profile.liveness_ms + s.protocol.init_limit_us() / 1000;
    s.duration_ms = profile.fault_phase_ms + profile.liveness_ms;
    s
}
