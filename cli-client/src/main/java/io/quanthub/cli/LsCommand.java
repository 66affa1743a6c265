package io.quanthub.cli;

import io.quanthub.cli.hub.HubClient;
import io.quanthub.cli.hub.ModelRef;
import io.quanthub.cli.hub.Sha256;
import io.quanthub.hub.api.QuantTable;
import io.quanthub.hub.api.RepoDetails;
import io.quanthub.hub.api.RepoFile;
import io.quanthub.hub.api.RepoSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code quanthub ls [org/name]}: the hub's repositories, or the files of one. */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = "List the hub's repositories (name, architecture, size, last update), or the files of one.")
public final class LsCommand implements Callable<Integer> {
    private static final DateTimeFormatter UPDATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")
            .withZone(ZoneOffset.UTC);

    @Mixin
    HubOptions hub;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "org/name[@revision]: list this repository's files (default revision: main).")
    String model;

    @Option(names = "--search", paramLabel = "TEXT", description = "Only repositories whose name contains TEXT.")
    String search;

    @Option(names = "--limit", paramLabel = "N", description = "At most N repositories.")
    Integer limit;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        HubClient client = hub.connect();
        PrintWriter out = spec.commandLine().getOut();
        if (model == null) {
            listRepos(out, client.models(search, limit));
        } else {
            ModelRef ref = ModelRef.parse(model);
            if (ref.quant() != null) {
                throw new IllegalArgumentException("ls takes org/name[@revision]; see quant levels with 'quanthub info "
                        + ref + "'");
            }
            RepoDetails details = client.model(ref.repo(), ref.revisionOrDefault());
            listFiles(out, ref, details, details.sha() == null ? List.of()
                    : InfoCommand.produced(client.quants(ref.repo(), details.sha()), details));
        }
        out.flush();
        return 0;
    }

    static void listRepos(PrintWriter out, List<RepoSummary> repos) {
        if (repos.isEmpty()) {
            out.println("no repositories");
            return;
        }
        TextTable table = new TextTable("NAME", "ARCHITECTURE", "SIZE", "UPDATED").alignRight(2);
        for (RepoSummary r : repos) {
            table.row(r.id() + (r.isPrivate() ? " (private)" : ""), r.architecture(),
                    r.size() == null ? null : ProgressBar.bytes(r.size()), updated(r.lastModified()));
        }
        table.print(out, "");
    }

    /**
     * The commit's files, then the quant levels the hub produced from its source ({@code produced}): files of the
     * revision too ({@code pull org/name:QUANT} fetches them), though no commit lists them.
     */
    static void listFiles(PrintWriter out, ModelRef ref, RepoDetails details, List<QuantTable.Level> produced) {
        out.printf("%s@%s (commit %s): %d files, %s%s%n", ref.repo(), ref.revisionOrDefault(),
                Sha256.shortHex(details.sha()), details.files().size(), ProgressBar.bytes(details.totalSize()),
                produced.isEmpty() ? "" : "; " + produced.size() + " quant level" + (produced.size() == 1 ? "" : "s")
                        + " produced by the hub");
        if (details.files().isEmpty() && produced.isEmpty()) return;
        TextTable table = new TextTable("PATH", "SIZE", "SHA256", "").alignRight(1);
        for (RepoFile f : details.files()) {
            table.row(f.path(), ProgressBar.bytes(f.size()), Sha256.shortHex(f.sha256()), "");
        }
        for (QuantTable.Level level : produced) {
            RepoFile f = level.file().orElseThrow();
            table.row(f.path(), ProgressBar.bytes(f.size()), Sha256.shortHex(f.sha256()),
                    "produced by the hub (pull " + ref.repo() + ":" + level.quant() + ")");
        }
        table.print(out, "  ");
    }

    /** An instant as "yyyy-MM-dd HH:mm" UTC. */
    static String updated(Instant time) {
        return time == null ? null : UPDATED.format(time);
    }
}
