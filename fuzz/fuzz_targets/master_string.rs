//! Arbitrary text as a master string and as a `zk://` URL: parsing fails with a message
//! or succeeds, never panics; a parsed ZooKeeper URL keeps its servers and path
//! well-formed, and a `file://` string (read from disk) is left to the unit tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesos_sched::detector::{parse_master, zk::ZkUrl, MasterSpec};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains("file:") {
        return;
    }
    match parse_master(text) {
        Ok(MasterSpec::Fixed(url)) => {
            assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "{url}"
            )
        }
        Ok(MasterSpec::Local) | Ok(MasterSpec::ZooKeeper(_)) => {}
        Err(message) => assert!(!message.is_empty()),
    }
    if let Ok(url) = ZkUrl::parse(text) {
        assert!(!url.servers.is_empty());
        assert!(url.path.starts_with('/') && url.path != "/" && !url.path.ends_with('/'));
        let _ = url.connect_string();
        let _ = url.digest();
    }
});
