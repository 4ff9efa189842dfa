//! The one place zabsim reads the wall clock: to measure itself (benchmarks, campaign speed,
//! `--time` budgets) and to time real ZooKeeper servers in `zabsim conform`. Nothing read here may feed a simulation; clippy.toml bans the clock
//! everywhere else.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::time::Instant;

/// Measures elapsed wall time.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts measuring.
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    /// Wall seconds since `start`.
    pub fn elapsed_secs(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// The wall clock in Unix microseconds: the clock ZooKeeper stamps its log lines with, so a
/// kill `zabsim conform` sends and the lines it causes are on one time axis.
pub fn unix_now_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}
