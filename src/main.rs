fn main() -> std::process::ExitCode {
    rocketmq_migrate::cli::main()
}
