//! Canaries of the timely liveness checks (`check/timely.rs`): real servers taken from short
//! runs, arranged by hand into a history that breaks exactly one check, and the reason it must
//! name. Each also shows the check silent where ZooKeeper's timeouts still allow the wait.

use zabsim_protocol::{LeaveReason, Node, NodeId, NodeSet, ServerState, ZabPhase};
use zabsim_sim::check::{Checker, LivenessReason, Surroundings, TimelyBounds};
use zabsim_sim::{Scenario, Sim, TraceMode};

fn three(start_ms: Vec<u64>) -> Scenario {
    Scenario { start_ms, duration_ms: 5_000, ..Scenario::new(3, 1) }
}

/// A 3-server cold start run until every server is in BROADCAST: s3 leads s1 and s2.
fn converged() -> Vec<Option<Node>> {
    let mut sim = Sim::new(three(Vec::new()), TraceMode::Off);
    let done = sim.run_until(|s| s.nodes().iter().flatten().all(|n| n.role_view().phase == ZabPhase::Broadcast));
    assert!(done, "the cold start converges");
    assert_eq!(sim.nodes()[3].as_ref().map(Node::state), Some(ServerState::Leading));
    sim.nodes().to_vec()
}

/// s2 LEADING (not yet established) in a run where s3 has not started.
fn s2_leading() -> Node {
    let mut sim = Sim::new(three(vec![0, 0, 60_000]), TraceMode::Off);
    let id = NodeId(2);
    assert!(sim.run_until(|s| s.node(id).is_some_and(|n| n.state() == ServerState::Leading)));
    sim.node(id).cloned().expect("s2 runs")
}

fn all() -> NodeSet {
    (1..=3).map(NodeId).collect()
}

fn everywhere(_: NodeId, _: NodeId) -> bool {
    true
}

fn bounds() -> TimelyBounds {
    TimelyBounds::for_scenario(&three(Vec::new()))
}

/// A checker that saw every server of `nodes` take a step at time 0.
fn watching(nodes: &[Option<Node>]) -> Checker {
    let mut checker = Checker::new(3);
    for (i, n) in nodes.iter().enumerate().skip(1) {
        checker.timely_step(0, NodeId(i as u8), n.as_ref().expect("up"));
    }
    checker
}

fn calm(now_us: u64, calm_since_us: u64) -> Surroundings<'static> {
    Surroundings {
        now_us,
        calm_since_us: Some(calm_since_us),
        healthy: all(),
        reachable: &everywhere,
        learner_connected_us: &[0; 4],
    }
}

#[test]
fn a_server_that_asked_a_healthy_quorum_and_never_joined_is_join_overdue() {
    let mut nodes = converged();
    // s1 starts over, LOOKING, and its notification reaches s3 (leading) and s2 (following).
    let mut s1 = Node::new(NodeId(1), zabsim_protocol::Ensemble::new(3), Default::default(), Default::default());
    s1.step(0, zabsim_protocol::Input::Start);
    nodes[1] = Some(s1);
    let mut checker = watching(&nodes);
    let asked_us = 1_000_000;
    checker.timely_asked(asked_us, 0, NodeId(1), NodeId(3));
    checker.timely_asked(asked_us, 0, NodeId(1), NodeId(2));
    let b = bounds();
    let due = asked_us + b.join_us;
    assert_eq!(checker.timely_verdict(&calm(due, 0), &nodes, &b), None, "not due yet");
    let (servers, reason, detail) = checker.timely_verdict(&calm(due + 1, 0), &nodes, &b).expect("overdue");
    assert_eq!(reason, LivenessReason::JoinOverdue, "{detail}");
    assert_eq!(servers, vec![1, 3]);
    // A fault after the ask: what it asked no longer counts.
    assert_eq!(checker.timely_verdict(&calm(due + 1, asked_us + 1), &nodes, &b), None);
}

#[test]
fn a_leader_beside_another_established_quorum_past_its_timeouts_is_a_stale_leader() {
    let mut nodes = converged();
    // s2 LEADING (its own failed bid) while s3 leads s1 in BROADCAST: s3's quorum is real.
    nodes[2] = Some(s2_leading());
    let checker = watching(&nodes);
    let b = bounds();
    assert_eq!(checker.timely_verdict(&calm(b.stale_leader_us, 0), &nodes, &b), None, "not due yet");
    let (servers, reason, detail) = checker.timely_verdict(&calm(b.stale_leader_us + 1, 0), &nodes, &b).expect("stale");
    assert_eq!(reason, LivenessReason::StaleLeader, "{detail}");
    assert_eq!(servers, vec![2, 3]);
}

#[test]
fn a_leader_giving_up_with_a_quorum_that_stayed_in_broadcast_gives_up_needlessly() {
    let nodes = converged();
    let checker = watching(&nodes);
    let b = bounds();
    let now = b.quorum_lost_window_us + 1;
    let (servers, reason, detail) =
        checker.timely_give_up(&calm(now, 0), &nodes, &b, NodeId(3), LeaveReason::QuorumLost).expect("needless");
    assert_eq!(reason, LivenessReason::NeedlessGiveUp, "{detail}");
    assert_eq!(servers, vec![3, 1, 2]);
    // A fault within the window the check looks back on: ZooKeeper may give up.
    assert_eq!(checker.timely_give_up(&calm(now, 2), &nodes, &b, NodeId(3), LeaveReason::QuorumLost), None);
    // The followers have not been there for the whole window: no verdict either.
    let short = calm(b.quorum_lost_window_us - 1, 0);
    assert_eq!(checker.timely_give_up(&short, &nodes, &b, NodeId(3), LeaveReason::QuorumLost), None);
    // The initLimit waits look back on FOLLOWING, which s1 and s2 also are.
    let wait = calm(b.wait_window_us + 1, 0);
    let verdict = checker.timely_give_up(&wait, &nodes, &b, NodeId(3), LeaveReason::WaitTimedOut);
    assert_eq!(verdict.map(|v| v.1), Some(LivenessReason::NeedlessGiveUp));
}
