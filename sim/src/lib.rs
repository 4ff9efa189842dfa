//! zabsim's simulator: a seeded discrete-event simulation of a ZooKeeper ensemble running the
//! pure protocol of `zabsim-protocol`, with network, disk and fault models, a checker that
//! runs after every event, traces, and the `zabsim` command line.

pub mod bench;
pub mod checker;
pub mod cli;
pub mod determinism;
pub mod disk;
pub mod fuzz;
pub mod fuzz_cmd;
pub mod network;
pub mod queue;
pub mod random;
pub mod report;
pub mod report_cmd;
pub mod rng;
pub mod scenario;
pub mod shrink;
pub mod sim;
pub mod strategies;
pub mod sweep;
pub mod trace;
pub mod validate;
pub mod wallclock;

pub use checker::{Invariant, Violation};
pub use report::RunReport;
pub use scenario::{Expect, Fault, Scenario, TimedFault};
pub use sim::{Sim, TraceMode};

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
