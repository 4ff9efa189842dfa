//! Charts and HTML reports from zabsim metrics. This crate never runs the simulator: it reads
//! what the simulator wrote and draws it.
//!
//! - [`render_sweep`]: a sweep's [`schema::SweepResults`] (`zabsim sweep`) to charts of the
//!   time to a new leader, message cost, client unavailability, commit latency and the client
//!   timeline, and an `index.html` with a summary table.
//! - [`render_client_timeline`]: one run's client operations (`zabsim run --client-timeline`).
//! - [`render_trace`]: one run's JSON-lines trace (`zabsim run --trace FILE`) to a timeline of
//!   every server's role and a space-time diagram of the messages, and an `index.html`.
//! - [`render_conform`]: a [`conform::ConformReport`] (`zabsim conform --out DIR`) to a CDF of
//!   real against simulated recovery time and an `index.html` with each case's per-trial table
//!   and summary.
//!
//! Every chart is written twice, as `NAME.svg` and `NAME.png`, at a fixed size. The text is
//! set in DejaVu Sans, shipped in the repository (`reports/fonts/`) and compiled in, so the
//! output depends on nothing installed on the machine: the same input gives byte-identical
//! files everywhere. Bad input is an error ([`ReportError`]) that names the line or field,
//! never a panic.
//!
//! ```no_run
//! # fn main() -> Result<(), zabsim_reports::ReportError> {
//! let json = std::fs::read_to_string("results.json").unwrap();
//! let results = zabsim_reports::parse_sweep(&json)?;
//! let files = zabsim_reports::render_sweep(&results, std::path::Path::new("report"))?;
//! println!("wrote {} files", files.len());
//! # Ok(()) }
//! ```

mod chart;
pub mod conform;
mod error;
mod html;
mod html_campaign;
mod legend;
pub mod schema;
pub mod stats;
mod style;
mod sweep;
mod trace_model;
mod trace_records;
mod trace_view;

pub use error::ReportError;

use chart::{write_figure, Figure};
use schema::SweepResults;
use std::path::{Path, PathBuf};
pub use sweep::RunClients;
use sweep::{
    ChartDoc, ClientTimeline, CommitTimeline, ElectionByParam, ElectionCdf, MessagesBySize, Param, Unavailability, View,
};

/// How the trace view draws messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceOptions {
    /// At most this many message arrows: the earliest sent in the window. When the cap cuts,
    /// the diagram ends at the first message left out, and says so.
    pub max_arrows: usize,
    /// The time window of the message diagram, µs (from, to); None: the whole trace.
    pub window_us: Option<(u64, u64)>,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions { max_arrows: 600, window_us: None }
    }
}

/// Parses `SweepResults` JSON (as `zabsim sweep` writes it); errors name the line, column and
/// field.
pub fn parse_sweep(json: &str) -> Result<SweepResults, ReportError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let results: SweepResults = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let what = if path == "." { "sweep results JSON".to_string() } else { format!("sweep results JSON: {path}") };
        ReportError::bad(what, e.into_inner().to_string())
    })?;
    de.end().map_err(|e| ReportError::bad("sweep results JSON", format!("trailing content: {e}")))?;
    Ok(results)
}

fn prepare_dir(out_dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::io(out_dir, e))
}

fn write_index(out_dir: &Path, html: String) -> Result<PathBuf, ReportError> {
    let path = out_dir.join("index.html");
    std::fs::write(&path, html).map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}

/// Draws a sweep into `out_dir` (created if missing): for each chart `NAME.svg` and `NAME.png`
/// (election-cdf, election-vs-delay, election-vs-finalize-wait, messages-vs-size,
/// unavailability-by-fault, commit-latency-timeline, client-timeline), then `index.html`. Returns the paths
/// written, in that order.
pub fn render_sweep(results: &SweepResults, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    render_sweep_page(results, None, out_dir)
}

/// [`render_sweep`] with a fuzz campaign's summary first on the page (seeds, throughput,
/// coverage, failures with their replay commands): the default campaign's report.
pub fn render_campaign(
    results: &SweepResults,
    campaign: &schema::CampaignSummary,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    render_sweep_page(results, Some(campaign), out_dir)
}

fn render_sweep_page(
    results: &SweepResults,
    campaign: Option<&schema::CampaignSummary>,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    style::ensure_font()?;
    sweep::validate(results)?;
    prepare_dir(out_dir)?;
    let view = View::new(results);
    let mut written = Vec::new();
    let mut docs: Vec<ChartDoc> = Vec::new();
    fn emit<F: Figure>(
        out_dir: &Path,
        fig: &F,
        doc: ChartDoc,
        written: &mut Vec<PathBuf>,
        docs: &mut Vec<ChartDoc>,
    ) -> Result<(), ReportError> {
        written.extend(write_figure(out_dir, fig)?);
        docs.push(doc);
        Ok(())
    }
    let (fig, doc) = ElectionCdf::new(&view);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let (fig, doc) = ElectionByParam::new(&view, Param::Delay);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let (fig, doc) = ElectionByParam::new(&view, Param::FinalizeWait);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let (fig, doc) = MessagesBySize::new(&view);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let (fig, doc) = Unavailability::new(&view);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let (fig, doc) = CommitTimeline::new(&view);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let (fig, doc) = ClientTimeline::new(&view);
    emit(out_dir, &fig, doc, &mut written, &mut docs)?;
    let rows = sweep::summary(&view);
    written.push(write_index(out_dir, html::sweep_page(results, campaign, &rows, &docs))?);
    Ok(written)
}

/// Draws a trace (the JSON lines of `zabsim run --trace FILE`) into `out_dir` with the default
/// [`TraceOptions`]: `trace-roles.svg/.png`, `trace-messages.svg/.png` and `index.html`.
pub fn render_trace(trace_jsonl: &str, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    render_trace_with(trace_jsonl, out_dir, &TraceOptions::default())
}

/// Draws one run's client operations (`zabsim run --client-timeline DIR`) into `out_dir`:
/// `client-timeline.svg` and `.png`, as the sweep report draws its first fault run.
pub fn render_client_timeline(run: RunClients, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    style::ensure_font()?;
    prepare_dir(out_dir)?;
    let fig = ClientTimeline::of_run(run);
    Ok(write_figure(out_dir, &fig)?.into())
}

/// [`render_trace`] with a chosen arrow cap and time window.
pub fn render_trace_with(
    trace_jsonl: &str,
    out_dir: &Path,
    options: &TraceOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    style::ensure_font()?;
    if let Some((from, to)) = options.window_us {
        if to <= from {
            return Err(ReportError::bad(
                "trace options: window_us",
                format!("the window ends at {to} µs, not after its start at {from} µs"),
            ));
        }
    }
    let model = trace_model::parse(trace_jsonl)?;
    prepare_dir(out_dir)?;
    let messages = trace_view::MessagesFigure::new(&model, options);
    let roles = trace_view::RolesFigure::new(&model, messages.window());
    let mut written = Vec::new();
    written.extend(write_figure(out_dir, &roles)?);
    written.extend(write_figure(out_dir, &messages)?);
    let docs = [
        ChartDoc {
            stem: roles.stem().to_string(),
            title: "Server roles over time".into(),
            caption: "One band per server and role: LOOKING (electing), FOLLOWING and LEADING, lighter while in \
                      DISCOVERY and SYNCHRONIZATION; grey while crashed, darkened while paused. Labels give the \
                      role, the currentEpoch and the last logged zxid at the start and end of the band. Dashed \
                      red lines are faults."
                .into(),
            size: roles.size(),
        },
        ChartDoc {
            stem: messages.stem().to_string(),
            title: "Messages between servers".into(),
            caption: format!(
                "One line per server (tinted with its role), time to the right; an arrow per delivered \
                 message from when it left the sender (for a message gated on a disk write, when the write \
                 was durable) to when the receiver took it. {}",
                messages.note
            ),
            size: messages.size(),
        },
    ];
    written.push(write_index(out_dir, html::trace_page(&model, &docs))?);
    Ok(written)
}

/// Draws a conformance report into `out_dir` (created if missing):
/// `conform-recovery-cdf.svg` and `.png` (one panel per case: the real and the simulated
/// recovery-time CDF), then `index.html` with each case's per-trial table and summary. Returns
/// the paths written, in that order.
pub fn render_conform(report: &conform::ConformReport, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    style::ensure_font()?;
    conform::validate(report)?;
    prepare_dir(out_dir)?;
    let (fig, doc) = conform::RecoveryCdf::new(report);
    let mut written: Vec<PathBuf> = write_figure(out_dir, &fig)?.into();
    written.push(write_index(out_dir, conform::page(report, &doc))?);
    Ok(written)
}
