//! One module per subcommand.

pub mod authority;
pub mod bench;
pub mod chain;
pub mod demo;
pub mod did;
pub mod id;
