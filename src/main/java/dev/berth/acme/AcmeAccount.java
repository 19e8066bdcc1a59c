package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.RenewalInfo;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.connector.Resource;
import org.shredzone.acme4j.exception.AcmeException;

/**
 * berth's account at one CA: the session (the CA's directory, over HTTPS that trusts {@code
 * acme_trust} too) and the login with the account key. The account is registered on first use
 * (contact email, terms of service agreed); with a key the CA knows, registering again just finds
 * the account, so each berth run logs in that way once.
 */
final class AcmeAccount {

  private static final System.Logger LOG = System.getLogger(AcmeAccount.class.getName());

  private final Session session;
  private final CertificateFiles files;
  private final String email;
  private Login login;

  AcmeAccount(AcmeServer server, CertificateFiles files) throws IOException {
    this.session = new Session(server.directory(), TrustingProvider.trusting(server.trust()));
    this.files = requireNonNull(files, "files");
    this.email = server.email();
  }

  /** The login, registering the account (or finding it again by its key) on the first call. */
  synchronized Login login() throws AcmeException, IOException {
    if (login == null) {
      AccountBuilder account =
          new AccountBuilder().agreeToTermsOfService().useKeyPair(files.accountKey());
      if (email != null && !email.isEmpty()) {
        account.addEmail(email);
      }
      Login made = account.createLogin(session);
      updateContact(made);
      login = made;
    }
    return login;
  }

  /**
   * An account found again by its key keeps the contact it was registered with: a changed {@code
   * email} is sent to the CA. A CA that refuses the change does not stop the orders.
   */
  private void updateContact(Login made) {
    List<URI> wanted =
        email == null || email.isEmpty() ? List.of() : List.of(URI.create("mailto:" + email));
    try {
      Account account = made.getAccount();
      if (!account.getContacts().equals(wanted)) {
        Account.EditableAccount edit = account.modify();
        edit.getContacts().clear();
        edit.getContacts().addAll(wanted);
        edit.commit();
      }
    } catch (AcmeException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "acme: the account's contact is not updated: {0}", e);
    }
  }

  /** Whether the CA gives renewal information (ARI, RFC 9773). */
  boolean hasRenewalInfo() throws AcmeException {
    return session.resourceUrlOptional(Resource.RENEWAL_INFO).isPresent();
  }

  /** The CA's renewal window for {@code certificate}, or empty when it gives none. */
  Optional<RenewalPlan.Window> renewalWindow(X509Certificate certificate)
      throws AcmeException, IOException {
    if (!hasRenewalInfo()) {
      return Optional.empty();
    }
    RenewalInfo info = login().bindRenewalInfo(certificate);
    return Optional.of(
        new RenewalPlan.Window(info.getSuggestedWindowStart(), info.getSuggestedWindowEnd()));
  }
}
