//! Fuzz campaigns: many seeds of swarm scenarios, in parallel, with a summary that does not
//! depend on the number of threads or machines.
//!
//! Seeds are grouped in blocks of `BLOCK` consecutive seeds; shard K of N runs the blocks whose
//! index is K modulo N. Each seed's outcome is a pure function of the seed and the campaign's
//! settings, outcomes are combined in seed order, and a summary records exactly which seed
//! ranges it covers, so shard summaries merge into the summary one machine would have written.

use crate::check::{Invariant, Violation};
use crate::report::{Coverage, RunReport};
use crate::scenario::random::{self, Profile};
use crate::scenario::{FaultKind, Scenario};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zabsim_protocol::Variants;

/// Seeds per block: the unit of sharding.
pub const BLOCK: u64 = 1024;

/// What a campaign runs: the same settings on every shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Cluster sizes drawn from, uniformly.
    pub nodes: Vec<u8>,
    /// Variants on (names).
    pub variants: Vec<String>,
    /// First seed of the campaign.
    pub first_seed: u64,
    /// Simulated clients in every run.
    #[serde(default, skip_serializing_if = "crate::scenario::Clients::is_off")]
    pub clients: crate::scenario::Clients,
}

impl CampaignSpec {
    /// The per-seed scenario generator's settings.
    pub fn profile(&self) -> Result<Profile, String> {
        let mut variants = Variants::default();
        for v in &self.variants {
            variants.enable(v)?;
        }
        let mut profile = Profile::swarm(self.nodes[0], self.nodes[self.nodes.len() - 1], variants);
        profile.nodes_choices = self.nodes.clone();
        profile.clients = self.clients.clone();
        Ok(profile)
    }
}

/// Which part of the seed space a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole seed space.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` (0 <= K < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text.split_once('/').ok_or_else(|| format!("expected K/N like 0/4, got '{text}'"))?;
        let index: u64 = k.trim().parse().map_err(|_| format!("expected a shard index, got '{k}'"))?;
        let count: u64 = n.trim().parse().map_err(|_| format!("expected a shard count, got '{n}'"))?;
        if count == 0 || index >= count {
            return Err(format!("expected 0 <= K < N, got {index}/{count}"));
        }
        Ok(Shard { index, count })
    }

    /// Whether `seed` of a campaign starting at `first_seed` belongs to this shard.
    pub fn owns(&self, first_seed: u64, seed: u64) -> bool {
        ((seed - first_seed) / BLOCK) % self.count == self.index
    }
}

/// The outcome of one seed, all a summary needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// Cluster size drawn.
    pub nodes: u8,
    /// Server steps.
    pub events: u64,
    /// Virtual time reached, µs.
    pub sim_us: u64,
    /// Paths covered (names with counts).
    pub coverage: BTreeMap<&'static str, u64>,
    /// The violation, if any.
    pub failure: Option<Failure>,
}

/// A failing seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// Its cluster size.
    pub nodes: u8,
    /// The broken property.
    pub invariant: Invariant,
    /// Invariant plus a coarse cause, for deduplication.
    pub fingerprint: String,
    /// The violation as reported.
    pub detail: String,
}

impl Failure {
    /// The command that runs this seed alone, exactly as the campaign ran it (the `found_by`
    /// line of a saved failure): `zabsim run --nodes N --seed S --faults swarm [--variant V]...`.
    pub fn found_by(&self, spec: &CampaignSpec) -> String {
        let variants: String = spec.variants.iter().map(|v| format!(" --variant {v}")).collect();
        let clients = match spec.clients.enabled() {
            true => format!(" --clients {} --recipe {}", spec.clients.count, spec.clients.recipe),
            false => String::new(),
        };
        format!("zabsim run --nodes {} --seed {} --faults swarm{variants}{clients}", self.nodes, self.seed)
    }
}

/// Runs one seed of the campaign.
pub fn run_seed(profile: &Profile, seed: u64) -> (Scenario, RunReport) {
    let scenario = random::scenario(seed, profile);
    let report = crate::run(scenario.clone());
    (scenario, report)
}

fn outcome(seed: u64, report: &RunReport) -> SeedOutcome {
    SeedOutcome {
        seed,
        nodes: report.nodes,
        events: report.events,
        sim_us: report.end_us,
        coverage: report.coverage.clone(),
        failure: report.violation.as_ref().map(|v| Failure {
            seed,
            nodes: report.nodes,
            invariant: v.invariant,
            fingerprint: fingerprint(v),
            detail: v.to_string(),
        }),
    }
}

/// The invariant plus a coarse cause: failures with one fingerprint are one bug, most likely.
pub fn fingerprint(violation: &Violation) -> String {
    match violation.reason {
        Some(reason) => format!("{}/{}", violation.invariant.name(), reason.name()),
        None => violation.invariant.name().to_string(),
    }
}

/// Runs `seeds` (already filtered to this shard) in parallel; results come back in seed order.
/// `stop` is polled between chunks (Ctrl-C, time budget); `progress` is told after each chunk.
pub fn run_seeds(
    profile: &Profile,
    seeds: impl Iterator<Item = u64>,
    chunk: usize,
    mut stop: impl FnMut() -> bool,
    mut progress: impl FnMut(&[SeedOutcome]),
) -> Vec<SeedOutcome> {
    let mut all = Vec::new();
    let mut seeds = seeds.peekable();
    while seeds.peek().is_some() && !stop() {
        let batch: Vec<u64> = seeds.by_ref().take(chunk).collect();
        let outcomes: Vec<SeedOutcome> = batch
            .par_iter()
            .map(|seed| {
                let (_, report) = run_seed(profile, *seed);
                outcome(*seed, &report)
            })
            .collect();
        progress(&outcomes);
        all.extend(outcomes);
    }
    all
}

/// A campaign's (or a shard's) result. Wall-clock figures are deliberately not part of it:
/// two machines running the same seeds write the same summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// The campaign's settings.
    pub spec: Option<CampaignSpec>,
    /// Seeds covered, as sorted, disjoint, half-open ranges.
    pub seed_ranges: Vec<(u64, u64)>,
    /// Number of seeds run.
    pub seeds: u64,
    /// Server steps, all seeds.
    pub events: u64,
    /// Virtual time simulated, all seeds, in microseconds.
    pub simulated_us: u64,
    /// Failing seeds per invariant.
    pub failures_by_invariant: BTreeMap<String, u64>,
    /// Every failing seed, in seed order.
    pub failures: Vec<Failure>,
    /// The first seed of each fingerprint: the failures worth shrinking and reading.
    pub unique_failures: Vec<Failure>,
    /// For each covered path, how many seeds took it.
    pub coverage_seeds: BTreeMap<String, u64>,
    /// For each covered path, how often it happened in all.
    pub coverage_events: BTreeMap<String, u64>,
    /// Whether the campaign stopped early (Ctrl-C) before its planned seeds.
    pub interrupted: bool,
}

impl Summary {
    /// The summary of `outcomes` (in any order).
    pub fn from_outcomes(spec: &CampaignSpec, outcomes: &[SeedOutcome], interrupted: bool) -> Summary {
        let mut s = Summary { spec: Some(spec.clone()), interrupted, ..Summary::default() };
        let mut seeds: Vec<u64> = outcomes.iter().map(|o| o.seed).collect();
        seeds.sort_unstable();
        s.seed_ranges = ranges(&seeds);
        for o in outcomes {
            s.seeds += 1;
            s.events += o.events;
            s.simulated_us += o.sim_us;
            for (k, v) in &o.coverage {
                *s.coverage_seeds.entry(k.to_string()).or_default() += 1;
                *s.coverage_events.entry(k.to_string()).or_default() += v;
            }
            if let Some(f) = &o.failure {
                s.failures.push(f.clone());
            }
        }
        s.normalize();
        s
    }

    /// Sorts failures by seed and recomputes what derives from them.
    fn normalize(&mut self) {
        self.failures.sort_by_key(|f| f.seed);
        self.failures_by_invariant.clear();
        self.unique_failures.clear();
        for f in &self.failures {
            *self.failures_by_invariant.entry(f.invariant.name().to_string()).or_default() += 1;
            if !self.unique_failures.iter().any(|u| u.fingerprint == f.fingerprint) {
                self.unique_failures.push(f.clone());
            }
        }
    }

    /// Combines shard summaries of one campaign into the summary of all their seeds.
    pub fn merge(parts: &[Summary]) -> Result<Summary, String> {
        let spec = parts.iter().find_map(|p| p.spec.clone());
        if let Some(spec) = &spec {
            if let Some(other) = parts.iter().filter_map(|p| p.spec.as_ref()).find(|p| *p != spec) {
                return Err(format!(
                    "summaries of different campaigns: {} vs {}",
                    serde_json::to_string(spec).unwrap_or_default(),
                    serde_json::to_string(other).unwrap_or_default()
                ));
            }
        }
        let mut all: Vec<(u64, u64)> = parts.iter().flat_map(|p| p.seed_ranges.iter().copied()).collect();
        all.sort_unstable();
        if let Some(w) = all.windows(2).find(|w| w[1].0 < w[0].1) {
            return Err(format!("shards overlap: seeds {}..{} and {}..{}", w[0].0, w[0].1, w[1].0, w[1].1));
        }
        let mut merged = Summary { spec, ..Summary::default() };
        merged.seed_ranges = coalesce(all);
        for p in parts {
            merged.seeds += p.seeds;
            merged.events += p.events;
            merged.simulated_us += p.simulated_us;
            merged.failures.extend(p.failures.iter().cloned());
            merged.interrupted |= p.interrupted;
            for (k, v) in &p.coverage_seeds {
                *merged.coverage_seeds.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &p.coverage_events {
                *merged.coverage_events.entry(k.clone()).or_default() += v;
            }
        }
        merged.normalize();
        Ok(merged)
    }
}

/// Sorted seeds as half-open ranges of consecutive seeds.
fn ranges(sorted: &[u64]) -> Vec<(u64, u64)> {
    coalesce(sorted.iter().map(|s| (*s, s + 1)).collect())
}

fn coalesce(sorted: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (lo, hi) in sorted {
        match out.last_mut() {
            Some(last) if last.1 == lo => last.1 = hi,
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// Every fault kind and protocol path, in that order: the printed summary and the campaign
/// report list them all, zero when never seen, so a kind or path a campaign never reached is
/// visible. Derived from the enums, so a new variant is listed without another edit.
pub fn listed_coverage() -> impl Iterator<Item = &'static str> {
    use strum::IntoEnumIterator;
    FaultKind::iter().map(FaultKind::name).chain(Coverage::iter().map(Coverage::name))
}
