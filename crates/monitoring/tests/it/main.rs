//! Crate tests of `opentrail-monitoring` that need the outside world: the real aws CLI and
//! boto3 (from the venv named by `OT_PYTHON`, else the workspace's `.venv`) drive the service
//! through a small HTTP front on `127.0.0.1:0` in all three protocols (`clients`, running
//! `py/clients.py`). Unit tests sit next to the code in `src/`; new tests that need sockets or
//! Python go in a module here.

mod clients;
mod harness;
