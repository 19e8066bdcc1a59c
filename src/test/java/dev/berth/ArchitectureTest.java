package dev.berth;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The dependency rules of ARCHITECTURE.md ("Dependencies point downward"), checked on berth's
 * compiled classes (not its tests). Each package lists every berth package it may use; a package
 * not listed here fails the build until its rules are written down, here and in ARCHITECTURE.md.
 */
@AnalyzeClasses(packages = "dev.berth", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule packagesUseOnlyWhatArchitectureMdAllows =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .ensureAllClassesAreContainedInArchitecture()
          .layer("main")
          .definedBy("dev.berth")
          .layer("cli")
          .definedBy("dev.berth.cli..")
          .layer("daemon")
          .definedBy("dev.berth.daemon..")
          .layer("deploy")
          .definedBy("dev.berth.deploy..")
          .layer("service")
          .definedBy("dev.berth.service..")
          .layer("git")
          .definedBy("dev.berth.git..")
          .layer("control")
          .definedBy("dev.berth.control..")
          .layer("edge")
          .definedBy("dev.berth.edge..")
          .layer("routing")
          .definedBy("dev.berth.routing..")
          // TLS: contexts, certificate stores, berth's internal CA.
          .layer("tls")
          .definedBy("dev.berth.tls..")
          .layer("upstream")
          .definedBy("dev.berth.upstream..")
          .layer("files")
          .definedBy("dev.berth.files..")
          // Access rules: a verdict per request (allow/deny, rate limit, basic auth).
          .layer("access")
          .definedBy("dev.berth.access..")
          .layer("transport")
          .definedBy("dev.berth.transport..")
          .layer("accesslog")
          .definedBy("dev.berth.accesslog..")
          .layer("supervisor")
          .definedBy("dev.berth.supervisor..")
          .layer("logs")
          .definedBy("dev.berth.logs..")
          .layer("config")
          .definedBy("dev.berth.config..")
          // Certificates from an ACME CA (acme4j): account, orders, renewal, files.
          .layer("acme")
          .definedBy("dev.berth.acme..")
          // Short commands (argv, user, timeout, the process tree ended at the timeout).
          .layer("process")
          .definedBy("dev.berth.process..")
          .whereLayer("main")
          .mayOnlyAccessLayers("cli")
          .whereLayer("cli")
          .mayOnlyAccessLayers("daemon", "service", "git", "config", "control", "access")
          .whereLayer("daemon")
          .mayOnlyAccessLayers(
              "edge",
              "supervisor",
              "deploy",
              "logs",
              "routing",
              "upstream",
              "accesslog",
              "transport",
              "control",
              "acme",
              "tls",
              "config")
          .whereLayer("deploy")
          .mayOnlyAccessLayers("supervisor", "config", "logs", "process")
          .whereLayer("service")
          .mayOnlyAccessLayers("config", "process")
          .whereLayer("git")
          .mayOnlyAccessLayers("process")
          .whereLayer("control")
          .mayNotAccessAnyLayer()
          .whereLayer("edge")
          .mayOnlyAccessLayers(
              "routing", "upstream", "files", "transport", "accesslog", "tls", "access", "config")
          .whereLayer("routing")
          .mayOnlyAccessLayers("config")
          .whereLayer("tls")
          .mayOnlyAccessLayers("config")
          .whereLayer("upstream")
          .mayOnlyAccessLayers("transport", "config")
          .whereLayer("files")
          .mayNotAccessAnyLayer()
          .whereLayer("access")
          .mayOnlyAccessLayers("config")
          .whereLayer("transport")
          .mayOnlyAccessLayers("config")
          .whereLayer("accesslog")
          .mayOnlyAccessLayers("config")
          .whereLayer("supervisor")
          .mayOnlyAccessLayers("logs", "config", "process")
          .whereLayer("logs")
          .mayNotAccessAnyLayer()
          .whereLayer("config")
          .mayOnlyAccessLayers("process")
          .whereLayer("process")
          .mayNotAccessAnyLayer()
          .whereLayer("acme")
          .mayNotAccessAnyLayer();

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("dev.berth.(*)..").should().beFreeOfCycles();
}
