//! Real ZooKeeper against zabsim on one case: per real trial, the model replaying that trial's
//! measured start and shutdown times (does it elect the same server?), and the model running
//! free over many seeds with its default costs (does it take as long?).

use super::case::Case;
use super::model;
use super::outcome::{Outcome, ServerTimes};
use serde::{Deserialize, Serialize};

/// Real trials of one case, as `zabsim conform --record` writes them (scenarios/conform/).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    /// The schedule.
    pub case: Case,
    /// The ZooKeeper package the trials ran (`dpkg -s zookeeper`).
    pub zookeeper: String,
    /// Java, machine and load when recorded.
    pub environment: String,
    /// The trials, in order.
    pub trials: Vec<Outcome>,
}

/// Median, smallest and largest of a set of times, ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Values.
    pub n: usize,
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (all zero when empty).
    pub fn of(mut values: Vec<f64>) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
        Spread { n, median, min: values[0], max: values[n - 1] }
    }
}

/// One real trial beside the model's replay of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The real trial.
    pub real: Outcome,
    /// The model replaying its measured times (seed = trial index).
    pub model: Outcome,
}

impl Row {
    /// Both ended with the same leader.
    pub fn same_leader(&self) -> bool {
        self.real.leader_after.is_some() && self.real.leader_after == self.model.leader_after
    }

    /// Learners both synced the same way at the cold start before the kill, and how many the
    /// real trial recorded (none for a recording without its cold start).
    pub fn cold_syncs_matched(&self) -> (usize, usize) {
        let (Some(real), Some(model)) = (&self.real.cold_start, &self.model.cold_start) else { return (0, 0) };
        let synced: Vec<&ServerTimes> = real.iter().filter(|t| t.sync.is_some()).collect();
        let same = synced.iter().filter(|t| model.iter().any(|m| m.sid == t.sid && m.sync == t.sync)).count();
        (same, synced.len())
    }
}

/// The learners a cold start SNAPped (`s1`), or `-`.
fn cold_snaps(o: &Outcome) -> String {
    let snapped: Vec<String> = o
        .cold_start
        .iter()
        .flatten()
        .filter(|t| t.sync.as_deref() == Some("SNAP"))
        .map(|t| format!("s{}", t.sid))
        .collect();
    if snapped.is_empty() {
        "-".to_string()
    } else {
        snapped.join(",")
    }
}

/// The whole comparison of one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The case.
    pub case: Case,
    /// Per real trial.
    pub rows: Vec<Row>,
    /// Real trials whose leader the replay matched.
    pub same_leader: usize,
    /// Real trials that did not elect the highest surviving sid, and how many of those the
    /// replay matched.
    pub real_not_highest: usize,
    /// Of those, matched.
    pub not_highest_matched: usize,
    /// Recovery (kill to every survivor in broadcast) or cold start (first start to all in
    /// broadcast): real.
    pub real_recovery: Spread,
    /// The same, the model replaying each real trial.
    pub replay_recovery: Spread,
    /// The same, the model running free with default costs over `free_seeds` seeds.
    pub free_recovery: Spread,
    /// Free-running model runs.
    pub free_seeds: u64,
    /// Share of free runs whose new leader was not the highest surviving sid, percent.
    pub free_not_highest_pct: f64,
    /// FLE decision time per counted server (LOOKING to FOLLOWING/LEADING): real.
    pub real_decision: Spread,
    /// The same, model running free.
    pub free_decision: Spread,
    /// From the first decision to the last server in broadcast: real.
    pub real_after_decision: Spread,
    /// The same, model running free.
    pub free_after_decision: Spread,
    /// Every free-run recovery time, ms (for the CDF chart).
    pub free_recovery_values: Vec<f64>,
    /// kill_leader recordings with their cold start: learners the replay synced at the cold
    /// start as the real ensemble did, of those recorded.
    #[serde(default)]
    pub cold_syncs_matched: (usize, usize),
}

impl Comparison {
    /// free median / real median.
    pub fn recovery_ratio(&self) -> f64 {
        if self.real_recovery.median > 0.0 {
            self.free_recovery.median / self.real_recovery.median
        } else {
            0.0
        }
    }

    /// Share of real trials whose leader the replay matched, percent.
    pub fn same_leader_pct(&self) -> f64 {
        if self.rows.is_empty() {
            0.0
        } else {
            100.0 * self.same_leader as f64 / self.rows.len() as f64
        }
    }
}

/// Compares a recording with the model: a replay per trial, and `free_seeds` free runs.
pub fn compare(rec: &Recording, free_seeds: u64) -> Comparison {
    let rows: Vec<Row> = rec
        .trials
        .iter()
        .enumerate()
        .map(|(i, real)| Row { real: real.clone(), model: model::run(&rec.case, i as u64, Some(real)) })
        .collect();
    let same_leader = rows.iter().filter(|r| r.same_leader()).count();
    let not_highest: Vec<&Row> = rows
        .iter()
        .filter(|r| r.real.leader_after.is_some() && r.real.leader_after != r.real.highest_counted())
        .collect();
    let free: Vec<Outcome> = (0..free_seeds).map(|seed| model::run(&rec.case, seed, None)).collect();
    let free_not_highest = free.iter().filter(|o| o.leader_after != o.highest_counted()).count();
    Comparison {
        case: rec.case.clone(),
        same_leader,
        real_not_highest: not_highest.len(),
        not_highest_matched: not_highest.iter().filter(|r| r.same_leader()).count(),
        real_recovery: Spread::of(rec.trials.iter().filter_map(Outcome::recovery_ms).collect()),
        replay_recovery: Spread::of(rows.iter().filter_map(|r| r.model.recovery_ms()).collect()),
        free_recovery: Spread::of(free.iter().filter_map(Outcome::recovery_ms).collect()),
        free_seeds,
        free_not_highest_pct: 100.0 * free_not_highest as f64 / free_seeds.max(1) as f64,
        real_decision: Spread::of(rec.trials.iter().flat_map(Outcome::decision_ms).collect()),
        free_decision: Spread::of(free.iter().flat_map(Outcome::decision_ms).collect()),
        real_after_decision: Spread::of(rec.trials.iter().filter_map(Outcome::after_decision_ms).collect()),
        free_after_decision: Spread::of(free.iter().filter_map(Outcome::after_decision_ms).collect()),
        free_recovery_values: free.iter().filter_map(Outcome::recovery_ms).collect(),
        cold_syncs_matched: rows
            .iter()
            .map(Row::cold_syncs_matched)
            .fold((0, 0), |(a, b), (same, of)| (a + same, b + of)),
        rows,
    }
}

/// The comparison as the text `zabsim conform` prints: a row per trial, then the summary.
pub fn render(c: &Comparison) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let name = c.case.name();
    let _ = writeln!(out, "{name}: {} real trials", c.rows.len());
    let cold = c.rows.iter().any(|r| r.real.cold_start.is_some());
    let cold_head = if cold { "  cold SNAP real/sim" } else { "" };
    let _ = writeln!(out, "trial  real leader  sim leader  real ms  sim ms  real decision ms  real syncs{cold_head}");
    for (i, r) in c.rows.iter().enumerate() {
        let leader = |o: &Outcome| o.leader_after.map_or("-".to_string(), |l| format!("s{l}"));
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
        let decisions: Vec<String> = r.real.decision_ms().iter().map(|d| format!("{d:.0}")).collect();
        let syncs: Vec<String> =
            r.real.servers.iter().filter_map(|s| s.sync.as_ref().map(|m| format!("s{}:{m}", s.sid))).collect();
        let cold_col = if cold { format!("  {}/{}", cold_snaps(&r.real), cold_snaps(&r.model)) } else { String::new() };
        let _ = writeln!(
            out,
            "{i:>5}  {:>11}  {:>10}  {:>7}  {:>6}  {:>16}  {}{cold_col}",
            leader(&r.real),
            leader(&r.model),
            ms(r.real.recovery_ms()),
            ms(r.model.recovery_ms()),
            decisions.join(","),
            syncs.join(" ")
        );
    }
    let spread = |s: &Spread| format!("median {:.0} ms ({:.0}-{:.0}, n={})", s.median, s.min, s.max, s.n);
    let _ = writeln!(
        out,
        "same leader as real: {}/{} ({:.0}%); real did not elect the highest surviving sid in {}, the replay matched {}",
        c.same_leader,
        c.rows.len(),
        c.same_leader_pct(),
        c.real_not_highest,
        c.not_highest_matched
    );
    if cold {
        let (same, of) = c.cold_syncs_matched;
        let _ = writeln!(out, "cold start before the kill, replayed: {same}/{of} learners synced as in the real trial");
    }
    let _ = writeln!(out, "recovery, real:          {}", spread(&c.real_recovery));
    let _ = writeln!(out, "recovery, sim replaying: {}", spread(&c.replay_recovery));
    let _ = writeln!(
        out,
        "recovery, sim free:      {} over {} seeds; ratio sim/real {:.2}",
        spread(&c.free_recovery),
        c.free_seeds,
        c.recovery_ratio()
    );
    let _ = writeln!(out, "FLE decision, real:      {}", spread(&c.real_decision));
    let _ = writeln!(out, "FLE decision, sim free:  {}", spread(&c.free_decision));
    let _ = writeln!(out, "after decision, real:    {}", spread(&c.real_after_decision));
    let _ = writeln!(out, "after decision, sim free:{}", spread(&c.free_after_decision));
    let _ = writeln!(
        out,
        "sim free elected a lower sid than the highest survivor in {:.0}% of runs",
        c.free_not_highest_pct
    );
    out
}
