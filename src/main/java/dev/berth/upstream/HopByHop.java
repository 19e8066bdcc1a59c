package dev.berth.upstream;

import java.util.List;

/**
 * The fields that concern one connection only (RFC 9110 7.6.1), and so are never forwarded, in
 * either direction; the names a Connection field lists are too. Expect is among them: berth answers
 * 100-continue itself. Transfer-Encoding is not: it frames the body that is streamed on.
 */
public final class HopByHop {

  /** Lower-case names. */
  public static final List<String> NAMES =
      List.of("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect");

  private HopByHop() {}
}
