package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The result of a conversion.
 *
 * @param types                bytes and tensor counts per output type, most bytes first
 * @param fileSize             bytes of the output file
 * @param quantizableElements  elements of the tensors llama-quantize's rules select for quantization
 * @param quantizableBytes     their bytes in the output
 * @param error                the quantization error of every tensor together (the output dequantized against the
 *                             source values), when the converter measured it ({@link Converter#measuringError()});
 *                             else null
 */
public record ConversionSummary(Path output, Architecture architecture, QuantLevel level, int tensorCount,
                                List<TypeTotal> types, long fileSize, long quantizableElements,
                                long quantizableBytes, List<ConversionPlan.Skipped> skipped, Duration elapsed,
                                QuantError error) {
    /** The tensors stored in one type. */
    public record TypeTotal(GgmlType type, int tensors, long elements, long bytes) {
    }

    public ConversionSummary {
        types = List.copyOf(types);
        skipped = List.copyOf(skipped);
    }

    /** The summary of a written plan, without error measurements. */
    public static ConversionSummary of(ConversionPlan plan, Path output, long fileSize, Duration elapsed) {
        return of(plan, output, fileSize, elapsed, null);
    }

    /** The summary of a written plan; {@code error} is null when it was not measured. */
    public static ConversionSummary of(ConversionPlan plan, Path output, long fileSize, Duration elapsed,
                                       QuantError error) {
        Map<GgmlType, long[]> totals = new EnumMap<>(GgmlType.class); // tensors, elements, bytes
        long qElements = 0;
        long qBytes = 0;
        for (TensorPlan t : plan.tensors()) {
            long[] sum = totals.computeIfAbsent(t.type(), k -> new long[3]);
            sum[0]++;
            sum[1] += t.elementCount();
            sum[2] += t.byteSize();
            if (t.quantizable()) {
                qElements += t.elementCount();
                qBytes += t.byteSize();
            }
        }
        List<TypeTotal> types = totals.entrySet().stream()
                .map(e -> new TypeTotal(e.getKey(), (int) e.getValue()[0], e.getValue()[1], e.getValue()[2]))
                .sorted((a, b) -> Long.compare(b.bytes(), a.bytes()))
                .toList();
        return new ConversionSummary(output, plan.architecture(), plan.level(), plan.tensors().size(), types,
                fileSize, qElements, qBytes, plan.skipped(), elapsed, error);
    }

    /** Bits per weight over the quantizable tensors (NaN when there are none). */
    public double bitsPerWeight() {
        return quantizableElements == 0 ? Double.NaN : quantizableBytes * 8.0 / quantizableElements;
    }
}
