//! realdid-tui: the operator console (ratatui) for registry nodes, issuers and verifiers.
//!
//! To be built once the services it watches exist. Nothing is exported yet.
