//! Golden interaction scripts, in the manner of etcd-io/raft's `testdata/*.txt`: each file in
//! `tests/testdata/interaction/` drives real protocol `Node`s step by step through a small
//! command language (see that folder's README.md) and pins every input and output as the code
//! base's own one-line describe texts.
//!
//! Rewrite the expected output after an intended change with the `REWRITE` environment
//! variable (read by the `datadriven` crate), then review the diff:
//!
//! ```text
//! REWRITE=1 cargo test --release -p zabsim-sim --test interaction
//! ```
//!
//! One test per file, named after it, so `cargo test --test interaction fle_` picks scripts
//! by name; `every_script_has_a_test` keeps the list and the folder in step.

// A test crate's root looks for modules beside itself; the harness lives in its own folder.
#[path = "interaction/commands.rs"]
mod commands;
#[path = "interaction/harness.rs"]
mod harness;
#[path = "interaction/render.rs"]
mod render;
#[path = "interaction/simcmd.rs"]
mod simcmd;

use std::path::Path;

const DIR: &str = "tests/testdata/interaction";

/// Runs one script; every stanza shares the environment its `add-servers` built.
fn run_script(name: &str) {
    assert!(
        std::env::var_os("CI").is_none() || std::env::var_os("REWRITE").is_none(),
        "REWRITE is set under CI: the scripts would be rewritten instead of checked"
    );
    assert!(
        std::env::var_os("RUN").is_none(),
        "datadriven's RUN filter does not apply here: pick scripts with cargo test's name filter"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR).join(format!("{name}.txt"));
    let path = path.to_str().expect("utf-8 path");
    let mut ran = false;
    datadriven::walk(path, |file| {
        ran = true;
        let mut env = None;
        file.run(|case| commands::run(&mut env, case));
    });
    assert!(ran, "{path}: no such script");
}

macro_rules! scripts {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_script(stringify!($name));
            }
        )*
        /// Every script name, for the folder check.
        const SCRIPTS: &[&str] = &[$(stringify!($name)),*];
    };
}

scripts! {
    fle_cold_start_elects_the_highest_sid,
    fle_finalize_wait_quiet_period_decides,
    fle_finalize_wait_yields_to_a_better_vote,
    fle_higher_round_pulls_a_server_up,
    fle_late_joiner_follows_the_established_leader,
    fle_lower_round_is_answered_with_the_current_proposal,
    fle_notification_timeout_backs_off_to_the_max,
    fle_vote_order_peer_epoch_beats_zxid,
    fle_vote_order_sid_breaks_ties,
    fle_vote_order_zxid_beats_sid,
    sim_real_simulator_runs_an_inline_scenario,
    zab_commit_waits_for_earlier_zxids,
    zab_crash_between_append_and_fsync_loses_the_tail,
    zab_discovery_epoch_is_max_accepted_epoch_plus_one,
    zab_discovery_stale_leader_epoch_is_refused,
    zab_follower_forwards_a_client_write,
    zab_follower_leaves_after_sync_limit_of_silence,
    zab_follower_rejoins_after_its_connection_breaks,
    zab_init_limit_bounds_discovery,
    zab_leader_steps_down_on_lost_quorum,
    zab_learner_retries_connecting_then_gives_up,
    zab_newleader_ack_waits_for_txns_then_current_epoch,
    zab_restart_rejoins_from_the_durable_state,
    zab_sync_diff_sends_the_missing_committed_txns,
    zab_sync_limit_check_drops_a_lagging_follower,
    zab_sync_snap_replaces_a_history_behind_the_window,
    zab_sync_trunc_cuts_an_uncommitted_tail,
    zab_uptodate_starts_broadcast,
    zk_1419_votes_that_beat_each_other_never_settle,
    zk_4646_newleader_ack_before_txns_are_durable,
}

#[test]
fn every_script_has_a_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".txt").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = SCRIPTS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "each {DIR}/*.txt needs a line in the scripts! list, and the reverse");
}
