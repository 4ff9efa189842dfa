//! proptest strategies for scenarios and fault schedules, public so that users can write their
//! own property tests over zabsim runs (and get proptest's shrinking for free):
//!
//! ```no_run
//! use proptest::prelude::*;
//! use zabsim_sim::scenario::strategies;
//!
//! proptest! {
//!     #[test]
//!     fn my_ensemble_never_loses_a_committed_write(s in strategies::scenario(3..=5)) {
//!         prop_assert!(zabsim_sim::run(s).violation.is_none());
//!     }
//! }
//! ```

use crate::campaign::shrink::repair;
use crate::scenario::{
    CrashPoint, Delay, DiskModel, Fault, Scenario, Script, ScriptOp, TimedFault, WriteKind, WriteTarget,
};
use proptest::prelude::*;
use std::ops::RangeInclusive;
use strum::IntoEnumIterator;
use zabsim_protocol::data::{CreateMode, ZPath};

/// One fault for a cluster of `nodes` servers at a time within `phase_ms` (not yet checked
/// against the rest of the schedule; `schedule` repairs the whole).
pub fn fault(nodes: u8, phase_ms: u64) -> impl Strategy<Value = TimedFault> {
    let node = 1..=nodes;
    let kind = prop_oneof![
        node.clone().prop_map(|node| Fault::Crash { node }),
        node.clone().prop_map(|node| Fault::Restart { node }),
        proptest::collection::vec(any::<bool>(), nodes as usize).prop_map(|sides| {
            let mut groups = vec![Vec::new(), Vec::new()];
            for (i, side) in sides.iter().enumerate() {
                groups[*side as usize].push(i as u8 + 1);
            }
            groups.retain(|g| !g.is_empty());
            Fault::Partition { groups }
        }),
        (node.clone(), 1..nodes.max(2)).prop_map(move |(from, offset)| {
            let to = (from - 1 + offset) % nodes + 1;
            // A single server has no link to cut.
            if to == from {
                Fault::Heal
            } else {
                Fault::Cut { from, to }
            }
        }),
        Just(Fault::Heal),
        (node.clone(), 50..4_000u64).prop_map(|(node, duration_ms)| Fault::Pause { node, duration_ms }),
        (node.clone(), 2..200u32, 100..3_000u64).prop_map(|(node, factor, duration_ms)| Fault::SlowFsync {
            node,
            factor,
            duration_ms
        }),
        (node, proptest::sample::select(WriteKind::iter().collect::<Vec<_>>()), proptest::option::of(50..2_000u64))
            .prop_map(|(node, write, restart_after_ms)| Fault::CrashAt {
                node,
                point: CrashPoint::Write(write),
                restart_after_ms
            }),
    ];
    (1..phase_ms, kind).prop_map(|(at_ms, fault)| TimedFault { at_ms, fault })
}

/// A valid fault schedule: up to `max_faults` faults in `phase_ms`, repaired so that restarts
/// follow crashes, then everything healed at `phase_ms`.
pub fn schedule(nodes: u8, phase_ms: u64, max_faults: usize) -> impl Strategy<Value = Vec<TimedFault>> {
    proptest::collection::vec(fault(nodes, phase_ms), 0..=max_faults).prop_map(move |faults| {
        let mut s = Scenario::new(nodes, 0);
        s.duration_ms = phase_ms + 1;
        s.faults = faults;
        repair(&mut s);
        // A pause of a crashed server is refused by validation: drop those too.
        let mut down = vec![false; nodes as usize + 1];
        s.faults.retain(|f| match &f.fault {
            Fault::Crash { node } => {
                down[*node as usize] = true;
                true
            }
            Fault::Restart { node } => {
                down[*node as usize] = false;
                true
            }
            Fault::Pause { node, .. } => !down[*node as usize],
            Fault::Partition { .. }
            | Fault::Cut { .. }
            | Fault::Heal
            | Fault::SlowFsync { .. }
            | Fault::Chaos { .. }
            | Fault::CrashAt { .. }
            | Fault::HealAll => true,
        });
        s.faults.push(TimedFault { at_ms: phase_ms, fault: Fault::HealAll });
        s.faults
    })
}

/// Most faults `scenario` draws before its closing heal_all.
pub const SCENARIO_MAX_FAULTS: usize = 10;

/// A whole scenario: cluster size in `nodes`, seed, LAN delays, fsync latency, a workload,
/// 6 s of faults, then healing and a liveness bound that covers ZooKeeper's own timers.
pub fn scenario(nodes: RangeInclusive<u8>) -> impl Strategy<Value = Scenario> {
    nodes.prop_flat_map(|n| {
        (
            any::<u64>(),
            schedule(n, 6_000, SCENARIO_MAX_FAULTS),
            prop_oneof![Just(0u32), Just(10), Just(100)],
            (50..500u64, 0..2_000u64),
            (200..2_000u64, 0..20_000u64),
        )
            .prop_map(move |(seed, faults, writes, (delay_min, jitter), (fsync_min, fsync_jitter))| {
                let mut s = Scenario::new(n, seed);
                s.faults = faults;
                s.workload.writes_per_sec = writes;
                s.workload.target = WriteTarget::Any;
                s.network.delay = Delay { min_us: delay_min, max_us: delay_min + jitter, ..Delay::default() };
                s.disk = DiskModel { fsync_min_us: fsync_min, fsync_max_us: fsync_min + fsync_jitter };
                s.liveness.within_ms = crate::scenario::random::liveness_bound_ms(10_000, &s.protocol);
                s.duration_ms = 16_000;
                s
            })
    })
}

/// A znode among a few under `/s`, so that scripted clients collide on the same nodes.
fn script_path() -> impl Strategy<Value = ZPath> {
    prop_oneof![
        Just("/s".to_string()),
        (0..3u8).prop_map(|k| format!("/s/k{k}")),
        (0..2u8, 0..2u8).prop_map(|(k, c)| format!("/s/k{k}/c{c}")),
    ]
    .prop_map(|p| ZPath::parse(&p).expect("valid path"))
}

/// One step of a client script: any request kind, on the few paths of `script_path`, or a
/// pause.
pub fn script_op() -> impl Strategy<Value = ScriptOp> {
    let mode = prop_oneof![
        Just(None),
        Just(Some(CreateMode::Ephemeral)),
        Just(Some(CreateMode::PersistentSequential)),
        Just(Some(CreateMode::EphemeralSequential)),
    ];
    let version = prop_oneof![Just(None), (0..3i32).prop_map(Some)];
    prop_oneof![
        4 => (script_path(), "[a-z]{0,3}", mode).prop_map(|(path, data, mode)| ScriptOp::Create { path, data, mode }),
        2 => (script_path(), version.clone()).prop_map(|(path, version)| ScriptOp::Delete { path, version }),
        3 => (script_path(), "[a-z]{0,3}", version).prop_map(|(path, data, version)| ScriptOp::Set { path, data, version }),
        3 => (script_path(), any::<bool>()).prop_map(|(path, watch)| ScriptOp::Get { path, watch }),
        2 => (script_path(), any::<bool>()).prop_map(|(path, watch)| ScriptOp::Exists { path, watch }),
        2 => (script_path(), any::<bool>()).prop_map(|(path, watch)| ScriptOp::Children { path, watch }),
        1 => script_path().prop_map(|path| ScriptOp::Sync { path }),
        1 => Just(ScriptOp::CloseSession),
        2 => (0..500u64).prop_map(|ms| ScriptOp::Think { ms }),
    ]
}

/// One scripted client: up to `max_ops` steps, starting within the first second.
pub fn script(max_ops: usize) -> impl Strategy<Value = Script> {
    (0..1_000u64, proptest::collection::vec(script_op(), 1..=max_ops))
        .prop_map(|(start_ms, ops)| Script { start_ms, ops })
}

/// `scenario`, plus one to four scripted clients (the first creates `/s`, so the others'
/// requests mostly land).
pub fn scenario_with_scripts(nodes: RangeInclusive<u8>) -> impl Strategy<Value = Scenario> {
    (scenario(nodes), proptest::collection::vec(script(30), 1..=4)).prop_map(|(mut s, mut scripts)| {
        let root = ScriptOp::Create { path: ZPath::parse("/s").expect("valid path"), data: String::new(), mode: None };
        scripts[0].ops.insert(0, root);
        s.clients.scripts = scripts;
        s
    })
}
