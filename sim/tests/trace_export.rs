//! The schema-2 trace and its exports: every input and output is a typed object, the Chrome
//! export has a track per server with paired flows and ordered timestamps, the ShiViz log
//! parses with its own regex and its vector clocks are consistent, and the command line
//! writes both.

use std::collections::BTreeMap;
use std::process::Command;
use zabsim_protocol::{
    DiskWrite, Epoch, Input, LeaveReason, Message, NetCmd, NodeId, NodeSet, Notification, Observation, Output,
    QuorumPacket, Round, Send, ServerState, TimerCmd, TimerKind, Txn, Vote, Zxid,
};
use zabsim_sim::campaign::determinism::trace_of;
use zabsim_sim::scenario::random::{self, Profile};
use zabsim_sim::trace::{convert, shiviz, Export};

fn trace_text(seed: u64) -> String {
    String::from_utf8(trace_of(&random::scenario(seed, &Profile::default()))).expect("utf-8")
}

#[test]
fn protocol_types_serialize_as_tagged_objects_and_read_back() {
    let z = Zxid::new(Epoch(2), 7);
    let vote = Vote { leader: NodeId(3), zxid: z, peer_epoch: Epoch(2) };
    let note = Message::Notification(Notification { state: ServerState::Looking, vote, round: Round(4) });
    let json = serde_json::to_value(&note).unwrap();
    assert_eq!(json["channel"], "election");
    assert_eq!(json["type"], "notification");
    assert_eq!(json["state"], "looking");
    let inputs = [
        Input::Start,
        Input::Message { from: NodeId(1), msg: note },
        Input::Message { from: NodeId(2), msg: Message::Quorum(QuorumPacket::UpToDate) },
        Input::Message { from: NodeId(2), msg: Message::Quorum(QuorumPacket::Proposal { txn: Txn::opaque(z, 9) }) },
        Input::Timer(TimerKind::FinalizeWait),
        Input::WritesDurable { through: 4 },
        Input::QuorumConnected { peer: NodeId(5) },
    ];
    for input in inputs {
        let v = serde_json::to_value(&input).unwrap();
        assert!(v["type"].is_string(), "{v}");
        assert_eq!(serde_json::from_value::<Input>(v).unwrap(), input);
    }
    let timer = serde_json::to_value(Input::Timer(TimerKind::FinalizeWait)).unwrap();
    assert_eq!(timer, serde_json::json!({"type": "timer", "kind": "finalize_wait"}));
    let set = TimerCmd::Set { kind: TimerKind::Heartbeat, at_us: 5 };
    assert_eq!(serde_json::to_value(set).unwrap(), serde_json::json!({"type": "set", "kind": "heartbeat", "at_us": 5}));
    let w = DiskWrite::CurrentEpoch(Epoch(3));
    assert_eq!(serde_json::to_value(&w).unwrap(), serde_json::json!({"type": "current_epoch", "data": 3}));
    let output = Output {
        sends: vec![Send { to: NodeId(2), msg: Message::Quorum(QuorumPacket::Ack { zxid: z }), after_write: Some(3) }],
        writes: vec![
            w.clone(),
            DiskWrite::Append(Txn::opaque(z, 1)),
            DiskWrite::Snapshot { history: vec![].into(), zxid: z },
        ],
        first_write_id: 3,
        timers: vec![set, TimerCmd::Cancel(TimerKind::LearnerRead)],
        net: vec![NetCmd::Connect(NodeId(4)), NetCmd::Close(NodeId(1))],
        observations: vec![Observation::Left { reason: LeaveReason::QuorumLost }],
        work: Some(zabsim_protocol::Work::Shutdown),
        clients: Vec::new(),
    };
    let v = serde_json::to_value(&output).unwrap();
    assert_eq!(v["net"][0], serde_json::json!({"type": "connect", "peer": 4}));
    assert_eq!(v["timers"][1], serde_json::json!({"type": "cancel", "kind": "learner_read"}));
    assert_eq!(serde_json::from_value::<Output>(v).unwrap(), output);
    let quorum: NodeSet = [NodeId(1), NodeId(3)].into_iter().collect();
    let established = Observation::Established { epoch: Epoch(2), quorum };
    let v = serde_json::to_value(&established).unwrap();
    assert_eq!(v, serde_json::json!({"type": "established", "epoch": 2, "quorum": [1, 3]}));
    assert_eq!(serde_json::from_value::<Observation>(v).unwrap(), established);
}

#[test]
fn every_record_is_typed_and_carries_its_text() {
    let text = trace_text(5);
    for line in text.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] == "end" {
            continue;
        }
        assert!(v["input"]["type"].is_string() && v["input"]["text"].is_string(), "{line}");
        for o in v["outputs"].as_array().into_iter().flatten() {
            assert!(o["type"].is_string() && o["text"].is_string(), "{line}");
        }
        if v["node"].is_u64() {
            assert!(v["role"]["state"].is_string() && v["last_zxid"]["epoch"].is_u64(), "{line}");
        }
        assert!(!line.contains("Some(") && !line.contains("None"), "no Debug output: {line}");
    }
}

#[test]
fn chrome_export_has_a_track_per_server_paired_flows_and_ordered_time() {
    let text = trace_text(3);
    let nodes =
        serde_json::from_str::<serde_json::Value>(text.lines().next().unwrap()).unwrap()["nodes"].as_u64().unwrap();
    let chrome: serde_json::Value = serde_json::from_str(&convert(&text, Export::Chrome).unwrap()).unwrap();
    let events = chrome["traceEvents"].as_array().expect("traceEvents");
    // A named process per server.
    let names: BTreeMap<u64, String> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| (e["pid"].as_u64().unwrap(), e["args"]["name"].as_str().unwrap().to_string()))
        .collect();
    for s in 1..=nodes {
        assert_eq!(names[&s], format!("s{s}"));
    }
    // Steps on thread 1 of their server, timestamps never going back per track.
    let mut last: BTreeMap<(u64, u64), f64> = BTreeMap::new();
    let mut steps = 0;
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        assert!((1..=nodes).contains(&pid), "{e}");
        let ts = e["ts"].as_f64().unwrap();
        let prev = last.insert((pid, tid), ts).unwrap_or(f64::MIN);
        assert!(ts >= prev, "time goes back on track {pid}/{tid}: {prev} then {ts}");
        if tid == 1 {
            steps += 1;
            assert!(e["args"]["input"]["text"] == e["name"], "{e}");
        }
    }
    assert!(steps > 100);
    // Role slices on thread 2: some server leads.
    assert!(events.iter().any(|e| e["tid"] == 2 && e["name"].as_str().is_some_and(|n| n.starts_with("LEADING"))));
    // Every flow has one start and one end, the end no earlier, each bound to a step slice.
    let mut flows: BTreeMap<u64, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "s" || e["ph"] == "f") {
        assert_eq!(e["bp"], "e");
        let ts = e["ts"].as_f64().unwrap();
        let entry = flows.entry(e["id"].as_u64().unwrap()).or_default();
        let slot = if e["ph"] == "s" { &mut entry.0 } else { &mut entry.1 };
        assert!(slot.replace(ts).is_none(), "flow {} has two {} events", e["id"], e["ph"]);
        let bound = events
            .iter()
            .any(|x| x["ph"] == "X" && x["pid"] == e["pid"] && x["tid"] == 1 && x["ts"].as_f64() == Some(ts));
        assert!(bound, "flow event without its step: {e}");
    }
    assert!(flows.len() > 100);
    for (id, (s, f)) in &flows {
        let (s, f) = (s.expect("flow start"), f.expect("flow end"));
        assert!(f >= s, "flow {id} ends before it starts");
    }
    // Faults are global instants.
    assert!(events.iter().any(|e| e["ph"] == "i" && e["s"] == "g" && e["cat"] == "fault"));
}

#[test]
fn shiviz_lines_match_the_regex_and_clocks_are_consistent() {
    let log = convert(&trace_text(3), Export::Shiviz).unwrap();
    let mut lines = log.lines();
    assert_eq!(lines.next(), Some(shiviz::REGEX), "the regex comes first");
    assert_eq!(lines.next(), Some(""), "then an empty executions delimiter");
    let re = regex::Regex::new(&format!("^{}$", shiviz::REGEX)).unwrap();
    let mut own: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut events = 0;
    for line in lines {
        let caps = re.captures(line).unwrap_or_else(|| panic!("does not match the regex: {line}"));
        let host = caps["host"].to_string();
        let clock: BTreeMap<String, u64> = serde_json::from_str(&caps["clock"]).unwrap();
        // The host's own entry ticks by exactly one per event.
        let count = own.entry(host.clone()).or_default();
        *count += 1;
        assert_eq!(clock.get(&host).copied(), Some(*count), "{line}");
        // Nothing is known of another host's future, and knowledge never shrinks.
        for (h, t) in &clock {
            assert!(*t <= own.get(h).copied().unwrap_or(0), "{line}: {h} is at {}", own.get(h).copied().unwrap_or(0));
        }
        let before = seen.insert(host.clone(), clock.clone()).unwrap_or_default();
        for (h, t) in before {
            assert!(clock.get(&h).copied().unwrap_or(0) >= t, "{line}: {h} went back");
        }
        events += 1;
    }
    assert!(events > 100);
    assert!(seen["s1"].len() > 1, "messages carry clocks between hosts");
}

fn zabsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zabsim")).args(args).output().expect("zabsim runs")
}

#[test]
fn the_command_line_writes_and_exports_every_format() {
    let dir = tempfile_dir();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--nodes", "3", "--seed", "4", "--faults", "random"];
        args.extend_from_slice(extra);
        zabsim(&args)
    };
    assert!(run(&["--trace", &p("t.jsonl")]).status.success());
    assert!(run(&["--trace", &p("c.json"), "--trace-format", "chrome"]).status.success());
    assert!(run(&["--trace", &p("s.log"), "--trace-format", "shiviz"]).status.success());
    let out = zabsim(&["export", &p("t.jsonl"), "--format", "chrome", "--out", &p("c2.json")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(zabsim(&["export", &p("t.jsonl"), "--format", "shiviz", "--out", &p("s2.log")]).status.success());
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    assert!(read("c.json") == read("c2.json"), "run --trace-format chrome = export --format chrome");
    assert!(read("s.log") == read("s2.log"));
    let chrome: serde_json::Value = serde_json::from_slice(&read("c.json")).unwrap();
    assert!(chrome["traceEvents"].is_array());
    // Replay writes the same formats.
    let scenario = dir.join("sc.json");
    std::fs::write(&scenario, serde_json::to_string(&random::scenario(4, &Profile::default())).unwrap()).unwrap();
    let out = zabsim(&["replay", scenario.to_str().unwrap(), "--trace", &p("r.log"), "--trace-format", "shiviz"]);
    assert!(std::fs::read_to_string(dir.join("r.log")).unwrap().starts_with(shiviz::REGEX), "{out:?}");

    // Bad values and misuse: a clear message, exit 2.
    for (args, needle) in [
        (vec!["run", "--nodes", "3", "--trace", &p("x"), "--trace-format", "perfetto"], "perfetto"),
        (vec!["run", "--nodes", "3", "--trace-format", "chrome"], "--trace"),
        (vec!["export", &p("t.jsonl"), "--format", "pdf", "--out", &p("x")], "pdf"),
        (vec!["export", &p("missing.jsonl"), "--format", "chrome", "--out", &p("x")], "missing.jsonl"),
    ] {
        let out = zabsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(needle), "{args:?}");
    }
    // A schema-1 trace is refused naming the file and the schema expected.
    let old =
        r#"{"kind":"zabsim-trace","schema":1,"version":"0.1.0","seed":1,"scenario_hash":"x","nodes":3,"variants":[]}"#;
    std::fs::write(dir.join("old.jsonl"), old).unwrap();
    let out = zabsim(&["export", &p("old.jsonl"), "--format", "chrome", "--out", &p("x")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("old.jsonl") && err.contains("schema 1") && err.contains("expected 2"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh folder under the target dir (the sim crate has no tempfile dependency).
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trace-export-cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
