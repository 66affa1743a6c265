package io.quanthub.cli;

/**
 * A top-level {@code quanthub} command from a module the CLI does not depend on, found on the class path with
 * {@link java.util.ServiceLoader}: the bench module's {@code quanthub bench}, so the benchmarks stay out of the
 * product's jars and the launcher adds them when they are built. Implementations are picocli {@code @Command} classes
 * with a public no-argument constructor, listed in {@code META-INF/services/io.quanthub.cli.ExtraCommand}.
 */
public interface ExtraCommand {
}
