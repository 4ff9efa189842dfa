//! Shrinking a failure: reduce a failing scenario (fewer faults, fewer servers, a shorter run,
//! fewer writes, a plainer environment) for as long as the same invariant still fails. Every
//! candidate is a full, deterministic run, so the result replays exactly.

use crate::check::Invariant;
use crate::scenario::validate::validate;
use crate::scenario::{Delay, DiskModel, Fault, Scenario, WriteTarget};
use crate::wallclock::Stopwatch;
use zabsim_protocol::ProtocolConfig;

/// Candidate runs one shrink may try.
pub const MAX_ATTEMPTS: u64 = 2_000;

/// The outcome of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest failing scenario found.
    pub scenario: Scenario,
    /// Candidate runs tried.
    pub attempts: u64,
    /// Wall seconds spent.
    pub wall_seconds: f64,
}

/// Whether `s` is valid and still fails the same way: the same fingerprint (invariant and,
/// for Liveness, its reason) when `fingerprint` is known, else the same invariant.
fn still_fails(s: &Scenario, invariant: Invariant, target: Option<&str>) -> bool {
    validate(s).is_ok()
        && crate::run(s.clone()).violation.is_some_and(|v| {
            v.invariant == invariant && target.is_none_or(|t| crate::campaign::fuzz::fingerprint(&v) == t)
        })
}

/// Shrinks `scenario`, which must fail with `invariant`, within `budget_secs` of wall time.
/// The shrunk scenario fails with the original's fingerprint: a "stuck" liveness failure is not
/// allowed to turn into "servers follow different leaders" on the way, since the campaign
/// deduplicates and reports by fingerprint.
pub fn shrink(scenario: &Scenario, invariant: Invariant, budget_secs: f64) -> Shrunk {
    let clock = Stopwatch::start();
    let target = crate::run(scenario.clone())
        .violation
        .filter(|v| v.invariant == invariant)
        .map(|v| crate::campaign::fuzz::fingerprint(&v));
    let mut best = scenario.clone();
    let mut attempts = 0u64;
    // The budget is counted in candidate runs, so the shrunk scenario is the same on every
    // machine; wall time is only a backstop for pathological runs.
    let mut try_candidate = |candidate: Scenario, best: &mut Scenario| -> bool {
        if attempts >= MAX_ATTEMPTS || clock.elapsed_secs() > budget_secs || candidate == *best {
            return false;
        }
        attempts += 1;
        if still_fails(&candidate, invariant, target.as_deref()) {
            *best = candidate;
            true
        } else {
            false
        }
    };
    loop {
        let mut progressed = false;
        // 1. Stop the run soon after the violation.
        if let Some(v) = crate::run(best.clone()).violation {
            let end_ms = v.time_us / 1000 + 1;
            if end_ms < best.duration_ms {
                let mut c = best.clone();
                c.duration_ms = end_ms;
                c.faults.retain(|f| f.at_ms <= end_ms);
                repair(&mut c);
                progressed |= try_candidate(c, &mut best);
            }
        }
        // 2. Remove faults, in halving chunks (ddmin).
        let mut chunk = best.faults.len().max(1);
        while chunk >= 1 {
            let mut start = 0;
            while start < best.faults.len() {
                let mut c = best.clone();
                let end = (start + chunk).min(c.faults.len());
                c.faults.drain(start..end);
                repair(&mut c);
                if try_candidate(c, &mut best) {
                    progressed = true;
                } else {
                    start += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
        // 3. Fewer servers: drop the highest id.
        while best.nodes > 1 {
            let c = without_last_server(&best);
            if !try_candidate(c, &mut best) {
                break;
            }
            progressed = true;
        }
        // 4. Fewer writes.
        for writes in [0, best.workload.writes_per_sec / 2] {
            if writes < best.workload.writes_per_sec {
                let mut c = best.clone();
                c.workload.writes_per_sec = writes;
                c.workload.burst = 0;
                progressed |= try_candidate(c, &mut best);
            }
        }
        // 5. A plainer environment, one knob at a time.
        let plain: [fn(&mut Scenario); 4] = [
            |c| c.network.delay = Delay::default(),
            |c| c.disk = DiskModel::default(),
            |c| {
                let variants = c.protocol.variants;
                c.protocol = ProtocolConfig { variants, ..ProtocolConfig::default() };
            },
            |c| c.network.overrides.clear(),
        ];
        for simplify in plain {
            let mut c = best.clone();
            simplify(&mut c);
            progressed |= try_candidate(c, &mut best);
        }
        if !progressed || clock.elapsed_secs() > budget_secs {
            break;
        }
    }
    Shrunk { scenario: best, attempts, wall_seconds: clock.elapsed_secs() }
}

/// Makes a reduced schedule valid again: a restart needs a crashed server, a crash a running
/// one (either may follow a targeted crash), and a fault may only name servers that exist.
pub(crate) fn repair(s: &mut Scenario) {
    let n = s.nodes;
    // Per server: may it be running, may it be crashed (both after a targeted crash).
    let mut up = vec![(true, false); n as usize + 1];
    s.faults.sort_by_key(|f| f.at_ms);
    s.faults.retain(|f| match &f.fault {
        Fault::Crash { node } if *node <= n => std::mem::replace(&mut up[*node as usize], (false, true)).0,
        Fault::Restart { node } if *node <= n => std::mem::replace(&mut up[*node as usize], (true, false)).1,
        Fault::CrashAt { node, .. } if *node <= n => {
            up[*node as usize] = (true, true);
            true
        }
        Fault::Crash { .. } | Fault::Restart { .. } | Fault::CrashAt { .. } => false,
        Fault::HealAll => {
            up.iter_mut().for_each(|d| *d = (true, false));
            true
        }
        Fault::Pause { node, .. } | Fault::SlowFsync { node, .. } => *node <= n,
        Fault::Cut { from, to } => *from <= n && *to <= n,
        // Partition groups are trimmed below.
        Fault::Partition { .. } | Fault::Heal | Fault::Chaos { .. } => true,
    });
    for f in &mut s.faults {
        if let Fault::Partition { groups } = &mut f.fault {
            for g in groups.iter_mut() {
                g.retain(|id| *id <= n);
            }
            groups.retain(|g| !g.is_empty());
        }
    }
    s.faults.retain(|f| !matches!(&f.fault, Fault::Partition { groups } if groups.is_empty()));
    s.network.overrides.retain(|o| o.from <= n && o.to <= n);
    if let WriteTarget::Server(id) = s.workload.target {
        if id > n {
            s.workload.target = WriteTarget::Any;
        }
    }
}

fn without_last_server(s: &Scenario) -> Scenario {
    let mut c = s.clone();
    c.nodes -= 1;
    repair(&mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::TimedFault;

    #[test]
    fn repair_drops_restarts_of_running_servers_and_unknown_ids() {
        let mut s = Scenario::new(3, 0);
        s.faults = vec![
            TimedFault { at_ms: 1, fault: Fault::Restart { node: 1 } },
            TimedFault { at_ms: 2, fault: Fault::Crash { node: 2 } },
            TimedFault { at_ms: 3, fault: Fault::Crash { node: 2 } },
            TimedFault { at_ms: 4, fault: Fault::Crash { node: 5 } },
            TimedFault { at_ms: 5, fault: Fault::Partition { groups: vec![vec![1, 4], vec![5]] } },
        ];
        repair(&mut s);
        assert_eq!(
            s.faults,
            vec![
                TimedFault { at_ms: 2, fault: Fault::Crash { node: 2 } },
                TimedFault { at_ms: 5, fault: Fault::Partition { groups: vec![vec![1]] } },
            ]
        );
        assert!(validate(&s).is_ok());
    }

    /// A targeted crash may or may not strike, so after one both a restart and a crash of its
    /// server stay; removing it (as ddmin does) makes the plain rule apply again.
    #[test]
    fn repair_keeps_a_restart_or_crash_after_a_targeted_crash_and_nothing_else() {
        use crate::scenario::{CrashPoint, WriteKind};
        let target =
            Fault::CrashAt { node: 1, point: CrashPoint::Write(WriteKind::CurrentEpoch), restart_after_ms: None };
        let mut s = Scenario::new(3, 0);
        s.faults = vec![
            TimedFault { at_ms: 1, fault: target.clone() },
            TimedFault { at_ms: 2, fault: Fault::Restart { node: 1 } },
            TimedFault { at_ms: 3, fault: Fault::Crash { node: 1 } },
            TimedFault { at_ms: 4, fault: Fault::HealAll },
        ];
        let before = s.faults.clone();
        repair(&mut s);
        assert_eq!(s.faults, before);
        assert!(validate(&s).is_ok());
        s.faults.remove(0);
        repair(&mut s);
        assert_eq!(s.faults, before[2..].to_vec(), "without the targeted crash, the restart of a running server goes");
    }

    /// Shrinking keeps what a campaign reports: the shrunk zk-1419 schedule fails Liveness for
    /// the reason the original did, not just Liveness.
    #[test]
    fn shrinking_keeps_the_fingerprint() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/zk-1419-vote-cycle.json");
        let original = crate::cli::load_scenario(&path).expect("the library scenario loads");
        let fingerprint =
            |s: &Scenario| crate::run(s.clone()).violation.map(|v| crate::campaign::fuzz::fingerprint(&v));
        let before = fingerprint(&original);
        assert!(before.as_deref().is_some_and(|f| f.starts_with("Liveness/")), "{before:?}");
        let shrunk = shrink(&original, Invariant::Liveness, 60.0);
        assert_eq!(fingerprint(&shrunk.scenario), before);
    }
}
