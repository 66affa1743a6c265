package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.cli.hub.Sha256;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code quanthub info org/name[@rev][:QUANT]}: what a model is before downloading it: a summary, its quant levels
 * and which of them fit in common GPU memory sizes.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's summary, its quant levels (status, size, bits per weight, and for levels the "
                + "hub converted, their error against the source: relative RMSE and cosine similarity) and which fit "
                + "in 6, 8, 12, 16 and 24 GiB of VRAM, alone and with the text encoders and VAE.")
public final class InfoCommand implements Callable<Integer> {
    /** GPU memory sizes people buy, in GiB (a card sold as "8 GB" has 8 GiB). */
    static final int[] VRAM_GIB = {6, 8, 12, 16, 24};
    private static final java.util.Set<String> FULL_PRECISION = java.util.Set.of("F32", "F16", "BF16");
    static final String F16_NOTE = "! = more bits per weight than Q8_0: this model's tensors are too small for the "
            + "level's blocks (K-quants need rows a multiple of 256 wide), so they stay F16, as llama-quantize does; "
            + "full-size models are not affected.";

    @Mixin
    HubOptions hub;

    @Parameters(index = "0", paramLabel = "MODEL", description = "org/name[@revision][:QUANT]")
    String model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ModelRef ref = ModelRef.parse(model);
        HubClient client = hub.connect();
        RepoDetails details = client.model(ref.repo(), ref.revisionOrDefault());
        PrintWriter out = spec.commandLine().getOut();
        QuantTable quants = details.sha() == null ? null : client.quants(ref.repo(), details.sha());
        printSummary(out, ref, details, quants);
        if (quants != null) {
            List<QuantTable.Level> levels = quants.quants();
            if (ref.quant() != null) {
                levels = List.of(quants.level(ref.quant()).orElseThrow(() -> new IllegalArgumentException(
                        ref.repo() + " has no quant level " + ref.quant())));
            }
            printQuants(out, ref, quants, levels);
        }
        out.flush();
        return 0;
    }

    static void printSummary(PrintWriter out, ModelRef ref, RepoDetails d, QuantTable quants) {
        out.println(d.id() + (d.isPrivate() ? " (private)" : ""));
        out.printf("  revision      %s -> commit %s%n", ref.revisionOrDefault(),
                d.sha() == null ? "none (no commits yet)" : d.sha());
        String arch = d.architecture() == null ? "unknown" : d.architecture();
        out.println("  architecture  " + arch + (d.parameters() == null ? "" : ", " + parameters(d.parameters())
                + " parameters"));
        out.println("  branches      " + (d.branches().isEmpty() ? "-" : String.join(", ", d.branches().keySet())));
        out.println("  tags          " + (d.tags().isEmpty() ? "-" : String.join(", ", d.tags().keySet())));
        int produced = quants == null ? 0 : produced(quants, d).size();
        out.printf("  files         %d, %s (%d GGUF)%s%n", d.files().size(), ProgressBar.bytes(d.totalSize()),
                d.ggufs().size(), produced == 0 ? "" : "; " + produced + " quant level" + (produced == 1 ? "" : "s")
                        + " produced by the hub");
    }

    /** The levels the hub converted from the revision's source: files to pull that the commit does not list. */
    static List<QuantTable.Level> produced(QuantTable quants, RepoDetails details) {
        java.util.Set<String> committed = new java.util.HashSet<>();
        details.files().forEach(f -> committed.add(f.path()));
        return quants.quants().stream().filter(l -> l.status() == QuantTable.Status.AVAILABLE
                && l.file().filter(f -> !committed.contains(f.path())).isPresent()).toList();
    }

    /**
     * Whether a level has more bits per weight than the model's Q8_0: a small model's tensors too narrow for the
     * level's blocks stay F16 (llama-quantize's K-quant fallback, which the converter follows byte for byte).
     */
    static boolean keptF16(QuantTable.Level level, QuantTable quants) {
        double q8 = quants.level("Q8_0").map(QuantTable.Level::bitsPerWeight).orElse(8.5);
        return !FULL_PRECISION.contains(level.quant()) && level.bitsPerWeight() != null
                && level.bitsPerWeight() > q8 + 1e-9;
    }

    static void printQuants(PrintWriter out, ModelRef ref, QuantTable quants, List<QuantTable.Level> levels) {
        if (levels.isEmpty()) {
            out.println("no quant levels");
            return;
        }
        out.println();
        out.println("Quant levels (* = what " + ref.repo() + " without :QUANT pulls; ~ = estimated size; "
                + "REL RMSE and COSINE: the converter's error against the source weights):");
        TextTable table = new TextTable("QUANT", "STATUS", "SIZE", "BITS/WEIGHT", "REL RMSE", "COSINE", "FILE")
                .alignRight(2, 3, 4, 5);
        for (QuantTable.Level l : levels) {
            QuantTable.Quality quality = l.quality();
            boolean isDefault = l.quant().equalsIgnoreCase(String.valueOf(quants.defaultQuant()));
            table.row(l.quant() + (isDefault ? " *" : ""), l.status() == null ? null : l.status().id(),
                    l.size() == null ? null : (l.sizeEstimated() ? "~" : "") + ProgressBar.bytes(l.size()),
                    l.bitsPerWeight() == null ? null : String.format(Locale.ROOT, "%.2f", l.bitsPerWeight())
                            + (keptF16(l, quants) ? " !" : ""),
                    quality == null ? null : String.format(Locale.ROOT, "%.2f%%", 100 * quality.relativeRmse()),
                    quality == null ? null : String.format(Locale.ROOT, "%.5f", quality.cosine()),
                    l.file().map(RepoFile::path).orElse(null));
        }
        table.print(out, "  ");
        if (levels.stream().anyMatch(l -> keptF16(l, quants))) out.println("  " + F16_NOTE);

        out.println();
        out.println("VRAM fit (yes = fits with text encoders + VAE; model = only the model alone fits; "
                + "no = does not fit; ? = unknown):");
        String[] headers = new String[VRAM_GIB.length + 1];
        headers[0] = "QUANT";
        for (int i = 0; i < VRAM_GIB.length; i++) headers[i + 1] = VRAM_GIB[i] + " GiB";
        TextTable fit = new TextTable(headers);
        for (QuantTable.Level l : levels) {
            QuantTable.Vram vram = l.vram();
            Object[] row = new Object[headers.length];
            row[0] = l.quant();
            for (int i = 0; i < VRAM_GIB.length; i++) {
                row[i + 1] = vram == null ? fit(null, null, 0)
                        : fit(vram.modelOnly(), vram.withTextEncodersAndVae(), (long) VRAM_GIB[i] << 30);
            }
            fit.row(row);
        }
        fit.print(out, "  ");
    }

    /** One cell of the fit table: does a level's memory need fit in {@code budget} bytes? */
    static String fit(Long modelOnly, Long withEncodersVae, long budget) {
        if (withEncodersVae != null && withEncodersVae <= budget) return "yes";
        if (modelOnly == null) return "?";
        return modelOnly <= budget ? "model" : "no";
    }

    /** A parameter count as people say it: 11.9B, 860M. */
    static String parameters(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.1fB", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.0fM", n / 1e6);
        return Long.toString(n);
    }
}
