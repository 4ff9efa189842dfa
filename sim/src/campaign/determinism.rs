//! The determinism self-check: run a scenario twice and compare the traces line by line, so a
//! difference names the first event where the two runs parted (madsim's habit).

use crate::engine::{Sim, TraceMode};
use crate::scenario::Scenario;
use crate::trace::Sink;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `Write` into shared memory, so a trace can be read back after the run.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// The bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut b) => {
                b.extend_from_slice(buf);
                Ok(buf.len())
            }
            Err(_) => Err(std::io::Error::other("trace buffer poisoned")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON-lines trace of one run.
pub fn trace_of(scenario: &Scenario) -> Vec<u8> {
    let buffer = SharedBuffer::default();
    Sim::new(scenario.clone(), TraceMode::To(Sink::Json(Box::new(buffer.clone())))).run();
    buffer.bytes()
}

/// Where two runs of one scenario first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// 1-based trace line.
    pub line: usize,
    /// That line in the first run (empty if the run ended).
    pub first: String,
    /// That line in the second run.
    pub second: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "runs diverge at trace line {}:\n  first:  {}\n  second: {}", self.line, self.first, self.second)
    }
}

/// Runs `scenario` twice; `Ok(lines)` when the traces are identical.
pub fn check(scenario: &Scenario) -> Result<usize, Divergence> {
    let a = trace_of(scenario);
    let b = trace_of(scenario);
    let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    let mut lines_a = a.lines();
    let mut lines_b = b.lines();
    let mut line = 0;
    loop {
        line += 1;
        match (lines_a.next(), lines_b.next()) {
            (None, None) => return Ok(line - 1),
            (x, y) if x == y => continue,
            (x, y) => {
                return Err(Divergence {
                    line,
                    first: x.unwrap_or("").to_string(),
                    second: y.unwrap_or("").to_string(),
                })
            }
        }
    }
}
