//! onboard-engine.
