package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What an app's folder has that the release it runs does not: edits not deployed yet, which {@code
 * berth restart} (the same release again) does not make live. The folder is compared as a deploy
 * would copy it ({@link FolderTree}) with what the release was made of ({@link TreeManifest}), by
 * size and content: a file whose size and time are as recorded is taken as it was, as git and rsync
 * do, any other is hashed, so a touch is no change. A release an earlier berth made has no
 * manifest: its directory is compared instead, and what the folder lost cannot be told from a
 * build's output there, so removals are not counted.
 *
 * @param folder the app's folder (its configured {@code dir})
 * @param release the release it runs
 * @param source where that release came from, when not from the folder (a git push, a tarball, a
 *     rollback to a release of another directory); else null
 * @param changed paths in both whose content differs, sorted
 * @param added paths only the folder has, sorted
 * @param removed paths only the release was made with, sorted
 */
public record FolderChanges(
    Path folder,
    int release,
    String source,
    List<String> changed,
    List<String> added,
    List<String> removed) {

  /** How many paths a message names. */
  static final int NAMED = 5;

  public FolderChanges {
    requireNonNull(folder, "folder");
    changed = List.copyOf(changed);
    added = List.copyOf(added);
    removed = List.copyOf(removed);
  }

  /**
   * How the app's folder differs from its current release; empty when it does not, when it has no
   * release, when its folder is not where its code comes from (no release was ever made from it:
   * deployed by git push only, say), or when the folder cannot be read.
   */
  public static Optional<FolderChanges> of(App definition, Path stateDir) {
    requireNonNull(definition, "definition");
    requireNonNull(stateDir, "stateDir");
    Path folder = definition.run().dir();
    try {
      Releases releases = new Releases(stateDir, definition.name());
      OptionalInt current = releases.current();
      if (current.isEmpty()) {
        return Optional.empty();
      }
      List<Releases.Release> all = releases.list();
      if (all.stream().noneMatch(r -> r.source().equals(folder.toString()))) {
        return Optional.empty();
      }
      int number = current.getAsInt();
      Path dir = releases.dir(number);
      if (!Files.isDirectory(dir)) {
        return Optional.empty();
      }
      String source =
          all.stream()
              .filter(r -> r.number() == number)
              .map(Releases.Release::source)
              .filter(s -> !s.equals(folder.toString()))
              .findFirst()
              .orElse(null);
      FolderChanges changes =
          compare(folder, stateDir, TreeManifest.read(releases.files(number)), dir, number, source);
      return changes.none() ? Optional.empty() : Optional.of(changes);
    } catch (IOException | RuntimeException e) {
      // Unreadable now (moved, a permission changed): nothing to tell, as berth up would say.
      return Optional.empty();
    }
  }

  /**
   * The folder against what release {@code number} was made of: its manifest, else its directory.
   */
  static FolderChanges compare(
      Path folder,
      Path stateDir,
      Optional<TreeManifest> made,
      Path releaseDir,
      int number,
      String source)
      throws IOException {
    List<String> changed = new ArrayList<>();
    List<String> added = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    new FolderTree(folder, stateDir)
        .walk(
            new FolderTree.Visitor() {
              @Override
              public void directory(Path path, String relative, BasicFileAttributes attrs) {
                // Only files and links count: an empty directory is no code.
              }

              @Override
              public void file(Path path, String relative, BasicFileAttributes attrs)
                  throws IOException {
                seen.add(relative);
                Optional<TreeManifest.Entry> then =
                    made.isPresent()
                        ? made.get().get(relative)
                        : TreeManifest.entry(releaseDir.resolve(relative));
                if (then.isEmpty()) {
                  added.add(relative);
                } else if (differs(TreeManifest.entry(path, attrs), path, then.get(), relative)) {
                  changed.add(relative);
                }
              }

              private boolean differs(
                  TreeManifest.Entry now, Path path, TreeManifest.Entry then, String relative)
                  throws IOException {
                if (now.isLink() || then.isLink()) {
                  return !now.equals(then);
                }
                if (now.size() != then.size()) {
                  return true;
                }
                if (now.time().equals(then.time())) {
                  return false;
                }
                String hash =
                    then.sha256() != null
                        ? then.sha256()
                        : TreeManifest.sha256(releaseDir.resolve(relative));
                return !TreeManifest.sha256(path).equals(hash);
              }
            });
    List<String> removed = new ArrayList<>();
    made.ifPresent(m -> m.paths().stream().filter(p -> !seen.contains(p)).forEach(removed::add));
    changed.sort(null);
    added.sort(null);
    return new FolderChanges(folder, number, source, changed, added, removed);
  }

  /** Whether the folder is as the release was made. */
  public boolean none() {
    return changed.isEmpty() && added.isEmpty() && removed.isEmpty();
  }

  /**
   * In words: {@code /srv/shop has changed since release 3 was copied from it (2 files changed, 1
   * added: app.py, templates/new.html, ...)}.
   */
  public String describe() {
    List<String> counts = new ArrayList<>();
    count(counts, changed.size(), "changed");
    count(counts, added.size(), "added");
    count(counts, removed.size(), "removed");
    List<String> names = names();
    int total = changed.size() + added.size() + removed.size();
    return folder
        + (source == null
            ? " has changed since release " + release + " was copied from it"
            : " differs from release " + release + " (from " + source + ")")
        + " ("
        + String.join(", ", counts)
        + ": "
        + String.join(", ", names)
        + (total > names.size() ? ", ..." : "")
        + ")";
  }

  /**
   * The control reply's fields: dir, release, the counts, the paths named (at most {@value #NAMED}:
   * changed, then added, then removed) and the sentence ({@link #describe}).
   */
  public Map<String, Object> fields() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("dir", folder.toString());
    fields.put("release", release);
    fields.put("changed", changed.size());
    fields.put("added", added.size());
    fields.put("removed", removed.size());
    fields.put("files", names());
    fields.put("text", describe());
    return fields;
  }

  private List<String> names() {
    List<String> names = new ArrayList<>();
    for (List<String> kind : List.of(changed, added, removed)) {
      for (String name : kind) {
        if (names.size() == NAMED) {
          return names;
        }
        names.add(name);
      }
    }
    return names;
  }

  /** "2 files changed", then "1 added": the noun once, on the first count. */
  private static void count(List<String> counts, int n, String what) {
    if (n == 0) {
      return;
    }
    counts.add(counts.isEmpty() ? n + (n == 1 ? " file " : " files ") + what : n + " " + what);
  }
}
