//! zabsim's simulator: a seeded discrete-event simulation of a ZooKeeper ensemble running the
//! pure protocol of `zabsim-protocol`, with network, disk and fault models, a checker that
//! runs after every event, traces, and the `zabsim` command line.

pub mod campaign;
pub mod check;
pub mod cli;
pub mod clients;
pub mod conform;
pub mod engine;
pub mod report;
pub mod scenario;
pub mod trace;
pub mod wallclock;

pub use check::{Invariant, Violation};
pub use engine::{Sim, TraceMode};
pub use report::RunReport;
pub use scenario::{Expect, Fault, FaultKind, Scenario, TimedFault};

use std::hash::Hasher;

/// `println!` that ignores a closed stdout (`zabsim ... | head` must not panic).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Virtual microseconds as seconds with microsecond precision: `12.000345s`.
pub fn format_time(us: u64) -> String {
    format!("{}.{:06}s", us / 1_000_000, us % 1_000_000)
}

/// A stable hash of a scenario's canonical JSON, for trace headers and replay files. What a
/// saved failure recorded about its original run is not part of the scenario.
pub fn scenario_hash(scenario: &Scenario) -> u64 {
    let mut canonical = scenario.clone();
    canonical.recorded = None;
    let json = serde_json::to_string(&canonical).expect("scenarios serialize");
    let mut h = fnv::FnvHasher::default();
    h.write(json.as_bytes());
    h.finish()
}

/// Runs a scenario to completion without a trace.
pub fn run(scenario: Scenario) -> RunReport {
    Sim::new(scenario, TraceMode::Off).run()
}
