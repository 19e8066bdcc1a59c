package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedirectTargetTest {

  @Test
  void fillsInThePlaceholders() {
    Route.RedirectTarget t =
        new Route.RedirectTarget("https://{host}/x{path}?q={query}&all={uri}", 308);
    assertThat(t.locationFor("WWW.Example.com:8080", "/a/b?c=1&d"))
        .isEqualTo("https://www.example.com/x/a/b?q=c=1&d&all=/a/b?c=1&d");
    assertThat(t.locationFor("[::1]:80", "/")).isEqualTo("https://[::1]/x/?q=&all=/");
    assertThat(t.locationFor(null, "/p")).isEqualTo("https:///x/p?q=&all=/p");
  }

  @Test
  void wwwToApex() {
    Route.RedirectTarget t = new Route.RedirectTarget("https://example.com{uri}", 301);
    assertThat(t.locationFor("www.example.com", "/blog/?page=2"))
        .isEqualTo("https://example.com/blog/?page=2");
    assertThat(new Route.RedirectTarget("https://example.com/", 301).locationFor("h", "/x"))
        .isEqualTo("https://example.com/");
  }
}
