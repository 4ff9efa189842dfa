//! Runs with simulated clients, through the command line as a user runs them: what the report
//! says about the clients, what `--describe` shows, and every recipe doing its work with every
//! client guarantee held.

use std::process::{Command, Output};

fn zabsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zabsim")).args(args).output().expect("zabsim runs")
}

fn report(args: &[&str]) -> serde_json::Value {
    let out = zabsim(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

const CLIENT_GUARANTEES: &[&str] = &[
    "ClientFifoOrder",
    "ClientMonotonicView",
    "LinearizableWrites",
    "SyncFreshness",
    "CommittedReads",
    "ReadContents",
    "WatchOrder",
    "LockExclusion",
    "QueueAtMostOnce",
];

fn status_of<'a>(report: &'a serde_json::Value, name: &str) -> &'a str {
    let invariants = report["invariants"].as_array().expect("invariants");
    let entry = invariants.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("{name} listed"));
    entry["status"].as_str().expect("status")
}

#[test]
fn a_lock_run_reports_its_clients_and_holds_every_client_guarantee() {
    let r = report(&["run", "--nodes", "3", "--seed", "1", "--clients", "5", "--recipe", "lock", "--json"]);
    let c = &r["clients"];
    assert_eq!(c["clients"], 5);
    assert_eq!(c["recipe"], "lock");
    assert!(c["sessions_created"].as_u64() >= Some(5), "{c}");
    assert!(c["watches_fired"].as_u64() > Some(0), "{c}");
    assert!(c["lock_acquisitions"].as_u64() > Some(0), "{c}");
    // Operations by kind, then outcome.
    for kind in ["create", "get_children", "exists", "delete"] {
        assert!(c["ops"][kind]["ok"].as_u64() > Some(0), "{kind}: {c}");
    }
    for name in CLIENT_GUARANTEES {
        assert_eq!(status_of(&r, name), "held", "{name}");
    }
}

#[test]
fn a_run_without_clients_does_not_claim_the_client_guarantees() {
    let r = report(&["run", "--nodes", "3", "--seed", "1", "--json"]);
    assert!(r["clients"].is_null());
    for name in CLIENT_GUARANTEES {
        assert_eq!(status_of(&r, name), "not checked", "{name}");
    }
}

#[test]
fn describe_shows_client_operations_and_watch_events() {
    let out = zabsim(&["run", "--nodes", "3", "--seed", "1", "--clients", "5", "--recipe", "lock", "--describe"]);
    assert_eq!(out.status.code(), Some(0));
    let log = String::from_utf8_lossy(&out.stdout);
    for line in
        ["client 1 sends #", "create /lock/c1s1- ephemeral-sequential", "holds the lock", "<- WATCH NodeDeleted"]
    {
        assert!(log.contains(line), "`{line}` in the log");
    }
}

#[test]
fn every_recipe_does_its_work_under_faults_with_every_guarantee_held() {
    for (recipe, work) in [
        ("mixed", "watches_fired"),
        ("lock", "lock_acquisitions"),
        ("election", "lock_acquisitions"),
        ("queue", "queue_items_taken"),
        ("config", "watches_fired"),
    ] {
        for seed in ["1", "2"] {
            let args =
                ["run", "--nodes", "5", "--seed", seed, "--faults", "swarm", "--clients", "5", "--recipe", recipe];
            let r = report(&[&args[..], &["--json"]].concat());
            assert!(r["violation"].is_null(), "{recipe} seed {seed}: {}", r["violation"]);
            assert!(r["clients"][work].as_u64() > Some(0), "{recipe} seed {seed}: {}", r["clients"]);
        }
    }
}

#[test]
fn a_run_draws_its_client_timeline_the_same_every_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = zabsim(&[
            "run",
            "--nodes",
            "3",
            "--seed",
            "1",
            "--faults",
            "random",
            "--clients",
            "3",
            "--recipe",
            "lock",
            "--client-timeline",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for file in ["client-timeline.svg", "client-timeline.png"] {
        let one = std::fs::read(a.join(file)).expect("written");
        assert!(one == std::fs::read(b.join(file)).expect("written"), "{file} differs between runs");
    }
    let svg = std::fs::read_to_string(a.join("client-timeline.svg")).expect("svg");
    assert!(svg.contains("client 2") && svg.contains("waiting for the service"), "three lanes and the waits");
    // Without clients there is nothing to draw: a usage error naming the flag.
    let o = zabsim(&["run", "--nodes", "3", "--seed", "1", "--client-timeline", a.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--client-timeline"), "names the flag");
}
