//! TFRecord framing, the container of TensorBoard's event files: each record
//! is its length (u64, little-endian), the length's masked CRC-32C, the data
//! and the data's masked CRC-32C.
//!
//! The CRCs are "masked" (rotated and offset) as TensorFlow does, so that a
//! CRC of data that itself holds CRCs does not degenerate.

const CRC32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// TensorFlow's masking of a CRC-32C.
fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = CRC32C.checksum(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Append `data` to `out` as one TFRecord.
pub(crate) fn push_record(out: &mut Vec<u8>, data: &[u8]) {
    let length = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&length);
    out.extend_from_slice(&masked_crc32c(&length).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_is_castagnoli() {
        // The catalogued check value of CRC-32C (iSCSI).
        assert_eq!(CRC32C.checksum(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn a_record_has_its_length_data_and_masked_crcs() {
        // Expected bytes computed independently, with TensorBoard's own
        // `masked_crc32c` (tensorboard.compat.tensorflow_stub) on the same data.
        let mut out = Vec::new();
        push_record(&mut out, b"hello");
        let expected: [u8; 21] = [
            0x05, 0, 0, 0, 0, 0, 0, 0, // length 5
            0xea, 0xb2, 0x04, 0x3e, // masked CRC of the length
            b'h', b'e', b'l', b'l', b'o', //
            0xbb, 0x1f, 0x1c, 0x19, // masked CRC of the data
        ];
        assert_eq!(out, expected);
    }
}
