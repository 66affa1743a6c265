package io.quanthub.cli;

import io.quanthub.hub.Durations;
import io.quanthub.hub.api.GcReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code quanthub admin gc [--dry-run] [--grace 24h]}: runs the hub's garbage collection now and prints its report. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Collect garbage on the hub now: unreferenced blobs, unfinished multipart uploads, staged "
                + "uploads and expired upload leases older than the grace period. Nothing a commit, branch, tag, "
                + "quant variant or running upload holds is deleted.",
                "The hub also does this on its own every --gc-interval (quanthub serve)."})
public final class AdminGcCommand implements Callable<Integer> {
    @Mixin
    HubOptions hub;

    @Option(names = "--dry-run", description = "Report what would be deleted, delete nothing.")
    boolean dryRun;

    @Option(names = "--grace", paramLabel = "DURATION",
            description = "Keep garbage younger than this, e.g. 24h, 30m, 7d, 0 (default: the hub's --gc-grace).")
    String grace;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        // Checked here so that a typo fails before anything is sent.
        String graceParam = grace == null ? null : Durations.format(Durations.parse("--grace", grace));
        GcReport report = hub.connect().collectGarbage(dryRun, graceParam);
        PrintWriter out = spec.commandLine().getOut();
        boolean dry = report.dryRun();
        out.printf("%s (grace %s): %s %s%n", dry ? "dry run, nothing deleted" : "garbage collected",
                report.grace(), dry ? "would reclaim" : "reclaimed", ProgressBar.bytes(report.reclaimedBytes()));
        TextTable table = new TextTable("WHAT", dry ? "WOULD GO" : "DELETED").alignRight(1);
        table.row("unreferenced blobs", report.deletedBlobs() + " (" + ProgressBar.bytes(report.deletedBlobBytes())
                + ")");
        table.row("unfinished uploads", report.abortedUploads());
        table.row("staged objects", report.stagedObjects());
        table.row("expired leases", report.leases());
        table.print(out, "  ");
        if (!report.complete()) out.println("the run stopped at its time limit; run it again to finish");
        out.flush();
        return 0;
    }
}
