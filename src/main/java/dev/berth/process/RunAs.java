package dev.berth.process;

/**
 * The user and group a command runs as, by number: what {@code setpriv} needs. The account's name
 * and home stay with the caller, so that this package depends on nothing else of berth's.
 */
public record RunAs(long uid, long gid) {

  public RunAs {
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("uid and gid must be >= 0, got " + uid + ":" + gid);
    }
  }
}
