use std::process::ExitCode;

/// mimalloc: delivery allocates and frees a message's buffers on one thread and another's
/// results on the next; glibc's allocator spent a tenth of the sending time in malloc/free
/// (bench/delivery.sh with PERF=1).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tocsin::cli::main()
}
