//! Just enough of the protobuf wire format to write TensorBoard's messages.
//!
//! The handful of messages an event file needs (`Event`, `Summary`,
//! `TensorProto`, the hparams plugin's data) are written field by field
//! rather than generated from `.proto` files: a build-time protobuf compiler
//! and its runtime would outweigh the hundred lines this takes, and the
//! writer only ever emits, never parses.

/// A message being written: its fields, encoded in the order they are added.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Message {
    bytes: Vec<u8>,
}

/// The wire types this writer uses.
#[derive(Clone, Copy)]
enum WireType {
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
}

impl Message {
    pub(crate) fn new() -> Self {
        Message::default()
    }

    /// The encoded message.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn key(&mut self, field: u32, wire_type: WireType) {
        push_varint(&mut self.bytes, (u64::from(field) << 3) | wire_type as u64);
    }

    /// An `int32`, `int64`, `uint64` or enum field. Negative numbers take
    /// ten bytes, as protobuf sign-extends them to 64 bits.
    pub(crate) fn int(mut self, field: u32, value: i64) -> Self {
        self.key(field, WireType::Varint);
        push_varint(&mut self.bytes, value as u64);
        self
    }

    pub(crate) fn boolean(self, field: u32, value: bool) -> Self {
        self.int(field, i64::from(value))
    }

    pub(crate) fn double(mut self, field: u32, value: f64) -> Self {
        self.key(field, WireType::Fixed64);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub(crate) fn bytes(mut self, field: u32, value: &[u8]) -> Self {
        self.key(field, WireType::LengthDelimited);
        push_varint(&mut self.bytes, value.len() as u64);
        self.bytes.extend_from_slice(value);
        self
    }

    pub(crate) fn string(self, field: u32, value: &str) -> Self {
        self.bytes(field, value.as_bytes())
    }

    pub(crate) fn message(self, field: u32, value: Message) -> Self {
        self.bytes(field, &value.bytes)
    }

    /// A packed `repeated double` holding one value.
    pub(crate) fn packed_double(self, field: u32, value: f64) -> Self {
        self.bytes(field, &value.to_le_bytes())
    }
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected bytes from the protobuf encoding guide's examples.
    #[test]
    fn varints_and_keys_follow_the_wire_format() {
        assert_eq!(Message::new().int(1, 150).into_bytes(), [0x08, 0x96, 0x01]);
        assert_eq!(Message::new().string(2, "testing").into_bytes(), b"\x12\x07testing");
        assert_eq!(Message::new().int(1, -1).into_bytes().len(), 11);
        assert_eq!(Message::new().double(1, 1.0).into_bytes(), [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
        let nested = Message::new().message(3, Message::new().int(1, 150)).into_bytes();
        assert_eq!(nested, [0x1a, 0x03, 0x08, 0x96, 0x01]);
    }
}
