use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    gvc::cli::main_with(gvc::cli::Cli::parse())
}
