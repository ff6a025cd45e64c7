//! The admin endpoint's `stop_master` (mesos-local --admin --zk) against a real
//! ZooKeeper (MESOS_SCHED_TEST_ZK): the stopped leader's session closes, ZooKeeper
//! hands leadership to the other master, and the stopped port no longer serves.
#![cfg(feature = "zookeeper")]

mod zk_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mesos_sched::local::zk::ZkLocalCluster;
use mesos_sched::local::{LocalCluster, LocalConfig};
use zk_common::*;

/// POSTs `path` to `url` (http://host:port) and returns (status, body).
fn post(url: &str, path: &str) -> std::io::Result<(u16, String)> {
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((status, body))
}

#[test]
fn admin_stop_master_hands_leadership_over_through_zookeeper() {
    let url = format!("zk://{}{}", zk_server(), unique_path("admin"));
    let cluster = ZkLocalCluster::start(LocalConfig {
        masters: 2,
        zk: Some(url),
        admin: true,
        ..LocalConfig::default()
    })
    .unwrap();
    let urls = cluster.master_urls();
    assert_eq!(cluster.zookeeper().unwrap().leader(), Some(0));

    // Bad input: 400, nothing stopped.
    assert_eq!(post(&urls[0], "/admin/faults/stop_master").unwrap().0, 400);
    assert_eq!(
        post(&urls[0], "/admin/faults/stop_master?index=2")
            .unwrap()
            .0,
        400
    );
    assert_eq!(cluster.zookeeper().unwrap().leader(), Some(0));

    // Asked on the leader itself: it answers, then goes.
    let (status, body) = post(&urls[0], "/admin/faults/stop_master?index=0").unwrap();
    assert_eq!((status, body.as_str()), (200, "stopping master 0"));
    let deadline = Instant::now() + Duration::from_secs(15);
    while cluster.zookeeper().unwrap().leader() != Some(1) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(cluster.zookeeper().unwrap().leader(), Some(1));
    assert_eq!(cluster.leader_url(), urls[1]);
    // The stopped master's port no longer answers.
    let deadline = Instant::now() + Duration::from_secs(5);
    while post(&urls[0], "/admin/faults/stall?on=0").is_ok_and(|(s, _)| s == 200)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!post(&urls[0], "/admin/faults/stall?on=0").is_ok_and(|(s, _)| s == 200));
    cluster.shutdown();
}

#[test]
fn admin_stop_master_without_zookeeper_is_refused() {
    let cluster = LocalCluster::start(LocalConfig {
        masters: 2,
        admin: true,
        ..LocalConfig::default()
    })
    .unwrap();
    let (status, body) = post(&cluster.leader_url(), "/admin/faults/stop_master?index=0").unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("--zk"), "{body}");
}
