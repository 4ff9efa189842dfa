//! The conformance page: per case, the real trials beside the model's replay of each, the
//! summary, then the recovery-time CDF.

use super::{ConformCase, ConformReport, ConformSpread};
use crate::html::{esc, figure, page as whole_page};
use crate::style::fmt_num;
use crate::sweep::ChartDoc;

/// index.html for a validated report.
pub(crate) fn page(report: &ConformReport, chart: &ChartDoc) -> String {
    let title = "zabsim conformance: real ZooKeeper against zabsim";
    let reproduce = format!("Reproduce: <code>{}</code>", esc(&report.command));
    let mut b = format!("<h1>{}</h1>\n", esc(title));
    let names: Vec<String> = report.cases.iter().map(|c| esc(&c.name)).collect();
    b.push_str(&format!("<p class=\"meta\">{} · cases: {}</p>\n", reproduce, names.join(", ")));
    for c in &report.cases {
        b.push_str(&case(c));
    }
    b.push_str("<h2>Recovery time</h2>\n");
    b.push_str(&figure(chart, &reproduce));
    whole_page(title, &b)
}

fn ms(v: f64) -> String {
    format!("{} ms", fmt_num(v, 0))
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("–".to_string(), ms)
}

fn leader(l: Option<u8>) -> String {
    l.map_or("–".to_string(), |l| format!("s{l}"))
}

fn spread(s: &ConformSpread) -> String {
    if s.n == 0 {
        return "–".to_string();
    }
    format!("{} (min {}, max {}, n={})", ms(s.median_ms), ms(s.min_ms), ms(s.max_ms), s.n)
}

fn case(c: &ConformCase) -> String {
    let mut b = format!("<h2 id=\"{0}\">{0}</h2>\n", esc(&c.name));
    b.push_str(&format!(
        "<p>Recovery time: {}. Real: {}; simulated: {}.</p>\n",
        esc(&c.measured),
        esc(&c.real_label),
        esc(&c.sim_label)
    ));
    b.push_str(
        "<table>\n<thead><tr><th>trial</th><th>real leader</th><th>sim leader</th><th>same</th>\
         <th>real recovery</th><th>sim recovery</th><th>real FLE decision</th><th>real syncs</th></tr></thead>\n\
         <tbody>\n",
    );
    for r in &c.rows {
        let same = r.real_leader.is_some() && r.real_leader == r.sim_leader;
        let decisions: Vec<String> = r.real_decision_ms.iter().map(|d| fmt_num(*d, 0)).collect();
        b.push_str(&format!(
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
            r.trial,
            leader(r.real_leader),
            leader(r.sim_leader),
            if same { "n" } else { "n bad" },
            if same { "yes" } else { "no" },
            opt_ms(r.real_ms),
            opt_ms(r.sim_ms),
            if decisions.is_empty() { "–".to_string() } else { format!("{} ms", decisions.join(", ")) },
            esc(&r.real_syncs.join(" ")),
        ));
    }
    b.push_str("</tbody>\n</table>\n");
    b.push_str(
        "<p class=\"meta\">Sim: the model replaying that trial's measured start times (cold start) or \
         shutdown times (kill), seed = trial. Real FLE decision: per surviving server, from LOOKING to \
         FOLLOWING or LEADING.</p>\n",
    );
    let s = &c.summary;
    let trials = c.rows.len();
    b.push_str("<table>\n");
    for (k, v) in [
        (
            "same leader as real (replay)".to_string(),
            format!("{} of {} ({}%)", s.same_leader, trials, fmt_num(s.same_leader_pct, 0)),
        ),
        (
            "real did not elect the highest surviving sid".to_string(),
            format!("{} trials; the replay matched {}", s.real_not_highest, s.not_highest_matched),
        ),
        ("recovery, real".to_string(), spread(&s.real_recovery)),
        ("recovery, sim replaying".to_string(), spread(&s.replay_recovery)),
        (format!("recovery, sim free ({} seeds)", c.sim_runs), spread(&s.sim_recovery)),
        ("median ratio sim free / real".to_string(), fmt_num(s.ratio, 2)),
        ("FLE decision, real".to_string(), spread(&s.real_decision)),
        ("FLE decision, sim free".to_string(), spread(&s.sim_decision)),
        (
            "sim free elected a lower sid than the highest survivor".to_string(),
            format!("{}% of runs", fmt_num(s.sim_not_highest_pct, 0)),
        ),
    ] {
        b.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(&k), esc(&v)));
    }
    b.push_str("</table>\n");
    b
}
