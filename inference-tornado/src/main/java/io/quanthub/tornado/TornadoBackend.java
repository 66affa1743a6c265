package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.inference.compute.AttentionBias;
import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Weight;
import io.quanthub.tornado.TaskPlans.CompiledPlan;
import io.quanthub.tornado.TaskPlans.Identity;
import io.quanthub.tornado.TaskPlans.Op;
import io.quanthub.tornado.TaskPlans.TaskAdder;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The compute backend on a TornadoVM device, with tensors that stay on the device between operations.
 *
 * <p>TornadoVM keeps values on the device only within one execution plan, so operations are <b>recorded</b>, not run:
 * each allocates its result and appends a task; {@link #download} of a result runs what was recorded as one plan of
 * task graphs of at most {@link #CHUNK} tasks each (a task graph's bytecode buffers hold a few hundred). Within the
 * plan, a tensor crosses to the host only if it is an input of the recording (uploaded, or a result of an earlier
 * plan: copied in every execution; weights and tables: once per plan) or still held when the recording ends (copied
 * out, for a later download or plan); results freed during the recording never leave the device. A tensor made in
 * one chunk and read in a later one stays on the device: {@code persistOnDevice} in the chunk that wrote it,
 * {@code consumeFromDevice} in the next, relayed so through every chunk up to the reader (TornadoVM hands a graph only
 * what the graph executed just before it persisted), the graphs executed one at a time in order.
 *
 * <p>Freed tensors' arrays are kept by size and handed out again (uploads only take arrays the recording in progress
 * does not use, so no host write changes an input before it is copied in). A caller that repeats the same calls —
 * a sampler's steps — therefore records the same tasks on the same arrays, and the plan compiled the first time
 * (TornadoVM compiles every task's kernel then) is {@linkplain #plans found again} and only re-executed.
 *
 * <p>Every operation is {@code synchronized}: callers on several threads (one per model) interleave whole operations in
 * one recording, which stays correct (each reads and writes only its own tensors).
 *
 * <p>Every value is computed by one work-item in a fixed order (no atomics, no cross-work-item reductions): the same
 * inputs give the same bits on a device.
 */
public final class TornadoBackend implements ComputeBackend {
    static {
        TornadoSettings.apply();
    }

    private static final System.Logger LOG = System.getLogger(TornadoBackend.class.getName());

    /** Tasks per task graph. */
    static final int CHUNK = 100;
    /** Compiled plans kept, least recently used dropped first (each holds its kernels and device buffers). */
    private static final int PLANS = 4;

    private final TornadoDevice device;
    private final boolean defaultDevice;
    private final String description;

    private final FloatArray fp16 = HalfTables.fp16();
    private final FloatArray bf16 = HalfTables.bf16();
    private final FloatArray codebook = LegacyBlocks.codebook();
    /** Stands in for an absent bias or relative table (a kernel argument must be an array). */
    private final FloatArray none = new FloatArray(1);
    private final Map<GgmlType, IntArray> layouts = new EnumMap<>(GgmlType.class);
    /** Arrays that never change once on the device: weights and tables, copied once per plan. */
    private final Set<Object> constants = identitySet();

    /**
     * Arrays of freed tensors not used by the recording in progress, by length, then by the order they were made in:
     * the oldest free array is handed out first, so a call that repeats the calls before it gets the same array for
     * each result whatever order they were freed in (by induction: the arrays made since are all younger), and its
     * recording finds the earlier plan.
     */
    private final Map<Integer, TreeMap<Long, FloatArray>> pool = new HashMap<>();
    /** Arrays of tensors freed after the recording in progress used them: results only, until it runs. */
    private final Map<Integer, TreeMap<Long, FloatArray>> freedInRecording = new HashMap<>();
    private final Map<FloatArray, Long> serials = new IdentityHashMap<>();
    private long nextSerial;
    private final List<Op> pending = new ArrayList<>();
    private final Set<Object> touched = identitySet();
    private final Set<Object> written = identitySet();
    private final Set<DeviceTensor> live = identitySet();
    private final LinkedHashMap<List<Object>, CompiledPlan> plans = new LinkedHashMap<>(16, 0.75f, true);
    /** The key of the latest plan for each sequence of tasks (kernels and scalars, whatever arrays). */
    private final Map<List<Object>, List<Object>> shapes = new HashMap<>();
    private int compiled;

    TornadoBackend(TornadoDevice device, boolean defaultDevice) {
        this.device = device;
        this.defaultDevice = defaultDevice;
        this.description = describe(device);
        Collections.addAll(constants, fp16, bf16, codebook, none);
    }

    /** A backend on TornadoVM's default device. */
    public TornadoBackend() {
        this(TornadoExecutionPlan.DEFAULT_DEVICE, true);
    }

    static String describe(TornadoDevice device) {
        return String.format("tornado %s (%s), %.1f GiB", device.getPhysicalDevice().getDeviceName().strip(),
                device.getPlatformName().strip(), device.getMaxGlobalMemory() / (double) (1L << 30));
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public long deviceMemoryBytes() {
        return device.getMaxGlobalMemory();
    }

    /** How many plans this backend has compiled: a repeated call that found its plan compiled none. */
    int plansCompiled() {
        return compiled;
    }

    // Storage

    private static final class DeviceTensor implements Tensor {
        private final int rows;
        private final int cols;
        private final FloatArray array;
        private final TornadoBackend owner;

        DeviceTensor(int rows, int cols, FloatArray array, TornadoBackend owner) {
            this.rows = rows;
            this.cols = cols;
            this.array = array;
            this.owner = owner;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int cols() {
            return cols;
        }

        @Override
        public String toString() {
            return "[" + rows + " x " + cols + "]";
        }
    }

    /** A weight and, made when a kernel first needs it, its stored bytes as a device array. */
    private static final class DeviceWeightHandle implements BackendWeight {
        private final Weight source;
        private DeviceWeight matrix;

        DeviceWeightHandle(Weight source) {
            this.source = source;
        }

        @Override
        public Weight source() {
            return source;
        }

        /** The weight as a matrix [rows, last dim], or a conv kernel [out, in, k, k] as [out, in * k * k]. */
        DeviceWeight matrix() {
            if (matrix == null) {
                long[] shape = source.shape();
                Weight m = shape.length == 4 ? new Weight(source.name(), source.type(),
                        new long[] {shape[0], shape[1] * shape[2] * shape[3]}, source.data()) : source;
                matrix = DeviceWeight.of(m);
            }
            return matrix;
        }
    }

    @Override
    public synchronized Tensor upload(float[] values, int rows, int cols) {
        int n = Math.multiplyExact(rows, cols);
        if (values.length != n) {
            throw new IllegalArgumentException("upload of " + values.length + " values as " + rows + "x" + cols);
        }
        FloatArray a = take(pool, Math.max(n, 1));
        if (a == null) a = newArray(Math.max(n, 1));
        for (int i = 0; i < n; i++) a.set(i, values[i]);
        return track(new DeviceTensor(rows, cols, a, this));
    }

    @Override
    public synchronized float[] download(Tensor x) {
        DeviceTensor t = tensor(x);
        if (written.contains(t.array)) flush();
        float[] out = new float[Math.toIntExact(t.size())];
        for (int i = 0; i < out.length; i++) out[i] = t.array.get(i);
        return out;
    }

    @Override
    public synchronized void free(Tensor... tensors) {
        for (Tensor x : tensors) {
            if (x == null) continue;
            DeviceTensor t = tensor(x);
            live.remove(t);
            var into = touched.contains(t.array) ? freedInRecording : pool;
            into.computeIfAbsent(t.array.getSize(), n -> new TreeMap<>()).put(serials.get(t.array), t.array);
        }
    }

    @Override
    public synchronized void trim() {
        flush();
        pool.values().forEach(free -> free.values().forEach(serials::remove));
        pool.clear();
        closePlans();
    }

    @Override
    public synchronized void close() {
        pending.clear();
        touched.clear();
        written.clear();
        pool.clear();
        freedInRecording.clear();
        serials.clear();
        closePlans();
    }

    private void closePlans() {
        for (CompiledPlan p : plans.values()) p.close();
        plans.clear();
        shapes.clear();
    }

    @Override
    public synchronized BackendWeight load(Weight stored) {
        return new DeviceWeightHandle(stored);
    }

    private DeviceTensor tensor(Tensor x) {
        Objects.requireNonNull(x, "tensor");
        if (x instanceof DeviceTensor t && t.owner == this) {
            if (!live.contains(t)) throw new IllegalArgumentException("tensor " + t + " was freed");
            return t;
        }
        throw new IllegalArgumentException("tensor " + x + " belongs to another backend");
    }

    private FloatArray arrayOrNone(Tensor x) {
        return x == null ? none : tensor(x).array;
    }

    private DeviceWeight weight(BackendWeight w) {
        if (!(w instanceof DeviceWeightHandle h)) {
            throw new IllegalArgumentException("weight " + w.source() + " was loaded by another backend");
        }
        DeviceWeight d = h.matrix();
        constants.add(d.data());
        return d;
    }

    private IntArray layout(GgmlType type) {
        if (!LegacyBlocks.supports(type)) return null;
        return layouts.computeIfAbsent(type, t -> {
            IntArray l = LegacyBlocks.layout(t);
            constants.add(l);
            return l;
        });
    }

    private DeviceTensor track(DeviceTensor t) {
        live.add(t);
        return t;
    }

    /** A result [rows x cols]: an array freed during this recording, else one from the pool, else a new one. */
    private DeviceTensor allocate(int rows, int cols) {
        int n = Math.max(Math.multiplyExact(rows, cols), 1);
        FloatArray a = take(freedInRecording, n);
        if (a == null) a = take(pool, n);
        if (a == null) a = newArray(n);
        return track(new DeviceTensor(rows, cols, a, this));
    }

    private FloatArray newArray(int n) {
        FloatArray a = new FloatArray(n);
        serials.put(a, nextSerial++);
        return a;
    }

    private static FloatArray take(Map<Integer, TreeMap<Long, FloatArray>> from, int n) {
        TreeMap<Long, FloatArray> free = from.get(n);
        if (free == null) return null;
        var oldest = free.pollFirstEntry();
        return oldest == null ? null : oldest.getValue();
    }

    static <T> Set<T> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    // Recording

    private void record(String kernel, Object[] reads, Object[] writes, Object[] scalars, WorkerGrid grid,
                        TaskAdder adder) {
        pending.add(new Op(kernel, reads, writes, scalars, grid, adder));
        Collections.addAll(touched, reads);
        Collections.addAll(touched, writes);
        Collections.addAll(written, writes);
    }

    private static Object[] of(Object... objects) {
        return objects;
    }

    private CompiledPlan compile(List<Op> ops, List<Object> results) {
        compiled++;
        return TaskPlans.compile(ops, results, constants, defaultDevice ? null : device);
    }

    private static boolean driverBuildFailed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("compilation with the OpenCL driver")) return true;
        }
        return false;
    }

    /** Runs what was recorded, reusing the plan compiled for the same recording if there is one. */
    private void flush() {
        if (pending.isEmpty()) return;
        Set<Object> held = identitySet();
        for (DeviceTensor t : live) held.add(t.array);
        List<Object> results = new ArrayList<>();
        Set<Object> seen = identitySet();
        for (Op op : pending) {
            for (Object w : op.writes()) {
                if (held.contains(w) && seen.add(w)) results.add(w);
            }
        }
        List<Object> key = new ArrayList<>();
        for (Op op : pending) op.addKey(key);
        key.add("->");
        for (Object r : results) key.add(new Identity(r));
        try {
            CompiledPlan plan = plans.get(key);
            if (plan != null) {
                run(plan, key);
                return;
            }
            List<Object> shape = new ArrayList<>();
            for (Op op : pending) op.addShape(shape, constants);
            // The same calls on the same weights, on other activation arrays: the earlier plan ran on the new
            // arrays of a first call, which the pool's arrays replace from then on. Dropped now rather than
            // holding a second copy of the model's weights on the device.
            List<Object> replaced = shapes.put(shape, key);
            if (replaced != null && plans.containsKey(replaced)) plans.remove(replaced).close();
            List<Op> ops = List.copyOf(pending);
            // A first execution compiles the kernels as it reaches them. The OpenCL driver may fail to build one
            // for a reason of its own (POCL 3.1 now and then loses a temporary file of its kernel cache: "unable
            // to rename temporary ... to output file"); then the recording runs once more on a new plan, from the
            // host values it started with (results copied out before the failure may be inputs too).
            Map<FloatArray, float[]> inputs = hostInputsAlsoWritten(ops, results);
            plan = cache(key, compile(ops, results));
            try {
                run(plan, key);
            } catch (IllegalStateException e) {
                if (!driverBuildFailed(e)) throw e;
                LOG.log(System.Logger.Level.WARNING, "the OpenCL driver failed to build a kernel; compiling the "
                        + "plan once more: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                inputs.forEach((array, values) -> {
                    for (int i = 0; i < values.length; i++) array.set(i, values[i]);
                });
                run(cache(key, compile(ops, results)), key);
            }
        } finally {
            pending.clear();
            touched.clear();
            written.clear();
            freedInRecording.forEach((n, free) -> pool.computeIfAbsent(n, k -> new TreeMap<>()).putAll(free));
            freedInRecording.clear();
        }
    }

    /** Caches {@code plan} under {@code key}, closing the least recently used plan beyond {@link #PLANS}. */
    private CompiledPlan cache(List<Object> key, CompiledPlan plan) {
        plans.put(key, plan);
        if (plans.size() > PLANS) {
            var eldest = plans.entrySet().iterator().next();
            eldest.getValue().close();
            plans.remove(eldest.getKey());
        }
        return plan;
    }

    /** Executes {@code plan}; one that fails is closed and forgotten, so the next such recording compiles anew. */
    private void run(CompiledPlan plan, List<Object> key) {
        try {
            plan.execute();
        } catch (RuntimeException e) {
            plans.remove(key);
            try {
                plan.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * The host values of the arrays the recording reads from the host and also writes back as results: the only
     * host values an execution that fails half way can have changed.
     */
    private Map<FloatArray, float[]> hostInputsAlsoWritten(List<Op> ops, List<Object> results) {
        Set<Object> resultSet = identitySet();
        resultSet.addAll(results);
        Set<Object> writtenSoFar = identitySet();
        Map<FloatArray, float[]> saved = new IdentityHashMap<>();
        for (Op op : ops) {
            for (Object r : op.reads()) {
                if (r instanceof FloatArray a && resultSet.contains(a) && !writtenSoFar.contains(a)
                        && !saved.containsKey(a)) {
                    saved.put(a, a.toHeapArray());
                }
            }
            Collections.addAll(writtenSoFar, op.writes());
        }
        return saved;
    }

    // Operations

    @Override
    public synchronized Tensor embedding(BackendWeight table, int[] ids) {
        // The few rows a prompt needs are gathered on the host from the mapped file, in any stored type.
        Weight w = table.source();
        int dim = w.cols();
        float[] values = new float[Math.multiplyExact(ids.length, dim)];
        float[] row = new float[dim];
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= w.rows()) {
                throw new IllegalArgumentException("token id " + id + " is outside " + w.name() + "'s " + w.rows()
                        + " rows");
            }
            w.dequantizeRows(id, 1, row);
            System.arraycopy(row, 0, values, t * dim, dim);
        }
        return upload(values, ids.length, dim);
    }

    /** Records {@code dst[dstOff + r * dstCols + c] = src[srcOff + r * srcCols + c]} for a block of rows x count. */
    private void block(FloatArray src, FloatArray dst, int rows, int count, int srcCols, int srcOff, int dstCols,
                       int dstOff, boolean partial) {
        if (rows == 0 || count == 0) return;
        // A task writing part of dst also "reads" it: the rest must be the values already there.
        Object[] reads = partial ? of(src, dst) : of(src);
        record("block", reads, of(dst), of(rows, count, srcCols, srcOff, dstCols, dstOff), null,
                (g, name) -> g.task(name, TensorKernels::block, src, dst, rows, count, srcCols, srcOff, dstCols,
                        dstOff));
    }

    @Override
    public synchronized Tensor copy(Tensor x) {
        DeviceTensor in = tensor(x);
        DeviceTensor out = allocate(in.rows, in.cols);
        block(in.array, out.array, 1, Math.toIntExact(in.size()), 0, 0, 0, 0, false);
        return out;
    }

    @Override
    public synchronized Tensor columns(Tensor x, int from, int count) {
        DeviceTensor in = tensor(x);
        if (from < 0 || count < 0 || from + count > in.cols) {
            throw new IllegalArgumentException("columns " + from + ".." + (from + count) + " of " + x);
        }
        DeviceTensor out = allocate(in.rows, count);
        block(in.array, out.array, in.rows, count, in.cols, from, count, 0, false);
        return out;
    }

    @Override
    public synchronized Tensor rows(Tensor x, int from, int count) {
        DeviceTensor in = tensor(x);
        if (from < 0 || count < 0 || from + count > in.rows) {
            throw new IllegalArgumentException("rows " + from + ".." + (from + count) + " of " + x);
        }
        DeviceTensor out = allocate(count, in.cols);
        block(in.array, out.array, 1, count * in.cols, 0, from * in.cols, 0, 0, false);
        return out;
    }

    @Override
    public synchronized Tensor concatRows(Tensor a, Tensor b) {
        DeviceTensor ta = tensor(a);
        DeviceTensor tb = tensor(b);
        if (ta.cols != tb.cols) throw new IllegalArgumentException("cannot stack rows of " + a + " and " + b);
        DeviceTensor out = allocate(ta.rows + tb.rows, ta.cols);
        int na = Math.toIntExact(ta.size());
        block(ta.array, out.array, 1, na, 0, 0, 0, 0, false);
        block(tb.array, out.array, 1, Math.toIntExact(tb.size()), 0, 0, 0, na, na > 0);
        return out;
    }

    @Override
    public synchronized Tensor concatColumns(Tensor a, Tensor b) {
        DeviceTensor ta = tensor(a);
        DeviceTensor tb = tensor(b);
        if (ta.rows != tb.rows) throw new IllegalArgumentException("cannot join columns of " + a + " and " + b);
        int width = ta.cols + tb.cols;
        DeviceTensor out = allocate(ta.rows, width);
        block(ta.array, out.array, ta.rows, ta.cols, ta.cols, 0, width, 0, false);
        block(tb.array, out.array, tb.rows, tb.cols, tb.cols, 0, width, ta.cols, ta.cols > 0);
        return out;
    }

    @Override
    public synchronized Tensor transpose(Tensor x) {
        DeviceTensor in = tensor(x);
        DeviceTensor out = allocate(in.cols, in.rows);
        transpose(in.array, out.array, in.rows, in.cols);
        return out;
    }

    private void transpose(FloatArray src, FloatArray dst, int rows, int cols) {
        if (rows == 0 || cols == 0) return;
        record("transpose", of(src), of(dst), of(rows, cols), null,
                (g, name) -> g.task(name, ImageKernels::transpose, src, dst, rows, cols));
    }

    @Override
    public synchronized Tensor matmul(Tensor x, BackendWeight w, Tensor bias) {
        DeviceTensor in = tensor(x);
        if (in.cols != w.cols()) {
            throw new IllegalArgumentException("matmul input for " + w.source().name() + " has rows of " + in.cols
                    + " values, needs " + w.cols());
        }
        if (bias != null && bias.size() != w.rows()) {
            throw new IllegalArgumentException("bias of " + bias.size() + " values for " + w.source() + " with "
                    + w.rows() + " outputs");
        }
        DeviceTensor out = allocate(in.rows, w.rows());
        matmul(in.array, in.rows, weight(w), arrayOrNone(bias), bias == null ? 0 : 1, out.array);
        return out;
    }

    private void matmul(FloatArray x, int tokens, DeviceWeight w, FloatArray b, int hasBias, FloatArray out) {
        if (tokens == 0) return;
        IntArray layout = layout(w.weight().type());
        Object[] reads = layout == null ? of(x, w.data(), b, fp16, bf16, codebook)
                : of(x, w.data(), b, fp16, bf16, codebook, layout);
        record("matmul", reads, of(out), of(tokens), TiledMatmulKernels.grid(tokens, w.rows()),
                (g, name) -> TornadoOps.addMatmulTask(g, name, x, tokens, w, b, hasBias, out, fp16, bf16, codebook,
                        layout));
    }

    @Override
    public synchronized Tensor layerNorm(Tensor x, float eps, Tensor weight, Tensor bias) {
        DeviceTensor in = tensor(x);
        int rows = in.rows;
        int dim = in.cols;
        if ((weight == null) != (bias == null) || weight != null && (weight.size() != dim || bias.size() != dim)) {
            throw new IllegalArgumentException("layerNorm of " + x + " needs a weight and a bias of " + dim
                    + " values, or neither");
        }
        DeviceTensor out = allocate(rows, dim);
        FloatArray src = in.array;
        FloatArray dst = out.array;
        record("layerNorm", of(src), of(dst), of(rows, dim, eps), null,
                (g, name) -> g.task(name, NormKernels::layerNorm, src, dst, rows, dim, eps));
        if (weight != null) {
            FloatArray w = tensor(weight).array;
            FloatArray b = tensor(bias).array;
            record("affine", of(dst, w, b), of(dst), of(rows, dim), null,
                    (g, name) -> g.task(name, TensorKernels::affine, dst, w, b, rows, dim));
        }
        return out;
    }

    @Override
    public synchronized void rmsNorm(Tensor x, int dim, Tensor scale) {
        DeviceTensor t = tensor(x);
        if (dim <= 0 || t.size() % dim != 0 || scale.size() != dim) {
            throw new IllegalArgumentException("rmsNorm over " + dim + " of " + x + " with a scale of " + scale);
        }
        int rows = Math.toIntExact(t.size() / dim);
        FloatArray a = t.array;
        FloatArray s = tensor(scale).array;
        float eps = TornadoOps.EPS;
        record("rmsNorm", of(a, s), of(a), of(rows, dim), null,
                (g, name) -> g.task(name, NormKernels::rmsNorm, a, s, rows, dim, eps));
    }

    @Override
    public synchronized void modulate(Tensor x, Tensor shift, Tensor scale) {
        DeviceTensor t = tensor(x);
        int dim = t.cols;
        if (shift.size() != dim || scale.size() != dim) {
            throw new IllegalArgumentException("modulate " + x + " by shift " + shift + " and scale " + scale);
        }
        int rows = t.rows;
        FloatArray a = t.array;
        FloatArray sh = tensor(shift).array;
        FloatArray sc = tensor(scale).array;
        record("modulate", of(a, sh, sc), of(a), of(rows, dim), null,
                (g, name) -> g.task(name, ModulationKernels::modulate, a, sh, sc, rows, dim));
    }

    @Override
    public synchronized void addGated(Tensor x, Tensor gate, Tensor y) {
        DeviceTensor t = tensor(x);
        int dim = t.cols;
        if (gate.size() != dim || y.size() != t.size()) {
            throw new IllegalArgumentException("gated residual " + x + " += " + gate + " * " + y);
        }
        int rows = t.rows;
        FloatArray a = t.array;
        FloatArray ga = tensor(gate).array;
        FloatArray ya = tensor(y).array;
        record("addGated", of(a, ga, ya), of(a), of(rows, dim), null,
                (g, name) -> g.task(name, ModulationKernels::addGated, a, ga, ya, rows, dim));
    }

    @Override
    public synchronized void add(Tensor x, Tensor y) {
        elementwise("add", x, y);
    }

    @Override
    public synchronized void multiply(Tensor x, Tensor y) {
        elementwise("multiply", x, y);
    }

    private void elementwise(String kernel, Tensor x, Tensor y) {
        DeviceTensor t = tensor(x);
        if (y.size() != t.size()) throw new IllegalArgumentException(kernel + " of " + x + " and " + y);
        int n = Math.toIntExact(t.size());
        if (n == 0) return;
        FloatArray a = t.array;
        FloatArray b = tensor(y).array;
        record(kernel, of(a, b), of(a), of(n), null, kernel.equals("add")
                ? (g, name) -> g.task(name, TensorKernels::add, a, b, n)
                : (g, name) -> g.task(name, TensorKernels::multiply, a, b, n));
    }

    @Override
    public synchronized void gelu(Tensor x) {
        activation("gelu", x);
    }

    @Override
    public synchronized void silu(Tensor x) {
        activation("silu", x);
    }

    @Override
    public synchronized void quickGelu(Tensor x) {
        activation("quickGelu", x);
    }

    /** An activation in place: each kernel named here (TornadoVM reads the method reference in the task itself). */
    private void activation(String kernel, Tensor x) {
        DeviceTensor t = tensor(x);
        FloatArray a = t.array;
        int n = Math.toIntExact(t.size());
        if (n == 0) return;
        record(kernel, of(a), of(a), of(n), null, switch (kernel) {
            case "gelu" -> (g, name) -> g.task(name, ActivationKernels::gelu, a, n);
            case "silu" -> (g, name) -> g.task(name, ActivationKernels::silu, a, n);
            case "quickGelu" -> (g, name) -> g.task(name, TensorKernels::quickGelu, a, n);
            default -> throw new IllegalArgumentException("no activation kernel " + kernel);
        });
    }

    @Override
    public synchronized void rope(Tensor x, int heads, Tensor cos, Tensor sin) {
        DeviceTensor t = tensor(x);
        int tokens = t.rows;
        int headDim = t.cols / heads;
        int pairs = headDim / 2;
        if (cos.cols() != pairs || cos.rows() != tokens || sin.size() != cos.size() || headDim * heads != t.cols) {
            throw new IllegalArgumentException("rope table for " + cos.rows() + " tokens x " + cos.cols()
                    + " pairs applied to " + x + " in " + heads + " heads");
        }
        FloatArray a = t.array;
        FloatArray c = tensor(cos).array;
        FloatArray s = tensor(sin).array;
        record("rope", of(a, c, s), of(a), of(tokens, heads, pairs), null,
                (g, name) -> g.task(name, RopeKernel::rope, a, c, s, tokens, heads, pairs));
    }

    @Override
    public synchronized Tensor attention(Tensor q, Tensor k, Tensor v, int heads) {
        return attention(q, k, v, heads, AttentionBias.NONE.withScale((float) (1.0 / Math.sqrt(q.cols() / heads))));
    }

    @Override
    public synchronized Tensor attention(Tensor q, Tensor k, Tensor v, int heads, AttentionBias bias) {
        DeviceTensor tq = tensor(q);
        DeviceTensor tk = tensor(k);
        DeviceTensor tv = tensor(v);
        int tokens = tq.rows;
        if (tq.cols % heads != 0 || tk.rows != tokens || tv.rows != tokens || tk.cols != tq.cols
                || tv.cols != tq.cols) {
            throw new IllegalArgumentException("attention of q " + q + ", k " + k + ", v " + v + " in " + heads
                    + " heads");
        }
        float[] relative = bias.relative();
        if (relative != null && relative.length != (long) heads * (2 * tokens - 1)) {
            throw new IllegalArgumentException("attention bias has " + relative.length + " values, needs "
                    + heads * (2 * tokens - 1));
        }
        DeviceTensor table = relative == null ? null : (DeviceTensor) upload(relative);
        DeviceTensor out = allocate(tokens, tq.cols);
        int headDim = tq.cols / heads;
        float scale = bias.scale();
        int causal = bias.causal() ? 1 : 0;
        int hasRelative = relative == null ? 0 : 1;
        FloatArray qa = tq.array;
        FloatArray ka = tk.array;
        FloatArray va = tv.array;
        FloatArray ra = table == null ? none : table.array;
        FloatArray oa = out.array;
        if (tokens > 0) {
            record("attention", of(qa, ka, va, ra), of(oa), of(tokens, heads, headDim, scale, causal, hasRelative),
                    null, (g, name) -> g.task(name, AttentionKernel::attention, qa, ka, va, ra, oa, tokens, heads,
                            headDim, scale, causal, hasRelative));
        }
        free(table);
        return out;
    }

    // Image operations

    @Override
    public synchronized Tensor conv2d(Tensor x, int height, int width, BackendWeight w, Tensor bias) {
        DeviceTensor in = tensor(x);
        long[] shape = w.source().shape();
        if (shape.length != 4 && shape.length != 2) {
            throw new IllegalArgumentException("conv kernel " + w.source() + " must be [out, in, k, k] (or [out, in])");
        }
        int outChannels = (int) shape[0];
        int channels = (int) shape[1];
        int k = shape.length == 4 ? (int) shape[2] : 1;
        if (shape.length == 4 && (shape[3] != k || k % 2 == 0)) {
            throw new IllegalArgumentException("conv kernel " + w.source() + " is not square with an odd size");
        }
        int pixels = Math.multiplyExact(height, width);
        if (in.size() != (long) channels * pixels) {
            throw new IllegalArgumentException("conv " + w.source().name() + " input " + x + " is not " + channels
                    + "x" + height + "x" + width);
        }
        if (bias != null && bias.size() != outChannels) {
            throw new IllegalArgumentException("conv bias " + bias + " for " + outChannels + " channels");
        }
        DeviceWeight matrix = weight(w);
        DeviceTensor patches = allocate(pixels, channels * k * k);
        FloatArray src = in.array;
        FloatArray dst = patches.array;
        if (k == 1) {
            transpose(src, dst, channels, pixels);
        } else {
            record("im2col", of(src), of(dst), of(channels, height, width, k), null,
                    (g, name) -> g.task(name, ImageKernels::im2col, src, dst, channels, height, width, k));
        }
        DeviceTensor rows = allocate(pixels, outChannels);
        matmul(dst, pixels, matrix, arrayOrNone(bias), bias == null ? 0 : 1, rows.array);
        free(patches);
        DeviceTensor out = allocate(outChannels, pixels);
        transpose(rows.array, out.array, pixels, outChannels);
        free(rows);
        return out;
    }

    @Override
    public synchronized void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias) {
        DeviceTensor t = tensor(x);
        int channels = t.rows;
        int spatial = t.cols;
        if (groups <= 0 || channels % groups != 0 || weight.size() != channels || bias.size() != channels) {
            throw new IllegalArgumentException("groupNorm of " + x + " in " + groups + " groups");
        }
        FloatArray a = t.array;
        FloatArray wa = tensor(weight).array;
        FloatArray ba = tensor(bias).array;
        float eps = TornadoOps.EPS;
        record("groupNorm", of(a, wa, ba), of(a), of(channels, spatial, groups), null,
                (g, name) -> g.task(name, NormKernels::groupNorm, a, wa, ba, channels, spatial, groups, eps));
    }

    @Override
    public synchronized Tensor upsampleNearest2x(Tensor x, int height, int width) {
        DeviceTensor in = tensor(x);
        int channels = in.rows;
        if (in.cols != height * width) {
            throw new IllegalArgumentException("upsampling " + x + " as " + height + "x" + width + " images");
        }
        DeviceTensor out = allocate(channels, 4 * height * width);
        FloatArray src = in.array;
        FloatArray dst = out.array;
        if (out.size() > 0) {
            record("upsample", of(src), of(dst), of(channels, height, width), null,
                    (g, name) -> g.task(name, ImageKernels::upsampleNearest2x, src, dst, channels, height, width));
        }
        return out;
    }
}
