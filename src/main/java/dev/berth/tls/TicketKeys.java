package dev.berth.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Session ticket keys for the OpenSSL provider, shared by every context berth makes (so a ticket
 * from one certificate's handshake resumes on another's) and rotated on a timer: the newest key
 * encrypts new tickets, the one before it still decrypts, so a ticket lives one to two periods. A
 * key never leaves memory. With the JDK's provider the JDK keeps and rotates its own ticket keys.
 */
final class TicketKeys {

  /** How often a new key comes in; a ticket is good for one to two of these. */
  static final Duration PERIOD = Duration.ofHours(12);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Set<OpenSslSessionContext> contexts =
      Collections.newSetFromMap(Collections.synchronizedMap(new WeakHashMap<>()));

  private OpenSslSessionTicketKey current = newKey();
  private OpenSslSessionTicketKey previous;
  private ScheduledExecutorService timer;

  /** Gives {@code context} the current keys, and the next ones as they come; others are left. */
  synchronized void manage(SslContext context) {
    if (context.sessionContext() instanceof OpenSslSessionContext session) {
      // Resumption is by ticket only, as nginx's default: no per-context cache of sessions held
      // in memory for clients that may never come back.
      session.setSessionCacheEnabled(false);
      contexts.add(session);
      apply(session);
    }
  }

  /** Starts rotating every {@link #PERIOD}, on a daemon thread of its own. */
  synchronized void start() {
    if (timer != null) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "berth-tls-tickets");
              t.setDaemon(true);
              return t;
            });
    long period = PERIOD.toSeconds();
    timer.scheduleAtFixedRate(this::rotate, period, period, TimeUnit.SECONDS);
  }

  synchronized void stop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  /** A new key for new tickets; the current one goes on decrypting for a period. */
  synchronized void rotate() {
    previous = current;
    current = newKey();
    synchronized (contexts) {
      contexts.forEach(this::apply);
    }
  }

  /** The name of the key that encrypts new tickets (tests: it changes at each rotation). */
  synchronized byte[] currentName() {
    return current.name();
  }

  private void apply(OpenSslSessionContext session) {
    if (previous == null) {
      session.setTicketKeys(current);
    } else {
      session.setTicketKeys(current, previous);
    }
  }

  private static OpenSslSessionTicketKey newKey() {
    byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
    byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
    byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
    RANDOM.nextBytes(name);
    RANDOM.nextBytes(hmac);
    RANDOM.nextBytes(aes);
    return new OpenSslSessionTicketKey(name, hmac, aes);
  }
}
