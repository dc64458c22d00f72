package dev.lifespan.revocation.architecture;

import com.google.protobuf.Message;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static com.tngtech.archunit.base.DescribedPredicate.and;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** The revocation service's shape: packages without cycles, the wire format at the edges. */
class ArchitectureTest {
    private static JavaClasses service;

    @BeforeAll
    static void load() {
        service = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPath(Path.of("target/classes"));
    }

    @Test
    void packagesDependOnEachOtherWithoutCycles() {
        slices().matching("dev.lifespan.revocation.(*)..").should().beFreeOfCycles().check(service);
    }

    @Test
    void onlyTheEdgesKnowProtobufMessages() {
        // grpc/ serves the RPCs; the rule's wire form (rule/RuleMessages) is what publish/ puts on the channel;
        // validation/ is a client of this service's own Snapshot/Since. The recording service and the log are not.
        noClasses().that().resideInAnyPackage("dev.lifespan.revocation.service..", "dev.lifespan.revocation.log..",
                        "dev.lifespan.revocation.health..", "dev.lifespan.revocation.config..")
                .should().dependOnClassesThat(and(resideInAPackage("dev.lifespan.api.v1"), assignableTo(Message.class)))
                .check(service);
    }
}
