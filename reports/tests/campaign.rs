//! The default campaign's page: the fuzz campaign's summary (seeds, throughput, coverage,
//! failures with their replay commands) first, then the sweep as `render_sweep` draws it.

mod common;

use zabsim_reports::schema::{CampaignFailure, CampaignSummary};

fn campaign(failures: Vec<CampaignFailure>) -> CampaignSummary {
    CampaignSummary {
        command: "zabsim (default campaign)".into(),
        seeds: 2_000,
        events: 13_711_046,
        simulated_us: 29_875_000_000,
        wall_seconds: 2.5,
        coverage: vec![("crash".into(), 937), ("sync_trunc".into(), 24), ("join_refused_epoch_ahead".into(), 0)],
        failing_seeds: failures.len() as u64,
        failures,
    }
}

#[test]
fn the_campaign_page_shows_seeds_throughput_coverage_and_failures_before_the_sweep() {
    let dir = tempfile::tempdir().expect("temp dir");
    let failure = CampaignFailure {
        fingerprint: "CommittedDurability".into(),
        seed: 17,
        nodes: 3,
        detail: "CommittedDurability violated at event 9 <s1>".into(),
        replay: "zabsim replay zabsim-out/failures/CommittedDurability-seed17.json".into(),
    };
    zabsim_reports::render_campaign(&common::sweep(2), &campaign(vec![failure]), dir.path()).expect("rendered");
    let html = std::fs::read_to_string(dir.path().join("index.html")).expect("page");
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle:?} missing"));
    assert!(at("Fuzz campaign") < at("<h2>Sweep"), "the campaign comes first");
    at("2,000");
    at("800 seeds/s");
    at("<td>sync_trunc</td><td class=\"n\">24</td><td class=\"n\">1.2 %</td>");
    at("<td class=\"n bad\">0</td>");
    at("<code>zabsim replay zabsim-out/failures/CommittedDurability-seed17.json</code>");
    at("event 9 &lt;s1&gt;");
    assert!(dir.path().join("election-cdf.svg").exists(), "the sweep's charts are drawn too");

    let clean = tempfile::tempdir().expect("temp dir");
    zabsim_reports::render_campaign(&common::sweep(2), &campaign(Vec::new()), clean.path()).expect("rendered");
    let html = std::fs::read_to_string(clean.path().join("index.html")).expect("page");
    assert!(html.contains("No violations") && !html.contains("Failures ("), "a clean campaign says so");
}
