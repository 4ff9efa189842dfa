//! The fuzz campaign's section of the default campaign's report page: what ran, how fast,
//! which fault kinds and protocol paths the seeds took (a table with a bar per row), and each
//! distinct failure with the command that replays it.

use crate::html::esc;
use crate::schema::CampaignSummary;
use crate::style::fmt_num;

/// The section, as HTML.
pub(crate) fn section(c: &CampaignSummary) -> String {
    let mut b = String::from("<h2>Fuzz campaign</h2>\n");
    b.push_str(&format!("<p>Reproduce: <code>{}</code></p>\n<table>\n", esc(&c.command)));
    let rate = c.seeds as f64 / c.wall_seconds.max(1e-9);
    for (k, v) in [
        ("seeds", fmt_num(c.seeds as f64, 0)),
        ("server steps", fmt_num(c.events as f64, 0)),
        ("virtual time simulated", format!("{} s", fmt_num(c.simulated_us as f64 / 1e6, 0))),
        ("wall time (this machine)", format!("{} s, {} seeds/s", fmt_num(c.wall_seconds, 1), fmt_num(rate, 0))),
        ("failing seeds", fmt_num(c.failing_seeds as f64, 0)),
    ] {
        let bad = if k == "failing seeds" && c.failing_seeds > 0 { " class=\"bad\"" } else { "" };
        b.push_str(&format!("<tr><th>{k}</th><td{bad}>{v}</td></tr>\n"));
    }
    b.push_str("</table>\n");
    b.push_str(&failures(c));
    b.push_str(&coverage(c));
    b
}

fn failures(c: &CampaignSummary) -> String {
    if c.failures.is_empty() {
        return "<p>No violations: every invariant held and every run converged after the heal.</p>\n".to_string();
    }
    let mut b = String::from(
        "<h3 class=\"warn\">Failures (one per fingerprint, shrunk and saved)</h3>\n<table>\n<thead><tr>\
         <th>fingerprint</th><th>seed</th><th>servers</th><th>violation</th><th>replay</th></tr></thead>\n<tbody>\n",
    );
    for f in &c.failures {
        b.push_str(&format!(
            "<tr><td class=\"bad\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
             <td><code>{}</code></td></tr>\n",
            esc(&f.fingerprint),
            f.seed,
            f.nodes,
            esc(&f.detail),
            esc(&f.replay)
        ));
    }
    b.push_str("</tbody>\n</table>\n");
    b
}

fn coverage(c: &CampaignSummary) -> String {
    let mut b = String::from(
        "<h3>Coverage: seeds in which each fault kind and protocol path happened</h3>\n<table>\n<thead><tr>\
         <th>fault kind or path</th><th>seeds</th><th>share</th><th></th></tr></thead>\n<tbody>\n",
    );
    for (name, n) in &c.coverage {
        let share = if c.seeds == 0 { 0.0 } else { *n as f64 / c.seeds as f64 };
        // A bar 0..300 px wide; a path no seed took is marked, so a gap in the campaign shows.
        let bad = if *n == 0 { " bad" } else { "" };
        b.push_str(&format!(
            "<tr><td>{}</td><td class=\"n{bad}\">{}</td><td class=\"n\">{} %</td><td><span style=\"display:inline-block;\
             background:#4a78b5;height:.8rem;width:{}px\"></span></td></tr>\n",
            esc(name),
            fmt_num(*n as f64, 0),
            fmt_num(share * 100.0, 1),
            (share * 300.0).round() as u64
        ));
    }
    b.push_str("</tbody>\n</table>\n");
    b
}
