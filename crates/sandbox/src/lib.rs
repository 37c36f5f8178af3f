//! onboard-sandbox.
