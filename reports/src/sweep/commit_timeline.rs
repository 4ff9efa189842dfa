//! Commit latency over time in one run: every acknowledged write, fault windows shaded.

use super::{doc, ChartDoc, View};
use crate::chart::{self, styled_legend, styled_mesh, Area, DashedPathElement, DrawErr, Figure};
use crate::schema::RunMetrics;
use crate::stats::ms;
use crate::style::{self, fmt_num, FAULT, MUTED, SMALL_PX};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
