//! `cargo run --release` with no arguments: the fuzz campaign and the sweep, both on one
//! report page, the campaign first.

use std::process::Command;

#[test]
fn the_default_campaign_report_shows_the_fuzz_summary_and_the_sweep() {
    let dir = tempfile::Builder::new().prefix("zabsim-default-campaign-").tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_zabsim")).current_dir(dir.path()).output().expect("zabsim runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("no safety violations"), "the sweep's verdict is printed: {stdout}");
    let html = std::fs::read_to_string(dir.path().join("zabsim-out/report/index.html")).expect("page written");
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle:?} missing"));
    assert!(at("<h2>Fuzz campaign") < at("<h2>Sweep") && at("<h2>Sweep") < at("<h2>Charts"));
    at("<th>seeds</th><td>2,000</td>");
    at(" seeds/s</td>");
    at("<td>sync_diff</td><td class=\"n\">2,000</td>");
    at("No violations");
}
