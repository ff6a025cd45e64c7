//! ZooKeeper's "jute" wire encoding: big-endian ints and longs, one-byte booleans,
//! length-prefixed byte buffers and UTF-8 strings (-1 meaning null), count-prefixed
//! vectors. Every length read is checked against the bytes actually left in the frame,
//! so a hostile server cannot make us allocate more than the (bounded) frame it sent.

use super::{Acl, Stat, ZkError};

/// Builds a request body.
#[derive(Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    pub fn int(&mut self, value: i32) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn long(&mut self, value: i64) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn bool(&mut self, value: bool) -> &mut Writer {
        self.bytes.push(u8::from(value));
        self
    }

    pub fn buffer(&mut self, value: &[u8]) -> &mut Writer {
        self.length(value.len());
        self.bytes.extend_from_slice(value);
        self
    }

    pub fn string(&mut self, value: &str) -> &mut Writer {
        self.buffer(value.as_bytes())
    }

    pub fn acls(&mut self, acls: &[Acl]) -> &mut Writer {
        self.length(acls.len());
        for acl in acls {
            self.int(acl.perms as i32)
                .string(&acl.scheme)
                .string(&acl.id);
        }
        self
    }

    fn length(&mut self, length: usize) {
        // Callers bound paths and data far below 2 GiB; saturate rather than wrap.
        self.int(i32::try_from(length).unwrap_or(i32::MAX));
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The body with its 4-byte length prefix, as sent on the socket.
    pub fn into_frame(self) -> Vec<u8> {
        let mut frame = Vec::with_capacity(4 + self.bytes.len());
        frame.extend_from_slice(&(self.bytes.len() as u32).to_be_bytes());
        frame.extend_from_slice(&self.bytes);
        frame
    }
}

/// Reads a received frame (without its length prefix).
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, position: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn take(&mut self, count: usize, what: &str) -> Result<&'a [u8], ZkError> {
        if count > self.remaining() {
            return Err(ZkError::Protocol(format!(
                "truncated {what}: needs {count} bytes, {} left in the frame",
                self.remaining()
            )));
        }
        let taken = &self.bytes[self.position..self.position + count];
        self.position += count;
        Ok(taken)
    }

    pub fn int(&mut self) -> Result<i32, ZkError> {
        let bytes = self.take(4, "int")?;
        Ok(i32::from_be_bytes(bytes.try_into().expect("4 bytes")))
    }

    pub fn long(&mut self) -> Result<i64, ZkError> {
        let bytes = self.take(8, "long")?;
        Ok(i64::from_be_bytes(bytes.try_into().expect("8 bytes")))
    }

    pub fn bool(&mut self) -> Result<bool, ZkError> {
        Ok(self.take(1, "bool")?[0] != 0)
    }

    /// A buffer; null (-1) reads as empty.
    pub fn buffer(&mut self) -> Result<Vec<u8>, ZkError> {
        let length = self.int()?;
        if length == -1 {
            return Ok(Vec::new());
        }
        let length = usize::try_from(length).map_err(|_| {
            ZkError::Protocol(format!("negative buffer length {length} in a reply"))
        })?;
        Ok(self.take(length, "buffer")?.to_vec())
    }

    pub fn string(&mut self) -> Result<String, ZkError> {
        String::from_utf8(self.buffer()?)
            .map_err(|_| ZkError::Protocol("a string in a reply is not UTF-8".to_string()))
    }

    /// A vector of strings; null reads as empty. The count is checked against the bytes
    /// left (each element takes at least its 4-byte length) before allocating.
    pub fn strings(&mut self) -> Result<Vec<String>, ZkError> {
        let count = self.int()?;
        if count == -1 {
            return Ok(Vec::new());
        }
        let count = usize::try_from(count)
            .ok()
            .filter(|count| count.saturating_mul(4) <= self.remaining())
            .ok_or_else(|| {
                ZkError::Protocol(format!(
                    "vector of {count} strings does not fit the {} bytes left in the frame",
                    self.remaining()
                ))
            })?;
        let mut strings = Vec::with_capacity(count);
        for _ in 0..count {
            strings.push(self.string()?);
        }
        Ok(strings)
    }

    pub fn stat(&mut self) -> Result<Stat, ZkError> {
        Ok(Stat {
            czxid: self.long()?,
            mzxid: self.long()?,
            ctime: self.long()?,
            mtime: self.long()?,
            version: self.int()?,
            cversion: self.int()?,
            aversion: self.int()?,
            ephemeral_owner: self.long()?,
            data_length: self.int()?,
            num_children: self.int()?,
            pzxid: self.long()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_big_endian_with_length_prefixes() {
        let mut writer = Writer::new();
        writer
            .int(-2)
            .long(0x0102_0304_0506_0708)
            .bool(true)
            .string("/a")
            .buffer(b"");
        assert_eq!(
            writer.into_bytes(),
            [
                0xff, 0xff, 0xff, 0xfe, // int -2
                1, 2, 3, 4, 5, 6, 7, 8, // long
                1, // bool
                0, 0, 0, 2, b'/', b'a', // string
                0, 0, 0, 0, // empty buffer
            ]
        );
        let mut writer = Writer::new();
        writer.acls(&[Acl::new(super::super::perms::READ, "world", "anyone")]);
        let mut frame = Writer::new();
        frame.int(7);
        assert_eq!(frame.into_frame(), [0, 0, 0, 4, 0, 0, 0, 7]);
        let acl = writer.into_bytes();
        assert_eq!(&acl[..8], &[0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(&acl[8..17], b"\0\0\0\x05world");
        assert_eq!(&acl[17..], b"\0\0\0\x06anyone");
    }

    #[test]
    fn reads_back_what_it_writes() {
        let mut writer = Writer::new();
        writer.int(i32::MIN).long(-1).bool(false).string("héllo");
        writer.int(2).string("x").string("yz");
        writer.int(-1); // null buffer
        let bytes = writer.into_bytes();
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.int().unwrap(), i32::MIN);
        assert_eq!(reader.long().unwrap(), -1);
        assert!(!reader.bool().unwrap());
        assert_eq!(reader.string().unwrap(), "héllo");
        assert_eq!(reader.strings().unwrap(), ["x", "yz"]);
        assert_eq!(reader.buffer().unwrap(), b"");
        assert_eq!(reader.remaining(), 0);
        assert!(reader.int().is_err(), "past the end");
    }

    #[test]
    fn lengths_beyond_the_frame_are_clear_errors_without_allocating() {
        // A buffer claiming 2 GiB in a 6-byte frame.
        let bytes = [0x7f, 0xff, 0xff, 0xff, 1, 2];
        let error = Reader::new(&bytes).buffer().unwrap_err();
        assert!(
            matches!(&error, ZkError::Protocol(m) if m.contains("truncated buffer")),
            "{error}"
        );
        // A vector claiming a billion strings.
        let bytes = [0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0];
        let error = Reader::new(&bytes).strings().unwrap_err();
        assert!(error.to_string().contains("does not fit"), "{error}");
        // Negative lengths other than null.
        let bytes = [0xff, 0xff, 0xff, 0xfe];
        assert!(Reader::new(&bytes).buffer().is_err());
        assert!(Reader::new(&bytes).strings().is_err());
        // Invalid UTF-8.
        let bytes = [0, 0, 0, 1, 0xff];
        assert!(Reader::new(&bytes).string().is_err());
        // A truncated Stat.
        assert!(Reader::new(&[0; 67]).stat().is_err());
        assert_eq!(Reader::new(&[0; 68]).stat().unwrap(), Stat::default());
    }
}
