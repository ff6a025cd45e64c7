//! Arbitrary bytes as the body of a call to mesos-local, both ways it reads one: a
//! protobuf `Call` (decoded, checked for missing required fields, shown as JSON) and a
//! JSON `Call` (parsed, converted to protobuf as the server does). Each fails with a
//! message or succeeds, never panics; JSON that converts gives bytes that decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesos_sched::local::protojson::{json_to_protobuf, missing_required, protobuf_to_json, CALL};
use mesos_sched::proto::scheduler::Call;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    if Call::decode(data).is_ok() {
        let _ = missing_required(CALL, data);
    }
    let _ = protobuf_to_json(CALL, data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(bytes) = json_to_protobuf(CALL, &value) {
            Call::decode(bytes.as_slice()).expect("converted JSON decodes as a Call");
            protobuf_to_json(CALL, &bytes).expect("converted JSON converts back");
        }
    }
});
