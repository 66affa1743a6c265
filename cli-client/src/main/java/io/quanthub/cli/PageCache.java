package io.quanthub.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * How much of a file the kernel holds in its page cache, so that a benchmark can say whether it read from memory or
 * from the disk. Asks Linux's {@code mincore(2)} about a read-only mapping of the file (mapping reads nothing and
 * needs no privileges); elsewhere the answer is unknown.
 */
public final class PageCache {
    /** sysconf name of the page size on Linux. */
    private static final int SC_PAGESIZE = 30;

    private PageCache() {
    }

    /** The fraction (0..1) of the file's pages that are resident, or empty where this cannot be asked. */
    public static OptionalDouble residentFraction(Path file) throws IOException {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return OptionalDouble.empty();
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> mincoreSymbol = linker.defaultLookup().find("mincore");
        Optional<MemorySegment> sysconfSymbol = linker.defaultLookup().find("sysconf");
        if (mincoreSymbol.isEmpty() || sysconfSymbol.isEmpty()) return OptionalDouble.empty();
        MethodHandle mincore = linker.downcallHandle(mincoreSymbol.get(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
        MethodHandle sysconf = linker.downcallHandle(sysconfSymbol.get(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size == 0) return OptionalDouble.of(1);
            long pageSize = (long) sysconf.invokeExact(SC_PAGESIZE);
            if (pageSize <= 0) return OptionalDouble.empty();
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long pages = Math.ceilDiv(size, pageSize);
            // One byte per page; bit 0 set means resident.
            MemorySegment vector = arena.allocate(pages);
            int rc = (int) mincore.invokeExact(mapping, size, vector);
            if (rc != 0) return OptionalDouble.empty();
            long resident = 0;
            for (long i = 0; i < pages; i++) resident += vector.get(JAVA_BYTE, i) & 1;
            return OptionalDouble.of((double) resident / pages);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mincore failed: " + t, t);
        }
    }
}
