//! The sweep charts: what a grid of runs says about elections, message cost, unavailability
//! and commit latency. Each chart is prepared from `SweepResults` first (pure data, integer
//! statistics) and drawn second, identically on the SVG and the PNG backend.
//!
//! This file holds what every chart shares: the input check, the [`View`] of the runs they all
//! read, and what the HTML page says about a chart. Each chart (or family of charts drawn by one
//! type) has its own file; the summary table under the charts has one too.

mod client_timeline;
mod commit_timeline;
mod election_by_param;
mod election_cdf;
mod messages_by_size;
mod summary_table;
mod unavailability;

pub(crate) use client_timeline::ClientTimeline;
pub use client_timeline::RunClients;
pub(crate) use commit_timeline::CommitTimeline;
pub(crate) use election_by_param::{ElectionByParam, Param};
pub(crate) use election_cdf::ElectionCdf;
pub(crate) use messages_by_size::MessagesBySize;
pub(crate) use summary_table::{summary, SummaryRow};
pub(crate) use unavailability::Unavailability;

use crate::chart::{self, Figure};
use crate::error::ReportError;
use crate::schema::{RunMetrics, SweepResults, SWEEP_SCHEMA};
use crate::style::{self, fmt_num};
use plotters::style::RGBColor;
use std::collections::BTreeSet;

/// Checks what the charts rely on, naming the run and field at fault.
pub(crate) fn validate(results: &SweepResults) -> Result<(), ReportError> {
    if results.schema != SWEEP_SCHEMA {
        return Err(ReportError::bad(
            "sweep results: schema",
            format!("version {} is not supported, expected {SWEEP_SCHEMA}", results.schema),
        ));
    }
    if results.runs.is_empty() {
        return Err(ReportError::bad("sweep results: runs", "no runs, expected at least one"));
    }
    for (i, r) in results.runs.iter().enumerate() {
        if r.nodes == 0 {
            return Err(ReportError::bad(format!("runs[{i}].nodes"), "expected a cluster size of at least 1, got 0"));
        }
        if r.fault.trim().is_empty() {
            return Err(ReportError::bad(
                format!("runs[{i}].fault"),
                "expected a fault kind (\"none\", \"leader_crash\", ...), got an empty string",
            ));
        }
        if let Some(end) = r.fault_end_us {
            if end < r.fault_at_us {
                return Err(ReportError::bad(
                    format!("runs[{i}].fault_end_us"),
                    format!("{end} is before fault_at_us {}", r.fault_at_us),
                ));
            }
        }
        for (k, (start, end)) in r.fault_windows.iter().enumerate() {
            if end < start {
                return Err(ReportError::bad(
                    format!("runs[{i}].fault_windows[{k}]"),
                    format!("ends at {end} µs, before it starts at {start} µs"),
                ));
            }
        }
    }
    Ok(())
}

/// The sweep's axes as they occur in the runs: fault kinds in order of first appearance (the
/// grid's order), cluster sizes ascending. Colours follow these orders.
pub(crate) struct View<'a> {
    /// The results.
    pub(crate) results: &'a SweepResults,
    /// Fault kinds, first appearance first.
    pub(crate) faults: Vec<String>,
    /// Cluster sizes, ascending.
    pub(crate) sizes: Vec<u8>,
}

impl<'a> View<'a> {
    /// Indexes the results.
    pub(crate) fn new(results: &'a SweepResults) -> View<'a> {
        let mut faults: Vec<String> = Vec::new();
        for r in &results.runs {
            if !faults.contains(&r.fault) {
                faults.push(r.fault.clone());
            }
        }
        let sizes: BTreeSet<u8> = results.runs.iter().map(|r| r.nodes).collect();
        View { results, faults, sizes: sizes.into_iter().collect() }
    }

    fn size_color(&self, size: u8) -> RGBColor {
        style::series(self.sizes.iter().position(|s| *s == size).unwrap_or(0))
    }

    fn fault_color(&self, fault: &str) -> RGBColor {
        style::series(self.faults.iter().position(|f| f == fault).unwrap_or(0))
    }

    fn runs(&self) -> impl Iterator<Item = &'a RunMetrics> {
        self.results.runs.iter()
    }

    /// The runs' clients, as a phrase to append ("" without clients): ", 5 clients running lock".
    fn clients(&self) -> String {
        match self.runs().find(|r| r.clients > 0) {
            Some(r) if r.recipe.is_empty() => format!(", {} scripted clients", r.clients),
            Some(r) => format!(", {} clients running {}", r.clients, r.recipe),
            None => String::new(),
        }
    }

    fn provenance(&self) -> String {
        format!(
            "grid {} · {} runs · {} seed{} per grid point",
            self.results.grid_name,
            fmt_num(self.results.runs.len() as f64, 0),
            self.results.seeds,
            if self.results.seeds == 1 { "" } else { "s" }
        )
    }
}

/// What the HTML page says about one chart.
pub(crate) struct ChartDoc {
    /// File stem.
    pub(crate) stem: String,
    /// Heading.
    pub(crate) title: String,
    /// What it shows and how to read it.
    pub(crate) caption: String,
    /// Pixel size.
    pub(crate) size: (u32, u32),
}

/// What the page says about `fig`, with its stem and size taken from the figure itself.
pub(crate) fn doc<F: Figure>(fig: &F, title: &str, caption: String) -> ChartDoc {
    ChartDoc { stem: fig.stem().to_string(), title: title.to_string(), caption, size: fig.size() }
}

/// Size of a figure drawn as a grid of panels under a header of `subtitle_lines` lines.
pub(crate) fn panelled_size(panels: usize, subtitle_lines: usize) -> (u32, u32) {
    let (rows, _) = chart::panel_grid(panels);
    let plot = if panels == 0 { 180 } else { 380 * rows as u32 };
    (1200, chart::header_height(subtitle_lines) + plot)
}
