//! The one place zabsim reads the wall clock: to measure itself (benchmarks, campaign speed,
//! `--time` budgets). Nothing read here may feed a simulation; clippy.toml bans the clock
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
