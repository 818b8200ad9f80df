//! auth_awsiam_token: mints a login token for the auth_awsiam MySQL plugin. Prints the token
//! (or an option file) and nothing else on standard output; never prints a secret.

mod cli;
mod failure;
mod mint;
mod option_file;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Args;
use crate::failure::Failure;
use crate::option_file::User;

fn run(args: &Args) -> Result<(), Failure> {
    // Checked before any AWS call, like the other arguments.
    let user = args.user.as_deref().map(User::parse).transpose()?;
    let token = mint::mint(args)?;
    let text = output::render(args.format, &token, user.as_ref(), args.factor);
    match &args.output {
        Some(path) => output::write_private(path, &text),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// A command-line error as one sentence (clap's own is several lines with a usage block).
fn usage_error(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    // The first paragraph: the error and what it lists (possible values, missing options).
    let lines: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches('[').trim_end_matches(']'))
        .collect();
    let first = lines.first().copied().unwrap_or("bad arguments");
    let mut what = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .trim_end_matches(['.', ':'])
        .to_string();
    if lines.len() > 1 {
        what = format!("{what} ({})", lines[1..].join(", "));
    }
    format!("{what}; run 'auth_awsiam_token --help' for the options")
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        // --help and --version print and succeed.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprintln!("auth_awsiam_token: {}", usage_error(&e));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("auth_awsiam_token: {}", f.message());
            ExitCode::from(f.exit_code() as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_errors_are_one_sentence() {
        let e = Args::try_parse_from(["auth_awsiam_token", "--bogus"]).unwrap_err();
        assert_eq!(
            usage_error(&e),
            "unexpected argument '--bogus' found; run 'auth_awsiam_token --help' for the options"
        );
        let e = Args::try_parse_from(["auth_awsiam_token", "--format", "yaml"]).unwrap_err();
        assert_eq!(
            usage_error(&e),
            "invalid value 'yaml' for '--format <FORMAT>' (possible values: token, option-file); \
run 'auth_awsiam_token --help' for the options"
        );
        let e =
            Args::try_parse_from(["auth_awsiam_token", "--role-session-name", "x"]).unwrap_err();
        assert_eq!(
            usage_error(&e),
            "the following required arguments were not provided (--assume-role <ARN>); \
run 'auth_awsiam_token --help' for the options"
        );
    }
}
