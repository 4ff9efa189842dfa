//! `zabsim run` and `zabsim replay`: one simulation, its report as text or JSON, its trace, its
//! scenario's expectation, and the command that replays it.

use super::export::TraceFile;
use super::{load_scenario, usage_error};
use crate::engine::{Sim, TraceMode};
use crate::report::RunReport;
use crate::scenario::random::{self, Profile};
use crate::scenario::validate::validate;
use crate::scenario::Scenario;
use crate::trace::Sink;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use zabsim_protocol::Variants;

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
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
    /// Turn on a known-bug variant (README.md, "Known-bug variants"); repeatable.
    #[arg(long = "variant", value_parser = clap::builder::PossibleValuesParser::new(zabsim_protocol::Variants::ALL_NAMES))]
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
    #[command(flatten)]
    clients: super::clients::ClientArgs,
    /// Draw the clients' operations (a Jepsen-style timeline: a lane per client, bars from
    /// invocation to completion coloured ok / failed / unknown, the waits behind them, the
    /// faults marked) into this folder: client-timeline.svg and .png. Needs clients.
    #[arg(long, value_name = "DIR", conflicts_with = "check_determinism")]
    client_timeline: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct ReplayArgs {
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
pub(crate) enum FaultsArg {
    /// A fault-free run.
    None,
    /// Crashes, partitions, cuts, pauses and slow disks drawn from the seed, then a heal.
    Random,
    /// Like random, with the fuzzer's per-seed environment (workload, delays, disk, timing).
    Swarm,
}

/// The scenario `zabsim run` runs for these arguments: a scenario file, or a seeded cluster
/// (`--faults swarm` is exactly the schedule a fuzz campaign ran for that seed and size),
/// with `--seed` and `--variant` applied, validated. The error is the message to print.
pub(crate) fn scenario_of(args: &RunArgs) -> Result<Scenario, String> {
    let mut scenario = match &args.scenario {
        Some(path) => load_scenario(path)?,
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
                        variants.enable(v).map_err(|e| format!("--variant: {e}"))?;
                    }
                    random::swarm_scenario(nodes, seed, variants)
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
        scenario.protocol.variants.enable(v).map_err(|e| format!("--variant: {e}"))?;
    }
    args.clients.apply(&mut scenario);
    // A generated schedule obeys the same rules as a file; a file names itself in the message.
    validate(&scenario).map_err(|e| e.to_string())?;
    Ok(scenario)
}

/// `zabsim run`: a scenario file or a seeded cluster; returns the exit code.
pub(crate) fn run(args: RunArgs) -> i32 {
    let scenario = match scenario_of(&args) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    if args.client_timeline.is_some() && !scenario.clients.enabled() {
        return usage_error("--client-timeline: the run has no clients (add --clients N, or a scenario with clients)");
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
        value["replay"] = serde_json::Value::String(replay.clone());
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
    if let Some(dir) = &args.client_timeline {
        if let Err(code) = draw_client_timeline(dir, &report, &replay) {
            return code;
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

/// Writes `client-timeline.svg` and `.png` for the run into `dir`.
fn draw_client_timeline(dir: &Path, report: &RunReport, replay: &str) -> Result<(), i32> {
    let Some(clients) = &report.clients else { return Ok(()) };
    let run = zabsim_reports::RunClients {
        description: format!("{} servers, seed {}: {replay}", report.nodes, report.seed),
        recipe: clients.recipe.clone(),
        ops: clients.history.iter().map(|s| s.to_schema()).collect(),
        waits: crate::clients::waits(&clients.history, report.end_us),
        faults: report.fault_log.clone(),
        end_us: report.end_us,
    };
    match zabsim_reports::render_client_timeline(run, dir) {
        Ok(files) => {
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            eprintln!("client timeline: {}", names.join(", "));
            Ok(())
        }
        Err(e) => Err(usage_error(format!("--client-timeline {}: {e}", dir.display()))),
    }
}

/// `zabsim replay`: a scenario or saved failure as a server log; returns the exit code.
///
/// A hand-written scenario is judged by its `expect` block, as `zabsim run` judges it. A saved
/// failure (a file with `recorded`) is judged by its record: exit 1 while the run still
/// violates an invariant (the recorded one, or another the fix uncovered), 0 once it violates
/// none, so a CI job that replays saved failures turns green when the bug is fixed.
pub(crate) fn replay(args: ReplayArgs) -> i32 {
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
    let expectation = recorded.is_none().then(|| expect.check(&report));
    let same = recorded.as_ref().map(|r| report.trace_hash.as_deref() == Some(r.trace_hash.as_str()));
    let command = format!("zabsim replay {}", args.file.display());
    let record = recorded.as_ref().map(|r| RecordCheck::new(r, &report));
    if args.json {
        let mut value = serde_json::to_value(&report).expect("reports serialize");
        value["replay"] = serde_json::Value::String(command);
        value["same_as_recorded"] = serde_json::json!(same);
        add_expectation(&mut value, &expectation);
        if let Some(r) = &record {
            value["recorded_violation"] = serde_json::json!({
                "invariant": r.recorded,
                "reproduces": r.reproduces(),
                "now": r.now,
            });
        }
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
        if let Some(r) = &record {
            crate::say!("{}", r.describe());
        }
    }
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

/// A saved failure's recorded violation beside the replayed run.
struct RecordCheck {
    /// The recorded invariant's name ("" when the record names none).
    recorded: String,
    /// The invariant the replay violated, if any.
    now: Option<&'static str>,
}

impl RecordCheck {
    fn new(r: &crate::scenario::Recorded, report: &RunReport) -> RecordCheck {
        // Failures saved before `invariant` was recorded start their `violation` with it.
        let recorded = match r.invariant {
            Some(i) => i.name().to_string(),
            None => r.violation.split_whitespace().next().unwrap_or("").to_string(),
        };
        RecordCheck { recorded, now: report.violation.as_ref().map(|v| v.invariant.name()) }
    }

    fn reproduces(&self) -> bool {
        self.now == Some(self.recorded.as_str())
    }

    fn describe(&self) -> String {
        match self.now {
            Some(_) if self.reproduces() => {
                format!("recorded violation: {} reproduces (exit 1 until it is fixed)", self.recorded)
            }
            Some(now) => format!("recorded violation: {} no more, but {now} is violated now (exit 1)", self.recorded),
            None => format!("recorded violation: {} no longer reproduces: fixed (exit 0)", self.recorded),
        }
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
    cmd.push_str(&args.clients.flags());
    cmd
}

fn ms(us: u64) -> String {
    format!("{}.{:03} ms", us / 1000, us % 1000)
}

pub(crate) fn print_report(r: &RunReport, replay: &str) {
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
