//! Single-member gzip, the only compressed shape `validate-logs` accepts.
//!
//! The CLI inflates log and digest files with one `zlib.decompressobj(MAX_WBITS | 16)` and reports any
//! byte after the first member as "unexpected data after end of compressed stream", so every file
//! OpenTrail uploads is exactly one gzip member. Decompression is left to callers and tests.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

/// Compresses `bytes` into exactly one gzip member at `level` (0-9, clamped).
pub fn gzip_single_member(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        Compression::new(level.min(9)),
    );
    // Writing into a Vec cannot fail: the only error source of GzEncoder is its writer.
    encoder
        .write_all(bytes)
        .expect("gzip into a Vec cannot fail");
    encoder.finish().expect("gzip into a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::bufread::GzDecoder;

    use super::*;

    /// Decodes exactly one member and returns it with whatever bytes follow that member.
    fn first_member_and_rest(gz: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut decoder = GzDecoder::new(gz);
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        (out, decoder.into_inner().to_vec())
    }

    #[test]
    fn output_is_one_member_that_inflates_to_the_input() {
        let big: Vec<u8> = (0..2_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let cases: [(&[u8], u32); 5] = [
            (b"", 6),
            (b"{\"Records\":[]}", 0),
            (b"{\"Records\":[]}", 9),
            (b"level above 9 is clamped", 42),
            (&big, 1),
        ];
        for (input, level) in cases {
            let gz = gzip_single_member(input, level);
            assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip magic");
            let (inflated, rest) = first_member_and_rest(&gz);
            assert_eq!(inflated, input, "level {level}");
            assert!(
                rest.is_empty(),
                "{} bytes after the first member",
                rest.len()
            );
        }
    }

    /// The helper above must see a second member, or the test above proves nothing.
    #[test]
    fn a_second_member_is_detected_as_trailing_data() {
        let mut two = gzip_single_member(b"first", 6);
        two.extend(gzip_single_member(b"second", 6));
        let (inflated, rest) = first_member_and_rest(&two);
        assert_eq!(inflated, b"first");
        assert_eq!(rest, gzip_single_member(b"second", 6));
    }
}
