//! RecordIO framing of the Mesos event stream: `<decimal length>\n<payload>` repeated.
//!
//! The decoder is incremental (feed it chunks of any size, split anywhere), bounded (a
//! record longer than the configured maximum is an error before anything is allocated
//! for it) and strict (a non-digit, a zero or an over-long length, or a record cut off
//! by EOF are errors).

use bytes::{Bytes, BytesMut};
use std::fmt;

/// Default upper bound of one record (`recordio.max_record_bytes`).
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// Longest length prefix accepted: u64::MAX has 20 digits.
const MAX_LENGTH_DIGITS: usize = 20;

/// Why the stream is not valid RecordIO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordIoError {
    /// A byte other than an ASCII digit or the terminating `\n` in a length prefix.
    InvalidLengthByte(u8),
    /// A length prefix with no digits (`\n` straight away).
    EmptyLength,
    /// A record of length 0, which the framing never produces.
    ZeroLength,
    /// More digits than any u64 has, or a value that overflows u64.
    LengthOverflow,
    /// A record longer than the configured bound.
    RecordTooLarge { length: u64, max: u64 },
    /// The stream ended inside a record or a length prefix.
    Truncated { expected: u64, received: u64 },
}

impl fmt::Display for RecordIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidLengthByte(b) => {
                write!(f, "RecordIO: invalid byte 0x{b:02x} in a record length")
            }
            Self::EmptyLength => write!(f, "RecordIO: empty record length"),
            Self::ZeroLength => write!(f, "RecordIO: record length 0"),
            Self::LengthOverflow => write!(f, "RecordIO: record length overflows u64"),
            Self::RecordTooLarge { length, max } => {
                write!(
                    f,
                    "RecordIO: record of {length} bytes exceeds the limit of {max}"
                )
            }
            Self::Truncated { expected, received } => write!(
                f,
                "RecordIO: stream ended inside a record ({received} of {expected} bytes)"
            ),
        }
    }
}

impl std::error::Error for RecordIoError {}

/// Incremental RecordIO decoder.
#[derive(Debug)]
pub struct Decoder {
    max_record_bytes: u64,
    state: State,
    buffer: BytesMut,
    failed: Option<RecordIoError>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading the length prefix: value so far and number of digits.
    Length { value: u64, digits: usize },
    /// Reading a payload of this many bytes.
    Payload { length: u64 },
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RECORD_BYTES)
    }
}

impl Decoder {
    pub fn new(max_record_bytes: u64) -> Self {
        Self {
            max_record_bytes,
            state: State::Length {
                value: 0,
                digits: 0,
            },
            buffer: BytesMut::new(),
            failed: None,
        }
    }

    /// Feeds a chunk; complete records are pushed to `records`. After an error every
    /// later call returns the same error: the stream cannot be resynchronised.
    pub fn feed(
        &mut self,
        mut chunk: &[u8],
        records: &mut Vec<Bytes>,
    ) -> Result<(), RecordIoError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        while !chunk.is_empty() {
            match self.state {
                State::Length { value, digits } => {
                    let byte = chunk[0];
                    chunk = &chunk[1..];
                    self.state = match byte {
                        b'\n' if digits == 0 => return self.fail(RecordIoError::EmptyLength),
                        b'\n' if value == 0 => return self.fail(RecordIoError::ZeroLength),
                        b'\n' if value > self.max_record_bytes => {
                            return self.fail(RecordIoError::RecordTooLarge {
                                length: value,
                                max: self.max_record_bytes,
                            })
                        }
                        b'\n' => {
                            self.buffer.reserve(value as usize);
                            State::Payload { length: value }
                        }
                        b'0'..=b'9' => {
                            if digits >= MAX_LENGTH_DIGITS {
                                return self.fail(RecordIoError::LengthOverflow);
                            }
                            let Some(next) = value
                                .checked_mul(10)
                                .and_then(|v| v.checked_add(u64::from(byte - b'0')))
                            else {
                                return self.fail(RecordIoError::LengthOverflow);
                            };
                            // Reject an oversized record as soon as its prefix says so.
                            if next > self.max_record_bytes {
                                return self.fail(RecordIoError::RecordTooLarge {
                                    length: next,
                                    max: self.max_record_bytes,
                                });
                            }
                            State::Length {
                                value: next,
                                digits: digits + 1,
                            }
                        }
                        other => return self.fail(RecordIoError::InvalidLengthByte(other)),
                    };
                }
                State::Payload { length } => {
                    let missing = length as usize - self.buffer.len();
                    let take = missing.min(chunk.len());
                    self.buffer.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if self.buffer.len() == length as usize {
                        records.push(self.buffer.split().freeze());
                        self.state = State::Length {
                            value: 0,
                            digits: 0,
                        };
                    }
                }
            }
        }
        Ok(())
    }

    /// Declares the end of the stream: an error if it stopped inside a record.
    pub fn finish(&self) -> Result<(), RecordIoError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        match self.state {
            State::Length { digits: 0, .. } => Ok(()),
            State::Length { value, .. } => Err(RecordIoError::Truncated {
                expected: value,
                received: 0,
            }),
            State::Payload { length } => Err(RecordIoError::Truncated {
                expected: length,
                received: self.buffer.len() as u64,
            }),
        }
    }

    fn fail(&mut self, error: RecordIoError) -> Result<(), RecordIoError> {
        self.failed = Some(error.clone());
        self.buffer = BytesMut::new();
        Err(error)
    }
}

/// Frames one record.
pub fn encode(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_stream() -> (Vec<Vec<u8>>, Vec<u8>) {
        let records: Vec<Vec<u8>> = (1..40usize)
            .map(|n| (0..n * 7).map(|i| (i * n) as u8).collect())
            .collect();
        let mut stream = Vec::new();
        for record in &records {
            encode(record, &mut stream);
        }
        (records, stream)
    }

    fn decode_all(decoder: &mut Decoder, chunks: &[&[u8]]) -> Result<Vec<Vec<u8>>, RecordIoError> {
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out)?;
        }
        decoder.finish()?;
        Ok(out.into_iter().map(|b| b.to_vec()).collect())
    }

    #[test]
    fn split_at_every_boundary() {
        let (records, stream) = sample_stream();
        for split in 0..=stream.len() {
            let (a, b) = stream.split_at(split);
            let got = decode_all(&mut Decoder::default(), &[a, b]).unwrap();
            assert_eq!(got, records, "split at {split}");
        }
    }

    #[test]
    fn one_byte_chunks_and_three_way_splits() {
        let (records, stream) = sample_stream();
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(
            decode_all(&mut Decoder::default(), &chunks).unwrap(),
            records
        );
        for i in (0..stream.len()).step_by(13) {
            for j in (i..stream.len()).step_by(17) {
                let got = decode_all(
                    &mut Decoder::default(),
                    &[&stream[..i], &stream[i..j], &stream[j..]],
                )
                .unwrap();
                assert_eq!(got, records);
            }
        }
    }

    #[test]
    fn strictness() {
        let cases: [(&[u8], RecordIoError); 5] = [
            (b"1x\n", RecordIoError::InvalidLengthByte(b'x')),
            (b"\nabc", RecordIoError::EmptyLength),
            (b"0\n", RecordIoError::ZeroLength),
            (b"-1\n", RecordIoError::InvalidLengthByte(b'-')),
            (b" 3\nabc", RecordIoError::InvalidLengthByte(b' ')),
        ];
        for (input, expected) in cases {
            let mut out = Vec::new();
            assert_eq!(Decoder::default().feed(input, &mut out), Err(expected));
            assert!(out.is_empty());
        }
    }

    #[test]
    fn over_long_and_oversized_lengths() {
        let mut out = Vec::new();
        let mut d = Decoder::new(u64::MAX);
        assert_eq!(
            d.feed(b"99999999999999999999999\n", &mut out),
            Err(RecordIoError::LengthOverflow)
        );
        let mut d = Decoder::new(10);
        assert_eq!(
            d.feed(b"11\n", &mut out),
            Err(RecordIoError::RecordTooLarge {
                length: 11,
                max: 10
            })
        );
        // A huge length is refused at once, before any payload byte or allocation.
        let mut d = Decoder::default();
        let err = d.feed(b"18446744073709551615\n", &mut out).unwrap_err();
        assert!(matches!(err, RecordIoError::RecordTooLarge { .. }));
        assert_eq!(d.buffer.capacity(), 0);
        // The error sticks.
        assert!(d.feed(b"1\na", &mut out).is_err());
    }

    #[test]
    fn truncation_at_eof() {
        let mut out = Vec::new();
        let mut d = Decoder::default();
        d.feed(b"5\nab", &mut out).unwrap();
        assert_eq!(
            d.finish(),
            Err(RecordIoError::Truncated {
                expected: 5,
                received: 2
            })
        );
        let mut d = Decoder::default();
        d.feed(b"3\nabc12", &mut out).unwrap();
        assert!(matches!(d.finish(), Err(RecordIoError::Truncated { .. })));
        assert_eq!(out, vec![Bytes::from_static(b"abc")]);
    }
}
