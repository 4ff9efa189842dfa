//! The two index.html pages: plain HTML with a little inline CSS, no JavaScript and nothing
//! loaded from elsewhere; charts are embedded as `<img src="*.svg">` beside the page.

use crate::schema::{CampaignSummary, SweepResults};
use crate::stats::ms;
use crate::style::{fmt_ms, fmt_num};
use crate::sweep::{ChartDoc, SummaryRow};
use crate::trace_model::{Integrity, TraceModel};

const CSS: &str = "\
body{font-family:'DejaVu Sans',system-ui,sans-serif;color:#222;margin:2rem auto;max-width:1240px;padding:0 1rem;line-height:1.45}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}\
h3{font-size:1.05rem;margin:.2rem 0 .5rem}.meta{color:#666;margin-top:0}\
code{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px;font-size:.9em;word-break:break-all}\
table{border-collapse:collapse;font-size:.9rem;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.3rem .6rem}\
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
td.bad{color:#b00;font-weight:bold}figure{margin:1.6rem 0}img{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#444;font-size:.92rem;max-width:1100px}.cmd{color:#666}.warn{color:#b00}";

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page: the head with the shared CSS, then `body`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

fn opt_ms(v: Option<u64>) -> String {
    v.map_or("–".to_string(), fmt_ms)
}

/// A chart as a figure: heading, the SVG, the caption and `reproduce` with links to both files.
pub(crate) fn figure(doc: &ChartDoc, reproduce: &str) -> String {
    let (w, h) = doc.size;
    format!(
        "<figure id=\"{stem}\">\n<h3>{title}</h3>\n\
         <img src=\"{stem}.svg\" width=\"{w}\" height=\"{h}\" alt=\"{title}\">\n\
         <figcaption><p>{caption}</p>\n<p class=\"cmd\">{reproduce} · \
         <a href=\"{stem}.png\">PNG</a> · <a href=\"{stem}.svg\">SVG</a></p></figcaption>\n</figure>\n",
        stem = esc(&doc.stem),
        title = esc(&doc.title),
        caption = esc(&doc.caption),
    )
}

/// The sweep report page, after the fuzz campaign's summary when there is one.
pub(crate) fn sweep_page(
    results: &SweepResults,
    campaign: Option<&CampaignSummary>,
    rows: &[SummaryRow],
    charts: &[ChartDoc],
) -> String {
    let faults: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.fault.as_str()).collect();
    let sizes: std::collections::BTreeSet<u8> = rows.iter().map(|r| r.nodes).collect();
    let title = format!("zabsim sweep report: {}", results.grid_name);
    let reproduce =
        format!("Reproduce: <code>{}</code> (grid <code>{}</code>)", esc(&results.command), esc(&results.grid_name));
    let mut b = String::new();
    b.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    b.push_str(&format!(
        "<p class=\"meta\">{} runs · {} seed{} per grid point · {} cluster size{} · {} fault kind{} · schema {}</p>\n",
        fmt_num(results.runs.len() as f64, 0),
        results.seeds,
        if results.seeds == 1 { "" } else { "s" },
        sizes.len(),
        if sizes.len() == 1 { "" } else { "s" },
        faults.len(),
        if faults.len() == 1 { "" } else { "s" },
        results.schema
    ));
    if let Some(c) = campaign {
        b.push_str(&crate::html_campaign::section(c));
        b.push_str("<h2>Sweep</h2>\n");
    }
    b.push_str(&format!("<p>{reproduce}</p>\n"));
    b.push_str(&violations(results));
    b.push_str(
        "<h2>Summary</h2>\n<table>\n<thead><tr><th>fault</th><th>servers</th><th>runs</th>\
        <th>runs with a new leader</th><th>median FLE decision</th><th>median time to new leader</th>\
        <th>median time to all in broadcast</th><th>median client unavailability</th>\
        <th>p99 commit latency<br>(median of runs)</th><th>never recovered</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        let bad = if r.never_recovered > 0 { " bad" } else { "" };
        b.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n{bad}\">{}</td></tr>\n",
            esc(&r.fault),
            r.nodes,
            fmt_num(r.runs as f64, 0),
            fmt_num(r.elected as f64, 0),
            opt_ms(r.median_fle_decision_us),
            opt_ms(r.median_new_leader_us),
            opt_ms(r.median_all_broadcast_us),
            opt_ms(r.median_client_unavailable_us),
            opt_ms(r.p99_commit_us),
            fmt_num(r.never_recovered as f64, 0),
        ));
    }
    b.push_str("</tbody>\n</table>\n");
    b.push_str(
        "<p class=\"meta\">All times from the fault (cold start: from 0), medians over the runs that had \
         one. FLE decision: until the first server that went LOOKING decides (goes FOLLOWING or LEADING). \
         New leader: until a new leader is established (a quorum acknowledged its NEWLEADER). All in \
         broadcast: until every healthy server is in broadcast with that leader. Client unavailability: \
         the longest one simulated client waited for the service after the fault: from an invocation to \
         its answer, and from a lost request, a refused or failed connection attempt or a lost connection \
         until it was next served (0 when no client waited; none without clients). \
         Never recovered: a fault run that did not converge after the heal, or a cold start that never got \
         every server in broadcast.</p>\n",
    );
    b.push_str("<h2>Charts</h2>\n");
    for doc in charts {
        b.push_str(&figure(doc, &reproduce));
    }
    page(&title, &b)
}

/// The runs that broke a safety property, first on the page: a chart drawn from them shows
/// a broken ensemble, not ZooKeeper's behaviour.
fn violations(results: &SweepResults) -> String {
    let broken: Vec<_> = results.runs.iter().filter_map(|r| r.violation.as_ref().map(|v| (r, v))).collect();
    if broken.is_empty() {
        return String::new();
    }
    let mut b = format!(
        "<h2 class=\"warn\">Safety violations: {} of {} runs</h2>\n<p class=\"warn\">These runs stopped at the \
         violation; their measurements are in the charts below but describe a broken ensemble.</p>\n\
         <table>\n<thead><tr><th>fault</th><th>servers</th><th>seed</th><th>invariant</th><th>detail</th>\
         <th>replay</th></tr></thead>\n<tbody>\n",
        fmt_num(broken.len() as f64, 0),
        fmt_num(results.runs.len() as f64, 0)
    );
    for (r, v) in broken {
        b.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"bad\">{}</td><td>{}</td>\
             <td><code>{}</code></td></tr>\n",
            esc(&r.fault),
            r.nodes,
            r.seed,
            esc(&v.invariant),
            esc(&v.detail),
            esc(&v.replay)
        ));
    }
    b.push_str("</tbody>\n</table>\n");
    b
}

/// The trace page.
pub(crate) fn trace_page(m: &TraceModel, charts: &[ChartDoc]) -> String {
    let h = &m.header;
    let title = format!("zabsim trace: seed {}, {} servers", h.seed, h.nodes);
    let mut b = String::new();
    b.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    let integrity = match &m.integrity {
        Integrity::Verified(hash) => format!("verified: line count and hash <code>{}</code> match", esc(hash)),
        Integrity::NoEndLine => {
            "<span class=\"warn\">no closing line: the run was cut short or the file truncated</span>".to_string()
        }
        Integrity::Mismatch(why) => {
            format!("<span class=\"warn\">does not match its closing line: {}</span>", esc(why))
        }
    };
    let variants = if h.variants.is_empty() { "none".to_string() } else { esc(&h.variants.join(", ")) };
    b.push_str("<table>\n");
    for (k, v) in [
        ("zabsim version", esc(&h.version)),
        ("seed", h.seed.to_string()),
        ("servers", h.nodes.to_string()),
        ("scenario hash", format!("<code>{}</code>", esc(&h.scenario_hash))),
        ("known-bug variants", variants),
        ("events", fmt_num(m.events as f64, 0)),
        ("virtual time", format!("{} ms", fmt_num(ms(m.end_us), 3))),
        ("integrity", integrity),
    ] {
        b.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    }
    b.push_str("</table>\n");
    let source = format!(
        "Rendered from the trace of seed {} (scenario hash <code>{}</code>); the run that wrote it prints its \
         replay command",
        h.seed,
        esc(&h.scenario_hash)
    );
    for doc in charts {
        b.push_str(&figure(doc, &source));
    }
    b.push_str("<h2>Faults</h2>\n");
    if m.markers.is_empty() {
        b.push_str("<p>None.</p>\n");
    } else {
        b.push_str("<table>\n<thead><tr><th>time</th><th>fault</th></tr></thead>\n<tbody>\n");
        for mk in &m.markers {
            b.push_str(&format!(
                "<tr><td class=\"n\">{} ms</td><td>{}</td></tr>\n",
                fmt_num(ms(mk.t_us), 3),
                esc(&mk.text)
            ));
        }
        b.push_str("</tbody>\n</table>\n");
    }
    b.push_str("<h2>Leaders established</h2>\n");
    if m.established.is_empty() {
        b.push_str("<p>None.</p>\n");
    } else {
        b.push_str("<table>\n<thead><tr><th>time</th><th>leader</th><th>note</th></tr></thead>\n<tbody>\n");
        for e in &m.established {
            b.push_str(&format!(
                "<tr><td class=\"n\">{} ms</td><td>s{}</td><td>{}</td></tr>\n",
                fmt_num(ms(e.t_us), 3),
                e.node,
                esc(&e.text)
            ));
        }
        b.push_str("</tbody>\n</table>\n");
    }
    page(&title, &b)
}
