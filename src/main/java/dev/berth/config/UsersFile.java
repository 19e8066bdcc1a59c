package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An htpasswd file as berth reads it: {@code USER:HASH} lines, blank lines and {@code #} comments.
 * Only bcrypt hashes are taken; Apache's other formats (MD5, SHA-1, crypt, plain text) are refused
 * by name, the weak ones as weak, so that a file made for Apache says what to do.
 */
public final class UsersFile {

  /** bcrypt as htpasswd -B, Python's bcrypt and berth passwd write it: $2y$10$ + 53 characters. */
  private static final Pattern BCRYPT =
      Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

  private static final Pattern DES_CRYPT = Pattern.compile("[./A-Za-z0-9]{13}");

  /** What a file gave: its users, and one line per problem ({@code LINE: what}). */
  public record Parsed(Map<String, String> users, List<String> problems) {
    public Parsed {
      users = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(users));
      problems = List.copyOf(problems);
    }
  }

  private UsersFile() {}

  /**
   * Reads the text of an htpasswd file.
   *
   * @param name the file's name as messages show it ("site.htpasswd")
   */
  public static Parsed parse(String name, String text) {
    requireNonNull(name, "name");
    requireNonNull(text, "text");
    Map<String, String> users = new LinkedHashMap<>();
    Map<String, Integer> lineOf = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    String[] lines = text.isEmpty() ? new String[0] : text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String line =
          lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      String where = name + ":" + number + ": ";
      int colon = line.indexOf(':');
      if (colon <= 0) {
        problems.add(where + "not USER:HASH (expected: lines as berth passwd writes them)");
        continue;
      }
      String user = line.substring(0, colon);
      String hash = line.substring(colon + 1).strip();
      String weakness = BCRYPT.matcher(hash).matches() ? null : kind(hash);
      if (weakness != null) {
        problems.add(
            where
                + "user "
                + Types.quote(user)
                + " has "
                + weakness
                + " (expected: a bcrypt hash ($2y$), as berth passwd "
                + name
                + " "
                + user
                + " writes)");
        continue;
      }
      Integer first = lineOf.putIfAbsent(user, number);
      if (first != null) {
        problems.add(
            where
                + "user "
                + Types.quote(user)
                + " again (expected: once; first at line "
                + first
                + ")");
        continue;
      }
      users.put(user, hash);
    }
    if (users.isEmpty() && problems.isEmpty()) {
      problems.add(
          name
              + ": no users (expected: USER:HASH lines, as berth passwd "
              + name
              + " USER writes)");
    }
    return new Parsed(users, problems);
  }

  /**
   * The text of a file with {@code user}'s line set to {@code hash}: its first line replaced in
   * place (later ones for the same user dropped), or a line added at the end. Every other line
   * stays as it was, comments too.
   */
  public static String withUser(String text, String user, String hash) {
    requireNonNull(text, "text");
    requireNonNull(user, "user");
    requireNonNull(hash, "hash");
    String entry = user + ":" + hash;
    StringBuilder out = new StringBuilder(text.length() + entry.length() + 1);
    boolean written = false;
    String[] lines = text.isEmpty() ? new String[0] : text.split("\n", -1);
    // A file that ends with a newline splits into a last empty piece, which is that newline.
    int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
    for (int i = 0; i < count; i++) {
      String line = lines[i];
      if (line.startsWith(user + ":")) {
        if (written) {
          continue;
        }
        line = entry;
        written = true;
      }
      out.append(line).append('\n');
    }
    if (!written) {
      out.append(entry).append('\n');
    }
    return out.toString();
  }

  /**
   * Whether {@code user} can be a line's user: not empty, no ":", no space or control character.
   */
  public static boolean validUser(String user) {
    return !user.isEmpty()
        && user.length() <= 255
        && user.chars().noneMatch(c -> c == ':' || c <= ' ' || c == 0x7f);
  }

  /** What a hash that is not bcrypt is, as a message says it. */
  private static String kind(String hash) {
    if (hash.startsWith("$2")) {
      return "a malformed bcrypt hash";
    }
    if (hash.startsWith("$apr1$")) {
      return "an MD5 hash ($apr1$), which is weak";
    }
    if (hash.startsWith("$1$")) {
      return "an MD5-crypt hash ($1$), which is weak";
    }
    if (hash.startsWith("{SHA}")) {
      return "a SHA-1 hash ({SHA}), which is weak";
    }
    if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
      return "a SHA-crypt hash (" + hash.substring(0, 3) + "), which berth does not check";
    }
    if (DES_CRYPT.matcher(hash).matches()) {
      return "a crypt (DES) hash, which is weak";
    }
    return hash.isEmpty()
        ? "no hash"
        : "a password that is not hashed, or a hash berth does not know";
  }
}
