//! ZkDetector against a real ZooKeeper server (MESOS_SCHED_TEST_ZK, started by the test
//! command with scripts/zookeeper.sh): leader among several members, following changes,
//! no leader, legacy formats, digest auth, ZooKeeper restart.
#![cfg(feature = "zookeeper")]

mod zk_common;

use std::time::{Duration, Instant};

use mesos_sched::detector::zk::ZkDetector;
use mesos_sched::detector::Detector;
use mesos_sched::zk;
use zk_common::*;

const WAIT: Duration = Duration::from_secs(15);

fn url(path: &str) -> String {
    format!("zk://{}{path}", zk_server())
}

/// Waits until the detector reports something other than `known`.
fn next(detector: &ZkDetector, known: Option<&str>) -> Option<String> {
    let started = Instant::now();
    let answer = detector
        .wait_for_change(known, WAIT)
        .expect("detector failed");
    assert!(
        answer.as_deref() != known || started.elapsed() < WAIT,
        "no change from {known:?} within {WAIT:?}"
    );
    assert_ne!(answer.as_deref(), known, "timed out waiting for a change");
    answer
}

#[test]
fn zk_detects_the_lowest_sequence_among_several_masters_and_follows_changes() {
    let path = unique_path("detect");
    let session = Session::connect(&zk_server(), None);
    session.mkdir(&path);
    // Children that are not members are skipped whatever their position.
    session.create_persistent(&format!("{path}/log_replicas"), b"");
    session.create_persistent(&format!("{path}/json.info_abc"), b"garbage");
    let first = session.join(&path, "json.info_", &master_info_json(6001));
    let second = session.join(&path, "json.info_", &master_info_json(6002));
    let third = session.join(&path, "json.info_", &master_info_json(6003));
    assert!(first < second && second < third, "{first} {second} {third}");

    let detector = ZkDetector::new(&url(&path)).unwrap();
    let leader = next(&detector, None);
    assert_eq!(leader.as_deref(), Some("http://127.0.0.1:6001"));
    // No change -> waits the whole timeout and returns the same leader.
    let started = Instant::now();
    let same = detector
        .wait_for_change(leader.as_deref(), Duration::from_millis(500))
        .unwrap();
    assert_eq!(same, leader);
    assert!(started.elapsed() >= Duration::from_millis(450));

    // A non-leader leaving changes nothing; the leader leaving hands over.
    session.delete(&format!("{path}/{second}"));
    session.delete(&format!("{path}/{first}"));
    let leader = next(&detector, Some("http://127.0.0.1:6001"));
    assert_eq!(leader.as_deref(), Some("http://127.0.0.1:6003"));

    // Everyone leaves: no leader; the next member to join leads.
    session.delete(&format!("{path}/{third}"));
    assert_eq!(next(&detector, leader.as_deref()), None);
    session.join(&path, "json.info_", &master_info_json(6004));
    assert_eq!(
        next(&detector, None).as_deref(),
        Some("http://127.0.0.1:6004")
    );
}

#[test]
fn zk_legacy_binary_info_and_missing_group_path() {
    use prost::Message;
    let path = unique_path("legacy");
    // The group does not exist yet: no leader, and the detector waits for it.
    let detector = ZkDetector::new(&url(&path)).unwrap();
    assert_eq!(
        detector
            .wait_for_change(None, Duration::from_millis(700))
            .unwrap(),
        None
    );
    let session = Session::connect(&zk_server(), None);
    session.mkdir(&path);
    let info = mesos_sched::proto::v1::MasterInfo {
        id: "legacy".into(),
        ip: 16777343,
        port: 7001,
        pid: Some("master@127.0.0.1:7001".into()),
        ..Default::default()
    };
    let legacy = session.join(&path, "info_", &info.encode_to_vec());
    session.join(&path, "json.info_", &master_info_json(7002));
    assert_eq!(
        next(&detector, None).as_deref(),
        Some("http://127.0.0.1:7001")
    );
    session.delete(&format!("{path}/{legacy}"));
    assert_eq!(
        next(&detector, Some("http://127.0.0.1:7001")).as_deref(),
        Some("http://127.0.0.1:7002")
    );
}

#[test]
fn zk_leader_with_unreadable_master_info_is_an_error() {
    let path = unique_path("baddata");
    let session = Session::connect(&zk_server(), None);
    session.mkdir(&path);
    session.join(&path, "json.info_", b"{not json");
    let detector = ZkDetector::new(&url(&path)).unwrap();
    let error = detector
        .wait_for_change(None, WAIT)
        .expect_err("bad MasterInfo must be an error");
    assert!(error.contains("not valid JSON"), "{error}");
}

#[test]
fn zk_digest_auth_right_credentials_detect_wrong_ones_fail() {
    let path = unique_path("auth");
    // The group is readable only by its creator (digest mesos:right).
    let owner = Session::connect(&zk_server(), Some("mesos:right"));
    owner.mkdir_with(&path, zk::Acl::creator_all());
    owner
        .join_with(
            &path,
            "json.info_",
            &master_info_json(8001),
            zk::Acl::everyone_read_creator_all(),
        )
        .unwrap();

    let right = ZkDetector::new(&format!("zk://mesos:right@{}{path}", zk_server())).unwrap();
    assert_eq!(
        right.wait_for_change(None, WAIT).unwrap().as_deref(),
        Some("http://127.0.0.1:8001")
    );

    let wrong = ZkDetector::new(&format!("zk://mesos:wrong@{}{path}", zk_server())).unwrap();
    let error = wrong
        .wait_for_change(None, WAIT)
        .expect_err("wrong credentials must fail");
    assert!(error.contains("NoAuth"), "{error}");
    assert!(!error.contains("wrong"), "the password leaked: {error}");
    // A permanent error stays.
    assert!(wrong
        .wait_for_change(None, Duration::from_millis(10))
        .is_err());

    let anonymous = ZkDetector::new(&url(&path)).unwrap();
    assert!(anonymous.wait_for_change(None, WAIT).is_err());
}

#[test]
fn zk_restart_keeps_the_leader_while_down_then_follows_again() {
    zk_server(); // part of the ZooKeeper suite: needs the test command's setup
    let server = PrivateServer::start("restart");
    let path = "/mesos";
    let member = Session::connect(&server.address, None);
    member.mkdir(path);
    let first = member.join(path, "json.info_", &master_info_json(9001));

    let detector = ZkDetector::new(&format!("zk://{}{path}", server.address)).unwrap();
    let leader = next(&detector, None);
    assert_eq!(leader.as_deref(), Some("http://127.0.0.1:9001"));

    server.stop();
    // ZooKeeper is down: the last leader stays, no error, no "no leader".
    let during = detector
        .wait_for_change(leader.as_deref(), Duration::from_secs(3))
        .unwrap();
    assert_eq!(during, leader);
    server.start_again();
    // Sessions survive a short outage (shorter than the 10 s session timeout)...
    let during = detector
        .wait_for_change(leader.as_deref(), Duration::from_secs(3))
        .unwrap();
    assert_eq!(during, leader);
    // ...and the detector watches again: a new leader is followed.
    let deadline = Instant::now() + WAIT;
    let second = loop {
        match member.join_with(path, "json.info_", &master_info_json(9002), zk::Acl::open()) {
            Ok(name) => break name,
            Err(e) if Instant::now() < deadline => {
                eprintln!("member not reconnected yet: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("member could not reconnect: {e}"),
        }
    };
    assert!(member.children(path).contains(&first), "session lost");
    member.delete(&format!("{path}/{first}"));
    assert_eq!(
        next(&detector, leader.as_deref()).as_deref(),
        Some("http://127.0.0.1:9002"),
        "after the restart ({second})"
    );
}

#[test]
fn zk_session_expiry_reports_no_leader_then_detects_again() {
    let path = unique_path("expiry");
    let member = Session::connect(&zk_server(), None);
    member.mkdir(&path);
    member.join(&path, "json.info_", &master_info_json(9101));
    let detector = ZkDetector::new(&url(&path)).unwrap();
    let leader = next(&detector, None);
    assert_eq!(leader.as_deref(), Some("http://127.0.0.1:9101"));

    // Expire the detector's session: attach to it from another client, then close it
    // (the standard way to expire a ZooKeeper session from outside).
    let session = detector.session_info().expect("connected");
    let expired_id = session.id();
    expire_session(&zk_server(), session);

    // The driver must see "no leader" (-> disconnected()), then the leader again.
    assert_eq!(next(&detector, leader.as_deref()), None);
    assert_eq!(next(&detector, None), leader);
    assert_ne!(detector.session_info().unwrap().id(), expired_id);
}

#[test]
fn zk_long_outage_past_the_session_timeout_keeps_the_last_leader() {
    zk_server(); // part of the ZooKeeper suite
    let server = PrivateServer::start("long-outage");
    let member = Session::connect(&server.address, None);
    member.mkdir("/mesos");
    member.join("/mesos", "json.info_", &master_info_json(9201));
    let detector = ZkDetector::new(&format!("zk://{}/mesos", server.address)).unwrap();
    let leader = next(&detector, None);
    assert_eq!(leader.as_deref(), Some("http://127.0.0.1:9201"));

    // Down for longer than the 10 s session timeout: the session is lost locally, but
    // with ZooKeeper unreachable the last leader is kept (no "no leader" blip).
    server.stop();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(13) {
        let answer = detector
            .wait_for_change(leader.as_deref(), Duration::from_secs(1))
            .unwrap();
        assert_eq!(answer, leader, "changed while ZooKeeper was down");
    }
    server.start_again();
    // Back: a new session follows the group again (a new member leads once the old
    // one's session is gone).
    let fresh = Session::connect(&server.address, None);
    fresh.join("/mesos", "json.info_", &master_info_json(9202));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut current = leader.clone();
    while current.as_deref() != Some("http://127.0.0.1:9202") && Instant::now() < deadline {
        current = detector
            .wait_for_change(current.as_deref(), Duration::from_secs(1))
            .unwrap();
    }
    assert_eq!(current.as_deref(), Some("http://127.0.0.1:9202"));
}

#[test]
fn zk_detector_drops_promptly_while_zookeeper_is_down() {
    zk_server(); // part of the ZooKeeper suite
    let server = PrivateServer::start("drop-outage");
    let member = Session::connect(&server.address, None);
    member.mkdir("/mesos");
    member.join("/mesos", "json.info_", &master_info_json(9301));
    let detector = ZkDetector::new(&format!("zk://{}/mesos", server.address)).unwrap();
    assert!(next(&detector, None).is_some());
    server.stop();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    drop(detector);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "drop took {:?}",
        started.elapsed()
    );
}
