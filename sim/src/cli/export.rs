//! Trace formats on the command line: `run`/`replay --trace FILE --trace-format F` and
//! `zabsim export TRACE.jsonl --format F --out FILE`. Chrome and ShiViz files are made from
//! the JSON-lines trace after the run, so every format describes the same records.

use crate::campaign::determinism::SharedBuffer;
use crate::cli::usage_error;
use crate::engine::TraceMode;
use crate::trace::{convert, Export, Sink};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// `--trace-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// JSON lines (schema 2), input of `zabsim report` and `zabsim export`.
    #[default]
    Jsonl,
    /// Chrome trace event JSON: open in ui.perfetto.dev or chrome://tracing.
    Chrome,
    /// ShiViz log with vector clocks: load in bestchai.bitbucket.io/shiviz.
    Shiviz,
}

/// `--format` of `zabsim export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Chrome trace event JSON.
    Chrome,
    /// ShiViz log.
    Shiviz,
}

impl From<ExportFormat> for Export {
    fn from(f: ExportFormat) -> Export {
        match f {
            ExportFormat::Chrome => Export::Chrome,
            ExportFormat::Shiviz => Export::Shiviz,
        }
    }
}

/// `zabsim export` options.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// A JSON-lines trace (`zabsim run ... --trace FILE`).
    trace: PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Where to write it.
    #[arg(long)]
    out: PathBuf,
}

/// `zabsim export`.
pub fn export(args: ExportArgs) -> i32 {
    let text = match std::fs::read_to_string(&args.trace) {
        Ok(t) => t,
        Err(e) => return usage_error(format!("{}: cannot read: {e}", args.trace.display())),
    };
    let converted = match convert(&text, args.format.into()) {
        Ok(c) => c,
        Err(e) => return usage_error(format!("{}: {e}", args.trace.display())),
    };
    match std::fs::write(&args.out, converted) {
        Ok(()) => 0,
        Err(e) => usage_error(format!("{}: cannot write: {e}", args.out.display())),
    }
}

/// A trace file being written by a run: JSON lines straight to the file, or kept in memory
/// and converted when the run ends.
pub struct TraceFile {
    path: PathBuf,
    convert: Option<(Export, SharedBuffer)>,
}

impl TraceFile {
    /// Opens `path` for `format`; the usage error (exit 2) if it cannot be created.
    pub fn open(path: &Path, format: TraceFormat) -> Result<(TraceMode, TraceFile), i32> {
        let file = std::fs::File::create(path)
            .map_err(|e| usage_error(format!("{}: cannot create trace file: {e}", path.display())))?;
        let export = match format {
            TraceFormat::Jsonl => {
                let sink = Sink::Json(Box::new(std::io::BufWriter::new(file)));
                return Ok((TraceMode::To(sink), TraceFile { path: path.to_path_buf(), convert: None }));
            }
            TraceFormat::Chrome => Export::Chrome,
            TraceFormat::Shiviz => Export::Shiviz,
        };
        let buffer = SharedBuffer::default();
        let mode = TraceMode::To(Sink::Json(Box::new(buffer.clone())));
        Ok((mode, TraceFile { path: path.to_path_buf(), convert: Some((export, buffer)) }))
    }

    /// Converts and writes what the run traced, if the format needs it; Err is the exit code.
    pub fn finish(self) -> Result<(), i32> {
        let Some((export, buffer)) = self.convert else { return Ok(()) };
        let jsonl = String::from_utf8_lossy(&buffer.bytes()).into_owned();
        let text = convert(&jsonl, export).map_err(|e| usage_error(format!("{}: {e}", self.path.display())))?;
        std::fs::write(&self.path, text)
            .map_err(|e| usage_error(format!("{}: cannot write trace file: {e}", self.path.display())))
    }
}
