//! Arbitrary bytes as a scheduler Event, opaque (what the driver decodes) and typed (what
//! the local master and typed users decode): decoding may fail but never panics, and an
//! opaque event's encoding is stable (bytes compared: NaN doubles are not equal to
//! themselves).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesos_sched::proto::{envelope, scheduler};
use prost::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = envelope::Event::decode(data) {
        let encoded = event.encode_to_vec();
        let again = envelope::Event::decode(encoded.as_slice()).expect("re-encoded event decodes");
        assert_eq!(encoded, again.encode_to_vec());
        if let Some(update) = &event.update {
            let _ = envelope::TaskStatusPeek::decode(update.status.clone());
        }
    }
    let _ = scheduler::Event::decode(data);
});
