//! A comparison as the reports crate draws it (`zabsim conform --out DIR`): plain values, so
//! the reports never need the simulator's types.

use super::case::Action;
use super::compare::{Comparison, Recording, Spread};
use super::outcome::Outcome;
use zabsim_reports::conform::{ConformCase, ConformReport, ConformRow, ConformSpread, ConformSummary};

/// The report of one recording's comparison, `command` being what produced it.
pub fn to_report(rec: &Recording, c: &Comparison, command: &str) -> ConformReport {
    ConformReport { command: command.to_string(), cases: vec![to_case(rec, c)] }
}

/// One case: the real trials' and the free runs' recovery times, a row per real trial.
pub fn to_case(rec: &Recording, c: &Comparison) -> ConformCase {
    let measured = match c.case.action {
        Action::KillLeader => "from the SIGKILL of the leader until every survivor is in broadcast",
        Action::ColdStart => "from the first server's start until every server is in broadcast",
    };
    let leader = |o: &Outcome| o.leader_after;
    let rows: Vec<ConformRow> = c
        .rows
        .iter()
        .enumerate()
        .map(|(trial, r)| ConformRow {
            trial,
            real_leader: leader(&r.real),
            sim_leader: leader(&r.model),
            real_ms: r.real.recovery_ms(),
            sim_ms: r.model.recovery_ms(),
            real_decision_ms: r.real.decision_ms(),
            real_syncs: r
                .real
                .servers
                .iter()
                .filter_map(|s| Some(format!("s{}:{}", s.sid, s.sync.as_ref()?)))
                .collect(),
        })
        .collect();
    ConformCase {
        name: c.case.name(),
        measured: measured.to_string(),
        real_label: format!("ZooKeeper ({})", rec.zookeeper),
        sim_label: "zabsim, default costs".to_string(),
        real_runs: c.rows.len(),
        real_ms: c.rows.iter().filter_map(|r| r.real.recovery_ms()).collect(),
        sim_runs: usize::try_from(c.free_seeds).unwrap_or(usize::MAX),
        sim_ms: c.free_recovery_values.clone(),
        rows,
        summary: ConformSummary {
            same_leader: c.same_leader,
            same_leader_pct: c.same_leader_pct(),
            real_not_highest: c.real_not_highest,
            not_highest_matched: c.not_highest_matched,
            real_recovery: spread(&c.real_recovery),
            replay_recovery: spread(&c.replay_recovery),
            sim_recovery: spread(&c.free_recovery),
            ratio: c.recovery_ratio(),
            real_decision: spread(&c.real_decision),
            sim_decision: spread(&c.free_decision),
            sim_not_highest_pct: c.free_not_highest_pct,
        },
    }
}

fn spread(s: &Spread) -> ConformSpread {
    ConformSpread { n: s.n, median_ms: s.median, min_ms: s.min, max_ms: s.max }
}
