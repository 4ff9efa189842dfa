//! `zabsim conform`: run real ZooKeeper 3.8 trials (Debian's `zookeeper` package) and the
//! model on the same schedule and print them side by side; or, with `--recorded FILE`,
//! compare checked-in real trials with the model without Java.

use crate::conform::case::{Action, Case};
use crate::conform::compare::{compare, render, Recording};
use crate::conform::report::to_report;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Which schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CaseArg {
    /// SIGKILL the leader once every server is in broadcast.
    KillLeader,
    /// Start every server and wait until all are in broadcast.
    ColdStart,
}

/// `zabsim conform` arguments.
#[derive(Args, Debug)]
pub struct ConformArgs {
    /// Cluster size for live trials.
    #[arg(long, default_value_t = 3)]
    pub nodes: u8,
    /// Live real-ZooKeeper trials to run.
    #[arg(long, default_value_t = 10)]
    pub trials: usize,
    /// The schedule for live trials.
    #[arg(long, value_enum, default_value = "kill-leader")]
    pub case: CaseArg,
    /// Compare recorded real trials (scenarios/conform/*.json) with the model instead of
    /// running ZooKeeper.
    #[arg(long, value_name = "FILE")]
    pub recorded: Option<PathBuf>,
    /// Free-running model seeds per case.
    #[arg(long, default_value_t = 200)]
    pub seeds: u64,
    /// Write the live trials as a recording (the format `--recorded` reads).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Also write the comparison as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also draw the comparison: DIR/conform-recovery-cdf.svg/.png (real against simulated
    /// recovery time) and DIR/index.html (per-trial table and summary).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write each replayed trial as a scenario file here (DIR/<case>-trial-NN.json):
    /// `zabsim run` or `zabsim replay` shows that run event by event.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Keep real servers' data dirs and logs here (default: a temporary dir, removed).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
}

/// Runs `zabsim conform`; returns the exit code.
pub fn conform(args: ConformArgs) -> i32 {
    let recording = match &args.recorded {
        Some(path) => match load_recording(path) {
            Ok(r) => r,
            Err(e) => return super::usage_error(e),
        },
        None => {
            if !(3..=9).contains(&args.nodes) {
                return super::usage_error(format!("--nodes: expected 3..=9 for live trials, got {}", args.nodes));
            }
            let action = match args.case {
                CaseArg::KillLeader => Action::KillLeader,
                CaseArg::ColdStart => Action::ColdStart,
            };
            let mut case = Case::new(args.nodes, action);
            // The real servers all run here: the model shares this machine's cores as they do.
            case.host_cores = std::thread::available_parallelism().ok().and_then(|n| u32::try_from(n.get()).ok());
            match crate::conform::live::record(&case, args.trials, args.workdir.as_deref()) {
                Ok(r) => r,
                Err(e) => return super::usage_error(e),
            }
        }
    };
    if let Some(path) = &args.record {
        let text = serde_json::to_string_pretty(&recording).expect("a recording serializes") + "\n";
        if let Err(e) = std::fs::write(path, text) {
            return super::usage_error(format!("{}: cannot write: {e}", path.display()));
        }
        eprintln!("recorded {} trials in {}", recording.trials.len(), path.display());
    }
    if let Some(dir) = &args.scenarios {
        if let Err(e) = write_replays(&recording, dir) {
            return super::usage_error(e);
        }
    }
    let comparison = compare(&recording, args.seeds);
    print!("{}", render(&comparison));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&comparison).expect("a comparison serializes") + "\n";
        if let Err(e) = std::fs::write(path, text) {
            return super::usage_error(format!("{}: cannot write: {e}", path.display()));
        }
    }
    if let Some(dir) = &args.out {
        let command = command_line(&args, dir);
        let report = to_report(&recording, &comparison, &command);
        match zabsim_reports::render_conform(&report, dir) {
            Ok(_) => println!("report: {}", dir.join("index.html").display()),
            Err(e) => return super::usage_error(format!("{}: {e}", dir.display())),
        }
    }
    0
}

/// Each real trial's replay as a scenario file in `dir`.
fn write_replays(rec: &Recording, dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    for (i, real) in rec.trials.iter().enumerate() {
        let scenario = crate::conform::model::replay_scenario(&rec.case, i as u64, Some(real));
        let path = dir.join(format!("{}-trial-{i:02}.json", rec.case.name()));
        let text = serde_json::to_string_pretty(&scenario).expect("a scenario serializes") + "\n";
        std::fs::write(&path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    eprintln!("wrote {} replay scenarios to {}", rec.trials.len(), dir.display());
    Ok(())
}

/// The command that draws this report again (machine-independent: no binary path).
fn command_line(args: &ConformArgs, out: &std::path::Path) -> String {
    let source = match &args.recorded {
        Some(path) => format!("--recorded {}", path.display()),
        None => {
            let case = match args.case {
                CaseArg::KillLeader => "kill-leader",
                CaseArg::ColdStart => "cold-start",
            };
            format!("--nodes {} --case {case} --trials {}", args.nodes, args.trials)
        }
    };
    format!("zabsim conform {source} --seeds {} --out {}", args.seeds, out.display())
}

/// Reads a recording, naming the file and the field on error.
pub fn load_recording(path: &std::path::Path) -> Result<Recording, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| format!("{}: {}: {}", path.display(), e.path(), e.inner()))
}
