//! The client timeline of one run, as Jepsen draws a history: one lane per client, each
//! operation a bar from its invocation to its completion, coloured by how it ended (ok,
//! failed, unknown), the fault window shaded. Where a fault leaves clients waiting, their
//! lanes show it: bars stretch, turn unknown or failed, and resume.

use super::commit_timeline::describe_run;
use super::{doc, ChartDoc, View};
use crate::chart::{self, styled_mesh, Area, DashedPathElement, DrawErr, Figure, KeyedAxis};
use crate::legend::{legend_strip, Swatch};
use crate::schema::{ClientOpSpan, ClientWait, OpOutcome, RunMetrics};
use crate::stats::ms;
use crate::style::{self, fmt_num, FAULT, MUTED as WAIT, OP_FAILED, OP_OK, OP_UNKNOWN, SMALL_PX, TEXT};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

/// Every client operation of one run: the first fault run of a sweep that kept them, or one
/// `zabsim run` ([`ClientTimeline::of_run`]).
pub(crate) struct ClientTimeline {
    subtitle: Vec<String>,
    run: Option<RunMetrics>,
    lanes: u32,
    /// Fault instants (µs, what) marked with a line: a single run's schedule.
    marks: Vec<(u64, String)>,
    /// Where the time axis ends, µs (the run's end when known).
    end_us: u64,
}

/// One run's client operations, for [`crate::render_client_timeline`].
#[derive(Clone, Debug, Default)]
pub struct RunClients {
    /// What the run was (shown under the title).
    pub description: String,
    /// The recipe the clients ran.
    pub recipe: String,
    /// Every operation.
    pub ops: Vec<ClientOpSpan>,
    /// Every stretch a client waited for the service.
    pub waits: Vec<ClientWait>,
    /// Fault instants: (µs, what).
    pub faults: Vec<(u64, String)>,
    /// When the run ended, µs.
    pub end_us: u64,
}

fn color(outcome: OpOutcome) -> RGBColor {
    match outcome {
        OpOutcome::Ok => OP_OK,
        OpOutcome::Failed => OP_FAILED,
        OpOutcome::Unknown => OP_UNKNOWN,
    }
}

impl ClientTimeline {
    /// Prepares the chart.
    pub(crate) fn new(view: &View<'_>) -> (ClientTimeline, ChartDoc) {
        let run = view
            .runs()
            .find(|r| r.has_fault() && !r.client_ops.is_empty())
            .or_else(|| view.runs().find(|r| !r.client_ops.is_empty()))
            .cloned();
        let lanes = run.as_ref().map_or(0, |r| lanes_of(&r.client_ops));
        let subtitle = match &run {
            Some(r) => vec![
                format!(
                    "{}; longest client wait after the fault {}",
                    describe_run(r),
                    r.client_unavailable_us.map_or("–".into(), style::fmt_ms)
                ),
                tally(r.clients, &r.recipe, &r.client_ops),
            ],
            None => vec![format!("grid {}", view.results.grid_name)],
        };
        let end_us = run.as_ref().map_or(0, |r| axis_end(r, &[]));
        let fig = ClientTimeline { subtitle, run, lanes, marks: Vec::new(), end_us };
        let caption = match &fig.run {
            Some(r) => format!(
                "Every operation of every simulated client in one run ({}), as Jepsen draws a history: a \
                 lane per client, a bar from the operation's invocation to its completion, green when it \
                 succeeded, red when it failed (an error reply, or a read lost with its connection), amber \
                 when its outcome is unknown (a write lost with its connection, or one still pending at \
                 the end); connection attempts are bars too (green when a server took the session, red \
                 when refused or failed), and a live session's lost connection is a dark tick. Grey behind \
                 a lane: the client was waiting for the service, from an invocation until its answer, and \
                 from a lost request or connection until it was next served; the longest such wait after \
                 the fault is the run's client-visible window. A client with nothing outstanding (a lock \
                 waiter on its watch, a client thinking) is not waiting. The shaded band is the fault \
                 window. Bars shorter than a pixel are drawn one pixel wide.",
                describe_run(r)
            ),
            None => "No run in these results kept its client operations (the grid had no clients).".to_string(),
        };
        let d = doc(&fig, "Client operations over time", caption);
        (fig, d)
    }
}

impl ClientTimeline {
    /// The chart of one run's clients, its faults marked as lines.
    pub(crate) fn of_run(run: RunClients) -> ClientTimeline {
        let lanes = lanes_of(&run.ops);
        let subtitle = vec![run.description, tally(lanes, &run.recipe, &run.ops)];
        let metrics = RunMetrics { client_ops: run.ops, client_waits: run.waits, ..RunMetrics::default() };
        let end_us = axis_end(&metrics, &run.faults).max(run.end_us);
        ClientTimeline { subtitle, run: Some(metrics), lanes, marks: run.faults, end_us }
    }
}

/// The last moment the chart shows something: an operation's end, a wait's, a fault's.
fn axis_end(run: &RunMetrics, marks: &[(u64, String)]) -> u64 {
    run.client_ops
        .iter()
        .map(|o| o.completed_us.unwrap_or(o.invoked_us))
        .chain(run.client_waits.iter().map(|w| w.to_us))
        .chain(run.fault_windows.iter().map(|(_, e)| *e))
        .chain(marks.iter().map(|(t, _)| *t))
        .max()
        .unwrap_or(1000)
}

fn lanes_of(ops: &[ClientOpSpan]) -> u32 {
    ops.iter().map(|o| o.client + 1).max().unwrap_or(0)
}

/// Connection attempts and lost connections are in the history beside the requests.
fn is_connection(op: &ClientOpSpan) -> bool {
    op.kind == "connect" || op.kind == "disconnect"
}

/// "5 clients running lock: 1,234 requests (1,200 ok, 30 failed, 4 unknown), 40 connection
/// attempts (9 refused or failed), 6 connections lost".
fn tally(clients: u32, recipe: &str, ops: &[ClientOpSpan]) -> String {
    let requests: Vec<&ClientOpSpan> = ops.iter().filter(|o| !is_connection(o)).collect();
    let count = |o: OpOutcome| requests.iter().filter(|op| op.outcome == o).count() as f64;
    let connects = ops.iter().filter(|o| o.kind == "connect");
    let (attempts, failed) = connects.fold((0, 0), |(a, f), o| (a + 1, f + usize::from(o.outcome != OpOutcome::Ok)));
    let lost = ops.iter().filter(|o| o.kind == "disconnect").count();
    format!(
        "{clients} clients running {}: {} requests ({} ok, {} failed, {} unknown), {} connection attempts ({} refused \
         or failed), {} connections lost",
        if recipe.is_empty() || recipe == "none" { "scripts" } else { recipe },
        fmt_num(requests.len() as f64, 0),
        fmt_num(count(OpOutcome::Ok), 0),
        fmt_num(count(OpOutcome::Failed), 0),
        fmt_num(count(OpOutcome::Unknown), 0),
        fmt_num(attempts as f64, 0),
        fmt_num(failed as f64, 0),
        fmt_num(lost as f64, 0),
    )
}

/// Pixels per client lane: roomy for a few clients, down to 8 for hundreds, so that the
/// picture stays under about 2,500 pixels tall.
fn lane_px(lanes: u32) -> u32 {
    (2_400 / lanes.max(1)).clamp(8, 56)
}

impl Figure for ClientTimeline {
    fn stem(&self) -> &str {
        "client-timeline"
    }

    fn size(&self) -> (u32, u32) {
        let plot = if self.run.is_some() { 190 + lane_px(self.lanes) * self.lanes.max(3) } else { 180 };
        (1200, plot + chart::header_height(self.subtitle.len()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, "Client operations over time", &self.subtitle)?;
        let Some(run) = &self.run else {
            return chart::placeholder(&body, "No run kept its client operations: give the grid clients.");
        };
        // The legend above the plot, where it covers no lane.
        let (strip, body) = body.split_vertically(30);
        let mut legend = Vec::new();
        if !run.fault_windows.is_empty() {
            legend.push((Swatch::Band(FAULT, 0.25), format!("fault window ({})", run.fault)));
        }
        if !self.marks.is_empty() {
            legend.push((Swatch::Marker, "fault".to_string()));
        }
        legend.push((Swatch::Band(WAIT, 0.35), "waiting for the service".to_string()));
        for outcome in [OpOutcome::Ok, OpOutcome::Failed, OpOutcome::Unknown] {
            legend.push((Swatch::Band(color(outcome), 1.0), outcome.name().to_string()));
        }
        legend.push((Swatch::Tick(TEXT), "connection lost".to_string()));
        legend_strip(&strip, &legend)?;
        let end_us = self.end_us;
        let xhi = (ms(end_us) * 1.02).max(1.0);
        let lanes = f64::from(self.lanes);
        // Client 0 on top.
        let keys: Vec<f64> = (0..self.lanes).map(f64::from).collect();
        let mut c = ChartBuilder::on(&body)
            .margin_left(8)
            .margin_right(28)
            .margin_bottom(8)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..xhi, KeyedAxis::new(lanes - 0.5, -0.5, keys))?;
        let lane_label = |v: &f64| format!("client {}", v.round());
        styled_mesh!(c)
            .x_labels(12)
            .x_label_formatter(&style::tick)
            .y_label_formatter(&lane_label)
            .x_desc("virtual time (ms)")
            .y_desc("")
            .draw()?;
        for (s, e) in &run.fault_windows {
            c.draw_series([Rectangle::new([(ms(*s), -0.5), (ms(*e), lanes - 0.5)], FAULT.mix(0.10).filled())])?;
        }
        // Each fault's label goes on the first line down where it clears the labels before it.
        let style = style::text(SMALL_PX, FAULT).pos(Pos::new(HPos::Left, VPos::Top));
        let mut line_ends: Vec<i32> = Vec::new();
        for (t, what) in &self.marks {
            let x = ms(*t);
            c.draw_series([DashedPathElement::new(vec![(x, -0.5), (x, lanes - 0.5)], 4, 3, FAULT.stroke_width(1))])?;
            let left = c.backend_coord(&(x, -0.5)).0 + 3;
            let width = body.estimate_text_size(what, &style)?.0 as i32;
            let line = line_ends.iter().position(|end| *end < left).unwrap_or(line_ends.len());
            if line == line_ends.len() {
                line_ends.push(0);
            }
            line_ends[line] = left + width + 6;
            c.draw_series([
                EmptyElement::at((x, -0.5)) + Text::new(what.clone(), (3, 2 + 14 * line as i32), style.clone())
            ])?;
        }
        // Behind the bars, each stretch in which a client waited for the service.
        let waits = run.client_waits.iter().map(|w| {
            let lane = f64::from(w.client);
            Rectangle::new([(ms(w.from_us), lane - 0.42), (ms(w.to_us), lane + 0.42)], WAIT.mix(0.35).filled())
        });
        c.draw_series(waits)?;
        // One pixel of the plot, in ms: the narrowest bar drawn.
        let pixel = xhi / f64::from(body.dim_in_pixel().0.max(1));
        for outcome in [OpOutcome::Ok, OpOutcome::Failed, OpOutcome::Unknown] {
            let col = color(outcome);
            let bars = run.client_ops.iter().filter(|o| o.outcome == outcome && o.kind != "disconnect").map(|o| {
                let (from, to) = (ms(o.invoked_us), ms(o.completed_us.unwrap_or(end_us)));
                let lane = f64::from(o.client);
                Rectangle::new([(from, lane - 0.3), (to.max(from + pixel), lane + 0.3)], col.filled())
            });
            c.draw_series(bars)?;
        }
        // A lost connection is an instant: a dark tick across the lane.
        let ticks = run.client_ops.iter().filter(|o| o.kind == "disconnect").map(|o| {
            let (x, lane) = (ms(o.invoked_us), f64::from(o.client));
            PathElement::new(vec![(x, lane - 0.45), (x, lane + 0.45)], TEXT.stroke_width(2))
        });
        c.draw_series(ticks)?;
        Ok(())
    }
}
