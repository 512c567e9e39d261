//! What can stop the console.

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The terminal could not be set up, read or drawn on.
    #[error("the terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// The console's configuration names nothing to watch, or something it cannot use.
    #[error("{0}")]
    Config(String),
}
