package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The releases of one app on disk, under {@code <state_dir>/apps/APP/}:
 *
 * <pre>
 * releases/7/          the release's source tree, which its processes run from
 * releases/7.json      its metadata (number, time, source, revision, config hash, phase times,
 *                      and, for a release made from the app's folder, the folder's fingerprint)
 * releases/7.files     what it was made of, before its build ({@link TreeManifest})
 * releases/8 -> 7      a config release ({@code berth env set}): the code of release 7, new env
 * releases/.incoming-9 a release being fetched (renamed to releases/9 once complete)
 * env/7.json           the {@code berth env set} variables in force when 7 was made ({@link
 *                      ReleaseEnv}: 0600 in a 0700 directory)
 * current -> releases/8
 * </pre>
 *
 * A release exists once its metadata is written, which a deploy does only when it succeeded: a
 * failed deploy's directory is removed. {@code current} is replaced atomically (a new symlink
 * renamed over it).
 *
 * <p>A config release has no code of its own: its directory is a symlink to the directory of the
 * code release whose code it runs ({@link #dir} resolves it), so {@code current}, {@code berth run}
 * and the processes' directory stay the code's. Pruning keeps a pruned code release's directory
 * while a kept release runs it (its metadata goes, so it is no longer listed).
 */
public final class Releases {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NUMBER = Pattern.compile("[1-9][0-9]{0,8}");
  private static final Pattern METADATA = Pattern.compile("([1-9][0-9]{0,8})\\.json");
  static final String INCOMING = ".incoming-";

  private final Path appDir;
  private final Path releasesDir;

  /** What made a release: a deploy (new code), or {@code berth env set/unset} (new config). */
  public enum Kind {
    CODE,
    CONFIG;

    String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One release's record. Revision, and the phases' durations, may be null. A config release names
   * the release whose code it runs ({@code code}) and what changed ({@code changes}, names only:
   * "set DATABASE_URL; unset DEBUG"); a code release has neither.
   */
  public record Release(
      int number,
      Instant created,
      String source,
      String revision,
      String configHash,
      Double buildSeconds,
      Double releaseSeconds,
      String fingerprint,
      Kind kind,
      Integer code,
      String changes) {
    public Release {
      requireNonNull(created, "created");
      requireNonNull(source, "source");
      requireNonNull(configHash, "configHash");
      requireNonNull(kind, "kind");
      if ((kind == Kind.CONFIG) != (code != null)) {
        throw new IllegalArgumentException("a config release, and only one, names its code");
      }
    }

    /** A code release: what a deploy, or a copy of the app's folder, makes. */
    public Release(
        int number,
        Instant created,
        String source,
        String revision,
        String configHash,
        Double buildSeconds,
        Double releaseSeconds,
        String fingerprint) {
      this(
          number,
          created,
          source,
          revision,
          configHash,
          buildSeconds,
          releaseSeconds,
          fingerprint,
          Kind.CODE,
          null,
          null);
    }

    /** The same release with the times its phases took (a phase run for it later). */
    Release withTimes(Double buildSeconds, Double releaseSeconds) {
      return new Release(
          number,
          created,
          source,
          revision,
          configHash,
          buildSeconds,
          releaseSeconds,
          fingerprint,
          kind,
          code,
          changes);
    }

    /**
     * Whether it was copied from {@code dir}, the app's folder, as the folder was when it had
     * {@code fingerprint} ({@link FolderTree#fingerprint}).
     */
    boolean madeFrom(Path dir, String fingerprint) {
      return this.fingerprint != null
          && this.fingerprint.equals(fingerprint)
          && source.equals(dir.toString());
    }

    /**
     * Its fields by their JSON names, in order: as {@code N.json} and the control reply hold them.
     */
    public Map<String, Object> fields() {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("number", number);
      fields.put("created", created.toString());
      fields.put("source", source);
      fields.put("revision", revision);
      fields.put("config_hash", configHash);
      fields.put("build_seconds", buildSeconds);
      fields.put("release_seconds", releaseSeconds);
      fields.put("fingerprint", fingerprint);
      fields.put("kind", kind.json());
      fields.put("code", code);
      fields.put("changes", changes);
      return fields;
    }
  }

  /**
   * The releases of {@code app} under {@code stateDir}. Nothing is created before the first deploy.
   */
  public Releases(Path stateDir, String app) {
    this.appDir = stateDir.resolve("apps").resolve(requireNonNull(app, "app"));
    this.releasesDir = appDir.resolve("releases");
  }

  /**
   * The directory a release's processes run from: its own, or for a config release the directory of
   * the release whose code it runs.
   */
  public Path dir(int number) {
    return releasesDir.resolve(Integer.toString(code(number)));
  }

  /**
   * The release whose directory release {@code number} runs: itself, or the code release its
   * symlink names.
   */
  public int code(int number) {
    Path own = releasesDir.resolve(Integer.toString(number));
    if (Files.isSymbolicLink(own)) {
      try {
        String target = Files.readSymbolicLink(own).toString();
        if (NUMBER.matcher(target).matches()) {
          return Integer.parseInt(target);
        }
      } catch (IOException e) {
        // Gone meanwhile (pruned): as a release of its own, which does not exist.
      }
    }
    return number;
  }

  /** The number the current symlink points at, if there is one. */
  public OptionalInt current() {
    Path link = appDir.resolve("current");
    try {
      Path target = Files.readSymbolicLink(link);
      Path name = target.getFileName();
      if (name != null && NUMBER.matcher(name.toString()).matches()) {
        return OptionalInt.of(Integer.parseInt(name.toString()));
      }
    } catch (NoSuchFileException | java.nio.file.NotLinkException e) {
      // No deploy yet.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + link + ": " + e.getMessage(), e);
    }
    return OptionalInt.empty();
  }

  /**
   * The number of the release an app's processes run from {@code dir} belongs to, from the path
   * alone ({@code <state_dir>/apps/APP/releases/N}): empty for any other directory.
   */
  public static OptionalInt number(Path dir) {
    Path name = dir.getFileName();
    Path releases = dir.getParent();
    Path app = releases == null ? null : releases.getParent();
    Path apps = app == null ? null : app.getParent();
    if (name == null
        || apps == null
        || !NUMBER.matcher(name.toString()).matches()
        || !releases.getFileName().toString().equals("releases")
        || !String.valueOf(apps.getFileName()).equals("apps")) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(Integer.parseInt(name.toString()));
  }

  /** Every recorded release, oldest first. */
  public List<Release> list() {
    List<Release> releases = new ArrayList<>();
    if (!Files.isDirectory(releasesDir)) {
      return releases;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(releasesDir, "*.json")) {
      for (Path entry : entries) {
        Matcher m = METADATA.matcher(entry.getFileName().toString());
        if (m.matches() && Files.isDirectory(dir(Integer.parseInt(m.group(1))))) {
          read(entry).ifPresent(releases::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + releasesDir + ": " + e.getMessage(), e);
    }
    releases.sort(Comparator.comparingInt(Release::number));
    return releases;
  }

  /** The recorded release with this number, if it exists. */
  public Optional<Release> find(int number) {
    return list().stream().filter(r -> r.number() == number).findFirst();
  }

  /** The next release's number: one more than any release, directory or metadata there is. */
  int next() throws IOException {
    int max = 0;
    if (Files.isDirectory(releasesDir)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(releasesDir)) {
        for (Path entry : entries) {
          String name = entry.getFileName().toString();
          Matcher m = METADATA.matcher(name);
          if (m.matches()) {
            max = Math.max(max, Integer.parseInt(m.group(1)));
          } else if (NUMBER.matcher(name).matches()) {
            max = Math.max(max, Integer.parseInt(name));
          }
        }
      }
    }
    return max + 1;
  }

  /**
   * An empty directory to fetch release {@code number} into; what an interrupted deploy left is
   * removed first. The directories above it are created: {@code traversable} makes them passable
   * (x, not r) for other users, whom a root berth runs apps as; each release's own directory is
   * private to the app's user.
   */
  Path incoming(int number, boolean traversable) throws IOException {
    String mode = traversable ? "rwx--x--x" : "rwx------";
    for (Path dir : List.of(appDir.getParent(), appDir, releasesDir)) {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(releasesDir, INCOMING + "*")) {
      for (Path left : entries) {
        delete(left);
      }
    }
    Path dir = releasesDir.resolve(INCOMING + number);
    Files.createDirectory(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return dir;
  }

  /**
   * The release that processes running from {@code dir} run: the current one when {@code dir} is
   * its code's directory (a config release runs the directory of the release whose code it has),
   * else the release whose own directory it is; empty for a directory outside this app's releases.
   */
  public OptionalInt runFrom(Path dir) {
    OptionalInt current = current();
    if (current.isPresent() && dir(current.getAsInt()).equals(dir)) {
      return current;
    }
    return releasesDir.equals(dir.getParent()) ? number(dir) : OptionalInt.empty();
  }

  /**
   * Where release {@code number}'s manifest is: what its code was made of ({@link TreeManifest}).
   */
  Path files(int number) {
    return releasesDir.resolve(code(number) + ".files");
  }

  /** The private record of the env overrides in force when each release was made. */
  ReleaseEnv env() {
    return new ReleaseEnv(appDir.resolve("env"));
  }

  /**
   * Makes release {@code number} run the code that release {@code of} runs: a symlink to that
   * directory, never a copy.
   */
  void runCodeOf(int number, int of) throws IOException {
    Path link = releasesDir.resolve(Integer.toString(number));
    delete(link);
    Files.createSymbolicLink(link, Path.of(Integer.toString(code(of))));
  }

  /**
   * Makes a fetched tree release {@code number}'s directory, and records what it holds before a
   * build adds to it.
   */
  Path adopt(Path fetched, int number) throws IOException {
    Path dir = releasesDir.resolve(Integer.toString(number));
    delete(dir);
    TreeManifest.of(fetched).write(files(number));
    Files.move(fetched, dir, StandardCopyOption.ATOMIC_MOVE);
    return dir;
  }

  /** Writes the release's metadata (mode 0600, written aside and renamed). */
  void record(Release release) throws IOException {
    Path file = releasesDir.resolve(release.number() + ".json");
    Path temp = releasesDir.resolve(release.number() + ".json.tmp");
    Files.deleteIfExists(temp);
    Files.createFile(
        temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(release.fields()));
    move(temp, file);
  }

  /** Points {@code current} at the release: a new symlink, renamed over the old one. */
  void markCurrent(int number) throws IOException {
    Path link = appDir.resolve("current");
    Path temp = appDir.resolve("current.tmp");
    Files.deleteIfExists(temp);
    Files.createSymbolicLink(temp, Path.of("releases", Integer.toString(number)));
    move(temp, link);
  }

  /**
   * Removes the oldest releases beyond the newest {@code keep}, never the current one.
   *
   * @return the numbers removed
   */
  List<Integer> prune(int keep) throws IOException {
    return prune(keep, OptionalInt.empty());
  }

  /** {@link #prune(int)}, keeping release {@code spared} this time too. */
  List<Integer> prune(int keep, OptionalInt spared) throws IOException {
    List<Release> all = list();
    OptionalInt current = current();
    List<Integer> removed = new ArrayList<>();
    for (int i = 0; i < all.size() - keep; i++) {
      int number = all.get(i).number();
      if ((current.isPresent() && current.getAsInt() == number)
          || (spared.isPresent() && spared.getAsInt() == number)) {
        continue;
      }
      removed.add(number);
    }
    // A kept config release may run a pruned release's code: that directory stays, unlisted.
    java.util.Set<Integer> running = new java.util.HashSet<>();
    for (Release release : all) {
      if (!removed.contains(release.number())) {
        running.add(code(release.number()));
      }
    }
    current.ifPresent(number -> running.add(code(number)));
    for (int number : removed) {
      if (running.contains(number)) {
        Files.deleteIfExists(releasesDir.resolve(number + ".json"));
        env().discard(number);
      } else {
        discard(number);
      }
    }
    sweep(running, current);
    return removed;
  }

  /**
   * Removes the directories that only a pruned config release ran: unlisted (no metadata), and run
   * by no release left.
   */
  private void sweep(java.util.Set<Integer> running, OptionalInt current) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(releasesDir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!NUMBER.matcher(name).matches() || Files.isSymbolicLink(entry)) {
          continue;
        }
        int number = Integer.parseInt(name);
        if (!running.contains(number)
            && !(current.isPresent() && current.getAsInt() == number)
            && !Files.exists(releasesDir.resolve(name + ".json"))) {
          discard(number);
        }
      }
    }
  }

  /**
   * The regular files in release {@code release}'s directory modified after it was recorded: what
   * its app wrote into it (code and build output are older), which a newer release does not have.
   * At most {@code limit} paths, relative to the release; {@code total} has how many there are.
   */
  List<String> writtenSince(Release release, int limit, long[] total) throws IOException {
    Path dir = dir(release.number());
    List<String> found = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return found;
    }
    // A config release runs older code: what the app wrote since that code's release was made.
    Instant since =
        release.code() == null
            ? release.created()
            : find(release.code()).map(Release::created).orElse(release.created());
    java.nio.file.attribute.FileTime made = java.nio.file.attribute.FileTime.from(since);
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile() && attrs.lastModifiedTime().compareTo(made) > 0) {
              total[0]++;
              if (found.size() < limit) {
                found.add(dir.relativize(file).toString());
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE;
          }
        });
    return found;
  }

  /**
   * Removes a release's directory (a config release's symlink, not the code it names), metadata and
   * env record.
   */
  void discard(int number) throws IOException {
    Files.deleteIfExists(releasesDir.resolve(number + ".json"));
    Files.deleteIfExists(releasesDir.resolve(number + ".files"));
    env().discard(number);
    delete(releasesDir.resolve(Integer.toString(number)));
  }

  private Optional<Release> read(Path file) {
    try {
      JsonNode node = JSON.readTree(file.toFile());
      return Optional.of(
          new Release(
              node.path("number").asInt(),
              Instant.parse(node.path("created").asText()),
              node.path("source").asText(""),
              node.path("revision").isTextual() ? node.path("revision").asText() : null,
              node.path("config_hash").asText(""),
              node.path("build_seconds").isNumber() ? node.path("build_seconds").asDouble() : null,
              node.path("release_seconds").isNumber()
                  ? node.path("release_seconds").asDouble()
                  : null,
              node.path("fingerprint").isTextual() ? node.path("fingerprint").asText() : null,
              node.path("kind").asText("").equals(Kind.CONFIG.json()) ? Kind.CONFIG : Kind.CODE,
              node.path("kind").asText("").equals(Kind.CONFIG.json())
                  ? node.path("code").asInt()
                  : null,
              node.path("changes").isTextual() ? node.path("changes").asText() : null));
    } catch (IOException | RuntimeException e) {
      // Half-written by a berth that was killed, or edited by hand: not a release.
      return Optional.empty();
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Deletes a tree, symlinks as links. A build may leave directories without write permission (Go's
   * module cache does): they are made writable first.
   */
  static void delete(Path tree) throws IOException {
    if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        tree,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
