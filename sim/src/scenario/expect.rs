//! What a scenario's run must show: the story of the scenario as checks on the finished run's
//! report, so that a scenario that stops telling its story fails its test instead of passing
//! silently. Every field is optional; an absent one checks nothing.

use super::validate::ScenarioError;
use super::FaultKind;
use crate::check::{Invariant, LivenessReason};
use crate::report::{Coverage, RunReport, SyncRecord};
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;
use zabsim_protocol::SyncMode;

/// Expectations of a scenario, checked against its run by `zabsim run` (exit 1 when unmet) and
/// the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Expect {
    /// The invariant the run must violate; absent: the run must violate nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<Invariant>,
    /// Why liveness must fail (`vote-cycle`, `no-leader`, `never-established`, `stuck`, ...);
    /// only with `"violation": "Liveness"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_reason: Option<LivenessReason>,
    /// A leader must be established within this many ms of the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_within_ms: Option<u64>,
    /// The server that must lead the first established epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_leader: Option<u8>,
    /// Every epoch established during the run, in order, and nothing else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaders: Option<Vec<ExpectedLeader>>,
    /// The server that leads the last established epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_leader: Option<u8>,
    /// Sync decisions that must occur, each a decision of its own (others may occur too).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub syncs: Vec<ExpectedSync>,
    /// Coverage paths the run must take (the keys of the report's `coverage`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covered: Vec<String>,
    /// Coverage paths the run must not take.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_covered: Vec<String>,
    /// At least this many txns committed by leaders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_commits: Option<u64>,
}

/// One established epoch: its leader, and optionally when it may be established.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedLeader {
    /// The server that establishes the epoch.
    pub leader: u8,
    /// The epoch.
    pub epoch: u32,
    /// Established no earlier than this, ms from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<u64>,
    /// Established no later than this, ms from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_ms: Option<u64>,
}

/// One sync decision a leader must take (`LearnerHandler.syncFollower`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSync {
    /// The deciding leader; absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<u8>,
    /// The learner synced.
    pub learner: u8,
    /// How: `DIFF`, `TRUNC` or `SNAP`.
    pub mode: SyncMode,
    /// Decided no earlier than this, ms from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<u64>,
}

/// Whether `name` is a coverage path some run can report: a fault kind or a [`Coverage`]
/// path. `covered` and `not_covered` are checked against these, so a typo is refused at load
/// time instead of passing (`not_covered`) or failing (`covered`) for the wrong reason.
pub fn is_coverage_path(name: &str) -> bool {
    coverage_names().any(|known| known == name)
}

/// Every coverage name, fault kinds first.
fn coverage_names() -> impl Iterator<Item = &'static str> {
    FaultKind::iter().map(FaultKind::name).chain(Coverage::iter().map(Coverage::name))
}

fn ms(us: u64) -> String {
    crate::format_time(us)
}

fn describe_leaders(report: &RunReport) -> String {
    if report.leaders.is_empty() {
        return "none".to_string();
    }
    let all: Vec<String> =
        report.leaders.iter().map(|l| format!("s{} epoch {} at {}", l.leader, l.epoch, ms(l.at_us))).collect();
    all.join(", ")
}

fn describe_sync(s: &SyncRecord) -> String {
    format!("s{} {} s{} at {}", s.leader, s.mode.name(), s.learner, ms(s.at_us))
}

impl ExpectedLeader {
    fn describe(&self) -> String {
        let mut text = format!("s{} epoch {}", self.leader, self.epoch);
        if let Some(a) = self.after_ms {
            text.push_str(&format!(" after {a} ms"));
        }
        if let Some(b) = self.before_ms {
            text.push_str(&format!(" before {b} ms"));
        }
        text
    }
}

impl ExpectedSync {
    fn describe(&self) -> String {
        let leader = self.leader.map_or("a leader".to_string(), |l| format!("s{l}"));
        let mode = self.mode;
        let after = self.after_ms.map_or(String::new(), |a| format!(" after {a} ms"));
        format!("{leader} {} s{}{after}", mode.name(), self.learner)
    }

    fn matches(&self, s: &SyncRecord) -> bool {
        let mode = self.mode;
        self.leader.is_none_or(|l| l == s.leader)
            && self.learner == s.learner
            && mode == s.mode
            && self.after_ms.is_none_or(|a| s.at_us >= a.saturating_mul(1000))
    }
}

impl Expect {
    /// Checks a finished run against the expectations; the error says what differed.
    pub fn check(&self, report: &RunReport) -> Result<(), String> {
        match (&self.violation, &report.violation) {
            (None, Some(v)) => return Err(format!("expected no violation, got {v}")),
            (Some(want), None) => return Err(format!("expected a {want} violation, the run passed")),
            (Some(want), Some(got)) if *want != got.invariant => {
                return Err(format!("expected a {want} violation, got {got}"))
            }
            _ => {}
        }
        if let (Some(want), Some(got)) = (self.liveness_reason, &report.violation) {
            if got.reason != Some(want) {
                let reason = got.reason.map_or("none", LivenessReason::name);
                return Err(format!("expected the liveness reason `{}`, got `{reason}`: {got}", want.name()));
            }
        }
        if let Some(within) = self.leader_within_ms {
            match report.leaders.first() {
                Some(l) if l.at_us <= within.saturating_mul(1000) => {}
                Some(l) => {
                    return Err(format!(
                        "expected a leader within {within} ms, the first was established at {}",
                        ms(l.at_us)
                    ))
                }
                None => return Err(format!("expected a leader within {within} ms, none was established")),
            }
        }
        if let Some(want) = self.first_leader {
            match report.leaders.first() {
                Some(l) if l.leader == want => {}
                Some(l) => return Err(format!("expected s{want} to lead first, s{} did", l.leader)),
                None => return Err(format!("expected s{want} to lead first, nobody led")),
            }
        }
        if let Some(want) = &self.leaders {
            let fits = want.len() == report.leaders.len()
                && want.iter().zip(&report.leaders).all(|(w, got)| {
                    w.leader == got.leader
                        && w.epoch == got.epoch
                        && w.after_ms.is_none_or(|a| got.at_us >= a.saturating_mul(1000))
                        && w.before_ms.is_none_or(|b| got.at_us <= b.saturating_mul(1000))
                });
            if !fits {
                let wanted: Vec<String> = want.iter().map(ExpectedLeader::describe).collect();
                return Err(format!(
                    "expected the established epochs [{}], got [{}]",
                    wanted.join(", "),
                    describe_leaders(report)
                ));
            }
        }
        if let Some(want) = self.final_leader {
            match report.leaders.last() {
                Some(l) if l.leader == want => {}
                _ => {
                    return Err(format!(
                        "expected s{want} to lead the last established epoch, got [{}]",
                        describe_leaders(report)
                    ))
                }
            }
        }
        // Each expected sync takes a decision of its own; the most specific expectations pick
        // first, so a wildcard cannot take the one decision a specific entry needs.
        let mut order: Vec<&ExpectedSync> = self.syncs.iter().collect();
        order.sort_by_key(|w| (w.leader.is_none(), w.after_ms.is_none()));
        let mut used = vec![false; report.syncs.len()];
        for want in order {
            match (0..report.syncs.len()).find(|i| !used[*i] && want.matches(&report.syncs[*i])) {
                Some(i) => used[i] = true,
                None => {
                    let got: Vec<String> = report.syncs.iter().map(describe_sync).collect();
                    return Err(format!("expected the sync {}, got [{}]", want.describe(), got.join(", ")));
                }
            }
        }
        for path in &self.covered {
            if !report.coverage.contains_key(path.as_str()) {
                return Err(format!("expected the run to cover `{path}`, it did not"));
            }
        }
        for path in &self.not_covered {
            if let Some(n) = report.coverage.get(path.as_str()) {
                return Err(format!("expected the run not to cover `{path}`, it did {n} time(s)"));
            }
        }
        if let Some(min) = self.min_commits {
            if report.commits < min {
                return Err(format!("expected at least {min} commits, got {}", report.commits));
            }
        }
        Ok(())
    }

    /// Checks the expectations make sense for a cluster of `nodes` servers; paths start at
    /// `expect`.
    pub fn validate(&self, nodes: u8) -> Result<(), ScenarioError> {
        let err = |path: String, message: String| Err(ScenarioError { path, message });
        let server = |path: String, id: u8| {
            if id == 0 || id > nodes {
                err(path, format!("expected a server id in 1..={nodes}, got {id}"))
            } else {
                Ok(())
            }
        };
        if let Some(reason) = self.liveness_reason {
            if self.violation != Some(Invariant::Liveness) {
                let got = self.violation.map_or("none".to_string(), |v| format!("`{v}`"));
                return err(
                    "expect.liveness_reason".into(),
                    format!("`{}` needs \"violation\": \"Liveness\", got {got}", reason.name()),
                );
            }
        }
        if let Some(id) = self.first_leader {
            server("expect.first_leader".into(), id)?;
        }
        if let Some(id) = self.final_leader {
            server("expect.final_leader".into(), id)?;
        }
        let mut last_epoch = 0;
        // A run expected to break Leadership establishes one epoch twice (zk-335).
        let twice = self.violation == Some(Invariant::Leadership);
        for (i, l) in self.leaders.iter().flatten().enumerate() {
            server(format!("expect.leaders[{i}].leader"), l.leader)?;
            if l.epoch < last_epoch || (l.epoch == last_epoch && !(twice && i > 0)) {
                return err(
                    format!("expect.leaders[{i}].epoch"),
                    format!(
                        "expected an epoch above {last_epoch} (epochs are established in increasing order), got {}",
                        l.epoch
                    ),
                );
            }
            last_epoch = l.epoch;
            if let (Some(a), Some(b)) = (l.after_ms, l.before_ms) {
                if b < a {
                    return err(
                        format!("expect.leaders[{i}].before_ms"),
                        format!("expected at least after_ms ({a}), got {b}"),
                    );
                }
            }
        }
        for (i, s) in self.syncs.iter().enumerate() {
            if let Some(l) = s.leader {
                server(format!("expect.syncs[{i}].leader"), l)?;
                if l == s.learner {
                    return err(
                        format!("expect.syncs[{i}].learner"),
                        "expected a different server than `leader`".into(),
                    );
                }
            }
            server(format!("expect.syncs[{i}].learner"), s.learner)?;
        }
        for (field, list) in [("covered", &self.covered), ("not_covered", &self.not_covered)] {
            for (i, path) in list.iter().enumerate() {
                if !is_coverage_path(path) {
                    return err(
                        format!("expect.{field}[{i}]"),
                        format!(
                            "expected a coverage path (one of {}), got `{path}`",
                            coverage_names().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
        }
        if let Some((i, path)) = self.not_covered.iter().enumerate().find(|(_, p)| self.covered.contains(p)) {
            return err(format!("expect.not_covered[{i}]"), format!("`{path}` is also in `covered`"));
        }
        Ok(())
    }
}
