fn main() -> std::process::ExitCode {
    roomscribe::cli::main()
}
