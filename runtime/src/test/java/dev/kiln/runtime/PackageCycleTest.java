package dev.kiln.runtime;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * No package cycle among the runtime's packages ({@code dev.kiln.runtime} and those under it),
 * read from the compiled classes: a package that uses another may not be used back by it, directly
 * or through others.
 */
class PackageCycleTest {

  @Test
  void runtimePackagesAreFreeOfCycles() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.kiln.runtime");
    Set<String> packages = classes.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
    // Not vacuous: the root package and its subpackages were all read.
    assertTrue(
        packages.containsAll(
            Set.of("dev.kiln.runtime", "dev.kiln.runtime.kernels", "dev.kiln.runtime.train")),
        "classes found in " + packages);
    // One slice per package: dev.kiln.(**) captures "runtime", "runtime.train", ...
    slices().matching("dev.kiln.(**)").should().beFreeOfCycles().check(classes);
  }
}
