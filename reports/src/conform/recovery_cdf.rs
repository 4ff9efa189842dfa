//! The recovery-time CDF of real ZooKeeper against zabsim: one panel per case, one step line
//! for the real trials and one for the free-running simulated runs.

use super::{ConformCase, ConformReport};
use crate::chart::{self, styled_legend, styled_mesh, Area, DrawErr, Figure, KeyedAxis};
use crate::style::{self, fmt_num};
use crate::sweep::{doc, panelled_size, ChartDoc};
use plotters::prelude::*;

/// One line: the sorted values and how many runs they come from.
struct Line {
    label: String,
    runs: usize,
    sorted_ms: Vec<f64>,
}

impl Line {
    fn new(label: &str, runs: usize, values: &[f64]) -> Line {
        let mut sorted_ms = values.to_vec();
        sorted_ms.sort_by(f64::total_cmp);
        let label = if sorted_ms.len() == runs {
            format!("{label} (n={runs})")
        } else {
            format!("{label} ({} of {runs} recovered)", sorted_ms.len())
        };
        Line { label, runs, sorted_ms }
    }
}

struct Panel {
    name: String,
    real: Line,
    sim: Line,
}

/// Recovery-time CDF, real against simulated.
pub(crate) struct RecoveryCdf {
    subtitle: Vec<String>,
    panels: Vec<Panel>,
}

const TITLE: &str = "Recovery time: real ZooKeeper against zabsim";

impl RecoveryCdf {
    /// Prepares the chart and its description (the report is validated).
    pub(crate) fn new(report: &ConformReport) -> (RecoveryCdf, ChartDoc) {
        let panels: Vec<Panel> = report
            .cases
            .iter()
            .map(|c: &ConformCase| Panel {
                name: format!("{}: {}", c.name, c.measured),
                real: Line::new(&c.real_label, c.real_runs, &c.real_ms),
                sim: Line::new(&c.sim_label, c.sim_runs, &c.sim_ms),
            })
            .collect();
        let subtitle = vec![
            "Share of runs recovered by each time; real trials against free-running simulated runs, one panel \
             per case."
                .to_string(),
            // Not the command: it names the output folder, and the chart should not depend on it.
            format!(
                "{} case{}: {}",
                report.cases.len(),
                if report.cases.len() == 1 { "" } else { "s" },
                report.cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ];
        let fig = RecoveryCdf { subtitle, panels };
        let measured: Vec<String> = report.cases.iter().map(|c| format!("{}: {}", c.name, c.measured)).collect();
        let caption = format!(
            "Cumulative distribution of the recovery time of real ZooKeeper trials and of zabsim runs on the \
             same schedule, the simulator running free over many seeds with its default costs (not replaying \
             the real trials' measured times). Recovery time, per case: {}. A step is one run; a line that \
             ends below 100% had runs that never recovered.",
            measured.join("; ")
        );
        let d = doc(&fig, TITLE, caption);
        (fig, d)
    }
}

impl Figure for RecoveryCdf {
    fn stem(&self) -> &str {
        "conform-recovery-cdf"
    }

    fn size(&self) -> (u32, u32) {
        panelled_size(self.panels.len(), self.subtitle.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, TITLE, &self.subtitle)?;
        let (rows, cols) = chart::panel_grid(self.panels.len());
        let areas = body.split_evenly((rows, cols));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            let area = chart::panel_title(area, &panel.name)?;
            let all = panel.real.sorted_ms.iter().chain(panel.sim.sorted_ms.iter());
            let lo = all.clone().copied().fold(f64::INFINITY, f64::min);
            let hi = all.copied().fold(0.0f64, f64::max);
            let (xlo, xhi) = chart::padded(lo, hi, 1.0);
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
                .x_desc("recovery time (ms)")
                .y_desc("runs recovered")
                .draw()?;
            for (k, line) in [&panel.real, &panel.sim].into_iter().enumerate() {
                let color = style::series(k);
                let n = line.runs as f64;
                let mut pts = vec![(xlo, 0.0)];
                for (i, v) in line.sorted_ms.iter().enumerate() {
                    pts.push((*v, i as f64 / n));
                    pts.push((*v, (i + 1) as f64 / n));
                }
                pts.push((xhi, line.sorted_ms.len() as f64 / n));
                c.draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                    .label(line.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            }
            styled_legend!(c, SeriesLabelPosition::LowerRight)?;
        }
        Ok(())
    }
}
