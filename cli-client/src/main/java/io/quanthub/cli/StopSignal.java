package io.quanthub.cli;

import java.util.concurrent.CountDownLatch;

/**
 * How a long-running member command ({@code converter}, {@code inference-node}) waits to be stopped: by Ctrl-C or
 * SIGTERM (a shutdown hook), or by {@link #stop()} from a test that runs the command in-process. The command cleans
 * up after {@link #await()} returns and then calls {@link #release()}.
 */
final class StopSignal {
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook;

    StopSignal(String threadName) {
        hook = new Thread(stopped::countDown, threadName);
    }

    /** Installs the shutdown hook and blocks until the process is told to stop. */
    void await() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
    }

    /** Stops the command as Ctrl-C does. */
    void stop() {
        stopped.countDown();
    }

    /** Removes the hook once the command has cleaned up (nothing to remove if it failed before waiting). */
    void release() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Stopped by the hook itself.
        }
    }
}
