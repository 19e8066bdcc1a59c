package dev.berth.files;

/**
 * What conditional requests compare against for one representation of a file.
 *
 * @param etag a strong entity tag, quotes included
 * @param modifiedSeconds the Last-Modified time, in whole seconds since the epoch (HTTP dates have
 *     no finer precision, so comparing finer would make every file look modified)
 */
public record Validator(String etag, long modifiedSeconds) {

  /**
   * The tag nginx gives a file, {@code "<hex mtime seconds>-<hex size>"}, plus {@code suffix}
   * inside the quotes for a representation other than the file's own bytes (such as its gzip).
   */
  public static Validator of(long modifiedMillis, long size, String suffix) {
    long seconds = Math.floorDiv(modifiedMillis, 1000);
    return new Validator(
        '"' + Long.toHexString(seconds) + '-' + Long.toHexString(size) + suffix + '"', seconds);
  }
}
