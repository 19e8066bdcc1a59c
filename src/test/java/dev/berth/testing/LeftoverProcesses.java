package dev.berth.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class that leaves a process running fails, naming it; the process is killed. Registered
 * for every class (META-INF/services, with autodetection on in junit-platform.properties).
 *
 * <p>A process counts as the class's when, after the class, it is still running and
 *
 * <ul>
 *   <li>descends from this JVM, or
 *   <li>carries this JVM's {@link #MARKER} in its environment (the test helpers that start
 *       processes set it, and berth passes its environment on to the apps), which finds processes
 *       that left the tree (setsid, double fork), or
 *   <li>names one of the class's {@code @TempDir}s in its command line, environment or working
 *       directory ({@link TrackedTempDirs}).
 * </ul>
 *
 * Processes that matched before the class started are not its own. One that is on its way out
 * (stopped by the test, not yet gone) gets a few seconds. Other JVMs' processes never match, so
 * that suites running side by side do not blame each other.
 */
public final class LeftoverProcesses implements BeforeAllCallback, AfterAllCallback {

  /** The variable that marks the processes this JVM's tests start. */
  public static final String MARKER = "BERTH_TEST_RUN";

  private static final Proc SELF = Proc.of(ProcessHandle.current().pid()).orElseThrow();
  private static final String RUN = SELF.pid() + "@" + SELF.startTicks();
  private static final Duration GRACE = Duration.ofSeconds(10);

  /** Marks the processes {@code builder} starts (and their descendants) as this test run's. */
  public static ProcessBuilder mark(ProcessBuilder builder) {
    builder.environment().put(MARKER, RUN);
    return builder;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (topLevel(context)) {
      store(context).put("before", suspects(List.of()));
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (!topLevel(context)) {
      return;
    }
    Set<?> before = Optional.ofNullable(store(context).get("before", Set.class)).orElse(Set.of());
    Set<Proc> left = suspects(TrackedTempDirs.takeCreated());
    left.removeAll(before);
    if (left.isEmpty()) {
      return;
    }
    try {
      Await.until(
          "processes left by the test to end", GRACE, () -> left.stream().noneMatch(Proc::running));
      return;
    } catch (AssertionError stillRunning) {
      // Named, then killed, below.
    }
    List<String> named = new ArrayList<>();
    for (Proc process : left) {
      if (process.running()) {
        named.add(
            "pid "
                + process.pid()
                + " (parent "
                + process.parent()
                + "): "
                + process.commandLine());
      }
    }
    left.forEach(Proc::kill);
    if (!named.isEmpty()) {
      throw new AssertionError(
          context.getDisplayName()
              + " left "
              + named.size()
              + " process(es) running (now killed):\n  "
              + String.join("\n  ", named));
    }
  }

  /** Running processes that this JVM started or that work in {@code tempDirs}. */
  private static Set<Proc> suspects(Collection<String> tempDirs) {
    Set<Proc> found = new LinkedHashSet<>();
    ProcessHandle.current()
        .descendants()
        .map(handle -> Proc.of(handle.pid()))
        .flatMap(Optional::stream)
        .filter(Proc::running)
        .forEach(found::add);
    List<String> signs = new ArrayList<>(tempDirs);
    signs.add(MARKER + "=" + RUN + "\0");
    Proc.all().stream()
        .filter(p -> !p.equals(SELF) && !found.contains(p))
        .filter(p -> p.mentionsAny(signs))
        .forEach(found::add);
    return found;
  }

  private static boolean topLevel(ExtensionContext context) {
    return context.getTestClass().map(c -> !c.isAnnotationPresent(Nested.class)).orElse(false);
  }

  private static ExtensionContext.Store store(ExtensionContext context) {
    return context.getStore(
        ExtensionContext.Namespace.create(LeftoverProcesses.class, context.getUniqueId()));
  }
}
