package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsersFileTest {

  private static final String HASH = AccessConfigTest.HASH;

  @Test
  void takesBcryptLinesAndSkipsCommentsAndBlankLines() {
    UsersFile.Parsed parsed =
        UsersFile.parse(
            "f",
            "# users\r\nalice:"
                + HASH
                + "\r\n\n  \nbob:"
                + HASH.replace("$2y$", "$2b$")
                + "\ncarol:"
                + HASH.replace("$2y$", "$2a$"));
    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.users()).containsOnlyKeys("alice", "bob", "carol");
    assertThat(parsed.users().get("alice")).isEqualTo(HASH);
  }

  @Test
  void namesEachFormatItRefuses() {
    UsersFile.Parsed parsed =
        UsersFile.parse(
            "f",
            String.join(
                "\n",
                "a:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/",
                "b:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
                "c:rqXexS6ZhobKA",
                "d:$6$salt$abc",
                "e:$2y$10$short",
                "f:plain text",
                "g:",
                "no colon",
                ":nouser"));
    assertThat(parsed.users()).isEmpty();
    assertThat(parsed.problems())
        .extracting(p -> p.substring(0, p.indexOf(" (expected")))
        .containsExactly(
            "f:1: user \"a\" has an MD5 hash ($apr1$), which is weak",
            "f:2: user \"b\" has a SHA-1 hash ({SHA}), which is weak",
            "f:3: user \"c\" has a crypt (DES) hash, which is weak",
            "f:4: user \"d\" has a SHA-crypt hash ($6$), which berth does not check",
            "f:5: user \"e\" has a malformed bcrypt hash",
            "f:6: user \"f\" has a password that is not hashed, or a hash berth does not know",
            "f:7: user \"g\" has no hash",
            "f:8: not USER:HASH",
            "f:9: not USER:HASH");
  }

  @Test
  void aFileWithoutUsersIsAProblem() {
    assertThat(UsersFile.parse("f", "# nobody\n").problems())
        .containsExactly("f: no users (expected: USER:HASH lines, as berth passwd f USER writes)");
  }

  @Test
  void setsAUsersLineInPlaceAndKeepsTheOthers() {
    String text = "# staff\nalice:old\nbob:x\nalice:older\n";
    assertThat(UsersFile.withUser(text, "alice", "new")).isEqualTo("# staff\nalice:new\nbob:x\n");
    assertThat(UsersFile.withUser(text, "carol", "c"))
        .isEqualTo("# staff\nalice:old\nbob:x\nalice:older\ncarol:c\n");
    assertThat(UsersFile.withUser("bob:x", "carol", "c")).isEqualTo("bob:x\ncarol:c\n");
    assertThat(UsersFile.withUser("", "carol", "c")).isEqualTo("carol:c\n");
    assertThat(UsersFile.withUser("alice2:x\n", "alice", "a")).isEqualTo("alice2:x\nalice:a\n");
  }

  @Test
  void userNamesThatALineCannotHold() {
    assertThat(UsersFile.validUser("alice")).isTrue();
    assertThat(UsersFile.validUser("a:b")).isFalse();
    assertThat(UsersFile.validUser("a b")).isFalse();
    assertThat(UsersFile.validUser("")).isFalse();
  }
}
