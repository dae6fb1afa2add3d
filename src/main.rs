use std::process::ExitCode;

fn main() -> ExitCode {
    tocsin::cli::main()
}
