package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;

/**
 * The ACME CA berth orders from, and the account it orders with.
 *
 * @param directory the CA's directory URL
 * @param trust a PEM file of extra roots to trust for the CA's own HTTPS (a private CA, pebble in
 *     tests), beside the JDK's; null for the JDK's alone
 * @param email the account's contact address, or null for none
 */
public record AcmeServer(URI directory, Path trust, String email) {

  public AcmeServer {
    requireNonNull(directory, "directory");
  }
}
