package dev.berth.config;

import java.util.List;
import java.util.Optional;

/** The known key an unknown one was most likely meant to be: a typo or a cut-short name. */
final class ClosestKey {

  private ClosestKey() {}

  /**
   * The known key at the smallest edit distance (a swap of two neighbours counts as one edit), at
   * most 2 (1 for a name of 4 characters or fewer); else the only known key that starts with the
   * unknown one (3 characters at least), or the shortest when it begins all the others; else none.
   */
  static Optional<String> among(String unknown, List<String> known) {
    int limit = unknown.length() <= 4 ? 1 : 2;
    String best = null;
    int bestDistance = limit + 1;
    for (String candidate : known) {
      int d = distance(unknown, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    if (best != null) {
      return Optional.of(best);
    }
    if (unknown.length() < 3) {
      return Optional.empty();
    }
    // "max_req" means max_requests even though max_requests_jitter starts so too.
    List<String> prefixed =
        known.stream()
            .filter(k -> k.startsWith(unknown))
            .sorted(java.util.Comparator.comparingInt(String::length))
            .toList();
    if (prefixed.isEmpty() || !prefixed.stream().allMatch(k -> k.startsWith(prefixed.get(0)))) {
      return Optional.empty();
    }
    return Optional.of(prefixed.get(0));
  }

  /** Damerau-Levenshtein distance, optimal string alignment variant. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
