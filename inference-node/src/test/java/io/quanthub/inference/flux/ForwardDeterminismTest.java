package io.quanthub.inference.flux;

import io.quanthub.inference.TinyFlux;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same Flux forward gives the same bytes in every process: fresh JVMs with 1, 2 and 3 worker threads, C1 only,
 * the interpreter only, 256-bit instead of the machine's widest vectors (another node's CPU), and in each the first
 * (cold) call as well as a call after the JIT has compiled the kernels. Previews are cached and deduplicated on the
 * assumption that a (model, settings) pair always gives the same image, and a node that takes over a job must produce
 * the same PNG.
 */
class ForwardDeterminismTest {
    /** Calls per child: enough for C2 to compile the kernels of the tiny model. */
    private static final int CALLS = 150;

    @Test
    void everyProcessAndEveryCallGivesTheSameBytes() throws Exception {
        Path model = TinyFlux.model();
        Path inputs = TinyFlux.dir().resolve("forward.safetensors");
        Map<String, List<String>> flavours = new LinkedHashMap<>();
        flavours.put("2 threads", List.of("-Djava.util.concurrent.ForkJoinPool.common.parallelism=1"));
        flavours.put("1 thread", List.of("-Djava.util.concurrent.ForkJoinPool.common.parallelism=0"));
        flavours.put("3 threads", List.of("-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"));
        flavours.put("C1 only", List.of("-XX:TieredStopAtLevel=1"));
        flavours.put("256-bit vectors", List.of("-XX:MaxVectorSize=32"));
        flavours.put("interpreter", List.of("-Xint"));

        Map<String, String> digests = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> f : flavours.entrySet()) {
            int calls = f.getKey().equals("interpreter") ? 1 : CALLS;
            List<String> lines = child(f.getValue(), model, inputs, calls);
            digests.put(f.getKey() + ", first call", lines.get(0));
            digests.put(f.getKey() + ", call " + calls, lines.get(1));
        }
        String expected = digests.values().iterator().next();
        for (Map.Entry<String, String> d : digests.entrySet()) {
            assertEquals(expected, d.getValue(), "output of " + d.getKey() + " differs; all: " + digests);
        }
    }

    private static List<String> child(List<String> flags, Path model, Path inputs, int calls)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xmx512m");
        command.addAll(flags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ForwardDigest.class.getName());
        command.add(model.toString());
        command.add(inputs.toString());
        command.add(Integer.toString(calls));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child " + flags + " did not finish");
        assertEquals(0, p.exitValue(), "child " + flags + " failed: " + out);
        List<String> lines = out.lines().filter(l -> l.matches("[0-9a-f]{64}")).toList();
        assertEquals(2, lines.size(), "child " + flags + " printed " + out);
        return lines;
    }
}
