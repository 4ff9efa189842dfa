//! The `zabsim` command line: parsing, one file per command (`run.rs`, `fuzz.rs`, `sweep.rs`,
//! `report.rs`, `export.rs`, `bench.rs`), and loading scenario files with errors that name the
//! field. Exit codes: 0 all good, 1 a property was violated, 2 bad input or usage.

mod bench;
mod clients;
pub mod conform;
pub mod export;
pub mod fuzz;
pub mod report;
mod run;
mod sweep;

use bench::BenchArgs;
use run::{ReplayArgs, RunArgs};
use sweep::SweepArgs;

use crate::scenario::validate::validate;
use crate::scenario::Scenario;
use clap::{Parser, Subcommand};

/// A deterministic simulation testbed for ZooKeeper's leader election and Zab.
#[derive(Parser, Debug)]
#[command(
    name = "zabsim",
    version,
    about = "A deterministic simulation testbed for ZooKeeper's leader election (FLE) and Zab.\n\
             Without a command: the default campaign (2,000 fuzz seeds over 3- and 5-server clusters).",
    after_help = "Examples:\n  \
        zabsim run --nodes 5 --seed 7 --faults random --describe\n  \
        zabsim run scenarios/leader-crash.json --trace out.jsonl\n  \
        zabsim export out.jsonl --format chrome --out out.json\n  \
        zabsim replay zabsim-out/failures/<file>.json\n  \
        zabsim fuzz --nodes 3..7 --time 60s --variant zk-4646\n  \
        zabsim sweep scenarios/sweeps/default.json --out results.json\n\n\
        Exit codes: 0 all good, 1 a property was violated, 2 bad input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one simulation: a scenario file, or a cluster and a seed.
    Run(RunArgs),
    /// Replay a scenario or a saved failure as a readable server log, and prove it is the same
    /// run when the file recorded a trace hash.
    Replay(ReplayArgs),
    /// Fuzz: many seeds of random faults in parallel; failures are shrunk and saved.
    Fuzz(crate::cli::fuzz::FuzzArgs),
    /// Run a grid (cluster size, delay, fault kind, fsync, tickTime, finalizeWait) x seeds and
    /// record per run the FLE decision time, the time to a new leader and to every server in
    /// broadcast, client unavailability and commit latency.
    Sweep(SweepArgs),
    /// Charts and an HTML page from sweep results, or a timeline and space-time diagram of one
    /// run's trace.
    Report(crate::cli::report::ReportArgs),
    /// Convert a JSON-lines trace to Chrome trace event JSON (Perfetto) or a ShiViz log.
    Export(crate::cli::export::ExportArgs),
    /// Combine shard summaries (fuzz --shard K/N) into the summary of the whole campaign.
    Merge(crate::cli::fuzz::MergeArgs),
    /// Engine speed figures for the README.
    Bench(BenchArgs),
    /// Run real ZooKeeper 3.8 and the model on the same schedule and compare them (leader
    /// elected, election and recovery times); `--recorded FILE` compares checked-in trials.
    Conform(crate::cli::conform::ConformArgs),
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        None => crate::cli::fuzz::default_campaign(),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Replay(args)) => run::replay(args),
        Some(Command::Fuzz(args)) => crate::cli::fuzz::fuzz(args),
        Some(Command::Merge(args)) => crate::cli::fuzz::merge(args),
        Some(Command::Bench(args)) => bench::bench(args),
        Some(Command::Sweep(args)) => sweep::sweep(args),
        Some(Command::Report(args)) => crate::cli::report::report(args),
        Some(Command::Export(args)) => crate::cli::export::export(args),
        Some(Command::Conform(args)) => crate::cli::conform::conform(args),
    }
}

/// The scenario a `zabsim run ...` command line runs (the `found_by` line of a saved
/// failure, the replay line a run prints), parsed and built by the very code `zabsim run`
/// uses, without running it. The error is what `zabsim run` would print before exiting 2.
pub fn scenario_of_run_command(command: &str) -> Result<Scenario, String> {
    let cli = Cli::try_parse_from(command.split_whitespace()).map_err(|e| e.to_string())?;
    match cli.command {
        Some(Command::Run(args)) => run::scenario_of(&args),
        _ => Err(format!("expected a `zabsim run` command, got `{command}`")),
    }
}

pub(crate) fn usage_error(message: impl std::fmt::Display) -> i32 {
    eprintln!("zabsim: {message}");
    2
}

/// Reads and validates a scenario file, naming the file, the field and what was expected.
pub fn load_scenario(path: &std::path::Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let scenario: Scenario = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." || at == "?" { String::new() } else { format!("{at}: ") };
        let inner = e.inner();
        let message = inner.to_string();
        format!(
            "{}: {at}{} (line {} column {})",
            path.display(),
            strip_position(&message),
            inner.line(),
            inner.column()
        )
    })?;
    de.end().map_err(|e| format!("{}: {e}", path.display()))?;
    validate(&scenario).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(scenario)
}

/// serde_json appends " at line L column C" to its messages; zabsim prints the position once.
fn strip_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(m, _)| m)
}
