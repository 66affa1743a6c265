package io.quanthub.inference.flux;

import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.model.ModelWeights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The child process of {@link ForwardDeterminismTest}: runs one Flux forward {@code calls} times in this JVM and
 * prints the SHA-256 of the first call's output bytes and of the last call's, one per line. The first call runs
 * mostly interpreted or C1-compiled, the last (after enough calls) C2-compiled: a kernel whose float operation order
 * depends on the compilation tier shows as two different lines.
 */
public final class ForwardDigest {
    private ForwardDigest() {
    }

    /** Arguments: model file, inputs file (BFL's {@code Flux.forward} arguments), number of calls. */
    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        FluxInputs in = FluxInputs.readSafetensors(Path.of(args[1]));
        int calls = Integer.parseInt(args[2]);
        try (ModelWeights weights = ModelWeights.open(model)) {
            FluxModel flux = new FluxModel(weights, new CpuBackend());
            String first = sha256(flux.forward(in));
            String last = first;
            for (int i = 1; i < calls; i++) last = sha256(flux.forward(in));
            System.out.println(first);
            System.out.println(last);
        }
    }

    static String sha256(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
