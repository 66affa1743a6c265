package io.quanthub.cli;

import io.quanthub.hub.api.DeletedUser;
import io.quanthub.hub.api.User;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code quanthub admin user create|list|delete}. */
@Command(name = "user", mixinStandardHelpOptions = true,
        description = "Users: each owns the namespace of its name and its tokens.",
        subcommands = {AdminUserCommand.Create.class, AdminUserCommand.ListUsers.class, AdminUserCommand.Delete.class})
public final class AdminUserCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user (then give it a token: quanthub token create --user NAME ...).")
    static final class Create implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "NAME", description = "The user name (also its namespace).")
        String name;

        @Option(names = "--admin", description = "Make the user a hub administrator.")
        boolean admin;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            User user = hub.connect().createUser(name, admin);
            return AdminCommand.say(spec, "created " + (user.admin() ? "hub administrator " : "user ") + user.name());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            List<User> users = hub.connect().users();
            TextTable table = new TextTable("NAME", "ADMIN", "CREATED BY", "CREATED");
            for (User u : users) {
                table.row(u.name(), u.admin() ? "yes" : "no", u.createdBy(), Objects.toString(u.created(), null));
            }
            PrintWriter out = spec.commandLine().getOut();
            table.print(out, "");
            out.flush();
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a user, its memberships and its tokens (its repositories stay, for admins only).")
    static final class Delete implements Callable<Integer> {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            DeletedUser deleted = hub.connect().deleteUser(name);
            return AdminCommand.say(spec, "deleted user " + deleted.name() + " (" + deleted.tokensRevoked()
                    + " tokens revoked)");
        }
    }
}
