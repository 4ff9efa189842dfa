//! `zabsim report`: charts and an HTML page from sweep results or from one run's trace. The
//! drawing lives in the zabsim-reports crate; this is the command-line side.

use crate::cli::usage_error;
use clap::Args;
use std::path::PathBuf;
use zabsim_reports::schema::SweepResults;

/// `zabsim report` options.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Sweep results (`zabsim sweep ... --out results.json`) or a trace (`--trace run.jsonl`).
    input: PathBuf,
    /// Folder for the charts (SVG and PNG) and index.html.
    #[arg(long, default_value = "report")]
    out: PathBuf,
}

/// `zabsim report`.
pub fn report(args: ReportArgs) -> i32 {
    let text = match std::fs::read_to_string(&args.input) {
        Ok(t) => t,
        Err(e) => return usage_error(format!("{}: cannot read: {e}", args.input.display())),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return usage_error(format!("{}: cannot create: {e}", args.out.display()));
    }
    let is_trace = text.lines().next().is_some_and(|l| l.contains("\"zabsim-trace\""));
    let written = if is_trace {
        zabsim_reports::render_trace(&text, &args.out)
    } else {
        let mut de = serde_json::Deserializer::from_str(&text);
        let results: SweepResults = match serde_path_to_error::deserialize(&mut de) {
            Ok(r) => r,
            Err(e) => {
                return usage_error(format!(
                    "{}: expected sweep results (zabsim sweep) or a trace (zabsim run --trace): {}: {}",
                    args.input.display(),
                    e.path(),
                    e.inner()
                ))
            }
        };
        zabsim_reports::render_sweep(&results, &args.out)
    };
    match written {
        Ok(files) => {
            crate::say!("{} files written; open {}", files.len(), args.out.join("index.html").display());
            0
        }
        Err(e) => usage_error(format!("{}: {e}", args.input.display())),
    }
}
