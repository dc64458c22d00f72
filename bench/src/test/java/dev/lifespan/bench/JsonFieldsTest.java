package dev.lifespan.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonFieldsTest {

    @Test
    void readsTopLevelMembersOfATokenResponseAndSkipsNestedOnes() {
        String json = "{ \"access_token\" : \"eyJ.a.b\", \"token_type\":\"Bearer\", \"expires_in\":900,"
                + "\"nested\":{\"refresh_token\":\"wrong\",\"list\":[1,{\"x\":\"]\"}]},"
                + "\"refresh_token\":\"lsr_ab\\/c\\u0041\",\"ok\":true,\"none\":null}";

        assertThat(JsonFields.topLevelScalars(json))
                .containsEntry("access_token", "eyJ.a.b")
                .containsEntry("expires_in", "900")
                .containsEntry("refresh_token", "lsr_ab/cA")
                .containsEntry("ok", "true")
                .containsEntry("none", "null")
                .doesNotContainKey("nested");
    }

    @Test
    void rejectsWhatIsNotAnObject() {
        assertThat(JsonFields.topLevelScalars("{}")).isEmpty();
        assertThatThrownBy(() -> JsonFields.topLevelScalars("<html>")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonFields.topLevelScalars("{\"a\":")).isInstanceOf(IllegalArgumentException.class);
    }
}
