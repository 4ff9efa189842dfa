//! Engine speed figures (`zabsim bench`). Wall-clock time is read only here, to measure the
//! tool itself; nothing measured feeds back into a simulation. An event is one step of a
//! simulated actor: a server's step, or a client's where clients run.

use crate::check::converged;
use crate::engine::{Sim, TraceMode};
use crate::scenario::Scenario;
use crate::wallclock::Stopwatch;
use zabsim_protocol::NodeSet;

/// Simulated events per wall second: 5 servers elect, then exchange pings for a long while,
/// on one thread.
fn events_per_sec(seconds: f64) -> f64 {
    let started = Stopwatch::start();
    let mut events = 0u64;
    let mut seed = 0;
    while started.elapsed_secs() < seconds {
        let mut s = Scenario::new(5, seed);
        s.duration_ms = 600_000;
        s.liveness.check = false;
        events += Sim::new(s, TraceMode::Off).run().events;
        seed += 1;
    }
    events as f64 / started.elapsed_secs()
}

/// A 5-server ensemble under `writes_per_sec` client writes for 60 simulated seconds at a
/// time, on one thread: (simulated events per wall second, simulated seconds per wall second).
fn under_writes(writes_per_sec: u32, seconds: f64) -> (f64, f64) {
    let started = Stopwatch::start();
    let (mut events, mut sim_us) = (0u64, 0u64);
    let mut seed = 0;
    while started.elapsed_secs() < seconds {
        let mut s = Scenario::new(5, seed);
        s.duration_ms = 60_000;
        s.liveness.check = false;
        s.workload.writes_per_sec = writes_per_sec;
        let report = Sim::new(s, TraceMode::Off).run();
        events += report.events;
        sim_us += report.end_us;
        seed += 1;
    }
    let wall = started.elapsed_secs();
    (events as f64 / wall, sim_us as f64 / 1e6 / wall)
}

/// What `under_lock_clients` measured.
struct LockFigures {
    /// Steps of every simulated actor (servers and clients) per wall second.
    events_per_sec: f64,
    /// Server steps alone per wall second.
    server_steps_per_sec: f64,
    sim_seconds_per_wall_second: f64,
    ops_per_sim_second: f64,
}

/// A 5-server ensemble with 5 clients running the lock recipe for 60 simulated seconds at a
/// time, on one thread, paced (think 150 ms, hold 20 ms) to about 100 client operations per
/// simulated second. Its events are the steps of every simulated actor: the servers' and, new
/// with clients, the clients' own (a wake-up, a reply or a watch reaching one), which cost
/// the simulator as much; the servers' share is reported beside them.
fn under_lock_clients(seconds: f64) -> LockFigures {
    let started = Stopwatch::start();
    let (mut events, mut client_steps, mut sim_us, mut ops) = (0u64, 0u64, 0u64, 0u64);
    let mut seed = 0;
    while started.elapsed_secs() < seconds {
        let mut s = Scenario::new(5, seed);
        s.duration_ms = 60_000;
        s.liveness.check = false;
        s.clients.count = 5;
        s.clients.recipe = crate::scenario::Recipe::Lock;
        s.clients.think_ms = 150;
        let report = Sim::new(s, TraceMode::Off).run();
        events += report.events;
        sim_us += report.end_us;
        if let Some(clients) = &report.clients {
            client_steps += clients.steps;
            ops += clients.ops.values().flat_map(|outcomes| outcomes.values()).sum::<u64>();
        }
        seed += 1;
    }
    let wall = started.elapsed_secs();
    LockFigures {
        events_per_sec: (events + client_steps) as f64 / wall,
        server_steps_per_sec: events as f64 / wall,
        sim_seconds_per_wall_second: sim_us as f64 / 1e6 / wall,
        ops_per_sim_second: ops as f64 / (sim_us as f64 / 1e6),
    }
}

/// Cold-start elections per wall second: each run ends once every server follows one
/// established leader.
fn elections_per_sec(nodes: u8, seconds: f64) -> f64 {
    let started = Stopwatch::start();
    let mut done = 0u64;
    let mut seed = 0;
    while started.elapsed_secs() < seconds {
        let mut s = Scenario::new(nodes, seed);
        s.liveness.check = false;
        let mut sim = Sim::new(s, TraceMode::Off);
        let members: NodeSet = (1..=nodes).map(zabsim_protocol::NodeId).collect();
        let mut nodes_view = Vec::new();
        let ok = sim.run_until(|sim| {
            nodes_view.clear();
            nodes_view.push(None);
            nodes_view.extend((1..=nodes).map(|i| sim.node(zabsim_protocol::NodeId(i)).cloned()));
            converged(&nodes_view, &members)
        });
        assert!(ok, "seed {seed}: a fault-free cold start of {nodes} servers did not converge");
        done += 1;
        seed += 1;
    }
    done as f64 / started.elapsed_secs()
}

/// Fuzz throughput on every core: the default profile of the issues (5 servers, 10 simulated
/// seconds, 10 writes per second, random faults, then heal and liveness).
fn seeds_per_sec(seconds: f64) -> f64 {
    use rayon::prelude::*;
    let profile = crate::scenario::random::Profile {
        nodes_min: 5,
        nodes_max: 5,
        fault_phase_ms: 5_000,
        liveness_ms: 5_000,
        writes_per_sec: 10,
        ..crate::scenario::random::Profile::default()
    };
    let started = Stopwatch::start();
    let mut done = 0u64;
    let chunk = 256u64;
    while started.elapsed_secs() < seconds {
        (done..done + chunk).into_par_iter().for_each(|seed| {
            crate::run(crate::scenario::random::scenario(seed, &profile));
        });
        done += chunk;
    }
    done as f64 / started.elapsed_secs()
}

/// Every figure, as JSON.
pub fn figures(seconds: f64) -> serde_json::Value {
    let (events_100, sim_100) = under_writes(100, seconds);
    let (events_1000, sim_1000) = under_writes(1000, seconds);
    let lock = under_lock_clients(seconds);
    serde_json::json!({
        "seeds_per_sec": seeds_per_sec(seconds).round(),
        "threads": rayon::current_num_threads(),
        "writes_100_events_per_sec": events_100.round(),
        "writes_100_sim_seconds_per_wall_second": sim_100.round(),
        "writes_1000_events_per_sec": events_1000.round(),
        "writes_1000_sim_seconds_per_wall_second": sim_1000.round(),
        "lock_5_clients_events_per_sec": lock.events_per_sec.round(),
        "lock_5_clients_server_steps_per_sec": lock.server_steps_per_sec.round(),
        "lock_5_clients_sim_seconds_per_wall_second": lock.sim_seconds_per_wall_second.round(),
        "lock_5_clients_ops_per_sim_second": lock.ops_per_sim_second.round(),
        "events_per_sec": events_per_sec(seconds).round(),
        "elections_per_sec_3": elections_per_sec(3, seconds).round(),
        "elections_per_sec_5": elections_per_sec(5, seconds).round(),
        "elections_per_sec_7": elections_per_sec(7, seconds).round(),
    })
}
