package dev.berth.control;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.OptionalInt;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Who is on the other end of a control connection, from the kernel ({@code SO_PEERCRED}: the uid
 * the peer had when it connected), and whether that user may control this berth: berth's own user
 * or root.
 *
 * <p>The JDK gives the peer as a {@link UserPrincipal}, not a number. On Unix, principals compare
 * equal exactly when their uids are equal (whatever the names), so the decision compares
 * principals: the peer's against berth's own (the owner of the socket berth just created) and
 * root's (uid 0).
 */
final class PeerCheck {

  /** The peer: its principal, and its uid when it could be established (for messages). */
  record Peer(UserPrincipal user, OptionalInt uid) {
    String describe() {
      String name = user.getName();
      if (uid.isEmpty()) {
        return "user " + name;
      }
      String number = Integer.toString(uid.getAsInt());
      return name.equals(number) ? "uid " + number : "uid " + number + " (" + name + ")";
    }

    String uidOrName() {
      return uid.isPresent() ? "uid " + uid.getAsInt() : "user " + user.getName();
    }
  }

  private final UserPrincipal owner;
  private final UserPrincipal root;

  /**
   * @param owner berth's own user: the owner of the socket file it created
   */
  PeerCheck(UserPrincipal owner) throws IOException {
    this.owner = owner;
    this.root = lookup().lookupPrincipalByName("0");
  }

  static Peer peerOf(SocketChannel channel) throws IOException {
    UnixDomainPrincipal credentials = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
    UserPrincipal user = credentials.user();
    return new Peer(user, uidOf(user));
  }

  boolean allowed(Peer peer) {
    return peer.user().equals(owner) || peer.user().equals(root);
  }

  /**
   * The uid of a principal, for messages only. The JDK keeps it private; a candidate (the name
   * itself when the uid has no passwd entry, else the principal's hash, which the JDK derives from
   * the uid) is accepted only if the principal for that number is equal to this one.
   */
  static OptionalInt uidOf(UserPrincipal user) {
    int candidate;
    try {
      candidate = Integer.parseInt(user.getName());
    } catch (NumberFormatException e) {
      candidate = user.hashCode();
    }
    if (candidate < 0) {
      return OptionalInt.empty();
    }
    try {
      return lookup().lookupPrincipalByName(Integer.toString(candidate)).equals(user)
          ? OptionalInt.of(candidate)
          : OptionalInt.empty();
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }

  private static UserPrincipalLookupService lookup() {
    return FileSystems.getDefault().getUserPrincipalLookupService();
  }
}
