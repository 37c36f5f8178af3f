//! The NetBird side of a run: reads through one cache per session, the scope gate before
//! every write in a tenant, and the inspect/write of one object.

pub mod cache;
pub mod compare;
pub mod converge;
pub mod gate;
