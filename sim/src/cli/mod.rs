//! The `zabsim` command line: argument parsing, the default campaign, `run` and `bench`.
//! Exit codes: 0 all good, 1 a property was violated, 2 bad input or usage.

pub mod export;
pub mod fuzz;
pub mod report;

use crate::cli::export::TraceFile;
use crate::engine::{Sim, TraceMode};
use crate::report::RunReport;
use crate::scenario::random::{self, Profile};
use crate::scenario::validate::validate;
use crate::scenario::Scenario;
use crate::trace::Sink;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use zabsim_protocol::Variants;

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
    /// record election time, sync time, unavailability and commit latency per run.
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
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Scenario file (JSON); without it, a cluster of --nodes servers runs.
    scenario: Option<PathBuf>,
    /// Number of servers (1..=255).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=255))]
    nodes: Option<u8>,
    /// The seed every random choice derives from.
    #[arg(long)]
    seed: Option<u64>,
    /// Faults to inject when no scenario file is given.
    #[arg(long, value_enum, default_value_t = FaultsArg::None)]
    faults: FaultsArg,
    /// Client writes per second when no scenario file is given.
    #[arg(long)]
    writes: Option<u32>,
    /// Run length in virtual milliseconds when no scenario file is given.
    #[arg(long)]
    duration_ms: Option<u64>,
    /// Turn on a known-bug variant (zk-1419, zk-4646); repeatable.
    #[arg(long = "variant")]
    variants: Vec<String>,
    /// Write the trace here (see --trace-format).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Format of the --trace file: jsonl (schema 2), chrome (Perfetto) or shiviz.
    #[arg(long, value_enum, default_value_t, requires = "trace")]
    trace_format: crate::cli::export::TraceFormat,
    /// Print the trace as a human-readable server log on stdout.
    #[arg(long)]
    describe: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Run twice and compare the traces; name the first divergent event, if any.
    #[arg(long)]
    check_determinism: bool,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// A scenario file or a saved failure.
    file: PathBuf,
    /// Write the trace here instead of printing the server log (see --trace-format).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Format of the --trace file: jsonl (schema 2), chrome (Perfetto) or shiviz.
    #[arg(long, value_enum, default_value_t, requires = "trace")]
    trace_format: crate::cli::export::TraceFormat,
    /// Print the report as JSON (no server log).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FaultsArg {
    /// A fault-free run.
    None,
    /// Crashes, partitions, cuts, pauses and slow disks drawn from the seed, then a heal.
    Random,
    /// Like random, with the fuzzer's per-seed environment (workload, delays, disk, timing).
    Swarm,
}

#[derive(Args, Debug)]
struct SweepArgs {
    /// The grid (JSON); defaults live in scenarios/sweeps/.
    grid: PathBuf,
    /// Where the results go (JSON, input of `zabsim report`).
    #[arg(long, default_value = "results.json")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Print machine-readable figures.
    #[arg(long)]
    json: bool,
    /// Wall seconds to spend per figure.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
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
        Some(Command::Run(args)) => run(args),
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Fuzz(args)) => crate::cli::fuzz::fuzz(args),
        Some(Command::Merge(args)) => crate::cli::fuzz::merge(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Sweep(args)) => sweep(args),
        Some(Command::Report(args)) => crate::cli::report::report(args),
        Some(Command::Export(args)) => crate::cli::export::export(args),
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

fn run(args: RunArgs) -> i32 {
    let mut scenario = match &args.scenario {
        Some(path) => match load_scenario(path) {
            Ok(s) => s,
            Err(e) => return usage_error(e),
        },
        None => {
            let nodes = args.nodes.unwrap_or(5);
            let seed = args.seed.unwrap_or(0);
            match args.faults {
                FaultsArg::None => {
                    let mut s = Scenario::new(nodes, seed);
                    s.workload.writes_per_sec = args.writes.unwrap_or(0);
                    if let Some(d) = args.duration_ms {
                        s.duration_ms = d;
                    }
                    s
                }
                FaultsArg::Random => {
                    let profile = Profile {
                        nodes_min: nodes,
                        nodes_max: nodes,
                        writes_per_sec: args.writes.unwrap_or(Profile::default().writes_per_sec),
                        ..Profile::default()
                    };
                    random::scenario(seed, &profile)
                }
                FaultsArg::Swarm => {
                    let mut variants = Variants::default();
                    for v in &args.variants {
                        if let Err(e) = variants.enable(v) {
                            return usage_error(format!("--variant: {e}"));
                        }
                    }
                    random::scenario(seed, &Profile::swarm(nodes, nodes, variants))
                }
            }
        }
    };
    if args.scenario.is_some() {
        if let Some(seed) = args.seed {
            scenario.seed = seed;
        }
    }
    for v in &args.variants {
        if let Err(e) = scenario.protocol.variants.enable(v) {
            return usage_error(format!("--variant: {e}"));
        }
    }
    if let Err(e) = validate(&scenario) {
        return usage_error(e);
    }
    if args.check_determinism {
        return match crate::campaign::determinism::check(&scenario) {
            Ok(lines) => {
                crate::say!("deterministic: two runs gave the same {lines}-line trace");
                0
            }
            Err(d) => {
                crate::say!("NOT deterministic: {d}");
                1
            }
        };
    }
    let (trace, trace_file) = match (&args.trace, args.describe) {
        (Some(path), _) => match TraceFile::open(path, args.trace_format) {
            Ok((mode, file)) => (mode, Some(file)),
            Err(code) => return code,
        },
        (None, true) => (TraceMode::To(Sink::Describe(Box::new(std::io::BufWriter::new(std::io::stdout())))), None),
        (None, false) => (TraceMode::Hash, None),
    };
    let expect = scenario.expect.clone();
    let report = Sim::new(scenario, trace).run();
    if let Some(Err(code)) = trace_file.map(TraceFile::finish) {
        return code;
    }
    let replay = replay_command(&args, &report);
    // A scenario file always states what it must show (by default: no violation).
    let expectation = args.scenario.is_some().then(|| expect.check(&report));
    if args.json {
        let mut value = serde_json::to_value(&report).expect("reports serialize");
        value["replay"] = serde_json::Value::String(replay);
        add_expectation(&mut value, &expectation);
        crate::say!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        print_report(&report, &replay);
        print_expectation(&expectation);
    }
    if let Some(e) = &report.trace_error {
        // `zabsim run --describe | head` closes the pipe on purpose: not an error.
        if !e.contains("Broken pipe") {
            eprintln!("zabsim: writing the trace failed: {e}");
            return 2;
        }
    }
    // A scenario that declares what it must show passes when it shows it (even a violation
    // it was written to reproduce); otherwise any violation fails the run.
    let ok = match &expectation {
        Some(result) => result.is_ok(),
        None => report.passed(),
    };
    if ok {
        0
    } else {
        1
    }
}

fn replay(args: ReplayArgs) -> i32 {
    let scenario = match load_scenario(&args.file) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let (trace, trace_file) = match (&args.trace, args.json) {
        (Some(path), _) => match TraceFile::open(path, args.trace_format) {
            Ok((mode, file)) => (mode, Some(file)),
            Err(code) => return code,
        },
        (None, true) => (TraceMode::Hash, None),
        (None, false) => (TraceMode::To(Sink::Describe(Box::new(std::io::BufWriter::new(std::io::stdout())))), None),
    };
    let recorded = scenario.recorded.clone();
    let expect = scenario.expect.clone();
    let report = Sim::new(scenario, trace).run();
    if let Some(Err(code)) = trace_file.map(TraceFile::finish) {
        return code;
    }
    let expectation = Some(expect.check(&report));
    let same = recorded.as_ref().map(|r| report.trace_hash.as_deref() == Some(r.trace_hash.as_str()));
    let command = format!("zabsim replay {}", args.file.display());
    if args.json {
        let mut value = serde_json::to_value(&report).expect("reports serialize");
        value["replay"] = serde_json::Value::String(command);
        value["same_as_recorded"] = serde_json::json!(same);
        add_expectation(&mut value, &expectation);
        crate::say!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        print_report(&report, &command);
        print_expectation(&expectation);
        match (&recorded, same) {
            (Some(r), Some(true)) => crate::say!("same run as recorded: trace hash {}", r.trace_hash),
            (Some(r), _) => crate::say!(
                "DIFFERENT from the recorded run: trace hash {} (recorded {})",
                report.trace_hash.as_deref().unwrap_or("none"),
                r.trace_hash
            ),
            _ => {}
        }
    }
    let ok = match &expectation {
        Some(result) => result.is_ok(),
        None => report.passed(),
    };
    if ok && same != Some(false) {
        0
    } else {
        1
    }
}

fn print_expectation(expectation: &Option<Result<(), String>>) {
    match expectation {
        Some(Ok(())) => crate::say!("expectation: met"),
        Some(Err(why)) => crate::say!("expectation: NOT MET: {why}"),
        None => {}
    }
}

fn add_expectation(value: &mut serde_json::Value, expectation: &Option<Result<(), String>>) {
    if let Some(e) = expectation {
        value["expectation"] = match e {
            Ok(()) => serde_json::json!({"met": true}),
            Err(why) => serde_json::json!({"met": false, "why": why}),
        };
    }
}

fn replay_command(args: &RunArgs, report: &RunReport) -> String {
    let mut cmd = String::from("zabsim run");
    match &args.scenario {
        Some(path) => cmd.push_str(&format!(" {}", path.display())),
        None => {
            cmd.push_str(&format!(" --nodes {} --seed {}", report.nodes, report.seed));
            match args.faults {
                FaultsArg::Random => cmd.push_str(" --faults random"),
                FaultsArg::Swarm => cmd.push_str(" --faults swarm"),
                FaultsArg::None => {}
            }
            if let Some(w) = args.writes {
                cmd.push_str(&format!(" --writes {w}"));
            }
            if let Some(d) = args.duration_ms {
                cmd.push_str(&format!(" --duration-ms {d}"));
            }
        }
    }
    if args.scenario.is_some() {
        if let Some(seed) = args.seed {
            cmd.push_str(&format!(" --seed {seed}"));
        }
    }
    for v in &args.variants {
        cmd.push_str(&format!(" --variant {v}"));
    }
    cmd
}

fn ms(us: u64) -> String {
    format!("{}.{:03} ms", us / 1000, us % 1000)
}

fn print_report(r: &RunReport, replay: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "seed {}  nodes {}{}", r.seed, r.nodes, variants_note(&r.variants));
    match (r.first_leader, r.first_decided_us) {
        (Some(l), Some(t)) => {
            let _ = writeln!(out, "first election: s{l} decided at {}", ms(t));
        }
        _ => {
            let _ = writeln!(out, "first election: none decided");
        }
    }
    for l in &r.leaders {
        let _ = writeln!(out, "established: s{} leads epoch {} at {}", l.leader, l.epoch, ms(l.at_us));
    }
    let _ = writeln!(
        out,
        "election rounds: {} (max round {}), decisions: {}, messages sent: {}, events: {}",
        r.elections_started, r.max_round, r.decisions, r.messages, r.events
    );
    if r.writes_submitted > 0 {
        let lat = match (r.commit_latency_p50_us, r.commit_latency_p99_us) {
            (Some(p50), Some(p99)) => format!(", commit latency p50 {} p99 {}", ms(p50), ms(p99)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "writes: {} submitted, {} acknowledged, {} rejected; {} commits{lat}",
            r.writes_submitted, r.writes_acked, r.writes_rejected, r.commits
        );
    }
    if !r.faults.is_empty() {
        let faults: Vec<String> = r.faults.iter().map(|(k, v)| format!("{k} x{v}")).collect();
        let _ = writeln!(out, "faults: {}", faults.join(", "));
    }
    if let Some(t) = r.time_to_converge_us {
        let after = if r.liveness_start_us == Some(0) { "the start" } else { "the last fault" };
        let _ = writeln!(out, "converged {} after {after}", ms(t));
    }
    if let Some(note) = &r.liveness_note {
        let _ = writeln!(out, "liveness: {note}");
    }
    let held: Vec<&str> = r.invariants.iter().filter(|i| i.status == "held").map(|i| i.name).collect();
    if held.is_empty() {
        let stopped: Vec<&str> =
            r.invariants.iter().filter(|i| i.status == "held until the run stopped").map(|i| i.name).collect();
        let _ = writeln!(out, "invariants held until the violation stopped the run: {}", stopped.join(", "));
    } else {
        let _ = writeln!(out, "invariants held: {}", held.join(", "));
    }
    for s in &r.final_states {
        let _ = writeln!(out, "  {s}");
    }
    if let Some(v) = &r.violation {
        let _ = writeln!(out, "VIOLATION: {v}");
    } else {
        let _ = writeln!(out, "result: ok");
    }
    if let Some(h) = &r.trace_hash {
        let _ = writeln!(out, "trace hash: {h}");
    }
    let _ = writeln!(out, "replay: {replay}");
}

fn variants_note(v: &[&str]) -> String {
    if v.is_empty() {
        String::new()
    } else {
        format!("  variants {}", v.join(","))
    }
}

fn sweep(args: SweepArgs) -> i32 {
    let text = match std::fs::read_to_string(&args.grid) {
        Ok(t) => t,
        Err(e) => return usage_error(format!("{}: cannot read: {e}", args.grid.display())),
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let grid: crate::campaign::sweep::Grid = match serde_path_to_error::deserialize(&mut de) {
        Ok(g) => g,
        Err(e) => return usage_error(format!("{}: {}: {}", args.grid.display(), e.path(), e.inner())),
    };
    if let Err(e) = grid.validate() {
        return usage_error(format!("{}: {e}", args.grid.display()));
    }
    let command = format!("zabsim sweep {} --out {}", args.grid.display(), args.out.display());
    let name = args.grid.file_stem().map_or("grid".into(), |s| s.to_string_lossy().into_owned());
    let clock = crate::wallclock::Stopwatch::start();
    let results = crate::campaign::sweep::sweep(&grid, &name, &command);
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
    0
}

fn bench(args: BenchArgs) -> i32 {
    let figures = crate::campaign::bench::figures(args.seconds);
    if args.json {
        crate::say!("{}", serde_json::to_string_pretty(&figures).expect("json"));
    } else {
        for (k, v) in figures.as_object().expect("object") {
            crate::say!("{k:>40}: {v}");
        }
    }
    0
}
