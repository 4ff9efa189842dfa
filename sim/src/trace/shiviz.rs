//! The trace as a ShiViz log (https://bestchai.bitbucket.io/shiviz/): the file starts with the
//! parsing regular expression and an empty multiple-executions delimiter line, then one event
//! per line: host, vector clock (JSON), virtual time, and the step's line with its role.
//!
//! Hosts are the servers "s1".."sN"; faults that hit one server (crash, restart, pause,
//! resume, slow fsync) are events of that server, the others (partitions, cuts, heals, chaos)
//! and the verdict are events of the host "env". Each event ticks its host's own clock by one
//! (ShiViz requires exactly that); a receive first takes the component-wise maximum with the
//! clock of the step that sent the message (`flows`).

use super::flows::pair;
use super::read::{Trace, What};

/// The parsing regular expression (ShiViz's named-group syntax), the file's first line.
pub const REGEX: &str = r"(?<host>\S+) (?<clock>\{[^}]*\}) (?<time>\S+) (?<event>.*)";

/// The host of events that hit no single server.
pub const ENV_HOST: &str = "env";

/// The ShiViz log of `trace`.
pub fn export(trace: &Trace) -> String {
    let n = usize::from(trace.header.nodes);
    let flows = pair(trace);
    // For each line, the line whose clock it merges (the sender's step).
    let mut merge_from: Vec<Vec<usize>> = vec![Vec::new(); trace.lines.len()];
    for f in &flows {
        merge_from[f.received_at].push(f.sent_at);
    }
    // Hosts: 0 is env, 1..=n the servers. Clocks per host, and the clock after each line.
    let mut clocks: Vec<Vec<u64>> = vec![vec![0; n + 1]; n + 1];
    let mut after: Vec<Vec<u64>> = Vec::with_capacity(trace.lines.len());
    let mut out = format!("{REGEX}\n\n");
    for (idx, line) in trace.lines.iter().enumerate() {
        let host = match (&line.what, line.node) {
            (_, Some(node)) => usize::from(node),
            (What::Fault { kind, node: Some(p) }, None) if kind != "cut" => usize::from(*p).min(n),
            (What::Resume(p), None) => usize::from(*p).min(n),
            _ => 0,
        };
        for &sent in &merge_from[idx] {
            let theirs = after[sent].clone();
            for (mine, t) in clocks[host].iter_mut().zip(theirs) {
                *mine = (*mine).max(t);
            }
        }
        clocks[host][host] += 1;
        after.push(clocks[host].clone());
        let event = match &line.role {
            Some(role) => format!("{} [{role}]", line.text),
            None => line.text.clone(),
        };
        out.push_str(&format!(
            "{} {} {} {}\n",
            host_name(host),
            clock_json(&clocks[host]),
            crate::format_time(line.t_us),
            one_line(&event)
        ));
    }
    out
}

fn host_name(host: usize) -> String {
    if host == 0 {
        ENV_HOST.to_string()
    } else {
        format!("s{host}")
    }
}

/// `{"s1":3,"s2":1}`: the hosts this one has heard of, in host order.
fn clock_json(clock: &[u64]) -> String {
    let parts: Vec<String> =
        clock.iter().enumerate().filter(|(_, t)| **t > 0).map(|(h, t)| format!("\"{}\":{t}", host_name(h))).collect();
    format!("{{{}}}", parts.join(","))
}

/// Event text on one line (the regex reads one event per line).
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
