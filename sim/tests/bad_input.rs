//! Malformed scenarios get a clear error naming the file, the JSON path and what was expected,
//! exit code 2, and never a panic. One file per mistake lives in tests/bad_scenarios/.

use std::path::PathBuf;
use std::process::Command;

/// (file, text the message must contain besides the file name)
const CASES: &[(&str, &[&str])] = &[
    ("syntax_error.json", &["EOF while parsing", "line 2"]),
    ("wrong_type.json", &["nodes:", "expected u8"]),
    ("unknown_field.json", &["colour", "unknown field"]),
    ("server_out_of_range.json", &["faults[0].node", "expected a server id in 1..=3, got 9"]),
    ("negative_time.json", &["faults[0].at_ms", "expected u64"]),
    ("overflowing_time.json", &["faults[0].at_ms", "expected u64"]),
    ("partition_unknown_server.json", &["faults[0].groups[1][0]", "got 7"]),
    ("restart_live_server.json", &["faults[0].node", "expected a crashed server"]),
    ("empty_cluster.json", &["nodes", "expected a cluster size in 1..=255, got 0"]),
    ("too_many_servers.json", &["nodes", "300"]),
    ("fault_after_end.json", &["faults[0].at_ms", "expected a time within the run"]),
    ("pause_without_duration.json", &["faults[0]", "needs the field `duration_ms`"]),
    ("field_not_for_this_fault.json", &["faults[0]", "`groups` does not apply to a `crash` fault"]),
    ("unknown_fault.json", &["faults[0].fault", "unknown variant `explode`"]),
    (
        "chaos_fault_reorder_too_long.json",
        &["faults[0].chaos.reorder_max_us", "expected at most 60 s (60000000 µs), got 18000000000000000000"],
    ),
    ("crash_at_write_unknown_kind.json", &["faults[0].write", "unknown variant `current_epok`", "`current_epoch`"]),
    ("crash_after_send_without_message.json", &["faults[0]", "a `crash_after_send` fault needs the field `message`"]),
    ("crash_on_receive_with_write.json", &["faults[0]", "`write` does not apply to a `crash_on_receive` fault"]),
    (
        "targeted_crash_as_last_fault.json",
        &["faults[0].at_ms", "a targeted crash is disarmed when the liveness phase starts", "heal_all"],
    ),
    ("targeted_crash_zero_restart.json", &["faults[0].restart_after_ms", "expected 1..=604800000 ms, got 0"]),
    ("delay_min_above_max.json", &["network.delay.max_us", "expected at least min_us"]),
    ("zero_tick_time.json", &["protocol.tickTime", "expected a positive number"]),
    ("unknown_variant.json", &["protocol.variants.zk-9999", "expected one of `zk-1419`"]),
    ("server_in_two_groups.json", &["faults[0].groups[1][0]", "in two groups"]),
    ("empty_file.json", &["EOF while parsing"]),
    ("start_ms_wrong_length.json", &["start_ms", "one start time per server (3 values)", "got 2"]),
    ("crash_before_start.json", &["faults[0].node", "s3 starts at 2000 ms"]),
    ("cost_min_above_max.json", &["costs.shutdown.max_us", "expected at least min_us (9000)"]),
    ("expect_unknown_field.json", &["expect.leaders[0].term", "unknown field `term`"]),
    ("expect_leader_out_of_range.json", &["expect.leaders[1].leader", "expected a server id in 1..=3, got 4"]),
    ("expect_epochs_not_increasing.json", &["expect.leaders[1].epoch", "expected an epoch above 2"]),
    ("expect_unknown_sync_mode.json", &["expect.syncs[0].mode", "unknown variant `FULL`", "`DIFF`"]),
    ("expect_sync_to_itself.json", &["expect.syncs[0].learner", "a different server than `leader`"]),
    ("expect_unknown_coverage_path.json", &["expect.covered[1]", "expected a coverage path", "got `sync_difff`"]),
    (
        "expect_liveness_reason_without_liveness.json",
        &["expect.liveness_reason", "`stuck` needs \"violation\": \"Liveness\", got `Leadership`"],
    ),
    (
        "expect_unknown_liveness_reason.json",
        &["expect.liveness_reason", "unknown variant `slow`", "`never-established`"],
    ),
    ("expect_negative_commits.json", &["expect.min_commits", "expected u64"]),
    ("expect_covered_and_not_covered.json", &["expect.not_covered[1]", "`crash` is also in `covered`"]),
    ("clients_unknown_recipe.json", &["clients.recipe", "unknown variant `barrier`", "`election`", "`config`"]),
    ("clients_negative_session_timeout.json", &["clients.session_timeout_ms", "-4000", "expected u32"]),
    (
        "clients_path_without_slash.json",
        &["clients.scripts[0].ops[0]", "path: expected a znode path starting with '/', got \"config\""],
    ),
    ("clients_unknown_script_op.json", &["clients.scripts[0].ops[0].op", "unknown variant `rename`", "`think`"]),
    (
        "expect_before_earlier_than_after.json",
        &["expect.leaders[0].before_ms", "expected at least after_ms (500), got 200"],
    ),
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios")
}

#[test]
fn every_malformed_scenario_is_refused_with_file_path_and_expectation() {
    for (file, needles) in CASES {
        let path = dir().join(file);
        assert!(path.exists(), "{file} is missing");
        for verb in ["run", "replay"] {
            let out = Command::new(env!("CARGO_BIN_EXE_zabsim"))
                .args([verb, path.to_str().expect("utf-8 path")])
                .env("RUST_BACKTRACE", "1")
                .output()
                .expect("zabsim runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{verb} {file}: exit code; stderr: {stderr}");
            assert!(!stderr.contains("panicked"), "{verb} {file} panicked: {stderr}");
            assert!(stderr.contains(file), "{verb} {file}: the message names the file: {stderr}");
            for needle in *needles {
                assert!(stderr.contains(needle), "{verb} {file}: expected {needle:?} in: {stderr}");
            }
        }
    }
}

#[test]
fn every_file_in_the_folder_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("folder exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    for f in &files {
        assert!(CASES.iter().any(|(name, _)| name == f), "{f} has no expected message in CASES");
    }
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_zabsim")).args(["run", "no/such/scenario.json"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/scenario.json: cannot read"));
}

/// The message for an unknown variant names every variant there is (serde derives it from the
/// fields of `Variants`, the command line from `Variants::NAMES`).
#[test]
fn an_unknown_variant_is_refused_with_every_known_name() {
    let path = dir().join("unknown_variant.json");
    let out =
        Command::new(env!("CARGO_BIN_EXE_zabsim")).args(["run", path.to_str().expect("utf-8")]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in zabsim_protocol::Variants::NAMES {
        assert!(stderr.contains(&format!("`{name}`")), "{name} missing from: {stderr}");
    }
    for verb in ["run", "fuzz"] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_zabsim")).args([verb, "--variant", "zk-9999"]).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb}: {stderr}");
        let help = Command::new(env!("CARGO_BIN_EXE_zabsim")).args([verb, "--help"]).output().expect("runs");
        let help = String::from_utf8_lossy(&help.stdout);
        for name in zabsim_protocol::Variants::NAMES {
            assert!(stderr.contains(name), "{verb} --variant zk-9999: {name} missing from: {stderr}");
            assert!(help.contains(name), "{verb} --help: {name} missing");
        }
    }
}
