//! The one error type of the crate: bad input, a file that cannot be written, or a chart that
//! plotters refused to draw. Every message names the file, line or field concerned.

use std::fmt;
use std::path::PathBuf;

/// Why a report could not be produced. Bad input is always an error, never a panic.
#[derive(Debug)]
pub enum ReportError {
    /// The input is not what the reports expect. `what` names the place (a trace line, a
    /// field of a run), `message` says what was wrong and what was expected.
    BadInput {
        /// Where: `trace line 12`, `runs[3].fault_windows[0]`, `sweep results: runs`.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Drawing a chart failed (a plotters error; not expected with valid input).
    Draw {
        /// The chart's file stem.
        chart: String,
        /// plotters' message.
        message: String,
    },
    /// The bundled font could not be loaded.
    Font(String),
}

impl ReportError {
    /// A `BadInput` error.
    pub(crate) fn bad(what: impl Into<String>, message: impl Into<String>) -> ReportError {
        ReportError::BadInput { what: what.into(), message: message.into() }
    }

    /// An `Io` error for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ReportError {
        ReportError::Io { path: path.into(), source }
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::BadInput { what, message } => write!(f, "bad input: {what}: {message}"),
            ReportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReportError::Draw { chart, message } => write!(f, "cannot draw chart {chart}: {message}"),
            ReportError::Font(message) => write!(f, "bundled font: {message}"),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
