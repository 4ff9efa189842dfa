//! The trace of a run: JSON lines, a header then one line per server step or fault, and a
//! running FNV-1a hash over every line, so "same run" is a one-number comparison. The human
//! view renders the same records as a server log; `chrome` and `shiviz` turn a finished trace
//! into the formats of Perfetto and ShiViz.

pub mod chrome;
pub mod flows;
pub mod read;
pub mod record;
pub mod shiviz;

pub use record::{Event, Note, Out, Record, Role, Texted};

use serde::Serialize;
use std::hash::Hasher;
use std::io::Write;

/// Schema version of the JSON-lines trace. 2: inputs, outputs, roles, faults and the verdict
/// are JSON objects with a `type` and a `text` (1 had English strings).
pub const TRACE_SCHEMA: u32 = 2;

/// The first line of a trace.
#[derive(Serialize)]
pub struct Header<'a> {
    /// Always "zabsim-trace".
    pub kind: &'static str,
    /// `TRACE_SCHEMA`.
    pub schema: u32,
    /// zabsim's crate version.
    pub version: &'static str,
    /// The run's seed.
    pub seed: u64,
    /// Hash of the scenario's canonical JSON.
    pub scenario_hash: String,
    /// Number of servers.
    pub nodes: u8,
    /// Enabled variants.
    pub variants: Vec<&'a str>,
}

/// The formats a finished JSON-lines trace converts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// Chrome trace event JSON (Perfetto, chrome://tracing).
    Chrome,
    /// A ShiViz log with vector clocks.
    Shiviz,
}

/// Converts the JSON-lines trace `jsonl` (this schema) to `format`.
pub fn convert(jsonl: &str, format: Export) -> Result<String, String> {
    let trace = read::parse(jsonl)?;
    Ok(match format {
        Export::Chrome => {
            let mut text = serde_json::to_string(&chrome::export(&trace)).map_err(|e| e.to_string())?;
            text.push('\n');
            text
        }
        Export::Shiviz => shiviz::export(&trace),
    })
}

/// Where trace lines go.
pub enum Sink {
    /// Only hash them.
    Hash,
    /// JSON lines to a writer.
    Json(Box<dyn Write + Send>),
    /// Human-readable log lines to a writer.
    Describe(Box<dyn Write + Send>),
}

/// Builds the trace and its running hash.
pub struct Tracer {
    sink: Sink,
    hasher: fnv::FnvHasher,
    /// Lines written so far (header included).
    pub lines: u64,
    /// First I/O error, reported at the end.
    pub error: Option<std::io::Error>,
}

impl Tracer {
    /// A tracer writing to `sink`.
    pub fn new(sink: Sink) -> Tracer {
        Tracer { sink, hasher: fnv::FnvHasher::default(), lines: 0, error: None }
    }

    /// Writes the header.
    pub fn header(&mut self, header: &Header<'_>) {
        let line = serde_json::to_string(header).expect("header serializes");
        self.emit_json(&line);
        if let Sink::Describe(w) = &mut self.sink {
            let r = writeln!(
                w,
                "# zabsim {} seed {} nodes {} scenario {}{}",
                header.version,
                header.seed,
                header.nodes,
                header.scenario_hash,
                if header.variants.is_empty() {
                    String::new()
                } else {
                    format!(" variants {}", header.variants.join(","))
                }
            );
            self.note(r);
        }
    }

    /// Writes one event record.
    pub fn record(&mut self, record: &Record<'_>) {
        let line = serde_json::to_string(record).expect("record serializes");
        self.emit_json(&line);
        if let Sink::Describe(w) = &mut self.sink {
            let who = record.node.map_or("--".to_string(), |n| format!("s{n}"));
            let role = record.role.as_ref().map_or(String::new(), |r| format!(" [{}]", r.text));
            let mut text =
                format!("{:>14} #{:<6} {who}{role} {}", crate::format_time(record.t_us), record.i, record.input.text);
            for o in record.outputs {
                text.push_str("\n                              -> ");
                text.push_str(&o.text);
            }
            let r = writeln!(w, "{text}");
            self.note(r);
        }
    }

    fn emit_json(&mut self, line: &str) {
        self.hasher.write(line.as_bytes());
        self.hasher.write_u8(b'\n');
        self.lines += 1;
        if let Sink::Json(w) = &mut self.sink {
            let r = writeln!(w, "{line}");
            self.note(r);
        }
    }

    fn note(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    /// The running hash of every line so far.
    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    /// Writes the closing line with the hash and flushes.
    pub fn finish(&mut self) {
        let hash = self.hash();
        let lines = self.lines;
        match &mut self.sink {
            Sink::Json(w) => {
                let r = writeln!(w, "{{\"kind\":\"end\",\"lines\":{lines},\"hash\":\"{hash:016x}\"}}")
                    .and_then(|_| w.flush());
                self.note(r);
            }
            Sink::Describe(w) => {
                let r = writeln!(w, "# end: {lines} lines, trace hash {hash:016x}").and_then(|_| w.flush());
                self.note(r);
            }
            Sink::Hash => {}
        }
    }
}
