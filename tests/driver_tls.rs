//! https:// masters: verification against a private CA (`tls.ca_file`), refusal of an
//! unknown certificate, `tls.verify=false`. A TLS proxy (tests/common/tls.rs) fronts a
//! plain test master.

mod common;

use std::time::Duration;

use common::fake_master::FakeMaster;
use common::tls::{tls_proxy, TestPki};
use common::*;
use mesos_sched::proto::scheduler;
use mesos_sched::{Driver, Status};

const WAIT: Duration = Duration::from_secs(10);

fn https_driver(port: u16, options: &[(&str, &str)]) -> (Driver, std::sync::Arc<Log>) {
    let (recorder, log) = Recorder::new();
    let driver = Driver::new(
        Box::new(recorder),
        &encode(&framework_info("tls")),
        &format!("https://127.0.0.1:{port}"),
        None,
        true,
    )
    .unwrap();
    fast_options(&driver);
    for (key, value) in options {
        driver.set_option(key, value).unwrap();
    }
    (driver, log)
}

#[test]
fn private_ca_verifies_the_master() {
    let pki = TestPki::new("ca");
    let master = FakeMaster::start(15.0);
    let port = tls_proxy(&pki, master.port);
    let (driver, log) = https_driver(port, &[("tls.ca_file", pki.ca_file.to_str().unwrap())]);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    driver.revive_offers(None).unwrap();
    master
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Revive as i32)
        })
        .expect("a call over TLS");
    // Closing works through TLS too: the master sees the stream end.
    assert_eq!(driver.stop(true), Status::Stopped);
    assert!(master.wait_open_streams(0, Duration::from_secs(2)));
}

#[test]
fn an_unknown_certificate_is_refused_and_retried() {
    let pki = TestPki::new("unknown");
    let master = FakeMaster::start(15.0);
    let port = tls_proxy(&pki, master.port);
    // Verification on by default, with the built-in roots: the private CA is unknown.
    let (driver, log) = https_driver(port, &[]);
    driver.start();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        driver.status(),
        Status::Running,
        "a failed attempt, not an error"
    );
    assert!(log.all().is_empty());
    assert!(master.received().is_empty());
    driver.stop(true);
}

#[test]
fn verification_can_be_turned_off() {
    let pki = TestPki::new("noverify");
    let master = FakeMaster::start(15.0);
    let port = tls_proxy(&pki, master.port);
    let (driver, log) = https_driver(port, &[("tls.verify", "false")]);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    driver.stop(false);
}
