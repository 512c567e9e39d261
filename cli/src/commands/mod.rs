//! One module per subcommand.

pub mod demo;
pub mod did;
pub mod id;
