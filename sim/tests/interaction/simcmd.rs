//! The `sim` command: runs the real simulator (network delays, fsync latency, connection
//! handshakes, the checker after every event) on an inline JSON scenario, so a script can set
//! what the hand-driven servers show beside what a whole seeded run does.

use datadriven::TestCase;
use zabsim_sim::scenario::validate::validate;
use zabsim_sim::{format_time, Scenario, Sim, TraceMode};

/// `sim [until=MS]` with a scenario as input: runs to `until` (the scenario's duration by
/// default; later while the liveness phase still waits for convergence, as every run does)
/// and prints the time of the last event handled, each server's state, the epochs established and the first
/// violation.
pub fn run(case: &mut TestCase) -> Result<String, String> {
    let mut scenario: Scenario =
        serde_json::from_str(&case.input).map_err(|e| format!("sim: the input is not a scenario: {e}"))?;
    validate(&scenario).map_err(|e| format!("sim: {e}"))?;
    if let Some(until) = case.try_take_arg::<u64>("until").map_err(|e| e.to_string())? {
        scenario.duration_ms = until;
    }
    let mut sim = Sim::new(scenario, TraceMode::Off);
    sim.run_until(|_| false);
    let mut text = format!("last event at {}\n", format_time(sim.now_us()));
    for id in sim.nodes().iter().enumerate().skip(1).map(|(i, _)| zabsim_protocol::NodeId(i as u8)) {
        match sim.node(id) {
            Some(node) => text.push_str(&node.describe()),
            None => text.push_str(&format!("{id} DOWN")),
        }
        text.push('\n');
    }
    for l in sim.leaders() {
        text.push_str(&format!("established e{} by s{} at {}\n", l.epoch, l.leader, format_time(l.at_us)));
    }
    match sim.violation() {
        Some(v) => text.push_str(&format!("violation: {v}\n")),
        None => text.push_str("no violation\n"),
    }
    Ok(text)
}
