//! `SessionTracker`: which sessions a leader must expire and when (ZooKeeper's
//! `SessionTrackerImpl` over an `ExpiryQueue`). Sessions sit in buckets one tickTime wide; a
//! touch (any request or ping) moves a session to the bucket after `now + timeout`, and when
//! virtual time reaches a bucket its sessions expire together. Times are virtual
//! milliseconds handed in by the caller; nothing here reads a clock.

use super::error::ZkError;
use super::op::SessionId;
use crate::ids::NodeId;
use std::collections::{BTreeMap, BTreeSet};

/// One tracked session (`SessionTrackerImpl.SessionImpl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tracked {
    timeout_ms: u32,
    /// The bucket it is in; meaningless once closing (it is in none).
    expires_at_ms: u64,
    /// Expired or closed and awaiting its closeSession txn: touches no longer count.
    closing: bool,
    /// The server whose connection the session is on, as far as the leader knows
    /// (`SessionImpl.owner`; ZooKeeper keeps the `LearnerHandler`, or `ServerCnxn.me` for
    /// the leader's own clients). `None` until the first request or revalidation sets it.
    owner: Option<NodeId>,
}

/// The leader's session expiry bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionTracker {
    /// `ExpiryQueue.expirationInterval`: ZooKeeper uses tickTime.
    expiration_interval_ms: u64,
    sessions: BTreeMap<SessionId, Tracked>,
    /// `ExpiryQueue.expiryMap`: bucket time to the sessions due then. No empty buckets.
    buckets: BTreeMap<u64, BTreeSet<SessionId>>,
}

impl SessionTracker {
    /// A tracker whose buckets are `tick_ms` wide (`SessionTrackerImpl` is built with
    /// tickTime as the expiration interval).
    pub fn new(tick_ms: u32) -> SessionTracker {
        assert!(tick_ms > 0, "the session expiry interval (tickTime) must be positive");
        SessionTracker {
            expiration_interval_ms: u64::from(tick_ms),
            sessions: BTreeMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    /// The timeout a server grants for a requested one: clamped to [2, 20] ticks, the
    /// defaults of `ZooKeeperServer.minSessionTimeout` and `maxSessionTimeout`, as
    /// `ZooKeeperServer.processConnectRequest` does.
    pub fn negotiate_timeout(requested_ms: u32, tick_ms: u32) -> u32 {
        let min_ms = tick_ms.saturating_mul(2);
        let max_ms = tick_ms.saturating_mul(20);
        requested_ms.clamp(min_ms, max_ms)
    }

    /// Starts tracking `session` with `timeout_ms`, as if touched at `now_ms`
    /// (`SessionTrackerImpl.trackSession`). Re-adding a session resets its timeout and
    /// clears a closing mark.
    pub fn add(&mut self, session: SessionId, timeout_ms: u32, now_ms: u64) {
        self.remove(session);
        self.sessions.insert(session, Tracked { timeout_ms, expires_at_ms: 0, closing: false, owner: None });
        self.reschedule(session, now_ms);
    }

    /// A request or ping from `session` at `now_ms` (`SessionTrackerImpl.touchSession`):
    /// moves its expiry to the bucket after `now_ms + timeout`. False if the session is
    /// unknown or closing, which ZooKeeper answers with session expired.
    pub fn touch(&mut self, session: SessionId, now_ms: u64) -> bool {
        match self.sessions.get(&session) {
            Some(tracked) if !tracked.closing => {
                self.reschedule(session, now_ms);
                true
            }
            _ => false,
        }
    }

    /// `SessionTrackerImpl.checkSession`, which `PrepRequestProcessor` runs before every write
    /// of a session: unknown, closing, or owned by another server than the one `owner` the
    /// request came through is an error; a session with no owner yet takes this one. An
    /// unknown session is SessionExpired, not UnknownSession: the leader's
    /// `LeaderSessionTracker.checkSession` says so when local sessions are off (3.8's default).
    pub fn check(&mut self, session: SessionId, owner: NodeId) -> Result<(), ZkError> {
        let Some(tracked) = self.sessions.get_mut(&session) else { return Err(ZkError::SessionExpired) };
        if tracked.closing {
            return Err(ZkError::SessionExpired);
        }
        match tracked.owner {
            None => tracked.owner = Some(owner),
            Some(current) if current != owner => return Err(ZkError::SessionMoved),
            Some(_) => {}
        }
        Ok(())
    }

    /// `SessionTrackerImpl.setOwner`: the session is now on a connection of `owner` (it was
    /// created or revalidated there). Ignored for an unknown or closing session.
    pub fn set_owner(&mut self, session: SessionId, owner: NodeId) {
        if let Some(tracked) = self.sessions.get_mut(&session).filter(|t| !t.closing) {
            tracked.owner = Some(owner);
        }
    }

    /// Sessions whose bucket time is at or before `now_ms`, earliest bucket first and by id
    /// within a bucket. Each is marked closing, so it is returned once and touches stop
    /// counting (`SessionTrackerImpl.run`: `poll`, then `setSessionClosing`, then `expire`,
    /// which submits the closeSession txn).
    pub fn expired(&mut self, now_ms: u64) -> Vec<SessionId> {
        let due: Vec<u64> = self.buckets.range(..=now_ms).map(|(time, _)| *time).collect();
        let mut expired = Vec::new();
        for time in due {
            for session in self.buckets.remove(&time).unwrap_or_default() {
                if let Some(tracked) = self.sessions.get_mut(&session) {
                    tracked.closing = true;
                }
                expired.push(session);
            }
        }
        expired
    }

    /// Marks `session` closing without expiring it: the client asked to close, and the
    /// closeSession txn is on its way (`PrepRequestProcessor` calls `setSessionClosing`).
    pub fn set_closing(&mut self, session: SessionId) {
        if let Some(tracked) = self.sessions.get(&session).copied() {
            self.unbucket(session, tracked);
            self.sessions.insert(session, Tracked { closing: true, ..tracked });
        }
    }

    /// Stops tracking `session` (`SessionTrackerImpl.removeSession`, when its closeSession
    /// txn commits).
    pub fn remove(&mut self, session: SessionId) {
        if let Some(tracked) = self.sessions.remove(&session) {
            self.unbucket(session, tracked);
        }
    }

    /// The earliest time a session can expire: when the simulator should call
    /// [`SessionTracker::expired`] next. `None` when no live session is tracked.
    pub fn next_expiry_ms(&self) -> Option<u64> {
        self.buckets.keys().next().copied()
    }

    /// Whether `session` is tracked (live or closing).
    pub fn contains(&self, session: SessionId) -> bool {
        self.sessions.contains_key(&session)
    }

    /// Whether `session` is tracked and closing.
    pub fn is_closing(&self, session: SessionId) -> bool {
        self.sessions.get(&session).is_some_and(|tracked| tracked.closing)
    }

    /// The session's timeout, if tracked.
    pub fn timeout_ms(&self, session: SessionId) -> Option<u32> {
        self.sessions.get(&session).map(|tracked| tracked.timeout_ms)
    }

    /// When a live session will expire unless touched; `None` if unknown or closing.
    pub fn expires_at_ms(&self, session: SessionId) -> Option<u64> {
        self.sessions.get(&session).filter(|tracked| !tracked.closing).map(|tracked| tracked.expires_at_ms)
    }

    /// `ExpiryQueue.update`: into the bucket for `now_ms + timeout`.
    fn reschedule(&mut self, session: SessionId, now_ms: u64) {
        let tracked = self.sessions[&session];
        let expires_at_ms = self.round_to_next_interval(now_ms.saturating_add(u64::from(tracked.timeout_ms)));
        self.unbucket(session, tracked);
        self.buckets.entry(expires_at_ms).or_default().insert(session);
        self.sessions.insert(session, Tracked { expires_at_ms, ..tracked });
    }

    fn unbucket(&mut self, session: SessionId, tracked: Tracked) {
        if let Some(bucket) = self.buckets.get_mut(&tracked.expires_at_ms) {
            bucket.remove(&session);
            if bucket.is_empty() {
                self.buckets.remove(&tracked.expires_at_ms);
            }
        }
    }

    /// `ExpiryQueue.roundToNextInterval`: the next multiple of the interval strictly after
    /// `time_ms`, so an expiry never comes early and sessions share few buckets.
    fn round_to_next_interval(&self, time_ms: u64) -> u64 {
        (time_ms / self.expiration_interval_ms + 1) * self.expiration_interval_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK_MS: u32 = 2000;

    #[test]
    fn a_write_through_another_server_than_the_owner_is_session_moved() {
        let mut tracker = SessionTracker::new(TICK_MS);
        tracker.add(SessionId(1), 4000, 0);
        assert_eq!(tracker.check(SessionId(1), NodeId(2)), Ok(()), "the first request sets the owner");
        assert_eq!(tracker.check(SessionId(1), NodeId(3)), Err(ZkError::SessionMoved));
        tracker.set_owner(SessionId(1), NodeId(3));
        assert_eq!(tracker.check(SessionId(1), NodeId(3)), Ok(()));
        assert_eq!(tracker.check(SessionId(1), NodeId(2)), Err(ZkError::SessionMoved));
        assert_eq!(tracker.check(SessionId(9), NodeId(2)), Err(ZkError::SessionExpired));
        tracker.set_closing(SessionId(1));
        assert_eq!(tracker.check(SessionId(1), NodeId(3)), Err(ZkError::SessionExpired));
    }

    #[test]
    fn timeouts_are_clamped_to_two_and_twenty_ticks() {
        assert_eq!(SessionTracker::negotiate_timeout(1000, TICK_MS), 4000);
        assert_eq!(SessionTracker::negotiate_timeout(10_000, TICK_MS), 10_000);
        assert_eq!(SessionTracker::negotiate_timeout(90_000, TICK_MS), 40_000);
    }

    #[test]
    fn expiry_rounds_up_to_the_next_tick_boundary() {
        let mut tracker = SessionTracker::new(TICK_MS);
        tracker.add(SessionId(1), 5000, 100);
        // 100 + 5000 = 5100 -> next multiple of 2000 is 6000.
        assert_eq!(tracker.expires_at_ms(SessionId(1)), Some(6000));
        tracker.add(SessionId(2), 4000, 0);
        // Exactly on a boundary still moves to the next one, as roundToNextInterval does.
        assert_eq!(tracker.expires_at_ms(SessionId(2)), Some(6000));
        assert_eq!(tracker.next_expiry_ms(), Some(6000));
    }

    #[test]
    fn sessions_in_one_bucket_expire_together_in_id_order() {
        let mut tracker = SessionTracker::new(TICK_MS);
        tracker.add(SessionId(7), 5000, 500);
        tracker.add(SessionId(3), 5000, 900);
        tracker.add(SessionId(9), 4000, 9000);
        assert!(tracker.expired(5999).is_empty());
        assert_eq!(tracker.expired(6000), vec![SessionId(3), SessionId(7)]);
        assert_eq!(tracker.next_expiry_ms(), Some(14_000));
    }

    #[test]
    fn an_expired_session_is_returned_once_and_cannot_be_touched() {
        let mut tracker = SessionTracker::new(TICK_MS);
        tracker.add(SessionId(1), 4000, 0);
        assert_eq!(tracker.expired(10_000), vec![SessionId(1)]);
        assert!(tracker.expired(20_000).is_empty());
        assert!(tracker.is_closing(SessionId(1)));
        assert!(!tracker.touch(SessionId(1), 10_000));
        tracker.remove(SessionId(1));
        assert!(!tracker.contains(SessionId(1)));
    }

    #[test]
    fn a_touch_postpones_expiry() {
        let mut tracker = SessionTracker::new(TICK_MS);
        tracker.add(SessionId(1), 4000, 0);
        assert!(tracker.touch(SessionId(1), 3000));
        assert_eq!(tracker.expires_at_ms(SessionId(1)), Some(8000));
        assert!(tracker.expired(6000).is_empty());
        assert_eq!(tracker.expired(8000), vec![SessionId(1)]);
        assert!(!tracker.touch(SessionId(2), 0), "unknown sessions cannot be touched");
    }

    #[test]
    fn a_closing_session_never_expires() {
        let mut tracker = SessionTracker::new(TICK_MS);
        tracker.add(SessionId(1), 4000, 0);
        tracker.set_closing(SessionId(1));
        assert_eq!(tracker.next_expiry_ms(), None);
        assert!(tracker.expired(u64::MAX).is_empty());
    }
}
