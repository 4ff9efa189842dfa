//! Turning each step's observations into the run's measurements and coverage.

use super::*;

impl Stats {
    pub(super) fn observe(&mut self, now_us: u64, id: NodeId, observations: &[Observation], submit_times: &[u64]) {
        for o in observations {
            match o {
                Observation::Left { reason } => self.cover(Coverage::from(*reason)),
                Observation::ElectionStarted { round, initial } => {
                    self.latest_initial[id.index()] = Some(*initial);
                    self.max_round = self.max_round.max(round.0);
                    self.elections_started += 1;
                }
                Observation::Decided { vote, agreeing, .. } => {
                    self.decisions += 1;
                    if agreeing.is_none() {
                        self.cover(Coverage::JoinedEstablishedEnsemble);
                    } else {
                        let votes: Vec<zabsim_protocol::Vote> = self.latest_initial.iter().flatten().copied().collect();
                        let tie = |same_epoch: bool| {
                            votes.iter().enumerate().any(|(i, a)| {
                                votes[i + 1..]
                                    .iter()
                                    .any(|b| a.zxid == b.zxid && (a.peer_epoch == b.peer_epoch) == same_epoch)
                            })
                        };
                        if tie(true) {
                            self.cover(Coverage::ElectionWithEqualZxids);
                        }
                        if tie(false) {
                            self.cover(Coverage::ElectionWithEqualZxidsAcrossEpochs);
                        }
                    }
                    if self.first_decided_us.is_none() {
                        self.first_decided_us = Some(now_us);
                        self.first_leader = Some(vote.leader.0);
                    }
                }
                Observation::Established { epoch, .. } => {
                    self.leaders.push(crate::report::LeaderRecord { epoch: epoch.0, leader: id.0, at_us: now_us });
                }
                Observation::Committed { .. } => self.commits += 1,
                Observation::ClientAcked { value, .. } => {
                    self.resolve(*value, WriteState::Acked);
                    self.acked_values.push(*value);
                    if let Some(t) = submit_times.get(*value as usize - 1) {
                        self.commit_latencies_us.push(now_us - t);
                        self.ack_timeline.push((now_us, now_us - t));
                    }
                }
                Observation::ClientRejected { value } => self.resolve(*value, WriteState::Rejected),
                Observation::Proposed { txn } => {
                    if let zabsim_protocol::message::TxnBody::Request(request) = &txn.body {
                        if let zabsim_protocol::data::Op::Error { error } = request.op {
                            self.cover(match error {
                                zabsim_protocol::data::ZkError::SessionMoved => Coverage::SessionMoved,
                                _ => Coverage::DeadSessionWrite,
                            });
                        }
                    }
                }
                Observation::SyncChosen { mode, learner } => {
                    self.syncs.push(crate::report::SyncRecord {
                        at_us: now_us,
                        leader: id.0,
                        learner: learner.0,
                        mode: *mode,
                    });
                }
                _ => {}
            }
        }
    }
}
