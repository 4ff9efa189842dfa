//! `zabsim sweep`: a grid of runs measured into a results file for `zabsim report`.

use super::usage_error;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// The grid (JSON); defaults live in scenarios/sweeps/.
    grid: PathBuf,
    /// Where the results go (JSON, input of `zabsim report`).
    #[arg(long, default_value = "results.json")]
    out: PathBuf,
}

/// `zabsim sweep`: returns the exit code.
pub(crate) fn sweep(args: SweepArgs) -> i32 {
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
