//! Crate tests of `opentrail-sns` that need the outside world: delivery to real HTTP subscribers
//! on loopback (`delivery`), e-mail delivery through a tiny SMTP server written here (`email`,
//! with the server in `smtp_sink`), and the rendered XML of every action read back by
//! botocore's own query-protocol parser (`botocore`, which runs `py/check_shapes.py` with the
//! interpreter named by `OT_PYTHON`, a venv with boto3), and boto3 plus the aws CLI end to end
//! through a small HTTP front (`clients`, running `py/clients.py`). Unit tests of single actions
//! sit next to the code in `src/tests.rs`; new tests that need sockets or Python go in a module
//! here.

mod botocore;
mod clients;
mod delivery;
mod email;
mod harness;
mod smtp_sink;
