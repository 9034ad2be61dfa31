use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    gvc::cli::main_with(gvc::cli::Cli::parse())
}

/// `gvc status … | head` closes stdout early; Rust's `println!` then panics with "failed
/// printing to stdout: Broken pipe". A command-line tool should stop quietly instead, as
/// Unix tools do on SIGPIPE (exit status 141 = 128 + SIGPIPE). Every other panic keeps the
/// default report.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
