//! Hand-written one-line texts for what the harness prints: inputs, outputs, timers and the
//! harness's own queues. Everything here is Display-based (never `{:?}`), so a golden file
//! changes only when behaviour or a describe text changes on purpose.

use zabsim_protocol::{DiskWrite, Input, Message, NetCmd, Observation, TimerKind, WriteId};
use zabsim_sim::format_time;

/// The name a script uses for a timer kind (`fire-timer kind=notification-timeout`); output
/// lines print `TimerKind::name`, as traces and `--describe` do.
pub fn timer_name(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::NotificationTimeout => "notification-timeout",
        TimerKind::FinalizeWait => "finalize-wait",
        TimerKind::ConnectRetry => "connect-retry",
        TimerKind::LearnerRead => "learner-read",
        TimerKind::LeaderWait => "leader-wait",
        TimerKind::Heartbeat => "heartbeat",
        TimerKind::Work => "work",
        TimerKind::SessionExpiry => "session-expiry",
    }
}

/// The timer kind a script names, or an error listing the names.
pub fn parse_timer(name: &str) -> Result<TimerKind, String> {
    TimerKind::ALL.into_iter().find(|k| timer_name(*k) == name).ok_or_else(|| {
        let names: Vec<&str> = TimerKind::ALL.iter().map(|k| timer_name(*k)).collect();
        format!("unknown timer kind '{name}': expected one of {}", names.join(", "))
    })
}

/// One line for an input: its describe text, as in traces.
pub fn input_line(input: &Input) -> String {
    input.to_string()
}

/// A send as the step issued it; `fate` says what the harness did with it.
pub fn send_line(to: impl std::fmt::Display, msg: &Message, after: Option<WriteId>, fate: &str) -> String {
    let gate = after.map(|w| format!(" after w{w}")).unwrap_or_default();
    let fate = if fate.is_empty() { String::new() } else { format!(" ({fate})") };
    format!("send {to} {msg}{gate}{fate}")
}

/// A disk write with its id.
pub fn write_line(id: WriteId, write: &DiskWrite) -> String {
    format!("write w{id} {write}")
}

/// A timer armed by a step (cancels are applied silently, as in the simulator's trace).
pub fn timer_set_line(kind: TimerKind, at_us: u64) -> String {
    format!("timer {} at {}", kind.name(), format_time(at_us))
}

/// A connection command.
pub fn net_line(cmd: &NetCmd) -> String {
    match cmd {
        NetCmd::Connect(p) => format!("connect {p}"),
        NetCmd::Close(p) => format!("close {p}"),
    }
}

/// An observation.
pub fn note_line(o: &Observation) -> String {
    format!("note {o}")
}
