//! Gzip handling with zlib's semantics, as the aws CLI gets them from Python's `zlib` module:
//! a streaming single-member inflate that hashes the output and notices bytes after the first member
//! (`decompressobj(MAX_WBITS | 16)`), and a one-shot inflate for digests (`zlib.decompress`, which
//! ignores anything after the first member but fails on a truncated one).
//!
//! The streaming side never holds a whole file: it reads fixed-size chunks and feeds SHA-256.

use std::io::{self, Read};

use flate2::{Decompress, FlushDecompress, Status};
use sha2::{Digest, Sha256};

/// What streaming a log file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamOutcome {
    /// The whole input was read; the lower-case hex SHA-256 of everything inflated. As in Python, a
    /// truncated member is not an error (the hash simply covers less).
    Hashed(String),
    /// Bytes followed the end of the first gzip member.
    TrailingData,
    /// The data is not valid gzip (bad header, corrupt deflate data, CRC or length mismatch).
    Corrupt,
}

const READ_CHUNK: usize = 256 * 1024;
const OUTPUT_CHUNK: usize = 256 * 1024;

/// Inflates a gzip stream from `reader`, hashing the output with SHA-256.
/// Read errors are returned as such (the CLI treats them like corrupt data).
pub fn hash_gzip_stream(reader: &mut dyn Read) -> io::Result<StreamOutcome> {
    let mut inflater = Decompress::new_gzip(15);
    let mut hasher = Sha256::new();
    let mut input = vec![0u8; READ_CHUNK];
    let mut output = vec![0u8; OUTPUT_CHUNK];
    let mut finished = false;
    loop {
        let read = read_some(reader, &mut input)?;
        if read == 0 {
            break;
        }
        if finished {
            return Ok(StreamOutcome::TrailingData);
        }
        match inflate_chunk(&mut inflater, &input[..read], &mut output, &mut hasher) {
            ChunkResult::NeedMore => {}
            ChunkResult::StreamEnd { unused } if unused > 0 => {
                return Ok(StreamOutcome::TrailingData);
            }
            ChunkResult::StreamEnd { .. } => finished = true,
            ChunkResult::Corrupt => return Ok(StreamOutcome::Corrupt),
        }
    }
    Ok(StreamOutcome::Hashed(hex::encode(hasher.finalize())))
}

fn read_some(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

enum ChunkResult {
    NeedMore,
    StreamEnd { unused: usize },
    Corrupt,
}

fn inflate_chunk(
    inflater: &mut Decompress,
    mut input: &[u8],
    output: &mut [u8],
    hasher: &mut Sha256,
) -> ChunkResult {
    loop {
        let before_in = inflater.total_in();
        let before_out = inflater.total_out();
        let status = inflater.decompress(input, output, FlushDecompress::None);
        let consumed = (inflater.total_in() - before_in) as usize;
        let produced = (inflater.total_out() - before_out) as usize;
        hasher.update(&output[..produced]);
        input = &input[consumed..];
        match status {
            Ok(Status::StreamEnd) => {
                return ChunkResult::StreamEnd {
                    unused: input.len(),
                };
            }
            Ok(_) if input.is_empty() && produced < output.len() => return ChunkResult::NeedMore,
            Ok(_) if consumed == 0 && produced == 0 => return ChunkResult::NeedMore,
            Ok(_) => {}
            Err(_) => return ChunkResult::Corrupt,
        }
    }
}

/// `zlib.decompress(data, MAX_WBITS | 16)`: the first gzip member, which must be complete.
pub fn gunzip_first_member(data: &[u8]) -> Option<Vec<u8>> {
    let mut inflater = Decompress::new_gzip(15);
    let mut output = Vec::with_capacity(data.len() * 8 + 1024);
    loop {
        if output.len() == output.capacity() {
            output.reserve(output.capacity().max(4096));
        }
        let consumed = inflater.total_in() as usize;
        let produced_before = inflater.total_out();
        let status = inflater
            .decompress_vec(&data[consumed..], &mut output, FlushDecompress::Finish)
            .ok()?;
        match status {
            Status::StreamEnd => return Some(output),
            _ if inflater.total_out() == produced_before
                && inflater.total_in() as usize == consumed
                && output.len() < output.capacity() =>
            {
                return None;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn sha(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    /// Reads one byte at a time, to exercise chunk boundaries everywhere.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            match self.0.split_first() {
                Some((byte, rest)) if !buffer.is_empty() => {
                    buffer[0] = *byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn check(input: &[u8], expected: StreamOutcome) {
        assert_eq!(hash_gzip_stream(&mut &input[..]).unwrap(), expected);
        assert_eq!(hash_gzip_stream(&mut Trickle(input)).unwrap(), expected);
    }

    #[test]
    fn streams_like_python_decompressobj() {
        let content: Vec<u8> = (0..300_000u32).flat_map(|n| n.to_le_bytes()).collect();
        let member = gzip(&content);
        let mut two_members = member.clone();
        two_members.extend_from_slice(&gzip(b"more"));
        let mut padded = member.clone();
        padded.push(0);
        let mut bad_crc = member.clone();
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 1;
        let truncated = &member[..member.len() / 2];
        let table = vec![
            (member.clone(), StreamOutcome::Hashed(sha(&content))),
            (two_members, StreamOutcome::TrailingData),
            (padded, StreamOutcome::TrailingData),
            (bad_crc, StreamOutcome::Corrupt),
            (b"not gzip at all".to_vec(), StreamOutcome::Corrupt),
            (Vec::new(), StreamOutcome::Hashed(sha(b""))),
        ];
        for (input, expected) in table {
            check(&input, expected);
        }
        let outcome = hash_gzip_stream(&mut &truncated[..]).unwrap();
        assert!(
            matches!(&outcome, StreamOutcome::Hashed(hash) if *hash != sha(&content)),
            "a truncated member is hashed (over less data), not rejected: {outcome:?}"
        );
    }

    #[test]
    fn one_shot_inflate_matches_zlib_decompress() {
        let member = gzip(b"{\"a\":1}");
        let mut trailing = member.clone();
        trailing.extend_from_slice(b"xx");
        assert_eq!(gunzip_first_member(&member).unwrap(), b"{\"a\":1}");
        assert_eq!(gunzip_first_member(&trailing).unwrap(), b"{\"a\":1}");
        assert_eq!(gunzip_first_member(&member[..member.len() - 3]), None);
        assert_eq!(gunzip_first_member(b""), None);
        assert_eq!(gunzip_first_member(b"abc"), None);
        let big: Vec<u8> = vec![b'x'; 5_000_000];
        assert_eq!(gunzip_first_member(&gzip(&big)).unwrap(), big);
    }
}
