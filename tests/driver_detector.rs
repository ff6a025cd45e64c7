//! Leader detection through `Driver::with_detector`: no leader yet, a leader change
//! (the stream to the old leader is closed, the new leader gets the framework), and an
//! unrecoverable detector error (error() + abort), as the ZooKeeper detector reports them.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_master::FakeMaster;
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
