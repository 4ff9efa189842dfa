//! A legend strip above a chart: a row of swatches (bands, arrows, markers, ticks) with
//! their labels, so the legend never covers what the chart draws.

use crate::chart::{Area, DashedPathElement, DrawErr};
use crate::style::{self, FAULT, TEXT};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A legend swatch.
pub(crate) enum Swatch {
    Band(RGBColor, f64),
    Arrow(RGBColor),
    Paused,
    Marker,
    Cross,
    /// A short vertical stroke (an instant on a lane).
    Tick(RGBColor),
}

/// A row of legend items at (x, y) in `area`.
pub(crate) fn legend_strip<DB: DrawingBackend>(area: &Area<DB>, items: &[(Swatch, String)]) -> Result<(), DrawErr> {
    let style = style::text(style::LEGEND_PX, TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = style::MARGIN_PX;
    let y = 14;
    for (swatch, label) in items {
        match swatch {
            Swatch::Band(c, a) => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 22, y + 7)], c.mix(*a).filled()))?;
            }
            Swatch::Arrow(c) => {
                area.draw(&PathElement::new(vec![(x, y), (x + 15, y)], c.stroke_width(2)))?;
                area.draw(&Polygon::new(vec![(x + 22, y), (x + 14, y - 4), (x + 14, y + 4)], c.filled()))?;
            }
            Swatch::Paused => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 22, y + 7)], style::FOLLOWING.filled()))?;
                area.draw(&Rectangle::new([(x, y - 7), (x + 22, y + 7)], style::PAUSED.mix(0.45).filled()))?;
            }
            Swatch::Marker => {
                area.draw(&DashedPathElement::new(
                    vec![(x + 11, y - 8), (x + 11, y + 8)],
                    4,
                    3,
                    FAULT.stroke_width(2),
                ))?;
            }
            Swatch::Cross => {
                area.draw(&PathElement::new(vec![(x + 6, y - 5), (x + 16, y + 5)], FAULT.stroke_width(2)))?;
                area.draw(&PathElement::new(vec![(x + 6, y + 5), (x + 16, y - 5)], FAULT.stroke_width(2)))?;
            }
            Swatch::Tick(c) => {
                area.draw(&PathElement::new(vec![(x + 11, y - 7), (x + 11, y + 7)], c.stroke_width(2)))?;
            }
        }
        area.draw(&Text::new(label.clone(), (x + 28, y), style.clone()))?;
        let (w, _) = area.estimate_text_size(label, &style)?;
        x += 28 + w as i32 + 22;
    }
    Ok(())
}
