package dev.lifespan.audit.event;

import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;

/**
 * Bad input, as a sentence that names the field and the bound ({@code events[3].subject is longer than 255
 * characters}); the field also travels in the error's {@code ErrorInfo} metadata. Maps to INVALID_ARGUMENT / 400.
 */
public final class InvalidInput extends ServiceException {
    public InvalidInput(String field, String sentence) {
        super(ErrorKind.INVALID_REQUEST, sentence, field, null, null);
    }
}
