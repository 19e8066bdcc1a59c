package dev.berth.git;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * The pre-receive hook that {@code berth git init} writes: a POSIX sh script that deploys what is
 * pushed to the deploy branch and fails the push when the deploy fails.
 *
 * <p>pre-receive, not post-receive: git runs it before it updates any ref, and a non-zero exit
 * rejects the push, so a failed deploy leaves the branch where it was. Git keeps the pushed objects
 * in a quarantine directory until then, visible only to processes that inherit the hook's
 * environment; so the hook itself makes the tarball (git archive) and hands that file to berth,
 * rather than asking the daemon to read the repository.
 */
final class PreReceiveHook {

  /** The line that marks a hook as berth's, so that a re-run may replace it and nothing else. */
  static final String MARKER = "# Written by 'berth git init'";

  private PreReceiveHook() {}

  static String render(String app, Path config, BerthInvocation berth) {
    requireNonNull(app, "app");
    requireNonNull(config, "config");
    requireNonNull(berth, "berth");
    String command =
        berth.command().stream().map(PreReceiveHook::quote).collect(Collectors.joining(" "));
    return TEMPLATE
        .replace("@MARKER@", MARKER)
        .replace("@APP_QUOTED@", quote(app))
        .replace("@APP@", app)
        .replace("@CONFIG@", quote(config.toString()))
        .replace("@HOW@", berth.how().replace('\n', ' '))
        .replace("@BERTH@", command);
  }

  /** A word for sh, in single quotes: nothing inside is special but the quote itself. */
  static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  private static final String TEMPLATE =
      """
      #!/bin/sh
      # berth: deploys app @APP@ on git push.
      @MARKER@ for app @APP@: run 'berth git init @APP@' again to rewrite this
      # file (after moving berth or its config, say) rather than editing it.
      #
      # Git runs this pre-receive hook before it updates any ref, and a non-zero exit rejects the
      # whole push: a push whose deploy fails leaves every branch as it was. What it prints reaches
      # the pusher as "remote: ..." lines.
      #
      # The deploy branch: `git config berth.deployBranch` in this repository ('berth git init
      # --branch NAME' sets it). Until it is set, main or master: the first of them that deploys
      # is recorded there. Other branches, tags and deletions are accepted without a deploy.

      app=@APP_QUOTED@
      config=@CONFIG@

      # berth by absolute paths, recorded by 'berth git init': hooks run with a minimal
      # environment (over SSH, PATH=/usr/bin:/bin and no JAVA_HOME).
      # This is @HOW@.
      run_berth() {
        @BERTH@ "$@"
      }

      # A deletion's new id is all zeros (40 of them, or 64 in a SHA-256 repository).
      is_zero() {
        case "$1" in *[!0]*) return 1 ;; esac
        return 0
      }

      # Git gives one "OLD NEW REF" line per ref pushed; all of them are read before anything is
      # done, as the deploy branch may depend on what this push creates.
      updates=$(cat)

      branch=$(git config --get berth.deployBranch)
      chosen=$branch
      if [ -z "$branch" ]; then
        # None chosen yet: main or master, whichever this push brings (main, if both). The first
        # one that deploys is recorded as the deploy branch (below).
        while read -r old new ref; do
          if is_zero "$new"; then continue; fi
          case "$ref" in
            refs/heads/main) branch=main ;;
            refs/heads/master) if [ "$branch" != main ]; then branch=master; fi ;;
          esac
        done <<EOF
      $updates
      EOF
      fi

      deploy() {
        new=$1
        short=$(git rev-parse --short "$new")
        echo "berth: deploying $branch ($short) to app $app"
        # The tarball may hold secrets the repository holds: a private directory, files 0600.
        umask 077
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-push.XXXXXX") || return 1
        trap 'rm -rf "$tmp"' EXIT
        trap 'rm -rf "$tmp"; exit 1' HUP INT TERM
        if ! git archive --format=tar -o "$tmp/source.tar" "$new"; then
          echo "berth: git archive $short failed: push rejected"
          return 1
        fi
        # berth gets no stdin (git's ref lines) and none of git's variables: the deploy is not a
        # git process, and the tarball is all it needs.
        (
          unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
          run_berth deploy -c "$config" "$app" "$tmp/source.tar" \\
            --revision "$new" --source-label "git push $branch" </dev/null 2>&1
        )
        code=$?
        rm -rf "$tmp"
        if [ "$code" -ne 0 ]; then
          echo "berth: deploy of $short failed (berth exited with code $code): push rejected, $branch not updated"
          return 1
        fi
        echo "berth: deployed $short to app $app"
        if [ -z "$chosen" ]; then
          git config berth.deployBranch "$branch"
          # So that clones check it out. Newer gits may refuse this inside a hook; it is no matter.
          git symbolic-ref HEAD "refs/heads/$branch" 2>/dev/null
          echo "berth: $branch is now the deploy branch of app $app"
        fi
      }

      status=0
      while read -r old new ref; do
        [ -n "$ref" ] || continue
        if [ "$ref" != "refs/heads/$branch" ]; then
          echo "berth: $ref: accepted, not deployed (app $app deploys branch ${branch:-main or master})"
        elif is_zero "$new"; then
          echo "berth: $ref deleted: accepted, nothing deployed (app $app keeps running what it runs)"
        elif ! deploy "$new"; then
          status=1
        fi
      done <<EOF
      $updates
      EOF
      exit $status
      """;
}
