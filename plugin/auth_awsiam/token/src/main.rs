//! auth_awsiam_token: mints a login token for the auth_awsiam MySQL plugin. Prints the token
//! (or an option file) and nothing else on standard output; never prints a secret.

mod cli;
mod failure;
mod mint;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Args;
use crate::failure::Failure;

fn run(args: &Args) -> Result<(), Failure> {
    let token = mint::mint(args)?;
    let text = output::render(args.format, &token, args.user.as_deref());
    match &args.output {
        Some(path) => output::write_private(path, &text)
            .map_err(|e| {
                Failure::Other(format!(
                    "cannot write the token to {}: {e}; check that the directory exists and is writable",
                    path.display()
                ))
            }),
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
