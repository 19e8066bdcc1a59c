package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.process.CommandException;
import dev.berth.process.CommandResult;
import dev.berth.process.ShortCommand;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Where a release's code comes from, and how it is fetched into the release's directory:
 *
 * <ul>
 *   <li>a <b>git repository</b>: a URL ({@code https://}, {@code ssh://}, {@code git://}, {@code
 *       file://}, {@code user@host:path}), a bare repository, or any repository directory when a
 *       ref is given; cloned with the system {@code git}, checked out at the ref (default: its
 *       HEAD), its {@code .git} removed; the commit is the revision;
 *   <li>a <b>tarball</b> ({@code .tar}, {@code .tar.gz}, {@code .tgz}): unpacked with the system
 *       {@code tar}; a single top-level directory (as in GitHub's tarballs) is the tree;
 *   <li>a <b>directory</b>: copied as it is, uncommitted changes included, without its top-level
 *       {@code .git} and {@code .env}, without berth's state directory if it is inside, and without
 *       what its {@code .berthignore} (else {@code .gitignore}) leaves out; when it is in a git
 *       work tree, the revision is HEAD's commit, with {@code -dirty} if {@code git status} shows
 *       changes under it.
 * </ul>
 */
final class Source {

  /** A URL git understands, or scp-like {@code user@host:path}. */
  private static final Pattern URL =
      Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://.+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.+)$");

  private static final List<String> TARBALLS = List.of(".tar", ".tar.gz", ".tgz");
  private static final Duration GIT_QUICK = Duration.ofSeconds(30);

  enum Kind {
    GIT,
    TARBALL,
    DIRECTORY
  }

  private final String location;
  private final Kind kind;
  private final String ref;

  private Source(String location, Kind kind, String ref) {
    this.location = location;
    this.kind = kind;
    this.ref = ref;
  }

  /**
   * What was fetched: how to describe it, its revision (or null), its size, and what a directory's
   * ignore file left out ("3 left out by .berthignore", or null).
   */
  record Fetched(String description, String revision, long bytes, long files, String leftOut) {}

  /**
   * Decides what {@code location} is.
   *
   * @param ref a branch, tag or commit to check out (git only), or null for HEAD
   * @throws IllegalArgumentException with a one-line reason, when it is none of the kinds
   */
  static Source of(String location, String ref) {
    requireNonNull(location, "location");
    if (URL.matcher(location).matches()) {
      return new Source(location, Kind.GIT, ref);
    }
    Path path = Path.of(location);
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException(location + ": expected an absolute path or a git URL");
    }
    if (Files.isRegularFile(path)) {
      String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
      if (TARBALLS.stream().noneMatch(name::endsWith)) {
        throw new IllegalArgumentException(
            location + ": a file, but not a .tar, .tar.gz or .tgz tarball");
      }
      if (ref != null) {
        throw new IllegalArgumentException(location + ": --ref is for git sources, not tarballs");
      }
      return new Source(location, Kind.TARBALL, null);
    }
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(location + ": no such file or directory");
    }
    // A bare repository has no work tree to copy; a ref asks for a commit, not the files as they
    // are.
    if (ref != null || bare(path)) {
      if (!isRepository(path)) {
        throw new IllegalArgumentException(location + ": --ref given, but not a git repository");
      }
      return new Source(location, Kind.GIT, ref);
    }
    return new Source(location, Kind.DIRECTORY, null);
  }

  Kind kind() {
    return kind;
  }

  /** "/srv/blog", "https://host/blog.git@v2"... as releases list it. */
  String describe() {
    return ref == null ? location : location + "@" + ref;
  }

  /**
   * Fetches the tree into {@code into}, an empty directory.
   *
   * @param exclude a directory not to copy when it is inside a directory source (berth's state dir)
   * @param output gets git's and tar's messages
   * @throws DeployException with the reason and the tool's last lines
   */
  Fetched fetch(Path into, Path exclude, Duration timeout, Consumer<String> output)
      throws DeployException, IOException {
    String revision = null;
    String leftOut = null;
    switch (kind) {
      case DIRECTORY -> {
        Path dir = Path.of(location);
        leftOut = new FolderTree(dir, exclude).copyInto(into).describe();
        revision = workTreeRevision(dir);
      }
      case TARBALL -> {
        run(
            List.of("tar", "-x", "--no-same-owner", "-f", location, "-C", into.toString()),
            timeout,
            output,
            "tar");
        hoistSingleDirectory(into);
      }
      case GIT -> {
        revision = clone(into, timeout, output);
      }
    }
    long[] size = size(into);
    return new Fetched(describe(), revision, size[0], size[1], leftOut);
  }

  private String clone(Path into, Duration timeout, Consumer<String> output)
      throws DeployException, IOException {
    run(
        git("clone", "--quiet", "--no-hardlinks", location, into.toString()),
        timeout,
        output,
        "git clone");
    String wanted = ref == null ? "HEAD" : ref;
    Optional<String> commit = resolve(into, wanted);
    if (commit.isEmpty() && ref != null) {
      commit = resolve(into, "origin/" + ref);
    }
    if (commit.isEmpty()) {
      throw new DeployException("ref \"" + wanted + "\" not found in " + location, List.of());
    }
    run(
        git("-C", into.toString(), "checkout", "--quiet", "--detach", commit.get()),
        timeout,
        output,
        "git checkout");
    Releases.delete(into.resolve(".git"));
    return commit.get();
  }

  private static Optional<String> resolve(Path repo, String ref) throws IOException {
    Output out =
        quiet(git("-C", repo.toString(), "rev-parse", "--verify", "--quiet", ref + "^{commit}"));
    return out.ok() && !out.text().isBlank() ? Optional.of(out.text().strip()) : Optional.empty();
  }

  /**
   * HEAD of the work tree the directory is in, with -dirty when it has changes under the directory;
   * or null.
   */
  private static String workTreeRevision(Path dir) throws IOException {
    Output head = quiet(git("-C", dir.toString(), "rev-parse", "--verify", "--quiet", "HEAD"));
    if (!head.ok() || head.text().isBlank()) {
      return null;
    }
    Output status = quiet(git("-C", dir.toString(), "status", "--porcelain", "--", "."));
    boolean dirty = !status.ok() || !status.text().isBlank();
    return head.text().strip() + (dirty ? "-dirty" : "");
  }

  private static boolean bare(Path dir) {
    try {
      Output out = quiet(git("-C", dir.toString(), "rev-parse", "--is-bare-repository"));
      return out.ok() && out.text().strip().equals("true");
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isRepository(Path dir) {
    try {
      return quiet(git("-C", dir.toString(), "rev-parse", "--git-dir")).ok();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * git as berth runs it: never prompting (no terminal: it runs in a session of its own, and
   * GIT_TERMINAL_PROMPT=0), and trusting the repository it was pointed at even when another user
   * owns it (berth only reads it).
   */
  private static List<String> git(String... args) {
    List<String> argv = new ArrayList<>(List.of("git", "-c", "safe.directory=*"));
    argv.addAll(List.of(args));
    return argv;
  }

  private record Output(boolean ok, String text) {}

  /**
   * A short git query: its standard output, whether it exited 0 (not when it did not answer in
   * time).
   */
  private static Output quiet(List<String> argv) throws IOException {
    try {
      CommandResult result =
          ShortCommand.of(argv).env("GIT_TERMINAL_PROMPT", "0").timeout(GIT_QUICK).run();
      return new Output(result.ok(), result.stdout());
    } catch (CommandException e) {
      if (e.reason() == CommandException.Reason.NOT_STARTED) {
        throw e;
      }
      return new Output(false, "");
    }
  }

  /**
   * Runs a tool in a session of its own (no terminal to prompt on); its output lines go to {@code
   * output}.
   */
  private static void run(List<String> argv, Duration timeout, Consumer<String> output, String what)
      throws DeployException, IOException {
    try {
      ShortCommand.of(argv)
          .named(what)
          .env("GIT_TERMINAL_PROMPT", "0")
          .mergeStderr()
          .onLine(output)
          .timeout(timeout)
          .check();
    } catch (CommandException e) {
      switch (e.reason()) {
        case FAILED ->
            throw new DeployException(
                what + " exited with code " + e.exitCode().orElseThrow(), e.lastLines());
        case TIMED_OUT ->
            throw new DeployException(
                what + " did not finish in " + timeout.toSeconds() + "s", e.lastLines());
        default -> throw e;
      }
    }
  }

  /**
   * A tarball whose only entry is a directory (as GitHub's are): that directory's content is the
   * tree.
   */
  private static void hoistSingleDirectory(Path into) throws IOException {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(into)) {
      stream.forEach(entries::add);
    }
    if (entries.size() != 1 || !Files.isDirectory(entries.get(0), LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path top = entries.get(0);
    Path aside = into.resolveSibling(into.getFileName() + ".top");
    Releases.delete(aside);
    Files.move(top, aside, StandardCopyOption.ATOMIC_MOVE);
    Files.delete(into);
    Files.move(aside, into, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Bytes and files (regular files) in a tree. */
  private static long[] size(Path tree) throws IOException {
    long[] size = new long[2];
    Files.walkFileTree(
        tree,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
              size[0] += attrs.size();
              size[1]++;
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return size;
  }
}
