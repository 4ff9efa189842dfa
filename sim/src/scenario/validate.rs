//! Checks a scenario before it runs: every mistake is reported with the JSON path of the field
//! and what was expected, never as a panic later.

use crate::scenario::{Chaos, Delay, Fault, Scenario, WriteTarget};
use std::fmt;
use zabsim_protocol::Work;

/// A scenario field that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// JSON path, like `faults[2].node`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Longest run zabsim accepts: a week of virtual time.
pub const MAX_DURATION_MS: u64 = 7 * 24 * 3600 * 1000;

fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError { path: path.into(), message: message.into() }
}

/// Validates `s`; the first problem found is returned.
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    if s.nodes == 0 {
        return Err(err("nodes", "expected a cluster size in 1..=255, got 0"));
    }
    let n = s.nodes;
    let server = |path: String, id: u8| -> Result<(), ScenarioError> {
        if id == 0 || id > n {
            Err(err(path, format!("expected a server id in 1..={n}, got {id}")))
        } else {
            Ok(())
        }
    };
    if s.duration_ms == 0 || s.duration_ms > MAX_DURATION_MS {
        return Err(err("duration_ms", format!("expected 1..={MAX_DURATION_MS} ms, got {}", s.duration_ms)));
    }
    s.protocol.validate().map_err(|m| {
        let (field, rest) = m.split_once(": ").unwrap_or(("", &m));
        err(format!("protocol.{field}"), rest)
    })?;
    check_delay("network.delay", &s.network.delay)?;
    check_chaos("network.chaos", &s.network.chaos)?;
    for (i, o) in s.network.overrides.iter().enumerate() {
        server(format!("network.overrides[{i}].from"), o.from)?;
        server(format!("network.overrides[{i}].to"), o.to)?;
        if o.from == o.to {
            return Err(err(format!("network.overrides[{i}].to"), "expected a different server than `from`"));
        }
        check_delay(&format!("network.overrides[{i}].delay"), &o.delay)?;
    }
    if s.disk.fsync_min_us > s.disk.fsync_max_us {
        return Err(err("disk.fsync_max_us", format!("expected at least fsync_min_us ({})", s.disk.fsync_min_us)));
    }
    if s.disk.fsync_max_us > 60_000_000 {
        return Err(err("disk.fsync_max_us", "expected at most 60 s (60000000 µs)"));
    }
    let spans = Work::ALL.iter().map(|w| (w.name().to_string(), s.costs.of(*w))).chain(s.costs.other_spans());
    for (name, span) in spans {
        let path = format!("costs.{name}.max_us");
        if span.min_us > span.max_us {
            return Err(err(path, format!("expected at least min_us ({}), got {}", span.min_us, span.max_us)));
        }
        if span.max_us > 60_000_000 {
            return Err(err(path, format!("expected at most 60 s (60000000 µs), got {}", span.max_us)));
        }
    }
    if let Some(cores) = s.costs.host_cores {
        if cores == 0 || cores > 4096 {
            return Err(err("costs.host_cores", format!("expected 1..=4096 cores, got {cores}")));
        }
    }
    for (i, o) in s.costs.overrides.iter().enumerate() {
        server(format!("costs.overrides[{i}].node"), o.node)?;
        if o.span.min_us > o.span.max_us || o.span.max_us > 60_000_000 {
            return Err(err(
                format!("costs.overrides[{i}].span"),
                format!("expected min_us <= max_us <= 60 s, got {}..{}", o.span.min_us, o.span.max_us),
            ));
        }
    }
    if !s.start_ms.is_empty() && s.start_ms.len() != n as usize {
        return Err(err(
            "start_ms",
            format!("expected one start time per server ({n} values) or none, got {}", s.start_ms.len()),
        ));
    }
    for (i, at) in s.start_ms.iter().enumerate() {
        if *at > s.duration_ms {
            return Err(err(
                format!("start_ms[{i}]"),
                format!("expected a time within the run (duration_ms = {}), got {at}", s.duration_ms),
            ));
        }
    }
    if let WriteTarget::Server(id) = s.workload.target {
        server("workload.target.server".into(), id)?;
    }
    if s.workload.writes_per_sec > 1_000_000 {
        return Err(err("workload.writes_per_sec", "expected at most 1000000"));
    }
    if s.liveness.check && s.liveness.within_ms == 0 {
        return Err(err("liveness.within_ms", "expected a positive bound when liveness.check is true"));
    }
    // Whether each server is running, crashed, or may be either (after a targeted crash,
    // which strikes only if its point comes): a crash needs a server that may be running, a
    // restart one that may be crashed; the engine ignores the other case.
    let mut state = vec![Up::Yes; n as usize + 1];
    let mut order: Vec<usize> = (0..s.faults.len()).collect();
    order.sort_by_key(|i| s.faults[*i].at_ms);
    for i in order {
        let f = &s.faults[i];
        let path = |field: &str| format!("faults[{i}].{field}");
        if f.at_ms > s.duration_ms {
            return Err(err(
                path("at_ms"),
                format!("expected a time within the run (duration_ms = {}), got {}", s.duration_ms, f.at_ms),
            ));
        }
        // A server's process does not exist before its start: nothing to crash or restart.
        if let Fault::Crash { node } | Fault::Restart { node } = &f.fault {
            server(path("node"), *node)?;
            let starts = s.start_of(*node);
            if f.at_ms < starts {
                return Err(err(
                    path("node"),
                    format!("s{node} starts at {starts} ms (start_ms), after this fault at {} ms", f.at_ms),
                ));
            }
        }
        match &f.fault {
            Fault::Crash { node } => {
                server(path("node"), *node)?;
                if state[*node as usize] == Up::No {
                    return Err(err(path("node"), format!("s{node} is already crashed at {} ms", f.at_ms)));
                }
                state[*node as usize] = Up::No;
            }
            Fault::Restart { node } => {
                server(path("node"), *node)?;
                if state[*node as usize] == Up::Yes {
                    return Err(err(
                        path("node"),
                        format!("expected a crashed server, but s{node} is running at {} ms", f.at_ms),
                    ));
                }
                state[*node as usize] = Up::Yes;
            }
            // Armed even while the server is down: it strikes after a restart.
            Fault::CrashAt { node, restart_after_ms, .. } => {
                server(path("node"), *node)?;
                let end_ms = s.last_fault_ms();
                if s.liveness.check && f.at_ms >= end_ms {
                    return Err(err(
                        path("at_ms"),
                        format!(
                            "a targeted crash is disarmed when the liveness phase starts, at the last fault \
                             ({end_ms} ms): expected a later fault (such as heal_all) to end the fault phase, got {}",
                            f.at_ms
                        ),
                    ));
                }
                if let Some(ms) = restart_after_ms {
                    if *ms == 0 || *ms > MAX_DURATION_MS {
                        return Err(err(
                            path("restart_after_ms"),
                            format!("expected 1..={MAX_DURATION_MS} ms, got {ms}"),
                        ));
                    }
                }
                state[*node as usize] = Up::Maybe;
            }
            Fault::Partition { groups } => {
                let mut seen = vec![false; n as usize + 1];
                for (g, members) in groups.iter().enumerate() {
                    for (m, id) in members.iter().enumerate() {
                        server(format!("faults[{i}].groups[{g}][{m}]"), *id)?;
                        if seen[*id as usize] {
                            return Err(err(
                                format!("faults[{i}].groups[{g}][{m}]"),
                                format!("s{id} is in two groups"),
                            ));
                        }
                        seen[*id as usize] = true;
                    }
                }
                if groups.is_empty() {
                    return Err(err(path("groups"), "expected at least one group"));
                }
            }
            Fault::Cut { from, to } => {
                server(path("from"), *from)?;
                server(path("to"), *to)?;
                if from == to {
                    return Err(err(path("to"), "expected a different server than `from`"));
                }
            }
            // A pause of a server that is down at that time is accepted and does nothing
            // (engine/faults.rs), as `kill -STOP` of a dead process does nothing: the swarm
            // generator draws such pauses, and `zabsim run --faults swarm` must run every
            // schedule a fuzz campaign ran (the `found_by` line of a saved failure).
            Fault::Pause { node, duration_ms } => {
                server(path("node"), *node)?;
                if *duration_ms == 0 || *duration_ms > MAX_DURATION_MS {
                    return Err(err(
                        path("duration_ms"),
                        format!("expected 1..={MAX_DURATION_MS} ms, got {duration_ms}"),
                    ));
                }
            }
            Fault::SlowFsync { node, factor, duration_ms } => {
                server(path("node"), *node)?;
                if *factor == 0 || *factor > 10_000 {
                    return Err(err(path("factor"), format!("expected a multiplier in 1..=10000, got {factor}")));
                }
                if *duration_ms == 0 || *duration_ms > MAX_DURATION_MS {
                    return Err(err(
                        path("duration_ms"),
                        format!("expected 1..={MAX_DURATION_MS} ms, got {duration_ms}"),
                    ));
                }
            }
            // One rule for chaos wherever it is set: from the start or by a fault.
            Fault::Chaos { chaos } => check_chaos(&path("chaos"), chaos)?,
            Fault::HealAll => state.iter_mut().for_each(|d| *d = Up::Yes),
            Fault::Heal => {}
        }
    }
    s.expect.validate(n)
}

/// Whether a server is running at a point of the schedule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Up {
    Yes,
    No,
    /// A targeted crash is armed: it may have struck.
    Maybe,
}

fn check_chaos(path: &str, chaos: &Chaos) -> Result<(), ScenarioError> {
    for (name, ppm) in
        [("duplicate_ppm", chaos.duplicate_ppm), ("reorder_ppm", chaos.reorder_ppm), ("drop_ppm", chaos.drop_ppm)]
    {
        if ppm > 1_000_000 {
            return Err(err(format!("{path}.{name}"), format!("expected parts per million in 0..=1000000, got {ppm}")));
        }
    }
    // A bound keeps `now + extra delay` far from wrapping virtual time.
    if chaos.reorder_max_us > 60_000_000 {
        return Err(err(
            format!("{path}.reorder_max_us"),
            format!("expected at most 60 s (60000000 µs), got {}", chaos.reorder_max_us),
        ));
    }
    Ok(())
}

fn check_delay(path: &str, d: &Delay) -> Result<(), ScenarioError> {
    if d.min_us > d.max_us {
        return Err(err(
            format!("{path}.max_us"),
            format!("expected at least min_us ({}), got {}", d.min_us, d.max_us),
        ));
    }
    if d.max_us > 60_000_000 {
        return Err(err(format!("{path}.max_us"), format!("expected at most 60 s (60000000 µs), got {}", d.max_us)));
    }
    if d.tail_max_us > 600_000_000 {
        return Err(err(
            format!("{path}.tail_max_us"),
            format!("expected at most 600 s (600000000 µs), got {}", d.tail_max_us),
        ));
    }
    if d.tail_ppm > 1_000_000 {
        return Err(err(
            format!("{path}.tail_ppm"),
            format!("expected parts per million in 0..=1000000, got {}", d.tail_ppm),
        ));
    }
    Ok(())
}
