//! Messages per election against the cluster size: median and 10th–90th percentile whiskers,
//! one series per fault kind.

use super::{doc, ChartDoc, View};
use crate::chart::{self, styled_legend, styled_mesh, Area, DrawErr, Figure, KeyedAxis};
use crate::stats::Sample;
use crate::style::fmt_num;
use plotters::prelude::*;

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
                        .filter(|r| &r.fault == fault && r.nodes == size && r.new_leader_us.is_some())
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
            "Messages sent by all servers from the fault (or the start) until a new leader was established; \
             runs without a new leader are left out."
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
