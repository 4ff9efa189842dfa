//! Promise and message-order rules, each shown two ways: a hand-built conversation fed to
//! `Checker::check` that breaks exactly that rule and is reported under the invariant it
//! names, and runs of the correct protocol that pass the rule many times without a violation.

use std::collections::VecDeque;
use zabsim_protocol::{
    DiskWrite, DurableState, Ensemble, Epoch, Message, Node, NodeId, Observation, Output, ProtocolConfig,
    QuorumPacket as Q, Send, Txn, Variants, Vote, WriteId, Zxid,
};
use zabsim_sim::check::{Checker, Invariant, Rule, Seen};
use zabsim_sim::scenario::random::{self, Profile};
use zabsim_sim::{Sim, TraceMode};

const LEADER: NodeId = NodeId(1);
const LEARNER: NodeId = NodeId(2);

fn e(epoch: u32) -> Epoch {
    Epoch(epoch)
}

fn z(epoch: u32, counter: u32) -> Zxid {
    Zxid::new(Epoch(epoch), counter)
}

/// A checker and the servers it is shown.
struct Run {
    checker: Checker,
}

impl Run {
    fn new() -> Run {
        Run { checker: Checker::new(3) }
    }

    /// `id`, whose process holds `log`, took a step that wrote `writes` (ids from 0) and sent
    /// `sends` to its peer.
    fn step(
        &mut self,
        id: NodeId,
        log: &[Txn],
        writes: Vec<DiskWrite>,
        sends: Vec<Q>,
        obs: Vec<Observation>,
    ) -> Result<(), Invariant> {
        let durable = DurableState { log: log.to_vec(), ..DurableState::default() };
        let server = Node::new(id, Ensemble::new(3), ProtocolConfig::default(), durable);
        let to = if id == LEADER { LEARNER } else { LEADER };
        let sends = sends.into_iter().map(|p| Send { to, msg: Message::Quorum(p), after_write: None }).collect();
        let output = Output { writes, sends, observations: obs, ..Output::default() };
        let seen = Seen::Step { id, server: &server, output: &output, delivered_before: 0, durable_log: &[] };
        self.checker.check(&seen).map_err(|b| b.invariant)
    }

    /// `packet` leaves `from` for its peer while `pending` is not yet durable there.
    fn depart_pending(&mut self, from: NodeId, packet: Q, pending: Vec<(WriteId, DiskWrite)>) -> Result<(), Invariant> {
        let to = if from == LEADER { LEARNER } else { LEADER };
        let msg = Message::Quorum(packet);
        let pending: VecDeque<_> = pending.into();
        let seen = Seen::Departure { from, to, msg: &msg, pending: &pending, looking_initial: None };
        self.checker.check(&seen).map_err(|b| b.invariant)
    }

    fn depart(&mut self, from: NodeId, packet: Q) -> Result<(), Invariant> {
        self.depart_pending(from, packet, Vec::new())
    }

    /// The leader decided, proposed epoch 1 and, if `acked`, got its ACKEPOCH quorum (it wrote
    /// currentEpoch); if `established`, its NEWLEADER quorum too.
    fn leader_of_epoch_1(&mut self, acked: bool, established: bool) {
        let vote = Vote { leader: LEADER, zxid: Zxid::ZERO, peer_epoch: e(0) };
        let mut obs = vec![
            Observation::Decided { vote, round: zabsim_protocol::Round(1), agreeing: None },
            Observation::EpochProposed { epoch: e(1) },
        ];
        let writes = if acked { vec![DiskWrite::CurrentEpoch(e(1))] } else { Vec::new() };
        if established {
            obs.push(Observation::Established { epoch: e(1), quorum: zabsim_protocol::NodeSet::EMPTY });
        }
        self.step(LEADER, &[], writes, Vec::new(), obs).expect("a leader's term");
        self.depart(LEADER, Q::LeaderInfo { epoch: e(1) }).expect("LEADERINFO opens the conversation");
    }

    /// The learner opened a conversation and sent its NEWLEADER ACK.
    fn learner_past_newleader(&mut self) {
        self.depart(LEARNER, Q::FollowerInfo { accepted_epoch: e(0) }).expect("opens");
        self.depart(LEARNER, Q::AckEpoch { current_epoch: Some(e(0)), last_zxid: Zxid::ZERO }).expect("ackepoch");
        self.depart(LEARNER, Q::Ack { zxid: z(1, 0) }).expect("NEWLEADER ACK");
    }
}

// ----- promises ---------------------------------------------------------------------------------

#[test]
fn leaderinfo_before_the_leaders_accepted_epoch_is_durable_breaks_accepted_epoch_durability() {
    let mut run = Run::new();
    let write = DiskWrite::AcceptedEpoch(e(1));
    run.step(LEADER, &[], vec![write.clone()], vec![Q::LeaderInfo { epoch: e(1) }], Vec::new()).unwrap();
    let sent = run.depart_pending(LEADER, Q::LeaderInfo { epoch: e(1) }, vec![(0, write)]);
    assert_eq!(sent, Err(Invariant::AcceptedEpochDurability));
}

/// The learner appends `t` and queues its ACK behind that write.
fn learner_logs_and_acks(run: &mut Run, t: &Txn) {
    let (append, ack) = (DiskWrite::Append(t.clone()), Q::Ack { zxid: t.zxid });
    run.step(LEARNER, std::slice::from_ref(t), vec![append], vec![ack], Vec::new()).unwrap();
}

#[test]
fn a_proposal_ack_before_its_append_is_durable_breaks_committed_durability() {
    let mut run = Run::new();
    let t = Txn::opaque(z(1, 1), 7);
    run.learner_past_newleader();
    learner_logs_and_acks(&mut run, &t);
    let sent = run.depart_pending(LEARNER, Q::Ack { zxid: t.zxid }, vec![(0, DiskWrite::Append(t.clone()))]);
    assert_eq!(sent, Err(Invariant::CommittedDurability));
}

#[test]
fn a_pending_write_the_ack_does_not_promise_is_no_breach() {
    // The same ACK with an unrelated write pending (a later proposal's append): the promise
    // covers only the acknowledged txn's append.
    let mut run = Run::new();
    let (t, later) = (Txn::opaque(z(1, 1), 7), Txn::opaque(z(1, 2), 8));
    run.learner_past_newleader();
    learner_logs_and_acks(&mut run, &t);
    assert_eq!(run.depart_pending(LEARNER, Q::Ack { zxid: t.zxid }, vec![(1, DiskWrite::Append(later))]), Ok(()));
    assert_eq!(run.checker.exercised(Rule::TxnBeforeAck), 1);
}

#[test]
fn a_newleader_ack_before_the_synced_history_is_durable_breaks_committed_durability() {
    // ZOOKEEPER-4646 on its own schedule: the variant's scenario stops at the ACK.
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/zk-4646-newleader-ack-before-flush.json");
    let scenario = zabsim_sim::cli::load_scenario(&path).expect("scenario loads");
    let report = zabsim_sim::run(scenario);
    let violation = report.violation.expect("the variant is caught");
    assert_eq!(violation.invariant, Invariant::CommittedDurability);
    assert!(violation.detail.contains("acknowledged NEWLEADER"), "{}", violation.detail);
}

#[test]
fn a_current_epoch_durable_before_the_history_it_adopts_breaks_committed_durability() {
    // ZOOKEEPER-4643 on its own schedule: the ACK waits for both writes, but the fsync that
    // makes currentEpoch durable leaves the synced txns pending.
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/zk-4643-current-epoch-before-txns.json");
    let scenario = zabsim_sim::cli::load_scenario(&path).expect("scenario loads");
    let report = zabsim_sim::run(scenario);
    let violation = report.violation.expect("the variant is caught");
    assert_eq!(violation.invariant, Invariant::CommittedDurability);
    assert!(violation.detail.contains("durable before the history it adopted"), "{}", violation.detail);
}

// ----- learner order ----------------------------------------------------------------------------

#[test]
fn an_ackepoch_outside_a_conversation_or_twice_breaks_message_legality() {
    let mut run = Run::new();
    let ack = || Q::AckEpoch { current_epoch: None, last_zxid: Zxid::ZERO };
    assert_eq!(run.depart(LEARNER, ack()), Err(Invariant::MessageLegality));
    let mut run = Run::new();
    run.depart(LEARNER, Q::FollowerInfo { accepted_epoch: e(0) }).unwrap();
    run.depart(LEARNER, ack()).unwrap();
    assert_eq!(run.depart(LEARNER, ack()), Err(Invariant::MessageLegality));
}

#[test]
fn a_proposal_ack_before_the_newleader_ack_breaks_message_legality() {
    // ZOOKEEPER-4685: proposal ACKs overtaking the NEWLEADER ACK make the leader give up.
    let mut run = Run::new();
    run.depart(LEARNER, Q::FollowerInfo { accepted_epoch: e(0) }).unwrap();
    run.depart(LEARNER, Q::AckEpoch { current_epoch: Some(e(0)), last_zxid: Zxid::ZERO }).unwrap();
    assert_eq!(run.depart(LEARNER, Q::Ack { zxid: z(1, 1) }), Err(Invariant::MessageLegality));
}

#[test]
fn a_newleader_ack_before_the_ackepoch_breaks_message_legality() {
    let mut run = Run::new();
    run.depart(LEARNER, Q::FollowerInfo { accepted_epoch: e(0) }).unwrap();
    assert_eq!(run.depart(LEARNER, Q::Ack { zxid: z(1, 0) }), Err(Invariant::MessageLegality));
}

#[test]
fn proposal_acks_going_backwards_break_message_legality() {
    let mut run = Run::new();
    run.learner_past_newleader();
    run.depart(LEARNER, Q::Ack { zxid: z(1, 2) }).unwrap();
    assert_eq!(run.depart(LEARNER, Q::Ack { zxid: z(1, 1) }), Err(Invariant::MessageLegality));
}

#[test]
fn acknowledging_a_txn_the_learner_never_logged_breaks_message_legality() {
    let mut run = Run::new();
    let sent = run.step(LEARNER, &[], Vec::new(), vec![Q::Ack { zxid: z(1, 1) }], Vec::new());
    assert_eq!(sent, Err(Invariant::MessageLegality));
}

// ----- leader order -----------------------------------------------------------------------------

#[test]
fn syncing_before_the_ackepoch_quorum_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(false, false);
    assert_eq!(run.depart(LEADER, Q::Diff { last_zxid: Zxid::ZERO }), Err(Invariant::MessageLegality));
}

#[test]
fn a_second_sync_packet_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, false);
    run.depart(LEADER, Q::Diff { last_zxid: Zxid::ZERO }).unwrap();
    assert_eq!(run.depart(LEADER, Q::Trunc { zxid: Zxid::ZERO }), Err(Invariant::MessageLegality));
}

#[test]
fn newleader_before_the_sync_packet_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, false);
    assert_eq!(run.depart(LEADER, Q::NewLeader { epoch: e(1) }), Err(Invariant::MessageLegality));
}

#[test]
fn a_proposal_before_the_sync_packet_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, true);
    let t = Txn::opaque(z(1, 1), 7);
    assert_eq!(run.depart(LEADER, Q::Proposal { txn: t }), Err(Invariant::MessageLegality));
}

#[test]
fn proposing_in_an_epoch_not_yet_established_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, false);
    run.depart(LEADER, Q::Diff { last_zxid: Zxid::ZERO }).unwrap();
    // A txn of an older epoch is initial history and may go; one of the leader's own may not.
    run.depart(LEADER, Q::Proposal { txn: Txn::opaque(z(0, 1), 6) }).unwrap();
    let own = Txn::opaque(z(1, 1), 7);
    assert_eq!(run.depart(LEADER, Q::Proposal { txn: own }), Err(Invariant::MessageLegality));
}

#[test]
fn a_commit_for_a_txn_the_learner_has_not_got_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, true);
    run.depart(LEADER, Q::Diff { last_zxid: Zxid::ZERO }).unwrap();
    run.depart(LEADER, Q::Proposal { txn: Txn::opaque(z(1, 1), 7) }).unwrap();
    assert_eq!(run.depart(LEADER, Q::Commit { zxid: z(1, 2) }), Err(Invariant::MessageLegality));
}

#[test]
fn uptodate_before_the_newleader_quorum_breaks_message_legality() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, false);
    run.depart(LEADER, Q::Diff { last_zxid: Zxid::ZERO }).unwrap();
    run.depart(LEADER, Q::NewLeader { epoch: e(1) }).unwrap();
    assert_eq!(run.depart(LEADER, Q::UpToDate), Err(Invariant::MessageLegality));
}

#[test]
fn a_whole_legal_conversation_passes_every_rule_it_walks() {
    let mut run = Run::new();
    run.leader_of_epoch_1(true, true);
    let t = Txn::opaque(z(1, 1), 7);
    for packet in [
        Q::Diff { last_zxid: Zxid::ZERO },
        Q::NewLeader { epoch: e(1) },
        Q::UpToDate,
        Q::Proposal { txn: t.clone() },
        Q::Commit { zxid: t.zxid },
    ] {
        run.depart(LEADER, packet).expect("legal");
    }
    run.learner_past_newleader();
    run.depart(LEARNER, Q::Ack { zxid: z(1, 0) }).expect("UPTODATE ACK");
    run.depart(LEARNER, Q::Ack { zxid: t.zxid }).expect("proposal ACK");
}

// ----- the correct protocol ------------------------------------------------------------------

#[test]
fn the_correct_protocol_passes_every_promise_and_order_rule() {
    // Fuzzer schedules (crashes, partitions, pauses, slow disks) on 3 to 7 servers.
    let profile = Profile::swarm(3, 7, Variants::default());
    let mut exercised = vec![0u64; Rule::ALL.len()];
    for seed in 1..=40 {
        let mut sim = Sim::new(random::scenario(seed, &profile), TraceMode::Off);
        sim.run_until(|_| false);
        if let Some(v) = sim.violation() {
            panic!("seed {seed}: {v}");
        }
        for (i, rule) in Rule::ALL.iter().enumerate() {
            exercised[i] += sim.checker().exercised(*rule);
        }
    }
    for (rule, count) in Rule::ALL.iter().zip(&exercised) {
        assert!(*count > 0, "no message of 40 seeds went through {rule}");
    }
}

/// The 3.8.0 learner writes currentEpoch, runs its startup, and only then logs the txns synced
/// with that epoch: the fsync that makes currentEpoch durable during the startup is the breach,
/// before those txns are even written (a crash there is ZOOKEEPER-4643's state).
#[test]
fn a_current_epoch_durable_while_the_synced_txns_wait_for_the_startup_breaks_committed_durability() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/zk-4643-epoch-durable-while-the-follower-starts.json");
    let scenario = zabsim_sim::cli::load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    let report = zabsim_sim::run(scenario);
    let violation = report.violation.expect("the 3.8.0 order breaks CommittedDurability");
    assert_eq!(violation.invariant, Invariant::CommittedDurability);
    assert!(violation.detail.contains("before it logged the txns synced with it"), "{}", violation.detail);
}
