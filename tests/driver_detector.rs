//! Leader detection through `Driver::with_detector`: no leader yet, a leader change
//! (the stream to the old leader is closed, the new leader gets the framework), and an
//! unrecoverable detector error (error() + abort), as the ZooKeeper detector reports them.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_master::{Answer, FakeMaster};
use common::*;
use mesos_sched::detector::Detector;
use mesos_sched::proto::scheduler;
use mesos_sched::{Driver, Status};
use parking_lot::{Condvar, Mutex};

const WAIT: Duration = Duration::from_secs(10);

/// A detector the test moves by hand.
struct ManualDetector {
    leader: Mutex<Result<Option<String>, String>>,
    changed: Condvar,
}

impl Default for ManualDetector {
    fn default() -> Self {
        ManualDetector {
            leader: Mutex::new(Ok(None)),
            changed: Condvar::new(),
        }
    }
}

impl ManualDetector {
    fn set(&self, leader: Result<Option<String>, String>) {
        *self.leader.lock() = leader;
        self.changed.notify_all();
    }
}

impl Detector for ManualDetector {
    fn wait_for_change(
        &self,
        known: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<String>, String> {
        let deadline = Instant::now() + timeout;
        let mut leader = self.leader.lock();
        loop {
            let current = leader.clone()?;
            if current.as_deref() != known
                || self.changed.wait_until(&mut leader, deadline).timed_out()
            {
                return leader.clone();
            }
        }
    }
}

fn driver_with(detector: Arc<ManualDetector>) -> (Driver, Arc<Log>) {
    let (recorder, log) = Recorder::new();
    let driver = Driver::with_detector(
        Box::new(recorder),
        &encode(&framework_info("detector")),
        detector,
        None,
        true,
    )
    .unwrap();
    fast_options(&driver);
    (driver, log)
}

#[test]
fn waits_for_a_leader_then_follows_a_leader_change() {
    let first = FakeMaster::start(15.0);
    let second = FakeMaster::start(15.0);
    let detector = Arc::new(ManualDetector::default());
    detector.set(Ok(None));
    let (driver, log) = driver_with(detector.clone());
    driver.start();
    std::thread::sleep(Duration::from_millis(300));
    assert!(log.all().is_empty(), "no leader, no subscription");
    assert_eq!(driver.status(), Status::Running);

    detector.set(Ok(Some(first.url.clone())));
    assert!(log.wait_for(WAIT, is_registered));
    assert_eq!(first.open_streams(), 1);

    detector.set(Ok(Some(second.url.clone())));
    assert!(
        first.wait_open_streams(0, Duration::from_secs(2)),
        "old leader's stream closed"
    );
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    let subscribe = second.received_of_type(scheduler::call::Type::Subscribe);
    assert_eq!(subscribe.len(), 1);
    assert_eq!(
        subscribe[0].call.framework_id.as_ref().unwrap().value,
        "fake-framework",
        "the framework id travels to the new leader"
    );
    let seen: Vec<Seen> = log
        .all()
        .into_iter()
        .filter(|s| *s != Seen::Heartbeat)
        .collect();
    assert_eq!(seen[1..], [Seen::Disconnected, Seen::Reregistered]);

    // Losing the leader altogether is a disconnection too.
    detector.set(Ok(None));
    assert!(second.wait_open_streams(0, Duration::from_secs(2)));
    assert!(log.wait_for(WAIT, |s| count_of(s, |s| *s == Seen::Disconnected) == 2));
    driver.stop(true);
}

#[test]
fn an_unrecoverable_detector_error_aborts_with_error() {
    let master = FakeMaster::start(15.0);
    let detector = Arc::new(ManualDetector::default());
    detector.set(Ok(Some(master.url.clone())));
    let (driver, log) = driver_with(detector.clone());
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    detector.set(Err("ZooKeeper authentication failed".into()));
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert!(log.all().contains(&Seen::Error {
        message: "ZooKeeper authentication failed".into(),
        status_during: Status::Aborted
    }));
    assert_eq!(driver.join(), Ok(Status::Aborted));
    assert!(master.wait_open_streams(0, Duration::from_secs(2)));
}

#[test]
fn a_new_leader_is_used_at_once_even_during_a_long_backoff() {
    let master = FakeMaster::start(15.0);
    let detector = Arc::new(ManualDetector::default());
    let (driver, log) = driver_with(detector.clone());
    // Without a leader, the attempts fail with a long backoff (random in [0, 60 s]).
    driver.set_option("backoff.initial_ms", "60000").unwrap();
    driver.set_option("backoff.max_ms", "60000").unwrap();
    driver.start();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(log.all().is_empty());
    let elected = Instant::now();
    detector.set(Ok(Some(master.url.clone())));
    assert!(log.wait_for(Duration::from_secs(5), is_registered));
    assert!(
        elected.elapsed() < Duration::from_secs(2),
        "registered {:?} after the election",
        elected.elapsed()
    );
    // Stopping during such a wait is immediate too.
    detector.set(Ok(None));
    assert!(master.wait_open_streams(0, Duration::from_secs(2)));
    let stopped = Instant::now();
    driver.stop(true);
    assert_eq!(driver.join(), Ok(Status::Stopped));
    drop(driver);
    assert!(stopped.elapsed() < Duration::from_secs(2));
}

fn update_with_uuid(task: &str) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Update as i32),
        update: Some(scheduler::event::Update {
            status: mesos_sched::proto::v1::TaskStatus {
                task_id: mesos_sched::proto::v1::TaskId { value: task.into() },
                state: mesos_sched::proto::v1::TaskState::TaskRunning as i32,
                agent_id: Some(mesos_sched::proto::v1::AgentId { value: "a".into() }),
                uuid: Some(task.as_bytes().to_vec()),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

fn is_ack(r: &common::fake_master::Received) -> bool {
    r.call.r#type == Some(scheduler::call::Type::Acknowledge as i32)
}

/// A driver registered with `master` (the detector's leader) whose REVIVE `master`
/// received and never answers.
fn registered_with_a_hanging_revive(
    master: &FakeMaster,
) -> (Driver, Arc<Log>, Arc<ManualDetector>) {
    let detector = Arc::new(ManualDetector::default());
    detector.set(Ok(Some(master.url.clone())));
    let (driver, log) = driver_with(detector.clone());
    // Far longer than the test may take.
    driver.set_option("request.timeout_ms", "60000").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    master.script_calls([Answer::hang()]);
    driver.revive_offers(None).unwrap();
    assert!(master
        .wait_received(WAIT, |r| r.call.r#type
            == Some(scheduler::call::Type::Revive as i32))
        .is_some());
    (driver, log, detector)
}

#[test]
fn a_call_hanging_on_a_dead_leader_does_not_hold_up_the_new_one() {
    let first = FakeMaster::start(15.0);
    let second = FakeMaster::start(15.0);
    // The leader dies in the middle of a call: it never answers.
    let (driver, log, detector) = registered_with_a_hanging_revive(&first);
    let changed = Instant::now();
    detector.set(Ok(Some(second.url.clone())));
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    second.push_event(&update_with_uuid("t1"));
    let ack = second.wait_received(Duration::from_secs(5), is_ack);
    assert!(
        ack.is_some(),
        "the acknowledgement did not reach the new leader"
    );
    assert!(changed.elapsed() < Duration::from_secs(3));
    // The hung call was abandoned, not retried on the new leader.
    assert!(second
        .received_of_type(scheduler::call::Type::Revive)
        .is_empty());
    let stopped = Instant::now();
    driver.stop(true);
    drop(driver);
    assert!(stopped.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_call_hanging_when_the_subscription_is_lost_does_not_hold_up_the_next_one() {
    let master = FakeMaster::start(15.0);
    let (driver, log, _detector) = registered_with_a_hanging_revive(&master);
    let lost = Instant::now();
    master.reset_streams();
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    master.push_event(&update_with_uuid("t2"));
    assert!(
        master
            .wait_received(Duration::from_secs(5), is_ack)
            .is_some(),
        "no acknowledgement after the resubscription"
    );
    assert!(lost.elapsed() < Duration::from_secs(3));
    driver.stop(true);
}
