package io.quanthub.tornado;

/** TornadoVM settings that must be in place before its runtime classes load. */
final class TornadoSettings {
    private TornadoSettings() {
    }

    /**
     * Room for the bytecodes of task graphs of {@link TornadoBackend#CHUNK} tasks: the 4 KB default overflowed at
     * about 60 tasks, and TornadoVM's bailout hides why. A value set on the command line is kept.
     */
    static void apply() {
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "4194304");
        }
    }
}
