//! The election-time CDF: one panel per fault kind, one line per cluster size.

use super::{doc, panelled_size, ChartDoc, View};
use crate::chart::{self, styled_legend, styled_mesh, Area, DrawErr, Figure, KeyedAxis};
use crate::schema::RunMetrics;
use crate::stats::{ms, Sample};
use crate::style::{self, fmt_num};
use plotters::prelude::*;

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
        let fault_runs = view.runs().any(|r| r.has_fault() && r.new_leader_us.is_some());
        let mut panels = Vec::new();
        for fault in &view.faults {
            let is_fault = fault != "none";
            if is_fault != fault_runs {
                continue;
            }
            let runs: Vec<&RunMetrics> = view.runs().filter(|r| &r.fault == fault).collect();
            if !runs.iter().any(|r| r.new_leader_us.is_some()) {
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
                        elected: Sample::new(of_size.iter().filter_map(|r| r.new_leader_us).collect()),
                    })
                })
                .collect();
            let name = if is_fault { fault.clone() } else { "cold start (no fault)".to_string() };
            panels.push(CdfPanel { name, lines });
        }
        let (title, what) = if fault_runs {
            (
                "Time to a new leader after a fault",
                "from the fault until a new leader is established (a quorum acknowledged its NEWLEADER)",
            )
        } else {
            (
                "Cold start: time to the first leader",
                "from the start until the first leader is established (a quorum acknowledged its NEWLEADER)",
            )
        };
        let subtitle = vec![
            format!("Share of runs with a new leader, {what}; one line per cluster size, one panel per fault kind."),
            view.provenance(),
        ];
        let fig = ElectionCdf { view, title: title.to_string(), subtitle, panels };
        let caption = format!(
            "Cumulative distribution of the time to a new leader ({what}), per cluster size. It includes \
             the FLE decision (the first server going FOLLOWING or LEADING) and the discovery and \
             synchronization that establish the leader; it excludes the followers' catching up after \
             that. A curve that \
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
                .x_desc("time to a new leader (ms)")
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
