//! Many runs at once: fuzz campaigns, shrinking a failure, parameter sweeps, the determinism
//! self-check and the engine's speed figures.

pub mod bench;
pub mod determinism;
pub mod fuzz;
pub mod shrink;
pub mod sweep;
