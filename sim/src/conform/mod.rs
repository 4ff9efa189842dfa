//! `zabsim conform`: real ZooKeeper 3.8 and zabsim run the same schedule, and what they did is
//! compared. `real` drives Debian's ZooKeeper package and reads its logs; `live` turns its
//! trials into `Outcome`s; `model` runs the same case in the simulator; `compare` puts them
//! side by side; `report` hands that to the reports crate for the page and chart; recorded
//! real trials under `scenarios/conform/` let the comparison run in `cargo test` without Java.

pub mod case;
pub mod compare;
pub mod live;
pub mod model;
pub mod outcome;
pub mod real;
pub mod report;
