#if canImport(Glibc)
    import Glibc
#endif

// The entry point. `@main` on the async command would run it through the Swift runtime's async
// main, which ends the main thread with `dispatch_main()`; that `pthread_exit` unwinds the main
// thread's stack through the binary's unwind tables (1.4 MiB of .eh_frame_hdr and .eh_frame)
// and left ≈ 1 MiB of them resident for the agent's life. Here the command runs as a task on
// the global executor and the main thread waits for it in `pause()`. Nothing in promsls uses
// the main actor or the main dispatch queue, which nothing now drains.
// The command ends the process itself (ArgumentParser exits with the command's status); the
// `exit(0)` is for a command that returns.
Task.detached {
    await PromslsCommand.main()
    exit(0)
}
while true { pause() }
