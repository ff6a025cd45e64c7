//! The local cluster's ZooKeeper registration (src/local/zk.rs) against a real
//! ZooKeeper (MESOS_SCHED_TEST_ZK): one session and one `json.info_` member per master,
//! lowest sequence leads, withdrawing the leader hands over, the detector agrees.
#![cfg(feature = "zookeeper")]

mod zk_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesos_sched::detector::zk::ZkDetector;
use mesos_sched::detector::Detector;
use mesos_sched::local::zk::ZkMasters;
use zk_common::*;

fn info(port: u16) -> serde_json::Value {
    serde_json::from_slice(&master_info_json(port)).unwrap()
}

#[test]
fn zk_local_masters_register_lead_and_hand_over() {
    let path = unique_path("local");
    let url = format!("zk://{}{path}", zk_server());
    let reports = Arc::new(Mutex::new(Vec::new()));
    let masters = {
        let reports = reports.clone();
        ZkMasters::start(
            &url,
            vec![info(6101), info(6102), info(6103)],
            Box::new(move |leader| reports.lock().unwrap().push(leader)),
        )
        .unwrap()
    };
    assert_eq!(masters.leader(), Some(0));
    assert_eq!(reports.lock().unwrap().last(), Some(&Some(0)));

    // Three members with real MasterInfo JSON, ephemeral, one session each.
    let observer = Session::connect(&zk_server(), None);
    let children = observer.children(&path);
    assert_eq!(children.len(), 3, "{children:?}");
    assert!(children.iter().all(|c| c.starts_with("json.info_")));
    for index in 0..3 {
        assert!(children.contains(&masters.member_name(index).unwrap()));
    }

    let detector = ZkDetector::new(&url).unwrap();
    assert_eq!(
        detector
            .wait_for_change(None, Duration::from_secs(10))
            .unwrap(),
        Some("http://127.0.0.1:6101".to_string())
    );

    // Stopping the leader closes its session: its member goes, master 1 leads.
    masters.withdraw(0);
    assert_eq!(masters.leader(), Some(1));
    assert_eq!(reports.lock().unwrap().last(), Some(&Some(1)));
    assert_eq!(observer.children(&path).len(), 2);
    assert_eq!(
        detector
            .wait_for_change(Some("http://127.0.0.1:6101"), Duration::from_secs(10))
            .unwrap(),
        Some("http://127.0.0.1:6102".to_string())
    );
    // Stopping a follower changes nothing.
    masters.withdraw(2);
    assert_eq!(masters.leader(), Some(1));

    // A foreign master with a lower sequence cannot exist (sequences only grow), but
    // one of ours leaving with a foreign member left means: none of ours leads.
    let foreign = observer.join(&path, "json.info_", &master_info_json(6199));
    masters.withdraw(1);
    assert_eq!(masters.leader(), None);
    assert_eq!(reports.lock().unwrap().last(), Some(&None));
    assert_eq!(
        detector
            .wait_for_change(Some("http://127.0.0.1:6102"), Duration::from_secs(10))
            .unwrap(),
        Some("http://127.0.0.1:6199".to_string()),
        "{foreign}"
    );

    drop(masters);
    // Reports never repeat the same leader twice in a row.
    let reports = reports.lock().unwrap().clone();
    assert!(reports.windows(2).all(|w| w[0] != w[1]), "{reports:?}");
}

#[test]
fn zk_local_masters_with_credentials_protect_their_nodes() {
    let path = unique_path("local-auth");
    let url = format!("zk://ops:pw@{}{path}", zk_server());
    let masters = ZkMasters::start(&url, vec![info(6201)], Box::new(|_| {})).unwrap();
    assert_eq!(masters.leader(), Some(0));
    // Anyone may read (EVERYONE_READ_CREATOR_ALL), as upstream masters do.
    let anonymous = ZkDetector::new(&format!("zk://{}{path}", zk_server())).unwrap();
    assert_eq!(
        anonymous
            .wait_for_change(None, Duration::from_secs(10))
            .unwrap(),
        Some("http://127.0.0.1:6201".to_string())
    );
    // ...but not delete a member.
    let observer = Session::connect(&zk_server(), None);
    let member = masters.member_name(0).unwrap();
    let denied = observer.try_delete(&format!("{path}/{member}"));
    assert_eq!(denied, Err(mesos_sched::zk::ZkError::NoAuth));
}

#[test]
fn zk_local_registration_rejects_bad_urls_clearly() {
    zk_server();
    // Bad URLs fail at once.
    let error = ZkMasters::start("zk://127.0.0.1:2181/", vec![info(1)], Box::new(|_| {}))
        .err()
        .unwrap();
    assert!(error.contains("cannot be '/'"), "{error}");
}

#[test]
fn zk_local_master_whose_session_expired_registers_again() {
    let path = unique_path("local-expiry");
    let url = format!("zk://{}{path}", zk_server());
    let masters = ZkMasters::start(&url, vec![info(6301), info(6302)], Box::new(|_| {})).unwrap();
    assert_eq!(masters.leader(), Some(0));
    let old_name = masters.member_name(0).unwrap();

    // Expire master 0's session from outside (attach to it, then close it).
    let session = masters.session_info(0).unwrap();
    expire_session(&zk_server(), session);

    // Its member vanished, master 1 leads, master 0 is back with a higher sequence.
    assert!(eventually(Duration::from_secs(15), || {
        masters.leader() == Some(1) && masters.member_name(0).is_some_and(|name| name > old_name)
    }));
    let observer = Session::connect(&zk_server(), None);
    let children = observer.children(&path);
    assert_eq!(children.len(), 2, "{children:?}");
    assert!(!children.contains(&old_name));
}

fn eventually(timeout: Duration, mut predicate: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if predicate() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    predicate()
}
