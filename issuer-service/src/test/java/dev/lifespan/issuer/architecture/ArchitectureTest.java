package dev.lifespan.issuer.architecture;

import com.google.protobuf.Message;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.lifespan.issuer.http.UnmatchedRequests;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static com.tngtech.archunit.base.DescribedPredicate.and;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** The issuer's shape: feature packages without cycles, and the wire format kept at the edges. */
class ArchitectureTest {
    private static JavaClasses issuer;

    @BeforeAll
    static void load() {
        issuer = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPath(Path.of("target/classes"));
    }

    @Test
    void featurePackagesDependOnEachOtherWithoutCycles() {
        slices().matching("dev.lifespan.issuer.(*)..").should().beFreeOfCycles().check(issuer);
    }

    @Test
    void onlyTheGrpcEdgesKnowProtobufMessages() {
        // grpc/ serves TokenIssuer; relay/ and feed/ are clients of the revocation service. Proto enums (shared
        // vocabulary such as RiskLevel or EventType) are fine anywhere; request and response messages are not.
        noClasses().that().resideOutsideOfPackages("dev.lifespan.issuer.grpc..", "dev.lifespan.issuer.relay..", "dev.lifespan.issuer.feed..")
                .should().dependOnClassesThat(and(resideInAPackage("dev.lifespan.api.v1"), assignableTo(Message.class)))
                .check(issuer);
    }

    @Test
    void everyRestResourceIsKnownToTheMethodNotAllowedAnswer() {
        // UnmatchedRequests names the methods a path takes in Allow from this list; a resource left out would get none.
        assertThat(issuer.stream().filter(c -> c.isAnnotatedWith(jakarta.ws.rs.Path.class)).map(JavaClass::getName))
                .containsExactlyInAnyOrderElementsOf(UnmatchedRequests.RESOURCES.stream().map(Class::getName).toList());
    }

    @Test
    void httpResourcesDoNotUseTheGrpcEdge() {
        noClasses().that().resideInAPackage("dev.lifespan.issuer.http..").should().dependOnClassesThat()
                .resideInAPackage("dev.lifespan.issuer.grpc..").check(issuer);
    }
}
