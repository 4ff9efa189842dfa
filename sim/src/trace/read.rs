//! Reading a finished schema-2 trace back, for the exports: each step's input as the
//! protocol's own `Input`, its sends as `Message`s, and the human lines as they were written.

use super::TRACE_SCHEMA;
use serde::Deserialize;
use zabsim_protocol::{Input, Message, NodeId, WriteId};

/// The header fields the exports use.
#[derive(Clone, Debug, Deserialize)]
pub struct TraceHeader {
    /// "zabsim-trace".
    pub kind: String,
    /// Trace schema.
    pub schema: u32,
    /// The run's seed.
    pub seed: u64,
    /// Number of servers.
    pub nodes: u8,
    /// Hash of the scenario.
    pub scenario_hash: String,
}

/// What an event line is about.
#[derive(Clone, Debug)]
pub enum What {
    /// A server step with this input.
    Step(Input),
    /// A fault; `node` is the server it hits, if it names one.
    Fault {
        /// The fault's `fault` kind ("crash", "partition", ...).
        kind: String,
        /// Its `node` field.
        node: Option<u8>,
    },
    /// A paused server resumes.
    Resume(u8),
    /// The verdict: a violation.
    Violation {
        /// Servers involved.
        servers: Vec<u8>,
    },
    /// A simulated client's event (connected, reply, watch, lock, ...).
    Client(usize),
}

/// A message a step sent (or queued until a write is durable).
#[derive(Clone, Debug)]
pub struct Sent {
    /// Addressee.
    pub to: NodeId,
    /// The message.
    pub msg: Message,
    /// The write that must be durable before it leaves.
    pub after_write: Option<WriteId>,
}

/// One event line.
#[derive(Clone, Debug)]
pub struct Line {
    /// Event index.
    pub i: u64,
    /// Virtual time, µs.
    pub t_us: u64,
    /// The server that stepped.
    pub node: Option<u8>,
    /// What happened.
    pub what: What,
    /// The input's structured JSON (with its `text`).
    pub input: serde_json::Value,
    /// The input's human line.
    pub text: String,
    /// The outputs' human lines.
    pub outputs: Vec<String>,
    /// Messages sent.
    pub sends: Vec<Sent>,
    /// The role's human line after the step ("LEADING BROADCAST").
    pub role: Option<String>,
}

/// A whole trace.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Its header.
    pub header: TraceHeader,
    /// Event lines in order.
    pub lines: Vec<Line>,
    /// The closing line's hash, if the trace has one.
    pub hash: Option<String>,
}

#[derive(Deserialize)]
struct RawLine {
    i: u64,
    t_us: u64,
    node: Option<u8>,
    input: serde_json::Value,
    #[serde(default)]
    outputs: Vec<serde_json::Value>,
    role: Option<RawRole>,
}

#[derive(Deserialize)]
struct RawRole {
    text: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RawNote {
    Fault { fault: String, node: Option<u8> },
    Resume { node: u8 },
    TargetedCrash { node: u8 },
    Restart { node: u8 },
    Violation { servers: Vec<u8> },
    Client { client: usize },
}

#[derive(Deserialize)]
struct RawSend {
    to: NodeId,
    msg: Message,
    #[serde(default)]
    after_write: Option<WriteId>,
}

/// Parses a JSON-lines trace of this schema. Errors name the line.
pub fn parse(text: &str) -> Result<Trace, String> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("empty trace, expected a zabsim JSON-lines trace")?;
    let header: TraceHeader =
        serde_json::from_str(first).map_err(|e| format!("line 1: expected the zabsim-trace header: {e}"))?;
    if header.kind != "zabsim-trace" {
        return Err(format!("line 1: kind is \"{}\", expected \"zabsim-trace\"", header.kind));
    }
    if header.schema != TRACE_SCHEMA {
        return Err(format!(
            "line 1: trace schema {} is not supported, expected {TRACE_SCHEMA} (run the scenario again with this zabsim)",
            header.schema
        ));
    }
    let mut out = Trace { header, lines: Vec::new(), hash: None };
    for (no, line) in lines {
        let at = |e: serde_json::Error| format!("line {}: {e}", no + 1);
        let value: serde_json::Value = serde_json::from_str(line).map_err(at)?;
        if value.get("kind").and_then(|k| k.as_str()) == Some("end") {
            out.hash = value.get("hash").and_then(|h| h.as_str()).map(str::to_string);
            continue;
        }
        let raw: RawLine = serde_json::from_value(value).map_err(at)?;
        let n = out.header.nodes;
        if raw.node.is_some_and(|s| s == 0 || s > n) {
            return Err(format!(
                "line {}: node {} is not a server of this {n}-server trace",
                no + 1,
                raw.node.unwrap_or(0)
            ));
        }
        let what = match raw.node {
            Some(_) => What::Step(serde_json::from_value(raw.input.clone()).map_err(at)?),
            None => match serde_json::from_value(raw.input.clone()).map_err(at)? {
                RawNote::Fault { fault, node } => What::Fault { kind: fault, node },
                RawNote::Resume { node } => What::Resume(node),
                // The server dies here, as at a scheduled crash.
                RawNote::TargetedCrash { node } => What::Fault { kind: "crash".to_string(), node: Some(node) },
                RawNote::Restart { node } => What::Fault { kind: "restart".to_string(), node: Some(node) },
                RawNote::Violation { servers } => What::Violation { servers },
                RawNote::Client { client } => What::Client(client),
            },
        };
        let text = raw.input.get("text").and_then(|t| t.as_str()).unwrap_or_default().to_string();
        let mut sends = Vec::new();
        let mut outputs = Vec::new();
        for o in raw.outputs {
            outputs.push(o.get("text").and_then(|t| t.as_str()).unwrap_or_default().to_string());
            if o.get("type").and_then(|t| t.as_str()) == Some("send") {
                let s: RawSend = serde_json::from_value(o).map_err(at)?;
                if s.to.0 == 0 || s.to.0 > n {
                    return Err(format!("line {}: a send to {}, not a server of this trace", no + 1, s.to));
                }
                sends.push(Sent { to: s.to, msg: s.msg, after_write: s.after_write });
            }
        }
        out.lines.push(Line {
            i: raw.i,
            t_us: raw.t_us,
            node: raw.node,
            what,
            input: raw.input,
            text,
            outputs,
            sends,
            role: raw.role.map(|r| r.text),
        });
    }
    Ok(out)
}
