package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.inference.compute.BackendWeight;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Tensor;
import io.quanthub.inference.compute.Weight;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * One matmul per stored type on TornadoVM's default device against {@link CpuBackend#matmul}: the task graph is built
 * once (weights copied to the device on its first execution), run once untimed (kernel compilation), then rounds
 * alternate between the two and the best round of each is printed with their ratio. Each device round copies the
 * activations in and the result out, as an operation at the edge of a device-resident engine would. {@code max rel
 * diff} is max |tornado - cpu| / max |cpu|.
 *
 * <p>Usage: {@code MatmulBench [TYPES [TOKENS [OUTxIN [ROUNDS]]]]}, e.g.
 * {@code MatmulBench F32,Q8_0,Q4_0 64 1024x1024 5}.
 */
public final class MatmulBench {
    private MatmulBench() {
    }

    public static void main(String[] args) throws Exception {
        String[] types = (args.length > 0 ? args[0] : "F32,Q8_0,Q4_0,Q4_K").split(",");
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        String[] shape = (args.length > 2 ? args[2] : "1024x1024").split("x");
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int outDim = Integer.parseInt(shape[0]);
        int in = Integer.parseInt(shape[1]);
        Random random = new Random(1);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        float[] values = new float[outDim * in];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian() * 0.02f;
        CpuBackend cpu = new CpuBackend();
        TornadoOps ops = new TornadoOps();
        System.out.printf("%-7s %6s %11s %12s %14s %8s %13s%n", "type", "tokens", "out x in", "cpu ms", "tornado ms",
                "ratio", "max rel diff");
        for (String name : types) {
            GgmlType type = GgmlType.valueOf(name.trim());
            byte[] bytes = new byte[Math.toIntExact(outDim * type.rowBytes(in))];
            Quants.of(type).quantize(values, 0, bytes, 0, outDim, in, null);
            Weight w = new Weight("bench." + type, type, new long[] {outDim, in}, MemorySegment.ofArray(bytes));
            FloatArray input = FloatArray.fromArray(x);
            FloatArray output = new FloatArray(tokens * outDim);
            TaskGraph g = new TaskGraph("bench" + type).transferToDevice(DataTransferMode.EVERY_EXECUTION, input);
            GridScheduler grids = ops.addMatmul(g, input, tokens, DeviceWeight.of(w), null, output);
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, output);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
                plan.withGridScheduler(grids);
                plan.execute();
                // The CPU side is device-resident too: its input uploaded once, each round's result freed.
                Tensor cpuInput = cpu.upload(x, tokens, in);
                BackendWeight cpuWeight = cpu.load(w);
                Tensor first = cpu.matmul(cpuInput, cpuWeight, null);
                float[] expected = cpu.download(first);
                cpu.free(first);
                long bestCpu = Long.MAX_VALUE;
                long bestDevice = Long.MAX_VALUE;
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    cpu.free(cpu.matmul(cpuInput, cpuWeight, null));
                    long t1 = System.nanoTime();
                    plan.execute();
                    long t2 = System.nanoTime();
                    bestCpu = Math.min(bestCpu, t1 - t0);
                    bestDevice = Math.min(bestDevice, t2 - t1);
                }
                cpu.free(cpuInput);
                float maxDiff = 0f;
                float maxAbs = 0f;
                for (int i = 0; i < expected.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i] - output.get(i)));
                    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
                }
                System.out.printf("%-7s %6d %11s %12.2f %14.2f %8.2f %13.2e%n", type, tokens, outDim + "x" + in,
                        bestCpu / 1e6, bestDevice / 1e6, (double) bestDevice / bestCpu, maxDiff / maxAbs);
            }
        }
    }
}
