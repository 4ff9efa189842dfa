//! Time to a new leader against one grid parameter (message delay or finalizeWait), the other
//! held at its most common value: median and p90 per cluster size.

use super::{doc, ChartDoc, View};
use crate::chart::{self, styled_legend, styled_mesh, Area, DashedPathElement, DrawErr, Figure, KeyedAxis};
use crate::schema::RunMetrics;
use crate::stats::{ms, Sample};
use crate::style::{self, fmt_num, TEXT};
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

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

/// Time to a new leader (median and p90) against message delay or finalizeWait, per cluster size.
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
    let elected = |f: &str| view.runs().any(|r| r.fault == f && r.new_leader_us.is_some());
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
        let title = format!("Time to a new leader against {}", param.name());
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
            "Median (solid) and 90th percentile (dashed), over the seeds of each grid point, of the time \
             from the fault (cold start: from 0) until a new leader is established (a quorum acknowledged its \
             NEWLEADER), against {}, one colour per cluster size. The other parameter is held at its most \
             common value, so each line changes one thing only.",
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
                        .filter_map(|r| r.new_leader_us)
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
            .y_desc("time to a new leader (ms)")
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
