package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import java.io.IOException;
import java.util.Optional;

/**
 * Whom an app's processes run as: as root, the app's {@code user} (nobody by default, as nginx's
 * workers; root only when the config says so); otherwise berth's own user, and nobody else. The
 * launch, the build and release phases, the data directory's owner and the checks before a start
 * all ask here, so that they agree.
 */
final class AppUser {

  /** Whom apps run as when berth is root and the config names no user: as nginx's workers. */
  private static final String DEFAULT_USER = "nobody";

  private AppUser() {}

  /**
   * Who the app's processes run as, when not as berth itself: as root, the app's user (nobody by
   * default, as nginx's workers; root only when the config says so); otherwise nobody else.
   *
   * @return empty when they run as berth itself
   * @throws IOException when the user does not exist, or berth cannot switch to it
   */
  static Optional<UserAccount> of(App app) throws IOException {
    requireNonNull(app, "app");
    long self = UserAccount.currentUid();
    if (self == 0) {
      String name = app.run().user() == null ? DEFAULT_USER : app.run().user();
      UserAccount account =
          UserAccount.lookup(name)
              .orElseThrow(() -> new IOException("no user \"" + name + "\" on this host"));
      return account.root() ? Optional.empty() : Optional.of(account);
    }
    if (app.run().user() != null) {
      UserAccount account =
          UserAccount.lookup(app.run().user())
              .orElseThrow(
                  () -> new IOException("no user \"" + app.run().user() + "\" on this host"));
      if (account.uid() != self) {
        throw new IOException(
            "user = \""
                + app.run().user()
                + "\": berth runs as uid "
                + self
                + " and can run apps only as itself; running them as another user needs berth to run as root");
      }
    }
    return Optional.empty();
  }

  /** The name of whom a process runs as, for messages: the account's, else berth's own user. */
  static String name(Optional<UserAccount> runAs) {
    return runAs.map(UserAccount::name).orElseGet(() -> System.getProperty("user.name", "berth"));
  }
}
