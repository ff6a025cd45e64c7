//! The driver with `zk://` (and `file://` holding one) master strings, against a real
//! ZooKeeper (MESOS_SCHED_TEST_ZK) and byte-level fake masters: detection, leader change
//! -> disconnected -> reregistered on the new leader with the same framework id, no
//! leader -> waits without spinning, wrong credentials -> error() + abort, bad strings
//! -> InvalidArgument at new().
#![cfg(feature = "zookeeper")]

mod common;
mod zk_common;

use std::time::Duration;

use common::fake_master::FakeMaster;
use common::*;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Error, Status};
use zk_common::*;

const WAIT: Duration = Duration::from_secs(15);

fn driver_for(master: &str) -> (Driver, std::sync::Arc<Log>) {
    let (recorder, log) = Recorder::new();
    let info = v1::FrameworkInfo {
        failover_timeout: Some(60.0),
        ..framework_info("zk-driver")
    };
    let driver = Driver::new(Box::new(recorder), &encode(&info), master, None, true).unwrap();
    fast_options(&driver);
    (driver, log)
}

fn subscribes(master: &FakeMaster) -> Vec<common::fake_master::Received> {
    master.received_of_type(scheduler::call::Type::Subscribe)
}

fn subscribed_id(received: &common::fake_master::Received) -> Option<String> {
    received
        .call
        .subscribe
        .as_ref()
        .and_then(|s| s.framework_info.id.as_ref())
        .map(|id| id.value.clone())
}

/// Registers a fake master in the group; returns the member's name.
fn register(session: &Session, path: &str, master: &FakeMaster) -> String {
    session.join(path, "json.info_", &master_info_json(master.port))
}

fn leader_change_moves_the_driver(master_string: impl FnOnce(&str) -> String) {
    let path = unique_path("driver");
    let first = FakeMaster::start(15.0);
    let second = FakeMaster::start(15.0);
    let first_session = Session::connect(&zk_server(), None);
    first_session.mkdir(&path);
    let first_member = register(&first_session, &path, &first);
    let mut second_session = Session::connect(&zk_server(), None);
    register(&second_session, &path, &second);

    let (driver, log) = driver_for(&master_string(&path));
    assert_eq!(driver.start(), Status::Running);
    assert!(log.wait_for(WAIT, is_registered), "{:?}", log.all());
    assert_eq!(subscribes(&first).len(), 1);
    assert!(subscribes(&second).is_empty());

    // The leader leaves the group: disconnected, then the new leader gets SUBSCRIBE
    // with the framework id, and reregistered() follows.
    first_session.delete(&format!("{path}/{first_member}"));
    assert!(
        log.wait_for(WAIT, |seen| seen.contains(&Seen::Reregistered)),
        "{:?}",
        log.all()
    );
    let seen = log.all();
    let disconnected = seen.iter().position(|s| *s == Seen::Disconnected);
    let reregistered = seen.iter().position(|s| *s == Seen::Reregistered);
    assert!(
        disconnected.is_some() && disconnected < reregistered,
        "{seen:?}"
    );
    assert_eq!(count_of(&seen, |s| matches!(s, Seen::Registered { .. })), 1);
    let resubscribe = subscribes(&second);
    assert_eq!(resubscribe.len(), 1);
    assert_eq!(
        subscribed_id(&resubscribe[0]).as_deref(),
        Some("fake-framework")
    );
    assert!(first.wait_open_streams(0, WAIT), "old stream closed");

    // No leader at all: disconnected, and no SUBSCRIBE storm while waiting.
    second_session.close();
    assert!(
        log.wait_for(WAIT, |seen| count_of(seen, |s| *s == Seen::Disconnected)
            == 2)
    );
    let before = subscribes(&first).len() + subscribes(&second).len();
    std::thread::sleep(Duration::from_secs(2));
    let after = subscribes(&first).len() + subscribes(&second).len();
    assert!(
        after - before <= 1,
        "subscribed {} times without a leader",
        after - before
    );

    // A leader again (the first master, back in the group): reregistered there.
    let back = Session::connect(&zk_server(), None);
    register(&back, &path, &first);
    assert!(
        log.wait_for(WAIT, |seen| count_of(seen, |s| *s == Seen::Reregistered)
            == 2)
    );
    assert_eq!(
        subscribed_id(subscribes(&first).last().unwrap()).as_deref(),
        Some("fake-framework")
    );
    assert_eq!(driver.stop(true), Status::Stopped);
    assert!(!log.all().iter().any(|s| matches!(s, Seen::Error { .. })));
}

#[test]
fn zk_driver_follows_the_leader_through_zookeeper() {
    leader_change_moves_the_driver(|path| format!("zk://{}{path}", zk_server()));
}

#[test]
fn zk_driver_file_master_holding_a_zk_url() {
    let file = std::env::temp_dir().join(format!("mesos-sched-zk-master-{}", std::process::id()));
    leader_change_moves_the_driver(|path| {
        std::fs::write(&file, format!("  zk://{}{path}\n", zk_server())).unwrap();
        format!("file://{}", file.display())
    });
    let _ = std::fs::remove_file(&file);
}

#[test]
fn zk_driver_wrong_credentials_error_and_abort() {
    let path = unique_path("driver-auth");
    let owner = Session::connect(&zk_server(), Some("mesos:right"));
    owner.mkdir_with(&path, mesos_sched::zk::Acl::creator_all());
    let (driver, log) = driver_for(&format!("zk://mesos:wrong@{}{path}", zk_server()));
    assert_eq!(driver.start(), Status::Running);
    assert!(log.wait_for(WAIT, |seen| seen
        .iter()
        .any(|s| matches!(s, Seen::Error { .. }))));
    let error = log
        .all()
        .into_iter()
        .find_map(|s| match s {
            Seen::Error {
                message,
                status_during,
            } => Some((message, status_during)),
            _ => None,
        })
        .unwrap();
    assert!(error.0.contains("NoAuth"), "{}", error.0);
    assert!(
        !error.0.contains("wrong"),
        "password in the message: {}",
        error.0
    );
    assert_eq!(error.1, Status::Aborted, "aborted before error()");
    assert_eq!(driver.join(), Ok(Status::Aborted));
}

#[test]
fn zk_driver_rejects_bad_zk_master_strings_at_new() {
    zk_server();
    let file = std::env::temp_dir().join(format!("mesos-sched-zk-bad-{}", std::process::id()));
    std::fs::write(&file, "zk://127.0.0.1:2181/\n").unwrap();
    let file_master = format!("file://{}", file.display());
    for (master, expected) in [
        ("zk://127.0.0.1:2181/", "cannot be '/'"),
        ("zk://127.0.0.1:2181", "missing the group path"),
        ("zk://u@127.0.0.1:2181/mesos", "user:password"),
        ("zk://127.0.0.1:x/mesos", "invalid port"),
        (file_master.as_str(), "cannot be '/'"),
    ] {
        let (recorder, _log) = Recorder::new();
        let result = Driver::new(
            Box::new(recorder),
            &encode(&framework_info("bad")),
            master,
            None,
            true,
        );
        match result {
            Err(Error::InvalidArgument(message)) => {
                assert!(message.contains(expected), "{master}: {message}")
            }
            Err(other) => panic!("{master}: {other:?}"),
            Ok(_) => panic!("{master}: accepted"),
        }
    }
    let _ = std::fs::remove_file(&file);
}

#[test]
fn zk_driver_keeps_its_master_while_zookeeper_is_down() {
    zk_server(); // part of the ZooKeeper suite
    let server = PrivateServer::start("driver-outage");
    let master = FakeMaster::start(0.5);
    let member = Session::connect(&server.address, None);
    member.mkdir("/mesos");
    register(&member, "/mesos", &master);
    let (driver, log) = driver_for(&format!("zk://{}/mesos", server.address));
    assert_eq!(driver.start(), Status::Running);
    assert!(log.wait_for(WAIT, is_registered));

    server.stop();
    std::thread::sleep(Duration::from_secs(3));
    server.start_again();
    std::thread::sleep(Duration::from_secs(3));
    let seen = log.all();
    assert!(
        !seen
            .iter()
            .any(|s| matches!(s, Seen::Disconnected | Seen::Error { .. })),
        "the master connection must survive a ZooKeeper outage: {seen:?}"
    );
    assert_eq!(subscribes(&master).len(), 1);
    assert_eq!(driver.stop(true), Status::Stopped);
}
