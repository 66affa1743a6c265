package io.quanthub.gguf.convert;

import java.nio.file.Path;

/** The child JVM of {@link BoundedMemoryTest}: {@code ConvertMain INPUT TYPE OUTPUT}, all cores. */
public final class ConvertMain {
    private ConvertMain() {
    }

    public static void main(String[] args) throws Exception {
        ConversionSummary s = Converter.allCores().convert(Path.of(args[0]), QuantLevel.parse(args[1]),
                Path.of(args[2]), Converter.ProgressListener.NONE);
        System.out.println("wrote " + s.fileSize() + " bytes in " + s.elapsed().toMillis() + " ms, max heap "
                + Runtime.getRuntime().maxMemory());
    }
}
