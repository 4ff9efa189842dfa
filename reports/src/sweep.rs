//! The sweep charts: what a grid of runs says about elections, message cost, unavailability
//! and commit latency. Each chart is prepared from `SweepResults` first (pure data, integer
//! statistics) and drawn second, identically on the SVG and the PNG backend.

use crate::chart::{self, styled_legend, styled_mesh, Area, DashedPathElement, DrawErr, Figure, KeyedAxis};
use crate::error::ReportError;
use crate::schema::{RunMetrics, SweepResults, SWEEP_SCHEMA};
use crate::stats::{ms, Sample};
use crate::style::{self, fmt_num, FAULT, MUTED, SMALL_PX, TEXT};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::{BTreeMap, BTreeSet};

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

fn doc<F: Figure>(fig: &F, title: &str, caption: String) -> ChartDoc {
    ChartDoc { stem: fig.stem().to_string(), title: title.to_string(), caption, size: fig.size() }
}

// ----- election-time CDF ----------------------------------------------------------------------

struct CdfLine {
    size: u8,
    runs: usize,
    elected: Sample,
}

struct CdfPanel {
    name: String,
    lines: Vec<CdfLine>,
}

/// Election-time CDF: one panel per fault kind, one line per cluster size.
pub(crate) struct ElectionCdf<'a> {
    view: &'a View<'a>,
    title: String,
    subtitle: Vec<String>,
    panels: Vec<CdfPanel>,
}

impl<'a> ElectionCdf<'a> {
    /// Prepares the chart and its description.
    pub(crate) fn new(view: &'a View<'a>) -> (ElectionCdf<'a>, ChartDoc) {
        let fault_runs = view.runs().any(|r| r.has_fault() && r.election_time_us.is_some());
        let mut panels = Vec::new();
        for fault in &view.faults {
            let is_fault = fault != "none";
            if is_fault != fault_runs {
                continue;
            }
            let runs: Vec<&RunMetrics> = view.runs().filter(|r| &r.fault == fault).collect();
            if !runs.iter().any(|r| r.election_time_us.is_some()) {
                continue;
            }
            let lines = view
                .sizes
                .iter()
                .filter_map(|&size| {
                    let of_size: Vec<&&RunMetrics> = runs.iter().filter(|r| r.nodes == size).collect();
                    (!of_size.is_empty()).then(|| CdfLine {
                        size,
                        runs: of_size.len(),
                        elected: Sample::new(of_size.iter().filter_map(|r| r.election_time_us).collect()),
                    })
                })
                .collect();
            let name = if is_fault { fault.clone() } else { "cold start (no fault)".to_string() };
            panels.push(CdfPanel { name, lines });
        }
        let (title, what) = if fault_runs {
            ("Election time after a fault", "from the fault to a newly established leader")
        } else {
            ("Cold-start election time", "from the start to the first established leader")
        };
        let subtitle = vec![
            format!("Share of runs with a new leader, {what}; one line per cluster size, one panel per fault kind."),
            view.provenance(),
        ];
        let fig = ElectionCdf { view, title: title.to_string(), subtitle, panels };
        let caption = format!(
            "Cumulative distribution of the election time ({what}), per cluster size. A curve that \
             ends below 100% means some runs had no new leader by the end of the fault. Fault kinds \
             in which no run elected a new leader (a follower crash, a slow disk) have no panel."
        );
        let d = doc(&fig, title, caption);
        (fig, d)
    }
}

impl Figure for ElectionCdf<'_> {
    fn stem(&self) -> &str {
        "election-cdf"
    }

    fn size(&self) -> (u32, u32) {
        panelled_size(self.panels.len(), self.subtitle.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, &self.title, &self.subtitle)?;
        if self.panels.is_empty() {
            return chart::placeholder(&body, "No run elected a leader.");
        }
        let (rows, cols) = chart::panel_grid(self.panels.len());
        let areas = body.split_evenly((rows, cols));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            let area = chart::panel_title(area, &panel.name)?;
            let all: Vec<u64> = panel.lines.iter().flat_map(|l| l.elected.values().iter().copied()).collect();
            let (lo, hi) = Sample::new(all).min_max().unwrap_or((0, 1000));
            let (xlo, xhi) = chart::padded(ms(lo), ms(hi), 1.0);
            let xlo = xlo.max(0.0);
            let mut c = ChartBuilder::on(&area)
                .margin_left(8)
                .margin_right(24)
                .margin_bottom(8)
                .x_label_area_size(46)
                .y_label_area_size(66)
                .build_cartesian_2d(xlo..xhi, KeyedAxis::new(0.0, 1.03, vec![0.0, 0.25, 0.5, 0.75, 1.0]))?;
            styled_mesh!(c)
                .x_labels(7)
                .x_label_formatter(&style::tick)
                .y_label_formatter(&|v| format!("{}%", fmt_num(v * 100.0, 0)))
                .x_desc("election time (ms)")
                .y_desc("runs with a new leader")
                .draw()?;
            for line in &panel.lines {
                let color = self.view.size_color(line.size);
                let n = line.runs as f64;
                let mut pts = vec![(xlo, 0.0)];
                for (k, v) in line.elected.values().iter().enumerate() {
                    pts.push((ms(*v), k as f64 / n));
                    pts.push((ms(*v), (k + 1) as f64 / n));
                }
                pts.push((xhi, line.elected.len() as f64 / n));
                let label = if line.elected.len() == line.runs {
                    format!("{} servers (n={})", line.size, line.runs)
                } else {
                    format!("{} servers ({} of {} elected)", line.size, line.elected.len(), line.runs)
                };
                c.draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            }
            styled_legend!(c, SeriesLabelPosition::LowerRight)?;
        }
        Ok(())
    }
}

// ----- election time against a parameter -----------------------------------------------------

/// The grid parameter on the x axis.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// Mean one-way message delay.
    Delay,
    /// finalizeWait.
    FinalizeWait,
}

impl Param {
    /// The parameter's value in µs.
    fn of(self, r: &RunMetrics) -> u64 {
        match self {
            Param::Delay => r.delay_us,
            Param::FinalizeWait => u64::from(r.finalize_wait_ms) * 1000,
        }
    }

    fn other(self) -> Param {
        match self {
            Param::Delay => Param::FinalizeWait,
            Param::FinalizeWait => Param::Delay,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Param::Delay => "message delay",
            Param::FinalizeWait => "finalizeWait",
        }
    }
}

struct ParamPoint {
    x_ms: f64,
    median_ms: f64,
    p90_ms: f64,
}

/// Election time (median and p90) against message delay or finalizeWait, per cluster size.
pub(crate) struct ElectionByParam<'a> {
    view: &'a View<'a>,
    param: Param,
    title: String,
    subtitle: Vec<String>,
    log_x: bool,
    /// Set when the sweep has one value of the parameter: the chart says so instead.
    single: Option<String>,
    keys_ms: Vec<f64>,
    lines: Vec<(u8, Vec<ParamPoint>)>,
}

/// The fault kind whose elections the parameter charts show: leader_crash when it elected,
/// else the first fault kind that elected, else the cold starts.
fn election_fault(view: &View<'_>) -> Option<String> {
    let elected = |f: &str| view.runs().any(|r| r.fault == f && r.election_time_us.is_some());
    if elected("leader_crash") {
        return Some("leader_crash".into());
    }
    view.faults
        .iter()
        .find(|f| f.as_str() != "none" && elected(f))
        .or_else(|| view.faults.iter().find(|f| elected(f)))
        .cloned()
}

/// The most common value; among equally common ones the middle one (the lower of two), so a
/// full grid of 50, 200, 800 picks 200.
fn mode(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    let tied: Vec<u64> = counts.into_iter().filter(|(_, c)| *c == best).map(|(v, _)| v).collect();
    tied.get((tied.len() - 1) / 2).copied()
}

/// A set of µs values as "0.1, 1, 5 ms".
fn list_ms(values: &BTreeSet<u64>) -> String {
    let v: Vec<String> = values.iter().map(|us| fmt_num(ms(*us), 3)).collect();
    format!("{} ms", v.join(", "))
}

impl<'a> ElectionByParam<'a> {
    /// Prepares the chart and its description.
    pub(crate) fn new(view: &'a View<'a>, param: Param) -> (ElectionByParam<'a>, ChartDoc) {
        let title = format!("Election time against {}", param.name());
        let mut fig = ElectionByParam {
            view,
            param,
            title: title.clone(),
            subtitle: vec![view.provenance()],
            log_x: false,
            single: None,
            keys_ms: Vec::new(),
            lines: Vec::new(),
        };
        let caption = format!(
            "Median (solid) and 90th percentile (dashed) of the election time over the seeds of each \
             grid point, against {}, one colour per cluster size. The other parameter is held at its \
             most common value, so each line changes one thing only.",
            param.name()
        );
        let Some(fault) = election_fault(view) else {
            let d = doc(&fig, &title, caption);
            return (fig, d);
        };
        let runs: Vec<&RunMetrics> = view.runs().filter(|r| r.fault == fault).collect();
        let other = param.other();
        let reference = mode(runs.iter().map(|r| other.of(r))).unwrap_or(0);
        let runs: Vec<&RunMetrics> = runs.into_iter().filter(|r| other.of(r) == reference).collect();
        let xs: BTreeSet<u64> = runs.iter().map(|r| param.of(r)).collect();
        for &size in &view.sizes {
            let mut points = Vec::new();
            for &x in &xs {
                let s = Sample::new(
                    runs.iter()
                        .filter(|r| r.nodes == size && param.of(r) == x)
                        .filter_map(|r| r.election_time_us)
                        .collect(),
                );
                if let (Some(m), Some(p90)) = (s.median(), s.percentile(90)) {
                    points.push(ParamPoint { x_ms: ms(x), median_ms: ms(m), p90_ms: ms(p90) });
                }
            }
            if !points.is_empty() {
                fig.lines.push((size, points));
            }
        }
        fig.keys_ms = xs.iter().map(|x| ms(*x)).collect();
        let (lo, hi) = (xs.first().copied().unwrap_or(0), xs.last().copied().unwrap_or(0));
        fig.log_x = lo > 0 && hi >= lo * 8;
        let what = if fault == "none" { "cold starts".to_string() } else { format!("{fault} runs") };
        let mut line = format!("{what} that elected a leader; {} = {} ms", other.name(), fmt_num(ms(reference), 3));
        let pooled: Vec<String> = [
            ("fsync", runs.iter().map(|r| r.fsync_us).collect::<BTreeSet<u64>>()),
            ("tickTime", runs.iter().map(|r| u64::from(r.tick_time_ms) * 1000).collect()),
        ]
        .into_iter()
        .filter(|(_, set)| set.len() > 1)
        .map(|(name, set)| format!("{name} {}", list_ms(&set)))
        .collect();
        if !pooled.is_empty() {
            line.push_str(&format!("; pooled over {}", pooled.join(" and ")));
        }
        if xs.len() == 1 {
            fig.single = Some(format!(
                "This sweep has a single {} ({} ms): nothing to compare.\n\
                 A grid with several values (like scenarios/sweeps/election-delay.json) draws this chart.",
                param.name(),
                fmt_num(ms(lo), 3)
            ));
        }
        fig.subtitle = vec![line, view.provenance()];
        let d = doc(&fig, &title, caption);
        (fig, d)
    }

    fn tx(&self, x_ms: f64) -> f64 {
        if self.log_x {
            x_ms.log10()
        } else {
            x_ms
        }
    }
}

impl Figure for ElectionByParam<'_> {
    fn stem(&self) -> &str {
        match self.param {
            Param::Delay => "election-vs-delay",
            Param::FinalizeWait => "election-vs-finalize-wait",
        }
    }

    fn size(&self) -> (u32, u32) {
        let plot = if self.lines.is_empty() || self.single.is_some() { 180 } else { 620 };
        (1100, plot + chart::header_height(self.subtitle.len()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, &self.title, &self.subtitle)?;
        if self.lines.is_empty() {
            return chart::placeholder(&body, "No run elected a leader.");
        }
        if let Some(why) = &self.single {
            return chart::placeholder(&body, why);
        }
        let keys: Vec<f64> = self.keys_ms.iter().map(|k| self.tx(*k)).collect();
        let (klo, khi) = (keys[0], keys[keys.len() - 1]);
        let (xlo, xhi) = if keys.len() == 1 {
            if self.log_x {
                (klo - 0.5, klo + 0.5)
            } else {
                (klo - klo.abs().max(1.0) * 0.5, klo + klo.abs().max(1.0) * 0.5)
            }
        } else {
            let pad = (khi - klo) * 0.07;
            (klo - pad, khi + pad)
        };
        let ymax = self.lines.iter().flat_map(|(_, p)| p.iter().map(|p| p.p90_ms)).fold(1.0f64, f64::max) * 1.12;
        let mut c = ChartBuilder::on(&body)
            .margin_left(8)
            .margin_right(28)
            .margin_bottom(8)
            .x_label_area_size(50)
            .y_label_area_size(76)
            .build_cartesian_2d(KeyedAxis::new(xlo, xhi, keys.clone()), 0f64..ymax)?;
        let log_x = self.log_x;
        let fmt_x = move |v: &f64| if log_x { fmt_num(10f64.powf(*v), 3) } else { fmt_num(*v, 3) };
        let x_desc = match (self.param, log_x) {
            (Param::Delay, false) => "mean one-way message delay (ms)",
            (Param::Delay, true) => "mean one-way message delay (ms, log scale)",
            (Param::FinalizeWait, false) => "finalizeWait (ms)",
            (Param::FinalizeWait, true) => "finalizeWait (ms, log scale)",
        };
        styled_mesh!(c)
            .y_labels(8)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&style::tick)
            .x_desc(x_desc)
            .y_desc("election time (ms)")
            .draw()?;
        for (size, points) in &self.lines {
            let color = self.view.size_color(*size);
            let med: Vec<(f64, f64)> = points.iter().map(|p| (self.tx(p.x_ms), p.median_ms)).collect();
            let p90: Vec<(f64, f64)> = points.iter().map(|p| (self.tx(p.x_ms), p.p90_ms)).collect();
            c.draw_series(LineSeries::new(med.clone(), color.stroke_width(2)))?
                .label(format!("{size} servers"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            c.draw_series(med.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
            c.draw_series(DashedLineSeries::new(p90.clone(), 7, 5, color.stroke_width(2)))?;
            c.draw_series(p90.iter().map(|p| TriangleMarker::new(*p, 5, color.filled())))?;
        }
        c.draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("median")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], TEXT.stroke_width(2)));
        c.draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("90th percentile")
            .legend(|(x, y)| DashedPathElement::new(vec![(x, y), (x + 20, y)], 5, 3, TEXT.stroke_width(2)));
        styled_legend!(c, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

// ----- messages per election -----------------------------------------------------------------

struct Whisker {
    size: u8,
    p10: f64,
    median: f64,
    p90: f64,
}

/// Messages sent during an election against the cluster size, one series per fault kind.
pub(crate) struct MessagesBySize<'a> {
    view: &'a View<'a>,
    subtitle: Vec<String>,
    series: Vec<(String, Vec<Whisker>)>,
}

impl<'a> MessagesBySize<'a> {
    /// Prepares the chart and its description.
    pub(crate) fn new(view: &'a View<'a>) -> (MessagesBySize<'a>, ChartDoc) {
        let mut series = Vec::new();
        for fault in &view.faults {
            let mut points = Vec::new();
            for &size in &view.sizes {
                let s = Sample::new(
                    view.runs()
                        .filter(|r| &r.fault == fault && r.nodes == size && r.election_time_us.is_some())
                        .map(|r| r.election_messages)
                        .collect(),
                );
                if let (Some(p10), Some(median), Some(p90)) = (s.percentile(10), s.median(), s.percentile(90)) {
                    points.push(Whisker { size, p10: p10 as f64, median: median as f64, p90: p90 as f64 });
                }
            }
            if !points.is_empty() {
                let name = if fault == "none" { "cold start".to_string() } else { fault.clone() };
                series.push((name, points));
            }
        }
        let subtitle = vec![
            "Messages sent by all servers from the fault (or the start) until a leader was established; \
             runs without an election are left out."
                .to_string(),
            format!("Dot: median, whiskers: 10th–90th percentile. {}", view.provenance()),
        ];
        let fig = MessagesBySize { view, subtitle, series };
        let caption = "How the cost of an election grows with the ensemble: messages (election \
                       notifications and the discovery and synchronization that follow) per election, \
                       median with 10th–90th percentile whiskers, one series per fault kind."
            .to_string();
        let d = doc(&fig, "Messages per election against cluster size", caption);
        (fig, d)
    }
}

impl Figure for MessagesBySize<'_> {
    fn stem(&self) -> &str {
        "messages-vs-size"
    }

    fn size(&self) -> (u32, u32) {
        let plot = if self.series.is_empty() { 180 } else { 620 };
        (1100, plot + chart::header_height(self.subtitle.len()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, "Messages per election against cluster size", &self.subtitle)?;
        if self.series.is_empty() {
            return chart::placeholder(&body, "No run elected a leader.");
        }
        let sizes: Vec<f64> = self.view.sizes.iter().map(|s| f64::from(*s)).collect();
        let gap = sizes.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min);
        let gap = if gap.is_finite() { gap } else { 2.0 };
        let (xlo, xhi) = (sizes[0] - gap * 0.6, sizes[sizes.len() - 1] + gap * 0.6);
        let ymax = self.series.iter().flat_map(|(_, w)| w.iter().map(|w| w.p90)).fold(1.0f64, f64::max) * 1.1;
        let mut c = ChartBuilder::on(&body)
            .margin_left(8)
            .margin_right(28)
            .margin_bottom(8)
            .x_label_area_size(50)
            .y_label_area_size(76)
            .build_cartesian_2d(KeyedAxis::new(xlo, xhi, sizes.clone()), 0f64..ymax)?;
        styled_mesh!(c)
            .y_labels(8)
            .x_label_formatter(&|v| fmt_num(*v, 0))
            .y_label_formatter(&|v| fmt_num(*v, 0))
            .x_desc("cluster size (servers)")
            .y_desc("messages per election")
            .draw()?;
        let k = self.series.len();
        let spread = if k > 1 { gap * 0.36 } else { 0.0 };
        for (j, (fault, points)) in self.series.iter().enumerate() {
            let color = self.view.fault_color(if fault == "cold start" { "none" } else { fault });
            let dx = if k > 1 { -spread / 2.0 + spread * j as f64 / (k - 1) as f64 } else { 0.0 };
            let med: Vec<(f64, f64)> = points.iter().map(|w| (f64::from(w.size) + dx, w.median)).collect();
            c.draw_series(LineSeries::new(med.clone(), color.mix(0.6).stroke_width(1)))?;
            c.draw_series(points.iter().map(|w| {
                ErrorBar::new_vertical(f64::from(w.size) + dx, w.p10, w.median, w.p90, color.stroke_width(2), 10)
            }))?;
            c.draw_series(med.iter().map(|p| Circle::new(*p, 5, color.filled())))?
                .label(fault.clone())
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        }
        styled_legend!(c, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

// ----- unavailability per fault kind ---------------------------------------------------------

struct BoxStats {
    size: u8,
    p10: f64,
    p25: f64,
    median: f64,
    p75: f64,
    p90: f64,
}

/// Unavailability (longest stretch without a commit) per fault kind: one panel per kind, one
/// box per cluster size.
pub(crate) struct Unavailability<'a> {
    view: &'a View<'a>,
    subtitle: Vec<String>,
    panels: Vec<(String, Vec<BoxStats>)>,
}

impl<'a> Unavailability<'a> {
    /// Prepares the chart and its description.
    pub(crate) fn new(view: &'a View<'a>) -> (Unavailability<'a>, ChartDoc) {
        let mut panels = Vec::new();
        for fault in view.faults.iter().filter(|f| f.as_str() != "none") {
            let mut boxes = Vec::new();
            for &size in &view.sizes {
                let s = Sample::new(
                    view.runs()
                        .filter(|r| &r.fault == fault && r.nodes == size)
                        .filter_map(|r| r.unavailability_us)
                        .collect(),
                );
                let p = |q| s.percentile(q).map(ms);
                if let (Some(p10), Some(p25), Some(median), Some(p75), Some(p90)) = (p(10), p(25), p(50), p(75), p(90))
                {
                    boxes.push(BoxStats { size, p10, p25, median, p75, p90 });
                }
            }
            if !boxes.is_empty() {
                panels.push((fault.clone(), boxes));
            }
        }
        let subtitle = vec![
            "Longest stretch after the fault with no write committed. Box: 25th–75th percentile, bar: \
             median, whiskers: 10th–90th."
                .to_string(),
            format!("Each panel has its own scale. {}", view.provenance()),
        ];
        let fig = Unavailability { view, subtitle, panels };
        let caption = "How long clients could not write, per fault kind and cluster size: the longest \
                       gap between commits after the fault (up to the end of the run). Boxes span the \
                       25th–75th percentile with the median marked, whiskers the 10th–90th; each panel \
                       has its own time scale."
            .to_string();
        let d = doc(&fig, "Unavailability per fault kind", caption);
        (fig, d)
    }
}

impl Figure for Unavailability<'_> {
    fn stem(&self) -> &str {
        "unavailability-by-fault"
    }

    fn size(&self) -> (u32, u32) {
        panelled_size(self.panels.len(), self.subtitle.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, "Unavailability per fault kind", &self.subtitle)?;
        if self.panels.is_empty() {
            return chart::placeholder(&body, "No fault runs.");
        }
        let (rows, cols) = chart::panel_grid(self.panels.len());
        let areas = body.split_evenly((rows, cols));
        for ((fault, boxes), area) in self.panels.iter().zip(areas.iter()) {
            let area = chart::panel_title(area, fault)?;
            let lo = boxes.iter().map(|b| b.p10).fold(f64::INFINITY, f64::min);
            let hi = boxes.iter().map(|b| b.p90).fold(0.0f64, f64::max);
            let (ylo, yhi) = chart::padded(lo, hi, 1.0);
            let (ylo, yhi) = (ylo.max(0.0), yhi + (yhi - ylo) * 0.08);
            let n = boxes.len();
            let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let mut c = ChartBuilder::on(&area)
                .margin_left(8)
                .margin_right(24)
                .margin_bottom(8)
                .x_label_area_size(46)
                .y_label_area_size(76)
                .build_cartesian_2d(KeyedAxis::new(-0.6, n as f64 - 0.4, keys), ylo..yhi)?;
            let label_of = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                    format!("{} servers", boxes[i as usize].size)
                } else {
                    String::new()
                }
            };
            styled_mesh!(c)
                .y_labels(7)
                .x_label_formatter(&label_of)
                .y_label_formatter(&style::tick)
                .x_desc("cluster size")
                .y_desc("unavailability (ms)")
                .draw()?;
            for (i, b) in boxes.iter().enumerate() {
                let color = self.view.size_color(b.size);
                let x = i as f64;
                let w = 0.28;
                c.draw_series([
                    PathElement::new(vec![(x, b.p10), (x, b.p25)], color.stroke_width(2)),
                    PathElement::new(vec![(x, b.p75), (x, b.p90)], color.stroke_width(2)),
                    PathElement::new(vec![(x - w / 2.0, b.p10), (x + w / 2.0, b.p10)], color.stroke_width(2)),
                    PathElement::new(vec![(x - w / 2.0, b.p90), (x + w / 2.0, b.p90)], color.stroke_width(2)),
                ])?;
                c.draw_series([
                    Rectangle::new([(x - w, b.p25), (x + w, b.p75)], color.mix(0.3).filled()),
                    Rectangle::new([(x - w, b.p25), (x + w, b.p75)], color.stroke_width(2)),
                ])?;
                c.draw_series([PathElement::new(vec![(x - w, b.median), (x + w, b.median)], TEXT.stroke_width(3))])?;
                let label = format!("{} ms", fmt_num(b.median, if b.median >= 100.0 { 0 } else { 1 }));
                let style = style::text(SMALL_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Bottom));
                c.draw_series([Text::new(label, (x, b.p90 + (yhi - ylo) * 0.015), style)])?;
            }
        }
        Ok(())
    }
}

// ----- commit latency over time for one run --------------------------------------------------

/// Commit latency of every acknowledged write over one run, fault windows shaded.
pub(crate) struct CommitTimeline {
    subtitle: Vec<String>,
    run: Option<RunMetrics>,
}

/// One line describing a run's parameters.
pub(crate) fn describe_run(r: &RunMetrics) -> String {
    format!(
        "{} servers, fault {}, seed {}, delay {} ms, finalizeWait {} ms, fsync {} ms, tickTime {} ms",
        r.nodes,
        r.fault,
        r.seed,
        fmt_num(ms(r.delay_us), 3),
        r.finalize_wait_ms,
        fmt_num(ms(r.fsync_us), 3),
        fmt_num(f64::from(r.tick_time_ms), 0)
    )
}

impl CommitTimeline {
    /// Prepares the chart (the first fault run with a timeline, else the first run with one).
    pub(crate) fn new(view: &View<'_>) -> (CommitTimeline, ChartDoc) {
        let run = view
            .runs()
            .find(|r| r.has_fault() && !r.commit_timeline.is_empty())
            .or_else(|| view.runs().find(|r| !r.commit_timeline.is_empty()))
            .cloned();
        let subtitle = match &run {
            Some(r) => vec![
                format!(
                    "{}; {} writes, p50 {}, p99 {}",
                    describe_run(r),
                    fmt_num(r.commit_timeline.len() as f64, 0),
                    r.commit_latency_p50_us.map_or("–".into(), style::fmt_ms),
                    r.commit_latency_p99_us.map_or("–".into(), style::fmt_ms)
                ),
                format!("grid {}", view.results.grid_name),
            ],
            None => vec![format!("grid {}", view.results.grid_name)],
        };
        let fig = CommitTimeline { subtitle, run };
        let caption = match &fig.run {
            Some(r) => format!(
                "Latency of every acknowledged write against the time it committed, in one run ({}); \
                 the shaded band is the fault window. A gap is a stretch in which nothing committed; \
                 writes that were rejected or never acknowledged have no point.",
                describe_run(r)
            ),
            None => "No run in these results kept a commit timeline.".to_string(),
        };
        let d = doc(&fig, "Commit latency over time", caption);
        (fig, d)
    }
}

impl Figure for CommitTimeline {
    fn stem(&self) -> &str {
        "commit-latency-timeline"
    }

    fn size(&self) -> (u32, u32) {
        let plot = if self.run.is_some() { 560 } else { 180 };
        (1200, plot + chart::header_height(self.subtitle.len()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, "Commit latency over time", &self.subtitle)?;
        let Some(run) = &self.run else {
            return chart::placeholder(&body, "No run kept a commit timeline.");
        };
        let pts: Vec<(f64, f64)> = run.commit_timeline.iter().map(|(t, l)| (ms(*t), ms(*l))).collect();
        let tmax = run
            .commit_timeline
            .iter()
            .map(|(t, _)| *t)
            .chain(run.fault_windows.iter().map(|(_, e)| *e))
            .max()
            .unwrap_or(1000);
        let ymax = pts.iter().map(|p| p.1).fold(1.0f64, f64::max) * 1.1;
        let xhi = (ms(tmax) * 1.02).max(1.0);
        let mut c = ChartBuilder::on(&body)
            .margin_left(8)
            .margin_right(28)
            .margin_bottom(8)
            .x_label_area_size(50)
            .y_label_area_size(76)
            .build_cartesian_2d(0f64..xhi, 0f64..ymax)?;
        styled_mesh!(c)
            .x_labels(12)
            .y_labels(8)
            .x_label_formatter(&style::tick)
            .y_label_formatter(&style::tick)
            .x_desc("virtual time at commit (ms)")
            .y_desc("commit latency (ms)")
            .draw()?;
        let windows: Vec<(f64, f64)> = run.fault_windows.iter().map(|(s, e)| (ms(*s), ms(*e))).collect();
        if !windows.is_empty() {
            c.draw_series(
                windows.iter().map(|(s, e)| Rectangle::new([(*s, 0.0), (*e, ymax)], FAULT.mix(0.12).filled())),
            )?
            .label(format!("fault window ({})", run.fault))
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], FAULT.mix(0.25).filled()));
            let style = style::text(SMALL_PX, FAULT).pos(Pos::new(HPos::Left, VPos::Top));
            c.draw_series(windows.iter().map(|(s, _)| {
                EmptyElement::at((*s, ymax)) + Text::new(format!("{} starts", run.fault), (5, 5), style.clone())
            }))?;
        }
        let color = style::series(0);
        c.draw_series(LineSeries::new(pts.clone(), color.mix(0.35).stroke_width(1)))?;
        c.draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))?
            .label("acknowledged write")
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
        if let Some(p99) = run.commit_latency_p99_us {
            let y = ms(p99);
            c.draw_series(DashedLineSeries::new(vec![(0.0, y), (xhi, y)], 6, 4, MUTED.stroke_width(1)))?
                .label(format!("run p99 ({})", style::fmt_ms(p99)))
                .legend(|(x, y)| DashedPathElement::new(vec![(x, y), (x + 20, y)], 5, 3, MUTED.stroke_width(2)));
        }
        styled_legend!(c, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

// ----- summary table -------------------------------------------------------------------------

/// One row of the summary table: a fault kind at one cluster size.
pub(crate) struct SummaryRow {
    /// Fault kind.
    pub(crate) fault: String,
    /// Cluster size.
    pub(crate) nodes: u8,
    /// Runs.
    pub(crate) runs: usize,
    /// Runs that established a new leader.
    pub(crate) elected: usize,
    /// Median election time of those, µs.
    pub(crate) median_election_us: Option<u64>,
    /// Median unavailability, µs.
    pub(crate) median_unavailability_us: Option<u64>,
    /// Median over runs of each run's p99 commit latency, µs.
    pub(crate) p99_commit_us: Option<u64>,
    /// Runs that never recovered (`RunMetrics::recovered` false).
    pub(crate) never_recovered: usize,
}

/// Summary rows: fault kinds in grid order, cluster sizes ascending.
pub(crate) fn summary(view: &View<'_>) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for fault in &view.faults {
        for &nodes in &view.sizes {
            let runs: Vec<&RunMetrics> = view.runs().filter(|r| &r.fault == fault && r.nodes == nodes).collect();
            if runs.is_empty() {
                continue;
            }
            let election = Sample::new(runs.iter().filter_map(|r| r.election_time_us).collect());
            let unavailability = Sample::new(runs.iter().filter_map(|r| r.unavailability_us).collect());
            let p99 = Sample::new(runs.iter().filter_map(|r| r.commit_latency_p99_us).collect());
            rows.push(SummaryRow {
                fault: fault.clone(),
                nodes,
                runs: runs.len(),
                elected: election.len(),
                median_election_us: election.median(),
                median_unavailability_us: unavailability.median(),
                p99_commit_us: p99.median(),
                never_recovered: runs.iter().filter(|r| !r.recovered()).count(),
            });
        }
    }
    rows
}

/// Size of a figure drawn as a grid of panels under a header of `subtitle_lines` lines.
fn panelled_size(panels: usize, subtitle_lines: usize) -> (u32, u32) {
    let (rows, _) = chart::panel_grid(panels);
    let plot = if panels == 0 { 180 } else { 380 * rows as u32 };
    (1200, chart::header_height(subtitle_lines) + plot)
}
