//! Conformance: real ZooKeeper beside the simulator on the same schedule (`zabsim conform`).

pub mod real;
