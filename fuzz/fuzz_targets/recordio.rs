//! Arbitrary bytes, split at arbitrary points, through the RecordIO decoder: no panic,
//! no allocation beyond the bound, and the same records whatever the chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesos_sched::recordio::Decoder;

const MAX_RECORD: u64 = 1 << 16;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    // The first byte chooses the chunk size of the second pass.
    let chunk = usize::from(data[0]).max(1);
    let stream = &data[1..];

    let mut whole = Vec::new();
    let mut decoder = Decoder::new(MAX_RECORD);
    let whole_result = decoder
        .feed(stream, &mut whole)
        .and_then(|()| decoder.finish());

    let mut pieces = Vec::new();
    let mut decoder = Decoder::new(MAX_RECORD);
    let mut pieces_result = Ok(());
    for part in stream.chunks(chunk) {
        pieces_result = decoder.feed(part, &mut pieces);
        if pieces_result.is_err() {
            break;
        }
    }
    let pieces_result = pieces_result.and_then(|()| decoder.finish());

    assert_eq!(whole, pieces);
    assert_eq!(whole_result, pieces_result);
    assert!(whole
        .iter()
        .all(|r| !r.is_empty() && r.len() as u64 <= MAX_RECORD));
});
