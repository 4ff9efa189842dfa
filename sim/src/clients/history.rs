//! The clients' operation history, as Jepsen keeps one: each operation from its invocation to
//! its completion, ended ok, failed or unknown; and the client-visible window measured from
//! it, which replaces "the longest gap between commits" (that one depends on the write rate).

use zabsim_protocol::data::ZkError;
use zabsim_protocol::Reply;
use zabsim_reports::schema::{ClientOpSpan, ClientWait, OpOutcome};

/// One client operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpSpan {
    /// The client.
    pub client: u32,
    /// The request kind (`create`, `get_data`...).
    pub kind: &'static str,
    /// When the client invoked it, µs.
    pub invoked_us: u64,
    /// When its outcome reached the client; None while pending at the run's end.
    pub completed_us: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// Whether the service answered it: any reply but a session's end or move. A NodeExists
    /// or a BadVersion is the service at work; a ConnectionLoss, SessionExpired or
    /// SessionMoved is the client cut off from it.
    pub served: bool,
}

impl OpSpan {
    /// The operation answered with `reply`.
    pub(crate) fn answered(client: usize, kind: &'static str, invoked_us: u64, now_us: u64, reply: &Reply) -> OpSpan {
        let error = error_of(reply);
        OpSpan {
            client: client as u32,
            kind,
            invoked_us,
            completed_us: Some(now_us),
            outcome: if error.is_some() { OpOutcome::Failed } else { OpOutcome::Ok },
            served: !matches!(
                error,
                Some(
                    ZkError::SessionExpired | ZkError::SessionMoved | ZkError::UnknownSession | ZkError::ConnectionLoss
                )
            ),
        }
    }

    /// The operation's connection was lost before its answer came (ConnectionLoss): a write
    /// may have been applied (unknown); a read, a sync or a connection attempt had no effect
    /// (failed).
    pub(crate) fn lost(client: usize, kind: &'static str, invoked_us: u64, now_us: u64, write: bool) -> OpSpan {
        OpSpan {
            client: client as u32,
            kind,
            invoked_us,
            completed_us: Some(now_us),
            outcome: if write { OpOutcome::Unknown } else { OpOutcome::Failed },
            served: false,
        }
    }

    /// The client's connection attempt, opened at `since_us`, is answered: a server took its
    /// session or gave it a new one.
    pub(crate) fn connected(client: usize, since_us: u64, now_us: u64) -> OpSpan {
        OpSpan {
            client: client as u32,
            kind: "connect",
            invoked_us: since_us,
            completed_us: Some(now_us),
            outcome: OpOutcome::Ok,
            served: true,
        }
    }

    /// The operation was still pending when the run ended.
    pub(crate) fn pending(client: usize, kind: &'static str, invoked_us: u64) -> OpSpan {
        OpSpan {
            client: client as u32,
            kind,
            invoked_us,
            completed_us: None,
            outcome: OpOutcome::Unknown,
            served: false,
        }
    }

    /// As the sweep results keep it.
    pub fn to_schema(&self) -> ClientOpSpan {
        ClientOpSpan {
            client: self.client,
            kind: self.kind.to_string(),
            invoked_us: self.invoked_us,
            completed_us: self.completed_us,
            outcome: self.outcome,
            served: self.served,
        }
    }
}

/// The error a reply carries, if any (a failed write's result, or an error reply).
pub(crate) fn error_of(reply: &Reply) -> Option<ZkError> {
    match reply {
        Reply::Write { result } => result.error(),
        Reply::Error { error } => Some(*error),
        _ => None,
    }
}

/// Every stretch in which a client waited for the service: each operation from its invocation
/// to its answer if it was served (`OpSpan::served`); if it was not, on until the client was
/// next served (an answer or a successful connect completing at or after it ended), or
/// `end_us`. A client's stretches that overlap or touch are merged (a reconnect followed at
/// once by the request it held back is one wait); client by client, in time order.
pub fn waits(history: &[OpSpan], end_us: u64) -> Vec<ClientWait> {
    let Some(clients) = history.iter().map(|s| s.client).max() else { return Vec::new() };
    let mut out: Vec<ClientWait> = Vec::new();
    for client in 0..=clients {
        let mine: Vec<&OpSpan> = history.iter().filter(|s| s.client == client).collect();
        let mut served: Vec<u64> = mine.iter().filter(|s| s.served).filter_map(|s| s.completed_us).collect();
        served.sort_unstable();
        let mut stretches: Vec<(u64, u64)> = mine
            .iter()
            .map(|s| {
                let to = match (s.served, s.completed_us) {
                    (true, Some(done)) => done,
                    (_, Some(done)) => served.get(served.partition_point(|t| *t < done)).copied().unwrap_or(end_us),
                    (_, None) => end_us,
                };
                (s.invoked_us, to.max(s.invoked_us))
            })
            .collect();
        stretches.sort_unstable();
        let mut merged: Vec<ClientWait> = Vec::new();
        for (from_us, to_us) in stretches {
            match merged.last_mut() {
                Some(w) if from_us <= w.to_us => w.to_us = w.to_us.max(to_us),
                _ => merged.push(ClientWait { client, from_us, to_us }),
            }
        }
        out.extend(merged);
    }
    out
}

/// The client-visible window after `from_us`: the longest of the [`waits`], clipped to
/// `[from_us, end_us]`. None when no client waited at all after `from_us`.
///
/// It does not depend on how often clients write while they keep trying (every recipe
/// retries after a ConnectionLoss, and a live session's lost connection counts from the
/// moment it is lost), but it is a lower bound for a client that has nothing outstanding: a
/// lock waiter watching its predecessor, or a client thinking, is not waiting for the
/// service until it invokes something.
pub fn longest_wait(history: &[OpSpan], from_us: u64, end_us: u64) -> Option<u64> {
    waits(history, end_us).iter().filter(|w| w.to_us > from_us).map(|w| w.to_us - w.from_us.max(from_us)).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(client: u32, invoked_us: u64, completed_us: Option<u64>, served: bool) -> OpSpan {
        let outcome = if served { OpOutcome::Ok } else { OpOutcome::Unknown };
        OpSpan { client, kind: "create", invoked_us, completed_us, outcome, served }
    }

    #[test]
    fn a_client_waits_from_a_lost_operation_to_its_next_served_one() {
        let history = [
            span(0, 100, Some(110), true),
            // Lost at 2,000, retried at 2,500 and lost again, served at 9,000.
            span(0, 1_000, Some(2_000), false),
            span(0, 2_500, Some(3_000), false),
            span(0, 3_500, Some(9_000), true),
            // Another client is barely touched.
            span(1, 1_200, Some(1_300), true),
        ];
        assert_eq!(longest_wait(&history, 500, 20_000), Some(8_000));
        // Clipped at the fault.
        assert_eq!(longest_wait(&history, 4_000, 20_000), Some(5_000));
        // Nothing waited on after the last answer.
        assert_eq!(longest_wait(&history, 9_500, 20_000), None);
    }

    #[test]
    fn a_request_held_across_a_reconnect_keeps_the_client_waiting() {
        let connect = |invoked_us, completed_us, served| OpSpan {
            kind: "connect",
            ..span(0, invoked_us, Some(completed_us), served)
        };
        let history = [
            // A is lost at 1,500; B, submitted then, waits for the next connection.
            span(0, 1_000, Some(1_500), false),
            connect(1_600, 2_200, false),
            connect(2_900, 2_910, true),
            // B went out at 2,910 and is lost with that connection at 4,000.
            span(0, 1_500, Some(4_000), false),
            connect(4_500, 6_000, true),
        ];
        assert_eq!(waits(&history, 10_000), vec![ClientWait { client: 0, from_us: 1_000, to_us: 6_000 }]);
    }

    #[test]
    fn an_operation_never_served_waits_until_the_run_ends() {
        let history = [span(0, 1_000, Some(1_500), false), span(0, 2_000, None, false)];
        assert_eq!(longest_wait(&history, 0, 10_000), Some(9_000));
    }

    #[test]
    fn pipelined_operations_merge_into_one_wait() {
        let history =
            [span(0, 1_000, Some(1_800), true), span(0, 1_500, Some(2_600), true), span(0, 5_000, Some(5_100), true)];
        assert_eq!(longest_wait(&history, 0, 10_000), Some(1_600));
        let w = |from_us, to_us| ClientWait { client: 0, from_us, to_us };
        assert_eq!(waits(&history, 10_000), vec![w(1_000, 2_600), w(5_000, 5_100)]);
        assert_eq!(longest_wait(&[], 0, 10_000), None);
    }
}
