package dev.berth.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * JUnit's {@code @TempDir}s, made as JUnit's standard factory makes them ({@code /tmp/junitNNN}),
 * and remembered: a process that still works in one of them after its test class ended was left
 * behind by that class ({@link LeftoverProcesses}). Set as the default factory in
 * junit-platform.properties.
 */
public final class TrackedTempDirs implements TempDirFactory {

  private static final Set<String> CREATED = ConcurrentHashMap.newKeySet();

  @Override
  public Path createTempDirectory(
      AnnotatedElementContext elementContext, ExtensionContext extensionContext) throws Exception {
    Path dir = Files.createTempDirectory("junit");
    CREATED.add(dir.toRealPath().toString());
    return dir;
  }

  /** The directories made since the last call (the test classes run one after the other). */
  static List<String> takeCreated() {
    List<String> taken = List.copyOf(CREATED);
    CREATED.removeAll(taken);
    return taken;
  }
}
