//! `zabsim sweep`: a grid of runs measured into a results file for `zabsim report`, or one
//! run of it (`--run KEY`, the replay command of a run that broke a safety property).

use super::run::print_report;
use super::usage_error;
use crate::campaign::sweep::{measure, Grid, Point};
use crate::engine::TraceMode;
use crate::trace::Sink;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// The grid (JSON); defaults live in scenarios/sweeps/.
    grid: PathBuf,
    /// Where the results go (JSON, input of `zabsim report`).
    #[arg(long, default_value = "results.json")]
    out: PathBuf,
    /// Run one run of the grid alone and print its report:
    /// `nodes=5,fault=leader_crash,delay_us=300,finalize_wait_ms=200,fsync_us=5000,tick_time_ms=2000,seed=7`
    /// (a violation's replay command names it).
    #[arg(long, value_name = "KEY")]
    run: Option<String>,
    /// With --run: print the run as a server log first.
    #[arg(long, requires = "run")]
    describe: bool,
    /// Clients for every run (overriding the grid's `clients`): the client-visible window and
    /// the client timeline are measured from their operations.
    #[command(flatten)]
    clients: super::clients::ClientArgs,
}

/// `zabsim sweep`: returns the exit code (1 when a run broke a safety property).
pub(crate) fn sweep(args: SweepArgs) -> i32 {
    let text = match std::fs::read_to_string(&args.grid) {
        Ok(t) => t,
        Err(e) => return usage_error(format!("{}: cannot read: {e}", args.grid.display())),
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let mut grid: Grid = match serde_path_to_error::deserialize(&mut de) {
        Ok(g) => g,
        Err(e) => return usage_error(format!("{}: {}: {}", args.grid.display(), e.path(), e.inner())),
    };
    if let Err(e) = grid.validate() {
        return usage_error(format!("{}: {e}", args.grid.display()));
    }
    args.clients.apply_to(&mut grid.clients);
    let prefix = format!("zabsim sweep {}{}", args.grid.display(), args.clients.flags());
    if let Some(key) = &args.run {
        return run_one(&grid, &prefix, key, args.describe);
    }
    let command = format!("{prefix} --out {}", args.out.display());
    let name = args.grid.file_stem().map_or("grid".into(), |s| s.to_string_lossy().into_owned());
    let clock = crate::wallclock::Stopwatch::start();
    let results = crate::campaign::sweep::sweep(&grid, &name, &command, &prefix);
    let text = serde_json::to_string(&results).expect("results serialize") + "\n";
    if let Err(e) = std::fs::write(&args.out, text) {
        return usage_error(format!("{}: cannot write: {e}", args.out.display()));
    }
    let never: usize = results.runs.iter().filter(|r| r.fault != "none" && r.converge_after_heal_us.is_none()).count();
    crate::say!(
        "{} runs ({} grid points x {} seeds) in {:.1} wall seconds; {} never converged after the heal",
        results.runs.len(),
        grid.points().len(),
        grid.seeds,
        clock.elapsed_secs(),
        never
    );
    crate::say!("results: {}", args.out.display());
    crate::say!("charts: zabsim report {} --out report/", args.out.display());
    print_violations(&results)
}

/// Prints every run that broke a safety property; returns the exit code (1 if any did).
pub(crate) fn print_violations(results: &zabsim_reports::schema::SweepResults) -> i32 {
    let broken: Vec<_> = results.runs.iter().filter_map(|r| r.violation.as_ref()).collect();
    if broken.is_empty() {
        crate::say!("no safety violations");
        return 0;
    }
    crate::say!(
        "SAFETY VIOLATIONS: {} of {} runs (their measurements describe a broken ensemble)",
        broken.len(),
        results.runs.len()
    );
    for v in broken {
        crate::say!("  {}", v.detail);
        crate::say!("    replay: {}", v.replay);
    }
    1
}

fn run_one(grid: &Grid, prefix: &str, key: &str, describe: bool) -> i32 {
    let (point, seed) = match Point::parse_key(key) {
        Ok(p) => p,
        Err(e) => return usage_error(format!("--run: {e}")),
    };
    let trace = if describe {
        TraceMode::To(Sink::Describe(Box::new(std::io::BufWriter::new(std::io::stdout()))))
    } else {
        TraceMode::Hash
    };
    let (_, report) = measure(grid, &point, seed, trace);
    print_report(&report, &format!("{prefix} --run {key}"));
    if report.passed() {
        0
    } else {
        1
    }
}
