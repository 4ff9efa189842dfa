//! Canaries: for every invariant the checker holds, a hand-built history, fed straight into
//! `Checker::check`, that breaks exactly that property, and the invariant it must name. A
//! checker that stays silent on one of these has gone blind to that property.

use std::collections::VecDeque;
use std::sync::Arc;
use zabsim_protocol::data::{CreateMode, Op, Request, SessionId, ZPath};
use zabsim_protocol::message::TxnBody;
use zabsim_protocol::{
    DiskWrite, DurableState, Ensemble, Epoch, Message, Node, NodeId, NodeSet, Notification, Observation, Output,
    ProtocolConfig, Round, ServerState, Txn, Vote, WriteId, Zxid,
};
use zabsim_sim::check::{Breach, Checker, Invariant, LivenessReason, Seen};

const N: u8 = 3;

fn node(id: u8, log: &[Txn]) -> Node {
    let durable = DurableState { log: log.to_vec(), ..DurableState::default() };
    Node::new(NodeId(id), Ensemble::new(N), ProtocolConfig::default(), durable)
}

fn txn(epoch: u32, counter: u32, value: u64) -> Txn {
    Txn::opaque(Zxid::new(Epoch(epoch), counter), value)
}

fn observing(observations: Vec<Observation>) -> Output {
    Output { observations, ..Output::default() }
}

/// Server `id`, whose process holds `log`, took a step that produced `output`.
fn step(checker: &mut Checker, id: u8, log: &[Txn], output: &Output) -> Result<(), Breach> {
    let server = node(id, log);
    checker.check(&Seen::Step { id: NodeId(id), server: &server, output, delivered_before: 0, durable_log: log })
}

fn established(epoch: u32) -> Observation {
    Observation::Established { epoch: Epoch(epoch), quorum: NodeSet::EMPTY }
}

fn breached(result: Result<(), Breach>) -> Invariant {
    result.expect_err("the history breaks a property").invariant
}

#[test]
fn every_invariant_has_a_canary_here() {
    // Keep in step with the tests below: one per invariant.
    let covered = [
        Invariant::Leadership,
        Invariant::ElectionQuorumMaximum,
        Invariant::ZxidUniqueness,
        Invariant::LocalMonotonicity,
        Invariant::LeaderCompleteness,
        Invariant::CommittedDurability,
        Invariant::AcceptedEpochDurability,
        Invariant::PrefixConsistency,
        Invariant::ReplicaAgreement,
        Invariant::Integrity,
        Invariant::AcknowledgedDurability,
        Invariant::MessageLegality,
        Invariant::Liveness,
        // The client guarantees' canaries are unit tests beside their checker
        // (sim/src/check/clients/), which feeds on what clients receive, not on server steps.
        Invariant::ClientFifoOrder,
        Invariant::ClientMonotonicView,
        Invariant::LinearizableWrites,
        Invariant::SyncFreshness,
        Invariant::CommittedReads,
        Invariant::ReadContents,
        Invariant::WatchOrder,
        Invariant::LockExclusion,
        Invariant::QueueAtMostOnce,
    ];
    assert_eq!(covered.as_slice(), Invariant::ALL);
}

/// A txn carrying a client request, for the data-tree canary.
fn request_txn(counter: u32, op: Op) -> Txn {
    let request = Request { session: SessionId(7), cxid: u64::from(counter), op };
    Txn { zxid: Zxid::new(Epoch(1), counter), value: u64::from(counter), body: TxnBody::Request(Arc::new(request)) }
}

#[test]
fn two_servers_with_one_history_and_different_trees_break_replica_agreement() {
    let mut checker = Checker::new(N as usize);
    let create = |path: &str| Op::Create {
        path: ZPath::parse(path).expect("valid"),
        data: vec![],
        mode: CreateMode::Persistent,
    };
    let session = request_txn(1, Op::CreateSession { timeout_ms: 4000 });
    // The same txn (zxid 1:2, value 2) as each server applied it: s2's copy made another node,
    // as a server that applies a txn differently would.
    let on_s1 = [session.clone(), request_txn(2, create("/a"))];
    let on_s2 = [session, request_txn(2, create("/b"))];
    step(&mut checker, 1, &on_s1, &Output::default()).expect("the first tree after this history");
    step(&mut checker, 3, &on_s1[..1], &Output::default()).expect("a shorter history is another key");
    assert_eq!(breached(step(&mut checker, 2, &on_s2, &Output::default())), Invariant::ReplicaAgreement);
}

#[test]
fn two_leaders_establishing_one_epoch_break_leadership() {
    let mut checker = Checker::new(N as usize);
    step(&mut checker, 1, &[], &observing(vec![established(1)])).expect("first leader of e1");
    assert_eq!(breached(step(&mut checker, 2, &[], &observing(vec![established(1)]))), Invariant::Leadership);
}

#[test]
fn deciding_below_a_quorum_members_own_vote_breaks_election_quorum_maximum() {
    let mut checker = Checker::new(N as usize);
    let round = Round(1);
    let strong = Vote { leader: NodeId(3), zxid: Zxid::new(Epoch(1), 5), peer_epoch: Epoch(1) };
    let weak = Vote { leader: NodeId(1), zxid: Zxid::ZERO, peer_epoch: Epoch(0) };
    // s3 sends the weak vote LOOKING in round 1 while its own initial vote is strong: a decision
    // for the weak vote that counts s3 decided below a quorum member's own vote.
    let msg = Message::Notification(Notification { state: ServerState::Looking, vote: weak, round });
    let pending = VecDeque::new();
    let departure =
        Seen::Departure { from: NodeId(3), to: NodeId(1), msg: &msg, pending: &pending, looking_initial: Some(strong) };
    checker.check(&departure).expect("a vote leaves");
    let mut agreeing = NodeSet::EMPTY;
    agreeing.insert(NodeId(1));
    agreeing.insert(NodeId(3));
    let decided = observing(vec![Observation::Decided { vote: weak, round, agreeing: Some(agreeing) }]);
    assert_eq!(breached(step(&mut checker, 1, &[], &decided)), Invariant::ElectionQuorumMaximum);
}

#[test]
fn two_txns_with_one_zxid_break_zxid_uniqueness() {
    let mut checker = Checker::new(N as usize);
    step(&mut checker, 1, &[], &observing(vec![established(1)])).expect("established");
    let proposals =
        observing(vec![Observation::Proposed { txn: txn(1, 1, 10) }, Observation::Proposed { txn: txn(1, 1, 11) }]);
    assert_eq!(breached(step(&mut checker, 1, &[], &proposals)), Invariant::ZxidUniqueness);
}

#[test]
fn current_epoch_above_accepted_epoch_breaks_local_monotonicity() {
    let mut checker = Checker::new(N as usize);
    let durable =
        DurableState { accepted_epoch: Epoch(1), current_epoch: Epoch(2), log: Vec::new(), ..DurableState::default() };
    let writes = [DiskWrite::CurrentEpoch(Epoch(2))];
    let fsync = Seen::Fsync { id: NodeId(2), last_before: Zxid::ZERO, writes: &writes, durable: &durable, through: 0 };
    assert_eq!(breached(checker.check(&fsync)), Invariant::LocalMonotonicity);
}

#[test]
fn a_later_leader_without_a_committed_txn_breaks_leader_completeness() {
    let mut checker = Checker::new(N as usize);
    let t = txn(1, 1, 10);
    checker.preload(t.clone());
    step(&mut checker, 1, std::slice::from_ref(&t), &observing(vec![established(1)]))
        .expect("e1 commits its initial history");
    assert_eq!(checker.committed(), std::slice::from_ref(&t));
    assert_eq!(breached(step(&mut checker, 2, &[], &observing(vec![established(2)]))), Invariant::LeaderCompleteness);
}

#[test]
fn truncating_a_durable_committed_txn_breaks_committed_durability() {
    let mut checker = Checker::new(N as usize);
    let t = txn(1, 1, 10);
    // Only s2 holds t durably: cutting it leaves no quorum that does.
    checker.preload_disk(
        NodeId(2),
        &DurableState {
            accepted_epoch: Epoch(1),
            current_epoch: Epoch(1),
            log: vec![t.clone()],
            ..DurableState::default()
        },
    );
    step(&mut checker, 1, std::slice::from_ref(&t), &observing(vec![established(1)])).expect("committed");
    let sync = observing(vec![Observation::SyncChosen { learner: NodeId(2), mode: zabsim_protocol::SyncMode::Trunc }]);
    step(&mut checker, 1, std::slice::from_ref(&t), &sync).expect("the leader chose TRUNC for s2");
    // s2 holds t durably and its process cuts it.
    let cut = Output { writes: vec![DiskWrite::Truncate(Zxid::ZERO)], ..Output::default() };
    let server = node(2, &[]);
    let seen = Seen::Step {
        id: NodeId(2),
        server: &server,
        output: &cut,
        delivered_before: 0,
        durable_log: std::slice::from_ref(&t),
    };
    assert_eq!(breached(checker.check(&seen)), Invariant::CommittedDurability);
}

#[test]
fn an_ackepoch_before_accepted_epoch_is_durable_breaks_accepted_epoch_durability() {
    let mut checker = Checker::new(N as usize);
    let ack = Message::Quorum(zabsim_protocol::QuorumPacket::AckEpoch {
        current_epoch: Some(Epoch(0)),
        last_zxid: Zxid::ZERO,
    });
    let output = Output {
        writes: vec![DiskWrite::AcceptedEpoch(Epoch(1))],
        sends: vec![zabsim_protocol::Send { to: NodeId(1), msg: ack.clone(), after_write: Some(0) }],
        ..Output::default()
    };
    let pending: VecDeque<(WriteId, DiskWrite)> = [(0, DiskWrite::AcceptedEpoch(Epoch(1)))].into();
    let follower_info = Message::Quorum(zabsim_protocol::QuorumPacket::FollowerInfo { accepted_epoch: Epoch(0) });
    let none = VecDeque::new();
    let opening =
        Seen::Departure { from: NodeId(2), to: NodeId(1), msg: &follower_info, pending: &none, looking_initial: None };
    checker.check(&opening).expect("FOLLOWERINFO opens the conversation");
    step(&mut checker, 2, &[], &output).expect("the step itself is fine");
    let departure =
        Seen::Departure { from: NodeId(2), to: NodeId(1), msg: &ack, pending: &pending, looking_initial: None };
    assert_eq!(breached(checker.check(&departure)), Invariant::AcceptedEpochDurability);
}

#[test]
fn committing_a_different_txn_at_a_committed_zxid_breaks_prefix_consistency() {
    let mut checker = Checker::new(N as usize);
    let (t, other) = (txn(1, 1, 10), txn(1, 1, 99));
    checker.preload(t.clone());
    step(&mut checker, 1, std::slice::from_ref(&t), &observing(vec![established(1)])).expect("committed");
    let commit = observing(vec![Observation::Committed { zxid: t.zxid, acks: NodeSet::EMPTY }]);
    assert_eq!(breached(step(&mut checker, 2, &[other], &commit)), Invariant::PrefixConsistency);
}

#[test]
fn proposing_without_an_established_epoch_breaks_integrity() {
    let mut checker = Checker::new(N as usize);
    let proposal = observing(vec![Observation::Proposed { txn: txn(1, 1, 10) }]);
    assert_eq!(breached(step(&mut checker, 1, &[], &proposal)), Invariant::Integrity);
}

#[test]
fn acknowledging_an_uncommitted_client_write_breaks_acknowledged_durability() {
    let mut checker = Checker::new(N as usize);
    let acked = observing(vec![Observation::ClientAcked { value: 10, zxid: Zxid::new(Epoch(1), 1) }]);
    assert_eq!(breached(step(&mut checker, 1, &[], &acked)), Invariant::AcknowledgedDurability);
}

#[test]
fn a_packet_the_receiver_calls_illegal_breaks_message_legality() {
    let mut checker = Checker::new(N as usize);
    let illegal = observing(vec![Observation::IllegalMessage { what: "COMMIT 1:2 but next pending is 1:1".into() }]);
    assert_eq!(breached(step(&mut checker, 2, &[], &illegal)), Invariant::MessageLegality);
}

#[test]
fn a_quorum_with_no_leader_at_the_deadline_breaks_liveness() {
    // Liveness is judged at the deadline, not by `check`: the engine reports the verdict as a
    // Liveness violation with this reason.
    let mut checker = Checker::new(N as usize);
    let mut members = NodeSet::EMPTY;
    let mut nodes = vec![None];
    for id in 1..=N {
        members.insert(NodeId(id));
        let mut n = node(id, &[]);
        n.step(0, zabsim_protocol::Input::Start);
        nodes.push(Some(n));
    }
    checker.start_liveness(0, 1_000_000, vec![members]);
    assert!(!checker.watch_liveness(1_000_000, &nodes, None, 0), "nobody leads");
    let (servers, reason, _) = checker.liveness_verdict(&nodes).expect("not converged");
    assert_eq!(reason, LivenessReason::NoLeader);
    assert_eq!(servers, vec![1, 2, 3]);
}
