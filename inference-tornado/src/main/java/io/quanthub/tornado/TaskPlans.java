package io.quanthub.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.quanthub.tornado.TornadoBackend.CHUNK;

/**
 * A {@link TornadoBackend} recording as TornadoVM runs it: the recorded tasks ({@link Op}), and the execution plan
 * compiled from them ({@link #compile}), one task graph per {@link TornadoBackend#CHUNK} tasks with every array each
 * graph reads declared (an undeclared one makes TornadoVM's graph compiler loop forever).
 */
final class TaskPlans {
    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private TaskPlans() {
    }

    /** Adds one task to a graph under the name given. */
    @FunctionalInterface
    interface TaskAdder {
        void add(TaskGraph g, String name);
    }

    /**
     * One recorded task: what it reads (every array and table its kernel takes, which the graph must declare), what
     * it writes, and its scalars; the three with the kernel name make the plan cache's key.
     */
    record Op(String kernel, Object[] reads, Object[] writes, Object[] scalars, WorkerGrid grid,
              TaskAdder adder) {
        void addKey(List<Object> key) {
            key.add(kernel);
            for (Object r : reads) key.add(new Identity(r));
            key.add("|");
            for (Object w : writes) key.add(new Identity(w));
            key.add(List.of(scalars));
        }

        /** The task without the activations it runs on (its weights and tables included). */
        void addShape(List<Object> shape, Set<Object> constants) {
            shape.add(kernel);
            for (Object r : reads) shape.add(constants.contains(r) ? new Identity(r) : "a");
            shape.add(List.of(scalars));
        }
    }

    /** An array in a plan's key by identity: a plan runs on these very objects, not on equal contents. */
    record Identity(Object o) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Identity i && i.o == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(o);
        }
    }

    record CompiledPlan(TornadoExecutionPlan plan, int graphs) {
        /** Graph by graph: a graph receives what it consumes from the graph executed just before it. */
        void execute() {
            try {
                if (graphs == 1) {
                    plan.execute();
                } else {
                    for (int g = 0; g < graphs; g++) plan.withGraph(g).execute();
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException("TornadoVM execution failed: " + e.getMessage(), e);
            }
        }

        void close() {
            try {
                plan.freeDeviceMemory();
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new IllegalStateException("closing a TornadoVM plan failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The task graphs of a recording, chunk by chunk, and which arrays each brings in, passes on and copies out.
     *
     * @param results   the arrays written by {@code ops} that a tensor still holds: copied to the host at the end
     * @param constants weights and tables: copied in on the plan's first execution only
     * @param device    where the plan runs, or null for TornadoVM's default device
     */
    static CompiledPlan compile(List<Op> ops, List<Object> results, Set<Object> constants, TornadoDevice device) {
        int chunks = (ops.size() + CHUNK - 1) / CHUNK;
        int plan = GRAPHS.incrementAndGet();
        String[] names = new String[chunks];
        List<List<Object>> once = new ArrayList<>();
        List<List<Object>> every = new ArrayList<>();
        List<List<Object>> consumed = new ArrayList<>();
        List<Set<Object>> relayed = new ArrayList<>();
        List<List<Object>> persisted = new ArrayList<>();
        List<List<Object>> toHost = new ArrayList<>();
        Map<Object, Integer> lastWriter = new IdentityHashMap<>();
        for (int c = 0; c < chunks; c++) {
            names[c] = "qh" + plan + "c" + c;
            once.add(new ArrayList<>());
            every.add(new ArrayList<>());
            consumed.add(new ArrayList<>());
            relayed.add(TornadoBackend.identitySet());
            persisted.add(new ArrayList<>());
            toHost.add(new ArrayList<>());
        }
        for (int c = 0; c < chunks; c++) {
            Set<Object> here = TornadoBackend.identitySet();
            Set<Object> writtenHere = TornadoBackend.identitySet();
            for (Op op : ops.subList(c * CHUNK, Math.min(ops.size(), (c + 1) * CHUNK))) {
                for (Object r : op.reads) {
                    if (writtenHere.contains(r) || !here.add(r)) continue;
                    Integer from = lastWriter.get(r);
                    if (constants.contains(r)) {
                        once.get(c).add(r);
                    } else if (from != null) {
                        // TornadoVM hands a graph only what the graph executed just before it persisted: relay.
                        for (int k = from; k < c; k++) {
                            if (relayed.get(k).add(r)) {
                                persisted.get(k).add(r);
                                consumed.get(k + 1).add(r);
                            }
                        }
                    } else {
                        every.get(c).add(r);
                    }
                }
                for (Object w : op.writes) {
                    writtenHere.add(w);
                    here.add(w);
                }
            }
            for (Object w : writtenHere) lastWriter.put(w, c);
        }
        for (Object r : results) toHost.get(lastWriter.get(r)).add(r);

        GridScheduler grids = new GridScheduler();
        boolean anyGrid = false;
        ImmutableTaskGraph[] graphs = new ImmutableTaskGraph[chunks];
        for (int c = 0; c < chunks; c++) {
            TaskGraph g = new TaskGraph(names[c]);
            if (!once.get(c).isEmpty()) g.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.get(c).toArray());
            if (!every.get(c).isEmpty()) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, every.get(c).toArray());
            if (!consumed.get(c).isEmpty()) g.consumeFromDevice(names[c - 1], consumed.get(c).toArray());
            int t = 0;
            for (Op op : ops.subList(c * CHUNK, Math.min(ops.size(), (c + 1) * CHUNK))) {
                String name = "t" + t++;
                op.adder.add(g, name);
                if (op.grid != null) {
                    grids.addWorkerGrid(names[c] + "." + name, op.grid);
                    anyGrid = true;
                }
            }
            if (!persisted.get(c).isEmpty()) g.persistOnDevice(persisted.get(c).toArray());
            if (!toHost.get(c).isEmpty()) g.transferToHost(DataTransferMode.EVERY_EXECUTION, toHost.get(c).toArray());
            graphs[c] = g.snapshot();
        }
        TornadoExecutionPlan p = new TornadoExecutionPlan(graphs);
        if (device != null) p.withDevice(device);
        if (anyGrid) p.withGridScheduler(grids);
        return new CompiledPlan(p, chunks);
    }
}
