//! The fuzz entry points over deterministic mutations of real requests: nothing may panic,
//! and the unmutated requests must verify (so the mutations start from the interesting place).

use opentrail_sigv4::{FuzzOutcome, fuzz_aws_chunked, fuzz_request};

use crate::Vector;
use crate::botocore_vectors::VECTORS;

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        usize::try_from(value % u64::try_from(bound.max(1)).expect("fits")).expect("fits")
    }
}

fn as_fuzz_input(vector: &Vector) -> Vec<u8> {
    let request = vector.request();
    let mut text = format!("{} {}\r\n", request.method, request.uri).into_bytes();
    for (name, value) in &request.headers {
        text.extend_from_slice(format!("{name}: ").as_bytes());
        text.extend_from_slice(value.as_bytes());
        text.extend_from_slice(b"\r\n");
    }
    text.extend_from_slice(b"\r\n");
    text.extend_from_slice(&request.body);
    text
}

const SPECIAL: &[u8] = b"\r\n;:=/%&,0 aZ";

fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut output = input.to_vec();
    for _ in 0..=rng.below(3) {
        let position = rng.below(output.len());
        match rng.below(5) {
            0 => output[position] ^= 1 << rng.below(8),
            1 => output[position] = SPECIAL[rng.below(SPECIAL.len())],
            2 => output.insert(position, u8::try_from(rng.below(256)).expect("byte")),
            3 => {
                output.remove(position);
            }
            _ => output.truncate(position),
        }
        if output.is_empty() {
            break;
        }
    }
    output
}

#[test]
fn mutated_requests_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut verified = 0;
    for vector in VECTORS {
        let input = as_fuzz_input(vector);
        assert!(
            matches!(fuzz_request(&input), FuzzOutcome::Verified(_)),
            "{}: the unmutated request must verify",
            vector.name
        );
        for _ in 0..200 {
            if matches!(
                fuzz_request(&mutate(&input, &mut rng)),
                FuzzOutcome::Verified(_)
            ) {
                verified += 1;
            }
        }
    }
    // Some mutations only touch unsigned headers or the unsigned body, most break the signature.
    assert!(
        verified < VECTORS.len() * 200,
        "mutations must be able to fail"
    );
}

#[test]
fn mutated_chunked_bodies_never_panic() {
    let streaming = as_fuzz_input(Vector::named("s3_put_object_streaming_trailer"));
    let body_start = streaming
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("head")
        + 4;
    let body = &streaming[body_start..];
    assert_eq!(
        fuzz_aws_chunked(body),
        1,
        "only the unsigned-trailer mode accepts the unsigned body"
    );
    let mut rng = Rng(42);
    for _ in 0..300 {
        fuzz_aws_chunked(&mutate(body, &mut rng));
    }
    let alphabet = b"0123456789abcdef;=\r\n:x-";
    for _ in 0..2000 {
        let length = rng.below(64);
        let noise: Vec<u8> = (0..length)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        fuzz_aws_chunked(&noise);
    }
}
