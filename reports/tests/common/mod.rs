//! Fixtures shared by the reports tests: a realistic sweep built in code, a real trace written
//! by `zabsim run`, a synthetic trace with thousands of events, and helpers to compare output
//! directories.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use zabsim_reports::schema::{ClientOpSpan, ClientWait, OpOutcome, RunMetrics, SweepResults, SWEEP_SCHEMA};

/// A real trace (schema 2), regenerated whenever the trace schema changes with
/// `zabsim run --nodes 3 --seed 2 --faults random --writes 2 --duration-ms 8000 --trace FILE`
/// (crashes, restarts, partitions and heals, a pause, slow fsyncs, two epochs). Stored as
/// `.ndjson` because the repository ignores `*.jsonl` files.
pub const REAL_TRACE: &str = include_str!("../data/trace-3-servers-seed2.ndjson");

/// A small deterministic generator (xorshift64*), so the fixture needs no rand crate.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One run's metrics, shaped like `zabsim sweep` output.
fn run(nodes: u8, fault: &str, delay_us: u64, finalize_wait_ms: u32, seed: u64) -> RunMetrics {
    let mut g = Gen::new(seed ^ (u64::from(nodes) << 32) ^ delay_us ^ (u64::from(finalize_wait_ms) << 16));
    for c in fault.bytes() {
        g.0 = g.0.rotate_left(5) ^ u64::from(c);
    }
    let fw_us = u64::from(finalize_wait_ms) * 1000;
    let fault_at_us = if fault == "none" { 0 } else { 2_000_000 + g.below(10_000) };
    let fault_end_us = (fault != "none").then_some(fault_at_us + 4_000_000);
    let new_leader_us = match fault {
        "none" => Some(fw_us + 8 * delay_us + g.below(15_000)),
        "leader_crash" => Some(fw_us + 12 * delay_us + 6_000 + g.below(25_000) + u64::from(nodes) * 150),
        "leader_partition" if seed == 3 && nodes == 7 => None,
        "leader_partition" => Some(4_000_000 + fw_us + g.below(300_000)),
        _ => None,
    };
    let n2 = u64::from(nodes) * u64::from(nodes);
    // The first decision comes a few message delays before the leader is established.
    let fle_decision_us = new_leader_us.map(|t| t - (4 * delay_us).min(t / 2));
    let election_messages = if new_leader_us.is_some() { n2 * 28 + g.below(n2 * 6) } else { 0 };
    let client_unavailable_us = match fault {
        "none" => None,
        "follower_crash" => Some(95_000 + g.below(10_000)),
        _ => Some(new_leader_us.unwrap_or(4_000_000) + 20_000 + g.below(40_000)),
    };
    let never = fault == "leader_partition" && seed == 3 && nodes == 7;
    let mut m = RunMetrics {
        nodes,
        fault: fault.to_string(),
        delay_us,
        finalize_wait_ms,
        fsync_us: 5_000,
        tick_time_ms: 2_000,
        seed,
        fault_at_us,
        fault_end_us,
        fle_decision_us,
        new_leader_us,
        election_rounds: if new_leader_us.is_some() { u64::from(nodes) + g.below(3) } else { 0 },
        election_messages,
        all_broadcast_us: new_leader_us.map(|e| e + 500 + g.below(2_000)),
        clients: 3,
        recipe: "lock".into(),
        client_unavailable_us,
        commit_latency_p50_us: Some(5_500 + g.below(1_500)),
        commit_latency_p99_us: Some(9_000 + g.below(3_000)),
        converge_after_heal_us: if never || fault == "none" { None } else { Some(10_000 + g.below(30_000)) },
        commit_timeline: Vec::new(),
        client_ops: Vec::new(),
        client_waits: Vec::new(),
        fault_windows: Vec::new(),
        violation: None,
    };
    if seed == 0 {
        // A write every 50 ms; none commits while there is no leader, the first ones after
        // the election carry the wait.
        let gap_end = fault_at_us + client_unavailable_us.unwrap_or(0);
        let mut t = 50_000;
        while t < 14_000_000 {
            let in_gap = fault != "none" && t >= fault_at_us && t < gap_end;
            if !in_gap {
                let waited = if fault != "none" && t >= gap_end && t < gap_end + 50_000 { t - fault_at_us } else { 0 };
                m.commit_timeline.push((t, 4_000 + g.below(4_000) + waited / 4));
            }
            t += 50_000;
        }
        if let Some(end) = fault_end_us {
            m.fault_windows = vec![(fault_at_us, end)];
        }
        m.client_ops = client_ops(&mut g, fault_at_us, gap_end);
        if fault != "none" {
            m.client_waits = (0..3).map(|client| ClientWait { client, from_us: fault_at_us, to_us: gap_end }).collect();
        }
    }
    m
}

/// Three clients, an operation every 40 ms or so; while the service is out of reach their
/// operations are lost (a write's outcome unknown, a read failed) and they reconnect.
fn client_ops(g: &mut Gen, gap_start: u64, gap_end: u64) -> Vec<ClientOpSpan> {
    let mut ops = Vec::new();
    for client in 0..3u32 {
        let mut t = 20_000 + u64::from(client) * 7_000;
        while t < 14_000_000 {
            let kind = ["create", "get_data", "set_data", "sync"][g.below(4) as usize];
            let write = kind == "create" || kind == "set_data";
            let (done, outcome) = if t >= gap_start && t < gap_end {
                (t + 300_000 + g.below(400_000), if write { OpOutcome::Unknown } else { OpOutcome::Failed })
            } else {
                (t + 2_000 + g.below(6_000), if g.below(10) == 0 { OpOutcome::Failed } else { OpOutcome::Ok })
            };
            let served = !(t >= gap_start && t < gap_end);
            ops.push(ClientOpSpan {
                client,
                kind: kind.into(),
                invoked_us: t,
                completed_us: Some(done),
                outcome,
                served,
            });
            t = done + 20_000 + g.below(40_000);
        }
    }
    ops
}

/// A sweep over 3, 5 and 7 servers, four fault kinds, three delays and three finalizeWaits,
/// `seeds` seeds each (4 seeds: 432 runs). One 7-server partition run never recovers.
pub fn sweep(seeds: u64) -> SweepResults {
    let mut runs = Vec::new();
    for nodes in [3u8, 5, 7] {
        for fault in ["none", "leader_crash", "follower_crash", "leader_partition"] {
            for delay_us in [100u64, 1_000, 10_000] {
                for fw in [50u32, 200, 800] {
                    for seed in 0..seeds {
                        runs.push(run(nodes, fault, delay_us, fw, seed));
                    }
                }
            }
        }
    }
    SweepResults {
        schema: SWEEP_SCHEMA,
        command: "zabsim sweep scenarios/sweeps/fixture.json --out results.json".into(),
        grid_name: "fixture".into(),
        seeds,
        runs,
    }
}

/// A message object as schema-2 traces write it: a LOOKING notification voting for `leader`.
fn notification(leader: u8) -> String {
    format!(
        r#"{{"channel":"election","type":"notification","state":"looking","vote":{{"leader":{leader},"zxid":{{"epoch":0,"counter":0}},"peer_epoch":0}},"round":1}}"#
    )
}

/// A quorum packet of epoch 1: `proposal` carries the txn (value = counter), others the zxid.
fn packet(kind: &str, counter: u64) -> String {
    if kind == "proposal" {
        format!(
            r#"{{"channel":"quorum","type":"proposal","txn":{{"zxid":{{"epoch":1,"counter":{counter}}},"value":{counter}}}}}"#
        )
    } else {
        format!(r#"{{"channel":"quorum","type":"{kind}","zxid":{{"epoch":1,"counter":{counter}}}}}"#)
    }
}

/// A `send` output.
fn send(to: u8, msg: &str, after_write: Option<u64>, text: &str) -> String {
    let after = after_write.map_or(String::new(), |w| format!(r#","after_write":{w}"#));
    format!(r#"{{"type":"send","to":{to},"msg":{msg}{after},"text":"{text}"}}"#)
}

/// A `message` input.
fn recv(from: u8, msg: &str, text: &str) -> String {
    format!(r#"{{"type":"message","from":{from},"msg":{msg},"text":"{text}"}}"#)
}

/// A role object: "LOOKING r1", "LEADING BROADCAST" or "FOLLOWING sN BROADCAST".
fn role(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let (state, phase, leader) = match words[0] {
        "LEADING" => ("leading", "broadcast", String::new()),
        "FOLLOWING" => ("following", "broadcast", format!(r#","leader":{}"#, &words[1][1..])),
        _ => ("looking", "election", String::new()),
    };
    format!(r#"{{"state":"{state}","phase":"{phase}"{leader},"round":1,"text":"{text}"}}"#)
}

/// A synthetic trace in the simulator's format (schema 2): `nodes` servers, an election, then
/// `rounds` broadcast rounds (PROPOSAL, ACK, COMMIT), a leader crash in the middle and a
/// restart. Its closing line has no valid hash (the page reports that; the charts do not care).
pub fn synthetic_trace(nodes: u8, rounds: u64) -> String {
    let mut lines = vec![format!(
        r#"{{"kind":"zabsim-trace","schema":2,"version":"0.1.0","seed":9,"scenario_hash":"synthetic","nodes":{nodes},"variants":[]}}"#
    )];
    let mut i = 0u64;
    let mut push = |t: u64, node: Option<u8>, input: String, outputs: Vec<String>, role_text: &str, zxid: u64| {
        i += 1;
        let node = node.map_or(String::new(), |n| format!(r#","node":{n}"#));
        let outs = if outputs.is_empty() { String::new() } else { format!(r#","outputs":[{}]"#, outputs.join(",")) };
        let role = if role_text.is_empty() {
            String::new()
        } else {
            format!(r#","role":{},"epoch":1,"last_zxid":{{"epoch":1,"counter":{zxid}}}"#, role(role_text))
        };
        lines.push(format!(r#"{{"i":{i},"t_us":{t}{node},"input":{input}{outs}{role}}}"#));
    };
    let simple = |kind: &str, text: &str| format!(r#"{{"type":"{kind}","text":"{text}"}}"#);
    let leader = nodes;
    for s in 1..=nodes {
        let outs = (1..=nodes)
            .map(|p| {
                send(p, &notification(s), None, &format!("send s{p} NOTIFICATION LOOKING vote=(s{s} z=0:0 e0) r1"))
            })
            .collect();
        push(0, Some(s), simple("start", "start"), outs, "LOOKING r1", 0);
    }
    for s in 1..=nodes {
        for p in 1..=nodes {
            let text = format!("recv s{p} NOTIFICATION LOOKING vote=(s{p} z=0:0 e0) r1");
            push(300, Some(s), recv(p, &notification(p), &text), vec![], "LOOKING r1", 0);
        }
    }
    let mut t = 200_000;
    for s in 1..=nodes {
        let role = if s == leader { "LEADING BROADCAST".to_string() } else { format!("FOLLOWING s{leader} BROADCAST") };
        let timer = r#"{"type":"timer","kind":"finalize_wait","text":"timer FinalizeWait"}"#.to_string();
        push(t, Some(s), timer, vec![], &role, 0);
    }
    let follower_role = format!("FOLLOWING s{leader} BROADCAST");
    for z in 1..=rounds {
        t += 10_000;
        if z == rounds / 2 {
            let crash = r#"{"type":"fault","at_ms":0,"fault":"crash","node":1,"text":"fault: crash s1"}"#;
            push(t, None, crash.to_string(), vec![], "", 0);
        }
        if z == rounds / 2 + 20 {
            push(t, Some(1), simple("start", "start"), vec![], "LOOKING r1", z);
        }
        let alive = |s: u8| s != 1 || z < rounds / 2 || z >= rounds / 2 + 20;
        let proposals = (1..nodes)
            .filter(|s| alive(*s))
            .map(|s| send(s, &packet("proposal", z), None, &format!("send s{s} PROPOSAL 1:{z}={z}")))
            .collect();
        let write = format!(r#"{{"type":"client_write","value":{z},"text":"client write {z}"}}"#);
        push(t, Some(leader), write, proposals, "LEADING BROADCAST", z);
        for s in (1..nodes).filter(|s| alive(*s)) {
            let input = recv(leader, &packet("proposal", z), &format!("recv s{leader} PROPOSAL 1:{z}={z}"));
            let ack = send(leader, &packet("ack", z), Some(z), &format!("send s{leader} ACK 1:{z} after w{z}"));
            push(t + 300, Some(s), input, vec![ack], &follower_role, z);
        }
        for s in (1..nodes).filter(|s| alive(*s)) {
            let input = format!(r#"{{"type":"writes_durable","through":{z},"text":"fsync done through w{z}"}}"#);
            push(t + 5_000, Some(s), input, vec![], &follower_role, z);
        }
        for s in (1..nodes).filter(|s| alive(*s)) {
            let input = recv(s, &packet("ack", z), &format!("recv s{s} ACK 1:{z}"));
            push(t + 5_300, Some(leader), input, vec![], "LEADING BROADCAST", z);
        }
        let commits = (1..nodes)
            .filter(|s| alive(*s))
            .map(|s| send(s, &packet("commit", z), None, &format!("send s{s} COMMIT 1:{z}")))
            .collect();
        let fsync = r#"{"type":"writes_durable","through":0,"text":"fsync done through w0"}"#.to_string();
        push(t + 5_400, Some(leader), fsync, commits, "LEADING BROADCAST", z);
        for s in (1..nodes).filter(|s| alive(*s)) {
            let input = recv(leader, &packet("commit", z), &format!("recv s{leader} COMMIT 1:{z}"));
            push(t + 5_700, Some(s), input, vec![], &follower_role, z);
        }
    }
    let count = lines.len();
    lines.push(format!(r#"{{"kind":"end","lines":{count},"hash":"0000000000000000"}}"#));
    lines.join("\n") + "\n"
}

/// Every file of a directory: name → bytes.
pub fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("output directory") {
        let entry = entry.expect("directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        out.insert(name, std::fs::read(entry.path()).expect("output file"));
    }
    out
}

/// Asserts two output directories hold the same files with the same bytes, naming the first
/// file that differs.
pub fn assert_same_dirs(a: &Path, b: &Path) {
    let (da, db) = (read_dir(a), read_dir(b));
    assert_eq!(da.keys().collect::<Vec<_>>(), db.keys().collect::<Vec<_>>(), "same file names");
    for (name, bytes) in &da {
        assert!(bytes == &db[name], "{name} differs between two renders of the same input");
    }
}

/// The PNG's width and height from its IHDR chunk.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    (w, h)
}
