//! Arbitrary ZooKeeper group data: child names (`json.info_<seq>`, `info_<seq>`,
//! `<seq>`) and a member's data in each format (JSON MasterInfo, binary MasterInfo, pid
//! string). Reading them fails with a message or gives an http(s) URL, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesos_sched::detector::zk::{master_url, select_leader, MasterInfoFormat, Membership};

fuzz_target!(|data: &[u8]| {
    // The first line: child names separated by '/', as a getChildren answer could hold.
    let (names, member_data) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    let names = String::from_utf8_lossy(names);
    let children: Vec<&str> = names.split('/').collect();
    if let Some(leader) = select_leader(&children) {
        assert!(children.contains(&leader.name.as_str()));
        assert_eq!(
            Membership::parse(&leader.name).map(|m| m.sequence),
            Some(leader.sequence)
        );
    }
    for format in [
        MasterInfoFormat::Json,
        MasterInfoFormat::Protobuf,
        MasterInfoFormat::Pid,
    ] {
        match master_url(format, member_data) {
            Ok(url) => assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "{url}"
            ),
            Err(message) => assert!(!message.is_empty()),
        }
    }
});
