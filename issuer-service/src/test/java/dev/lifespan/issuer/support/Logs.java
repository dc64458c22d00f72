package dev.lifespan.issuer.support;

import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Level;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** What the service logs (INFO and above) while a test does something, as "logger: message" lines. */
public final class Logs {
    private Logs() {
    }

    public static List<String> capture(Runnable body) {
        List<String> lines = new CopyOnWriteArrayList<>();
        ExtHandler capture = new ExtHandler() {
            @Override
            protected void doPublish(ExtLogRecord record) {
                // The test's own HTTP client (REST Assured on Apache HttpClient) is the caller, not the issuer.
                if (record.getLevel().intValue() >= Level.INFO.intValue()
                        && (record.getLoggerName() == null || !record.getLoggerName().startsWith("org.apache.http"))) {
                    lines.add(record.getLoggerName() + ": " + record.getFormattedMessage());
                }
            }
        };
        Logger root = LogContext.getLogContext().getLogger("");
        root.addHandler(capture);
        try {
            body.run();
        } finally {
            root.removeHandler(capture);
        }
        return lines;
    }
}
