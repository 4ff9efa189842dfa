//! `zabsim fuzz`, `zabsim merge` and the default campaign: the command-line side of
//! `fuzz.rs` (threads, progress bar, Ctrl-C, time budget, shrinking, output files).

use crate::campaign::determinism::SharedBuffer;
use crate::campaign::fuzz::{self, CampaignSpec, Failure, SeedOutcome, Shard, Summary};
use crate::campaign::shrink::shrink;
use crate::cli::usage_error;
use crate::engine::{Sim, TraceMode};
use crate::scenario::{Expect, Recorded, Scenario};
use crate::trace::Sink;
use crate::wallclock::Stopwatch;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `zabsim fuzz` options.
#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// Cluster sizes: a range `3..7` or a list `3,5`.
    #[arg(long, default_value = "3..7")]
    nodes: String,
    /// How many seeds (the whole campaign, before sharding); 10,000 without --seeds or --time.
    #[arg(long, conflicts_with = "time")]
    seeds: Option<u64>,
    /// Run until this much wall time has passed: `60s`, `5m`, `1h`.
    #[arg(long)]
    time: Option<String>,
    /// First seed of the campaign.
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run shard K of N (0-based); defaults to JOB_COMPLETION_INDEX/JOB_COMPLETIONS when set.
    #[arg(long)]
    shard: Option<String>,
    /// Turn on a known-bug variant (README.md, "Known-bug variants"); repeatable.
    #[arg(long = "variant", value_parser = clap::builder::PossibleValuesParser::new(zabsim_protocol::Variants::ALL_NAMES))]
    variants: Vec<String>,
    /// Where the summary and the shrunk failures go.
    #[arg(long, default_value = "zabsim-out")]
    out: PathBuf,
    /// Wall seconds to spend shrinking each distinct failure.
    #[arg(long, default_value_t = 20.0)]
    shrink_secs: f64,
    /// Save failures as found, without shrinking.
    #[arg(long)]
    no_shrink: bool,
    /// Stop at the first failing chunk of seeds.
    #[arg(long)]
    stop_on_failure: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    clients: super::clients::ClientArgs,
}

/// `zabsim merge` options.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard summaries (summary.json files written by `fuzz --shard K/N`).
    #[arg(required = true)]
    summaries: Vec<PathBuf>,
    /// Write the merged summary here (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `cargo run --release` with no arguments: a short fuzz over 3- and 5-server clusters, then
/// a small sweep of the default grid drawn as a report.
pub fn default_campaign() -> i32 {
    let outcome = fuzz_outcome(FuzzArgs {
        nodes: "3,5".into(),
        seeds: Some(2_000),
        time: None,
        first_seed: 0,
        jobs: None,
        shard: None,
        variants: Vec::new(),
        out: PathBuf::from("zabsim-out"),
        shrink_secs: 20.0,
        no_shrink: false,
        stop_on_failure: false,
        json: false,
        clients: Default::default(),
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(code) => return code,
    };
    let campaign = campaign_view("zabsim (default campaign: fuzz --nodes 3,5 --seeds 2000 --out zabsim-out)", &outcome);
    match campaign_report(Path::new("zabsim-out"), &campaign) {
        Ok((index, sweep_code)) => {
            crate::say!(
                "report: {} (zabsim report zabsim-out/results.json --out DIR redraws the sweep)",
                index.display()
            );
            outcome.code.max(sweep_code)
        }
        Err(e) => {
            eprintln!("zabsim: the campaign report could not be written: {e}");
            outcome.code
        }
    }
}

/// The campaign as the report page shows it.
fn campaign_view(command: &str, o: &FuzzOutcome) -> zabsim_reports::schema::CampaignSummary {
    let s = &o.summary;
    zabsim_reports::schema::CampaignSummary {
        command: command.to_string(),
        seeds: s.seeds,
        events: s.events,
        simulated_us: s.simulated_us,
        wall_seconds: o.wall_secs,
        coverage: fuzz::listed_coverage()
            .map(|k| (k.to_string(), s.coverage_seeds.get(k).copied().unwrap_or(0)))
            .collect(),
        failures: o
            .saved
            .iter()
            .map(|f| zabsim_reports::schema::CampaignFailure {
                fingerprint: f.failure.fingerprint.clone(),
                seed: f.failure.seed,
                nodes: f.failure.nodes,
                detail: f.failure.detail.clone(),
                replay: format!("zabsim replay {}", f.path.display()),
            })
            .collect(),
        failing_seeds: s.failures.len() as u64,
    }
}

/// The default grid (scenarios/sweeps/default.json) with 25 seeds per point, measured and
/// drawn under `out/report/` after the campaign's summary; returns the page and the sweep's
/// exit code (1 when a run broke a safety property).
fn campaign_report(out: &Path, campaign: &zabsim_reports::schema::CampaignSummary) -> Result<(PathBuf, i32), String> {
    let mut grid: crate::campaign::sweep::Grid =
        serde_json::from_str(include_str!("../../../scenarios/sweeps/default.json")).map_err(|e| e.to_string())?;
    grid.seeds = 25;
    let results_path = out.join("results.json");
    let command = "zabsim (default campaign: scenarios/sweeps/default.json with 25 seeds per point)";
    let results =
        crate::campaign::sweep::sweep(&grid, "default", command, "zabsim sweep scenarios/sweeps/default.json");
    let text = serde_json::to_string(&results).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&results_path, text).map_err(|e| format!("{}: {e}", results_path.display()))?;
    let dir = out.join("report");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    zabsim_reports::render_campaign(&results, campaign, &dir).map_err(|e| e.to_string())?;
    Ok((dir.join("index.html"), crate::cli::sweep::print_violations(&results)))
}

/// Parses `3..7` (inclusive) or `3,5,7`.
pub fn parse_nodes(text: &str) -> Result<Vec<u8>, String> {
    let parse = |t: &str| -> Result<u8, String> {
        match t.trim().parse::<u8>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("--nodes: expected cluster sizes in 1..=255, got '{}'", t.trim())),
        }
    };
    let nodes: Vec<u8> = if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (parse(a)?, parse(b.trim_start_matches('='))?);
        if a > b {
            return Err(format!("--nodes: expected A..B with A <= B, got '{text}'"));
        }
        (a..=b).collect()
    } else {
        text.split(',').map(parse).collect::<Result<_, _>>()?
    };
    let mut nodes = nodes;
    nodes.sort_unstable();
    nodes.dedup();
    Ok(nodes)
}

/// Parses a wall-time budget into seconds: `60s`, `5m`, `2h`, `1h 30m` (humantime's units,
/// `ms` to `d`), or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let parsed = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        // A bare number has always meant seconds.
        t.parse::<u64>().map(std::time::Duration::from_secs).map_err(|e| e.to_string())
    } else {
        humantime::parse_duration(t).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d.as_secs_f64()),
        Ok(_) => Err(format!("--time: expected a positive duration, got '{text}'")),
        Err(e) => Err(format!("--time: expected a duration like 60s, 5m or 1h, got '{text}': {e}")),
    }
}

fn shard_from(args: &FuzzArgs) -> Result<Shard, String> {
    if let Some(text) = &args.shard {
        return Shard::parse(text).map_err(|e| format!("--shard: {e}"));
    }
    // Kubernetes Indexed Jobs hand each pod its index and the completion count.
    match (std::env::var("JOB_COMPLETION_INDEX"), std::env::var("JOB_COMPLETIONS")) {
        (Ok(k), Ok(n)) => {
            Shard::parse(&format!("{k}/{n}")).map_err(|e| format!("JOB_COMPLETION_INDEX/JOB_COMPLETIONS: {e}"))
        }
        (Ok(_), Err(_)) => {
            Err("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set both, or pass --shard K/N".into())
        }
        _ => Ok(Shard::ALL),
    }
}

/// `zabsim fuzz`.
pub fn fuzz(args: FuzzArgs) -> i32 {
    match fuzz_outcome(args) {
        Ok(o) => o.code,
        Err(code) => code,
    }
}

/// What a campaign found, for the default campaign's report.
struct FuzzOutcome {
    /// The exit code.
    code: i32,
    summary: Summary,
    /// Wall seconds the seeds took, shrinking excluded.
    wall_secs: f64,
    saved: Vec<Saved>,
}

/// `zabsim fuzz`, returning what it found; a usage error is its exit code.
fn fuzz_outcome(args: FuzzArgs) -> Result<FuzzOutcome, i32> {
    let nodes = parse_nodes(&args.nodes).map_err(usage_error)?;
    let budget_secs = args.time.as_deref().map(parse_duration).transpose().map_err(usage_error)?;
    let shard = shard_from(&args).map_err(usage_error)?;
    let mut clients = crate::scenario::Clients::default();
    args.clients.apply_to(&mut clients);
    let spec = CampaignSpec { nodes, variants: args.variants.clone(), first_seed: args.first_seed, clients };
    let profile = spec.profile().map_err(|e| usage_error(format!("--variant: {e}")))?;
    if args.jobs == Some(0) {
        return Err(usage_error("--jobs: expected at least 1"));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| usage_error(format!("--jobs: {e}")))?;
    if let Err(e) = std::fs::create_dir_all(args.out.join("failures")) {
        return Err(usage_error(format!("{}: cannot create the output folder: {e}", args.out.display())));
    }
    let planned = if budget_secs.is_some() { None } else { Some(args.seeds.unwrap_or(10_000)) };
    let first = args.first_seed;
    let end = planned.map_or(u64::MAX, |n| first.saturating_add(n));
    let seeds = (first..end).filter(move |s| shard.owns(first, *s));
    let shard_total = planned.map(|n| (first..first + n).filter(|s| shard.owns(first, *s)).count() as u64);

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // A second Ctrl-C while we are saving kills the process the usual way.
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    }
    let bar = match shard_total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} seeds  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let clock = Stopwatch::start();
    let failures_seen = std::sync::atomic::AtomicU64::new(0);
    // A fixed chunk, so that where a --stop-on-failure or Ctrl-C stop lands does not depend
    // on --jobs.
    let chunk = 256;
    let stop_on_failure = args.stop_on_failure;
    let outcomes: Vec<SeedOutcome> = pool.install(|| {
        fuzz::run_seeds(
            &profile,
            seeds,
            chunk,
            || {
                interrupted.load(Ordering::SeqCst)
                    || budget_secs.is_some_and(|b| clock.elapsed_secs() >= b)
                    || (stop_on_failure && failures_seen.load(Ordering::SeqCst) > 0)
            },
            |batch| {
                failures_seen.fetch_add(batch.iter().filter(|o| o.failure.is_some()).count() as u64, Ordering::SeqCst);
                bar.inc(batch.len() as u64);
                let rate = bar.position() as f64 / clock.elapsed_secs().max(1e-9);
                bar.set_message(format!("{rate:.0} seeds/s  {} failing", failures_seen.load(Ordering::SeqCst)));
            },
        )
    });
    bar.finish_and_clear();
    let wall = clock.elapsed_secs();
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let summary = Summary::from_outcomes(&spec, &outcomes, was_interrupted);

    // Shrink and save each distinct failure (not after Ctrl-C: save them as found, fast).
    let mut saved = Vec::new();
    for failure in &summary.unique_failures {
        let shrink_secs = if args.no_shrink || was_interrupted { 0.0 } else { args.shrink_secs };
        match save_failure(&args.out, &profile, failure, shrink_secs, &spec) {
            Ok(s) => saved.push(s),
            Err(e) => eprintln!("zabsim: {e}"),
        }
    }
    let summary_path = args.out.join("summary.json");
    let written = serde_json::to_string_pretty(&summary)
        .map_err(|e| e.to_string())
        .and_then(|text| std::fs::write(&summary_path, text + "\n").map_err(|e| e.to_string()));
    if let Err(e) = written {
        eprintln!("zabsim: {}: cannot write the summary: {e}", summary_path.display());
    }
    if args.json {
        crate::say!("{}", serde_json::to_string_pretty(&summary).expect("summaries serialize"));
    } else {
        print_summary(&summary, shard, wall, &saved, &summary_path);
    }
    let code = if !summary.failures.is_empty() {
        1
    } else if was_interrupted {
        130
    } else {
        0
    };
    Ok(FuzzOutcome { code, summary, wall_secs: wall, saved })
}

/// A saved failure: where it went and how it shrank.
struct Saved {
    failure: Failure,
    path: PathBuf,
    faults_before: usize,
    faults_after: usize,
    nodes_after: u8,
    shrink_secs: f64,
}

fn save_failure(
    out: &Path,
    profile: &crate::scenario::random::Profile,
    failure: &Failure,
    shrink_secs: f64,
    spec: &CampaignSpec,
) -> Result<Saved, String> {
    let (original, _) = fuzz::run_seed(profile, failure.seed);
    let shrunk = if shrink_secs > 0.0 {
        shrink(&original, failure.invariant, shrink_secs)
    } else {
        crate::campaign::shrink::Shrunk { scenario: original.clone(), attempts: 0, wall_seconds: 0.0 }
    };
    let mut scenario: Scenario = shrunk.scenario;
    let found_by = failure.found_by(spec);
    scenario.description = format!(
        "Found by the fuzzer at seed {} ({} servers, {} faults), shrunk to {} servers and {} faults. \
         It breaks {}: {}",
        failure.seed,
        failure.nodes,
        original.faults.len(),
        scenario.nodes,
        scenario.faults.len(),
        failure.invariant,
        failure.detail
    );
    // The violation found is a record, not an expectation: the file keeps the protocol's
    // promise (no violation), so replaying it fails while the bug is there.
    scenario.expect = Expect::default();
    scenario.recorded = None;
    let stem = format!("{}-seed{}", failure.fingerprint.replace('/', "-"), failure.seed);
    let trace_path = out.join("failures").join(format!("{stem}.jsonl"));
    let buffer = SharedBuffer::default();
    let report = Sim::new(scenario.clone(), TraceMode::To(Sink::Json(Box::new(buffer.clone())))).run();
    std::fs::write(&trace_path, buffer.bytes()).map_err(|e| format!("{}: {e}", trace_path.display()))?;
    scenario.recorded = Some(Recorded {
        trace_hash: report.trace_hash.clone().unwrap_or_default(),
        invariant: report.violation.as_ref().map(|v| v.invariant),
        violation: report.violation.as_ref().map(|v| v.to_string()).unwrap_or_default(),
        found_by,
    });
    let path = out.join("failures").join(format!("{stem}.json"));
    let text = serde_json::to_string_pretty(&scenario).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Saved {
        failure: failure.clone(),
        path,
        faults_before: original.faults.len(),
        faults_after: scenario.faults.len(),
        nodes_after: scenario.nodes,
        shrink_secs: shrunk.wall_seconds,
    })
}

fn print_summary(s: &Summary, shard: Shard, wall: f64, saved: &[Saved], summary_path: &Path) {
    let shard_note =
        if shard == Shard::ALL { String::new() } else { format!(" (shard {}/{})", shard.index, shard.count) };
    crate::say!(
        "zabsim fuzz{shard_note}: {} seeds, {} events, {:.0} simulated seconds in {:.1} wall seconds ({:.0} seeds/s){}",
        s.seeds,
        s.events,
        s.simulated_us as f64 / 1e6,
        wall,
        s.seeds as f64 / wall.max(1e-9),
        if s.interrupted { "; interrupted, partial results kept" } else { "" }
    );
    crate::say!("coverage (seeds in which it happened, and their share of all seeds):");
    let mut line = String::new();
    for key in fuzz::listed_coverage() {
        let n = s.coverage_seeds.get(key).copied().unwrap_or(0);
        // Tenths of a percent, in integers: the summary prints the same on every machine.
        let permille = (n * 1000).checked_div(s.seeds).unwrap_or(0);
        let cell = format!("  {key} {n} ({}.{}%)", permille / 10, permille % 10);
        if line.len() + cell.len() > 100 {
            crate::say!("{line}");
            line.clear();
        }
        line.push_str(&cell);
    }
    crate::say!("{line}");
    if s.failures.is_empty() {
        crate::say!("no violations: every invariant held and every run converged after the heal");
    } else {
        let by: Vec<String> = s.failures_by_invariant.iter().map(|(k, v)| format!("{k} x{v}")).collect();
        crate::say!("FAILURES: {} seeds ({})", s.failures.len(), by.join(", "));
        for item in saved {
            crate::say!(
                "  {} (seed {}, {} servers): shrunk to {} servers, {} of {} faults in {:.1}s",
                item.failure.fingerprint,
                item.failure.seed,
                item.failure.nodes,
                item.nodes_after,
                item.faults_after,
                item.faults_before,
                item.shrink_secs
            );
            crate::say!("    {}", item.failure.detail);
            crate::say!("    replay: zabsim replay {}", item.path.display());
        }
    }
    crate::say!("summary: {}", summary_path.display());
}

/// `zabsim merge`.
pub fn merge(args: MergeArgs) -> i32 {
    let mut parts = Vec::new();
    for path in &args.summaries {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return usage_error(format!("{}: cannot read: {e}", path.display())),
        };
        let mut de = serde_json::Deserializer::from_str(&text);
        match serde_path_to_error::deserialize::<_, Summary>(&mut de) {
            Ok(s) => parts.push(s),
            Err(e) => return usage_error(format!("{}: {}: {}", path.display(), e.path(), e.inner())),
        }
    }
    let merged = match Summary::merge(&parts) {
        Ok(m) => m,
        Err(e) => return usage_error(e),
    };
    let text = serde_json::to_string_pretty(&merged).expect("summaries serialize") + "\n";
    match &args.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                return usage_error(format!("{}: cannot write: {e}", path.display()));
            }
            crate::say!(
                "merged {} summaries: {} seeds, {} failing; written to {}",
                parts.len(),
                merged.seeds,
                merged.failures.len(),
                path.display()
            );
        }
        None => {
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    if merged.failures.is_empty() {
        0
    } else {
        1
    }
}
