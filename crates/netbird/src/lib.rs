//! onboard-netbird.
