package io.quanthub.cli;

import io.quanthub.hub.api.Membership;
import io.quanthub.hub.api.Org;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code quanthub admin org create|list|delete|add-member|remove-member}. */
@Command(name = "org", mixinStandardHelpOptions = true,
        description = "Organisations: namespaces their members share (role write: create and push; read: see private "
                + "repositories).",
        subcommands = {AdminOrgCommand.Create.class, AdminOrgCommand.ListOrgs.class, AdminOrgCommand.Delete.class,
                AdminOrgCommand.AddMember.class, AdminOrgCommand.RemoveMember.class})
public final class AdminOrgCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an organisation.")
    static final class Create implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "NAME", description = "The organisation name (also its namespace).")
        String name;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            return AdminCommand.say(spec, "created organisation " + hub.connect().createOrg(name).name());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List organisations and their members.")
    static final class ListOrgs implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            TextTable table = new TextTable("NAME", "MEMBERS");
            for (Org org : hub.connect().orgs()) {
                List<String> members = new ArrayList<>();
                if (org.members() != null) {
                    org.members().forEach((user, role) -> members.add(user + " (" + role + ")"));
                }
                table.row(org.name(), members.isEmpty() ? null : String.join(", ", members));
            }
            PrintWriter out = spec.commandLine().getOut();
            table.print(out, "");
            out.flush();
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete an organisation and its memberships (its repositories stay, for admins only).")
    static final class Delete implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            hub.connect().deleteOrg(name);
            return AdminCommand.say(spec, "deleted organisation " + name);
        }
    }

    @Command(name = "add-member", mixinStandardHelpOptions = true,
            description = "Add a user to an organisation, or change its role.")
    static final class AddMember implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Parameters(index = "1", paramLabel = "USER")
        String user;

        @Option(names = "--role", paramLabel = "ROLE", defaultValue = "write",
                description = "write (create and push, the default) or read (see private repositories).")
        String role;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Membership m = hub.connect().setMember(org, user, role);
            return AdminCommand.say(spec, m.user() + " is a member of " + m.org() + " (" + m.role() + ")");
        }
    }

    @Command(name = "remove-member", mixinStandardHelpOptions = true,
            description = "Remove a user from an organisation; every hub applies it within a second.")
    static final class RemoveMember implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Parameters(index = "1", paramLabel = "USER")
        String user;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            hub.connect().removeMember(org, user);
            return AdminCommand.say(spec, user + " is no longer a member of " + org);
        }
    }
}
