//! Engine speed figures (`zabsim bench`). Wall-clock time is read only here, to measure the
//! tool itself; nothing measured feeds back into a simulation.

use crate::checker::converged;
use crate::scenario::Scenario;
use crate::sim::{Sim, TraceMode};
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

/// Every figure, as JSON.
pub fn figures(seconds: f64) -> serde_json::Value {
    serde_json::json!({
        "events_per_sec": events_per_sec(seconds).round(),
        "elections_per_sec_3": elections_per_sec(3, seconds).round(),
        "elections_per_sec_5": elections_per_sec(5, seconds).round(),
        "elections_per_sec_7": elections_per_sec(7, seconds).round(),
    })
}
