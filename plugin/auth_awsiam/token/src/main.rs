//! auth_awsiam_token: mints a login token for the auth_awsiam MySQL plugin. Prints the token
//! (or an option file) and nothing else on standard output; never prints a secret.

mod cli;
mod mint;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Args;
use crate::mint::{ENDPOINT_ENV, Failure};

fn run(args: &Args) -> Result<(), Failure> {
    let token = mint::mint(args, std::env::var(ENDPOINT_ENV).ok())?;
    let text = output::render(args.format, &token, args.user.as_deref());
    match &args.output {
        Some(path) => output::write_private(path, &text)
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display()))),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("auth_awsiam_token: {}", f.message());
            ExitCode::from(f.exit_code() as u8)
        }
    }
}
