//! The `sim` command: runs the real simulator (network delays, fsync latency, connection
//! handshakes, the checker after every event) on an inline JSON scenario, so a script can set
//! what the hand-driven servers show beside what a whole seeded run does.

use datadriven::TestCase;
use zabsim_sim::scenario::validate::validate;
use zabsim_sim::{format_time, Scenario, Sim, TraceMode};

/// `sim [until=MS]` with a scenario as input: prints each server's state at `until` (the
/// scenario's duration by default), the epochs established and the first violation.
pub fn run(case: &mut TestCase) -> Result<String, String> {
    let mut scenario: Scenario =
        serde_json::from_str(&case.input).map_err(|e| format!("sim: the input is not a scenario: {e}"))?;
    validate(&scenario).map_err(|e| format!("sim: {e}"))?;
    if let Some(until) = case.try_take_arg::<u64>("until").map_err(|e| e.to_string())? {
        scenario.duration_ms = until;
    }
    let end_us = scenario.duration_ms * 1000;
    let mut sim = Sim::new(scenario, TraceMode::Off);
    // Events past the end stay queued: the states are those at exactly `end_us`.
    sim.run_until(|_| false);
    let mut text = format!("ran to {}\n", format_time(end_us));
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
