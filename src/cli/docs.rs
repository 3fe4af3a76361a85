//! Shell completions and the manual page, generated from the CLI definition so they never
//! drift from it.

use super::{Cli, EXIT_TERMINAL, Exit};
use clap::CommandFactory;
use std::io::Write;

/// Completions for `shell`, on standard output.
pub fn completions(shell: clap_complete::Shell) -> Result<u8, Exit> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rocketmq-migrate", &mut out);
    write(&out)
}

/// The manual page (roff), on standard output: `rocketmq-migrate man > rocketmq-migrate.1`.
pub fn man() -> Result<u8, Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Exit::new(EXIT_TERMINAL, format!("cannot render the manual page: {e}")))?;
    write(&out)
}

fn write(bytes: &[u8]) -> Result<u8, Exit> {
    std::io::stdout().write_all(bytes).map(|()| 0).map_err(|e| {
        Exit::new(
            EXIT_TERMINAL,
            format!("cannot write to standard output: {e}"),
        )
    })
}
